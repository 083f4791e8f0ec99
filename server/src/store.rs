//! The database: one implementation over sqlx's `Any` driver, so that one build serves
//! SQLite and PostgreSQL; each has its own migrations. Queries are runtime-checked with
//! `$N` parameters, which both databases accept. Times are stored as UTC milliseconds.

use crate::clock::{from_ms, ms};
use convo_model::{Channel, Contact, Conversation, ConversationStatus, Message, TimeRange, Timestamp};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};

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
}

/// An account as requests see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRef {
    pub id: i64,
    pub email: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct AssistantRow {
    pub pk: i64,
    pub id: String,
    pub name: String,
}

/// Where a page of conversations starts: after this (started_at, row id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub started_at_ms: i64,
    pub id: i64,
}

impl Cursor {
    pub fn encode(self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{}.{}", self.started_at_ms, self.id))
    }

    pub fn decode(raw: &str) -> Option<Cursor> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(raw).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (a, b) = text.split_once('.')?;
        Some(Cursor { started_at_ms: a.parse().ok()?, id: b.parse().ok()? })
    }
}

/// How big one page may get: bounded by conversations, messages and bytes.
#[derive(Debug, Clone, Copy)]
pub struct PageLimits {
    pub conversations: i64,
    pub messages: i64,
    pub bytes: i64,
}

impl Default for PageLimits {
    fn default() -> Self {
        // Small enough for a page to be served in a few milliseconds even under load.
        PageLimits { conversations: 200, messages: 500, bytes: 512 << 10 }
    }
}

pub struct Page<C = Conversation> {
    pub conversations: Vec<C>,
    pub next: Option<Cursor>,
}

/// A conversation of a page with its messages still the JSON they were stored as
/// (exported fields only): HTTP pages pass it through instead of parsing and
/// re-serialising it.
pub type StoredConversation = Conversation<Box<serde_json::value::RawValue>>;

/// The stored conversation with its messages parsed.
pub fn parse_stored(conversation: StoredConversation) -> Result<Conversation> {
    let messages: Vec<Message> = serde_json::from_str(conversation.messages.get())
        .map_err(|e| StoreError::Corrupt(format!("messages of conversation {}: {e}", conversation.id)))?;
    Ok(conversation.with_messages(messages))
}

pub use convo_model::api::{EvictedExport as Evicted, Totals};

/// One row of the export catalog, joined with its assistant.
#[derive(Debug, Clone)]
pub struct ExportRow {
    pub id: String,
    pub account_id: i64,
    pub assistant_pk: i64,
    pub assistant_id: String,
    pub assistant_name: String,
    pub filename: String,
    pub days: i64,
    pub range: TimeRange,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub status: String,
    pub renderer: String,
    pub progress_done: i64,
    pub progress_total: i64,
    pub heartbeat_at: Timestamp,
    pub error: Option<String>,
    pub size_bytes: Option<i64>,
    pub sha256: Option<String>,
    pub conversations: Option<i64>,
    pub messages: Option<i64>,
}

pub struct NewExport<'a> {
    pub id: &'a str,
    pub account_id: i64,
    pub assistant: &'a AssistantRow,
    pub filename: &'a str,
    pub days: i64,
    pub range: TimeRange,
    pub now: Timestamp,
    pub expires_at: Timestamp,
    pub renderer: &'a str,
    pub max_exports: i64,
    pub totals: Totals,
}


const EXPORT_COLUMNS: &str = "e.id, e.account_id, e.assistant_id AS assistant_pk, a.public_id AS assistant_public_id, a.name AS assistant_name, e.filename, e.days, e.range_from, e.range_to, e.created_at, e.expires_at, e.status, e.renderer, e.progress_done, e.progress_total, e.heartbeat_at, e.error, e.size_bytes, e.sha256, e.conversations, e.messages";

