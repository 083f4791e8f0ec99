//! The database: one implementation over sqlx's `Any` driver, so that one build serves
//! SQLite and PostgreSQL; each has its own migrations. Queries are runtime-checked with
//! `$N` parameters, which both databases accept. Times are stored as UTC milliseconds.
//!
//! One `impl Store` block per concern: [`accounts`] (accounts, sessions, tokens),
//! [`assistants`], [`conversations`] (pages and the import's writes), [`exports`] (the
//! catalog's rows, holds, retention), [`export_states`] (a processing export's state
//! changes), [`verifications`] (the check of an upload against the server's own render),
//! [`schedules`], [`signing`] (the receipt key), [`throttle`] (login attempts, shared by
//! every process) and [`audit`]. The rules of
//! the catalog live above, in `catalog`.

pub mod accounts;
pub mod assistants;
pub mod audit;
pub mod conversations;
pub mod export_states;
pub mod exports;
pub mod ingest_keys;
pub mod parts;
pub mod retention;
pub mod schedules;
pub mod signing;
pub mod throttle;
pub mod tokens;
pub mod verifications;
pub mod webhooks;
pub mod writes;

pub use accounts::AccountRef;
pub use assistants::AssistantRow;
pub use conversations::{Chosen, Cursor, Page, PageLimits, Scope, StoredConversation, parse_stored};
pub use export_states::{FinishedFile, Owner, Waiting};
pub use exports::{Evicted, ExportRow, NewExport, NotCreated, PeriodClaim};
pub use ingest_keys::KeyClaim;
pub use parts::StoredPart;
pub use retention::Hold;
pub use schedules::{NewSchedule, ScheduleRow};
pub use signing::StoredKey;
pub use tokens::{LiveToken, NewToken};
pub use writes::{NewConversation, NewMessage, Upsert, Writer};

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Conflict(String),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    #[error("unsupported database URL {0:?}: use sqlite://… or postgres://…")]
    UnsupportedUrl(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    pub backend: Backend,
    /// SQLite's writers, one at a time in this process ([`writes::Writer`] holds it):
    /// SQLite takes one writer anyway, and a second one waiting in its busy handler
    /// sleeps in steps of up to 100 ms, where this wakes it the moment the first commits
    /// (two ingest senders on SQLite: see the README's ingest figures). PostgreSQL's
    /// writers run side by side and need none.
    sqlite_writes: Option<Arc<tokio::sync::Mutex<()>>>,
}

impl Store {
    /// Connects, and brings the schema up to date.
    pub async fn connect(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        };
        // Pages keep the database busy on the CPU: more connections than twice the cores
        // only queue in the kernel and stretch the slowest page (measured: `cargo bench
        // -p convo-server`).
        let connections = (2 * std::thread::available_parallelism().map_or(2, |n| n.get()) as u32).max(4);
        let pool = match backend {
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(connections)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute(
                                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect(url)
                    .await?
            }
            Backend::Postgres => AnyPoolOptions::new().max_connections(connections).connect(url).await?,
        };
        match backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite").run(&pool).await?,
            Backend::Postgres => sqlx::migrate!("migrations/postgres").run(&pool).await?,
        }
        let sqlite_writes = (backend == Backend::Sqlite).then(|| Arc::new(tokio::sync::Mutex::new(())));
        Ok(Store { pool, backend, sqlite_writes })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Maps a unique violation to a conflict that says what exists already.
fn conflict_on_unique(e: sqlx::Error, what: impl FnOnce() -> String) -> StoreError {
    match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(what()),
        e => e.into(),
    }
}
