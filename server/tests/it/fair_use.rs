//! Fair use between accounts and within one, on SQLite and PostgreSQL: server renders
//! queue in turn between accounts, a filter and the schedules are bounded (also under
//! concurrent creates), a schedule run twice for one period gives one export, and the
//! activity CSV streams the whole trail, page after page.

use crate::{error_of, json_of};
use convo_server::settings::Settings;
use convo_testkit::{ALICE, BOB, Db, TestApp, create_export, on_both_databases};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

on_both_databases!(
    one_accounts_many_server_renders_do_not_hold_back_anothers,
    sixty_concurrent_schedule_creates_leave_exactly_twenty,
    a_schedule_run_twice_for_one_period_answers_its_export,
    filters_have_at_most_fifty_channels_and_twenty_words,
    the_activity_csv_holds_the_whole_trail_page_after_page
);

async fn post(app: &TestApp, client: &reqwest::Client, path: &str, body: Value) -> (StatusCode, Value) {
    json_of(client.post(app.url(path)).json(&body).send().await.unwrap()).await
}

async fn one_accounts_many_server_renders_do_not_hold_back_anothers(db: Db) {
    // One slot, and renders of many small pages: each takes a while.
    let settings = Settings {
        render_slots: 1,
        export_page: Some(convo_server::store::PageLimits { conversations: 3, messages: 1_000, bytes: 1 << 20 }),
        ..Settings::default()
    };
    let app = TestApp::start_with(db, settings).await;
    app.seed(300).await;
    let (alice, bob) = (app.login(ALICE).await, app.login(BOB).await);
    let body = json!({"assistant_id": "sales-bot", "days": 90, "render": "server"});
    let alices: Vec<String> = futures_util::future::join_all((0..8).map(|_| create_export(&alice, &app.base, body.clone()))).await;
    let ready = |client: &reqwest::Client, id: &str| {
        let r = client.get(app.url(&format!("/api/exports/{id}"))).send();
        async move { r.await.unwrap().json::<Value>().await.unwrap()["status"] == "ready" }
    };
    let waiting_alices = |ids: Vec<String>| {
        let alice = &alice;
        async move { futures_util::future::join_all(ids.iter().map(|id| ready(alice, id))).await.iter().filter(|r| !**r).count() }
    };
    let bobs = create_export(&bob, &app.base, json!({"assistant_id": "bobs-bot", "days": 90, "render": "server"})).await;
    let before = waiting_alices(alices.clone()).await;
    assert!(before >= 4, "the test needs Alice's renders still waiting when Bob asks ({before} are)");
    let mut after = None;
    for _ in 0..2400 {
        if ready(&bob, &bobs).await {
            after = Some(waiting_alices(alices.clone()).await);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let after = after.expect("Bob's export is rendered");
    // Bob waits for the render that had the slot and at most one more of Alice's (her
    // turn came first), not for all of hers.
    assert!(after + 2 >= before, "{before} of Alice's renders waited when Bob asked; {after} still did when his was ready");
}

async fn sixty_concurrent_schedule_creates_leave_exactly_twenty(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(1).await;
    let alice = app.login(ALICE).await;
    let body = json!({"assistant_id": "support-bot", "every": "month", "time_zone": "UTC"});
    let answers = futures_util::future::join_all((0..60).map(|_| post(&app, &alice, "/api/schedules", body.clone()))).await;
    let created = answers.iter().filter(|(s, _)| *s == StatusCode::CREATED).count();
    assert_eq!(created, 20);
    for (status, body) in answers.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
        assert_eq!(*status, StatusCode::CONFLICT, "{body}");
        assert!(error_of(body).contains("at most 20 schedules"), "{body}");
    }
    let (_, list) = json_of(alice.get(app.url("/api/schedules")).send().await.unwrap()).await;
    assert_eq!(list["schedules"].as_array().unwrap().len(), 20);
}

async fn a_schedule_run_twice_for_one_period_answers_its_export(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(5).await;
    let alice = app.login(ALICE).await;
    let (_, schedule) =
        post(&app, &alice, "/api/schedules", json!({"assistant_id": "support-bot", "every": "month", "time_zone": "UTC"})).await;
    let run = format!("/api/schedules/{}/run", schedule["id"].as_str().unwrap());
    let (status, first) = post(&app, &alice, &run, json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let answers = futures_util::future::join_all((0..3).map(|_| post(&app, &alice, &run, json!({})))).await;
    for (status, again) in &answers {
        assert_eq!(*status, StatusCode::OK, "{again}");
        assert_eq!(again["export"]["id"], first["export"]["id"], "the period's export, not a second file");
        assert_eq!(again["period"], first["period"]);
    }
    let (_, list) = json_of(alice.get(app.url("/api/exports")).send().await.unwrap()).await;
    assert_eq!(list["exports"].as_array().unwrap().len(), 1);
    // Its export deleted, the period is exported again (once).
    let id = first["export"]["id"].as_str().unwrap();
    crate::limits::settle(&app, &alice).await;
    assert_eq!(alice.delete(app.url(&format!("/api/exports/{id}"))).send().await.unwrap().status(), 204);
    let answers = futures_util::future::join_all((0..3).map(|_| post(&app, &alice, &run, json!({})))).await;
    let new: Vec<&Value> = answers.iter().map(|(_, body)| &body["export"]["id"]).collect();
    assert!(new.iter().all(|n| *n == new[0] && n.as_str() != Some(id)), "{new:?}");
    assert_eq!(answers.iter().filter(|(s, _)| *s == StatusCode::CREATED).count(), 1);
    crate::limits::settle(&app, &alice).await;
    let (_, list) = json_of(alice.get(app.url("/api/exports")).send().await.unwrap()).await;
    assert_eq!(list["exports"].as_array().unwrap().len(), 1, "{list}");
}

async fn filters_have_at_most_fifty_channels_and_twenty_words(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(1).await;
    let alice = app.login(ALICE).await;
    let channels: Vec<String> = (0..51).map(|i| format!("channel-{i}")).collect();
    let words = "refund ".repeat(21);
    for (filters, expected) in [(json!({"channels": channels}), "at most 50 channels"), (json!({"text": words}), "at most 20 words")] {
        for path in ["/api/exports", "/api/schedules"] {
            let body = json!({"assistant_id": "support-bot", "days": 7, "every": "month", "time_zone": "UTC", "filters": filters});
            let (status, answer) = post(&app, &alice, path, body).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {answer}");
            assert!(error_of(&answer).contains(expected), "{answer}");
        }
    }
    let (_, list) = json_of(alice.get(app.url("/api/exports")).send().await.unwrap()).await;
    assert_eq!(list["exports"], json!([]), "nothing stored");
}

async fn the_activity_csv_holds_the_whole_trail_page_after_page(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(1).await;
    let alice = app.login(ALICE).await;
    let id = create_export(&alice, &app.base, json!({"assistant_id": "support-bot", "days": 7})).await;
    let account = app.state.store.account_by_email(ALICE.0).await.unwrap().unwrap().0;
    let now = app.state.clock.now();
    for i in 0..2_345 {
        let detail = format!("event {i}");
        app.state.store.audit(Some(account.id), &id, convo_model::api::AuditAction::Held, ALICE.0, Some(&detail), now).await.unwrap();
    }
    let r = alice.get(app.url("/api/audit.csv")).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = r.text().await.unwrap();
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines[0], "at,actor,action,export_id,filename,details");
    assert_eq!(lines.len(), 1 + 2_345 + 1, "the header, every event, and the export's creation");
    assert!(lines[1].ends_with("event 2344"), "newest first: {}", lines[1]);
    assert!(lines[2_345].ends_with("event 0"));
}
