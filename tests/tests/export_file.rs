//! The exported file in a real headless Chromium: its script runs under its own CSP,
//! search filters and highlights, a day and channel chips narrow the list with it, a link
//! to a message opens the file there, it reads without script, it prints every
//! conversation in full, it is valid HTML5 (vnu) and accessible (axe-core); sealed with
//! a passphrase, it opens offline with the right one only, and search still works.

use convo_e2e::{Browser, BrowserOptions, file_url};
use convo_model::Conversation;
use convo_render::{ExportHeader, render_to_string};
use fantoccini::Locator;
use std::path::PathBuf;
use std::process::Command;
use tempfile::TempDir;

const FIXTURE: &str = include_str!("../../crates/render/tests/fixtures/conversations.jsonl");

fn header() -> ExportHeader {
    ExportHeader::new("Support Bot", Some("support-bot".into()), "2026-11-27T12:00:00Z".parse().unwrap(), None)
}

/// Writes the fixture's export, plus 300 demo conversations so there is something to
/// scroll; returns the file and the ids of the conversations in it.
fn write_export(dir: &TempDir, with_demo: bool) -> (PathBuf, Vec<String>) {
    let mut conversations: Vec<Conversation> = FIXTURE.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    if with_demo {
        let spec = convo_demo::Spec {
            assistant_id: "support-bot".into(),
            conversations: 300,
            messages_per_conversation: 8,
            end: "2026-11-27T00:00:00Z".parse().unwrap(),
            span_days: 30,
            seed: 3,
        };
        conversations.extend(convo_demo::conversations(&spec));
    }
    let path = dir.path().join("export.html");
    std::fs::write(&path, render_to_string(header(), &conversations)).unwrap();
    let exported = conversations
        .iter()
        .filter(|c| c.status == convo_model::ConversationStatus::Completed && c.assistant_id == "support-bot")
        .map(|c| c.id.clone())
        .collect();
    (path, exported)
}

/// Writes the export (see `write_export`) and opens it in a fresh Chromium.
async fn open_export(dir: &TempDir, with_demo: bool) -> Browser {
    let (path, _) = write_export(dir, with_demo);
    let browser = Browser::start(BrowserOptions::default()).await.unwrap();
    browser.client.goto(&file_url(&path)).await.unwrap();
    browser
}

async fn visible_conversations(browser: &Browser) -> u64 {
    browser
        .client
        .execute("return [...document.querySelectorAll('article.conv')].filter(c => c.getBoundingClientRect().height > 0).length", vec![])
        .await
        .unwrap()
        .as_u64()
        .unwrap()
}

async fn type_query(browser: &Browser, query: &str) -> String {
    let input = browser.client.find(Locator::Css("#q")).await.unwrap();
    input.clear().await.unwrap();
    browser.client.execute("document.getElementById('q').dispatchEvent(new Event('input'))", vec![]).await.unwrap();
    if !query.is_empty() {
        input.send_keys(query).await.unwrap();
    }
    browser.client.find(Locator::Css("#search-status")).await.unwrap().text().await.unwrap()
}

