//! `serve`: the HTTP server, until Ctrl+C or SIGTERM; requests in flight finish first,
//! for at most 30 s. Demo data only with `--demo`; an empty database says how to add
//! an account.

use crate::clock::Clock;
use crate::config::{DataConfig, ServeConfig};
use crate::settings::Settings;
use crate::state::AppState;

/// Prints a line to stdout, ignoring a closed stdout: the server keeps serving whatever
/// became of the terminal that started it.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

pub async fn run(data: &DataConfig, args: ServeConfig) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let web_dir = args.web_dir.join("index.html").is_file().then_some(args.web_dir.clone());
    if web_dir.is_none() {
        tracing::warn!(dir = %args.web_dir.display(), "no built web app there: serving the API only (run `cargo xtask run`)");
    }
    let settings = Settings {
        public_url: args.public_url.clone(),
        secure_cookies: args.https(),
        render_lease: chrono::Duration::seconds(args.render_lease_seconds.max(1) as i64),
        trusted_proxies: args.trusted_proxy.clone(),
        allow_private_webhooks: args.allow_private_webhooks,
        ..Settings::default()
    };
    let state = AppState::open(data, Clock::System, settings, web_dir).await?;
    let empty = state.store.is_empty().await?;
    if args.demo && empty {
        crate::demo::seed(&state.store, &data.data_dir, state.clock.now()).await?;
    }
    let listener = tokio::net::TcpListener::bind(args.addr).await.map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.addr))?;
    let addr = listener.local_addr()?;
    let sweeper = state.jobs.spawn_sweeper(std::time::Duration::from_secs(args.sweep_seconds.max(1)));
    let deliveries = state.webhooks.spawn_worker(std::time::Duration::from_secs(1));
    say!("convo-export is running at http://{addr}/");
    if let Some(url) = &args.public_url {
        say!("  reached at {url}");
    }
    if args.demo {
        for account in &crate::demo::DEMO_ACCOUNTS {
            say!("  demo login: {} / {}{}", account.email, account.password, if empty { " (just created)" } else { "" });
        }
    } else if empty {
        say!("  no accounts yet: add one with");
        say!("    convo-export account add --email you@example.com --name \"Your Name\" --password-stdin");
        say!("    convo-export import conversations.jsonl");
        say!("    convo-export account grant --email you@example.com --assistant ASSISTANT_ID");
        say!("  (or start with --demo for demo accounts and conversations)");
    }
    crate::http::serve(listener, crate::http::app(state.clone()), &state.settings, shutdown_signal()).await?;
    sweeper.abort();
    deliveries.abort();
    state.store.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
