//! Login attempts per key (an account's email, a client's address), in the database so
//! that every server process counts the same attempts. Each change runs under a lock on
//! its key (PostgreSQL's row lock; SQLite's write lock), so concurrent attempts are
//! counted one after the other.

use super::{Result, Store};
use crate::clock::{from_ms, ms};
use convo_model::Timestamp;
use sqlx::Row;

/// Attempts older than this count for no throttling policy (each policy's window is at
/// most this), so the sweep deletes them.
pub const ATTEMPTS_KEPT: chrono::Duration = chrono::Duration::minutes(15);

/// A key's attempts as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempts {
    pub attempts: i64,
    pub first_at: Timestamp,
    pub blocked_until: Timestamp,
}

impl Store {
    /// Runs `decide` on `key`'s attempts (fresh ones when it has none) under the key's
    /// lock and stores what it returns.
    pub async fn update_attempts<T>(&self, key: &str, now: Timestamp, decide: impl FnOnce(Attempts) -> (Attempts, T)) -> Result<T> {
        let mut tx = self.pool.begin().await?;
        // The write comes first: it takes the lock (see the store's invariant on SQLite).
        sqlx::query(
            "INSERT INTO login_throttle (throttle_key, attempts, first_at, blocked_until) VALUES ($1, 0, $2, $2) \
             ON CONFLICT (throttle_key) DO UPDATE SET attempts = login_throttle.attempts",
        )
        .bind(key)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query("SELECT attempts, first_at, blocked_until FROM login_throttle WHERE throttle_key = $1")
            .bind(key)
            .fetch_one(&mut *tx)
            .await?;
        let stored = Attempts {
            attempts: row.try_get("attempts")?,
            first_at: from_ms(row.try_get("first_at")?),
            blocked_until: from_ms(row.try_get("blocked_until")?),
        };
        let (next, answer) = decide(stored);
        sqlx::query("UPDATE login_throttle SET attempts = $1, first_at = $2, blocked_until = $3 WHERE throttle_key = $4")
            .bind(next.attempts)
            .bind(ms(next.first_at))
            .bind(ms(next.blocked_until))
            .bind(key)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(answer)
    }

    /// Forgets `key`'s attempts (a successful login).
    pub async fn forget_attempts(&self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM login_throttle WHERE throttle_key = $1").bind(key).execute(&self.pool).await?;
        Ok(())
    }

    /// Deletes attempts that no longer count: first made before `before` and not blocked
    /// any more at `now`.
    pub async fn sweep_attempts(&self, before: Timestamp, now: Timestamp) -> Result<u64> {
        let r = sqlx::query("DELETE FROM login_throttle WHERE first_at < $1 AND blocked_until <= $2")
            .bind(ms(before))
            .bind(ms(now))
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected())
    }
}
