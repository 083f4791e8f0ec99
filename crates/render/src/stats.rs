//! Summary statistics, gathered conversation by conversation in memory that does not
//! grow with the messages (a set of contact hashes, a count per day and per channel),
//! and rendered at the end with an inline SVG chart of conversations per day.

use crate::escape::push_html;
use crate::metrics::Metrics;
use crate::time::{human_duration, local_date, push_date};
use chrono::{Duration, NaiveDate};
use convo_model::{Conversation, Figures, Role, TimeRange, TimeZone, Timestamp};
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write;

#[derive(Default)]
pub(crate) struct Stats {
    pub conversations: u64,
    pub user_messages: u64,
    pub assistant_messages: u64,
    pub max_messages: u64,
    contacts: HashSet<u64>,
    anonymous: u64,
    channels: BTreeMap<String, u64>,
    per_day: BTreeMap<NaiveDate, u64>,
    duration_total_s: i64,
    durations: u64,
    longest_s: i64,
    pub first_start: Option<Timestamp>,
    pub last_start: Option<Timestamp>,
    /// The zone whose days are counted and charted.
    pub zone: TimeZone,
    metrics: Metrics,
    /// What the export this one continues showed, said beside each figure.
    previous: Option<Figures>,
}

/// A figure's note with what the previous export showed after it.
pub(crate) fn beside(note: String, previous: Option<String>) -> String {
    match previous {
        None => note,
        Some(before) if note.is_empty() => format!("previous export: {before}"),
        Some(before) => format!("{note}; previous export: {before}"),
    }
}

/// FNV-1a: stable everywhere, so the statistics never depend on a random hasher.
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

impl Stats {
    /// Statistics whose days are those of `zone`, beside the `previous` export's figures.
    pub fn new(zone: TimeZone, previous: Option<Figures>) -> Stats {
        Stats { zone, previous, ..Stats::default() }
    }

    /// The figures as numbers, for the manifest and the export that continues this one.
    pub fn numbers(&self) -> Figures {
        let [first_response, response, duration] = self.metrics.spreads();
        Figures {
            conversations: self.conversations,
            messages: self.messages(),
            contacts: self.contacts.len() as u64,
            first_response,
            response,
            duration,
        }
    }

    pub fn add(&mut self, c: &Conversation, exported_messages: u64) {
        self.conversations += 1;
        for m in c.exported_messages() {
            match m.role {
                Role::User => self.user_messages += 1,
                _ => self.assistant_messages += 1,
            }
        }
        self.max_messages = self.max_messages.max(exported_messages);
        match c.contact.as_ref().and_then(|ct| ct.identity()) {
            Some(id) => {
                self.contacts.insert(fnv1a(&id));
            }
            None => self.anonymous += 1,
        }
        *self.channels.entry(c.channel.label().to_string()).or_default() += 1;
        *self.per_day.entry(local_date(c.started_at, self.zone)).or_default() += 1;
        if let Some(end) = c.ended_at {
            let secs = (end - c.started_at).num_seconds().max(0);
            self.duration_total_s += secs;
            self.durations += 1;
            self.longest_s = self.longest_s.max(secs);
        }
        self.first_start = Some(self.first_start.map_or(c.started_at, |t| t.min(c.started_at)));
        self.last_start = Some(self.last_start.map_or(c.started_at, |t| t.max(c.started_at)));
    }

    /// Adds the metrics of `c` as the file shows it: masked, so that no redacted word
    /// turns up among the frequent terms.
    pub fn add_shown(&mut self, c: &Conversation) {
        self.metrics.add(c, self.zone);
    }

    pub fn messages(&self) -> u64 {
        self.user_messages + self.assistant_messages
    }

    /// One decimal, computed in integers so that every platform prints the same.
    fn ratio_1dp(num: u64, den: u64) -> String {
        if den == 0 {
            return "0".into();
        }
        let tenths = (num * 10 + den / 2) / den;
        format!("{}.{}", tenths / 10, tenths % 10)
    }

    pub fn push_html(&self, out: &mut String, range: TimeRange) {
        let stat = |out: &mut String, label: &str, value: &str, note: &str| {
            out.push_str("<div><dt>");
            out.push_str(label);
            out.push_str("</dt><dd>");
            out.push_str(value);
            if !note.is_empty() {
                out.push_str(" <span class=\"note\">");
                out.push_str(note);
                out.push_str("</span>");
            }
            out.push_str("</dd></div>");
        };
        out.push_str("<section class=\"stats\" aria-labelledby=\"stats-h\"><h2 id=\"stats-h\">Summary statistics</h2><dl class=\"cards\">");
        for (label, value, note) in self.figures() {
            stat(out, label, &value, &note);
        }
        out.push_str("</dl>");
        if !self.channels.is_empty() {
            self.push_channels(out);
        }
        self.push_chart(out, range);
        self.metrics.push_html(out, self.zone);
        out.push_str("</section>");
    }

