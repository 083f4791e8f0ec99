//! Reading the JSON Lines import format: one conversation per line, errors that name the
//! line's field (`messages[3].at`).

use convo_model::Conversation;

/// Parses one import line; the error names the field (`field \`messages[3].at\`: …`).
/// Anything after the line's JSON value is an error too (a line is one conversation).
pub fn parse_line(line: &str) -> Result<Conversation, String> {
    // serde_json appends "at line 1 column N": within one line only the column helps.
    let said = |e: serde_json::Error| e.to_string().replace(" at line 1 column", " at column");
    let mut de = serde_json::Deserializer::from_str(line);
    let conversation = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let msg = said(e.into_inner());
        if path == "." || path.is_empty() { msg } else { format!("field `{path}`: {msg}") }
    })?;
    de.end().map_err(|e| format!("more after the conversation's JSON: {}", said(e)))?;
    Ok(conversation)
}

#[cfg(test)]
mod tests {
    #[test]
    fn anything_after_a_lines_json_is_an_error() {
        let line =
            r#"{"id":"c1","assistant_id":"a","channel":"api","started_at":"2026-01-01T10:00:00Z","status":"completed","messages":[]}"#;
        assert!(super::parse_line(line).is_ok());
        assert!(super::parse_line(&format!("{line}   ")).is_ok(), "trailing blanks are fine");
        for tail in [" {}", "x", r#"{"id":"c2"}"#] {
            let err = super::parse_line(&format!("{line}{tail}")).unwrap_err();
            assert!(err.contains("more after the conversation's JSON") && err.contains("trailing characters"), "{tail}: {err}");
        }
    }
}
