//! The HTTP API over real HTTP, on SQLite and on PostgreSQL: every endpoint's happy path,
//! its validation errors, another account's ids, and no login.

mod common;

use common::{ALICE, BOB, Db, TestApp, assert_no_canary, content_digest};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn json_of(r: reqwest::Response) -> (StatusCode, Value) {
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_no_canary("response", &text);
    (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}")))
}

fn error_of(body: &Value) -> &str {
    body["error"].as_str().unwrap_or_else(|| panic!("no error message in {body}"))
}

on_both_databases!(
    login_logout_and_tokens,
    every_endpoint_needs_a_login,
    assistants_and_pages_are_scoped_to_the_account,
    pages_cover_the_range_once_in_a_stable_order,
    pages_are_cut_by_conversations_messages_and_bytes,
    page_parameters_are_validated,
    export_lifecycle,
    export_validation_errors,
    another_accounts_export_is_not_found,
    uploads_must_be_whole_and_match_their_digest,
    the_21st_export_evicts_the_oldest,
);

async fn login_logout_and_tokens(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(3).await;
    let anon = reqwest::Client::new();
    let (status, body) = json_of(anon.post(app.url("/api/login")).json(&json!({"email": ALICE.0, "password": "wrong"})).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_of(&body), "wrong email or password");
    let (status, _) = json_of(anon.post(app.url("/api/login")).json(&json!({"email": "nobody@x.org", "password": "x"})).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = json_of(anon.post(app.url("/api/login")).body("{not json").header("content-type", "application/json").send().await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    let r = anon.post(app.url("/api/login")).json(&json!({"email": "ALICE@example.com ", "password": ALICE.1})).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"), "{cookie}");
    let session = cookie.split(';').next().unwrap().to_string();
    let me = anon.get(app.url("/api/me")).header("cookie", &session).send().await.unwrap();
    assert_eq!(me.status(), 200);
    assert_eq!(json_of(me).await.1["email"], ALICE.0);

    let out = anon.post(app.url("/api/logout")).header("cookie", &session).send().await.unwrap();
    assert_eq!(out.status(), 200);
    let me = anon.get(app.url("/api/me")).header("cookie", &session).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED, "the session ended with logout");

    // A personal API token, as the `token create` subcommand makes it.
    let token = convo_server::auth::new_token("cvx_");
    let (alice, _) = app.state.store.account_by_email(ALICE.0).await.unwrap().unwrap();
    app.state.store.create_api_token(&convo_server::auth::token_hash(&token), alice.id, app.state.clock.now()).await.unwrap();
    let (status, body) = json_of(anon.get(app.url("/api/assistants")).bearer_auth(&token).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(body["assistants"].as_array().unwrap().len(), 2);
    let (status, _) = json_of(anon.get(app.url("/api/assistants")).bearer_auth("cvx_forged").send().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Sessions expire.
    let alice = app.login(ALICE).await;
    app.state.clock.advance(chrono::Duration::days(31));
    assert_eq!(alice.get(app.url("/api/me")).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
}

async fn every_endpoint_needs_a_login(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(2).await;
    let anon = reqwest::Client::new();
    let id = "0123456789abcdef0123456789abcdef";
    let requests = [
        anon.get(app.url("/api/me")),
        anon.get(app.url("/api/assistants")),
        anon.get(app.url("/api/assistants/support-bot/conversations")),
        anon.get(app.url("/api/exports")),
        anon.get(app.url("/api/exports/preview?assistant_id=support-bot&days=7")),
        anon.post(app.url("/api/exports")).json(&json!({"assistant_id": "support-bot", "days": 7})),
        anon.get(app.url(&format!("/api/exports/{id}"))),
        anon.delete(app.url(&format!("/api/exports/{id}"))),
        anon.put(app.url(&format!("/api/exports/{id}/content"))).body("x"),
        anon.get(app.url(&format!("/api/exports/{id}/content"))),
        anon.get(app.url(&format!("/api/exports/{id}/open"))),
        anon.post(app.url(&format!("/api/exports/{id}/progress"))).json(&json!({"done": 1})),
        anon.post(app.url(&format!("/api/exports/{id}/failure"))).json(&json!({"reason": "x"})),
        anon.post(app.url(&format!("/api/exports/{id}/handover"))).json(&json!({"reason": "x"})),
    ];
    for request in requests {
        let r = request.send().await.unwrap();
        let url = r.url().to_string();
        let (status, body) = json_of(r).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{url}");
        assert!(error_of(&body).contains("log in"), "{url}: {body}");
    }
    let (status, body) = json_of(anon.get(app.url("/api/no-such-thing")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(anon.get(app.url("/healthz")).send().await.unwrap().status(), 200);
}

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
        let (status, _) = json_of(alice.post(app.url("/api/exports")).json(&json!({"assistant_id": who, "days": 7})).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = json_of(alice.get(app.url(&format!("/api/exports/preview?assistant_id={who}&days=7"))).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

/// Every page of the range; `extra` is more of the query (`&messages=100`).
async fn fetch_all_pages(app: &TestApp, client: &reqwest::Client, assistant: &str, from: &str, to: &str, extra: &str) -> (Vec<Value>, usize, Value) {
    let mut cursor: Option<String> = None;
    let mut all = Vec::new();
    let mut pages = 0;
    let mut totals = Value::Null;
    loop {
        let mut url = format!("/api/assistants/{assistant}/conversations?from={from}&to={to}{extra}");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let (status, body) = json_of(client.get(app.url(&url)).send().await.unwrap()).await;
        assert_eq!(status, 200, "{body}");
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
    let settings = convo_server::http::Settings {
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
        end: common::START.parse().unwrap(),
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
        let page = store.stored_page(&assistant, range, cursor, limits, newest_first).await.unwrap();
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
        let (status, body) = json_of(alice.get(app.url(&format!("/api/assistants/support-bot/conversations?{query}"))).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert!(error_of(&body).contains(expected), "{query}: {body}");
    }
}

/// Creates an export through the API; returns its JSON.
async fn create(app: &TestApp, client: &reqwest::Client, assistant: &str, days: i64) -> Value {
    let (status, body) =
        json_of(client.post(app.url("/api/exports")).json(&json!({"assistant_id": assistant, "days": days})).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

async fn export_lifecycle(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(30).await;
    let alice = app.login(ALICE).await;
    let (_, preview) = json_of(alice.get(app.url("/api/exports/preview?assistant_id=support-bot&days=30")).send().await.unwrap()).await;
    assert!(preview["totals"]["conversations"].as_i64().unwrap() > 5, "{preview}");
    assert!(preview["evicts"].is_null());

    let created = create(&app, &alice, "support-bot", 30).await;
    let export = &created["export"];
    let id = export["id"].as_str().unwrap().to_string();
    assert_eq!(export["status"], "processing");
    assert_eq!(export["renderer"], "browser");
    assert_eq!(export["filename"], "conversations_support-bot_20261127_120000.html");
    assert_eq!(export["range"]["from"], "2026-10-28T12:00:00Z");
    assert_eq!(export["range"]["to"], "2026-11-27T12:00:00Z");
    assert_eq!(export["expires_at"], "2026-12-27T12:00:00Z");
    assert_eq!(export["assistant"], json!({"id": "support-bot", "name": "support-bot"}));
    assert_eq!(export["progress"]["total"], preview["totals"]["messages"]);
    assert_eq!(created["evicted"], json!([]));

    // The browser reports progress, then uploads the file with its digest.
    let (status, body) = json_of(alice.post(app.url(&format!("/api/exports/{id}/progress"))).json(&json!({"done": 10})).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(body["progress"]["done"], 10);
    let (status, _) = json_of(alice.post(app.url(&format!("/api/exports/{id}/progress"))).json(&json!({"done": -1})).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let file = b"<!DOCTYPE html><title>export</title>".repeat(1000);
    let (status, body) = json_of(
        alice.put(app.url(&format!("/api/exports/{id}/content"))).header("content-digest", content_digest(&file)).body(file.clone()).send().await.unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ready");
    assert_eq!(body["size_bytes"], file.len());
    // A ready export takes no second upload and no more progress.
    let (status, _) = json_of(
        alice.put(app.url(&format!("/api/exports/{id}/content"))).header("content-digest", content_digest(b"x")).body("x").send().await.unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = json_of(alice.post(app.url(&format!("/api/exports/{id}/progress"))).json(&json!({"done": 1})).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::CONFLICT);

    let (_, list) = json_of(alice.get(app.url("/api/exports")).send().await.unwrap()).await;
    assert_eq!(list["exports"].as_array().unwrap().len(), 1);
    assert_eq!(list["exports"][0]["id"], id.as_str());
    let (_, one) = json_of(alice.get(app.url(&format!("/api/exports/{id}"))).send().await.unwrap()).await;
    assert_eq!(one["status"], "ready");

    let download = alice.get(app.url(&format!("/api/exports/{id}/content"))).send().await.unwrap();
    assert_eq!(download.status(), 200);
    let h = download.headers();
    assert_eq!(h["content-disposition"], "attachment; filename=\"conversations_support-bot_20261127_120000.html\"");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["content-type"], "text/html; charset=utf-8");
    assert_eq!(download.bytes().await.unwrap().as_ref(), &file[..]);
    let open = alice.get(app.url(&format!("/api/exports/{id}/open"))).send().await.unwrap();
    assert_eq!(open.headers()["content-security-policy"], "sandbox allow-scripts");
    assert!(open.headers()["content-disposition"].to_str().unwrap().starts_with("inline"));

    let r = alice.delete(app.url(&format!("/api/exports/{id}"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (status, _) = json_of(alice.get(app.url(&format!("/api/exports/{id}"))).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = json_of(alice.delete(app.url(&format!("/api/exports/{id}"))).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(app.state.files.path(&id).is_none(), "the file went with the export");
    let trail: Vec<String> = app.state.store.audit_trail(&id).await.unwrap().into_iter().map(|(a, _)| a).collect();
    assert_eq!(trail, ["created", "uploaded", "downloaded", "opened", "deleted"]);
}

async fn export_validation_errors(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(2).await;
    let alice = app.login(ALICE).await;
    for (body, status, expected) in [
        (json!({"assistant_id": "support-bot", "days": 0}), 400, "days must be a whole number from 1 to 365"),
        (json!({"assistant_id": "support-bot", "days": 366}), 400, "days must be a whole number from 1 to 365"),
        (json!({"assistant_id": "support-bot", "days": 7.5}), 400, "days must be a whole number from 1 to 365"),
        (json!({"assistant_id": "support-bot", "days": "7"}), 400, "days must be a whole number from 1 to 365"),
        (json!({"assistant_id": "support-bot", "days": -3}), 400, "days must be a whole number from 1 to 365"),
        (json!({"assistant_id": "support-bot"}), 400, "missing field `days`"),
        (json!({"days": 7}), 400, "missing field `assistant_id`"),
        (json!({"assistant_id": "support-bot", "days": 7, "render": "gpu"}), 400, "render must be"),
        (json!({"assistant_id": "nope", "days": 7}), 404, "no such assistant"),
    ] {
        let (got, response) = json_of(alice.post(app.url("/api/exports")).json(&body).send().await.unwrap()).await;
        assert_eq!(got.as_u16(), status, "{body}");
        assert!(error_of(&response).contains(expected), "{body}: {response}");
    }
    let (status, body) = json_of(alice.get(app.url("/api/exports/preview?assistant_id=support-bot&days=abc")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_of(&body).contains("not a whole number"), "{body}");
    let (_, list) = json_of(alice.get(app.url("/api/exports")).send().await.unwrap()).await;
    assert_eq!(list["exports"], json!([]), "nothing was created by bad requests");
}

async fn another_accounts_export_is_not_found(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(3).await;
    let alice = app.login(ALICE).await;
    let bob = app.login(BOB).await;
    let created = create(&app, &alice, "support-bot", 7).await;
    let id = created["export"]["id"].as_str().unwrap();
    let requests = [
        bob.get(app.url(&format!("/api/exports/{id}"))),
        bob.delete(app.url(&format!("/api/exports/{id}"))),
        bob.put(app.url(&format!("/api/exports/{id}/content"))).header("content-digest", content_digest(b"x")).body("x"),
        bob.get(app.url(&format!("/api/exports/{id}/content"))),
        bob.get(app.url(&format!("/api/exports/{id}/open"))),
        bob.post(app.url(&format!("/api/exports/{id}/progress"))).json(&json!({"done": 1})),
        bob.post(app.url(&format!("/api/exports/{id}/failure"))).json(&json!({"reason": "x"})),
        bob.post(app.url(&format!("/api/exports/{id}/handover"))).json(&json!({"reason": "x"})),
    ];
    for request in requests {
        let r = request.send().await.unwrap();
        let url = r.url().to_string();
        let (status, body) = json_of(r).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{url}");
        assert_eq!(error_of(&body), "no such export");
    }
    let (_, list) = json_of(bob.get(app.url("/api/exports")).send().await.unwrap()).await;
    assert_eq!(list["exports"], json!([]));
    let (_, one) = json_of(alice.get(app.url(&format!("/api/exports/{id}"))).send().await.unwrap()).await;
    assert_eq!(one["status"], "processing", "Bob changed nothing");

    // A browser's lasting failure is recorded with its reason.
    let (status, body) =
        json_of(alice.post(app.url(&format!("/api/exports/{id}/failure"))).json(&json!({"reason": "network down"})).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "failed");
    assert_eq!(body["error"], "network down");
}

async fn uploads_must_be_whole_and_match_their_digest(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(3).await;
    let alice = app.login(ALICE).await;
    let id = create(&app, &alice, "support-bot", 7).await["export"]["id"].as_str().unwrap().to_string();
    let url = app.url(&format!("/api/exports/{id}/content"));
    let file = vec![b'a'; 300_000];

    // A missing or foreign digest is refused before the body is read (small bodies here,
    // so the client is still listening for the answer).
    let (status, body) = json_of(alice.put(&url).body("small").send().await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_of(&body).contains("Content-Digest"), "{body}");
    let (status, body) = json_of(alice.put(&url).header("content-digest", "md5=:AAAA:").body("small").send().await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) =
        json_of(alice.put(&url).header("content-digest", content_digest(b"something else")).body(file.clone()).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_of(&body).contains("does not match"), "{body}");

    // A body that breaks off half way.
    let half = file[..150_000].to_vec();
    let chunks: Vec<Result<bytes::Bytes, std::io::Error>> =
        vec![Ok(half.into()), Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "cut"))];
    let broken = alice
        .put(&url)
        .header("content-digest", content_digest(&file))
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)))
        .send()
        .await;
    assert!(broken.is_err() || broken.unwrap().status() != 200);

    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let (_, one) = json_of(alice.get(app.url(&format!("/api/exports/{id}"))).send().await.unwrap()).await;
    assert_eq!(one["status"], "processing", "no broken upload makes an export ready");
    assert!(app.state.files.path(&id).is_none());
    let (status, _) = json_of(alice.get(app.url(&format!("/api/exports/{id}/content"))).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // The whole file with its digest still lands.
    let (status, body) = json_of(alice.put(&url).header("content-digest", content_digest(&file)).body(file.clone()).send().await.unwrap()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(std::fs::read(app.state.files.path(&id).unwrap()).unwrap(), file);
    let temp_left = std::fs::read_dir(app.dir.path().join("exports/tmp")).unwrap().count();
    assert_eq!(temp_left, 0, "no temporary file left behind");
}

async fn the_21st_export_evicts_the_oldest(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(3).await;
    let alice = app.login(ALICE).await;
    let bob = app.login(BOB).await;
    let bobs = create(&app, &bob, "bobs-bot", 7).await["export"]["id"].as_str().unwrap().to_string();
    let mut ids = Vec::new();
    for _ in 0..20 {
        ids.push(create(&app, &alice, "support-bot", 7).await["export"]["id"].as_str().unwrap().to_string());
        app.state.clock.advance(chrono::Duration::seconds(1));
    }
    let (_, preview) = json_of(alice.get(app.url("/api/exports/preview?assistant_id=sales-bot&days=7")).send().await.unwrap()).await;
    assert_eq!(preview["evicts"]["id"], ids[0].as_str(), "the dialog can say which export will go");
    let created = create(&app, &alice, "sales-bot", 7).await;
    assert_eq!(created["evicted"].as_array().unwrap().len(), 1);
    assert_eq!(created["evicted"][0]["id"], ids[0].as_str());
    assert_eq!(created["evicted"][0]["filename"], preview["evicts"]["filename"]);
    let (_, list) = json_of(alice.get(app.url("/api/exports")).send().await.unwrap()).await;
    let listed: Vec<&str> = list["exports"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(listed.len(), 20);
    assert_eq!(listed[0], created["export"]["id"].as_str().unwrap(), "newest first");
    assert!(!listed.contains(&ids[0].as_str()));
    let trail = app.state.store.audit_trail(&ids[0]).await.unwrap();
    assert_eq!(trail.last().unwrap().0, "evicted");
    // Bob's catalog is his own.
    let (_, list) = json_of(bob.get(app.url("/api/exports")).send().await.unwrap()).await;
    assert_eq!(list["exports"][0]["id"], bobs.as_str());
}
