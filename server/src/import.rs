//! `import`: streams a JSON Lines file into the database. The file is read twice: once to
//! check every line (a file with a bad line changes nothing), then to write it all in one
//! transaction. Memory stays bounded by one conversation, whatever the file's size.
//! Importing the same conversation again replaces it (idempotent by conversation id).

use crate::clock::ms;
use crate::jsonl::parse_line;
use crate::store::Store;
use anyhow::{Context, anyhow};
use convo_model::{Conversation, ConversationStatus, Timestamp};
use serde_json::{Map, Value};
use sqlx::{Any, Transaction};
use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub conversations: u64,
    pub messages: u64,
    pub assistants_created: Vec<String>,
}

const CONVERSATION_FIELDS: [&str; 9] =
    ["id", "assistant_id", "channel", "contact", "started_at", "ended_at", "status", "summary", "messages"];
const MESSAGE_FIELDS: [&str; 3] = ["role", "content", "at"];
const MESSAGE_ROWS_PER_INSERT: usize = 200;

fn lines(path: &Path) -> anyhow::Result<impl Iterator<Item = (usize, std::io::Result<String>)>> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(std::io::BufReader::with_capacity(1 << 20, file).lines().enumerate().map(|(i, l)| (i + 1, l)))
}

/// Checks every line; the first bad one is reported with its number and field.
pub fn check(path: &Path) -> anyhow::Result<u64> {
    let mut n = 0;
    for (no, line) in lines(path)? {
        let line = line.map_err(|e| anyhow!("{}: line {no}: cannot read ({e})", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        parse_line(&line).map_err(|e| anyhow!("{}: line {no}: {e}", path.display()))?;
        n += 1;
    }
    Ok(n)
}

pub async fn import_file(store: &Store, path: &Path, now: Timestamp) -> anyhow::Result<ImportReport> {
    check(path)?;
    let mut tx = store.pool().begin().await?;
    let mut importer = Importer { now, assistants: HashMap::new(), contacts: HashMap::new(), report: ImportReport::default() };
    for (no, line) in lines(path)? {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let conversation = parse_line(&line).map_err(|e| anyhow!("{}: line {no}: {e}", path.display()))?;
        let raw: Map<String, Value> = serde_json::from_str(&line)?;
        importer.write(&mut tx, &conversation, raw).await.with_context(|| format!("{}: line {no}", path.display()))?;
    }
    tx.commit().await?;
    Ok(importer.report)
}

struct Importer {
    now: Timestamp,
    assistants: HashMap<String, i64>,
    contacts: HashMap<String, i64>,
    report: ImportReport,
}

/// The fields a line carries beyond the import format: kept, internal, never served.
fn internal(mut raw: Map<String, Value>, known: &[&str]) -> Option<String> {
    for k in known {
        raw.remove(*k);
    }
    (!raw.is_empty()).then(|| Value::Object(raw).to_string())
}

impl Importer {
    async fn assistant(&mut self, tx: &mut Transaction<'_, Any>, public_id: &str) -> anyhow::Result<i64> {
        if let Some(pk) = self.assistants.get(public_id) {
            return Ok(*pk);
        }
        let created = sqlx::query("INSERT INTO assistants (public_id, name, created_at) VALUES ($1, $1, $2) ON CONFLICT (public_id) DO NOTHING")
            .bind(public_id)
            .bind(ms(self.now))
            .execute(&mut **tx)
            .await?;
        if created.rows_affected() == 1 {
            self.report.assistants_created.push(public_id.to_string());
        }
        let pk: i64 = sqlx::query_scalar("SELECT id FROM assistants WHERE public_id = $1").bind(public_id).fetch_one(&mut **tx).await?;
        self.assistants.insert(public_id.to_string(), pk);
        Ok(pk)
    }

    async fn contact(&mut self, tx: &mut Transaction<'_, Any>, c: &Conversation) -> anyhow::Result<Option<i64>> {
        let Some(contact) = &c.contact else { return Ok(None) };
        let Some(identity) = contact.identity() else { return Ok(None) };
        if let Some(pk) = self.contacts.get(&identity) {
            return Ok(Some(*pk));
        }
        let pk: i64 = sqlx::query_scalar(
            "INSERT INTO contacts (identity, name, email) VALUES ($1, $2, $3) \
             ON CONFLICT (identity) DO UPDATE SET name = COALESCE(excluded.name, contacts.name), email = COALESCE(excluded.email, contacts.email) RETURNING id",
        )
        .bind(&identity)
        .bind(contact.name.as_deref())
        .bind(contact.email.as_deref())
        .fetch_one(&mut **tx)
        .await?;
        if self.contacts.len() < 1_000_000 {
            self.contacts.insert(identity, pk);
        }
        Ok(Some(pk))
    }

    async fn write(&mut self, tx: &mut Transaction<'_, Any>, c: &Conversation, mut raw: Map<String, Value>) -> anyhow::Result<()> {
        let assistant = self.assistant(tx, &c.assistant_id).await?;
        let contact = self.contact(tx, c).await?;
        let raw_messages = match raw.remove("messages") {
            Some(Value::Array(list)) => list,
            _ => Vec::new(),
        };
        let exported: Vec<_> = c.exported_messages().collect();
        let exported_bytes: usize = exported.iter().map(|m| m.content.len()).sum();
        let exported_json = serde_json::to_string(&exported)?;
        let status = match c.status {
            ConversationStatus::Completed => "completed",
            ConversationStatus::Active => "active",
        };
        let pk: i64 = sqlx::query_scalar(
            "INSERT INTO conversations (public_id, assistant_id, contact_id, channel, status, started_at, ended_at, summary, exported_messages, exported_bytes, internal_json, exported_json) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (public_id) DO UPDATE SET assistant_id = excluded.assistant_id, contact_id = excluded.contact_id, channel = excluded.channel, status = excluded.status, \
               started_at = excluded.started_at, ended_at = excluded.ended_at, summary = excluded.summary, exported_messages = excluded.exported_messages, \
               exported_bytes = excluded.exported_bytes, internal_json = excluded.internal_json, exported_json = excluded.exported_json \
             RETURNING id",
        )
        .bind(&c.id)
        .bind(assistant)
        .bind(contact)
        .bind(c.channel.id())
        .bind(status)
        .bind(ms(c.started_at))
        .bind(c.ended_at.map(ms))
        .bind(c.summary.as_deref())
        .bind(exported.len() as i64)
        .bind(exported_bytes as i64)
        .bind(internal(raw, &CONVERSATION_FIELDS))
        .bind(exported_json)
        .fetch_one(&mut **tx)
        .await?;
        sqlx::query("DELETE FROM messages WHERE conversation_id = $1").bind(pk).execute(&mut **tx).await?;

        let mut raw_messages = raw_messages.into_iter();
        for (chunk_no, chunk) in c.messages.chunks(MESSAGE_ROWS_PER_INSERT).enumerate() {
            let mut sql = String::from("INSERT INTO messages (conversation_id, seq, role, content, at, model, tokens, cost, internal_json) VALUES ");
            for i in 0..chunk.len() {
                let b = i * 9;
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                    b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, b + 8, b + 9
                ));
            }
            let mut query = sqlx::query(&sql);
            for (i, m) in chunk.iter().enumerate() {
                let raw = match raw_messages.next() {
                    Some(Value::Object(map)) => map,
                    _ => Map::new(),
                };
                let (model, tokens, cost) = usage_of(&raw);
                query = query
                    .bind(pk)
                    .bind((chunk_no * MESSAGE_ROWS_PER_INSERT + i) as i64)
                    .bind(m.role.as_str())
                    .bind(m.content.as_str())
                    .bind(ms(m.at))
                    .bind(model)
                    .bind(tokens)
                    .bind(cost)
                    .bind(internal(raw, &MESSAGE_FIELDS));
            }
            query.execute(&mut **tx).await?;
        }
        self.report.conversations += 1;
        self.report.messages += c.messages.len() as u64;
        Ok(())
    }
}

/// The usage fields imports commonly carry: model, tokens and cost.
fn usage_of(raw: &Map<String, Value>) -> (Option<String>, Option<i64>, Option<f64>) {
    let usage = raw.get("usage").and_then(Value::as_object);
    let model = raw.get("model").and_then(Value::as_str).map(str::to_string);
    let tokens = raw.get("tokens").and_then(Value::as_i64).or_else(|| {
        let u = usage?;
        let field = |k: &str| u.get(k).and_then(Value::as_i64);
        field("total_tokens").or_else(|| Some(field("prompt_tokens")? + field("completion_tokens").unwrap_or(0)))
    });
    let cost = raw
        .get("cost")
        .and_then(Value::as_f64)
        .or_else(|| usage.and_then(|u| u.get("cost_usd").or_else(|| u.get("cost"))).and_then(Value::as_f64));
    (model, tokens, cost)
}
