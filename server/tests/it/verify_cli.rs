//! `convo-export verify` as a compliance officer runs it, years later, offline: an
//! intact export passes with a one-line summary; each kind of tampering is named with a
//! non-zero exit; a chain and a receipt are checked, and another server's key refused;
//! a reader's copy with notes passes, its notes listed.

use crate::BIN;
use convo_render::manifest;
use convo_render::notes::{Note, Notes};
use convo_testkit::{ALICE, Db, TestApp, create_export, on_both_databases};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;

fn verify(args: &[&dyn AsRef<std::ffi::OsStr>]) -> (bool, String) {
    let out = Command::new(BIN).arg("verify").args(args).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

async fn server_export(app: &TestApp, client: &reqwest::Client, body: Value) -> Value {
    let id = create_export(client, &app.base, body).await;
    crate::limits::settle_one(app, client, &id).await
}

async fn save(app: &TestApp, client: &reqwest::Client, path: &str, to: &Path) -> Vec<u8> {
    let bytes = client.get(app.url(path)).send().await.unwrap().bytes().await.unwrap().to_vec();
    std::fs::write(to, &bytes).unwrap();
    bytes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_names_tampering_checks_chains_and_receipts() {
    let app = TestApp::start(Db::Sqlite).await;
    app.seed(60).await;
    let alice = app.login(ALICE).await;
    let dir = tempfile::tempdir().unwrap();
    let first = server_export(&app, &alice, json!({"assistant_id": "support-bot", "days": 30, "render": "server"})).await;
    // New conversations meanwhile, for the export that continues the first.
    let later = app.state.clock.now() + chrono::Duration::days(20);
    let path = app.dir.path().join("later.jsonl");
    std::fs::write(&path, convo_testkit::import_lines("support-bot", 12, 6, later, 19, 77)).unwrap();
    convo_server::import::import_file(&app.state.store, &path, later, &indicatif::ProgressBar::hidden()).await.unwrap();
    app.state.clock.advance(chrono::Duration::days(20));
    let second = server_export(&app, &alice, json!({"assistant_id": "support-bot", "since_last": true, "render": "server"})).await;
    let (a, b) = (dir.path().join("first.html"), dir.path().join("second.html"));
    save(&app, &alice, &format!("/api/exports/{}/content", first["id"].as_str().unwrap()), &a).await;
    let second_bytes = save(&app, &alice, &format!("/api/exports/{}/content", second["id"].as_str().unwrap()), &b).await;
    let receipt = dir.path().join("receipt.json");
    save(&app, &alice, &format!("/api/exports/{}/receipt", second["id"].as_str().unwrap()), &receipt).await;
    let key = dir.path().join("key.json");
    save(&app, &reqwest::Client::new(), "/api/signing-key", &key).await;

    let (ok, said) = verify(&[&b]);
    assert!(ok, "{said}");
    assert!(said.starts_with("OK ") && said.lines().count() == 1, "{said}");
    assert!(said.contains(second["id"].as_str().unwrap()) && said.contains("support-bot"), "{said}");
    let (ok, said) = verify(&[&b, &"--previous", &a, &"--receipt", &receipt, &"--public-key", &key]);
    assert!(ok, "{said}");
    assert!(said.contains("continues") && said.contains("receipt"), "{said}");
    // The key may also be given as the bare base64 value.
    let bare: Value = serde_json::from_slice(&std::fs::read(&key).unwrap()).unwrap();
    let (ok, said) = verify(&[&b, &"--receipt", &receipt, &"--public-key", &bare["public_key"].as_str().unwrap()]);
    assert!(ok, "{said}");

    // Each kind of tampering, named.
    let html = String::from_utf8(second_bytes).unwrap();
    let tampered = dir.path().join("tampered.html");
    let first_article = html.find("<article class=\"conv\"").unwrap();
    let close = first_article + html[first_article..].find("</article>").unwrap() + "</article>".len();
    let second_article = close + html[close..].find("<article class=\"conv\"").unwrap();
    let stats = html.find("<section class=\"stats\"").unwrap();
    let dd = stats + html[stats..].find("<dd>").unwrap() + 4;
    // A message's end, in the first conversation (the statistics have lists too).
    let li = first_article + html[first_article..].find("</li>").unwrap();
    for (edit, named) in [
        (format!("{} (edited){}", &html[..li], &html[li..]), "was edited"),
        (format!("{}{}", &html[..first_article], &html[second_article..]), "was removed"),
        (html.replacen("<h1><bdi>", "<h1><bdi>Not ", 1), "the header"),
        (format!("{}1{}", &html[..dd], &html[dd..]), "statistics"),
        (html.replacen("<script>", "<script>fetch('https://evil.example');", 1), "the page around the conversations"),
    ] {
        std::fs::write(&tampered, &edit).unwrap();
        let (ok, said) = verify(&[&tampered]);
        assert!(!ok, "{named}: {said}");
        assert!(said.contains("was altered") && said.contains(named), "{named}: {said}");
    }
    // A chain to the wrong file, a receipt for another file, another server's key.
    let (ok, said) = verify(&[&b, &"--previous", &b]);
    assert!(!ok && said.contains("does not continue"), "{said}");
    // An intact export of its own (its manifest checks out), but not the file the
    // receipt vouches for: only the receipt can tell.
    assert!(verify(&[&a]).0);
    let (ok, said) = verify(&[&a, &"--receipt", &receipt, &"--public-key", &key]);
    assert!(!ok && said.contains("but the receipt vouches for"), "{said}");
    let other = TestApp::start(Db::Sqlite).await;
    let other_key = dir.path().join("other-key.json");
    save(&other, &reqwest::Client::new(), "/api/signing-key", &other_key).await;
    let (ok, said) = verify(&[&b, &"--receipt", &receipt, &"--public-key", &other_key]);
    assert!(!ok && said.contains("another server"), "{said}");
    let (ok, said) = verify(&[&dir.path().join("missing.html")]);
    assert!(!ok && said.contains("cannot read"), "{said}");
}

on_both_databases!(a_copy_with_notes_verifies_lists_its_notes_and_keeps_its_receipt);

/// A reader's copy with notes (as the page's **Save a copy with notes** writes it): the
/// export inside passes, its notes are listed with their control characters escaped, the
/// server's receipt still vouches for the export inside, and an edit inside still fails.
async fn a_copy_with_notes_verifies_lists_its_notes_and_keeps_its_receipt(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(20).await;
    let alice = app.login(ALICE).await;
    let dir = tempfile::tempdir().unwrap();
    let export = server_export(&app, &alice, json!({"assistant_id": "support-bot", "days": 30, "render": "server"})).await;
    let id = export["id"].as_str().unwrap();
    let bytes = save(&app, &alice, &format!("/api/exports/{id}/content"), &dir.path().join("export.html")).await;
    let receipt = dir.path().join("receipt.json");
    save(&app, &alice, &format!("/api/exports/{id}/receipt"), &receipt).await;
    let key = dir.path().join("key.json");
    save(&app, &reqwest::Client::new(), "/api/signing-key", &key).await;

    let html = String::from_utf8(bytes).unwrap();
    let ids: Vec<String> = manifest::verify(&html).unwrap().manifest.conversations.into_iter().map(|c| c.id).collect();
    let mut notes = Notes::new("2026-12-05T09:30:00Z".parse().unwrap());
    notes.stars.push(ids[0].clone());
    notes.notes.push(Note { conversation: ids[1].clone(), message: 2, text: "Refund promised\u{1b}[31m red \u{202e}".into() });
    let copy = dir.path().join("export-notes.html");
    std::fs::write(&copy, convo_render::notes::with_notes(&html, &notes).unwrap()).unwrap();

    let (ok, said) = verify(&[&copy, &"--receipt", &receipt, &"--public-key", &key]);
    assert!(ok, "{said}");
    assert!(said.contains("1 starred, 1 note added") && said.contains("vouches for the export inside"), "{said}");
    assert!(said.contains(&format!("starred: conversation {}", ids[0])), "{said}");
    assert!(said.contains(&format!("note on conversation {}, message 2: Refund promised\\u{{1b}}[31m red \\u{{202e}}", ids[1])), "{said}");
    assert!(!said.contains('\u{1b}'), "a note cannot drive the terminal: {said}");

    let first = std::fs::read_to_string(&copy).unwrap();
    let at = first.find("<article class=\"conv\"").unwrap();
    let edited = format!("{}{}", &first[..at], first[at..].replacen("</li>", " (edited)</li>", 1));
    std::fs::write(&copy, edited).unwrap();
    let (ok, said) = verify(&[&copy]);
    assert!(!ok && said.contains("was edited"), "{said}");
}
