//! Background work: server-side rendering (asked for, handed over, or taken over when a
//! renderer went quiet) and the sweeper. Jobs call the catalog for every state change.
//!
//! Renders run off the async workers (rendering and file writes in `spawn_blocking`),
//! at most `render_slots` at once per process (one per core by default); the others
//! wait, shown as waiting in Available Exports, their heartbeat kept fresh so that no
//! other process takes them over.

use crate::catalog::{Catalog, Sweep};
use crate::store::{AssistantRow, ExportRow, Scope};
use bytes::Bytes;
use convo_model::api::Renderer;
use convo_render::{ExportHeader, ExportRenderer};
use futures_util::StreamExt;
use std::io::{Seek, Write};
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How often a waiting render says it is still there, and a render that writes its file
/// renews its lease (well within `Settings::render_lease`).
const WAITING_HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(10);
const LEASE_RENEWAL: std::time::Duration = std::time::Duration::from_secs(10);

/// Every this many sweeps, a whole one (listing every stored object); the others only
/// take over and run schedules, so a process that died is replaced within a lease and a
/// sweep (about 45 s by default).
const FULL_SWEEP_EVERY: u64 = 20;

/// Runs server-side work; cheap to clone.
#[derive(Clone)]
pub struct Jobs {
    catalog: Catalog,
    slots: Arc<Semaphore>,
}

impl Jobs {
    pub fn new(catalog: Catalog, render_slots: usize) -> Jobs {
        Jobs { catalog, slots: Arc::new(Semaphore::new(render_slots.max(1))) }
    }

    /// Renders `export` in the background.
    pub fn spawn_render(&self, export: ExportRow) -> tokio::task::JoinHandle<()> {
        let jobs = self.clone();
        tokio::spawn(async move { jobs.render(export).await })
    }

    /// Renders an export with the shared crate once a slot is free, streaming pages from
    /// the database into the file: memory stays bounded by one page. Failures mark the
    /// export failed.
    pub async fn render(&self, export: ExportRow) {
        let result = match self.slot(&export).await {
            Ok(Some(_permit)) => self.try_render(&export).await,
            Ok(None) => Ok(()),
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            tracing::error!(export = %export.id, error = %format!("{e:#}"), "server-side export failed");
            if let Err(e) = self.catalog.server_failed(&export).await {
                tracing::error!(export = %export.id, error = %e, "could not record the failure");
            }
        }
    }

    /// Waits for a render slot, shown as waiting meanwhile; `None` when the export went
    /// away while it waited.
    async fn slot(&self, export: &ExportRow) -> anyhow::Result<Option<OwnedSemaphorePermit>> {
        let permit = match self.slots.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => loop {
                if !self.catalog.server_waiting(export, true).await? {
                    return Ok(None);
                }
                tokio::select! {
                    permit = self.slots.clone().acquire_owned() => break permit?,
                    _ = tokio::time::sleep(WAITING_HEARTBEAT) => {}
                }
            },
        };
        Ok(self.catalog.server_waiting(export, false).await?.then_some(permit))
    }

    async fn try_render(&self, export: &ExportRow) -> anyhow::Result<()> {
        let catalog = &self.catalog;
        let assistant = AssistantRow { pk: export.assistant_pk, id: export.assistant_id.clone(), name: export.assistant_name.clone() };
        let mut work = Some(Work {
            // The header the browser renders from the same catalog entry: the same bytes.
            renderer: ExportRenderer::new(ExportHeader::for_export(&export.info())),
            body: catalog.files().scratch()?,
            html: String::new(),
        });
        let mut cursor = None;
        loop {
            let scope = Scope { assistant: &assistant, range: export.range, filters: &export.filters };
            let page = catalog.store().conversation_page(scope, cursor, catalog.settings().page).await?;
            let mut w = work.take().ok_or_else(|| anyhow::anyhow!("render state lost"))?;
            let conversations = page.conversations;
            let w = tokio::task::spawn_blocking(move || -> std::io::Result<Work> {
                w.renderer.push_page(&conversations, &mut w.html);
                w.body.write_all(w.html.as_bytes())?;
                w.html.clear();
                Ok(w)
            })
            .await??;
            let done = w.renderer.messages() as i64;
            work = Some(w);
            if !catalog.server_progress(export, Some(done)).await? {
                tracing::info!(export = %export.id, "export deleted while rendering; stopped");
                return Ok(());
            }
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        let Work { renderer, mut body, .. } = work.ok_or_else(|| anyhow::anyhow!("render state lost"))?;
        let parts = renderer.finish();
        let body = tokio::task::spawn_blocking(move || -> std::io::Result<std::fs::File> {
            body.as_file().sync_data()?;
            body.rewind()?;
            body.reopen()
        })
        .await??;
        // head + body + tail, streamed into a new object and hashed on the way.
        let chunks = futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from(parts.head))])
            .chain(tokio_util::io::ReaderStream::with_capacity(tokio::fs::File::from_std(body), 1 << 20))
            .chain(futures_util::stream::iter([Ok(Bytes::from(parts.tail))]));
        // The lease is renewed while the file is written (a big file to S3 takes a while).
        let heartbeat = {
            let (catalog, export) = (catalog.clone(), export.clone());
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(LEASE_RENEWAL).await;
                    if !catalog.server_progress(&export, None).await.unwrap_or(false) {
                        return;
                    }
                }
            })
        };
        let written = catalog.files().write(&export.id, chunks, u64::MAX, None).await;
        heartbeat.abort();
        let written = written?;
        let counts = Some((parts.conversations as i64, parts.messages as i64));
        catalog.finish(export, Renderer::Server, &written, counts, "server").await?;
        Ok(())
    }

    /// One whole sweep: retention, orphan files, expired sessions and tokens, exports
    /// whose renderer went quiet, and the periods schedules owe; renders run in the
    /// background.
    pub async fn sweep_once(&self) -> anyhow::Result<Sweep> {
        let mut sweep = self.catalog.sweep().await?;
        let tick = self.tick().await?;
        sweep.taken_over = tick.taken_over;
        sweep.scheduled = tick.scheduled;
        Ok(sweep)
    }

    /// The frequent part of a sweep: take-overs and schedules.
    async fn tick(&self) -> anyhow::Result<Sweep> {
        let mut sweep = Sweep::default();
        for export in self.catalog.take_over_stale().await? {
            sweep.taken_over += 1;
            self.spawn_render(export);
        }
        for created in self.catalog.run_due_schedules().await? {
            sweep.scheduled += 1;
            self.spawn_render(created.export);
        }
        Ok(sweep)
    }

    /// Runs the sweeper now and then every `every`: take-overs and schedules each time,
    /// the whole sweep (which lists every stored object) every `FULL_SWEEP_EVERY`th.
    pub fn spawn_sweeper(&self, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
        let jobs = self.clone();
        tokio::spawn(async move {
            for n in 0u64.. {
                let result = if n.is_multiple_of(FULL_SWEEP_EVERY) { jobs.sweep_once().await } else { jobs.tick().await };
                match result {
                    Ok(s) if s != Sweep::default() => tracing::info!(?s, "swept"),
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %format!("{e:#}"), "sweep failed"),
                }
                tokio::time::sleep(every).await;
            }
        })
    }
}

/// A render between pages: the renderer, its scratch body file, and a reused buffer.
struct Work {
    renderer: ExportRenderer,
    body: tempfile::NamedTempFile,
    html: String,
}
