//! The worker's side: exports started by the page's messages, each a task of its own,
//! fed their stream by the page (`Posted`), handing their parts to the page to send,
//! telling the page their progress and their end.

use super::super::LocalBoxFuture;
use super::super::cancel::{Cancel, cancel_pair};
use super::super::feed::Source;
use super::super::parts::{Helper, PARTS_IN_FLIGHT, Route};
use super::super::timing::{Cost, Spent};
use super::super::{Outcome, Watch, render_and_upload, warm};
use super::{End, FromWorker, ToWorker, envelope, moving, opened, to_wire};
use crate::api::ApiError;
use convo_model::api::ExportInfo;
use convo_render::digests::Sha256Digest;
use futures_channel::{mpsc, oneshot};
use futures_util::StreamExt;
use std::cell::RefCell;
use std::collections::HashMap;
use wasm_bindgen::prelude::*;

/// An export running here: how to stop it, where its stream's chunks go, and whom to
/// tell when a part it handed to the page is stored, and when the page sent the
/// conversations' digests.
struct Running {
    cancel: Cancel,
    stream: mpsc::UnboundedSender<StreamSaid>,
    stored: HashMap<u32, oneshot::Sender<Result<(), ApiError>>>,
    digests: Option<oneshot::Sender<Result<Vec<Sha256Digest>, ApiError>>>,
}

thread_local! {
    static RUNNING: RefCell<HashMap<String, Running>> = RefCell::new(HashMap::new());
    /// Buffers of parts the page sent and handed back, for the next parts: made anew
    /// for each part, they were garbage on the page, whose JS heap grew to 120 MB and
    /// whose collection was a task of 50-97 ms at 2,000,000 messages (the
    /// click_to_ready bench).
    static BUFFERS: RefCell<Vec<js_sys::ArrayBuffer>> = const { RefCell::new(Vec::new()) };
}

/// Buffers kept for reuse at most: as many as parts are on their way, and the one filling.
const BUFFERS_KEPT: usize = PARTS_IN_FLIGHT + 1;

/// `bytes` in a JS buffer, a reused one when one is big enough.
fn in_a_buffer(bytes: &[u8]) -> js_sys::Uint8Array {
    let len = bytes.len() as u32;
    let reused = BUFFERS.with(|b| {
        let mut buffers = b.borrow_mut();
        let at = buffers.iter().position(|buffer| buffer.byte_length() >= len)?;
        Some(buffers.swap_remove(at))
    });
    let buffer = reused.unwrap_or_else(|| js_sys::ArrayBuffer::new(len));
    let array = js_sys::Uint8Array::new_with_byte_offset_and_length(&buffer, 0, len);
    array.copy_from(bytes);
    array
}

/// Keeps the buffer of a part the page handed back, for a later part.
fn reuse(buffer: js_sys::ArrayBuffer) {
    BUFFERS.with(|b| {
        let mut buffers = b.borrow_mut();
        if buffers.len() < BUFFERS_KEPT {
            buffers.push(buffer);
        }
    });
}

/// What the page said of an export's stream, and in which round of asking.
enum StreamSaid {
    Chunk(u32, js_sys::Uint8Array),
    Ended(u32),
    Broke(u32, String),
}

