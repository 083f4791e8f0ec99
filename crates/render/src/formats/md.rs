//! Markdown: one readable document. A front matter holds the title and the manifest;
//! then the header, the statistics, and every conversation under a `###` heading, its
//! facts as a list and each message as a block quote. No conversation text can start a
//! line of the file's own structure (every line of it is quoted, every one-line value
//! escaped), which is how the check finds the parts again.

use super::{Cut, Piece};
use crate::escape::markdown::{push_md_inline, push_md_quote_markdown, push_md_quote_plain};
use crate::manifest::Finding;
use crate::time::{local_date, push_date, push_readable};
use crate::{ExportRenderer, GENERATOR};
use convo_model::{Conversation, Role, TimeRange, TimeZone};
use std::fmt::Write;

/// How the file starts: the front matter and its title.
pub const FRONT_OPEN: &str = "---\ntitle: ";
pub(crate) const MANIFEST_KEY: &str = "\nconvo_export_manifest: ";
const FRONT_CLOSE: &str = "\n---\n\n";
const STATISTICS_START: &str = "## Summary statistics\n";
const LIST_START: &str = "## Conversations\n\n";
const CONVERSATION_START: &str = "### ";
const ID_FIELD: &str = "- **ID:** ";
/// Where the conversations end: a thematic break, then the footer.
const LIST_END: &str = "\n---\n\n";

fn fact(out: &mut String, label: &str, value: impl FnOnce(&mut String)) {
    let _ = write!(out, "- **{label}:** ");
    value(out);
    out.push('\n');
}

/// Appends conversation `n`, its times in `zone`.
pub(crate) fn push_conversation(c: &Conversation, n: u64, zone: TimeZone, body: &mut String) {
    let contact = c.contact.as_ref();
    let nonblank = |s: Option<&String>| s.map(|s| s.trim()).filter(|s| !s.is_empty()).map(str::to_owned);
    let name = nonblank(contact.and_then(|ct| ct.name.as_ref()));
    let email = nonblank(contact.and_then(|ct| ct.email.as_ref()));
    let _ = write!(body, "{CONVERSATION_START}{n}. ");
    match name.as_deref().or(email.as_deref()) {
        Some(who) => push_md_inline(body, who),
        None => body.push_str("Anonymous contact"),
    }
    body.push_str(" \u{2014} ");
    push_date(body, local_date(c.started_at, zone));
    body.push_str("\n\n");
    if let Some(email) = &email {
        fact(body, "Email", |o| push_md_inline(o, email));
    }
    fact(body, "Channel", |o| push_md_inline(o, c.channel.label()));
    fact(body, "Started", |o| push_readable(o, c.started_at, zone));
    fact(body, "Ended", |o| match c.ended_at {
        Some(end) => push_readable(o, end, zone),
        None => o.push_str("not recorded"),
    });
    let exported = c.exported_messages().count();
    fact(body, "Messages", |o| o.push_str(&exported.to_string()));
    fact(body, "ID", |o| push_md_inline(o, &c.id));
    body.push('\n');
    if let Some(summary) = c.summary.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        body.push_str("**Summary**\n\n");
        push_md_quote_plain(body, summary);
        body.push('\n');
    }
    if exported == 0 {
        body.push_str("*No messages.*\n\n");
    }
    for m in c.exported_messages() {
        body.push_str(if m.role == Role::User { "**Contact**" } else { "**Assistant**" });
        body.push_str(" \u{b7} ");
        push_readable(body, m.at, zone);
        body.push_str("\n\n");
        if m.role == Role::Assistant {
            push_md_quote_markdown(body, &m.content);
        } else {
            push_md_quote_plain(body, &m.content);
        }
        body.push('\n');
    }
}

