//! The typed configuration: clap flags, each also read from a `CONVO_*` environment
//! variable, whether or not the subcommand is named (`convo-export` alone is `serve`).

use crate::files::Storage;
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Where the data lives; every subcommand takes these.
#[derive(Debug, Clone, Args)]
pub struct DataConfig {
    /// Directory for the SQLite database, scratch files and (by default) the export files.
    #[arg(long, global = true, env = "CONVO_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// Database URL (`sqlite://…` or `postgres://…`); default: SQLite in the data directory.
    #[arg(long, global = true, env = "CONVO_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Where export files live: `file://DIR` or `s3://BUCKET` (configured by the standard
    /// AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION variables);
    /// default: `file://DATA_DIR/exports`.
    #[arg(long, global = true, env = "CONVO_STORAGE", value_name = "URL", value_parser = Storage::parse)]
    pub storage: Option<Storage>,
    /// S3 settings that override the `AWS_*` variables (tests; never a flag).
    #[arg(skip)]
    pub s3: crate::files::S3,
}

impl DataConfig {
    /// A configuration for this directory and database, files in the directory (tests).
    pub fn new(data_dir: impl Into<PathBuf>, database_url: Option<String>) -> DataConfig {
        DataConfig { data_dir: data_dir.into(), database_url, storage: None, s3: crate::files::S3::default() }
    }

    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| format!("sqlite://{}?mode=rwc", self.data_dir.join("convo.db").display()))
    }

    pub fn storage(&self) -> Storage {
        self.storage.clone().unwrap_or_else(|| Storage::Local(self.data_dir.join("exports")))
    }
}

/// `serve`'s options.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on.
    #[arg(long, env = "CONVO_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Create the demo accounts and conversations when the database is empty.
    #[arg(long, env = "CONVO_DEMO")]
    pub demo: bool,
    /// Accepted for older scripts; demo data is only created with --demo.
    #[arg(long, hide = true)]
    pub no_demo: bool,
    /// The address users reach the server at. `https://…` marks the session cookie
    /// `Secure` with the `__Host-` prefix.
    #[arg(long, env = "CONVO_PUBLIC_URL", value_name = "URL", value_parser = parse_public_url)]
    pub public_url: Option<String>,
    /// The built web app to serve.
    #[arg(long, env = "CONVO_WEB_DIR", default_value = "dist")]
    pub web_dir: PathBuf,
    /// Seconds between sweeps: exports whose renderer went quiet, schedules, retention
    /// (orphan files, expired sessions and tokens every 20th sweep).
    #[arg(long, env = "CONVO_SWEEP_SECONDS", default_value_t = 15)]
    pub sweep_seconds: u64,
    /// Seconds a server render's lease lasts without a renewal before another process
    /// takes the export over.
    #[arg(long, env = "CONVO_RENDER_LEASE_SECONDS", default_value_t = 30, hide = true)]
    pub render_lease_seconds: u64,
    /// A load balancer's address range (CIDR, such as 10.0.0.0/8; repeat or separate with
    /// commas): from these peers `X-Forwarded-For` names the client, for throttling and
    /// per-client limits. From any other peer it is ignored.
    #[arg(long, env = "CONVO_TRUSTED_PROXY", value_name = "CIDR", value_delimiter = ',', value_parser = parse_cidr)]
    pub trusted_proxy: Vec<ipnet::IpNet>,
    /// Let webhooks point to loopback, private and link-local addresses (refused by
    /// default, so that a webhook cannot reach the server's own network).
    #[arg(long, env = "CONVO_ALLOW_PRIVATE_WEBHOOKS")]
    pub allow_private_webhooks: bool,
}

fn parse_cidr(raw: &str) -> Result<ipnet::IpNet, String> {
    let raw = raw.trim();
    raw.parse::<ipnet::IpNet>()
        .or_else(|_| raw.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{raw:?} is not an address range such as 10.0.0.0/8 or 2001:db8::/32"))
}

impl ServeConfig {
    /// Whether users reach the server over HTTPS.
    pub fn https(&self) -> bool {
        self.public_url.as_deref().is_some_and(|u| u.starts_with("https://"))
    }
}

fn parse_public_url(raw: &str) -> Result<String, String> {
    let rest = raw.strip_prefix("https://").or_else(|| raw.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.starts_with('/') => Ok(raw.trim_end_matches('/').to_string()),
        _ => Err(format!("{raw:?} is not a URL such as https://exports.example.com")),
    }
}
