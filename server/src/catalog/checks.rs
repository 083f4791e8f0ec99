//! Receipts vouch for content, not just bytes: a browser's upload is reproduced by the
//! server from its own data (the renderer is deterministic, so an honest upload is byte
//! for byte the server's render of the same export) and only then signed for.
//!
//! The check runs right after the upload becomes ready, not at the first receipt
//! request: a forged or stale file is flagged in the catalog before anyone shares it,
//! and a receipt is there when asked for. It runs once per export, in the render slots
//! (after any other account's waiting work, see `jobs::slots`), under a lease that another
//! process takes over if this one dies. Before anything is stored, an upload's manifest
//! must name this export, its assistant, range, filters, previous export and export time
//! ([`ManifestClaim`]): a file made for another export is refused with 422.

use super::{Catalog, CatalogError, Result};
use crate::store::ExportRow;
use convo_model::api::Verification;
use convo_model::{ExportFilters, Format, PreviousExport, TimeRange, Timestamp};
use convo_render::manifest;
use serde::Deserialize;

/// What follows the fields that name the export (the counts, the sections, the list).
const AFTER_HEAD: &[u8] = b",\"counts\":";
/// How much of the manifest is kept: the fields that name the export come first, and
/// filters are bounded (50 channels, 20 words).
const KEPT: usize = 64 << 10;

/// What an upload says it is: the start of its (last) manifest, read as its bytes pass.
#[derive(Debug)]
pub struct ManifestClaim {
    /// The file's format: where its manifest is and how it is written.
    format: Format,
    /// The last bytes seen, for an opening tag split across chunks.
    recent: Vec<u8>,
    /// What followed the last opening tag, up to `KEPT` bytes.
    kept: Option<Vec<u8>>,
}

#[derive(Deserialize)]
struct Named {
    id: Option<String>,
}

/// The fields of a manifest that name its export.
#[derive(Deserialize)]
struct Head {
    export_id: Option<String>,
    assistant: Named,
    exported_at: Timestamp,
    range: TimeRange,
    #[serde(default)]
    filters: ExportFilters,
    previous: Option<PreviousExport>,
    #[serde(default)]
    redaction: Option<convo_model::StatedRedaction>,
    #[serde(default)]
    figures: Option<convo_model::Figures>,
}

impl ManifestClaim {
    /// A claim to read from a file of `export`'s format.
    pub fn of(export: &ExportRow) -> Self {
        ManifestClaim { format: export.format, recent: Vec::new(), kept: None }
    }

    /// Reads one chunk of the upload, in order.
    pub fn feed(&mut self, chunk: &[u8]) {
        // What precedes the manifest's JSON, as the renderer writes it.
        let open = manifest::json_opening(self.format).as_bytes();
        let mut scan = std::mem::take(&mut self.recent);
        scan.extend_from_slice(chunk);
        if let Some(at) = memchr::memmem::rfind(&scan, open) {
            let rest = &scan[at + open.len()..];
            self.kept = Some(rest[..rest.len().min(KEPT)].to_vec());
        } else if let Some(kept) = &mut self.kept {
            let room = KEPT - kept.len();
            kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
        }
        let keep_from = scan.len().saturating_sub(open.len() - 1);
        scan.drain(..keep_from);
        self.recent = scan;
    }

    /// Whether the manifest names `export`: `Ok` with the figures its statistics state
    /// when it does, or when there is none (a file without one is then simply not
    /// reproduced); 422 when it names another.
    pub fn check(&self, export: &ExportRow) -> Result<Option<convo_model::Figures>> {
        let Some(kept) = &self.kept else { return Ok(None) };
        let kept = &manifest::unembedded(self.format, kept);
        let refuse =
            |why: String| Err(CatalogError::Unprocessable(format!("{why}: the file was made for another export, and nothing was stored")));
        let Some(end) = memchr::memmem::find(kept, AFTER_HEAD) else {
            return refuse("the file's manifest is unreadable".into());
        };
        let mut json = kept[..end].to_vec();
        json.push(b'}');
        let head: Head = match serde_json::from_slice(&json) {
            Ok(head) => head,
            Err(_) => return refuse("the file's manifest is unreadable".into()),
        };
        if head.export_id.as_deref() != Some(export.id.as_str()) {
            return refuse(format!(
                "the file's manifest names export {}, not {}",
                head.export_id.as_deref().unwrap_or("(none)"),
                export.id
            ));
        }
        if head.assistant.id.as_deref() != Some(export.assistant_id.as_str()) {
            return refuse(format!(
                "the file's manifest names assistant {}, not {}",
                head.assistant.id.as_deref().unwrap_or("(none)"),
                export.assistant_id
            ));
        }
        if head.range != export.range {
            return refuse(format!(
                "the file's manifest covers {} to {}, not this export's {} to {}",
                head.range.from.to_rfc3339(),
                head.range.to.to_rfc3339(),
                export.range.from.to_rfc3339(),
                export.range.to.to_rfc3339()
            ));
        }
        let redaction = (!export.redaction.is_empty()).then(|| export.redaction.stated());
        if head.exported_at != export.created_at
            || head.filters != convo_render::stated_filters(&export.filters, &export.redaction)
            || head.previous != export.previous
            || head.redaction != redaction
        {
            return refuse("the file's manifest has another export time, filters, redaction or previous export than this export".into());
        }
        Ok(head.figures)
    }
}

/// What the check of an upload found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckOutcome {
    Verified,
    Mismatch,
    /// Not this process's to record any more (recorded, or taken over).
    Lost,
}

impl Catalog {
    fn check_lease_until(&self) -> Timestamp {
        self.clock.now() + self.settings.render_lease
    }

    /// Takes the check of a ready browser upload; false when it is done already or
    /// another check runs.
    pub async fn claim_check(&self, export: &ExportRow) -> Result<bool> {
        Ok(self.store.claim_verification(&export.id, &self.instance, self.clock.now(), self.check_lease_until()).await?)
    }

    /// Renews this process's check; false when it is no longer its own.
    pub async fn renew_check(&self, export: &ExportRow) -> Result<bool> {
        Ok(self.store.renew_verification(&export.id, &self.instance, self.check_lease_until()).await?)
    }

    /// Uploads waiting for a check that nobody runs.
    pub async fn unclaimed_checks(&self) -> Result<Vec<ExportRow>> {
        Ok(self.store.unclaimed_verifications(self.clock.now()).await?)
    }

    /// Records the server's own render (its SHA-256 and size) against the upload.
    pub async fn record_check(&self, export: &ExportRow, sha256: [u8; 32], size: u64) -> Result<CheckOutcome> {
        let ours = hex::encode(sha256);
        let theirs = export.sha256.clone().unwrap_or_default();
        let (outcome, note) = if ours == theirs {
            (Verification::Verified, None)
        } else {
            let note = format!(
                "the uploaded file ({} bytes, SHA-256 {theirs}) is not what the server renders from its own data for this export ({size} bytes, SHA-256 {ours}): it was changed, or the conversations changed since",
                export.size_bytes.unwrap_or(0)
            );
            (Verification::Mismatch, Some(note))
        };
        if !self.store.record_verification(export, &self.instance, outcome, note.as_deref(), self.clock.now()).await? {
            return Ok(CheckOutcome::Lost);
        }
        Ok(match outcome {
            Verification::Verified => CheckOutcome::Verified,
            _ => CheckOutcome::Mismatch,
        })
    }
}
