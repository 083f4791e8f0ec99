//! The command line of PRODUCT.md: `serve` (the default), `render`, and the rest.

pub mod render;
mod serve;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

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

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (the default subcommand).
    Serve(serve::ServeArgs),
    /// Render a JSON Lines file into an HTML export, offline, without a database.
    Render(render::RenderArgs),
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => serve::run(&cli.common, serve::ServeArgs::default()),
        Some(Command::Serve(args)) => serve::run(&cli.common, args),
        Some(Command::Render(args)) => render::run(args),
    }
}
