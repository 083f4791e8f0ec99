//! The HTML page: each conversation's `<article>` in its lazily laid-out block, and at
//! the end the head (document start, header, statistics, the list's start) and the tail
//! (the list's end, footer, script, manifest), with the hashes the manifest records.

use crate::escape::push_html;
use crate::manifest::{self, Sections};
use crate::{ExportRenderer, FinishedExport, GENERATOR, push_markdown, time};
use convo_model::{Conversation, Role, TimeRange};
use sha2::{Digest, Sha256};
use std::fmt::Write;
use std::sync::OnceLock;

pub(crate) const STYLE: &str = include_str!("assets/export.css");
/// Conversations are grouped in blocks that the browser lays out lazily
/// (`content-visibility: auto`): a few hundred lazy boxes instead of tens of thousands
/// keep both opening and every search's re-layout fast.
const BLOCK: u64 = 16;
/// The page's script: lazy lists, search and narrowing, then stars and notes.
pub(crate) const SCRIPT: &str = concat!(include_str!("assets/lazy.js"), include_str!("assets/export.js"), include_str!("assets/notes.js"));
const BLOCK_OPEN: &str = "<div class=\"blk\">";
/// Messages shown as ordinary markup before conversations turn lazy. Past them all of
/// a conversation but its heading (its details, summary and messages) stands in a
/// `<noscript class="lazy">`: with script on, the browser keeps that as one text node,
/// not about ten nodes per message, and the page's script builds it when it is needed
/// (near the screen, linked to, noted, printed); without script it is ordinary markup
/// and reads like the rest. Measured on a 1,000,000-message file in headless Chromium
/// here (export_in_browser bench and the same file rewritten): loaded in 24.7 s with
/// everything built at load, 7.2 s with lazy message lists, 5.6 s with the details lazy
/// too, against 5.7 s for the whole list as one text (what parsing the bytes costs).
/// Files up to this size keep everything built, so the browser's own find sees it all.
const BUILT_MESSAGES: u64 = 10_000;
const LAZY_OPEN: &str = "<noscript class=\"lazy\">";
const LAZY_CLOSE: &str = "</noscript>";

/// The block markup before conversation `n` (1-based): a block opens every `BLOCK`.
fn block_before(n: u64) -> &'static str {
    if n % BLOCK == 1 || BLOCK == 1 { BLOCK_OPEN } else { "" }
}

