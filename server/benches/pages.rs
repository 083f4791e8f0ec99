//! Conversation pages over HTTP from SQLite and PostgreSQL (1 and 32 concurrent clients,
//! messages/s and page latency p50/p99) for an assistant with 1M messages, served by the
//! real binary in its own process over loopback, and a
//! server-side export of all of them (time and peak memory). Baselines measured in the
//! same run: reading the same pages straight from the store (no HTTP, no JSON), and
//! the offline `render` of the same conversations from a file (no database).
//!
//! `cargo bench -p convo-server` (`MESSAGES=200000` for a quicker run, `DATABASES=sqlite`
//! or `postgres` for one of them;
//! `CONVO_TEST_POSTGRES_URL` points at another PostgreSQL).

use convo_server::store::{AssistantRow, Cursor};
use convo_testkit::{ALICE, Db, START, ServerProcess, TestApp};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_convo-export");

fn write_import(path: &Path, messages: usize) -> usize {
    let spec = convo_demo::Spec {
        assistant_id: "bench-bot".into(),
        conversations: messages / 20,
        messages_per_conversation: 20,
        end: START.parse().unwrap(),
        span_days: 365,
        seed: 11,
    };
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut exported = 0;
    for c in convo_demo::conversations(&spec) {
        if c.status == convo_model::ConversationStatus::Completed {
            exported += c.messages.len();
        }
        std::io::Write::write_all(&mut out, convo_demo::import_line(&c).as_bytes()).unwrap();
        std::io::Write::write_all(&mut out, b"\n").unwrap();
    }
    exported
}

/// Just enough of a page to count its messages: the client should not be the bottleneck.
#[derive(serde::Deserialize)]
struct PageCount {
    conversations: Vec<ConversationCount>,
    next_cursor: Option<String>,
}

#[derive(serde::Deserialize)]
struct ConversationCount {
    messages: Vec<serde::de::IgnoredAny>,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e3
}

/// Walks every page of `[from, to]`; returns (messages, page latencies).
async fn walk(client: reqwest::Client, base: String, from: String, to: String) -> (usize, Vec<Duration>) {
    let mut cursor: Option<String> = None;
    let mut messages = 0;
    let mut latencies = Vec::new();
    loop {
        let mut url = format!("{base}/api/assistants/bench-bot/conversations?from={from}&to={to}");
        if let Some(c) = &cursor {
            url.push_str("&cursor=");
            url.push_str(c);
        }
        let t = Instant::now();
        let body = client.get(&url).send().await.unwrap().bytes().await.unwrap();
        latencies.push(t.elapsed());
        let page: PageCount =
            serde_json::from_slice(&body).unwrap_or_else(|e| panic!("not a page ({e}): {}", String::from_utf8_lossy(&body)));
        messages += page.conversations.iter().map(|c| c.messages.len()).sum::<usize>();
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return (messages, latencies),
        }
    }
}

async fn pages_over_http(server: &ServerProcess, clients: usize, expected: usize) {
    let client = server.login(ALICE).await;
    let to: chrono::DateTime<chrono::Utc> = START.parse().unwrap();
    let from = to - chrono::Duration::days(366);
    let span = (to - from).num_milliseconds();
    let t = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..clients {
        // Each client walks its own slice of the range: together, every message once.
        let a = from + chrono::Duration::milliseconds(span * i as i64 / clients as i64);
        let b = from + chrono::Duration::milliseconds(span * (i as i64 + 1) / clients as i64) - chrono::Duration::milliseconds(1);
        let b = if i + 1 == clients { to } else { b };
        let z = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        tasks.push(tokio::spawn(walk(client.clone(), server.base.clone(), z(a), z(b))));
    }
    let (mut messages, mut latencies) = (0, Vec::new());
    for task in tasks {
        let (m, l) = task.await.unwrap();
        messages += m;
        latencies.extend(l);
    }
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(messages, expected, "every message once");
    latencies.sort();
    println!(
        "  HTTP pages, {clients:>2} client{}  {:>9.0} messages/s  {:>5} pages  p50 {:>6.1} ms  p99 {:>6.1} ms",
        if clients == 1 { " " } else { "s" },
        messages as f64 / secs,
        latencies.len(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99)
    );
}

