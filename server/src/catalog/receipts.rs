//! Signed receipts: what the server attests about a ready export (its SHA-256, size,
//! assistant, range and creation time), signed with Ed25519 by the installation's key,
//! which lives in the database so that every process signs alike. [`check`] is what
//! `convo-export verify --receipt` runs.

use super::{Catalog, CatalogError, Result};
use crate::store::{AccountRef, StoredKey};
use base64::Engine;
use convo_model::api::{ExportStatus, Receipt, SigningKey, Verification};
use convo_model::{TimeRange, Timestamp};
use ed25519_dalek::{Signer, Verifier};
use serde::Serialize;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The signed bytes: the receipt's other fields as compact JSON, in this order.
#[derive(Serialize)]
struct Signed<'a> {
    export_id: &'a str,
    sha256: &'a str,
    size_bytes: i64,
    assistant_id: &'a str,
    range: TimeRange,
    created_at: Timestamp,
    key_id: &'a str,
    /// Signed when true (receipts from before checks were made carry none).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    verified: bool,
}

fn signed_bytes(r: &Receipt) -> Vec<u8> {
    let signed = Signed {
        export_id: &r.export_id,
        sha256: &r.sha256,
        size_bytes: r.size_bytes,
        assistant_id: &r.assistant_id,
        range: r.range,
        created_at: r.created_at,
        key_id: &r.key_id,
        verified: r.verified,
    };
    serde_json::to_vec(&signed).unwrap_or_default()
}

/// A key's id: the first 16 hex digits of its public key's SHA-256.
fn key_id(public: &ed25519_dalek::VerifyingKey) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(public.as_bytes())[..8])
}

fn new_key() -> StoredKey {
    let mut secret = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut secret);
    let signing = ed25519_dalek::SigningKey::from_bytes(&secret);
    let public = signing.verifying_key();
    StoredKey { key_id: key_id(&public), secret_key: B64.encode(secret), public_key: B64.encode(public.as_bytes()) }
}

/// Why a receipt does not vouch for a file.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReceiptError {
    #[error("the public key is not a base64 Ed25519 key")]
    BadKey,
    #[error("the receipt was signed by key {receipt}, not by this key ({key}): it comes from another server, or the key is wrong")]
    OtherKey { receipt: String, key: String },
    #[error("the receipt's signature does not match its fields: it was edited")]
    BadSignature,
    #[error("the file's SHA-256 is {file}, but the receipt vouches for {receipt}")]
    OtherFile { file: String, receipt: String },
    #[error("the file has {file} bytes, but the receipt vouches for {receipt}")]
    OtherSize { file: u64, receipt: i64 },
}

/// Checks `receipt` against the public key (base64) and the file's bytes.
pub fn check(receipt: &Receipt, public_key: &str, file: &[u8]) -> Result<(), ReceiptError> {
    let bytes: [u8; 32] = B64.decode(public_key.trim()).ok().and_then(|b| b.try_into().ok()).ok_or(ReceiptError::BadKey)?;
    let public = ed25519_dalek::VerifyingKey::from_bytes(&bytes).map_err(|_| ReceiptError::BadKey)?;
    if receipt.key_id != key_id(&public) {
        return Err(ReceiptError::OtherKey { receipt: receipt.key_id.clone(), key: key_id(&public) });
    }
    let signature: [u8; 64] = B64.decode(&receipt.signature).ok().and_then(|b| b.try_into().ok()).ok_or(ReceiptError::BadSignature)?;
    public.verify(&signed_bytes(receipt), &ed25519_dalek::Signature::from_bytes(&signature)).map_err(|_| ReceiptError::BadSignature)?;
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(file))
    };
    if sha != receipt.sha256 {
        return Err(ReceiptError::OtherFile { file: sha, receipt: receipt.sha256.clone() });
    }
    if file.len() as i64 != receipt.size_bytes {
        return Err(ReceiptError::OtherSize { file: file.len() as u64, receipt: receipt.size_bytes });
    }
    Ok(())
}

