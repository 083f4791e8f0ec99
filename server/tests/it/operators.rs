//! Safe defaults as an operator meets them: no demo logins unless asked for, a secure
//! cookie behind HTTPS, an environment variable for every option, tokens managed from
//! the command line, an interrupted import completed by running it again, connections
//! and uploads that cannot hang the server, and a shutdown that always ends.

use crate::BIN;
use convo_testkit::{ALICE, Db, ServerProcess, TestApp, cli, content_digest, create_export, import_lines, ok};
use serde_json::json;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

/// The demo account's login at `base`.
async fn demo_login(base: &str) -> reqwest::Response {
    let body = json!({"email": "demo@example.com", "password": "demo-password"});
    reqwest::Client::new().post(format!("{base}/api/login")).json(&body).send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_data_only_with_demo_and_an_empty_server_says_how_to_add_an_account() {
    let dir = tempfile::tempdir().unwrap();
    let mut plain = std::process::Command::new(BIN)
        .args(["serve", "--addr", "127.0.0.1:0", "--web-dir", "/nonexistent", "--data-dir"])
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut said = String::new();
    let mut stdout = plain.stdout.take().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !said.contains("--password-stdin") && Instant::now() < deadline {
        let mut buf = [0u8; 4096];
        let n = stdout.read(&mut buf).unwrap();
        said.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    let base = said.lines().next().unwrap().rsplit(' ').next().unwrap().trim_end_matches('/').to_string();
    let r = demo_login(&base).await;
    let _ = plain.kill();
    let _ = plain.wait();
    assert_eq!(r.status(), 401, "no published demo login on a plain start");
    assert!(said.contains("no accounts yet") && said.contains("account add"), "{said}");
    assert!(!said.contains("demo-password"), "{said}");

    // --demo (here by its variable, without the subcommand) creates and prints them.
    let demo_dir = tempfile::tempdir().unwrap();
    let mut demo = std::process::Command::new(BIN)
        .env("CONVO_DEMO", "true")
        .env("CONVO_ADDR", "127.0.0.1:0")
        .env("CONVO_WEB_DIR", "/nonexistent")
        .env("CONVO_DATA_DIR", demo_dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    let mut reader = std::io::BufReader::new(demo.stdout.take().unwrap());
    std::io::BufRead::read_line(&mut reader, &mut first).unwrap();
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let base = first.trim().rsplit(' ').next().unwrap().trim_end_matches('/').to_string();
    let r = demo_login(&base).await;
    let _ = demo.kill();
    let _ = demo.wait();
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_https_the_session_cookie_is_secure_with_the_host_prefix() {
    let dir = tempfile::tempdir().unwrap();
    provision(dir.path());
    for (args, env, secure) in [
        (&["--public-url", "https://exports.example.com"][..], None, true),
        (&[][..], Some(("CONVO_PUBLIC_URL", "https://exports.example.com")), true),
        (&["--public-url", "http://localhost:8080"][..], None, false),
    ] {
        let mut cmd = std::process::Command::new(BIN);
        if let Some((k, v)) = env {
            cmd.env(k, v);
        }
        let server = ServerProcess::spawn(cmd, dir.path(), None, args);
        let r = reqwest::Client::new()
            .post(server.url("/api/login"))
            .json(&json!({"email": "ops@example.com", "password": "ops-password"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
        if secure {
            assert!(cookie.starts_with("__Host-convo_session=") && cookie.contains("Secure") && cookie.contains("Path=/"), "{cookie}");
        } else {
            assert!(cookie.starts_with("convo_session=") && !cookie.contains("Secure"), "{cookie}");
        }
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    }
    let bad = cli(BIN, dir.path(), None, &["serve", "--public-url", "exports.example.com"], None);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("is not a URL such as https://"), "{}", String::from_utf8_lossy(&bad.stderr));
}

/// An account that sees an assistant, through the command line.
fn provision(dir: &std::path::Path) {
    let import = dir.join("import.jsonl");
    std::fs::write(&import, import_lines("ops-bot", 20, 6, chrono::Utc::now(), 20, 5)).unwrap();
    ok(cli(BIN, dir, None, &["import", import.to_str().unwrap()], None));
    ok(cli(BIN, dir, None, &["account", "add", "--email", "ops@example.com", "--name", "Ops", "--password-stdin"], Some("ops-password\n")));
    ok(cli(BIN, dir, None, &["account", "grant", "--email", "ops@example.com", "--assistant", "ops-bot"], None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_created_with_an_expiry_listed_and_revoked_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    provision(dir.path());
    let token = ok(cli(BIN, dir.path(), None, &["token", "create", "--email", "ops@example.com", "--expires-in", "7"], None));
    let token = token.trim().to_string();
    let second = ok(cli(BIN, dir.path(), None, &["token", "create", "--email", "ops@example.com"], None));
    let list = ok(cli(BIN, dir.path(), None, &["token", "list", "--email", "ops@example.com"], None));
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2, "{list}");
    let ids: Vec<&str> = lines.iter().map(|l| l.split_whitespace().next().unwrap()).collect();
    assert!(ids.iter().all(|id| id.starts_with("tok_")), "the id first: {list}");
    let in_7 = (chrono::Utc::now() + chrono::Duration::days(7)).format("%Y-%m-%d").to_string();
    assert!(lines[0].contains(&format!("expires {in_7}")), "{list}");
    assert!(!list.contains(&token) && !list.contains(second.trim()), "secrets are never listed");

    let server = ServerProcess::start(BIN, dir.path(), None, &[]);
    let me = |t: String| {
        let url = server.url("/api/me");
        async move { reqwest::Client::new().get(url).bearer_auth(t).send().await.unwrap().status() }
    };
    assert_eq!(me(token.clone()).await, 200);
    let revoked = ok(cli(BIN, dir.path(), None, &["token", "revoke", "--id", ids[0]], None));
    assert!(revoked.contains("revoked"), "{revoked}");
    assert_eq!(me(token.clone()).await, 401, "a revoked token stops at once");
    assert_eq!(me(second.trim().to_string()).await, 200);
    let again = cli(BIN, dir.path(), None, &["token", "revoke", "--id", ids[0]], None);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("no token with the id"), "{}", String::from_utf8_lossy(&again.stderr));
    let bad = cli(BIN, dir.path(), None, &["token", "create", "--email", "ops@example.com", "--expires-in", "0"], None);
    assert!(!bad.status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_import_completes_when_run_again() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.jsonl");
    std::fs::write(&file, import_lines("big-bot", 6_000, 12, chrono::Utc::now(), 300, 3)).unwrap();
    // The database exists before the import starts, so that it can be watched.
    let _ = cli(BIN, dir.path(), None, &["token", "list", "--email", "nobody@example.com"], None);
    let url = format!("sqlite://{}", dir.path().join("convo.db").display());
    let db = sqlx::sqlite::SqlitePool::connect(&url).await.unwrap();
    let count = || async { sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM conversations").fetch_one(&db).await.unwrap() };
    let mut import = std::process::Command::new(BIN)
        .args(["import", file.to_str().unwrap(), "--data-dir"])
        .arg(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Killed once some batches have landed.
    let deadline = Instant::now() + Duration::from_secs(120);
    while count().await == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    import.kill().unwrap();
    import.wait().unwrap();
    let partial = count().await;
    assert!(partial > 0 && partial < 6_000, "killed mid-way: {partial} conversations");
    let again = ok(cli(BIN, dir.path(), None, &["import", file.to_str().unwrap()], None));
    assert!(again.starts_with("imported 6000 conversations"), "{again}");
    assert_eq!(count().await, 6_000);
    let messages: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages").fetch_one(&db).await.unwrap();
    let expected: usize = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["messages"].as_array().unwrap().len())
        .sum();
    assert_eq!(messages as usize, expected, "every message once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_connections_and_stalled_uploads_are_closed() {
    let settings = convo_server::settings::Settings {
        header_timeout: Duration::from_secs(1),
        body_idle_timeout: Duration::from_secs(1),
        ..Default::default()
    };
    let app = TestApp::start_with(Db::Sqlite, settings).await;
    app.seed(2).await;
    let addr = app.base.trim_start_matches("http://").to_string();
    // A connection that sends nothing, and one that never finishes its headers.
    for greeting in [&b""[..], b"GET /healthz HTTP/1.1\r\nHost: x\r\n"] {
        let mut socket = std::net::TcpStream::connect(&addr).unwrap();
        socket.write_all(greeting).unwrap();
        socket.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let t = Instant::now();
        let mut buf = [0u8; 1024];
        let n = socket.read(&mut buf).unwrap_or(0);
        assert!(t.elapsed() < Duration::from_secs(8), "the server closed it");
        let answer = String::from_utf8_lossy(&buf[..n]);
        assert!(n == 0 || answer.starts_with("HTTP/1.1 408"), "{answer}");
    }
    // An upload that stops arriving ends as a broken upload; the export stays processing.
    let alice = app.login(ALICE).await;
    let id = create_export(&alice, &app.base, json!({"assistant_id": "support-bot", "days": 30})).await;
    let cookie = session_cookie(&app).await;
    let mut socket = std::net::TcpStream::connect(&addr).unwrap();
    let head = format!(
        "PUT /api/exports/{id}/content HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nContent-Length: 100000\r\nContent-Digest: {}\r\n\r\n",
        content_digest(b"never")
    );
    socket.write_all(head.as_bytes()).unwrap();
    socket.write_all(&[b'x'; 1000]).unwrap();
    socket.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let t = Instant::now();
    let mut answer = Vec::new();
    let _ = socket.read_to_end(&mut answer);
    assert!(t.elapsed() < Duration::from_secs(8), "the stalled body was given up");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400") && answer.contains("broke off"), "{answer}");
    let now: serde_json::Value = alice.get(app.url(&format!("/api/exports/{id}"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(now["status"], "processing");
}

async fn session_cookie(app: &TestApp) -> String {
    let r = reqwest::Client::new().post(app.url("/api/login")).json(&json!({"email": ALICE.0, "password": ALICE.1})).send().await.unwrap();
    r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shutdown_ends_within_its_grace_period_whatever_clients_do() {
    let settings = convo_server::settings::Settings { shutdown_grace: Duration::from_secs(2), ..Default::default() };
    let app = TestApp::start_with(Db::Sqlite, settings).await;
    app.seed(1).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let state = app.state.clone();
    let server = tokio::spawn(async move {
        let router = convo_server::http::app(state.clone());
        convo_server::http::serve(listener, router, &state.settings, async {
            let _ = stopped.await;
        })
        .await
    });
    // An upload whose body trickles in, two bytes a second, forever.
    let cookie = session_cookie(&app).await;
    let alice = app.login(ALICE).await;
    let id = create_export(&alice, &app.base, json!({"assistant_id": "support-bot", "days": 30})).await;
    let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "PUT /api/exports/{id}/content HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nContent-Length: 1000000\r\nContent-Digest: {}\r\n\r\n",
        content_digest(b"never")
    );
    tokio::io::AsyncWriteExt::write_all(&mut socket, head.as_bytes()).await.unwrap();
    let trickle = tokio::spawn(async move {
        loop {
            if tokio::io::AsyncWriteExt::write_all(&mut socket, b"x").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let t = Instant::now();
    stop.send(()).unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(15), server).await;
    trickle.abort();
    assert!(ended.is_ok(), "still serving 15 s after the shutdown began");
    assert!(t.elapsed() < Duration::from_secs(10), "ended after {:?}", t.elapsed());
}
