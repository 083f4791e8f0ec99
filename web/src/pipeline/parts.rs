//! The file's parts: each hashed once (the browser's SHA-256 where it has one) and sent
//! with its digest, a few at a time; and the file kept as a Blob while it is small.

use super::{LocalBoxFuture, spawned};
use crate::api::{self, ApiError, with_retry};
use convo_model::api::HEAD_PART;
use wasm_bindgen::{JsCast, JsValue};

/// Parts on their way at most, besides the one filling.
const PARTS_IN_FLIGHT: usize = 3;

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
fn subtle_crypto() -> Option<web_sys::SubtleCrypto> {
    let crypto = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("crypto")).ok()?;
    let subtle = crypto.dyn_into::<web_sys::Crypto>().ok()?.subtle();
    (!subtle.is_undefined()).then_some(subtle)
}

/// SHA-256 of `bytes`, base64: the browser's own, off this thread, where it exists
/// (secure contexts: https, localhost); else in WASM.
async fn sha256_base64(bytes: &js_sys::Uint8Array, fallback: &[u8]) -> Result<String, ApiError> {
    use sha2::Digest;
    match subtle_crypto() {
        Some(subtle) => {
            let digest = subtle.digest_with_str_and_buffer_source("SHA-256", bytes).map_err(js_error("hash a part"))?;
            let digest = wasm_bindgen_futures::JsFuture::from(digest).await.map_err(js_error("hash a part"))?;
            Ok(base64(&js_sys::Uint8Array::new(&digest).to_vec()))
        }
        _ => Ok(base64(&sha2::Sha256::digest(fallback))),
    }
}

/// Hashes and uploads part `n` (its bytes copied out of WASM memory once), retrying
/// passing errors: a part sent twice with the same bytes is stored once.
pub(super) async fn upload_part(id: String, n: u32, bytes: Vec<u8>) -> Result<js_sys::Uint8Array, ApiError> {
    let array = js_sys::Uint8Array::from(&bytes[..]);
    let digest = sha256_base64(&array, &bytes).await?;
    drop(bytes);
    with_retry(|| api::upload_part(&id, n, &array, &digest)).await?;
    Ok(array)
}

/// The parts of one file as they are made and sent, at most [`PARTS_IN_FLIGHT`] at a
/// time; and the file as a Blob while it is small enough to keep.
pub(super) struct Parts {
    id: String,
    in_flight: std::collections::VecDeque<LocalBoxFuture<Result<js_sys::Uint8Array, ApiError>>>,
    /// The body parts sent or sending (the next is `HEAD_PART + sent + 1`: the head
    /// comes first in the file and last on the wire).
    pub(super) sent: u32,
    pub(super) kept: Option<js_sys::Array>,
    size: usize,
}

impl Parts {
    pub(super) fn new(id: &str) -> Parts {
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
    pub(super) async fn send_body(&mut self, bytes: Vec<u8>) -> Result<(), ApiError> {
        self.sent += 1;
        self.send(HEAD_PART as u32 + self.sent, bytes).await
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

    pub(super) async fn settle_all(&mut self) -> Result<(), ApiError> {
        while !self.in_flight.is_empty() {
            self.settle_one().await?;
        }
        Ok(())
    }
}
/// Takes every full part off the front of `part` (the rest stays for the next).
pub(super) fn take_full_parts(part: &mut Vec<u8>, part_bytes: usize) -> Vec<Vec<u8>> {
    let mut full = Vec::new();
    while part.len() >= part_bytes {
        let rest = part.split_off(part_bytes);
        full.push(std::mem::replace(part, rest));
    }
    full
}
#[cfg(test)]
mod tests {
    use super::*;
    use convo_render::{ExportHeader, ExportRenderer};
    use wasm_bindgen_test::wasm_bindgen_test;

    wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

    const FIXTURE: &str = include_str!("../../../crates/render/tests/fixtures/conversations.jsonl");
    const GOLDEN: &str = include_str!("../../../crates/render/tests/golden/export.html");

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
