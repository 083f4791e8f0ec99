//! Compliance exports on SQLite and PostgreSQL: since-last chains, filters applied by
//! the database, schedules that export each calendar period once (also when two servers
//! race), holds, signed receipts, and the activity trail.

use crate::{error_of, json_of};
use convo_server::settings::Settings;
use convo_testkit::{ALICE, BOB, Db, Options, TestApp, on_both_databases, upload};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_databases!(
    since_last_exports_chain_without_gaps,
    filters_narrow_the_preview_the_pages_and_the_file,
    schedules_export_each_complete_period_once,
    two_servers_run_one_schedule_exactly_once,
    held_exports_are_neither_evicted_nor_expired,
    receipts_are_signed_by_the_installations_key,
    the_activity_trail_pages_and_downloads_as_csv,
);

async fn post(app: &TestApp, client: &reqwest::Client, path: &str, body: Value) -> (StatusCode, Value) {
    json_of(client.post(app.url(path)).json(&body).send().await.unwrap()).await
}

async fn get(app: &TestApp, client: &reqwest::Client, path: &str) -> (StatusCode, Value) {
    json_of(client.get(app.url(path)).send().await.unwrap()).await
}

/// A server whose sessions outlast the months these tests move the clock by.
async fn long_sessions(db: Db) -> TestApp {
    TestApp::start_with(db, Settings { session_ttl: chrono::Duration::days(3650), ..Settings::default() }).await
}

