//! Export files on the local disk and in S3 (a real Garage on this machine): upload and
//! download throughput of one file, whole and in 4 MiB parts as a browser sends them, and
//! a server-side export written to each. Baseline in the same run: the local disk.
//!
//! `cargo bench -p convo-server --bench storage` (`MEGABYTES=256` by default).

use bytes::Bytes;
use convo_server::files::{FileStore, Storage};
use convo_testkit::Garage;
use futures_util::TryStreamExt;
use std::time::Instant;

const PART: usize = 4 << 20;

async fn measure(name: &str, files: &FileStore, megabytes: usize) {
    let chunk = Bytes::from(vec![b'x'; 1 << 20]);
    let chunks = futures_util::stream::iter((0..megabytes).map(|_| Ok::<_, std::io::Error>(chunk.clone())));
    let t = Instant::now();
    let whole = files.write("bench", chunks, u64::MAX, None).await.unwrap();
    let up = megabytes as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    let parts = megabytes * (1 << 20) / PART;
    let mut keys = Vec::new();
    for n in 1..=parts {
        let body = futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from(vec![b'p'; PART]))]);
        let key = format!("bench/upload/{n:05}.part");
        files.write_to(&key, body, u64::MAX, None).await.unwrap();
        keys.push((key, PART as u64));
    }
    let up_parts = megabytes as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    let (_, body) = files.read(&whole.key, None).await.unwrap();
    let read: usize = body.map_ok(|b| b.len()).try_fold(0, |a, n| async move { Ok(a + n) }).await.unwrap();
    assert_eq!(read, megabytes << 20);
    let down = megabytes as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    let total = (parts * PART) as u64;
    let read: usize = files.read_parts(keys, 0..total).map_ok(|b| b.len()).try_fold(0, |a, n| async move { Ok(a + n) }).await.unwrap();
    assert_eq!(read as u64, total);
    let down_parts = megabytes as f64 / t.elapsed().as_secs_f64();
    files.delete_export("bench").await.unwrap();
    println!(
        "  {name:<22} upload {up:>7.0} MB/s whole, {up_parts:>7.0} MB/s in 4 MiB parts;  download {down:>7.0} MB/s whole, {down_parts:>7.0} MB/s from parts"
    );
}

#[tokio::main]
async fn main() {
    let megabytes: usize = std::env::var("MEGABYTES").ok().and_then(|v| v.parse().ok()).unwrap_or(256);
    println!("storage: a {megabytes} MB file");
    let dir = tempfile::tempdir().unwrap();
    let local = FileStore::open(&Storage::Local(dir.path().join("exports")), dir.path()).unwrap();
    measure("baseline: local disk", &local, megabytes).await;
    let garage = tokio::task::spawn_blocking(Garage::start).await.unwrap();
    let s3 = FileStore::open_with(&Storage::parse(&garage.storage_url("bench")).unwrap(), dir.path(), &garage.s3()).unwrap();
    measure("S3 (Garage, loopback)", &s3, megabytes).await;
}
