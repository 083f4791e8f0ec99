//! Deleting exports, by their owner or by retention, and reclaiming files no export
//! owns. Expired exports are filtered by every query, so they vanish at once; the sweep
//! only reclaims their rows and files.

use super::{Catalog, CatalogError, Result};
use crate::store::AccountRef;

/// What one sweep did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sweep {
    pub expired: usize,
    pub orphan_files: usize,
    pub taken_over: usize,
}

/// Temporary files older than this were left by a crash mid-upload.
const TEMP_FILE_AGE: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

impl Catalog {
    /// Deletes the account's export and its file, permanently.
    pub async fn delete(&self, account: &AccountRef, id: &str) -> Result<()> {
        if !self.store.delete_export(account.id, id, self.clock.now()).await? {
            return Err(CatalogError::NoSuchExport);
        }
        self.files.delete(id);
        Ok(())
    }

    /// Deletes expired exports and their files, files no export owns, and old
    /// temporary files. (Take-overs are counted by the caller, which renders them.)
    pub async fn sweep(&self) -> Result<Sweep> {
        let mut sweep = Sweep::default();
        for id in self.store.sweep_expired(self.clock.now()).await? {
            self.files.delete(&id);
            sweep.expired += 1;
        }
        for id in self.files.ids()? {
            if !self.store.export_exists(&id).await? {
                self.files.delete(&id);
                sweep.orphan_files += 1;
            }
        }
        self.files.sweep_temp(TEMP_FILE_AGE)?;
        Ok(sweep)
    }
}
