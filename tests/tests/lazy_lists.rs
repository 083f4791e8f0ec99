//! A long export's later message lists, which wait as markup in a `<noscript>` until
//! needed (page.rs, `BUILT_MESSAGES`), in a real headless Chromium: they are built as
//! they come near the screen, a link to one of their messages opens the file there, the
//! search finds their words and never their markup, printing shows them all, and
//! without script they read like the rest; the file stays valid HTML5 (vnu).

use convo_e2e::{Browser, BrowserOptions, file_url};
use convo_model::{Conversation, ConversationStatus, Message, Role};
use convo_render::{ExportHeader, render_to_string};
use fantoccini::Locator;
use std::path::PathBuf;
use std::process::Command;
use tempfile::TempDir;

/// Words only the last conversation holds, with characters the escaping writes as
/// entities: the search must read them as the page shows them.
const LAST_WORDS: &str = "Zanzibar <b>quux</b> & \"tea\" for O'Neil";

/// 760 demo conversations of sixteen messages (12,160: past the first 10,000 the lists
/// are lazy), then one of ours at the end; returns the file and the last conversation.
fn write_export(dir: &TempDir) -> (PathBuf, Conversation) {
    let spec = convo_demo::Spec {
        assistant_id: "support-bot".into(),
        conversations: 760,
        messages_per_conversation: 16,
        end: "2026-11-27T00:00:00Z".parse().unwrap(),
        span_days: 30,
        seed: 5,
    };
    let mut conversations: Vec<Conversation> =
        convo_demo::conversations(&spec).filter(|c| c.status == ConversationStatus::Completed).collect();
    let mut last = conversations[0].clone();
    last.id = "the last one".into();
    last.started_at = "2026-11-26T10:00:00Z".parse().unwrap();
    last.messages = vec![
        Message { role: Role::User, content: LAST_WORDS.into(), at: "2026-11-26T10:00:00Z".parse().unwrap() },
        Message { role: Role::Assistant, content: "**Done**, see `the list`.".into(), at: "2026-11-26T10:01:00Z".parse().unwrap() },
    ];
    conversations.push(last.clone());
    let header = ExportHeader::new("Support Bot", Some("support-bot".into()), "2026-11-27T12:00:00Z".parse().unwrap(), None);
    let path = dir.path().join("export.html");
    std::fs::write(&path, render_to_string(header, &conversations)).unwrap();
    (path, last)
}

async fn js(browser: &Browser, script: &str) -> serde_json::Value {
    browser.js(script).await.unwrap()
}

async fn wait_for(browser: &Browser, check: &str) {
    browser.wait_for(check).await.unwrap()
}

async fn type_query(browser: &Browser, query: &str) -> String {
    js(browser, &format!("const q = document.getElementById('q'); q.value = {query:?}; q.dispatchEvent(new Event('input'))")).await;
    // The first search may go on in later tasks while it reads the texts.
    wait_for(browser, "!document.getElementById('search-status').textContent.startsWith('Searching')").await;
    browser.client.find(Locator::Css("#search-status")).await.unwrap().text().await.unwrap()
}

#[tokio::test]
async fn later_lists_wait_as_markup_and_are_built_as_they_come_near_the_screen() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_export(&dir);
    let browser = Browser::start(BrowserOptions::default()).await.unwrap();
    browser.client.goto(&file_url(&path)).await.unwrap();
    // The first 10,000 messages are built; every list after them waits.
    let counts = js(
        &browser,
        "const convs = [...document.querySelectorAll('article.conv')]; \
         const first = convs.findIndex(c => c.querySelector(':scope > noscript.lazy')); \
         const before = convs.slice(0, first).reduce((n, c) => n + c.querySelectorAll('li.m').length, 0); \
         const waiting = convs.slice(first).filter(c => c.querySelector(':scope > noscript.lazy')).length; \
         return [first, before, waiting, convs.length - first]",
    )
    .await;
    let (first, before) = (counts[0].as_i64().unwrap(), counts[1].as_u64().unwrap());
    assert!(first > 0, "{counts}");
    assert!((10_000..10_000 + 16).contains(&before), "{before} messages are built before the first lazy list");
    assert_eq!(counts[2], counts[3], "every list after the first lazy one waits: {counts}");
    // Scrolled to, the last conversation's list is built, with its messages' links.
    js(&browser, "document.getElementById('c-the%20last%20one').scrollIntoView()").await;
    wait_for(&browser, "document.querySelectorAll('#c-the\\\\%20last\\\\%20one li.m').length === 2").await;
    let text = js(&browser, "return document.getElementById('c-the%20last%20one-m1').textContent").await;
    assert!(text.as_str().unwrap().contains(LAST_WORDS), "{text}");
    let strong = js(&browser, "return document.querySelector('#c-the\\\\%20last\\\\%20one-m2 strong').textContent").await;
    assert_eq!(strong, "Done");
    browser.close().await.unwrap();
}

