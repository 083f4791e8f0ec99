//! Uploads in parts, as a browser renders: each part is checked against its own digest
//! and stored as an object the moment it arrives, on whichever server process receives
//! it; `complete` joins them in order, hashing the whole file once, and makes the export
//! ready with exactly those bytes. Part 1 is the file's beginning, which a renderer only
//! knows at the end (its statistics), so it comes last; the others come in any order: a
//! browser sends three at once, and they arrive as they will (requiring order made part
//! n+1 a 409 whenever it overtook part n, and stalled a 1,000,000-message export in the
//! click_to_ready bench). `complete` names any that are missing. A part once stored is
//! never replaced.
//!
//! Retries are normal (a proxy that timed out, the web app's own retries): every attempt
//! at a part writes an object under a key of its own, so the attempt that loses the
//! race for the part's row deletes only its own object, never the one the row points
//! to; `complete` sent twice at once, or again after it succeeded, answers the ready
//! export and deletes nothing.

use super::checks::ManifestClaim;
use super::upload::{By, Layout};
use super::{Catalog, CatalogError, Digest, Result, UploadBody};
use crate::files::Written;
use crate::store::{AccountRef, ExportRow, StoredPart};
use convo_model::api::{ExportStatus, PartReceived, Renderer};
use futures_util::{StreamExt, TryStreamExt};
use sha2::Digest as _;

/// The most parts a file may have.
pub const MAX_PARTS: i64 = 10_000;
/// The largest part (the browser sends a few MB each).
pub const MAX_PART_BYTES: u64 = 64 << 20;

fn numbers(list: &[i64]) -> String {
    let shown: Vec<String> = list.iter().take(10).map(ToString::to_string).collect();
    let more = if list.len() > 10 { format!(" and {} more", list.len() - 10) } else { String::new() };
    format!("{}{more}", shown.join(", "))
}

impl Catalog {
    /// Receives part `n` of the file a browser renders.
    pub async fn receive_part(
        &self,
        account: &AccountRef,
        id: &str,
        n: i64,
        expected: Digest,
        declared_len: Option<u64>,
        body: impl UploadBody,
    ) -> Result<PartReceived> {
        self.browsers(account, id).await?;
        if !(1..=MAX_PARTS).contains(&n) {
            return Err(CatalogError::BadInput(format!("part numbers go from 1 to {MAX_PARTS}, not {n}")));
        }
        if declared_len.is_some_and(|len| len > MAX_PART_BYTES) {
            return Err(CatalogError::TooLarge(MAX_PART_BYTES));
        }
        let expected_hex = hex::encode(expected.0);
        let parts = self.store.parts(id).await?;
        if let Some(stored) = parts.iter().find(|p| p.n == n) {
            return self.resent(stored, &expected_hex);
        }
        let so_far: u64 = parts.iter().map(|p| p.size.max(0) as u64).sum();
        let room = self.settings.max_upload_bytes.saturating_sub(so_far);
        let upload = self.store.upload_id(id, &fresh_upload_id()).await?;
        // This attempt's own key: a concurrent retry of the same part writes another.
        let key = format!("{id}/{upload}/{n:05}-{}.part", &crate::auth::new_export_id()[..12]);
        let written = self.files.write_kept(&key, body, MAX_PART_BYTES.min(room), Some(expected.0)).await.map_err(|e| match e {
            crate::files::WriteError::TooLarge(_) if room < MAX_PART_BYTES => CatalogError::TooLarge(self.settings.max_upload_bytes),
            e => e.into(),
        })?;
        let part = StoredPart { n, key, size: written.size as i64, sha256: expected_hex.clone() };
        if !self.store.add_part(id, &part, self.clock.now()).await? {
            // The same part arrived twice at once: one row stored, and this attempt's
            // object (no row points to it) goes; the bytes are compared.
            self.files.delete(&part.key).await?;
            self.files.forget_kept(&part.key).await;
            let parts = self.store.parts(id).await?;
            let stored = parts.iter().find(|p| p.n == n).ok_or_else(|| anyhow::anyhow!("part {n} vanished"))?;
            return self.resent(stored, &expected_hex);
        }
        Ok(PartReceived { n, size_bytes: written.size as i64, sha256: expected_hex })
    }

    /// A part sent again: the same bytes are fine (a retry), others are refused.
    fn resent(&self, stored: &StoredPart, expected_hex: &str) -> Result<PartReceived> {
        if stored.sha256 == expected_hex {
            return Ok(PartReceived { n: stored.n, size_bytes: stored.size, sha256: stored.sha256.clone() });
        }
        Err(CatalogError::Conflict(format!("part {} was uploaded already, with other bytes: parts are never replaced", stored.n)))
    }

