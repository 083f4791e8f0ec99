//! The worker's side: exports started by the page's messages, each a task of its own,
//! telling the page their progress and their end.

use super::super::cancel::{Cancel, cancel_pair};
use super::super::timing::{Cost, Spent};
use super::super::{Outcome, Watch, render_and_upload, warm};
use super::{BLOB, End, FromWorker, JSON, ToWorker};
use convo_model::api::ExportInfo;
use std::cell::RefCell;
use std::collections::HashMap;
use wasm_bindgen::prelude::*;

thread_local! {
    /// The exports running here, by id: how to stop each.
    static RUNNING: RefCell<HashMap<String, Cancel>> = RefCell::new(HashMap::new());
}

/// A message from the page (the worker's script hands each one here).
#[wasm_bindgen]
pub fn worker_receive(message: JsValue) {
    let Some(text) = message.as_string() else { return };
    let Ok(asked) = serde_json::from_str::<ToWorker>(&text) else { return };
    match asked {
        ToWorker::WarmUp => warm::warm_up(),
        ToWorker::Export { export } => start(*export),
        ToWorker::Cancel { id } => RUNNING.with(|running| {
            if let Some(cancel) = running.borrow().get(&id) {
                cancel.cancel();
            }
        }),
    }
}

fn start(export: ExportInfo) {
    let id = export.id.clone();
    let (cancel, cancelled) = cancel_pair();
    RUNNING.with(|running| running.borrow_mut().insert(id.clone(), cancel));
    wasm_bindgen_futures::spawn_local(async move {
        let mut spent = Spent::default();
        let watch = ToThePage { id: id.clone() };
        let outcome = render_and_upload(export, cancelled, &watch, &mut spent).await;
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

/// How long an export runs here before it lets what waits run (a cancel, finished
/// uploads): nothing paints here, so a cancel waits at most this long. The page's 25 ms
/// spent 2.3 s in yields at 2,000,000 short messages, 250 ms 0.3 s; Ready came no sooner
/// (the time moved to waiting for the stream: the click_to_ready bench).
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
    let Ok(json) = serde_json::to_string(message) else { return };
    let envelope = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&envelope, &JsValue::from_str(JSON), &JsValue::from_str(&json));
    if let Some(blob) = blob {
        let _ = js_sys::Reflect::set(&envelope, &JsValue::from_str(BLOB), blob);
    }
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let _ = scope.post_message(&envelope);
}
