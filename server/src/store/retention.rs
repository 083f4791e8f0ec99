//! The catalog's rows leaving or staying: holds (kept exports, at most a few, counted
//! under the account's lock), deletion by the owner, and retention's sweep of expired
//! exports not held. Each change and its audit event go in one transaction.

use super::audit::{Audit, insert_audit};
use super::exports::delete_export_row;
use super::{Result, Store};
use crate::clock::ms;
use convo_model::Timestamp;
use convo_model::api::AuditAction;
use sqlx::Row;

/// Whether an export is to be kept (held) or released.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    Keep,
    Release,
}

impl Store {
    /// Holds or releases the account's export; at most `max_held` held at once (checked
    /// under the account's lock, so concurrent holds cannot pass it). `Ok(false)` when
    /// holding would exceed it.
    pub async fn set_held(&self, account_id: i64, actor: &str, id: &str, hold: Hold, max_held: i64, now: Timestamp) -> Result<bool> {
        let held = hold == Hold::Keep;
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE accounts SET export_seq = export_seq WHERE id = $1").bind(account_id).execute(&mut *tx).await?;
        if held {
            let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM exports WHERE account_id = $1 AND held = 1 AND id <> $2")
                .bind(account_id)
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            if count >= max_held {
                tx.rollback().await?;
                return Ok(false);
            }
        }
        let changed = sqlx::query("UPDATE exports SET held = $1 WHERE id = $2 AND account_id = $3 AND held <> $1")
            .bind(i64::from(held))
            .bind(id)
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
        if changed.rows_affected() == 1 {
            let action = if held { AuditAction::Held } else { AuditAction::Released };
            let audit =
                Audit { at: ms(now), account_id: Some(account_id), export_id: id.into(), action, actor: actor.into(), detail: None };
            insert_audit(&mut *tx, audit).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Deletes the account's export; false when there is none.
    pub async fn delete_export(&self, account_id: i64, actor: &str, id: &str, now: Timestamp) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        // A write first: on SQLite a transaction that reads before it writes fails at
        // once when another commit came between (SQLITE_BUSY_SNAPSHOT).
        let exists = sqlx::query("UPDATE exports SET held = held WHERE account_id = $1 AND (expires_at > $2 OR held = 1) AND id = $3")
            .bind(account_id)
            .bind(ms(now))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if exists.rows_affected() == 0 {
            return Ok(false);
        }
        let audit = Audit {
            at: ms(now),
            account_id: Some(account_id),
            export_id: id.into(),
            action: AuditAction::Deleted,
            actor: actor.into(),
            detail: None,
        };
        insert_audit(&mut *tx, audit).await?;
        delete_export_row(&mut tx, id).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Deletes expired exports that are not held; returns their ids, whose files can go.
    pub async fn sweep_expired(&self, now: Timestamp) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT id, account_id FROM exports WHERE expires_at <= $1 AND held = 0")
            .bind(ms(now))
            .fetch_all(&self.pool)
            .await?;
        let mut ids = Vec::new();
        for r in rows {
            let id: String = r.try_get("id")?;
            let account: i64 = r.try_get("account_id")?;
            let mut tx = self.pool.begin().await?;
            let still = sqlx::query("UPDATE exports SET held = held WHERE id = $1 AND expires_at <= $2 AND held = 0")
                .bind(&id)
                .bind(ms(now))
                .execute(&mut *tx)
                .await?;
            if still.rows_affected() == 1 {
                let audit = Audit {
                    at: ms(now),
                    account_id: Some(account),
                    export_id: id.clone(),
                    action: AuditAction::Expired,
                    actor: "retention".into(),
                    detail: None,
                };
                insert_audit(&mut *tx, audit).await?;
                delete_export_row(&mut tx, &id).await?;
                ids.push(id);
            }
            tx.commit().await?;
        }
        Ok(ids)
    }
}
