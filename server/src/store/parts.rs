//! The parts of an upload in parts: each stored as an object with its size and SHA-256,
//! numbered in file order. An upload belongs to its export (one upload id each), and a
//! part, once stored, is never replaced.

use super::{Result, Store};
use crate::clock::ms;
use convo_model::Timestamp;
use sqlx::Row;

/// A stored part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPart {
    pub n: i64,
    pub key: String,
    pub size: i64,
    pub sha256: String,
}

impl Store {
    /// The export's upload id: `fresh` if it has none yet (one per export, whoever asks
    /// first).
    pub async fn upload_id(&self, export_id: &str, fresh: &str) -> Result<String> {
        sqlx::query("UPDATE exports SET upload_id = $1 WHERE id = $2 AND upload_id IS NULL")
            .bind(fresh)
            .bind(export_id)
            .execute(&self.pool)
            .await?;
        Ok(sqlx::query_scalar("SELECT upload_id FROM exports WHERE id = $1").bind(export_id).fetch_one(&self.pool).await?)
    }

    /// The parts stored so far, in order.
    pub async fn parts(&self, export_id: &str) -> Result<Vec<StoredPart>> {
        let rows = sqlx::query("SELECT n, object_key, size, sha256 FROM export_parts WHERE export_id = $1 ORDER BY n")
            .bind(export_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(StoredPart { n: r.try_get("n")?, key: r.try_get("object_key")?, size: r.try_get("size")?, sha256: r.try_get("sha256")? })
            })
            .collect()
    }

    /// Records a part; false when the number is taken already (by this upload or a
    /// concurrent one), which the caller answers by comparing digests.
    pub async fn add_part(&self, export_id: &str, part: &StoredPart, now: Timestamp) -> Result<bool> {
        let r = sqlx::query(
            "INSERT INTO export_parts (export_id, n, object_key, size, sha256, stored_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (export_id, n) DO NOTHING",
        )
        .bind(export_id)
        .bind(part.n)
        .bind(&part.key)
        .bind(part.size)
        .bind(&part.sha256)
        .bind(ms(now))
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Deletes the rows of a processing export's parts (a refused file), returning the
    /// keys of their objects for the caller to delete once no row points to them.
    pub async fn discard_parts(&self, export_id: &str) -> Result<Vec<String>> {
        let keys: Vec<String> = sqlx::query_scalar(
            "DELETE FROM export_parts WHERE export_id = $1 \
             AND export_id IN (SELECT id FROM exports WHERE id = $1 AND status = 'processing') RETURNING object_key",
        )
        .bind(export_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(keys)
    }

    /// The object key of every stored part (what the sweep keeps).
    pub async fn part_keys(&self) -> Result<std::collections::HashSet<String>> {
        let keys: Vec<String> = sqlx::query_scalar("SELECT object_key FROM export_parts").fetch_all(&self.pool).await?;
        Ok(keys.into_iter().collect())
    }
}