/// Polls `check` (a JS expression) for up to 20 s.
async fn wait_for(browser: &Browser, check: &str) {
    for _ in 0..200 {
        if browser.client.execute(&format!("return !!({check})"), vec![]).await.unwrap() == serde_json::json!(true) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let page = browser.client.execute("return document.body.innerText", vec![]).await.unwrap();
    panic!("timed out waiting for {check}; the page shows {page}");
}

#[tokio::test]
async fn a_passphrase_file_opens_offline_with_the_right_passphrase_only() {
    let dir = tempfile::tempdir().unwrap();
    let (plain, ids) = write_export(&dir, false);
    let sealing = convo_render::sealed::Sealing { salt: [1; 16], nonce: [2; 12] };
    let page = convo_render::sealed::seal(&std::fs::read(&plain).unwrap(), "correct horse battery", sealing).unwrap();
    let sealed = dir.path().join("sealed.html");
    std::fs::write(&sealed, page).unwrap();
    let browser = Browser::start(BrowserOptions::default()).await.unwrap();
    let c = &browser.client;
    c.goto(&file_url(&sealed)).await.unwrap();
    let url = c.current_url().await.unwrap();

    let field = c.find(Locator::Css("#passphrase")).await.unwrap();
    field.send_keys("correct horse batterz").await.unwrap();
    c.find(Locator::Css("#open")).await.unwrap().click().await.unwrap();
    wait_for(&browser, "document.getElementById('unlock-status').textContent.startsWith('Wrong passphrase')").await;
    let shown = c.execute("return document.querySelectorAll('article.conv').length", vec![]).await.unwrap();
    assert_eq!(shown, 0, "a wrong passphrase shows nothing");
    assert_eq!(field.prop("value").await.unwrap().as_deref(), Some(""), "the wrong passphrase is cleared");

    field.send_keys("correct horse battery").await.unwrap();
    c.find(Locator::Css("#open")).await.unwrap().click().await.unwrap();
    wait_for(&browser, "document.querySelectorAll('article.conv').length > 0").await;
    assert_eq!(visible_conversations(&browser).await, ids.len() as u64);
    assert_eq!(type_query(&browser, "ana souza").await, "2 conversations of 5 match", "the export's own script runs");
    // The passphrase went nowhere: not in the URL, the storage or the page.
    assert_eq!(c.current_url().await.unwrap(), url);
    let kept = c
        .execute(
            "return localStorage.length + sessionStorage.length + (document.documentElement.outerHTML.includes('correct horse') ? 100 : 0)",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(kept, 0);
    browser.close().await.unwrap();
}

#[tokio::test]
async fn search_filters_and_highlights_under_the_exports_own_csp() {
    let dir = tempfile::tempdir().unwrap();
    let browser = open_export(&dir, false).await;

    // The search box is shown by the script: the CSP hash let it run.
    let form = browser.client.find(Locator::Css("#search")).await.unwrap();
    assert!(form.is_displayed().await.unwrap(), "the export's own script did not run");
    // One script runs; the manifest is data (`application/json`), never executed.
    let scripts = browser.client.execute("return document.querySelectorAll('script:not([type])').length", vec![]).await.unwrap();
    assert_eq!(scripts, 1);
    let manifest = browser
        .client
        .execute("return JSON.parse(document.getElementById('export-manifest').textContent).counts.conversations", vec![])
        .await
        .unwrap();
    assert_eq!(manifest, 5);
    assert_eq!(visible_conversations(&browser).await, 5);

    assert_eq!(type_query(&browser, "ana souza").await, "2 conversations of 5 match");
    assert_eq!(visible_conversations(&browser).await, 2);
    let highlighted = browser.client.execute("return CSS.highlights.get('match').size", vec![]).await.unwrap();
    assert!(highlighted.as_u64().unwrap() >= 2, "{highlighted}");

    assert_eq!(type_query(&browser, "مرحبا").await, "2 conversations of 5 match");
    assert_eq!(type_query(&browser, "REFUND orders").await, "1 conversation of 5 match");
    assert_eq!(type_query(&browser, "no such words anywhere").await, "0 conversations of 5 match");
    assert_eq!(visible_conversations(&browser).await, 0);
    // Markup is not searchable text: nobody is looking for tag names.
    assert_eq!(type_query(&browser, "<article").await, "0 conversations of 5 match");
    assert_eq!(type_query(&browser, "").await, "");
    assert_eq!(visible_conversations(&browser).await, 5);
    browser.close().await.unwrap();
}

#[tokio::test]
async fn a_link_to_a_message_opens_the_file_at_that_message() {
    let dir = tempfile::tempdir().unwrap();
    let (path, ids) = write_export(&dir, true);
    // A conversation far down the list, its fifth message.
    let id = &ids[ids.len() - 20];
    let anchor = format!("c-{id}-m5");
    let browser = Browser::start(BrowserOptions::default()).await.unwrap();
    browser.client.goto(&format!("{}#{anchor}", file_url(&path))).await.unwrap();
    let shown = format!(
        "const m = document.getElementById('{anchor}'); const r = m.getBoundingClientRect(); \
         return [document.querySelector(':target') === m, r.top >= 0 && r.top < innerHeight, m.textContent]"
    );
    let found = browser.client.execute(&shown, vec![]).await.unwrap();
    assert_eq!(found[0], true, "the message is the page's target");
    assert_eq!(found[1], true, "the message is on screen: {found}");
    assert!(found[2].as_str().unwrap().starts_with("Contact") || found[2].as_str().unwrap().starts_with("Assistant"));

    // Each message's time links to the message; the conversation's date to it.
    browser.client.goto(&file_url(&path)).await.unwrap();
    let link = format!("#c-{}-m2", ids[0]);
    browser.client.find(Locator::Css(&format!("a[href='{link}']"))).await.unwrap().click().await.unwrap();
    assert_eq!(browser.client.execute("return location.hash", vec![]).await.unwrap(), link.as_str());
    let heading = browser.client.find(Locator::Css(&format!("#c-{} h2 a.when", ids[0]))).await.unwrap();
    assert_eq!(heading.attr("href").await.unwrap().as_deref(), Some(format!("#c-{}", ids[0]).as_str()));
    browser.close().await.unwrap();
}

#[tokio::test]
async fn a_day_and_channel_chips_narrow_the_list_with_the_search_and_count_it() {
    let dir = tempfile::tempdir().unwrap();
    let browser = open_export(&dir, true).await;
    let js = |script: &str| {
        let script = script.to_string();
        let client = browser.client.clone();
        async move { client.execute(&script, vec![]).await.unwrap() }
    };
    let total = visible_conversations(&browser).await;
    // The busiest day, and what each channel has on it, as the articles say.
    let expected = js("const by = {}; for (const a of document.querySelectorAll('article.conv')) { const d = a.dataset.day; \
        by[d] = by[d] || {}; by[d][a.dataset.ch] = (by[d][a.dataset.ch] || 0) + 1; } \
        const day = Object.keys(by).sort((x, y) => Object.values(by[y]).reduce((a, b) => a + b) - Object.values(by[x]).reduce((a, b) => a + b))[0]; \
        return [day, by[day]]").await;
    let day = expected[0].as_str().unwrap().to_string();
    let on_day: serde_json::Map<String, serde_json::Value> = expected[1].as_object().unwrap().clone();
    let day_total: u64 = on_day.values().map(|n| n.as_u64().unwrap()).sum();
    js(&format!("const d = document.getElementById('day'); d.value = '{day}'; d.dispatchEvent(new Event('change'))")).await;
    assert_eq!(visible_conversations(&browser).await, day_total);
    let status = browser.client.find(Locator::Css("#search-status")).await.unwrap();
    assert_eq!(status.text().await.unwrap(), format!("{day_total} conversation{} of {total} match", if day_total == 1 { "" } else { "s" }));
    // Each chip counts its channel on that day.
    let chips =
        js("return [...document.querySelectorAll('#chips .chip')].map(c => [c.dataset.ch, c.querySelector('.n').textContent])").await;
    let chips = chips.as_array().unwrap();
    assert!(chips.len() > 1, "{chips:?}");
    for chip in chips {
        let (channel, n) = (chip[0].as_str().unwrap(), chip[1].as_str().unwrap());
        assert_eq!(n, on_day.get(channel).map_or(0, |v| v.as_u64().unwrap()).to_string(), "{channel}");
    }
    // A chip narrows to its channel, on that day.
    let (channel, n) = on_day.iter().next().map(|(c, n)| (c.clone(), n.as_u64().unwrap())).unwrap();
    let chip = browser.client.find(Locator::Css(&format!("#chips .chip[data-ch='{channel}']"))).await.unwrap();
    chip.click().await.unwrap();
    assert_eq!(chip.attr("aria-pressed").await.unwrap().as_deref(), Some("true"));
    assert_eq!(visible_conversations(&browser).await, n);
    let shown = js("return [...document.querySelectorAll('article.conv')].filter(c => c.getBoundingClientRect().height > 0).map(c => c.dataset.day + '|' + c.dataset.ch)").await;
    assert!(shown.as_array().unwrap().iter().all(|s| s.as_str().unwrap() == format!("{day}|{channel}")), "{shown}");
    // Words narrow further; no match is no match.
    assert_eq!(type_query(&browser, "no such words anywhere").await, format!("0 conversations of {total} match"));
    // Cleared, everything is back.
    type_query(&browser, "").await;
    chip.click().await.unwrap();
    js("const d = document.getElementById('day'); d.value = ''; d.dispatchEvent(new Event('change'))").await;
    assert_eq!(visible_conversations(&browser).await, total);
    assert_eq!(status.text().await.unwrap(), "");
    browser.close().await.unwrap();
}

#[tokio::test]
async fn everything_reads_without_script() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_export(&dir, false);
    let browser = Browser::start(BrowserOptions { no_script: true, ..Default::default() }).await.unwrap();
    browser.client.goto(&file_url(&path)).await.unwrap();
    let form = browser.client.find(Locator::Css("#search")).await.unwrap();
    assert!(!form.is_displayed().await.unwrap(), "a search box that cannot work is hidden");
    let articles = browser.client.find_all(Locator::Css("article.conv")).await.unwrap();
    assert_eq!(articles.len(), 5);
    for article in articles {
        assert!(article.is_displayed().await.unwrap());
    }
    let text = browser.client.find(Locator::Css("body")).await.unwrap().text().await.unwrap();
    assert!(text.contains("Summary statistics"));
    assert!(text.contains("Welcome back!"));
    browser.close().await.unwrap();
}

#[tokio::test]
async fn printing_shows_every_conversation_in_full_and_no_controls() {
    let dir = tempfile::tempdir().unwrap();
    let (path, ids) = write_export(&dir, true);
    let browser = Browser::start(BrowserOptions::default()).await.unwrap();
    browser.client.goto(&file_url(&path)).await.unwrap();
    // Even with a search that hides most conversations, printing shows them all.
    type_query(&browser, "ana souza").await;
    let pdf = browser.client.print(fantoccini::wd::PrintConfiguration::default()).await.unwrap();
    browser.close().await.unwrap();
    let pdf_path = dir.path().join("export.pdf");
    std::fs::write(&pdf_path, &pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-layout"])
        .arg(&pdf_path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed by `cargo xtask test`");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("Search conversations"), "controls are not printed");
    // The last conversation and long unbroken content are all there.
    let squashed: String = text.split_whitespace().collect();
    assert!(squashed.contains(&format!("https://example.com/{}", "a".repeat(200))), "a long URL was cut off");
    assert!(ids.len() > 250, "{} conversations", ids.len());
    for id in &ids {
        assert!(squashed.contains(id.as_str()), "conversation {id} is not printed");
    }
    assert!(squashed.contains("WelcomeBack!") || squashed.contains("Welcomeback!"));
    let pages = text.matches('\u{c}').count();
    assert!(pages > 20, "{pages} pages for {} conversations", ids.len());
}

#[tokio::test]
async fn axe_finds_no_accessibility_violations() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_export(&dir, true);
    let axe = convo_e2e::axe_script().unwrap();
    for scheme in ["light", "dark"] {
        let browser = Browser::start(BrowserOptions { dark: scheme == "dark", ..Default::default() }).await.unwrap();
        browser.client.goto(&file_url(&path)).await.unwrap();
        let dark = browser.client.execute("return matchMedia('(prefers-color-scheme: dark)').matches", vec![]).await.unwrap();
        assert_eq!(dark, serde_json::json!(scheme == "dark"));
        let result = browser
            .client
            .execute_async(
                &format!("{axe}\nconst done = arguments[arguments.length - 1]; axe.run(document, {{resultTypes: ['violations']}}).then(r => done(r.violations.map(v => v.id + ': ' + v.help + ' ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))), e => done(['axe failed: ' + e]));"),
                vec![],
            )
            .await
            .unwrap();
        browser.close().await.unwrap();
        assert_eq!(result, serde_json::json!([]), "{scheme}: axe violations");
    }
}

#[test]
fn vnu_finds_valid_html5() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_export(&dir, true);
    let golden = convo_e2e::workspace_root().join("crates/render/tests/golden/export.html");
    let out = Command::new("java")
        .arg("-jar")
        .arg(convo_e2e::vnu_jar())
        .args(["--errors-only", "--also-check-svg"])
        .arg(&path)
        .arg(&golden)
        .output()
        .expect("java and vnu are installed by `cargo xtask test`");
    assert!(out.status.success(), "vnu: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}
