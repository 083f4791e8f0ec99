//! Click-to-ready in headless Chromium: from Start Export to the row saying Ready, for
//! exports rendered in the browser with WASM and uploaded in parts as it renders, and the
//! tab's memory (the WASM memory of the page and its export worker, plus their JS heaps), on several shapes of data
//! (a figure from one shape hid a 5x gap on another): many short conversations, few long
//! ones, Markdown-heavy answers, mixed scripts; and on both set-ups, SQLite with the
//! local disk, PostgreSQL with S3 (a real Garage). Baseline in the same run: the same
//! export rendered by the server (`"render": "server"`), as the hosted product does.
//! Goals: at most 1.25x the server's time at 2,000,000 messages on every shape and both
//! set-ups, the tab under 256 MB, 1,000 conversations ready within 300 ms, no task over
//! 100 ms. After Ready, the server reproduces the upload (its receipt waits for that):
//! the time it takes is printed beside the server's own render.
//!
//! `cargo bench -p convo-e2e --bench click_to_ready`: `MESSAGES=2000000` (default
//! 200,000) sets every shape's size, `SHAPES=short,long,markdown,scripts`,
//! `SETUPS=sqlite,postgres`, `PAGES=both` also runs the short shape on pages of at most
//! 200 conversations (the page path before), and `CONVERSATIONS=100,1000` runs the older
//! series of short conversations of 20 messages instead. `PROFILE=1` samples the page's
//! thread (the DevTools profiler) and prints its longest busy stretches with the
//! functions that ran in them: a long animation frame names only the event that began a
//! task, not the work queued behind it.

use convo_e2e::{Browser, BrowserOptions, workspace_root};
use convo_server::clock::Clock;
use convo_server::files::Storage;
use convo_testkit::Garage;
use convo_testkit::{Db, Options, TestApp, create_export};
use fantoccini::Locator;
use fantoccini::wd::TimeoutConfiguration;
use std::time::{Duration, Instant};

/// The kinds of data an export may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Conversations of 20 messages with short answers (a chat widget's day).
    Short,
    /// A few conversations of 5,000 messages each (an agent's long sessions).
    Long,
    /// Answers of long Markdown: headings, lists, code, tables.
    Markdown,
    /// Arabic, Hebrew, Chinese, Japanese, Hindi, Russian and emoji, mixed.
    Scripts,
}

impl Shape {
    fn parse(name: &str) -> Shape {
        match name.trim() {
            "short" => Shape::Short,
            "long" => Shape::Long,
            "markdown" => Shape::Markdown,
            "scripts" => Shape::Scripts,
            other => panic!("SHAPES: {other:?} is not short, long, markdown or scripts"),
        }
    }

    /// Conversations and messages per conversation for `messages` messages.
    fn sizes(self, messages: usize) -> (usize, usize) {
        let per = match self {
            Shape::Long => 5_000,
            _ => 20,
        };
        ((messages / per).max(1), per)
    }

    /// Gives message `m` of conversation `i` this shape's content.
    fn rewrite(self, i: usize, c: &mut convo_model::Conversation) {
        const MARKDOWN: &str = "## What happened\n\nYour order **#{n}** left our warehouse on *Monday*. Here is what to do next:\n\n1. Check the tracking link in your email.\n2. If it says *delivered*, look around your door.\n3. Still nothing? Reply here.\n\n| step | when | who |\n|---|---|---|\n| packed | Monday | warehouse |\n| shipped | Tuesday | carrier |\n| delivered | Thursday | carrier |\n\n```json\n{\"order\": {n}, \"status\": \"shipped\", \"items\": [1, 2, 3]}\n```\n\n> Refunds take 5-7 business days after we receive the item.\n\nSee [our policy](https://example.com/returns) for details.";
        const SCRIPTS: [&str; 7] = [
            "مرحبا، أين طلبي رقم {n}؟ لم يصل بعد.",
            "שלום, ההזמנה {n} עדיין לא הגיעה אליי.",
            "你好，我的订单 {n} 还没有到，请帮我查一下。",
            "こんにちは、注文 {n} がまだ届いていません。",
            "नमस्ते, मेरा ऑर्डर {n} अभी तक नहीं आया है।",
            "Здравствуйте, мой заказ {n} ещё не пришёл.",
            "Hi 👋 order {n} 📦 still not here 😟🙏",
        ];
        for (m, message) in c.messages.iter_mut().enumerate() {
            let n = (i * 31 + m).to_string();
            match self {
                Shape::Short | Shape::Long => {}
                Shape::Markdown if message.role == convo_model::Role::Assistant => message.content = MARKDOWN.replace("{n}", &n),
                Shape::Markdown => {}
                Shape::Scripts => message.content = SCRIPTS[(i + m) % SCRIPTS.len()].replace("{n}", &n),
            }
        }
    }
}

