//! `POST /api/ingest` over real HTTP on both databases: upserts with their statuses,
//! rejected lines named as `import` names them, atomic batches, gzip and the size bound,
//! idempotency keys, and tokens that ingest and do nothing else.

use crate::{error_of, json_of};
use convo_testkit::{ALICE, BOB, Db, TestApp, import_lines, on_both_databases};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_databases!(
    lines_are_accepted_updated_or_unchanged_and_bad_ones_are_named_as_import_names_them,
    an_atomic_batch_with_a_rejected_line_stores_nothing,
    gzip_bodies_are_taken_and_oversized_or_undecodable_ones_refused,
    a_repeated_idempotency_key_answers_the_first_result,
    ingest_tokens_ingest_and_nothing_else,
    a_ready_export_never_changes_whatever_is_ingested_later,
);

/// A conversation line of `assistant`, started at START minus `days_ago`.
fn line(assistant: &str, id: &str, status: &str, messages: usize) -> Value {
    let start = chrono::DateTime::parse_from_rfc3339(convo_testkit::START).unwrap().to_utc() - chrono::Duration::days(2);
    let at = |i: usize| (start + chrono::Duration::minutes(i as i64)).to_rfc3339();
    let messages: Vec<Value> = (0..messages)
        .map(|i| {
            let role = if i % 2 == 0 { "user" } else { "assistant" };
            json!({"role": role, "content": format!("message {i} of {id}"), "at": at(i), "usage": {"cost_usd": 0.1, "prompt_tokens": 3}})
        })
        .collect();
    let mut line = json!({"id": id, "assistant_id": assistant, "channel": "web", "started_at": at(0), "status": status,
        "messages": messages, "internal_notes": "INTERNAL vip"});
    if status == "completed" {
        line["ended_at"] = json!(at(messages_len(&line)));
    }
    line
}

fn messages_len(line: &Value) -> usize {
    line["messages"].as_array().map_or(0, Vec::len)
}

