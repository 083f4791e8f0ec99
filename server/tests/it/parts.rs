//! Uploads in parts, on SQLite and PostgreSQL: the head (part 1) last and the rest in
//! order, each part checked against its own digest; `complete` joins them into exactly
//! the bytes sent; every bad request is a 4xx that leaves the export not ready.

use crate::{error_of, json_of};
use convo_testkit::{ALICE, BOB, Db, TestApp, content_digest, create_export, on_both_databases};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

on_both_databases!(
    a_file_uploaded_in_parts_is_exactly_the_parts_joined,
    bad_parts_are_refused_and_change_nothing,
    a_refused_upload_reaches_its_client_whole_and_closes_the_connection
);

async fn put_part(app: &TestApp, client: &reqwest::Client, id: &str, n: &str, bytes: &[u8], digest_of: &[u8]) -> (StatusCode, Value) {
    let url = app.url(&format!("/api/exports/{id}/parts/{n}"));
    json_of(client.put(url).header("content-digest", content_digest(digest_of)).body(bytes.to_vec()).send().await.unwrap()).await
}

async fn complete(app: &TestApp, client: &reqwest::Client, id: &str, parts: i64) -> (StatusCode, Value) {
    json_of(client.post(app.url(&format!("/api/exports/{id}/complete"))).json(&json!({"parts": parts})).send().await.unwrap()).await
}

fn parts() -> Vec<Vec<u8>> {
    vec![
        b"<!DOCTYPE html><head>".to_vec(),
        (0..300_000u32).map(|i| b'a' + (i % 26) as u8).collect(),
        "<p>مرحبا 😀</p>".repeat(10_000).into_bytes(),
        b"</html>".to_vec(),
    ]
}

async fn a_file_uploaded_in_parts_is_exactly_the_parts_joined(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(3).await;
    let alice = app.login(ALICE).await;
    let id = create_export(&alice, &app.base, json!({"assistant_id": "support-bot", "days": 30})).await;
    let parts = parts();
    // Parts 2, 3, 4 in whatever order they arrive (a browser sends several at once), the
    // head (part 1) last; a retry of a part with the same bytes is harmless.
    for n in [3usize, 2, 4, 4, 1] {
        let (status, body) = put_part(&app, &alice, &id, &n.to_string(), &parts[n - 1], &parts[n - 1]).await;
        assert_eq!(status, 200, "part {n}: {body}");
        assert_eq!(body["size_bytes"], parts[n - 1].len());
    }
    let (_, before) = json_of(alice.get(app.url(&format!("/api/exports/{id}"))).send().await.unwrap()).await;
    assert_eq!(before["status"], "processing", "not ready before complete");
    let (status, ready) = complete(&app, &alice, &id, 4).await;
    assert_eq!(status, 200, "{ready}");
    let whole = parts.concat();
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["size_bytes"], whole.len());
    use sha2::Digest;
    assert_eq!(ready["sha256"], hex::encode(sha2::Sha256::digest(&whole)));
    let url = app.url(&format!("/api/exports/{id}/content"));
    let served = alice.get(&url).send().await.unwrap();
    assert_eq!(
        served.headers()["content-disposition"],
        format!("attachment; filename=\"{}\"", ready["filename"].as_str().unwrap()).as_str()
    );
    assert_eq!(served.bytes().await.unwrap().as_ref(), &whole[..]);
    // A range across parts.
    let (a, b) = (parts[0].len() + parts[1].len() - 5, parts[0].len() + parts[1].len() + 10);
    let ranged = alice.get(&url).header("range", format!("bytes={a}-{b}")).send().await.unwrap();
    assert_eq!(ranged.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(ranged.bytes().await.unwrap().as_ref(), &whole[a..=b]);
    // Ready: no part and no completion changes it any more.
    let (status, _) = put_part(&app, &alice, &id, "5", b"more", b"more").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(complete(&app, &alice, &id, 4).await.0, StatusCode::OK, "a retried complete answers the ready export");
    assert_eq!(complete(&app, &alice, &id, 5).await.0, StatusCode::CONFLICT, "another file is refused");
    assert_eq!(alice.get(&url).send().await.unwrap().bytes().await.unwrap().as_ref(), &whole[..]);
    // Deleting the export deletes its parts.
    alice.delete(app.url(&format!("/api/exports/{id}"))).send().await.unwrap();
    assert!(app.objects(Some(&id)).await.is_empty());
}

