//! `import`, `account`, `token` and `export`: what an operator runs by hand. Long runs
//! show a progress bar on stderr; errors name what to change.

use super::{catalog_error, open};
use crate::catalog::{ExportRequest, Span};
use crate::config::DataConfig;
use anyhow::{Context, anyhow, bail};
use clap::{Args, Subcommand};
use convo_model::Days;
use convo_model::ExportFilters;
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
pub(super) async fn account_of(state: &crate::state::AppState, email: &str) -> anyhow::Result<crate::store::AccountRef> {
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
        #[arg(long, value_name = "DAYS", default_value_t = 90, value_parser = clap::value_parser!(u16).range(1..=3650))]
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
    match cmd {
        TokenCommand::Create { email, ingest, assistant, expires_in } => {
            let account = account_of(&state, &email).await?;
            let expires = Some(chrono::Duration::days(i64::from(expires_in)));
            let (id, token) = if ingest {
                let assistants = crate::ingest::scope(&assistant).map_err(|e| anyhow!("--assistant: {e}"))?;
                state.accounts.create_ingest_token(&account, &assistants, expires).await?
            } else {
                state.accounts.create_token(&account, expires).await?
            };
            let what = if ingest { format!("ingest token for {}", assistant.join(", ")) } else { "token".into() };
            eprintln!("{what} {id} of {}, expires in {expires_in} days", account.email);
            println!("{token}");
        }
        TokenCommand::List { email } => {
            let account = account_of(&state, &email).await?;
            let when = |t: Option<convo_model::Timestamp>, none: &str| {
                t.map_or_else(|| none.to_string(), |e| e.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            };
            for t in state.accounts.tokens(&account).await? {
                let expired = if t.expires_at.is_some_and(|e| e <= state.clock.now()) { " (expired)" } else { "" };
                let kind = match t.kind {
                    convo_model::api::TokenKind::Personal => "personal".to_string(),
                    convo_model::api::TokenKind::Ingest => format!("ingest ({})", t.assistants.join(", ")),
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
            if state.accounts.revoke_token(&id).await?.is_none() {
                bail!("no token with the id {id:?} (see `token list`)");
            }
            println!("token {id} revoked");
        }
    }
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
        .create(
            &account,
            ExportRequest {
                assistant_id: args.assistant.clone(),
                span: Span::Days(days),
                filters: ExportFilters::default(),
                renderer: Renderer::Server,
            },
        )
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
    if let Some(out) = &args.out {
        save(&state, &done, out).await?;
    }
    println!(
        "{} ready: {} conversations, {} messages, {} ({})",
        done.filename,
        done.conversations.unwrap_or(0),
        done.messages.unwrap_or(0),
        HumanBytes(done.size_bytes.unwrap_or(0) as u64),
        args.out.as_ref().map_or_else(|| format!("in {}", state.files().storage()), |p| p.display().to_string())
    );
    Ok(())
}

/// Copies a ready export's file to `out`, whole or not at all.
async fn save(state: &crate::state::AppState, export: &crate::store::ExportRow, out: &std::path::Path) -> anyhow::Result<()> {
    use futures_util::TryStreamExt;
    let key = export.file_key.as_deref().ok_or_else(|| anyhow!("the export has no file"))?;
    let (_, mut body) = state.files().read(key, None).await?;
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let temp = tempfile::NamedTempFile::new_in(&dir).with_context(|| format!("cannot write in {}", dir.display()))?;
    let mut file = tokio::fs::File::from_std(temp.reopen()?);
    while let Some(chunk) = body.try_next().await? {
        tokio::io::AsyncWriteExt::write_all(&mut file, &chunk).await?;
    }
    tokio::io::AsyncWriteExt::flush(&mut file).await?;
    temp.persist(out).with_context(|| format!("cannot write {}", out.display()))?;
    Ok(())
}
