//! Before login nothing is big, slow or shared, on SQLite and PostgreSQL: small bodies,
//! a deadline for the whole request, a bounded share of connections per client address,
//! `X-Forwarded-For` only from trusted proxies, and login attempts counted before the
//! password is checked, by every process alike. Also: ranges per RFC 9110.

use crate::{error_of, json_of};
use convo_server::settings::Settings;
use convo_testkit::{ALICE, BOB, Db, Options, TestApp, create_export, on_both_databases, upload};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

on_both_databases!(
    a_big_login_body_is_refused_before_it_is_read,
    a_login_that_trickles_is_cut_at_its_deadline,
    a_burst_of_wrong_passwords_gets_no_more_checks_than_guesses_one_by_one,
    every_process_counts_the_same_login_attempts,
    forwarded_addresses_count_only_behind_a_trusted_proxy,
    one_client_address_cannot_take_every_connection,
    a_range_past_the_end_is_clamped
);

async fn login_as(app: &TestApp, client: &reqwest::Client, email: &str, password: &str) -> StatusCode {
    client.post(app.url("/api/login")).json(&json!({"email": email, "password": password})).send().await.unwrap().status()
}

async fn a_big_login_body_is_refused_before_it_is_read(db: Db) {
    let app = TestApp::start(db).await;
    let big = json!({"email": "a@example.com", "password": "x".repeat(1_900_000)});
    let r = reqwest::Client::new().post(app.url("/api/login")).json(&big).send().await.unwrap();
    let (status, body) = json_of(r).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(error_of(&body).contains("16 KiB"), "{body}");
    // Without a length (chunked), it is cut at the limit all the same.
    let chunks = futures_util::stream::iter((0..200).map(|_| Ok::<_, std::io::Error>(bytes::Bytes::from(vec![b' '; 1024]))));
    let r = reqwest::Client::new()
        .post(app.url("/api/login"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

async fn a_login_that_trickles_is_cut_at_its_deadline(db: Db) {
    let settings = Settings { unauthenticated_deadline: Duration::from_millis(800), ..Settings::default() };
    let app = TestApp::start_with(db, settings).await;
    let mut socket = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://")).await.unwrap();
    let head = "POST /api/login HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 200\r\n\r\n{\"email\":";
    socket.write_all(head.as_bytes()).await.unwrap();
    // A byte now and then: never idle for long, never done.
    let started = std::time::Instant::now();
    let mut answer = Vec::new();
    for _ in 0..10 {
        let _ = socket.write_all(b" ").await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut buf = [0u8; 4096];
        if let Ok(Ok(n)) = tokio::time::timeout(Duration::from_millis(10), socket.read(&mut buf)).await {
            answer.extend_from_slice(&buf[..n]);
            if n == 0 || answer.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(2), "cut at the deadline");
}

async fn a_burst_of_wrong_passwords_gets_no_more_checks_than_guesses_one_by_one(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(1).await;
    let client = reqwest::Client::new();
    let answers =
        futures_util::future::join_all((0..96).map(|i| login_as(&app, &client, ALICE.0, Box::leak(format!("guess-{i}").into_boxed_str()))))
            .await;
    // A 401 is a password that was checked; a 429 was refused before any hashing.
    let checked = answers.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    assert!(checked <= 5, "{checked} of 96 parallel guesses were checked");
    assert!(answers.iter().all(|s| *s == StatusCode::UNAUTHORIZED || *s == StatusCode::TOO_MANY_REQUESTS), "{answers:?}");
}

async fn every_process_counts_the_same_login_attempts(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(1).await;
    let sibling = app.sibling(Options::default()).await;
    for i in 0..5 {
        let r = sibling.accounts.login(ALICE.0, &format!("wrong-{i}"), "198.51.100.1").await;
        assert!(matches!(r, Err(convo_server::accounts::LoginError::Wrong)), "attempt {i} is checked");
    }
    // This process refuses the next one before checking it, even the right password.
    assert_eq!(login_as(&app, &reqwest::Client::new(), ALICE.0, ALICE.1).await, StatusCode::TOO_MANY_REQUESTS);
}

async fn forwarded_addresses_count_only_behind_a_trusted_proxy(db: Db) {
    let behind = Settings { trusted_proxies: vec!["127.0.0.0/8".parse().unwrap()], ..Settings::default() };
    for (settings, trusted) in [(behind, true), (Settings::default(), false)] {
        let app = TestApp::start_with(db, settings).await;
        app.seed(1).await;
        let client = reqwest::Client::new();
        let login = |email: String, password: &'static str, from: &'static str| {
            let r = client.post(app.url("/api/login")).header("x-forwarded-for", from).json(&json!({"email": email, "password": password}));
            async move { r.send().await.unwrap().status() }
        };
        // One client sprays guesses across accounts until it is throttled as a client.
        let mut statuses = Vec::new();
        for i in 0..25 {
            statuses.push(login(format!("spray{i}@example.com"), "wrong", "198.51.100.1").await);
        }
        assert!(statuses.contains(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
        // Another client behind the same balancer is not throttled with it; without a
        // trusted proxy the header means nothing, and both are one client.
        let other = login(BOB.0.to_string(), "bob-password", "198.51.100.2").await;
        match trusted {
            true => assert_eq!(other, StatusCode::OK),
            false => assert_eq!(other, StatusCode::TOO_MANY_REQUESTS),
        }
    }
}

async fn one_client_address_cannot_take_every_connection(db: Db) {
    let settings = Settings { max_connections_per_client: 4, ..Settings::default() };
    let app = TestApp::start_with(db, settings).await;
    let addr: std::net::SocketAddr = app.base.trim_start_matches("http://").parse().unwrap();
    let from = |ip: &str| {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(format!("{ip}:0").parse().unwrap()).unwrap();
        socket.connect(addr)
    };
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(from("127.0.0.1").await.unwrap());
    }
    let mut fifth = from("127.0.0.1").await.unwrap();
    let mut answer = String::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), fifth.read_to_string(&mut answer)).await;
    assert!(answer.starts_with("HTTP/1.1 429"), "{answer}");
    assert!(answer.contains("{\"error\":"), "{answer}");
    // Another address is served.
    let mut other = from("127.0.0.2").await.unwrap();
    other.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(5), other.read_to_string(&mut answer)).await.unwrap().unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // A held one closed, the address is served again.
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut again = from("127.0.0.1").await.unwrap();
    again.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(5), again.read_to_string(&mut answer)).await.unwrap().unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

async fn a_range_past_the_end_is_clamped(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(2).await;
    let alice = app.login(ALICE).await;
    let id = create_export(&alice, &app.base, json!({"assistant_id": "sales-bot", "days": 30})).await;
    let file = b"<!DOCTYPE html><p>a small file</p>".to_vec();
    assert_eq!(upload(&alice, &app.base, &id, &file).await.status(), 200);
    let url = app.url(&format!("/api/exports/{id}/content"));
    let get = |range: String| alice.get(&url).header("range", range).send();
    let r = get(format!("bytes=0-{}", u64::MAX)).await.unwrap();
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.headers()["content-range"], format!("bytes 0-{}/{}", file.len() - 1, file.len()).as_str());
    assert_eq!(r.bytes().await.unwrap().as_ref(), &file[..]);
    let r = get(format!("bytes=5-{}", file.len() + 100)).await.unwrap();
    assert_eq!((r.status(), r.bytes().await.unwrap().to_vec()), (StatusCode::PARTIAL_CONTENT, file[5..].to_vec()));
    // Only a first byte past the end is unsatisfiable.
    let r = get(format!("bytes={}-", file.len())).await.unwrap();
    assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE);
}
