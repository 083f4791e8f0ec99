//! Sharing from the app in headless Chromium: a conversation opens to its thread, the
//! list is searched by the words of its messages, the conversations ticked there are
//! exported, and only they, by **Export selected** (rendered by this tab and verified),
//! and **Download encrypted…** saves a passphrase file of it that opens offline; an
//! export redacted in the Export dialog is rendered by the tab byte for byte as the
//! server renders it, with no planted value left; the dialog's time zone is the
//! browser's, and the tab's file shows its times there.

mod common;

use common::*;
use convo_e2e::{Browser, BrowserOptions};
use convo_model::api::{Renderer, Verification};
use fantoccini::Locator;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversations_chosen_in_the_searched_list_are_exported_and_only_they() {
    let app = start_server().await;
    let downloads = tempfile::tempdir().unwrap();
    let options = BrowserOptions { download_dir: Some(downloads.path().to_path_buf()), ..Default::default() };
    let browser = Browser::start(options).await.unwrap();
    let c = &browser.client;
    log_in(c, &app.base, "demo@example.com", "demo-password").await;
    wait_for(c, "document.querySelectorAll('.conv-row').length >= 3", 20).await;

    // The first conversation opens to its thread; a word of it is what the list is
    // searched for.
    click(c, ".conv-row .row-head").await;
    wait_for(c, "document.querySelector('.conv-row .thread .msg-body')", 10).await;
    let word = c
        .execute(
            "return [...[...document.querySelectorAll('.conv-row .thread .msg-body')].map(b => b.textContent).join(' ').matchAll(/\\p{L}{5,}/gu)].map(m => m[0])[0]",
            vec![],
        )
        .await
        .unwrap();
    let word = word.as_str().expect("the thread has a word of five letters").to_string();
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

    // Download encrypted…: a short or mismatched passphrase is said next to the fields;
    // then the tab seals the copy, and it opens offline with that passphrase.
    click(c, ".export-row .encrypt").await;
    let field = format!("#passphrase-{}", export.id);
    let again = format!("#passphrase-again-{}", export.id);
    wait_for(c, &format!("document.querySelector('{field}').checkVisibility()"), 10).await;
    c.find(Locator::Css(&field)).await.unwrap().send_keys("short").await.unwrap();
    c.find(Locator::Css(&again)).await.unwrap().send_keys("short").await.unwrap();
    click(c, ".encrypt-dialog .seal").await;
    wait_for(c, "document.querySelector('.encrypt-dialog .field-error').textContent.includes('at least 8 characters')", 10).await;
    axe(c, "the Download encrypted dialog with an error").await;
    c.find(Locator::Css(&field)).await.unwrap().send_keys(" and long enough").await.unwrap();
    c.find(Locator::Css(&again)).await.unwrap().send_keys(" and long enough").await.unwrap();
    click(c, ".encrypt-dialog .seal").await;
    let name = convo_render::sealed::sealed_filename(&export.filename);
    let saved = downloads.path().join(&name);
    for _ in 0..300 {
        if saved.is_file() && std::fs::metadata(&saved).unwrap().len() > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let page = std::fs::read(&saved).unwrap_or_else(|e| panic!("{name} was not saved: {e}"));
    assert!(!String::from_utf8_lossy(&page).contains(ids[0].as_str()), "nothing of the export in clear");
    assert_eq!(convo_render::sealed::open(&page, "short and long enough").unwrap(), file.as_bytes(), "the copy is the export");
    c.goto(&convo_e2e::file_url(&saved)).await.unwrap();
    c.find(Locator::Css("#passphrase")).await.unwrap().send_keys("short and long enough").await.unwrap();
    click(c, "#open").await;
    wait_for(c, &format!("document.querySelectorAll('article.conv').length == {picked}"), 20).await;
    browser.close().await.unwrap();
}

/// Values of every kind, planted in messages, a summary and a contact, with look-alikes
/// that must stay (a number failing Luhn, an IBAN failing mod-97 whose digits fail Luhn too, a
/// version number).
const PLANTED: [&str; 6] =
    ["ana.souza@example.org", "+49 30 1234 5678", "4111 1111 1111 1111", "DE89 3704 0044 0532 0130 00", "192.168.10.20", "2001:db8::7"];
const LOOK_ALIKES: [&str; 3] = ["4111 1111 1111 1112", "DE89 3704 0044 0532 0130 02", "v1.2.3"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_export_dialog_defaults_to_the_browsers_zone_and_the_tabs_file_shows_it() {
    let app = start_server().await;
    let browser = Browser::start(BrowserOptions { time_zone: Some("Asia/Tokyo".into()), ..Default::default() }).await.unwrap();
    let c = &browser.client;
    log_in(c, &app.base, "demo@example.com", "demo-password").await;
    click(c, "#export-button").await;
    wait_for(c, "document.getElementById('export-includes')", 20).await;
    let zone = c.find(Locator::Css("#export-zone")).await.unwrap();
    assert_eq!(zone.prop("value").await.unwrap().as_deref(), Some("Asia/Tokyo"), "the browser's own zone");
    // A zone that is not one is refused next to the field, and Start Export waits.
    zone.clear().await.unwrap();
    zone.send_keys("Tokyo").await.unwrap();
    wait_for(c, "document.getElementById('zone-error').textContent.includes('IANA')", 10).await;
    assert!(!c.find(Locator::Css("#start-export")).await.unwrap().is_enabled().await.unwrap(), "Start Export waits for a zone");
    zone.clear().await.unwrap();
    zone.send_keys("Asia/Tokyo").await.unwrap();
    wait_for(c, "document.getElementById('zone-error').textContent === ''", 10).await;
    axe(c, "the Export dialog with its time zone").await;
    click(c, "#start-export").await;
    wait_for(c, "document.querySelector('.export-row .verified')", 60).await;
    let export = app.state.store.list_exports(1, chrono::Utc::now()).await.unwrap().remove(0);
    assert_eq!(export.time_zone.map(|z| z.name()), Some("Asia/Tokyo"));
    let file = String::from_utf8(app.file_of(&export.id).await.unwrap()).unwrap();
    assert!(file.contains("<dt>Time zone</dt><dd>Asia/Tokyo</dd>") && file.contains(" +09:00</time>") && !file.contains(" UTC</time>"));
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redacted_export_rendered_by_the_tab_is_the_servers_render_byte_for_byte() {
    let app = start_server().await;
    let now = chrono::Utc::now();
    let at = |minutes: i64| (now - chrono::Duration::minutes(minutes)).to_rfc3339();
    let text = format!(
        "Write to {} or call {}; card {}, IBAN {}, from {} and {}.",
        PLANTED[0], PLANTED[1], PLANTED[2], PLANTED[3], PLANTED[4], PLANTED[5]
    );
    let decoys = format!("Order {} and {} are fine, app {}.", LOOK_ALIKES[0], LOOK_ALIKES[1], LOOK_ALIKES[2]);
    let lines: String = (0..3)
        .map(|i| {
            serde_json::json!({
                "id": format!("planted-{i}"), "assistant_id": "support-bot", "channel": "Gmail",
                "contact": {"name": "Ana Souza", "email": PLANTED[0]},
                "started_at": at(60 + i), "ended_at": at(30 + i), "status": "completed",
                "summary": format!("Asked about {}", PLANTED[2]),
                "messages": [
                    {"role": "user", "content": text, "at": at(59 + i)},
                    {"role": "assistant", "content": decoys, "at": at(58 + i)},
                ],
            })
            .to_string()
                + "\n"
        })
        .collect();
    let path = app.dir.path().join("planted.jsonl");
    std::fs::write(&path, lines).unwrap();
    convo_server::import::import_file(&app.state.store, &path, now, &indicatif::ProgressBar::hidden()).await.unwrap();

    let browser = Browser::start(BrowserOptions::default()).await.unwrap();
    let c = &browser.client;
    log_in(c, &app.base, "demo@example.com", "demo-password").await;
    click(c, "#export-button").await;
    wait_for(c, "document.getElementById('export-includes')", 20).await;
    c.execute(
        "const s = document.getElementById('export-assistant'); s.value = 'support-bot'; s.dispatchEvent(new Event('change'))",
        vec![],
    )
    .await
    .unwrap();
    click(c, "details.redaction summary").await;
    for id in ["emails", "phones", "cards", "ibans", "ips"] {
        click(c, &format!("#export-redact-{id}")).await;
    }
    click(c, "#export-pseudonyms").await;
    wait_for(c, "(document.getElementById('export-redacts') || {textContent: ''}).textContent.includes('would mask')", 20).await;
    axe(c, "the Export dialog with redaction").await;
    click(c, "#start-export").await;
    wait_for(c, "document.querySelector('.export-row .verified')", 60).await;

    let exports = app.state.store.list_exports(1, chrono::Utc::now()).await.unwrap();
    let export = &exports[0];
    assert_eq!((export.renderer, export.verification), (Renderer::Browser, Some(Verification::Verified)), "rendered by the tab");
    assert_eq!(export.assistant_id, "support-bot");
    assert!(export.redaction.masks(convo_model::RedactedKind::Cards) && export.redaction.contacts == convo_model::Contacts::Pseudonyms);
    let uploaded = app.file_of(&export.id).await.unwrap();

    // The server's render of the same export, from the pages it serves, with the crate.
    let header =
        convo_render::ExportHeader { redaction: export.redaction.clone(), ..convo_render::ExportHeader::for_export(&export.info()) };
    let mut renderer = convo_render::ExportRenderer::new(header);
    let (mut body, mut cursor) = (String::new(), None);
    loop {
        let page = app.state.catalog.pages_of(export, cursor).await.unwrap();
        let conversations: Vec<_> = page.conversations.into_iter().map(|c| convo_server::store::parse_stored(c).unwrap()).collect();
        renderer.push_page(&conversations, &mut body);
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let parts = renderer.finish();
    let servers = [parts.head.as_bytes(), body.as_bytes(), parts.tail.as_bytes()].concat();
    assert!(uploaded == servers, "the tab's file ({} bytes) is the server's render ({} bytes)", uploaded.len(), servers.len());

    let file = String::from_utf8(uploaded).unwrap();
    assert!(file.contains("planted-0"), "the planted conversations are in the export");
    for value in PLANTED.iter().chain(&["Ana Souza"]) {
        assert!(!file.contains(value), "{value} survived redaction");
    }
    for value in LOOK_ALIKES {
        assert!(file.contains(value), "the look-alike {value} was masked");
    }
    for mask in ["[email]", "[phone]", "[card ••1111]", "[iban]", "[ip]", "Contact 1"] {
        assert!(file.contains(mask), "{mask} is in the file");
    }
    browser.close().await.unwrap();
}
