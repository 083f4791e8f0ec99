//! State changes of a processing export. Each applies only while the export is in the
//! state it expects (`WHERE status = 'processing' AND renderer = …`), so a late report
//! never undoes another renderer's work; the one that makes an export ready records its
//! file and its place in the since-last chain in the same transaction. Making an export
//! ready or failed writes the webhook deliveries that owes in its transaction too.

use super::audit::{Audit, insert_audit};
use super::webhooks::{Tidings, commit_owing, enqueue_owed};
use super::{ExportRow, Result, Store};
use crate::clock::ms;
use convo_model::Timestamp;
use convo_model::api::{AuditAction, Renderer, Verification};
use sqlx::Row;

/// A ready export's file, as recorded in the same statement that makes it ready.
#[derive(Debug, Clone)]
pub struct FinishedFile<'a> {
    pub key: &'a str,
    pub size: i64,
    pub sha256: &'a str,
    pub conversations: i64,
    pub messages: i64,
    /// For a file uploaded in parts: how many (`key` is their prefix).
    pub parts: Option<i64>,
    /// What its statistics show (as its manifest states), kept in the chain for the
    /// export that continues it; none when the file does not say.
    pub figures: Option<&'a convo_model::Figures>,
}

/// Whether a server render waits for a slot (shown so in Available Exports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waiting {
    Yes,
    No,
}

/// Who may change a processing export: the browser rendering it, or the server process
/// that holds its lease (a process whose lease lapsed and was taken is no longer it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner<'a> {
    Browser,
    Server { lease_owner: &'a str },
}

impl Owner<'_> {
    pub fn renderer(self) -> Renderer {
        match self {
            Owner::Browser => Renderer::Browser,
            Owner::Server { .. } => Renderer::Server,
        }
    }

    /// The lease owner a server render must hold (bound, but unused, for a browser).
    fn lease_owner(self) -> String {
        match self {
            Owner::Browser => String::new(),
            Owner::Server { lease_owner } => lease_owner.to_string(),
        }
    }

    /// The condition on the renderer (`$n`) and the lease (`$n+1`).
    fn clause(self, n: usize) -> String {
        format!("renderer = ${n} AND (renderer = 'browser' OR lease_owner = ${})", n + 1)
    }
}

impl Store {
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

    /// A server render's heartbeat (and progress, when given), which renews its lease;
    /// false when the export is no longer the server's, or another process took it over.
    pub async fn server_heartbeat(&self, id: &str, owner: &str, done: Option<i64>, now: Timestamp) -> Result<bool> {
        self.beat(id, owner, done, None, now).await
    }

    /// Marks a processing export ready with its file, if `owner` still renders it; false
    /// when it was deleted, failed or taken over meanwhile (a server render whose lease
    /// another process took). The file, the state, its verification and the chain entry
    /// change together.
    pub async fn finish_export(
        &self,
        id: &str,
        owner: Owner<'_>,
        file: FinishedFile<'_>,
        tidings: Tidings<'_>,
        now: Timestamp,
    ) -> Result<bool> {
        // A server render is its own reproduction; a browser's upload waits for one.
        let verification = match owner {
            Owner::Browser => Verification::Pending,
            Owner::Server { .. } => Verification::Verified,
        };
        let mut tx = self.pool.begin().await?;
        let r = sqlx::query(&format!(
            "UPDATE exports SET status = 'ready', size_bytes = $1, sha256 = $2, conversations = $3, messages = $4, file_key = $5, \
             progress_done = progress_total, heartbeat_at = $6, waiting = 0, file_parts = $7, lease_until = NULL, verification = $8 \
             WHERE id = $9 AND status = 'processing' AND {}",
            owner.clause(10)
        ))
        .bind(file.size)
        .bind(file.sha256)
        .bind(file.conversations)
        .bind(file.messages)
        .bind(file.key)
        .bind(ms(now))
        .bind(file.parts)
        .bind(verification.as_str())
        .bind(id)
        .bind(owner.renderer().as_str())
        .bind(owner.lease_owner())
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO export_chain (export_id, account_id, assistant_id, range_from, range_to, sha256, ready_at, figures) \
             SELECT id, account_id, assistant_id, range_from, range_to, sha256, $2, $3 FROM exports WHERE id = $1",
        )
        .bind(id)
        .bind(ms(now))
        .bind(super::exports::figures_json(file.figures)?)
        .execute(&mut *tx)
        .await?;
        enqueue_owed(&mut tx, id, tidings, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// A server render waits for a core, or starts; either way its heartbeat is fresh, so
    /// no process takes a waiting export over. False when it is no longer the server's.
    pub async fn set_waiting(&self, id: &str, owner: &str, waiting: Waiting, now: Timestamp) -> Result<bool> {
        self.beat(id, owner, None, Some(waiting == Waiting::Yes), now).await
    }

    /// Renews a server render's lease (taking it when free), with its progress or its
    /// waiting flag when given.
    async fn beat(&self, id: &str, owner: &str, done: Option<i64>, waiting: Option<bool>, now: Timestamp) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE exports SET progress_done = COALESCE($1, progress_done), waiting = COALESCE($2, waiting), heartbeat_at = $3, \
             lease_owner = $4 \
             WHERE id = $5 AND status = 'processing' AND renderer = 'server' AND (lease_owner IS NULL OR lease_owner = $4)",
        )
        .bind(done)
        .bind(waiting.map(i64::from))
        .bind(ms(now))
        .bind(owner)
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

