//! Creating an export: its range is fixed now (a number of days up to now, or since the
//! account's latest export of the assistant ended), its filters are checked, and the
//! account's oldest exports not held beyond the limit go in the same transaction. The
//! preview says what a create would do.

use super::{Catalog, CatalogError, Result};
use crate::store::{AccountRef, AssistantRow, Chosen, Evicted, ExportRow, NewExport, NotCreated, PeriodClaim, Scope};
use convo_model::api::{ExportPreview, Renderer, SinceLast};
use convo_model::{Channel, Days, ExportFilters, Format, PreviousExport, Redaction, TimeRange, TimeZone, Timestamp, export_filename};

/// A new export and what was deleted to make room for it.
#[derive(Debug, Clone)]
pub struct Created {
    pub export: ExportRow,
    pub evicted: Vec<Evicted>,
}

pub use convo_model::api::Span;

/// What a create asks for.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub assistant_id: String,
    pub span: Span,
    pub filters: ExportFilters,
    /// What the file masks (nothing by default).
    pub redaction: Redaction,
    /// The file's format (the page by default).
    pub format: Format,
    /// The zone the file shows its times in (UTC by default).
    pub time_zone: Option<TimeZone>,
    pub renderer: Renderer,
}

/// A range and what it continues, decided before anything is written.
pub(super) struct Plan {
    pub range: TimeRange,
    pub previous: Option<PreviousExport>,
    pub filters: ExportFilters,
    pub redaction: Redaction,
    pub format: Format,
    pub time_zone: Option<TimeZone>,
}

/// Whole days a range spans, rounded up (at least 1): what the catalog row says.
fn span_days(range: TimeRange) -> i64 {
    let ms = (range.to - range.from).num_milliseconds().max(1);
    ((ms + 86_399_999) / 86_400_000).max(1)
}

impl Catalog {
    /// The assistant, if the account may see it.
    pub async fn assistant(&self, account: &AccountRef, assistant_id: &str) -> Result<AssistantRow> {
        self.store.assistant_for(account.id, assistant_id).await?.ok_or(CatalogError::NoSuchAssistant)
    }

    /// Filters with blank fields dropped, each channel one the product knows or one this
    /// assistant's conversations came through.
    pub(super) async fn checked_filters(&self, assistant: &AssistantRow, filters: ExportFilters) -> Result<ExportFilters> {
        let filters = filters.normalized().map_err(CatalogError::BadInput)?;
        if filters.channels.iter().any(|c| matches!(c, Channel::Other(_))) {
            let seen = self.store.channels_of(assistant.pk).await?;
            if let Some(unknown) = filters.channels.iter().find(|c| matches!(c, Channel::Other(_)) && !seen.contains(c)) {
                let known: Vec<String> = Channel::known()
                    .chain(seen.into_iter().filter(|c| matches!(c, Channel::Other(_))))
                    .map(|c| c.label().to_string())
                    .collect();
                return Err(CatalogError::BadInput(format!("unknown channel {:?}: use one of {}", unknown.label(), known.join(", "))));
            }
        }
        Ok(filters)
    }

    /// The range of a new export of `assistant` at `now`, and the export it continues.
    async fn plan(
        &self,
        account: &AccountRef,
        assistant: &AssistantRow,
        span: Span,
        filters: ExportFilters,
        now: Timestamp,
    ) -> Result<Plan> {
        let filters = self.checked_filters(assistant, filters).await?;
        let chosen = self.checked_selection(assistant, &filters).await?;
        let plan = match span {
            Span::Days(days) => Plan {
                range: TimeRange { from: now - days.duration(), to: now },
                previous: None,
                filters,
                redaction: Redaction::default(),
                format: Format::Html,
                time_zone: None,
            },
            Span::Chosen => {
                let from = chosen.iter().map(|c| c.started_at).min().ok_or_else(|| {
                    CatalogError::BadInput("send days (a whole number from 1 to 365), since_last: true, or conversation_ids".into())
                })?;
                Plan {
                    range: TimeRange { from, to: now.max(from) },
                    previous: None,
                    filters,
                    redaction: Redaction::default(),
                    format: Format::Html,
                    time_zone: None,
                }
            }
            Span::SinceLast => {
                let since = self.since_last(account, assistant, now).await?.ok_or_else(|| {
                    CatalogError::BadInput(format!(
                        "there is no earlier export of {} to continue from: choose a number of days for the first one",
                        assistant.id
                    ))
                })?;
                if since.days > i64::from(Days::MAX) {
                    return Err(CatalogError::BadInput(format!(
                        "the last export of {} ended {} days ago, and an export covers at most 365 days: choose a number of days",
                        assistant.id, since.days
                    )));
                }
                Plan {
                    range: since.range,
                    previous: Some(since.previous),
                    filters,
                    redaction: Redaction::default(),
                    format: Format::Html,
                    time_zone: None,
                }
            }
        };
        if let Some(outside) = chosen.iter().find(|c| !plan.range.contains(c.started_at)) {
            return Err(CatalogError::BadInput(format!(
                "conversation {:?} started at {}, outside the export's range ({} to {}): leave days and since_last out to export the selection whatever its dates",
                outside.id,
                outside.started_at.to_rfc3339(),
                plan.range.from.to_rfc3339(),
                plan.range.to.to_rfc3339()
            )));
        }
        Ok(plan)
    }

