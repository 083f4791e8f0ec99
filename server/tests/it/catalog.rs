//! The export catalog over HTTP: an export's whole life, validation errors, another
//! account's ids, uploads that must be whole and match their digest, and the 21st
//! export evicting the oldest.

use crate::{error_of, json_of};
use convo_testkit::{ALICE, BOB, Db, TestApp, content_digest, on_both_databases, upload};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_databases!(
    export_lifecycle,
    export_validation_errors,
    another_accounts_export_is_not_found,
    uploads_must_be_whole_and_match_their_digest,
    the_21st_export_evicts_the_oldest,
);

/// Creates an export through the API; returns its JSON.
async fn create(app: &TestApp, client: &reqwest::Client, assistant: &str, days: i64) -> Value {
    let (status, body) =
        json_of(client.post(app.url("/api/exports")).json(&json!({"assistant_id": assistant, "days": days})).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

async fn export_lifecycle(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(30).await;
    let alice = app.login(ALICE).await;
    let (_, preview) = json_of(alice.get(app.url("/api/exports/preview?assistant_id=support-bot&days=30")).send().await.unwrap()).await;
    assert!(preview["totals"]["conversations"].as_i64().unwrap() > 5, "{preview}");
    assert!(preview["evicts"].is_null());

    let created = create(&app, &alice, "support-bot", 30).await;
    let export = &created["export"];
    let id = export["id"].as_str().unwrap().to_string();
    assert_eq!(export["status"], "processing");
    assert_eq!(export["renderer"], "browser");
    assert_eq!(export["filename"], "conversations_support-bot_20261127_120000.html");
    assert_eq!(export["range"]["from"], "2026-10-28T12:00:00Z");
    assert_eq!(export["range"]["to"], "2026-11-27T12:00:00Z");
    assert_eq!(export["expires_at"], "2026-12-27T12:00:00Z");
    assert_eq!(export["assistant"], json!({"id": "support-bot", "name": "support-bot"}));
    assert_eq!(export["progress"]["total"], preview["totals"]["messages"]);
    assert_eq!(created["evicted"], json!([]));

    // The browser reports progress, then uploads the file with its digest.
    let (status, body) =
        json_of(alice.post(app.url(&format!("/api/exports/{id}/progress"))).json(&json!({"done": 10})).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(body["progress"]["done"], 10);
    let (status, _) =
        json_of(alice.post(app.url(&format!("/api/exports/{id}/progress"))).json(&json!({"done": -1})).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let file = b"<!DOCTYPE html><title>export</title>".repeat(1000);
    let (status, body) = json_of(upload(&alice, &app.base, &id, &file).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ready");
    assert_eq!(body["size_bytes"], file.len());
    // A ready export takes no second upload and no more progress.
    let (status, _) = json_of(upload(&alice, &app.base, &id, b"x").await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) =
        json_of(alice.post(app.url(&format!("/api/exports/{id}/progress"))).json(&json!({"done": 1})).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::CONFLICT);

    let (_, list) = json_of(alice.get(app.url("/api/exports")).send().await.unwrap()).await;
    assert_eq!(list["exports"].as_array().unwrap().len(), 1);
    assert_eq!(list["exports"][0]["id"], id.as_str());
    let (_, one) = json_of(alice.get(app.url(&format!("/api/exports/{id}"))).send().await.unwrap()).await;
    assert_eq!(one["status"], "ready");

    let download = alice.get(app.url(&format!("/api/exports/{id}/content"))).send().await.unwrap();
    assert_eq!(download.status(), 200);
    let h = download.headers();
    assert_eq!(h["content-disposition"], "attachment; filename=\"conversations_support-bot_20261127_120000.html\"");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["content-type"], "text/html; charset=utf-8");
    assert_eq!(download.bytes().await.unwrap().as_ref(), &file[..]);
    let open = alice.get(app.url(&format!("/api/exports/{id}/open"))).send().await.unwrap();
    let csp = open.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.starts_with("sandbox allow-scripts;") && csp.contains("default-src 'none'") && csp.contains("connect-src 'none'"), "{csp}");
    assert!(open.headers()["content-disposition"].to_str().unwrap().starts_with("inline"));

    let r = alice.delete(app.url(&format!("/api/exports/{id}"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (status, _) = json_of(alice.get(app.url(&format!("/api/exports/{id}"))).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = json_of(alice.delete(app.url(&format!("/api/exports/{id}"))).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(app.objects(Some(&id)).await, Vec::<String>::new(), "the file went with the export");
    let mut trail: Vec<&str> = app.state.store.audit_trail(&id).await.unwrap().into_iter().map(|(a, _)| a.as_str()).collect();
    // (Whether the server's check of this made-up file ran before the delete is a race.)
    trail.retain(|a| *a != "verification failed");
    assert_eq!(trail, ["created", "ready", "downloaded", "opened", "deleted"]);
}

async fn export_validation_errors(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(2).await;
    let alice = app.login(ALICE).await;
    for (body, status, expected) in [
        (json!({"assistant_id": "support-bot", "days": 0}), 400, "days must be a whole number from 1 to 365"),
        (json!({"assistant_id": "support-bot", "days": 366}), 400, "days must be a whole number from 1 to 365"),
        (json!({"assistant_id": "support-bot", "days": 7.5}), 400, "days must be a whole number from 1 to 365"),
        (json!({"assistant_id": "support-bot", "days": "7"}), 400, "days must be a whole number from 1 to 365"),
        (json!({"assistant_id": "support-bot", "days": -3}), 400, "days must be a whole number from 1 to 365"),
        (json!({"assistant_id": "support-bot"}), 400, "send days (a whole number from 1 to 365) or since_last: true"),
        (json!({"days": 7}), 400, "missing field `assistant_id`"),
        (
            json!({"assistant_id": "support-bot", "days": 7, "render": "gpu"}),
            400,
            "render: unknown variant `gpu`, expected `browser` or `server`",
        ),
        (json!({"assistant_id": "nope", "days": 7}), 404, "no such assistant"),
    ] {
        let (got, response) = json_of(alice.post(app.url("/api/exports")).json(&body).send().await.unwrap()).await;
        assert_eq!(got.as_u16(), status, "{body}");
        assert!(error_of(&response).contains(expected), "{body}: {response}");
    }
    let (status, body) = json_of(alice.get(app.url("/api/exports/preview?assistant_id=support-bot&days=abc")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_of(&body).contains("not a whole number"), "{body}");
    let (_, list) = json_of(alice.get(app.url("/api/exports")).send().await.unwrap()).await;
    assert_eq!(list["exports"], json!([]), "nothing was created by bad requests");
}

async fn another_accounts_export_is_not_found(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(3).await;
    let alice = app.login(ALICE).await;
    let bob = app.login(BOB).await;
    let created = create(&app, &alice, "support-bot", 7).await;
    let id = created["export"]["id"].as_str().unwrap();
    let requests = [
        bob.get(app.url(&format!("/api/exports/{id}"))),
        bob.delete(app.url(&format!("/api/exports/{id}"))),
        bob.put(app.url(&format!("/api/exports/{id}/content"))).header("content-digest", content_digest(b"x")).body("x"),
        bob.get(app.url(&format!("/api/exports/{id}/content"))),
        bob.get(app.url(&format!("/api/exports/{id}/open"))),
        bob.post(app.url(&format!("/api/exports/{id}/progress"))).json(&json!({"done": 1})),
        bob.post(app.url(&format!("/api/exports/{id}/failure"))).json(&json!({"reason": "x"})),
        bob.post(app.url(&format!("/api/exports/{id}/handover"))).json(&json!({"reason": "x"})),
    ];
    for request in requests {
        let r = request.send().await.unwrap();
        let url = r.url().to_string();
        let (status, body) = json_of(r).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{url}");
        assert_eq!(error_of(&body), "no such export");
    }
    let (_, list) = json_of(bob.get(app.url("/api/exports")).send().await.unwrap()).await;
    assert_eq!(list["exports"], json!([]));
    let (_, one) = json_of(alice.get(app.url(&format!("/api/exports/{id}"))).send().await.unwrap()).await;
    assert_eq!(one["status"], "processing", "Bob changed nothing");

    // A browser's lasting failure is recorded with its reason.
    let (status, body) =
        json_of(alice.post(app.url(&format!("/api/exports/{id}/failure"))).json(&json!({"reason": "network down"})).send().await.unwrap())
            .await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "failed");
    assert_eq!(body["error"], "network down");
}

async fn uploads_must_be_whole_and_match_their_digest(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(3).await;
    let alice = app.login(ALICE).await;
    let id = create(&app, &alice, "support-bot", 7).await["export"]["id"].as_str().unwrap().to_string();
    let url = app.url(&format!("/api/exports/{id}/content"));
    let file = vec![b'a'; 300_000];

    // A missing or foreign digest is refused before the body is read (small bodies here,
    // so the client is still listening for the answer).
    let (status, body) = json_of(alice.put(&url).body("small").send().await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_of(&body).contains("Content-Digest"), "{body}");
    let (status, body) = json_of(alice.put(&url).header("content-digest", "md5=:AAAA:").body("small").send().await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) =
        json_of(alice.put(&url).header("content-digest", content_digest(b"something else")).body(file.clone()).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_of(&body).contains("does not match"), "{body}");

    // A body that breaks off half way.
    let half = file[..150_000].to_vec();
    let chunks: Vec<Result<bytes::Bytes, std::io::Error>> =
        vec![Ok(half.into()), Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "cut"))];
    let broken = alice
        .put(&url)
        .header("content-digest", content_digest(&file))
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)))
        .send()
        .await;
    assert!(broken.is_err() || broken.unwrap().status() != 200);

    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let (_, one) = json_of(alice.get(app.url(&format!("/api/exports/{id}"))).send().await.unwrap()).await;
    assert_eq!(one["status"], "processing", "no broken upload makes an export ready");
    assert_eq!(app.objects(Some(&id)).await, Vec::<String>::new(), "no object of a broken upload");
    let (status, _) = json_of(alice.get(app.url(&format!("/api/exports/{id}/content"))).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // The whole file with its digest still lands.
    let (status, body) =
        json_of(alice.put(&url).header("content-digest", content_digest(&file)).body(file.clone()).send().await.unwrap()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(app.file_of(&id).await.unwrap(), file);
    assert_eq!(app.objects(Some(&id)).await.len(), 1, "nothing left of the broken uploads");

    // Sent again, as a client whose answer was lost retries: the same ready export, and
    // nothing more is stored. Another file is refused: a ready file never changes.
    let (status, again) =
        json_of(alice.put(&url).header("content-digest", content_digest(&file)).body(file.clone()).send().await.unwrap()).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!((&again["status"], &again["sha256"]), (&body["status"], &body["sha256"]));
    let other = vec![b'b'; 300_000];
    let (status, refused) =
        json_of(alice.put(&url).header("content-digest", content_digest(&other)).body(other.clone()).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(app.file_of(&id).await.unwrap(), file);
    assert_eq!(app.objects(Some(&id)).await.len(), 1, "one object: the first upload's");
}

async fn the_21st_export_evicts_the_oldest(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(3).await;
    let alice = app.login(ALICE).await;
    let bob = app.login(BOB).await;
    let bobs = create(&app, &bob, "bobs-bot", 7).await["export"]["id"].as_str().unwrap().to_string();
    let mut ids = Vec::new();
    for _ in 0..20 {
        ids.push(create(&app, &alice, "support-bot", 7).await["export"]["id"].as_str().unwrap().to_string());
        app.state.clock.advance(chrono::Duration::seconds(1));
    }
    let (_, preview) = json_of(alice.get(app.url("/api/exports/preview?assistant_id=sales-bot&days=7")).send().await.unwrap()).await;
    assert_eq!(preview["evicts"]["id"], ids[0].as_str(), "the dialog can say which export will go");
    let created = create(&app, &alice, "sales-bot", 7).await;
    assert_eq!(created["evicted"].as_array().unwrap().len(), 1);
    assert_eq!(created["evicted"][0]["id"], ids[0].as_str());
    assert_eq!(created["evicted"][0]["filename"], preview["evicts"]["filename"]);
    let (_, list) = json_of(alice.get(app.url("/api/exports")).send().await.unwrap()).await;
    let listed: Vec<&str> = list["exports"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(listed.len(), 20);
    assert_eq!(listed[0], created["export"]["id"].as_str().unwrap(), "newest first");
    assert!(!listed.contains(&ids[0].as_str()));
    let trail = app.state.store.audit_trail(&ids[0]).await.unwrap();
    assert_eq!(trail.last().unwrap().0.as_str(), "evicted");
    // Bob's catalog is his own.
    let (_, list) = json_of(bob.get(app.url("/api/exports")).send().await.unwrap()).await;
    assert_eq!(list["exports"][0]["id"], bobs.as_str());
}
