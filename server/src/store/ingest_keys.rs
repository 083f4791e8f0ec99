//! Idempotency keys of ingest batches, per account: claimed before the batch runs (so
//! two requests with one key never both run), answered once it has run, kept a day.

use super::{Result, Store};
use crate::clock::ms;
use convo_model::Timestamp;
use sqlx::Row;

/// What a key's claim found.
#[derive(Debug)]
pub enum KeyClaim {
    /// The key is this request's now: run the batch.
    Claimed,
    /// A batch ran with this key: its body's hash and the answer it got.
    Answered { body_sha256: String, answer: String },
    /// A batch with this key is running.
    Running,
}

/// A claim whose batch never answered (its process died) is free again after this.
const CLAIM_LAPSES_AFTER: chrono::Duration = chrono::Duration::minutes(10);

impl Store {
    pub async fn claim_ingest_key(&self, account_id: i64, key: &str, body_sha256: &str, now: Timestamp) -> Result<KeyClaim> {
        sqlx::query(
            "DELETE FROM ingest_batches WHERE account_id = $1 AND idempotency_key = $2 AND answer_json IS NULL AND created_at < $3",
        )
        .bind(account_id)
        .bind(key)
        .bind(ms(now - CLAIM_LAPSES_AFTER))
        .execute(&self.pool)
        .await?;
        let claimed = sqlx::query(
            "INSERT INTO ingest_batches (account_id, idempotency_key, body_sha256, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (account_id, idempotency_key) DO NOTHING",
        )
        .bind(account_id)
        .bind(key)
        .bind(body_sha256)
        .bind(ms(now))
        .execute(&self.pool)
        .await?;
        if claimed.rows_affected() == 1 {
            return Ok(KeyClaim::Claimed);
        }
        let row = sqlx::query("SELECT body_sha256, answer_json FROM ingest_batches WHERE account_id = $1 AND idempotency_key = $2")
            .bind(account_id)
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(row) => match row.try_get::<Option<String>, _>("answer_json")? {
                Some(answer) => KeyClaim::Answered { body_sha256: row.try_get("body_sha256")?, answer },
                None => KeyClaim::Running,
            },
            // Swept between the two statements: as good as running; a retry claims it.
            None => KeyClaim::Running,
        })
    }

    pub async fn answer_ingest_key(&self, account_id: i64, key: &str, answer_json: &str) -> Result<()> {
        sqlx::query("UPDATE ingest_batches SET answer_json = $1 WHERE account_id = $2 AND idempotency_key = $3")
            .bind(answer_json)
            .bind(account_id)
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn release_ingest_key(&self, account_id: i64, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM ingest_batches WHERE account_id = $1 AND idempotency_key = $2 AND answer_json IS NULL")
            .bind(account_id)
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
