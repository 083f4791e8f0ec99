//! Upload completion: a browser's file is hashed as it arrives and checked against the
//! digest it declared; only a whole, matching file becomes an object, and only the
//! statement that makes the export ready records it. A broken, mismatched or late
//! upload never leaves a ready export, and never touches a ready export's bytes.

use super::{Catalog, CatalogError, Result};
use crate::files::{WriteError, Written};
use crate::store::{AccountRef, ExportRow, FinishedFile};
use bytes::Bytes;
use convo_model::api::{AuditAction, Renderer};
use futures_util::Stream;

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

impl From<WriteError> for CatalogError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::BrokeOff(why) => CatalogError::BadInput(format!("the upload broke off: {why}")),
            WriteError::TooLarge(max) => CatalogError::TooLarge(max),
            WriteError::DigestMismatch => {
                CatalogError::BadInput("Content-Digest does not match the uploaded file: nothing was stored".into())
            }
            WriteError::Empty => CatalogError::BadInput("the uploaded file is empty".into()),
            WriteError::Store(e) => CatalogError::Internal(e.into()),
        }
    }
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
        body: impl UploadBody,
    ) -> Result<ExportRow> {
        let export = self.browsers(account, id).await?;
        let max = self.settings.max_upload_bytes;
        if declared_len.is_some_and(|len| len > max) {
            return Err(CatalogError::TooLarge(max));
        }
        let written = self.files.write(id, body, max, Some(expected.0)).await?;
        if !self.finish(&export, Renderer::Browser, &written, None, &account.email).await? {
            // Deleted, evicted or taken over while the body was arriving.
            return Err(CatalogError::NotTheBrowsers(self.get(account, id).await?.status));
        }
        self.get(account, id).await
    }

    /// Makes `written` the export's file and the export ready, if `renderer` still owns
    /// it; `counts` (conversations, messages) replaces the ones fixed at creation. False
    /// (and the object deleted) when the export was deleted or taken from this renderer
    /// meanwhile.
    pub async fn finish(
        &self,
        export: &ExportRow,
        renderer: Renderer,
        written: &Written,
        counts: Option<(i64, i64)>,
        actor: &str,
    ) -> Result<bool> {
        let (conversations, messages) = counts.unwrap_or((export.conversations.unwrap_or(0), export.messages.unwrap_or(0)));
        self.finish_file(export, renderer, written, (conversations, messages), None, actor).await
    }

    /// As [`Catalog::finish`], for a file of `parts` parts (then `written.key` is their
    /// prefix) or of one object.
    pub(super) async fn finish_with_parts(
        &self,
        export: &ExportRow,
        renderer: Renderer,
        written: &Written,
        parts: Option<i64>,
        actor: &str,
    ) -> Result<bool> {
        let counts = (export.conversations.unwrap_or(0), export.messages.unwrap_or(0));
        self.finish_file(export, renderer, written, counts, parts, actor).await
    }

    async fn finish_file(
        &self,
        export: &ExportRow,
        renderer: Renderer,
        written: &Written,
        (conversations, messages): (i64, i64),
        parts: Option<i64>,
        actor: &str,
    ) -> Result<bool> {
        let sha256 = hex::encode(written.sha256);
        let file = FinishedFile { key: &written.key, size: written.size as i64, sha256: &sha256, conversations, messages, parts };
        let done = self.store.finish_export(&export.id, renderer, file, self.clock.now()).await?;
        if done {
            let by = match renderer {
                Renderer::Browser => "uploaded by the browser",
                Renderer::Server => "rendered by the server",
            };
            self.store.audit(Some(export.account_id), &export.id, AuditAction::Ready, actor, Some(by), self.clock.now()).await?;
        } else if parts.is_some() {
            for part in self.store.parts(&export.id).await? {
                self.files.delete(&part.key).await?;
            }
        } else {
            self.files.delete(&written.key).await?;
        }
        Ok(done)
    }
}
