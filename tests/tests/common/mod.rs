//! What the browser tests of the web app share: the server with the built app and the
//! demo data, and the page helpers (wait for a condition, read, click, log in, axe).

#![allow(dead_code)] // each test file uses its own part of it

use convo_e2e::workspace_root;
use convo_server::clock::Clock;
use convo_testkit::{Db, Options, TestApp};
use fantoccini::{Client, Locator};
use std::time::{Duration, Instant};

/// The server with the built web app and the demo data, on SQLite and the real clock.
pub async fn start_server() -> TestApp {
    start_server_with(convo_server::settings::Settings::default()).await
}

pub async fn start_server_with(settings: convo_server::settings::Settings) -> TestApp {
    let dist = workspace_root().join("dist");
    assert!(dist.join("index.html").is_file(), "build the web app first: `cargo xtask test` does");
    let options = Options { clock: Some(Clock::System), web_dir: Some(dist), settings, ..Options::default() };
    let app = TestApp::serve(Db::Sqlite, options).await;
    convo_server::demo::seed(&app.state.store, app.dir.path(), chrono::Utc::now()).await.unwrap();
    app
}

/// Polls `check` (a JS expression) until it is true, for at most `secs` seconds.
pub async fn wait_for(client: &Client, check: &str, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let v = client.execute(&format!("return !!({check})"), vec![]).await.unwrap();
        if v == serde_json::json!(true) {
            return;
        }
        if Instant::now() >= deadline {
            let page = client.execute("return document.body.innerText", vec![]).await.unwrap_or_default();
            panic!("timed out waiting for {check}; the page shows:\n{}", page.as_str().unwrap_or_default());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn text_of(client: &Client, css: &str) -> String {
    client.find(Locator::Css(css)).await.unwrap().text().await.unwrap()
}

pub async fn axe(client: &Client, page: &str) {
    let axe = convo_e2e::axe_script().unwrap();
    let result = client
        .execute_async(
            &format!("{axe}\nconst done = arguments[arguments.length - 1]; axe.run(document, {{resultTypes: ['violations']}}).then(r => done(r.violations.map(v => v.id + ': ' + v.help + ' ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))), e => done(['axe failed: ' + e]));"),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(result, serde_json::json!([]), "axe violations on {page}");
}

pub async fn log_in(client: &Client, base: &str, email: &str, password: &str) {
    client.goto(base).await.unwrap();
    wait_for(client, "document.getElementById('email')", 20).await;
    client.find(Locator::Css("#email")).await.unwrap().send_keys(email).await.unwrap();
    client.find(Locator::Css("#password")).await.unwrap().send_keys(password).await.unwrap();
    client.find(Locator::Css("form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for(client, "document.getElementById('export-button')", 20).await;
}

pub async fn set_days(client: &Client, value: &str) {
    let input = client.find(Locator::Css("#export-days")).await.unwrap();
    input.clear().await.unwrap();
    // Typed as a person would, so that the field hears every key (a clear alone is silent).
    input.send_keys(&format!("1\u{e003}{value}")).await.unwrap();
}

pub async fn click(client: &Client, css: &str) {
    client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no {css}: {e}")).click().await.unwrap();
}
