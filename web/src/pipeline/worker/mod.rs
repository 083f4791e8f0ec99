//! The export's workers: two dedicated Web Workers, so that the page's thread only reads
//! a large export's stream and shows progress. The export worker parses and renders; the
//! upload worker hashes the conversations for the manifest (`hashing.rs`), hashes,
//! sends and keeps the parts the export worker hands it, and hands their buffers back.
//!
//! Rendering on the page cost 449 ms of 1,510 in pauses to let the page paint at
//! 200,000 short messages, and every task was up to 84 ms long (the click_to_ready
//! bench). The I/O is not the export worker's: each of its steps would wait for that
//! thread to be free of rendering (2.3-5.6 s of waiting for parts at 2,000,000
//! messages). It was the page's until the page, on 2 cores shared with PostgreSQL,
//! Garage and the server, had tasks of 85-154 ms: the conversations' digests, a part's
//! digest and its request copying the body ran there, 10-32 ms each, and a page thread
//! taken off the core mid-task made them long. The page now reads the stream and posts
//! its chunks to the export worker, whose parts go straight to the upload worker over a
//! `MessageChannel` of their own.
//!
//! Both workers run this same WASM module (the page posts them its compiled
//! `WebAssembly.Module`, so nothing is fetched or compiled twice) through the same
//! wasm-bindgen glue, which their script (`web/export-worker.js`) imports: `main` sees no
//! window there and mounts nothing, and the page's messages go to `worker_receive`. The
//! first of them, [`ToWorker::Join`], says which of the two a worker is, with its end of
//! the channel between them. The page's side is `page.rs`, the export worker's
//! `inside.rs`, the upload worker's `upload.rs`; what they say to each other is below,
//! as JSON (a chunk, a part, a port or a Blob travels beside it).

mod hashing;
mod inside;
mod page;
mod upload;

use super::timing::Cost;
use convo_model::api::ExportInfo;
pub(super) use inside::Posted;
pub(super) use page::{is_running, run, start};
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};

/// Which of the two workers one is.
#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Role {
    /// Parses and renders.
    Export,
    /// Hashes, sends and keeps the parts.
    Upload,
}

/// What the page asks of a worker.
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum ToWorker {
    /// Be `role`, talking to the other worker over the port beside; and warm up, so the
    /// first real export starts on optimised code.
    Join {
        role: Role,
    },
    Export {
        export: Box<ExportInfo>,
    },
    Cancel {
        id: String,
    },
    /// The export's stream, read by the page: a chunk of it (beside the message), its
    /// end, or its breaking off; `round` counts the times it was asked for.
    Chunk {
        id: String,
        round: u32,
    },
    StreamEnded {
        id: String,
        round: u32,
    },
    StreamBroke {
        id: String,
        round: u32,
        message: String,
    },
}

/// What a worker tells the page.
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum FromWorker {
    Progress {
        id: String,
        done: i64,
    },
    /// The export took `bytes` of its stream's chunks: the page may read on.
    Took {
        id: String,
        bytes: usize,
    },
    /// Ask for the export's stream again, from `cursor`, as round `round`.
    AskAgain {
        id: String,
        cursor: Option<String>,
        round: u32,
    },
    /// A point on the page's performance timeline.
    Mark {
        name: String,
    },
    /// The export ended; uploaded, with the file as a Blob beside when the upload worker
    /// kept it.
    Ended {
        id: String,
        end: End,
        cost: Cost,
    },
    /// The worker could not start (sent by its script): exports run on the page.
    Broken {
        reason: String,
    },
}

/// What the export worker asks of the upload worker.
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum ToUpload {
    /// An export begins: its parts are a file of this format.
    Begin { id: String, format: convo_model::Format },
    /// Part `n` of the export's file (beside the message): hash, send and keep it, and
    /// say when it is stored. On the way, hash the conversations whose `spans` (offsets
    /// in the file's body, noted since the last part) lie in it.
    Part { id: String, n: u32, spans: Vec<Span> },
    /// The body's last part was handed over: answer with the conversations' digests.
    Finish { id: String },
    /// The export ended (or stopped): forget what is kept of it.
    Forget { id: String },
}

/// What the upload worker tells the export worker.
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum FromUpload {
    /// Part `n` is stored: its bytes beside, handed back for the next part, when they
    /// were not kept. The head, sent last, has the whole file beside as a Blob when it
    /// was kept, and the upload worker's cost for the export.
    Stored {
        id: String,
        n: u32,
        cost: Option<Cost>,
    },
    Failed {
        id: String,
        n: u32,
        status: u16,
        message: String,
    },
    /// The export's conversations' SHA-256, in order, 32 bytes each (beside the
    /// message), or why they could not be hashed.
    Digests {
        id: String,
    },
    DigestsFailed {
        id: String,
        message: String,
    },
}

/// Where a conversation lies in the file's body: its first byte and the one after its last.
type Span = [u64; 2];

