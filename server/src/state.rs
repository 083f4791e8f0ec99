//! The application state every request, job and command works with, built by one
//! constructor ([`AppState::open`]) for the server, the command line, tests and benches.

use crate::accounts::Accounts;
use crate::admin::Admin;
use crate::catalog::Catalog;
use crate::clock::Clock;
use crate::config::DataConfig;
use crate::files::FileStore;
use crate::ingest::Ingest;
use crate::jobs::Jobs;
use crate::settings::Settings;
use crate::store::Store;
use crate::webhooks::Webhooks;
use anyhow::Context;
use std::path::PathBuf;
use std::sync::Arc;

/// Everything a request handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub accounts: Accounts,
    pub catalog: Catalog,
    pub jobs: Jobs,
    pub ingest: Ingest,
    pub admin: Admin,
    pub webhooks: Webhooks,
    pub clock: Clock,
    pub settings: Arc<Settings>,
    /// The built web app (Trunk's `dist/`), if this process serves it.
    pub web_dir: Option<PathBuf>,
}

impl AppState {
    /// Connects to the database (bringing its schema up to date), opens the file store
    /// (creating the data directory) and wires accounts, the catalog and the jobs to them.
    pub async fn open(config: &DataConfig, clock: Clock, settings: Settings, web_dir: Option<PathBuf>) -> anyhow::Result<AppState> {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("cannot create the data directory {}", config.data_dir.display()))?;
        let store = Store::connect(&config.database_url()).await.context("cannot open the database")?;
        let storage = config.storage();
        let files = FileStore::open_with(&storage, &config.data_dir, &config.s3)
            .with_context(|| format!("cannot open the export files at {storage}"))?;
        let settings = Arc::new(settings);
        let accounts = Accounts::new(store.clone(), clock.clone(), settings.clone());
        let admin = Admin::new(store.clone(), accounts.clone(), clock.clone());
        let ingest = Ingest::new(store.clone(), clock.clone(), files.clone());
        let webhooks = Webhooks::new(store.clone(), clock.clone(), settings.clone());
        let catalog = Catalog::new(store.clone(), files, clock.clone(), settings.clone(), webhooks.clone());
        let jobs = Jobs::new(catalog.clone(), settings.render_slots);
        Ok(AppState { store, accounts, catalog, jobs, ingest, admin, webhooks, clock, settings, web_dir })
    }

    pub fn files(&self) -> &FileStore {
        self.catalog.files()
    }
}
