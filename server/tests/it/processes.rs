//! The server binary as operators run it: the command line (import, account, token,
//! export), two server processes on one PostgreSQL, and a server killed mid-upload.

use crate::BIN;
use convo_testkit::{Garage, PgDatabase, ServerProcess, cli, content_digest, create_export, import_lines, ok, upload};
use serde_json::{Value, json};
use std::path::Path;

const OPS: (&str, &str) = ("ops@example.com", "ops-password");

fn write_import(path: &Path, assistant: &str, conversations: usize) {
    std::fs::write(path, import_lines(assistant, conversations, 6, chrono::Utc::now(), 20, 5)).unwrap();
}

/// Sets up an account that sees `assistant`, through the command line.
fn provision(data_dir: &Path, url: Option<&str>, assistant: &str) {
    let import = data_dir.join("import.jsonl");
    write_import(&import, assistant, 30);
    ok(cli(BIN, data_dir, url, &["import", import.to_str().unwrap()], None));
    ok(cli(
        BIN,
        data_dir,
        url,
        &["account", "add", "--email", "ops@example.com", "--name", "Ops", "--password-stdin"],
        Some("ops-password\n"),
    ));
    ok(cli(BIN, data_dir, url, &["account", "grant", "--email", "ops@example.com", "--assistant", assistant], None));
}

#[test]
fn command_line_import_accounts_tokens_and_exports() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    // A file with a bad line changes nothing.
    let bad = data.join("bad.jsonl");
    write_import(&bad, "cli-bot", 5);
    let mut text = std::fs::read_to_string(&bad).unwrap();
    text = text.replacen("\"status\":\"completed\"", "\"status\":\"finished\"", 1);
    std::fs::write(&bad, &text).unwrap();
    let bad_line = text.lines().position(|l| l.contains("finished")).unwrap() + 1;
    let out = cli(BIN, data, None, &["import", bad.to_str().unwrap()], None);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("line {bad_line}: field `status`")), "{stderr}");
    let out = cli(BIN, data, None, &["account", "grant", "--email", "x@example.com", "--assistant", "cli-bot"], None);
    assert!(!out.status.success(), "the bad import created no assistant either");

    provision(data, None, "cli-bot");
    // Importing the same file again changes nothing.
    let again = ok(cli(BIN, data, None, &["import", data.join("import.jsonl").to_str().unwrap()], None));
    assert!(again.starts_with("imported 30 conversations"), "{again}");
    assert!(!again.contains("new assistants"), "{again}");

    let out = cli(
        BIN,
        data,
        None,
        &["account", "add", "--email", "ops@example.com", "--name", "Again", "--password-stdin"],
        Some("another-password"),
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    let out = cli(BIN, data, None, &["account", "add", "--email", "short@example.com", "--name", "S", "--password-stdin"], Some("short"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 8 characters"));

    let token = ok(cli(BIN, data, None, &["token", "create", "--email", "ops@example.com"], None));
    assert!(token.trim().starts_with("cvx_") && token.trim().len() > 40, "{token}");

    let out = cli(BIN, data, None, &["export", "--account", "ops@example.com", "--assistant", "cli-bot", "--days", "400"], None);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--days: The time range must be from 1 to 365 days."));
    // Errors name their cause, in one line.
    for (args, cause) in [
        (
            &["export", "--account", "ops@example.com", "--assistant", "no-such", "--days", "7"][..],
            "ops@example.com cannot see an assistant with the id \"no-such\"",
        ),
        (
            &["export", "--account", "nobody@example.com", "--assistant", "cli-bot", "--days", "7"][..],
            "no account with the email nobody@example.com",
        ),
        (&["account", "grant", "--email", "ops@example.com", "--assistant", "no-such"][..], "no assistant with the id \"no-such\""),
        (&["token", "create", "--email", "nobody@example.com"][..], "no account with the email nobody@example.com"),
    ] {
        let out = cli(BIN, data, None, args, None);
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with("error: ") && stderr.contains(cause) && !stderr.contains("internal error"), "{args:?}: {stderr}");
    }
    let file = data.join("out.html");
    let printed = ok(cli(
        BIN,
        data,
        None,
        &["export", "--account", "ops@example.com", "--assistant", "cli-bot", "--days", "30", "--out", file.to_str().unwrap()],
        None,
    ));
    assert!(printed.starts_with("conversations_cli-bot_") && printed.contains("ready"), "{printed}");
    let html = std::fs::read_to_string(&file).unwrap();
    convo_testkit::assert_no_canary("export", &html);
    assert!(html.matches("<article class=\"conv\"").count() > 20);
    for sub in ["serve", "render", "import", "account", "token", "export"] {
        let help = ok(cli(BIN, data, None, &[sub, "--help"], None));
        assert!(help.contains("--data-dir") && help.contains("--database-url"), "{sub} --help: {help}");
    }
}

/// `convo-export` alone is `serve`, and reads `serve`'s environment variables too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bare_command_serves_with_the_environments_address() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = std::process::Command::new(BIN)
        .env("CONVO_ADDR", format!("127.0.0.1:{port}"))
        .env("CONVO_DATA_DIR", dir.path())
        .env("CONVO_WEB_DIR", "/nonexistent")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut first).unwrap();
    let health = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await;
    let _ = child.kill();
    let _ = child.wait();
    assert!(first.contains(&format!("127.0.0.1:{port}")), "{first}");
    assert_eq!(health.unwrap().status(), 200);
    assert!(dir.path().join("convo.db").is_file(), "CONVO_DATA_DIR was honoured");
}

