//! Unambiguous timestamps: machine-readable UTC for `<time datetime>`, and a readable
//! form in the export's zone that says which (`UTC`, or the offset: `+01:00`).

use chrono::{Datelike, NaiveDate, NaiveDateTime, Offset, Timelike};
use convo_model::{TimeZone, Timestamp};

fn push_2(out: &mut String, n: u32) {
    out.push(char::from(b'0' + (n / 10 % 10) as u8));
    out.push(char::from(b'0' + (n % 10) as u8));
}

/// `2026-11-27`
pub fn push_date(out: &mut String, d: NaiveDate) {
    let y = d.year();
    if (0..=9999).contains(&y) {
        push_2(out, (y / 100) as u32);
        push_2(out, (y % 100) as u32);
    } else {
        out.push_str(&format!("{y:+05}"));
    }
    out.push('-');
    push_2(out, d.month());
    out.push('-');
    push_2(out, d.day());
}

/// `2026-11-27T08:05:09Z`: the `datetime` attribute value.
pub fn push_machine(out: &mut String, t: Timestamp) {
    push_date(out, t.date_naive());
    out.push('T');
    push_2(out, t.hour());
    out.push(':');
    push_2(out, t.minute());
    out.push(':');
    push_2(out, t.second());
    out.push('Z');
}

/// `t` on the wall clock of `zone`, and that clock's offset from UTC in seconds.
fn local(t: Timestamp, zone: TimeZone) -> (NaiveDateTime, i32) {
    if zone.is_utc() {
        return (t.naive_utc(), 0);
    }
    let local = t.with_timezone(&zone.tz());
    (local.naive_local(), local.offset().fix().local_minus_utc())
}

/// The day `t` falls on in `zone`.
pub fn local_date(t: Timestamp, zone: TimeZone) -> NaiveDate {
    local(t, zone).0.date()
}

/// `2026-11-27 08:05 UTC`, or `2026-11-27 09:05 +01:00` in another zone: what a reader
/// sees.
pub fn push_readable(out: &mut String, t: Timestamp, zone: TimeZone) {
    let (wall, offset) = local(t, zone);
    push_date(out, wall.date());
    out.push(' ');
    push_2(out, wall.hour());
    out.push(':');
    push_2(out, wall.minute());
    if zone.is_utc() {
        out.push_str(" UTC");
    } else {
        let minutes = offset.unsigned_abs() / 60;
        out.push_str(if offset < 0 { " \u{2212}" } else { " +" });
        push_2(out, minutes / 60);
        out.push(':');
        push_2(out, minutes % 60);
    }
}

/// A whole `<time>` element: UTC in `datetime`, the readable form in `zone` as its text.
pub fn push_time_element(out: &mut String, t: Timestamp, zone: TimeZone) {
    out.push_str("<time datetime=\"");
    push_machine(out, t);
    out.push_str("\">");
    push_readable(out, t, zone);
    out.push_str("</time>");
}

/// `1 h 05 min`, `4 min 10 s`, `12 s`: a duration for people.
pub fn human_duration(seconds: i64) -> String {
    let s = seconds.max(0);
    let (d, h, m, sec) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    if d > 0 {
        format!("{d} d {h} h")
    } else if h > 0 {
        format!("{h} h {m:02} min")
    } else if m > 0 {
        format!("{m} min {sec:02} s")
    } else {
        format!("{sec} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let t: Timestamp = "2026-03-04T05:06:07.89+02:00".parse().unwrap();
        let mut s = String::new();
        push_time_element(&mut s, t, TimeZone::UTC);
        assert_eq!(s, "<time datetime=\"2026-03-04T03:06:07Z\">2026-03-04 03:06 UTC</time>");
        assert_eq!(human_duration(3 * 3600 + 5 * 60), "3 h 05 min");
        assert_eq!(human_duration(250), "4 min 10 s");
        assert_eq!(human_duration(-3), "0 s");
        assert_eq!(human_duration(90_000), "1 d 1 h");
    }

    #[test]
    fn times_read_in_the_export_zone_with_its_offset_and_stay_utc_for_machines() {
        let shown = |t: &str, zone: &str| {
            let mut s = String::new();
            push_time_element(&mut s, t.parse().unwrap(), zone.parse().unwrap());
            s
        };
        // Winter and summer in Berlin; half an hour in Kolkata; behind UTC in New York,
        // where 03:30 UTC is still the day before.
        assert_eq!(
            shown("2026-01-15T08:05:00Z", "Europe/Berlin"),
            "<time datetime=\"2026-01-15T08:05:00Z\">2026-01-15 09:05 +01:00</time>"
        );
        assert_eq!(
            shown("2026-07-15T08:05:00Z", "Europe/Berlin"),
            "<time datetime=\"2026-07-15T08:05:00Z\">2026-07-15 10:05 +02:00</time>"
        );
        assert_eq!(shown("2026-07-15T08:05:00Z", "Asia/Kolkata"), "<time datetime=\"2026-07-15T08:05:00Z\">2026-07-15 13:35 +05:30</time>");
        assert_eq!(
            shown("2026-03-02T03:30:00Z", "America/New_York"),
            "<time datetime=\"2026-03-02T03:30:00Z\">2026-03-01 22:30 \u{2212}05:00</time>"
        );
        assert_eq!(local_date("2026-03-02T03:30:00Z".parse().unwrap(), "America/New_York".parse().unwrap()).to_string(), "2026-03-01");
    }
}
