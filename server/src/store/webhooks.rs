//! Webhooks and their deliveries. A delivery is claimed under a lease by one worker of
//! one process, and only when no earlier delivery of its export to that webhook is
//! still pending: deliveries of one export arrive in order.

use super::{ExportRow, Result, Store, StoreError};
use crate::clock::{from_ms, ms};
use convo_model::Timestamp;
use convo_model::api::{DeliveryInfo, DeliveryState, WebhookEvent, WebhookInfo};
use sqlx::Row;
use sqlx::any::AnyRow;

/// A webhook with its secret, as the worker signs with it.
#[derive(Debug, Clone)]
pub struct StoredWebhook {
    pub info: WebhookInfo,
    pub account_id: i64,
    pub secret: String,
}

/// A delivery claimed for an attempt.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub id: String,
    pub url: String,
    pub secret: String,
    pub body: String,
    pub attempts: i64,
    pub created_at: Timestamp,
}

/// A delivery an event owes one webhook, its body built and ready to sign.
#[derive(Debug, Clone)]
pub struct Owed {
    pub id: String,
    pub webhook_id: String,
    pub event: WebhookEvent,
    pub export_id: String,
    pub body: String,
}

/// Builds the deliveries an export's change of state owes, from the export as the
/// change left it. The store calls it inside the change's own transaction and writes
/// what it returns there: no reader sees the new state before its deliveries (a test
/// did, and sent nothing), and no crash between the two loses an event.
pub type Tidings<'a> = &'a (dyn Fn(&ExportRow) -> Vec<Owed> + Sync);

/// Ends a state change of export `id`: when it changed the export (`changed`), writes
/// what `tidings` owes and commits, and answers true; otherwise drops `tx` unchanged.
pub(super) async fn commit_owing(
    mut tx: sqlx::Transaction<'_, sqlx::Any>,
    changed: bool,
    id: &str,
    tidings: Tidings<'_>,
    now: Timestamp,
) -> Result<bool> {
    if !changed {
        return Ok(false);
    }
    enqueue_owed(&mut tx, id, tidings, now).await?;
    tx.commit().await?;
    Ok(true)
}

/// Writes the deliveries `tidings` owes for export `id`, in `tx`; those past the
/// account's queue bound are dropped (and logged).
pub(super) async fn enqueue_owed(tx: &mut sqlx::Transaction<'_, sqlx::Any>, id: &str, tidings: Tidings<'_>, now: Timestamp) -> Result<()> {
    let Some(export) = super::exports::export_in(tx, id).await? else {
        return Ok(());
    };
    push(tx, export.account_id, &tidings(&export), now).await
}

async fn push(tx: &mut sqlx::Transaction<'_, sqlx::Any>, account_id: i64, owed: &[Owed], now: Timestamp) -> Result<()> {
    if owed.is_empty() {
        return Ok(());
    }
    let pending: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE w.account_id = $1 AND d.state = 'pending'",
    )
    .bind(account_id)
    .fetch_one(&mut **tx)
    .await?;
    for (n, d) in owed.iter().enumerate() {
        if pending + n as i64 >= MAX_PENDING_PER_ACCOUNT {
            tracing::warn!(webhook = %d.webhook_id, event = d.event.as_str(), "webhook queue full: delivery dropped");
            continue;
        }
        sqlx::query(
            "INSERT INTO webhook_deliveries (id, webhook_id, event, export_id, body, created_at, state, next_at) VALUES ($1, $2, $3, $4, $5, $6, 'pending', $6)",
        )
        .bind(&d.id)
        .bind(&d.webhook_id)
        .bind(d.event.as_str())
        .bind(&d.export_id)
        .bind(&d.body)
        .bind(ms(now))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// How an attempt went.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub status: Option<i64>,
    pub error: Option<String>,
    pub at: Timestamp,
    /// Delivered, failed for good, or to try again at this time.
    pub outcome: Outcome,
}

