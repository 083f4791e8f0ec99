//! Renders one assistant's conversations into a single, self-contained HTML export.
//!
//! The export opens offline by double-click: one file with its own inline style and
//! script, and a Content-Security-Policy that forbids everything else. It carries a
//! header, summary statistics with an inline SVG chart, and every conversation with its
//! full message history; it is searchable, prints in full, and works without script.
//!
//! Rendering **streams**: conversations are pushed page by page and their HTML is
//! appended to the caller's buffer at once, so memory stays bounded by one page. The
//! statistics at the top are only known at the end: [`ExportRenderer::finish`] returns
//! the `head` (everything before the first conversation) and the `tail`. The file is
//! `head + body + tail`: a file on the server, Blob parts in the browser.
//!
//! This file holds the renderer's protocol (what belongs in an export, the statistics,
//! the manifest); `page` writes the HTML page and `formats` the other formats.
//!
//! The crate does no I/O and depends on no browser or database crate. The same input
//! and export time give the same bytes on every platform, wasm32 included.
//!
//! ```
//! use convo_render::{ExportHeader, ExportRenderer};
//!
//! let line = r#"{"id":"c1","assistant_id":"bot","channel":"Gmail",
//!   "started_at":"2026-11-01T09:00:00Z","ended_at":"2026-11-01T09:05:00Z","status":"completed",
//!   "messages":[{"role":"user","content":"<b>hi</b>","at":"2026-11-01T09:00:00Z"},
//!               {"role":"assistant","content":"**Hello!**","at":"2026-11-01T09:00:05Z"}]}"#;
//! let conversation = serde_json::from_str(line).unwrap();
//!
//! let header = ExportHeader::new("Support Bot", Some("bot".into()), "2026-11-27T12:00:00Z".parse().unwrap(), None);
//! let mut renderer = ExportRenderer::new(header);
//! let mut body = String::new();
//! renderer.push_page(&[conversation], &mut body);
//! let parts = renderer.finish();
//! let html = format!("{}{}{}", parts.head, body, parts.tail);
//!
//! assert!(html.contains("&lt;b&gt;hi&lt;/b&gt;"));
//! assert!(html.contains("<strong>Hello!</strong>"));
//! ```

pub mod digests;
pub mod escape;
mod formats;
mod header;
pub mod manifest;
mod markdown;
mod metrics;
pub mod notes;
mod page;
pub mod redact;
mod scripts;
pub mod sealed;
mod stats;
mod time;

use convo_model::{Conversation, ConversationStatus, ExportFilters, Format, TimeRange};
use manifest::{Counts, Manifest, ManifestAssistant, ManifestConversation, Sections};
use redact::Redactor;
use stats::Stats;

pub use formats::jsonl::is_manifest_line;
pub use header::{ExportHeader, stated_filters};
pub use markdown::push_markdown;

/// The name and version written into every export's header.
pub const GENERATOR: &str = concat!("convo-export ", env!("CARGO_PKG_VERSION"));

/// The parts of the file known only at the end.
#[derive(Debug, Clone)]
pub struct FinishedExport {
    /// Everything before the first conversation, statistics included.
    pub head: String,
    /// Everything after the last conversation.
    pub tail: String,
    /// Conversations and messages rendered, for progress and the catalog.
    pub conversations: u64,
    pub messages: u64,
    /// The statistics' figures (as the manifest records them).
    pub figures: convo_model::Figures,
}

/// Who computes each conversation's SHA-256 for the manifest.
enum Hashing {
    /// The renderer, as it writes the conversation.
    Here,
    /// Another thread (see [`digests`]): the spans of the body not yet taken, as offsets
    /// in the caller's buffer.
    Elsewhere(Vec<std::ops::Range<usize>>),
}

/// Streams conversations into export HTML. See the crate docs for the protocol.
pub struct ExportRenderer {
    header: ExportHeader,
    stats: Stats,
    /// Each conversation's id and the SHA-256 of its `<article>`, for the manifest.
    hashes: Vec<ManifestConversation>,
    /// Who hashes the conversations.
    hashing: Hashing,
    /// Masks each conversation before it is rendered; none when nothing is redacted.
    redactor: Option<Redactor>,
}

