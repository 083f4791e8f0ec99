//! The in-browser export: fetch the export's conversation pages, render each with the
//! shared rendering crate straight into a Blob part (WASM memory stays bounded by one
//! page), assemble `head + body + tail`, hash it, and upload it. Progress is reported to
//! the server as it goes, so every tab shows it and the server can finish the export if
//! this tab goes away.

use crate::api::{self, ApiError, with_retry};
use convo_model::api::ExportInfo;
use convo_render::{ExportHeader, ExportRenderer};
use std::future::Future;
use std::sync::Arc;
use std::task::Poll;
use std::sync::atomic::{AtomicBool, Ordering};
use wasm_bindgen::{JsCast, JsValue};

/// Set to stop an export in flight.
#[derive(Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

pub enum Outcome {
    Uploaded(ExportInfo),
    Cancelled,
}

/// A Blob of UTF-8 text, copied byte for byte: no detour through a JS string, whose
/// UTF-16 decoding and re-encoding would cost more than the rendering.
fn blob_of(text: &str) -> Result<web_sys::Blob, ApiError> {
    let bytes = js_sys::Uint8Array::from(text.as_bytes());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/html;charset=utf-8");
    web_sys::Blob::new_with_u8_array_sequence_and_options(&js_sys::Array::of1(&bytes), &options)
        .map_err(|_| ApiError { status: 0, message: "the browser could not hold the export".into() })
}

/// Lets the browser handle input and paint: a message task, which, unlike a zero
/// timeout, is never clamped to 4 ms.
async fn yield_to_browser() {
    let Ok(channel) = web_sys::MessageChannel::new() else { return };
    let woken = js_sys::Promise::new(&mut |resolve, _| channel.port1().set_onmessage(Some(&resolve)));
    if channel.port2().post_message(&JsValue::NULL).is_ok() {
        let _ = wasm_bindgen_futures::JsFuture::from(woken).await;
    }
}

/// Polls `request` once, which puts it on the wire, and hands it back to be awaited
/// later: the next page downloads while this one renders.
async fn started<T: 'static>(request: impl Future<Output = T> + 'static) -> LocalBoxFuture<T> {
    let mut request: LocalBoxFuture<T> = Box::pin(request);
    match std::future::poll_fn(|cx| Poll::Ready(request.as_mut().poll(cx))).await {
        Poll::Ready(value) => Box::pin(std::future::ready(value)),
        Poll::Pending => request,
    }
}

type LocalBoxFuture<T> = std::pin::Pin<Box<dyn Future<Output = T>>>;

/// Bytes of the Blob hashed per step: bounds WASM memory whatever the export's size
/// (one ArrayBuffer of a whole 500 MB export is more than a tab may hold).
const HASH_CHUNK: f64 = 8.0 * 1024.0 * 1024.0;

