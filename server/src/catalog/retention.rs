//! Deleting exports, by their owner or by retention, and reclaiming objects no export
//! owns. Expired exports are filtered by every query, so they vanish at once; the sweep
//! only reclaims their rows and files.

use super::{Catalog, CatalogError, Result};
use crate::store::AccountRef;
use convo_model::api::WebhookEvent;

/// What one sweep did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sweep {
    pub expired: usize,
    pub orphan_files: usize,
    pub taken_over: usize,
    pub scheduled: usize,
    pub checks: usize,
    pub sessions_and_tokens: u64,
    /// Exports whose coming expiry was announced to webhooks.
    pub expiring: usize,
}

/// Scratch files and unrecorded objects older than this were left by a crash mid-write:
/// no upload or render of a live export runs that long.
const LEFTOVER_AGE: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Webhooks hear of an expiry this long before it.
const EXPIRY_NOTICE: chrono::Duration = chrono::Duration::days(3);

impl Catalog {
    /// Tells webhooks of ready exports that expire within 3 days, once each.
    pub async fn announce_expiring(&self) -> Result<usize> {
        let now = self.clock.now();
        let mut announced = 0;
        for (id, account_id) in self.store.expiring_unannounced(now + EXPIRY_NOTICE, now).await? {
            let notice = self.webhooks.notice(WebhookEvent::ExportExpiring, account_id).await?;
            announced += usize::from(self.store.announce_expiry(&id, &|e| notice.owed(e), now).await?);
        }
        Ok(announced)
    }

    /// Deletes the account's export and its file, permanently.
    pub async fn delete(&self, account: &AccountRef, id: &str) -> Result<()> {
        if !self.store.delete_export(account.id, &account.email, id, self.clock.now()).await? {
            return Err(CatalogError::NoSuchExport);
        }
        self.files.delete_export(id).await?;
        Ok(())
    }

    /// Deletes expired exports and their files, objects no export records (those of
    /// deleted exports at once, leftovers of broken writes once old), old scratch files,
    /// and expired sessions and tokens. (Take-overs are counted by the caller.)
    pub async fn sweep(&self) -> Result<Sweep> {
        let now = self.clock.now();
        let mut sweep = Sweep::default();
        for id in self.store.sweep_expired(now).await? {
            self.files.delete_export(&id).await?;
            sweep.expired += 1;
        }
        let recorded = self.store.file_keys().await?;
        // Parts are recorded by their rows: no sweep deletes an object a row points to.
        let parts = self.store.part_keys().await?;
        let old_before = now - chrono::Duration::from_std(LEFTOVER_AGE).unwrap_or_default();
        for object in self.files.list(None).await? {
            let orphan = match crate::files::export_of(&object.key).map(|id| recorded.get(id)) {
                // Not an export's object: not ours to delete.
                None => false,
                // An export that is gone.
                Some(None) => true,
                Some(Some(key)) => {
                    // A ready file is one object, or parts under a prefix ending in `/`.
                    let recorded = key.as_deref().is_some_and(|k| k == object.key || (k.ends_with('/') && object.key.starts_with(k)));
                    !recorded && !parts.contains(&object.key) && object.modified < old_before
                }
            };
            if orphan {
                self.files.delete(&object.key).await?;
                sweep.orphan_files += 1;
            }
        }
        self.files.sweep_scratch(LEFTOVER_AGE)?;
        sweep.sessions_and_tokens = self.store.sweep_sessions_and_tokens(now).await?;
        Ok(sweep)
    }
}
