//! JSON Lines: a manifest line, then one conversation a line in the import format (only
//! the messages an export shows, no internal field), so the file imports back; `import`
//! recognises the manifest line and skips it.

use super::{Cut, Piece};
use crate::manifest::Finding;
use convo_model::{Conversation, Message};

/// How the manifest line starts (and so the file): `{"convo_export_manifest":{…}}`.
pub const MANIFEST_OPEN: &str = "{\"convo_export_manifest\":";
const MANIFEST_CLOSE: &str = "}\n";
/// What ends every conversation's line (in the frame, not in its hash).
pub(crate) const LINE_END: &str = "\n";

/// Whether an import line is an export's manifest line, to be skipped.
pub fn is_manifest_line(line: &str) -> bool {
    line.starts_with(MANIFEST_OPEN)
}

pub(crate) fn push_conversation(c: &Conversation, body: &mut String) {
    let line = Conversation::<Vec<&Message>> {
        id: c.id.clone(),
        assistant_id: c.assistant_id.clone(),
        channel: c.channel.clone(),
        contact: c.contact.clone(),
        started_at: c.started_at,
        ended_at: c.ended_at,
        status: c.status,
        summary: c.summary.clone(),
        messages: c.exported_messages().collect(),
    };
    // Serializing our own types to a String cannot fail.
    body.push_str(&serde_json::to_string(&line).unwrap_or_default());
}

pub(crate) fn layout() -> Vec<Piece> {
    vec![Piece::Frame(MANIFEST_OPEN.into()), Piece::Manifest, Piece::Frame(MANIFEST_CLOSE.into()), Piece::Body]
}

pub(super) fn cut(text: &str) -> Result<Cut, Vec<Finding>> {
    let first_end = text.find('\n').map_or(text.len(), |at| at + 1);
    let json = (MANIFEST_OPEN.len(), first_end.saturating_sub(MANIFEST_CLOSE.len()).max(MANIFEST_OPEN.len()));
    let manifest = super::read_manifest(&text[json.0..json.1])?;
    let mut conversations = Vec::new();
    let mut at = first_end;
    while at < text.len() {
        let end = text[at..].find('\n').map_or(text.len(), |e| at + e);
        let line = &text[at..end];
        let id = serde_json::from_str::<IdOnly>(line).map_or_else(|_| format!("line {}", conversations.len() + 2), |l| l.id);
        conversations.push((id, (at, end)));
        at = end + 1;
    }
    let listed = manifest.conversations.clone();
    Ok(Cut { json, manifest, header: None, statistics: None, conversations, listed })
}

#[derive(serde::Deserialize)]
struct IdOnly {
    id: String,
}
