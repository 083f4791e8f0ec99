//! Imports of every shape land whole on both databases: conversations of thousands of
//! messages (several multi-row inserts each) as well as many short ones.

use crate::json_of;
use convo_testkit::{ALICE, Db, TestApp, import_lines, on_both_databases};

on_both_databases!(long_conversations_import_whole_with_every_message_in_order,);

async fn long_conversations_import_whole_with_every_message_in_order(db: Db) {
    let app = TestApp::start(db).await;
    let now = app.state.clock.now();
    let path = app.dir.path().join("long.jsonl");
    // 5,000 messages: 25 inserts of 200 rows each, the last row of each insert internal-free.
    std::fs::write(&path, import_lines("long-bot", 3, 5_000, now, 7, 9)).unwrap();
    let report = convo_server::import::import_file(&app.state.store, &path, now, &indicatif::ProgressBar::hidden())
        .await
        .expect("the long conversations import");
    // The report counts the internal system and tool messages too.
    assert_eq!((report.conversations, report.messages), (3, 15_006));

    // Every cost arrived as the number it was (internal, kept), and the first message of
    // each conversation (a system prompt, no usage) has none.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&app.database_url).await.unwrap();
    let (costed, total): (i64, f64) =
        sqlx::query_as("SELECT COUNT(cost), CAST(SUM(cost) AS DOUBLE PRECISION) FROM messages").fetch_one(&pool).await.unwrap();
    assert_eq!(costed, 15_000);
    assert!((total - 15_000.0 * 0.0031).abs() < 1e-6, "the costs sum to {total}");

    app.add_account(ALICE.0, ALICE.1, &["long-bot"]).await;
    let alice = app.login(ALICE).await;
    let from = urlencode(&(now - chrono::Duration::days(8)).to_rfc3339());
    let to = urlencode(&now.to_rfc3339());
    let mut cursor: Option<String> = None;
    let mut seen = Vec::new();
    loop {
        let mut url = format!("/api/assistants/long-bot/conversations?from={from}&to={to}");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let (status, body) = json_of(alice.get(app.url(&url)).send().await.unwrap()).await;
        assert_eq!(status, 200, "{body}");
        for c in body["conversations"].as_array().unwrap() {
            let messages = c["messages"].as_array().unwrap();
            assert_eq!(messages.len(), 5_000, "{}", c["id"]);
            let times: Vec<&str> = messages.iter().map(|m| m["at"].as_str().unwrap()).collect();
            assert!(times.windows(2).all(|w| w[0] < w[1]), "messages keep their order in {}", c["id"]);
            seen.push(c["id"].as_str().unwrap().to_string());
        }
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, ["long-bot-0000000", "long-bot-0000001", "long-bot-0000002"]);
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}