impl Catalog {
    async fn key(&self) -> Result<(ed25519_dalek::SigningKey, StoredKey)> {
        let stored = self.store.signing_key(new_key, self.clock.now()).await?;
        let secret: [u8; 32] = B64
            .decode(&stored.secret_key)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| CatalogError::Internal(anyhow::anyhow!("the stored signing key is unreadable")))?;
        Ok((ed25519_dalek::SigningKey::from_bytes(&secret), stored))
    }

    /// The public key receipts are signed with.
    pub async fn signing_key(&self) -> Result<SigningKey> {
        let (_, stored) = self.key().await?;
        Ok(SigningKey { key_id: stored.key_id, public_key: stored.public_key })
    }

    /// A signed receipt for the account's ready export, once the server has reproduced
    /// its file (a server render is; a browser's upload is checked first).
    pub async fn receipt(&self, account: &AccountRef, id: &str) -> Result<Receipt> {
        let export = self.get(account, id).await?;
        let (Some(sha256), Some(size_bytes), ExportStatus::Ready) = (export.sha256.clone(), export.size_bytes, export.status) else {
            return Err(CatalogError::NotReady(export.status));
        };
        match export.verification {
            Some(Verification::Verified) => {}
            Some(Verification::Mismatch) => {
                let why = export.verification_note.as_deref().unwrap_or("the file is not what the server renders for this export");
                return Err(CatalogError::Conflict(format!("no receipt: the server could not reproduce this file ({why})")));
            }
            Some(Verification::Pending) | None => {
                return Err(CatalogError::BeingVerified);
            }
        }
        let (key, stored) = self.key().await?;
        let mut receipt = Receipt {
            export_id: export.id,
            sha256,
            size_bytes,
            assistant_id: export.assistant_id,
            range: export.range,
            created_at: export.created_at,
            key_id: stored.key_id,
            verified: true,
            signature: String::new(),
        };
        receipt.signature = B64.encode(key.sign(&signed_bytes(&receipt)).to_bytes());
        Ok(receipt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(stored: &StoredKey, file: &[u8]) -> Receipt {
        use sha2::Digest;
        let secret: [u8; 32] = B64.decode(&stored.secret_key).unwrap().try_into().unwrap();
        let key = ed25519_dalek::SigningKey::from_bytes(&secret);
        let mut r = Receipt {
            export_id: "e1".into(),
            sha256: hex::encode(sha2::Sha256::digest(file)),
            size_bytes: file.len() as i64,
            assistant_id: "bot".into(),
            range: TimeRange { from: "2026-10-01T00:00:00Z".parse().unwrap(), to: "2026-10-31T23:59:59.999Z".parse().unwrap() },
            created_at: "2026-11-01T00:00:00Z".parse().unwrap(),
            key_id: stored.key_id.clone(),
            verified: true,
            signature: String::new(),
        };
        r.signature = B64.encode(key.sign(&signed_bytes(&r)).to_bytes());
        r
    }

    #[test]
    fn receipts_check_against_their_key_and_file_and_survive_json() {
        let (ours, theirs) = (new_key(), new_key());
        let file = b"<!DOCTYPE html>the export";
        let receipt = signed(&ours, file);
        let back: Receipt = serde_json::from_str(&serde_json::to_string(&receipt).unwrap()).unwrap();
        assert_eq!(check(&back, &ours.public_key, file), Ok(()));
        assert!(matches!(check(&back, &theirs.public_key, file), Err(ReceiptError::OtherKey { .. })));
        assert!(matches!(check(&back, &ours.public_key, b"another file"), Err(ReceiptError::OtherFile { .. })));
        let mut edited = back.clone();
        edited.range.to = "2026-11-30T00:00:00Z".parse().unwrap();
        assert_eq!(check(&edited, &ours.public_key, file), Err(ReceiptError::BadSignature));
        assert_eq!(check(&back, "not a key", file), Err(ReceiptError::BadKey));
    }
}