/// SHA-256 of a Blob, base64, read slice by slice.
async fn sha256_base64(blob: &web_sys::Blob) -> Result<String, ApiError> {
    use sha2::Digest;
    let fail = |what: &str| ApiError { status: 0, message: format!("could not hash the export ({what})") };
    let mut hasher = sha2::Sha256::new();
    let size = blob.size();
    let mut at = 0.0;
    while at < size {
        let end = (at + HASH_CHUNK).min(size);
        let slice = blob.slice_with_f64_and_f64(at, end).map_err(|_| fail("slice"))?;
        let buffer = wasm_bindgen_futures::JsFuture::from(slice.array_buffer()).await.map_err(|_| fail("read"))?;
        hasher.update(js_sys::Uint8Array::new(&buffer).to_vec());
        at = end;
    }
    Ok(base64(&hasher.finalize()))
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// `head + body parts + tail` as one Blob: the whole file, never in WASM memory at once.
fn assemble(renderer: ExportRenderer, body_parts: &js_sys::Array) -> Result<web_sys::Blob, ApiError> {
    let finished = renderer.finish();
    let parts = js_sys::Array::new();
    parts.push(&JsValue::from(blob_of(&finished.head)?));
    for part in body_parts.iter() {
        parts.push(&part);
    }
    parts.push(&JsValue::from(blob_of(&finished.tail)?));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/html;charset=utf-8");
    web_sys::Blob::new_with_blob_sequence_and_options(&parts, &options)
        .map_err(|_| ApiError { status: 0, message: "the browser could not assemble the export".into() })
}

/// Renders and uploads `export`; `on_progress` gets messages rendered so far.
pub async fn run(export: ExportInfo, cancel: Cancel, on_progress: impl Fn(i64)) -> Result<Outcome, ApiError> {
    let mut renderer = ExportRenderer::new(ExportHeader {
        assistant_name: export.assistant.name.clone(),
        assistant_id: Some(export.assistant.id.clone()),
        exported_at: export.created_at,
        range: Some(export.range),
    });
    let from = export.range.from.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let to = export.range.to.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let parts = js_sys::Array::new();
    let mut body = String::new();
    let assistant = export.assistant.id.clone();
    let page_after = move |cursor: Option<String>| {
        let (assistant, from, to) = (assistant.clone(), from.clone(), to.clone());
        async move { with_retry(|| api::conversations(&assistant, &from, &to, cursor.as_deref(), false, None)).await }
    };
    let mut next = Some(started(page_after(None)).await);
    let mut last_report = 0.0;
    let mut last_yield = js_sys::Date::now();
    while let Some(request) = next.take() {
        if cancel.is_cancelled() {
            return Ok(Outcome::Cancelled);
        }
        let page = request.await?;
        if let Some(cursor) = page.next_cursor.clone() {
            next = Some(started(page_after(Some(cursor))).await);
        }
        for conversation in &page.conversations {
            renderer.push_conversation(conversation, &mut body);
        }
        drop(page);
        parts.push(&JsValue::from(blob_of(&body)?));
        body.clear();
        let done = renderer.messages() as i64;
        on_progress(done);
        let now = js_sys::Date::now();
        if now - last_report > 1_000.0 {
            last_report = now;
            match api::report_progress(&export.id, done).await {
                Err(e) if e.status == 409 => return Err(e),
                _ => {}
            }
        }
        // Keep every task short: let the page breathe when this one has run a while.
        if next.is_some() && now - last_yield > 8.0 {
            yield_to_browser().await;
            last_yield = js_sys::Date::now();
        }
    }
    let file = assemble(renderer, &parts)?;
    let digest = sha256_base64(&file).await?;
    if cancel.is_cancelled() {
        return Ok(Outcome::Cancelled);
    }
    let uploaded = with_retry(|| api::upload(&export.id, &file, &digest)).await?;
    record_wasm_memory();
    Ok(Outcome::Uploaded(uploaded))
}

/// WASM memory only grows, so its size after an export is its peak: kept on
/// `window.convoWasmBytes` for diagnostics and the click-to-ready benchmark.
fn record_wasm_memory() {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    let bytes = memory.buffer().unchecked_into::<js_sys::ArrayBuffer>().byte_length();
    if let Some(window) = web_sys::window() {
        let _ = js_sys::Reflect::set(&window, &JsValue::from_str("convoWasmBytes"), &JsValue::from(bytes));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

    const FIXTURE: &str = include_str!("../../crates/render/tests/fixtures/conversations.jsonl");
    const GOLDEN: &str = include_str!("../../crates/render/tests/golden/export.html");

    /// Page by page into Blob parts, as `run` does, and the same bytes as the golden file.
    #[wasm_bindgen_test]
    async fn blob_parts_assemble_into_the_golden_export_and_hash_like_sha256() {
        use sha2::Digest;
        let conversations: Vec<convo_model::Conversation> =
            FIXTURE.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        let mut renderer = ExportRenderer::new(ExportHeader {
            assistant_name: "Support <Bot> \u{1F916}".into(),
            assistant_id: Some("support-bot".into()),
            exported_at: "2026-11-27T12:00:00Z".parse().unwrap(),
            range: Some(convo_model::TimeRange {
                from: "2026-10-28T12:00:00Z".parse().unwrap(),
                to: "2026-11-27T12:00:00Z".parse().unwrap(),
            }),
        });
        let parts = js_sys::Array::new();
        for page in conversations.chunks(2) {
            let mut body = String::new();
            renderer.push_page(page, &mut body);
            parts.push(&JsValue::from(blob_of(&body).unwrap()));
        }
        let file = assemble(renderer, &parts).unwrap();
        let text = wasm_bindgen_futures::JsFuture::from(file.text()).await.unwrap().as_string().unwrap();
        assert!(text == GOLDEN, "the assembled Blob differs from the golden export");
        let expected = base64(&sha2::Sha256::digest(GOLDEN.as_bytes()));
        assert_eq!(sha256_base64(&file).await.unwrap(), expected);
    }

    #[wasm_bindgen_test]
    fn base64_matches_rfc4648() {
        assert_eq!(super::base64(b""), "");
        assert_eq!(super::base64(b"f"), "Zg==");
        assert_eq!(super::base64(b"fo"), "Zm8=");
        assert_eq!(super::base64(b"foobar"), "Zm9vYmFy");
    }
}
