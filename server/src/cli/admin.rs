//! `import`, `account`, `token` and `export`: what an operator runs by hand.

use super::Common;
use anyhow::{Context, anyhow, bail};
use clap::{Args, Subcommand};
use convo_model::Days;
use std::io::Read;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The conversations, in the import format (JSON Lines).
    #[arg(value_name = "FILE.jsonl")]
    file: PathBuf,
}

pub async fn import(common: &Common, args: ImportArgs) -> anyhow::Result<()> {
    let state = common.state(None).await?;
    let report = crate::import::import_file(&state.store, &args.file, state.clock.now()).await?;
    println!("imported {} conversations ({} messages)", report.conversations, report.messages);
    if !report.assistants_created.is_empty() {
        println!("new assistants: {}", report.assistants_created.join(", "));
    }
    Ok(())
}

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
    },
    /// Let an account see an assistant.
    Grant {
        #[arg(long)]
        email: String,
        #[arg(long, value_name = "ID")]
        assistant: String,
    },
}

pub async fn account(common: &Common, cmd: AccountCommand) -> anyhow::Result<()> {
    let state = common.state(None).await?;
    match cmd {
        AccountCommand::Add { email, name, password_stdin: _ } => {
            let email = email.trim().to_lowercase();
            if !email.contains('@') {
                bail!("{email:?} is not an email address");
            }
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password).context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\n', '\r']);
            if password.chars().count() < 8 {
                bail!("the password must have at least 8 characters");
            }
            let hash = crate::auth::hash_password(password);
            state.store.create_account(&email, name.trim(), &hash, state.clock.now()).await?;
            println!("account {email} created");
        }
        AccountCommand::Grant { email, assistant } => {
            let (account, _) = state
                .store
                .account_by_email(&email.trim().to_lowercase())
                .await?
                .ok_or_else(|| anyhow!("no account with the email {email}"))?;
            let row = state
                .store
                .assistant_by_public_id(&assistant)
                .await?
                .ok_or_else(|| anyhow!("no assistant with the id {assistant} (import its conversations first)"))?;
            state.store.grant(account.id, row.pk).await?;
            println!("{} may now see {} ({})", account.email, row.name, row.id);
        }
    }
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a personal API token and print it (it is not shown again).
    Create {
        #[arg(long)]
        email: String,
    },
}

pub async fn token(common: &Common, cmd: TokenCommand) -> anyhow::Result<()> {
    let state = common.state(None).await?;
    let TokenCommand::Create { email } = cmd;
    let (account, _) = state
        .store
        .account_by_email(&email.trim().to_lowercase())
        .await?
        .ok_or_else(|| anyhow!("no account with the email {email}"))?;
    let token = crate::auth::new_token("cvx_");
    state.store.create_api_token(&crate::auth::token_hash(&token), account.id, state.clock.now()).await?;
    println!("{token}");
    Ok(())
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The account the export belongs to (its catalog, its limit of 20).
    #[arg(long, value_name = "EMAIL")]
    account: String,
    #[arg(long, value_name = "ID")]
    assistant: String,
    /// Days up to now, 1–365.
    #[arg(long, value_name = "N")]
    days: String,
    /// Also copy the file here.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

pub async fn export(common: &Common, args: ExportArgs) -> anyhow::Result<()> {
    let days = Days::parse(&args.days).map_err(|e| anyhow!("--days: {e}"))?;
    let state = common.state(None).await?;
    let (account, _) = state
        .store
        .account_by_email(&args.account.trim().to_lowercase())
        .await?
        .ok_or_else(|| anyhow!("no account with the email {}", args.account))?;
    let assistant = state
        .store
        .assistant_for(account.id, &args.assistant)
        .await?
        .ok_or_else(|| anyhow!("{} cannot see an assistant with the id {}", account.email, args.assistant))?;
    let (row, evicted) = crate::http::create_export(&state, account.id, &assistant, days, "server")
        .await
        .map_err(|e| anyhow!("{e}"))?;
    for gone in evicted {
        eprintln!("deleted the oldest export {} to stay within the limit", gone.filename);
    }
    crate::jobs::render_on_server(state.clone(), row.clone()).await;
    let done = state.store.export_by_id(&row.id).await?.ok_or_else(|| anyhow!("the export disappeared"))?;
    if done.status != "ready" {
        bail!("the export failed: {}", done.error.unwrap_or_default());
    }
    let path = state.files.path(&row.id).ok_or_else(|| anyhow!("the export's file is missing"))?;
    if let Some(out) = &args.out {
        std::fs::copy(&path, out).with_context(|| format!("cannot write {}", out.display()))?;
    }
    println!(
        "{} ready: {} conversations, {} messages, {} ({})",
        done.filename,
        done.conversations.unwrap_or(0),
        done.messages.unwrap_or(0),
        super::render::human_bytes(done.size_bytes.unwrap_or(0) as u64),
        args.out.as_ref().unwrap_or(&path).display()
    );
    Ok(())
}
