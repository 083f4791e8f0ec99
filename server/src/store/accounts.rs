//! Accounts (admins, disabled ones) and their login sessions. Tokens are in `tokens.rs`.

use super::{Result, Store, conflict_on_unique};
use crate::clock::{from_ms, ms};
use convo_model::Timestamp;
use convo_model::api::AccountInfo;
use sqlx::Row;
use sqlx::any::AnyRow;

/// An account as requests see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRef {
    pub id: i64,
    pub email: String,
    pub name: String,
    /// May administer accounts, grants and tokens.
    pub admin: bool,
}

/// The columns [`account_ref`] reads, of `accounts a`.
pub(super) const ACCOUNT: &str = "a.id, a.email, a.name, a.admin_since";

pub(super) fn account_ref(r: &AnyRow) -> Result<AccountRef> {
    Ok(AccountRef {
        id: r.try_get("id")?,
        email: r.try_get("email")?,
        name: r.try_get("name")?,
        admin: r.try_get::<Option<i64>, _>("admin_since")?.is_some(),
    })
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

    /// The account and its password hash, whether disabled or not.
    pub async fn account_by_email(&self, email: &str) -> Result<Option<(AccountRef, String)>> {
        let row = sqlx::query(&format!("SELECT {ACCOUNT}, a.password_hash FROM accounts a WHERE a.email = $1"))
            .bind(email)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok((account_ref(&r)?, r.try_get("password_hash")?))).transpose()
    }

    /// Every account as an admin sees it, by email.
    pub async fn accounts_info(&self) -> Result<Vec<AccountInfo>> {
        let rows = sqlx::query("SELECT id, email, name, admin_since, disabled_at, password_hash, created_at FROM accounts ORDER BY email")
            .fetch_all(&self.pool)
            .await?;
        let grants = sqlx::query(
            "SELECT g.account_id, a.public_id FROM account_assistants g JOIN assistants a ON a.id = g.assistant_id ORDER BY a.public_id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut seen: std::collections::HashMap<i64, Vec<String>> = std::collections::HashMap::new();
        for g in &grants {
            seen.entry(g.try_get("account_id")?).or_default().push(g.try_get("public_id")?);
        }
        rows.iter()
            .map(|r| {
                let id: i64 = r.try_get("id")?;
                Ok(AccountInfo {
                    email: r.try_get("email")?,
                    name: r.try_get("name")?,
                    admin: r.try_get::<Option<i64>, _>("admin_since")?.is_some(),
                    disabled: r.try_get::<Option<i64>, _>("disabled_at")?.is_some(),
                    invited: r.try_get::<String, _>("password_hash")?.is_empty(),
                    created_at: from_ms(r.try_get("created_at")?),
                    assistants: seen.remove(&id).unwrap_or_default(),
                })
            })
            .collect()
    }

    /// An invite for an account without a password: the hash of its link's secret.
    pub async fn create_invite(&self, token_hash: &str, account_id: i64, expires: Timestamp) -> Result<()> {
        sqlx::query("INSERT INTO invites (token_hash, account_id, expires_at) VALUES ($1, $2, $3)")
            .bind(token_hash)
            .bind(account_id)
            .bind(ms(expires))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Sets the password of the invite's account and ends the invite (it works once);
    /// `None` when the invite is unknown, used or expired.
    pub async fn accept_invite(&self, token_hash: &str, password_hash: &str, now: Timestamp) -> Result<Option<AccountRef>> {
        let mut tx = self.pool.begin().await?;
        let account: Option<i64> = sqlx::query_scalar("DELETE FROM invites WHERE token_hash = $1 AND expires_at > $2 RETURNING account_id")
            .bind(token_hash)
            .bind(ms(now))
            .fetch_optional(&mut *tx)
            .await?;
        let Some(account) = account else { return Ok(None) };
        sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2").bind(password_hash).bind(account).execute(&mut *tx).await?;
        let row = sqlx::query(&format!("SELECT {ACCOUNT} FROM accounts a WHERE a.id = $1")).bind(account).fetch_one(&mut *tx).await?;
        tx.commit().await?;
        Ok(Some(account_ref(&row)?))
    }

    /// Whether the account is disabled.
    pub async fn is_disabled(&self, account_id: i64) -> Result<bool> {
        let at: Option<Option<i64>> =
            sqlx::query_scalar("SELECT disabled_at FROM accounts WHERE id = $1").bind(account_id).fetch_optional(&self.pool).await?;
        Ok(at.flatten().is_some())
    }

    /// Makes the account an admin, or not; false when there is no such account.
    pub async fn set_admin(&self, account_id: i64, admin: Option<Timestamp>) -> Result<bool> {
        let r = match admin {
            Some(since) => sqlx::query("UPDATE accounts SET admin_since = COALESCE(admin_since, $1) WHERE id = $2").bind(ms(since)),
            None => sqlx::query("UPDATE accounts SET admin_since = NULL WHERE id = $1"),
        }
        .bind(account_id)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Disables the account (since `at`) or enables it (`None`): a disabled account's
    /// sessions are ended and its tokens stop at their next request.
    pub async fn set_disabled(&self, account_id: i64, at: Option<Timestamp>) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let r =
            sqlx::query("UPDATE accounts SET disabled_at = $1 WHERE id = $2").bind(at.map(ms)).bind(account_id).execute(&mut *tx).await?;
        if at.is_some() {
            sqlx::query("DELETE FROM sessions WHERE account_id = $1").bind(account_id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(r.rows_affected() == 1)
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
        let row = sqlx::query(&format!(
            "SELECT {ACCOUNT} FROM sessions s JOIN accounts a ON a.id = s.account_id \
                 WHERE s.token_hash = $1 AND s.expires_at > $2 AND a.disabled_at IS NULL"
        ))
        .bind(token_hash)
        .bind(ms(now))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| account_ref(&r)).transpose()
    }

    /// Deletes expired sessions and tokens; how many went.
    pub async fn sweep_sessions_and_tokens(&self, now: Timestamp) -> Result<u64> {
        sqlx::query("DELETE FROM invites WHERE expires_at <= $1").bind(ms(now)).execute(&self.pool).await?;
        let sessions = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(ms(now)).execute(&self.pool).await?;
        let tokens = sqlx::query("DELETE FROM api_tokens WHERE expires_at IS NOT NULL AND expires_at <= $1")
            .bind(ms(now))
            .execute(&self.pool)
            .await?;
        sqlx::query("DELETE FROM token_assistants WHERE token_id NOT IN (SELECT id FROM api_tokens)").execute(&self.pool).await?;
        // Ingest answers are kept for retries a day.
        sqlx::query("DELETE FROM ingest_batches WHERE created_at <= $1")
            .bind(ms(now - chrono::Duration::days(1)))
            .execute(&self.pool)
            .await?;
        // Login attempts that count no more go too (not counted: they are no session).
        self.sweep_attempts(now - super::throttle::ATTEMPTS_KEPT, now).await?;
        Ok(sessions.rows_affected() + tokens.rows_affected())
    }
}