#[tokio::test]
async fn a_link_to_a_message_of_a_lazy_list_opens_the_file_at_that_message() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_export(&dir);
    let browser = Browser::start(BrowserOptions::default()).await.unwrap();
    browser.client.goto(&format!("{}#c-the%20last%20one-m2", file_url(&path))).await.unwrap();
    let shown = "const m = document.getElementById('c-the%20last%20one-m2'); const r = m && m.getBoundingClientRect(); \
         return [!!m && document.querySelector(':target') === m, !!m && r.top >= 0 && r.top < innerHeight, m && m.textContent]";
    let found = js(&browser, shown).await;
    assert_eq!(found[0], true, "the message is the page's target: {found}");
    assert_eq!(found[1], true, "the message is on screen: {found}");
    assert!(found[2].as_str().unwrap().starts_with("Assistant"), "{found}");
    // A link followed inside the page to another lazy conversation's message.
    let other = js(&browser, "const c = [...document.querySelectorAll('article.conv')].filter(c => c.querySelector(':scope > noscript.lazy')); return c[c.length - 1].id").await;
    let other = other.as_str().unwrap().to_string();
    js(&browser, &format!("location.hash = '{other}-m3'")).await;
    wait_for(&browser, &format!("document.querySelector(':target') === document.getElementById('{other}-m3')")).await;
    browser.close().await.unwrap();
}

#[tokio::test]
async fn the_search_finds_the_words_of_lazy_lists_and_never_their_markup() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_export(&dir);
    let browser = Browser::start(BrowserOptions::default()).await.unwrap();
    browser.client.goto(&file_url(&path)).await.unwrap();
    let total = js(&browser, "return document.querySelectorAll('article.conv').length").await;
    // As the page shows them: entities read back, tags of the Markdown dropped.
    for query in ["zanzibar", "<b>quux</b> & \"tea\"", "o'neil", "done, see the list"] {
        assert_eq!(type_query(&browser, query).await, format!("1 conversation of {total} match"), "{query}");
        let shown =
            js(&browser, "return [...document.querySelectorAll('article.conv')].filter(c => !c.classList.contains('off')).map(c => c.id)")
                .await;
        assert_eq!(shown, serde_json::json!(["c-the%20last%20one"]), "{query}");
    }
    // The markup of a lazy list is not its text.
    for query in ["datetime", "class=", "&amp;", "<li"] {
        assert_eq!(type_query(&browser, query).await, format!("0 conversations of {total} match"), "{query}");
    }
    browser.close().await.unwrap();
}

/// Printing is the browser's own: Chromium's `--print-to-pdf`, which fires `beforeprint`
/// as a reader's print does (WebDriver's print gives up after 10 s, too soon for a file
/// of 10,000 messages). The messages before the lazy lists are one-liners, to keep the
/// PDF small.
#[test]
fn printing_builds_every_lazy_list() {
    let dir = tempfile::tempdir().unwrap();
    let (_, last) = write_export(&dir);
    let mut conversations: Vec<Conversation> = (0..100)
        .map(|i| {
            let mut c = last.clone();
            c.id = format!("short-{i}");
            c.messages = (0..101).map(|k| Message { role: Role::User, content: format!("ok {k}"), at: c.started_at }).collect();
            c
        })
        .collect();
    conversations.push(last);
    let header = ExportHeader::new("Support Bot", Some("support-bot".into()), "2026-11-27T12:00:00Z".parse().unwrap(), None);
    let path = dir.path().join("short.html");
    let html = render_to_string(header, &conversations);
    assert!(html.contains("<noscript class=\"lazy\">"), "the last list is lazy");
    std::fs::write(&path, html).unwrap();
    let pdf = dir.path().join("export.pdf");
    let profile = tempfile::tempdir().unwrap();
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".into());
    let printed = Command::new(&chromium)
        .args(convo_e2e::CHROMIUM_ARGS)
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(file_url(&path))
        .output()
        .expect("Chromium is installed by `cargo xtask test`");
    assert!(printed.status.success(), "{}", String::from_utf8_lossy(&printed.stderr));
    let out = Command::new("pdftotext").arg(&pdf).arg("-").output().expect("pdftotext (poppler-utils) is installed by `cargo xtask test`");
    assert!(out.status.success());
    let squashed: String = String::from_utf8_lossy(&out.stdout).split_whitespace().collect();
    assert!(squashed.contains("Zanzibar<b>quux</b>&\"tea\"forO'Neil"), "the last conversation's messages are not printed");
    assert!(squashed.contains("Done,seethelist."), "the last conversation's answer is not printed");
}

#[tokio::test]
async fn lazy_lists_read_without_script() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_export(&dir);
    let browser = Browser::start(BrowserOptions { no_script: true, ..Default::default() }).await.unwrap();
    browser.client.goto(&file_url(&path)).await.unwrap();
    let last = browser.client.find(Locator::Css("#c-the\\%20last\\%20one-m1")).await.unwrap();
    // Displayed: laid out with a box of its own (WebDriver reads it without script).
    let size = last.rectangle().await.unwrap();
    assert!(size.2 > 0.0 && size.3 > 0.0, "{size:?}");
    assert!(last.text().await.unwrap().contains(LAST_WORDS));
    let answer = browser.client.find(Locator::Css("#c-the\\%20last\\%20one-m2 .mb strong")).await.unwrap();
    assert_eq!(answer.text().await.unwrap(), "Done");
    browser.close().await.unwrap();
}

#[test]
fn a_file_with_lazy_lists_is_valid_html5() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_export(&dir);
    let out = Command::new("java")
        .arg("-jar")
        .arg(convo_e2e::vnu_jar())
        .args(["--errors-only", "--also-check-svg"])
        .arg(&path)
        .output()
        .expect("java and vnu are installed by `cargo xtask test`");
    assert!(out.status.success(), "vnu: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}
