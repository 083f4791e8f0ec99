//! API tokens, stored as hashes: personal ones (the account's API) and ingest ones
//! (scoped to assistants by their public ids, which need not exist yet). A token of a
//! disabled account, or one expired or revoked, finds nothing.

use super::accounts::{ACCOUNT, account_ref};
use super::{AccountRef, Result, Store, StoreError};
use crate::clock::{from_ms, ms};
use convo_model::Timestamp;
use convo_model::api::{TokenInfo, TokenKind};
use sqlx::Row;
use sqlx::any::AnyRow;

/// A token that works: whose it is, what it may do.
#[derive(Debug, Clone)]
pub struct LiveToken {
    pub id: String,
    pub account: AccountRef,
    pub kind: TokenKind,
    /// For an ingest token: the assistants it may write.
    pub assistants: Vec<String>,
}

/// A new token to store.
pub struct NewToken<'a> {
    pub id: &'a str,
    pub hash: &'a str,
    pub account_id: i64,
    pub kind: TokenKind,
    pub assistants: &'a [String],
    pub expires: Option<Timestamp>,
}

/// A token's last use is written at most this often: a busy integration does not turn
/// every request into a write.
const LAST_USE_EVERY_MS: i64 = 60_000;

fn token_info(r: &AnyRow, assistants: Vec<String>) -> Result<TokenInfo> {
    let kind: String = r.try_get("kind")?;
    Ok(TokenInfo {
        id: r.try_get("id")?,
        email: r.try_get("email")?,
        kind: TokenKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("token kind {kind:?}")))?,
        assistants,
        created_at: from_ms(r.try_get("created_at")?),
        expires_at: r.try_get::<Option<i64>, _>("expires_at")?.map(from_ms),
        last_used_at: r.try_get::<Option<i64>, _>("last_used_at")?.map(from_ms),
    })
}

impl Store {
    pub async fn create_api_token(&self, token: NewToken<'_>, now: Timestamp) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO api_tokens (id, token_hash, account_id, created_at, expires_at, kind) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(token.id)
            .bind(token.hash)
            .bind(token.account_id)
            .bind(ms(now))
            .bind(token.expires.map(ms))
            .bind(token.kind.as_str())
            .execute(&mut *tx)
            .await?;
        for assistant in token.assistants {
            sqlx::query("INSERT INTO token_assistants (token_id, assistant_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(token.id)
                .bind(assistant)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The token with this hash, if it works now (not expired, its account not disabled);
    /// records its use.
    pub async fn live_token(&self, token_hash: &str, now: Timestamp) -> Result<Option<LiveToken>> {
        let row = sqlx::query(&format!(
            "SELECT {ACCOUNT}, t.id AS token_id, t.kind, t.last_used_at FROM api_tokens t JOIN accounts a ON a.id = t.account_id \
             WHERE t.token_hash = $1 AND (t.expires_at IS NULL OR t.expires_at > $2) AND a.disabled_at IS NULL"
        ))
        .bind(token_hash)
        .bind(ms(now))
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let id: String = row.try_get("token_id")?;
        let kind: String = row.try_get("kind")?;
        let kind = TokenKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("token kind {kind:?}")))?;
        let assistants = match kind {
            TokenKind::Personal => Vec::new(),
            TokenKind::Ingest => self.token_assistants(&id).await?,
        };
        let last: Option<i64> = row.try_get("last_used_at")?;
        if last.is_none_or(|last| ms(now) - last >= LAST_USE_EVERY_MS) {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2").bind(ms(now)).bind(&id).execute(&self.pool).await?;
        }
        Ok(Some(LiveToken { id, account: account_ref(&row)?, kind, assistants }))
    }

    async fn token_assistants(&self, token_id: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT assistant_id FROM token_assistants WHERE token_id = $1 ORDER BY assistant_id")
            .bind(token_id)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Tokens (never their secrets), oldest first: the account's, or every account's.
    pub async fn api_tokens(&self, account_id: Option<i64>) -> Result<Vec<TokenInfo>> {
        let select = "SELECT t.id, a.email, t.kind, t.created_at, t.expires_at, t.last_used_at FROM api_tokens t JOIN accounts a ON a.id = t.account_id";
        let (mine, all) =
            (format!("{select} WHERE t.account_id = $1 ORDER BY t.created_at, t.id"), format!("{select} ORDER BY t.created_at, t.id"));
        let rows = match account_id {
            Some(account) => sqlx::query(&mine).bind(account),
            None => sqlx::query(&all),
        }
        .fetch_all(&self.pool)
        .await?;
        let mut tokens = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: String = r.try_get("id")?;
            tokens.push(token_info(r, self.token_assistants(&id).await?)?);
        }
        Ok(tokens)
    }

    /// Revokes a token: it stops working at once. The account it belonged to, or `None`
    /// when there is no such token.
    pub async fn revoke_api_token(&self, id: &str) -> Result<Option<i64>> {
        let mut tx = self.pool.begin().await?;
        let owner: Option<i64> =
            sqlx::query_scalar("DELETE FROM api_tokens WHERE id = $1 RETURNING account_id").bind(id).fetch_optional(&mut *tx).await?;
        sqlx::query("DELETE FROM token_assistants WHERE token_id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(owner)
    }
}
