//! The worker's side: exports started by the page's messages, each a task of its own,
//! fed their stream by the page (`Posted`), telling the page their progress and their
//! end.

use super::super::cancel::{Cancel, cancel_pair};
use super::super::feed::Source;
use super::super::timing::{Cost, Spent};
use super::super::{Outcome, Watch, render_and_upload, warm};
use super::{BLOB, CHUNK, End, FromWorker, ToWorker, envelope, opened};
use crate::api::ApiError;
use convo_model::api::ExportInfo;
use futures_channel::mpsc;
use futures_util::StreamExt;
use std::cell::RefCell;
use std::collections::HashMap;
use wasm_bindgen::prelude::*;

/// An export running here: how to stop it, and where its stream's chunks go.
struct Running {
    cancel: Cancel,
    stream: mpsc::UnboundedSender<StreamSaid>,
}

thread_local! {
    static RUNNING: RefCell<HashMap<String, Running>> = RefCell::new(HashMap::new());
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
    let Some((asked, chunk)) = opened::<ToWorker>(&message, CHUNK) else { return };
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
        ToWorker::Chunk { id, round } => match chunk.dyn_into::<js_sys::Uint8Array>() {
            Ok(chunk) => (id, StreamSaid::Chunk(round, chunk)),
            Err(_) => (id, StreamSaid::Broke(round, "the page posted no bytes".into())),
        },
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

fn start(export: ExportInfo) {
    let id = export.id.clone();
    let (cancel, cancelled) = cancel_pair();
    let (stream, said) = mpsc::unbounded();
    RUNNING.with(|running| running.borrow_mut().insert(id.clone(), Running { cancel, stream }));
    wasm_bindgen_futures::spawn_local(async move {
        let mut spent = Spent::default();
        let watch = ToThePage { id: id.clone() };
        let posted = Posted { id: id.clone(), round: 0, said };
        let outcome = render_and_upload(export, Source::Posted(posted), cancelled, &watch, &mut spent).await;
        RUNNING.with(|running| running.borrow_mut().remove(&id));
        let cost = Cost::in_worker(spent);
        let (end, blob) = match outcome {
            Ok(Outcome::Uploaded(info, blob)) => (End::Uploaded { info }, blob),
            Ok(Outcome::Cancelled) => (End::Cancelled, None),
            Err(e) => (End::Failed { status: e.status, message: e.message }, None),
        };
        post(&FromWorker::Ended { id, end, cost }, blob.as_ref());
    });
}

/// An export's stream as the page reads it and posts it here: the page reads as fast as
/// the network gives, a bounded amount ahead of what was taken, while this worker
/// renders. Read here, the stream moved on only while this thread was free: 3.3 s of
/// waiting for it at 2,000,000 short messages, whose stream a native client reads in
/// 2.9 s; read by the page, 0.35 s (the click_to_ready bench). The uploads' steps still
/// wait for this thread (2.5-3.0 s in `parts` there): the next thing to move.
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

/// How long an export runs here before it lets what waits run (a cancel, finished
/// uploads): nothing paints here, so a cancel waits at most this long. At 2,000,000
/// short messages, yielding every 25 ms spent 3.6 s in yields (also with one channel
/// reused for every yield) and sent parts at once; every 250 ms, 0.9 s in yields and
/// 2.7 s waiting for parts; Ready came no sooner either way (the click_to_ready bench).
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

fn post(message: &FromWorker, blob: Option<&web_sys::Blob>) {
    let Some(envelope) = envelope(message, blob.map(|b| (BLOB, b.as_ref()))) else { return };
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let _ = scope.post_message(&envelope);
}
