//! The export catalog's rows: creation with eviction in one transaction (and a schedule's
//! claim on its period in the same one), reads and the since-last chain. Holds, deletion
//! and retention are in `retention`. State
//! changes of a processing export are in `export_states`; the rules that decide when to
//! call these live in `catalog`.

use super::audit::{Audit, insert_audit};
use super::{AssistantRow, Result, Store, StoreError};
use crate::clock::{from_ms, ms};
use convo_model::api::{AssistantRef, AuditAction, ExportInfo, ExportProgress, ExportStatus, Renderer, Totals, Verification};
use convo_model::{ExportFilters, Figures, Format, PreviousExport, Redaction, TimeRange, TimeZone, Timestamp};
use sqlx::Row;
use sqlx::any::AnyRow;

pub use convo_model::api::EvictedExport as Evicted;

/// One row of the export catalog, joined with its assistant.
#[derive(Debug, Clone)]
pub struct ExportRow {
    pub id: String,
    pub account_id: i64,
    pub assistant_pk: i64,
    pub assistant_id: String,
    pub assistant_name: String,
    pub filename: String,
    /// What the file is (the page, JSON Lines, CSV, Markdown).
    pub format: Format,
    pub days: i64,
    pub range: TimeRange,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub status: ExportStatus,
    pub renderer: Renderer,
    pub progress_done: i64,
    pub progress_total: i64,
    pub heartbeat_at: Timestamp,
    pub error: Option<String>,
    pub size_bytes: Option<i64>,
    pub sha256: Option<String>,
    pub conversations: Option<i64>,
    pub messages: Option<i64>,
    /// The object holding a ready export's bytes (see `files`).
    pub file_key: Option<String>,
    /// The number of parts a file uploaded in parts has (its `file_key` is their prefix).
    pub file_parts: Option<i64>,
    /// A server render waiting for a free core.
    pub waiting: bool,
    pub filters: ExportFilters,
    /// What the file masks.
    pub redaction: Redaction,
    pub previous: Option<PreviousExport>,
    pub held: bool,
    pub schedule_id: Option<String>,
    /// The zone the file shows its times in (`None`: UTC).
    pub time_zone: Option<TimeZone>,
    /// Whether the server reproduced the ready file (`None` before it is ready).
    pub verification: Option<Verification>,
    pub verification_note: Option<String>,
}

impl ExportRow {
    /// The export as the API shows it (no internal field).
    pub fn info(&self) -> ExportInfo {
        ExportInfo {
            content_url: format!("/api/exports/{}/content", self.id),
            open_url: format!("/api/exports/{}/open", self.id),
            id: self.id.clone(),
            filename: self.filename.clone(),
            format: self.format,
            assistant: AssistantRef { id: self.assistant_id.clone(), name: self.assistant_name.clone() },
            days: self.days,
            range: self.range,
            created_at: self.created_at,
            expires_at: self.expires_at,
            status: self.status,
            renderer: self.renderer,
            progress: ExportProgress { done: self.progress_done, total: self.progress_total },
            size_bytes: self.size_bytes,
            sha256: self.sha256.clone(),
            verified: self.verification == Some(Verification::Verified),
            verification: self.verification,
            verification_note: self.verification_note.clone(),
            waiting: self.waiting,
            error: self.error.clone(),
            conversations: self.conversations,
            messages: self.messages,
            // As the file states them: a redacted contact filter is masked here too.
            filters: convo_render::stated_filters(&self.filters, &self.redaction),
            previous: self.previous.clone(),
            redaction: (!self.redaction.is_empty()).then(|| self.redaction.stated()),
            held: self.held,
            schedule_id: self.schedule_id.clone(),
            time_zone: self.time_zone,
        }
    }
}

/// A schedule's claim on one period: the export is created only if no process has
/// exported that period yet.
#[derive(Debug, Clone, Copy)]
pub struct PeriodClaim<'a> {
    pub schedule_id: &'a str,
    pub period: TimeRange,
}

pub struct NewExport<'a> {
    pub id: &'a str,
    pub account_id: i64,
    /// Who asked (an email, `schedule`): the activity trail's actor.
    pub actor: &'a str,
    pub assistant: &'a AssistantRow,
    pub filename: &'a str,
    pub format: Format,
    pub days: i64,
    pub range: TimeRange,
    pub now: Timestamp,
    pub expires_at: Timestamp,
    pub renderer: Renderer,
    pub max_exports: i64,
    pub totals: Totals,
    pub filters: &'a ExportFilters,
    pub redaction: &'a Redaction,
    pub previous: Option<&'a PreviousExport>,
    pub time_zone: Option<TimeZone>,
    pub claim: Option<PeriodClaim<'a>>,
}

