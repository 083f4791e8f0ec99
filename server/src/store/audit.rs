//! The audit trail: what happened to each export, when, on whose account.

use super::{Result, Store};
use crate::clock::ms;
use convo_model::Timestamp;
use convo_model::api::AuditAction;
use sqlx::{Executor, Row};

impl Store {
    pub async fn audit(
        &self,
        account_id: Option<i64>,
        export_id: &str,
        action: AuditAction,
        detail: Option<&str>,
        now: Timestamp,
    ) -> Result<()> {
        insert_audit(&self.pool, ms(now), account_id, export_id, action, detail).await
    }

    /// The audit trail of one export, oldest first: (action, detail).
    pub async fn audit_trail(&self, export_id: &str) -> Result<Vec<(AuditAction, Option<String>)>> {
        let rows = sqlx::query("SELECT action, detail FROM audit_log WHERE export_id = $1 ORDER BY id")
            .bind(export_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let action: String = r.try_get("action")?;
                let action = AuditAction::parse(&action).ok_or_else(|| super::StoreError::Corrupt(format!("audit action {action:?}")))?;
                Ok((action, r.try_get("detail")?))
            })
            .collect()
    }
}

/// One audit row, in a transaction or on the pool.
pub(super) async fn insert_audit<'e>(
    executor: impl Executor<'e, Database = sqlx::Any>,
    at: i64,
    account_id: Option<i64>,
    export_id: &str,
    action: AuditAction,
    detail: Option<&str>,
) -> Result<()> {
    sqlx::query("INSERT INTO audit_log (at, account_id, export_id, action, detail) VALUES ($1, $2, $3, $4, $5)")
        .bind(at)
        .bind(account_id)
        .bind(export_id)
        .bind(action.as_str())
        .bind(detail)
        .execute(executor)
        .await?;
    Ok(())
}
