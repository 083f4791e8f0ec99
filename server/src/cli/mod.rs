//! The command line of PRODUCT.md. Every subcommand takes `--data-dir` and
//! `--database-url`; `serve` is the default.

mod admin;
pub mod render;
mod serve;

use crate::clock::Clock;
use crate::files::FileStore;
use crate::http::{AppState, Settings};
use crate::store::Store;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(name = "convo-export", version, about = "Conversation history exporter: server and command line")]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    common: Common,
}

/// Options every subcommand takes.
#[derive(Debug, Clone, Args)]
pub struct Common {
    /// Directory for the SQLite database and the export files.
    #[arg(long, global = true, env = "CONVO_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// Database URL (`sqlite://…` or `postgres://…`); default: SQLite in the data directory.
    #[arg(long, global = true, env = "CONVO_DATABASE_URL")]
    pub database_url: Option<String>,
}

impl Common {
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", self.data_dir.join("convo.db").display()))
    }

    /// Connects to the database (creating the data directory) and opens the file store.
    pub async fn state(&self, web_dir: Option<PathBuf>) -> anyhow::Result<AppState> {
        std::fs::create_dir_all(&self.data_dir)
            .map_err(|e| anyhow::anyhow!("cannot create the data directory {}: {e}", self.data_dir.display()))?;
        let store = Store::connect(&self.database_url()).await?;
        let files = FileStore::open(&self.data_dir)?;
        Ok(AppState { store, files, clock: Clock::System, settings: Arc::new(Settings::default()), web_dir })
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (the default subcommand).
    Serve(serve::ServeArgs),
    /// Render a JSON Lines file into an HTML export, offline, without a database.
    Render(render::RenderArgs),
    /// Import conversations from a JSON Lines file (creates unknown assistants).
    Import(admin::ImportArgs),
    /// Manage accounts.
    #[command(subcommand)]
    Account(admin::AccountCommand),
    /// Manage personal API tokens.
    #[command(subcommand)]
    Token(admin::TokenCommand),
    /// Create a catalog export rendered by the server.
    Export(admin::ExportArgs),
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    let runtime = || tokio::runtime::Builder::new_multi_thread().enable_all().build();
    match cli.command {
        None => runtime()?.block_on(serve::run(&cli.common, serve::ServeArgs::default())),
        Some(Command::Serve(args)) => runtime()?.block_on(serve::run(&cli.common, args)),
        Some(Command::Render(args)) => render::run(args),
        Some(Command::Import(args)) => runtime()?.block_on(admin::import(&cli.common, args)),
        Some(Command::Account(cmd)) => runtime()?.block_on(admin::account(&cli.common, cmd)),
        Some(Command::Token(cmd)) => runtime()?.block_on(admin::token(&cli.common, cmd)),
        Some(Command::Export(args)) => runtime()?.block_on(admin::export(&cli.common, args)),
    }
}
