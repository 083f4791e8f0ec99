//! The export worker's side: exports started by the page's messages, each a task of its
//! own, fed their stream by the page (`Posted`), handing their parts to the upload
//! worker, telling the page their progress and their end.

use super::super::LocalBoxFuture;
use super::super::cancel::{Cancel, cancel_pair};
use super::super::feed::Source;
use super::super::parts::{Helper, PARTS_IN_FLIGHT, Route};
use super::super::timing::{Cost, Spent};
use super::super::{Outcome, StreamReader, Watch, render_and_upload, warm};
use super::{Beside, End, FromUpload, FromWorker, ToUpload, ToWorker, beside_as, connect, opened, post_to_other, post_to_page, to_wire};
use crate::api::ApiError;
use convo_model::api::ExportInfo;
use convo_render::digests::Sha256Digest;
use futures_channel::{mpsc, oneshot};
use futures_util::StreamExt;
use std::cell::RefCell;
use std::collections::HashMap;
use wasm_bindgen::prelude::*;

/// An export running here: how to stop it, where its stream's chunks go, whom to tell
/// when a part it handed to the upload worker is stored, and when that worker sent the
/// conversations' digests; and what that worker handed back with the last part.
struct Running {
    cancel: Cancel,
    stream: mpsc::UnboundedSender<StreamSaid>,
    stored: HashMap<u32, oneshot::Sender<Result<(), ApiError>>>,
    digests: Option<oneshot::Sender<Result<Vec<Sha256Digest>, ApiError>>>,
    /// The file, when the upload worker kept it whole.
    whole: Option<web_sys::Blob>,
    /// The upload worker's cost for this export.
    upload_cost: Option<Cost>,
}

