//! Schedules: an account's standing order to export an assistant's previous complete
//! week, month or quarter of a time zone, rendered by the server. Each period is claimed
//! in the transaction that creates its export, so it is exported once whatever the
//! number of processes; periods missed while no server ran are caught up, oldest first,
//! one at a time per schedule (so that each can continue the one before).

use super::create::Plan;
use super::periods::{self, Period};
use super::{Catalog, CatalogError, Created, Result};
use crate::store::{AccountRef, ExportRow, NewSchedule, NotCreated, PeriodClaim, ScheduleRow};
use convo_model::api::{AssistantRef, AuditAction, CreateScheduleRequest, Renderer, ScheduleInfo};
use convo_model::{PreviousExport, TimeRange, TimeZone};

/// Schedules an account may have.
pub const MAX_SCHEDULES: usize = 20;

/// What running a schedule now did.
pub enum Ran {
    /// A new export of the period, for the caller to render.
    Created(Created),
    /// The period's export, made before and still there.
    Existing(ExportRow),
}

impl Catalog {
    /// A schedule as the API shows it, with its next run.
    pub fn schedule_info(&self, row: &ScheduleRow) -> ScheduleInfo {
        let next_run = match (row.paused, periods::time_zone(&row.time_zone)) {
            (false, Ok(tz)) => Some(periods::containing(row.every, tz, self.clock.now()).end),
            _ => None,
        };
        ScheduleInfo {
            id: row.id.clone(),
            assistant: AssistantRef { id: row.assistant.id.clone(), name: row.assistant.name.clone() },
            every: row.every,
            time_zone: row.time_zone.clone(),
            // As the files state them: a redacted contact filter is masked here too.
            filters: convo_render::stated_filters(&row.filters, &row.redaction),
            redaction: (!row.redaction.is_empty()).then(|| row.redaction.stated()),
            format: row.format,
            paused: row.paused,
            created_at: row.created_at,
            next_run,
            last_period: row.last_period,
        }
    }

    pub async fn create_schedule(&self, account: &AccountRef, request: CreateScheduleRequest) -> Result<ScheduleRow> {
        let assistant = self.assistant(account, &request.assistant_id).await?;
        let tz = periods::time_zone(&request.time_zone).map_err(CatalogError::BadInput)?;
        let filters = self.checked_filters(&assistant, request.filters).await?;
        if filters.is_selection() {
            return Err(CatalogError::BadInput(
                "a schedule exports each period's conversations: conversation_ids are for one export, not a schedule".into(),
            ));
        }
        let id = format!("sch_{}", &crate::auth::new_export_id()[..16]);
        let time_zone = tz.name().to_string();
        let redaction = request.redact.normalized().map_err(|e| CatalogError::BadInput(format!("redact: {e}")))?;
        let new = NewSchedule {
            id: &id,
            account_id: account.id,
            assistant_pk: assistant.pk,
            every: request.every,
            time_zone: &time_zone,
            filters: &filters,
            redaction: &redaction,
            format: request.format,
            now: self.clock.now(),
        };
        // The cap is checked in the transaction that inserts, under the account's lock.
        if !self.store.create_schedule(new, MAX_SCHEDULES as i64).await? {
            return Err(CatalogError::Conflict(format!("an account may have at most {MAX_SCHEDULES} schedules: delete one first")));
        }
        self.schedule(account, &id).await
    }

    pub async fn schedules(&self, account: &AccountRef) -> Result<Vec<ScheduleRow>> {
        Ok(self.store.schedules_for(account.id).await?)
    }

    pub async fn schedule(&self, account: &AccountRef, id: &str) -> Result<ScheduleRow> {
        self.store.schedule_for(account.id, id).await?.ok_or(CatalogError::NoSuchSchedule)
    }

    pub async fn delete_schedule(&self, account: &AccountRef, id: &str) -> Result<()> {
        if !self.store.delete_schedule(account.id, id).await? {
            return Err(CatalogError::NoSuchSchedule);
        }
        Ok(())
    }

    /// Pauses or resumes; a resumed schedule exports the periods that end from now on.
    pub async fn pause_schedule(&self, account: &AccountRef, id: &str, paused: bool) -> Result<ScheduleRow> {
        if !self.store.set_schedule_paused(account.id, id, paused, self.clock.now()).await? {
            return Err(CatalogError::NoSuchSchedule);
        }
        self.schedule(account, id).await
    }

