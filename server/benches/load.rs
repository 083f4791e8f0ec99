//! The server under abuse: `/healthz` latency (p50, p99) and the server's peak memory
//! while (a) 300 half-open connections sit open, (b) 300 logins arrive at once, (c) six
//! server-side exports of 100,000 messages run, (d) a 100,000-message import runs into
//! the serving database, (e) one client address opens 4,000 connections, (f) 100 wrong
//! passwords for one account arrive at once (at most 5 may be checked), (g) one account
//! starts 20 server renders and another account one (it may wait less than one render's
//! time). The real `convo-export serve` in its own process, a fresh one per scenario;
//! goal in each: p99 under 250 ms and peak RSS under 512 MB. The abusers connect from
//! 127.0.0.1, `/healthz` is probed from 127.0.0.2: another client.
//!
//! Baseline in the same run: the same scenarios against another build of the binary
//! (`BASELINE=/path/to/convo-export`, such as the build before the trust work), on its
//! own database prepared by its own command line.
//!
//! `cargo bench -p convo-server --bench load` (`MESSAGES=20000` for a quicker run;
//! `DATABASES=postgres` or `sqlite,postgres`).

use convo_testkit::measure::{peak_rss_mb, percentile, probe};
use convo_testkit::{PgDatabase, ServerProcess, cli, import_lines, ok};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_convo-export");
const OPS: (&str, &str) = ("ops@example.com", "ops-password");
const OTHER: (&str, &str) = ("other@example.com", "other-password");

/// One binary's database and data directory, provisioned by that binary.
struct Setup {
    bin: String,
    dir: tempfile::TempDir,
    url: Option<String>,
    _pg: Option<PgDatabase>,
    import: PathBuf,
}

async fn setup(bin: &str, postgres: bool, messages: usize) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let pg = if postgres { Some(PgDatabase::create().await) } else { None };
    let url = pg.as_ref().map(|pg| pg.url.clone());
    let conversations = messages / 20;
    let exported = dir.path().join("exported.jsonl");
    std::fs::write(&exported, import_lines("load-bot", conversations, 20, chrono::Utc::now(), 25, 1)).unwrap();
    ok(cli(bin, dir.path(), url.as_deref(), &["import", exported.to_str().unwrap()], None));
    ok(cli(bin, dir.path(), url.as_deref(), &["account", "add", "--email", OPS.0, "--name", "Ops", "--password-stdin"], Some(OPS.1)));
    ok(cli(bin, dir.path(), url.as_deref(), &["account", "grant", "--email", OPS.0, "--assistant", "load-bot"], None));
    ok(cli(bin, dir.path(), url.as_deref(), &["account", "add", "--email", OTHER.0, "--name", "Other", "--password-stdin"], Some(OTHER.1)));
    ok(cli(bin, dir.path(), url.as_deref(), &["account", "grant", "--email", OTHER.0, "--assistant", "load-bot"], None));
    let import = dir.path().join("import.jsonl");
    std::fs::write(&import, import_lines("import-bot", conversations, 20, chrono::Utc::now(), 25, 2)).unwrap();
    Setup { bin: bin.to_string(), dir, url, _pg: pg, import }
}

async fn login(base: &str) -> reqwest::Client {
    login_as(base, OPS).await
}

async fn login_as(base: &str, (email, password): (&str, &str)) -> reqwest::Client {
    let client = reqwest::Client::builder().cookie_store(true).build().unwrap();
    client.post(format!("{base}/api/login")).json(&serde_json::json!({"email": email, "password": password})).send().await.unwrap();
    client
}

