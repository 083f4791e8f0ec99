//! The upload worker's hashing of the conversations for the manifest, from the body
//! parts as they pass (`convo_render::digests` says why it is not the worker's).
//!
//! With the browser's SubtleCrypto (secure contexts: https, localhost), each
//! conversation is one digest call on the bytes where they lie, a conversation cut by a
//! part's end joined first: about 500 MB/s for conversations of 7 KB and 1.1 GB/s for
//! large ones in Chromium here, against about 210 MB/s for SHA-256 in WASM: at
//! 2,000,000 short messages, the page hashed for 3.5 s in WASM and the export worker
//! waited 3.8 s for its parts; 1.6-1.8 s with SubtleCrypto (the click_to_ready bench).
//! Elsewhere, [`SpanHasher`] in WASM.

use super::super::parts::subtle_crypto;
use convo_render::digests::{Sha256Digest, SpanHasher, SpanQueue};
use futures_channel::oneshot;
use std::ops::Range;
use wasm_bindgen::JsCast;

/// Hashes the spans of a body fed to it in order.
pub(super) enum BodyHasher {
    Subtle(Subtle),
    Wasm(SpanHasher),
}

impl BodyHasher {
    pub(super) fn new() -> BodyHasher {
        match subtle_crypto() {
            Some(subtle) => BodyHasher::Subtle(Subtle {
                subtle,
                queue: SpanQueue::default(),
                carry: None,
                digests: js_sys::Array::new(),
                parts: Vec::new(),
                failed: None,
            }),
            None => BodyHasher::Wasm(SpanHasher::new()),
        }
    }

    /// Spans to hash, in body order; each must come before the bytes it starts at.
    pub(super) fn expect(&mut self, spans: impl IntoIterator<Item = Range<u64>>) {
        match self {
            BodyHasher::Subtle(subtle) => subtle.expect(spans),
            BodyHasher::Wasm(hasher) => hasher.expect(spans),
        }
    }

    /// The body's next bytes.
    pub(super) fn feed(&mut self, bytes: &js_sys::Uint8Array) {
        match self {
            BodyHasher::Subtle(subtle) => subtle.feed(bytes),
            BodyHasher::Wasm(hasher) => feed_wasm(hasher, bytes),
        }
    }

    /// Every span's digest, in order, once every span was fed.
    pub(super) async fn finish(self) -> Result<Vec<Sha256Digest>, String> {
        match self {
            BodyHasher::Subtle(subtle) => subtle.finish().await,
            BodyHasher::Wasm(hasher) => hasher.finish().map_err(|e| e.to_string()),
        }
    }
}

/// Rounds of throwaway hashing once the worker starts, each a short task of its own, and
/// the conversations of each.
const WARM_ROUNDS: usize = 8;
const WARM_SPANS: u64 = 256;

/// Warms this worker's hashing up before the first export (as `warm.rs` does the export
/// worker's render): the first part's conversations, hashed on code not yet optimised,
/// were a task of 57-133 ms early in every export against about 10 ms a part later, at
/// 2,000,000 short messages (measured on the page, the click_to_ready bench's longest
/// animation frame), and the export waits for its parts.
pub(super) fn warm_up() {
    wasm_bindgen_futures::spawn_local(async {
        let body = js_sys::Uint8Array::new_with_length(WARM_SPANS as u32 * 64);
        for _ in 0..WARM_ROUNDS {
            super::super::yield_to_browser().await;
            let mut hasher = BodyHasher::new();
            hasher.expect((0..WARM_SPANS).map(|k| k * 64..k * 64 + 60));
            hasher.feed(&body.subarray(0, 8_000));
            hasher.feed(&body.subarray(8_000, body.length()));
            let _ = hasher.finish().await;
        }
    });
}

/// Feeds `bytes` to `hasher` through a small buffer of this thread's WASM memory, which
/// stays small whatever the part's size.
fn feed_wasm(hasher: &mut SpanHasher, bytes: &js_sys::Uint8Array) {
    const STEP: u32 = 64 << 10;
    let mut buffer = vec![0u8; STEP as usize];
    let len = bytes.length();
    let mut at = 0;
    while at < len {
        let end = len.min(at + STEP);
        let piece = &mut buffer[..(end - at) as usize];
        bytes.subarray(at, end).copy_to(piece);
        hasher.feed(piece);
        at = end;
    }
}

/// Spans hashed by SubtleCrypto.
pub(super) struct Subtle {
    subtle: web_sys::SubtleCrypto,
    queue: SpanQueue,
    /// The first span's bytes, copied as they come (a part's buffer goes back to the
    /// worker), while a part's end cuts it: made at the span's length, so each byte is
    /// copied once.
    carry: Option<js_sys::Uint8Array>,
    /// A promise of each digest of the part being fed, in order.
    digests: js_sys::Array,
    /// The digests of each part fed, joined as they come: done once at the end, it was a
    /// task of 125 ms at 2,000,000 short messages (the click_to_ready bench).
    parts: Vec<oneshot::Receiver<Result<Vec<u8>, String>>>,
    failed: Option<String>,
}