async fn pages_from_the_store(app: &TestApp, expected: usize) {
    let assistant: AssistantRow = app.state.store.assistant_by_public_id("bench-bot").await.unwrap().unwrap();
    let to: chrono::DateTime<chrono::Utc> = START.parse().unwrap();
    let range = convo_model::TimeRange { from: to - chrono::Duration::days(366), to };
    let t = Instant::now();
    let mut cursor: Option<Cursor> = None;
    let mut messages = 0;
    loop {
        let filters = convo_model::ExportFilters::default();
        let scope = convo_server::store::Scope { assistant: &assistant, range, filters: &filters };
        let page = app.state.store.conversation_page(scope, cursor, app.state.settings.page).await.unwrap();
        messages += page.conversations.iter().map(|c| c.messages.len()).sum::<usize>();
        match page.next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(messages, expected);
    println!("  baseline: store only, 1 reader {:>9.0} messages/s (no HTTP, no JSON)", messages as f64 / t.elapsed().as_secs_f64());
}

/// Runs a command under GNU time; returns (seconds, peak RSS in MB).
fn timed(cmd: &mut Command) -> (f64, f64) {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let field = |name: &str| -> &str {
        stderr.lines().find_map(|l| l.trim().strip_prefix(name)).unwrap_or_else(|| panic!("no {name} in {stderr}")).trim()
    };
    let rss_kb: f64 = field("Maximum resident set size (kbytes):").parse().unwrap();
    let wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss):");
    let secs = wall.rsplit(':').enumerate().map(|(i, v)| v.parse::<f64>().unwrap() * 60f64.powi(i as i32)).sum();
    (secs, rss_kb / 1024.0)
}

#[tokio::main]
async fn main() {
    let messages: usize = std::env::var("MESSAGES").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let tmp = tempfile::tempdir().unwrap();
    let import = tmp.path().join("bench.jsonl");
    let expected = write_import(&import, messages);
    println!("assistant with {messages} messages ({expected} in completed conversations)");
    let only = std::env::var("DATABASES").unwrap_or_default();
    for db in [Db::Sqlite, Db::Postgres]
        .into_iter()
        .filter(|db| only.is_empty() || only.to_lowercase().contains(&format!("{db:?}").to_lowercase()))
    {
        println!("{db:?}:");
        let app = TestApp::start(db).await;
        app.seed(1).await;
        let t = Instant::now();
        convo_server::import::import_file(&app.state.store, &import, app.state.clock.now(), &indicatif::ProgressBar::hidden())
            .await
            .unwrap();
        println!("  import                          {:>9.0} messages/s", messages as f64 / t.elapsed().as_secs_f64());
        let (alice, _) = app.state.store.account_by_email(ALICE.0).await.unwrap().unwrap();
        let pk = app.state.store.ensure_assistant("bench-bot", None, app.state.clock.now()).await.unwrap();
        app.state.store.grant(alice.id, pk).await.unwrap();

        pages_from_the_store(&app, expected).await;
        let server = ServerProcess::start(BIN, app.dir.path(), Some(&app.database_url), &[]);
        pages_over_http(&server, 1, expected).await;
        pages_over_http(&server, 32, expected).await;
        drop(server);

        // A server-side export of everything, as its own process: time and peak memory.
        let out = tmp.path().join("export.html");
        let (secs, rss) = timed(
            Command::new("/usr/bin/time")
                .arg("-v")
                .arg(BIN)
                .args(["export", "--account", ALICE.0, "--assistant", "bench-bot", "--days", "365", "--out"])
                .arg(&out)
                .arg("--data-dir")
                .arg(app.dir.path())
                .args(["--database-url", &app.database_url]),
        );
        let size = std::fs::metadata(&out).unwrap().len() as f64 / 1e6;
        println!(
            "  server-side export (CLI)        {secs:>8.1} s  peak RSS {rss:>6.1} MB  {size:.0} MB file  {:>9.0} messages/s",
            expected as f64 / secs
        );
    }
    let out = tmp.path().join("offline.html");
    let (secs, rss) = timed(
        Command::new("/usr/bin/time")
            .arg("-v")
            .arg(BIN)
            .args(["render", "--assistant-name", "Bench", "--assistant-id", "bench-bot", "--input"])
            .arg(&import)
            .arg("--out")
            .arg(&out),
    );
    println!("baseline: offline render of the same file  {secs:>8.1} s  peak RSS {rss:>6.1} MB (no database)");
}