pub(crate) fn layout(r: &ExportRenderer, range: TimeRange) -> Vec<Piece> {
    let h = &r.header;
    let title = format!("Conversations of {}", h.assistant_name.replace(['\n', '\r'], " "));
    let front = format!("{FRONT_OPEN}{}{MANIFEST_KEY}", serde_json::to_string(&title).unwrap_or_default());
    let mut header = String::from("# Conversations of ");
    push_md_inline(&mut header, &h.assistant_name);
    header.push_str("\n\n");
    if let Some(id) = &h.assistant_id {
        fact(&mut header, "Assistant ID", |o| push_md_inline(o, id));
    }
    fact(&mut header, "Exported", |o| push_readable(o, h.exported_at, h.time_zone));
    fact(&mut header, "Time range", |o| {
        push_readable(o, range.from, h.time_zone);
        o.push_str(" \u{2013} ");
        push_readable(o, range.to, h.time_zone);
        if let Some(note) = h.range_note(range) {
            let _ = write!(o, " ({note})");
        }
    });
    if !h.time_zone.is_utc() {
        fact(&mut header, "Time zone", |o| o.push_str(h.time_zone.name()));
    }
    if !h.filters.is_empty() {
        fact(&mut header, "Filters", |o| push_md_inline(o, &r.filters().describe()));
    }
    if !h.redaction.is_empty() {
        fact(&mut header, "Redacted", |o| push_md_inline(o, &h.redaction.describe()));
    }
    if let Some(id) = &h.export_id {
        fact(&mut header, "Export ID", |o| push_md_inline(o, id));
    }
    if let Some(previous) = &h.previous {
        fact(&mut header, "Continues", |o| {
            o.push_str("export ");
            push_md_inline(o, &previous.id);
            o.push_str(" (SHA-256 ");
            push_md_inline(o, &previous.sha256);
            o.push(')');
        });
    }
    fact(&mut header, "Generated by", |o| o.push_str(GENERATOR));
    let _ = write!(header, "\n{}.\n\n", h.scope());
    let mut statistics = String::new();
    r.stats.push_markdown(&mut statistics);
    let mut list = String::from(LIST_START);
    if r.stats.conversations == 0 {
        list.push_str("*No completed conversations started in this time range.*\n\n");
    }
    let (c, m) = (r.stats.conversations, r.stats.messages());
    let footer =
        format!("{LIST_END}Times are in UTC. {c} conversation{}, {m} messages. Generated by {GENERATOR}.\n", if c == 1 { "" } else { "s" });
    vec![
        Piece::Frame(front),
        Piece::Manifest,
        Piece::Frame(FRONT_CLOSE.into()),
        Piece::Header(header),
        Piece::Statistics(statistics),
        Piece::Frame(list),
        Piece::Body,
        Piece::Frame(footer[1..].to_string()),
    ]
}

pub(super) fn cut(text: &str) -> Result<Cut, Vec<Finding>> {
    let Some(from) = text.find(MANIFEST_KEY).map(|at| at + MANIFEST_KEY.len()) else {
        return Err(vec![Finding::NoManifest]);
    };
    let to = text[from..].find(FRONT_CLOSE).map_or(text.len(), |at| from + at);
    let manifest = super::read_manifest(&text[from..to])?;
    let header_from = (to + FRONT_CLOSE.len()).min(text.len());
    let line_start = |marker: &str, after: usize| text.get(after..)?.find(&format!("\n{marker}")).map(|at| after + at + 1);
    let stats_from = line_start(STATISTICS_START, header_from.saturating_sub(1));
    let list_from = line_start(LIST_START, stats_from.unwrap_or(header_from));
    let body_from = list_from.map_or(text.len(), |at| at + LIST_START.len());
    let body_to = text.rfind(LIST_END).map_or(text.len(), |at| at + 1).max(body_from);
    let mut starts = Vec::new();
    let mut at = body_from;
    while let Some(start) = line_start(CONVERSATION_START, at.saturating_sub(1)).filter(|&s| s < body_to) {
        starts.push(start);
        at = start + 1;
    }
    let conversations = starts
        .iter()
        .enumerate()
        .map(|(i, &start)| {
            let end = starts.get(i + 1).copied().unwrap_or(body_to);
            (shown_id(&text[start..end]), (start, end))
        })
        .collect();
    let inline = |id: &str| {
        let mut out = String::new();
        push_md_inline(&mut out, id);
        out
    };
    Ok(Cut {
        json: (from, to),
        listed: super::listed_as(&manifest, inline),
        manifest,
        header: stats_from.map(|s| (header_from, s)),
        statistics: stats_from.zip(list_from),
        conversations,
    })
}

/// The id a conversation's block shows, as written.
fn shown_id(block: &str) -> String {
    let Some(at) = block.rfind(&format!("\n{ID_FIELD}")) else { return String::new() };
    let rest = &block[at + 1 + ID_FIELD.len()..];
    rest.split('\n').next().unwrap_or_default().to_string()
}
