//! Where an export's time and memory went, kept on the page for diagnostics and the
//! click_to_ready bench.

use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};

/// Where the pipeline's time went (ms), kept on `window.convoPhases` for the
/// click_to_ready bench: waiting for the stream, parsing its lines, rendering, making and
/// sending parts, what the browser did in between (the yields), and hashing the
/// conversations for the manifest (the upload worker's).
#[derive(Default, Clone, Serialize, Deserialize)]
pub(super) struct Spent {
    ms: [f64; 6],
    /// Chunks read off the stream, and their bytes.
    chunks: f64,
    bytes: f64,
}

#[derive(Clone, Copy)]
pub(super) enum Phase {
    Wait,
    Parse,
    Render,
    Parts,
    Yield,
    Digests,
}

impl Spent {
    /// Adds the time since `since` to `phase`; returns now.
    pub(super) fn add(&mut self, phase: Phase, since: f64) -> f64 {
        let now = js_sys::Date::now();
        self.ms[phase as usize] += now - since;
        now
    }

    /// Counts a chunk of `bytes` read off the stream.
    pub(super) fn chunk(&mut self, bytes: usize) {
        self.chunks += 1.0;
        self.bytes += bytes as f64;
    }
}

/// What an export cost: its phases, and the memory of the workers that ran it (none
/// when it ran on the page, whose own memory [`Cost::publish`] measures).
#[derive(Default, Clone, Serialize, Deserialize)]
pub(super) struct Cost {
    pub(super) spent: Spent,
    pub(super) wasm_bytes: f64,
    pub(super) heap_bytes: f64,
}

impl Cost {
    /// The cost of an export that ran in this worker, measured now: WASM memory only
    /// grows, so its size after an export is its peak.
    pub(super) fn in_worker(spent: Spent) -> Cost {
        Cost { spent, wasm_bytes: wasm_bytes(), heap_bytes: used_js_heap() }
    }

    /// This cost and `other`'s, as of two threads that ran side by side.
    pub(super) fn and(mut self, other: Cost) -> Cost {
        for (mine, theirs) in self.spent.ms.iter_mut().zip(other.spent.ms) {
            *mine += theirs;
        }
        self.spent.chunks += other.spent.chunks;
        self.spent.bytes += other.spent.bytes;
        self.wasm_bytes += other.wasm_bytes;
        self.heap_bytes += other.heap_bytes;
        self
    }

    /// Kept on the page: `window.convoPhases`, `window.convoWasmBytes` (the page's WASM
    /// memory plus the workers') and `window.convoWorkerHeapBytes` (the workers' JS heaps).
    pub(super) fn publish(&self) {
        let Some(window) = web_sys::window() else { return };
        let phases = js_sys::Object::new();
        for (name, ms) in ["wait", "parse", "render", "parts", "yield", "digests"].iter().zip(self.spent.ms) {
            let _ = js_sys::Reflect::set(&phases, &JsValue::from_str(name), &JsValue::from(ms));
        }
        let _ = js_sys::Reflect::set(&phases, &JsValue::from_str("chunks"), &JsValue::from(self.spent.chunks));
        let _ = js_sys::Reflect::set(&phases, &JsValue::from_str("stream_mb"), &JsValue::from((self.spent.bytes / 1e6).round()));
        let set = |key: &str, value: &JsValue| js_sys::Reflect::set(&window, &JsValue::from_str(key), value);
        let _ = set("convoPhases", &phases);
        let _ = set("convoWasmBytes", &JsValue::from(wasm_bytes() + self.wasm_bytes));
        let _ = set("convoWorkerHeapBytes", &JsValue::from(self.heap_bytes));
    }
}

/// This instance's WASM memory, in bytes.
fn wasm_bytes() -> f64 {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    memory.buffer().unchecked_into::<js_sys::ArrayBuffer>().byte_length() as f64
}

/// The JS heap in use where this runs (Chromium's `performance.memory`), 0 where unknown.
fn used_js_heap() -> f64 {
    let global = js_sys::global();
    js_sys::Reflect::get(&global, &JsValue::from_str("performance"))
        .and_then(|p| js_sys::Reflect::get(&p, &JsValue::from_str("memory")))
        .and_then(|m| js_sys::Reflect::get(&m, &JsValue::from_str("usedJSHeapSize")))
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0)
}

/// A named point on the page's performance timeline (the click_to_ready bench reports
/// the phases from these).
pub(super) fn mark(name: &str) {
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark(name);
    }
}
