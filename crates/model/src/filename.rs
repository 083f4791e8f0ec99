//! The export filename `conversations_{assistant_id}_{YYYYMMDD_HHMMSS}.{ext}`, safe on
//! every file system; the extension follows the [`Format`].

use crate::{Format, Timestamp};

/// Longest assistant-id part kept in a filename, so the whole name stays far below the
/// 255-byte limit of common file systems.
const MAX_COMPONENT: usize = 64;

/// Maps any string onto `[A-Za-z0-9_-]+`: path separators, dots, reserved characters,
/// control characters and non-ASCII become `_`, the result is never empty and never
/// longer than 64 characters.
pub fn safe_file_component(raw: &str) -> String {
    let mut out: String =
        raw.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).take(MAX_COMPONENT).collect();
    if out.is_empty() {
        out.push_str("assistant");
    }
    out
}

/// The filename of an export created at `created_at` (UTC) in `format`.
pub fn export_filename(assistant_id: &str, created_at: Timestamp, format: Format) -> String {
    format!("conversations_{}_{}.{}", safe_file_component(assistant_id), created_at.format("%Y%m%d_%H%M%S"), format.extension())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_ids() {
        let t: Timestamp = "2026-01-02T03:04:05.999Z".parse().unwrap();
        assert_eq!(export_filename("bot-1_A", t, Format::Html), "conversations_bot-1_A_20260102_030405.html");
        assert_eq!(export_filename("../../etc/passwd", t, Format::Html), "conversations_______etc_passwd_20260102_030405.html");
        assert_eq!(export_filename("", t, Format::Html), "conversations_assistant_20260102_030405.html");
        assert_eq!(export_filename("a:b*c?\"<>|\\\0\n", t, Format::Html), "conversations_a_b_c_________20260102_030405.html");
        assert_eq!(safe_file_component("Ünïcödé"), "_n_c_d_");
        assert_eq!(export_filename("bot", t, Format::Markdown), "conversations_bot_20260102_030405.md");
        assert_eq!(export_filename("bot", t, Format::Jsonl), "conversations_bot_20260102_030405.jsonl");
        assert_eq!(safe_file_component(&"x".repeat(1000)).len(), 64);
    }
}
