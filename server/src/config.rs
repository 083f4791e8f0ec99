//! The typed configuration: clap flags, each also read from a `CONVO_*` environment
//! variable, whether or not the subcommand is named (`convo-export` alone is `serve`).

use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Where the data lives; every subcommand takes these.
#[derive(Debug, Clone, Args)]
pub struct DataConfig {
    /// Directory for the SQLite database and the export files.
    #[arg(long, global = true, env = "CONVO_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// Database URL (`sqlite://…` or `postgres://…`); default: SQLite in the data directory.
    #[arg(long, global = true, env = "CONVO_DATABASE_URL")]
    pub database_url: Option<String>,
}

impl DataConfig {
    /// A configuration for this directory and database (tests, benches).
    pub fn new(data_dir: impl Into<PathBuf>, database_url: Option<String>) -> DataConfig {
        DataConfig { data_dir: data_dir.into(), database_url }
    }

    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| format!("sqlite://{}?mode=rwc", self.data_dir.join("convo.db").display()))
    }
}

/// `serve`'s options.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on.
    #[arg(long, env = "CONVO_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Start with an empty database instead of demo data.
    #[arg(long, env = "CONVO_NO_DEMO")]
    pub no_demo: bool,
    /// The built web app to serve.
    #[arg(long, env = "CONVO_WEB_DIR", default_value = "dist")]
    pub web_dir: PathBuf,
    /// Seconds between sweeps (retention, orphan files, exports whose tab went away).
    #[arg(long, env = "CONVO_SWEEP_SECONDS", default_value_t = 60)]
    pub sweep_seconds: u64,
}
