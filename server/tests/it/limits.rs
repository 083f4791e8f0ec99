//! The catalog's limits under pressure, retention and the sweeper with a controllable
//! clock, server-side rendering (asked for, and taken over from a browser that went
//! away), and no internal field in any export.

use convo_testkit::{ALICE, Db, TestApp, assert_no_canary, create_export, on_both_databases, upload};
use serde_json::{Value, json};
use std::time::Duration;

on_both_databases!(
    fifty_concurrent_creates_leave_exactly_twenty,
    retention_hides_at_once_and_the_sweeper_deletes,
    server_side_exports_match_the_renderer_and_leak_nothing,
    an_export_whose_browser_went_away_is_finished_by_the_server,
    an_export_too_big_for_its_browser_is_handed_to_the_server,
);

async fn get_json(client: &reqwest::Client, url: String) -> Value {
    client.get(url).send().await.unwrap().json().await.unwrap()
}

/// Waits (bounded) until the export is ready; returns it.
pub(crate) async fn settle_one(app: &TestApp, client: &reqwest::Client, id: &str) -> Value {
    for _ in 0..400 {
        let export = get_json(client, app.url(&format!("/api/exports/{id}"))).await;
        if export["status"] == "ready" {
            return export;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("export {id} not ready after 20 s");
}

/// Waits (bounded) until no export of the account is being rendered by the server.
pub(crate) async fn settle(app: &TestApp, client: &reqwest::Client) -> Value {
    for _ in 0..200 {
        let list = get_json(client, app.url("/api/exports")).await;
        if list["exports"].as_array().unwrap().iter().all(|e| e["status"] != "processing" || e["renderer"] != "server") {
            return list;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("exports still processing after 10 s");
}

async fn fifty_concurrent_creates_leave_exactly_twenty(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(20).await;
    let alice = app.login(ALICE).await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let (client, url) = (alice.clone(), app.url("/api/exports"));
        // Half rendered by the server, so that files are written while others evict.
        let render = if i % 2 == 0 { "server" } else { "browser" };
        tasks.push(tokio::spawn(async move {
            client.post(url).json(&json!({"assistant_id": "support-bot", "days": 30, "render": render})).send().await.unwrap().status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 201);
    }
    let list = settle(&app, &alice).await;
    let listed: Vec<String> = list["exports"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(listed.len(), 20);
    // Every file belongs to a listed export: no orphan.
    for key in app.objects(None).await {
        let id = key.split('/').next().unwrap().to_string();
        assert!(listed.contains(&id), "orphan file {key}");
    }
    let sweep = app.state.jobs.sweep_once().await.unwrap();
    assert_eq!(sweep.orphan_files, 0);
}

async fn retention_hides_at_once_and_the_sweeper_deletes(db: Db) {
    let settings = convo_server::settings::Settings { session_ttl: chrono::Duration::days(90), ..Default::default() };
    let app = TestApp::start_with(db, settings).await;
    app.seed(5).await;
    let alice = app.login(ALICE).await;
    let id = create_export(&alice, &app.base, json!({"assistant_id": "support-bot", "days": 7, "render": "server"})).await;
    settle(&app, &alice).await;
    assert_eq!(app.objects(Some(&id)).await.len(), 1);
    // A file no export owns (a crash between delete and unlink) is swept too.
    std::fs::write(app.dir.path().join("exports/ffffffffffffffffffffffffffffffff.html"), "orphan").unwrap();

    app.state.clock.advance(chrono::Duration::days(30) - chrono::Duration::seconds(1));
    assert_eq!(get_json(&alice, app.url("/api/exports")).await["exports"].as_array().unwrap().len(), 1);
    app.state.clock.advance(chrono::Duration::seconds(1));
    // Expired: never listed nor served, even before the sweeper has run.
    assert_eq!(get_json(&alice, app.url("/api/exports")).await["exports"], json!([]));
    for path in [format!("/api/exports/{id}"), format!("/api/exports/{id}/content"), format!("/api/exports/{id}/open")] {
        assert_eq!(alice.get(app.url(&path)).send().await.unwrap().status(), 404, "{path}");
    }
    assert_eq!(alice.delete(app.url(&format!("/api/exports/{id}"))).send().await.unwrap().status(), 404);
    assert_eq!(app.objects(Some(&id)).await.len(), 1, "the sweeper has not run yet");

    let sweep = app.state.jobs.sweep_once().await.unwrap();
    assert_eq!(sweep.expired, 1);
    assert_eq!(sweep.orphan_files, 1);
    assert!(app.objects(None).await.is_empty());
    assert!(!app.state.store.export_exists(&id).await.unwrap());
    assert_eq!(app.state.store.audit_trail(&id).await.unwrap().last().unwrap().0.as_str(), "expired");
    assert_eq!(app.state.jobs.sweep_once().await.unwrap(), convo_server::catalog::Sweep::default());
}

/// Renders the export in-process from the API's pages, as an honest client would (what a
/// real browser renders is checked by the server's reproduction, `integrity`, and the
/// browser tests).
pub(crate) async fn render_from_api_pages(app: &TestApp, client: &reqwest::Client, export: &Value) -> String {
    use convo_render::{ExportHeader, ExportRenderer};
    let mut renderer = ExportRenderer::new(ExportHeader::for_export(&serde_json::from_value(export.clone()).unwrap()));
    let mut body = String::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("/api/exports/{}/pages", export["id"].as_str().unwrap());
        if let Some(c) = &cursor {
            url.push_str(&format!("?cursor={c}"));
        }
        let page = get_json(client, app.url(&url)).await;
        let conversations: Vec<convo_model::Conversation> = serde_json::from_value(page["conversations"].clone()).unwrap();
        renderer.push_page(&conversations, &mut body);
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.into()),
            None => break,
        }
    }
    let parts = renderer.finish();
    format!("{}{}{}", parts.head, body, parts.tail)
}

async fn server_side_exports_match_the_renderer_and_leak_nothing(db: Db) {
    let settings = convo_server::settings::Settings {
        export_page: Some(convo_server::store::PageLimits { conversations: 7, messages: 30, bytes: 1 << 20 }),
        ..Default::default()
    };
    let app = TestApp::start_with(db, settings).await;
    app.seed(60).await;
    let alice = app.login(ALICE).await;
    let id = create_export(&alice, &app.base, json!({"assistant_id": "support-bot", "days": 45, "render": "server"})).await;
    settle(&app, &alice).await;
    let export = get_json(&alice, app.url(&format!("/api/exports/{id}"))).await;
    assert_eq!(export["status"], "ready", "{export}");
    assert_eq!(export["progress"]["done"], export["progress"]["total"]);
    let file = alice.get(app.url(&format!("/api/exports/{id}/content"))).send().await.unwrap().text().await.unwrap();
    assert_no_canary("export", &file);
    assert_eq!(file.matches("<article class=\"conv\"").count() as i64, export["conversations"].as_i64().unwrap());
    // The server and a browser, rendering the same pages, give the same bytes.
    assert!(file == render_from_api_pages(&app, &alice, &export).await, "server and browser renderings differ");
    assert_eq!(export["size_bytes"].as_u64().unwrap(), file.len() as u64);
}

/// A fresh app, Alice signed in, and an export of hers that her browser is to render.
async fn an_export_in_a_browser(db: Db) -> (TestApp, reqwest::Client, String) {
    let app = TestApp::start(db).await;
    app.seed(20).await;
    let alice = app.login(ALICE).await;
    let id = create_export(&alice, &app.base, json!({"assistant_id": "sales-bot", "days": 30})).await;
    (app, alice, id)
}

async fn an_export_whose_browser_went_away_is_finished_by_the_server(db: Db) {
    let (app, alice, id) = an_export_in_a_browser(db).await;
    let progress = app.url(&format!("/api/exports/{id}/progress"));
    assert_eq!(alice.post(&progress).json(&json!({"done": 3})).send().await.unwrap().status(), 200);

    // The tab keeps reporting: nothing is taken over.
    app.state.clock.advance(chrono::Duration::minutes(2));
    assert_eq!(alice.post(&progress).json(&json!({"done": 6})).send().await.unwrap().status(), 200);
    app.state.clock.advance(chrono::Duration::minutes(2));
    assert_eq!(app.state.jobs.sweep_once().await.unwrap().taken_over, 0);

    // The tab went away: after three quiet minutes the server finishes the export.
    app.state.clock.advance(chrono::Duration::minutes(2));
    assert_eq!(app.state.jobs.sweep_once().await.unwrap().taken_over, 1);
    settle(&app, &alice).await;
    let export = get_json(&alice, app.url(&format!("/api/exports/{id}"))).await;
    assert_eq!(export["status"], "ready");
    assert_eq!(export["renderer"], "server");
    let file = alice.get(app.url(&format!("/api/exports/{id}/content"))).send().await.unwrap().text().await.unwrap();
    assert!(file == render_from_api_pages(&app, &alice, &export).await);

    // A late browser cannot overwrite it.
    let r = upload(&alice, &app.base, &id, b"late").await;
    assert_eq!(r.status(), 409);
    let r = alice.post(&progress).json(&json!({"done": 9})).send().await.unwrap();
    assert_eq!(r.status(), 409);
    let trail: Vec<&str> = app.state.store.audit_trail(&id).await.unwrap().into_iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(trail, ["created", "taken over", "ready", "downloaded"]);
}

async fn an_export_too_big_for_its_browser_is_handed_to_the_server(db: Db) {
    let (app, alice, id) = an_export_in_a_browser(db).await;
    let handover = app.url(&format!("/api/exports/{id}/handover"));
    let r = alice.post(&handover).json(&json!({"why": "no reason"})).send().await.unwrap();
    assert_eq!(r.status(), 400, "a reason is required");

    let r = alice.post(&handover).json(&json!({"reason": "the browser could not read its Blob"})).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let export: Value = r.json().await.unwrap();
    assert_eq!(export["renderer"], "server");
    settle(&app, &alice).await;
    let export = get_json(&alice, app.url(&format!("/api/exports/{id}"))).await;
    assert_eq!(export["status"], "ready");
    let file = alice.get(app.url(&format!("/api/exports/{id}/content"))).send().await.unwrap().text().await.unwrap();
    assert!(file == render_from_api_pages(&app, &alice, &export).await);

    // Once handed over, it is the server's: the browser can neither hand it over again
    // nor upload, and the audit trail says why the server rendered it.
    let r = alice.post(&handover).json(&json!({"reason": "again"})).send().await.unwrap();
    assert_eq!(r.status(), 409);
    let r = upload(&alice, &app.base, &id, b"late").await;
    assert_eq!(r.status(), 409);
    let trail = app.state.store.audit_trail(&id).await.unwrap();
    assert_eq!(
        (trail[1].0.as_str().to_string(), trail[1].1.clone()),
        ("taken over".to_string(), Some("handed over by the browser: the browser could not read its Blob".to_string()))
    );
}
