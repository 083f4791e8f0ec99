//! The page's side: starts the export worker once, hands it exports, and passes what it
//! says on (progress to the rows, the end to whoever awaits the export). When the worker
//! cannot start, or stops, the exports it had fail with a clear message and later ones
//! run on the page.

use super::super::timing::mark;
use super::super::{Cancelled, Outcome};
use super::{BLOB, End, FromWorker, JSON, ToWorker};
use crate::api::ApiError;
use convo_model::api::ExportInfo;
use futures_channel::oneshot;
use futures_util::future::{Either, select};
use std::cell::RefCell;
use std::collections::HashMap;
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

/// The worker's script, beside the glue (`web/export-worker.js`, copied by Trunk).
const SCRIPT: &str = "export-worker.js";

struct Helper {
    worker: web_sys::Worker,
    /// Set once it failed: later exports run on the page.
    broken: bool,
    waiting: HashMap<String, Waiting>,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

/// An export handed to the worker.
struct Waiting {
    progress: Rc<dyn Fn(i64)>,
    ended: oneshot::Sender<Result<Outcome, ApiError>>,
}

thread_local! {
    static HELPER: RefCell<Option<Helper>> = const { RefCell::new(None) };
}

/// Starts the export worker and has it warm up; `false` where it cannot start (no
/// window: this is the worker; or a browser without module workers).
pub(in super::super) fn start() -> bool {
    if web_sys::window().is_none() {
        return false;
    }
    if HELPER.with(|h| h.borrow().is_some()) {
        return is_running();
    }
    let Some(helper) = spawn() else { return false };
    post(&helper.worker, &ToWorker::WarmUp);
    HELPER.with(|h| *h.borrow_mut() = Some(helper));
    true
}

fn spawn() -> Option<Helper> {
    let glue = IMPORT_META.with(ImportMeta::url);
    let script = web_sys::Url::new_with_base(SCRIPT, &glue).ok()?.href();
    let worker_options = web_sys::WorkerOptions::new();
    worker_options.set_type(web_sys::WorkerType::Module);
    worker_options.set_name("convo-export");
    let worker = web_sys::Worker::new_with_options(&script, &worker_options).ok()?;
    let first = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&first, &JsValue::from_str("glue"), &JsValue::from_str(&glue));
    let _ = js_sys::Reflect::set(&first, &JsValue::from_str("module"), &wasm_bindgen::module());
    let _ = worker.post_message(&first);
    let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(|event: web_sys::MessageEvent| received(&event.data()));
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(|event: web_sys::Event| {
        let said = event.dyn_ref::<web_sys::ErrorEvent>().map(|e| e.message()).filter(|m| !m.is_empty());
        stopped(&said.unwrap_or_else(|| "it could not run".into()));
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    Some(Helper { worker, broken: false, waiting: HashMap::new(), _on_message: on_message, _on_error: on_error })
}

/// Whether exports go to the worker.
pub(in super::super) fn is_running() -> bool {
    HELPER.with(|h| h.borrow().as_ref().is_some_and(|h| !h.broken))
}

/// Runs `export` in the worker (see [`is_running`]), telling it when `cancelled` says so.
pub(in super::super) async fn run(
    export: ExportInfo,
    mut cancelled: Cancelled,
    on_progress: impl Fn(i64) + 'static,
) -> Result<Outcome, ApiError> {
    let id = export.id.clone();
    let (ended, mut end) = oneshot::channel();
    HELPER.with(|h| {
        if let Some(helper) = h.borrow_mut().as_mut() {
            helper.waiting.insert(id.clone(), Waiting { progress: Rc::new(on_progress), ended });
            post(&helper.worker, &ToWorker::Export { export: Box::new(export) });
        }
    });
    let gone = |_| Err(ApiError { status: 0, message: "the export worker stopped".into() });
    match select(&mut end, std::pin::pin!(cancelled.wait())).await {
        Either::Left((result, _)) => return result.unwrap_or_else(gone),
        Either::Right(((), _)) => HELPER.with(|h| {
            if let Some(helper) = h.borrow().as_ref() {
                post(&helper.worker, &ToWorker::Cancel { id });
            }
        }),
    }
    end.await.unwrap_or_else(gone)
}

fn post(worker: &web_sys::Worker, message: &ToWorker) {
    if let Ok(json) = serde_json::to_string(message) {
        let _ = worker.post_message(&JsValue::from_str(&json));
    }
}

/// A message from the worker.
fn received(data: &JsValue) {
    let field = |key: &str| js_sys::Reflect::get(data, &JsValue::from_str(key)).ok();
    let Some(json) = field(JSON).and_then(|j| j.as_string()) else { return };
    let Ok(message) = serde_json::from_str::<FromWorker>(&json) else { return };
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
            let blob = field(BLOB).and_then(|b| b.dyn_into::<web_sys::Blob>().ok());
            let result = match end {
                End::Uploaded { info } => Ok(Outcome::Uploaded(info, blob)),
                End::Cancelled => Ok(Outcome::Cancelled),
                End::Failed { status, message } => Err(ApiError { status, message }),
            };
            let waiting = HELPER.with(|h| h.borrow_mut().as_mut().and_then(|h| h.waiting.remove(&id)));
            if let Some(waiting) = waiting {
                let _ = waiting.ended.send(result);
            }
        }
        FromWorker::Broken { reason } => stopped(&reason),
    }
}

/// The worker failed: the exports it had end with `reason`, later ones run on the page.
fn stopped(reason: &str) {
    let waiting = HELPER.with(|h| {
        let mut h = h.borrow_mut();
        let Some(helper) = h.as_mut() else { return Vec::new() };
        helper.broken = true;
        helper.worker.terminate();
        helper.waiting.drain().map(|(_, w)| w).collect()
    });
    for w in waiting {
        let _ = w.ended.send(Err(ApiError { status: 0, message: format!("the export worker stopped: {reason}") }));
    }
}