    /// Exports the latest complete period now. When that period was exported already
    /// (by its schedule, or an earlier run) and its export still exists, the answer is
    /// that export: a retried run makes no second file of one period. When its export is
    /// gone, the period is exported again. The caller renders a new export.
    pub async fn run_schedule(&self, account: &AccountRef, id: &str) -> Result<(Period, Ran)> {
        let schedule = self.schedule(account, id).await?;
        let tz = periods::time_zone(&schedule.time_zone).map_err(CatalogError::BadInput)?;
        let period = periods::previous_complete(schedule.every, tz, self.clock.now());
        if let Some(created) = self.export_period(&schedule, period, &account.email, true).await? {
            return Ok((period, Ran::Created(created)));
        }
        let exported = self.store.period_export(&schedule.id, period.start).await?;
        if let Some(existing) = self.live_export(account, exported.as_deref()).await? {
            return Ok((period, Ran::Existing(existing)));
        }
        // Its export was deleted or expired: a new one, which the period's claim then
        // names; of two runs at once, one keeps its export and the other answers it.
        let created = self
            .export_period(&schedule, period, &account.email, false)
            .await?
            .ok_or_else(|| anyhow::anyhow!("an unclaimed run was refused"))?;
        let old = exported.unwrap_or_default();
        if self.store.repoint_period(&schedule.id, period.start, &old, &created.export.id).await? {
            return Ok((period, Ran::Created(created)));
        }
        self.delete(account, &created.export.id).await?;
        let exported = self.store.period_export(&schedule.id, period.start).await?;
        let existing = self.live_export(account, exported.as_deref()).await?.ok_or(CatalogError::NoSuchExport)?;
        Ok((period, Ran::Existing(existing)))
    }

    async fn live_export(&self, account: &AccountRef, id: Option<&str>) -> Result<Option<ExportRow>> {
        let Some(id) = id else { return Ok(None) };
        match self.get(account, id).await {
            Ok(export) => Ok(Some(export)),
            Err(CatalogError::NoSuchExport) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The exports schedules owe now: for each schedule not paused, its oldest complete
    /// period not yet exported, if the one before is no longer rendering. The caller
    /// renders them.
    pub async fn run_due_schedules(&self) -> Result<Vec<Created>> {
        let now = self.clock.now();
        let mut created = Vec::new();
        for schedule in self.store.active_schedules().await? {
            let Ok(tz) = periods::time_zone(&schedule.time_zone) else { continue };
            let due = periods::due(schedule.every, tz, schedule.active_from, now);
            if due.is_empty() {
                continue;
            }
            let (done, rendering) = self.store.schedule_runs(&schedule.id).await?;
            if rendering {
                continue;
            }
            let Some(period) = due.into_iter().find(|p| !done.contains(&p.start)) else { continue };
            match self.export_period(&schedule, period, "schedule", true).await {
                Ok(Some(c)) => created.push(c),
                Ok(None) => {}
                Err(e) => tracing::error!(schedule = %schedule.id, error = %e, "scheduled export failed"),
            }
        }
        Ok(created)
    }

    /// Creates the export of one period (claiming it when `claim`); `None` when another
    /// process claimed it first. It continues the account's latest export of the
    /// assistant when that one ends where the period starts.
    async fn export_period(&self, schedule: &ScheduleRow, period: Period, actor: &str, claim: bool) -> Result<Option<Created>> {
        // A grant revoked since the schedule was made ends its exports.
        if self.store.assistant_for(schedule.account_id, &schedule.assistant.id).await?.is_none() {
            return Err(CatalogError::NoSuchAssistant);
        }
        let range: TimeRange = period.range();
        let previous = match self.store.latest_in_chain(schedule.account_id, schedule.assistant.pk).await? {
            Some((previous, last)) if range.continues(&last) => Some(previous),
            _ => None::<PreviousExport>,
        };
        // A schedule's exports show their times in its own zone.
        let time_zone = periods::time_zone(&schedule.time_zone).ok().map(TimeZone::from);
        let plan = Plan {
            range,
            previous,
            filters: schedule.filters.clone(),
            redaction: schedule.redaction.clone(),
            format: schedule.format,
            time_zone,
        };
        let claim = claim.then_some(PeriodClaim { schedule_id: &schedule.id, period: range });
        let with_claim = claim.is_some();
        let created = match self.create_planned(schedule.account_id, actor, &schedule.assistant, plan, Renderer::Server, claim).await? {
            Ok(created) => created,
            Err(NotCreated::PeriodTaken) => return Ok(None),
        };
        // Without a claim the row has no schedule id yet: the manual re-run is still the
        // schedule's.
        if !with_claim {
            self.store.set_schedule_of(&created.export.id, &schedule.id).await?;
        }
        let tz = periods::time_zone(&schedule.time_zone).map_err(CatalogError::BadInput)?;
        let detail = format!(
            "{} {} to {} ({})",
            schedule.every,
            period.start.with_timezone(&tz).format("%Y-%m-%d"),
            range.to.with_timezone(&tz).format("%Y-%m-%d"),
            schedule.time_zone
        );
        let now = self.clock.now();
        self.store.audit(Some(schedule.account_id), &created.export.id, AuditAction::ScheduleRan, actor, Some(&detail), now).await?;
        let export = self.store.export_by_id(&created.export.id).await?.unwrap_or(created.export);
        self.webhooks.notify(convo_model::api::WebhookEvent::ScheduleRan, &export).await?;
        Ok(Some(Created { export, evicted: created.evicted }))
    }
}