impl Subtle {
    fn expect(&mut self, spans: impl IntoIterator<Item = Range<u64>>) {
        self.queue.expect(spans);
    }

    fn feed(&mut self, bytes: &js_sys::Uint8Array) {
        for piece in self.queue.feed(bytes.length() as usize) {
            let within = bytes.subarray(piece.within.start as u32, piece.within.end as u32);
            if !piece.ends {
                let length = piece.span_len as u32;
                let whole = self.carry.get_or_insert_with(|| js_sys::Uint8Array::new_with_length(length));
                whole.set(&within, piece.at as u32);
                continue;
            }
            let whole = match self.carry.take() {
                None => within,
                Some(whole) => {
                    whole.set(&within, piece.at as u32);
                    whole
                }
            };
            // The call copies the bytes it hashes: the part may go back to the worker.
            match self.subtle.digest_with_str_and_buffer_source("SHA-256", &whole) {
                Ok(digest) => {
                    self.digests.push(&digest);
                }
                Err(_) if self.failed.is_none() => self.failed = Some("the browser could not hash a conversation".into()),
                Err(_) => {}
            }
        }
        if self.digests.length() > 0 {
            let digests = std::mem::replace(&mut self.digests, js_sys::Array::new());
            let (tx, rx) = oneshot::channel();
            wasm_bindgen_futures::spawn_local(async move {
                let _ = tx.send(joined_digests(digests).await);
            });
            self.parts.push(rx);
        }
    }

    async fn finish(self) -> Result<Vec<Sha256Digest>, String> {
        if let Some(failed) = self.failed {
            return Err(failed);
        }
        self.queue.finish().map_err(|e| e.to_string())?;
        let mut digests = Vec::new();
        for part in self.parts {
            let bytes = part.await.map_err(|_| "the upload worker stopped hashing".to_string())??;
            digests.extend(bytes.chunks_exact(32).filter_map(|d| <Sha256Digest>::try_from(d).ok()));
        }
        Ok(digests)
    }
}

/// The digests `promised`, 32 bytes each, one after the other.
async fn joined_digests(promised: js_sys::Array) -> Result<Vec<u8>, String> {
    let all = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::all(&promised))
        .await
        .map_err(|_| "the browser could not hash the conversations".to_string())?;
    let all: js_sys::Array = all.unchecked_into();
    let mut joined = vec![0u8; all.length() as usize * 32];
    for (digest, into) in all.iter().zip(joined.chunks_exact_mut(32)) {
        let bytes = js_sys::Uint8Array::new(&digest);
        if bytes.length() != 32 {
            return Err("the browser's SHA-256 was not 32 bytes".into());
        }
        bytes.copy_to(into);
    }
    Ok(joined)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

    /// Spans cut by the parts' ends, hashed with the browser's SHA-256 and in WASM alike:
    /// each span's SHA-256, in order.
    #[wasm_bindgen_test]
    async fn the_browsers_hash_and_wasms_give_each_spans_sha256_whatever_the_cuts() {
        use sha2::Digest;
        assert!(matches!(BodyHasher::new(), BodyHasher::Subtle(_)), "the test page is a secure context");
        let body: Vec<u8> = (0..20_000u32).map(|i| (i * 31 % 253) as u8).collect();
        let spans = [0..10u64, 10..4_000, 4_100..4_101, 5_000..19_990];
        let want: Vec<Sha256Digest> = spans.iter().map(|s| sha2::Sha256::digest(&body[s.start as usize..s.end as usize]).into()).collect();
        for cut in [7, 4_096, 20_000] {
            // The later spans come after the first part, when it ends before them.
            let later = if cut < 4_100 { 2 } else { spans.len() };
            for mut hasher in [BodyHasher::new(), BodyHasher::Wasm(SpanHasher::new())] {
                hasher.expect(spans[..later].iter().cloned());
                for (k, piece) in body.chunks(cut).enumerate() {
                    hasher.feed(&js_sys::Uint8Array::from(piece));
                    if k == 0 {
                        hasher.expect(spans[later..].iter().cloned());
                    }
                }
                assert_eq!(hasher.finish().await.unwrap(), want, "parts of {cut} bytes");
            }
        }
    }

    #[wasm_bindgen_test]
    async fn a_span_after_its_bytes_or_past_the_end_is_an_error() {
        let mut late = BodyHasher::new();
        late.feed(&js_sys::Uint8Array::from(&b"0123456789"[..]));
        late.expect(std::iter::once(2..6));
        assert!(late.finish().await.unwrap_err().contains("before"));
        let mut short = BodyHasher::new();
        short.expect([0..4, 6..20]);
        short.feed(&js_sys::Uint8Array::from(&b"0123456789"[..]));
        assert!(short.finish().await.unwrap_err().contains("before 1 conversations were hashed"));
    }
}
