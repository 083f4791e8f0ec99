//! Where an export's time and memory went, kept on the page for diagnostics and the
//! click_to_ready bench.

use wasm_bindgen::{JsCast, JsValue};

/// Where the pipeline's time went (ms), kept on `window.convoPhases` for the
/// click_to_ready bench: waiting for the stream, parsing its lines, rendering, making and
/// sending parts, and what the browser did in between (the yields).
#[derive(Default)]
pub(super) struct Spent([f64; 5]);

#[derive(Clone, Copy)]
pub(super) enum Phase {
    Wait,
    Parse,
    Render,
    Parts,
    Yield,
}

impl Spent {
    /// Adds the time since `since` to `phase`; returns now.
    pub(super) fn add(&mut self, phase: Phase, since: f64) -> f64 {
        let now = js_sys::Date::now();
        self.0[phase as usize] += now - since;
        now
    }

    pub(super) fn record(&self) {
        let phases = js_sys::Object::new();
        for (name, ms) in ["wait", "parse", "render", "parts", "yield"].iter().zip(self.0) {
            let _ = js_sys::Reflect::set(&phases, &JsValue::from_str(name), &JsValue::from(ms));
        }
        if let Some(window) = web_sys::window() {
            let _ = js_sys::Reflect::set(&window, &JsValue::from_str("convoPhases"), &phases);
        }
    }
}

/// WASM memory only grows, so its size after an export is its peak: kept on
/// `window.convoWasmBytes` for diagnostics and the click-to-ready benchmark.
pub(super) fn record_wasm_memory() {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    let bytes = memory.buffer().unchecked_into::<js_sys::ArrayBuffer>().byte_length();
    if let Some(window) = web_sys::window() {
        let _ = js_sys::Reflect::set(&window, &JsValue::from_str("convoWasmBytes"), &JsValue::from(bytes));
    }
}

/// A named point on the page's performance timeline (the click_to_ready bench reports
/// the phases from these).
pub(super) fn mark(name: &str) {
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark(name);
    }
}
