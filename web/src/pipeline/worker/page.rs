//! The page's side: starts the two workers once, hands the export worker exports and
//! the streams of the large ones, and passes what the workers say on (progress to the rows, the end to
//! whoever awaits the export). When a worker cannot start, or stops, the exports they
//! had fail with a clear message and later ones run on the page.

use super::super::feed::{open_reader, read_one};
use super::super::timing::mark;
use super::super::{Cancelled, Outcome, StreamReader};
use super::{Beside, End, FromWorker, Role, ToWorker, beside_as, envelope, opened};
use crate::api::ApiError;
use convo_model::api::ExportInfo;
use futures_channel::{mpsc, oneshot};
use futures_util::StreamExt;
use futures_util::future::{Either, select};
use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    type ImportMeta;
    #[wasm_bindgen(method, getter)]
    fn url(this: &ImportMeta) -> String;
    /// `import.meta` of the wasm-bindgen glue (the import is made there): the glue's URL.
    #[wasm_bindgen(thread_local_v2, js_namespace = import, js_name = meta)]
    static IMPORT_META: ImportMeta;
}

/// The workers' script, beside the glue (`web/export-worker.js`, copied by Trunk).
const SCRIPT: &str = "export-worker.js";

struct Helper {
    /// The export worker, which the page talks to.
    worker: web_sys::Worker,
    /// The upload worker, which the export worker talks to.
    upload: web_sys::Worker,
    /// Set once one failed: later exports run on the page.
    broken: bool,
    waiting: HashMap<String, Waiting>,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

/// An export handed to the worker.
struct Waiting {
    progress: Rc<dyn Fn(i64)>,
    ended: oneshot::Sender<Result<Outcome, ApiError>>,
    /// What the worker says to the pump of this export's stream.
    pump: mpsc::UnboundedSender<PumpSaid>,
}

thread_local! {
    static HELPER: RefCell<Option<Helper>> = const { RefCell::new(None) };
}

/// Starts the workers and has them warm up; `false` where they cannot start (no
/// window: this is a worker; or a browser without module workers).
pub(in super::super) fn start() -> bool {
    if web_sys::window().is_none() {
        return false;
    }
    if HELPER.with(|h| h.borrow().is_some()) {
        return is_running();
    }
    let Some(helper) = spawn() else { return false };
    HELPER.with(|h| *h.borrow_mut() = Some(helper));
    true
}

fn spawn() -> Option<Helper> {
    let glue = IMPORT_META.with(ImportMeta::url);
    let script = web_sys::Url::new_with_base(SCRIPT, &glue).ok()?.href();
    let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(|event: web_sys::MessageEvent| received(&event.data()));
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(|event: web_sys::Event| {
        let said = event.dyn_ref::<web_sys::ErrorEvent>().map(|e| e.message()).filter(|m| !m.is_empty());
        stopped(&said.unwrap_or_else(|| "it could not run".into()));
    });
    let between = web_sys::MessageChannel::new().ok()?;
    let worker = spawn_one(&script, &glue, Role::Export, &between.port1())?;
    let Some(upload) = spawn_one(&script, &glue, Role::Upload, &between.port2()) else {
        worker.terminate();
        return None;
    };
    for w in [&worker, &upload] {
        w.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        w.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    }
    Some(Helper { worker, upload, broken: false, waiting: HashMap::new(), _on_message: on_message, _on_error: on_error })
}

/// A worker running `script`, told the glue and the module, and then its role with its
/// end of the channel to the other.
fn spawn_one(script: &str, glue: &str, role: Role, port: &web_sys::MessagePort) -> Option<web_sys::Worker> {
    let worker_options = web_sys::WorkerOptions::new();
    worker_options.set_type(web_sys::WorkerType::Module);
    worker_options.set_name(match role {
        Role::Export => "convo-export",
        Role::Upload => "convo-upload",
    });
    let worker = web_sys::Worker::new_with_options(script, &worker_options).ok()?;
    let first = js_sys::Object::new();
    js_sys::Reflect::set(&first, &JsValue::from_str("glue"), &JsValue::from_str(glue)).ok()?;
    js_sys::Reflect::set(&first, &JsValue::from_str("module"), &wasm_bindgen::module()).ok()?;
    worker.post_message(&first).ok()?;
    let (join, moving) = envelope(&ToWorker::Join { role }, Beside::Port(port))?;
    worker.post_message_with_transfer(&join, &moving).ok()?;
    Some(worker)
}

/// Whether exports go to the worker.
pub(in super::super) fn is_running() -> bool {
    HELPER.with(|h| h.borrow().as_ref().is_some_and(|h| !h.broken))
}

/// Runs `export` in the worker (see [`is_running`]), reading its stream for it unless
/// it is small ([`StreamReader`]), and telling it when `cancelled` says so. The worker
/// is told now, before the future is first polled.
pub(in super::super) fn run(
    export: ExportInfo,
    mut cancelled: Cancelled,
    on_progress: impl Fn(i64) + 'static,
) -> impl Future<Output = Result<Outcome, ApiError>> {
    let id = export.id.clone();
    let reader = StreamReader::of(&export);
    let (ended, mut end) = oneshot::channel();
    let (to_pump, from_worker) = mpsc::unbounded();
    HELPER.with(|h| {
        if let Some(helper) = h.borrow_mut().as_mut() {
            helper.waiting.insert(id.clone(), Waiting { progress: Rc::new(on_progress), ended, pump: to_pump });
        }
    });
    post_to_worker(&ToWorker::Export { export: Box::new(export) }, Beside::Nothing);
    async move {
        let gone = |_| Err(ApiError { status: 0, message: "the export worker stopped".into() });
        let pump = async {
            match reader {
                StreamReader::Page => pump(id.clone(), from_worker).await,
                StreamReader::Worker => futures_util::future::pending().await,
            }
        };
        let mut pump = std::pin::pin!(pump);
        let mut cancel = std::pin::pin!(cancelled.wait());
        match select(&mut end, select(&mut cancel, &mut pump)).await {
            Either::Left((result, _)) => result.unwrap_or_else(gone),
            Either::Right((Either::Left(((), _)), _)) => {
                post_to_worker(&ToWorker::Cancel { id: id.clone() }, Beside::Nothing);
                // The pump reads on until the worker says it ended.
                match select(&mut end, &mut pump).await {
                    Either::Left((result, _)) => result.unwrap_or_else(gone),
                    Either::Right(((), _)) => end.await.unwrap_or_else(gone),
                }
            }
            // The pump never ends while the worker is there.
            Either::Right((Either::Right(((), _)), _)) => end.await.unwrap_or_else(gone),
        }
    }
}

/// A chunk of the stream, `None` at its end.
type Chunk = Result<Option<js_sys::Uint8Array>, ApiError>;

/// What the worker says to the pump of its export's stream.
enum PumpSaid {
    Took(usize),
    AskAgain(Option<String>, u32),
}

/// Bytes of the stream read ahead of what the worker took, at most: a few of the
/// server's pages.
const AHEAD_BYTES: usize = 16 << 20;

/// Reads the export's stream and posts it to the worker chunk by chunk, at most
/// [`AHEAD_BYTES`] ahead of what it took, asking again when it says so (the stream
/// broke off: `feed.rs`). Ends only when the worker is gone; dropped, it stops the download.
async fn pump(id: String, mut said: mpsc::UnboundedReceiver<PumpSaid>) {
    let (mut cursor, mut round) = (None::<String>, 0u32);
    loop {
        let reader = match open_reader(&id, cursor.as_deref()).await {
            Ok(reader) => {
                mark("convo:stream");
                Some(Reader(reader))
            }
            Err(e) => {
                post_to_worker(&ToWorker::StreamBroke { id: id.clone(), round, message: e.message }, Beside::Nothing);
                None
            }
        };
        let mut ahead = 0usize;
        // Reads on until the stream ends or breaks, then waits for the worker's word. A
        // read under way is kept across the worker's words: dropped, its chunk was lost.
        let mut open = reader.is_some();
        let mut reading: Option<Pin<Box<dyn Future<Output = Chunk>>>> = None;
        loop {
            if reading.is_none()
                && open
                && ahead < AHEAD_BYTES
                && let Some(reader) = &reader
            {
                let reader = reader.0.clone();
                reading = Some(Box::pin(async move { read_one(&reader).await }));
            }
            let next = match reading.as_mut() {
                Some(read) => match select(read, said.next()).await {
                    Either::Left((chunk, _)) => Ok(chunk),
                    Either::Right((word, _)) => Err(word),
                },
                None => Err(said.next().await),
            };
            if next.is_ok() {
                reading = None;
            }
            match next {
                Ok(Ok(Some(chunk))) => {
                    ahead += chunk.length() as usize;
                    post_to_worker(&ToWorker::Chunk { id: id.clone(), round }, Beside::Bytes(&chunk));
                }
                Ok(Ok(None)) => {
                    open = false;
                    post_to_worker(&ToWorker::StreamEnded { id: id.clone(), round }, Beside::Nothing);
                }
                Ok(Err(e)) => {
                    open = false;
                    post_to_worker(&ToWorker::StreamBroke { id: id.clone(), round, message: e.message }, Beside::Nothing);
                }
                Err(Some(PumpSaid::Took(bytes))) => ahead = ahead.saturating_sub(bytes),
                Err(Some(PumpSaid::AskAgain(from, again))) => {
                    (cursor, round) = (from, again);
                    break;
                }
                Err(None) => return futures_util::future::pending().await,
            }
        }
    }
}

/// A reader of the stream, stopped when dropped.
struct Reader(web_sys::ReadableStreamDefaultReader);

impl Drop for Reader {
    fn drop(&mut self) {
        let _ = self.0.cancel();
    }
}

/// Posts `message` to the export worker, with `beside` beside it (bytes handed over,
/// not copied).
fn post_to_worker(message: &ToWorker, beside: Beside) {
    let Some((envelope, moving)) = envelope(message, beside) else { return };
    HELPER.with(|h| {
        if let Some(helper) = h.borrow().as_ref() {
            let _ = helper.worker.post_message_with_transfer(&envelope, &moving);
        }
    });
}

/// A message from a worker.
fn received(data: &JsValue) {
    let Some((message, beside)) = opened::<FromWorker>(data) else { return };
    match message {
        FromWorker::Progress { id, done } => {
            // Called outside the borrow: the rows it updates may start another export.
            let progress = HELPER.with(|h| h.borrow().as_ref().and_then(|h| h.waiting.get(&id).map(|w| w.progress.clone())));
            if let Some(progress) = progress {
                progress(done);
            }
        }
        FromWorker::Mark { name } => mark(&name),
        FromWorker::Ended { id, end, cost } => {
            cost.publish();
            let Some(waiting) = HELPER.with(|h| h.borrow_mut().as_mut().and_then(|h| h.waiting.remove(&id))) else { return };
            let result = match end {
                End::Uploaded { info } => Ok(Outcome::Uploaded(info, beside_as::<web_sys::Blob>(&beside))),
                End::Cancelled => Ok(Outcome::Cancelled),
                End::Failed { status, message } => Err(ApiError { status, message }),
            };
            let _ = waiting.ended.send(result);
        }
        FromWorker::Took { id, bytes } => to_pump(&id, PumpSaid::Took(bytes)),
        FromWorker::AskAgain { id, cursor, round } => to_pump(&id, PumpSaid::AskAgain(cursor, round)),
        FromWorker::Broken { reason } => stopped(&reason),
    }
}

fn to_pump(id: &str, said: PumpSaid) {
    HELPER.with(|h| {
        if let Some(waiting) = h.borrow().as_ref().and_then(|h| h.waiting.get(id)) {
            let _ = waiting.pump.unbounded_send(said);
        }
    });
}

/// A worker failed: the exports they had end with `reason`, later ones run on the page.
fn stopped(reason: &str) {
    let waiting = HELPER.with(|h| {
        let mut h = h.borrow_mut();
        let Some(helper) = h.as_mut() else { return Vec::new() };
        helper.broken = true;
        helper.worker.terminate();
        helper.upload.terminate();
        helper.waiting.drain().map(|(_, w)| w).collect()
    });
    for w in waiting {
        let _ = w.ended.send(Err(ApiError { status: 0, message: format!("the export worker stopped: {reason}") }));
    }
}