    /// The figures the statistics show, each a label, a value and a note (maybe empty),
    /// the same in every format.
    fn figures(&self) -> Vec<(&'static str, String, String)> {
        let p = self.previous.as_ref();
        let mut figures = vec![
            ("Conversations", self.conversations.to_string(), beside(String::new(), p.map(|p| p.conversations.to_string()))),
            (
                "Messages",
                self.messages().to_string(),
                beside(
                    format!("{} by contacts, {} by the assistant", self.user_messages, self.assistant_messages),
                    p.map(|p| p.messages.to_string()),
                ),
            ),
            (
                "Contacts",
                self.contacts.len().to_string(),
                beside(
                    if self.anonymous > 0 { format!("and {} anonymous", self.anonymous) } else { String::new() },
                    p.map(|p| p.contacts.to_string()),
                ),
            ),
            (
                "Messages per conversation",
                Self::ratio_1dp(self.messages(), self.conversations),
                beside(format!("average, {} at most", self.max_messages), p.map(|p| Self::ratio_1dp(p.messages, p.conversations))),
            ),
        ];
        if self.durations > 0 {
            let avg = (self.duration_total_s + self.durations as i64 / 2) / self.durations as i64;
            figures.push(("Conversation length", human_duration(avg), format!("average, {} at longest", human_duration(self.longest_s))));
        }
        figures.extend(self.metrics.figures(p));
        if let Some((day, n)) = self.busiest_day() {
            let mut d = String::new();
            push_date(&mut d, day);
            figures.push(("Busiest day", d, format!("{n} conversation{}", if n == 1 { "" } else { "s" })));
        }
        figures
    }

    /// The statistics as Markdown: the figures as a list, the channels as a table.
    pub fn push_markdown(&self, out: &mut String) {
        out.push_str("## Summary statistics\n\n");
        for (label, value, note) in self.figures() {
            let _ = write!(out, "- **{label}:** {value}");
            if !note.is_empty() {
                let _ = write!(out, " ({note})");
            }
            out.push('\n');
        }
        self.metrics.push_markdown(out);
        if !self.channels.is_empty() {
            out.push_str("\n| Channel | Conversations | Share |\n|---|---:|---:|\n");
            for (label, n) in self.channel_rows() {
                out.push_str("| ");
                crate::escape::markdown::push_md_inline(out, label);
                let _ = writeln!(out, " | {n} | {} % |", Self::ratio_1dp(n * 100, self.conversations));
            }
        }
        out.push('\n');
    }

    /// Channels, busiest first, then by name.
    pub(crate) fn channel_rows(&self) -> Vec<(&String, u64)> {
        let mut rows: Vec<(&String, u64)> = self.channels.iter().map(|(l, &n)| (l, n)).collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        rows
    }

    fn busiest_day(&self) -> Option<(NaiveDate, u64)> {
        // The earliest of equally busy days, whatever the map's iteration order.
        self.per_day.iter().fold(None, |best, (&d, &n)| match best {
            Some((_, bn)) if bn >= n => best,
            _ => Some((d, n)),
        })
    }

    fn push_channels(&self, out: &mut String) {
        let rows = self.channel_rows();
        out.push_str("<table class=\"channels\"><caption>Conversations by channel</caption><thead><tr><th scope=\"col\">Channel</th><th scope=\"col\">Conversations</th><th scope=\"col\">Share</th></tr></thead><tbody>");
        for (label, n) in rows {
            out.push_str("<tr><th scope=\"row\">");
            push_html(out, label);
            let _ = write!(out, "</th><td>{n}</td><td>{}&#8239;%</td></tr>", Self::ratio_1dp(n * 100, self.conversations));
        }
        out.push_str("</tbody></table>");
    }

    /// Bars of conversations per day (per week, or longer, when the range is long).
    fn push_chart(&self, out: &mut String, range: TimeRange) {
        let first = local_date(range.from, self.zone);
        let last = local_date(range.to, self.zone).max(first);
        let days = (last - first).num_days() + 1;
        let per_bucket = ((days + 365) / 366).max(1);
        let buckets = ((days + per_bucket - 1) / per_bucket) as usize;
        let mut counts = vec![0u64; buckets];
        for (&day, &n) in self.per_day.range(first..=last) {
            counts[((day - first).num_days() / per_bucket) as usize] += n;
        }
        let peak = counts.iter().copied().max().unwrap_or(0).max(1);
        // A short range keeps thin bars: the chart is never narrower than 60 buckets.
        let (width, height, bar) = (buckets.max(60) * 4, 60u64, 3);
        let unit = if per_bucket == 1 { "day".to_string() } else { format!("{per_bucket} days") };
        let _ = write!(
            out,
            "<figure class=\"chart\"><svg viewBox=\"0 0 {width} {height}\" preserveAspectRatio=\"none\" role=\"img\" aria-labelledby=\"chart-t\"><title id=\"chart-t\">Conversations per {unit}, at most {peak}</title>"
        );
        for (i, &n) in counts.iter().enumerate() {
            if n == 0 {
                continue;
            }
            let h = (n * height).div_ceil(peak).max(1);
            let start = first + Duration::days(i as i64 * per_bucket);
            let _ = write!(out, "<rect x=\"{}\" y=\"{}\" width=\"{bar}\" height=\"{h}\"><title>", i * 4, height - h);
            push_date(out, start);
            let _ = write!(out, ": {n}</title></rect>");
        }
        out.push_str("</svg><figcaption>Conversations per ");
        out.push_str(&unit);
        out.push_str(", from ");
        push_date(out, first);
        out.push_str(" to ");
        push_date(out, last);
        out.push_str(" (");
        push_html(out, self.zone.name());
        out.push_str(")</figcaption></figure>");
    }
}
