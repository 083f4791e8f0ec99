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

pub mod escape;
mod formats;
mod header;
pub mod manifest;
mod markdown;
pub mod redact;
pub mod sealed;
mod stats;
mod time;

use convo_model::{Conversation, ConversationStatus, ExportFilters, Format, Role, TimeRange};
use escape::push_html;
use manifest::{Counts, Manifest, ManifestAssistant, ManifestConversation, Sections};
use redact::Redactor;
use sha2::{Digest, Sha256};
use stats::Stats;
use std::fmt::Write;
use std::sync::OnceLock;

pub use formats::jsonl::is_manifest_line;
pub use header::{ExportHeader, stated_filters};
pub use markdown::push_markdown;

/// The name and version written into every export's header.
pub const GENERATOR: &str = concat!("convo-export ", env!("CARGO_PKG_VERSION"));

const STYLE: &str = include_str!("assets/export.css");
/// Conversations are grouped in blocks that the browser lays out lazily
/// (`content-visibility: auto`): a few hundred lazy boxes instead of tens of thousands
/// keep both opening and every search's re-layout fast.
const BLOCK: u64 = 16;
const SCRIPT: &str = include_str!("assets/export.js");
const BLOCK_OPEN: &str = "<div class=\"blk\">";

/// The block markup before conversation `n` (1-based): a block opens every `BLOCK`.
fn block_before(n: u64) -> &'static str {
    if n % BLOCK == 1 || BLOCK == 1 { BLOCK_OPEN } else { "" }
}

/// The markup after conversation `n`'s article: its line end, and the block's close
/// when it is the block's last.
fn block_after(n: u64) -> &'static str {
    if n.is_multiple_of(BLOCK) { "\n</div>\n" } else { "\n" }
}
/// What follows the manifest's JSON: the end of its block and of the page.
const MANIFEST_CLOSE: &str = "</script></body></html>\n";

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
}

/// Streams conversations into export HTML. See the crate docs for the protocol.
pub struct ExportRenderer {
    header: ExportHeader,
    stats: Stats,
    /// Each conversation's id and the SHA-256 of its `<article>`, for the manifest.
    hashes: Vec<ManifestConversation>,
    /// Masks each conversation before it is rendered; none when nothing is redacted.
    redactor: Option<Redactor>,
}

impl ExportRenderer {
    pub fn new(header: ExportHeader) -> Self {
        let redactor = (!header.redaction.is_empty()).then(|| Redactor::new(&header.redaction));
        ExportRenderer { header, stats: Stats::default(), hashes: Vec::new(), redactor }
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
        let masked;
        let c = match &mut self.redactor {
            Some(redactor) => {
                masked = redactor.conversation(c);
                &masked
            }
            None => c,
        };
        let n = self.stats.conversations;
        let start = body.len();
        match self.header.format {
            Format::Html => return self.push_article(c, n, exported, body),
            Format::Jsonl => formats::jsonl::push_conversation(c, body),
            Format::Csv => formats::csv::push_conversation(c, body),
            Format::Markdown => formats::md::push_conversation(c, n, body),
        }
        self.hashes.push(ManifestConversation { id: c.id.clone(), sha256: manifest::sha256_hex(&body.as_bytes()[start..]) });
        body.push_str(formats::separator(self.header.format));
    }

