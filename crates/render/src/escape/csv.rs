//! CSV fields (RFC 4180) that a spreadsheet shows as text, never runs as a formula.

/// Characters a spreadsheet reads as the start of a formula (OWASP's list).
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether a field would be read as a formula (and so gets a leading `'`).
pub fn starts_formula(text: &str) -> bool {
    text.starts_with(FORMULA_START)
}

/// Appends `text` as one CSV field: quoted when it holds a quote, comma or line break
/// (quotes doubled), and with a `'` in front when it starts like a formula, which makes
/// every spreadsheet show it as text.
pub fn push_csv_field(out: &mut String, text: &str) {
    let formula = starts_formula(text);
    let quoted = formula || text.contains(['"', ',', '\r', '\n']);
    if !quoted {
        out.push_str(text);
        return;
    }
    out.push('"');
    if formula {
        out.push('\'');
    }
    let mut rest = text;
    while let Some(at) = rest.find('"') {
        out.push_str(&rest[..=at]);
        out.push('"');
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
    out.push('"');
}

/// A field as [`push_csv_field`] writes it, without quotes: how a check compares a
/// field read back from the file with the value it came from.
pub fn csv_cell(text: &str) -> String {
    if starts_formula(text) { format!("'{text}") } else { text.to_string() }
}

/// Reads the first field of a CSV record (unquoted, quotes undoubled).
pub fn first_csv_field(record: &str) -> String {
    let Some(quoted) = record.strip_prefix('"') else {
        return record.split([',', '\r', '\n']).next().unwrap_or_default().to_string();
    };
    let mut out = String::new();
    let mut rest = quoted;
    while let Some(at) = rest.find('"') {
        out.push_str(&rest[..at]);
        if rest[at + 1..].starts_with('"') {
            out.push('"');
            rest = &rest[at + 2..];
        } else {
            break;
        }
    }
    out
}

/// Splits CSV text into its records, each with its line break: a break inside quotes
/// belongs to the field.
pub fn csv_records(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut quoted = false;
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            match bytes[i] {
                b'"' => quoted = !quoted,
                b'\n' if !quoted => {
                    i += 1;
                    let record = (start, &text[start..i]);
                    start = i;
                    return Some(record);
                }
                _ => {}
            }
            i += 1;
        }
        if start < bytes.len() {
            let record = (start, &text[start..]);
            start = bytes.len();
            return Some(record);
        }
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(text: &str) -> String {
        let mut out = String::new();
        push_csv_field(&mut out, text);
        out
    }

    #[test]
    fn formulas_are_neutralised_and_quotes_doubled() {
        assert_eq!(field("plain text"), "plain text");
        assert_eq!(field("=HYPERLINK(\"http://x\",\"y\")"), "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
        for start in ["+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(field(start).starts_with("\"'"), "{start:?}");
        }
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_cell("=1+1"), "'=1+1");
        assert_eq!(first_csv_field(&field("say \"hi\", now")), "say \"hi\", now");
    }

    #[test]
    fn records_keep_quoted_line_breaks_inside_their_field() {
        let text = "a,\"x\r\ny\"\r\nb,z\r\n";
        let records: Vec<&str> = csv_records(text).map(|(_, r)| r).collect();
        assert_eq!(records, ["a,\"x\r\ny\"\r\n", "b,z\r\n"]);
    }
}
