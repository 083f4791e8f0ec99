//! The receipt signing key: one per installation, in the database so that every process
//! signs alike. The first process that needs it stores the one it made; a race between
//! two ends with both using the stored one (slot 1).

use super::{Result, Store};
use crate::clock::ms;
use convo_model::Timestamp;
use sqlx::Row;

/// The stored key: its id, secret and public halves (base64).
#[derive(Clone)]
pub struct StoredKey {
    pub key_id: String,
    pub secret_key: String,
    pub public_key: String,
}

impl Store {
    /// The installation's key; `make` makes one if there is none yet.
    pub async fn signing_key(&self, make: impl FnOnce() -> StoredKey, now: Timestamp) -> Result<StoredKey> {
        if let Some(key) = self.stored_key().await? {
            return Ok(key);
        }
        let new = make();
        sqlx::query("INSERT INTO signing_keys (slot, key_id, secret_key, public_key, created_at) VALUES (1, $1, $2, $3, $4) ON CONFLICT (slot) DO NOTHING")
            .bind(&new.key_id)
            .bind(&new.secret_key)
            .bind(&new.public_key)
            .bind(ms(now))
            .execute(&self.pool)
            .await?;
        Ok(self.stored_key().await?.unwrap_or(new))
    }

    async fn stored_key(&self) -> Result<Option<StoredKey>> {
        let row = sqlx::query("SELECT key_id, secret_key, public_key FROM signing_keys WHERE slot = 1").fetch_optional(&self.pool).await?;
        row.map(|r| {
            Ok(StoredKey { key_id: r.try_get("key_id")?, secret_key: r.try_get("secret_key")?, public_key: r.try_get("public_key")? })
        })
        .transpose()
    }
}
