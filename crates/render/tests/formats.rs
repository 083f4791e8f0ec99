//! JSON Lines, CSV and Markdown files: what each holds, that internal fields and
//! hostile content never become something else, and that `manifest::verify` checks
//! each, naming an edited conversation.

use convo_model::{Conversation, Format, Redaction, Role, TimeRange};
use convo_render::escape::csv::csv_records;
use convo_render::manifest::{self, Finding};
use convo_render::{ExportHeader, ExportRenderer, is_manifest_line};

const FIXTURE: &str = include_str!("fixtures/conversations.jsonl");

fn conversations() -> Vec<Conversation> {
    FIXTURE.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn header(format: Format) -> ExportHeader {
    let range = TimeRange { from: "2026-10-28T12:00:00Z".parse().unwrap(), to: "2026-11-27T12:00:00Z".parse().unwrap() };
    ExportHeader {
        export_id: Some("e-1".into()),
        format,
        ..ExportHeader::new("Support Bot", Some("support-bot".into()), range.to, Some(range))
    }
}

fn render(header: ExportHeader) -> (String, u64) {
    let mut renderer = ExportRenderer::new(header);
    let mut body = String::new();
    renderer.push_page(&conversations(), &mut body);
    let parts = renderer.finish();
    (format!("{}{}{}", parts.head, body, parts.tail), parts.messages)
}

/// The conversations an HTML export of the fixture holds, as its manifest lists them.
fn exported_ids() -> Vec<String> {
    let (html, _) = render(header(Format::Html));
    manifest::verify(&html).unwrap().manifest.conversations.into_iter().map(|c| c.id).collect()
}

#[test]
fn every_format_verifies_and_lists_the_same_conversations_as_the_page() {
    let ids = exported_ids();
    assert!(ids.len() > 3);
    for format in [Format::Jsonl, Format::Csv, Format::Markdown] {
        let (file, _) = render(header(format));
        let verified = manifest::verify(&file).unwrap_or_else(|f| panic!("{format:?}: {f:?}"));
        assert_eq!(verified.manifest.file_format, format);
        assert_eq!(verified.manifest.export_id.as_deref(), Some("e-1"));
        let listed: Vec<String> = verified.manifest.conversations.into_iter().map(|c| c.id).collect();
        assert_eq!(listed, ids, "{format:?}");
        for canary in ["CANARY-SYSTEM-PROMPT", "CANARY-TOOL-OUTPUT", "CANARY-MODEL", "CANARY-INTERNAL", "CANARY-COST", "tokens", "usage"] {
            assert!(!file.contains(canary), "{format:?} holds {canary}");
        }
    }
}

#[test]
fn a_json_lines_file_holds_each_conversation_in_the_import_format() {
    let (file, messages) = render(header(Format::Jsonl));
    let mut lines = file.lines();
    assert!(is_manifest_line(lines.next().unwrap()));
    let back: Vec<Conversation> = lines.map(|l| serde_json::from_str(l).unwrap()).collect();
    let originals = conversations();
    assert_eq!(back.iter().map(|c| c.id.clone()).collect::<Vec<_>>(), exported_ids());
    for c in &back {
        let original = originals.iter().find(|o| o.id == c.id).unwrap();
        let shown: Vec<_> = original.exported_messages().cloned().collect();
        assert_eq!(c.messages, shown, "{}", c.id);
        assert_eq!(
            (&c.contact, &c.summary, c.started_at, c.ended_at),
            (&original.contact, &original.summary, original.started_at, original.ended_at)
        );
    }
    assert_eq!(back.iter().map(|c| c.messages.len() as u64).sum::<u64>(), messages);
}

#[test]
fn a_csv_file_has_one_row_a_message_and_no_formula() {
    let hostile = r#"{"id":"=cmd|' /C calc'!A0","assistant_id":"support-bot","channel":"api","started_at":"2026-11-21T10:00:00Z","ended_at":"2026-11-21T10:01:00Z","status":"completed","contact":{"name":"@SUM(1+1)","email":"+33 1 23"},"messages":[{"role":"user","content":"-2+3","at":"2026-11-21T10:00:00Z"},{"role":"assistant","content":"say \"hi\",\r\nthen =1+1","at":"2026-11-21T10:00:30Z"}]}"#;
    let mut renderer = ExportRenderer::new(header(Format::Csv));
    let mut body = String::new();
    renderer.push_page(&[serde_json::from_str(hostile).unwrap()], &mut body);
    renderer.push_page(&conversations(), &mut body);
    let parts = renderer.finish();
    let file = format!("{}{}{}", parts.head, body, parts.tail);
    assert!(manifest::verify(&file).is_ok());
    let records: Vec<&str> = csv_records(&file).map(|(_, r)| r).collect();
    // A header, one row a message (or one for a conversation without any), a manifest row.
    assert!(records.len() as u64 >= parts.messages + 2);
    for record in &records {
        assert!(record.ends_with("\r\n"), "{record:?}");
        for field in fields(record) {
            let formula = field.starts_with(['=', '+', '-', '@']);
            assert!(!formula, "a field reads as a formula: {field:?}");
        }
    }
    assert_eq!(fields(records[1])[0], "'=cmd|' /C calc'!A0");
    assert_eq!(fields(records[2])[11], "say \"hi\",\r\nthen =1+1");
    assert_eq!(records.iter().filter(|r| fields(r).len() != 12).count(), 0, "every row has twelve fields");
}

/// A record's fields, unquoted (a small RFC 4180 reader, for the test only).
fn fields(record: &str) -> Vec<String> {
    let record = record.strip_suffix("\r\n").unwrap_or(record);
    let (mut out, mut field, mut quoted, mut chars) = (Vec::new(), String::new(), false, record.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    out.push(field);
    out
}

#[test]
fn a_markdown_file_reads_as_written_and_its_structure_cannot_be_forged() {
    let (file, _) = render(header(Format::Markdown));
    assert!(manifest::verify(&file).is_ok());
    assert!(file.starts_with("---\ntitle: \"Conversations of Support Bot\"\n"));
    for tag in ["<script", "<img", "<iframe"] {
        for (at, _) in file.match_indices(tag) {
            assert_eq!(&file[at - 1..at], "\\", "raw HTML survives: {}", &file[at - 20..at + 20]);
        }
    }
    let headings = file.lines().filter(|l| l.starts_with("### ")).count();
    assert_eq!(headings, exported_ids().len());
    assert!(file.contains("> **Bold**") || file.contains("> # Refunds"), "the answer keeps its Markdown");
    assert!(file.contains("## Summary statistics"));
}

#[test]
fn an_edited_conversation_is_named_in_every_format() {
    for (format, needle, edit) in [
        (Format::Jsonl, "refund?", "refund? (edited)"),
        (Format::Csv, "refund?", "refund? (edited)"),
        (Format::Markdown, "refund?", "refund? (edited)"),
    ] {
        let (file, _) = render(header(format));
        let edited = file.replacen(needle, edit, 1);
        assert_ne!(edited, file);
        let findings = manifest::verify(&edited).unwrap_err();
        assert!(findings.iter().any(|f| matches!(f, Finding::ConversationEdited { id, .. } if id == "conv-1")), "{format:?}: {findings:?}");
    }
}

#[test]
fn a_removed_conversation_an_edited_header_and_an_edited_frame_are_named() {
    let (md, _) = render(header(Format::Markdown));
    let edited = md.replacen("- **Exported:**", "- **Exported (edited):**", 1);
    assert!(manifest::verify(&edited).unwrap_err().contains(&Finding::HeaderEdited));
    let edited = md.replacen("Times are in UTC.", "Times are in CET.", 1);
    assert!(manifest::verify(&edited).unwrap_err().contains(&Finding::FrameEdited));
    let edited = md.replacen("- **Conversations:**", "- **Conversations (edited):**", 1);
    assert!(manifest::verify(&edited).unwrap_err().contains(&Finding::StatisticsEdited));

    let (jsonl, _) = render(header(Format::Jsonl));
    let second = jsonl.lines().nth(2).unwrap();
    let removed = jsonl.replacen(&format!("{second}\n"), "", 1);
    let findings = manifest::verify(&removed).unwrap_err();
    assert!(findings.iter().any(|f| matches!(f, Finding::ConversationRemoved { .. })), "{findings:?}");
}

#[test]
fn redaction_applies_to_every_format() {
    let redaction = Redaction { emails: true, ..Redaction::default() };
    for format in [Format::Jsonl, Format::Csv, Format::Markdown] {
        let (file, _) = render(ExportHeader { redaction: redaction.clone(), ..header(format) });
        assert!(!file.contains("ana@example.com"), "{format:?}");
        let mask = if format == Format::Markdown { "\\[email\\]" } else { "[email]" };
        assert!(file.contains(mask), "{format:?}");
        let verified = manifest::verify(&file).unwrap();
        assert!(verified.manifest.redaction.is_some(), "{format:?}: the manifest says what was redacted");
    }
}

#[test]
fn an_empty_export_verifies_in_every_format() {
    for format in [Format::Jsonl, Format::Csv, Format::Markdown] {
        let parts = ExportRenderer::new(header(format)).finish();
        let file = format!("{}{}", parts.head, parts.tail);
        assert!(manifest::verify(&file).is_ok(), "{format:?}: {file}");
    }
    let _ = Role::User;
}
