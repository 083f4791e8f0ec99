//! Webhooks over real HTTP on both databases, to a real receiver on 127.0.0.1 that fails
//! the first deliveries: signed, retried with backoff, listed with their attempts, in
//! order per export, without conversation content; private addresses refused unless
//! allowed; a hanging receiver slows no request.

use crate::{error_of, json_of};
use convo_server::settings::Settings;
use convo_testkit::{ALICE, BOB, Db, Options, TestApp, on_both_databases};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

on_both_databases!(
    deliveries_are_signed_retried_with_backoff_and_listed_with_their_attempts,
    deliveries_of_one_export_arrive_in_order,
    webhooks_to_private_addresses_are_refused_unless_allowed,
    a_hanging_receiver_slows_no_request,
    an_expiring_export_is_announced_once_three_days_before,
);

/// What the receiver saw: (delivery id, signature, body).
type Seen = Arc<Mutex<Vec<(String, String, String)>>>;

/// A receiver on 127.0.0.1 that answers 500 to its first `failures` requests (or hangs
/// `hang` on each), then 204.
async fn receiver(failures: usize, hang: Duration) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let record = seen.clone();
    let handler = move |headers: axum::http::HeaderMap, body: String| {
        let record = record.clone();
        async move {
            let header = |k: &str| headers.get(k).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            let n = {
                let mut seen = record.lock().unwrap();
                seen.push((header("x-convo-delivery"), header("x-convo-signature"), body));
                seen.len()
            };
            tokio::time::sleep(hang).await;
            if n <= failures { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::NO_CONTENT }
        }
    };
    let app = axum::Router::new().route("/hook", axum::routing::post(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

async fn private_allowed(db: Db) -> TestApp {
    let settings = Settings { allow_private_webhooks: true, ..Settings::default() };
    let app = TestApp::serve(db, Options { settings, ..Options::default() }).await;
    app.seed(3).await;
    app
}

async fn hook(app: &TestApp, client: &reqwest::Client, url: &str, events: &[&str]) -> Value {
    let (status, made) =
        json_of(client.post(app.url("/api/webhooks")).json(&json!({"url": url, "events": events})).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    made
}

/// A server export of Alice's, rendered and ready; its id.
async fn ready_export(app: &TestApp, alice: &reqwest::Client) -> String {
    let id = convo_testkit::create_export(alice, &app.base, json!({"assistant_id": "support-bot", "days": 30, "render": "server"})).await;
    crate::limits::settle_one(app, alice, &id).await;
    id
}

fn hmac_hex(secret: &str, body: &str) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

async fn deliveries(app: &TestApp, client: &reqwest::Client, hook: &str) -> Vec<Value> {
    let (status, list) = json_of(client.get(app.url(&format!("/api/webhooks/{hook}/deliveries"))).send().await.unwrap()).await;
    assert_eq!(status, 200, "{list}");
    list["deliveries"].as_array().unwrap().clone()
}

async fn deliveries_are_signed_retried_with_backoff_and_listed_with_their_attempts(db: Db) {
    let app = private_allowed(db).await;
    let alice = app.login(ALICE).await;
    let (url, seen) = receiver(2, Duration::ZERO).await;
    let made = hook(&app, &alice, &url, &["export.ready", "export.failed"]).await;
    let (hook_id, secret) = (made["id"].as_str().unwrap(), made["secret"].as_str().unwrap());
    let (_, listed) = json_of(alice.get(app.url("/api/webhooks")).send().await.unwrap()).await;
    assert!(!listed.to_string().contains(secret), "the secret is shown once: {listed}");
    let id = ready_export(&app, &alice).await;

    assert_eq!(app.state.webhooks.deliver_once().await.unwrap(), 1);
    let first = &deliveries(&app, &alice, hook_id).await[0];
    assert_eq!((&first["state"], &first["attempts"], &first["last_status"]), (&json!("pending"), &json!(1), &json!(500)), "{first}");
    let now = app.state.clock.now();
    assert_eq!(first["next_attempt_at"], json!(now + chrono::Duration::seconds(30)));
    assert_eq!(app.state.webhooks.deliver_once().await.unwrap(), 0, "not before its backoff");
    app.state.clock.advance(chrono::Duration::seconds(31));
    assert_eq!(app.state.webhooks.deliver_once().await.unwrap(), 1);
    app.state.clock.advance(chrono::Duration::seconds(121));
    assert_eq!(app.state.webhooks.deliver_once().await.unwrap(), 1);
    let done = &deliveries(&app, &alice, hook_id).await[0];
    assert_eq!((&done["state"], &done["attempts"], &done["last_status"]), (&json!("delivered"), &json!(3), &json!(204)), "{done}");
    assert_eq!(app.state.webhooks.deliver_once().await.unwrap(), 0, "delivered once and for all");

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    for (delivery, signature, body) in &seen {
        assert_eq!((delivery, body), (&seen[0].0, &seen[0].2), "every attempt is the same delivery");
        assert_eq!(signature, &format!("sha256={}", hmac_hex(secret, body)));
        convo_testkit::assert_no_canary("a delivery", body);
    }
    let body: Value = serde_json::from_str(&seen[0].2).unwrap();
    assert_eq!((&body["id"], &body["event"], &body["export"]["id"]), (&json!(seen[0].0), &json!("export.ready"), &json!(id)));
    assert_eq!(body["export"]["status"], "ready");
    // No conversation content: no message of the export appears in the delivery.
    let (_, page) = json_of(alice.get(app.url(&format!("/api/exports/{id}/pages"))).send().await.unwrap()).await;
    let texts: Vec<&str> = page["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["messages"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap()))
        .collect();
    assert!(!texts.is_empty(), "{page}");
    for text in texts {
        assert!(!seen[0].2.contains(text), "a message's text in a delivery: {text}");
    }

    // Another account sees nothing of it.
    let bob = app.login(BOB).await;
    let r = bob.get(app.url(&format!("/api/webhooks/{hook_id}/deliveries"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(bob.delete(app.url(&format!("/api/webhooks/{hook_id}"))).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(alice.delete(app.url(&format!("/api/webhooks/{hook_id}"))).send().await.unwrap().status(), StatusCode::NO_CONTENT);
    let (_, listed) = json_of(alice.get(app.url("/api/webhooks")).send().await.unwrap()).await;
    assert_eq!(listed["webhooks"], json!([]));
}

async fn deliveries_of_one_export_arrive_in_order(db: Db) {
    let app = private_allowed(db).await;
    let alice = app.login(ALICE).await;
    let (url, seen) = receiver(1, Duration::ZERO).await;
    hook(&app, &alice, &url, &["schedule.ran", "export.ready"]).await;
    let schedule = json!({"assistant_id": "support-bot", "every": "week", "time_zone": "UTC"});
    let r = alice.post(app.url("/api/schedules")).json(&schedule).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    app.state.clock.advance(chrono::Duration::days(8));
    assert_eq!(app.state.jobs.sweep_once().await.unwrap().scheduled, 1);
    crate::limits::settle(&app, &alice).await;
    // schedule.ran fails first; export.ready waits for it, then both arrive in order.
    assert_eq!(app.state.webhooks.deliver_once().await.unwrap(), 1, "only the first of the export is due");
    app.state.clock.advance(chrono::Duration::seconds(31));
    assert_eq!(app.state.webhooks.deliver_once().await.unwrap(), 1);
    assert_eq!(app.state.webhooks.deliver_once().await.unwrap(), 1);
    let events: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|(_, _, body)| serde_json::from_str::<Value>(body).unwrap()["event"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(events, ["schedule.ran", "schedule.ran", "export.ready"]);
}

async fn webhooks_to_private_addresses_are_refused_unless_allowed(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(1).await;
    let alice = app.login(ALICE).await;
    for (body, said) in [
        (json!({"url": "http://127.0.0.1:9/hook", "events": ["export.ready"]}), "--allow-private-webhooks"),
        (json!({"url": "http://169.254.169.254/latest", "events": ["export.ready"]}), "--allow-private-webhooks"),
        (json!({"url": "http://[::ffff:10.0.0.1]/", "events": ["export.ready"]}), "--allow-private-webhooks"),
        (json!({"url": "http://localhost:8080/", "events": ["export.ready"]}), "--allow-private-webhooks"),
        (json!({"url": "file:///etc/passwd", "events": ["export.ready"]}), "http and https"),
        (json!({"url": "https://93.184.216.34/hook", "events": []}), "at least one"),
        (json!({"url": "https://93.184.216.34/hook", "events": ["export.deleted"]}), "events"),
    ] {
        let (status, answer) = json_of(alice.post(app.url("/api/webhooks")).json(&body).send().await.unwrap()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(error_of(&answer).contains(said), "{body}: {answer}");
    }
    let (_, listed) = json_of(alice.get(app.url("/api/webhooks")).send().await.unwrap()).await;
    assert_eq!(listed["webhooks"], json!([]), "nothing stored");
    let made = hook(&app, &alice, "https://93.184.216.34/hook", &["export.ready"]).await;
    assert!(made["secret"].as_str().unwrap().len() > 32);
    let anon = reqwest::Client::new();
    assert_eq!(anon.get(app.url("/api/webhooks")).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
}

async fn a_hanging_receiver_slows_no_request(db: Db) {
    let app = private_allowed(db).await;
    let alice = app.login(ALICE).await;
    let (url, _) = receiver(0, Duration::from_secs(60)).await;
    let made = hook(&app, &alice, &url, &["export.ready"]).await;
    let hooks = app.state.webhooks.clone();
    let sending = tokio::spawn(async move { hooks.deliver_once().await });
    let id = ready_export(&app, &alice).await;
    // Requests and renders go on while the delivery hangs.
    let started = Instant::now();
    for _ in 0..5 {
        assert_eq!(alice.get(app.url("/api/exports")).send().await.unwrap().status(), 200);
        assert_eq!(reqwest::get(app.url("/healthz")).await.unwrap().status(), 200);
    }
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    let _ = sending.await;
    let sending = tokio::spawn({
        let hooks = app.state.webhooks.clone();
        async move { hooks.deliver_once().await }
    });
    let second = ready_export(&app, &alice).await;
    assert_ne!(id, second);
    assert_eq!(sending.await.unwrap().unwrap(), 1, "the attempt ends at its timeout");
    let list = deliveries(&app, &alice, made["id"].as_str().unwrap()).await;
    let timed_out = list.iter().find(|d| d["attempts"] == 1).expect("an attempt recorded");
    assert!(timed_out["last_error"].as_str().unwrap().contains("no answer"), "{timed_out}");
}

async fn an_expiring_export_is_announced_once_three_days_before(db: Db) {
    let app = private_allowed(db).await;
    let alice = app.login(ALICE).await;
    let (url, seen) = receiver(0, Duration::ZERO).await;
    hook(&app, &alice, &url, &["export.expiring"]).await;
    let id = ready_export(&app, &alice).await;
    app.state.clock.advance(chrono::Duration::days(26));
    assert_eq!(app.state.jobs.sweep_once().await.unwrap().expiring, 0, "more than 3 days left");
    app.state.clock.advance(chrono::Duration::days(1) + chrono::Duration::minutes(1));
    assert_eq!(app.state.jobs.sweep_once().await.unwrap().expiring, 1);
    assert_eq!(app.state.jobs.sweep_once().await.unwrap().expiring, 0, "once");
    assert_eq!(app.state.webhooks.deliver_once().await.unwrap(), 1);
    let body: Value = serde_json::from_str(&seen.lock().unwrap()[0].2).unwrap();
    assert_eq!((&body["event"], &body["export"]["id"]), (&json!("export.expiring"), &json!(id)));
}
