//! Reading a ready export's file, recorded in the audit trail.

use super::{Catalog, CatalogError, Result};
use crate::store::{AccountRef, ExportRow};
use convo_model::api::{AuditAction, ExportStatus};

/// How the file is read: saved, or opened in the browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    Download,
    Open,
}

impl Catalog {
    /// The ready export and its open file.
    pub async fn read(&self, account: &AccountRef, id: &str, how: Reading) -> Result<(ExportRow, tokio::fs::File)> {
        let export = self.get(account, id).await?;
        if export.status != ExportStatus::Ready {
            return Err(CatalogError::NotReady(export.status));
        }
        let path = self.files.path(id).ok_or_else(|| anyhow::anyhow!("file of ready export {id} is missing"))?;
        let file = tokio::fs::File::open(&path).await?;
        let action = match how {
            Reading::Download => AuditAction::Downloaded,
            Reading::Open => AuditAction::Opened,
        };
        self.store.audit(Some(account.id), id, action, None, self.clock.now()).await?;
        Ok((export, file))
    }
}
