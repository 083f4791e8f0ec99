//! Schedules and the periods they ran. A period's run is claimed in the transaction that
//! creates its export (`exports::PeriodClaim`), under a unique key: each period is
//! exported once, whichever process gets there first.

use super::{AssistantRow, Result, Store, StoreError};
use crate::clock::{from_ms, ms};
use convo_model::api::Every;
use convo_model::{ExportFilters, Format, Redaction, TimeRange, Timestamp};
use sqlx::Row;
use sqlx::any::AnyRow;

/// A schedule with its assistant.
#[derive(Debug, Clone)]
pub struct ScheduleRow {
    pub id: String,
    pub account_id: i64,
    pub assistant: AssistantRow,
    pub every: Every,
    pub time_zone: String,
    pub filters: ExportFilters,
    /// What each of its exports masks.
    pub redaction: Redaction,
    /// The format of each of its exports.
    pub format: Format,
    pub paused: bool,
    /// Periods that end after this are exported.
    pub active_from: Timestamp,
    pub created_at: Timestamp,
    /// The latest period exported.
    pub last_period: Option<TimeRange>,
}

pub struct NewSchedule<'a> {
    pub id: &'a str,
    pub account_id: i64,
    pub assistant_pk: i64,
    pub every: Every,
    pub time_zone: &'a str,
    pub filters: &'a ExportFilters,
    pub redaction: &'a Redaction,
    pub format: Format,
    pub now: Timestamp,
}

const COLUMNS: &str = "s.id, s.account_id, s.every, s.time_zone, s.filters_json, s.redaction_json, s.format, s.paused, s.active_from, s.created_at, \
     a.id AS assistant_pk, a.public_id AS assistant_public_id, a.name AS assistant_name, \
     (SELECT MAX(r.period_from) FROM schedule_runs r WHERE r.schedule_id = s.id) AS last_from, \
     (SELECT MAX(r.period_to) FROM schedule_runs r WHERE r.schedule_id = s.id) AS last_to";

fn schedule_row(r: &AnyRow) -> Result<ScheduleRow> {
    let every: String = r.try_get("every")?;
    let filters = match r.try_get::<Option<String>, _>("filters_json")? {
        Some(json) => serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(format!("schedules.filters_json: {e}")))?,
        None => ExportFilters::default(),
    };
    let redaction = match r.try_get::<Option<String>, _>("redaction_json")? {
        Some(json) => serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(format!("schedules.redaction_json: {e}")))?,
        None => Redaction::default(),
    };
    let format: String = r.try_get("format")?;
    let last_period = match (r.try_get::<Option<i64>, _>("last_from")?, r.try_get::<Option<i64>, _>("last_to")?) {
        (Some(from), Some(to)) => Some(TimeRange { from: from_ms(from), to: from_ms(to) }),
        _ => None,
    };
    Ok(ScheduleRow {
        id: r.try_get("id")?,
        account_id: r.try_get("account_id")?,
        assistant: AssistantRow {
            pk: r.try_get("assistant_pk")?,
            id: r.try_get("assistant_public_id")?,
            name: r.try_get("assistant_name")?,
        },
        every: Every::parse(&every).ok_or_else(|| StoreError::Corrupt(format!("schedules.every = {every:?}")))?,
        time_zone: r.try_get("time_zone")?,
        filters,
        redaction,
        format: format.parse().map_err(|_| StoreError::Corrupt(format!("schedules.format = {format:?}")))?,
        paused: r.try_get::<i64, _>("paused")? != 0,
        active_from: from_ms(r.try_get("active_from")?),
        created_at: from_ms(r.try_get("created_at")?),
        last_period,
    })
}

