//! The export catalog's rows: creation with eviction in one transaction, state changes
//! that only apply to the state they expect, retention. The rules that decide when to
//! call these live in `catalog`.

use super::audit::insert_audit;
use super::{AssistantRow, Result, Store, StoreError};
use crate::clock::{from_ms, ms};
use convo_model::api::{AuditAction, ExportStatus, Renderer, Totals};
use convo_model::{TimeRange, Timestamp};
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
    /// A server render waiting for a free core.
    pub waiting: bool,
}

/// A ready export's file, as recorded in the same statement that makes it ready.
#[derive(Debug, Clone)]
pub struct FinishedFile<'a> {
    pub key: &'a str,
    pub size: i64,
    pub sha256: &'a str,
    pub conversations: i64,
    pub messages: i64,
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
    pub renderer: Renderer,
    pub max_exports: i64,
    pub totals: Totals,
}

const EXPORT_COLUMNS: &str = "e.id, e.account_id, e.assistant_id AS assistant_pk, a.public_id AS assistant_public_id, a.name AS assistant_name, e.filename, e.days, e.range_from, e.range_to, e.created_at, e.expires_at, e.status, e.renderer, e.progress_done, e.progress_total, e.heartbeat_at, e.error, e.size_bytes, e.sha256, e.conversations, e.messages, e.file_key, e.waiting";

pub(super) fn export_row(r: &AnyRow) -> Result<ExportRow> {
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
        waiting: r.try_get::<i64, _>("waiting")? != 0,
    })
}

impl Store {
    /// Creates an export and, in the same transaction, deletes the account's expired
    /// exports and its oldest ones beyond the limit. Returns what was evicted.
    pub async fn create_export(&self, new: NewExport<'_>) -> Result<(ExportRow, Vec<Evicted>)> {
        let mut tx = self.pool.begin().await?;
        // The first statement writes: it takes the account's row lock (PostgreSQL) or the
        // database write lock (SQLite), so concurrent creates of one account serialise.
        let seq: i64 = sqlx::query_scalar("UPDATE accounts SET export_seq = export_seq + 1 WHERE id = $1 RETURNING export_seq")
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
            audit_in(&mut tx, now, Some(new.account_id), &id, AuditAction::Expired, None).await?;
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
            audit_in(&mut tx, now, Some(new.account_id), &id, AuditAction::Evicted, Some(&format!("by {}", new.id))).await?;
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
        .bind(new.renderer.as_str())
        .bind(new.totals.messages)
        .bind(new.totals.conversations)
        .execute(&mut *tx)
        .await?;
        audit_in(&mut tx, now, Some(new.account_id), new.id, AuditAction::Created, Some(new.renderer.as_str())).await?;
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
    pub async fn report_progress(&self, id: &str, renderer: Renderer, done: i64, now: Timestamp) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE exports SET progress_done = $1, heartbeat_at = $2 WHERE id = $3 AND status = 'processing' AND renderer = $4",
        )
        .bind(done)
        .bind(ms(now))
        .bind(id)
        .bind(renderer.as_str())
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Marks a processing export ready with its file, if `renderer` still renders it;
    /// false when it was deleted, failed or taken over meanwhile. The one statement that
    /// makes an export ready: its file and state change together.
    pub async fn finish_export(&self, id: &str, renderer: Renderer, file: FinishedFile<'_>, now: Timestamp) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE exports SET status = 'ready', size_bytes = $1, sha256 = $2, conversations = $3, messages = $4, file_key = $5, \
             progress_done = progress_total, heartbeat_at = $6, waiting = 0 \
             WHERE id = $7 AND status = 'processing' AND renderer = $8",
        )
        .bind(file.size)
        .bind(file.sha256)
        .bind(file.conversations)
        .bind(file.messages)
        .bind(file.key)
        .bind(ms(now))
        .bind(id)
        .bind(renderer.as_str())
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// A server render waits for a core, or starts; either way its heartbeat is fresh, so
    /// no process takes a waiting export over. False when it is no longer the server's.
    pub async fn set_waiting(&self, id: &str, waiting: bool, now: Timestamp) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE exports SET waiting = $1, heartbeat_at = $2 WHERE id = $3 AND status = 'processing' AND renderer = 'server'",
        )
        .bind(i64::from(waiting))
        .bind(ms(now))
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Every export's id and file key: what the sweep keeps.
    pub async fn file_keys(&self) -> Result<std::collections::HashMap<String, Option<String>>> {
        let rows = sqlx::query("SELECT id, file_key FROM exports").fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("file_key")?))).collect()
    }

    /// Fails a processing export, if `renderer` (when given) still renders it; false when
    /// it is no longer processing or another renderer took it.
    pub async fn fail_export(&self, id: &str, renderer: Option<Renderer>, reason: &str, now: Timestamp) -> Result<bool> {
        let sql = match renderer {
            Some(_) => {
                "UPDATE exports SET status = 'failed', waiting = 0, error = $1, heartbeat_at = $2 WHERE id = $3 AND status = 'processing' AND renderer = $4"
            }
            None => {
                "UPDATE exports SET status = 'failed', waiting = 0, error = $1, heartbeat_at = $2 WHERE id = $3 AND status = 'processing'"
            }
        };
        let mut query = sqlx::query(sql).bind(reason).bind(ms(now)).bind(id);
        if let Some(renderer) = renderer {
            query = query.bind(renderer.as_str());
        }
        let r = query.execute(&self.pool).await?;
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
            let account = self.export_by_id(id).await?.map(|e| e.account_id);
            self.audit(account, id, AuditAction::TakenOver, Some(&format!("handed over by the browser: {reason}")), now).await?;
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
            audit_in(&mut tx, ms(now), Some(account_id), id, AuditAction::Deleted, None).await?;
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
            if r.rows_affected() == 1
                && let Some(row) = self.export_by_id(&id).await?
            {
                self.audit(Some(row.account_id), &id, AuditAction::TakenOver, Some("its renderer went quiet"), now).await?;
                claimed.push(row);
            }
        }
        Ok(claimed)
    }

    /// Deletes expired exports; returns their ids, whose files can go.
    pub async fn sweep_expired(&self, now: Timestamp) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT id, account_id FROM exports WHERE expires_at <= $1").bind(ms(now)).fetch_all(&self.pool).await?;
        let mut ids = Vec::new();
        for r in rows {
            let id: String = r.try_get("id")?;
            let account: i64 = r.try_get("account_id")?;
            let mut tx = self.pool.begin().await?;
            let gone =
                sqlx::query("DELETE FROM exports WHERE id = $1 AND expires_at <= $2").bind(&id).bind(ms(now)).execute(&mut *tx).await?;
            if gone.rows_affected() == 1 {
                audit_in(&mut tx, ms(now), Some(account), &id, AuditAction::Expired, None).await?;
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
    action: AuditAction,
    detail: Option<&str>,
) -> Result<()> {
    insert_audit(&mut **tx, at, account_id, export_id, action, detail).await
}

/// A typed enum from its stored text; anything else is corrupt data, never a guess.
fn parse_enum<T>(r: &AnyRow, column: &str, parse: fn(&str) -> Option<T>) -> Result<T> {
    let text: String = r.try_get(column)?;
    parse(&text).ok_or_else(|| StoreError::Corrupt(format!("exports.{column} = {text:?}")))
}
