//! The web app end to end: the real server (fresh SQLite, demo data) serving the app
//! built by Trunk, driven in headless Chromium: log in, export, watch it become ready,
//! Download, Open (sandboxed), Delete, bad days refused in the dialog, the 21st export
//! evicting the oldest as the dialog said, another account seeing none of it, and
//! axe-core finding no violation on each page.

mod common;

use common::*;
use convo_e2e::{Browser, BrowserOptions};
use convo_model::api::{ExportStatus, Renderer, SMALL_EXPORT_MESSAGES};
use fantoccini::Locator;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_download_open_delete_and_the_limit_in_the_browser() {
    let downloads = tempfile::tempdir().unwrap();
    let app = start_server().await;
    let (base, state) = (app.base.clone(), app.state.clone());
    let browser =
        Browser::start(BrowserOptions { download_dir: Some(downloads.path().to_path_buf()), ..Default::default() }).await.unwrap();
    let c = &browser.client;

    c.goto(&base).await.unwrap();
    wait_for(c, "document.getElementById('email')", 20).await;
    axe(c, "the login page").await;
    // A wrong password is said next to the field.
    c.find(Locator::Css("#email")).await.unwrap().send_keys("demo@example.com").await.unwrap();
    c.find(Locator::Css("#password")).await.unwrap().send_keys("nope").await.unwrap();
    c.find(Locator::Css("form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for(c, "document.getElementById('login-error').textContent.includes('wrong email or password')", 10).await;
    log_in(c, &base, "demo@example.com", "demo-password").await;
    wait_for(c, "document.querySelectorAll('.conv-row').length > 0", 20).await;
    axe(c, "the Conversations page").await;

    // The dialog refuses bad days before anything is sent.
    c.find(Locator::Css("#export-button")).await.unwrap().click().await.unwrap();
    wait_for(c, "document.querySelector('dialog.export-dialog[open]')", 10).await;
    for (bad, message) in [
        ("0", "The time range must be from 1 to 365 days."),
        ("366", "The time range must be from 1 to 365 days."),
        ("7.5", "is not a whole number of days"),
        ("", "Enter a number of days from 1 to 365."),
    ] {
        set_days(c, bad).await;
        wait_for(c, &format!("document.getElementById('days-error').textContent.includes({message:?})"), 5).await;
        assert!(!c.find(Locator::Css("#start-export")).await.unwrap().is_enabled().await.unwrap(), "Start Export with {bad:?}");
    }
    c.find(Locator::XPath("//button[contains(@class,'pick') and normalize-space()='30']")).await.unwrap().click().await.unwrap();
    wait_for(c, "document.getElementById('export-includes')", 10).await;
    assert_eq!(text_of(c, "#days-error").await, "");
    axe(c, "the Export dialog").await;
    assert!(state.store.list_exports(1, chrono::Utc::now()).await.unwrap().is_empty(), "nothing was sent yet");

    // Start Export: a confirmation at once, then the row becomes ready.
    c.find(Locator::Css("#start-export")).await.unwrap().click().await.unwrap();
    wait_for(c, "[...document.querySelectorAll('.toast')].some(t => t.textContent.includes('Export started'))", 10).await;
    wait_for(c, "document.querySelector('.export-row .badge.ok')", 20).await;
    let exports = state.store.list_exports(1, chrono::Utc::now()).await.unwrap();
    assert_eq!(exports.len(), 1);
    let export = &exports[0];
    assert_eq!(export.status, ExportStatus::Ready);
    assert_eq!(export.renderer, Renderer::Browser, "rendered in the browser, not taken over");
    let stored = app.file_of(&export.id).await.unwrap();
    assert!(stored.starts_with(b"<!DOCTYPE html>"));

    // The file was uploaded in parts: the head (part 1), the body (one part, for a file
    // this small) and the tail with the manifest, sent once the digests were known.
    assert_eq!(app.state.store.parts(&export.id).await.unwrap().len(), 3, "uploaded in parts");
    // The server rendered the same export itself: the browser's WASM made the same bytes,
    // and the row says so.
    wait_for(c, "document.querySelector('.export-row .verified')", 30).await;
    let checked = state.store.export_by_id(&export.id).await.unwrap().unwrap();
    assert_eq!(checked.verification, Some(convo_model::api::Verification::Verified), "{:?}", checked.verification_note);
    // Download: the file lands with the export's name and is the export: saved from the
    // tab that rendered it, then, after a reload, through the link to the server.
    let target = downloads.path().join(&export.filename);
    for round in ["from the tab", "through the link"] {
        let link = c.find(Locator::Css(".export-row a.download")).await.unwrap();
        assert_eq!(link.attr("href").await.unwrap(), Some(format!("/api/exports/{}/content", export.id)));
        link.click().await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while !(target.is_file() && std::fs::read(&target).unwrap() == stored) {
            assert!(Instant::now() < deadline, "no download {round} at {}", target.display());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        std::fs::remove_file(&target).unwrap();
        c.refresh().await.unwrap();
        wait_for(c, "document.querySelector('.export-row a.download')", 20).await;
    }
    let downloads_logged =
        app.state.store.audit_trail(&export.id).await.unwrap().iter().filter(|(a, _)| a.as_str() == "downloaded").count();
    assert_eq!(downloads_logged, 1, "the tab's own copy costs the server nothing; the link's is logged");

    // Open: the export shows, sandboxed in an opaque origin.
    let open = c.find(Locator::Css(".export-row a.open")).await.unwrap().attr("href").await.unwrap().unwrap();
    c.goto(&format!("{base}{open}")).await.unwrap();
    wait_for(c, "document.querySelector('h1') && !document.getElementById('search').hidden", 20).await;
    assert_eq!(c.execute("return window.origin", vec![]).await.unwrap(), serde_json::json!("null"));
    assert_eq!(
        c.execute("return document.querySelector('h1').textContent", vec![]).await.unwrap(),
        serde_json::json!(export.assistant_name)
    );
    assert_eq!(
        c.execute("try { return document.cookie } catch (e) { return 'blocked' }", vec![]).await.unwrap(),
        serde_json::json!("blocked")
    );

    // Delete asks first; then the export is gone from the list and the server.
    c.goto(&base).await.unwrap();
    wait_for(c, "document.querySelector('.export-row .delete')", 20).await;
    c.find(Locator::Css(".export-row .delete")).await.unwrap().click().await.unwrap();
    wait_for(c, "document.querySelector('.export-row .confirm-delete')", 5).await;
    assert_eq!(state.store.list_exports(1, chrono::Utc::now()).await.unwrap().len(), 1, "not before the confirmation");
    c.find(Locator::Css(".export-row .confirm-delete")).await.unwrap().click().await.unwrap();
    wait_for(c, "!document.querySelector('.export-row')", 10).await;
    assert!(state.store.list_exports(1, chrono::Utc::now()).await.unwrap().is_empty());
    assert!(app.objects(Some(&export.id)).await.is_empty());

    // With 20 exports, the dialog says which one the next will delete, and it does.
    let account = state.store.account_by_email("demo@example.com").await.unwrap().unwrap().0;
    for _ in 0..20 {
        let request = convo_server::catalog::ExportRequest {
            assistant_id: "sales-assistant".into(),
            span: convo_server::catalog::Span::Days(convo_model::Days::try_from(7).unwrap()),
            filters: Default::default(),
            redaction: Default::default(),
            format: Default::default(),
            time_zone: None,
            renderer: Renderer::Server,
        };
        state.catalog.create(&account, request).await.unwrap();
    }
    let oldest = state.store.list_exports(account.id, chrono::Utc::now()).await.unwrap().last().unwrap().clone();
    c.refresh().await.unwrap();
    wait_for(c, "document.getElementById('export-button')", 20).await;
    c.find(Locator::Css("#export-button")).await.unwrap().click().await.unwrap();
    wait_for(c, "document.getElementById('export-evicts')", 10).await;
    assert!(text_of(c, "#export-evicts").await.contains(&oldest.filename));
    c.find(Locator::Css("#start-export")).await.unwrap().click().await.unwrap();
    wait_for(c, &format!("[...document.querySelectorAll('.toast')].some(t => t.textContent.includes({:?}))", oldest.filename), 10).await;
    let after = state.store.list_exports(account.id, chrono::Utc::now()).await.unwrap();
    assert_eq!(after.len(), 20);
    assert!(after.iter().all(|e| e.id != oldest.id));
    browser.close().await.unwrap();

    // Another account sees none of it.
    let other = Browser::start(BrowserOptions::default()).await.unwrap();
    log_in(&other.client, &base, "other@example.com", "other-password").await;
    wait_for(&other.client, "document.querySelector('.exports .empty')", 20).await;
    let options =
        other.client.execute("return [...document.querySelectorAll('#assistant-filter option')].map(o => o.value)", vec![]).await.unwrap();
    assert_eq!(options, serde_json::json!(["onboarding-guide"]));
    other.close().await.unwrap();
}

/// Clicks the element `css` finds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keeping_since_last_schedules_and_activity_in_the_browser() {
    let app = start_server().await;
    let base = app.base.clone();
    let browser = Browser::start(BrowserOptions::default()).await.unwrap();
    let c = &browser.client;
    log_in(c, &base, "demo@example.com", "demo-password").await;

    // A first export, then the dialog offers to continue it, and filters narrow it.
    click(c, "#export-button").await;
    wait_for(c, "document.getElementById('export-includes')", 20).await;
    assert!(c.find(Locator::Css("#since-last")).await.is_err(), "nothing to continue yet");
    click(c, "#start-export").await;
    wait_for(c, "document.querySelector('.export-row .badge.ok')", 30).await;
    click(c, "#export-button").await;
    wait_for(c, "document.getElementById('since-last')", 20).await;
    assert!(text_of(c, "#since-last").await.starts_with("Since last export: "));
    click(c, "#since-last").await;
    wait_for(c, "document.getElementById('since-last').getAttribute('aria-pressed') == 'true'", 5).await;
    c.execute("document.querySelector('details.filters').open = true", vec![]).await.unwrap();
    click(c, "#export-ch-gmail").await;
    wait_for(c, "document.getElementById('export-includes')", 10).await;
    axe(c, "the Export dialog with filters").await;
    click(c, "#start-export").await;
    wait_for(c, "document.querySelectorAll('.export-row .badge.ok').length == 2", 30).await;
    let account = app.state.store.account_by_email("demo@example.com").await.unwrap().unwrap().0;
    let exports = app.state.store.list_exports(account.id, chrono::Utc::now()).await.unwrap();
    assert_eq!(exports[0].previous.as_ref().map(|p| p.id.as_str()), Some(exports[1].id.as_str()), "the second continues the first");
    assert_eq!(exports[0].filters.channels, vec![convo_model::Channel::Gmail]);
    let file = app.file_of(&exports[0].id).await.unwrap();
    assert!(String::from_utf8(file).unwrap().contains("<dt>Filters</dt><dd dir=\"auto\">channels Gmail</dd>"));
    assert!(text_of(c, ".export-row .about").await.contains("Filters: channels Gmail"));

    // Keep: the row says so, and the server holds it.
    click(c, ".export-row .keep").await;
    wait_for(c, "document.querySelector('.export-row .keep').getAttribute('aria-pressed') == 'true'", 10).await;
    assert!(app.state.store.list_exports(account.id, chrono::Utc::now()).await.unwrap()[0].held);
    axe(c, "Available Exports with a kept export").await;

    // Schedules: a bad time zone is said next to the field; a good one is listed.
    click(c, "a.nav[href='#schedules']").await;
    wait_for(c, "document.getElementById('schedule-zone')", 20).await;
    axe(c, "the Schedules page").await;
    let zone = c.find(Locator::Css("#schedule-zone")).await.unwrap();
    zone.clear().await.unwrap();
    zone.send_keys("Mars/Olympus").await.unwrap();
    click(c, "#create-schedule").await;
    wait_for(c, "document.getElementById('schedule-error').textContent.includes('not an IANA time zone')", 10).await;
    zone.clear().await.unwrap();
    zone.send_keys("Europe/Berlin").await.unwrap();
    click(c, "#create-schedule").await;
    wait_for(c, "document.querySelector('.schedule-row .next-run')", 10).await;
    assert_eq!(text_of(c, "#schedule-error").await, "");
    assert!(text_of(c, ".schedule-row").await.contains("Europe/Berlin"));
    click(c, ".schedule-row .pause").await;
    wait_for(c, "document.querySelector('.schedule-row .next-run').textContent == 'Paused'", 10).await;
    axe(c, "the Schedules page with a schedule").await;

    // Activity: what happened, newest first, and the CSV.
    click(c, "a.nav[href='#activity']").await;
    wait_for(c, "document.querySelectorAll('.activity-table .event').length >= 5", 20).await;
    let actions =
        c.execute("return [...document.querySelectorAll('.activity-table .action')].map(a => a.textContent)", vec![]).await.unwrap();
    let actions: Vec<String> = serde_json::from_value(actions).unwrap();
    assert_eq!(actions.first().map(String::as_str), Some("held"), "{actions:?}");
    for expected in ["created", "ready"] {
        assert!(actions.iter().any(|a| a == expected), "{expected} in {actions:?}");
    }
    assert_eq!(c.find(Locator::Css("#activity-csv")).await.unwrap().attr("href").await.unwrap().as_deref(), Some("/api/audit.csv"));
    axe(c, "the Activity page").await;
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_export_of_many_pages_goes_in_parts_through_both_workers_and_the_server_reproduces_it() {
    // Pages of 40 conversations, and more messages than a small export has: the page
    // reads the stream for the export worker, the upload worker sends the parts.
    let pages = convo_server::store::PageLimits { conversations: 40, messages: 20_000, bytes: 4 << 20 };
    let app = start_server_with(convo_server::settings::Settings { export_page: Some(pages), ..Default::default() }).await;
    let now = chrono::Utc::now();
    let spec = convo_demo::Spec {
        assistant_id: "support-bot".into(),
        conversations: (SMALL_EXPORT_MESSAGES / 20 + 100) as usize,
        messages_per_conversation: 20,
        end: now - chrono::Duration::hours(1),
        span_days: 20,
        seed: 7,
    };
    let path = app.dir.path().join("more.jsonl");
    let lines: Vec<String> = convo_demo::conversations(&spec)
        .map(|mut c| {
            c.id = format!("more-{}", c.id);
            c.status = convo_model::ConversationStatus::Completed;
            c.ended_at = c.messages.last().map(|m| m.at);
            convo_demo::import_line(&c)
        })
        .collect();
    std::fs::write(&path, lines.join("\n")).unwrap();
    convo_server::import::import_file(&app.state.store, &path, now, &indicatif::ProgressBar::hidden()).await.unwrap();
    let browser = Browser::start(BrowserOptions::default()).await.unwrap();
    let c = &browser.client;
    log_in(c, &app.base, "demo@example.com", "demo-password").await;
    click(c, "#export-button").await;
    wait_for(c, "document.getElementById('export-includes')", 20).await;
    c.execute(
        "const s = document.getElementById('export-assistant'); s.value = 'support-bot'; s.dispatchEvent(new Event('change'));",
        vec![],
    )
    .await
    .unwrap();
    let more_than_small = format!(
        "Number((document.getElementById('export-includes').textContent.match(/\\(([\\d,]+) message/) || [0, '0'])[1].replace(/,/g, '')) > {SMALL_EXPORT_MESSAGES}"
    );
    wait_for(c, &more_than_small, 20).await;
    click(c, "#start-export").await;
    wait_for(c, "document.querySelector('.export-row .verified')", 60).await;
    let exports = app.state.store.list_exports(1, chrono::Utc::now()).await.unwrap();
    let export = &exports[0];
    assert_eq!((export.renderer, export.verification), (Renderer::Browser, Some(convo_model::api::Verification::Verified)));
    assert!(export.conversations.unwrap_or(0) > 2 * 40, "more conversations than two pages hold");
    assert!(export.messages.unwrap_or(0) > SMALL_EXPORT_MESSAGES, "{:?} messages", export.messages);
    // The head, the body in parts growing from 256 KiB, and the tail with the manifest.
    assert!(app.state.store.parts(&export.id).await.unwrap().len() >= 4, "uploaded in parts");
    // The export worker ran it: it sent the page its phases and its own memory, and the
    // upload worker's (which hashed the conversations) with them.
    let ran = c
        .execute(
            "return [typeof window.convoWorkerHeapBytes, window.convoPhases && window.convoPhases.chunks, typeof (window.convoPhases || {}).digests];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(ran[0], "number", "the export worker reported its memory: {ran}");
    assert!(ran[1].as_f64().unwrap_or(0.0) >= 1.0, "the worker read the stream: {ran}");
    assert_eq!(ran[2], "number", "the upload worker reported what it spent hashing: {ran}");
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administration_invites_grants_revokes_and_creates_an_ingest_token_in_the_browser() {
    let app = start_server().await;
    let base = app.base.clone();
    let browser = Browser::start(BrowserOptions::default()).await.unwrap();
    let c = &browser.client;
    log_in(c, &base, "demo@example.com", "demo-password").await;
    click(c, "a[href='#administration']").await;
    wait_for(c, "document.querySelector('tr.account[data-email=\"other@example.com\"]')", 20).await;
    axe(c, "the Administration page").await;

    // A new account without a password: an invite link, shown once.
    c.find(Locator::Css("#new-email")).await.unwrap().send_keys("newhire@example.com").await.unwrap();
    c.find(Locator::Css("#new-name")).await.unwrap().send_keys("New Hire").await.unwrap();
    click(c, "#add-account").await;
    wait_for(c, "document.getElementById('invite-url')", 20).await;
    let invite = text_of(c, "#invite-url code").await;
    assert!(invite.starts_with(&format!("{base}/invite#inv_")), "{invite}");
    let row = "tr.account[data-email=\"newhire@example.com\"]";
    wait_for(c, &format!("document.querySelector('{row}')"), 20).await;
    assert!(text_of(c, &format!("{row} .status")).await.contains("invited"));

    // Grant, then revoke, an assistant.
    c.find(Locator::Css(&format!("{row} .grant-input"))).await.unwrap().send_keys("support-bot").await.unwrap();
    click(c, &format!("{row} button.grant")).await;
    let granted = format!("document.querySelector('{row} li.grant[data-assistant=\"support-bot\"]')");
    wait_for(c, &granted, 20).await;
    let (hire, _) = app.state.store.account_by_email("newhire@example.com").await.unwrap().unwrap();
    assert!(app.state.store.assistant_for(hire.id, "support-bot").await.unwrap().is_some());
    click(c, &format!("{row} li.grant button.revoke")).await;
    wait_for(c, &format!("!{granted}"), 20).await;
    assert!(app.state.store.assistant_for(hire.id, "support-bot").await.unwrap().is_none(), "revoked on the server");

    // An ingest token for the demo account, shown once, that ingests.
    c.find(Locator::Css("#token-assistants")).await.unwrap().send_keys("support-bot").await.unwrap();
    click(c, "#create-token").await;
    wait_for(c, "document.getElementById('new-token')", 20).await;
    let token = text_of(c, "#new-token code").await;
    assert!(token.starts_with("cvi_"), "{token}");
    wait_for(c, "document.querySelector('tr.token')", 20).await;
    let line = convo_testkit::import_lines("support-bot", 1, 2, chrono::Utc::now(), 3, 99);
    let r = reqwest::Client::new().post(format!("{base}/api/ingest")).bearer_auth(&token).body(line).send().await.unwrap();
    assert_eq!(r.status(), 200);
    wait_for(c, "document.querySelector('.admin-trail .event')", 20).await;
    assert!(text_of(c, ".admin-trail").await.contains("token created"));
    axe(c, "the Administration page with an invite and a token").await;

    // The account page's webhooks: the secret shown once.
    click(c, "a[href='#account']").await;
    wait_for(c, "document.getElementById('webhook-url')", 20).await;
    c.find(Locator::Css("#webhook-url")).await.unwrap().send_keys("http://127.0.0.1:9/hook").await.unwrap();
    click(c, "#add-webhook").await;
    wait_for(c, "document.getElementById('webhook-error').textContent.includes('--allow-private-webhooks')", 20).await;
    c.find(Locator::Css("#webhook-url")).await.unwrap().clear().await.unwrap();
    c.find(Locator::Css("#webhook-url")).await.unwrap().send_keys("https://93.184.216.34/hooks/convo").await.unwrap();
    click(c, "#add-webhook").await;
    wait_for(c, "document.getElementById('webhook-secret')", 20).await;
    assert!(text_of(c, "#webhook-secret code").await.starts_with("whsec_"));
    wait_for(c, "document.querySelector('.webhook .url')", 20).await;
    axe(c, "the Account page with a webhook").await;

    // The invite link, opened signed out: a password, and the new account is in.
    click(c, ".who button").await;
    wait_for(c, "document.getElementById('email')", 20).await;
    c.goto(&invite).await.unwrap();
    wait_for(c, "document.getElementById('invite-password')", 20).await;
    assert!(!c.current_url().await.unwrap().as_str().contains("inv_"), "the secret left the address bar");
    axe(c, "the invite page").await;
    c.find(Locator::Css("#invite-password")).await.unwrap().send_keys("newhire-password").await.unwrap();
    click(c, "form button[type=submit]").await;
    wait_for(c, "document.getElementById('export-button')", 20).await;
    assert!(text_of(c, ".who").await.contains("newhire@example.com"));
    assert!(c.find(Locator::Css("a[href='#administration']")).await.is_err(), "no Administration for a member");
    browser.close().await.unwrap();
}