#[derive(Debug, Clone, Copy)]
pub enum Outcome {
    Delivered,
    RetryAt(Timestamp),
    GaveUp,
}

/// Pending deliveries an account may have at most: past it, new events are dropped
/// (and logged) rather than grow the queue without bound behind a dead receiver.
pub const MAX_PENDING_PER_ACCOUNT: i64 = 10_000;

fn events_of(text: &str) -> Result<Vec<WebhookEvent>> {
    text.split(',')
        .filter(|e| !e.is_empty())
        .map(|e| WebhookEvent::parse(e).ok_or_else(|| StoreError::Corrupt(format!("webhook event {e:?}"))))
        .collect()
}

fn webhook_of(r: &AnyRow) -> Result<StoredWebhook> {
    Ok(StoredWebhook {
        info: WebhookInfo {
            id: r.try_get("id")?,
            url: r.try_get("url")?,
            events: events_of(&r.try_get::<String, _>("events")?)?,
            created_at: from_ms(r.try_get("created_at")?),
        },
        account_id: r.try_get("account_id")?,
        secret: r.try_get("secret")?,
    })
}

impl Store {
    pub async fn create_webhook(&self, account_id: i64, info: &WebhookInfo, secret: &str) -> Result<()> {
        let events: Vec<&str> = info.events.iter().map(|e| e.as_str()).collect();
        sqlx::query("INSERT INTO webhooks (id, account_id, url, events, secret, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&info.id)
            .bind(account_id)
            .bind(&info.url)
            .bind(events.join(","))
            .bind(secret)
            .bind(ms(info.created_at))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The account's webhooks, oldest first.
    pub async fn webhooks(&self, account_id: i64) -> Result<Vec<StoredWebhook>> {
        let rows = sqlx::query(
            "SELECT id, account_id, url, events, secret, created_at FROM webhooks WHERE account_id = $1 ORDER BY created_at, id",
        )
        .bind(account_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(webhook_of).collect()
    }

    /// Deletes the account's webhook and its deliveries; false when it has none such.
    pub async fn delete_webhook(&self, account_id: i64, id: &str) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let r = sqlx::query("DELETE FROM webhooks WHERE account_id = $1 AND id = $2").bind(account_id).bind(id).execute(&mut *tx).await?;
        if r.rows_affected() == 1 {
            sqlx::query("DELETE FROM webhook_deliveries WHERE webhook_id = $1").bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(r.rows_affected() == 1)
    }

    /// Enqueues the deliveries an event owes the account's webhooks (those past the
    /// account's queue bound are dropped and logged).
    pub async fn enqueue(&self, account_id: i64, owed: &[Owed], now: Timestamp) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        push(&mut tx, account_id, owed, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Claims up to `limit` due deliveries until `lease_until`: each the first pending one
    /// of its export (or of no export) to its webhook.
    pub async fn claim_deliveries(&self, now: Timestamp, lease_until: Timestamp, limit: i64) -> Result<Vec<DueDelivery>> {
        let rows = sqlx::query(
            "SELECT d.seq, d.id, d.body, d.attempts, d.created_at, w.url, w.secret FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
             WHERE d.state = 'pending' AND d.next_at <= $1 AND (d.lease_until IS NULL OR d.lease_until <= $1) \
             AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.webhook_id = d.webhook_id AND e.state = 'pending' \
                 AND e.seq < d.seq AND e.export_id IS NOT NULL AND e.export_id = d.export_id) \
             ORDER BY d.seq LIMIT $2",
        )
        .bind(ms(now))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut claimed = Vec::with_capacity(rows.len());
        for r in rows {
            let seq: i64 = r.try_get("seq")?;
            // Another process may have claimed it meanwhile: only one claim succeeds.
            let took = sqlx::query(
                "UPDATE webhook_deliveries SET lease_until = $1 WHERE seq = $2 AND state = 'pending' AND (lease_until IS NULL OR lease_until <= $3)",
            )
            .bind(ms(lease_until))
            .bind(seq)
            .bind(ms(now))
            .execute(&self.pool)
            .await?;
            if took.rows_affected() == 1 {
                claimed.push(DueDelivery {
                    id: r.try_get("id")?,
                    url: r.try_get("url")?,
                    secret: r.try_get("secret")?,
                    body: r.try_get("body")?,
                    attempts: r.try_get("attempts")?,
                    created_at: from_ms(r.try_get("created_at")?),
                });
            }
        }
        Ok(claimed)
    }

    pub async fn record_attempt(&self, delivery_id: &str, attempt: &Attempt) -> Result<()> {
        let (state, next) = match attempt.outcome {
            Outcome::Delivered => (DeliveryState::Delivered, attempt.at),
            Outcome::RetryAt(next) => (DeliveryState::Pending, next),
            Outcome::GaveUp => (DeliveryState::Failed, attempt.at),
        };
        sqlx::query(
            "UPDATE webhook_deliveries SET state = $1, attempts = attempts + 1, next_at = $2, last_status = $3, last_error = $4, last_at = $5, lease_until = NULL WHERE id = $6",
        )
        .bind(state.as_str())
        .bind(ms(next))
        .bind(attempt.status)
        .bind(attempt.error.as_deref())
        .bind(ms(attempt.at))
        .bind(delivery_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The webhook's latest deliveries, newest first (at most `limit`).
    pub async fn deliveries(&self, webhook_id: &str, limit: i64) -> Result<Vec<DeliveryInfo>> {
        let rows = sqlx::query(
            "SELECT id, event, export_id, created_at, state, attempts, last_status, last_error, last_at, next_at FROM webhook_deliveries \
             WHERE webhook_id = $1 ORDER BY seq DESC LIMIT $2",
        )
        .bind(webhook_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let event: String = r.try_get("event")?;
                let state: String = r.try_get("state")?;
                let state = DeliveryState::parse(&state).ok_or_else(|| StoreError::Corrupt(format!("delivery state {state:?}")))?;
                Ok(DeliveryInfo {
                    id: r.try_get("id")?,
                    event: WebhookEvent::parse(&event).ok_or_else(|| StoreError::Corrupt(format!("webhook event {event:?}")))?,
                    export_id: r.try_get("export_id")?,
                    created_at: from_ms(r.try_get("created_at")?),
                    state,
                    attempts: r.try_get("attempts")?,
                    last_status: r.try_get("last_status")?,
                    last_error: r.try_get("last_error")?,
                    last_attempt_at: r.try_get::<Option<i64>, _>("last_at")?.map(from_ms),
                    next_attempt_at: (state == DeliveryState::Pending).then(|| r.try_get::<i64, _>("next_at").map(from_ms)).transpose()?,
                })
            })
            .collect()
    }

    /// Ready exports, not held, that expire before `before` and whose expiry is not
    /// yet announced: their ids and accounts.
    pub async fn expiring_unannounced(&self, before: Timestamp, now: Timestamp) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query(
            "SELECT id, account_id FROM exports WHERE status = 'ready' AND expiry_announced IS NULL AND expires_at <= $2 AND expires_at > $1 AND held = 0",
        )
        .bind(ms(now))
        .bind(ms(before))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("account_id")?))).collect()
    }

    /// Marks the export's expiry announced and enqueues what that owes, in one
    /// transaction; false when another process announced it first.
    pub async fn announce_expiry(&self, id: &str, tidings: Tidings<'_>, now: Timestamp) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let r = sqlx::query("UPDATE exports SET expiry_announced = $1 WHERE id = $2 AND expiry_announced IS NULL AND status = 'ready'")
            .bind(ms(now))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        commit_owing(tx, r.rows_affected() == 1, id, tidings, now).await
    }
}
