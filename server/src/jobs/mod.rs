//! Background work: server-side rendering (asked for, handed over, or taken over when a
//! renderer went quiet), the check of each browser upload against the server's own
//! render of it, and the sweeper. Jobs call the catalog for every state change.
//!
//! Renders and checks run off the async workers (rendering and file writes in
//! `spawn_blocking`), at most `render_slots` at once per process (one per core by
//! default), shared fairly between accounts ([`slots`]); the others wait, a waiting
//! render shown as waiting in Available Exports, its lease kept fresh so that no other
//! process takes it over.

mod render;
mod slots;

pub use slots::Slots;

use crate::catalog::{Catalog, Rendered, Sweep};
use crate::store::ExportRow;
use slots::{Asked, Slot};

/// How often a waiting render says it is still there, and a render that writes its file
/// renews its lease (well within `Settings::render_lease`).
const WAITING_HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(10);
const LEASE_RENEWAL: std::time::Duration = std::time::Duration::from_secs(10);

/// Every this many sweeps, a whole one (listing every stored object); the others only
/// take over, start checks and run schedules, so a process that died is replaced within
/// a lease and a sweep (about 45 s by default).
const FULL_SWEEP_EVERY: u64 = 20;

/// What a job holds a lease on: a server export it renders, or the check of an upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lease {
    Render,
    Check,
}

impl Lease {
    /// Renews the lease (with the progress of a render); false when it is lost.
    async fn renew(self, catalog: &Catalog, export: &ExportRow, done: Option<i64>) -> anyhow::Result<bool> {
        Ok(match self {
            Lease::Render => catalog.server_progress(export, done).await?,
            Lease::Check => catalog.renew_check(export).await?,
        })
    }

    /// Renews the lease of a job waiting for a slot (a render is shown as waiting).
    async fn waiting(self, catalog: &Catalog, export: &ExportRow) -> anyhow::Result<bool> {
        Ok(match self {
            Lease::Render => catalog.server_waiting(export).await?,
            Lease::Check => catalog.renew_check(export).await?,
        })
    }

    /// Renews the lease of a job that got its slot (a render no longer waits).
    async fn starting(self, catalog: &Catalog, export: &ExportRow) -> anyhow::Result<bool> {
        Ok(match self {
            Lease::Render => catalog.server_starting(export).await?,
            Lease::Check => catalog.renew_check(export).await?,
        })
    }
}

/// Runs server-side work; cheap to clone.
#[derive(Clone)]
pub struct Jobs {
    catalog: Catalog,
    slots: Slots,
}

impl Jobs {
    pub fn new(catalog: Catalog, render_slots: usize) -> Jobs {
        Jobs { catalog, slots: Slots::new(render_slots) }
    }

    /// Renders `export` in the background.
    pub fn spawn_render(&self, export: ExportRow) -> tokio::task::JoinHandle<()> {
        let jobs = self.clone();
        tokio::spawn(async move { jobs.render(export).await })
    }

    /// Checks a browser's upload in the background.
    pub fn spawn_check(&self, export: ExportRow) -> tokio::task::JoinHandle<()> {
        let jobs = self.clone();
        tokio::spawn(async move { jobs.check(export).await })
    }

    /// Renders an export with the shared crate once a slot is free, streaming pages from
    /// the database into the file: memory stays bounded by one page. Failures mark the
    /// export failed.
    pub async fn render(&self, export: ExportRow) {
        let result = match self.slot(&export, Lease::Render).await {
            Ok(Some(_slot)) => self.try_render(&export).await,
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

    /// Reproduces a browser's upload from the server's own data, once a slot is free,
    /// and records whether the two are the same bytes. A check that fails to run is left
    /// pending: its lease lapses and a sweep tries again.
    pub async fn check(&self, export: ExportRow) {
        let result = match self.catalog.claim_check(&export).await {
            Ok(true) => match self.slot(&export, Lease::Check).await {
                Ok(Some(_slot)) => self.try_check(&export).await,
                Ok(None) => Ok(()),
                Err(e) => Err(e),
            },
            Ok(false) => Ok(()),
            Err(e) => Err(e.into()),
        };
        if let Err(e) = result {
            tracing::error!(export = %export.id, error = %format!("{e:#}"), "checking an upload failed; a sweep retries it");
        }
    }

    /// Waits for a render slot in the account's turn, renewing the lease meanwhile;
    /// `None` when the export went away (or the lease was lost) while it waited.
    async fn slot(&self, export: &ExportRow, lease: Lease) -> anyhow::Result<Option<Slot>> {
        let slot = match self.slots.ask(export.account_id) {
            Asked::Now(slot) => slot,
            Asked::Queued(mut waiting) => loop {
                if !lease.waiting(&self.catalog, export).await? {
                    return Ok(None);
                }
                tokio::select! {
                    slot = &mut waiting => break slot?,
                    _ = tokio::time::sleep(WAITING_HEARTBEAT) => {}
                }
            },
        };
        Ok(lease.starting(&self.catalog, export).await?.then_some(slot))
    }

    async fn try_render(&self, export: &ExportRow) -> anyhow::Result<()> {
        let catalog = &self.catalog;
        let Some(rendered) = render::render(catalog, export, Lease::Render).await? else { return Ok(()) };
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
        let written = catalog.files().write(&export.id, rendered.file, u64::MAX, None).await;
        heartbeat.abort();
        let made = Rendered { conversations: rendered.conversations, messages: rendered.messages, figures: &rendered.figures };
        catalog.finish_render(export, &written?, made).await?;
        Ok(())
    }

    async fn try_check(&self, export: &ExportRow) -> anyhow::Result<()> {
        let started = std::time::Instant::now();
        let Some(rendered) = render::render(&self.catalog, export, Lease::Check).await? else { return Ok(()) };
        let (sha256, size) = render::digest(rendered.file).await?;
        let outcome = self.catalog.record_check(export, sha256, size).await?;
        tracing::info!(export = %export.id, ?outcome, took_ms = started.elapsed().as_millis() as u64, "upload checked");
        Ok(())
    }

    /// One whole sweep: retention, orphan files, expired sessions and tokens, exports
    /// whose renderer went quiet, checks nobody runs, and the periods schedules owe;
    /// renders run in the background.
    pub async fn sweep_once(&self) -> anyhow::Result<Sweep> {
        let mut sweep = self.catalog.sweep().await?;
        let tick = self.tick().await?;
        sweep.taken_over = tick.taken_over;
        sweep.scheduled = tick.scheduled;
        sweep.checks = tick.checks;
        sweep.expiring = tick.expiring;
        Ok(sweep)
    }

    /// The frequent part of a sweep: take-overs, checks and schedules.
    async fn tick(&self) -> anyhow::Result<Sweep> {
        let mut sweep = Sweep::default();
        for export in self.catalog.take_over_stale().await? {
            sweep.taken_over += 1;
            self.spawn_render(export);
        }
        for export in self.catalog.unclaimed_checks().await? {
            sweep.checks += 1;
            self.spawn_check(export);
        }
        for created in self.catalog.run_due_schedules().await? {
            sweep.scheduled += 1;
            self.spawn_render(created.export);
        }
        sweep.expiring = self.catalog.announce_expiring().await?;
        Ok(sweep)
    }

    /// Runs the sweeper now and then every `every`: take-overs, checks and schedules each
    /// time, the whole sweep (which lists every stored object) every `FULL_SWEEP_EVERY`th.
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
