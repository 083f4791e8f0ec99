//! Click-to-ready in headless Chromium: from Start Export to the row saying Ready, for
//! exports of 100 to 100,000 conversations of 20 messages (2,000,000 messages), rendered
//! in the browser with WASM and uploaded in parts as it renders, and the tab's memory at
//! its peak (WASM memory plus the JS heap). Baseline in the same run: the same export
//! rendered by the server (`"render": "server"`), as the hosted product does. Goals: at
//! most 1.5× the server's time at 1,000,000 and 2,000,000 messages with no hand-over, the
//! tab under 256 MB, and 1,000 conversations ready within 0.5 s. After Ready, the server
//! reproduces the upload (its receipt waits for that): the time it takes is printed
//! beside the server's own render.
//!
//! `cargo bench -p convo-e2e --bench click_to_ready` (`CONVERSATIONS=100,1000` to pick).

use convo_e2e::{Browser, BrowserOptions, workspace_root};
use convo_server::clock::Clock;
use convo_testkit::{Db, Options, TestApp, create_export};
use fantoccini::Locator;
use fantoccini::wd::TimeoutConfiguration;
use std::time::{Duration, Instant};

const WAIT_READY: &str = r#"
const done = arguments[arguments.length - 1];
let longest = 0, heap = 0;
const sampleHeap = () => { if (performance.memory) heap = Math.max(heap, performance.memory.usedJSHeapSize); };
new PerformanceObserver((list) => { for (const e of list.getEntries()) longest = Math.max(longest, e.duration); })
  .observe({ type: "longtask", buffered: false });
const t0 = performance.now();
document.getElementById("start-export").click();
const check = () => {
  sampleHeap();
  if (document.querySelector(".export-row .badge.ok")) {
    const at = (name) => { const m = performance.getEntriesByName(name)[0]; return m ? m.startTime - t0 : -1; };
    done({ ms: performance.now() - t0, wasm: window.convoWasmBytes || 0, heap, longest, phases: window.convoPhases || {},
           rendered: at("convo:rendered"), hashed: at("convo:hashed"), uploaded: at("convo:uploaded") });
  }
  else if (document.querySelector(".export-row .badge.bad")) done({ error: document.querySelector(".export-row .badge.bad").textContent });
  else setTimeout(check, 5);
};
check();
"#;

/// The server with the built web app over SQLite, and an account that sees an
/// assistant with `conversations` completed conversations of 20 messages.
async fn server(conversations: usize) -> TestApp {
    let app = TestApp::serve(
        Db::Sqlite,
        Options { clock: Some(Clock::System), web_dir: Some(workspace_root().join("dist")), ..Options::default() },
    )
    .await;
    let now = chrono::Utc::now();
    let spec = convo_demo::Spec {
        assistant_id: "bench-bot".into(),
        conversations,
        messages_per_conversation: 20,
        end: now - chrono::Duration::minutes(1),
        span_days: 300,
        seed: 3,
    };
    let path = app.dir.path().join("import.jsonl");
    let mut lines = String::new();
    for mut c in convo_demo::conversations(&spec) {
        c.status = convo_model::ConversationStatus::Completed;
        c.ended_at = c.messages.last().map(|m| m.at);
        lines.push_str(&convo_demo::import_line(&c));
        lines.push('\n');
    }
    std::fs::write(&path, lines).unwrap();
    convo_server::import::import_file(&app.state.store, &path, now, &indicatif::ProgressBar::hidden()).await.unwrap();
    app.add_account("bench@example.com", "bench-password", &["bench-bot"]).await;
    app.state.store.ensure_assistant("bench-bot", Some("Bench Bot"), now).await.unwrap();
    app
}

async fn in_the_browser(base: &str) -> serde_json::Value {
    let browser = Browser::start(BrowserOptions::default()).await.unwrap();
    let c = &browser.client;
    c.update_timeouts(TimeoutConfiguration::new(
        Some(Duration::from_secs(900)),
        Some(Duration::from_secs(60)),
        Some(Duration::from_secs(10)),
    ))
    .await
    .unwrap();
    c.goto(base).await.unwrap();
    c.find(Locator::Css("#email")).await.unwrap().send_keys("bench@example.com").await.unwrap();
    c.find(Locator::Css("#password")).await.unwrap().send_keys("bench-password").await.unwrap();
    c.find(Locator::Css("form button[type=submit]")).await.unwrap().click().await.unwrap();
    c.find(Locator::Css("#export-button")).await.unwrap().click().await.unwrap();
    let days = c.find(Locator::Css("#export-days")).await.unwrap();
    days.clear().await.unwrap();
    days.send_keys("1\u{e003}365").await.unwrap();
    c.find(Locator::Id("export-includes")).await.unwrap();
    let result = c.execute_async(WAIT_READY, vec![]).await.unwrap();
    browser.close().await.unwrap();
    result
}