    /// The chosen conversations of a selection, each one of the assistant's completed
    /// conversations, or a message that names the first that is not.
    async fn checked_selection(&self, assistant: &AssistantRow, filters: &ExportFilters) -> Result<Vec<Chosen>> {
        let found = self.store.chosen(assistant.pk, &filters.conversations).await?;
        if found.len() < filters.conversations.len() {
            let known: std::collections::HashSet<&str> = found.iter().map(|c| c.id.as_str()).collect();
            if let Some(missing) = filters.conversations.iter().find(|id| !known.contains(id.as_str())) {
                return Err(CatalogError::BadInput(format!("conversation_ids: {missing:?} is not a conversation of {}", assistant.id)));
            }
        }
        if let Some(active) = found.iter().find(|c| !c.completed) {
            return Err(CatalogError::BadInput(format!(
                "conversation_ids: {:?} is still active: only completed conversations are exported",
                active.id
            )));
        }
        Ok(found)
    }

    /// Where a since-last export of `assistant` would start, if there is an export to
    /// continue.
    async fn since_last(&self, account: &AccountRef, assistant: &AssistantRow, now: Timestamp) -> Result<Option<SinceLast>> {
        let Some((previous, last)) = self.store.latest_in_chain(account.id, assistant.pk).await? else { return Ok(None) };
        let from = last.next_start();
        let range = TimeRange { from, to: now.max(from) };
        Ok(Some(SinceLast { previous, range, days: span_days(range) }))
    }

    /// Creates a catalog entry; the caller starts the renderer (the browser that asked,
    /// or a server job).
    pub async fn create(&self, account: &AccountRef, request: ExportRequest) -> Result<Created> {
        let assistant = self.assistant(account, &request.assistant_id).await?;
        let now = self.clock.now();
        let mut plan = self.plan(account, &assistant, request.span, request.filters, now).await?;
        plan.redaction = request.redaction.normalized().map_err(|e| CatalogError::BadInput(format!("redact: {e}")))?;
        plan.format = request.format;
        plan.time_zone = request.time_zone;
        // A list of names never leaves the server: such an export is the server's to
        // render (a tab would need the names).
        let renderer = if plan.redaction.names.is_empty() { request.renderer } else { Renderer::Server };
        match self.create_planned(account.id, &account.email, &assistant, plan, renderer, None).await? {
            Ok(created) => Ok(created),
            Err(NotCreated::PeriodTaken) => Err(CatalogError::Internal(anyhow::anyhow!("a create without a period was refused as taken"))),
        }
    }

    /// Writes a planned export (and, for a schedule, its claim on the period).
    pub(super) async fn create_planned(
        &self,
        account_id: i64,
        actor: &str,
        assistant: &AssistantRow,
        plan: Plan,
        renderer: Renderer,
        claim: Option<PeriodClaim<'_>>,
    ) -> Result<std::result::Result<Created, NotCreated>> {
        let now = self.clock.now();
        let totals = self.store.totals(Scope { assistant, range: plan.range, filters: &plan.filters }).await?;
        let id = crate::auth::new_export_id();
        let filename = export_filename(&assistant.id, now, plan.format);
        let created = self
            .store
            .create_export(NewExport {
                id: &id,
                account_id,
                actor,
                assistant,
                filename: &filename,
                format: plan.format,
                days: span_days(plan.range),
                range: plan.range,
                now,
                expires_at: now + self.settings.retention,
                renderer,
                max_exports: self.settings.max_exports,
                totals,
                filters: &plan.filters,
                redaction: &plan.redaction,
                previous: plan.previous.as_ref(),
                time_zone: plan.time_zone,
                claim,
            })
            .await?;
        let Ok((export, evicted)) = created else { return Ok(Err(NotCreated::PeriodTaken)) };
        for gone in &evicted {
            self.files.delete_export(&gone.id).await?;
        }
        Ok(Ok(Created { export, evicted }))
    }

    /// What an export would include, which export it would evict, and where a since-last
    /// export would start; with a redaction, how many matches it would mask.
    pub async fn preview(
        &self,
        account: &AccountRef,
        assistant_id: &str,
        span: Span,
        filters: ExportFilters,
        redaction: Redaction,
    ) -> Result<ExportPreview> {
        let assistant = self.assistant(account, assistant_id).await?;
        let now = self.clock.now();
        let plan = self.plan(account, &assistant, span, filters, now).await?;
        let redaction = redaction.normalized().map_err(|e| CatalogError::BadInput(format!("redact: {e}")))?;
        let scope = Scope { assistant: &assistant, range: plan.range, filters: &plan.filters };
        let totals = self.store.totals(scope).await?;
        let redacted = if redaction.is_empty() { None } else { Some(self.redaction_preview(scope, &redaction).await?) };
        let evicts = self.store.next_eviction(account.id, now, self.settings.max_exports).await?;
        let since_last = self.since_last(account, &assistant, now).await?;
        Ok(ExportPreview { range: plan.range, totals, evicts, since_last, redacted, limits: self.limits() })
    }
}
