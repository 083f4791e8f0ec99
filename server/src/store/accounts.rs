//! Accounts, their login sessions and their personal API tokens (stored as hashes).

use super::{Result, Store, conflict_on_unique};
use crate::clock::{from_ms, ms};
use convo_model::Timestamp;
use sqlx::Row;
use sqlx::any::AnyRow;

/// An account as requests see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRef {
    pub id: i64,
    pub email: String,
    pub name: String,
}

/// A personal token as listed (its secret is never stored, only its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
}

fn account_ref(r: &AnyRow) -> Result<AccountRef> {
    Ok(AccountRef { id: r.try_get("id")?, email: r.try_get("email")?, name: r.try_get("name")? })
}

impl Store {
    pub async fn is_empty(&self) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts").fetch_one(&self.pool).await?;
        Ok(n == 0)
    }

    pub async fn create_account(&self, email: &str, name: &str, password_hash: &str, now: Timestamp) -> Result<i64> {
        sqlx::query_scalar("INSERT INTO accounts (email, name, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(email)
            .bind(name)
            .bind(password_hash)
            .bind(ms(now))
            .fetch_one(&self.pool)
            .await
            .map_err(|e| conflict_on_unique(e, || format!("an account with the email {email} already exists")))
    }

    /// The account and its password hash.
    pub async fn account_by_email(&self, email: &str) -> Result<Option<(AccountRef, String)>> {
        let row = sqlx::query("SELECT id, email, name, password_hash FROM accounts WHERE email = $1")
            .bind(email)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok((account_ref(&r)?, r.try_get("password_hash")?))).transpose()
    }

    pub async fn create_session(&self, token_hash: &str, account_id: i64, now: Timestamp, expires: Timestamp) -> Result<()> {
        sqlx::query("INSERT INTO sessions (token_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(account_id)
            .bind(ms(now))
            .bind(ms(expires))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await?;
        Ok(())
    }

    pub async fn session_account(&self, token_hash: &str, now: Timestamp) -> Result<Option<AccountRef>> {
        let row = sqlx::query(
            "SELECT a.id, a.email, a.name FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(token_hash)
        .bind(ms(now))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| account_ref(&r)).transpose()
    }

    /// Stores a personal token (its hash) with an id to list and revoke it by.
    pub async fn create_api_token(
        &self,
        id: &str,
        token_hash: &str,
        account_id: i64,
        now: Timestamp,
        expires: Option<Timestamp>,
    ) -> Result<()> {
        sqlx::query("INSERT INTO api_tokens (id, token_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(token_hash)
            .bind(account_id)
            .bind(ms(now))
            .bind(expires.map(ms))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The account of a personal token that has neither expired nor been revoked.
    pub async fn token_account(&self, token_hash: &str, now: Timestamp) -> Result<Option<AccountRef>> {
        let row = sqlx::query(
            "SELECT a.id, a.email, a.name FROM api_tokens t JOIN accounts a ON a.id = t.account_id \
             WHERE t.token_hash = $1 AND (t.expires_at IS NULL OR t.expires_at > $2)",
        )
        .bind(token_hash)
        .bind(ms(now))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| account_ref(&r)).transpose()
    }

    /// The account's tokens (never their secrets), oldest first.
    pub async fn api_tokens(&self, account_id: i64) -> Result<Vec<ApiToken>> {
        let rows = sqlx::query("SELECT id, created_at, expires_at FROM api_tokens WHERE account_id = $1 ORDER BY created_at, id")
            .bind(account_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ApiToken {
                    id: r.try_get("id")?,
                    created_at: from_ms(r.try_get("created_at")?),
                    expires_at: r.try_get::<Option<i64>, _>("expires_at")?.map(from_ms),
                })
            })
            .collect()
    }

    /// Revokes a token: it stops working at once. False when there is none.
    pub async fn revoke_api_token(&self, id: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM api_tokens WHERE id = $1").bind(id).execute(&self.pool).await?;
        Ok(r.rows_affected() == 1)
    }

    /// Deletes expired sessions and tokens; how many went.
    pub async fn sweep_sessions_and_tokens(&self, now: Timestamp) -> Result<u64> {
        let sessions = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(ms(now)).execute(&self.pool).await?;
        let tokens = sqlx::query("DELETE FROM api_tokens WHERE expires_at IS NOT NULL AND expires_at <= $1")
            .bind(ms(now))
            .execute(&self.pool)
            .await?;
        // Login attempts that count no more go too (not counted: they are no session).
        self.sweep_attempts(now - super::throttle::ATTEMPTS_KEPT, now).await?;
        Ok(sessions.rows_affected() + tokens.rows_affected())
    }
}
