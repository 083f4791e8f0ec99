//! A renderer that leaves its conversations' hashing to another thread makes the same
//! file, byte for byte, as one that hashes them itself: in every format, with
//! redaction, with lazy conversations, however the body is cut into parts.

use convo_model::{Conversation, ConversationStatus, Format, Redaction, TimeRange};
use convo_render::digests::{DigestsError, SpanHasher};
use convo_render::{ExportHeader, ExportRenderer};

const FIXTURE: &str = include_str!("fixtures/conversations.jsonl");

fn conversations() -> Vec<Conversation> {
    let mut all: Vec<Conversation> = FIXTURE.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let spec = |conversations, messages_per_conversation| convo_demo::Spec {
        assistant_id: "support-bot".into(),
        conversations,
        messages_per_conversation,
        end: "2026-11-27T00:00:00Z".parse().unwrap(),
        span_days: 20,
        seed: 7,
    };
    all.extend(convo_demo::conversations(&spec(300, 12)));
    // Past `page::BUILT_MESSAGES`: a lazy conversation, bigger than most parts.
    all.extend(convo_demo::conversations(&spec(2, 10_400)).filter(|c| c.status == ConversationStatus::Completed));
    all
}

fn header(format: Format, redaction: Redaction) -> ExportHeader {
    let range = TimeRange { from: "2026-10-28T12:00:00Z".parse().unwrap(), to: "2026-11-27T12:00:00Z".parse().unwrap() };
    ExportHeader {
        export_id: Some("e-1".into()),
        format,
        redaction,
        ..ExportHeader::new("Support Bot", Some("support-bot".into()), range.to, Some(range))
    }
}

fn hashed_here(header: ExportHeader, all: &[Conversation]) -> Vec<u8> {
    let mut renderer = ExportRenderer::new(header);
    let mut body = String::new();
    for page in all.chunks(37) {
        renderer.push_page(page, &mut body);
    }
    let parts = renderer.finish();
    [parts.head, body, parts.tail].concat().into_bytes()
}

/// As the browser's export worker runs: pages pushed, spans taken, the body drained
/// into parts of `part` bytes that another hasher is fed in order, the rest at the end.
fn hashed_elsewhere(header: ExportHeader, all: &[Conversation], part: usize) -> Vec<u8> {
    let mut renderer = ExportRenderer::hashing_elsewhere(header);
    let (mut hasher, mut body, mut pending, mut sent) = (SpanHasher::new(), String::new(), Vec::new(), Vec::new());
    for page in all.chunks(37) {
        renderer.push_page(page, &mut body);
        hasher.expect(renderer.take_spans((sent.len() + pending.len()) as u64));
        pending.extend_from_slice(body.as_bytes());
        body.clear();
        while pending.len() >= part {
            let rest = pending.split_off(part);
            hasher.feed(&pending);
            sent.extend_from_slice(&pending);
            pending = rest;
        }
    }
    hasher.feed(&pending);
    let digests = hasher.finish().unwrap();
    let parts = renderer.finish_with_digests(&digests).unwrap();
    [parts.head.into_bytes(), sent, pending, parts.tail.into_bytes()].concat()
}

#[test]
fn a_file_hashed_elsewhere_is_the_file_hashed_here_in_every_format_and_cut() {
    let all = conversations();
    let masked = Redaction { emails: true, phones: true, names: vec!["Ana Souza".into()], ..Redaction::default() };
    for format in [Format::Html, Format::Jsonl, Format::Csv, Format::Markdown] {
        for redaction in [Redaction::default(), masked.clone()] {
            let want = hashed_here(header(format, redaction.clone()), &all);
            for part in [1_000, 65_536, 4 << 20] {
                let got = hashed_elsewhere(header(format, redaction.clone()), &all, part);
                assert!(got == want, "{format:?}, redacted: {}, parts of {part} bytes: the files differ", !redaction.is_empty());
            }
        }
    }
}

#[test]
fn digests_of_the_wrong_count_or_for_a_renderer_that_hashes_are_refused() {
    let all = conversations();
    let mut renderer = ExportRenderer::hashing_elsewhere(header(Format::Html, Redaction::default()));
    let mut body = String::new();
    renderer.push_page(&all[..5], &mut body);
    let spans = renderer.take_spans(0);
    assert_eq!(spans.len(), renderer.conversations() as usize);
    let wrong = vec![[0u8; 32]; spans.len() + 1];
    assert!(matches!(renderer.finish_with_digests(&wrong), Err(DigestsError::Count { .. })));
    let mut here = ExportRenderer::new(header(Format::Html, Redaction::default()));
    here.push_page(&all[..5], &mut body);
    assert!(here.take_spans(0).is_empty());
    assert_eq!(here.finish_with_digests(&[]).err(), Some(DigestsError::HashedHere));
}