fn export_row(r: &AnyRow) -> Result<ExportRow> {
    Ok(ExportRow {
        id: r.try_get("id")?,
        account_id: r.try_get("account_id")?,
        assistant_pk: r.try_get("assistant_pk")?,
        assistant_id: r.try_get("assistant_public_id")?,
        assistant_name: r.try_get("assistant_name")?,
        filename: r.try_get("filename")?,
        days: r.try_get("days")?,
        range: TimeRange { from: from_ms(r.try_get("range_from")?), to: from_ms(r.try_get("range_to")?) },
        created_at: from_ms(r.try_get("created_at")?),
        expires_at: from_ms(r.try_get("expires_at")?),
        status: r.try_get("status")?,
        renderer: r.try_get("renderer")?,
        progress_done: r.try_get("progress_done")?,
        progress_total: r.try_get("progress_total")?,
        heartbeat_at: from_ms(r.try_get("heartbeat_at")?),
        error: r.try_get("error")?,
        size_bytes: r.try_get("size_bytes")?,
        sha256: r.try_get("sha256")?,
        conversations: r.try_get("conversations")?,
        messages: r.try_get("messages")?,
    })
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
        Ok(Store { pool, backend })
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    // ---- accounts, sessions, tokens -------------------------------------------------

    pub async fn is_empty(&self) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts").fetch_one(&self.pool).await?;
        Ok(n == 0)
    }

    pub async fn create_account(&self, email: &str, name: &str, password_hash: &str, now: Timestamp) -> Result<i64> {
        let result = sqlx::query_scalar(
            "INSERT INTO accounts (email, name, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(email)
        .bind(name)
        .bind(password_hash)
        .bind(ms(now))
        .fetch_one(&self.pool)
        .await;
        match result {
            Ok(id) => Ok(id),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(StoreError::Conflict(format!("an account with the email {email} already exists")))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The account and its password hash.
    pub async fn account_by_email(&self, email: &str) -> Result<Option<(AccountRef, String)>> {
        let row = sqlx::query("SELECT id, email, name, password_hash FROM accounts WHERE email = $1")
            .bind(email)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok((
                AccountRef { id: r.try_get("id")?, email: r.try_get("email")?, name: r.try_get("name")? },
                r.try_get("password_hash")?,
            ))
        })
        .transpose()
    }

    pub async fn create_session(&self, token_hash: &str, account_id: i64, now: Timestamp, expires: Timestamp) -> Result<()> {
        sqlx::query("INSERT INTO sessions (token_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(account_id)
            .bind(ms(now))
            .bind(ms(expires))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await?;
        Ok(())
    }

    pub async fn session_account(&self, token_hash: &str, now: Timestamp) -> Result<Option<AccountRef>> {
        let row = sqlx::query(
            "SELECT a.id, a.email, a.name FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(token_hash)
        .bind(ms(now))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok(AccountRef { id: r.try_get("id")?, email: r.try_get("email")?, name: r.try_get("name")? }))
            .transpose()
    }

    pub async fn create_api_token(&self, token_hash: &str, account_id: i64, now: Timestamp) -> Result<()> {
        sqlx::query("INSERT INTO api_tokens (token_hash, account_id, created_at) VALUES ($1, $2, $3)")
            .bind(token_hash)
            .bind(account_id)
            .bind(ms(now))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn token_account(&self, token_hash: &str) -> Result<Option<AccountRef>> {
        let row = sqlx::query(
            "SELECT a.id, a.email, a.name FROM api_tokens t JOIN accounts a ON a.id = t.account_id WHERE t.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok(AccountRef { id: r.try_get("id")?, email: r.try_get("email")?, name: r.try_get("name")? }))
            .transpose()
    }

    // ---- assistants -----------------------------------------------------------------

    /// The assistant's row id, creating the assistant (named after its id) when unknown.
    pub async fn ensure_assistant(&self, public_id: &str, name: Option<&str>, now: Timestamp) -> Result<i64> {
        sqlx::query("INSERT INTO assistants (public_id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (public_id) DO NOTHING")
            .bind(public_id)
            .bind(name.unwrap_or(public_id))
            .bind(ms(now))
            .execute(&self.pool)
            .await?;
        if let Some(name) = name {
            sqlx::query("UPDATE assistants SET name = $1 WHERE public_id = $2")
                .bind(name)
                .bind(public_id)
                .execute(&self.pool)
                .await?;
        }
        Ok(sqlx::query_scalar("SELECT id FROM assistants WHERE public_id = $1").bind(public_id).fetch_one(&self.pool).await?)
    }

    pub async fn set_assistant_config(&self, public_id: &str, config_json: &str) -> Result<()> {
        sqlx::query("UPDATE assistants SET config_json = $1 WHERE public_id = $2")
            .bind(config_json)
            .bind(public_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn assistant_by_public_id(&self, public_id: &str) -> Result<Option<AssistantRow>> {
        let row = sqlx::query("SELECT id, public_id, name FROM assistants WHERE public_id = $1")
            .bind(public_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| assistant_row(&r)).transpose()
    }

    pub async fn grant(&self, account_id: i64, assistant_pk: i64) -> Result<()> {
        sqlx::query("INSERT INTO account_assistants (account_id, assistant_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(account_id)
            .bind(assistant_pk)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn assistants_for(&self, account_id: i64) -> Result<Vec<AssistantRow>> {
        let rows = sqlx::query(
            "SELECT a.id, a.public_id, a.name FROM assistants a JOIN account_assistants g ON g.assistant_id = a.id WHERE g.account_id = $1 ORDER BY a.name, a.public_id",
        )
        .bind(account_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(assistant_row).collect()
    }

    /// The assistant, if this account may see it (else `None`, as if it did not exist).
    pub async fn assistant_for(&self, account_id: i64, public_id: &str) -> Result<Option<AssistantRow>> {
        let row = sqlx::query(
            "SELECT a.id, a.public_id, a.name FROM assistants a JOIN account_assistants g ON g.assistant_id = a.id WHERE g.account_id = $1 AND a.public_id = $2",
        )
        .bind(account_id)
        .bind(public_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| assistant_row(&r)).transpose()
    }

    // ---- conversations --------------------------------------------------------------

    /// Completed conversations that started in `range`, and their messages.
    pub async fn totals(&self, assistant_pk: i64, range: TimeRange) -> Result<Totals> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(exported_messages), 0) AS BIGINT) AS m FROM conversations WHERE assistant_id = $1 AND status = 'completed' AND started_at >= $2 AND started_at <= $3",
        )
        .bind(assistant_pk)
        .bind(ms(range.from))
        .bind(ms(range.to))
        .fetch_one(&self.pool)
        .await?;
        Ok(Totals { conversations: row.try_get("n")?, messages: row.try_get("m")? })
    }

    /// One page of completed conversations in `range`, oldest first, after `cursor`.
    pub async fn conversation_page(
        &self,
        assistant: &AssistantRow,
        range: TimeRange,
        cursor: Option<Cursor>,
        limits: PageLimits,
    ) -> Result<Page> {
        let page = self.stored_page(assistant, range, cursor, limits, false).await?;
        let conversations = page.conversations.into_iter().map(parse_stored).collect::<Result<_>>()?;
        Ok(Page { conversations, next: page.next })
    }

    /// One page in either order, oldest first (exports) or newest first (browsing), its
    /// messages as stored.
    pub async fn stored_page(
        &self,
        assistant: &AssistantRow,
        range: TimeRange,
        cursor: Option<Cursor>,
        limits: PageLimits,
        newest_first: bool,
    ) -> Result<Page<StoredConversation>> {
        // Each planner seeks its index best with its own spelling of the same keyset
        // condition (measured: `cargo bench -p convo-server`).
        let (edge, keyset, order) = match (newest_first, self.backend) {
            (true, Backend::Postgres) => (i64::MAX, "(c.started_at, c.id) < ($4, $5)", "started_at DESC, id DESC"),
            (true, Backend::Sqlite) => {
                (i64::MAX, "(c.started_at < $4 OR (c.started_at = $4 AND c.id < $5))", "started_at DESC, id DESC")
            }
            (false, Backend::Postgres) => (i64::MIN, "(c.started_at, c.id) > ($4, $5)", "started_at, id"),
            (false, Backend::Sqlite) => (i64::MIN, "(c.started_at > $4 OR (c.started_at = $4 AND c.id > $5))", "started_at, id"),
        };
        let after = cursor.unwrap_or(Cursor { started_at_ms: edge, id: edge });
        // One round trip. `ahead` reads the next conversations from the covering index;
        // running sums cut them by conversations ($8), messages ($6) and bytes ($7), always
        // keeping the first. A row is returned when every row before it made the cut: the
        // chosen ones with their messages, and the first one left out, without them, which
        // says that there is more.
        let sql = format!(
            "SELECT c.id, c.public_id, c.channel, c.started_at, c.ended_at, c.summary, \
             CASE WHEN cut.n = 1 OR (cut.m <= $6 AND cut.b <= $7 AND cut.n <= $8) THEN c.exported_json END AS exported_json, \
             k.name AS contact_name, k.email AS contact_email \
             FROM (SELECT id, ROW_NUMBER() OVER w AS n, \
             CAST(SUM(exported_messages) OVER w AS BIGINT) AS m, CAST(SUM(exported_bytes) OVER w AS BIGINT) AS b, \
             exported_messages AS own_m, exported_bytes AS own_b \
             FROM (SELECT c.id, c.started_at, c.exported_messages, c.exported_bytes FROM conversations c \
             WHERE c.assistant_id = $1 AND c.status = 'completed' AND c.started_at >= $2 AND c.started_at <= $3 AND {keyset} \
             ORDER BY {order} LIMIT $8 + 1) ahead \
             WINDOW w AS (ORDER BY {order} ROWS UNBOUNDED PRECEDING)) cut \
             JOIN conversations c ON c.id = cut.id LEFT JOIN contacts k ON k.id = c.contact_id \
             WHERE cut.n <= 2 OR (cut.m - cut.own_m <= $6 AND cut.b - cut.own_b <= $7 AND cut.n - 1 <= $8) \
             ORDER BY cut.n"
        );
        let rows = sqlx::query(&sql)
            .bind(assistant.pk)
            .bind(ms(range.from))
            .bind(ms(range.to))
            .bind(after.started_at_ms)
            .bind(after.id)
            .bind(limits.messages)
            .bind(limits.bytes)
            .bind(limits.conversations)
            .fetch_all(&self.pool)
            .await?;
        let mut conversations = Vec::with_capacity(rows.len());
        let mut last = None;
        let mut more = false;
        for r in rows {
            let id: i64 = r.try_get("id")?;
            let Some(exported_json) = r.try_get::<Option<String>, _>("exported_json")? else {
                more = true;
                break;
            };
            let messages = serde_json::value::RawValue::from_string(exported_json)
                .map_err(|e| StoreError::Corrupt(format!("messages of conversation {id}: {e}")))?;
            let name: Option<String> = r.try_get("contact_name")?;
            let email: Option<String> = r.try_get("contact_email")?;
            let channel: &str = r.try_get("channel")?;
            let started_at: i64 = r.try_get("started_at")?;
            conversations.push(Conversation {
                id: r.try_get("public_id")?,
                assistant_id: assistant.id.clone(),
                channel: Channel::parse(channel),
                contact: (name.is_some() || email.is_some()).then_some(Contact { name, email }),
                started_at: from_ms(started_at),
                ended_at: r.try_get::<Option<i64>, _>("ended_at")?.map(from_ms),
                status: ConversationStatus::Completed,
                summary: r.try_get("summary")?,
                messages,
            });
            last = Some(Cursor { started_at_ms: started_at, id });
        }
        Ok(Page { conversations, next: if more { last } else { None } })
    }

    // ---- the export catalog ---------------------------------------------------------

    /// Creates an export and, in the same transaction, deletes the account's expired
    /// exports and its oldest ones beyond the limit. Returns what was evicted.
    pub async fn create_export(&self, new: NewExport<'_>) -> Result<(ExportRow, Vec<Evicted>)> {
        let mut tx = self.pool.begin().await?;
        // The first statement writes: it takes the account's row lock (PostgreSQL) or the
        // database write lock (SQLite), so concurrent creates of one account serialise.
        let seq: i64 =
            sqlx::query_scalar("UPDATE accounts SET export_seq = export_seq + 1 WHERE id = $1 RETURNING export_seq")
                .bind(new.account_id)
                .fetch_one(&mut *tx)
                .await?;
        let now = ms(new.now);
        let mut evicted = Vec::new();
        let expired = sqlx::query("SELECT id, filename FROM exports WHERE account_id = $1 AND expires_at <= $2")
            .bind(new.account_id)
            .bind(now)
            .fetch_all(&mut *tx)
            .await?;
        for r in &expired {
            let id: String = r.try_get("id")?;
            delete_export_row(&mut tx, &id).await?;
            audit_in(&mut tx, now, Some(new.account_id), &id, "expired", None).await?;
        }
        let live = sqlx::query("SELECT id, filename FROM exports WHERE account_id = $1 ORDER BY seq")
            .bind(new.account_id)
            .fetch_all(&mut *tx)
            .await?;
        let excess = (live.len() as i64 + 1 - new.max_exports).max(0) as usize;
        for r in live.iter().take(excess) {
            let id: String = r.try_get("id")?;
            let filename: String = r.try_get("filename")?;
            delete_export_row(&mut tx, &id).await?;
            audit_in(&mut tx, now, Some(new.account_id), &id, "evicted", Some(&format!("by {}", new.id))).await?;
            evicted.push(Evicted { id, filename });
        }
        sqlx::query(
            "INSERT INTO exports (id, account_id, seq, assistant_id, filename, days, range_from, range_to, created_at, expires_at, status, renderer, progress_done, progress_total, heartbeat_at, conversations, messages) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'processing', $11, 0, $12, $9, $13, $12)",
        )
        .bind(new.id)
        .bind(new.account_id)
        .bind(seq)
        .bind(new.assistant.pk)
        .bind(new.filename)
        .bind(new.days)
        .bind(ms(new.range.from))
        .bind(ms(new.range.to))
        .bind(now)
        .bind(ms(new.expires_at))
        .bind(new.renderer)
        .bind(new.totals.messages)
        .bind(new.totals.conversations)
        .execute(&mut *tx)
        .await?;
        audit_in(&mut tx, now, Some(new.account_id), new.id, "created", Some(new.renderer)).await?;
        // Read back inside the transaction: a concurrent create may evict it right after.
        let sql = format!("SELECT {EXPORT_COLUMNS} FROM exports e JOIN assistants a ON a.id = e.assistant_id WHERE e.id = $1");
        let row = export_row(&sqlx::query(&sql).bind(new.id).fetch_one(&mut *tx).await?)?;
        tx.commit().await?;
        Ok((row, evicted))
    }

    /// The account's oldest live export, which the next create would evict at the limit.
    pub async fn next_eviction(&self, account_id: i64, now: Timestamp, max_exports: i64) -> Result<Option<Evicted>> {
        let rows = sqlx::query("SELECT id, filename FROM exports WHERE account_id = $1 AND expires_at > $2 ORDER BY seq")
            .bind(account_id)
            .bind(ms(now))
            .fetch_all(&self.pool)
            .await?;
        if (rows.len() as i64) < max_exports {
            return Ok(None);
        }
        let r = &rows[0];
        Ok(Some(Evicted { id: r.try_get("id")?, filename: r.try_get("filename")? }))
    }

    /// The account's live exports, newest first. Expired ones are never listed.
    pub async fn list_exports(&self, account_id: i64, now: Timestamp) -> Result<Vec<ExportRow>> {
        let sql = format!(
            "SELECT {EXPORT_COLUMNS} FROM exports e JOIN assistants a ON a.id = e.assistant_id WHERE e.account_id = $1 AND e.expires_at > $2 ORDER BY e.seq DESC"
        );
        let rows = sqlx::query(&sql).bind(account_id).bind(ms(now)).fetch_all(&self.pool).await?;
        rows.iter().map(export_row).collect()
    }

    /// The account's export, if it exists and has not expired.
    pub async fn export_for(&self, account_id: i64, id: &str, now: Timestamp) -> Result<Option<ExportRow>> {
        let sql = format!(
            "SELECT {EXPORT_COLUMNS} FROM exports e JOIN assistants a ON a.id = e.assistant_id WHERE e.account_id = $1 AND e.id = $2 AND e.expires_at > $3"
        );
        let row = sqlx::query(&sql).bind(account_id).bind(id).bind(ms(now)).fetch_optional(&self.pool).await?;
        row.map(|r| export_row(&r)).transpose()
    }

    pub async fn export_by_id(&self, id: &str) -> Result<Option<ExportRow>> {
        let sql = format!("SELECT {EXPORT_COLUMNS} FROM exports e JOIN assistants a ON a.id = e.assistant_id WHERE e.id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await?;
        row.map(|r| export_row(&r)).transpose()
    }

    /// Records progress of a processing export by its renderer; false when it is no longer
    /// processing or another renderer owns it.
    pub async fn report_progress(&self, id: &str, renderer: &str, done: i64, now: Timestamp) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE exports SET progress_done = $1, heartbeat_at = $2 WHERE id = $3 AND status = 'processing' AND renderer = $4",
        )
        .bind(done)
        .bind(ms(now))
        .bind(id)
        .bind(renderer)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Marks a processing export ready; false when it was deleted or finished meanwhile.
    #[allow(clippy::too_many_arguments)]
    pub async fn finish_export(
        &self,
        id: &str,
        renderer: &str,
        size: i64,
        sha256: &str,
        conversations: i64,
        messages: i64,
        now: Timestamp,
    ) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE exports SET status = 'ready', size_bytes = $1, sha256 = $2, conversations = $3, messages = $4, progress_done = progress_total, heartbeat_at = $5 \
             WHERE id = $6 AND status = 'processing' AND renderer = $7",
        )
        .bind(size)
        .bind(sha256)
        .bind(conversations)
        .bind(messages)
        .bind(ms(now))
        .bind(id)
        .bind(renderer)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn fail_export(&self, id: &str, reason: &str, now: Timestamp) -> Result<bool> {
        let r = sqlx::query("UPDATE exports SET status = 'failed', error = $1, heartbeat_at = $2 WHERE id = $3 AND status = 'processing'")
            .bind(reason)
            .bind(ms(now))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// The browser rendering `id` hands it to the server; false when it is not (or no
    /// longer) the browser's to hand over.
    pub async fn hand_over(&self, id: &str, reason: &str, now: Timestamp) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE exports SET renderer = 'server', heartbeat_at = $1 WHERE id = $2 AND status = 'processing' AND renderer = 'browser'",
        )
        .bind(ms(now))
        .bind(id)
        .execute(&self.pool)
        .await?;
        let handed = r.rows_affected() == 1;
        if handed {
            self.audit(None, id, "taken over", Some(&format!("handed over by the browser: {reason}")), now).await?;
        }
        Ok(handed)
    }

    /// Deletes the account's export; false when there is none.
    pub async fn delete_export(&self, account_id: i64, id: &str, now: Timestamp) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let r = sqlx::query("DELETE FROM exports WHERE id = $1 AND account_id = $2 AND expires_at > $3")
            .bind(id)
            .bind(account_id)
            .bind(ms(now))
            .execute(&mut *tx)
            .await?;
        let deleted = r.rows_affected() == 1;
        if deleted {
            audit_in(&mut tx, ms(now), Some(account_id), id, "deleted", None).await?;
        }
        tx.commit().await?;
        Ok(deleted)
    }

    /// Takes over processing exports whose renderer went quiet before `stale_before`
    /// (a closed tab, a crashed server): each is claimed by exactly one caller.
    pub async fn claim_stale(&self, stale_before: Timestamp, now: Timestamp) -> Result<Vec<ExportRow>> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM exports WHERE status = 'processing' AND heartbeat_at < $1 AND expires_at > $2 ORDER BY created_at LIMIT 16",
        )
        .bind(ms(stale_before))
        .bind(ms(now))
        .fetch_all(&self.pool)
        .await?;
        let mut claimed = Vec::new();
        for id in ids {
            let r = sqlx::query(
                "UPDATE exports SET renderer = 'server', heartbeat_at = $1 WHERE id = $2 AND status = 'processing' AND heartbeat_at < $3",
            )
            .bind(ms(now))
            .bind(&id)
            .bind(ms(stale_before))
            .execute(&self.pool)
            .await?;
            if r.rows_affected() == 1 {
                self.audit(None, &id, "taken over", Some("its renderer went quiet"), now).await?;
                if let Some(row) = self.export_by_id(&id).await? {
                    claimed.push(row);
                }
            }
        }
        Ok(claimed)
    }

    /// Deletes expired exports; returns their ids, whose files can go.
    pub async fn sweep_expired(&self, now: Timestamp) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT id, account_id FROM exports WHERE expires_at <= $1")
            .bind(ms(now))
            .fetch_all(&self.pool)
            .await?;
        let mut ids = Vec::new();
        for r in rows {
            let id: String = r.try_get("id")?;
            let account: i64 = r.try_get("account_id")?;
            let mut tx = self.pool.begin().await?;
            let gone = sqlx::query("DELETE FROM exports WHERE id = $1 AND expires_at <= $2")
                .bind(&id)
                .bind(ms(now))
                .execute(&mut *tx)
                .await?;
            if gone.rows_affected() == 1 {
                audit_in(&mut tx, ms(now), Some(account), &id, "expired", None).await?;
                ids.push(id);
            }
            tx.commit().await?;
        }
        Ok(ids)
    }

    pub async fn export_exists(&self, id: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM exports WHERE id = $1").bind(id).fetch_one(&self.pool).await?;
        Ok(n > 0)
    }

    pub async fn audit(&self, account_id: Option<i64>, export_id: &str, action: &str, detail: Option<&str>, now: Timestamp) -> Result<()> {
        insert_audit(&self.pool, ms(now), account_id, export_id, action, detail).await
    }

    /// The audit trail of one export, oldest first: (action, detail).
    pub async fn audit_trail(&self, export_id: &str) -> Result<Vec<(String, Option<String>)>> {
        let rows = sqlx::query("SELECT action, detail FROM audit_log WHERE export_id = $1 ORDER BY id")
            .bind(export_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((r.try_get("action")?, r.try_get("detail")?))).collect()
    }
}

fn assistant_row(r: &AnyRow) -> Result<AssistantRow> {
    Ok(AssistantRow { pk: r.try_get("id")?, id: r.try_get("public_id")?, name: r.try_get("name")? })
}

async fn delete_export_row(tx: &mut sqlx::Transaction<'_, sqlx::Any>, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM exports WHERE id = $1").bind(id).execute(&mut **tx).await?;
    Ok(())
}

async fn audit_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    at: i64,
    account_id: Option<i64>,
    export_id: &str,
    action: &str,
    detail: Option<&str>,
) -> Result<()> {
    insert_audit(&mut **tx, at, account_id, export_id, action, detail).await
}

/// One audit row, in a transaction or on the pool.
async fn insert_audit<'e>(
    executor: impl Executor<'e, Database = sqlx::Any>,
    at: i64,
    account_id: Option<i64>,
    export_id: &str,
    action: &str,
    detail: Option<&str>,
) -> Result<()> {
    sqlx::query("INSERT INTO audit_log (at, account_id, export_id, action, detail) VALUES ($1, $2, $3, $4, $5)")
        .bind(at)
        .bind(account_id)
        .bind(export_id)
        .bind(action)
        .bind(detail)
        .execute(executor)
        .await?;
    Ok(())
}
