//! A processing export's renderer: the browser reports progress or failure, or hands
//! the export to the server; the server takes over exports whose renderer went quiet.
//! Each change applies only while the export is in the state it expects, so a late
//! report never undoes the server's work.

use super::{Catalog, CatalogError, Result};
use crate::store::{AccountRef, ExportRow, Owner, Waiting};
use convo_model::api::WebhookEvent;
use convo_model::api::{AuditAction, Renderer};

/// Reasons are shown in Available Exports: kept short.
const MAX_REASON_CHARS: usize = 500;

fn short(reason: &str) -> String {
    reason.chars().take(MAX_REASON_CHARS).collect()
}

impl Catalog {
    /// A rendering browser's progress (messages rendered so far).
    pub async fn progress(&self, account: &AccountRef, id: &str, done: i64) -> Result<ExportRow> {
        let export = self.get(account, id).await?;
        if done < 0 {
            return Err(CatalogError::BadInput("done must not be negative".into()));
        }
        if !self.store.report_progress(id, Renderer::Browser, done, self.clock.now()).await? {
            return Err(CatalogError::NotTheBrowsers(export.status));
        }
        self.get(account, id).await
    }

    /// The browser could not finish: the export fails with its reason.
    pub async fn browser_failed(&self, account: &AccountRef, id: &str, reason: &str) -> Result<ExportRow> {
        self.browsers(account, id).await?;
        let notice = self.webhooks.notice(WebhookEvent::ExportFailed, account.id).await?;
        if self.store.fail_export(id, Owner::Browser, &short(reason), &|e| notice.owed(e), self.clock.now()).await? {
            self.store.audit(Some(account.id), id, AuditAction::Failed, &account.email, Some(&short(reason)), self.clock.now()).await?;
        }
        self.get(account, id).await
    }

    /// The browser cannot finish (a file bigger than it can hold): the export becomes the
    /// server's, which the caller renders.
    pub async fn hand_over(&self, account: &AccountRef, id: &str, reason: &str) -> Result<ExportRow> {
        self.browsers(account, id).await?;
        if !self.store.hand_over(id, &short(reason), self.clock.now()).await? {
            return Err(CatalogError::NotTheBrowsers(self.get(account, id).await?.status));
        }
        self.get(account, id).await
    }

    /// Processing exports whose renderer went quiet (a closed tab, a crashed server),
    /// each now the server's: exactly one caller gets each.
    pub async fn take_over_stale(&self) -> Result<Vec<ExportRow>> {
        let now = self.clock.now();
        Ok(self.store.claim_stale(now - self.settings.stale_after, now - self.settings.render_lease, &self.instance, now).await?)
    }

    /// A server render's heartbeat and progress (messages rendered), which renew this
    /// process's lease; false when the export is no longer this process's to render
    /// (deleted, expired, or taken over after its lease lapsed).
    pub async fn server_progress(&self, export: &ExportRow, done: Option<i64>) -> Result<bool> {
        Ok(self.store.server_heartbeat(&export.id, &self.instance, done, self.clock.now()).await?)
    }

    /// A server render waits for a free slot (shown as waiting; its lease renewed); false
    /// when the export is no longer the server's to render.
    pub async fn server_waiting(&self, export: &ExportRow) -> Result<bool> {
        Ok(self.store.set_waiting(&export.id, &self.instance, Waiting::Yes, self.clock.now()).await?)
    }

    /// A server render got its slot and starts (taking its lease); false when the export
    /// is no longer the server's to render.
    pub async fn server_starting(&self, export: &ExportRow) -> Result<bool> {
        Ok(self.store.set_waiting(&export.id, &self.instance, Waiting::No, self.clock.now()).await?)
    }

    /// A server render of this process failed: said without internals. A process whose
    /// lease was taken over cannot fail the export its successor renders.
    pub async fn server_failed(&self, export: &ExportRow) -> Result<()> {
        let reason = "the server could not render this export";
        let notice = self.webhooks.notice(WebhookEvent::ExportFailed, export.account_id).await?;
        let lease = Owner::Server { lease_owner: &self.instance };
        if self.store.fail_export(&export.id, lease, reason, &|e| notice.owed(e), self.clock.now()).await? {
            self.store.audit(Some(export.account_id), &export.id, AuditAction::Failed, "server", Some(reason), self.clock.now()).await?;
        }
        Ok(())
    }
}