async fn bad_parts_are_refused_and_change_nothing(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(3).await;
    let alice = app.login(ALICE).await;
    let id = create_export(&alice, &app.base, json!({"assistant_id": "support-bot", "days": 30})).await;
    let parts = parts();
    for (n, bytes, digest_of, status, expected) in [
        ("2", &parts[1], &parts[2], 400, "Content-Digest does not match"),
        ("0", &parts[0], &parts[0], 400, "part numbers go from 1 to 10000"),
        ("10001", &parts[0], &parts[0], 400, "part numbers go from 1 to 10000"),
        ("two", &parts[0], &parts[0], 400, "is not a part number"),
    ] {
        let (got, body) = put_part(&app, &alice, &id, n, bytes, digest_of).await;
        assert_eq!(got.as_u16(), status, "part {n}: {body}");
        assert!(error_of(&body).contains(expected), "part {n}: {body}");
    }
    assert!(app.objects(Some(&id)).await.is_empty(), "nothing stored by bad parts");
    assert_eq!(put_part(&app, &alice, &id, "2", &parts[1], &parts[1]).await.0, 200);
    let (status, body) = put_part(&app, &alice, &id, "2", &parts[2], &parts[2]).await;
    assert_eq!(status, StatusCode::CONFLICT, "a part is never replaced: {body}");
    // Completing with parts missing, or fewer than were sent.
    let (status, body) = complete(&app, &alice, &id, 3).await;
    assert_eq!(status, 400);
    assert!(error_of(&body).contains("parts 1, 3 are missing"), "{body}");
    let (status, body) = complete(&app, &alice, &id, 0).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(put_part(&app, &alice, &id, "1", &parts[0], &parts[0]).await.0, 200);
    let (status, body) = complete(&app, &alice, &id, 1).await;
    assert_eq!(status, 400);
    assert!(error_of(&body).contains("parts 2 were uploaded, but the file has 1"), "{body}");
    // Another account's export does not exist.
    let bob = app.login(BOB).await;
    assert_eq!(put_part(&app, &bob, &id, "3", &parts[2], &parts[2]).await.0, StatusCode::NOT_FOUND);
    assert_eq!(complete(&app, &bob, &id, 2).await.0, StatusCode::NOT_FOUND);
    let (_, now) = json_of(alice.get(app.url(&format!("/api/exports/{id}"))).send().await.unwrap()).await;
    assert_eq!(now["status"], "processing", "never ready with a file that is not what was rendered");
    // A part too big for the server.
    let big = vec![b'x'; (convo_server::catalog::MAX_PART_BYTES + 1) as usize];
    let (status, _) = put_part(&app, &alice, &id, "3", &big, &big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    // Once the browser gave the export up, its parts are refused.
    let failure = alice.post(app.url(&format!("/api/exports/{id}/failure"))).json(&json!({"reason": "tab closed"})).send().await.unwrap();
    assert_eq!(failure.status(), 200);
    assert_eq!(put_part(&app, &alice, &id, "3", &parts[2], &parts[2]).await.0, StatusCode::CONFLICT);
}

/// A refusal sent before the body is read ends the connection. The answer must reach the
/// client whole, and say so: without `Connection: close` a keep-alive client may send its
/// next request down a connection the server is closing (`IncompleteMessage` from
/// reqwest's pool), and a server that closes with the body still arriving resets the
/// connection, so the client loses the answer it was sent (`BrokenPipe` while writing the
/// body, seen once in CI on a 220 KB part).
async fn a_refused_upload_reaches_its_client_whole_and_closes_the_connection(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(3).await;
    let alice = app.login(ALICE).await;
    let bob = app.login(BOB).await;
    let id = create_export(&alice, &app.base, json!({"assistant_id": "support-bot", "days": 30})).await;
    // An export its browser gave up: its parts are refused before they are read.
    let given_up = create_export(&alice, &app.base, json!({"assistant_id": "support-bot", "days": 30})).await;
    let failure =
        alice.post(app.url(&format!("/api/exports/{given_up}/failure"))).json(&json!({"reason": "tab closed"})).send().await.unwrap();
    assert_eq!(failure.status(), 200);
    for size in [220_000, 3 << 20] {
        let body = vec![b'b'; size];
        for (client, export, n, status) in [(&bob, &id, 2, StatusCode::NOT_FOUND), (&alice, &given_up, 3, StatusCode::CONFLICT)] {
            for attempt in 0..15 {
                let url = app.url(&format!("/api/exports/{export}/parts/{n}"));
                let sent = client.put(url).header("content-digest", content_digest(&body)).body(body.clone()).send().await;
                let r = sent.unwrap_or_else(|e| panic!("{size} bytes to part {n}, attempt {attempt}: the answer was lost: {e:?}"));
                assert_eq!(r.status(), status);
                assert_eq!(r.headers().get("connection").map(|v| v.to_str().unwrap()), Some("close"), "part {n}");
                let (next, _) = json_of(client.get(app.url("/api/exports")).send().await.unwrap()).await;
                assert_eq!(next, StatusCode::OK, "the next request on a fresh connection");
            }
        }
    }
    // A client still sending after the answer came: headers and 1 MiB of a declared
    // 3 MiB, a pause in which the server answers and closes, then the rest. The rest
    // must not meet a reset connection, and the answer must still be there to read.
    for attempt in 0..3 {
        let address = app.base.trim_start_matches("http://");
        let mut raw = tokio::net::TcpStream::connect(address).await.unwrap();
        let head = format!("PUT /api/exports/{id}/parts/2 HTTP/1.1\r\nhost: {address}\r\ncontent-length: {}\r\n\r\n", 3 << 20);
        raw.write_all(head.as_bytes()).await.unwrap();
        let mib = vec![b'r'; 1 << 20];
        raw.write_all(&mib).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        for _ in 0..2 {
            raw.write_all(&mib).await.unwrap_or_else(|e| panic!("attempt {attempt}: the server reset the connection: {e}"));
        }
        let mut answer = Vec::new();
        raw.read_to_end(&mut answer).await.unwrap_or_else(|e| panic!("attempt {attempt}: the answer was lost: {e}"));
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 401"), "attempt {attempt}: {answer}");
        assert!(answer.to_ascii_lowercase().contains("connection: close"), "{answer}");
    }
}
