//! Writing conversations, for the import and the ingest API alike: upserts keyed by
//! `(assistant, id)` inside one transaction ([`Writer`]), which the caller commits after
//! one batch (an import, a plain ingest) or after all of them (`?atomic=true`). A line
//! whose content hash is the stored one is `Unchanged` and not rewritten.

use super::{Result, Store, StoreError};
use crate::clock::ms;
use convo_model::{Conversation, Timestamp};
use sqlx::Row;
use std::collections::HashMap;

/// One import line, ready to write: the conversation with all its messages (system and
/// tool ones too) and the internal fields it carried, which are stored, never served.
pub struct NewConversation {
    pub conversation: Conversation,
    /// Fields beyond the import format, as a JSON object.
    pub internal_json: Option<String>,
    /// One per message of `conversation`, in order.
    pub messages: Vec<NewMessage>,
    /// The name of the assistant, should this line be the one that creates it.
    pub assistant_name: Option<String>,
    /// SHA-256 (hex) of the line's content, canonical (keys sorted, `assistant_name` left
    /// out): what tells `Unchanged` from `Updated`.
    pub content_hash: String,
}

/// What an import line says of a message beyond the format: internal, never served.
#[derive(Debug, Default)]
pub struct NewMessage {
    pub model: Option<String>,
    pub tokens: Option<i64>,
    pub cost: Option<f64>,
    pub internal_json: Option<String>,
}

/// What writing one line did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upsert {
    /// A conversation the server did not have.
    Accepted,
    /// A stored conversation whose content changed (completed, messages appended …).
    Updated,
    /// The stored content exactly: nothing written.
    Unchanged,
}

/// Conversation ids per lookup of stored hashes.
const LOOKUPS_PER_SELECT: usize = 500;
/// Message rows per INSERT statement.
const MESSAGE_ROWS_PER_INSERT: usize = 200;

/// Writes in one transaction, until [`Writer::commit`]; dropped uncommitted, it wrote
/// nothing.
pub struct Writer {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    /// Assistants' row ids by public id, as this transaction saw them.
    assistants: HashMap<String, i64>,
    /// Assistants this transaction created.
    pub created: Vec<String>,
    /// SQLite's write turn, held until the transaction ends (see `Store::sqlite_writes`).
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Store {
    pub async fn writer(&self) -> Result<Writer> {
        // The turn first: a transaction begun before it would hold a connection idle.
        let turn = match &self.sqlite_writes {
            Some(gate) => Some(gate.clone().lock_owned().await),
            None => None,
        };
        Ok(Writer { tx: self.pool.begin().await?, assistants: HashMap::new(), created: Vec::new(), _turn: turn })
    }

    /// Writes a batch in a transaction of its own; what each line did, in order.
    pub async fn write_conversations(&self, batch: &[NewConversation], now: Timestamp) -> Result<(Vec<Upsert>, Vec<String>)> {
        let mut writer = self.writer().await?;
        let done = writer.write(batch, now).await?;
        let created = std::mem::take(&mut writer.created);
        writer.commit().await?;
        Ok((done, created))
    }
}

impl Writer {
    pub async fn commit(self) -> Result<()> {
        Ok(self.tx.commit().await?)
    }

    /// The assistant's row id, creating it (named `name`, or after its id) when unknown.
    async fn assistant(&mut self, public_id: &str, name: Option<&str>, now: Timestamp) -> Result<i64> {
        if let Some(pk) = self.assistants.get(public_id) {
            return Ok(*pk);
        }
        let inserted =
            sqlx::query("INSERT INTO assistants (public_id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (public_id) DO NOTHING")
                .bind(public_id)
                .bind(name.unwrap_or(public_id))
                .bind(ms(now))
                .execute(&mut *self.tx)
                .await?;
        if inserted.rows_affected() == 1 {
            self.created.push(public_id.to_string());
        }
        let pk: i64 = sqlx::query_scalar("SELECT id FROM assistants WHERE public_id = $1").bind(public_id).fetch_one(&mut *self.tx).await?;
        self.assistants.insert(public_id.to_string(), pk);
        Ok(pk)
    }

    /// Upserts each line: a conversation seen again replaces the stored one unless its
    /// content is the same (so re-running an import, or a retried batch, is harmless).
    pub async fn write(&mut self, batch: &[NewConversation], now: Timestamp) -> Result<Vec<Upsert>> {
        let mut keys = Vec::with_capacity(batch.len());
        for line in batch {
            let c = &line.conversation;
            keys.push((self.assistant(&c.assistant_id, line.assistant_name.as_deref(), now).await?, c.id.as_str()));
        }
        // One lookup for the batch, not one a line: each statement is a round trip to
        // SQLite's worker thread, which were most of an import's time.
        let mut stored = self.stored_hashes(&keys).await?;
        let mut done = Vec::with_capacity(batch.len());
        for (line, &(assistant, id)) in batch.iter().zip(&keys) {
            let upsert = match stored.get(&(assistant, id)) {
                None => Upsert::Accepted,
                Some(Some(hash)) if *hash == line.content_hash => Upsert::Unchanged,
                Some(_) => Upsert::Updated,
            };
            if upsert != Upsert::Unchanged {
                self.replace(assistant, line, upsert).await?;
                // A line repeated within the batch compares with this one.
                stored.insert((assistant, id), Some(line.content_hash.clone()));
            }
            done.push(upsert);
        }
        Ok(done)
    }

