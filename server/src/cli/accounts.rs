//! `account` and `token`: administration from the command line, through the same rules
//! as the Administration page (`crate::admin`), recorded with the actor `command line`.

use super::open;
use crate::admin::{Actor, AdminError, NewAccount, Role, TokenOrder};
use crate::config::DataConfig;
use anyhow::{Context, anyhow};
use clap::Subcommand;
use convo_model::api::TokenKind;
use std::io::Read;

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Create an account; the password is read from standard input.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Read the password from standard input (required: never on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
        /// Make it an admin: its sidebar has Administration.
        #[arg(long)]
        admin: bool,
    },
    /// Make an account an admin.
    Promote {
        #[arg(long)]
        email: String,
    },
    /// Let an account see an assistant.
    Grant {
        #[arg(long)]
        email: String,
        #[arg(long, value_name = "ID")]
        assistant: String,
    },
    /// Take an assistant from an account: its pages, previews and new exports are 404 at once.
    Revoke {
        #[arg(long)]
        email: String,
        #[arg(long, value_name = "ID")]
        assistant: String,
    },
    /// Disable an account: its sessions end, its tokens stop, it cannot log in.
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Enable a disabled account again.
    Enable {
        #[arg(long)]
        email: String,
    },
    /// List the accounts, one a line: email, name, roles, assistants.
    List,
}

/// An admin refusal as a sentence about the command's arguments.
fn said(e: AdminError) -> anyhow::Error {
    match e {
        AdminError::Internal(e) => e,
        e => anyhow!("{e}"),
    }
}

pub async fn account(data: &DataConfig, cmd: AccountCommand) -> anyhow::Result<()> {
    let actor = Actor::CommandLine;
    match cmd {
        AccountCommand::Add { email, name, password_stdin: _, admin } => {
            // Checked before reading the password, and before opening the database.
            let email = crate::admin::normal_email(&email).map_err(said)?;
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password).context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\n', '\r']);
            crate::admin::check_password(password).map_err(said)?;
            let state = open(data).await?;
            let role = if admin { Role::Admin } else { Role::Member };
            let new = NewAccount { email: &email, name: &name, password: Some(password), role };
            state.admin.add_account(actor, new).await.map_err(said)?;
            println!("account {email} created{}", if admin { " (admin)" } else { "" });
        }
        AccountCommand::Promote { email } => {
            let account = open(data).await?.admin.set_role(actor, &email, Role::Admin).await.map_err(said)?;
            println!("{} is an admin", account.email);
        }
        AccountCommand::Grant { email, assistant } => {
            let (account, name) = open(data).await?.admin.grant(actor, &email, &assistant).await.map_err(said)?;
            println!("{} may now see {name} ({assistant})", account.email);
        }
        AccountCommand::Revoke { email, assistant } => {
            let state = open(data).await?;
            if state.admin.revoke(actor, &email, &assistant).await.map_err(said)? {
                println!("{email} may no longer see {assistant}");
            } else {
                println!("{email} could not see {assistant}: nothing to revoke");
            }
        }
        AccountCommand::Disable { email } => {
            let account = open(data).await?.admin.disable(actor, &email).await.map_err(said)?;
            println!("{} is disabled: its sessions ended and its tokens stopped", account.email);
        }
        AccountCommand::Enable { email } => {
            let account = open(data).await?.admin.enable(actor, &email).await.map_err(said)?;
            println!("{} is enabled", account.email);
        }
        AccountCommand::List => {
            for a in open(data).await?.admin.accounts().await.map_err(said)? {
                let roles: Vec<&str> = [(a.admin, "admin"), (a.disabled, "disabled"), (a.invited, "invited")]
                    .into_iter()
                    .filter_map(|(on, what)| on.then_some(what))
                    .collect();
                let roles = if roles.is_empty() { String::new() } else { format!(" ({})", roles.join(", ")) };
                println!(
                    "{}  {}{roles}  sees: {}",
                    a.email,
                    a.name,
                    if a.assistants.is_empty() { "-".into() } else { a.assistants.join(", ") }
                );
            }
        }
    }
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token and print it (it is not shown again): personal, or with
    /// `--ingest` one that only sends conversations of the assistants named.
    Create {
        #[arg(long)]
        email: String,
        /// An ingest token: it may send conversations (`POST /api/ingest`) of the
        /// `--assistant`s named, and nothing else.
        #[arg(long, requires = "assistant")]
        ingest: bool,
        /// An assistant an ingest token may write (repeat for more; it need not exist yet).
        #[arg(long = "assistant", value_name = "ID", requires = "ingest")]
        assistant: Vec<String>,
        /// Days until it stops working (1–3650).
        #[arg(long, value_name = "DAYS", default_value_t = crate::admin::DEFAULT_TOKEN_DAYS, value_parser = clap::value_parser!(u16).range(1..=3650))]
        expires_in: u16,
    },
    /// List an account's tokens, one a line: id, kind, created, expires, last used.
    List {
        #[arg(long)]
        email: String,
    },
    /// Revoke a token: it stops working at once.
    Revoke {
        #[arg(long, value_name = "ID")]
        id: String,
    },
}

pub async fn token(data: &DataConfig, cmd: TokenCommand) -> anyhow::Result<()> {
    let state = open(data).await?;
    let actor = Actor::CommandLine;
    match cmd {
        TokenCommand::Create { email, ingest, assistant, expires_in } => {
            let kind = if ingest { TokenKind::Ingest } else { TokenKind::Personal };
            let order = TokenOrder { email: &email, kind, assistants: &assistant, expires_in_days: Some(expires_in) };
            let (id, token) = state.admin.create_token(actor, order).await.map_err(said)?;
            let what = if ingest { format!("ingest token for {}", assistant.join(", ")) } else { "token".into() };
            eprintln!("{what} {id} of {}, expires in {expires_in} days", email.trim().to_lowercase());
            println!("{token}");
        }
        TokenCommand::List { email } => {
            let account = super::account_of(&state, &email).await?;
            let when = |t: Option<convo_model::Timestamp>, none: &str| {
                t.map_or_else(|| none.to_string(), |e| e.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            };
            for t in state.accounts.tokens(&account).await? {
                let expired = if t.expires_at.is_some_and(|e| e <= state.clock.now()) { " (expired)" } else { "" };
                let kind = match t.kind {
                    TokenKind::Personal => "personal".to_string(),
                    TokenKind::Ingest => format!("ingest ({})", t.assistants.join(", ")),
                };
                println!(
                    "{}  {kind}  created {}  expires {}{expired}  last used {}",
                    t.id,
                    when(Some(t.created_at), ""),
                    when(t.expires_at, "never"),
                    when(t.last_used_at, "never")
                );
            }
        }
        TokenCommand::Revoke { id } => {
            state.admin.revoke_token(actor, &id).await.map_err(|e| match e {
                AdminError::NoSuchToken(_) => anyhow!("no token with the id {id:?} (see `token list`)"),
                e => said(e),
            })?;
            println!("token {id} revoked");
        }
    }
    Ok(())
}