/// The markup after conversation `n`'s article: its line end, and the block's close
/// when it is the block's last.
fn block_after(n: u64) -> &'static str {
    if n.is_multiple_of(BLOCK) { "\n</div>\n" } else { "\n" }
}
/// `id` as it stands in an anchor (`#c-{id}`): unreserved characters as they are,
/// every other byte percent-encoded, so the anchor is a valid `id` (no spaces), safe in
/// an attribute without escaping, and the link to it a valid URL.
pub(crate) fn push_fragment(out: &mut String, id: &str) {
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

/// What follows the manifest's JSON: the end of its block and of the page.
const MANIFEST_CLOSE: &str = "</script></body></html>\n";

impl ExportRenderer {
    /// Appends one conversation as the page's `<article>`, in its block.
    /// `before` is how many messages the articles before this one hold.
    pub(crate) fn push_article(&mut self, c: &Conversation, n: u64, exported: u64, before: u64, body: &mut String) {
        let contact = c.contact.as_ref();
        let name = contact.and_then(|ct| ct.name.as_deref()).map(str::trim).filter(|s| !s.is_empty());
        let email = contact.and_then(|ct| ct.email.as_deref()).map(str::trim).filter(|s| !s.is_empty());

        body.push_str(block_before(n));
        let start = body.len();
        // The anchor every link to this conversation and its messages starts with.
        let mut anchor = String::from("c-");
        push_fragment(&mut anchor, &c.id);
        // Its day (in the export's zone) and channel, for the list's day field and chips.
        let zone = self.header.time_zone;
        let day = time::local_date(c.started_at, zone);
        let _ = write!(body, "<article class=\"conv\" id=\"{anchor}\" data-day=\"");
        time::push_date(body, day);
        body.push_str("\" data-ch=\"");
        push_html(body, c.channel.label());
        let _ = write!(body, "\" aria-labelledby=\"c{n}h\"><h2 id=\"c{n}h\"><bdi>");
        match name.or(email) {
            Some(who) => push_html(body, who),
            None => body.push_str("Anonymous contact"),
        }
        let _ = write!(body, "</bdi> <a class=\"when\" href=\"#{anchor}\">");
        time::push_date(body, day);
        body.push_str("</a></h2>");
        // What follows the heading waits in the lazy wrapper past the first messages.
        let lazy = before >= BUILT_MESSAGES;
        if lazy {
            body.push_str(LAZY_OPEN);
        }
        body.push_str("<dl class=\"meta\">");
        if let Some(email) = email {
            body.push_str("<div><dt>Email</dt><dd dir=\"auto\">");
            push_html(body, email);
            body.push_str("</dd></div>");
        }
        body.push_str("<div><dt>Channel</dt><dd>");
        push_html(body, c.channel.label());
        body.push_str("</dd></div><div><dt>Started</dt><dd>");
        time::push_time_element(body, c.started_at, zone);
        body.push_str("</dd></div><div><dt>Ended</dt><dd>");
        match c.ended_at {
            Some(end) => time::push_time_element(body, end, zone),
            None => body.push_str("not recorded"),
        }
        let _ = write!(body, "</dd></div><div><dt>Messages</dt><dd>{exported}</dd></div><div><dt>ID</dt><dd><code>");
        let id_start = body.len();
        push_html(body, &c.id);
        let id = crate::escape::unescape_html(&body[id_start..]);
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
            for (k, m) in c.exported_messages().enumerate() {
                let (class, label) = match m.role {
                    Role::User => ("u", "Contact"),
                    _ => ("a", "Assistant"),
                };
                // Each message's time is a link to the message itself.
                let k = k + 1;
                let _ =
                    write!(body, "<li class=\"m {class}\" id=\"{anchor}-m{k}\"><p class=\"mh\"><b>{label}</b> <a href=\"#{anchor}-m{k}\">");
                time::push_time_element(body, m.at, zone);
                body.push_str("</a></p><div class=\"mb\" dir=\"auto\">");
                if m.role == Role::Assistant {
                    push_markdown(body, &m.content);
                } else {
                    push_html(body, &m.content);
                }
                body.push_str("</div></li>");
            }
            body.push_str("</ol>");
        }
        if lazy {
            body.push_str(LAZY_CLOSE);
        }
        body.push_str("</article>");
        self.record(id, body, start);
        body.push_str(block_after(n));
    }

    /// Ends the HTML page.
    pub(crate) fn finish_page(self, range: TimeRange) -> FinishedExport {
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
        let (conversations, messages, figures) = (self.stats.conversations, self.stats.messages(), self.stats.numbers());
        tail.push_str(&self.manifest(range, sections).embedded());
        tail.push_str(MANIFEST_CLOSE);
        FinishedExport { head, tail, conversations, messages, figures }
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
        time::push_readable(head, h.exported_at, h.time_zone);
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
        time::push_time_element(head, h.exported_at, h.time_zone);
        head.push_str("</dd></div><div><dt>Time range</dt><dd>");
        time::push_time_element(head, range.from, h.time_zone);
        head.push_str(" \u{2013} ");
        time::push_time_element(head, range.to, h.time_zone);
        if let Some(note) = self.header.range_note(range) {
            let _ = write!(head, " <span class=\"note\">({note})</span>");
        }
        head.push_str("</dd></div>");
        if !h.time_zone.is_utc() {
            head.push_str("<div><dt>Time zone</dt><dd>");
            push_html(head, h.time_zone.name());
            head.push_str("</dd></div>");
        }
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
        let _ = write!(
            head,
            "<div><dt>Generated by</dt><dd>{GENERATOR}</dd></div></dl><p class=\"scope\">{}.</p></header>",
            self.header.scope()
        );
    }

    /// The day field and a chip a channel, in the search form (shown by the script, like
    /// the search: without it every conversation is shown and nothing needs narrowing).
    fn push_narrowing(&self, head: &mut String) {
        let (Some(first), Some(last)) = (self.stats.first_start, self.stats.last_start) else { return };
        let zone = self.header.time_zone;
        head.push_str("<label for=\"day\">Day</label><input id=\"day\" type=\"date\" min=\"");
        time::push_date(head, time::local_date(first, zone));
        head.push_str("\" max=\"");
        time::push_date(head, time::local_date(last, zone));
        head.push_str("\">");
        let channels = self.stats.channel_rows();
        if channels.len() > 1 {
            head.push_str("<div id=\"chips\" class=\"chips\" role=\"group\" aria-label=\"Channels\">");
            for (label, n) in channels {
                head.push_str("<button type=\"button\" class=\"chip\" aria-pressed=\"false\" data-ch=\"");
                push_html(head, label);
                head.push_str("\">");
                push_html(head, label);
                let _ = write!(head, " <span class=\"n\">{n}</span></button>");
            }
            head.push_str("</div>");
        }
    }

    /// What comes between the statistics and the first conversation: the list's heading,
    /// the search form, and the list's start.
    fn push_list_start(&self, head: &mut String) {
        head.push_str("<section class=\"list\" aria-labelledby=\"conversations-h\"><h2 id=\"conversations-h\">Conversations</h2>");
        head.push_str("<form id=\"search\" class=\"search\" role=\"search\" hidden><label for=\"q\">Search conversations</label><input id=\"q\" type=\"search\" autocomplete=\"off\" spellcheck=\"false\" placeholder=\"Names, words, emails\u{2026}\">");
        self.push_narrowing(head);
        head.push_str("<p id=\"search-status\" role=\"status\" aria-live=\"polite\"></p>");
        // Stars and notes, shown by the script that keeps them (see `notes`): in the
        // sticky bar, so that saving is at hand wherever the reader is.
        head.push_str("<div id=\"notes\" class=\"notes\" hidden><span id=\"notes-count\"></span> <button type=\"button\" id=\"notes-save\">Save a copy with notes\u{2026}</button><input id=\"notes-file\" type=\"file\" accept=\".html,.htm,text/html\" aria-label=\"This export\u{2019}s file\" hidden><p id=\"notes-status\" role=\"status\" aria-live=\"polite\"></p></div></form>");
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
}

/// The CSP source expression (`sha256-…`) of an inline block.
pub(crate) fn csp_hash(asset: &str) -> String {
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