    /// Fails a processing export, if `owner` still renders it; false when it is no longer
    /// processing, another renderer took it, or (a server render) another process holds
    /// its lease now.
    pub async fn fail_export(&self, id: &str, owner: Owner<'_>, reason: &str, tidings: Tidings<'_>, now: Timestamp) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let r = sqlx::query(&format!(
            "UPDATE exports SET status = 'failed', waiting = 0, error = $1, heartbeat_at = $2 WHERE id = $3 AND status = 'processing' AND {}",
            owner.clause(4)
        ))
        .bind(reason)
        .bind(ms(now))
        .bind(id)
        .bind(owner.renderer().as_str())
        .bind(owner.lease_owner())
        .execute(&mut *tx)
        .await?;
        commit_owing(tx, r.rows_affected() == 1, id, tidings, now).await
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
            let detail = Some(format!("handed over by the browser: {reason}"));
            insert_audit(
                &self.pool,
                Audit {
                    at: ms(now),
                    account_id: account,
                    export_id: id.into(),
                    action: AuditAction::TakenOver,
                    actor: "server".into(),
                    detail,
                },
            )
            .await?;
        }
        Ok(handed)
    }

    /// Takes over processing exports whose renderer went quiet before `stale_before`
    /// (a closed tab, a crashed server): each is claimed by exactly one caller.
    pub async fn claim_stale(
        &self,
        browser_before: Timestamp,
        server_before: Timestamp,
        owner: &str,
        now: Timestamp,
    ) -> Result<Vec<ExportRow>> {
        // A browser that went quiet, or a server render whose lease (its heartbeat)
        // lapsed: its process died.
        const STALE: &str =
            "status = 'processing' AND ((renderer = 'browser' AND heartbeat_at < $1) OR (renderer = 'server' AND heartbeat_at < $2))";
        let ids: Vec<String> =
            sqlx::query_scalar(&format!("SELECT id FROM exports WHERE {STALE} AND expires_at > $3 ORDER BY created_at LIMIT 16"))
                .bind(ms(browser_before))
                .bind(ms(server_before))
                .bind(ms(now))
                .fetch_all(&self.pool)
                .await?;
        let mut claimed = Vec::new();
        for id in ids {
            let r = sqlx::query(&format!(
                "UPDATE exports SET renderer = 'server', heartbeat_at = $3, lease_owner = $4, waiting = 0 WHERE id = $5 AND {STALE}"
            ))
            .bind(ms(browser_before))
            .bind(ms(server_before))
            .bind(ms(now))
            .bind(owner)
            .bind(&id)
            .execute(&self.pool)
            .await?;
            if r.rows_affected() == 1
                && let Some(row) = self.export_by_id(&id).await?
            {
                let why =
                    if row.renderer == Renderer::Server { "the server process rendering it stopped" } else { "its browser went quiet" };
                self.audit(Some(row.account_id), &id, AuditAction::TakenOver, "server", Some(why), now).await?;
                claimed.push(row);
            }
        }
        Ok(claimed)
    }
}
