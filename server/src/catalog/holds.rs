//! Holds: a kept export is neither evicted nor expired; at most a few per account, so
//! that the limit of 20 can always make room.

use super::{Catalog, CatalogError, Result};
use crate::store::{AccountRef, ExportRow};

/// Exports an account may keep at once.
pub const MAX_HELD: i64 = 5;

impl Catalog {
    /// Keeps (`true`) or releases the account's export. (Released past its retention, it
    /// is answered once more, then gone.)
    pub async fn hold(&self, account: &AccountRef, id: &str, held: bool) -> Result<ExportRow> {
        self.get(account, id).await?;
        if !self.store.set_held(account.id, &account.email, id, held, MAX_HELD, self.clock.now()).await? {
            return Err(CatalogError::Conflict(format!(
                "{MAX_HELD} exports are kept already, the most an account may keep: release one before keeping another"
            )));
        }
        self.store.export_by_id(id).await?.ok_or(CatalogError::NoSuchExport)
    }
}