/// How an export's pages are cut: by bytes (the page path), or, as the baseline of the
/// page path itself, at most 200 conversations a page as before (`PAGES=both`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pages {
    ByBytes,
    At200Conversations,
}

impl Pages {
    fn limits(self) -> Option<convo_server::store::PageLimits> {
        match self {
            Pages::ByBytes => None,
            Pages::At200Conversations => Some(convo_server::store::PageLimits { conversations: 200, messages: 5_000, bytes: 5 << 20 }),
        }
    }
}

/// Where the server keeps its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setup {
    SqliteDisk,
    PostgresS3,
}

const WAIT_READY: &str = r#"
const done = arguments[arguments.length - 1];
let longest = 0, longestAt = 0, heap = 0;
const sampleHeap = () => { if (performance.memory) heap = Math.max(heap, performance.memory.usedJSHeapSize); };
new PerformanceObserver((list) => { for (const e of list.getEntries()) if (e.duration > longest) { longest = e.duration; longestAt = e.startTime - t0; } })
  .observe({ type: "longtask", buffered: false });
// What ran in the longest animation frame (Chromium's long-animation-frame entries name
// the scripts that ran in it), to tell a long task's cause.
let longestFrame = 0, longestWhat = "";
new PerformanceObserver((list) => { for (const e of list.getEntries()) if (e.duration > longestFrame) {
  longestFrame = e.duration;
  longestWhat = `${Math.round(e.duration)} ms at ${Math.round(e.startTime - t0)} ms (blocking ${Math.round(e.blockingDuration)} ms): ` +
    e.scripts.map((s) => `${s.invokerType} ${s.invoker} ${s.sourceFunctionName || ""} ${Math.round(s.duration)} ms`).join("; ");
} }).observe({ type: "long-animation-frame", buffered: false });
const t0 = performance.now();
document.getElementById("start-export").click();
// Ready is seen as the row changes (a mutation observer), not at the next poll; the
// heap is sampled every 5 ms besides.
let finished = false;
const look = () => {
  if (finished) return true;
  if (document.querySelector(".export-row .badge.ok")) {
    finished = true;
    const at = (name) => { const m = performance.getEntriesByName(name)[0]; return m ? m.startTime - t0 : -1; };
    done({ ms: performance.now() - t0, wasm: window.convoWasmBytes || 0, heap, workerHeap: window.convoWorkerHeapBytes || 0, longest, longestAt, longestWhat, phases: window.convoPhases || {},
           rendered: at("convo:rendered"), hashed: at("convo:hashed"), uploaded: at("convo:uploaded"),
           started: at("convo:started"), begun: at("convo:begun"), stream: at("convo:stream"), digested: at("convo:digested") });
    return true;
  }
  if (document.querySelector(".export-row .badge.bad")) {
    finished = true;
    done({ error: document.querySelector(".export-row .badge.bad").textContent });
    return true;
  }
  return false;
};
const poll = () => { sampleHeap(); if (!look()) setTimeout(poll, 5); };
new MutationObserver(look).observe(document.body, { childList: true, subtree: true, attributes: true });
poll();
"#;

