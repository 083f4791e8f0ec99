//! Pages of conversations. An export's pages: the conversations its file holds, in file order, page after page
//! from a cursor. The one function the browser (over `GET /api/exports/{id}/pages`) and
//! the server's own renders (exports and the checks of uploads) read an export through,
//! so "the browser and the server render the same pages" rests on this, not on two
//! codecs of the range and filters.
//!
//! Pages are bounded by bytes and messages, not by a number of conversations: a page
//! costs a request (the browser's own milliseconds, a query), so short conversations
//! must not make many small pages. At 200 conversations a page, 90,000 conversations of
//! 20 messages were 450 requests and 19 s of a browser's 37 s spent waiting for them
//! (measured from outside, issue 15); bounded by 4 MiB they are a tenth as many.

use super::{Catalog, CatalogError, Result};
use crate::store::{AccountRef, AssistantRow, Cursor, ExportRow, Page, PageLimits, Scope, StoredConversation};
use convo_model::api::Totals;
use convo_model::{ExportFilters, TimeRange, Timestamp};

/// How big an export's page gets: the byte bound decides for every shape of data but
/// conversations with one huge message each (the conversation cap) or tiny ones (the
/// message cap), and keeps a page's render in the browser within a frame or two.
pub const EXPORT_PAGE: PageLimits = PageLimits { conversations: 5_000, messages: 20_000, bytes: 4 << 20 };

impl Catalog {
    /// A page of the account's export, from `cursor` (as the previous page gave it), of
    /// at most about `messages` messages when given (a browser asks for small first
    /// pages while its WASM is still being optimised; the bytes shrink in proportion).
    pub async fn export_page(
        &self,
        account: &AccountRef,
        id: &str,
        cursor: Option<&str>,
        messages: Option<i64>,
    ) -> Result<Page<StoredConversation>> {
        let export = self.readable(account, id).await?;
        let cursor = cursor_of(cursor)?;
        let mut limits = self.export_limits();
        // Asking for more than the server's own page gets the server's page: the client
        // need not know the server's size.
        if let Some(messages) = messages {
            if messages < 1 {
                return Err(CatalogError::BadInput("messages must be at least 1".into()));
            }
            limits = scaled(limits, messages);
        }
        self.page_of(&export, cursor, limits).await
    }

    /// The account's export whose conversations it may still read: a grant revoked since
    /// the export was made ends its pages at once.
    pub(super) async fn readable(&self, account: &AccountRef, id: &str) -> Result<ExportRow> {
        let export = self.get(account, id).await?;
        if self.store.assistant_for(account.id, &export.assistant_id).await?.is_none() {
            return Err(CatalogError::NoSuchAssistant);
        }
        Ok(export)
    }

    /// A page of `export` from `cursor`: its range and filters, in file order.
    pub async fn pages_of(&self, export: &ExportRow, cursor: Option<Cursor>) -> Result<Page<StoredConversation>> {
        self.page_of(export, cursor, self.export_limits()).await
    }

    pub(super) fn export_limits(&self) -> PageLimits {
        self.settings.export_page.unwrap_or(EXPORT_PAGE)
    }

    pub(super) async fn page_of(&self, export: &ExportRow, cursor: Option<Cursor>, limits: PageLimits) -> Result<Page<StoredConversation>> {
        let assistant = AssistantRow { pk: export.assistant_pk, id: export.assistant_id.clone(), name: export.assistant_name.clone() };
        let scope = Scope { assistant: &assistant, range: export.range, filters: &export.filters };
        Ok(self.store.stored_page(scope, cursor, limits, false).await?)
    }
}

/// A page cursor as a client sent it back (`None`: from the start).
pub(super) fn cursor_of(raw: Option<&str>) -> Result<Option<Cursor>> {
    raw.map(|raw| Cursor::decode(raw).ok_or_else(|| CatalogError::BadInput("cursor is not one this server gave out".into()))).transpose()
}

/// `full` cut to about `messages` messages, its bytes in proportion.
pub(super) fn scaled(full: PageLimits, messages: i64) -> PageLimits {
    let messages = messages.clamp(1, full.messages.max(1));
    PageLimits { messages, bytes: (full.bytes * messages / full.messages.max(1)).max(64 << 10), ..full }
}

/// The order of a browsing page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// As exports read them (the default).
    OldestFirst,
    /// As the Conversations page lists them.
    NewestFirst,
}

/// A page of an assistant's completed conversations, as someone browsing asks for it.
pub struct Browse<'a> {
    pub assistant_id: &'a str,
    /// Default: 30 days before `to`.
    pub from: Option<Timestamp>,
    /// Default: now.
    pub to: Option<Timestamp>,
    pub cursor: Option<&'a str>,
    pub order: Order,
    /// At most this many conversations (1–500).
    pub limit: Option<i64>,
    /// About this many messages (1–5000); the page's byte bound grows in proportion.
    pub messages: Option<i64>,
    pub filters: ExportFilters,
}

/// A browsing page, with the range's totals on the first one.
pub struct Browsed {
    pub page: Page<StoredConversation>,
    pub totals: Option<Totals>,
}

impl Catalog {
    /// A page of an assistant the account may see: its range, order and limits checked.
    pub async fn browse(&self, account: &AccountRef, q: Browse<'_>) -> Result<Browsed> {
        let assistant = self.assistant(account, q.assistant_id).await?;
        let to = q.to.unwrap_or_else(|| self.clock.now());
        let from = q.from.unwrap_or(to - chrono::Duration::days(30));
        if from > to {
            return Err(CatalogError::BadInput("from must not be after to".into()));
        }
        let cursor = cursor_of(q.cursor)?;
        let filters = q.filters.normalized().map_err(CatalogError::BadInput)?;
        let scope = Scope { assistant: &assistant, range: TimeRange { from, to }, filters: &filters };
        let mut limits = self.settings.page;
        if let Some(limit) = q.limit {
            if !(1..=500).contains(&limit) {
                return Err(CatalogError::BadInput("limit must be from 1 to 500".into()));
            }
            limits.conversations = limits.conversations.min(limit);
        }
        if let Some(messages) = q.messages {
            if !(1..=5000).contains(&messages) {
                return Err(CatalogError::BadInput("messages must be from 1 to 5000".into()));
            }
            limits.bytes = limits.bytes * messages / limits.messages.max(1);
            limits.messages = messages;
        }
        let totals = match cursor {
            None => Some(self.store.totals(scope).await?),
            Some(_) => None,
        };
        let page = self.store.stored_page(scope, cursor, limits, q.order == Order::NewestFirst).await?;
        Ok(Browsed { page, totals })
    }
}
