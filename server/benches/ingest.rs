//! The ingest API against the command line's import, in the same run: the same
//! conversations (100,000 of 6 messages each, `CONVERSATIONS=N` to change) through
//! `convo-export import FILE` and through `POST /api/ingest` in batches of 1,000 lines
//! to the real `convo-export serve`, on a fresh database each (SQLite, PostgreSQL), with
//! `/healthz` probed from another client address meanwhile. The client sends `SENDERS`
//! batches at once (2 by default: what the server lets one account run), as a platform
//! with a queue would.
//!
//! Goal: ingest at least the import's messages per second, the server's peak RSS under
//! 256 MB, `/healthz` p99 under 250 ms.
//!
//! `cargo bench -p convo-server --bench ingest` (`DATABASES=sqlite` or `postgres`,
//! `ROUNDS=3`: each row is the median of its rounds).

use convo_testkit::measure::{peak_rss_mb, percentile, probe};
use convo_testkit::{PgDatabase, ServerProcess, cli, import_lines, ok};
use futures_util::StreamExt;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_convo-export");
const BATCH: usize = 1_000;
const MESSAGES_PER_CONVERSATION: usize = 6;

fn main() {
    let conversations: usize = std::env::var("CONVERSATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let senders: usize = std::env::var("SENDERS").ok().and_then(|v| v.parse().ok()).unwrap_or(2);
    let rounds: usize = std::env::var("ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    let databases = std::env::var("DATABASES").unwrap_or_else(|_| "sqlite,postgres".into());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("conversations.jsonl");
    std::fs::write(&file, import_lines("ingest-bot", conversations, MESSAGES_PER_CONVERSATION, chrono::Utc::now(), 30, 7)).unwrap();
    let lines: Vec<String> = std::fs::read_to_string(&file).unwrap().lines().map(str::to_string).collect();
    // The demo lines carry a system and a tool message too: every stored message counts.
    let messages = conversations * (MESSAGES_PER_CONVERSATION + 2);
    println!("{conversations} conversations, {messages} messages, batches of {BATCH}, {senders} at once, {rounds} rounds");
    // One machine's disk and neighbours moved a single run of either path by up to 2x:
    // the paths alternate, round by round, and each row is the median round.
    println!("| database | path | time (median of {rounds}) | messages/s | server peak RSS | /healthz p50 / p99 |");
    println!("|---|---|---|---|---|---|");
    for db in databases.split(',') {
        let postgres = db.trim() == "postgres";
        runtime.block_on(async {
            let mut imports = Vec::new();
            let mut ingests = Vec::new();
            for _ in 0..rounds {
                imports.push(import(&file, postgres).await);
                ingests.push(ingest(&lines, senders, postgres).await);
            }
            imports.sort();
            ingests.sort_by_key(|r| r.time);
            let import = imports[rounds / 2];
            let ingest = &ingests[rounds / 2];
            println!("| {db} | `import FILE` | {:.1} s | {:.0} | — | — |", import.as_secs_f64(), messages as f64 / import.as_secs_f64());
            println!(
                "| {db} | `POST /api/ingest` | {:.1} s | {:.0} ({:.2}x the import) | {:.0} MB | {:.1} / {:.1} ms |",
                ingest.time.as_secs_f64(),
                messages as f64 / ingest.time.as_secs_f64(),
                import.as_secs_f64() / ingest.time.as_secs_f64(),
                ingests.iter().map(|r| r.peak_rss_mb).fold(0.0, f64::max),
                ingest.p50_ms,
                ingests.iter().map(|r| r.p99_ms).fold(0.0, f64::max),
            );
        });
    }
}

/// The baseline: the command line's import, into a database of its own.
async fn import(file: &std::path::Path, postgres: bool) -> Duration {
    let pg = if postgres { Some(PgDatabase::create().await) } else { None };
    let url = pg.as_ref().map(|p| p.url.clone());
    let data = tempfile::tempdir().unwrap();
    let t = Instant::now();
    ok(cli(BIN, data.path(), url.as_deref(), &["import", file.to_str().unwrap()], None));
    t.elapsed()
}

struct Ingested {
    time: Duration,
    peak_rss_mb: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// The same lines through `POST /api/ingest` to a server of its own.
async fn ingest(lines: &[String], senders: usize, postgres: bool) -> Ingested {
    let pg = if postgres { Some(PgDatabase::create().await) } else { None };
    let url = pg.as_ref().map(|p| p.url.clone());
    let data = tempfile::tempdir().unwrap();
    let run = |args: &[&str], stdin: Option<&str>| cli(BIN, data.path(), url.as_deref(), args, stdin);
    ok(run(&["account", "add", "--email", "ops@example.com", "--name", "Ops", "--password-stdin"], Some("ops-password")));
    let token = ok(run(&["token", "create", "--email", "ops@example.com", "--ingest", "--assistant", "ingest-bot"], None));
    let server = ServerProcess::start(BIN, data.path(), url.as_deref(), &[]);
    let (tx, rx) = tokio::sync::watch::channel(false);
    let prober = tokio::spawn(probe(server.base.clone(), rx));
    let client = reqwest::Client::new();
    let t = Instant::now();
    let (mut accepted, mut rejected) = (0, 0);
    let sends = lines.chunks(BATCH).map(|batch| {
        let request = client.post(server.url("/api/ingest")).bearer_auth(token.trim()).body(batch.join("\n"));
        async move {
            let r = request.send().await.unwrap();
            assert_eq!(r.status(), 200);
            r.json::<serde_json::Value>().await.unwrap()
        }
    });
    let mut answers = futures_util::stream::iter(sends).buffer_unordered(senders);
    while let Some(answer) = answers.next().await {
        accepted += answer["accepted"].as_u64().unwrap_or(0);
        rejected += answer["rejected"].as_array().map_or(0, Vec::len);
    }
    let time = t.elapsed();
    tx.send(true).unwrap();
    let mut latencies = prober.await.unwrap();
    latencies.sort();
    assert_eq!((accepted as usize, rejected), (lines.len(), 0));
    Ingested {
        time,
        peak_rss_mb: peak_rss_mb(server.child.id()),
        p50_ms: percentile(&latencies, 0.5),
        p99_ms: percentile(&latencies, 0.99),
    }
}
