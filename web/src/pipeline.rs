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
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;
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
    Uploaded(Box<ExportInfo>),
    Cancelled,
    /// The browser could not hold or read back the file (Chromium here fails to read
    /// Blobs beyond about 500 MB): the server should render it. Says why.
    TooBigForTheBrowser(String),
}

/// Appends `text` to `parts` as Blobs of at most [`BLOB_PART_BYTES`] each, copied byte
/// for byte (no detour through a JS string, whose UTF-16 decoding and re-encoding would
/// cost more than the rendering). A file is bytes, so a cut inside a character is fine.
fn push_blob_parts(parts: &js_sys::Array, text: &str) -> Result<(), ApiError> {
    push_blob_parts_of_size(parts, text, BLOB_PART_BYTES)
}

fn push_blob_parts_of_size(parts: &js_sys::Array, text: &str, part_bytes: usize) -> Result<(), ApiError> {
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/html;charset=utf-8");
    for chunk in text.as_bytes().chunks(part_bytes) {
        let bytes = js_sys::Uint8Array::from(chunk);
        let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&js_sys::Array::of1(&bytes), &options)
            .map_err(|_| ApiError { status: 0, message: "the browser could not hold the export".into() })?;
        parts.push(&blob);
    }
    Ok(())
}

/// Messages asked for per page: every request costs the browser milliseconds of its
/// own, so exports read big pages (measured: the click_to_ready bench). The first pages
/// are smaller, while the browser still runs our WASM unoptimised.
const PAGE_MESSAGES: u32 = 2_000;
const FIRST_PAGE_MESSAGES: u32 = 250;

/// The largest Blob part: small enough for Chromium to copy it over IPC rather than
/// through shared memory or files. Gathering pages into 4 MB parts saved nothing
/// measurable (the click_to_ready bench).
const BLOB_PART_BYTES: usize = 240 << 10;

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

/// Up to this size the browser's own SHA-256 hashes the export in one call (fast, off
/// the main thread); larger ones are hashed slice by slice in WASM, because reading a
/// whole export into one ArrayBuffer is a long task (about 90 ms at 56 MB), and at
/// 500 MB more than a tab may hold.
const NATIVE_HASH_MAX: f64 = 16.0 * 1024.0 * 1024.0;

/// Bytes of the Blob hashed per step in WASM: bounds WASM memory whatever the size,
/// and keeps each step a short task.
const HASH_SLICE: f64 = 2.0 * 1024.0 * 1024.0;

/// Says what failed, in the browser's own words when it gave some.
fn hash_error(what: &str) -> impl Fn(JsValue) -> ApiError + '_ {
    move |e| {
        let said = e.dyn_ref::<js_sys::Error>().map(|e| format!(": {}", String::from(e.message()))).unwrap_or_default();
        ApiError { status: 0, message: format!("could not hash the export ({what}{said})") }
    }
}

/// SHA-256 of a Blob, base64.
async fn sha256_base64(blob: &web_sys::Blob) -> Result<String, ApiError> {
    match web_sys::window().and_then(|w| w.crypto().ok()).map(|c| c.subtle()) {
        // `crypto.subtle` exists only in secure contexts (https, localhost).
        Some(subtle) if !subtle.is_undefined() && blob.size() <= NATIVE_HASH_MAX => native_sha256_base64(&subtle, blob).await,
        _ => sha256_base64_in_slices(blob, HASH_SLICE).await,
    }
}

async fn native_sha256_base64(subtle: &web_sys::SubtleCrypto, blob: &web_sys::Blob) -> Result<String, ApiError> {
    use wasm_bindgen_futures::JsFuture;
    let buffer = JsFuture::from(blob.array_buffer()).await.map_err(hash_error("read"))?;
    let digest = subtle.digest_with_str_and_buffer_source("SHA-256", buffer.unchecked_ref()).map_err(hash_error("digest"))?;
    let digest = JsFuture::from(digest).await.map_err(hash_error("digest"))?;
    Ok(base64(&js_sys::Uint8Array::new(&digest).to_vec()))
}

