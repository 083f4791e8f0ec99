//! Integrity under retries, races and forgery, on SQLite and PostgreSQL: parts and
//! completions sent several times at once, receipts only for files the server
//! reproduced, uploads made for another export, and server renders whose lease another
//! process took.

use crate::limits::render_from_api_pages;
use crate::{error_of, json_of};
use convo_testkit::{ALICE, Db, Options, TestApp, content_digest, create_export, on_both_databases, upload};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

on_both_databases!(
    a_complete_sent_four_times_at_once_answers_the_ready_export_and_keeps_its_file,
    a_part_sent_four_times_at_once_is_stored_once_and_the_export_completes,
    a_receipt_is_signed_only_for_a_file_the_server_reproduced,
    a_forged_upload_gets_no_receipt_and_says_why,
    an_upload_made_for_another_export_is_refused_and_stores_nothing,
    a_server_render_whose_lease_was_taken_can_neither_fail_nor_finish_the_export,
    an_exports_pages_hold_its_range_and_filters_for_its_owner_only,
    an_import_line_with_anything_after_its_json_stores_nothing
);

async fn get(client: &reqwest::Client, app: &TestApp, path: &str) -> (StatusCode, Value) {
    json_of(client.get(app.url(path)).send().await.unwrap()).await
}

async fn put_part(app: &TestApp, client: &reqwest::Client, id: &str, n: usize, bytes: &[u8]) -> (StatusCode, Value) {
    let url = app.url(&format!("/api/exports/{id}/parts/{n}"));
    json_of(client.put(url).header("content-digest", content_digest(bytes)).body(bytes.to_vec()).send().await.unwrap()).await
}

async fn complete(app: &TestApp, client: &reqwest::Client, id: &str, parts: usize) -> (StatusCode, Value) {
    json_of(client.post(app.url(&format!("/api/exports/{id}/complete"))).json(&json!({"parts": parts})).send().await.unwrap()).await
}

/// An app with Alice's browser export of `sales-bot`, and the file an honest browser
/// renders for it.
async fn a_browser_export(db: Db) -> (TestApp, reqwest::Client, String, String) {
    let app = TestApp::start(db).await;
    app.seed(12).await;
    let alice = app.login(ALICE).await;
    let id = create_export(&alice, &app.base, json!({"assistant_id": "sales-bot", "days": 30})).await;
    let (_, export) = get(&alice, &app, &format!("/api/exports/{id}")).await;
    let file = render_from_api_pages(&app, &alice, &export).await;
    (app, alice, id, file)
}

/// The file cut in four parts, the head (part 1) first.
fn four_parts(file: &str) -> Vec<Vec<u8>> {
    let bytes = file.as_bytes();
    let q = bytes.len() / 4;
    vec![bytes[..q].to_vec(), bytes[q..2 * q].to_vec(), bytes[2 * q..3 * q].to_vec(), bytes[3 * q..].to_vec()]
}

