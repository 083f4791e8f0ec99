//! The figures managers ask for, gathered conversation by conversation in bounded
//! memory: how fast the assistant first answered and answered each message (median and
//! 90th percentile, `quantiles`), how long conversations lasted, when contacts write
//! (an hour-of-week table in the export's zone) and what they write about (`terms`).
//!
//! - *First response*: from a conversation's first contact message to the first
//!   assistant message after it.
//! - *Response time*: for each assistant message that follows contact messages, from the
//!   first of those still unanswered.
//! - *Conversation length*: from start to end, for conversations with an end.

mod ascii_words;
mod quantiles;
mod stop_words;
mod terms;

use crate::escape::push_html;
use crate::time::human_duration;
use chrono::{Offset, TimeZone as _};
use convo_model::{Conversation, Figures, Role, Spread, TimeZone, Timestamp};
use quantiles::Quantiles;
use std::fmt::Write;
use terms::Terms;

/// Terms the statistics list.
const TOP_TERMS: usize = 10;
const DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

#[derive(Debug, Default)]
pub(crate) struct Metrics {
    first_response: Quantiles,
    response: Quantiles,
    duration: Quantiles,
    /// Contact messages by weekday (Monday first) and hour, in the export's zone.
    heat: [[u64; 24]; 7],
    terms: Terms,
}

fn seconds(from: Timestamp, to: Timestamp) -> i64 {
    (to - from).num_seconds()
}

impl Metrics {
    pub(crate) fn add(&mut self, c: &Conversation, zone: TimeZone) {
        if let Some(end) = c.ended_at {
            self.duration.add(seconds(c.started_at, end));
        }
        let mut unanswered: Option<Timestamp> = None;
        let mut first_answered = false;
        for m in c.exported_messages() {
            match m.role {
                Role::User => {
                    unanswered.get_or_insert(m.at);
                    // The weekday and hour by arithmetic on seconds (1970-01-01 was a
                    // Thursday): chrono's calendar took a tenth of the render.
                    let offset =
                        if zone.is_utc() { 0 } else { zone.tz().offset_from_utc_datetime(&m.at.naive_utc()).fix().local_minus_utc() };
                    let local = m.at.timestamp() + i64::from(offset);
                    let (day, second) = (local.div_euclid(86_400), local.rem_euclid(86_400));
                    self.heat[(day + 3).rem_euclid(7) as usize][(second / 3600) as usize] += 1;
                    self.terms.add(&m.content);
                }
                _ => {
                    if let Some(asked) = unanswered.take() {
                        self.response.add(seconds(asked, m.at));
                        if !first_answered {
                            self.first_response.add(seconds(asked, m.at));
                            first_answered = true;
                        }
                    }
                }
            }
        }
    }

    /// The median and 90th percentile of first responses, responses and durations.
    pub(crate) fn spreads(&self) -> [Option<Spread>; 3] {
        let spread = |q: &Quantiles| Some(Spread { median_s: q.percentile(50)?, p90_s: q.percentile(90)? });
        [spread(&self.first_response), spread(&self.response), spread(&self.duration)]
    }

    /// The metrics' figures: a label, a value and a note each, the note saying what the
    /// `previous` export showed.
    pub(crate) fn figures(&self, previous: Option<&Figures>) -> Vec<(&'static str, String, String)> {
        let before = [previous.and_then(|p| p.first_response), previous.and_then(|p| p.response), previous.and_then(|p| p.duration)];
        let kinds = [
            ("First response", &self.first_response, "conversation"),
            ("Response time", &self.response, "answer"),
            ("Conversation length (median)", &self.duration, "conversation"),
        ];
        let mut figures = Vec::new();
        for ((label, q, what), (now, before)) in kinds.into_iter().zip(self.spreads().into_iter().zip(before)) {
            let Some(now) = now else { continue };
            let n = q.count();
            let note = format!("median; 90th percentile {}, over {n} {what}{}", human_duration(now.p90_s), if n == 1 { "" } else { "s" });
            let before = before.map(|b| format!("{} (90th percentile {})", human_duration(b.median_s), human_duration(b.p90_s)));
            figures.push((label, human_duration(now.median_s), crate::stats::beside(note, before)));
        }
        figures
    }

    /// The hour-of-week table and the frequent terms, as HTML.
    pub(crate) fn push_html(&self, out: &mut String, zone: TimeZone) {
        let peak = self.heat.iter().flatten().copied().max().unwrap_or(0);
        if peak > 0 {
            out.push_str("<table class=\"heat\"><caption>Contact messages by hour of the week (");
            push_html(out, zone.name());
            out.push_str(")</caption><thead><tr><th scope=\"col\">Day</th>");
            for h in 0..24 {
                let _ = write!(out, "<th scope=\"col\">{h:02}</th>");
            }
            out.push_str("</tr></thead><tbody>");
            for (day, hours) in DAYS.iter().zip(&self.heat) {
                let _ = write!(out, "<tr><th scope=\"row\">{day}</th>");
                for &n in hours {
                    // Five shades, by share of the busiest hour; the count is the text.
                    let shade = if n == 0 { 0 } else { 1 + (n * 4 - 1).checked_div(peak).unwrap_or(0) };
                    let _ = write!(out, "<td class=\"h{shade}\">{n}</td>");
                }
                out.push_str("</tr>");
            }
            out.push_str("</tbody></table>");
        }
        let top = self.terms.top(TOP_TERMS);
        if !top.is_empty() {
            // A `div`, not a `section`: the statistics' own section must end first (the
            // manifest finds it by its end).
            out.push_str("<div class=\"terms\"><h3 id=\"terms-h\">What contacts write about</h3><ol aria-labelledby=\"terms-h\">");
            for (term, n) in top {
                out.push_str("<li><bdi>");
                push_html(out, term);
                let _ = write!(out, "</bdi> <span class=\"note\">{n}</span></li>");
            }
            out.push_str("</ol></div>");
        }
    }

    /// The frequent terms as a Markdown line.
    pub(crate) fn push_markdown(&self, out: &mut String) {
        let top = self.terms.top(TOP_TERMS);
        if top.is_empty() {
            return;
        }
        out.push_str("- **What contacts write about:** ");
        for (i, (term, n)) in top.into_iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            crate::escape::markdown::push_md_inline(out, term);
            let _ = write!(out, " ({n})");
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests;