/// Why a create did not happen.
#[derive(Debug)]
pub enum NotCreated {
    /// The schedule's period was exported already (by this process or another).
    PeriodTaken,
}

pub(super) const EXPORT_COLUMNS: &str = "e.id, e.account_id, e.assistant_id AS assistant_pk, a.public_id AS assistant_public_id, a.name AS assistant_name, \
     e.filename, e.days, e.range_from, e.range_to, e.created_at, e.expires_at, e.status, e.renderer, e.progress_done, e.progress_total, \
     e.heartbeat_at, e.error, e.size_bytes, e.sha256, e.conversations, e.messages, e.file_key, e.waiting, e.filters_json, e.redaction_json, e.previous_id, \
     e.previous_sha256, e.previous_figures, e.held, e.schedule_id, e.file_parts, e.verification, e.verification_note, e.format, e.time_zone";

fn by_id_sql() -> String {
    format!("SELECT {EXPORT_COLUMNS} FROM exports e JOIN assistants a ON a.id = e.assistant_id WHERE e.id = $1")
}

/// The export `id` as the transaction `tx` sees it.
pub(super) async fn export_in(tx: &mut sqlx::Transaction<'_, sqlx::Any>, id: &str) -> Result<Option<ExportRow>> {
    let row = sqlx::query(&by_id_sql()).bind(id).fetch_optional(&mut **tx).await?;
    row.map(|r| export_row(&r)).transpose()
}

/// Live exports: not expired, or held.
const LIVE: &str = "(e.expires_at > $2 OR e.held = 1)";

/// Figures kept as JSON in `column` (NULL: none were kept).
fn figures_of(r: &AnyRow, column: &str) -> Result<Option<Figures>> {
    r.try_get::<Option<String>, _>(column)?
        .map(|json| serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(format!("{column}: {e}"))))
        .transpose()
}

/// Figures as their column keeps them.
pub(super) fn figures_json(figures: Option<&Figures>) -> Result<Option<String>> {
    figures.map(serde_json::to_string).transpose().map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(super) fn export_row(r: &AnyRow) -> Result<ExportRow> {
    let filters = match r.try_get::<Option<String>, _>("filters_json")? {
        Some(json) => serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(format!("exports.filters_json: {e}")))?,
        None => ExportFilters::default(),
    };
    let redaction = match r.try_get::<Option<String>, _>("redaction_json")? {
        Some(json) => serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(format!("exports.redaction_json: {e}")))?,
        None => Redaction::default(),
    };
    let previous = match (r.try_get::<Option<String>, _>("previous_id")?, r.try_get::<Option<String>, _>("previous_sha256")?) {
        (Some(id), Some(sha256)) => Some(PreviousExport { id, sha256, figures: figures_of(r, "previous_figures")? }),
        _ => None,
    };
    Ok(ExportRow {
        id: r.try_get("id")?,
        account_id: r.try_get("account_id")?,
        assistant_pk: r.try_get("assistant_pk")?,
        assistant_id: r.try_get("assistant_public_id")?,
        assistant_name: r.try_get("assistant_name")?,
        filename: r.try_get("filename")?,
        format: parse_enum(r, "format", |s| s.parse().ok())?,
        days: r.try_get("days")?,
        range: TimeRange { from: from_ms(r.try_get("range_from")?), to: from_ms(r.try_get("range_to")?) },
        created_at: from_ms(r.try_get("created_at")?),
        expires_at: from_ms(r.try_get("expires_at")?),
        status: parse_enum(r, "status", ExportStatus::parse)?,
        renderer: parse_enum(r, "renderer", Renderer::parse)?,
        progress_done: r.try_get("progress_done")?,
        progress_total: r.try_get("progress_total")?,
        heartbeat_at: from_ms(r.try_get("heartbeat_at")?),
        error: r.try_get("error")?,
        size_bytes: r.try_get("size_bytes")?,
        sha256: r.try_get("sha256")?,
        conversations: r.try_get("conversations")?,
        messages: r.try_get("messages")?,
        file_key: r.try_get("file_key")?,
        file_parts: r.try_get("file_parts")?,
        waiting: r.try_get::<i64, _>("waiting")? != 0,
        filters,
        redaction,
        previous,
        held: r.try_get::<i64, _>("held")? != 0,
        schedule_id: r.try_get("schedule_id")?,
        verification: match r.try_get::<Option<String>, _>("verification")? {
            Some(text) => Some(Verification::parse(&text).ok_or_else(|| StoreError::Corrupt(format!("verification = {text:?}")))?),
            None => None,
        },
        verification_note: r.try_get("verification_note")?,
        time_zone: match r.try_get::<Option<String>, _>("time_zone")? {
            Some(name) => Some(name.parse().map_err(|e| StoreError::Corrupt(format!("exports.time_zone: {e}")))?),
            None => None,
        },
    })
}

