//! Trust under abuse, on SQLite and PostgreSQL: a ready file that no upload can change,
//! imports that keep every assistant's conversations apart and never lock the server
//! out, logins that tell nothing and cannot be guessed at speed, renders that wait their
//! turn, tokens that expire and are revoked, and a sweeper that clears old sessions.

use crate::{error_of, json_of};
use convo_testkit::{ALICE, BOB, Db, TestApp, content_digest, import_lines, on_both_databases};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

on_both_databases!(
    a_ready_exports_file_never_changes_whatever_uploads_overlap,
    the_same_conversation_id_under_two_assistants_is_two_conversations,
    an_import_never_locks_the_server_out,
    unknown_emails_and_wrong_passwords_look_the_same,
    repeated_failed_logins_are_throttled_per_account_and_per_client,
    a_storm_of_logins_is_bounded,
    server_renders_beyond_the_free_slots_wait_and_say_so,
    a_late_browser_failure_never_fails_an_export_the_server_took,
    tokens_expire_and_the_sweeper_removes_them_and_old_sessions,
);

async fn created_export(app: &TestApp, client: &reqwest::Client, body: Value) -> Value {
    let (status, created) = json_of(client.post(app.url("/api/exports")).json(&body).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["export"].clone()
}

/// A request body that sends `first`, then waits for the go before sending `rest`.
fn held_body(first: Vec<u8>, rest: Vec<u8>) -> (reqwest::Body, tokio::sync::oneshot::Sender<()>) {
    let (go, wait) = tokio::sync::oneshot::channel::<()>();
    let stream = futures_util::stream::unfold((Some(first), Some((wait, rest))), |(first, held)| async move {
        if let Some(first) = first {
            return Some((Ok::<_, std::io::Error>(bytes::Bytes::from(first)), (None, held)));
        }
        let (wait, rest) = held?;
        let _ = wait.await;
        Some((Ok(bytes::Bytes::from(rest)), (None, None)))
    });
    (reqwest::Body::wrap_stream(stream), go)
}

async fn a_ready_exports_file_never_changes_whatever_uploads_overlap(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(3).await;
    let alice = app.login(ALICE).await;
    let export = created_export(&app, &alice, json!({"assistant_id": "support-bot", "days": 30})).await;
    let id = export["id"].as_str().unwrap();
    let url = app.url(&format!("/api/exports/{id}/content"));

    // A slow upload of a big file starts first …
    let slow_file = vec![b's'; 3 << 20];
    let (body, go) = held_body(slow_file[..1 << 20].to_vec(), slow_file[1 << 20..].to_vec());
    let slow = tokio::spawn({
        let (alice, url, digest) = (alice.clone(), url.clone(), content_digest(&slow_file));
        async move { alice.put(url).header("content-digest", digest).body(body).send().await.unwrap().status() }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    // … a quick one finishes meanwhile and makes the export ready …
    let quick_file = b"<!DOCTYPE html><title>quick</title>".to_vec();
    let (status, ready) =
        json_of(alice.put(&url).header("content-digest", content_digest(&quick_file)).body(quick_file.clone()).send().await.unwrap()).await;
    assert_eq!(status, 200, "{ready}");
    // … and when the slow one ends, it is refused and changes nothing.
    go.send(()).unwrap();
    assert_eq!(slow.await.unwrap(), StatusCode::CONFLICT);

    let (_, now) = json_of(alice.get(app.url(&format!("/api/exports/{id}"))).send().await.unwrap()).await;
    let served = alice.get(&url).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(served.as_ref(), &quick_file[..]);
    assert_eq!(now["size_bytes"], served.len());
    assert_eq!(
        now["sha256"].as_str().unwrap(),
        hex::encode(sha2::Digest::finalize(<sha2::Sha256 as sha2::Digest>::new_with_prefix(&served)))
    );
    assert_eq!(app.objects(Some(id)).await.len(), 1, "the refused upload left no object");

    // A second upload to a ready export: 409, and the bytes stay.
    let again = b"<!DOCTYPE html><title>again</title>".to_vec();
    let (status, _) = json_of(alice.put(&url).header("content-digest", content_digest(&again)).body(again).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(alice.get(&url).send().await.unwrap().bytes().await.unwrap().as_ref(), &quick_file[..]);

    // Ranges of the file are served as recorded.
    let part = alice.get(&url).header("range", "bytes=2-7").send().await.unwrap();
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.headers()["content-range"], format!("bytes 2-7/{}", quick_file.len()).as_str());
    assert_eq!(part.bytes().await.unwrap().as_ref(), &quick_file[2..8]);
    let beyond = alice.get(&url).header("range", "bytes=999999-").send().await.unwrap();
    assert_eq!(beyond.status(), StatusCode::RANGE_NOT_SATISFIABLE);
}

async fn the_same_conversation_id_under_two_assistants_is_two_conversations(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(1).await;
    let now = app.state.clock.now();
    let at = |minutes: i64| (now - chrono::Duration::minutes(minutes)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let line = |assistant: &str, contact: &str, text: &str| {
        json!({"id": "shared-1", "assistant_id": assistant, "channel": "Gmail",
               "contact": {"name": contact, "email": "same@example.com"},
               "started_at": at(60), "ended_at": at(50), "status": "completed",
               "messages": [{"role": "user", "content": text, "at": at(59)}, {"role": "assistant", "content": "ok", "at": at(58)}]})
        .to_string()
    };
    let path = app.dir.path().join("two.jsonl");
    std::fs::write(&path, format!("{}\n", line("support-bot", "Ann Alpha", "for support"))).unwrap();
    convo_server::import::import_file(&app.state.store, &path, now, &indicatif::ProgressBar::hidden()).await.unwrap();
    // The same id and the same contact email, for another assistant, with another name.
    std::fs::write(&path, format!("{}\n", line("bobs-bot", "Bea Beta", "for bob"))).unwrap();
    convo_server::import::import_file(&app.state.store, &path, now, &indicatif::ProgressBar::hidden()).await.unwrap();

    let page = |client: reqwest::Client, assistant: &'static str| {
        let url = app.url(&format!("/api/assistants/{assistant}/conversations?from={}", at(120)));
        async move {
            let (_, page) = json_of(client.get(url).send().await.unwrap()).await;
            page["conversations"].as_array().unwrap().iter().find(|c| c["id"] == "shared-1").cloned().unwrap()
        }
    };
    let alice = app.login(ALICE).await;
    let bob = app.login(BOB).await;
    let alices = page(alice, "support-bot").await;
    let bobs = page(bob, "bobs-bot").await;
    assert_eq!(alices["messages"][0]["content"], "for support", "the first assistant's conversation kept its messages");
    assert_eq!(alices["contact"]["name"], "Ann Alpha", "and its own contact details");
    assert_eq!(bobs["messages"][0]["content"], "for bob");
    assert_eq!(bobs["contact"]["name"], "Bea Beta");
}

async fn an_import_never_locks_the_server_out(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(2).await;
    let alice = app.login(ALICE).await;
    let path = app.dir.path().join("big.jsonl");
    std::fs::write(&path, import_lines("big-bot", 3_000, 16, app.state.clock.now(), 300, 9)).unwrap();
    let import = tokio::spawn({
        let (store, now) = (app.state.store.clone(), app.state.clock.now());
        async move {
            convo_server::import::import_file(&store, &path, now, &indicatif::ProgressBar::hidden()).await.unwrap();
            Instant::now()
        }
    });
    // Logins and creates issued while the import runs are answered while it runs.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut answered = Vec::new();
    for _ in 0..3 {
        let r = alice.post(app.url("/api/exports")).json(&json!({"assistant_id": "support-bot", "days": 7})).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        app.login(ALICE).await;
        answered.push(Instant::now());
    }
    let imported = import.await.unwrap();
    assert!(answered.iter().all(|t| *t < imported), "requests waited for the import to end");
}

/// A login's status, body and time.
async fn timed_login(app: &TestApp, email: &str, password: &str) -> (StatusCode, Value, Duration) {
    let t = Instant::now();
    let r = reqwest::Client::new().post(app.url("/api/login")).json(&json!({"email": email, "password": password})).send().await.unwrap();
    let status = r.status();
    let body = r.json().await.unwrap();
    (status, body, t.elapsed())
}

async fn unknown_emails_and_wrong_passwords_look_the_same(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(1).await;
    let (mut unknown, mut wrong) = (Vec::new(), Vec::new());
    for i in 0..5 {
        let (s1, b1, t1) = timed_login(&app, &format!("nobody{i}@example.com"), "whatever-password").await;
        let (s2, b2, t2) = timed_login(&app, ALICE.0, &format!("wrong-password-{i}")).await;
        assert_eq!((s1, s2), (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED));
        assert_eq!(b1, b2, "the same answer");
        unknown.push(t1);
        wrong.push(t2);
    }
    unknown.sort();
    wrong.sort();
    let (u, w) = (unknown[2].as_secs_f64(), wrong[2].as_secs_f64());
    // Both check a password hash: neither is a fraction of the other.
    assert!(u > w / 3.0 && w > u / 3.0, "median unknown email {u:.4} s, wrong password {w:.4} s");
}

async fn repeated_failed_logins_are_throttled_per_account_and_per_client(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(1).await;
    for _ in 0..5 {
        assert_eq!(timed_login(&app, ALICE.0, "wrong").await.0, StatusCode::UNAUTHORIZED);
    }
    // Five attempts are checked; the fifth blocks the account, and the right password
    // must wait too.
    let r = reqwest::Client::new().post(app.url("/api/login")).json(&json!({"email": ALICE.0, "password": ALICE.1})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: i64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "Retry-After {retry}");
    let body: Value = r.json().await.unwrap();
    assert!(error_of(&body).contains("too many failed logins"), "{body}");
    // Unknown emails are throttled alike (nothing tells them apart).
    for _ in 0..6 {
        timed_login(&app, "ghost@example.com", "wrong").await;
    }
    assert_eq!(timed_login(&app, "ghost@example.com", "wrong").await.0, StatusCode::TOO_MANY_REQUESTS);
    // Once the block is over, the right password works and clears the count.
    app.state.clock.advance(chrono::Duration::seconds(retry));
    assert_eq!(timed_login(&app, ALICE.0, ALICE.1).await.0, StatusCode::OK);

    // One client guessing across many accounts is throttled as a client.
    let mut statuses = Vec::new();
    for i in 0..30 {
        statuses.push(timed_login(&app, &format!("spray{i}@example.com"), "wrong").await.0);
    }
    assert!(statuses.contains(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    assert_eq!(timed_login(&app, BOB.0, BOB.1).await.0, StatusCode::TOO_MANY_REQUESTS, "the client waits, whatever the account");
}

async fn a_storm_of_logins_is_bounded(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(1).await;
    let client = reqwest::Client::new();
    let mut logins = Vec::new();
    for _ in 0..200 {
        let (client, url) = (client.clone(), app.url("/api/login"));
        logins.push(tokio::spawn(async move {
            let r = client.post(url).json(&json!({"email": BOB.0, "password": BOB.1})).send().await.unwrap();
            (r.status(), r.headers().get("retry-after").is_some())
        }));
    }
    // The server answers other requests meanwhile.
    let health = client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let mut ok = 0;
    let mut busy = 0;
    for login in logins {
        match login.await.unwrap() {
            (StatusCode::OK, _) => ok += 1,
            (StatusCode::TOO_MANY_REQUESTS, true) => busy += 1,
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert!(ok > 0, "some logins go through");
    assert!(busy > 0, "the rest are told to come back instead of queueing without bound");
}

async fn server_renders_beyond_the_free_slots_wait_and_say_so(db: Db) {
    let settings = convo_server::settings::Settings { render_slots: 1, ..Default::default() };
    let app = TestApp::start_with(db, settings).await;
    app.seed(1).await;
    let path = app.dir.path().join("big.jsonl");
    std::fs::write(&path, import_lines("support-bot", 1_500, 20, app.state.clock.now(), 20, 4)).unwrap();
    convo_server::import::import_file(&app.state.store, &path, app.state.clock.now(), &indicatif::ProgressBar::hidden()).await.unwrap();
    let alice = app.login(ALICE).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let e = created_export(&app, &alice, json!({"assistant_id": "support-bot", "days": 30, "render": "server"})).await;
        ids.push(e["id"].as_str().unwrap().to_string());
    }
    let mut saw_waiting = false;
    for _ in 0..600 {
        let (_, list) = json_of(alice.get(app.url("/api/exports")).send().await.unwrap()).await;
        let exports = list["exports"].as_array().unwrap();
        let rendering = exports
            .iter()
            .filter(|e| e["status"] == "processing" && e["waiting"] == false && e["progress"]["done"].as_i64() > Some(0))
            .count();
        assert!(rendering <= 1, "one slot, one render at a time: {list}");
        saw_waiting |= exports.iter().any(|e| e["waiting"] == true);
        if exports.iter().all(|e| e["status"] == "ready") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(saw_waiting, "exports beyond the slot were shown as waiting");
    let (_, list) = json_of(alice.get(app.url("/api/exports")).send().await.unwrap()).await;
    assert!(list["exports"].as_array().unwrap().iter().all(|e| e["status"] == "ready" && e["waiting"] == false), "{list}");
}

async fn a_late_browser_failure_never_fails_an_export_the_server_took(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(3).await;
    let alice = app.login(ALICE).await;
    let export = created_export(&app, &alice, json!({"assistant_id": "support-bot", "days": 30})).await;
    let id = export["id"].as_str().unwrap();
    // The server takes it over (the tab went quiet) …
    app.state.clock.advance(app.state.settings.stale_after + chrono::Duration::seconds(1));
    let claimed = app.state.catalog.take_over_stale().await.unwrap();
    assert_eq!(claimed.len(), 1);
    // … and a browser's failure that raced past the check changes nothing.
    let failed =
        app.state.store.fail_export(id, convo_server::store::Owner::Browser, "late", &|_| Vec::new(), app.state.clock.now()).await.unwrap();
    assert!(!failed);
    let (status, _) =
        json_of(alice.post(app.url(&format!("/api/exports/{id}/failure"))).json(&json!({"reason": "late"})).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::CONFLICT);
    app.state.jobs.render(claimed.into_iter().next().unwrap()).await;
    let (_, now) = json_of(alice.get(app.url(&format!("/api/exports/{id}"))).send().await.unwrap()).await;
    assert_eq!(now["status"], "ready");
}

async fn tokens_expire_and_the_sweeper_removes_them_and_old_sessions(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(1).await;
    let (alice, _) = app.state.store.account_by_email(ALICE.0).await.unwrap().unwrap();
    let (short_id, short) = app.state.accounts.create_token(&alice, Some(chrono::Duration::days(1))).await.unwrap();
    let (long_id, long) = app.state.accounts.create_token(&alice, Some(chrono::Duration::days(90))).await.unwrap();
    let anon = reqwest::Client::new();
    let status = |token: String| {
        let (anon, url) = (anon.clone(), app.url("/api/me"));
        async move { anon.get(url).bearer_auth(token).send().await.unwrap().status() }
    };
    assert_eq!(status(short.clone()).await, StatusCode::OK);
    app.login(ALICE).await;
    app.state.clock.advance(chrono::Duration::days(2));
    assert_eq!(status(short.clone()).await, StatusCode::UNAUTHORIZED, "expired");
    assert_eq!(status(long.clone()).await, StatusCode::OK);
    assert!(app.state.accounts.revoke_token(&long_id).await.unwrap().is_some());
    assert_eq!(status(long.clone()).await, StatusCode::UNAUTHORIZED, "revoked");
    assert!(app.state.accounts.revoke_token(&long_id).await.unwrap().is_none(), "revoking twice finds nothing");

    app.state.clock.advance(chrono::Duration::days(30));
    let sweep = app.state.jobs.sweep_once().await.unwrap();
    assert_eq!(sweep.sessions_and_tokens, 2, "the expired token and the expired session");
    let left: Vec<String> = app.state.accounts.tokens(&alice).await.unwrap().into_iter().map(|t| t.id).collect();
    assert!(!left.contains(&short_id), "{left:?}");
}
