//! Sizes and times as people read them in the app (the export file has its own, in the
//! rendering crate).

use convo_model::Timestamp;
use convo_model::api::ExportInfo;

/// A byte count in B, kB or MB.
pub fn size(n: i64) -> String {
    match n {
        n if n >= 1 << 20 => format!("{:.1} MB", n as f64 / (1 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.0} kB", n as f64 / 1024.0),
        n => format!("{n} bytes"),
    }
}

/// A time to the minute, in UTC, said so.
pub fn minute(t: Timestamp) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// When the export goes, from now.
pub fn expires_in(e: &ExportInfo) -> String {
    let left = e.expires_at - chrono::Utc::now();
    match left.num_days() {
        d if d >= 2 => format!("expires in {d} days"),
        1 => "expires tomorrow".into(),
        _ => format!("expires in {} hours", left.num_hours().max(0)),
    }
}

/// Whether the export goes within 3 days (flagged in Available Exports).
pub fn expires_soon(e: &ExportInfo) -> bool {
    !e.held && e.expires_at - chrono::Utc::now() < chrono::Duration::days(3)
}

/// "1 conversation", "2 conversations".
pub fn plural(n: i64, one: &str) -> String {
    format!("{n} {one}{}", if n == 1 { "" } else { "s" })
}

/// The browser's own time zone (IANA), the forms' default.
pub fn browser_time_zone() -> String {
    let options = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new()).resolved_options();
    js_sys::Reflect::get(&options, &"timeZone".into()).ok().and_then(|v| v.as_string()).unwrap_or_else(|| "UTC".into())
}
