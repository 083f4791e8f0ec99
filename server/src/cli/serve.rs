//! `serve`: the HTTP server with demo data on first start, until Ctrl+C or SIGTERM;
//! requests in flight (uploads too) finish before it exits.

use crate::clock::Clock;
use crate::config::{DataConfig, ServeConfig};
use crate::settings::Settings;
use crate::state::AppState;

pub async fn run(data: &DataConfig, args: ServeConfig) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let web_dir = args.web_dir.join("index.html").is_file().then_some(args.web_dir.clone());
    if web_dir.is_none() {
        tracing::warn!(dir = %args.web_dir.display(), "no built web app there: serving the API only (run `cargo xtask run`)");
    }
    let state = AppState::open(data, Clock::System, Settings::default(), web_dir).await?;
    let seeded = if !args.no_demo && state.store.is_empty().await? {
        crate::demo::seed(&state.store, &data.data_dir, state.clock.now()).await?;
        true
    } else {
        false
    };
    let listener = tokio::net::TcpListener::bind(args.addr).await.map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.addr))?;
    let addr = listener.local_addr()?;
    let sweeper = state.jobs.spawn_sweeper(std::time::Duration::from_secs(args.sweep_seconds.max(1)));
    println!("convo-export is running at http://{addr}/");
    if !args.no_demo {
        for account in &crate::demo::DEMO_ACCOUNTS {
            println!("  demo login: {} / {}{}", account.email, account.password, if seeded { " (just created)" } else { "" });
        }
    }
    axum::serve(listener, crate::http::app(state.clone())).with_graceful_shutdown(shutdown_signal()).await?;
    sweeper.abort();
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
    tracing::info!("shutting down: finishing requests in flight");
}