impl ExportRenderer {
    pub fn new(header: ExportHeader) -> Self {
        ExportRenderer::with_hashing(header, Hashing::Here)
    }

    /// A renderer that leaves hashing its conversations to the caller: take their spans
    /// with [`ExportRenderer::take_spans`] after each push, hash them with a
    /// [`digests::SpanHasher`], and end with [`ExportRenderer::finish_with_digests`].
    pub fn hashing_elsewhere(header: ExportHeader) -> Self {
        ExportRenderer::with_hashing(header, Hashing::Elsewhere(Vec::new()))
    }

    fn with_hashing(header: ExportHeader, hashing: Hashing) -> Self {
        let redactor = (!header.redaction.is_empty()).then(|| Redactor::new(&header.redaction));
        let stats = Stats::new(header.time_zone, header.previous.as_ref().and_then(|p| p.figures.clone()));
        ExportRenderer { header, stats, hashes: Vec::new(), hashing, redactor }
    }

    /// Where the conversations pushed since the last call lie in the file's body, given
    /// that the caller's `body` buffer begins at offset `body_at` of it. Take them before
    /// the buffer is drained. Empty for a renderer that hashes itself.
    pub fn take_spans(&mut self, body_at: u64) -> Vec<std::ops::Range<u64>> {
        match &mut self.hashing {
            Hashing::Here => Vec::new(),
            Hashing::Elsewhere(spans) => spans.drain(..).map(|s| body_at + s.start as u64..body_at + s.end as u64).collect(),
        }
    }

    /// Notes the conversation `id` just written at `body[start..]`, for the manifest.
    fn record(&mut self, id: String, body: &str, start: usize) {
        let sha256 = match &mut self.hashing {
            Hashing::Here => manifest::sha256_hex(&body.as_bytes()[start..]),
            Hashing::Elsewhere(spans) => {
                spans.push(start..body.len());
                String::new()
            }
        };
        self.hashes.push(ManifestConversation { id, sha256 });
    }

    /// What redaction masked so far (all zero when nothing is redacted).
    pub fn redacted(&self) -> redact::Tally {
        self.redactor.as_ref().map(Redactor::tally).unwrap_or_default()
    }

    /// Appends the HTML of every conversation of `page` that belongs in an export
    /// (completed, and started in the range when one is set) to `body`.
    pub fn push_page(&mut self, page: &[Conversation], body: &mut String) {
        for conversation in page {
            self.push_conversation(conversation, body);
        }
    }

    /// Whether a conversation belongs in this export.
    pub fn includes(&self, c: &Conversation) -> bool {
        c.status == ConversationStatus::Completed
            && self.header.range.is_none_or(|r| r.contains(c.started_at))
            && match &self.header.assistant_id {
                Some(id) => *id == c.assistant_id,
                None => true,
            }
    }

    /// Appends one conversation's HTML to `body`, if it belongs in the export.
    pub fn push_conversation(&mut self, c: &Conversation, body: &mut String) {
        if !self.includes(c) {
            return;
        }
        let exported = c.exported_messages().count() as u64;
        // Counted as stored: contacts stay distinct when their emails are masked alike.
        self.stats.add(c, exported);
        // Taken out while it is used: the conversation it masked lives in it.
        let mut redactor = self.redactor.take();
        let c = match &mut redactor {
            Some(redactor) => redactor.conversation(c),
            None => c,
        };
        self.push_rendered(c, exported, body);
        // After the render, which has just read the texts into cache: counting the
        // metrics' terms first was the one to fetch them (the render bench, 200,000
        // messages, fastest of five: 223-225 ms before, 217-223 ms after, 200-201 ms
        // with no metrics at all).
        self.stats.add_shown(c);
        self.redactor = redactor;
    }

