//! The export catalog: every rule of an export's life, each one function that returns a
//! typed [`CatalogError`]. Create (by days or since the last export, with filters, with
//! eviction), upload completion, progress, failure, hand-over, take-over, holds,
//! schedules and their periods, receipts, the activity trail, delete and retention live
//! here; `http/` maps the errors to status codes, `cli/` to messages, and `jobs` renders
//! what the catalog hands it.
//!
//! The catalog sits on the store (rows) and the file store (bytes); nothing here knows
//! about HTTP or the command line.

mod activity;
mod checks;
mod create;
mod download;
mod holds;
mod lifecycle;
mod masking;
mod pages;
mod parts;
pub mod periods;
pub mod receipts;
mod retention;
mod schedules;
mod stream;
mod upload;

pub use checks::CheckOutcome;
pub use create::{Created, ExportRequest, Span};
pub use download::{FileRead, Reading};
pub use pages::{Browse, Browsed, EXPORT_PAGE, Order};
pub use parts::{MAX_PART_BYTES, MAX_PARTS};
pub use retention::Sweep;
pub use schedules::Ran;
pub use stream::PagesAhead;
pub use upload::{Digest, Rendered, UploadBody};

use crate::clock::Clock;
use crate::files::FileStore;
use crate::settings::Settings;
use crate::store::{AccountRef, ExportRow, Store, StoreError};
use convo_model::api::{ExportStatus, Renderer};
use std::sync::Arc;

/// Why a catalog operation was refused. Each says what to change; `Internal` hides its
/// cause from clients (it is logged).
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("no such assistant")]
    NoSuchAssistant,
    #[error("no such export")]
    NoSuchExport,
    #[error("no such schedule")]
    NoSuchSchedule,
    /// A state or a limit that does not allow it (409), said so a person can act on it.
    #[error("{0}")]
    Conflict(String),
    /// A browser reported on an export that is no longer its own to report on.
    #[error("{}", not_the_browsers(*.0))]
    NotTheBrowsers(ExportStatus),
    #[error("this export is {0}, not ready")]
    NotReady(ExportStatus),
    /// A browser's upload the server is still reproducing before it vouches for it.
    #[error("the server is still reproducing this file from its own data before it vouches for it: ask again in a moment")]
    BeingVerified,
    #[error("{0}")]
    BadInput(String),
    /// Well-formed, but not acceptable as what it claims to be (422).
    #[error("{0}")]
    Unprocessable(String),
    /// Too much at once for now (429): say what to wait for.
    #[error("{0}")]
    Busy(String),
    #[error("an export may be at most {0} bytes")]
    TooLarge(u64),
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

fn not_the_browsers(status: ExportStatus) -> String {
    match status {
        ExportStatus::Processing => "the server has taken this export over".into(),
        status => format!("this export is {status}"),
    }
}

impl From<StoreError> for CatalogError {
    fn from(e: StoreError) -> Self {
        CatalogError::Internal(e.into())
    }
}

impl From<std::io::Error> for CatalogError {
    fn from(e: std::io::Error) -> Self {
        CatalogError::Internal(e.into())
    }
}

pub type Result<T, E = CatalogError> = std::result::Result<T, E>;

/// The catalog: cheap to clone, shared by requests, jobs and the command line.
#[derive(Clone)]
pub struct Catalog {
    store: Store,
    files: FileStore,
    clock: Clock,
    settings: Arc<Settings>,
    /// This process, as the owner of the server renders it holds leases on.
    instance: Arc<str>,
    streams: crate::shares::Shares,
    /// Told of exports ready, failed, expiring and scheduled.
    webhooks: crate::webhooks::Webhooks,
}

impl Catalog {
    pub fn new(store: Store, files: FileStore, clock: Clock, settings: Arc<Settings>, webhooks: crate::webhooks::Webhooks) -> Catalog {
        let instance = format!("proc_{}", &crate::auth::new_export_id()[..12]).into();
        Catalog { store, files, clock, settings, instance, streams: stream::streams(), webhooks }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn files(&self) -> &FileStore {
        &self.files
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The account's live exports, newest first.
    pub async fn list(&self, account: &AccountRef) -> Result<Vec<ExportRow>> {
        Ok(self.store.list_exports(account.id, self.clock.now()).await?)
    }

    /// The account's export; another account's, or an expired one, does not exist.
    pub async fn get(&self, account: &AccountRef, id: &str) -> Result<ExportRow> {
        self.store.export_for(account.id, id, self.clock.now()).await?.ok_or(CatalogError::NoSuchExport)
    }

    /// The account's export, if a browser is still rendering it.
    async fn browsers(&self, account: &AccountRef, id: &str) -> Result<ExportRow> {
        still_the_browsers(self.get(account, id).await?)
    }
}

/// `export`, if a browser is still rendering it.
fn still_the_browsers(export: ExportRow) -> Result<ExportRow> {
    if export.status != ExportStatus::Processing || export.renderer != Renderer::Browser {
        return Err(CatalogError::NotTheBrowsers(export.status));
    }
    Ok(export)
}
