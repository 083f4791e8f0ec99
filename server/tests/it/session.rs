//! Logging in and out, personal API tokens, and every endpoint refusing a request
//! without a login.

use crate::{error_of, json_of};
use convo_testkit::{ALICE, Db, TestApp, on_both_databases};
use reqwest::StatusCode;
use serde_json::json;

on_both_databases!(login_logout_and_tokens, every_endpoint_needs_a_login);

async fn login_logout_and_tokens(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(3).await;
    let anon = reqwest::Client::new();
    let (status, body) =
        json_of(anon.post(app.url("/api/login")).json(&json!({"email": ALICE.0, "password": "wrong"})).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_of(&body), "wrong email or password");
    let (status, _) =
        json_of(anon.post(app.url("/api/login")).json(&json!({"email": "nobody@x.org", "password": "x"})).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) =
        json_of(anon.post(app.url("/api/login")).body("{not json").header("content-type", "application/json").send().await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    let r = anon.post(app.url("/api/login")).json(&json!({"email": "ALICE@example.com ", "password": ALICE.1})).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"), "{cookie}");
    let session = cookie.split(';').next().unwrap().to_string();
    let me = anon.get(app.url("/api/me")).header("cookie", &session).send().await.unwrap();
    assert_eq!(me.status(), 200);
    assert_eq!(json_of(me).await.1["email"], ALICE.0);

    let out = anon.post(app.url("/api/logout")).header("cookie", &session).send().await.unwrap();
    assert_eq!(out.status(), 200);
    let me = anon.get(app.url("/api/me")).header("cookie", &session).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED, "the session ended with logout");

    // A personal API token, as the `token create` subcommand makes it.
    let (alice, _) = app.state.store.account_by_email(ALICE.0).await.unwrap().unwrap();
    let (_, token) = app.state.accounts.create_token(&alice, None).await.unwrap();
    let (status, body) = json_of(anon.get(app.url("/api/assistants")).bearer_auth(&token).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(body["assistants"].as_array().unwrap().len(), 2);
    let (status, _) = json_of(anon.get(app.url("/api/assistants")).bearer_auth("cvx_forged").send().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Sessions expire.
    let alice = app.login(ALICE).await;
    app.state.clock.advance(chrono::Duration::days(31));
    assert_eq!(alice.get(app.url("/api/me")).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
}

async fn every_endpoint_needs_a_login(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(2).await;
    let anon = reqwest::Client::new();
    let id = "0123456789abcdef0123456789abcdef";
    let requests = [
        anon.get(app.url("/api/me")),
        anon.get(app.url("/api/assistants")),
        anon.get(app.url("/api/assistants/support-bot/conversations")),
        anon.get(app.url("/api/exports")),
        anon.get(app.url("/api/exports/preview?assistant_id=support-bot&days=7")),
        anon.post(app.url("/api/exports")).json(&json!({"assistant_id": "support-bot", "days": 7})),
        anon.get(app.url(&format!("/api/exports/{id}"))),
        anon.delete(app.url(&format!("/api/exports/{id}"))),
        anon.put(app.url(&format!("/api/exports/{id}/content"))).body("x"),
        anon.get(app.url(&format!("/api/exports/{id}/content"))),
        anon.get(app.url(&format!("/api/exports/{id}/open"))),
        anon.post(app.url(&format!("/api/exports/{id}/progress"))).json(&json!({"done": 1})),
        anon.post(app.url(&format!("/api/exports/{id}/failure"))).json(&json!({"reason": "x"})),
        anon.post(app.url(&format!("/api/exports/{id}/handover"))).json(&json!({"reason": "x"})),
    ];
    for request in requests {
        let r = request.send().await.unwrap();
        let url = r.url().to_string();
        let (status, body) = json_of(r).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{url}");
        assert!(error_of(&body).contains("log in"), "{url}: {body}");
    }
    let (status, body) = json_of(anon.get(app.url("/api/no-such-thing")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(anon.get(app.url("/healthz")).send().await.unwrap().status(), 200);
}
