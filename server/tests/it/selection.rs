//! Exports of chosen conversations: exactly those, whatever their dates when no days are
//! sent, the file stating a selection and which; a conversation not of the assistant,
//! still active, outside the range or one too many is a 400 that names it and stores
//! nothing.

use crate::ingest::{ingest_token, jsonl, post};
use crate::{error_of, json_of};
use convo_testkit::{ALICE, Db, TestApp, on_both_databases};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_databases!(
    an_export_of_chosen_conversations_holds_exactly_them_and_says_so,
    a_bad_selection_is_a_400_that_names_the_conversation_and_stores_nothing,
);

fn line(app: &TestApp, id: &str, days_ago: i64, status: &str) -> Value {
    let at = (app.state.clock.now() - chrono::Duration::days(days_ago)).to_rfc3339();
    json!({
        "id": id, "assistant_id": "support-bot", "channel": "Gmail", "status": status,
        "started_at": at, "ended_at": at,
        "messages": [{"role": "user", "content": format!("question of {id}"), "at": at}]
    })
}

async fn ingest(app: &TestApp) {
    let token = ingest_token(app, &["support-bot"]).await;
    let lines = [line(app, "old-one", 200, "completed"), line(app, "pick-a", 3, "completed"), line(app, "pick-b", 1, "completed")];
    let mut lines = lines.to_vec();
    lines.push(line(app, "skip-me", 2, "completed"));
    lines.push(line(app, "still-open", 1, "active"));
    let (status, answer) = post(app, &token, "/api/ingest", jsonl(&lines)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}

async fn an_export_of_chosen_conversations_holds_exactly_them_and_says_so(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(3).await;
    ingest(&app).await;
    let alice = app.login(ALICE).await;
    let body = json!({"assistant_id": "support-bot", "conversation_ids": ["pick-b", "old-one", "pick-a"], "render": "server"});
    let (status, created) = json_of(alice.post(app.url("/api/exports")).json(&body).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["export"]["filters"]["conversation_ids"], json!(["old-one", "pick-a", "pick-b"]));
    let id = created["export"]["id"].as_str().unwrap().to_string();
    let ready = crate::limits::settle_one(&app, &alice, &id).await;
    assert_eq!(ready["conversations"], 3, "the 200-day-old one is in, though no days were sent: {ready}");
    let file = String::from_utf8(app.file_of(&id).await.expect("the ready file")).unwrap();
    let verified = convo_render::manifest::verify(&file).expect("the selection verifies");
    let listed: Vec<&str> = verified.manifest.conversations.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(listed, ["old-one", "pick-a", "pick-b"]);
    assert_eq!(verified.manifest.filters.conversations, ["old-one", "pick-a", "pick-b"], "the manifest says which");
    assert!(file.contains("a selection of 3 conversations"), "the header says it is a selection");
    assert!(file.contains("A selection: the 3 conversations chosen one by one"));
    assert!(!file.contains("question of skip-me"));
    assert_eq!(ready["verification"], "verified", "{ready}");

    // With days, the selection must lie in the range.
    let body = json!({"assistant_id": "support-bot", "days": 7, "conversation_ids": ["pick-a"], "render": "server"});
    let (status, created) = json_of(alice.post(app.url("/api/exports")).json(&body).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["export"]["days"], 7);
}

async fn a_bad_selection_is_a_400_that_names_the_conversation_and_stores_nothing(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(3).await;
    ingest(&app).await;
    let alice = app.login(ALICE).await;
    let too_many: Vec<String> = (0..1001).map(|i| format!("c{i}")).collect();
    for (body, named) in [
        (
            json!({"assistant_id": "support-bot", "conversation_ids": ["pick-a", "nope-42"]}),
            "\"nope-42\" is not a conversation of support-bot",
        ),
        (json!({"assistant_id": "support-bot", "conversation_ids": ["still-open"]}), "\"still-open\" is still active"),
        (json!({"assistant_id": "support-bot", "days": 30, "conversation_ids": ["old-one"]}), "\"old-one\" started at"),
        (json!({"assistant_id": "support-bot", "conversation_ids": too_many}), "at most 1000 conversations, not 1001"),
        // Another assistant's, and another account's, are not this assistant's.
        (json!({"assistant_id": "support-bot", "conversation_ids": ["sales-bot-0000000"]}), "\"sales-bot-0000000\" is not a conversation"),
        (json!({"assistant_id": "support-bot", "conversation_ids": ["bobs-bot-0000000"]}), "\"bobs-bot-0000000\" is not a conversation"),
    ] {
        let (status, answer) = json_of(alice.post(app.url("/api/exports")).json(&body).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert!(error_of(&answer).contains(named), "{answer}");
    }
    let (_, list) = json_of(alice.get(app.url("/api/exports")).send().await.unwrap()).await;
    assert_eq!(list["exports"].as_array().unwrap().len(), 0, "nothing stored: {list}");
}
