//! Hostile conversations: the export parses into a document whose only script is ours,
//! with no event handler, no loaded resource, no dangerous link, and no internal field.
#![cfg(not(target_arch = "wasm32"))]

use convo_model::{Conversation, TimeRange};
use convo_render::{ExportHeader, render_to_string};
use scraper::{Html, Selector};

fn render(jsonl: &str, range: Option<TimeRange>) -> String {
    let conversations: Vec<Conversation> = jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    render_to_string(
        ExportHeader::new("<script>alert(1)</script>", Some("support-bot".into()), "2026-11-27T12:00:00Z".parse().unwrap(), range),
        &conversations,
    )
}

fn fixture() -> String {
    render(include_str!("fixtures/conversations.jsonl"), None)
}

fn select<'a>(doc: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    doc.select(&Selector::parse(css).unwrap()).collect()
}

#[test]
fn only_our_script_and_no_handlers() {
    let html = fixture();
    let doc = Html::parse_document(&html);
    assert_eq!(select(&doc, "script:not([type])").len(), 1, "exactly one script that runs");
    let data: Vec<_> = select(&doc, "script[type]");
    assert_eq!(data.len(), 1, "and the manifest, which is data");
    assert_eq!(data[0].value().attr("type"), Some("application/json"));
    assert_eq!(select(&doc, "style").len(), 1);
    for el in select(&doc, "*") {
        for (name, value) in el.value().attrs() {
            assert!(!name.starts_with("on"), "event handler {name}={value}");
            assert_ne!(name, "style", "style attributes are refused by the CSP");
            assert!(!value.to_ascii_lowercase().contains("javascript:"), "{name}={value}");
        }
    }
    for forbidden in ["img", "iframe", "object", "embed", "link", "svg script", "base", "form[action]", "meta[http-equiv=refresh]"] {
        assert!(select(&doc, forbidden).is_empty(), "found <{forbidden}>");
    }
}

#[test]
fn links_are_http_https_or_mailto_and_never_leak_the_referrer() {
    let html = fixture();
    let doc = Html::parse_document(&html);
    let links = select(&doc, "a[href]");
    assert!(links.len() >= 3);
    for a in links {
        let href = a.value().attr("href").unwrap();
        if href.starts_with('#') {
            continue;
        }
        assert!(href.starts_with("https://") || href.starts_with("http://") || href.starts_with("mailto:"), "{href}");
        assert_eq!(a.value().attr("rel"), Some("noopener noreferrer nofollow"), "{href}");
    }
    // The image became a link with its alt text, and was not loaded.
    assert!(html.contains("href=\"https://tracker.example/p.gif\" class=\"img\""));
    assert!(html.contains("tracking pixel</a>"));
    // Unsafe links keep their text only.
    assert!(html.contains(">docs</a> bad data"), "{}", &html[html.find("docs").unwrap() - 200..][..400]);
}

#[test]
fn csp_allows_exactly_our_inline_style_and_script() {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    let html = fixture();
    let doc = Html::parse_document(&html);
    let csp = select(&doc, "meta[http-equiv=Content-Security-Policy]")[0].value().attr("content").unwrap().to_string();
    let hash = |s: &str| format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(s)));
    let script: String = select(&doc, "script")[0].text().collect();
    let style: String = select(&doc, "style")[0].text().collect();
    assert!(csp.starts_with("default-src 'none';"), "{csp}");
    assert!(csp.contains(&format!("script-src {}", hash(&script))), "{csp}");
    assert!(csp.contains(&format!("style-src {}", hash(&style))), "{csp}");
    assert!(!csp.contains("unsafe"), "{csp}");
}

#[test]
fn hostile_strings_are_text() {
    let html = fixture();
    let doc = Html::parse_document(&html);
    let text: String = doc.root_element().text().collect();
    for shown in [
        "<script>alert('xss')</script>",
        "<img src=x onerror=alert(1)>",
        "\"><svg onload=alert(1)>@x.io",
        "Summary with <b>tags</b> &amp; entities",
        "<script>alert(1)</script>",
    ] {
        assert!(text.contains(shown), "{shown} should be shown as text");
    }
    assert!(!html.contains('\0'));
    assert!(html.contains("\u{FFFD}nul \u{FFFD} bell"));
}

#[test]
fn internal_fields_and_other_conversations_never_appear() {
    let html = fixture();
    for canary in [
        "CANARY-SYSTEM-PROMPT",
        "CANARY-TOOL-OUTPUT",
        "CANARY-MODEL",
        "CANARY-INTERNAL-NOTE",
        "CANARY-COST",
        "CANARY-ACTIVE-CONVERSATION",
        "CANARY-OTHER-ASSISTANT",
        "prompt_tokens",
        "0.0042",
    ] {
        assert!(!html.contains(canary), "{canary} leaked");
    }
}