pub(crate) fn jsonl(lines: &[Value]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// An ingest token of Alice's account for these assistants.
pub(crate) async fn ingest_token(app: &TestApp, assistants: &[&str]) -> String {
    let (alice, _) = app.state.store.account_by_email(ALICE.0).await.unwrap().unwrap();
    let scope: Vec<String> = assistants.iter().map(|a| a.to_string()).collect();
    app.state.accounts.create_ingest_token(&alice, &scope, None).await.unwrap().1
}

pub(crate) async fn post(app: &TestApp, token: &str, path: &str, body: impl Into<reqwest::Body>) -> (StatusCode, Value) {
    let r = reqwest::Client::new().post(app.url(path)).bearer_auth(token).body(body).send().await.unwrap();
    json_of(r).await
}

async fn lines_are_accepted_updated_or_unchanged_and_bad_ones_are_named_as_import_names_them(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(2).await;
    let token = ingest_token(&app, &["support-bot", "new-bot"]).await;
    let mut new_bot = line("new-bot", "n-1", "completed", 4);
    new_bot["assistant_name"] = json!("New Bot");
    let active = line("support-bot", "live-1", "active", 2);
    let mut missing = line("support-bot", "bad-1", "completed", 2);
    missing["messages"][1].as_object_mut().unwrap().remove("at");
    let foreign = line("bobs-bot", "b-1", "completed", 2);
    let body = format!(
        "{}\n{}{}\n{}{}",
        line("support-bot", "s-1", "completed", 3),
        jsonl(&[new_bot.clone(), active.clone()]),
        "",
        jsonl(&[missing.clone(), foreign]),
        "{not json\n"
    );
    let (status, answer) = post(&app, &token, "/api/ingest", body.clone()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!((answer["accepted"].as_u64(), answer["updated"].as_u64(), answer["unchanged"].as_u64()), (Some(3), Some(0), Some(0)));
    let rejected = answer["rejected"].as_array().unwrap();
    let lines: Vec<u64> = rejected.iter().map(|r| r["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [5, 6, 7], "blank lines count: {answer}");
    // The import says the same words of the same line.
    let path = app.dir.path().join("bad.jsonl");
    std::fs::write(&path, format!("{missing}\n")).unwrap();
    let import = convo_server::import::check(&path).unwrap_err().to_string();
    assert!(import.ends_with(&format!("line 1: {}", error_of(&rejected[0]))), "{import} / {}", rejected[0]);
    assert!(error_of(&rejected[0]).contains("messages[1]"), "{}", rejected[0]);
    assert!(error_of(&rejected[1]).contains("field `assistant_id`") && error_of(&rejected[1]).contains("bobs-bot"), "{}", rejected[1]);
    assert!(error_of(&rejected[2]).contains("key must be a string") || error_of(&rejected[2]).contains("expected"), "{}", rejected[2]);
    // Nothing of the rejected lines was stored; the new assistant has its name.
    let bob_sees = app.login(BOB).await;
    let (_, b) = json_of(bob_sees.get(app.url("/api/assistants/bobs-bot/conversations?days=365")).send().await.unwrap()).await;
    assert!(!b.to_string().contains("b-1"), "a foreign assistant's line was not stored");
    let new = app.state.store.assistant_by_public_id("new-bot").await.unwrap().expect("created on first ingest");
    assert_eq!(new.name, "New Bot");

    // The same batch again: everything that was stored is unchanged, however it is spaced.
    let respaced = body.replace("\",\"", "\", \"");
    let (_, again) = post(&app, &token, "/api/ingest", respaced).await;
    assert_eq!(
        (again["accepted"].as_u64(), again["updated"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(0), Some(3)),
        "{again}"
    );

    // The active conversation completes with more messages: updated, and served whole.
    let mut done = line("support-bot", "live-1", "completed", 5);
    done["summary"] = json!("solved");
    let (_, third) = post(&app, &token, "/api/ingest", jsonl(&[done, new_bot])).await;
    assert_eq!(
        (third["accepted"].as_u64(), third["updated"].as_u64(), third["unchanged"].as_u64()),
        (Some(0), Some(1), Some(1)),
        "{third}"
    );
    let alice = app.login(ALICE).await;
    let (status, page) = json_of(alice.get(app.url("/api/assistants/support-bot/conversations?days=30")).send().await.unwrap()).await;
    assert_eq!(status, 200, "{page}");
    let live =
        page["conversations"].as_array().unwrap().iter().find(|c| c["id"] == "live-1").expect("the completed conversation is served");
    assert_eq!(live["messages"].as_array().unwrap().len(), 5);
    assert_eq!(live["summary"], "solved");
}

async fn an_atomic_batch_with_a_rejected_line_stores_nothing(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(1).await;
    let token = ingest_token(&app, &["support-bot"]).await;
    // More lines than one write batch, so that a batch was written before the bad line.
    let mut lines: Vec<Value> = (0..450).map(|i| line("support-bot", &format!("a-{i}"), "completed", 2)).collect();
    lines.push(json!({"id": "late", "assistant_id": "support-bot"}));
    let (status, answer) = post(&app, &token, "/api/ingest?atomic=true", jsonl(&lines)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!((answer["accepted"].as_u64(), answer["rejected"][0]["line"].as_u64()), (Some(0), Some(451)), "{answer}");
    assert!(error_of(&answer["rejected"][0]).contains("channel") || error_of(&answer["rejected"][0]).contains("missing field"));
    let n: i64 = count(&app, "SELECT COUNT(*) FROM conversations WHERE public_id LIKE 'a-%'").await;
    assert_eq!(n, 0, "an atomic batch with a rejected line stores none");

    // Without the bad line, atomically: all of them.
    lines.pop();
    let (_, answer) = post(&app, &token, "/api/ingest?atomic=true", jsonl(&lines)).await;
    assert_eq!(answer["accepted"], 450, "{answer}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM conversations WHERE public_id LIKE 'a-%'").await, 450);
    let (status, body) = post(&app, &token, "/api/ingest?atomic=maybe", jsonl(&lines)).await;
    assert_eq!(status, 400, "{body}");
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&app.database_url).await.unwrap();
    let n = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
    pool.close().await;
    n
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

async fn gzip_bodies_are_taken_and_oversized_or_undecodable_ones_refused(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(1).await;
    let token = ingest_token(&app, &["support-bot"]).await;
    let client = reqwest::Client::new();
    let send = |body: Vec<u8>, encoding: &'static str| {
        client.post(app.url("/api/ingest")).bearer_auth(&token).header("content-encoding", encoding).body(body).send()
    };
    // The demo's ids: the seed's one conversation is among them (and changes).
    let lines = import_lines("support-bot", 40, 6, app.state.clock.now(), 10, 77);
    let (status, answer) = json_of(send(gzip(lines.as_bytes()), "gzip").await.unwrap()).await;
    assert_eq!((status.as_u16(), answer["accepted"].as_u64(), answer["updated"].as_u64()), (200, Some(39), Some(1)), "{answer}");

    // 65 MiB of JSON Lines that gzip to a few hundred KiB: refused once past 64 MiB.
    let bomb = gzip(&vec![b'\n'; 65 << 20]);
    assert!(bomb.len() < 1 << 20);
    let (status, body) = json_of(send(bomb, "gzip").await.unwrap()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(error_of(&body).contains("64 MiB"), "{body}");
    let (status, body) = json_of(send(b"not gzip at all".to_vec(), "gzip").await.unwrap()).await;
    assert_eq!(status, 400, "{body}");
    assert!(error_of(&body).contains("gzip"), "{body}");
    let (status, body) = json_of(send(lines.clone().into_bytes(), "br").await.unwrap()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    let (status, body) = json_of(send(b"\n\n".to_vec(), "identity").await.unwrap()).await;
    assert_eq!(status, 400, "{body}");
    assert!(error_of(&body).contains("no lines"), "{body}");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM conversations c JOIN assistants a ON a.id = c.assistant_id WHERE a.public_id = 'support-bot'")
            .await,
        40
    );
    // No scratch file is left behind.
    let scratch: Vec<_> = std::fs::read_dir(app.dir.path().join("tmp")).unwrap().collect();
    assert!(scratch.is_empty(), "{scratch:?}");
}

async fn a_repeated_idempotency_key_answers_the_first_result(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(1).await;
    let token = ingest_token(&app, &["support-bot"]).await;
    let client = reqwest::Client::new();
    let batch = jsonl(&[line("support-bot", "k-1", "completed", 2), line("support-bot", "k-2", "completed", 2)]);
    let send =
        |key: &str, body: String| client.post(app.url("/api/ingest")).bearer_auth(&token).header("idempotency-key", key).body(body).send();
    let (status, first) = json_of(send("batch-0001", batch.clone()).await.unwrap()).await;
    assert_eq!((status.as_u16(), first["accepted"].as_u64()), (200, Some(2)), "{first}");
    // Run again without the key, the batch would be unchanged; with it, it answers as first.
    let (status, repeat) = json_of(send("batch-0001", batch.clone()).await.unwrap()).await;
    assert_eq!((status.as_u16(), &repeat), (200, &first));
    let (status, body) = json_of(send("batch-0001", jsonl(&[line("support-bot", "k-3", "completed", 2)])).await.unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM conversations WHERE public_id = 'k-3'").await, 0, "nothing stored");
    let (status, body) = json_of(send("bad key with spaces", batch.clone()).await.unwrap()).await;
    assert_eq!(status, 400, "{body}");
    assert!(error_of(&body).starts_with("Idempotency-Key"), "{body}");
    // Another key is another batch.
    let (_, other) = json_of(send("batch-0002", batch).await.unwrap()).await;
    assert_eq!(other["unchanged"], 2, "{other}");
}

async fn ingest_tokens_ingest_and_nothing_else(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(1).await;
    let (alice, _) = app.state.store.account_by_email(ALICE.0).await.unwrap().unwrap();
    let scope = vec!["support-bot".to_string()];
    let (ingest_id, ingest) = app.state.accounts.create_ingest_token(&alice, &scope, Some(chrono::Duration::days(1))).await.unwrap();
    let (_, personal) = app.state.accounts.create_token(&alice, None).await.unwrap();
    let client = reqwest::Client::new();
    let batch = jsonl(&[line("support-bot", "t-1", "completed", 2)]);

    for path in ["/api/assistants", "/api/exports", "/api/assistants/support-bot/conversations?days=30", "/api/audit", "/api/me"] {
        let (status, body) = json_of(client.get(app.url(path)).bearer_auth(&ingest).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        assert!(error_of(&body).contains("ingest"), "{body}");
    }
    let create = json!({"assistant_id": "support-bot", "days": 30});
    let (status, _) = json_of(client.post(app.url("/api/exports")).bearer_auth(&ingest).json(&create).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = post(&app, &personal, "/api/ingest", batch.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a personal token does not ingest: {body}");
    let session = app.login(ALICE).await;
    let (status, _) = json_of(session.post(app.url("/api/ingest")).body(batch.clone()).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "nor does a session");
    let (status, _) = json_of(client.post(app.url("/api/ingest")).body(batch.clone()).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, _) = post(&app, &ingest, "/api/ingest", batch.clone()).await;
    assert_eq!(status, 200);
    let listed = app.state.accounts.tokens(&alice).await.unwrap();
    let mine = listed.iter().find(|t| t.id == ingest_id).unwrap();
    assert_eq!((mine.kind, mine.assistants.clone()), (convo_model::api::TokenKind::Ingest, scope));
    assert_eq!(mine.last_used_at, Some(app.state.clock.now()), "its last use is listed");

    // Expired, then revoked: 401.
    app.state.clock.advance(chrono::Duration::days(2));
    let (status, _) = post(&app, &ingest, "/api/ingest", batch.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "an expired ingest token");
    let (id, fresh) = app.state.accounts.create_ingest_token(&alice, &["support-bot".into()], None).await.unwrap();
    assert_eq!(post(&app, &fresh, "/api/ingest", batch.clone()).await.0, 200);
    assert!(app.state.accounts.revoke_token(&id).await.unwrap().is_some());
    assert_eq!(post(&app, &fresh, "/api/ingest", batch).await.0, StatusCode::UNAUTHORIZED, "a revoked ingest token");
}

async fn a_ready_export_never_changes_whatever_is_ingested_later(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(3).await;
    let token = ingest_token(&app, &["support-bot"]).await;
    let alice = app.login(ALICE).await;
    let id = convo_testkit::create_export(&alice, &app.base, json!({"assistant_id": "support-bot", "days": 30, "render": "server"})).await;
    let ready = crate::limits::settle_one(&app, &alice, &id).await;
    let before = app.file_of(&id).await.expect("the ready file");
    // Every conversation of the export, replaced with other content.
    let (_, page) = json_of(alice.get(app.url("/api/assistants/support-bot/conversations?days=30")).send().await.unwrap()).await;
    let replaced: Vec<Value> = page["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let mut l = c.clone();
            l["summary"] = json!("rewritten later");
            l["messages"][0]["content"] = json!("changed after the export");
            l
        })
        .collect();
    let (_, answer) = post(&app, &token, "/api/ingest", jsonl(&replaced)).await;
    assert_eq!(answer["updated"].as_u64(), Some(replaced.len() as u64), "{answer}");
    assert_eq!(app.file_of(&id).await.unwrap(), before, "the ready file is as it was");
    let (_, now) = json_of(alice.get(app.url(&format!("/api/exports/{id}"))).send().await.unwrap()).await;
    assert_eq!(now["sha256"], ready["sha256"]);
}
