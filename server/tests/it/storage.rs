//! Export files in a real S3-compatible server (Garage, single node), on SQLite and
//! PostgreSQL: uploads (whole and in parts), server renders, downloads and ranges,
//! deletion, retention and the orphan sweep all work on a bucket as on the local disk.

use crate::json_of;
use convo_server::files::Storage;
use convo_testkit::{ALICE, Db, Garage, Options, TestApp, content_digest, create_export, on_both_databases, upload};
use reqwest::StatusCode;
use serde_json::json;

on_both_databases!(exports_live_in_an_s3_bucket);

/// The app on `db` with its files in a fresh Garage (kept alive beside it), under
/// `prefix`, and 20 conversations seeded.
async fn on_garage(db: Db, prefix: &str) -> (Garage, TestApp) {
    let garage = tokio::task::spawn_blocking(Garage::start).await.unwrap();
    let storage = Storage::parse(&garage.storage_url(&format!("{prefix}-{db:?}").to_lowercase())).unwrap();
    let app = TestApp::serve(db, Options { storage: Some((storage, garage.s3())), ..Options::default() }).await;
    app.seed(20).await;
    (garage, app)
}

async fn exports_live_in_an_s3_bucket(db: Db) {
    let (_garage, app) = on_garage(db, "test").await;
    let alice = app.login(ALICE).await;

    // Whole, in parts, and rendered by the server.
    let whole = create_export(&alice, &app.base, json!({"assistant_id": "support-bot", "days": 30})).await;
    let file = b"<!DOCTYPE html><title>whole</title>".repeat(1000);
    let r = upload(&alice, &app.base, &whole, &file).await;
    assert_eq!(r.status(), 200);
    let in_parts = create_export(&alice, &app.base, json!({"assistant_id": "support-bot", "days": 30})).await;
    let parts: Vec<Vec<u8>> = vec![b"<!DOCTYPE html>".to_vec(), vec![b'p'; 6 << 20], vec![b'q'; 3 << 20]];
    for n in [2, 3, 1] {
        let bytes = &parts[n - 1];
        let r = alice
            .put(app.url(&format!("/api/exports/{in_parts}/parts/{n}")))
            .header("content-digest", content_digest(bytes))
            .body(bytes.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "part {n}");
    }
    let (status, body) =
        json_of(alice.post(app.url(&format!("/api/exports/{in_parts}/complete"))).json(&json!({"parts": 3})).send().await.unwrap()).await;
    assert_eq!(status, 200, "{body}");
    let rendered = create_export(&alice, &app.base, json!({"assistant_id": "support-bot", "days": 30, "render": "server"})).await;
    let rendered_export = crate::limits::settle_one(&app, &alice, &rendered).await;

    let get = |id: String| {
        let (alice, url) = (alice.clone(), app.url(&format!("/api/exports/{id}/content")));
        async move { alice.get(url).send().await.unwrap().bytes().await.unwrap().to_vec() }
    };
    assert_eq!(get(whole.clone()).await, file);
    assert_eq!(get(in_parts.clone()).await, parts.concat());
    let html = String::from_utf8(get(rendered.clone()).await).unwrap();
    assert!(html == crate::limits::render_from_api_pages(&app, &alice, &rendered_export).await, "the same bytes as a browser's");
    let ranged =
        alice.get(app.url(&format!("/api/exports/{in_parts}/content"))).header("range", "bytes=6291450-6291470").send().await.unwrap();
    assert_eq!(ranged.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(ranged.bytes().await.unwrap().as_ref(), &parts.concat()[6291450..=6291470]);

    // Delete, retention and orphans reach into the bucket.
    assert!(!app.objects(Some(&in_parts)).await.is_empty());
    alice.delete(app.url(&format!("/api/exports/{in_parts}"))).send().await.unwrap();
    assert!(app.objects(Some(&in_parts)).await.is_empty(), "its parts went with it");
    // An object of an export that is gone (a crash between delete and unlink).
    let orphan = futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"orphan"))]);
    app.state.files().write(&"f".repeat(32), orphan, 1 << 20, None).await.unwrap();
    assert_eq!(app.objects(Some(&"f".repeat(32))).await.len(), 1);
    app.state.clock.advance(chrono::Duration::days(31));
    let sweep = app.state.jobs.sweep_once().await.unwrap();
    assert_eq!(sweep.expired, 2);
    assert_eq!(sweep.orphan_files, 1);
    assert!(app.objects(None).await.is_empty(), "{:?}", app.objects(None).await);
}

on_both_databases!(parts_received_are_kept_locally_until_their_file_is_joined);

/// The names of the local copies of parts in the app's scratch directory.
fn copies(app: &TestApp) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(app.dir.path().join("tmp"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("kept-"))
        .collect();
    names.sort();
    names
}

async fn parts_received_are_kept_locally_until_their_file_is_joined(db: Db) {
    let (_garage, app) = on_garage(db, "kept").await;
    let alice = app.login(ALICE).await;
    let put = |id: String, n: usize, bytes: Vec<u8>| {
        let (alice, url) = (alice.clone(), app.url(&format!("/api/exports/{id}/parts/{n}")));
        async move { alice.put(url).header("content-digest", content_digest(&bytes)).body(bytes).send().await.unwrap().status() }
    };
    let parts: Vec<Vec<u8>> = vec![b"<!DOCTYPE html>".to_vec(), vec![b'k'; 5 << 20], vec![b'l'; 300_000]];
    let id = create_export(&alice, &app.base, json!({"assistant_id": "support-bot", "days": 30})).await;
    for n in [2, 3, 1] {
        assert_eq!(put(id.clone(), n, parts[n - 1].clone()).await, 200, "part {n}");
    }
    let kept = copies(&app);
    assert_eq!(kept.len(), 3, "one copy per part received: {kept:?}");
    assert!(kept.iter().all(|name| name.starts_with(&format!("kept-{id}+"))), "{kept:?}");

    // A copy that is not the part's size (cut short) is not read: the stored object is.
    let cut = app.dir.path().join("tmp").join(kept.iter().find(|name| name.contains("00002-")).unwrap());
    std::fs::write(&cut, &parts[1][..1000]).unwrap();
    let (status, body) =
        json_of(alice.post(app.url(&format!("/api/exports/{id}/complete"))).json(&json!({"parts": 3})).send().await.unwrap()).await;
    assert_eq!(status, 200, "{body}");
    use sha2::Digest;
    assert_eq!(body["sha256"], hex::encode(sha2::Sha256::digest(parts.concat())), "the whole file's digest, as stored");
    assert_eq!(body["size_bytes"], parts.concat().len());
    let stored = alice.get(app.url(&format!("/api/exports/{id}/content"))).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(stored.as_ref(), &parts.concat()[..]);
    assert!(copies(&app).is_empty(), "joined: the copies went, {:?}", copies(&app));

    // An export deleted half way through its upload leaves no copy behind.
    let dropped = create_export(&alice, &app.base, json!({"assistant_id": "support-bot", "days": 30})).await;
    assert_eq!(put(dropped.clone(), 2, parts[1].clone()).await, 200);
    assert_eq!(copies(&app).len(), 1);
    alice.delete(app.url(&format!("/api/exports/{dropped}"))).send().await.unwrap();
    assert!(copies(&app).is_empty(), "deleted: its copies went, {:?}", copies(&app));
}
