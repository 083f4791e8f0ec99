//! The Conversations page in headless Chromium: a conversation opens to its thread, the
//! list is searched by the words of its messages, and the conversations ticked there are
//! exported, and only they, by **Export selected**, rendered by this tab and verified.

mod common;

use common::*;
use convo_e2e::{Browser, BrowserOptions};
use convo_model::api::{Renderer, Verification};
use fantoccini::Locator;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversations_chosen_in_the_searched_list_are_exported_and_only_they() {
    let app = start_server().await;
    let browser = Browser::start(BrowserOptions::default()).await.unwrap();
    let c = &browser.client;
    log_in(c, &app.base, "demo@example.com", "demo-password").await;
    wait_for(c, "document.querySelectorAll('.conv-row').length >= 3", 20).await;

    // The first conversation opens to its thread; a word of its contact's first message
    // is what the list is searched for.
    click(c, ".conv-row .row-head").await;
    wait_for(c, "document.querySelector('.conv-row .thread .msg-body')", 10).await;
    let word = c
        .execute(
            "return [...document.querySelector('.conv-row .thread .msg-body.plain').textContent.matchAll(/\\p{L}{6,}/gu)].map(m => m[0])[0]",
            vec![],
        )
        .await
        .unwrap();
    let word = word.as_str().expect("the contact's first message has a word of six letters").to_string();
    let all = c.execute("return document.querySelectorAll('.conv-row').length", vec![]).await.unwrap();
    c.find(Locator::Css("#conv-search")).await.unwrap().send_keys(&word).await.unwrap();
    click(c, ".conv-search button[type=submit]").await;
    wait_for(c, "document.querySelector('.conv-row') && !document.querySelector('.conv-row .thread')", 20).await;
    let found = c.execute("return document.querySelectorAll('.conv-row').length", vec![]).await.unwrap();
    assert!(found.as_u64().unwrap() <= all.as_u64().unwrap(), "a search narrows the list ({found} of {all})");

    // Tick the first two found, untick and tick again: the count follows.
    assert_eq!(text_of(c, "#chosen-count").await, "No conversation chosen");
    let boxes = c.find_all(Locator::Css(".conv-row .pick")).await.unwrap();
    let picked = boxes.len().min(2);
    let mut ids = Vec::new();
    for b in &boxes[..picked] {
        b.click().await.unwrap();
        ids.push(b.attr("value").await.unwrap().unwrap());
    }
    boxes[0].click().await.unwrap();
    boxes[0].click().await.unwrap();
    let expected = if picked == 1 { "1 conversation chosen".to_string() } else { format!("{picked} conversations chosen") };
    assert_eq!(text_of(c, "#chosen-count").await, expected);
    axe(c, "the Conversations page with a search and a selection").await;

    click(c, "#export-selected").await;
    wait_for(c, "document.querySelector('.export-row .verified')", 60).await;
    assert_eq!(text_of(c, "#chosen-count").await, "No conversation chosen", "the selection is cleared once exported");
    assert!(text_of(c, ".export-row .about").await.contains(&format!("a selection of {picked}")));

    let exports = app.state.store.list_exports(1, chrono::Utc::now()).await.unwrap();
    let export = &exports[0];
    ids.sort();
    assert_eq!(export.filters.conversations, ids);
    assert_eq!((export.renderer, export.verification), (Renderer::Browser, Some(Verification::Verified)));
    assert_eq!(export.conversations, Some(picked as i64));
    let file = String::from_utf8(app.file_of(&export.id).await.unwrap()).unwrap();
    assert_eq!(file.matches("<article class=\"conv\"").count(), picked);
    for id in &ids {
        assert!(file.contains(id.as_str()), "{id} is in the file");
    }
    assert!(file.contains("A selection: the"), "the header says it is a selection");
    browser.close().await.unwrap();
}
