//! The file's parts: each hashed once (the browser's SHA-256 where it has one) and sent
//! with its digest, a few at a time; and the file kept as a Blob while it is small.

use super::{LocalBoxFuture, PART_BYTES, spawned};
use crate::api::{self, ApiError, with_retry};
use convo_model::api::HEAD_PART;
use convo_render::digests::Sha256Digest;
use convo_render::{ExportHeader, ExportRenderer};
use std::ops::Range;
use wasm_bindgen::{JsCast, JsValue};

/// Parts on their way at most, besides the one filling. Once the page also hashed the
/// conversations, the export worker waited 2.5 s for parts with 3 on their way, and
/// 1.3 s with 6, at 2,000,000 short messages (the click_to_ready bench), for 12 MB more.
pub(super) const PARTS_IN_FLIGHT: usize = 6;

/// Files up to this size are also kept in the tab as a Blob, for Download.
const KEEP_BLOB_BYTES: usize = 32 << 20;
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

/// The browser's SubtleCrypto, on the page or in the export worker alike; none outside
/// secure contexts (https, localhost).
pub(super) fn subtle_crypto() -> Option<web_sys::SubtleCrypto> {
    let crypto = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("crypto")).ok()?;
    let subtle = crypto.dyn_into::<web_sys::Crypto>().ok()?.subtle();
    (!subtle.is_undefined()).then_some(subtle)
}

/// SHA-256 of `bytes`, base64: the browser's own, off this thread, where it exists
/// (secure contexts: https, localhost); else in WASM.
async fn sha256_base64(bytes: &js_sys::Uint8Array) -> Result<String, ApiError> {
    use sha2::Digest;
    match subtle_crypto() {
        Some(subtle) => {
            let digest = subtle.digest_with_str_and_buffer_source("SHA-256", bytes).map_err(js_error("hash a part"))?;
            let digest = wasm_bindgen_futures::JsFuture::from(digest).await.map_err(js_error("hash a part"))?;
            Ok(base64(&js_sys::Uint8Array::new(&digest).to_vec()))
        }
        _ => Ok(base64(&sha2::Sha256::digest(bytes.to_vec()))),
    }
}

/// Hashes and uploads part `n`, retrying passing errors: a part sent twice with the same
/// bytes is stored once. In the upload worker, one step after the other: each yield there
/// waited behind everything queued on that thread, and the tail's request left 20-25 ms
/// after it came, 1 ms without the yields (the click_to_ready bench, 1,000
/// conversations, timed in each worker).
pub(super) async fn upload_array(id: String, n: u32, array: js_sys::Uint8Array) -> Result<(), ApiError> {
    let digest = sha256_base64(&array).await?;
    send_hashed(&id, n, &array, &digest).await
}

/// [`upload_array`] on the page: the hash and the request are each a task of their own.
/// Chromium's SubtleCrypto hashes on the calling thread (6-12 ms for 4 MiB here), and a
/// request copies its body there too; run behind the part's conversations' hashing in
/// the task that received it, they made that task 105-131 ms (the click_to_ready
/// bench's CPU profile, when the page sent the parts).
async fn upload_array_on_the_page(id: String, n: u32, array: js_sys::Uint8Array) -> Result<(), ApiError> {
    super::yield_to_browser().await;
    let digest = sha256_base64(&array).await?;
    super::yield_to_browser().await;
    send_hashed(&id, n, &array, &digest).await
}

/// Sends part `n` with its digest, retrying passing errors.
async fn send_hashed(id: &str, n: u32, array: &js_sys::Uint8Array, digest: &str) -> Result<(), ApiError> {
    with_retry(|| api::upload_part(id, n, array, digest)).await.map(|_| ())
}

/// A file's parts kept in the tab while the file is small enough, for Download.
pub(super) struct Kept {
    /// By number: the head, part 1, comes first in the file and last on the wire.
    parts: Option<std::collections::BTreeMap<u32, js_sys::Uint8Array>>,
    size: usize,
}

impl Default for Kept {
    fn default() -> Kept {
        Kept { parts: Some(Default::default()), size: 0 }
    }
}

impl Kept {
    /// Keeps part `n` while the file is small; whether it did.
    pub(super) fn keep(&mut self, n: u32, array: &js_sys::Uint8Array) -> bool {
        self.size += array.length() as usize;
        match &mut self.parts {
            Some(parts) if self.size <= KEEP_BLOB_BYTES => {
                parts.insert(n, array.clone());
                true
            }
            _ => {
                self.parts = None;
                false
            }
        }
    }

