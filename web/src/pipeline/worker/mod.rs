//! The export worker: a dedicated Web Worker that runs exports (read the stream, parse,
//! render, hash and upload) off the page's thread. The page only shows progress, so it
//! never waits on a render, and the export never stops to let the page paint: on the
//! page, those pauses took 449 ms of 1,510 at 200,000 short messages, and every task
//! was up to 84 ms long (the click_to_ready bench).
//!
//! The worker runs this same WASM module (the page posts it its compiled
//! `WebAssembly.Module`, so nothing is fetched or compiled twice) through the same
//! wasm-bindgen glue, which its script (`web/export-worker.js`) imports: `main` sees no
//! window there and mounts nothing, and the worker's messages go to `worker_receive`. The page's
//! side is `page.rs`, the worker's `inside.rs`; what they say to each other is below,
//! as JSON (a finished export's Blob travels beside it).

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
    /// A point on the page's performance timeline.
    Mark {
        name: String,
    },
    /// The export ended (with the file's Blob beside the message when it was kept).
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

#[derive(Serialize, Deserialize)]
#[serde(tag = "as", rename_all = "snake_case")]
enum End {
    Uploaded { info: Box<ExportInfo> },
    Cancelled,
    Failed { status: u16, message: String },
}

/// The key of a message's JSON, of the Blob beside it (to the page) and of the chunk
/// beside it (to the worker).
const JSON: &str = "json";
const BLOB: &str = "blob";
const CHUNK: &str = "chunk";

/// Puts `message` in an envelope, with `beside` under `key`.
fn envelope(message: &impl Serialize, beside: Option<(&str, &JsValue)>) -> Option<js_sys::Object> {
    let json = serde_json::to_string(message).ok()?;
    let envelope = js_sys::Object::new();
    js_sys::Reflect::set(&envelope, &JsValue::from_str(JSON), &JsValue::from_str(&json)).ok()?;
    if let Some((key, value)) = beside {
        js_sys::Reflect::set(&envelope, &JsValue::from_str(key), value).ok()?;
    }
    Some(envelope)
}

/// An envelope's message, and what is beside it under `key`.
fn opened<T: serde::de::DeserializeOwned>(envelope: &JsValue, key: &str) -> Option<(T, JsValue)> {
    let json = js_sys::Reflect::get(envelope, &JsValue::from_str(JSON)).ok()?.as_string()?;
    let message = serde_json::from_str(&json).ok()?;
    Some((message, js_sys::Reflect::get(envelope, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)))
}
