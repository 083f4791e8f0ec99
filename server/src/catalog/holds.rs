//! Holds: a kept export is neither evicted nor expired; at most a few per account, so
//! that the limit of 20 can always make room.

use super::{Catalog, CatalogError, Result};
use crate::store::{AccountRef, ExportRow, Hold};
use convo_model::api::CatalogLimits;

/// Exports an account may keep at once.
pub const MAX_HELD: i64 = 5;

impl Catalog {
    /// Keeps the account's export: neither evicted nor expired; at most `MAX_HELD`.
    pub async fn hold(&self, account: &AccountRef, id: &str) -> Result<ExportRow> {
        self.set_hold(account, id, Hold::Keep).await
    }

    /// Releases the account's export. (Released past its retention, it is answered once
    /// more, then gone.)
    pub async fn release(&self, account: &AccountRef, id: &str) -> Result<ExportRow> {
        self.set_hold(account, id, Hold::Release).await
    }

    /// The catalog's limits, as the web app shows them.
    pub fn limits(&self) -> CatalogLimits {
        CatalogLimits { max_exports: self.settings.max_exports, max_held: MAX_HELD }
    }

    async fn set_hold(&self, account: &AccountRef, id: &str, hold: Hold) -> Result<ExportRow> {
        self.get(account, id).await?;
        if !self.store.set_held(account.id, &account.email, id, hold, MAX_HELD, self.clock.now()).await? {
            return Err(CatalogError::Conflict(format!(
                "{MAX_HELD} exports are kept already, the most an account may keep: release one before keeping another"
            )));
        }
        self.store.export_by_id(id).await?.ok_or(CatalogError::NoSuchExport)
    }
}