/// What the server made of the browser's export, and the same export rendered by the
/// server.
struct OnTheServer {
    /// Which renderer finished the browser's export (`server` after a hand-over).
    renderer: String,
    /// The server's check of the upload: `verified` when its own render of the export
    /// was the same bytes.
    verification: String,
    /// From Ready to the check's outcome: what reproduction costs, in ms.
    check_ms: f64,
    /// The same export rendered by the server, click to ready, in ms.
    server_ms: f64,
}

async fn on_the_server(base: &str) -> OnTheServer {
    let client = reqwest::Client::builder().cookie_store(true).build().unwrap();
    client
        .post(format!("{base}/api/login"))
        .json(&serde_json::json!({"email": "bench@example.com", "password": "bench-password"}))
        .send()
        .await
        .unwrap();
    let list: serde_json::Value = client.get(format!("{base}/api/exports")).send().await.unwrap().json().await.unwrap();
    let renderer = list["exports"][0]["renderer"].as_str().unwrap_or_default().to_string();
    let uploaded = list["exports"][0]["id"].as_str().unwrap_or_default().to_string();
    // The check of the upload runs first (render slots are the server's), then the
    // baseline renders alone.
    let t = Instant::now();
    let verification = loop {
        let e: serde_json::Value = client.get(format!("{base}/api/exports/{uploaded}")).send().await.unwrap().json().await.unwrap();
        if e["verification"] != "pending" || t.elapsed() > Duration::from_secs(900) {
            break e["verification"].as_str().unwrap_or("none").to_string();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let check_ms = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let id = create_export(&client, base, serde_json::json!({"assistant_id": "bench-bot", "days": 365, "render": "server"})).await;
    loop {
        let e: serde_json::Value = client.get(format!("{base}/api/exports/{id}")).send().await.unwrap().json().await.unwrap();
        if e["status"] == "ready" {
            return OnTheServer { renderer, verification, check_ms, server_ms: t.elapsed().as_secs_f64() * 1e3 };
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::main]
async fn main() {
    let sizes: Vec<usize> = std::env::var("CONVERSATIONS")
        .unwrap_or_else(|_| "100,1000,10000,50000,100000".into())
        .split(',')
        .map(|s| s.trim().parse().expect("CONVERSATIONS is a list of numbers"))
        .collect();
    println!("click-to-ready, 20 messages per conversation (guide: 30-60 s for dozens, 1-2 min for hundreds)");
    println!("goals: <= 1.5x the server at 1M and 2M messages, tab (WASM + JS heap) < 256 MB, 1,000 conversations < 500 ms");
    for n in sizes {
        let app = server(n).await;
        let base = app.base.clone();
        let browser = in_the_browser(&base).await;
        let OnTheServer { renderer, verification, check_ms, server_ms } = on_the_server(&base).await;
        let ms = |key: &str| browser[key].as_f64().unwrap_or_else(|| panic!("no {key} in {browser}"));
        let tab_mb = (ms("wasm") + ms("heap")) / 1e6;
        println!(
            "{n:>6} conversations {:>8} messages: in the browser {:>8.0} ms (rendered {:>6.0}, parts sent {:>6.0}, ready {:>6.0}; WASM {:>5.1} MB + JS heap {:>5.1} MB = {tab_mb:>5.1} MB, longest task {:>4.0} ms)   baseline: rendered by the server {:>8.0} ms   ratio {:.2}",
            n * 20,
            ms("ms"),
            ms("rendered"),
            ms("hashed"),
            ms("uploaded"),
            ms("wasm") / 1e6,
            ms("heap") / 1e6,
            ms("longest"),
            server_ms,
            ms("ms") / server_ms
        );
        println!("        in the browser's main thread (ms): {}", browser["phases"]);
        println!(
            "        the server's check of the upload: {verification} {check_ms:.0} ms after Ready ({:.2}x the server's own render)",
            check_ms / server_ms
        );
        assert_eq!(renderer, "browser", "the browser finished its export itself (no hand-over)");
        assert_eq!(verification, "verified", "the server reproduced the browser's file byte for byte");
    }
}
