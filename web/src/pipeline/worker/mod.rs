//! The export worker: a dedicated Web Worker that parses and renders exports off the
//! page's thread. The page never waits on a render, and the export never stops to let
//! the page paint: on the page, those pauses took 449 ms of 1,510 at 200,000 short
//! messages, and every task was up to 84 ms long (the click_to_ready bench). The page
//! does the I/O for it, whose every step would otherwise wait for the worker's thread
//! to be free of rendering: it reads the export's stream and posts the chunks, and it
//! hashes, sends and keeps the parts the worker hands it (and hands their buffers
//! back). At 2,000,000 short messages, the worker's wait for parts fell from 2.5 s to
//! 0.5 s that way, and Ready came 1.60x the server's render before, 1.18-1.46x after, in
//! runs on the same machine (the click_to_ready bench). The page also hashes the
//! conversations for the manifest from those parts (`hashing.rs`), which took the
//! worker's render from 5.8 s to 3.6-4.0 s there.
//!
//! The worker runs this same WASM module (the page posts it its compiled
//! `WebAssembly.Module`, so nothing is fetched or compiled twice) through the same
//! wasm-bindgen glue, which its script (`web/export-worker.js`) imports: `main` sees no
//! window there and mounts nothing, and the worker's messages go to `worker_receive`. The page's
//! side is `page.rs`, the worker's `inside.rs`; what they say to each other is below,
//! as JSON (a finished export's Blob travels beside it).

mod hashing;
mod inside;
mod page;

use super::timing::Cost;
use convo_model::api::ExportInfo;
pub(super) use inside::Posted;
pub(super) use page::{is_running, run, start};
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;

/// What the page asks of the worker.
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum ToWorker {
    /// Run a few throwaway exports, so the first real one starts on optimised code.
    WarmUp,
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
    /// Part `n` that the worker handed over is stored (its bytes beside, handed back
    /// for the next part, when the page did not keep them), or could not be.
    PartStored {
        id: String,
        n: u32,
    },
    PartFailed {
        id: String,
        n: u32,
        status: u16,
        message: String,
    },
    /// The export's conversations' SHA-256, in order, 32 bytes each (beside the
    /// message), or why the page could not hash them.
    Digests {
        id: String,
    },
    DigestsFailed {
        id: String,
        message: String,
    },
}

/// What the worker tells the page.
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
    /// Part `n` of the export's file (beside the message): the page hashes, sends and
    /// keeps it, and says when it is stored. On the way, it hashes the conversations
    /// whose `spans` (offsets in the file's body, noted since the last part) lie in it.
    Part {
        id: String,
        n: u32,
        spans: Vec<Span>,
    },
    /// The body's last bytes (beside the message) and its last spans: the page hashes
    /// them and answers with the conversations' digests.
    Rest {
        id: String,
        spans: Vec<Span>,
    },
    /// A point on the page's performance timeline.
    Mark {
        name: String,
    },
    /// The export ended.
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

/// The keys of a message's JSON and of the bytes beside it (a chunk of the stream to the
/// worker, a part of the file to the page).
const JSON: &str = "json";
const BYTES: &str = "bytes";

/// Puts `message` in an envelope, with `bytes` beside it.
fn envelope(message: &impl Serialize, bytes: Option<&js_sys::Uint8Array>) -> Option<js_sys::Object> {
    let json = serde_json::to_string(message).ok()?;
    let envelope = js_sys::Object::new();
    js_sys::Reflect::set(&envelope, &JsValue::from_str(JSON), &JsValue::from_str(&json)).ok()?;
    if let Some(bytes) = bytes {
        js_sys::Reflect::set(&envelope, &JsValue::from_str(BYTES), bytes).ok()?;
    }
    Some(envelope)
}

/// What must move with an envelope rather than be copied: the buffer of its bytes.
fn moving(bytes: Option<&js_sys::Uint8Array>) -> js_sys::Array {
    bytes.map(|b| js_sys::Array::of1(&b.buffer())).unwrap_or_default()
}

/// An envelope's message, and the bytes beside it (when they are there).
fn opened<T: serde::de::DeserializeOwned>(envelope: &JsValue) -> Option<(T, Option<js_sys::Uint8Array>)> {
    use wasm_bindgen::JsCast;
    let json = js_sys::Reflect::get(envelope, &JsValue::from_str(JSON)).ok()?.as_string()?;
    let message = serde_json::from_str(&json).ok()?;
    let bytes = js_sys::Reflect::get(envelope, &JsValue::from_str(BYTES)).ok().and_then(|b| b.dyn_into().ok());
    Some((message, bytes))
}