/// A message from the page (the worker's script hands each one here).
#[wasm_bindgen]
pub fn worker_receive(message: JsValue) {
    let Some((asked, bytes)) = opened::<ToWorker>(&message) else { return };
    let said = match asked {
        ToWorker::WarmUp => return warm::warm_up(),
        ToWorker::Export { export } => return start(*export),
        ToWorker::Cancel { id } => {
            return RUNNING.with(|running| {
                if let Some(r) = running.borrow().get(&id) {
                    r.cancel.cancel();
                }
            });
        }
        ToWorker::Chunk { id, round } => match bytes {
            Some(chunk) => (id, StreamSaid::Chunk(round, chunk)),
            None => (id, StreamSaid::Broke(round, "the page posted no bytes".into())),
        },
        ToWorker::PartStored { id, n } => {
            if let Some(bytes) = bytes {
                reuse(bytes.buffer());
            }
            return stored(&id, n, Ok(()));
        }
        ToWorker::PartFailed { id, n, status, message } => return stored(&id, n, Err(ApiError { status, message })),
        ToWorker::Digests { id } => {
            let digests = bytes.map(|b| b.to_vec().chunks_exact(32).filter_map(|d| d.try_into().ok()).collect());
            let said = digests.ok_or_else(|| ApiError { status: 0, message: "the page sent no digests".into() });
            return digested(&id, said);
        }
        ToWorker::DigestsFailed { id, message } => return digested(&id, Err(ApiError { status: 0, message })),
        ToWorker::StreamEnded { id, round } => (id, StreamSaid::Ended(round)),
        ToWorker::StreamBroke { id, round, message } => (id, StreamSaid::Broke(round, message)),
    };
    let (id, said) = said;
    RUNNING.with(|running| {
        if let Some(r) = running.borrow().get(&id) {
            let _ = r.stream.unbounded_send(said);
        }
    });
}

/// Tells the export that part `n` is stored (or why not).
fn stored(id: &str, n: u32, result: Result<(), ApiError>) {
    let waiting = RUNNING.with(|running| running.borrow_mut().get_mut(id).and_then(|r| r.stored.remove(&n)));
    if let Some(waiting) = waiting {
        let _ = waiting.send(result);
    }
}

/// Tells the export the page's digests of its conversations (or why there are none).
fn digested(id: &str, result: Result<Vec<Sha256Digest>, ApiError>) {
    let waiting = RUNNING.with(|running| running.borrow_mut().get_mut(id).and_then(|r| r.digests.take()));
    if let Some(waiting) = waiting {
        let _ = waiting.send(result);
    }
}

/// The parts of export `id` go to the page, which hashes, sends and keeps them, and
/// hashes the conversations in them: here, each step of an upload waited for this
/// thread to be free of rendering (2.3-5.6 s of waiting for parts at 2,000,000
/// messages, the click_to_ready bench), and the page is idle. A part's buffer moves to
/// the page, not copied.
struct ToThePageParts {
    id: String,
}

impl Helper for ToThePageParts {
    fn hand_on(&self, n: u32, bytes: &[u8], spans: Vec<std::ops::Range<u64>>) -> LocalBoxFuture<Result<(), ApiError>> {
        let array = in_a_buffer(bytes);
        let (tx, rx) = oneshot::channel();
        RUNNING.with(|running| {
            if let Some(r) = running.borrow_mut().get_mut(&self.id) {
                r.stored.insert(n, tx);
            }
        });
        post(&FromWorker::Part { id: self.id.clone(), n, spans: to_wire(spans) }, Some(&array));
        Box::pin(async move { rx.await.unwrap_or_else(|_| Err(ApiError::network("the page did not say whether a part was stored"))) })
    }

    fn digests(&self, rest: &[u8], spans: Vec<std::ops::Range<u64>>) -> LocalBoxFuture<Result<Vec<Sha256Digest>, ApiError>> {
        let (tx, rx) = oneshot::channel();
        RUNNING.with(|running| {
            if let Some(r) = running.borrow_mut().get_mut(&self.id) {
                r.digests = Some(tx);
            }
        });
        post(&FromWorker::Rest { id: self.id.clone(), spans: to_wire(spans) }, Some(&js_sys::Uint8Array::from(rest)));
        Box::pin(async move { rx.await.unwrap_or_else(|_| Err(ApiError::network("the page did not send the conversations' digests"))) })
    }
}

