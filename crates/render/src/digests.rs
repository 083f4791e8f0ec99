//! Each conversation's SHA-256, for the manifest, hashed on another thread than the one
//! that renders it.
//!
//! In the browser the export worker renders and the page sends the parts it hands over.
//! SHA-256 in WASM has no SHA instructions: about 210 MB/s in Chromium here, 3.5 s for
//! the 742 MB file of 2,000,000 short messages, on the thread every other step of the
//! export waits for, while the page's thread is mostly idle, holds every part anyway and
//! has the browser's own SHA-256 (the click_to_ready bench: the worker's render took
//! 5.8 s with the hashing, 3.6-4.0 s without). So a renderer made with
//! [`ExportRenderer::hashing_elsewhere`] only notes where each conversation lies in the
//! body ([`ExportRenderer::take_spans`]); a [`SpanHasher`] fed the body in order, part by
//! part, hashes those spans (the page does the same with the browser's SHA-256 where
//! it has one), and [`ExportRenderer::finish_with_digests`] writes its
//! digests into the manifest. The file is byte for byte the one [`ExportRenderer::new`]
//! makes (the crate's `digests` tests, on every format).
//!
//! [`ExportRenderer::hashing_elsewhere`]: crate::ExportRenderer::hashing_elsewhere
//! [`ExportRenderer::take_spans`]: crate::ExportRenderer::take_spans
//! [`ExportRenderer::finish_with_digests`]: crate::ExportRenderer::finish_with_digests
//! [`ExportRenderer::new`]: crate::ExportRenderer::new

use sha2::{Digest, Sha256};
use std::collections::VecDeque;
use std::ops::Range;

/// A SHA-256 digest.
pub type Sha256Digest = [u8; 32];

/// Why digests could not be used or made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestsError {
    #[error("{given} conversation digests were given for {expected} conversations")]
    Count { expected: usize, given: usize },
    #[error("this renderer hashes its conversations itself")]
    HashedHere,
    #[error("a conversation's span began at byte {start}, before the {fed} bytes already hashed")]
    Late { start: u64, fed: u64 },
    #[error("the body ended at byte {fed} before {left} conversations were hashed")]
    Unfed { fed: u64, left: usize },
}

/// Spans of a body waiting for their bytes, in order, as the body is fed in any cuts:
/// the one walk both hashers make ([`SpanHasher`] here, the page's with the browser's
/// SHA-256 in the web app).
#[derive(Default)]
pub struct SpanQueue {
    /// Spans (offsets in the body) not fed to their end yet, in order.
    spans: VecDeque<Range<u64>>,
    /// Bytes of the body fed so far.
    fed: u64,
    /// A span that came after its bytes.
    late: Option<DigestsError>,
}

/// The part of a span in bytes just fed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// Where it lies in the bytes fed.
    pub within: Range<usize>,
    /// Where it goes in the span's bytes, and the span's length.
    pub at: u64,
    pub span_len: u64,
    /// The span ends with it.
    pub ends: bool,
}

impl SpanQueue {
    /// Spans to hash, in body order; each must come before the bytes it starts at.
    pub fn expect(&mut self, spans: impl IntoIterator<Item = Range<u64>>) {
        for span in spans {
            if span.start < self.fed && self.late.is_none() {
                self.late = Some(DigestsError::Late { start: span.start, fed: self.fed });
            }
            self.spans.push_back(span);
        }
    }

    /// The pieces of spans in the body's next `len` bytes, in order.
    pub fn feed(&mut self, len: usize) -> Vec<Piece> {
        let (from, to) = (self.fed, self.fed + len as u64);
        let mut pieces = Vec::new();
        while let Some(span) = self.spans.front() {
            if span.end <= from {
                // Came after its bytes (`late` says so at the end).
                self.spans.pop_front();
                continue;
            }
            if span.start >= to {
                break;
            }
            let (a, b) = (span.start.max(from), span.end.min(to));
            let ends = span.end <= to;
            pieces.push(Piece {
                within: (a - from) as usize..(b - from) as usize,
                at: a - span.start,
                span_len: span.end - span.start,
                ends,
            });
            if !ends {
                break;
            }
            self.spans.pop_front();
        }
        self.fed = to;
        pieces
    }

    /// Whether every span was fed, and each in time.
    pub fn finish(self) -> Result<(), DigestsError> {
        if let Some(late) = self.late {
            return Err(late);
        }
        if !self.spans.is_empty() {
            return Err(DigestsError::Unfed { fed: self.fed, left: self.spans.len() });
        }
        Ok(())
    }
}

/// Hashes the spans of a body fed to it in order, whatever its cuts.
#[derive(Default)]
pub struct SpanHasher {
    queue: SpanQueue,
    /// The first span's hash, while it is fed.
    open: Option<Sha256>,
    digests: Vec<Sha256Digest>,
}

impl SpanHasher {
    pub fn new() -> SpanHasher {
        SpanHasher::default()
    }

    /// Spans to hash, in body order; each must come before the bytes it starts at.
    pub fn expect(&mut self, spans: impl IntoIterator<Item = Range<u64>>) {
        self.queue.expect(spans);
    }

    /// The body's next bytes.
    pub fn feed(&mut self, bytes: &[u8]) {
        for piece in self.queue.feed(bytes.len()) {
            let hash = self.open.get_or_insert_with(Sha256::new);
            hash.update(&bytes[piece.within]);
            if piece.ends
                && let Some(hash) = self.open.take()
            {
                self.digests.push(hash.finalize().into());
            }
        }
    }

    /// Every span's digest, in order, once every span was fed.
    pub fn finish(self) -> Result<Vec<Sha256Digest>, DigestsError> {
        self.queue.finish()?;
        Ok(self.digests)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_fed_in_any_cuts_hash_like_their_bytes() {
        let body: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
        let spans = [3..40u64, 40..41, 100..3000, 3001..5000];
        for cut in [1, 2, 39, 64, 4096, 5000] {
            // The later spans come after the first piece, when it ends before them.
            let later = if cut < 100 { 2 } else { spans.len() };
            let mut hasher = SpanHasher::new();
            hasher.expect(spans[..later].iter().cloned());
            for (k, piece) in body.chunks(cut).enumerate() {
                if k == 1 {
                    hasher.expect(spans[later..].iter().cloned());
                }
                hasher.feed(piece);
            }
            let want: Vec<Sha256Digest> = spans.iter().map(|s| Sha256::digest(&body[s.start as usize..s.end as usize]).into()).collect();
            assert_eq!(hasher.finish().unwrap(), want, "cut {cut}");
        }
    }

    #[test]
    fn a_span_after_its_bytes_or_past_the_end_is_an_error() {
        let mut late = SpanHasher::new();
        late.feed(b"0123456789");
        late.expect([2..6, 8..12]);
        late.feed(b"ab");
        assert_eq!(late.finish(), Err(DigestsError::Late { start: 2, fed: 10 }));
        let mut short = SpanHasher::new();
        short.expect([0..4, 6..20]);
        short.feed(b"0123456789");
        assert_eq!(short.finish(), Err(DigestsError::Unfed { fed: 10, left: 1 }));
    }
}
