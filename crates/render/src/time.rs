//! Unambiguous timestamps: machine-readable UTC for `<time datetime>`, and a readable
//! form that names its zone.

use chrono::{Datelike, NaiveDate, Timelike};
use convo_model::Timestamp;

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

/// `2026-11-27 08:05 UTC`: what a reader sees.
pub fn push_readable(out: &mut String, t: Timestamp) {
    push_date(out, t.date_naive());
    out.push(' ');
    push_2(out, t.hour());
    out.push(':');
    push_2(out, t.minute());
    out.push_str(" UTC");
}

/// A whole `<time>` element with the readable form as its text.
pub fn push_time_element(out: &mut String, t: Timestamp) {
    out.push_str("<time datetime=\"");
    push_machine(out, t);
    out.push_str("\">");
    push_readable(out, t);
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
        push_time_element(&mut s, t);
        assert_eq!(s, "<time datetime=\"2026-03-04T03:06:07Z\">2026-03-04 03:06 UTC</time>");
        assert_eq!(human_duration(3 * 3600 + 5 * 60), "3 h 05 min");
        assert_eq!(human_duration(250), "4 min 10 s");
        assert_eq!(human_duration(-3), "0 s");
        assert_eq!(human_duration(90_000), "1 d 1 h");
    }
}