thread_local! {
    static RUNNING: RefCell<HashMap<String, Running>> = RefCell::new(HashMap::new());
    /// Buffers of parts the upload worker sent and handed back, for the next parts: made
    /// anew for each part, they were garbage there (on the page, whose JS heap grew to 120 MB and
    /// whose collection was a task of 50-97 ms at 2,000,000 messages: the
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

/// Keeps the buffer of a part the upload worker handed back, for a later part.
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

/// Becomes the export worker, talking to the upload worker over `port`, and warms the
/// rendering up.
pub(super) fn join(port: web_sys::MessagePort) {
    connect(port, from_upload);
    warm::warm_up();
}

/// A message from the page, past the first (`worker_receive`).
pub(super) fn receive(asked: ToWorker, beside: JsValue) {
    let (id, said) = match asked {
        ToWorker::Join { .. } => return,
        ToWorker::Export { export } => return start(*export),
        ToWorker::Cancel { id } => {
            return RUNNING.with(|running| {
                if let Some(r) = running.borrow().get(&id) {
                    r.cancel.cancel();
                }
            });
        }
        ToWorker::Chunk { id, round } => match beside_as::<js_sys::Uint8Array>(&beside) {
            Some(chunk) => (id, StreamSaid::Chunk(round, chunk)),
            None => (id, StreamSaid::Broke(round, "the page posted no bytes".into())),
        },
        ToWorker::StreamEnded { id, round } => (id, StreamSaid::Ended(round)),
        ToWorker::StreamBroke { id, round, message } => (id, StreamSaid::Broke(round, message)),
    };
    RUNNING.with(|running| {
        if let Some(r) = running.borrow().get(&id) {
            let _ = r.stream.unbounded_send(said);
        }
    });
}

/// A message from the upload worker.
fn from_upload(data: &JsValue) {
    let Some((said, beside)) = opened::<FromUpload>(data) else { return };
    match said {
        FromUpload::Stored { id, n, cost } => {
            if let Some(bytes) = beside_as::<js_sys::Uint8Array>(&beside) {
                reuse(bytes.buffer());
            }
            let whole = beside_as::<web_sys::Blob>(&beside);
            RUNNING.with(|running| {
                if let Some(r) = running.borrow_mut().get_mut(&id) {
                    r.whole = whole.or(r.whole.take());
                    r.upload_cost = cost.or(r.upload_cost.take());
                }
            });
            stored(&id, n, Ok(()))
        }
        FromUpload::Failed { id, n, status, message } => stored(&id, n, Err(ApiError { status, message })),
        FromUpload::Digests { id } => {
            let digests =
                beside_as::<js_sys::Uint8Array>(&beside).map(|b| b.to_vec().chunks_exact(32).filter_map(|d| d.try_into().ok()).collect());
            let said = digests.ok_or_else(|| ApiError { status: 0, message: "the upload worker sent no digests".into() });
            digested(&id, said)
        }
        FromUpload::DigestsFailed { id, message } => digested(&id, Err(ApiError { status: 0, message })),
    }
}

/// Tells the export that part `n` is stored (or why not).
fn stored(id: &str, n: u32, result: Result<(), ApiError>) {
    let waiting = RUNNING.with(|running| running.borrow_mut().get_mut(id).and_then(|r| r.stored.remove(&n)));
    if let Some(waiting) = waiting {
        let _ = waiting.send(result);
    }
}

/// Tells the export the upload worker's digests of its conversations (or why there are none).
fn digested(id: &str, result: Result<Vec<Sha256Digest>, ApiError>) {
    let waiting = RUNNING.with(|running| running.borrow_mut().get_mut(id).and_then(|r| r.digests.take()));
    if let Some(waiting) = waiting {
        let _ = waiting.send(result);
    }
}

/// The parts of export `id` go to the upload worker, which hashes, sends and keeps
/// them, and hashes the conversations in them: here, each step of an upload waited for
/// this thread to be free of rendering (2.3-5.6 s of waiting for parts at 2,000,000
/// messages, the click_to_ready bench). A part's buffer moves there, not copied.
struct ToTheUploadWorker {
    id: String,
}

impl Helper for ToTheUploadWorker {
    fn hand_on(&self, n: u32, bytes: &[u8], spans: Vec<std::ops::Range<u64>>) -> LocalBoxFuture<Result<(), ApiError>> {
        let array = in_a_buffer(bytes);
        let (tx, rx) = oneshot::channel();
        RUNNING.with(|running| {
            if let Some(r) = running.borrow_mut().get_mut(&self.id) {
                r.stored.insert(n, tx);
            }
        });
        post_to_other(&ToUpload::Part { id: self.id.clone(), n, spans: to_wire(spans) }, Beside::Bytes(&array));
        Box::pin(
            async move { rx.await.unwrap_or_else(|_| Err(ApiError::network("the upload worker did not say whether a part was stored"))) },
        )
    }

    fn digests(&self) -> LocalBoxFuture<Result<Vec<Sha256Digest>, ApiError>> {
        let (tx, rx) = oneshot::channel();
        RUNNING.with(|running| {
            if let Some(r) = running.borrow_mut().get_mut(&self.id) {
                r.digests = Some(tx);
            }
        });
        post_to_other(&ToUpload::Finish { id: self.id.clone() }, Beside::Nothing);
        Box::pin(
            async move { rx.await.unwrap_or_else(|_| Err(ApiError::network("the upload worker did not send the conversations' digests"))) },
        )
    }
}

fn start(export: ExportInfo) {
    let id = export.id.clone();
    let (cancel, cancelled) = cancel_pair();
    let (stream, said) = mpsc::unbounded();
    let running = Running { cancel, stream, stored: HashMap::new(), digests: None, whole: None, upload_cost: None };
    RUNNING.with(|r| r.borrow_mut().insert(id.clone(), running));
    post_to_other(&ToUpload::Begin { id: id.clone(), format: export.format }, Beside::Nothing);
    let source = match StreamReader::of(&export) {
        StreamReader::Worker => Source::Fetch,
        StreamReader::Page => Source::Posted(Posted { id: id.clone(), round: 0, said }),
    };
    let route = Route::HandedOn(Box::new(ToTheUploadWorker { id: id.clone() }));
    wasm_bindgen_futures::spawn_local(async move {
        let mut spent = Spent::default();
        let watch = ToThePage { id: id.clone() };
        let outcome = render_and_upload(export, source, route, cancelled, &watch, &mut spent).await;
        post_to_other(&ToUpload::Forget { id: id.clone() }, Beside::Nothing);
        let (whole, upload_cost) =
            RUNNING.with(|running| running.borrow_mut().remove(&id)).map_or((None, None), |r| (r.whole, r.upload_cost));
        let cost = Cost::in_worker(spent).and(upload_cost.unwrap_or_default());
        let (end, whole) = match outcome {
            Ok(Outcome::Uploaded(info, _)) => (End::Uploaded { info }, whole),
            Ok(Outcome::Cancelled) => (End::Cancelled, None),
            Err(e) => (End::Failed { status: e.status, message: e.message }, None),
        };
        post_to_page(&FromWorker::Ended { id, end, cost }, whole.as_ref().map_or(Beside::Nothing, Beside::Blob));
    });
}

/// An export's stream as the page reads it and posts it here: the page reads as fast as
/// the network gives, a bounded amount ahead of what was taken, while this worker
/// renders. Read here, the stream moved on only while this thread was free: 3.3 s of
/// waiting for it at 2,000,000 short messages, whose stream a native client reads in
/// 2.9 s; read by the page, 0.35 s (the click_to_ready bench). The parts go to the upload
/// worker for the same reason (`ToTheUploadWorker`).
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
                    post_to_page(&FromWorker::Took { id: self.id.clone(), bytes: chunk.length() as usize }, Beside::Nothing);
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
        post_to_page(&FromWorker::AskAgain { id: self.id.clone(), cursor, round: self.round }, Beside::Nothing);
    }
}

/// How long an export runs here before it lets what waits run (a cancel, the stream's
/// chunks, stored parts): nothing paints here, so a cancel waits at most this long. At
/// 2,000,000 short messages, yielding every 25 ms spent 3.6 s in yields (also with one
/// channel reused for every yield), every 250 ms 0.9 s while this thread still sent
/// the parts, and 0.03 s since another thread sends them (the click_to_ready bench).
const WORKER_YIELD_AFTER_MS: f64 = 250.0;

/// An export run here tells the page by message.
struct ToThePage {
    id: String,
}

impl Watch for ToThePage {
    fn progress(&self, done: i64) {
        post_to_page(&FromWorker::Progress { id: self.id.clone(), done }, Beside::Nothing);
    }
    fn mark(&self, name: &'static str) {
        post_to_page(&FromWorker::Mark { name: name.into() }, Beside::Nothing);
    }
    fn yield_after_ms(&self) -> f64 {
        WORKER_YIELD_AFTER_MS
    }
}
