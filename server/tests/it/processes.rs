//! The server binary as operators run it: the command line (import, account, token,
//! export), two server processes on one PostgreSQL, and a server killed mid-upload.

use crate::BIN;
use convo_testkit::{PgDatabase, ServerProcess, cli, content_digest, import_lines, ok};
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_server_processes_on_one_postgres_hold_the_limit() {
    let pg = PgDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    provision(dir.path(), Some(&pg.url), "shared-bot");
    let servers = [ServerProcess::start(BIN, dir.path(), Some(&pg.url), &[]), ServerProcess::start(BIN, dir.path(), Some(&pg.url), &[])];
    let clients = [servers[0].login(OPS).await, servers[1].login(OPS).await];
    let mut tasks = Vec::new();
    for i in 0..30 {
        let client = clients[i % 2].clone();
        let url = format!("{}/api/exports", servers[i % 2].base);
        tasks.push(tokio::spawn(async move {
            client.post(url).json(&json!({"assistant_id": "shared-bot", "days": 10})).send().await.unwrap().status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 201);
    }
    for (server, client) in servers.iter().zip(&clients) {
        let list: Value = client.get(format!("{}/api/exports", server.base)).send().await.unwrap().json().await.unwrap();
        assert_eq!(list["exports"].as_array().unwrap().len(), 20, "seen through {}", server.base);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_upload_serves_every_ready_export_intact_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    provision(dir.path(), None, "crash-bot");
    let mut server = ServerProcess::start(BIN, dir.path(), None, &[]);
    let client = server.login(OPS).await;
    let create = |client: reqwest::Client, base: String| async move {
        let created: Value = client
            .post(format!("{base}/api/exports"))
            .json(&json!({"assistant_id": "crash-bot", "days": 10}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        created["export"]["id"].as_str().unwrap().to_string()
    };
    let ready_id = create(client.clone(), server.base.clone()).await;
    let file: Vec<u8> = (0..2_000_000u32).map(|i| (i % 251) as u8).collect();
    let r = client
        .put(format!("{}/api/exports/{ready_id}/content", server.base))
        .header("content-digest", content_digest(&file))
        .body(file.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // A second upload trickles in; the server is killed half way through it.
    let cut_id = create(client.clone(), server.base.clone()).await;
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
