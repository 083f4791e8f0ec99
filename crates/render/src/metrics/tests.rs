//! Every metric against figures worked out by hand for small exports, and the empty,
//! one-message and active-only cases.

use super::*;
use convo_model::{Channel, ConversationStatus, Message};

fn at(minute: i64, second: i64) -> Timestamp {
    "2026-11-23T09:00:00Z".parse::<Timestamp>().unwrap() + chrono::Duration::seconds(minute * 60 + second)
}

fn conversation(messages: &[(Role, i64, i64, &str)], ended_after: Option<i64>) -> Conversation {
    Conversation {
        id: "c".into(),
        assistant_id: "a".into(),
        channel: Channel::parse("web"),
        contact: None,
        started_at: at(0, 0),
        ended_at: ended_after.map(|s| at(0, s)),
        status: ConversationStatus::Completed,
        summary: None,
        messages: messages.iter().map(|&(role, m, s, text)| Message { role, content: text.into(), at: at(m, s) }).collect(),
    }
}

fn figures(m: &Metrics) -> Vec<(String, String, String)> {
    m.figures(None).into_iter().map(|(l, v, n)| (l.to_string(), v, n)).collect()
}

#[test]
fn response_times_and_lengths_match_a_hand_count() {
    use Role::{Assistant as A, User as U};
    let mut m = Metrics::default();
    // First response 30 s; answers 30 s, then 2 min after the first of two questions.
    m.add(
        &conversation(&[(U, 0, 0, "refund"), (A, 0, 30, "ok"), (U, 1, 0, "and"), (U, 2, 0, "refund?"), (A, 3, 0, "done")], Some(200)),
        TimeZone::UTC,
    );
    // First response 10 s, one answer; an assistant greeting first answers nothing.
    m.add(&conversation(&[(A, 0, 0, "hi"), (U, 0, 5, "parcel"), (A, 0, 15, "here")], Some(20)), TimeZone::UTC);
    // No answer at all: no response figure, but a length.
    m.add(&conversation(&[(U, 0, 0, "hello?")], Some(50)), TimeZone::UTC);
    let f = figures(&m);
    // First responses 10 s, 30 s: median (rank 1) 10 s, p90 (rank 2) 30 s.
    assert_eq!(f[0], ("First response".into(), "10 s".into(), "median; 90th percentile 30 s, over 2 conversations".into()));
    // Answers 10 s, 30 s, 120 s: median 30 s, p90 (rank 3) 2 min.
    assert_eq!(f[1], ("Response time".into(), "30 s".into(), "median; 90th percentile 2 min 00 s, over 3 answers".into()));
    // Lengths 20, 50, 200 s.
    assert_eq!(
        f[2],
        ("Conversation length (median)".into(), "50 s".into(), "median; 90th percentile 3 min 20 s, over 3 conversations".into())
    );
    // Monday 09:00 UTC: five contact messages.
    assert_eq!(m.heat[0][9], 5);
    assert_eq!(m.terms.top(2), [("refund", 2), ("parcel", 1)]);
}

#[test]
fn empty_and_one_message_exports_show_no_made_up_figures() {
    let m = Metrics::default();
    assert!(m.figures(None).is_empty());
    let mut html = String::new();
    m.push_html(&mut html, TimeZone::UTC);
    assert_eq!(html, "", "no table and no terms without contact messages");
    let mut one = Metrics::default();
    one.add(&conversation(&[(Role::User, 0, 0, "shipping")], None), TimeZone::UTC);
    assert!(one.figures(None).is_empty(), "no answer, no end: nothing to time");
    one.push_html(&mut html, TimeZone::UTC);
    assert!(html.contains("<td class=\"h4\">1</td>") && html.contains("shipping"));
}

#[test]
fn hours_of_the_week_are_those_of_the_exports_zone() {
    let mut m = Metrics::default();
    // Monday 09:00 UTC is Monday 18:00 in Tokyo and Monday 04:00 in New York.
    m.add(&conversation(&[(Role::User, 0, 0, "x")], None), "Asia/Tokyo".parse().unwrap());
    m.add(&conversation(&[(Role::User, 0, 0, "x")], None), "America/New_York".parse().unwrap());
    assert_eq!((m.heat[0][18], m.heat[0][4]), (1, 1));
}

#[test]
fn an_export_of_active_conversations_only_shows_no_metrics() {
    let mut active = conversation(&[(Role::User, 0, 0, "refund please"), (Role::Assistant, 0, 30, "sure")], Some(60));
    active.status = ConversationStatus::Active;
    let header = crate::ExportHeader::new("Bot", None, at(10, 0), None);
    let html = crate::render_to_string(header, &[active]);
    for absent in ["First response", "Response time", "hour of the week", "What contacts write about", "refund"] {
        assert!(!html.contains(absent), "{absent}");
    }
    // The same conversation completed is timed and counted.
    let header = crate::ExportHeader::new("Bot", None, at(10, 0), None);
    let html = crate::render_to_string(
        header,
        &[conversation(&[(Role::User, 0, 0, "refund please"), (Role::Assistant, 0, 30, "sure")], Some(60))],
    );
    assert!(html.contains("<dt>First response</dt><dd>30 s") && html.contains("<bdi>refund</bdi>"));
}
