//! The check of a browser's upload against the server's own render of it: claimed under
//! a lease by one process at a time (another picks it up once the lease lapsed), and
//! recorded once, with its audit event, by the process that holds it.

use super::exports::{EXPORT_COLUMNS, export_row};
use super::{ExportRow, Result, Store};
use crate::clock::ms;
use convo_model::Timestamp;
use convo_model::api::{AuditAction, Verification};

impl Store {
    /// Takes the check of a ready, pending export for `owner` until `until`; false when
    /// it is checked already, or someone holds a lease on it that has not lapsed (this
    /// process too: each check runs once).
    pub async fn claim_verification(&self, id: &str, owner: &str, now: Timestamp, until: Timestamp) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE exports SET verify_owner = $1, verify_until = $2 WHERE id = $3 AND status = 'ready' AND verification = 'pending' \
             AND (verify_until IS NULL OR verify_until < $4)",
        )
        .bind(owner)
        .bind(ms(until))
        .bind(id)
        .bind(ms(now))
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Renews `owner`'s lease on a check; false when the check is no longer its own.
    pub async fn renew_verification(&self, id: &str, owner: &str, until: Timestamp) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE exports SET verify_until = $1 WHERE id = $2 AND status = 'ready' AND verification = 'pending' AND verify_owner = $3",
        )
        .bind(ms(until))
        .bind(id)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Records the outcome of a check `owner` holds, with its audit event; false when the
    /// check is no longer its own (recorded already, or taken after its lease lapsed).
    pub async fn record_verification(
        &self,
        export: &ExportRow,
        owner: &str,
        outcome: Verification,
        note: Option<&str>,
        now: Timestamp,
    ) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let r = sqlx::query(
            "UPDATE exports SET verification = $1, verification_note = $2, verify_until = NULL \
             WHERE id = $3 AND status = 'ready' AND verification = 'pending' AND verify_owner = $4",
        )
        .bind(outcome.as_str())
        .bind(note)
        .bind(&export.id)
        .bind(owner)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() != 1 {
            return Ok(false);
        }
        let action = match outcome {
            Verification::Verified => AuditAction::Verified,
            _ => AuditAction::VerificationFailed,
        };
        let audit = super::audit::Audit {
            at: ms(now),
            account_id: Some(export.account_id),
            export_id: export.id.clone(),
            action,
            actor: "server".into(),
            detail: note.map(str::to_string),
        };
        super::audit::insert_audit(&mut *tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Ready exports whose check nobody holds (never started, or its process died),
    /// oldest first, a few at a time.
    pub async fn unclaimed_verifications(&self, now: Timestamp) -> Result<Vec<ExportRow>> {
        let sql = format!(
            "SELECT {EXPORT_COLUMNS} FROM exports e JOIN assistants a ON a.id = e.assistant_id \
             WHERE e.status = 'ready' AND e.verification = 'pending' AND (e.verify_until IS NULL OR e.verify_until < $1) \
             ORDER BY e.created_at LIMIT 16"
        );
        let rows = sqlx::query(&sql).bind(ms(now)).fetch_all(&self.pool).await?;
        rows.iter().map(export_row).collect()
    }
}
