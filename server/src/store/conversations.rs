//! Conversations: pages of an assistant's completed conversations (one query each, their
//! messages passed through as stored). The import's writes are in `writes.rs`.

use super::{AssistantRow, Backend, Result, Store, StoreError};
use crate::clock::{from_ms, ms};
use convo_model::api::Totals;
use convo_model::{Channel, Contact, Conversation, ConversationStatus, ExportFilters, Message, TimeRange};
use sqlx::Row;

/// Where a page of conversations starts: after this (started_at, row id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub started_at_ms: i64,
    pub id: i64,
}

impl Cursor {
    pub fn encode(self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{}.{}", self.started_at_ms, self.id))
    }

    pub fn decode(raw: &str) -> Option<Cursor> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(raw).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (a, b) = text.split_once('.')?;
        Some(Cursor { started_at_ms: a.parse().ok()?, id: b.parse().ok()? })
    }
}

/// A conversation chosen for an export, as stored.
#[derive(Debug, Clone)]
pub struct Chosen {
    pub id: String,
    pub completed: bool,
    pub started_at: convo_model::Timestamp,
}

/// How big one page may get: bounded by conversations, messages and bytes.
#[derive(Debug, Clone, Copy)]
pub struct PageLimits {
    pub conversations: i64,
    pub messages: i64,
    pub bytes: i64,
}

impl Default for PageLimits {
    fn default() -> Self {
        // Small enough for a page to be served in a few milliseconds even under load.
        PageLimits { conversations: 200, messages: 500, bytes: 512 << 10 }
    }
}

pub struct Page<C = Conversation> {
    pub conversations: Vec<C>,
    pub next: Option<Cursor>,
}

/// A conversation of a page with its messages still the JSON they were stored as
/// (exported fields only): HTTP pages pass it through instead of parsing and
/// re-serialising it.
pub type StoredConversation = Conversation<Box<serde_json::value::RawValue>>;

/// The stored conversation with its messages parsed.
pub fn parse_stored(conversation: StoredConversation) -> Result<Conversation> {
    let messages: Vec<Message> = serde_json::from_str(conversation.messages.get())
        .map_err(|e| StoreError::Corrupt(format!("messages of conversation {}: {e}", conversation.id)))?;
    Ok(conversation.with_messages(messages))
}

/// Which conversations: one assistant's, started in a range, narrowed by filters.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub assistant: &'a AssistantRow,
    pub range: TimeRange,
    pub filters: &'a ExportFilters,
}

/// The SQL conditions of `filters` (to append to a WHERE on `conversations c`), with
/// their values to bind from `$first` on. Words and contacts match in any case (ASCII
/// case on SQLite, whose LOWER knows no other), with LIKE's wildcards escaped.
fn filter_sql(filters: &ExportFilters, first: usize) -> (String, Vec<String>) {
    let mut sql = String::new();
    let mut binds = Vec::new();
    let like = |text: &str| format!("%{}%", text.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    if !filters.channels.is_empty() {
        let params: Vec<String> = filters.channels.iter().enumerate().map(|(i, _)| format!("${}", first + binds.len() + i)).collect();
        sql.push_str(&format!(" AND c.channel IN ({})", params.join(", ")));
        binds.extend(filters.channels.iter().map(|c| c.id().to_string()));
    }
    if let Some(contact) = &filters.contact {
        let k = first + binds.len();
        sql.push_str(&format!(
            " AND (LOWER(COALESCE(c.contact_name, '')) LIKE ${k} ESCAPE '\\' OR LOWER(COALESCE(c.contact_email, '')) LIKE ${k} ESCAPE '\\')"
        ));
        binds.push(like(contact));
    }
    if !filters.conversations.is_empty() {
        let params: Vec<String> = (0..filters.conversations.len()).map(|i| format!("${}", first + binds.len() + i)).collect();
        sql.push_str(&format!(" AND c.public_id IN ({})", params.join(", ")));
        binds.extend(filters.conversations.iter().cloned());
    }
    for word in filters.words() {
        let k = first + binds.len();
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.role IN ('user', 'assistant') AND LOWER(m.content) LIKE ${k} ESCAPE '\\')"
        ));
        binds.push(like(&word));
    }
    (sql, binds)
}

impl Store {
    /// Completed conversations in the scope, and their messages.
    pub async fn totals(&self, scope: Scope<'_>) -> Result<Totals> {
        let (filter, binds) = filter_sql(scope.filters, 4);
        let sql = format!(
            "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(c.exported_messages), 0) AS BIGINT) AS m FROM conversations c \
             WHERE c.assistant_id = $1 AND c.status = 'completed' AND c.started_at >= $2 AND c.started_at <= $3{filter}"
        );
        let mut query = sqlx::query(&sql).bind(scope.assistant.pk).bind(ms(scope.range.from)).bind(ms(scope.range.to));
        for b in binds {
            query = query.bind(b);
        }
        let row = query.fetch_one(&self.pool).await?;
        Ok(Totals { conversations: row.try_get("n")?, messages: row.try_get("m")? })
    }

