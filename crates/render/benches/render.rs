//! Rendering throughput, with baselines measured in the same run: parsing the same
//! conversations from JSON Lines, and pulldown-cmark alone on the same messages; and
//! the same render with every redaction kind on, two listed names and pseudonyms,
//! beside the plain render of the same text (goal: at most 1.3× its time), on two
//! densities of personal data:
//!
//! - *typical*: one message in twenty carries one value (an email, a phone, a valid
//!   card, an IBAN, an IPv4 or IPv6 address, or a look-alike that must stay);
//! - *dense*: one message in ten carries all six kinds and two look-alikes.
//!
//! `cargo bench -p convo-render` (set `MESSAGES=1000000` for a bigger run).

use convo_model::{Contacts, Conversation, Redaction};
use convo_render::{ExportHeader, ExportRenderer};
use std::hint::black_box;
use std::time::Instant;

const PAGE: usize = 200;
/// Runs of each redaction figure; the fastest is shown.
const ROUNDS: usize = 5;
/// One value a message, in turn (the last a card number that fails Luhn).
const TYPICAL: [&str; 7] = [
    " Reach me at ana.souza@example.org.",
    " Call me on +49 30 1234 5678 after five.",
    " My card is 4111 1111 1111 1111.",
    " Refund to DE89 3704 0044 0532 0130 00 please.",
    " It says blocked from 192.168.10.20.",
    " The router shows 2001:db8::7 now.",
    " Order 4111 1111 1111 1112 is late.",
];
const DENSE: &str = " Reach me at ana.souza@example.org or +49 30 1234 5678, card 4111 1111 1111 1111, \
IBAN DE89 3704 0044 0532 0130 00, from 192.168.10.20 or 2001:db8::7. Order 4111 1111 1111 1112 is not a card.";

/// The demo conversations with personal data planted in every `every`th message.
fn planted(base: &[Conversation], every: usize, text: impl Fn(usize) -> &'static str) -> Vec<Conversation> {
    let mut n = 0;
    base.iter()
        .map(|c| {
            let mut c = c.clone();
            for m in &mut c.messages {
                n += 1;
                if n % every == 3 {
                    m.content.push_str(text(n / every));
                }
            }
            c
        })
        .collect()
}

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
    let base: Vec<Conversation> = convo_demo::conversations(&spec).collect();
    let jsonl: Vec<String> = base.iter().map(convo_demo::import_line).collect();
    let input_bytes: usize = jsonl.iter().map(|l| l.len() + 1).sum();
    let total_messages: usize = base.iter().map(|c| c.messages.len()).sum();
    println!("input: {} conversations, {} messages, {:.1} MB of JSON Lines", base.len(), total_messages, input_bytes as f64 / 1e6);

    let report = |name: &str, secs: f64, out_bytes: usize| {
        println!(
            "{name:<40} {:>8.1} ms  {:>10.0} messages/s  {:>7.1} MB/s out",
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
    for c in &base {
        for m in &c.messages {
            out.clear();
            pulldown_cmark::html::push_html(&mut out, pulldown_cmark::Parser::new(&m.content));
            bytes += out.len();
        }
    }
    report("baseline: pulldown-cmark alone", t.elapsed().as_secs_f64(), bytes);

    // The renderer, streaming in pages; the body buffer is drained after each page.
    let plain = ExportHeader::new("Bench Bot", Some("bench-bot".into()), spec.end, None);
    let render = |header: ExportHeader, conversations: &[Conversation]| {
        let t = Instant::now();
        let mut renderer = ExportRenderer::new(header);
        let mut body = String::new();
        let (mut written, mut largest_page) = (0usize, 0usize);
        for page in conversations.chunks(PAGE) {
            renderer.push_page(page, &mut body);
            largest_page = largest_page.max(body.capacity());
            written += body.len();
            black_box(&body);
            body.clear();
        }
        let masked = renderer.redacted().total();
        let parts = renderer.finish();
        written += parts.head.len() + parts.tail.len();
        (t.elapsed().as_secs_f64(), written, largest_page, masked)
    };
    let (secs, written, largest_page, _) = render(plain.clone(), &base);
    report("convo-render (streamed)", secs, written);

    // Every kind masked, two names and pseudonyms, beside the plain render of the same
    // planted text; and the masking alone.
    let redaction = Redaction {
        names: vec!["Ana Souza".into(), "Kenji Watanabe".into()],
        contacts: Contacts::Pseudonyms,
        ..Redaction::default().with_kinds("emails,phones,cards,ibans,ips").unwrap()
    };
    for (density, conversations) in
        [("typical", planted(&base, 20, |k| TYPICAL[k % TYPICAL.len()])), ("dense", planted(&base, 10, |_| DENSE))]
    {
        // This machine's neighbours make single runs swing by half: each figure is the
        // fastest of ROUNDS, plain and redacted taking turns.
        let redacted = ExportHeader { redaction: redaction.clone(), ..plain.clone() };
        let (mut plain_secs, mut secs, mut alone) = (f64::MAX, f64::MAX, f64::MAX);
        let (mut written, mut masked) = (0, 0);
        for _ in 0..ROUNDS {
            let (s, w, _, _) = render(plain.clone(), &conversations);
            (plain_secs, written) = (plain_secs.min(s), w);
            let t = Instant::now();
            let mut redactor = convo_render::redact::Redactor::new(&redaction);
            for c in &conversations {
                black_box(redactor.conversation(c));
            }
            alone = alone.min(t.elapsed().as_secs_f64());
            let (s, _, _, m) = render(redacted.clone(), &conversations);
            (secs, masked) = (secs.min(s), m);
        }
        report(&format!("{density}: convo-render, plain"), plain_secs, written);
        report(&format!("{density}: redaction alone (no render)"), alone, 0);
        report(&format!("{density}: convo-render, redacted"), secs, written);
        println!("{density}: {masked} matches masked, the redacted render {:.2}x the plain one (goal at most 1.3x)", secs / plain_secs);
    }
    println!(
        "export: {:.1} MB; largest page buffer {:.2} MB for {PAGE} conversations (memory stays bounded by one page)",
        written as f64 / 1e6,
        largest_page as f64 / 1e6
    );
}
