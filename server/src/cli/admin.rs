//! `import`, `account`, `token` and `export`: what an operator runs by hand. Long runs
//! show a progress bar on stderr; errors name what to change.

use super::{catalog_error, open};
use crate::config::DataConfig;
use anyhow::{Context, anyhow, bail};
use clap::{Args, Subcommand};
use convo_model::Days;
use convo_model::api::{ExportStatus, Renderer};
use indicatif::{HumanBytes, ProgressBar, ProgressStyle};
use std::io::Read;
use std::path::PathBuf;

/// A bar on stderr (hidden when stderr is not a terminal, as indicatif decides).
pub(super) fn progress_bar(template: &str) -> ProgressBar {
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The conversations, in the import format (JSON Lines).
    #[arg(value_name = "FILE.jsonl")]
    file: PathBuf,
}

pub async fn import(data: &DataConfig, args: ImportArgs) -> anyhow::Result<()> {
    let state = open(data).await?;
    let bar = progress_bar("importing {bar:40} {pos}/{len} conversations ({eta} left)");
    let report = crate::import::import_file(&state.store, &args.file, state.clock.now(), &bar).await;
    bar.finish_and_clear();
    let report = report?;
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

/// The account with this email, or an error that says there is none.
async fn account_of(state: &crate::state::AppState, email: &str) -> anyhow::Result<crate::store::AccountRef> {
    let (account, _) =
        state.store.account_by_email(&email.trim().to_lowercase()).await?.ok_or_else(|| anyhow!("no account with the email {email}"))?;
    Ok(account)
}

pub async fn account(data: &DataConfig, cmd: AccountCommand) -> anyhow::Result<()> {
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
            let state = open(data).await?;
            let hash = crate::auth::hash_password(password);
            state.store.create_account(&email, name.trim(), &hash, state.clock.now()).await?;
            println!("account {email} created");
        }
        AccountCommand::Grant { email, assistant } => {
            let state = open(data).await?;
            let account = account_of(&state, &email).await?;
            let row = state
                .store
                .assistant_by_public_id(&assistant)
                .await?
                .ok_or_else(|| anyhow!("no assistant with the id {assistant:?} (import its conversations first)"))?;
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

pub async fn token(data: &DataConfig, cmd: TokenCommand) -> anyhow::Result<()> {
    let state = open(data).await?;
    let TokenCommand::Create { email } = cmd;
    let account = account_of(&state, &email).await?;
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

pub async fn export(data: &DataConfig, args: ExportArgs) -> anyhow::Result<()> {
    let days = Days::parse(&args.days).map_err(|e| anyhow!("--days: {e}"))?;
    let state = open(data).await?;
    let account = account_of(&state, &args.account).await?;
    let created = state
        .catalog
        .create(&account, &args.assistant, days, Renderer::Server)
        .await
        .map_err(|e| catalog_error(e, &account.email, &args.assistant))?;
    for gone in &created.evicted {
        eprintln!("deleted the oldest export {} to stay within the limit", gone.filename);
    }
    let id = created.export.id.clone();
    let bar = progress_bar("exporting {bar:40} {pos}/{len} messages ({eta} left)");
    bar.set_length(created.export.progress_total.max(0) as u64);
    let render = state.jobs.spawn_render(created.export);
    // The job records its progress in the catalog, as every renderer does: read it back.
    while !render.is_finished() {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        if let Some(now) = state.store.export_by_id(&id).await? {
            bar.set_position(now.progress_done.max(0) as u64);
        }
    }
    bar.finish_and_clear();
    render.await.context("the render stopped")?;
    let done = state.catalog.get(&account, &id).await.map_err(|e| catalog_error(e, &account.email, &args.assistant))?;
    if done.status != ExportStatus::Ready {
        bail!("the export failed: {}", done.error.unwrap_or_default());
    }
    let path = state.files().path(&id).ok_or_else(|| anyhow!("the export's file is missing"))?;
    if let Some(out) = &args.out {
        std::fs::copy(&path, out).with_context(|| format!("cannot write {}", out.display()))?;
    }
    println!(
        "{} ready: {} conversations, {} messages, {} ({})",
        done.filename,
        done.conversations.unwrap_or(0),
        done.messages.unwrap_or(0),
        HumanBytes(done.size_bytes.unwrap_or(0) as u64),
        args.out.as_ref().unwrap_or(&path).display()
    );
    Ok(())
}