/// Waits (bounded) until the export's check is done; returns the export.
pub(crate) async fn checked(app: &TestApp, client: &reqwest::Client, id: &str) -> Value {
    for _ in 0..400 {
        let (_, export) = get(client, app, &format!("/api/exports/{id}")).await;
        if export["verification"] != "pending" {
            return export;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("export {id} still being checked after 20 s");
}

async fn a_complete_sent_four_times_at_once_answers_the_ready_export_and_keeps_its_file(db: Db) {
    let (app, alice, id, file) = a_browser_export(db).await;
    let parts = four_parts(&file);
    for n in [2, 3, 4, 1] {
        assert_eq!(put_part(&app, &alice, &id, n, &parts[n - 1]).await.0, 200);
    }
    let answers = futures_util::future::join_all((0..4).map(|_| complete(&app, &alice, &id, 4))).await;
    for (status, body) in &answers {
        assert_eq!(*status, 200, "every complete answers the ready export: {body}");
        assert_eq!(body["status"], "ready");
        assert_eq!(body["size_bytes"], file.len());
    }
    let served = alice.get(app.url(&format!("/api/exports/{id}/content"))).send().await.unwrap().bytes().await.unwrap();
    assert!(served.as_ref() == file.as_bytes(), "the whole file is served");
    // Again later: the same answer, the same bytes.
    let (status, again) = complete(&app, &alice, &id, 4).await;
    assert_eq!((status, &again["sha256"]), (StatusCode::OK, &answers[0].1["sha256"]));
    let served = alice.get(app.url(&format!("/api/exports/{id}/content"))).send().await.unwrap().bytes().await.unwrap();
    assert!(served.as_ref() == file.as_bytes());
    // A sweep keeps every part the file is made of.
    app.state.clock.advance(chrono::Duration::days(2));
    app.state.jobs.sweep_once().await.unwrap();
    assert_eq!(app.file_of(&id).await.unwrap(), file.as_bytes());
}

async fn a_part_sent_four_times_at_once_is_stored_once_and_the_export_completes(db: Db) {
    let (app, alice, id, file) = a_browser_export(db).await;
    let parts = four_parts(&file);
    let answers = futures_util::future::join_all((0..4).map(|_| put_part(&app, &alice, &id, 2, &parts[1]))).await;
    for (status, body) in &answers {
        assert_eq!(*status, 200, "a retried part is the same part: {body}");
    }
    for n in [3, 4, 1] {
        assert_eq!(put_part(&app, &alice, &id, n, &parts[n - 1]).await.0, 200);
    }
    let (status, ready) = complete(&app, &alice, &id, 4).await;
    assert_eq!(status, 200, "{ready}");
    let served = alice.get(app.url(&format!("/api/exports/{id}/content"))).send().await.unwrap().bytes().await.unwrap();
    assert!(served.as_ref() == file.as_bytes());
    // One object per part: the losing attempts' own objects are gone.
    assert_eq!(app.objects(Some(&id)).await.len(), 4);
}

async fn a_receipt_is_signed_only_for_a_file_the_server_reproduced(db: Db) {
    let (app, alice, id, file) = a_browser_export(db).await;
    let r = upload(&alice, &app.base, &id, file.as_bytes()).await;
    let (status, ready) = json_of(r).await;
    assert_eq!(status, 200, "{ready}");
    // Ready at once; vouched for only once reproduced.
    assert_eq!((&ready["status"], &ready["verified"]), (&json!("ready"), &json!(false)));
    let export = checked(&app, &alice, &id).await;
    assert_eq!((&export["verification"], &export["verified"]), (&json!("verified"), &json!(true)), "{export}");
    let (status, receipt) = get(&alice, &app, &format!("/api/exports/{id}/receipt")).await;
    assert_eq!(status, 200, "{receipt}");
    assert_eq!((&receipt["verified"], &receipt["sha256"]), (&json!(true), &export["sha256"]));
    let activity = alice.get(app.url("/api/audit.csv")).send().await.unwrap().text().await.unwrap();
    assert!(activity.contains(",verified,"), "the check is in the activity trail: {activity}");
}

async fn a_forged_upload_gets_no_receipt_and_says_why(db: Db) {
    let (app, alice, id, file) = a_browser_export(db).await;
    // One answer rewritten; the manifest, which vouches only for itself, resealed as a
    // forger would (here: left naming this export, so the upload is taken).
    let answer = file.find("<li class=\"m a\"").expect("an assistant answer");
    let at = answer + file[answer..].find("<div class=\"mb\" dir=\"auto\">").unwrap();
    let end = at + file[at..].find("</div>").unwrap();
    let forged = format!("{}<div class=\"mb\" dir=\"auto\">Your refund was DENIED{}", &file[..at], &file[end..]);
    let (status, ready) = json_of(upload(&alice, &app.base, &id, forged.as_bytes()).await).await;
    assert_eq!(status, 200, "{ready}");
    let (status, body) = get(&alice, &app, &format!("/api/exports/{id}/receipt")).await;
    assert!(status == StatusCode::CONFLICT || status == StatusCode::ACCEPTED, "no receipt while it is checked: {status}");
    assert!(!error_of(&body).is_empty());
    let export = checked(&app, &alice, &id).await;
    assert_eq!((&export["verification"], &export["verified"]), (&json!("mismatch"), &json!(false)), "{export}");
    assert!(export["verification_note"].as_str().unwrap().contains("not what the server renders"));
    let (status, body) = get(&alice, &app, &format!("/api/exports/{id}/receipt")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(error_of(&body).contains("could not reproduce"), "{body}");
}

async fn an_upload_made_for_another_export_is_refused_and_stores_nothing(db: Db) {
    let (app, alice, first, file) = a_browser_export(db).await;
    let other = create_export(&alice, &app.base, json!({"assistant_id": "sales-bot", "days": 30})).await;
    // Whole…
    let (status, body) = json_of(upload(&alice, &app.base, &other, file.as_bytes()).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(error_of(&body).contains(&format!("names export {first}")), "{body}");
    // …or in parts.
    let parts = four_parts(&file);
    for n in [2, 3, 4, 1] {
        assert_eq!(put_part(&app, &alice, &other, n, &parts[n - 1]).await.0, 200);
    }
    let (status, body) = complete(&app, &alice, &other, 4).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(app.objects(Some(&other)).await.is_empty(), "nothing of it is stored");
    let (_, export) = get(&alice, &app, &format!("/api/exports/{other}")).await;
    assert_eq!(export["status"], "processing");
    // The export's own file is still taken.
    let (_, export) = get(&alice, &app, &format!("/api/exports/{first}")).await;
    let own = render_from_api_pages(&app, &alice, &export).await;
    let (_, export) = get(&alice, &app, &format!("/api/exports/{other}")).await;
    let own_other = render_from_api_pages(&app, &alice, &export).await;
    assert_eq!(json_of(upload(&alice, &app.base, &other, own_other.as_bytes()).await).await.0, 200);
    assert_eq!(json_of(upload(&alice, &app.base, &first, own.as_bytes()).await).await.0, 200);
}

async fn a_server_render_whose_lease_was_taken_can_neither_fail_nor_finish_the_export(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(5).await;
    let alice = app.login(ALICE).await;
    let id = create_export(&alice, &app.base, json!({"assistant_id": "sales-bot", "days": 30, "render": "server"})).await;
    crate::limits::settle_one(&app, &alice, &id).await;
    // Another export this process starts rendering (its lease taken), then stalls.
    let stalled_id = {
        let sibling = app.sibling(Options::default()).await;
        let account = sibling.store.account_by_email(ALICE.0).await.unwrap().unwrap().0;
        let request = convo_server::catalog::ExportRequest {
            span: convo_server::catalog::Span::Days(30.try_into().unwrap()),
            assistant_id: "sales-bot".into(),
            filters: Default::default(),
            redaction: Default::default(),
            format: Default::default(),
            time_zone: None,
            renderer: convo_model::api::Renderer::Server,
        };
        let stalled = sibling.catalog.create(&account, request).await.unwrap().export;
        assert!(sibling.catalog.server_starting(&stalled).await.unwrap(), "the first process holds the lease");
        // Its lease lapses; another process takes the export over.
        app.state.clock.advance(chrono::Duration::minutes(5));
        sibling.clock.advance(chrono::Duration::minutes(5));
        let taken = app.state.catalog.take_over_stale().await.unwrap();
        assert_eq!(taken.len(), 1);
        // The first process comes back: its failure and its file are refused.
        sibling.catalog.server_failed(&stalled).await.unwrap();
        let written = sibling
            .files()
            .write(&stalled.id, futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"late"))]), 100, None)
            .await
            .unwrap();
        let figures =
            convo_model::Figures { conversations: 1, messages: 1, contacts: 1, first_response: None, response: None, duration: None };
        let rendered = convo_server::catalog::Rendered { conversations: 1, messages: 1, figures: &figures };
        assert!(!sibling.catalog.finish_render(&stalled, &written, rendered).await.unwrap());
        stalled.id
    };
    let (_, export) = get(&alice, &app, &format!("/api/exports/{stalled_id}")).await;
    assert_eq!((&export["status"], &export["renderer"]), (&json!("processing"), &json!("server")), "{export}");
    // Its successor finishes it.
    let row = app.state.store.export_by_id(&stalled_id).await.unwrap().unwrap();
    app.state.jobs.render(row).await;
    let export = crate::limits::settle_one(&app, &alice, &stalled_id).await;
    assert_eq!(export["verified"], true, "a server render is its own reproduction");
}

