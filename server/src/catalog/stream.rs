//! An export's pages read ahead for one streamed answer: a task of its own reads page
//! after page and writes each as its JSON Lines (`convo_model::api::stream`, the
//! conversations then a cursor line) into a channel of one, so the database works on
//! the next page while the current one is on its way and the reader renders the one
//! before. Written here, so that the answer's task only sends: a page's lines are
//! ready when the socket takes more (a native client reads the 332 MB stream of
//! 2,000,000 short messages in 2.4-3.2 s, the click_to_ready bench). The first pages
//! are small (1,000 messages, doubling to the export's page) so that the reader starts
//! within a few milliseconds of asking.
//!
//! Bounded: at most [`STREAMS_PER_ACCOUNT`] open streams per account and [`STREAMS`] in
//! all (each holds up to three pages: one read, one queued, one being sent); a reader
//! that takes nothing for [`STALLED_AFTER`] loses its stream.

use super::pages::{cursor_of, scaled};
use super::{Catalog, CatalogError, Result};
use crate::shares::{Busy, Permit, Shares};
use crate::store::{AccountRef, Cursor, ExportRow, Page, StoredConversation};
use bytes::Bytes;
use convo_model::api::{write_conversation, write_cursor};
use std::time::Duration;
use tokio::sync::mpsc;

/// Open streams per account at most: a few tabs exporting at once.
pub const STREAMS_PER_ACCOUNT: usize = 4;
/// Open streams per process at most.
pub const STREAMS: usize = 64;
/// A reader that takes no page for this long is gone (or hostile): its stream ends.
const STALLED_AFTER: Duration = Duration::from_secs(60);
/// The first page's messages, doubling page after page up to the export's page.
const FIRST_PAGE_MESSAGES: i64 = 1_000;

/// The open streams, per account.
pub fn streams() -> Shares {
    Shares::new(STREAMS_PER_ACCOUNT, STREAMS, "exports streaming")
}

/// The pages of one stream as their lines, in order; an error ends them.
pub struct PagesAhead {
    pages: mpsc::Receiver<Result<Bytes>>,
    _permit: Permit,
}

impl PagesAhead {
    pub async fn next(&mut self) -> Option<Result<Bytes>> {
        self.pages.recv().await
    }
}

impl Catalog {
    /// The account's export `id` from `cursor` (as a cursor line gave it), read ahead.
    pub async fn pages_ahead(&self, account: &AccountRef, id: &str, cursor: Option<&str>) -> Result<PagesAhead> {
        let export = self.readable(account, id).await?;
        let cursor = cursor_of(cursor)?;
        let permit = self.streams.take(account.id).map_err(|Busy(message)| CatalogError::Busy(message))?;
        let (tx, rx) = mpsc::channel(1);
        let catalog = self.clone();
        tokio::spawn(async move { catalog.read_ahead(export, cursor, tx).await });
        Ok(PagesAhead { pages: rx, _permit: permit })
    }

    async fn read_ahead(&self, export: ExportRow, mut cursor: Option<Cursor>, tx: mpsc::Sender<Result<Bytes>>) {
        let full = self.export_limits();
        let mut messages = FIRST_PAGE_MESSAGES.min(full.messages);
        loop {
            let page = self.page_of(&export, cursor, scaled(full, messages)).await;
            let next = match &page {
                Ok(page) => page.next,
                Err(_) => None,
            };
            let lines = page.and_then(|page| Ok(lines_of(page)?));
            match tokio::time::timeout(STALLED_AFTER, tx.send(lines)).await {
                Ok(Ok(())) => {}
                // The reader is gone, or took nothing for a minute.
                _ => return,
            }
            match next {
                Some(next) => cursor = Some(next),
                None => return,
            }
            messages = (messages * 2).min(full.messages);
        }
    }
}

/// A page's conversation lines, then its cursor line.
fn lines_of(page: Page<StoredConversation>) -> std::io::Result<Bytes> {
    let mut out = Vec::with_capacity(1 << 16);
    for c in &page.conversations {
        write_conversation(&mut out, c)?;
    }
    write_cursor(&mut out, page.next.map(Cursor::encode).as_deref())?;
    Ok(Bytes::from(out))
}
