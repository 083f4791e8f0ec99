//! The audit trail: what happened to each export, when, by whom, on whose account. Rows
//! keep the export's filename, so the trail still says which file after it is gone.

use super::{Result, Store, StoreError};
use crate::clock::{from_ms, ms};
use convo_model::Timestamp;
use convo_model::api::{AuditAction, AuditEvent};
use sqlx::{Executor, Row};

/// One event to record.
#[derive(Debug, Clone)]
pub struct Audit {
    /// UTC milliseconds.
    pub at: i64,
    pub account_id: Option<i64>,
    pub export_id: String,
    pub action: AuditAction,
    /// An account's email, `server`, `schedule` or `retention`.
    pub actor: String,
    pub detail: Option<String>,
}

impl Store {
    pub async fn audit(
        &self,
        account_id: Option<i64>,
        export_id: &str,
        action: AuditAction,
        actor: &str,
        detail: Option<&str>,
        now: Timestamp,
    ) -> Result<()> {
        let audit =
            Audit { at: ms(now), account_id, export_id: export_id.into(), action, actor: actor.into(), detail: detail.map(str::to_string) };
        insert_audit(&self.pool, audit).await
    }

    /// The audit trail of one export, oldest first: (action, detail).
    pub async fn audit_trail(&self, export_id: &str) -> Result<Vec<(AuditAction, Option<String>)>> {
        let rows = sqlx::query("SELECT action, detail FROM audit_log WHERE export_id = $1 ORDER BY id")
            .bind(export_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((parse_action(&r.try_get::<String, _>("action")?)?, r.try_get("detail")?))).collect()
    }

    /// An admin's action on an account (no export): in that account's trail.
    pub async fn audit_account(
        &self,
        account_id: i64,
        action: AuditAction,
        actor: &str,
        detail: Option<&str>,
        now: Timestamp,
    ) -> Result<()> {
        sqlx::query("INSERT INTO audit_log (at, account_id, action, actor, detail) VALUES ($1, $2, $3, $4, $5)")
            .bind(ms(now))
            .bind(account_id)
            .bind(action.as_str())
            .bind(actor)
            .bind(detail)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Up to `limit` events of the account's trail (of every account's, with whose it is,
    /// when `None`), newest first, before the event `before` (a row id) when given; and
    /// the row id to continue before, if there is more.
    pub async fn audit_page(&self, account_id: Option<i64>, before: Option<i64>, limit: i64) -> Result<(Vec<AuditEvent>, Option<i64>)> {
        let select = "SELECT l.id, l.at, l.actor, l.action, l.export_id, l.filename, l.detail, a.email FROM audit_log l LEFT JOIN accounts a ON a.id = l.account_id";
        let (mine, all) = (
            format!("{select} WHERE l.account_id = $3 AND l.id < $1 ORDER BY l.id DESC LIMIT $2"),
            format!("{select} WHERE l.id < $1 ORDER BY l.id DESC LIMIT $2"),
        );
        let query = match account_id {
            Some(_) => sqlx::query(&mine),
            None => sqlx::query(&all),
        };
        let query = query.bind(before.unwrap_or(i64::MAX)).bind(limit + 1);
        let rows = match account_id {
            Some(account) => query.bind(account),
            None => query,
        }
        .fetch_all(&self.pool)
        .await?;
        let more = rows.len() as i64 > limit;
        let mut events = Vec::with_capacity(rows.len());
        let mut last = None;
        for r in rows.iter().take(limit as usize) {
            last = Some(r.try_get::<i64, _>("id")?);
            events.push(AuditEvent {
                at: from_ms(r.try_get("at")?),
                actor: r.try_get::<Option<String>, _>("actor")?.unwrap_or_else(|| "server".into()),
                action: parse_action(&r.try_get::<String, _>("action")?)?,
                export_id: r.try_get("export_id")?,
                filename: r.try_get("filename")?,
                details: r.try_get("detail")?,
                account: if account_id.is_none() { r.try_get("email")? } else { None },
            });
        }
        Ok((events, if more { last } else { None }))
    }
}

fn parse_action(text: &str) -> Result<AuditAction> {
    AuditAction::parse(text).ok_or_else(|| StoreError::Corrupt(format!("audit action {text:?}")))
}

/// One audit row, in a transaction or on the pool; the filename is the export's, read in
/// the same statement (so record before deleting).
pub(super) async fn insert_audit<'e>(executor: impl Executor<'e, Database = sqlx::Any>, audit: Audit) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, account_id, export_id, action, actor, detail, filename) \
         VALUES ($1, $2, $3, $4, $5, $6, (SELECT filename FROM exports WHERE id = $3))",
    )
    .bind(audit.at)
    .bind(audit.account_id)
    .bind(&audit.export_id)
    .bind(audit.action.as_str())
    .bind(&audit.actor)
    .bind(&audit.detail)
    .execute(executor)
    .await?;
    Ok(())
}