/// The server with the built web app on `setup`, and an account that sees an assistant
/// with `conversations` completed conversations of `per` messages of `shape`.
async fn server(setup: Setup, shape: Shape, conversations: usize, per: usize, garage: Option<&Garage>, pages: Pages) -> TestApp {
    let (db, storage) = match (setup, garage) {
        (Setup::PostgresS3, Some(garage)) => {
            let prefix = format!("bench-{}", convo_server::auth::new_export_id());
            (Db::Postgres, Some((Storage::parse(&garage.storage_url(&prefix)).unwrap(), garage.s3())))
        }
        _ => (Db::Sqlite, None),
    };
    let settings = convo_server::settings::Settings { export_page: pages.limits(), ..Default::default() };
    let options = Options { clock: Some(Clock::System), web_dir: Some(workspace_root().join("dist")), storage, settings };
    let app = TestApp::serve(db, options).await;
    let now = chrono::Utc::now();
    let spec = convo_demo::Spec {
        assistant_id: "bench-bot".into(),
        conversations,
        messages_per_conversation: per,
        end: now - chrono::Duration::minutes(1),
        span_days: 300,
        seed: 3,
    };
    // Imported in batches: the import file of 2,000,000 messages is written in pieces.
    let path = app.dir.path().join("import.jsonl");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for (i, mut c) in convo_demo::conversations(&spec).enumerate() {
        c.status = convo_model::ConversationStatus::Completed;
        c.ended_at = c.messages.last().map(|m| m.at);
        shape.rewrite(i, &mut c);
        std::io::Write::write_all(&mut file, convo_demo::import_line(&c).as_bytes()).unwrap();
        std::io::Write::write_all(&mut file, b"\n").unwrap();
    }
    drop(file);
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
    let profiling = std::env::var("PROFILE").is_ok();
    if profiling {
        convo_e2e::cpu_profile::start(c, 200).await.unwrap();
    }
    let result = c.execute_async(WAIT_READY, vec![]).await.unwrap();
    if profiling {
        for busy in convo_e2e::cpu_profile::stop(c, 50.0).await.unwrap().iter().take(5) {
            let top = |list: &[(String, f64)]| list.iter().take(12).map(|(n, ms)| format!("{n} {ms:.0}")).collect::<Vec<_>>().join("; ");
            println!(
                "        busy {:.0} ms at {:.0} ms of the profile\n          own: {}\n          within: {}",
                busy.ms,
                busy.at_ms,
                top(&busy.own),
                top(&busy.within)
            );
        }
    }
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
    /// The export's stream read to its end by a native client, in ms: the page path's
    /// floor.
    stream_ms: f64,
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
    let mut stream = client.get(format!("{base}/api/exports/{uploaded}/stream")).send().await.unwrap();
    while stream.chunk().await.unwrap().is_some() {}
    let stream_ms = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let id = create_export(&client, base, serde_json::json!({"assistant_id": "bench-bot", "days": 365, "render": "server"})).await;
    loop {
        let e: serde_json::Value = client.get(format!("{base}/api/exports/{id}")).send().await.unwrap().json().await.unwrap();
        if e["status"] == "ready" {
            return OnTheServer { renderer, verification, check_ms, server_ms: t.elapsed().as_secs_f64() * 1e3, stream_ms };
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// One run: the browser's export, the server's check of it, the server's own render.
async fn measure(label: &str, app: &TestApp) {
    let base = app.base.clone();
    let browser = in_the_browser(&base).await;
    let OnTheServer { renderer, verification, check_ms, server_ms, stream_ms } = on_the_server(&base).await;
    let ms = |key: &str| browser[key].as_f64().unwrap_or_else(|| panic!("no {key} in {browser}"));
    let tab_mb = (ms("wasm") + ms("heap") + ms("workerHeap")) / 1e6;
    println!(
        "{label}: in the browser {:>8.0} ms (rendered {:>6.0}, parts sent {:>6.0}, ready {:>6.0}; WASM {:>5.1} MB + JS heaps {:>5.1} MB = {tab_mb:>5.1} MB, longest task {:>4.0} ms at {:>6.0} ms)   baseline: rendered by the server {:>8.0} ms   ratio {:.2}",
        ms("ms"),
        ms("rendered"),
        ms("hashed"),
        ms("uploaded"),
        ms("wasm") / 1e6,
        (ms("heap") + ms("workerHeap")) / 1e6,
        ms("longest"),
        ms("longestAt"),
        server_ms,
        ms("ms") / server_ms
    );
    println!(
        "        started on the page {:.0} ms after the click, in the export worker {:.0} ms, the stream open {:.0} ms, the conversations' digests in {:.0} ms",
        ms("started"),
        ms("begun"),
        ms("stream"),
        ms("digested")
    );
    println!("        in the workers (ms): {}", browser["phases"]);
    println!("        the page's longest animation frame: {}", browser["longestWhat"].as_str().unwrap_or_default());
    println!(
        "        the server's check of the upload: {verification} {check_ms:.0} ms after Ready ({:.2}x the server's own render)",
        check_ms / server_ms
    );
    println!(
        "        the export's stream alone, read by a native client: {stream_ms:.0} ms ({:.2}x the server's own render)",
        stream_ms / server_ms
    );
    assert_eq!(renderer, "browser", "the browser finished its export itself (no hand-over)");
    assert_eq!(verification, "verified", "the server reproduced the browser's file byte for byte");
}

#[tokio::main]
async fn main() {
    if let Ok(sizes) = std::env::var("CONVERSATIONS") {
        println!("click-to-ready, conversations of 20 short messages, SQLite and the local disk");
        for n in sizes.split(',').map(|s| s.trim().parse::<usize>().expect("CONVERSATIONS is a list of numbers")) {
            let app = server(Setup::SqliteDisk, Shape::Short, n, 20, None, Pages::ByBytes).await;
            measure(&format!("{n:>6} conversations {:>8} messages", n * 20), &app).await;
        }
        return;
    }
    let messages: usize = std::env::var("MESSAGES").ok().and_then(|v| v.parse().ok()).unwrap_or(200_000);
    let shapes: Vec<Shape> =
        std::env::var("SHAPES").unwrap_or_else(|_| "short,long,markdown,scripts".into()).split(',').map(Shape::parse).collect();
    let setups = std::env::var("SETUPS").unwrap_or_else(|_| "sqlite,postgres".into());
    println!("click-to-ready, {messages} messages a shape (guide: 30-60 s for dozens, 1-2 min for hundreds)");
    println!("goals: <= 1.25x the server on every shape and set-up, tab (WASM + JS heap) < 256 MB, longest task <= 100 ms");
    for setup in [Setup::SqliteDisk, Setup::PostgresS3] {
        let wanted = match setup {
            Setup::SqliteDisk => setups.contains("sqlite"),
            Setup::PostgresS3 => setups.contains("postgres"),
        };
        if !wanted {
            continue;
        }
        let garage = match setup {
            Setup::PostgresS3 => Some(tokio::task::spawn_blocking(Garage::start).await.unwrap()),
            Setup::SqliteDisk => None,
        };
        for &shape in &shapes {
            let (conversations, per) = shape.sizes(messages);
            let both = std::env::var("PAGES").is_ok_and(|p| p == "both") && shape == Shape::Short;
            let page_paths: &[Pages] = if both { &[Pages::At200Conversations, Pages::ByBytes] } else { &[Pages::ByBytes] };
            for &pages in page_paths {
                let app = server(setup, shape, conversations, per, garage.as_ref(), pages).await;
                measure(&format!("{setup:?} {shape:?}, pages {pages:?}: {conversations} conversations of {per}"), &app).await;
            }
        }
    }
}
