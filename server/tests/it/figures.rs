//! Each figure beside the previous export's: an export that continues another (since
//! last) shows, in its statistics, what the previous file showed, whether the previous
//! one was rendered by the server or by a browser, and after the previous export itself
//! is deleted; a browser's render of it is reproduced by the server byte for byte.

use crate::integrity::checked;
use crate::json_of;
use crate::limits::{render_from_api_pages, settle_one};
use convo_render::manifest;
use convo_testkit::{ALICE, Db, TestApp, create_export, on_both_databases, upload};
use reqwest::StatusCode;
use serde_json::json;

on_both_databases!(an_export_continuing_another_shows_each_figure_beside_the_previous_ones);

/// The statistics section of a page.
fn statistics(file: &str) -> &str {
    &file[file.find("<section class=\"stats\"").unwrap()..file.find("</section>").unwrap()]
}

/// Imports `n` new conversations a day after the clock, and moves the clock there.
async fn later_conversations(app: &TestApp, n: usize, seed: u64) {
    let later = app.state.clock.now() + chrono::Duration::days(1);
    let path = app.dir.path().join(format!("later-{seed}.jsonl"));
    std::fs::write(&path, convo_testkit::import_lines("support-bot", n, 6, later, 1, seed)).unwrap();
    convo_server::import::import_file(&app.state.store, &path, later, &indicatif::ProgressBar::hidden()).await.unwrap();
    app.state.clock.advance(chrono::Duration::days(2));
}

async fn an_export_continuing_another_shows_each_figure_beside_the_previous_ones(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(30).await;
    let alice = app.login(ALICE).await;
    // The first export, rendered by a browser: its figures are those its manifest states.
    let first = create_export(&alice, &app.base, json!({"assistant_id": "support-bot", "days": 30})).await;
    let (_, export) = json_of(alice.get(app.url(&format!("/api/exports/{first}"))).send().await.unwrap()).await;
    let file = render_from_api_pages(&app, &alice, &export).await;
    let (status, ready) = json_of(upload(&alice, &app.base, &first, file.as_bytes()).await).await;
    assert_eq!(status, StatusCode::OK, "{ready}");
    let figures = manifest::verify(&file).unwrap().manifest.figures.unwrap();
    assert!(figures.conversations > 0 && figures.first_response.is_some());

    // The next one, since the last, by the server: each figure beside the first's.
    later_conversations(&app, 7, 41).await;
    let (status, created) = json_of(
        alice
            .post(app.url("/api/exports"))
            .json(&json!({"assistant_id": "support-bot", "since_last": true, "render": "server"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["export"]["previous"]["figures"], serde_json::to_value(&figures).unwrap());
    let second = created["export"]["id"].as_str().unwrap().to_string();
    settle_one(&app, &alice, &second).await;
    let second_file = String::from_utf8(app.file_of(&second).await.unwrap()).unwrap();
    let stats = statistics(&second_file);
    assert!(stats.contains(&format!("previous export: {}</span>", figures.conversations)), "{stats}");
    assert!(stats.contains(&format!("previous export: {}</span>", figures.messages)), "{stats}");
    let first_response = stats.split("<dt>First response</dt>").nth(1).unwrap().split("</div>").next().unwrap();
    assert!(first_response.contains("; previous export: ") && first_response.contains("(90th percentile"), "{first_response}");

    // The first export deleted, a third export (by a browser) still shows the second's,
    // and the server reproduces the browser's file.
    let second_figures = manifest::verify(&second_file).unwrap().manifest.figures.unwrap();
    assert_eq!(alice.delete(app.url(&format!("/api/exports/{first}"))).send().await.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(alice.delete(app.url(&format!("/api/exports/{second}"))).send().await.unwrap().status(), StatusCode::NO_CONTENT);
    later_conversations(&app, 5, 43).await;
    let third = create_export(&alice, &app.base, json!({"assistant_id": "support-bot", "since_last": true})).await;
    let (_, export) = json_of(alice.get(app.url(&format!("/api/exports/{third}"))).send().await.unwrap()).await;
    assert_eq!(export["previous"]["id"], second.as_str());
    let file = render_from_api_pages(&app, &alice, &export).await;
    assert!(statistics(&file).contains(&format!("previous export: {}</span>", second_figures.conversations)));
    let (status, ready) = json_of(upload(&alice, &app.base, &third, file.as_bytes()).await).await;
    assert_eq!(status, StatusCode::OK, "{ready}");
    assert_eq!(checked(&app, &alice, &third).await["verification"], "verified");
}