/// Creates a server render and waits until it is ready; how long that took.
async fn render_once(client: &reqwest::Client, base: &str) -> Duration {
    let t = Instant::now();
    let created: serde_json::Value = client
        .post(format!("{base}/api/exports"))
        .json(&serde_json::json!({"assistant_id": "load-bot", "days": 30, "render": "server"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["export"]["id"].as_str().unwrap().to_string();
    while t.elapsed() < Duration::from_secs(900) {
        let e: serde_json::Value = client.get(format!("{base}/api/exports/{id}")).send().await.unwrap().json().await.unwrap();
        if e["status"] != "processing" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    t.elapsed()
}

#[derive(Clone, Copy, Debug)]
enum Scenario {
    HalfOpen,
    Logins,
    Exports,
    Import,
    Flood,
    Guesses,
    Fairness,
}

/// Runs one scenario against a fresh server; returns (p50 ms, p99 ms, peak RSS MB, note).
async fn run(setup: &Setup, scenario: Scenario) -> (f64, f64, f64, String) {
    let server = ServerProcess::start(&setup.bin, setup.dir.path(), setup.url.as_deref(), &[]);
    let pid = server.child.id();
    let base = server.base.clone();
    let (tx, rx) = tokio::sync::watch::channel(false);
    let prober = tokio::spawn(probe(base.clone(), rx));
    let note = match scenario {
        Scenario::HalfOpen => {
            let addr = base.trim_start_matches("http://").to_string();
            let mut held = Vec::new();
            for _ in 0..300 {
                let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
                tokio::io::AsyncWriteExt::write_all(&mut s, b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
                held.push(s);
            }
            tokio::time::sleep(Duration::from_secs(5)).await;
            drop(held);
            "5 s with 300 connections held".to_string()
        }
        Scenario::Logins => {
            let client = reqwest::Client::new();
            let t = Instant::now();
            let tasks: Vec<_> = (0..300)
                .map(|_| {
                    let (client, url) = (client.clone(), format!("{base}/api/login"));
                    tokio::spawn(async move {
                        let r = client.post(url).json(&serde_json::json!({"email": OPS.0, "password": OPS.1})).send().await;
                        r.map(|r| r.status().as_u16()).unwrap_or(0)
                    })
                })
                .collect();
            let mut statuses = std::collections::BTreeMap::new();
            for task in tasks {
                *statuses.entry(task.await.unwrap()).or_insert(0) += 1;
            }
            format!("answered in {:.1} s: {statuses:?}", t.elapsed().as_secs_f64())
        }
        Scenario::Exports => {
            let client = login(&base).await;
            let t = Instant::now();
            for _ in 0..6 {
                client
                    .post(format!("{base}/api/exports"))
                    .json(&serde_json::json!({"assistant_id": "load-bot", "days": 30, "render": "server"}))
                    .send()
                    .await
                    .unwrap();
            }
            loop {
                let list: serde_json::Value = client.get(format!("{base}/api/exports")).send().await.unwrap().json().await.unwrap();
                let exports = list["exports"].as_array().unwrap();
                if exports.iter().filter(|e| e["status"] == "ready").count() >= 6 || t.elapsed() > Duration::from_secs(600) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            format!("six exports ready in {:.1} s", t.elapsed().as_secs_f64())
        }
        Scenario::Import => {
            // Besides /healthz, an export is created every 100 ms: requests that write.
            let client = login(&base).await;
            let (stop, stopped) = tokio::sync::watch::channel(false);
            let creates = tokio::spawn({
                let base = base.clone();
                async move {
                    let mut latencies = Vec::new();
                    while !*stopped.borrow() {
                        let t = Instant::now();
                        let r = client
                            .post(format!("{base}/api/exports"))
                            .json(&serde_json::json!({"assistant_id": "load-bot", "days": 1}))
                            .timeout(Duration::from_secs(60))
                            .send()
                            .await;
                        let ok = r.is_ok_and(|r| r.status() == 201);
                        latencies.push(if ok { t.elapsed() } else { Duration::from_secs(60) });
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    latencies
                }
            });
            let t = Instant::now();
            let (bin, dir, url, import) = (setup.bin.clone(), setup.dir.path().to_path_buf(), setup.url.clone(), setup.import.clone());
            let out = tokio::task::spawn_blocking(move || cli(&bin, &dir, url.as_deref(), &["import", import.to_str().unwrap()], None))
                .await
                .unwrap();
            let took = t.elapsed();
            let _ = stop.send(true);
            let mut creates = creates.await.unwrap();
            creates.sort();
            let result = if out.status.success() { "imported" } else { "import FAILED" };
            format!(
                "{result} in {:.1} s; creates meanwhile: {} with p99 {:.0} ms, slowest {:.0} ms",
                took.as_secs_f64(),
                creates.len(),
                percentile(&creates, 0.99),
                percentile(&creates, 1.0)
            )
        }
        Scenario::Flood => {
            let addr = base.trim_start_matches("http://").to_string();
            let mut held = Vec::new();
            let mut refused = 0;
            for _ in 0..4_000 {
                match tokio::net::TcpStream::connect(&addr).await {
                    Ok(mut s) => {
                        let _ = tokio::io::AsyncWriteExt::write_all(&mut s, b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await;
                        held.push(s);
                    }
                    Err(_) => refused += 1,
                }
            }
            tokio::time::sleep(Duration::from_secs(5)).await;
            drop(held);
            format!("5 s with 4,000 connections opened from one address ({refused} could not connect)")
        }
        Scenario::Guesses => {
            let client = reqwest::Client::new();
            let tasks: Vec<_> = (0..100)
                .map(|i| {
                    let (client, url) = (client.clone(), format!("{base}/api/login"));
                    tokio::spawn(async move {
                        let body = serde_json::json!({"email": OPS.0, "password": format!("guess-{i}")});
                        client.post(url).json(&body).send().await.map(|r| r.status().as_u16()).unwrap_or(0)
                    })
                })
                .collect();
            let mut statuses = std::collections::BTreeMap::new();
            for task in tasks {
                *statuses.entry(task.await.unwrap()).or_insert(0) += 1;
            }
            let checked = statuses.get(&401).copied().unwrap_or(0);
            format!("{checked} of 100 checked (goal at most 5): {statuses:?}")
        }
        Scenario::Fairness => {
            let (ops, other) = (login(&base).await, login_as(&base, OTHER).await);
            let alone = render_once(&other, &base).await;
            for _ in 0..20 {
                ops.post(format!("{base}/api/exports"))
                    .json(&serde_json::json!({"assistant_id": "load-bot", "days": 30, "render": "server"}))
                    .send()
                    .await
                    .unwrap();
            }
            let behind = render_once(&other, &base).await;
            let waited = behind.saturating_sub(alone);
            let verdict = if waited < alone { "ok" } else { "MISSED" };
            // Let the twenty finish before the next scenario.
            while ops.get(format!("{base}/api/exports")).send().await.unwrap().json::<serde_json::Value>().await.unwrap()["exports"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["status"] == "processing")
            {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            format!(
                "one render alone {:.1} s; behind another account's 20: {:.1} s, waited {:.1} s (goal: less than one render) {verdict}",
                alone.as_secs_f64(),
                behind.as_secs_f64(),
                waited.as_secs_f64()
            )
        }
    };
    let _ = tx.send(true);
    let mut latencies = prober.await.unwrap();
    latencies.sort();
    let rss = peak_rss_mb(pid);
    (percentile(&latencies, 0.5), percentile(&latencies, 0.99), rss, note)
}

fn label(bin: &str) -> String {
    if bin == BIN { "this build".into() } else { format!("baseline {}", Path::new(bin).display()) }
}

#[tokio::main]
async fn main() {
    let messages: usize = std::env::var("MESSAGES").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let databases = std::env::var("DATABASES").unwrap_or_else(|_| "sqlite".into()).to_lowercase();
    let mut bins = vec![BIN.to_string()];
    if let Ok(baseline) = std::env::var("BASELINE") {
        bins.push(baseline);
    }
    println!("load: {messages} messages per export and per import; goal p99 < 250 ms, peak RSS < 512 MB");
    for postgres in [false, true] {
        if !databases.contains(if postgres { "postgres" } else { "sqlite" }) {
            continue;
        }
        println!("{}:", if postgres { "PostgreSQL" } else { "SQLite" });
        for bin in &bins {
            let setup = setup(bin, postgres, messages).await;
            println!("  {}:", label(bin));
            let scenarios = [
                Scenario::HalfOpen,
                Scenario::Logins,
                Scenario::Exports,
                Scenario::Import,
                Scenario::Flood,
                Scenario::Fairness,
                // Last: it leaves the account blocked for a while.
                Scenario::Guesses,
            ];
            for scenario in scenarios {
                let (p50, p99, rss, note) = run(&setup, scenario).await;
                let verdict = if p99 < 250.0 && rss < 512.0 { "ok" } else { "MISSED" };
                println!(
                    "    {:<9} /healthz p50 {p50:>7.1} ms  p99 {p99:>7.1} ms  peak RSS {rss:>7.1} MB  {verdict:<6}  ({note})",
                    format!("{scenario:?}")
                );
            }
        }
    }
}
