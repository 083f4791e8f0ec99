//! Reading a 100,000-message export in a real headless Chromium, as a support lead
//! would: a link opens the file at one message far down the list, the search and a
//! channel chip narrow it, and a reader stars a conversation, writes a note on a message
//! and saves a copy with notes, which `verify` accepts, listing the notes, and which
//! shows them when opened again. A file that is not this export is refused.

use convo_e2e::{Browser, BrowserOptions, file_url};
use convo_model::{Conversation, ConversationStatus};
use convo_render::notes::{self, Note};
use convo_render::{ExportHeader, manifest, render_to_string};
use fantoccini::Locator;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Conversations of eight messages: 12,500 make 100,000 messages.
const CONVERSATIONS: usize = 12_500;

/// Writes an export of `CONVERSATIONS` demo conversations exported at `at`; returns the
/// file and the ids of the conversations in it.
fn write_export(dir: &Path, name: &str, at: &str) -> (PathBuf, Vec<String>) {
    let spec = convo_demo::Spec {
        assistant_id: "support-bot".into(),
        conversations: CONVERSATIONS,
        messages_per_conversation: 8,
        end: "2026-11-27T00:00:00Z".parse().unwrap(),
        span_days: 30,
        seed: 11,
    };
    let conversations: Vec<Conversation> = convo_demo::conversations(&spec).collect();
    let header = ExportHeader::new("Support Bot", Some("support-bot".into()), at.parse().unwrap(), None);
    let path = dir.join(name);
    std::fs::write(&path, render_to_string(header, &conversations)).unwrap();
    let ids = conversations.iter().filter(|c| c.status == ConversationStatus::Completed).map(|c| c.id.clone()).collect();
    (path, ids)
}

async fn js(browser: &Browser, script: &str) -> serde_json::Value {
    browser.client.execute(script, vec![]).await.unwrap()
}