async fn an_exports_pages_hold_its_range_and_filters_for_its_owner_only(db: Db) {
    let settings = convo_server::settings::Settings {
        export_page: Some(convo_server::store::PageLimits { conversations: 2, messages: 1_000, bytes: 1 << 20 }),
        ..Default::default()
    };
    let app = TestApp::start_with(db, settings).await;
    app.seed(30).await;
    let alice = app.login(ALICE).await;
    let body = json!({"assistant_id": "support-bot", "days": 30, "filters": {"channels": ["Gmail"]}});
    let id = create_export(&alice, &app.base, body).await;
    let (_, export) = get(&alice, &app, &format!("/api/exports/{id}")).await;
    let mut cursor: Option<String> = None;
    let (mut seen, mut pages) = (0, 0);
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/exports/{id}/pages?cursor={c}"),
            None => format!("/api/exports/{id}/pages"),
        };
        let r = alice.get(app.url(&path)).send().await.unwrap();
        let header = r.headers()["next-cursor"].to_str().unwrap().to_string();
        let (status, page) = json_of(r).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(header, page["next_cursor"].as_str().unwrap_or(""), "the header says the same");
        for c in page["conversations"].as_array().unwrap() {
            assert_eq!(c["channel"], "gmail", "the export's filters apply");
            let started = c["started_at"].as_str().unwrap();
            assert!(started >= export["range"]["from"].as_str().unwrap() && started <= export["range"]["to"].as_str().unwrap());
            seen += 1;
        }
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, export["conversations"].as_i64().unwrap(), "every conversation of the export, once");
    assert!(pages > 1, "in several pages");
    // Asking for a bigger page than the server's gets the server's.
    let (status, big) = get(&alice, &app, &format!("/api/exports/{id}/pages?messages=1000000")).await;
    assert_eq!((status, big["conversations"].as_array().unwrap().len()), (StatusCode::OK, 2), "{big}");
    let (status, body) = get(&alice, &app, &format!("/api/exports/{id}/pages?messages=0")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = get(&alice, &app, &format!("/api/exports/{id}/pages?cursor=nonsense")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let bob = app.login(convo_testkit::BOB).await;
    assert_eq!(get(&bob, &app, &format!("/api/exports/{id}/pages")).await.0, StatusCode::NOT_FOUND, "another account's export");
}

async fn an_import_line_with_anything_after_its_json_stores_nothing(db: Db) {
    let app = TestApp::start(db).await;
    let now = app.state.clock.now();
    let lines = convo_testkit::import_lines("tail-bot", 3, 4, now, 10, 9);
    let mut lines: Vec<String> = lines.lines().map(str::to_string).collect();
    lines[1].push_str(r#" {"id":"smuggled"}"#);
    let path = app.dir.path().join("tail.jsonl");
    std::fs::write(&path, lines.join("\n")).unwrap();
    let err = convo_server::import::import_file(&app.state.store, &path, now, &indicatif::ProgressBar::hidden()).await.unwrap_err();
    let said = format!("{err:#}");
    assert!(said.contains("line 2") && said.contains("more after the conversation's JSON"), "{said}");
    assert!(app.state.store.assistant_by_public_id("tail-bot").await.unwrap().is_none(), "nothing was stored");
}
