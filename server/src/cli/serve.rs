//! `serve`: the HTTP server with demo data on first start, until Ctrl+C or SIGTERM;
//! requests in flight (uploads too) finish before it exits.

use super::Common;
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "CONVO_ADDR")]
    addr: SocketAddr,
    /// Start with an empty database instead of demo data.
    #[arg(long)]
    no_demo: bool,
    /// The built web app to serve.
    #[arg(long, default_value = "dist", env = "CONVO_WEB_DIR")]
    web_dir: PathBuf,
    /// Seconds between sweeps (retention, orphan files, exports whose tab went away).
    #[arg(long, default_value_t = 60, env = "CONVO_SWEEP_SECONDS")]
    sweep_seconds: u64,
}

impl Default for ServeArgs {
    fn default() -> Self {
        ServeArgs { addr: ([127, 0, 0, 1], 8080).into(), no_demo: false, web_dir: "dist".into(), sweep_seconds: 60 }
    }
}

pub async fn run(common: &Common, args: ServeArgs) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let web_dir = args.web_dir.join("index.html").is_file().then_some(args.web_dir.clone());
    if web_dir.is_none() {
        tracing::warn!(dir = %args.web_dir.display(), "no built web app there: serving the API only (run `cargo xtask run`)");
    }
    let state = common.state(web_dir).await?;
    let seeded = if !args.no_demo && state.store.is_empty().await? {
        crate::demo::seed(&state.store, &common.data_dir, state.clock.now()).await?;
        true
    } else {
        false
    };
    let listener = tokio::net::TcpListener::bind(args.addr).await?;
    let addr = listener.local_addr()?;
    let sweeper = crate::jobs::spawn_sweeper(state.clone(), std::time::Duration::from_secs(args.sweep_seconds.max(1)));
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
