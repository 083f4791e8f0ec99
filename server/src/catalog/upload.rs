//! Upload completion: a browser's file is hashed as it arrives, checked against the
//! digest it declared, and only then becomes the export's file, in the same step that
//! marks the export ready. A broken or mismatched upload never leaves a ready export.

use super::{Catalog, CatalogError, Result};
use crate::store::{AccountRef, ExportRow};
use bytes::Bytes;
use convo_model::api::{AuditAction, Renderer};
use futures_util::{Stream, StreamExt};
use sha2::Sha256;
use tokio::io::AsyncWriteExt;

/// A SHA-256 digest a client declared for what it sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digest(pub [u8; 32]);

/// An upload's body: chunks as they arrive, or why the stream broke off.
pub trait UploadBody: Stream<Item = Result<Bytes, Self::Error>> + Unpin + Send {
    type Error: std::fmt::Display;
}

impl<S, E> UploadBody for S
where
    S: Stream<Item = Result<Bytes, E>> + Unpin + Send,
    E: std::fmt::Display,
{
    type Error = E;
}

impl Catalog {
    /// Receives the file a browser rendered. `declared_len` (Content-Length) refuses an
    /// oversized upload before a byte is read.
    pub async fn receive_upload(
        &self,
        account: &AccountRef,
        id: &str,
        expected: Digest,
        declared_len: Option<u64>,
        mut body: impl UploadBody,
    ) -> Result<ExportRow> {
        let export = self.browsers(account, id).await?;
        let max = self.settings.max_upload_bytes;
        if declared_len.is_some_and(|len| len > max) {
            return Err(CatalogError::TooLarge(max));
        }
        let temp = self.files.temp()?;
        let mut file = tokio::fs::File::from_std(temp.reopen()?);
        let mut hasher = <Sha256 as sha2::Digest>::new();
        let mut size: u64 = 0;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| CatalogError::BadInput(format!("the upload broke off: {e}")))?;
            size += chunk.len() as u64;
            if size > max {
                return Err(CatalogError::TooLarge(max));
            }
            sha2::Digest::update(&mut hasher, &chunk);
            file.write_all(&chunk).await?;
        }
        file.flush().await?;
        drop(file);
        let digest: [u8; 32] = sha2::Digest::finalize(hasher).into();
        if digest != expected.0 {
            return Err(CatalogError::BadInput("Content-Digest does not match the uploaded file: nothing was stored".into()));
        }
        if size == 0 {
            return Err(CatalogError::BadInput("the uploaded file is empty".into()));
        }
        let finished = self.finish(&export, Renderer::Browser, temp, size, &hex::encode(digest), None).await?;
        if !finished {
            // Deleted, evicted or taken over while the body was arriving.
            return Err(CatalogError::NotTheBrowsers(self.get(account, id).await?.status));
        }
        self.store.audit(Some(account.id), id, AuditAction::Ready, Some("uploaded by the browser"), self.clock.now()).await?;
        self.get(account, id).await
    }

    /// Makes `temp` the export's file and marks it ready, if `renderer` still owns it;
    /// `counts` (conversations, messages) replaces the ones fixed at creation. False
    /// when the export was deleted or taken from this renderer meanwhile.
    pub async fn finish(
        &self,
        export: &ExportRow,
        renderer: Renderer,
        temp: tempfile::NamedTempFile,
        size: u64,
        sha256: &str,
        counts: Option<(i64, i64)>,
    ) -> Result<bool> {
        let files = self.files.clone();
        let id = export.id.clone();
        tokio::task::spawn_blocking(move || files.commit(&id, temp)).await.map_err(|e| CatalogError::Internal(e.into()))??;
        let (conversations, messages) = counts.unwrap_or((export.conversations.unwrap_or(0), export.messages.unwrap_or(0)));
        let done = self.store.finish_export(&export.id, renderer, size as i64, sha256, conversations, messages, self.clock.now()).await?;
        if !done && !self.store.export_exists(&export.id).await? {
            self.files.delete(&export.id);
        }
        Ok(done)
    }
}
