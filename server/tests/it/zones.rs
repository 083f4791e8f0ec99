//! Times in a zone: an export created with `time_zone` shows every time there with its
//! offset (UTC stays in `datetime`), on the server and in a browser's render alike; a
//! schedule's exports show its own zone; an unknown zone is a 400 that names it and
//! stores nothing.

use crate::integrity::checked;
use crate::limits::{render_from_api_pages, settle_one};
use crate::{error_of, json_of};
use convo_testkit::{ALICE, Db, TestApp, create_export, on_both_databases, upload};
use reqwest::StatusCode;
use serde_json::json;

on_both_databases!(
    an_export_in_a_zone_shows_every_time_there_and_utc_to_machines,
    a_browser_export_in_a_zone_is_reproduced_by_the_server,
    a_schedules_exports_show_its_own_zone,
    an_unknown_time_zone_is_a_400_that_names_it_and_stores_nothing,
);

/// Every readable time of the page (`<time>`'s text) and its `datetime`.
fn times(file: &str) -> Vec<(String, String)> {
    file.split("<time datetime=\"")
        .skip(1)
        .map(|rest| {
            let (machine, rest) = rest.split_once("\">").unwrap();
            let (shown, _) = rest.split_once("</time>").unwrap();
            (machine.to_string(), shown.to_string())
        })
        .collect()
}

async fn an_export_in_a_zone_shows_every_time_there_and_utc_to_machines(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(12).await;
    let alice = app.login(ALICE).await;
    let body = json!({"assistant_id": "support-bot", "days": 30, "time_zone": "Asia/Kolkata", "render": "server"});
    let (status, created) = json_of(alice.post(app.url("/api/exports")).json(&body).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["export"]["time_zone"], "Asia/Kolkata");
    let id = created["export"]["id"].as_str().unwrap().to_string();
    let ready = settle_one(&app, &alice, &id).await;
    assert_eq!((ready["status"].as_str(), ready["time_zone"].as_str()), (Some("ready"), Some("Asia/Kolkata")), "{ready}");
    let file = String::from_utf8(app.file_of(&id).await.unwrap()).unwrap();
    assert!(file.contains("<dt>Time zone</dt><dd>Asia/Kolkata</dd>"));
    let all = times(&file);
    assert!(all.len() > 20, "{}", all.len());
    for (machine, shown) in &all {
        // UTC for machines; for people, the same instant 5 h 30 min later, so marked.
        let utc: chrono::DateTime<chrono::Utc> = machine.parse().unwrap();
        let local = (utc + chrono::Duration::minutes(330)).format("%Y-%m-%d %H:%M +05:30").to_string();
        assert!(machine.ends_with('Z'), "{machine}");
        assert_eq!(shown, &local, "{machine}");
    }
    assert!(convo_render::manifest::verify(&file).is_ok());
    // Without a zone, nothing changes: UTC, said so.
    let plain = create_export(&alice, &app.base, json!({"assistant_id": "support-bot", "days": 30, "render": "server"})).await;
    settle_one(&app, &alice, &plain).await;
    let file = String::from_utf8(app.file_of(&plain).await.unwrap()).unwrap();
    assert!(times(&file).iter().all(|(_, shown)| shown.ends_with(" UTC")) && !file.contains("<dt>Time zone</dt>"));
}

async fn a_browser_export_in_a_zone_is_reproduced_by_the_server(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(9).await;
    let alice = app.login(ALICE).await;
    let id = create_export(&alice, &app.base, json!({"assistant_id": "support-bot", "days": 30, "time_zone": "America/New_York"})).await;
    let (_, export) = json_of(alice.get(app.url(&format!("/api/exports/{id}"))).send().await.unwrap()).await;
    // The tab renders from what the API says of the export, its zone included.
    let file = render_from_api_pages(&app, &alice, &export).await;
    assert!(file.contains("<dt>Time zone</dt><dd>America/New_York</dd>"));
    let (status, ready) = json_of(upload(&alice, &app.base, &id, file.as_bytes()).await).await;
    assert_eq!(status, StatusCode::OK, "{ready}");
    assert_eq!(checked(&app, &alice, &id).await["verification"], "verified");
}

async fn a_schedules_exports_show_its_own_zone(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(40).await;
    let alice = app.login(ALICE).await;
    let body = json!({"assistant_id": "support-bot", "every": "month", "time_zone": "Europe/Berlin"});
    let (status, schedule) = json_of(alice.post(app.url("/api/schedules")).json(&body).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::CREATED, "{schedule}");
    let sid = schedule["id"].as_str().unwrap();
    let (status, run) = json_of(alice.post(app.url(&format!("/api/schedules/{sid}/run"))).json(&json!({})).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::CREATED, "{run}");
    assert_eq!(run["export"]["time_zone"], "Europe/Berlin");
    let id = run["export"]["id"].as_str().unwrap();
    settle_one(&app, &alice, id).await;
    let file = String::from_utf8(app.file_of(id).await.unwrap()).unwrap();
    assert!(times(&file).iter().all(|(_, shown)| shown.ends_with("+01:00") || shown.ends_with("+02:00")), "Berlin's offsets");
}

async fn an_unknown_time_zone_is_a_400_that_names_it_and_stores_nothing(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(3).await;
    let alice = app.login(ALICE).await;
    for zone in [json!("Mars/Olympus"), json!("+01:00"), json!(60)] {
        let body = json!({"assistant_id": "support-bot", "days": 30, "time_zone": zone});
        let (status, answer) = json_of(alice.post(app.url("/api/exports")).json(&body).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{zone}: {answer}");
        assert!(error_of(&answer).contains("time_zone"), "{zone}: {answer}");
    }
    let (_, list) = json_of(alice.get(app.url("/api/exports")).send().await.unwrap()).await;
    assert_eq!(list["exports"].as_array().unwrap().len(), 0);
}
