//! Redacted exports over HTTP: every planted value of each kind is gone from every byte
//! of the file and from every answer about it, look-alikes stay, the export verifies;
//! an unknown kind is a 400 that names it and stores nothing.

use crate::ingest::{ingest_token, jsonl, post};
use crate::{error_of, json_of};
use convo_testkit::{ALICE, Db, TestApp, on_both_databases};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_databases!(
    a_redacted_export_keeps_no_planted_value_in_its_file_or_any_answer,
    an_unknown_redaction_kind_is_a_400_that_names_it_and_stores_nothing,
    the_preview_counts_what_the_file_will_mask,
);

/// Values that must go, and look-alikes that must stay.
const PLANTED: [&str; 7] = [
    "zoe.marsh@example.net",
    "+44 20 7946 0958",
    "4111 1111 1111 1111",
    "NL91ABNA0417164300",
    "198.51.100.23",
    "2001:db8:4::77",
    "Zoe Marsh",
];
const LOOK_ALIKES: [&str; 3] = ["order 4111 1111 1111 1112", "NL91ABNA0417164301", "2026-11-01"];

fn line(app: &TestApp, id: &str) -> Value {
    let at = (app.state.clock.now() - chrono::Duration::hours(2)).to_rfc3339();
    json!({
        "id": id, "assistant_id": "support-bot", "channel": "Gmail", "status": "completed",
        "started_at": at, "ended_at": at,
        "contact": {"name": "Zoe Marsh", "email": "zoe.marsh@example.net"},
        "summary": "Zoe Marsh asked from 198.51.100.23",
        "messages": [
            {"role": "user", "content": format!("I am Zoe Marsh, zoe.marsh@example.net, {}; {}", PLANTED[1..6].join(", "), LOOK_ALIKES.join(", ")), "at": at},
            {"role": "assistant", "content": "Thanks **Zoe Marsh**, we will call +44 20 7946 0958.", "at": at}
        ]
    })
}

async fn a_redacted_export_keeps_no_planted_value_in_its_file_or_any_answer(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(3).await;
    let token = ingest_token(&app, &["support-bot"]).await;
    let (status, answer) = post(&app, &token, "/api/ingest", jsonl(&[line(&app, "p1"), line(&app, "p2")])).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let alice = app.login(ALICE).await;
    let redact = json!({"emails": true, "phones": true, "cards": true, "ibans": true, "ips": true, "names": ["Zoe Marsh"]});
    // Asked of the tab, but a list of names stays on the server: the server renders.
    let body = json!({"assistant_id": "support-bot", "days": 1, "redact": redact, "filters": {"contact": "zoe.marsh@example.net"}});
    let r = alice.post(app.url("/api/exports")).json(&body).send().await.unwrap();
    let (status, created) = json_of(r).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["export"]["renderer"], "server");
    let id = created["export"]["id"].as_str().unwrap().to_string();
    let ready = crate::limits::settle_one(&app, &alice, &id).await;
    assert_eq!(ready["conversations"], 2, "{ready}");
    let file = String::from_utf8(app.file_of(&id).await.expect("the ready file")).unwrap();
    let (_, list) = json_of(alice.get(app.url("/api/exports")).send().await.unwrap()).await;
    let (_, one) = json_of(alice.get(app.url(&format!("/api/exports/{id}"))).send().await.unwrap()).await;
    let (_, trail) = json_of(alice.get(app.url("/api/audit")).send().await.unwrap()).await;
    let answers =
        [("the file", file.clone()), ("the list", list.to_string()), ("the export", one.to_string()), ("its activity", trail.to_string())];
    for (what, text) in &answers {
        for secret in PLANTED.iter().chain(&["Zoe", "Marsh", "zoe.marsh"]) {
            assert!(!text.contains(secret), "{secret:?} survived in {what}");
        }
    }
    for kept in LOOK_ALIKES {
        assert!(file.contains(kept), "the look-alike {kept:?} was masked");
    }
    assert!(
        file.contains("[card ••1111]")
            && file.contains("[iban]")
            && file.contains("[phone]")
            && file.contains("[ip]")
            && file.contains("[name]")
    );
    assert_eq!(one["redaction"], json!({"kinds": ["emails", "phones", "cards", "ibans", "ips"], "names": 1, "contacts": "keep"}));
    assert!(convo_render::manifest::verify(&file).is_ok(), "the redacted file verifies");
    assert_eq!(one["verification"], "verified", "the server reproduced its own redacted file: {one}");
}

async fn an_unknown_redaction_kind_is_a_400_that_names_it_and_stores_nothing(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(3).await;
    let alice = app.login(ALICE).await;
    for (redact, named) in [
        (json!({"emails": true, "passports": true}), "passports"),
        (json!({"contacts": "hidden"}), "hidden"),
        (json!({"names": ["x".repeat(101)]}), "at most 100 characters"),
    ] {
        let r = alice
            .post(app.url("/api/exports"))
            .json(&json!({"assistant_id": "support-bot", "days": 30, "redact": redact}))
            .send()
            .await
            .unwrap();
        let (status, body) = json_of(r).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(error_of(&body).contains(named), "{body}");
    }
    let (_, list) = json_of(alice.get(app.url("/api/exports")).send().await.unwrap()).await;
    assert_eq!(list["exports"].as_array().unwrap().len(), 0, "nothing stored: {list}");
}

async fn the_preview_counts_what_the_file_will_mask(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(0).await;
    let token = ingest_token(&app, &["support-bot"]).await;
    let (status, answer) = post(&app, &token, "/api/ingest", jsonl(&[line(&app, "p1"), line(&app, "p2")])).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let alice = app.login(ALICE).await;
    let url = "/api/exports/preview?assistant_id=support-bot&days=1&redact=emails,cards,ibans&redact_names=Zoe%20Marsh";
    let (status, preview) = json_of(alice.get(app.url(url)).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    let counted = &preview["redacted"];
    assert_eq!(counted["complete"], true, "{preview}");
    // Each conversation: the contact's email (its field and its message), one card, one
    // IBAN (the look-alikes fail their checks), and the name wherever it is written.
    assert_eq!(
        (&counted["emails"], &counted["cards"], &counted["ibans"], &counted["phones"]),
        (&json!(4), &json!(2), &json!(2), &json!(0))
    );
    assert!(counted["names"].as_u64().unwrap() >= 6, "{preview}");
    // Without a redaction, nothing is counted; an unknown kind is named.
    let (_, plain) = json_of(alice.get(app.url("/api/exports/preview?assistant_id=support-bot&days=1")).send().await.unwrap()).await;
    assert!(plain.get("redacted").is_none(), "{plain}");
    let (status, bad) =
        json_of(alice.get(app.url("/api/exports/preview?assistant_id=support-bot&days=1&redact=emails,passports")).send().await.unwrap())
            .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_of(&bad).contains("passports"), "{bad}");
}
