//! Calendar periods of a schedule: ISO weeks (from Monday), months and quarters, each
//! starting at local midnight in the schedule's IANA time zone (`chrono-tz`), so a March
//! in Berlin is 743 hours and an October 745. A period is exported once it is complete;
//! its export covers `[start, end - 1 ms]`, so consecutive periods meet without overlap.

use chrono::{Datelike, Duration, LocalResult, NaiveDate, TimeZone};
use chrono_tz::Tz;
use convo_model::api::Every;
use convo_model::{TimeRange, Timestamp};

/// One period: `start` inclusive, `end` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: Timestamp,
    pub end: Timestamp,
}

impl Period {
    /// The range an export of this period covers.
    pub fn range(self) -> TimeRange {
        TimeRange::until(self.start, self.end)
    }
}

/// The time zone of an IANA name, or a message that says what to change.
pub fn time_zone(name: &str) -> Result<Tz, String> {
    name.parse::<convo_model::TimeZone>().map(convo_model::TimeZone::tz)
}

/// Local midnight of `date` in `tz`, as an instant. Where midnight does not exist (a
/// zone that skips it when its clocks go forward), the day starts at its first instant.
fn midnight(tz: Tz, date: NaiveDate) -> Timestamp {
    let mut time = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    for _ in 0..24 * 4 {
        match tz.from_local_datetime(&time) {
            LocalResult::Single(t) => return t.to_utc(),
            LocalResult::Ambiguous(earliest, _) => return earliest.to_utc(),
            LocalResult::None => time += Duration::minutes(15),
        }
    }
    date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// The first local date of the period containing local date `date`.
fn first_day(every: Every, date: NaiveDate) -> NaiveDate {
    match every {
        Every::Week => date - Duration::days(i64::from(date.weekday().num_days_from_monday())),
        Every::Month => date.with_day(1).unwrap_or(date),
        Every::Quarter => NaiveDate::from_ymd_opt(date.year(), (date.month0() / 3) * 3 + 1, 1).unwrap_or(date),
    }
}

/// The first local date of the period after the one starting on `first`.
fn next_first_day(every: Every, first: NaiveDate) -> NaiveDate {
    match every {
        Every::Week => first + Duration::days(7),
        Every::Month => first.checked_add_months(chrono::Months::new(1)).unwrap_or(first),
        Every::Quarter => first.checked_add_months(chrono::Months::new(3)).unwrap_or(first),
    }
}

/// The period that contains instant `t`.
pub fn containing(every: Every, tz: Tz, t: Timestamp) -> Period {
    let first = first_day(every, t.with_timezone(&tz).date_naive());
    Period { start: midnight(tz, first), end: midnight(tz, next_first_day(every, first)) }
}

/// The latest period that is complete at `now`.
pub fn previous_complete(every: Every, tz: Tz, now: Timestamp) -> Period {
    let current = containing(every, tz, now);
    containing(every, tz, current.start - convo_model::RANGE_STEP)
}

/// Periods that end after `after` and are complete at `now`, oldest first: what a
/// schedule active since `after` owes at `now` (missed ones included).
pub fn due(every: Every, tz: Tz, after: Timestamp, now: Timestamp) -> Vec<Period> {
    let mut periods = Vec::new();
    let mut period = containing(every, tz, after);
    while period.end <= now {
        if period.end > after {
            periods.push(period);
        }
        let first = next_first_day(every, period.start.with_timezone(&tz).date_naive());
        period = Period { start: period.end, end: midnight(tz, next_first_day(every, first)) };
    }
    periods
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn period(every: Every, zone: &str, now: &str) -> (String, String) {
        let p = previous_complete(every, time_zone(zone).unwrap(), at(now));
        (p.start.to_rfc3339(), p.end.to_rfc3339())
    }

    #[test]
    fn berlin_months_across_both_clock_changes() {
        // March: CET at the start, CEST (clocks forward on the 29th) at the end.
        assert_eq!(
            period(Every::Month, "Europe/Berlin", "2026-04-10T12:00:00Z"),
            ("2026-02-28T23:00:00+00:00".into(), "2026-03-31T22:00:00+00:00".into())
        );
        // October: CEST at the start, CET (clocks back on the 25th) at the end.
        assert_eq!(
            period(Every::Month, "Europe/Berlin", "2026-11-02T08:00:00Z"),
            ("2026-09-30T22:00:00+00:00".into(), "2026-10-31T23:00:00+00:00".into())
        );
        let march = previous_complete(Every::Month, time_zone("Europe/Berlin").unwrap(), at("2026-04-10T12:00:00Z"));
        assert_eq!((march.end - march.start).num_hours(), 31 * 24 - 1);
    }

    #[test]
    fn new_york_weeks_and_kolkata_without_daylight_saving() {
        // The ISO week of 2026-03-09 (clocks went forward on Sunday the 8th).
        assert_eq!(
            period(Every::Week, "America/New_York", "2026-03-18T12:00:00Z"),
            ("2026-03-09T04:00:00+00:00".into(), "2026-03-16T04:00:00+00:00".into())
        );
        // The week that holds the change: Monday 2 March to Monday 9 March, 167 hours.
        let week = previous_complete(Every::Week, time_zone("America/New_York").unwrap(), at("2026-03-10T12:00:00Z"));
        assert_eq!((week.start.to_rfc3339(), (week.end - week.start).num_hours()), ("2026-03-02T05:00:00+00:00".into(), 167));
        assert_eq!(
            period(Every::Month, "Asia/Kolkata", "2026-07-01T00:00:00Z"),
            ("2026-05-31T18:30:00+00:00".into(), "2026-06-30T18:30:00+00:00".into())
        );
    }

    #[test]
    fn a_quarter_that_crosses_a_year() {
        assert_eq!(
            period(Every::Quarter, "Europe/Berlin", "2027-01-15T00:00:00Z"),
            ("2026-09-30T22:00:00+00:00".into(), "2026-12-31T23:00:00+00:00".into())
        );
        // Just before Berlin's new year (already 2027 there): Q4 is complete.
        assert_eq!(
            period(Every::Quarter, "Europe/Berlin", "2026-12-31T23:30:00Z"),
            ("2026-09-30T22:00:00+00:00".into(), "2026-12-31T23:00:00+00:00".into())
        );
    }

    #[test]
    fn missed_periods_are_due_oldest_first_and_meet() {
        let tz = time_zone("Europe/Berlin").unwrap();
        let due = due(Every::Month, tz, at("2026-01-15T10:00:00Z"), at("2026-05-03T00:00:00Z"));
        let starts: Vec<String> = due.iter().map(|p| p.start.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()).collect();
        assert_eq!(starts, ["2026-01-01 00:00", "2026-02-01 00:00", "2026-03-01 00:00", "2026-04-01 00:00"]);
        for pair in due.windows(2) {
            assert!(pair[1].range().continues(&pair[0].range()), "consecutive periods meet");
        }
        assert!(super::due(Every::Week, tz, at("2026-05-04T12:00:00Z"), at("2026-05-05T00:00:00Z")).is_empty(), "nothing complete yet");
    }

    #[test]
    fn unknown_time_zones_are_refused_with_a_hint() {
        assert!(time_zone("Mars/Olympus").unwrap_err().contains("Europe/Berlin"));
        assert!(time_zone("Europe/Berlin").is_ok());
    }
}
