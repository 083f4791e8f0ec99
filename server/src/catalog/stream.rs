//! An export's pages read ahead for one streamed answer: a task of its own reads page
//! after page into a channel of one, so the database works on the next page while the
//! current one is on its way and the reader renders the one before. The first pages are
//! small (1,000 messages, doubling to the export's page) so that the reader starts
//! within a few milliseconds of asking.
//!
//! Bounded: at most [`STREAMS_PER_ACCOUNT`] open streams per account and [`STREAMS`] in
//! all (each holds up to three pages: one read, one queued, one being sent); a reader
//! that takes nothing for [`STALLED_AFTER`] loses its stream.

use super::pages::{cursor_of, scaled};
use super::{Catalog, CatalogError, Result};
use crate::store::{AccountRef, Cursor, ExportRow, Page, StoredConversation};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
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
#[derive(Clone, Default)]
pub struct Streams(Arc<Mutex<HashMap<i64, usize>>>);

/// One open stream; closing it (dropping) gives its place back.
pub struct StreamPermit {
    streams: Streams,
    account: i64,
}

impl Streams {
    fn open(&self, account: i64) -> Result<StreamPermit> {
        let mut open = self.0.lock().map_err(|_| CatalogError::Internal(anyhow::anyhow!("the stream count was poisoned")))?;
        let total: usize = open.values().sum();
        let mine = open.get(&account).copied().unwrap_or(0);
        if mine >= STREAMS_PER_ACCOUNT {
            return Err(CatalogError::Busy(format!(
                "at most {STREAMS_PER_ACCOUNT} exports stream at once per account: wait for one to finish"
            )));
        }
        if total >= STREAMS {
            return Err(CatalogError::Busy("the server is streaming as many exports as it can: try again shortly".into()));
        }
        open.insert(account, mine + 1);
        Ok(StreamPermit { streams: self.clone(), account })
    }
}

impl Drop for StreamPermit {
    fn drop(&mut self) {
        if let Ok(mut open) = self.streams.0.lock()
            && let Some(n) = open.get_mut(&self.account)
        {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.account);
            }
        }
    }
}

/// The pages of one stream, in order; an error ends them.
pub struct PagesAhead {
    pages: mpsc::Receiver<Result<Page<StoredConversation>>>,
    _permit: StreamPermit,
}

impl PagesAhead {
    pub async fn next(&mut self) -> Option<Result<Page<StoredConversation>>> {
        self.pages.recv().await
    }
}

impl Catalog {
    /// The account's export `id` from `cursor` (as a cursor line gave it), read ahead.
    pub async fn pages_ahead(&self, account: &AccountRef, id: &str, cursor: Option<&str>) -> Result<PagesAhead> {
        let export = self.get(account, id).await?;
        let cursor = cursor_of(cursor)?;
        let permit = self.streams.open(account.id)?;
        let (tx, rx) = mpsc::channel(1);
        let catalog = self.clone();
        tokio::spawn(async move { catalog.read_ahead(export, cursor, tx).await });
        Ok(PagesAhead { pages: rx, _permit: permit })
    }

    async fn read_ahead(&self, export: ExportRow, mut cursor: Option<Cursor>, tx: mpsc::Sender<Result<Page<StoredConversation>>>) {
        let full = self.export_limits();
        let mut messages = FIRST_PAGE_MESSAGES.min(full.messages);
        loop {
            let page = self.page_of(&export, cursor, scaled(full, messages)).await;
            let next = match &page {
                Ok(page) => page.next,
                Err(_) => None,
            };
            match tokio::time::timeout(STALLED_AFTER, tx.send(page)).await {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_opens_at_most_its_share_of_streams_and_a_closed_one_gives_its_place_back() {
        let streams = Streams::default();
        let mine: Vec<StreamPermit> = (0..STREAMS_PER_ACCOUNT).map(|_| streams.open(1).unwrap()).collect();
        assert!(matches!(streams.open(1), Err(CatalogError::Busy(_))), "one past the account's share");
        let other = streams.open(2).expect("another account is not held up");
        drop(mine.into_iter().next());
        let again = streams.open(1).expect("a closed stream's place is free again");
        drop((other, again));
    }

    #[test]
    fn the_process_opens_at_most_its_streams_whoever_asks() {
        let streams = Streams::default();
        let all: Vec<StreamPermit> = (0..STREAMS as i64).map(|n| streams.open(n / STREAMS_PER_ACCOUNT as i64).unwrap()).collect();
        assert!(matches!(streams.open(10_000), Err(CatalogError::Busy(_))));
        drop(all);
        assert!(streams.0.lock().unwrap().is_empty(), "every place given back");
    }
}
