//! Upload completion: a browser's file is hashed as it arrives and checked against the
//! digest it declared; only a whole, matching file becomes an object, and only the
//! statement that makes the export ready records it. A broken, mismatched or late
//! upload never leaves a ready export, and never touches a ready export's bytes.

use super::checks::ManifestClaim;
use super::{Catalog, CatalogError, Result, still_the_browsers};
use crate::files::{WriteError, Written};
use crate::store::{AccountRef, ExportRow, FinishedFile, Owner};
use bytes::Bytes;
use convo_model::Figures;
use convo_model::api::{AuditAction, ExportStatus, Renderer, WebhookEvent};
use futures_util::{Stream, TryStreamExt};

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

/// How a ready file is stored: one object, or the parts of an upload in parts (the
/// written key is then their common prefix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Whole,
    Parts(i64),
}

/// Who finishes an export: the browser that uploaded it (the counts fixed at creation
/// stay; the figures are those its manifest states), or this process's server render
/// (with the counts and figures it rendered).
#[derive(Debug, Clone, Copy)]
pub enum By<'a> {
    Browser { actor: &'a str, figures: Option<&'a Figures> },
    Server { conversations: i64, messages: i64, figures: &'a Figures },
}

/// What a server render of this process made: its counts and its statistics' figures.
#[derive(Debug, Clone, Copy)]
pub struct Rendered<'a> {
    pub conversations: i64,
    pub messages: i64,
    pub figures: &'a Figures,
}

/// Whether `export` is ready with a whole file a browser uploaded whose SHA-256 is
/// `expected`.
fn sent_again(export: &ExportRow, expected: &Digest) -> bool {
    export.status == ExportStatus::Ready
        && export.renderer == Renderer::Browser
        && export.sha256.as_deref().is_some_and(|ready| ready == hex::encode(expected.0))
}

impl Catalog {
    /// Receives the file a browser rendered. `declared_len` (Content-Length) refuses an
    /// oversized upload before a byte is read; a file whose manifest names another export
    /// is refused (422) and its object deleted before anything points to it. The same
    /// file sent again once ready (a client whose answer was lost retries) is answered
    /// with the ready export, unread: a retry is safe, and the file never changes.
    pub async fn receive_upload(
        &self,
        account: &AccountRef,
        id: &str,
        expected: Digest,
        declared_len: Option<u64>,
        body: impl UploadBody,
    ) -> Result<ExportRow> {
        let export = self.get(account, id).await?;
        if sent_again(&export, &expected) {
            return Ok(export);
        }
        let export = still_the_browsers(export)?;
        let max = self.settings.max_upload_bytes;
        if declared_len.is_some_and(|len| len > max) {
            return Err(CatalogError::TooLarge(max));
        }
        let mut claim = ManifestClaim::of(&export);
        let body = body.inspect_ok(|chunk| claim.feed(chunk));
        let written = self.files.write(id, body, max, Some(expected.0)).await?;
        let figures = match claim.check(&export) {
            Ok(figures) => figures,
            Err(refused) => {
                self.files.delete(&written.key).await?;
                return Err(refused);
            }
        };
        if !self.finish(&export, By::Browser { actor: &account.email, figures: figures.as_ref() }, &written, Layout::Whole).await? {
            // Deleted, evicted or taken over while the body was arriving.
            return Err(CatalogError::NotTheBrowsers(self.get(account, id).await?.status));
        }
        self.get(account, id).await
    }

    /// A server render of this process is done: its file becomes the export's, if the
    /// export is still this process's to render.
    pub async fn finish_render(&self, export: &ExportRow, written: &Written, rendered: Rendered<'_>) -> Result<bool> {
        let Rendered { conversations, messages, figures } = rendered;
        self.finish(export, By::Server { conversations, messages, figures }, written, Layout::Whole).await
    }

    /// Makes `written` the export's file and the export ready, if `by` still renders it
    /// (a server render: if this process still holds its lease). False when the export
    /// was deleted or taken meanwhile; a whole object of this write is then deleted (its
    /// key is its own), parts are left to the sweep (their rows point to them).
    pub(super) async fn finish(&self, export: &ExportRow, by: By<'_>, written: &Written, layout: Layout) -> Result<bool> {
        let (owner, (conversations, messages), actor, figures) = match by {
            By::Browser { actor, figures } => {
                (Owner::Browser, (export.conversations.unwrap_or(0), export.messages.unwrap_or(0)), actor, figures)
            }
            By::Server { conversations, messages, figures } => {
                (Owner::Server { lease_owner: &self.instance }, (conversations, messages), "server", Some(figures))
            }
        };
        let parts = match layout {
            Layout::Whole => None,
            Layout::Parts(n) => Some(n),
        };
        let sha256 = hex::encode(written.sha256);
        let file = FinishedFile { key: &written.key, size: written.size as i64, sha256: &sha256, conversations, messages, parts, figures };
        let notice = self.webhooks.notice(WebhookEvent::ExportReady, export.account_id).await?;
        let done = self.store.finish_export(&export.id, owner, file, &|e| notice.owed(e), self.clock.now()).await?;
        if done {
            let how = match owner {
                Owner::Browser => "uploaded by the browser",
                Owner::Server { .. } => "rendered by the server",
            };
            self.store.audit(Some(export.account_id), &export.id, AuditAction::Ready, actor, Some(how), self.clock.now()).await?;
        } else if layout == Layout::Whole {
            self.files.delete(&written.key).await?;
        }
        Ok(done)
    }
}
