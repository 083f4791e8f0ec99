//! The command line of `docs/cli.md`. Every subcommand takes `--data-dir` and
//! `--database-url`; `serve` is the default, and its options work without naming it.
//! Errors are one line on stderr that names the cause, with a non-zero exit.

mod accounts;
mod admin;
mod encrypt;
pub mod render;
mod schedules;
mod serve;
mod verify;

use crate::catalog::CatalogError;
use crate::clock::Clock;
use crate::config::{DataConfig, ServeConfig};
use crate::settings::Settings;
use crate::state::AppState;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "convo-export", version, about = "Conversation history exporter: server and command line")]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    data: DataConfig,
    /// `serve`'s options, when the subcommand is left out.
    #[command(flatten)]
    serve: ServeConfig,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (the default subcommand).
    Serve(ServeConfig),
    /// Render a JSON Lines file into an HTML export, offline, without a database.
    Render(render::RenderArgs),
    /// Import conversations from a JSON Lines file (creates unknown assistants).
    Import(admin::ImportArgs),
    /// Manage accounts: add, make admin, grant and revoke assistants, disable.
    #[command(subcommand)]
    Account(accounts::AccountCommand),
    /// Manage API tokens: personal, or ingest tokens for the assistant platform.
    #[command(subcommand)]
    Token(accounts::TokenCommand),
    /// Create a catalog export rendered by the server.
    Export(admin::ExportArgs),
    /// Manage schedules (monthly archives and the like).
    #[command(subcommand)]
    Schedule(schedules::ScheduleCommand),
    /// Check an export against its manifest, the export it continues, and a receipt.
    Verify(verify::VerifyArgs),
    /// Seal an export into a passphrase file that opens offline in a browser.
    Encrypt(encrypt::EncryptArgs),
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    let runtime = || tokio::runtime::Builder::new_multi_thread().enable_all().build();
    let data = &cli.data;
    match cli.command {
        None => runtime()?.block_on(serve::run(data, cli.serve)),
        Some(Command::Serve(args)) => runtime()?.block_on(serve::run(data, args)),
        Some(Command::Render(args)) => render::run(args),
        Some(Command::Import(args)) => runtime()?.block_on(admin::import(data, args)),
        Some(Command::Account(cmd)) => runtime()?.block_on(accounts::account(data, cmd)),
        Some(Command::Token(cmd)) => runtime()?.block_on(accounts::token(data, cmd)),
        Some(Command::Export(args)) => runtime()?.block_on(admin::export(data, args)),
        Some(Command::Schedule(cmd)) => runtime()?.block_on(schedules::schedule(data, cmd)),
        Some(Command::Verify(args)) => verify::run(args),
        Some(Command::Encrypt(args)) => encrypt::run(args),
    }
}

/// The state a command works with: the system clock and the production limits.
async fn open(data: &DataConfig) -> anyhow::Result<AppState> {
    AppState::open(data, Clock::System, Settings::default(), None).await
}

/// The account with this email, or an error that says there is none.
async fn account_of(state: &AppState, email: &str) -> anyhow::Result<crate::store::AccountRef> {
    let (account, _) = state
        .store
        .account_by_email(&email.trim().to_lowercase())
        .await?
        .ok_or_else(|| anyhow::anyhow!("no account with the email {email}"))?;
    Ok(account)
}

/// A catalog refusal as a sentence about the command's own arguments.
fn catalog_error(e: CatalogError, account: &str, assistant: &str) -> anyhow::Error {
    match e {
        CatalogError::NoSuchAssistant => {
            anyhow::anyhow!("{account} cannot see an assistant with the id {assistant:?} (see `account grant`)")
        }
        CatalogError::Internal(e) => e,
        e => anyhow::anyhow!("{e}"),
    }
}
