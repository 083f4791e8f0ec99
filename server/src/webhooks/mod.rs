//! Webhooks: an account's URLs told of its exports (`export.ready`, `export.failed`,
//! `export.expiring`, `schedule.ran`). Telling is a row per webhook in the same database,
//! written in the transaction of the change it tells of (`Notice`), never a request: a
//! receiver that hangs or refuses cannot slow a request or a render. Deliveries are sent by a worker of their own (`deliver.rs`), signed,
//! retried with backoff for a day, in order per export. Targets are checked by
//! `address.rs`.

pub mod address;
mod deliver;

use crate::clock::Clock;
use crate::settings::Settings;
use crate::store::webhooks::Owed;
use crate::store::{ExportRow, Store};
use address::Reach;
use convo_model::api::{CreatedWebhook, Delivery, DeliveryInfo, WebhookEvent, WebhookInfo};
use std::sync::Arc;

/// Webhooks an account may have at most.
pub const MAX_WEBHOOKS: usize = 10;
/// Deliveries listed per webhook, newest first.
const LISTED_DELIVERIES: i64 = 100;

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("{0}")]
    BadInput(String),
    #[error("no such webhook")]
    NoSuchWebhook,
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

impl From<crate::store::StoreError> for WebhookError {
    fn from(e: crate::store::StoreError) -> Self {
        WebhookError::Internal(e.into())
    }
}

#[derive(Clone)]
pub struct Webhooks {
    store: Store,
    clock: Clock,
    settings: Arc<Settings>,
}

impl Webhooks {
    pub fn new(store: Store, clock: Clock, settings: Arc<Settings>) -> Webhooks {
        Webhooks { store, clock, settings }
    }

    fn reach(&self) -> Reach {
        if self.settings.allow_private_webhooks { Reach::AnyAddress } else { Reach::PublicOnly }
    }

    pub async fn create(&self, account_id: i64, url: &str, events: &[WebhookEvent]) -> Result<CreatedWebhook, WebhookError> {
        let target = address::resolve(url, self.reach()).await.map_err(WebhookError::BadInput)?;
        if events.is_empty() {
            return Err(WebhookError::BadInput(
                "events: at least one of export.ready, export.failed, export.expiring, schedule.ran".into(),
            ));
        }
        let mut unique: Vec<WebhookEvent> = Vec::new();
        for e in events {
            if !unique.contains(e) {
                unique.push(*e);
            }
        }
        if self.store.webhooks(account_id).await?.len() >= MAX_WEBHOOKS {
            return Err(WebhookError::BadInput(format!("at most {MAX_WEBHOOKS} webhooks per account: delete one first")));
        }
        let info = WebhookInfo {
            id: format!("wh_{}", &crate::auth::new_export_id()[..16]),
            url: target.url.to_string(),
            events: unique,
            created_at: self.clock.now(),
        };
        let secret = crate::auth::new_token("whsec_");
        self.store.create_webhook(account_id, &info, &secret).await?;
        Ok(CreatedWebhook { id: info.id, url: info.url, events: info.events, secret })
    }

    pub async fn list(&self, account_id: i64) -> Result<Vec<WebhookInfo>, WebhookError> {
        Ok(self.store.webhooks(account_id).await?.into_iter().map(|w| w.info).collect())
    }

    pub async fn delete(&self, account_id: i64, id: &str) -> Result<(), WebhookError> {
        if !self.store.delete_webhook(account_id, id).await? {
            return Err(WebhookError::NoSuchWebhook);
        }
        Ok(())
    }

    /// The account's webhook's latest deliveries, each with its attempts.
    pub async fn deliveries(&self, account_id: i64, id: &str) -> Result<Vec<DeliveryInfo>, WebhookError> {
        if !self.store.webhooks(account_id).await?.iter().any(|w| w.info.id == id) {
            return Err(WebhookError::NoSuchWebhook);
        }
        Ok(self.store.deliveries(id, LISTED_DELIVERIES).await?)
    }

    /// What `event` owes the account's webhooks that listen for it: build it before the
    /// change, hand `Notice::owed` to the store's change, which writes the deliveries in
    /// its own transaction.
    pub async fn notice(&self, event: WebhookEvent, account_id: i64) -> crate::store::Result<Notice> {
        let hooks =
            self.store.webhooks(account_id).await?.into_iter().filter(|h| h.info.events.contains(&event)).map(|h| h.info.id).collect();
        Ok(Notice { event, hooks, public_url: self.settings.public_url.clone(), at: self.clock.now() })
    }

    /// Tells the export's account's webhooks of `event` now, apart from any change.
    pub async fn notify(&self, event: WebhookEvent, export: &ExportRow) -> crate::store::Result<()> {
        let notice = self.notice(event, export.account_id).await?;
        self.store.enqueue(export.account_id, &notice.owed(export), self.clock.now()).await
    }
}

/// An event for the webhooks that listen for it.
pub struct Notice {
    event: WebhookEvent,
    hooks: Vec<String>,
    public_url: Option<String>,
    at: convo_model::Timestamp,
}

impl Notice {
    /// A delivery for each webhook: the export's catalog fields only, never its content;
    /// its addresses absolute when the server knows its public URL.
    pub fn owed(&self, export: &ExportRow) -> Vec<Owed> {
        let mut info = export.info();
        if let Some(base) = &self.public_url {
            let base = base.trim_end_matches('/');
            info.content_url = format!("{base}{}", info.content_url);
            info.open_url = format!("{base}{}", info.open_url);
        }
        let mut owed = Vec::with_capacity(self.hooks.len());
        for hook in &self.hooks {
            let id = format!("dlv_{}", crate::auth::new_export_id());
            let body = Delivery { id: id.clone(), event: self.event, at: self.at, export: info.clone() };
            match serde_json::to_string(&body) {
                Ok(body) => owed.push(Owed { id, webhook_id: hook.clone(), event: self.event, export_id: export.id.clone(), body }),
                Err(e) => tracing::error!(webhook = %hook, "webhook body: {e}"),
            }
        }
        owed
    }
}
