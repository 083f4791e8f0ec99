//! The in-browser export: fetch the export's conversation pages, render each with the
//! shared rendering crate, and upload the file in parts as it grows: a part is sent with
//! its own SHA-256 as soon as it is full, while the next pages render. The tab holds at
//! most a few parts at a time (WASM memory stays bounded by one part and one page,
//! whatever the export's size) and hashes each byte once. The file's head, with the
//! statistics, is only known at the end: it is part 1, sent last; `complete` has the
//! server join the parts in order. Progress is reported to the server as it goes, so
//! every tab shows it and the server can finish the export if this tab goes away.

use crate::api::{self, ApiError, with_retry};
use convo_model::api::ExportInfo;
use convo_render::{ExportHeader, ExportRenderer};
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
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
    /// Ready; with the file as a Blob when it was small enough for the tab to keep (a
    /// click on Download then saves it without a round trip).
    Uploaded(Box<ExportInfo>, Option<web_sys::Blob>),
    Cancelled,
}

/// Messages asked for per page: every request costs the browser milliseconds of its
/// own, so exports read big pages (measured: the click_to_ready bench). The first pages
/// are smaller, while the browser still runs our WASM unoptimised.
const PAGE_MESSAGES: u32 = 5_000;
const FIRST_PAGE_MESSAGES: u32 = 1_000;

/// Bytes of a part. Each costs a request, and the tab holds up to
/// [`PARTS_IN_FLIGHT`] of them besides the one filling: 4 MiB keeps requests few and the
/// memory small (the click_to_ready bench).
pub const PART_BYTES: usize = 4 << 20;
const PARTS_IN_FLIGHT: usize = 3;

/// Files up to this size are also kept in the tab as a Blob, for Download.
const KEEP_BLOB_BYTES: usize = 32 << 20;

/// Lets the browser handle input and paint: a message task, which, unlike a zero
/// timeout, is never clamped to 4 ms.
async fn yield_to_browser() {
    let Ok(channel) = web_sys::MessageChannel::new() else { return };
    let woken = js_sys::Promise::new(&mut |resolve, _| channel.port1().set_onmessage(Some(&resolve)));
    if channel.port2().post_message(&JsValue::NULL).is_ok() {
        let _ = wasm_bindgen_futures::JsFuture::from(woken).await;
    }
}

type LocalBoxFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// Runs `work` on its own (the next page downloads, and parts hash and upload, while
/// this one renders) and hands back its result to await later. Merely polling such
/// futures once got them on the wire but left every later step (reading a page,
/// sending a part once hashed) waiting for the render loop: 4.4 s of 9 s at 1,000,000
/// messages (the click_to_ready bench).
fn spawned<T: 'static>(work: impl Future<Output = T> + 'static) -> LocalBoxFuture<T> {
    type Slot<T> = Rc<RefCell<(Option<T>, Option<std::task::Waker>)>>;
    let slot: Slot<T> = Rc::new(RefCell::new((None, None)));
    let filled = slot.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let value = work.await;
        let mut slot = filled.borrow_mut();
        slot.0 = Some(value);
        if let Some(waker) = slot.1.take() {
            waker.wake();
        }
    });
    Box::pin(std::future::poll_fn(move |cx| {
        let mut slot = slot.borrow_mut();
        match slot.0.take() {
            Some(value) => Poll::Ready(value),
            None => {
                slot.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }))
}

/// Says what failed, in the browser's own words when it gave some.
fn js_error(what: &str) -> impl Fn(JsValue) -> ApiError + '_ {
    move |e| {
        let said = e.dyn_ref::<js_sys::Error>().map(|e| format!(": {}", String::from(e.message()))).unwrap_or_default();
        ApiError { status: 0, message: format!("could not {what}{said}") }
    }
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// SHA-256 of `bytes`, base64: the browser's own, off the main thread, where it exists
/// (secure contexts: https, localhost); else in WASM.
async fn sha256_base64(bytes: &js_sys::Uint8Array, fallback: &[u8]) -> Result<String, ApiError> {
    use sha2::Digest;
    match web_sys::window().and_then(|w| w.crypto().ok()).map(|c| c.subtle()) {
        Some(subtle) if !subtle.is_undefined() => {
            let digest = subtle.digest_with_str_and_buffer_source("SHA-256", bytes).map_err(js_error("hash a part"))?;
            let digest = wasm_bindgen_futures::JsFuture::from(digest).await.map_err(js_error("hash a part"))?;
            Ok(base64(&js_sys::Uint8Array::new(&digest).to_vec()))
        }
        _ => Ok(base64(&sha2::Sha256::digest(fallback))),
    }
}

/// Hashes and uploads part `n` (its bytes copied out of WASM memory once), retrying
/// passing errors: a part sent twice with the same bytes is stored once.
async fn upload_part(id: String, n: u32, bytes: Vec<u8>) -> Result<js_sys::Uint8Array, ApiError> {
    let array = js_sys::Uint8Array::from(&bytes[..]);
    let digest = sha256_base64(&array, &bytes).await?;
    drop(bytes);
    with_retry(|| api::upload_part(&id, n, &array, &digest)).await?;
    Ok(array)
}

/// The parts of one file as they are made and sent, at most [`PARTS_IN_FLIGHT`] at a
/// time; and the file as a Blob while it is small enough to keep.
struct Parts {
    id: String,
    in_flight: std::collections::VecDeque<LocalBoxFuture<Result<js_sys::Uint8Array, ApiError>>>,
    /// The body parts sent or sending (the next is `sent + 2`: part 1 is the head).
    sent: u32,
    kept: Option<js_sys::Array>,
    size: usize,
}

impl Parts {
    fn new(id: &str) -> Parts {
        Parts { id: id.to_string(), in_flight: Default::default(), sent: 0, kept: Some(js_sys::Array::new()), size: 0 }
    }

    /// Sends `bytes` as part `n`, once fewer than [`PARTS_IN_FLIGHT`] are on their way.
    async fn send(&mut self, n: u32, bytes: Vec<u8>) -> Result<(), ApiError> {
        while self.in_flight.len() >= PARTS_IN_FLIGHT {
            self.settle_one().await?;
        }
        self.size += bytes.len();
        self.in_flight.push_back(spawned(upload_part(self.id.clone(), n, bytes)));
        Ok(())
    }

    /// The next body part.
    async fn send_body(&mut self, bytes: Vec<u8>) -> Result<(), ApiError> {
        self.sent += 1;
        self.send(self.sent + 1, bytes).await
    }

    async fn settle_one(&mut self) -> Result<(), ApiError> {
        let Some(next) = self.in_flight.pop_front() else { return Ok(()) };
        let array = next.await?;
        match &self.kept {
            Some(kept) if self.size <= KEEP_BLOB_BYTES => {
                kept.push(&array);
            }
            _ => self.kept = None,
        }
        Ok(())
    }

    async fn settle_all(&mut self) -> Result<(), ApiError> {
        while !self.in_flight.is_empty() {
            self.settle_one().await?;
        }
        Ok(())
    }
}

/// Pages read ahead of the renderer, in order, at most [`PAGES_AHEAD`] waiting: each
/// page's next cursor comes in a header, so the next request leaves while the body of
/// this one still arrives, and the server works on pages while the browser renders.
struct Pager(Rc<RefCell<PagerState>>);

#[derive(Default)]
struct PagerState {
    ready: std::collections::VecDeque<Result<Vec<u8>, ApiError>>,
    done: bool,
    consumer: Option<std::task::Waker>,
    producer: Option<std::task::Waker>,
}

/// Pages waiting for the renderer at most (each up to about 1.5 MB of JSON).
const PAGES_AHEAD: usize = 2;

impl Pager {
    fn start(export: &ExportInfo) -> Pager {
        let state = Rc::new(RefCell::new(PagerState::default()));
        let (producer, export) = (state.clone(), export.clone());
        wasm_bindgen_futures::spawn_local(async move {
            let result = read_ahead(&export, &producer).await;
            let mut s = producer.borrow_mut();
            if let Err(e) = result {
                s.ready.push_back(Err(e));
            }
            s.done = true;
            if let Some(waker) = s.consumer.take() {
                waker.wake();
            }
        });
        Pager(state)
    }

    /// The next page's bytes, or `None` after the last.
    async fn next(&self) -> Option<Result<Vec<u8>, ApiError>> {
        std::future::poll_fn(|cx| {
            let mut s = self.0.borrow_mut();
            if let Some(page) = s.ready.pop_front() {
                if let Some(waker) = s.producer.take() {
                    waker.wake();
                }
                return Poll::Ready(Some(page));
            }
            if s.done {
                return Poll::Ready(None);
            }
            s.consumer = Some(cx.waker().clone());
            Poll::Pending
        })
        .await
    }
}

/// The pager's work: page after page, the request for the next one sent as soon as the
/// current one's headers say where it starts.
async fn read_ahead(export: &ExportInfo, state: &Rc<RefCell<PagerState>>) -> Result<(), ApiError> {
    let from = export.range.from.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let to = export.range.to.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let request = |cursor: Option<String>, messages: u32| {
        let (assistant, from, to, filters) = (export.assistant.id.clone(), from.clone(), to.clone(), export.filters.clone());
        spawned(async move {
            let query = api::PageQuery {
                assistant: &assistant,
                from: &from,
                to: &to,
                cursor: cursor.as_deref(),
                messages: Some(messages),
                filters: Some(&filters),
                ..Default::default()
            };
            with_retry(|| api::conversations_response(&query)).await.map(|(next, response)| (next, response, cursor, messages))
        })
    };
    let mut messages = FIRST_PAGE_MESSAGES;
    let mut pending = Some(request(None, messages));
    while let Some(current) = pending.take() {
        // The page's own cursor and size: read again, it must be exactly this page.
        let (next, response, cursor, size) = current.await?;
        if let Some(next) = next {
            messages = (messages * 2).min(PAGE_MESSAGES);
            pending = Some(request(Some(next), messages));
        }
        // A body that breaks off is read again, once, from its own cursor.
        let bytes = match response.binary().await {
            Ok(bytes) => bytes,
            Err(_) => {
                let query = api::PageQuery {
                    assistant: &export.assistant.id,
                    from: &from,
                    to: &to,
                    cursor: cursor.as_deref(),
                    messages: Some(size),
                    filters: Some(&export.filters),
                    ..Default::default()
                };
                with_retry(|| api::conversations_bytes(&query)).await?
            }
        };
        // Wait for room: at most PAGES_AHEAD pages held for the renderer.
        std::future::poll_fn(|cx| {
            let mut s = state.borrow_mut();
            if s.ready.len() < PAGES_AHEAD {
                return Poll::Ready(());
            }
            s.producer = Some(cx.waker().clone());
            Poll::Pending
        })
        .await;
        let mut s = state.borrow_mut();
        s.ready.push_back(Ok(bytes));
        if let Some(waker) = s.consumer.take() {
            waker.wake();
        }
    }
    Ok(())
}

/// Takes every full part off the front of `part` (the rest stays for the next).
fn take_full_parts(part: &mut Vec<u8>, part_bytes: usize) -> Vec<Vec<u8>> {
    let mut full = Vec::new();
    while part.len() >= part_bytes {
        let rest = part.split_off(part_bytes);
        full.push(std::mem::replace(part, rest));
    }
    full
}

/// Renders and uploads `export`; `on_progress` gets messages rendered so far.
pub async fn run(export: ExportInfo, cancel: Cancel, on_progress: impl Fn(i64)) -> Result<Outcome, ApiError> {
    let outcome = render_and_upload(export, cancel, on_progress).await;
    record_wasm_memory();
    outcome
}

async fn render_and_upload(export: ExportInfo, cancel: Cancel, on_progress: impl Fn(i64)) -> Result<Outcome, ApiError> {
    let mut renderer = ExportRenderer::new(ExportHeader::for_export(&export));
    let pages = Pager::start(&export);
    let mut parts = Parts::new(&export.id);
    let mut spent = Spent::default();
    let mut body = String::new();
    let mut part: Vec<u8> = Vec::with_capacity(PART_BYTES + (1 << 20));
    let mut last_report = 0.0;
    let mut last_yield = js_sys::Date::now();
    loop {
        if cancel.is_cancelled() {
            return Ok(Outcome::Cancelled);
        }
        let t = js_sys::Date::now();
        let Some(bytes) = pages.next().await else { break };
        let t = spent.add(Phase::Wait, t);
        let page = api::parse_page(&bytes?)?;
        let t = spent.add(Phase::Parse, t);
        renderer.push_page(&page.conversations, &mut body);
        drop(page);
        let t = spent.add(Phase::Render, t);
        part.extend_from_slice(body.as_bytes());
        body.clear();
        for full in take_full_parts(&mut part, PART_BYTES) {
            parts.send_body(full).await?;
        }
        spent.add(Phase::Parts, t);
        let done = renderer.messages() as i64;
        on_progress(done);
        let now = js_sys::Date::now();
        if now - last_report > 1_000.0 {
            last_report = now;
            if let Err(e) = api::report_progress(&export.id, done).await
                && e.status == 409
            {
                return Err(e);
            }
        }
        // Keep every task short: let the page breathe when this one has run a while.
        if now - last_yield > 16.0 {
            yield_to_browser().await;
            last_yield = js_sys::Date::now();
        }
    }
    mark("convo:rendered");
    spent.record();
    let finished = renderer.finish();
    part.extend_from_slice(finished.tail.as_bytes());
    parts.send_body(part).await?;
    let count = parts.sent + 1;
    // The head (the statistics are known now): part 1, first in the file.
    let head_array = upload_part(export.id.clone(), 1, finished.head.into_bytes()).await?;
    parts.settle_all().await?;
    mark("convo:hashed");
    if cancel.is_cancelled() {
        return Ok(Outcome::Cancelled);
    }
    let ready = with_retry(|| api::complete(&export.id, count)).await?;
    mark("convo:uploaded");
    let blob = parts.kept.and_then(|body| {
        let all = js_sys::Array::of1(&head_array);
        for array in body.iter() {
            all.push(&array);
        }
        let options = web_sys::BlobPropertyBag::new();
        options.set_type("text/html;charset=utf-8");
        web_sys::Blob::new_with_u8_array_sequence_and_options(&all, &options).ok()
    });
    Ok(Outcome::Uploaded(Box::new(ready), blob))
}

/// Where the pipeline's time went (ms), kept on `window.convoPhases` for the
/// click_to_ready bench: waiting for pages, parsing them, rendering, making and sending
/// parts.
#[derive(Default)]
struct Spent([f64; 4]);

#[derive(Clone, Copy)]
enum Phase {
    Wait,
    Parse,
    Render,
    Parts,
}

impl Spent {
    /// Adds the time since `since` to `phase`; returns now.
    fn add(&mut self, phase: Phase, since: f64) -> f64 {
        let now = js_sys::Date::now();
        self.0[phase as usize] += now - since;
        now
    }

    fn record(&self) {
        let phases = js_sys::Object::new();
        for (name, ms) in ["wait", "parse", "render", "parts"].iter().zip(self.0) {
            let _ = js_sys::Reflect::set(&phases, &JsValue::from_str(name), &JsValue::from(ms));
        }
        if let Some(window) = web_sys::window() {
            let _ = js_sys::Reflect::set(&window, &JsValue::from_str("convoPhases"), &phases);
        }
    }
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

    /// Page by page into parts of a few bytes, as `run` cuts them, head first: the same
    /// bytes as the golden file, and each part's digest the browser's SHA-256 of it.
    #[wasm_bindgen_test]
    async fn parts_joined_in_order_are_the_golden_export_and_hash_like_sha256() {
        use sha2::Digest;
        let conversations: Vec<convo_model::Conversation> = FIXTURE.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        let mut renderer = ExportRenderer::new(ExportHeader::new(
            "Support <Bot> \u{1F916}",
            Some("support-bot".into()),
            "2026-11-27T12:00:00Z".parse().unwrap(),
            Some(convo_model::TimeRange { from: "2026-10-28T12:00:00Z".parse().unwrap(), to: "2026-11-27T12:00:00Z".parse().unwrap() }),
        ));
        let (mut body_parts, mut part, mut body) = (Vec::new(), Vec::new(), String::new());
        let part_bytes = 300;
        for page in conversations.chunks(2) {
            renderer.push_page(page, &mut body);
            part.extend_from_slice(body.as_bytes());
            body.clear();
            body_parts.extend(take_full_parts(&mut part, part_bytes));
        }
        let finished = renderer.finish();
        part.extend_from_slice(finished.tail.as_bytes());
        body_parts.push(part);
        assert!(body_parts.len() > 10, "many parts");
        let mut file = finished.head.clone().into_bytes();
        for p in &body_parts {
            file.extend_from_slice(p);
        }
        assert!(file == GOLDEN.as_bytes(), "the parts joined differ from the golden export");
        for p in body_parts.iter().take(3) {
            let array = js_sys::Uint8Array::from(&p[..]);
            assert_eq!(sha256_base64(&array, p).await.unwrap(), base64(&sha2::Sha256::digest(p)));
        }
    }

    #[wasm_bindgen_test]
    fn base64_matches_rfc4648() {
        assert_eq!(super::base64(b""), "");
        assert_eq!(super::base64(b"f"), "Zg==");
        assert_eq!(super::base64(b"fo"), "Zm8=");
        assert_eq!(super::base64(b"foobar"), "Zm9vYmFy");
    }
}