    /// The file, when it was kept whole.
    pub(super) fn blob(self, media_type: &str) -> Option<web_sys::Blob> {
        let all: js_sys::Array = self.parts?.into_values().collect();
        let options = web_sys::BlobPropertyBag::new();
        options.set_type(media_type);
        web_sys::Blob::new_with_u8_array_sequence_and_options(&all, &options).ok()
    }
}

/// The thread that hashes, sends and keeps the parts for this one (the page, for the
/// export worker: `worker/`), and hashes the conversations for the manifest on the way
/// (`convo_render::digests`).
pub(super) trait Helper {
    /// Hands part `n` on with the spans of the body's conversations noted since the last
    /// part; the future ends once the part is stored.
    fn hand_on(&self, n: u32, bytes: &[u8], spans: Vec<Range<u64>>) -> LocalBoxFuture<Result<(), ApiError>>;
    /// The conversations' digests, in order, once the body's last part was handed on.
    fn digests(&self) -> LocalBoxFuture<Result<Vec<Sha256Digest>, ApiError>>;
}

/// Who hashes and sends the parts.
pub(super) enum Route {
    /// This thread does, and keeps a small file.
    Here(Kept),
    /// Another does, and keeps the file.
    HandedOn(Box<dyn Helper>),
}

impl Route {
    /// The renderer for an export sent this way: one that hashes its conversations
    /// itself, or leaves them to the helper.
    pub(super) fn renderer(&self, header: ExportHeader) -> ExportRenderer {
        match self {
            Route::Here(_) => ExportRenderer::new(header),
            Route::HandedOn(_) => ExportRenderer::hashing_elsewhere(header),
        }
    }
}

/// The parts of one file as they are made and sent, at most [`PARTS_IN_FLIGHT`] at a
/// time.
pub(super) struct Parts {
    id: String,
    route: Route,
    in_flight: std::collections::VecDeque<LocalBoxFuture<Result<(), ApiError>>>,
    /// Spans of the body's conversations noted and not yet handed on.
    spans: Vec<Range<u64>>,
    /// The body parts sent or sending (the next is `HEAD_PART + sent + 1`: the head
    /// comes first in the file and last on the wire).
    pub(super) sent: u32,
}

impl Parts {
    pub(super) fn new(id: &str, route: Route) -> Parts {
        Parts { id: id.to_string(), route, in_flight: Default::default(), spans: Vec::new(), sent: 0 }
    }

    /// Sends `bytes` as part `n` (copied out of WASM memory once), once fewer than
    /// [`PARTS_IN_FLIGHT`] are on their way.
    async fn send(&mut self, n: u32, bytes: Vec<u8>) -> Result<(), ApiError> {
        while self.in_flight.len() >= PARTS_IN_FLIGHT {
            if let Some(first) = self.in_flight.pop_front() {
                first.await?;
            }
        }
        let sending = match &mut self.route {
            Route::Here(kept) => {
                let array = js_sys::Uint8Array::from(&bytes[..]);
                kept.keep(n, &array);
                spawned(upload_array_on_the_page(self.id.clone(), n, array))
            }
            Route::HandedOn(helper) => helper.hand_on(n, &bytes, std::mem::take(&mut self.spans)),
        };
        self.in_flight.push_back(sending);
        Ok(())
    }

    /// Notes where the body's conversations lie (`ExportRenderer::take_spans`), for a
    /// helper that hashes them.
    pub(super) fn note_spans(&mut self, spans: Vec<Range<u64>>) {
        self.spans.extend(spans);
    }

    /// The conversations' digests from the helper, once the body's last part is handed
    /// on; `None` when the renderer hashed them itself.
    pub(super) async fn digests(&mut self) -> Result<Option<Vec<Sha256Digest>>, ApiError> {
        match &self.route {
            Route::Here(_) => Ok(None),
            Route::HandedOn(helper) => helper.digests().await.map(Some),
        }
    }

    /// The next body part.
    pub(super) async fn send_body(&mut self, bytes: Vec<u8>) -> Result<(), ApiError> {
        self.sent += 1;
        self.send(HEAD_PART as u32 + self.sent, bytes).await
    }