/// Uploads a small file as the browser's rendering; returns the ready export.
/// Uploads the file an honest browser renders for the export.
async fn make_ready(app: &TestApp, client: &reqwest::Client, id: &str) -> Value {
    let (_, export) = get(app, client, &format!("/api/exports/{id}")).await;
    let file = crate::limits::render_from_api_pages(app, client, &export).await;
    let r = upload(client, &app.base, id, file.as_bytes()).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// Waits (bounded) until the server has checked the upload; returns the export.
async fn checked(app: &TestApp, client: &reqwest::Client, id: &str) -> Value {
    for _ in 0..400 {
        let (_, export) = get(app, client, &format!("/api/exports/{id}")).await;
        if export["verification"] != "pending" {
            return export;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("export {id} still being checked after 20 s");
}

async fn since_last_exports_chain_without_gaps(db: Db) {
    let app = long_sessions(db).await;
    app.seed(10).await;
    let alice = app.login(ALICE).await;
    let (status, body) = post(&app, &alice, "/api/exports", json!({"assistant_id": "support-bot", "since_last": true})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_of(&body).contains("no earlier export of support-bot"), "{body}");
    let (status, body) = post(&app, &alice, "/api/exports", json!({"assistant_id": "support-bot", "days": 7, "since_last": true})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    let (_, first) = post(&app, &alice, "/api/exports", json!({"assistant_id": "support-bot", "days": 30})).await;
    let first = make_ready(&app, &alice, first["export"]["id"].as_str().unwrap()).await;
    app.state.clock.advance(chrono::Duration::days(9));
    // The dialog's quick pick knows where the chain continues.
    let (_, preview) = get(&app, &alice, "/api/exports/preview?assistant_id=support-bot&days=7").await;
    assert_eq!(preview["since_last"]["previous"]["id"], first["id"]);
    assert_eq!(preview["since_last"]["days"], 9);
    // The first export is deleted: the chain still continues it.
    let r = alice.delete(app.url(&format!("/api/exports/{}", first["id"].as_str().unwrap()))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (status, second) = post(&app, &alice, "/api/exports", json!({"assistant_id": "support-bot", "since_last": true})).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    let second = &second["export"];
    assert_eq!((&second["previous"]["id"], &second["previous"]["sha256"]), (&first["id"], &first["sha256"]));
    assert!(second["previous"]["figures"]["conversations"].is_u64(), "the previous figures are kept: {second}");
    let first_to: chrono::DateTime<chrono::Utc> = serde_json::from_value(first["range"]["to"].clone()).unwrap();
    let second_from: chrono::DateTime<chrono::Utc> = serde_json::from_value(second["range"]["from"].clone()).unwrap();
    assert_eq!(second_from - first_to, chrono::Duration::milliseconds(1), "the ranges meet");
    assert_eq!(second["range"]["to"], json!(app.state.clock.now()));
    assert_eq!(second["days"], 9);
    // Bob's assistant has no chain of Alice's; more than a year since: refused.
    let (status, _) = post(&app, &alice, "/api/exports", json!({"assistant_id": "bobs-bot", "since_last": true})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    make_ready(&app, &alice, second["id"].as_str().unwrap()).await;
    app.state.clock.advance(chrono::Duration::days(400));
    let (status, body) = post(&app, &alice, "/api/exports", json!({"assistant_id": "support-bot", "since_last": true})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_of(&body).contains("at most 365 days"), "{body}");
}

async fn filters_narrow_the_preview_the_pages_and_the_file(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(40).await;
    let alice = app.login(ALICE).await;
    let pages = |query: String| {
        let (app, alice) = (&app, alice.clone());
        async move {
            let from = (app.state.clock.now() - chrono::Duration::days(90)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let (_, page) =
                get(app, &alice, &format!("/api/assistants/support-bot/conversations?from={from}&limit=500&messages=5000{query}")).await;
            page["conversations"].as_array().unwrap().clone()
        }
    };
    let all = pages(String::new()).await;
    let gmail = pages("&channels=gmail".into()).await;
    assert!(!gmail.is_empty() && gmail.len() < all.len());
    assert!(gmail.iter().all(|c| c["channel"] == "gmail"));
    // A contact's name or email, in any case.
    let someone = all.iter().find_map(|c| c["contact"]["email"].as_str()).unwrap().to_string();
    let local = someone.split('@').next().unwrap().to_uppercase();
    let by_contact = pages(format!("&contact={local}")).await;
    assert!(!by_contact.is_empty());
    assert!(by_contact.iter().all(|c| c["contact"]["email"].as_str().unwrap_or("").to_uppercase().contains(&local)));
    // Words in the messages: every conversation has one, and no other has it.
    let word = all[0]["messages"][0]["content"].as_str().unwrap().split_whitespace().max_by_key(|w| w.len()).unwrap().to_string();
    let by_text = pages(format!("&text={}", word.trim_matches(|c: char| !c.is_alphanumeric()))).await;
    assert!(!by_text.is_empty());
    let needle = word.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
    for c in &by_text {
        assert!(c["messages"].as_array().unwrap().iter().any(|m| m["content"].as_str().unwrap().to_lowercase().contains(&needle)));
    }
    assert!(
        all.iter()
            .filter(|c| c["messages"].as_array().unwrap().iter().any(|m| m["content"].as_str().unwrap().to_lowercase().contains(&needle)))
            .count()
            == by_text.len()
    );

    // The preview counts and the export say the same, and the file states its filters.
    let (_, preview) = get(&app, &alice, "/api/exports/preview?assistant_id=support-bot&days=90&channels=gmail").await;
    assert_eq!(preview["totals"]["conversations"], gmail.len());
    let (status, created) = post(
        &app,
        &alice,
        "/api/exports",
        json!({"assistant_id": "support-bot", "days": 90, "filters": {"channels": ["Gmail"]}, "render": "server"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["export"]["filters"], json!({"channels": ["gmail"]}));
    assert_eq!(created["export"]["conversations"], gmail.len());
    let id = created["export"]["id"].as_str().unwrap().to_string();
    let ready = crate::limits::settle_one(&app, &alice, &id).await;
    let file = alice.get(app.url(&format!("/api/exports/{id}/content"))).send().await.unwrap().text().await.unwrap();
    assert!(file.contains("<dt>Filters</dt><dd dir=\"auto\">channels Gmail</dd>"));
    assert_eq!(file.matches("<article class=\"conv\"").count(), gmail.len());
    assert!(file == crate::limits::render_from_api_pages(&app, &alice, &ready).await, "a browser renders the same bytes");

    // Unknown channels and over-long filters are refused, and nothing is created.
    for (body, expected) in [
        (
            json!({"assistant_id": "support-bot", "days": 7, "filters": {"channels": ["Carrier Pigeon"]}}),
            "unknown channel \"Carrier Pigeon\"",
        ),
        (json!({"assistant_id": "support-bot", "days": 7, "filters": {"text": "x".repeat(201)}}), "at most 200"),
    ] {
        let (status, body) = post(&app, &alice, "/api/exports", body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(error_of(&body).contains(expected), "{body}");
    }
    let (_, list) = get(&app, &alice, "/api/exports").await;
    assert_eq!(list["exports"].as_array().unwrap().len(), 1);
}

async fn schedules_export_each_complete_period_once(db: Db) {
    let app = long_sessions(db).await;
    app.seed(30).await;
    let alice = app.login(ALICE).await;
    let bob = app.login(BOB).await;
    for (body, status, expected) in [
        (json!({"assistant_id": "support-bot", "every": "month", "time_zone": "Mars/Olympus"}), 400, "not an IANA time zone"),
        (json!({"assistant_id": "support-bot", "every": "fortnight", "time_zone": "UTC"}), 400, "every"),
        (json!({"assistant_id": "bobs-bot", "every": "month", "time_zone": "UTC"}), 404, "no such assistant"),
        (
            json!({"assistant_id": "support-bot", "every": "month", "time_zone": "UTC", "filters": {"channels": ["Nope"]}}),
            400,
            "unknown channel",
        ),
    ] {
        let (got, body) = post(&app, &alice, "/api/schedules", body.clone()).await;
        assert_eq!(got.as_u16(), status, "{body}");
        assert!(error_of(&body).contains(expected), "{body}");
    }
    let (_, list) = get(&app, &alice, "/api/schedules").await;
    assert_eq!(list["schedules"], json!([]), "nothing stored by bad requests");

    // Created on 27 November (Berlin): November is its first period.
    let (status, schedule) =
        post(&app, &alice, "/api/schedules", json!({"assistant_id": "support-bot", "every": "month", "time_zone": "Europe/Berlin"})).await;
    assert_eq!(status, StatusCode::CREATED, "{schedule}");
    let sid = schedule["id"].as_str().unwrap().to_string();
    assert_eq!(schedule["next_run"], "2026-11-30T23:00:00Z");
    assert_eq!(
        get(&app, &bob, &format!("/api/schedules/{sid}")).await.0,
        StatusCode::NOT_FOUND,
        "another account's schedule does not exist"
    );
    assert_eq!(app.state.jobs.sweep_once().await.unwrap().scheduled, 0, "November is not complete yet");

    app.state.clock.advance(chrono::Duration::days(4));
    assert_eq!(app.state.jobs.sweep_once().await.unwrap().scheduled, 1);
    assert_eq!(app.state.jobs.sweep_once().await.unwrap().scheduled, 0, "each period once");
    let (_, list) = get(&app, &alice, "/api/exports").await;
    let export = &list["exports"][0];
    assert_eq!(export["schedule_id"], sid.as_str());
    assert_eq!(export["renderer"], "server");
    assert_eq!(export["range"], json!({"from": "2026-10-31T23:00:00Z", "to": "2026-11-30T22:59:59.999Z"}));

    // Missed months are caught up, oldest first, each continuing the one before.
    crate::limits::settle(&app, &alice).await;
    app.state.clock.advance(chrono::Duration::days(62));
    for _ in 0..2 {
        assert_eq!(app.state.jobs.sweep_once().await.unwrap().scheduled, 1);
        crate::limits::settle(&app, &alice).await;
    }
    assert_eq!(app.state.jobs.sweep_once().await.unwrap().scheduled, 0);
    let (_, list) = get(&app, &alice, "/api/exports").await;
    let scheduled: Vec<&Value> = list["exports"].as_array().unwrap().iter().filter(|e| e["schedule_id"] == sid.as_str()).collect();
    // November's export has expired meanwhile (30 days); December and January remain.
    assert_eq!(scheduled.len(), 2);
    assert_eq!(scheduled[0]["range"]["from"], "2026-12-31T23:00:00Z", "January, newest first");
    assert_eq!(scheduled[1]["range"]["from"], "2026-11-30T23:00:00Z");
    assert_eq!(scheduled[0]["previous"]["id"], scheduled[1]["id"], "January continues December");
    assert!(scheduled.iter().all(|e| e["status"] == "ready"));

    // Run now answers the latest complete period's export, made already; paused,
    // nothing runs.
    let (status, run) = post(&app, &alice, &format!("/api/schedules/{sid}/run"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{run}");
    assert_eq!(run["period"]["from"], "2026-12-31T23:00:00Z");
    assert_eq!(run["export"]["id"], scheduled[0]["id"]);
    assert_eq!(run["export"]["schedule_id"], sid.as_str());
    let paused: Value =
        alice.patch(app.url(&format!("/api/schedules/{sid}"))).json(&json!({"paused": true})).send().await.unwrap().json().await.unwrap();
    assert_eq!(paused["paused"], true);
    assert_eq!(paused["next_run"], Value::Null);
    app.state.clock.advance(chrono::Duration::days(40));
    assert_eq!(app.state.jobs.sweep_once().await.unwrap().scheduled, 0, "paused");
    let trail = app.state.store.audit_trail(scheduled[0]["id"].as_str().unwrap()).await.unwrap();
    assert!(
        trail.iter().any(|(a, d)| a.as_str() == "schedule ran" && d.as_deref().unwrap_or("").contains("2027-01-01 to 2027-01-31")),
        "{trail:?}"
    );
    let r = alice.delete(app.url(&format!("/api/schedules/{sid}"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(get(&app, &alice, &format!("/api/schedules/{sid}")).await.0, StatusCode::NOT_FOUND);
}

async fn two_servers_run_one_schedule_exactly_once(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(20).await;
    let alice = app.login(ALICE).await;
    let (_, schedule) =
        post(&app, &alice, "/api/schedules", json!({"assistant_id": "support-bot", "every": "week", "time_zone": "America/New_York"}))
            .await;
    let sid = schedule["id"].as_str().unwrap().to_string();
    // A second server process on the same database and files, with the same clock.
    let options = Options { clock: Some(app.state.clock.clone()), ..Options::default() };
    let other = app.sibling(options).await;
    app.state.clock.advance(chrono::Duration::days(15));
    // Both sweep at once, again and again, until every week is exported.
    for _ in 0..4 {
        let (a, b) = tokio::join!(app.state.jobs.sweep_once(), other.jobs.sweep_once());
        let _ = (a.unwrap(), b.unwrap());
        crate::limits::settle(&app, &alice).await;
    }
    let (_, list) = get(&app, &alice, "/api/exports").await;
    let mut ranges: Vec<String> = list["exports"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["schedule_id"] == sid.as_str())
        .map(|e| e["range"]["from"].as_str().unwrap().to_string())
        .collect();
    let n = ranges.len();
    ranges.sort();
    ranges.dedup();
    assert_eq!(ranges.len(), n, "no week exported twice: {ranges:?}");
    assert_eq!(n, 2, "the two weeks completed since the schedule began: {ranges:?}");
}

async fn held_exports_are_neither_evicted_nor_expired(db: Db) {
    let app = long_sessions(db).await;
    app.seed(3).await;
    let alice = app.login(ALICE).await;
    let mut ids = Vec::new();
    for _ in 0..6 {
        let (_, created) = post(&app, &alice, "/api/exports", json!({"assistant_id": "support-bot", "days": 7})).await;
        ids.push(created["export"]["id"].as_str().unwrap().to_string());
    }
    for id in &ids[..5] {
        let (status, held) = post(&app, &alice, &format!("/api/exports/{id}/hold"), json!({})).await;
        assert_eq!(status, 200);
        assert_eq!(held["held"], true);
    }
    let (status, body) = post(&app, &alice, &format!("/api/exports/{}/hold", ids[5]), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(error_of(&body).contains("5 exports are kept already"), "{body}");
    let bob = app.login(BOB).await;
    assert_eq!(post(&app, &bob, &format!("/api/exports/{}/hold", ids[0]), json!({})).await.0, StatusCode::NOT_FOUND);

    // Twenty more: the held five stay, the oldest unheld goes.
    for _ in 0..20 {
        post(&app, &alice, "/api/exports", json!({"assistant_id": "support-bot", "days": 7})).await;
    }
    let (_, list) = get(&app, &alice, "/api/exports").await;
    let listed: Vec<&str> = list["exports"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(listed.len(), 20);
    assert!(ids[..5].iter().all(|id| listed.contains(&id.as_str())), "held exports are never evicted");
    assert!(!listed.contains(&ids[5].as_str()));

    // Past retention, held ones stay and are served; released, they go.
    app.state.clock.advance(chrono::Duration::days(31));
    app.state.jobs.sweep_once().await.unwrap();
    let (_, list) = get(&app, &alice, "/api/exports").await;
    assert_eq!(list["exports"].as_array().unwrap().len(), 5);
    let r = alice.delete(app.url(&format!("/api/exports/{}/hold", ids[0]))).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(get(&app, &alice, &format!("/api/exports/{}", ids[0])).await.0, StatusCode::NOT_FOUND, "released past retention: expired");
    let trail: Vec<&str> = app.state.store.audit_trail(&ids[0]).await.unwrap().iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(trail, ["created", "held", "released"]);
}

async fn receipts_are_signed_by_the_installations_key(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(3).await;
    let alice = app.login(ALICE).await;
    let (_, created) = post(&app, &alice, "/api/exports", json!({"assistant_id": "support-bot", "days": 7})).await;
    let id = created["export"]["id"].as_str().unwrap();
    assert_eq!(get(&app, &alice, &format!("/api/exports/{id}/receipt")).await.0, StatusCode::CONFLICT, "not ready yet");
    make_ready(&app, &alice, id).await;
    assert_eq!(checked(&app, &alice, id).await["verified"], true);
    let (status, receipt) = get(&app, &alice, &format!("/api/exports/{id}/receipt")).await;
    assert_eq!(status, 200, "{receipt}");
    let (_, key) = get(&app, &reqwest::Client::new(), "/api/signing-key").await;
    assert_eq!(receipt["key_id"], key["key_id"]);
    let file = alice.get(app.url(&format!("/api/exports/{id}/content"))).send().await.unwrap().bytes().await.unwrap();
    let receipt: convo_model::api::Receipt = serde_json::from_value(receipt).unwrap();
    use convo_server::catalog::receipts::{ReceiptError, check};
    assert_eq!(check(&receipt, key["public_key"].as_str().unwrap(), &file), Ok(()));
    // Another process on the same database signs alike; another installation does not.
    let sibling = app.sibling(Options::default()).await;
    assert_eq!(sibling.catalog.signing_key().await.unwrap().key_id, key["key_id"].as_str().unwrap());
    let other = TestApp::start(Db::Sqlite).await;
    let (_, other_key) = get(&other, &reqwest::Client::new(), "/api/signing-key").await;
    assert!(matches!(check(&receipt, other_key["public_key"].as_str().unwrap(), &file), Err(ReceiptError::OtherKey { .. })));
    let bob = app.login(BOB).await;
    assert_eq!(get(&app, &bob, &format!("/api/exports/{id}/receipt")).await.0, StatusCode::NOT_FOUND);
}

async fn the_activity_trail_pages_and_downloads_as_csv(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(3).await;
    let alice = app.login(ALICE).await;
    let bob = app.login(BOB).await;
    for _ in 0..30 {
        post(&app, &alice, "/api/exports", json!({"assistant_id": "support-bot", "days": 7})).await;
    }
    post(&app, &bob, "/api/exports", json!({"assistant_id": "bobs-bot", "days": 7})).await;
    // 30 created, 10 evicted: 40 events, in pages of 50 … and Bob's one is his alone.
    let (_, first) = get(&app, &alice, "/api/audit").await;
    let events = first["events"].as_array().unwrap();
    assert_eq!(events.len(), 40);
    assert_eq!(first["next_cursor"], Value::Null);
    assert_eq!(events[0]["action"], "created", "newest first");
    assert_eq!(events[0]["actor"], ALICE.0);
    assert!(events.iter().any(|e| e["action"] == "evicted" && e["filename"].as_str().unwrap().starts_with("conversations_support-bot_")));
    let (_, bobs) = get(&app, &bob, "/api/audit").await;
    assert_eq!(bobs["events"].as_array().unwrap().len(), 1);
    for _ in 0..15 {
        post(&app, &alice, "/api/exports", json!({"assistant_id": "support-bot", "days": 7})).await;
    }
    let (_, page) = get(&app, &alice, "/api/audit").await;
    assert_eq!(page["events"].as_array().unwrap().len(), 50);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, rest) = get(&app, &alice, &format!("/api/audit?cursor={cursor}")).await;
    assert_eq!(rest["events"].as_array().unwrap().len(), 20);
    assert_eq!(get(&app, &alice, "/api/audit?cursor=x").await.0, StatusCode::BAD_REQUEST);
    let csv = alice.get(app.url("/api/audit.csv")).send().await.unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text().await.unwrap();
    assert!(csv.starts_with("at,actor,action,export_id,filename,details\r\n"));
    assert_eq!(csv.lines().count(), 71);
}