#[test]
fn statistics_count_what_is_exported() {
    let html = fixture();
    let doc = Html::parse_document(&html);
    let card = |label: &str| -> String {
        select(&doc, ".cards > div")
            .into_iter()
            .find(|d| d.select(&Selector::parse("dt").unwrap()).next().unwrap().text().collect::<String>() == label)
            .map(|d| d.select(&Selector::parse("dd").unwrap()).next().unwrap().text().collect())
            .unwrap_or_else(|| panic!("no card {label}"))
    };
    assert_eq!(card("Conversations"), "5");
    assert_eq!(card("Messages"), "9 5 by contacts, 4 by the assistant");
    // Ana twice (email differs only in case), Mariam, the Gmail address; conv-3 anonymous.
    assert_eq!(card("Contacts"), "3 and 1 anonymous");
    assert_eq!(card("Messages per conversation"), "1.8 average, 3 at most");
    assert_eq!(card("Busiest day"), "2026-11-20 1 conversation");
    assert_eq!(select(&doc, "article.conv").len(), 5);
    assert_eq!(select(&doc, ".chart rect").len(), 5);
    let channels: Vec<String> = select(&doc, ".channels tbody th").iter().map(|t| t.text().collect()).collect();
    assert_eq!(channels, ["API", "Gmail", "Instagram DM", "Telegram", "Website Widget"]);
}

#[test]
fn range_filters_and_an_empty_export_says_so() {
    let range = TimeRange { from: "2025-01-01T00:00:00Z".parse().unwrap(), to: "2025-01-31T00:00:00Z".parse().unwrap() };
    let html = render(include_str!("fixtures/conversations.jsonl"), Some(range));
    let doc = Html::parse_document(&html);
    assert!(select(&doc, "article").is_empty());
    assert!(html.contains("No completed conversations started in this time range."));
    assert!(html.contains("(last 30 days)"));
}

#[test]
fn times_are_utc_and_machine_readable() {
    let html = fixture();
    let doc = Html::parse_document(&html);
    let times = select(&doc, "time");
    assert!(times.len() > 20);
    for t in times {
        let dt = t.value().attr("datetime").unwrap();
        assert!(dt.ends_with('Z') && dt.len() == 20, "{dt}");
        assert!(t.text().collect::<String>().ends_with(" UTC"));
    }
    // 22:30+02:00 is 20:30 UTC.
    assert!(html.contains("<time datetime=\"2026-11-21T20:30:00Z\">2026-11-21 20:30 UTC</time>"));
}

#[test]
fn text_direction_is_automatic() {
    let html = fixture();
    let doc = Html::parse_document(&html);
    for body in select(&doc, ".mb") {
        assert_eq!(body.value().attr("dir"), Some("auto"));
    }
    assert!(html.contains("<bdi>مريم الأحمد</bdi>"));
}

#[test]
fn markdown_is_rendered_with_demoted_headings_and_no_styles() {
    let html = fixture();
    assert!(html.contains("<h4>Refunds</h4>"));
    assert!(html.contains("<strong>Orders</strong>"));
    assert!(html.contains("<table>"));
    assert!(html.contains("<code class=\"language-rust\">fn main() { println!(\"&lt;b&gt;hi&lt;/b&gt;\"); }"));
    assert!(html.contains("<blockquote>"));
}

#[test]
fn a_hostile_conversation_id_makes_a_valid_anchor_and_links_to_it() {
    let id = "c 1\"><img src=x>%é/#";
    let line = serde_json::json!({
        "id": id, "assistant_id": "support-bot", "channel": "web", "started_at": "2026-11-20T10:00:00Z",
        "ended_at": "2026-11-20T10:05:00Z", "status": "completed",
        "messages": [{"role": "user", "content": "hi", "at": "2026-11-20T10:00:00Z"}, {"role": "assistant", "content": "hello", "at": "2026-11-20T10:01:00Z"}]
    });
    let html = render(&line.to_string(), None);
    let doc = Html::parse_document(&html);
    let anchor = "c-c%201%22%3E%3Cimg%20src%3Dx%3E%25%C3%A9%2F%23";
    assert_eq!(select(&doc, "article.conv")[0].value().id(), Some(anchor));
    assert_eq!(select(&doc, "li.m")[1].value().id(), Some(format!("{anchor}-m2").as_str()));
    let links: Vec<&str> = select(&doc, "article a[href^='#']").iter().filter_map(|a| a.value().attr("href")).collect();
    assert_eq!(links, [format!("#{anchor}"), format!("#{anchor}-m1"), format!("#{anchor}-m2")]);
    assert!(select(&doc, "img").is_empty());
}