    /// Joins parts 1 to `count` in order into the export's file and makes it ready. Sent
    /// again (at once, or after it succeeded), it answers the ready export.
    pub async fn complete_parts(&self, account: &AccountRef, id: &str, count: i64) -> Result<ExportRow> {
        if !(1..=MAX_PARTS).contains(&count) {
            return Err(CatalogError::BadInput(format!("a file has from 1 to {MAX_PARTS} parts, not {count}")));
        }
        let export = self.get(account, id).await?;
        if completed(&export, count) {
            return Ok(export);
        }
        if export.status != ExportStatus::Processing || export.renderer != Renderer::Browser {
            return Err(CatalogError::NotTheBrowsers(export.status));
        }
        let parts = self.store.parts(id).await?;
        let missing: Vec<i64> = (1..=count).filter(|n| !parts.iter().any(|p| p.n == *n)).collect();
        if !missing.is_empty() {
            return Err(CatalogError::BadInput(format!("parts {} are missing: upload them, then complete", numbers(&missing))));
        }
        let extra: Vec<i64> = parts.iter().map(|p| p.n).filter(|n| *n > count).collect();
        if !extra.is_empty() {
            return Err(CatalogError::BadInput(format!("parts {} were uploaded, but the file has {count}", numbers(&extra))));
        }
        let read = self.read_whole(&parts, ManifestClaim::of(&export)).await;
        for part in &parts {
            self.files.forget_kept(&part.key).await;
        }
        let (whole, size, claim) = read?;
        let figures = match claim.check(&export) {
            Ok(figures) => figures,
            Err(refused) => {
                // Nothing of the refused file stays: its rows first, then their objects.
                for key in self.store.discard_parts(id).await? {
                    self.files.delete(&key).await?;
                }
                return Err(refused);
            }
        };
        let upload = self.store.upload_id(id, &fresh_upload_id()).await?;
        let written = Written { key: format!("{id}/{upload}/"), size, sha256: whole };
        if !self.finish(&export, By::Browser { actor: &account.email, figures: figures.as_ref() }, &written, Layout::Parts(count)).await? {
            // A concurrent `complete` of the same parts made it ready: the same answer.
            let now = self.get(account, id).await?;
            if completed(&now, count) {
                return Ok(now);
            }
            return Err(CatalogError::NotTheBrowsers(now.status));
        }
        self.get(account, id).await
    }

    /// The whole file's SHA-256 and size, reading `parts` back once, in order, and the
    /// manifest read on the way: what is recorded is what is stored, whatever any client
    /// said. Each part was checked against its own digest as it was written; the hash of
    /// the whole is the one pass here (the Ready of a 2,000,000-message export waits for
    /// it: 1.26 s with a second pass per part, the click_to_ready bench), each part from
    /// the copy this process kept when it has one, and the next chunk is read while this
    /// one is hashed.
    async fn read_whole(&self, parts: &[StoredPart], mut claim: ManifestClaim) -> Result<([u8; 32], u64, ManifestClaim)> {
        let mut whole = sha2::Sha256::new();
        let mut size = 0u64;
        let files = self.files.clone();
        let keys: Vec<(String, u64)> = parts.iter().map(|p| (p.key.clone(), p.size.max(0) as u64)).collect();
        let chunks = futures_util::stream::iter(keys)
            .map(move |(key, size)| {
                let files = files.clone();
                async move { files.read_kept(&key, size).await.map(|body| body.map_err(anyhow::Error::from)) }
            })
            .buffered(PARTS_OPENED_AHEAD)
            .try_flatten();
        let mut chunks = std::pin::pin!(read_ahead(chunks));
        while let Some(chunk) = chunks.try_next().await? {
            whole.update(&chunk);
            claim.feed(&chunk);
            size += chunk.len() as u64;
        }
        Ok((whole.finalize().into(), size, claim))
    }
}

/// Parts whose reading has begun while an earlier one is hashed, in `complete`: one
/// after the other, each part's first byte from S3 was a wait of its own, 180 of them
/// for a 742 MB file (Ready came 1.75 s after the last part on PostgreSQL with Garage,
/// 0.7 s on the local disk, the click_to_ready bench). Eight ahead made no difference
/// (1.13 s after the last part of 742 MB, as with three: Garage's reading is the bound,
/// which is why the receiving process now keeps copies, `files/kept.rs`; this serves the
/// parts another process received).
const PARTS_OPENED_AHEAD: usize = 3;

/// `chunks` read by a task of their own, a few ahead of whoever takes them.
fn read_ahead(
    chunks: impl futures_util::Stream<Item = anyhow::Result<bytes::Bytes>> + Send + 'static,
) -> impl futures_util::Stream<Item = anyhow::Result<bytes::Bytes>> {
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::spawn(async move {
        let mut chunks = std::pin::pin!(chunks);
        while let Some(chunk) = chunks.next().await {
            let failed = chunk.is_err();
            // Whoever took them stopped (an error), or the chunks did.
            if tx.send(chunk).await.is_err() || failed {
                return;
            }
        }
    });
    futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|chunk| (chunk, rx)) })
}

/// An upload id for an export that has none yet (the first one stored wins).
fn fresh_upload_id() -> String {
    crate::auth::new_export_id()[..16].to_string()
}

/// Whether `export` is ready as the browser's upload of `count` parts.
fn completed(export: &ExportRow, count: i64) -> bool {
    export.status == ExportStatus::Ready && export.renderer == Renderer::Browser && export.file_parts == Some(count)
}
