//! A copy with notes: `verify` accepts the export inside and lists the notes, refuses a
//! copy whose conversations were edited, and refuses notes that were not saved as a
//! block or that name what the export does not hold.

use convo_model::Conversation;
use convo_render::manifest::{self, Finding};
use convo_render::notes::{self, Note, Notes};
use convo_render::{ExportHeader, render_to_string};

const FIXTURE: &str = include_str!("fixtures/conversations.jsonl");

fn export() -> String {
    let conversations: Vec<Conversation> = FIXTURE.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let header = ExportHeader::new("Support Bot", Some("support-bot".into()), "2026-11-27T12:00:00Z".parse().unwrap(), None);
    render_to_string(header, &conversations)
}

fn ids(html: &str) -> Vec<String> {
    manifest::verify(html).unwrap().manifest.conversations.into_iter().map(|c| c.id).collect()
}

fn some_notes(ids: &[String]) -> Notes {
    let mut n = Notes::new("2026-12-05T09:30:00Z".parse().unwrap());
    n.stars = vec![ids[0].clone(), ids[2].clone()];
    n.notes.push(Note { conversation: ids[1].clone(), message: 1, text: "Good greeting </script><article class=\"conv\">".into() });
    n.notes.push(Note { conversation: ids[1].clone(), message: 2, text: "Follow up with billing".into() });
    n
}

#[test]
fn a_copy_with_notes_verifies_and_lists_them() {
    let html = export();
    let notes = some_notes(&ids(&html));
    let copy = notes::with_notes(&html, &notes).unwrap();
    let verified = manifest::verify(&copy).unwrap_or_else(|f| panic!("{f:?}"));
    assert_eq!(verified.notes, Some(notes));
    assert_eq!(verified.manifest, manifest::verify(&html).unwrap().manifest);
    assert_eq!(notes::without_notes(copy.as_bytes()).as_ref(), html.as_bytes());
    assert_eq!(manifest::verify(&html).unwrap().notes, None);
}

#[test]
fn an_edited_conversation_in_a_copy_with_notes_still_fails() {
    let html = export();
    let ids = ids(&html);
    let copy = notes::with_notes(&html, &some_notes(&ids)).unwrap();
    let first = copy.find("<article class=\"conv\"").unwrap();
    let edited = format!("{}{}", &copy[..first], copy[first..].replacen("</li>", " (edited)</li>", 1));
    assert_eq!(manifest::verify(&edited).unwrap_err(), vec![Finding::ConversationEdited { position: 1, id: ids[0].clone() }]);
}

#[test]
fn notes_slipped_in_anywhere_but_the_declared_block_are_an_edit() {
    let html = export();
    let block = some_notes(&ids(&html)).block();
    // Before the page's script rather than right before the manifest.
    let at = html.rfind("<script>").unwrap();
    let misplaced = format!("{}{}{}", &html[..at], block, &html[at..]);
    assert_eq!(manifest::verify(&misplaced).unwrap_err(), vec![Finding::FrameEdited]);
    // Markup inside the declared place is not a notes block either.
    let at = html.rfind(notes::OPEN.replace("notes", "manifest").as_str()).unwrap();
    let smuggled = format!("{}{}<b>{{}}</b></script>{}", &html[..at], notes::OPEN, &html[at..]);
    assert_eq!(manifest::verify(&smuggled).unwrap_err(), vec![Finding::FrameEdited]);
}

#[test]
fn notes_on_what_the_export_does_not_hold_are_refused() {
    let html = export();
    let ids = ids(&html);
    let mut stranger = some_notes(&ids);
    stranger.stars.push("not-in-this-export".into());
    let mut past_the_end = some_notes(&ids);
    past_the_end.notes.push(Note { conversation: ids[1].clone(), message: 999, text: "?".into() });
    for notes in [stranger, past_the_end] {
        let copy = notes::with_notes(&html, &notes).unwrap();
        let findings = manifest::verify(&copy).unwrap_err();
        assert!(matches!(findings.as_slice(), [Finding::NotesUnreadable(_)]), "{findings:?}");
    }
    // A block that is not the notes format.
    let at = html.rfind(notes::OPEN.replace("notes", "manifest").as_str()).unwrap();
    let odd = format!("{}{}{{\"format\":\"other\"}}</script>{}", &html[..at], notes::OPEN, &html[at..]);
    assert!(matches!(manifest::verify(&odd).unwrap_err().as_slice(), [Finding::NotesUnreadable(_)]));
}
