//! Accounts, their login sessions and their personal API tokens (stored as hashes).

use super::{Result, Store, conflict_on_unique};
use crate::clock::ms;
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

    pub async fn create_api_token(&self, token_hash: &str, account_id: i64, now: Timestamp) -> Result<()> {
        sqlx::query("INSERT INTO api_tokens (token_hash, account_id, created_at) VALUES ($1, $2, $3)")
            .bind(token_hash)
            .bind(account_id)
            .bind(ms(now))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn token_account(&self, token_hash: &str) -> Result<Option<AccountRef>> {
        let row =
            sqlx::query("SELECT a.id, a.email, a.name FROM api_tokens t JOIN accounts a ON a.id = t.account_id WHERE t.token_hash = $1")
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|r| account_ref(&r)).transpose()
    }
}
