//! `serve`: the HTTP server, until Ctrl+C or SIGTERM.

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
}

impl Default for ServeArgs {
    fn default() -> Self {
        ServeArgs { addr: ([127, 0, 0, 1], 8080).into(), no_demo: false, web_dir: "dist".into() }
    }
}

pub fn run(_common: &Common, args: ServeArgs) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.addr).await?;
        let addr = listener.local_addr()?;
        let app = crate::http::app(crate::http::AppConfig { web_dir: args.web_dir });
        println!("convo-export is running at http://{addr}/");
        axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await?;
        Ok(())
    })
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