    /// The head, which comes first in the file: sent last, once the statistics are known.
    pub(super) async fn send_head(&mut self, bytes: Vec<u8>) -> Result<(), ApiError> {
        self.send(HEAD_PART as u32, bytes).await
    }

    /// The number of parts, once every one is stored; and the file, when this thread
    /// kept it.
    pub(super) async fn settle_all(mut self) -> Result<(u32, Option<Kept>), ApiError> {
        while let Some(next) = self.in_flight.pop_front() {
            next.await?;
        }
        let kept = match self.route {
            Route::Here(kept) => Some(kept),
            Route::HandedOn(_) => None,
        };
        Ok((self.sent + HEAD_PART as u32, kept))
    }
}
/// Bytes of the first body part; each next one is twice as large, up to [`PART_BYTES`].
/// A small export's file is then on its way while it renders: with 4 MiB parts from the
/// first, 1,000 short conversations (3 MB) rendered to their end before a byte was sent.
const FIRST_PART_BYTES: usize = 256 << 10;

/// Bytes of the body part after `sent` others.
pub(super) fn part_bytes(sent: u32) -> usize {
    let mut bytes = FIRST_PART_BYTES;
    for _ in 0..sent {
        if bytes >= PART_BYTES {
            break;
        }
        bytes *= 2;
    }
    bytes.min(PART_BYTES)
}

/// Takes a part of `part_bytes` off the front of `part` when it is full (the rest stays
/// for the next).
pub(super) fn next_full_part(part: &mut Vec<u8>, part_bytes: usize) -> Option<Vec<u8>> {
    (part_bytes > 0 && part.len() >= part_bytes).then(|| {
        let rest = part.split_off(part_bytes);
        std::mem::replace(part, rest)
    })
}
#[cfg(test)]
mod tests {
    use super::*;
    use convo_render::{ExportHeader, ExportRenderer};
    use wasm_bindgen_test::wasm_bindgen_test;

    wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

    const FIXTURE: &str = include_str!("../../../crates/render/tests/fixtures/conversations.jsonl");
    const GOLDEN: &str = include_str!("../../../crates/render/tests/golden/export.html");

    /// Page by page into parts of a few bytes, as `run` cuts them (the body's rest and
    /// the tail last, each a part of its own), head first: the same bytes as the golden
    /// file, and each part's digest the browser's SHA-256 of it.
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
            while let Some(full) = next_full_part(&mut part, part_bytes) {
                body_parts.push(full);
            }
        }
        let finished = renderer.finish();
        body_parts.push(part);
        body_parts.push(finished.tail.clone().into_bytes());
        assert!(body_parts.len() > 10, "many parts");
        let mut file = finished.head.clone().into_bytes();
        for p in &body_parts {
            file.extend_from_slice(p);
        }
        assert!(file == GOLDEN.as_bytes(), "the parts joined differ from the golden export");
        for p in body_parts.iter().take(3) {
            let array = js_sys::Uint8Array::from(&p[..]);
            assert_eq!(sha256_base64(&array).await.unwrap(), base64(&sha2::Sha256::digest(p)));
        }
    }

    /// A part of no bytes is refused by the server: the sizes must never wrap to nothing,
    /// however many parts a file has.
    #[wasm_bindgen_test]
    fn parts_grow_from_a_quarter_mib_to_the_part_size_and_stay_there() {
        let sizes: Vec<usize> = (0..6).map(part_bytes).collect();
        assert_eq!(sizes, [256 << 10, 512 << 10, 1 << 20, 2 << 20, 4 << 20, 4 << 20]);
        for sent in [7, 31, 32, 46, 64, 9_999, u32::MAX] {
            assert_eq!(part_bytes(sent), PART_BYTES, "after {sent} parts");
        }
        let mut part = vec![1u8; 10];
        assert_eq!(next_full_part(&mut part, 0), None, "no part of no bytes");
        assert_eq!(next_full_part(&mut part, 4), Some(vec![1u8; 4]));
        assert_eq!(part.len(), 6);
    }

    #[wasm_bindgen_test]
    fn base64_matches_rfc4648() {
        assert_eq!(super::base64(b""), "");
        assert_eq!(super::base64(b"f"), "Zg==");
        assert_eq!(super::base64(b"fo"), "Zm8=");
        assert_eq!(super::base64(b"foobar"), "Zm9vYmFy");
    }
}
