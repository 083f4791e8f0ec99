//! Pages read ahead of the renderer: each page's next cursor comes in a header, so the
//! request for the next page leaves while this one's body still arrives.

use super::spawned;
use crate::api::{self, ApiError, with_retry};
use convo_model::api::ExportInfo;
use std::cell::RefCell;
use std::rc::Rc;
use std::task::Poll;

/// Messages asked for per page: every request costs the browser milliseconds of its
/// own, so exports read big pages (measured: the click_to_ready bench). The first pages
/// are smaller, while the browser still runs our WASM unoptimised.
const PAGE_MESSAGES: u32 = 5_000;
const FIRST_PAGE_MESSAGES: u32 = 1_000;
/// Pages read ahead of the renderer, in order, at most [`PAGES_AHEAD`] waiting: each
/// page's next cursor comes in a header, so the next request leaves while the body of
/// this one still arrives, and the server works on pages while the browser renders.
pub(super) struct Pager(Rc<RefCell<PagerState>>);

#[derive(Default)]
struct PagerState {
    ready: std::collections::VecDeque<Result<Vec<u8>, ApiError>>,
    done: bool,
    consumer: Option<std::task::Waker>,
    producer: Option<std::task::Waker>,
}

/// Pages waiting for the renderer at most (each up to about 1.5 MB of JSON).
const PAGES_AHEAD: usize = 2;

impl Pager {
    pub(super) fn start(export: &ExportInfo) -> Pager {
        let state = Rc::new(RefCell::new(PagerState::default()));
        let (producer, export) = (state.clone(), export.clone());
        wasm_bindgen_futures::spawn_local(async move {
            let result = read_ahead(&export, &producer).await;
            let mut s = producer.borrow_mut();
            if let Err(e) = result {
                s.ready.push_back(Err(e));
            }
            s.done = true;
            if let Some(waker) = s.consumer.take() {
                waker.wake();
            }
        });
        Pager(state)
    }

    /// The next page's bytes, or `None` after the last.
    pub(super) async fn next(&self) -> Option<Result<Vec<u8>, ApiError>> {
        std::future::poll_fn(|cx| {
            let mut s = self.0.borrow_mut();
            if let Some(page) = s.ready.pop_front() {
                if let Some(waker) = s.producer.take() {
                    waker.wake();
                }
                return Poll::Ready(Some(page));
            }
            if s.done {
                return Poll::Ready(None);
            }
            s.consumer = Some(cx.waker().clone());
            Poll::Pending
        })
        .await
    }
}

/// The pager's work: page after page, the request for the next one sent as soon as the
/// current one's headers say where it starts.
async fn read_ahead(export: &ExportInfo, state: &Rc<RefCell<PagerState>>) -> Result<(), ApiError> {
    let from = export.range.from.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let to = export.range.to.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let request = |cursor: Option<String>, messages: u32| {
        let (assistant, from, to, filters) = (export.assistant.id.clone(), from.clone(), to.clone(), export.filters.clone());
        spawned(async move {
            let query = api::PageQuery {
                assistant: &assistant,
                from: &from,
                to: &to,
                cursor: cursor.as_deref(),
                messages: Some(messages),
                filters: Some(&filters),
                ..Default::default()
            };
            with_retry(|| api::conversations_response(&query)).await.map(|(next, response)| (next, response, cursor, messages))
        })
    };
    let mut messages = FIRST_PAGE_MESSAGES;
    let mut pending = Some(request(None, messages));
    while let Some(current) = pending.take() {
        // The page's own cursor and size: read again, it must be exactly this page.
        let (next, response, cursor, size) = current.await?;
        if let Some(next) = next {
            messages = (messages * 2).min(PAGE_MESSAGES);
            pending = Some(request(Some(next), messages));
        }
        // A body that breaks off is read again, once, from its own cursor.
        let bytes = match response.binary().await {
            Ok(bytes) => bytes,
            Err(_) => {
                let query = api::PageQuery {
                    assistant: &export.assistant.id,
                    from: &from,
                    to: &to,
                    cursor: cursor.as_deref(),
                    messages: Some(size),
                    filters: Some(&export.filters),
                    ..Default::default()
                };
                with_retry(|| api::conversations_bytes(&query)).await?
            }
        };
        // Wait for room: at most PAGES_AHEAD pages held for the renderer.
        std::future::poll_fn(|cx| {
            let mut s = state.borrow_mut();
            if s.ready.len() < PAGES_AHEAD {
                return Poll::Ready(());
            }
            s.producer = Some(cx.waker().clone());
            Poll::Pending
        })
        .await;
        let mut s = state.borrow_mut();
        s.ready.push_back(Ok(bytes));
        if let Some(waker) = s.consumer.take() {
            waker.wake();
        }
    }
    Ok(())
}
