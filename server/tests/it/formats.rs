//! Exports in JSON Lines, CSV and Markdown: created over the API (and by schedules),
//! named and served by their format, checked by `verify`, reproduced by the server when
//! a browser renders them; a JSON Lines export imports back; an unknown format is a 400
//! that names it and stores nothing.

use crate::ingest::{ingest_token, post};
use crate::integrity::checked;
use crate::limits::{render_from_api_pages, settle_one};
use crate::{error_of, json_of};
use convo_testkit::{ALICE, Db, TestApp, create_export, on_both_databases, upload};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_databases!(
    an_export_in_each_format_has_its_extension_and_type_and_verifies,
    a_browser_export_in_each_format_is_reproduced_by_the_server,
    a_json_lines_export_imports_back_as_it_is,
    an_unknown_format_is_a_400_that_names_it_and_stores_nothing,
    a_schedule_keeps_its_format_and_redaction_for_every_export,
);

const FORMATS: [(&str, &str, &str); 3] = [
    ("jsonl", ".jsonl", "application/x-ndjson; charset=utf-8"),
    ("csv", ".csv", "text/csv; charset=utf-8; header=present"),
    ("markdown", ".md", "text/markdown; charset=utf-8"),
];

async fn an_export_in_each_format_has_its_extension_and_type_and_verifies(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(12).await;
    let alice = app.login(ALICE).await;
    for (format, extension, media_type) in FORMATS {
        let body = json!({"assistant_id": "support-bot", "days": 30, "format": format, "redact": {"emails": true}, "render": "server"});
        let (status, created) = json_of(alice.post(app.url("/api/exports")).json(&body).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(created["export"]["format"], format);
        let filename = created["export"]["filename"].as_str().unwrap().to_string();
        assert!(filename.ends_with(extension), "{filename}");
        let id = created["export"]["id"].as_str().unwrap().to_string();
        let ready = settle_one(&app, &alice, &id).await;
        assert_eq!(ready["status"], "ready", "{ready}");
        let r = alice.get(app.url(&format!("/api/exports/{id}/content"))).send().await.unwrap();
        assert_eq!(r.headers()["content-type"], media_type);
        assert!(r.headers()["content-disposition"].to_str().unwrap().contains(&filename));
        let file = r.text().await.unwrap();
        convo_testkit::assert_no_canary(format, &file);
        assert!(!file.contains("@example.com") && !file.contains("<!DOCTYPE"), "{format}: emails masked, and not a page");
        let verified = convo_render::manifest::verify(&file).unwrap_or_else(|f| panic!("{format}: {f:?}"));
        assert_eq!(verified.manifest.file_format.as_str(), format);
        assert_eq!(verified.manifest.counts.conversations as i64, ready["conversations"].as_i64().unwrap());
        assert!(verified.manifest.redaction.is_some());
        // Opened in the app, it shows as text, never as a page.
        let r = alice.get(app.url(&format!("/api/exports/{id}/open"))).send().await.unwrap();
        assert_eq!(r.headers()["content-type"], "text/plain; charset=utf-8");
        assert_eq!(ready["verification"], "verified", "{ready}");
    }
}

async fn a_browser_export_in_each_format_is_reproduced_by_the_server(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(9).await;
    let alice = app.login(ALICE).await;
    for (format, _, _) in FORMATS {
        let id = create_export(&alice, &app.base, json!({"assistant_id": "support-bot", "days": 30, "format": format})).await;
        let (_, export) = json_of(alice.get(app.url(&format!("/api/exports/{id}"))).send().await.unwrap()).await;
        let file = render_from_api_pages(&app, &alice, &export).await;
        // A file made for another format of the same export is not this export's.
        let (status, ready) = json_of(upload(&alice, &app.base, &id, file.as_bytes()).await).await;
        assert_eq!(status, StatusCode::OK, "{ready}");
        let export = checked(&app, &alice, &id).await;
        assert_eq!(export["verification"], "verified", "{format}: {export}");
    }
    // A file naming another export, in the same format, is refused before it is stored.
    let first = create_export(&alice, &app.base, json!({"assistant_id": "support-bot", "days": 30, "format": "csv"})).await;
    let other = create_export(&alice, &app.base, json!({"assistant_id": "support-bot", "days": 30, "format": "csv"})).await;
    let (_, export) = json_of(alice.get(app.url(&format!("/api/exports/{first}"))).send().await.unwrap()).await;
    let file = render_from_api_pages(&app, &alice, &export).await;
    let (status, body) = json_of(upload(&alice, &app.base, &other, file.as_bytes()).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(error_of(&body).contains(&format!("names export {first}")), "{body}");
}

async fn a_json_lines_export_imports_back_as_it_is(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(8).await;
    let alice = app.login(ALICE).await;
    let body = json!({"assistant_id": "support-bot", "days": 30, "format": "jsonl", "render": "server"});
    let id = create_export(&alice, &app.base, body).await;
    let ready = settle_one(&app, &alice, &id).await;
    let file = String::from_utf8(app.file_of(&id).await.unwrap()).unwrap();
    let token = ingest_token(&app, &["support-bot"]).await;
    let (status, answer) = post(&app, &token, "/api/ingest", file.clone().into_bytes()).await;
    assert_eq!(status, StatusCode::OK, "the export, manifest line and all, imports back: {answer}");
    let written = answer["conversations"].as_i64().or_else(|| answer["unchanged"].as_i64());
    assert!(written.is_some(), "{answer}");
    // Nothing changed: a second export of the same range has the same conversations.
    let again =
        create_export(&alice, &app.base, json!({"assistant_id": "support-bot", "days": 30, "format": "jsonl", "render": "server"})).await;
    let again_ready = settle_one(&app, &alice, &again).await;
    assert_eq!(again_ready["conversations"], ready["conversations"]);
    assert_eq!(again_ready["messages"], ready["messages"]);
    let second = String::from_utf8(app.file_of(&again).await.unwrap()).unwrap();
    assert_eq!(file.lines().skip(1).collect::<Vec<_>>(), second.lines().skip(1).collect::<Vec<_>>(), "the same lines");
}

async fn an_unknown_format_is_a_400_that_names_it_and_stores_nothing(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(3).await;
    let alice = app.login(ALICE).await;
    for (path, body) in [
        ("/api/exports", json!({"assistant_id": "support-bot", "days": 30, "format": "xlsx"})),
        ("/api/schedules", json!({"assistant_id": "support-bot", "every": "month", "time_zone": "UTC", "format": "xlsx"})),
    ] {
        let (status, answer) = json_of(alice.post(app.url(path)).json(&body).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {answer}");
        assert!(error_of(&answer).contains("xlsx"), "{path}: {answer}");
    }
    let (_, list) = json_of(alice.get(app.url("/api/exports")).send().await.unwrap()).await;
    assert_eq!(list["exports"].as_array().unwrap().len(), 0);
    let (_, list) = json_of(alice.get(app.url("/api/schedules")).send().await.unwrap()).await;
    assert_eq!(list["schedules"].as_array().unwrap().len(), 0);
}

async fn a_schedule_keeps_its_format_and_redaction_for_every_export(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(40).await;
    let alice = app.login(ALICE).await;
    let body = json!({"assistant_id": "support-bot", "every": "month", "time_zone": "Europe/Berlin", "format": "csv", "redact": {"emails": true, "contacts": "pseudonyms"}});
    let (status, schedule) = json_of(alice.post(app.url("/api/schedules")).json(&body).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::CREATED, "{schedule}");
    assert_eq!(schedule["format"], "csv");
    assert_eq!(schedule["redaction"]["kinds"], json!(["emails"]), "{schedule}");
    let sid = schedule["id"].as_str().unwrap();
    let (status, run) = json_of(alice.post(app.url(&format!("/api/schedules/{sid}/run"))).json(&json!({})).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::CREATED, "{run}");
    let export: &Value = &run["export"];
    assert_eq!(export["format"], "csv");
    assert!(export["filename"].as_str().unwrap().ends_with(".csv"));
    let id = export["id"].as_str().unwrap();
    let ready = settle_one(&app, &alice, id).await;
    assert_eq!(ready["status"], "ready", "{ready}");
    let file = String::from_utf8(app.file_of(id).await.unwrap()).unwrap();
    assert!(!file.contains("@example.com"), "the schedule's export masks emails");
    assert!(convo_render::manifest::verify(&file).is_ok());
}
