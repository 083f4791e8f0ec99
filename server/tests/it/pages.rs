//! Conversation pages: scoped to the account, covering a range once in a stable order,
//! cut by conversations, messages and bytes, and their parameters validated.

use crate::{error_of, json_of};
use convo_testkit::{ALICE, BOB, Db, TestApp, on_both_databases};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_databases!(
    assistants_and_pages_are_scoped_to_the_account,
    pages_cover_the_range_once_in_a_stable_order,
    pages_are_cut_by_conversations_messages_and_bytes,
    page_parameters_are_validated,
);

async fn assistants_and_pages_are_scoped_to_the_account(db: Db) {
    let app = TestApp::start(db).await;
    let seeded = app.seed(5).await;
    let alice = app.login(ALICE).await;
    let bob = app.login(BOB).await;
    let (_, body) = json_of(alice.get(app.url("/api/assistants")).send().await.unwrap()).await;
    let ids: Vec<&str> = body["assistants"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["sales-bot", "support-bot"]);
    assert_eq!(body["assistants"][0].as_object().unwrap().len(), 2, "only id and name: {body}");
    let (_, body) = json_of(bob.get(app.url("/api/assistants")).send().await.unwrap()).await;
    assert_eq!(body["assistants"][0]["id"], seeded.bob_assistant);

    // Another account's assistant is a 404, exactly like one that does not exist.
    for who in ["bobs-bot", "no-such-bot"] {
        let (status, body) = json_of(alice.get(app.url(&format!("/api/assistants/{who}/conversations"))).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(error_of(&body), "no such assistant");
        let (status, _) =
            json_of(alice.post(app.url("/api/exports")).json(&json!({"assistant_id": who, "days": 7})).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) =
            json_of(alice.get(app.url(&format!("/api/exports/preview?assistant_id={who}&days=7"))).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

/// Every page of the range; `extra` is more of the query (`&messages=100`).
async fn fetch_all_pages(
    app: &TestApp,
    client: &reqwest::Client,
    assistant: &str,
    from: &str,
    to: &str,
    extra: &str,
) -> (Vec<Value>, usize, Value) {
    let mut cursor: Option<String> = None;
    let mut all = Vec::new();
    let mut pages = 0;
    let mut totals = Value::Null;
    loop {
        let mut url = format!("/api/assistants/{assistant}/conversations?from={from}&to={to}{extra}");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let response = client.get(app.url(&url)).send().await.unwrap();
        let header = response.headers().get("next-cursor").map(|v| v.to_str().unwrap().to_string());
        let (status, body) = json_of(response).await;
        assert_eq!(status, 200, "{body}");
        // The next cursor comes first as a header (empty on the last page).
        assert_eq!(header.as_deref(), Some(body["next_cursor"].as_str().unwrap_or("")));
        if pages == 0 {
            totals = body["totals"].clone();
        } else {
            assert!(body.get("totals").is_none(), "totals only on the first page");
        }
        pages += 1;
        all.extend(body["conversations"].as_array().unwrap().iter().cloned());
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    (all, pages, totals)
}

async fn pages_cover_the_range_once_in_a_stable_order(db: Db) {
    let settings = convo_server::settings::Settings {
        page: convo_server::store::PageLimits { conversations: 50, messages: 40, bytes: 1 << 20 },
        ..Default::default()
    };
    let app = TestApp::start_with(db, settings).await;
    app.seed(120).await;
    let alice = app.login(ALICE).await;
    let (from, to) = ("2026-10-28T12:00:00Z", "2026-11-27T12:00:00Z");
    let (all, pages, totals) = fetch_all_pages(&app, &alice, "support-bot", from, to, "").await;

    // What the generator made: completed conversations of support-bot that started in range.
    let spec = convo_demo::Spec {
        assistant_id: "support-bot".into(),
        conversations: 120,
        messages_per_conversation: 6,
        end: convo_testkit::START.parse().unwrap(),
        span_days: 60,
        seed: 1,
    };
    let range = convo_model::TimeRange { from: from.parse().unwrap(), to: to.parse().unwrap() };
    let expected: Vec<convo_model::Conversation> = convo_demo::conversations(&spec)
        .filter(|c| c.status == convo_model::ConversationStatus::Completed && range.contains(c.started_at))
        .map(|mut c| {
            c.messages.retain(|m| m.role.is_exported());
            c
        })
        .collect();
    assert!(expected.len() > 40);
    let got: Vec<convo_model::Conversation> = all.iter().map(|v| serde_json::from_value(v.clone()).unwrap()).collect();
    assert_eq!(got, expected, "every conversation once, oldest first, with its messages in order");
    assert_eq!(totals["conversations"], expected.len());
    assert_eq!(totals["messages"], expected.iter().map(|c| c.messages.len()).sum::<usize>());
    // 40 messages a page at most (6 each): bounded by messages, not only conversations.
    assert!(pages >= expected.len() * 6 / 40, "{pages} pages");

    // The Conversations page lists newest first, a few at a time.
    let url = format!("/api/assistants/support-bot/conversations?from={from}&to={to}&order=newest&limit=5");
    let (_, newest) = json_of(alice.get(app.url(&url)).send().await.unwrap()).await;
    let ids: Vec<&str> = newest["conversations"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    let want: Vec<&str> = expected.iter().rev().take(5).map(|c| c.id.as_str()).collect();
    assert_eq!(ids, want);
    let next = newest["next_cursor"].as_str().unwrap();
    let (_, after) = json_of(alice.get(app.url(&format!("{url}&cursor={next}"))).send().await.unwrap()).await;
    assert_eq!(after["conversations"][0]["id"], expected[expected.len() - 6].id.as_str());

    // An export's range is fixed: fetching its pages again gives the same result.
    let (again, _, _) = fetch_all_pages(&app, &alice, "support-bot", from, to, "").await;
    assert_eq!(again, all);

    // Exports ask for bigger pages: the same conversations in fewer requests.
    let (big, big_pages, _) = fetch_all_pages(&app, &alice, "support-bot", from, to, "&messages=120").await;
    assert_eq!(big, all);
    assert!(big_pages < pages && big_pages >= expected.len() * 6 / 120, "{big_pages} pages of 120 messages, {pages} of 40");
}

/// Every page of `range` in one order, as the store cuts them.
async fn store_pages(
    app: &TestApp,
    range: convo_model::TimeRange,
    limits: convo_server::store::PageLimits,
    newest_first: bool,
) -> Vec<Vec<convo_model::Conversation>> {
    let store = &app.state.store;
    let assistant = store.assistant_by_public_id("support-bot").await.unwrap().unwrap();
    let mut pages = Vec::new();
    let mut cursor = None;
    loop {
        let filters = convo_model::ExportFilters::default();
        let scope = convo_server::store::Scope { assistant: &assistant, range, filters: &filters };
        let page = store.stored_page(scope, cursor, limits, newest_first).await.unwrap();
        pages.push(page.conversations.into_iter().map(|c| convo_server::store::parse_stored(c).unwrap()).collect());
        match page.next {
            Some(next) => cursor = Some(next),
            None => return pages,
        }
    }
}

async fn pages_are_cut_by_conversations_messages_and_bytes(db: Db) {
    use convo_server::store::PageLimits;
    let app = TestApp::start(db).await;
    app.seed(60).await;
    let now = app.state.clock.now();
    let range = convo_model::TimeRange { from: now - chrono::Duration::days(400), to: now };
    let unbounded = PageLimits { conversations: 500, messages: i64::MAX / 4, bytes: i64::MAX / 4 };
    let messages = |c: &convo_model::Conversation| c.messages.len() as i64;
    let bytes = |c: &convo_model::Conversation| c.messages.iter().map(|m| m.content.len() as i64).sum::<i64>();
    for newest_first in [false, true] {
        let all = store_pages(&app, range, unbounded, newest_first).await;
        assert_eq!(all.len(), 1, "one page holds them all");
        let all = &all[0];
        assert!(all.len() > 30, "{} conversations", all.len());
        for limits in [
            PageLimits { conversations: 1, ..unbounded },
            PageLimits { conversations: 7, ..unbounded },
            PageLimits { messages: 1, ..unbounded },
            PageLimits { messages: 13, ..unbounded },
            PageLimits { bytes: 1, ..unbounded },
            PageLimits { bytes: 2_000, ..unbounded },
            PageLimits { conversations: 4, messages: 11, bytes: 1_500 },
        ] {
            let pages = store_pages(&app, range, limits, newest_first).await;
            let joined: Vec<_> = pages.iter().flatten().cloned().collect();
            assert_eq!(&joined, all, "{limits:?}: every conversation once, in order");
            for (i, page) in pages.iter().enumerate() {
                let (m, b) = (page.iter().map(messages).sum::<i64>(), page.iter().map(bytes).sum::<i64>());
                assert!(!page.is_empty() && page.len() as i64 <= limits.conversations, "{limits:?}: page {i}");
                if page.len() > 1 {
                    assert!(m <= limits.messages && b <= limits.bytes, "{limits:?}: page {i} holds {m} messages, {b} bytes");
                }
                // As full as the limits allow: the next conversation would not have fit.
                if let Some(first_of_next) = pages.get(i + 1).map(|p| &p[0]) {
                    assert!(
                        page.len() as i64 == limits.conversations
                            || m + messages(first_of_next) > limits.messages
                            || b + bytes(first_of_next) > limits.bytes,
                        "{limits:?}: page {i} could have held one more"
                    );
                }
            }
        }
    }
}

async fn page_parameters_are_validated(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(2).await;
    let alice = app.login(ALICE).await;
    for (query, expected) in [
        ("from=yesterday", "from must be an RFC 3339 time"),
        ("to=2026-13-01T00:00:00Z", "to must be an RFC 3339 time"),
        ("from=2026-11-27T00:00:00Z&to=2026-11-01T00:00:00Z", "from must not be after to"),
        ("cursor=not-a-cursor", "cursor is not one this server gave out"),
        ("order=sideways", "order must be oldest or newest"),
        ("limit=0", "limit must be from 1 to 500"),
        ("messages=0", "messages must be from 1 to 5000"),
        ("messages=5001", "messages must be from 1 to 5000"),
        ("limit=ten", "Failed to deserialize query string"),
    ] {
        let (status, body) =
            json_of(alice.get(app.url(&format!("/api/assistants/support-bot/conversations?{query}"))).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert!(error_of(&body).contains(expected), "{query}: {body}");
    }
}