    /// The stored content hashes of those of `keys` that exist.
    async fn stored_hashes<'k>(&mut self, keys: &[(i64, &'k str)]) -> Result<HashMap<(i64, &'k str), Option<String>>> {
        let mut stored = HashMap::with_capacity(keys.len());
        let mut by_assistant: HashMap<i64, Vec<&'k str>> = HashMap::new();
        for &(assistant, id) in keys {
            by_assistant.entry(assistant).or_default().push(id);
        }
        for (assistant, ids) in by_assistant {
            for chunk in ids.chunks(LOOKUPS_PER_SELECT) {
                let marks: Vec<String> = (2..chunk.len() + 2).map(|n| format!("${n}")).collect();
                let sql = format!(
                    "SELECT public_id, content_hash FROM conversations WHERE assistant_id = $1 AND public_id IN ({})",
                    marks.join(", ")
                );
                let mut query = sqlx::query(&sql).bind(assistant);
                for id in chunk {
                    query = query.bind(*id);
                }
                for row in query.fetch_all(&mut *self.tx).await? {
                    let public_id: String = row.try_get("public_id")?;
                    if let Some(id) = chunk.iter().find(|id| **id == public_id) {
                        stored.insert((assistant, *id), row.try_get::<Option<String>, _>("content_hash")?);
                    }
                }
            }
        }
        Ok(stored)
    }

    /// Stores the line as the conversation `(assistant, id)`, whatever was there.
    async fn replace(&mut self, assistant: i64, line: &NewConversation, upsert: Upsert) -> Result<()> {
        let c = &line.conversation;
        // The contact as this line gives it: details belong to their conversation.
        let contact_name = c.contact.as_ref().and_then(|k| k.name.as_deref());
        let contact_email = c.contact.as_ref().and_then(|k| k.email.as_deref());
        let exported: Vec<_> = c.exported_messages().collect();
        let exported_bytes: usize = exported.iter().map(|m| m.content.len()).sum();
        let exported_json = serde_json::to_string(&exported).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let status = c.status.as_str();
        let pk: i64 = sqlx::query_scalar(
            "INSERT INTO conversations (public_id, assistant_id, contact_name, contact_email, channel, status, started_at, ended_at, summary, exported_messages, exported_bytes, internal_json, exported_json, content_hash) \
             VALUES ($1, $2, $3, $13, $4, $5, $6, $7, $8, $9, $10, $11, $12, $14) \
             ON CONFLICT (assistant_id, public_id) DO UPDATE SET contact_name = excluded.contact_name, contact_email = excluded.contact_email, channel = excluded.channel, status = excluded.status, \
               started_at = excluded.started_at, ended_at = excluded.ended_at, summary = excluded.summary, exported_messages = excluded.exported_messages, \
               exported_bytes = excluded.exported_bytes, internal_json = excluded.internal_json, exported_json = excluded.exported_json, content_hash = excluded.content_hash \
             RETURNING id",
        )
        .bind(&c.id)
        .bind(assistant)
        .bind(contact_name)
        .bind(c.channel.id())
        .bind(status)
        .bind(ms(c.started_at))
        .bind(c.ended_at.map(ms))
        .bind(c.summary.as_deref())
        .bind(exported.len() as i64)
        .bind(exported_bytes as i64)
        .bind(line.internal_json.as_deref())
        .bind(exported_json)
        .bind(contact_email)
        .bind(&line.content_hash)
        .fetch_one(&mut *self.tx)
        .await?;
        if upsert == Upsert::Updated {
            sqlx::query("DELETE FROM messages WHERE conversation_id = $1").bind(pk).execute(&mut *self.tx).await?;
        }
        let none = NewMessage::default();
        let rows: Vec<_> = c.messages.iter().zip(line.messages.iter().chain(std::iter::repeat(&none))).collect();
        for (chunk_no, chunk) in rows.chunks(MESSAGE_ROWS_PER_INSERT).enumerate() {
            let mut sql =
                String::from("INSERT INTO messages (conversation_id, seq, role, content, at, model, tokens, cost, internal_json) VALUES ");
            for i in 0..chunk.len() {
                let b = i * 9;
                if i > 0 {
                    sql.push_str(", ");
                }
                // The cost ($8) goes as text: sqlx 0.8.6's Any driver sends a NULL
                // `f64` to PostgreSQL as a `real` (its Real and Double are swapped),
                // so a statement first prepared with a NULL cost refused every later
                // cost (22P03) once a 5,000-message conversation reused it.
                let params: Vec<String> =
                    (1..=9).map(|k| if k == 8 { format!("CAST(${} AS DOUBLE PRECISION)", b + k) } else { format!("${}", b + k) }).collect();
                sql.push_str(&format!("({})", params.join(", ")));
            }
            let mut query = sqlx::query(&sql);
            for (i, (m, extra)) in chunk.iter().enumerate() {
                query = query
                    .bind(pk)
                    .bind((chunk_no * MESSAGE_ROWS_PER_INSERT + i) as i64)
                    .bind(m.role.as_str())
                    .bind(m.content.as_str())
                    .bind(ms(m.at))
                    .bind(extra.model.as_deref())
                    .bind(extra.tokens)
                    .bind(extra.cost.map(|c| c.to_string()))
                    .bind(extra.internal_json.as_deref());
            }
            query.execute(&mut *self.tx).await?;
        }
        Ok(())
    }
}
