//! `import` and `export`: what an operator runs by hand (`account` and `token` are in
//! `accounts.rs`). Long runs
//! show a progress bar on stderr; errors name what to change.

use super::{account_of, catalog_error, open};
use crate::catalog::{ExportRequest, Span};
use crate::config::DataConfig;
use anyhow::{Context, anyhow, bail};
use clap::Args;
use convo_model::Days;
use convo_model::ExportFilters;
use convo_model::api::{ExportStatus, Renderer};
use indicatif::{HumanBytes, ProgressBar, ProgressStyle};
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
                redaction: convo_model::Redaction::default(),
                format: convo_model::Format::Html,
                time_zone: None,
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
