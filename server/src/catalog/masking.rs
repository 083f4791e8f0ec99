//! What the preview says a redaction would mask: the scope's conversations read page by
//! page and masked by the renderer's own redactor (so the count is what the file will
//! hold), up to a bound, since the dialog asks again at every change.

use super::{Catalog, Result};
use crate::store::{Cursor, PageLimits, Scope};
use convo_model::{Redaction, RedactionPreview};
use convo_render::redact::Redactor;

/// The most messages a preview reads. Masking runs at about 250,000 messages a second on
/// one core (the render bench with redaction), so a preview answers in well under a
/// second; past it, the counts are of the first conversations and say so.
const PREVIEW_MESSAGES: u64 = 100_000;
/// A page of the count: small, so the bound is kept closely.
const PAGE: PageLimits = PageLimits { conversations: 200, messages: 5_000, bytes: 4 << 20 };

impl Catalog {
    /// Counts what `redaction` would mask in the conversations of `scope`.
    pub(super) async fn redaction_preview(&self, scope: Scope<'_>, redaction: &Redaction) -> Result<RedactionPreview> {
        let mut redactor = Redactor::new(redaction);
        let mut cursor: Option<Cursor> = None;
        let mut read = 0u64;
        loop {
            let page = self.store.conversation_page(scope, cursor, PAGE).await?;
            read += page.conversations.iter().map(|c| c.exported_messages().count() as u64).sum::<u64>();
            redactor = tokio::task::spawn_blocking(move || {
                for c in &page.conversations {
                    redactor.conversation(c);
                }
                redactor
            })
            .await
            .map_err(|e| super::CatalogError::Internal(e.into()))?;
            match page.next {
                Some(next) if read < PREVIEW_MESSAGES => cursor = Some(next),
                Some(_) => return Ok(RedactionPreview { tally: redactor.tally(), complete: false }),
                None => return Ok(RedactionPreview { tally: redactor.tally(), complete: true }),
            }
        }
    }
}
