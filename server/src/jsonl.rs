//! Reading the JSON Lines import format: one conversation per line, errors that name the
//! line's field (`messages[3].at`).

use convo_model::Conversation;

/// Parses one import line; the error names the field (`field \`messages[3].at\`: …`).
pub fn parse_line(line: &str) -> Result<Conversation, String> {
    let mut de = serde_json::Deserializer::from_str(line);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        // serde_json appends "at line 1 column N": within one line only the column helps.
        let msg = e.into_inner().to_string().replace(" at line 1 column", " at column");
        if path == "." || path.is_empty() { msg } else { format!("field `{path}`: {msg}") }
    })
}