/// A typed enum from its stored text; anything else is corrupt data, never a guess.
pub(super) fn parse_enum<T>(r: &AnyRow, column: &str, parse: fn(&str) -> Option<T>) -> Result<T> {
    let text: String = r.try_get(column)?;
    parse(&text).ok_or_else(|| StoreError::Corrupt(format!("{column} = {text:?}")))
}

impl Store {
    /// Creates an export and, in the same transaction, deletes the account's expired
    /// exports and its oldest ones not held beyond the limit (and, for a schedule, claims
    /// its period). Returns what was evicted.
    pub async fn create_export(&self, new: NewExport<'_>) -> Result<Result<(ExportRow, Vec<Evicted>), NotCreated>> {
        let mut tx = self.pool.begin().await?;
        // The first statement writes: it takes the account's row lock (PostgreSQL) or the
        // database write lock (SQLite), so concurrent creates of one account serialise.
        let seq: i64 = sqlx::query_scalar("UPDATE accounts SET export_seq = export_seq + 1 WHERE id = $1 RETURNING export_seq")
            .bind(new.account_id)
            .fetch_one(&mut *tx)
            .await?;
        let now = ms(new.now);
        if let Some(claim) = new.claim {
            let claimed = sqlx::query(
                "INSERT INTO schedule_runs (schedule_id, period_from, period_to, export_id, ran_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (schedule_id, period_from) DO NOTHING",
            )
            .bind(claim.schedule_id)
            .bind(ms(claim.period.from))
            .bind(ms(claim.period.to))
            .bind(new.id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if claimed.rows_affected() == 0 {
                tx.rollback().await?;
                return Ok(Err(NotCreated::PeriodTaken));
            }
        }
        let audit = |export_id: &'_ str, action, detail: Option<String>| Audit {
            at: now,
            account_id: Some(new.account_id),
            export_id: export_id.to_string(),
            action,
            actor: new.actor.to_string(),
            detail,
        };
        let expired = sqlx::query("SELECT id FROM exports WHERE account_id = $1 AND expires_at <= $2 AND held = 0")
            .bind(new.account_id)
            .bind(now)
            .fetch_all(&mut *tx)
            .await?;
        for r in &expired {
            let id: String = r.try_get("id")?;
            insert_audit(&mut *tx, Audit { actor: "retention".into(), ..audit(&id, AuditAction::Expired, None) }).await?;
            delete_export_row(&mut tx, &id).await?;
        }
        let live = sqlx::query("SELECT id, filename, held FROM exports WHERE account_id = $1 ORDER BY seq")
            .bind(new.account_id)
            .fetch_all(&mut *tx)
            .await?;
        let excess = (live.len() as i64 + 1 - new.max_exports).max(0) as usize;
        let mut evicted = Vec::new();
        for r in live.iter().filter(|r| r.try_get::<i64, _>("held").is_ok_and(|h| h == 0)).take(excess) {
            let id: String = r.try_get("id")?;
            let filename: String = r.try_get("filename")?;
            insert_audit(&mut *tx, audit(&id, AuditAction::Evicted, Some(format!("to make room for {}", new.filename)))).await?;
            delete_export_row(&mut tx, &id).await?;
            evicted.push(Evicted { id, filename });
        }
        let filters = (!new.filters.is_empty())
            .then(|| serde_json::to_string(new.filters))
            .transpose()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let redaction = (!new.redaction.is_empty())
            .then(|| serde_json::to_string(new.redaction))
            .transpose()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO exports (id, account_id, seq, assistant_id, filename, days, range_from, range_to, created_at, expires_at, status, renderer, \
             progress_done, progress_total, heartbeat_at, conversations, messages, filters_json, previous_id, previous_sha256, schedule_id, redaction_json, format, time_zone, \
             previous_figures) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'processing', $11, 0, $12, $9, $13, $12, $14, $15, $16, $17, $18, $19, $20, $21)",
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
        .bind(new.renderer.as_str())
        .bind(new.totals.messages)
        .bind(new.totals.conversations)
        .bind(filters)
        .bind(new.previous.map(|p| p.id.as_str()))
        .bind(new.previous.map(|p| p.sha256.as_str()))
        .bind(new.claim.map(|c| c.schedule_id))
        .bind(redaction)
        .bind(new.format.as_str())
        .bind(new.time_zone.map(TimeZone::name))
        .bind(figures_json(new.previous.and_then(|p| p.figures.as_ref()))?)
        .execute(&mut *tx)
        .await?;
        let how = match new.renderer {
            Renderer::Browser => "to be rendered in the browser",
            Renderer::Server => "to be rendered by the server",
        };
        insert_audit(&mut *tx, audit(new.id, AuditAction::Created, Some(how.into()))).await?;
        // Read back inside the transaction: a concurrent create may evict it right after.
        let sql = format!("SELECT {EXPORT_COLUMNS} FROM exports e JOIN assistants a ON a.id = e.assistant_id WHERE e.id = $1");
        let row = export_row(&sqlx::query(&sql).bind(new.id).fetch_one(&mut *tx).await?)?;
        tx.commit().await?;
        Ok(Ok((row, evicted)))
    }

    /// The account's oldest live export not held, which the next create would evict at
    /// the limit.
    pub async fn next_eviction(&self, account_id: i64, now: Timestamp, max_exports: i64) -> Result<Option<Evicted>> {
        let rows = sqlx::query(
            "SELECT e.id, e.filename, e.held FROM exports e WHERE e.account_id = $1 AND (e.expires_at > $2 OR e.held = 1) ORDER BY e.seq",
        )
        .bind(account_id)
        .bind(ms(now))
        .fetch_all(&self.pool)
        .await?;
        if (rows.len() as i64) < max_exports {
            return Ok(None);
        }
        let Some(r) = rows.iter().find(|r| r.try_get::<i64, _>("held").is_ok_and(|h| h == 0)) else { return Ok(None) };
        Ok(Some(Evicted { id: r.try_get("id")?, filename: r.try_get("filename")? }))
    }

    /// The account's live exports, newest first. Expired ones (not held) are never listed.
    pub async fn list_exports(&self, account_id: i64, now: Timestamp) -> Result<Vec<ExportRow>> {
        let sql = format!(
            "SELECT {EXPORT_COLUMNS} FROM exports e JOIN assistants a ON a.id = e.assistant_id WHERE e.account_id = $1 AND {LIVE} ORDER BY e.seq DESC"
        );
        let rows = sqlx::query(&sql).bind(account_id).bind(ms(now)).fetch_all(&self.pool).await?;
        rows.iter().map(export_row).collect()
    }

    /// The account's export, if it exists and is live.
    pub async fn export_for(&self, account_id: i64, id: &str, now: Timestamp) -> Result<Option<ExportRow>> {
        let sql = format!(
            "SELECT {EXPORT_COLUMNS} FROM exports e JOIN assistants a ON a.id = e.assistant_id WHERE e.account_id = $1 AND {LIVE} AND e.id = $3"
        );
        let row = sqlx::query(&sql).bind(account_id).bind(ms(now)).bind(id).fetch_optional(&self.pool).await?;
        row.map(|r| export_row(&r)).transpose()
    }

    pub async fn export_by_id(&self, id: &str) -> Result<Option<ExportRow>> {
        let row = sqlx::query(&by_id_sql()).bind(id).fetch_optional(&self.pool).await?;
        row.map(|r| export_row(&r)).transpose()
    }

    pub async fn export_exists(&self, id: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM exports WHERE id = $1").bind(id).fetch_one(&self.pool).await?;
        Ok(n > 0)
    }

    /// The latest export of this account and assistant that became ready (kept after the
    /// export itself is gone): what a since-last export continues.
    pub async fn latest_in_chain(&self, account_id: i64, assistant_pk: i64) -> Result<Option<(PreviousExport, TimeRange)>> {
        let row = sqlx::query(
            "SELECT export_id, sha256, range_from, range_to, figures FROM export_chain WHERE account_id = $1 AND assistant_id = $2 \
             ORDER BY range_to DESC, ready_at DESC LIMIT 1",
        )
        .bind(account_id)
        .bind(assistant_pk)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok((
                PreviousExport { id: r.try_get("export_id")?, sha256: r.try_get("sha256")?, figures: figures_of(&r, "figures")? },
                TimeRange { from: from_ms(r.try_get("range_from")?), to: from_ms(r.try_get("range_to")?) },
            ))
        })
        .transpose()
    }
}

pub(super) async fn delete_export_row(tx: &mut sqlx::Transaction<'_, sqlx::Any>, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM exports WHERE id = $1").bind(id).execute(&mut **tx).await?;
    Ok(())
}