/// Polls `check` (a JS expression) for up to 30 s.
async fn wait_for(browser: &Browser, check: &str) {
    for _ in 0..300 {
        if js(browser, &format!("return !!({check})")).await == serde_json::json!(true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = js(browser, "return document.getElementById('notes-status').textContent").await;
    panic!("timed out waiting for {check}; notes say {status}");
}

/// Waits for a finished download of `name` in `dir`.
async fn downloaded(dir: &Path, name: &str) -> Vec<u8> {
    let path = dir.join(name);
    for _ in 0..300 {
        let partial = std::fs::read_dir(dir).unwrap().any(|e| e.unwrap().file_name().to_string_lossy().ends_with(".crdownload"));
        if path.is_file() && !partial {
            return std::fs::read(&path).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{name} was not downloaded; {dir:?} holds {:?}", std::fs::read_dir(dir).unwrap().collect::<Vec<_>>());
}

#[tokio::test]
async fn a_100000_message_file_opens_at_a_link_narrows_and_saves_a_copy_with_notes() {
    let dir = tempfile::tempdir().unwrap();
    let (path, ids) = write_export(dir.path(), "export.html", "2026-11-27T12:00:00Z");
    let (other, _) = write_export(dir.path(), "other.html", "2026-11-28T12:00:00Z");
    let original = std::fs::read(&path).unwrap();
    let downloads = dir.path().join("downloads");
    std::fs::create_dir(&downloads).unwrap();
    let browser = Browser::start(BrowserOptions { download_dir: Some(downloads.clone()), ..Default::default() }).await.unwrap();
    let c = &browser.client;

    // A link to a message far down the list opens the file there.
    let id = &ids[ids.len() - 40];
    assert!(id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'), "{id}");
    let conv = format!("c-{id}");
    let started = Instant::now();
    c.goto(&format!("{}#{conv}-m2", file_url(&path))).await.unwrap();
    let at = js(&browser, &format!("const m = document.getElementById('{conv}-m2'); const r = m.getBoundingClientRect(); return [document.querySelector(':target') === m, r.top >= 0 && r.top < innerHeight]")).await;
    println!("opened at a message of a 100,000-message file in {:?}", started.elapsed());
    assert_eq!(at, serde_json::json!([true, true]));

    // The search and a chip narrow it.
    let total = ids.len();
    let input = c.find(Locator::Css("#q")).await.unwrap();
    input.send_keys("refund").await.unwrap();
    // A first search may answer in steps ("Searching… N so far") while it reads the list.
    wait_for(&browser, "document.getElementById('search-status').textContent.endsWith('match')").await;
    let status = c.find(Locator::Css("#search-status")).await.unwrap().text().await.unwrap();
    let matched: usize = status.split(' ').next().unwrap().parse().unwrap();
    assert!(matched > 0 && matched < total && status.ends_with(&format!("of {total} match")), "{status}");
    let expected = js(
        &browser,
        "return [...document.querySelectorAll('article.conv')].filter(a => a.textContent.toLowerCase().includes('refund')).length",
    )
    .await;
    assert_eq!(serde_json::json!(matched), expected, "the search read the whole list: {status}");
    c.find(Locator::Css("#chips .chip")).await.unwrap().click().await.unwrap();
    let narrowed = c.find(Locator::Css("#search-status")).await.unwrap().text().await.unwrap();
    let fewer: usize = narrowed.split(' ').next().unwrap().parse().unwrap();
    assert!(fewer > 0 && fewer < matched, "{narrowed} after {status}");
    c.find(Locator::Css("#chips .chip")).await.unwrap().click().await.unwrap();
    input.clear().await.unwrap();
    js(&browser, "document.getElementById('q').dispatchEvent(new Event('input'))").await;
    js(&browser, &format!("document.querySelector('#{conv} h2').scrollIntoView({{block: 'center'}})")).await;

    // Star the conversation and write a note on its second message.
    wait_for(&browser, &format!("document.querySelector('#{conv} .star')")).await;
    // Clicked by script: WebDriver scrolls a button it clicks to the very top, under
    // the sticky search bar, where no reader would click it.
    js(&browser, &format!("document.querySelector('#{conv} .star').click(); document.querySelector('#{conv}-m2 .nb').click()")).await;
    let note = "Good answer: reuse </script> & <b>this</b>";
    c.find(Locator::Css(&format!("#{conv}-m2-note"))).await.unwrap().send_keys(note).await.unwrap();
    let count = c.find(Locator::Css("#notes-count")).await.unwrap().text().await.unwrap();
    assert_eq!(count, "1 starred, 1 note (not saved yet)");

    // Another export's file is refused, and nothing is saved.
    let picker = c.find(Locator::Css("#notes-file")).await.unwrap();
    picker.send_keys(&other.display().to_string()).await.unwrap();
    wait_for(&browser, "document.getElementById('notes-status').textContent.startsWith('That is not this export')").await;
    assert_eq!(std::fs::read_dir(&downloads).unwrap().count(), 0);

    // Save: the reader is asked for the file, picks it, and the copy is downloaded.
    c.find(Locator::Css("#notes-save")).await.unwrap().click().await.unwrap();
    let asked = c.find(Locator::Css("#notes-status")).await.unwrap().text().await.unwrap();
    assert!(asked.starts_with("Choose this export's own file"), "{asked}");
    picker.send_keys(&path.display().to_string()).await.unwrap();
    wait_for(&browser, "document.getElementById('notes-status').textContent.startsWith('Saved export-notes.html')").await;
    let copy = downloaded(&downloads, "export-notes.html").await;

    let text = String::from_utf8(copy.clone()).unwrap();
    let verified = manifest::verify(&text).unwrap_or_else(|f| panic!("the copy does not verify: {f:?}"));
    let notes = verified.notes.expect("the copy carries notes");
    assert_eq!(notes.stars, vec![id.clone()]);
    assert_eq!(notes.notes, vec![Note { conversation: id.clone(), message: 2, text: note.into() }]);
    assert_eq!(notes::without_notes(&copy).as_ref(), original.as_slice(), "the export inside is the file byte for byte");

    // Opened again, the copy shows its notes.
    let copy_path = downloads.join("export-notes.html");
    c.goto(&format!("{}#{conv}", file_url(&copy_path))).await.unwrap();
    wait_for(&browser, &format!("document.getElementById('{conv}-m2-note')")).await;
    let shown = js(&browser, &format!("return [document.getElementById('{conv}-m2-note').value, document.querySelector('#{conv} .star').getAttribute('aria-pressed'), document.getElementById('notes-count').textContent]")).await;
    assert_eq!(shown, serde_json::json!([note, "true", "1 starred, 1 note"]));
    browser.close().await.unwrap();
}
