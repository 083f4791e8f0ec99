//! An export's stream (`GET /api/exports/{id}/stream`): the same conversations as its
//! pages, in the same order, a cursor line after each page and `null` at the end; asked
//! again from any cursor line it goes on from there; another account's export is a 404
//! and a cursor the server did not give out a 400, both JSON.

use crate::{error_of, json_of};
use convo_testkit::{ALICE, BOB, Db, TestApp, assert_no_canary, create_export, on_both_databases};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_databases!(
    an_exports_stream_is_its_pages_in_order_with_a_cursor_after_each,
    a_stream_asked_again_from_a_cursor_line_goes_on_from_there,
    a_stream_is_its_owners_only_and_its_cursor_is_checked,
);

async fn app_with_small_pages(db: Db) -> TestApp {
    let settings = convo_server::settings::Settings {
        export_page: Some(convo_server::store::PageLimits { conversations: 3, messages: 1_000, bytes: 1 << 20 }),
        ..Default::default()
    };
    let app = TestApp::start_with(db, settings).await;
    app.seed(20).await;
    app
}

/// The lines of a stream, parsed: conversations as JSON, cursors as `Err(cursor)`.
async fn stream_lines(client: &reqwest::Client, app: &TestApp, id: &str, cursor: Option<&str>) -> Vec<Result<Value, Option<String>>> {
    let path = match cursor {
        Some(c) => format!("/api/exports/{id}/stream?cursor={c}"),
        None => format!("/api/exports/{id}/stream"),
    };
    let r = client.get(app.url(&path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/x-ndjson");
    let text = r.text().await.unwrap();
    assert_no_canary("stream", &text);
    assert!(
        text.ends_with("{\"next_cursor\":null}\n"),
        "a complete stream ends with a null cursor: {}",
        &text[text.len().saturating_sub(80)..]
    );
    text.lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap();
            match v.get("next_cursor") {
                Some(c) => Err(c.as_str().map(str::to_string)),
                None => Ok(v),
            }
        })
        .collect()
}

/// Every conversation of the export's pages, in order.
async fn paged(client: &reqwest::Client, app: &TestApp, id: &str) -> Vec<Value> {
    let (mut all, mut cursor) = (Vec::new(), None::<String>);
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/exports/{id}/pages?cursor={c}"),
            None => format!("/api/exports/{id}/pages"),
        };
        let (status, page) = json_of(client.get(app.url(&path)).send().await.unwrap()).await;
        assert_eq!(status, 200, "{page}");
        all.extend(page["conversations"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return all,
        }
    }
}

async fn an_exports_stream_is_its_pages_in_order_with_a_cursor_after_each(db: Db) {
    let app = app_with_small_pages(db).await;
    let alice = app.login(ALICE).await;
    let id = create_export(&alice, &app.base, json!({"assistant_id": "support-bot", "days": 60})).await;
    let lines = stream_lines(&alice, &app, &id, None).await;
    let streamed: Vec<Value> = lines.iter().filter_map(|l| l.as_ref().ok().cloned()).collect();
    let pages = paged(&alice, &app, &id).await;
    assert!(streamed.len() >= 15, "the seeded conversations: {}", streamed.len());
    assert_eq!(streamed, pages, "the stream holds the export's pages, conversation for conversation");
    // A cursor line after every page of at most three conversations; only the last is null.
    let cursors: Vec<&Option<String>> = lines.iter().filter_map(|l| l.as_ref().err()).collect();
    assert!(cursors.len() >= streamed.len() / 3, "{} cursor lines for {} conversations", cursors.len(), streamed.len());
    assert!(cursors[..cursors.len() - 1].iter().all(|c| c.is_some()) && cursors.last().unwrap().is_none());
    let mut since = 0;
    for line in &lines {
        match line {
            Ok(_) => since += 1,
            Err(_) => since = 0,
        }
        assert!(since <= 3, "a cursor line at least every page");
    }
}

async fn a_stream_asked_again_from_a_cursor_line_goes_on_from_there(db: Db) {
    let app = app_with_small_pages(db).await;
    let alice = app.login(ALICE).await;
    let id = create_export(&alice, &app.base, json!({"assistant_id": "support-bot", "days": 60})).await;
    let lines = stream_lines(&alice, &app, &id, None).await;
    let all: Vec<&Value> = lines.iter().filter_map(|l| l.as_ref().ok()).collect();
    // From the second cursor line: exactly the conversations after it.
    let (mut before, mut seen_cursors, mut cursor) = (0, 0, None);
    for line in &lines {
        match line {
            Ok(_) => before += 1,
            Err(c) => {
                seen_cursors += 1;
                if seen_cursors == 2 {
                    cursor = c.clone();
                    break;
                }
            }
        }
    }
    let cursor = cursor.expect("a second cursor line");
    let rest = stream_lines(&alice, &app, &id, Some(&cursor)).await;
    let rest: Vec<&Value> = rest.iter().filter_map(|l| l.as_ref().ok()).collect();
    assert_eq!(rest, all[before..], "the rest of the export, from where the cursor stood");
}

async fn a_stream_is_its_owners_only_and_its_cursor_is_checked(db: Db) {
    let app = app_with_small_pages(db).await;
    let alice = app.login(ALICE).await;
    let bob = app.login(BOB).await;
    let id = create_export(&alice, &app.base, json!({"assistant_id": "support-bot", "days": 60})).await;
    let (status, body) = json_of(bob.get(app.url(&format!("/api/exports/{id}/stream"))).send().await.unwrap()).await;
    assert_eq!((status, error_of(&body)), (StatusCode::NOT_FOUND, "no such export"));
    let (status, body) = json_of(alice.get(app.url(&format!("/api/exports/{id}/stream?cursor=nonsense"))).send().await.unwrap()).await;
    assert_eq!((status, error_of(&body)), (StatusCode::BAD_REQUEST, "cursor is not one this server gave out"));
    let anonymous = reqwest::Client::new();
    let status = anonymous.get(app.url(&format!("/api/exports/{id}/stream"))).send().await.unwrap().status();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
