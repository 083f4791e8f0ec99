//! Assistants and which accounts may see them.

use super::{Result, Store};
use crate::clock::ms;
use convo_model::Timestamp;
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone)]
pub struct AssistantRow {
    pub pk: i64,
    pub id: String,
    pub name: String,
}

fn assistant_row(r: &AnyRow) -> Result<AssistantRow> {
    Ok(AssistantRow { pk: r.try_get("id")?, id: r.try_get("public_id")?, name: r.try_get("name")? })
}

impl Store {
    /// The assistant's row id, creating the assistant (named after its id) when unknown.
    pub async fn ensure_assistant(&self, public_id: &str, name: Option<&str>, now: Timestamp) -> Result<i64> {
        sqlx::query("INSERT INTO assistants (public_id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (public_id) DO NOTHING")
            .bind(public_id)
            .bind(name.unwrap_or(public_id))
            .bind(ms(now))
            .execute(&self.pool)
            .await?;
        if let Some(name) = name {
            sqlx::query("UPDATE assistants SET name = $1 WHERE public_id = $2").bind(name).bind(public_id).execute(&self.pool).await?;
        }
        Ok(sqlx::query_scalar("SELECT id FROM assistants WHERE public_id = $1").bind(public_id).fetch_one(&self.pool).await?)
    }

    pub async fn set_assistant_config(&self, public_id: &str, config_json: &str) -> Result<()> {
        sqlx::query("UPDATE assistants SET config_json = $1 WHERE public_id = $2")
            .bind(config_json)
            .bind(public_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn assistant_by_public_id(&self, public_id: &str) -> Result<Option<AssistantRow>> {
        let row = sqlx::query("SELECT id, public_id, name FROM assistants WHERE public_id = $1")
            .bind(public_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| assistant_row(&r)).transpose()
    }

    pub async fn grant(&self, account_id: i64, assistant_pk: i64) -> Result<()> {
        sqlx::query("INSERT INTO account_assistants (account_id, assistant_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(account_id)
            .bind(assistant_pk)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Takes the assistant from the account: false when it had no grant.
    pub async fn revoke(&self, account_id: i64, assistant_pk: i64) -> Result<bool> {
        let r = sqlx::query("DELETE FROM account_assistants WHERE account_id = $1 AND assistant_id = $2")
            .bind(account_id)
            .bind(assistant_pk)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn assistants_for(&self, account_id: i64) -> Result<Vec<AssistantRow>> {
        let rows = sqlx::query(
            "SELECT a.id, a.public_id, a.name FROM assistants a JOIN account_assistants g ON g.assistant_id = a.id WHERE g.account_id = $1 ORDER BY a.name, a.public_id",
        )
        .bind(account_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(assistant_row).collect()
    }

    /// The assistant, if this account may see it (else `None`, as if it did not exist).
    pub async fn assistant_for(&self, account_id: i64, public_id: &str) -> Result<Option<AssistantRow>> {
        let row = sqlx::query(
            "SELECT a.id, a.public_id, a.name FROM assistants a JOIN account_assistants g ON g.assistant_id = a.id WHERE g.account_id = $1 AND a.public_id = $2",
        )
        .bind(account_id)
        .bind(public_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| assistant_row(&r)).transpose()
    }
}
