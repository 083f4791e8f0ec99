//! `schedule add | list | remove`: standing orders for monthly (weekly, quarterly)
//! archives, run by `serve`.

use super::account_of;
use super::{catalog_error, open};
use crate::config::DataConfig;
use anyhow::bail;
use clap::Subcommand;
use convo_model::api::{CreateScheduleRequest, Every};
use convo_model::{Channel, ExportFilters, Format, Redaction};

#[derive(Debug, Subcommand)]
pub enum ScheduleCommand {
    /// Export the previous complete week, month or quarter of a time zone, each period
    /// once, rendered by the server (`serve` runs it; missed periods are caught up).
    Add {
        #[arg(long)]
        email: String,
        #[arg(long, value_name = "ID")]
        assistant: String,
        /// week (ISO, from Monday), month or quarter.
        #[arg(long, value_parser = parse_every)]
        every: Every,
        /// An IANA time zone, such as Europe/Berlin.
        #[arg(long, value_name = "ZONE")]
        time_zone: String,
        /// Only these channels (repeat for more).
        #[arg(long = "channel", value_name = "CHANNEL")]
        channels: Vec<String>,
        /// Only contacts whose name or email contains this.
        #[arg(long)]
        contact: Option<String>,
        /// Only conversations whose messages contain these words.
        #[arg(long)]
        text: Option<String>,
        /// The exports' format: html (the default), jsonl, csv or markdown.
        #[arg(long, value_name = "F", default_value = "html")]
        format: Format,
        /// Mask these kinds in every export: emails,phones,cards,ibans,ips.
        #[arg(long, value_name = "KINDS", value_parser = super::render::parse_kinds)]
        redact: Option<Redaction>,
    },
    /// List an account's schedules, one a line: id, assistant, every, zone, next run.
    List {
        #[arg(long)]
        email: String,
    },
    /// Delete a schedule (its exports stay).
    Remove {
        #[arg(long, value_name = "ID")]
        id: String,
    },
}

fn parse_every(raw: &str) -> Result<Every, String> {
    Every::parse(raw).ok_or_else(|| format!("{raw:?}: use week, month or quarter"))
}

pub async fn schedule(data: &DataConfig, cmd: ScheduleCommand) -> anyhow::Result<()> {
    let state = open(data).await?;
    match cmd {
        ScheduleCommand::Add { email, assistant, every, time_zone, channels, contact, text, format, redact } => {
            let account = account_of(&state, &email).await?;
            let filters =
                ExportFilters { channels: channels.iter().map(|c| Channel::parse(c)).collect(), contact, text, ..Default::default() };
            let request = CreateScheduleRequest {
                assistant_id: assistant.clone(),
                every,
                time_zone,
                filters,
                redact: redact.unwrap_or_default(),
                format,
            };
            let row = state.catalog.create_schedule(&account, request).await.map_err(|e| catalog_error(e, &account.email, &assistant))?;
            let info = state.catalog.schedule_info(&row);
            let next = info.next_run.map(|t| t.to_rfc3339()).unwrap_or_default();
            println!("schedule {} exports {} every {} ({}); next run {next}", info.id, info.assistant.id, info.every, info.time_zone);
        }
        ScheduleCommand::List { email } => {
            let account = account_of(&state, &email).await?;
            for row in state.catalog.schedules(&account).await.map_err(|e| catalog_error(e, &account.email, ""))? {
                let info = state.catalog.schedule_info(&row);
                let next = match (info.paused, info.next_run) {
                    (true, _) => "paused".to_string(),
                    (false, Some(t)) => format!("next run {}", t.to_rfc3339()),
                    (false, None) => "no next run".to_string(),
                };
                let filters = if info.filters.is_empty() { String::new() } else { format!("  filters: {}", info.filters.describe()) };
                println!("{}  {}  every {}  {}  {next}{filters}", info.id, info.assistant.id, info.every, info.time_zone);
            }
        }
        ScheduleCommand::Remove { id } => {
            let Some(owner) = state.store.schedule_owner(&id).await? else {
                bail!("no schedule with the id {id:?} (see `schedule list`)");
            };
            state.catalog.delete_schedule(&owner, &id).await.map_err(|e| catalog_error(e, &owner.email, ""))?;
            println!("schedule {id} removed");
        }
    }
    Ok(())
}
