//! Reading a ready export's file (whole or a byte range), recorded in the audit trail.

use super::{Catalog, CatalogError, Result};
use crate::store::{AccountRef, ExportRow};
use bytes::Bytes;
use convo_model::api::{AuditAction, ExportStatus};
use futures_util::stream::BoxStream;
use std::ops::Range;

/// How the file is read: saved, or opened in the browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    Download,
    Open,
}

/// A ready export's bytes on their way out.
pub struct FileRead {
    pub export: ExportRow,
    /// The whole file's size.
    pub size: u64,
    /// The bytes asked for (all when no range was).
    pub range: Range<u64>,
    pub body: BoxStream<'static, std::io::Result<Bytes>>,
}

impl Catalog {
    /// The ready export's bytes, `range` of them when given (already checked against
    /// the size recorded at ready).
    pub async fn read(&self, account: &AccountRef, id: &str, how: Reading, range: Option<Range<u64>>) -> Result<FileRead> {
        let export = self.get(account, id).await?;
        if export.status != ExportStatus::Ready {
            return Err(CatalogError::NotReady(export.status));
        }
        let key = export.file_key.clone().ok_or_else(|| anyhow::anyhow!("ready export {id} has no file"))?;
        let size = export.size_bytes.unwrap_or(0).max(0) as u64;
        let range = range.unwrap_or(0..size);
        let body = match export.file_parts {
            Some(_) => {
                let parts = self.store.parts(id).await?.into_iter().map(|p| (p.key, p.size.max(0) as u64)).collect();
                self.files.read_parts(parts, range.clone())
            }
            None => self.files.read(&key, Some(range.clone())).await?.1,
        };
        // A whole download is what the activity trail records; a resumed one (a range
        // not from the start) is the same download going on.
        if range.start == 0 {
            let action = match how {
                Reading::Download => AuditAction::Downloaded,
                Reading::Open => AuditAction::Opened,
            };
            self.store.audit(Some(account.id), id, action, &account.email, None, self.clock.now()).await?;
        }
        Ok(FileRead { export, size, range, body })
    }
}