fn to_wire(spans: Vec<std::ops::Range<u64>>) -> Vec<Span> {
    spans.into_iter().map(|s| [s.start, s.end]).collect()
}

fn from_wire(spans: Vec<Span>) -> impl Iterator<Item = std::ops::Range<u64>> {
    spans.into_iter().map(|[start, end]| start..end)
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "as", rename_all = "snake_case")]
enum End {
    Uploaded { info: Box<ExportInfo> },
    Cancelled,
    Failed { status: u16, message: String },
}

/// The keys of a message's JSON and of what travels beside it.
const JSON: &str = "json";
const BESIDE: &str = "beside";

/// What travels beside a message's JSON.
#[derive(Clone, Copy)]
enum Beside<'a> {
    Nothing,
    /// Moved, not copied: a chunk of the stream, a part, the digests.
    Bytes(&'a js_sys::Uint8Array),
    /// Moved: a worker's end of the channel between the two.
    Port(&'a web_sys::MessagePort),
    /// Copied by reference: the file, kept whole.
    Blob(&'a web_sys::Blob),
}

impl Beside<'_> {
    /// What must move with the envelope rather than be copied.
    fn moving(self) -> js_sys::Array {
        match self {
            Beside::Bytes(bytes) => js_sys::Array::of1(&bytes.buffer()),
            Beside::Port(port) => js_sys::Array::of1(port),
            Beside::Nothing | Beside::Blob(_) => js_sys::Array::new(),
        }
    }
}

/// Puts `message` in an envelope, with `beside` beside it; and what moves with it.
fn envelope(message: &impl Serialize, beside: Beside) -> Option<(js_sys::Object, js_sys::Array)> {
    let json = serde_json::to_string(message).ok()?;
    let envelope = js_sys::Object::new();
    js_sys::Reflect::set(&envelope, &JsValue::from_str(JSON), &JsValue::from_str(&json)).ok()?;
    let value: Option<&JsValue> = match beside {
        Beside::Nothing => None,
        Beside::Bytes(bytes) => Some(bytes),
        Beside::Port(port) => Some(port),
        Beside::Blob(blob) => Some(blob),
    };
    if let Some(value) = value {
        js_sys::Reflect::set(&envelope, &JsValue::from_str(BESIDE), value).ok()?;
    }
    Some((envelope, beside.moving()))
}

/// An envelope's message, and what is beside it (undefined when nothing is).
fn opened<T: serde::de::DeserializeOwned>(envelope: &JsValue) -> Option<(T, JsValue)> {
    let json = js_sys::Reflect::get(envelope, &JsValue::from_str(JSON)).ok()?.as_string()?;
    let message = serde_json::from_str(&json).ok()?;
    let beside = js_sys::Reflect::get(envelope, &JsValue::from_str(BESIDE)).unwrap_or(JsValue::UNDEFINED);
    Some((message, beside))
}

/// What is beside a message, as a `T` (`None` when it is something else, or nothing).
fn beside_as<T: JsCast>(beside: &JsValue) -> Option<T> {
    beside.clone().dyn_into().ok()
}

/// A message from the page (the workers' script hands each one here).
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn worker_receive(message: JsValue) {
    let Some((asked, beside)) = opened::<ToWorker>(&message) else { return };
    match asked {
        ToWorker::Join { role } => {
            let Some(port) = beside_as::<web_sys::MessagePort>(&beside) else {
                return post_to_page(&FromWorker::Broken { reason: "the page sent no port to the other worker".into() }, Beside::Nothing);
            };
            match role {
                Role::Export => inside::join(port),
                Role::Upload => upload::join(port),
            }
        }
        asked => inside::receive(asked, beside),
    }
}

/// This worker's end of the channel between the two workers, once it joined.
struct Other {
    port: web_sys::MessagePort,
    _on_message: wasm_bindgen::closure::Closure<dyn FnMut(web_sys::MessageEvent)>,
}

thread_local! {
    static OTHER: std::cell::RefCell<Option<Other>> = const { std::cell::RefCell::new(None) };
}

/// Takes `port` as this worker's end of the channel, handing what comes on it to `receive`.
fn connect(port: web_sys::MessagePort, receive: fn(&JsValue)) {
    let on_message =
        wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| receive(&event.data()));
    port.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    OTHER.with(|other| *other.borrow_mut() = Some(Other { port, _on_message: on_message }));
}

/// Posts `message` to the other worker, with `beside` beside it.
fn post_to_other(message: &impl Serialize, beside: Beside) {
    let Some((envelope, moving)) = envelope(message, beside) else { return };
    OTHER.with(|other| {
        if let Some(other) = other.borrow().as_ref() {
            let _ = other.port.post_message_with_transferable(&envelope, &moving);
        }
    });
}

/// Posts `message` from this worker to the page, with `beside` beside it.
fn post_to_page(message: &FromWorker, beside: Beside) {
    let Some((envelope, moving)) = envelope(message, beside) else { return };
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let _ = scope.post_message_with_transfer(&envelope, &moving);
}