    /// Appends the HTML (or other format) of one conversation, as the file shows it,
    /// with its `exported` messages.
    fn push_rendered(&mut self, c: &Conversation, exported: u64, body: &mut String) {
        let n = self.stats.conversations;
        let start = body.len();
        match self.header.format {
            Format::Html => {
                let before = self.stats.messages() - exported;
                return self.push_article(c, n, exported, before, body);
            }
            Format::Jsonl => formats::jsonl::push_conversation(c, body),
            Format::Csv => formats::csv::push_conversation(c, body),
            Format::Markdown => formats::md::push_conversation(c, n, self.header.time_zone, body),
        }
        self.record(c.id.clone(), body, start);
        body.push_str(formats::separator(self.header.format));
    }

    /// The statistics' figures so far, as the manifest records them at the end.
    pub fn figures(&self) -> convo_model::Figures {
        self.stats.numbers()
    }

    /// Conversations rendered so far.
    pub fn conversations(&self) -> u64 {
        self.stats.conversations
    }

    /// Messages rendered so far.
    pub fn messages(&self) -> u64 {
        self.stats.messages()
    }

    /// Ends an export hashed elsewhere: `digests` are its conversations' SHA-256, in
    /// order (a [`digests::SpanHasher`]'s, fed the spans this renderer gave).
    pub fn finish_with_digests(mut self, digests: &[digests::Sha256Digest]) -> Result<FinishedExport, digests::DigestsError> {
        if matches!(self.hashing, Hashing::Here) {
            return Err(digests::DigestsError::HashedHere);
        }
        if digests.len() != self.hashes.len() {
            return Err(digests::DigestsError::Count { expected: self.hashes.len(), given: digests.len() });
        }
        for (conversation, digest) in self.hashes.iter_mut().zip(digests) {
            conversation.sha256 = manifest::hex(digest);
        }
        Ok(self.end())
    }

    /// Ends the export: returns the head, with the statistics, and the tail, which ends
    /// with the manifest. A renderer hashing elsewhere ends with
    /// [`ExportRenderer::finish_with_digests`].
    pub fn finish(self) -> FinishedExport {
        debug_assert!(matches!(self.hashing, Hashing::Here), "hashed elsewhere: finish_with_digests");
        self.end()
    }

    /// The head and the tail, once every conversation's SHA-256 is known.
    fn end(self) -> FinishedExport {
        let h = &self.header;
        let range = h.range.unwrap_or_else(|| TimeRange {
            from: self.stats.first_start.unwrap_or(h.exported_at),
            to: self.stats.last_start.unwrap_or(h.exported_at),
        });
        let layout = match h.format {
            Format::Html => return self.finish_page(range),
            Format::Jsonl => formats::jsonl::layout(),
            Format::Csv => formats::csv::layout(),
            Format::Markdown => formats::md::layout(&self, range),
        };
        self.finish_layout(range, layout)
    }

    fn filters(&self) -> ExportFilters {
        stated_filters(&self.header.filters, &self.header.redaction)
    }

    /// The manifest: what the export is, its counts and every part's SHA-256.
    fn manifest(self, range: TimeRange, sections: Sections) -> Manifest {
        let filters = self.filters();
        let h = self.header;
        Manifest {
            format: manifest::FORMAT.to_string(),
            export_id: h.export_id,
            assistant: ManifestAssistant { id: h.assistant_id, name: h.assistant_name },
            exported_at: h.exported_at,
            range,
            filters,
            previous: h.previous,
            file_format: h.format,
            redaction: (!h.redaction.is_empty()).then(|| h.redaction.stated()),
            figures: Some(self.stats.numbers()),
            counts: Counts { conversations: self.stats.conversations, messages: self.stats.messages() },
            sections,
            conversations: self.hashes,
        }
    }
}

/// Renders a whole export into one string; for small inputs and tests.
pub fn render_to_string(header: ExportHeader, conversations: &[Conversation]) -> String {
    let mut renderer = ExportRenderer::new(header);
    let mut body = String::new();
    renderer.push_page(conversations, &mut body);
    let parts = renderer.finish();
    let mut html = parts.head;
    html.push_str(&body);
    html.push_str(&parts.tail);
    html
}
