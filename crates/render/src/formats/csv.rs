//! CSV (RFC 4180): one message a row with its conversation's fields, every field that
//! could start a formula neutralised, CRLF line ends; a conversation without messages
//! is one row with empty message fields. The last row holds the manifest: its first
//! field is `convo-export-manifest`, its last the manifest's JSON.

use super::{Cut, Piece};
use crate::escape::csv::{csv_cell, csv_records, first_csv_field, push_csv_field};
use crate::manifest::Finding;
use crate::time::push_machine;
use convo_model::Conversation;

/// The header row, which also tells the format apart.
pub const HEADER_ROW: &str =
    "conversation_id,assistant_id,channel,started_at,ended_at,contact_name,contact_email,summary,message,role,at,content\r\n";
/// The manifest row's start, up to its quoted JSON (twelve fields, like every row).
pub(crate) const MANIFEST_ROW_OPEN: &str = "convo-export-manifest,,,,,,,,,,,\"";
const MANIFEST_ROW_CLOSE: &str = "\"\r\n";

pub(crate) fn push_conversation(c: &Conversation, body: &mut String) {
    let mut conversation = String::new();
    push_csv_field(&mut conversation, &c.id);
    conversation.push(',');
    push_csv_field(&mut conversation, &c.assistant_id);
    conversation.push(',');
    push_csv_field(&mut conversation, c.channel.label());
    conversation.push(',');
    push_machine(&mut conversation, c.started_at);
    conversation.push(',');
    if let Some(end) = c.ended_at {
        push_machine(&mut conversation, end);
    }
    conversation.push(',');
    let contact = c.contact.as_ref();
    push_csv_field(&mut conversation, contact.and_then(|ct| ct.name.as_deref()).unwrap_or_default());
    conversation.push(',');
    push_csv_field(&mut conversation, contact.and_then(|ct| ct.email.as_deref()).unwrap_or_default());
    conversation.push(',');
    push_csv_field(&mut conversation, c.summary.as_deref().unwrap_or_default());
    conversation.push(',');
    let mut rows = 0;
    for (i, m) in c.exported_messages().enumerate() {
        body.push_str(&conversation);
        body.push_str(&(i + 1).to_string());
        body.push(',');
        body.push_str(m.role.as_str());
        body.push(',');
        push_machine(body, m.at);
        body.push(',');
        push_csv_field(body, &m.content);
        body.push_str("\r\n");
        rows += 1;
    }
    if rows == 0 {
        body.push_str(&conversation);
        body.push_str(",,,\r\n");
    }
}

pub(crate) fn layout() -> Vec<Piece> {
    vec![
        Piece::Frame(HEADER_ROW.into()),
        Piece::Body,
        Piece::Frame(MANIFEST_ROW_OPEN.into()),
        Piece::Manifest,
        Piece::Frame(MANIFEST_ROW_CLOSE.into()),
    ]
}

pub(super) fn cut(text: &str) -> Result<Cut, Vec<Finding>> {
    // The manifest row is the last: a quoted field holds no bare line break of the
    // manifest's JSON, and nothing of a conversation comes after it.
    let Some(row) = text.rfind(&format!("\n{MANIFEST_ROW_OPEN}")).map(|at| at + 1) else {
        return Err(vec![Finding::NoManifest]);
    };
    let from = row + MANIFEST_ROW_OPEN.len();
    let to = text.strip_suffix(MANIFEST_ROW_CLOSE).map_or(text.len(), str::len).max(from);
    let manifest = super::read_manifest(&text[from..to].replace("\"\"", "\""))?;
    // The file shows ids as cells (a formula's start neutralised): compare them so.
    let listed = super::listed_as(&manifest, csv_cell);
    let mut conversations: Vec<(String, (usize, usize))> = Vec::new();
    for (at, record) in csv_records(&text[..row]).skip(1) {
        let id = first_csv_field(record);
        match conversations.last_mut() {
            Some((last, span)) if *last == id => span.1 = at + record.len(),
            _ => conversations.push((id, (at, at + record.len()))),
        }
    }
    Ok(Cut { json: (from, to), manifest, header: None, statistics: None, conversations, listed })
}