fn start(export: ExportInfo) {
    let id = export.id.clone();
    let (cancel, cancelled) = cancel_pair();
    let (stream, said) = mpsc::unbounded();
    let running = Running { cancel, stream, stored: HashMap::new(), digests: None };
    RUNNING.with(|r| r.borrow_mut().insert(id.clone(), running));
    wasm_bindgen_futures::spawn_local(async move {
        let mut spent = Spent::default();
        let watch = ToThePage { id: id.clone() };
        let posted = Posted { id: id.clone(), round: 0, said };
        let route = Route::HandedOn(Box::new(ToThePageParts { id: id.clone() }));
        let outcome = render_and_upload(export, Source::Posted(posted), route, cancelled, &watch, &mut spent).await;
        RUNNING.with(|running| running.borrow_mut().remove(&id));
        let cost = Cost::in_worker(spent);
        let end = match outcome {
            Ok(Outcome::Uploaded(info, _)) => End::Uploaded { info },
            Ok(Outcome::Cancelled) => End::Cancelled,
            Err(e) => End::Failed { status: e.status, message: e.message },
        };
        post(&FromWorker::Ended { id, end, cost }, None);
    });
}

/// An export's stream as the page reads it and posts it here: the page reads as fast as
/// the network gives, a bounded amount ahead of what was taken, while this worker
/// renders. Read here, the stream moved on only while this thread was free: 3.3 s of
/// waiting for it at 2,000,000 short messages, whose stream a native client reads in
/// 2.9 s; read by the page, 0.35 s (the click_to_ready bench). The parts go the other
/// way for the same reason (`ToThePageParts`).
pub(in super::super) struct Posted {
    id: String,
    /// The round of asking this feed reads; chunks of an earlier one are passed over.
    round: u32,
    said: mpsc::UnboundedReceiver<StreamSaid>,
}

impl Posted {
    /// The stream's next chunk, `None` at its end.
    pub(in super::super) async fn next(&mut self) -> Result<Option<js_sys::Uint8Array>, ApiError> {
        loop {
            let Some(said) = self.said.next().await else {
                return Err(ApiError { status: 0, message: "the page stopped reading the export's stream".into() });
            };
            match said {
                StreamSaid::Chunk(round, chunk) => {
                    post(&FromWorker::Took { id: self.id.clone(), bytes: chunk.length() as usize }, None);
                    if round == self.round {
                        return Ok(Some(chunk));
                    }
                }
                StreamSaid::Ended(round) if round == self.round => return Ok(None),
                StreamSaid::Broke(round, message) if round == self.round => return Err(ApiError { status: 0, message }),
                StreamSaid::Ended(_) | StreamSaid::Broke(..) => {}
            }
        }
    }

    /// Has the page ask for the stream again from `cursor`.
    pub(in super::super) fn ask_again(&mut self, cursor: Option<String>) {
        self.round += 1;
        post(&FromWorker::AskAgain { id: self.id.clone(), cursor, round: self.round }, None);
    }
}

/// How long an export runs here before it lets what waits run (a cancel, the stream's
/// chunks, stored parts): nothing paints here, so a cancel waits at most this long. At
/// 2,000,000 short messages, yielding every 25 ms spent 3.6 s in yields (also with one
/// channel reused for every yield), every 250 ms 0.9 s while this thread still sent
/// the parts, and 0.03 s since the page sends them (the click_to_ready bench).
const WORKER_YIELD_AFTER_MS: f64 = 250.0;

/// An export run here tells the page by message.
struct ToThePage {
    id: String,
}

impl Watch for ToThePage {
    fn progress(&self, done: i64) {
        post(&FromWorker::Progress { id: self.id.clone(), done }, None);
    }
    fn mark(&self, name: &'static str) {
        post(&FromWorker::Mark { name: name.into() }, None);
    }
    fn yield_after_ms(&self) -> f64 {
        WORKER_YIELD_AFTER_MS
    }
}

/// Posts `message` to the page, with `bytes` (moved) beside it.
fn post(message: &FromWorker, bytes: Option<&js_sys::Uint8Array>) {
    let Some(envelope) = envelope(message, bytes) else { return };
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let _ = scope.post_message_with_transfer(&envelope, &moving(bytes));
}
