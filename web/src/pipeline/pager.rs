//! Pages read ahead of the renderer, from the export's own pages (`GET
//! /api/exports/{id}/pages`: the server knows the range and filters, and its pages are
//! bounded by bytes, so short conversations make no more requests than long ones). Each
//! page's next cursor comes in a header, so the request for the next page leaves while
//! this one's body still arrives, and the server prepares it while the browser renders.
//! A bounded channel holds at most [`PAGES_AHEAD`] pages for the renderer.

use super::spawned;
use crate::api::{self, ApiError, with_retry};
use futures_channel::mpsc;
use futures_util::{SinkExt, StreamExt};

/// Pages waiting for the renderer at most (each up to about 4 MB of JSON).
const PAGES_AHEAD: usize = 2;
/// Messages asked for on the first page, doubling up to [`LAST_PAGE_MESSAGES`] (the
/// server answers at most its own page, bounded by bytes too): the first pages render
/// while the browser still runs our WASM unoptimised, and one 4 MB first page of 20,000
/// messages was a 331 ms task and 521 ms to Ready at 1,000 conversations (click_to_ready
/// bench).
const FIRST_PAGE_MESSAGES: u32 = 1_000;
const LAST_PAGE_MESSAGES: u32 = 64_000;

/// The pages, in order; an error ends them.
pub(super) struct Pager(mpsc::Receiver<Result<Vec<u8>, ApiError>>);

impl Pager {
    pub(super) fn start(export_id: &str) -> Pager {
        // The channel holds `buffer + 1` (one per sender) pages.
        let (mut tx, rx) = mpsc::channel(PAGES_AHEAD - 1);
        let id = export_id.to_string();
        wasm_bindgen_futures::spawn_local(async move {
            let mut feed = tx.clone();
            if let Err(e) = read_ahead(&id, &mut feed).await {
                let _ = tx.send(Err(e)).await;
            }
        });
        Pager(rx)
    }

    /// The next page's bytes, or `None` after the last.
    pub(super) async fn next(&mut self) -> Option<Result<Vec<u8>, ApiError>> {
        self.0.next().await
    }
}

/// The pager's work: page after page, the request for the next one sent as soon as the
/// current one's headers say where it starts. Stops when the renderer is gone.
async fn read_ahead(id: &str, feed: &mut mpsc::Sender<Result<Vec<u8>, ApiError>>) -> Result<(), ApiError> {
    let request = |cursor: Option<String>, messages: u32| {
        let id = id.to_string();
        spawned(async move {
            let (next, response) = with_retry(|| api::export_page(&id, cursor.as_deref(), messages)).await?;
            Ok((next, response, cursor, messages))
        })
    };
    let mut size = FIRST_PAGE_MESSAGES;
    let mut pending = Some(request(None, size));
    while let Some(current) = pending.take() {
        let (next, response, cursor, messages) = current.await?;
        if let Some(next) = next {
            size = (size * 2).min(LAST_PAGE_MESSAGES);
            pending = Some(request(Some(next), size));
        }
        // A body that breaks off is read again, once, from its own cursor.
        let bytes = match response.binary().await {
            Ok(bytes) => bytes,
            Err(_) => {
                let (_, response) = with_retry(|| api::export_page(id, cursor.as_deref(), messages)).await?;
                response.binary().await.map_err(ApiError::network)?
            }
        };
        // Waits for room: at most PAGES_AHEAD pages held for the renderer.
        if feed.send(Ok(bytes)).await.is_err() {
            return Ok(());
        }
    }
    Ok(())
}