    /// Appends one conversation as the page's `<article>`, in its block.
    fn push_article(&mut self, c: &Conversation, n: u64, exported: u64, body: &mut String) {
        let contact = c.contact.as_ref();
        let name = contact.and_then(|ct| ct.name.as_deref()).map(str::trim).filter(|s| !s.is_empty());
        let email = contact.and_then(|ct| ct.email.as_deref()).map(str::trim).filter(|s| !s.is_empty());

        body.push_str(block_before(n));
        let start = body.len();
        let _ = write!(body, "<article class=\"conv\" id=\"c{n}\" aria-labelledby=\"c{n}h\"><h2 id=\"c{n}h\"><bdi>");
        match name.or(email) {
            Some(who) => push_html(body, who),
            None => body.push_str("Anonymous contact"),
        }
        body.push_str("</bdi> <span class=\"when\">");
        time::push_date(body, c.started_at.date_naive());
        body.push_str("</span></h2><dl class=\"meta\">");
        if let Some(email) = email {
            body.push_str("<div><dt>Email</dt><dd dir=\"auto\">");
            push_html(body, email);
            body.push_str("</dd></div>");
        }
        body.push_str("<div><dt>Channel</dt><dd>");
        push_html(body, c.channel.label());
        body.push_str("</dd></div><div><dt>Started</dt><dd>");
        time::push_time_element(body, c.started_at);
        body.push_str("</dd></div><div><dt>Ended</dt><dd>");
        match c.ended_at {
            Some(end) => time::push_time_element(body, end),
            None => body.push_str("not recorded"),
        }
        let _ = write!(body, "</dd></div><div><dt>Messages</dt><dd>{exported}</dd></div><div><dt>ID</dt><dd><code>");
        let id_start = body.len();
        push_html(body, &c.id);
        let id = escape::unescape_html(&body[id_start..]);
        body.push_str("</code></dd></div></dl>");
        if let Some(summary) = c.summary.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            body.push_str("<section class=\"summary\"><h3>Summary</h3><p dir=\"auto\">");
            push_html(body, summary);
            body.push_str("</p></section>");
        }
        if exported == 0 {
            body.push_str("<p class=\"empty\">No messages.</p>");
        } else {
            body.push_str("<ol class=\"msgs\">");
            for m in c.exported_messages() {
                let (class, label) = match m.role {
                    Role::User => ("u", "Contact"),
                    _ => ("a", "Assistant"),
                };
                let _ = write!(body, "<li class=\"m {class}\"><p class=\"mh\"><b>{label}</b> ");
                time::push_time_element(body, m.at);
                body.push_str("</p><div class=\"mb\" dir=\"auto\">");
                if m.role == Role::Assistant {
                    push_markdown(body, &m.content);
                } else {
                    push_html(body, &m.content);
                }
                body.push_str("</div></li>");
            }
            body.push_str("</ol>");
        }
        body.push_str("</article>");
        self.hashes.push(ManifestConversation { id, sha256: manifest::sha256_hex(&body.as_bytes()[start..]) });
        body.push_str(block_after(n));
    }

    /// Conversations rendered so far.
    pub fn conversations(&self) -> u64 {
        self.stats.conversations
    }

    /// Messages rendered so far.
    pub fn messages(&self) -> u64 {
        self.stats.messages()
    }

    /// Ends the export: returns the head, with the statistics, and the tail, which ends
    /// with the manifest.
    pub fn finish(self) -> FinishedExport {
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

    /// Ends a file of another format than HTML: its layout's pieces around the body,
    /// each hashed for the manifest like the page's parts.
    fn finish_layout(self, range: TimeRange, layout: Vec<formats::Piece>) -> FinishedExport {
        use formats::Piece;
        let format = self.header.format;
        let empty = manifest::sha256_hex(b"");
        let mut frame = Sha256::new();
        let (mut header, mut statistics) = (empty.clone(), empty);
        for piece in &layout {
            match piece {
                Piece::Frame(text) => frame.update(text.as_bytes()),
                Piece::Header(text) => header = manifest::sha256_hex(text.as_bytes()),
                Piece::Statistics(text) => statistics = manifest::sha256_hex(text.as_bytes()),
                Piece::Body => {
                    for _ in 0..self.stats.conversations {
                        frame.update(formats::separator(format).as_bytes());
                    }
                }
                Piece::Manifest => {}
            }
        }
        let sections = Sections { header, statistics, frame: manifest::hex(&frame.finalize()) };
        let (conversations, messages) = (self.stats.conversations, self.stats.messages());
        let json = formats::manifest_text(format, &self.manifest(range, sections).embedded());
        let (mut head, mut tail) = (String::new(), String::new());
        let mut out = &mut head;
        for piece in layout {
            match piece {
                Piece::Frame(text) | Piece::Header(text) | Piece::Statistics(text) => out.push_str(&text),
                Piece::Manifest => out.push_str(&json),
                Piece::Body => out = &mut tail,
            }
        }
        FinishedExport { head, tail, conversations, messages }
    }

    /// Ends the HTML page.
    fn finish_page(self, range: TimeRange) -> FinishedExport {
        let mut head = String::with_capacity(STYLE.len() + 8192);
        self.push_document_start(&mut head);
        let header_start = head.len();
        self.push_header(&mut head, range);
        let header_end = head.len();
        head.push_str("<main>");
        let stats_start = head.len();
        self.stats.push_html(&mut head, range);
        let stats_end = head.len();
        self.push_list_start(&mut head);
        let mut tail = self.tail_before_manifest();
        let sections = Sections {
            header: manifest::sha256_hex(&head.as_bytes()[header_start..header_end]),
            statistics: manifest::sha256_hex(&head.as_bytes()[stats_start..stats_end]),
            frame: self.frame_hash([&head[..header_start], &head[header_end..stats_start], &head[stats_end..]], &tail),
        };
        let (conversations, messages) = (self.stats.conversations, self.stats.messages());
        tail.push_str(&self.manifest(range, sections).embedded());
        tail.push_str(MANIFEST_CLOSE);
        FinishedExport { head, tail, conversations, messages }
    }

    /// The page up to the header: doctype, CSP, title and style.
    fn push_document_start(&self, head: &mut String) {
        let h = &self.header;
        head.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        let _ = write!(head, "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">", content_security_policy());
        head.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><meta name=\"color-scheme\" content=\"light dark\"><meta name=\"referrer\" content=\"no-referrer\">");
        let _ = write!(head, "<meta name=\"generator\" content=\"{GENERATOR}\"><title>Conversations of ");
        push_html(head, &h.assistant_name);
        head.push_str(" \u{2014} export ");
        time::push_readable(head, h.exported_at);
        head.push_str("</title><style>");
        head.push_str(STYLE);
        head.push_str("</style></head><body><a class=\"skip\" href=\"#conversations-h\">Skip to conversations</a>");
    }

    /// The header: what the export is (assistant, times, range, filters, chain).
    fn push_header(&self, head: &mut String, range: TimeRange) {
        let h = &self.header;
        head.push_str(manifest::HEADER_START);
        head.push_str("<p class=\"kicker\">Conversation export</p><h1><bdi>");
        push_html(head, &h.assistant_name);
        head.push_str("</bdi></h1><dl class=\"facts\">");
        if let Some(id) = &h.assistant_id {
            head.push_str("<div><dt>Assistant ID</dt><dd><code>");
            push_html(head, id);
            head.push_str("</code></dd></div>");
        }
        head.push_str("<div><dt>Exported</dt><dd>");
        time::push_time_element(head, h.exported_at);
        head.push_str("</dd></div><div><dt>Time range</dt><dd>");
        time::push_time_element(head, range.from);
        head.push_str(" \u{2013} ");
        time::push_time_element(head, range.to);
        if let Some(note) = self.range_note(range) {
            let _ = write!(head, " <span class=\"note\">({note})</span>");
        }
        head.push_str("</dd></div>");
        if !h.filters.is_empty() {
            head.push_str("<div><dt>Filters</dt><dd dir=\"auto\">");
            push_html(head, &self.filters().describe());
            head.push_str("</dd></div>");
        }
        if !h.redaction.is_empty() {
            head.push_str("<div><dt>Redacted</dt><dd>");
            push_html(head, &h.redaction.describe());
            head.push_str("</dd></div>");
        }
        if let Some(id) = &h.export_id {
            head.push_str("<div><dt>Export ID</dt><dd><code>");
            push_html(head, id);
            head.push_str("</code></dd></div>");
        }
        if let Some(previous) = &h.previous {
            head.push_str("<div><dt>Continues</dt><dd>export <code>");
            push_html(head, &previous.id);
            head.push_str("</code> (SHA-256 <code class=\"hash\">");
            push_html(head, &previous.sha256);
            head.push_str("</code>)</dd></div>");
        }
        let _ = write!(head, "<div><dt>Generated by</dt><dd>{GENERATOR}</dd></div></dl><p class=\"scope\">{}.</p></header>", self.scope());
    }

    /// `last 30 days`, when the range is a whole number of days back from the export.
    fn range_note(&self, range: TimeRange) -> Option<String> {
        let span = range.to - range.from;
        let days = span.num_days();
        (self.header.range.is_some() && span.num_seconds() % 86_400 == 0 && days > 0)
            .then(|| format!("last {days} day{}", if days == 1 { "" } else { "s" }))
    }

    /// What the export holds, in one sentence (without its full stop).
    fn scope(&self) -> String {
        let filters = &self.header.filters;
        let what = match filters.conversations.len() {
            0 if filters.is_empty() => "Completed conversations that started in the time range".to_string(),
            0 => "Completed conversations that started in the time range, narrowed by the filters above".to_string(),
            n => format!("A selection: the {n} conversation{} chosen one by one", if n == 1 { "" } else { "s" }),
        };
        format!("{what}, with their contact and assistant messages")
    }

    /// What comes between the statistics and the first conversation: the list's heading,
    /// the search form, and the list's start.
    fn push_list_start(&self, head: &mut String) {
        head.push_str("<section class=\"list\" aria-labelledby=\"conversations-h\"><h2 id=\"conversations-h\">Conversations</h2>");
        head.push_str("<form id=\"search\" class=\"search\" role=\"search\" hidden><label for=\"q\">Search conversations</label><input id=\"q\" type=\"search\" autocomplete=\"off\" spellcheck=\"false\" placeholder=\"Names, words, emails\u{2026}\"><p id=\"search-status\" role=\"status\" aria-live=\"polite\"></p></form>");
        if self.stats.conversations == 0 {
            head.push_str("<p class=\"empty\">No completed conversations started in this time range.</p>");
        }
        head.push_str(manifest::LIST_START);
        head.push('\n');
    }

    /// The page after the last conversation, up to the manifest's JSON: the list's end,
    /// the footer, the script, the manifest's opening tag.
    fn tail_before_manifest(&self) -> String {
        let mut tail = String::with_capacity(SCRIPT.len() + 256);
        if !self.stats.conversations.is_multiple_of(BLOCK) {
            tail.push_str("</div>");
        }
        tail.push_str("</div>");
        tail.push_str(manifest::LIST_END);
        tail.push_str("<footer class=\"foot\"><p>Times are in UTC. ");
        let _ = write!(
            tail,
            "{} conversation{}, {} messages. Generated by {GENERATOR}.</p></footer><script>",
            self.stats.conversations,
            if self.stats.conversations == 1 { "" } else { "s" },
            self.stats.messages()
        );
        tail.push_str(SCRIPT);
        tail.push_str("</script>");
        tail.push_str(manifest::OPEN);

        tail
    }

    /// The frame's SHA-256: everything but the header, the statistics, the conversations
    /// and the manifest's JSON, in file order (the body's part is only its block markup).
    fn frame_hash(&self, head_parts: [&str; 3], tail: &str) -> String {
        let mut frame = Sha256::new();
        for part in head_parts {
            frame.update(part.as_bytes());
        }
        for n in 1..=self.stats.conversations {
            frame.update(block_before(n).as_bytes());
            frame.update(block_after(n).as_bytes());
        }
        frame.update(tail.as_bytes());
        frame.update(MANIFEST_CLOSE.as_bytes());
        manifest::hex(&frame.finalize())
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

/// The CSP source expression (`sha256-…`) of an inline block.
fn csp_hash(asset: &str) -> String {
    use base64::Engine;
    let digest = Sha256::digest(asset.as_bytes());
    format!("sha256-{}", base64::engine::general_purpose::STANDARD.encode(digest))
}

/// The export's CSP, hashed once per process: it allows exactly our style and script.
fn content_security_policy() -> &'static str {
    static CSP: OnceLock<String> = OnceLock::new();
    CSP.get_or_init(|| {
        format!(
            "default-src 'none'; style-src '{}'; script-src '{}'; img-src data:; base-uri 'none'; form-action 'none'",
            csp_hash(STYLE),
            csp_hash(SCRIPT)
        )
    })
}