async fn sha256_base64_in_slices(blob: &web_sys::Blob, slice_bytes: f64) -> Result<String, ApiError> {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    let size = blob.size();
    let mut at = 0.0;
    // The first calls run as baseline-compiled WASM, several times slower than once the
    // browser has optimised them: start small so that no step is a long task.
    let mut step = (slice_bytes / 16.0).max(1.0);
    while at < size {
        let end = (at + step).min(size);
        let slice = blob.slice_with_f64_and_f64(at, end).map_err(hash_error("slice"))?;
        let buffer = wasm_bindgen_futures::JsFuture::from(slice.array_buffer()).await.map_err(hash_error("read"))?;
        hasher.update(js_sys::Uint8Array::new(&buffer).to_vec());
        at = end;
        step = (step * 2.0).min(slice_bytes);
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
    push_blob_parts(&parts, &finished.head)?;
    for part in body_parts.iter() {
        parts.push(&part);
    }
    push_blob_parts(&parts, &finished.tail)?;
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/html;charset=utf-8");
    web_sys::Blob::new_with_blob_sequence_and_options(&parts, &options)
        .map_err(|_| ApiError { status: 0, message: "the browser could not assemble the export".into() })
}

/// Renders and uploads `export`; `on_progress` gets messages rendered so far.
pub async fn run(export: ExportInfo, cancel: Cancel, on_progress: impl Fn(i64)) -> Result<Outcome, ApiError> {
    let outcome = render_and_upload(export, cancel, on_progress).await;
    record_wasm_memory();
    outcome
}

async fn render_and_upload(export: ExportInfo, cancel: Cancel, on_progress: impl Fn(i64)) -> Result<Outcome, ApiError> {
    let mut renderer = ExportRenderer::new(ExportHeader::for_export(&export));
    let from = export.range.from.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let to = export.range.to.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let parts = js_sys::Array::new();
    let mut body = String::new();
    let assistant = export.assistant.id.clone();
    let filters = export.filters.clone();
    let page_after = move |cursor: Option<String>, messages: u32| {
        let (assistant, from, to, filters) = (assistant.clone(), from.clone(), to.clone(), filters.clone());
        async move {
            let query = api::PageQuery {
                assistant: &assistant,
                from: &from,
                to: &to,
                cursor: cursor.as_deref(),
                messages: Some(messages),
                filters: Some(&filters),
                ..Default::default()
            };
            with_retry(|| api::conversations_text(&query)).await
        }
    };
    let mut page_messages = FIRST_PAGE_MESSAGES;
    let mut next = Some(started(page_after(None, page_messages)).await);
    let mut last_report = 0.0;
    let mut last_yield = js_sys::Date::now();
    while let Some(request) = next.take() {
        if cancel.is_cancelled() {
            return Ok(Outcome::Cancelled);
        }
        let mut page = api::parse_page(&request.await?)?;
        if let Some(cursor) = page.next_cursor.take() {
            page_messages = (page_messages * 2).min(PAGE_MESSAGES);
            next = Some(started(page_after(Some(cursor), page_messages)).await);
        }
        renderer.push_page(&page.conversations, &mut body);
        drop(page);
        if let Err(e) = push_blob_parts(&parts, &body) {
            return Ok(Outcome::TooBigForTheBrowser(e.message));
        }
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
        if next.is_some() && now - last_yield > 16.0 {
            yield_to_browser().await;
            last_yield = js_sys::Date::now();
        }
    }
    mark("convo:rendered");
    let file = match assemble(renderer, &parts) {
        Ok(file) => file,
        Err(e) => return Ok(Outcome::TooBigForTheBrowser(e.message)),
    };
    let digest = match sha256_base64(&file).await {
        Ok(digest) => digest,
        Err(e) => return Ok(Outcome::TooBigForTheBrowser(e.message)),
    };
    mark("convo:hashed");
    if cancel.is_cancelled() {
        return Ok(Outcome::Cancelled);
    }
    let uploaded = with_retry(|| api::upload(&export.id, &file, &digest)).await?;
    mark("convo:uploaded");
    Ok(Outcome::Uploaded(Box::new(uploaded)))
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

/// A named point on the page's performance timeline (the click_to_ready bench reports
/// the phases from these).
fn mark(name: &str) {
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark(name);
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
        let conversations: Vec<convo_model::Conversation> = FIXTURE.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        let mut renderer = ExportRenderer::new(ExportHeader::new(
            "Support <Bot> \u{1F916}",
            Some("support-bot".into()),
            "2026-11-27T12:00:00Z".parse().unwrap(),
            Some(convo_model::TimeRange { from: "2026-10-28T12:00:00Z".parse().unwrap(), to: "2026-11-27T12:00:00Z".parse().unwrap() }),
        ));
        let parts = js_sys::Array::new();
        for page in conversations.chunks(2) {
            let mut body = String::new();
            renderer.push_page(page, &mut body);
            push_blob_parts(&parts, &body).unwrap();
        }
        let file = assemble(renderer, &parts).unwrap();
        let text = wasm_bindgen_futures::JsFuture::from(file.text()).await.unwrap().as_string().unwrap();
        assert!(text == GOLDEN, "the assembled Blob differs from the golden export");
        let expected = base64(&sha2::Sha256::digest(GOLDEN.as_bytes()));
        assert_eq!(sha256_base64(&file).await.unwrap(), expected);
        // Many slices, and one.
        assert!(file.size() > 10_000.0);
        assert_eq!(sha256_base64_in_slices(&file, 1_000.0).await.unwrap(), expected);
        assert_eq!(sha256_base64_in_slices(&file, HASH_SLICE).await.unwrap(), expected);
        let subtle = web_sys::window().unwrap().crypto().unwrap().subtle();
        assert_eq!(native_sha256_base64(&subtle, &file).await.unwrap(), expected);
    }

    /// Parts cut inside characters still make the same text.
    #[wasm_bindgen_test]
    async fn blob_parts_may_cut_characters() {
        let text = "<p>مرحبا 😀 naïve</p>\n".repeat(50);
        let parts = js_sys::Array::new();
        push_blob_parts_of_size(&parts, &text, 7).unwrap();
        assert_eq!(parts.length() as usize, text.len().div_ceil(7));
        let blob = web_sys::Blob::new_with_blob_sequence(&parts).unwrap();
        let back = wasm_bindgen_futures::JsFuture::from(blob.text()).await.unwrap().as_string().unwrap();
        assert_eq!(back, text);
    }

    #[wasm_bindgen_test]
    fn base64_matches_rfc4648() {
        assert_eq!(super::base64(b""), "");
        assert_eq!(super::base64(b"f"), "Zg==");
        assert_eq!(super::base64(b"fo"), "Zm8=");
        assert_eq!(super::base64(b"foobar"), "Zm9vYmFy");
    }
}
