//! Notes a reader adds to an export page: starred conversations and notes on messages.
//!
//! The page's script lets a reader star conversations and write notes on messages, and
//! **Save a copy with notes** writes a new file: the export's own bytes with one declared
//! block inserted directly before the manifest's, `<script type="application/json"
//! id="export-notes">{…}</script>`. Nothing else changes, so the copy without that block
//! is the export byte for byte: [`crate::manifest::verify`] cuts the block out of the
//! frame and checks the rest as before (an edited conversation still fails), and a signed
//! receipt still vouches for [`without_notes`] of the copy.
//!
//! The block's JSON holds no `<` (the writer escapes it, as the manifest's does), so the
//! block is found from its end: the last `<` before its `</script>` opens it. Anything
//! else placed there is not a notes block, and the frame check reports it as an edit.
//!
//! The page's script writes the block with the same rule (`assets/notes.js`, `block`);
//! a browser test saves a copy in Chromium and checks it here.

use crate::manifest;
use convo_model::Timestamp;
use serde::{Deserialize, Serialize};

/// The notes block's format, for readers that must know which rules made it.
pub const FORMAT: &str = "convo-export-notes/1";
/// How the notes block opens (the script builds the same string).
pub const OPEN: &str = "<script type=\"application/json\" id=\"export-notes\">";
use manifest::CLOSE;

/// What a reader added to an export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notes {
    pub format: String,
    /// When the copy was saved, by the reader's clock.
    pub saved_at: Timestamp,
    /// Ids of the starred conversations, in the page's order.
    #[serde(default)]
    pub stars: Vec<String>,
    #[serde(default)]
    pub notes: Vec<Note>,
}

/// A note on one message: its conversation's id and its position (1-based, as in the
/// message's anchor `#c-{id}-m{n}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Note {
    pub conversation: String,
    pub message: u32,
    pub text: String,
}

impl Notes {
    /// Notes saved at `saved_at`, with nothing in them yet.
    pub fn new(saved_at: Timestamp) -> Self {
        Notes { format: FORMAT.to_string(), saved_at, stars: Vec::new(), notes: Vec::new() }
    }

    /// The block as the page holds it: JSON whose `<`, `>` and `&` are escaped.
    pub fn block(&self) -> String {
        let json = manifest::for_script_block(&serde_json::to_string(self).unwrap_or_default());
        format!("{OPEN}{json}{CLOSE}")
    }
}

/// Where the notes block of a page sits, when it has one: it ends where the manifest's
/// block (at `manifest_start`) begins. Returns the block's span and its JSON.
pub(crate) fn block_before(html: &str, manifest_start: usize) -> Option<((usize, usize), &str)> {
    let before = html.get(..manifest_start)?;
    let json_end = before.strip_suffix(CLOSE)?.len();
    let start = before[..json_end].rfind('<')?;
    let json = before[start..json_end].strip_prefix(OPEN)?;
    Some(((start, manifest_start), json))
}

/// Reads a notes block's JSON, or says why it is not one.
pub(crate) fn parse(json: &str) -> Result<Notes, String> {
    let notes: Notes = serde_json::from_str(json).map_err(|e| e.to_string())?;
    if notes.format != FORMAT {
        return Err(format!("its format is {:?}, not {FORMAT}", notes.format));
    }
    Ok(notes)
}

/// Checks that every star and note names what the export holds: a conversation
/// (`article` gives its markup by id) and, for a note, one of its messages.
pub(crate) fn check<'a>(notes: &Notes, article: impl Fn(&str) -> Option<&'a str>) -> Result<(), String> {
    for id in &notes.stars {
        if article(id).is_none() {
            return Err(format!("it stars conversation {id:?}, which the export does not hold"));
        }
    }
    for note in &notes.notes {
        let Some(markup) = article(&note.conversation) else {
            return Err(format!("a note is on conversation {:?}, which the export does not hold", note.conversation));
        };
        let mut anchor = String::from(" id=\"c-");
        crate::page::push_fragment(&mut anchor, &note.conversation);
        anchor.push_str(&format!("-m{}\"", note.message));
        if !markup.contains(&anchor) {
            return Err(format!(
                "a note is on message {} of conversation {:?}, which has no such message",
                note.message, note.conversation
            ));
        }
    }
    Ok(())
}

/// Where the manifest's block begins in a page.
fn manifest_start(html: &str) -> Option<usize> {
    html.rfind(manifest::OPEN)
}

/// The export inside a copy with notes: the page without its notes block, byte for byte
/// the file as it was rendered (the page itself when it has no notes).
pub fn without_notes(page: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    // The block and the manifest's opening are ASCII: any valid UTF-8 prefix will do.
    let text = match std::str::from_utf8(page) {
        Ok(text) => text,
        Err(e) => std::str::from_utf8(&page[..e.valid_up_to()]).unwrap_or_default(),
    };
    match manifest_start(text).and_then(|at| block_before(text, at)) {
        Some(((a, b), _)) => [&page[..a], &page[b..]].concat().into(),
        None => page.into(),
    }
}

/// A copy of an export page carrying `notes` (in place of any it had).
pub fn with_notes(page: &str, notes: &Notes) -> Option<String> {
    let at = manifest_start(page)?;
    let from = block_before(page, at).map_or(at, |((a, _), _)| a);
    Some(format!("{}{}{}", &page[..from], notes.block(), &page[at..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> String {
        let header = crate::ExportHeader::new("Bot", None, "2026-11-27T12:00:00Z".parse().unwrap(), None);
        crate::render_to_string(header, &[])
    }

    #[test]
    fn a_block_written_is_found_read_and_removed_to_the_very_bytes_rendered() {
        let page = page();
        let mut notes = Notes::new("2026-12-01T10:00:00Z".parse().unwrap());
        notes.notes.push(Note { conversation: "c1".into(), message: 2, text: "</script><b>&".into() });
        let copy = with_notes(&page, &notes).unwrap();
        assert!(!copy[copy.find(OPEN).unwrap()..].contains("</script><b>"), "the note cannot close its block");
        let at = manifest_start(&copy).unwrap();
        let (_, json) = block_before(&copy, at).unwrap();
        assert_eq!(parse(json).unwrap(), notes);
        assert_eq!(without_notes(copy.as_bytes()).as_ref(), page.as_bytes());
        // Saving again replaces the block rather than adding one.
        let again = with_notes(&copy, &Notes::new("2026-12-02T10:00:00Z".parse().unwrap())).unwrap();
        assert_eq!(again.matches(OPEN).count(), 1);
        assert_eq!(without_notes(again.as_bytes()).as_ref(), page.as_bytes());
    }

    #[test]
    fn a_page_without_notes_has_no_block_even_though_its_script_ends_there() {
        let page = page();
        assert!(block_before(&page, manifest_start(&page).unwrap()).is_none());
        assert_eq!(without_notes(page.as_bytes()).as_ref(), page.as_bytes());
    }
}