/// `serve` on the shared PostgreSQL and bucket, with a data directory of its own, a
/// short render lease and a sweep every second.
fn shared_server(garage: &Garage, pg: &PgDatabase, prefix: &str) -> (ServerProcess, tempfile::TempDir) {
    let own = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(BIN);
    cmd.envs(garage.env());
    let args = ["--storage", &garage.storage_url(prefix), "--sweep-seconds", "1", "--render-lease-seconds", "2"];
    (ServerProcess::spawn(cmd, own.path(), Some(&pg.url), &args), own)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_server_processes_on_one_postgres_and_one_bucket_behave_as_one() {
    let garage = tokio::task::spawn_blocking(Garage::start).await.unwrap();
    let pg = PgDatabase::create().await;
    let setup = tempfile::tempdir().unwrap();
    // Many conversations: a server render takes long enough to be killed half way.
    let import = setup.path().join("import.jsonl");
    std::fs::write(&import, import_lines("shared-bot", 4_000, 20, chrono::Utc::now(), 20, 5)).unwrap();
    ok(cli(BIN, setup.path(), Some(&pg.url), &["import", import.to_str().unwrap()], None));
    ok(cli(BIN, setup.path(), Some(&pg.url), &["account", "add", "--email", OPS.0, "--name", "Ops", "--password-stdin"], Some(OPS.1)));
    ok(cli(BIN, setup.path(), Some(&pg.url), &["account", "grant", "--email", OPS.0, "--assistant", "shared-bot"], None));
    let (mut a, _a_dir) = shared_server(&garage, &pg, "shared");
    let (b, _b_dir) = shared_server(&garage, &pg, "shared");
    let (ca, cb) = (a.login(OPS).await, b.login(OPS).await);

    // Uploaded through one, downloaded through the other: whole, and in parts sent to
    // both in turn.
    let whole = create_export(&ca, &a.base, json!({"assistant_id": "shared-bot", "days": 1})).await;
    let file = b"<!DOCTYPE html><title>shared</title>".repeat(5000);
    let r = upload(&ca, &a.base, &whole, &file).await;
    assert_eq!(r.status(), 200);
    assert_eq!(cb.get(b.url(&format!("/api/exports/{whole}/content"))).send().await.unwrap().bytes().await.unwrap().as_ref(), &file[..]);
    let in_parts = create_export(&cb, &b.base, json!({"assistant_id": "shared-bot", "days": 1})).await;
    let parts: Vec<Vec<u8>> = (1..=4u8).map(|i| vec![b'0' + i; 100_000 * usize::from(i)]).collect();
    for (n, (client, server)) in [(2, (&ca, &a)), (3, (&cb, &b)), (4, (&ca, &a)), (1, (&cb, &b))] {
        let bytes = &parts[n - 1];
        let url = server.url(&format!("/api/exports/{in_parts}/parts/{n}"));
        assert_eq!(client.put(url).header("content-digest", content_digest(bytes)).body(bytes.clone()).send().await.unwrap().status(), 200);
    }
    let done = ca.post(a.url(&format!("/api/exports/{in_parts}/complete"))).json(&json!({"parts": 4})).send().await.unwrap();
    assert_eq!(done.status(), 200);
    // Joined by the process that kept copies of parts 2 and 4 only: the others from the bucket.
    use sha2::Digest;
    assert_eq!(done.json::<Value>().await.unwrap()["sha256"], hex::encode(sha2::Sha256::digest(parts.concat())));
    assert_eq!(
        cb.get(b.url(&format!("/api/exports/{in_parts}/content"))).send().await.unwrap().bytes().await.unwrap().as_ref(),
        &parts.concat()[..]
    );

    // A server render whose process is killed half way is finished by the other.
    let rendered = create_export(&ca, &a.base, json!({"assistant_id": "shared-bot", "days": 30, "render": "server"})).await;
    let status = |client: &reqwest::Client, server: &ServerProcess| {
        let (client, url) = (client.clone(), server.url(&format!("/api/exports/{rendered}")));
        async move { client.get(url).send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while status(&cb, &b).await["progress"]["done"].as_i64().unwrap_or(0) == 0 {
        assert!(std::time::Instant::now() < deadline, "the render never started");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    a.kill();
    let killed_at = std::time::Instant::now();
    let export = loop {
        let e = status(&cb, &b).await;
        if e["status"] == "ready" {
            break e;
        }
        assert_ne!(e["status"], "failed", "{e}");
        assert!(killed_at.elapsed() < std::time::Duration::from_secs(120), "not finished by the other process: {e}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    let html = cb.get(b.url(&format!("/api/exports/{rendered}/content"))).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(export["sha256"], hex::encode(sha2::Sha256::digest(&html)));
    assert_eq!(export["size_bytes"], html.len());
    assert_eq!(
        html.windows(b"<article class=\"conv\"".len()).filter(|w| w == b"<article class=\"conv\"").count() as i64,
        export["conversations"].as_i64().unwrap()
    );

    // Sixty creates spread over both leave exactly twenty.
    let (c, _c_dir) = shared_server(&garage, &pg, "shared");
    let cc = c.login(OPS).await;
    let mut tasks = Vec::new();
    for i in 0..60 {
        let (client, url) = if i % 2 == 0 { (cb.clone(), b.url("/api/exports")) } else { (cc.clone(), c.url("/api/exports")) };
        tasks.push(tokio::spawn(async move {
            client.post(url).json(&json!({"assistant_id": "shared-bot", "days": 1})).send().await.unwrap().status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 201);
    }
    for (server, client) in [(&b, &cb), (&c, &cc)] {
        let list: Value = client.get(server.url("/api/exports")).send().await.unwrap().json().await.unwrap();
        assert_eq!(list["exports"].as_array().unwrap().len(), 20, "seen through {}", server.base);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_upload_serves_every_ready_export_intact_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    provision(dir.path(), None, "crash-bot");
    let mut server = ServerProcess::start(BIN, dir.path(), None, &[]);
    let client = server.login(OPS).await;
    let ready_id = create_export(&client, &server.base, json!({"assistant_id": "crash-bot", "days": 10})).await;
    let file: Vec<u8> = (0..2_000_000u32).map(|i| (i % 251) as u8).collect();
    let r = upload(&client, &server.base, &ready_id, &file).await;
    assert_eq!(r.status(), 200);

    // A second upload trickles in; the server is killed half way through it.
    let cut_id = create_export(&client, &server.base, json!({"assistant_id": "crash-bot", "days": 10})).await;
    let chunks: Vec<Vec<u8>> = file.chunks(100_000).map(<[u8]>::to_vec).collect();
    let stream = futures_util::stream::unfold(0usize, move |i| {
        let chunks = chunks.clone();
        async move {
            if i >= chunks.len() {
                return None;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            Some((Ok::<_, std::io::Error>(bytes::Bytes::from(chunks[i].clone())), i + 1))
        }
    });
    let upload = tokio::spawn(
        client
            .put(format!("{}/api/exports/{cut_id}/content", server.base))
            .header("content-digest", content_digest(&file))
            .body(reqwest::Body::wrap_stream(stream))
            .send(),
    );
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    server.kill();
    assert!(upload.await.unwrap().is_err(), "the upload was cut off by the kill");

    let server = ServerProcess::start(BIN, dir.path(), None, &[]);
    let client = server.login(OPS).await;
    let body = client.get(format!("{}/api/exports/{ready_id}/content", server.base)).send().await.unwrap();
    assert_eq!(body.status(), 200);
    assert!(body.bytes().await.unwrap().as_ref() == &file[..], "the ready export is intact");
    let cut: Value = client.get(format!("{}/api/exports/{cut_id}", server.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(cut["status"], "processing", "the cut upload did not make it ready");
    let r = client.get(format!("{}/api/exports/{cut_id}/content", server.base)).send().await.unwrap();
    assert_eq!(r.status(), 409);
}
