//! Past the first 10,000 messages all of a conversation but its heading stands in a
//! `<noscript class="lazy">` (page.rs): the exact place they start, content that tries
//! to close the wrapper early staying text, and `verify` covering the lazy lists as it
//! covers the rest.

use convo_model::{Conversation, ConversationStatus, Message, Role};
use convo_render::manifest::{self, Finding};
use convo_render::{ExportHeader, render_to_string};

/// 700 demo conversations of sixteen messages, then one whose messages try to break out
/// of the wrapper.
fn conversations() -> Vec<Conversation> {
    let spec = convo_demo::Spec {
        assistant_id: "bot".into(),
        conversations: 700,
        messages_per_conversation: 16,
        end: "2026-11-27T00:00:00Z".parse().unwrap(),
        span_days: 30,
        seed: 7,
    };
    let mut all: Vec<Conversation> = convo_demo::conversations(&spec).filter(|c| c.status == ConversationStatus::Completed).collect();
    let mut hostile = all[0].clone();
    hostile.id = "hostile".into();
    hostile.summary = Some("</noscript><b>summary</b>".into());
    hostile.messages = vec![
        Message { role: Role::User, content: "</noscript><script>alert(1)</script>".into(), at: hostile.started_at },
        Message {
            role: Role::Assistant,
            content: "```\n</noscript><img src=x onerror=alert(1)>\n```\n</noscript>".into(),
            at: hostile.started_at,
        },
    ];
    all.push(hostile);
    all
}

fn render(conversations: &[Conversation]) -> String {
    render_to_string(ExportHeader::new("Bot", Some("bot".into()), "2026-11-27T12:00:00Z".parse().unwrap(), None), conversations)
}

/// Each article of the page, in order.
fn articles(html: &str) -> Vec<&str> {
    html.split("<article class=\"conv\"").skip(1).map(|a| &a[..a.find("</article>").unwrap()]).collect()
}

#[test]
fn conversations_wait_in_a_noscript_from_the_first_after_10000_messages() {
    let conversations = conversations();
    let html = render(&conversations);
    let articles = articles(&html);
    assert_eq!(articles.len(), conversations.len());
    let mut before = 0;
    let mut lazy = 0;
    for (a, c) in articles.iter().zip(&conversations) {
        let wrapped = a.contains("</h2><noscript class=\"lazy\"><dl class=\"meta\">") && a.ends_with("</ol></noscript>");
        assert_eq!(wrapped, before >= 10_000, "{} after {before} messages", c.id);
        assert_eq!(a.matches("<noscript").count(), usize::from(wrapped), "{}", c.id);
        lazy += usize::from(wrapped);
        before += c.messages.len();
    }
    assert!(lazy > 40, "{lazy} lazy lists");
}

#[test]
fn content_never_closes_a_lazy_list_early() {
    let html = render(&conversations());
    let hostile = articles(&html).into_iter().find(|a| a.contains("id=\"c-hostile\"")).unwrap();
    // One closing tag, the wrapper's own, at its very end: the rest is text.
    assert_eq!(hostile.matches("</noscript").count(), 1, "{hostile}");
    assert!(hostile.ends_with("</ol></noscript>"));
    assert!(hostile.contains("&lt;/noscript&gt;&lt;script&gt;alert(1)&lt;/script&gt;"), "{hostile}");
    assert!(hostile.contains("&lt;/noscript&gt;&lt;b&gt;summary"), "{hostile}");
    assert!(!hostile.contains("<script") && !hostile.contains("<img"), "{hostile}");
}

#[test]
fn verify_covers_the_lazy_lists_as_every_other() {
    let html = render(&conversations());
    assert!(manifest::verify(&html).is_ok());
    // A message of the last lazy list edited.
    let at = html.find("<article class=\"conv\" id=\"c-hostile\"").unwrap();
    assert!(html[at..].contains("<noscript class=\"lazy\">"));
    let edited =
        format!("{}{}", &html[..at], html[at..].replacen("<div class=\"mb\" dir=\"auto\">", "<div class=\"mb\" dir=\"auto\">Edited. ", 1));
    let findings = manifest::verify(&edited).err().unwrap_or_default();
    assert!(findings.iter().any(|f| matches!(f, Finding::ConversationEdited { id, .. } if id == "hostile")), "{findings:?}");
}