    /// Of `ids` (public ids), those that are conversations of this assistant: each with
    /// whether it is completed and when it started.
    pub async fn chosen(&self, assistant_pk: i64, ids: &[String]) -> Result<Vec<Chosen>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let params: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT public_id, status, started_at FROM conversations WHERE assistant_id = $1 AND public_id IN ({})",
            params.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(assistant_pk);
        for id in ids {
            query = query.bind(id);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                let status: String = r.try_get("status")?;
                Ok(Chosen {
                    id: r.try_get("public_id")?,
                    completed: status == ConversationStatus::Completed.as_str(),
                    started_at: from_ms(r.try_get("started_at")?),
                })
            })
            .collect()
    }

    /// The channels this assistant's conversations came through (for checking filters).
    pub async fn channels_of(&self, assistant_pk: i64) -> Result<Vec<Channel>> {
        let rows: Vec<String> = sqlx::query_scalar("SELECT DISTINCT channel FROM conversations WHERE assistant_id = $1")
            .bind(assistant_pk)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(|c| Channel::parse(c)).collect())
    }

    /// One page of completed conversations in the scope, oldest first, after `cursor`.
    pub async fn conversation_page(&self, scope: Scope<'_>, cursor: Option<Cursor>, limits: PageLimits) -> Result<Page> {
        let page = self.stored_page(scope, cursor, limits, false).await?;
        let conversations = page.conversations.into_iter().map(parse_stored).collect::<Result<_>>()?;
        Ok(Page { conversations, next: page.next })
    }

    /// One page in either order, oldest first (exports) or newest first (browsing), its
    /// messages as stored.
    pub async fn stored_page(
        &self,
        scope: Scope<'_>,
        cursor: Option<Cursor>,
        limits: PageLimits,
        newest_first: bool,
    ) -> Result<Page<StoredConversation>> {
        let Scope { assistant, range, filters } = scope;
        let (filter, binds) = filter_sql(filters, 9);
        // Each planner seeks its index best with its own spelling of the same keyset
        // condition (measured: `cargo bench -p convo-server`).
        let (edge, keyset, order) = match (newest_first, self.backend) {
            (true, Backend::Postgres) => (i64::MAX, "(c.started_at, c.id) < ($4, $5)", "started_at DESC, id DESC"),
            (true, Backend::Sqlite) => (i64::MAX, "(c.started_at < $4 OR (c.started_at = $4 AND c.id < $5))", "started_at DESC, id DESC"),
            (false, Backend::Postgres) => (i64::MIN, "(c.started_at, c.id) > ($4, $5)", "started_at, id"),
            (false, Backend::Sqlite) => (i64::MIN, "(c.started_at > $4 OR (c.started_at = $4 AND c.id > $5))", "started_at, id"),
        };
        let after = cursor.unwrap_or(Cursor { started_at_ms: edge, id: edge });
        // One round trip. `ahead` reads the next conversations from the covering index;
        // running sums cut them by conversations ($8), messages ($6) and bytes ($7), always
        // keeping the first. A row is returned when every row before it made the cut: the
        // chosen ones with their messages, and the first one left out, without them, which
        // says that there is more.
        let sql = format!(
            "SELECT c.id, c.public_id, c.channel, c.started_at, c.ended_at, c.summary, \
             CASE WHEN cut.n = 1 OR (cut.m <= $6 AND cut.b <= $7 AND cut.n <= $8) THEN c.exported_json END AS exported_json, \
             c.contact_name, c.contact_email \
             FROM (SELECT id, ROW_NUMBER() OVER w AS n, \
             CAST(SUM(exported_messages) OVER w AS BIGINT) AS m, CAST(SUM(exported_bytes) OVER w AS BIGINT) AS b, \
             exported_messages AS own_m, exported_bytes AS own_b \
             FROM (SELECT c.id, c.started_at, c.exported_messages, c.exported_bytes FROM conversations c \
             WHERE c.assistant_id = $1 AND c.status = 'completed' AND c.started_at >= $2 AND c.started_at <= $3 AND {keyset}{filter} \
             ORDER BY {order} LIMIT $8 + 1) ahead \
             WINDOW w AS (ORDER BY {order} ROWS UNBOUNDED PRECEDING)) cut \
             JOIN conversations c ON c.id = cut.id \
             WHERE cut.n <= 2 OR (cut.m - cut.own_m <= $6 AND cut.b - cut.own_b <= $7 AND cut.n - 1 <= $8) \
             ORDER BY cut.n"
        );
        let mut query = sqlx::query(&sql)
            .bind(assistant.pk)
            .bind(ms(range.from))
            .bind(ms(range.to))
            .bind(after.started_at_ms)
            .bind(after.id)
            .bind(limits.messages)
            .bind(limits.bytes)
            .bind(limits.conversations);
        for b in binds {
            query = query.bind(b);
        }
        let rows = query.fetch_all(&self.pool).await?;
        let mut conversations = Vec::with_capacity(rows.len());
        let mut last = None;
        let mut more = false;
        for r in rows {
            let id: i64 = r.try_get("id")?;
            let Some(exported_json) = r.try_get::<Option<String>, _>("exported_json")? else {
                more = true;
                break;
            };
            let messages = serde_json::value::RawValue::from_string(exported_json)
                .map_err(|e| StoreError::Corrupt(format!("messages of conversation {id}: {e}")))?;
            let name: Option<String> = r.try_get("contact_name")?;
            let email: Option<String> = r.try_get("contact_email")?;
            let channel: &str = r.try_get("channel")?;
            let started_at: i64 = r.try_get("started_at")?;
            conversations.push(Conversation {
                id: r.try_get("public_id")?,
                assistant_id: assistant.id.clone(),
                channel: Channel::parse(channel),
                contact: (name.is_some() || email.is_some()).then_some(Contact { name, email }),
                started_at: from_ms(started_at),
                ended_at: r.try_get::<Option<i64>, _>("ended_at")?.map(from_ms),
                status: ConversationStatus::Completed,
                summary: r.try_get("summary")?,
                messages,
            });
            last = Some(Cursor { started_at_ms: started_at, id });
        }
        Ok(Page { conversations, next: if more { last } else { None } })
    }
}
