//! Rendering throughput, with baselines measured in the same run: parsing the same
//! conversations from JSON Lines, and pulldown-cmark alone on the same messages; and
//! the same render with every redaction kind on, beside the plain one (goal: at most
//! 1.3× its time).
//!
//! `cargo bench -p convo-render` (set `MESSAGES=1000000` for a bigger run).

use convo_model::Conversation;
use convo_render::{ExportHeader, ExportRenderer};
use std::hint::black_box;
use std::time::Instant;

const PAGE: usize = 200;

fn main() {
    let messages: usize = std::env::var("MESSAGES").ok().and_then(|v| v.parse().ok()).unwrap_or(200_000);
    let spec = convo_demo::Spec {
        assistant_id: "bench-bot".into(),
        conversations: messages / 20,
        messages_per_conversation: 20,
        end: "2026-11-27T00:00:00Z".parse().unwrap(),
        span_days: 365,
        seed: 42,
    };
    let conversations: Vec<Conversation> = convo_demo::conversations(&spec).collect();
    let jsonl: Vec<String> = conversations.iter().map(convo_demo::import_line).collect();
    let input_bytes: usize = jsonl.iter().map(|l| l.len() + 1).sum();
    let total_messages: usize = conversations.iter().map(|c| c.messages.len()).sum();
    println!("input: {} conversations, {} messages, {:.1} MB of JSON Lines", conversations.len(), total_messages, input_bytes as f64 / 1e6);

    let report = |name: &str, secs: f64, out_bytes: usize| {
        println!(
            "{name:<34} {:>8.1} ms  {:>10.0} messages/s  {:>7.1} MB/s out",
            secs * 1e3,
            total_messages as f64 / secs,
            out_bytes as f64 / 1e6 / secs
        );
    };

    // Baseline 1: only parsing the input (what any exporter pays before rendering).
    let t = Instant::now();
    let mut parsed = 0usize;
    for line in &jsonl {
        let c: Conversation = serde_json::from_str(line).unwrap();
        parsed += c.messages.len();
    }
    black_box(parsed);
    report("baseline: serde_json parse", t.elapsed().as_secs_f64(), 0);

    // Baseline 2: pulldown-cmark's own HTML writer on every message, nothing else.
    let t = Instant::now();
    let mut out = String::new();
    let mut bytes = 0usize;
    for c in &conversations {
        for m in &c.messages {
            out.clear();
            pulldown_cmark::html::push_html(&mut out, pulldown_cmark::Parser::new(&m.content));
            bytes += out.len();
        }
    }
    report("baseline: pulldown-cmark alone", t.elapsed().as_secs_f64(), bytes);

    // The renderer, streaming in pages; the body buffer is drained after each page.
    let plain = ExportHeader::new("Bench Bot", Some("bench-bot".into()), spec.end, None);
    let t = Instant::now();
    let mut renderer = ExportRenderer::new(plain.clone());
    let mut body = String::new();
    let (mut written, mut largest_page) = (0usize, 0usize);
    for page in conversations.chunks(PAGE) {
        renderer.push_page(page, &mut body);
        largest_page = largest_page.max(body.capacity());
        written += body.len();
        black_box(&body);
        body.clear();
    }
    let parts = renderer.finish();
    written += parts.head.len() + parts.tail.len();
    let plain_secs = t.elapsed().as_secs_f64();
    report("convo-render (streamed)", plain_secs, written);

    // The same with every kind masked, two names and pseudonyms.
    let redaction = convo_model::Redaction {
        names: vec!["Ana Souza".into(), "Kenji Watanabe".into()],
        contacts: convo_model::Contacts::Pseudonyms,
        ..convo_model::Redaction::default().with_kinds("emails,phones,cards,ibans,ips").unwrap()
    };
    let t = Instant::now();
    let mut renderer = ExportRenderer::new(ExportHeader { redaction, ..plain });
    let mut redacted_bytes = 0usize;
    for page in conversations.chunks(PAGE) {
        renderer.push_page(page, &mut body);
        redacted_bytes += body.len();
        black_box(&body);
        body.clear();
    }
    let masked = renderer.redacted().total();
    let parts = renderer.finish();
    redacted_bytes += parts.head.len() + parts.tail.len();
    let redacted_secs = t.elapsed().as_secs_f64();
    report("convo-render, redacted", redacted_secs, redacted_bytes);
    println!("redaction: {masked} matches masked, {:.2}x the plain render (goal at most 1.3x)", redacted_secs / plain_secs);
    println!(
        "export: {:.1} MB; largest page buffer {:.2} MB for {PAGE} conversations (memory stays bounded by one page)",
        written as f64 / 1e6,
        largest_page as f64 / 1e6
    );
}