impl Store {
    /// Creates a schedule unless the account has `max` already (false then): counted
    /// under the account's lock, so concurrent creates cannot pass it.
    pub async fn create_schedule(&self, new: NewSchedule<'_>, max: i64) -> Result<bool> {
        let filters = (!new.filters.is_empty())
            .then(|| serde_json::to_string(new.filters))
            .transpose()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let redaction = (!new.redaction.is_empty())
            .then(|| serde_json::to_string(new.redaction))
            .transpose()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut tx = self.pool.begin().await?;
        // The write first: it takes the account's lock (row lock; SQLite's write lock).
        sqlx::query("UPDATE accounts SET export_seq = export_seq WHERE id = $1").bind(new.account_id).execute(&mut *tx).await?;
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM schedules WHERE account_id = $1").bind(new.account_id).fetch_one(&mut *tx).await?;
        if count >= max {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO schedules (id, account_id, assistant_id, every, time_zone, filters_json, redaction_json, format, paused, active_from, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $9)",
        )
        .bind(new.id)
        .bind(new.account_id)
        .bind(new.assistant_pk)
        .bind(new.every.as_str())
        .bind(new.time_zone)
        .bind(filters)
        .bind(redaction)
        .bind(new.format.as_str())
        .bind(ms(new.now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The export that a schedule's period was claimed with, if it was.
    pub async fn period_export(&self, schedule_id: &str, period_from: Timestamp) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT export_id FROM schedule_runs WHERE schedule_id = $1 AND period_from = $2")
            .bind(schedule_id)
            .bind(ms(period_from))
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Makes a period's claim name `new` instead of `old` (an export that is gone); false
    /// when another run did so first.
    pub async fn repoint_period(&self, schedule_id: &str, period_from: Timestamp, old: &str, new: &str) -> Result<bool> {
        let r = sqlx::query("UPDATE schedule_runs SET export_id = $1 WHERE schedule_id = $2 AND period_from = $3 AND export_id = $4")
            .bind(new)
            .bind(schedule_id)
            .bind(ms(period_from))
            .bind(old)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// The account's schedules, oldest first.
    pub async fn schedules_for(&self, account_id: i64) -> Result<Vec<ScheduleRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM schedules s JOIN assistants a ON a.id = s.assistant_id WHERE s.account_id = $1 ORDER BY s.created_at, s.id"
        );
        let rows = sqlx::query(&sql).bind(account_id).fetch_all(&self.pool).await?;
        rows.iter().map(schedule_row).collect()
    }

    /// The account's schedule; another account's does not exist.
    pub async fn schedule_for(&self, account_id: i64, id: &str) -> Result<Option<ScheduleRow>> {
        let sql =
            format!("SELECT {COLUMNS} FROM schedules s JOIN assistants a ON a.id = s.assistant_id WHERE s.account_id = $1 AND s.id = $2");
        let row = sqlx::query(&sql).bind(account_id).bind(id).fetch_optional(&self.pool).await?;
        row.map(|r| schedule_row(&r)).transpose()
    }

    /// Every schedule that is not paused.
    /// Schedules not paused whose account is enabled and still sees the assistant.
    pub async fn active_schedules(&self) -> Result<Vec<ScheduleRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM schedules s JOIN assistants a ON a.id = s.assistant_id JOIN accounts o ON o.id = s.account_id \
             WHERE s.paused = 0 AND o.disabled_at IS NULL \
             AND EXISTS (SELECT 1 FROM account_assistants g WHERE g.account_id = s.account_id AND g.assistant_id = s.assistant_id) \
             ORDER BY s.created_at, s.id"
        );
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        rows.iter().map(schedule_row).collect()
    }

    /// The periods of a schedule exported so far (their starts), and whether any of their
    /// exports is still being rendered.
    pub async fn schedule_runs(&self, schedule_id: &str) -> Result<(Vec<Timestamp>, bool)> {
        let rows = sqlx::query(
            "SELECT r.period_from, e.status FROM schedule_runs r LEFT JOIN exports e ON e.id = r.export_id WHERE r.schedule_id = $1",
        )
        .bind(schedule_id)
        .fetch_all(&self.pool)
        .await?;
        let mut starts = Vec::with_capacity(rows.len());
        let mut rendering = false;
        for r in &rows {
            starts.push(from_ms(r.try_get("period_from")?));
            rendering |= r.try_get::<Option<String>, _>("status")?.as_deref() == Some("processing");
        }
        Ok((starts, rendering))
    }

    /// Pauses or resumes; a resumed schedule exports the periods that end from now on.
    pub async fn set_schedule_paused(&self, account_id: i64, id: &str, paused: bool, now: Timestamp) -> Result<bool> {
        let sql = if paused {
            "UPDATE schedules SET paused = 1 WHERE account_id = $1 AND id = $2 AND $3 = $3"
        } else {
            "UPDATE schedules SET paused = 0, active_from = CASE WHEN paused = 1 THEN $3 ELSE active_from END WHERE account_id = $1 AND id = $2"
        };
        let r = sqlx::query(sql).bind(account_id).bind(id).bind(ms(now)).execute(&self.pool).await?;
        Ok(r.rows_affected() == 1)
    }

    /// The account a schedule belongs to (for the command line, which names schedules by id).
    pub async fn schedule_owner(&self, id: &str) -> Result<Option<super::AccountRef>> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM schedules s JOIN accounts a ON a.id = s.account_id WHERE s.id = $1",
            super::accounts::ACCOUNT
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| super::accounts::account_ref(&r)).transpose()
    }

    /// Marks an export as made by a schedule (a manual re-run of a period it exported).
    pub async fn set_schedule_of(&self, export_id: &str, schedule_id: &str) -> Result<()> {
        sqlx::query("UPDATE exports SET schedule_id = $1 WHERE id = $2").bind(schedule_id).bind(export_id).execute(&self.pool).await?;
        Ok(())
    }

    /// Deletes the account's schedule (its exports stay); false when there is none.
    pub async fn delete_schedule(&self, account_id: i64, id: &str) -> Result<bool> {
        // Its runs go with it (ON DELETE CASCADE).
        let r =
            sqlx::query("DELETE FROM schedules WHERE account_id = $1 AND id = $2").bind(account_id).bind(id).execute(&self.pool).await?;
        Ok(r.rows_affected() == 1)
    }
}
