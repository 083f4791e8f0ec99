//! `Display` wrappers that escape a string for the HTML context they are named after.
//!
//! Every string that comes from a conversation goes through one of these. Characters
//! that HTML forbids in text (NUL, other C0/C1 controls, lone noncharacters) become
//! U+FFFD so that the export stays valid whatever the input. The other formats' escapes
//! are beside it: [`csv`] and [`markdown`].

pub mod csv;
pub mod markdown;

use std::fmt;

/// Escapes for HTML text content and for double- or single-quoted attribute values.
pub struct Html<'a>(pub &'a str);

impl fmt::Display for Html<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = String::with_capacity(self.0.len());
        push_html(&mut buf, self.0);
        f.write_str(&buf)
    }
}

/// Appends `text` to `out`, escaped for text content and quoted attribute values.
pub fn push_html(out: &mut String, text: &str) {
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let replacement = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            b'\t' | b'\n' => {
                i += 1;
                continue;
            }
            // CR is normalised away by the parser anyway; keep newlines as LF.
            b'\r' => {
                out.push_str(&text[start..i]);
                if bytes.get(i + 1) != Some(&b'\n') {
                    out.push('\n');
                }
                i += 1;
                start = i;
                continue;
            }
            0x00..=0x1f | 0x7f => "\u{FFFD}",
            0xc2 if matches!(bytes.get(i + 1), Some(0x80..=0x9f)) => {
                // A C1 control (U+0080–U+009F): two bytes in UTF-8.
                out.push_str(&text[start..i]);
                out.push('\u{FFFD}');
                i += 2;
                start = i;
                continue;
            }
            0xef if is_nonchar_fdd0_or_fffe(&bytes[i..]) => {
                out.push_str(&text[start..i]);
                out.push('\u{FFFD}');
                i += 3;
                start = i;
                continue;
            }
            _ => {
                i += 1;
                continue;
            }
        };
        out.push_str(&text[start..i]);
        out.push_str(replacement);
        i += 1;
        start = i;
    }
    out.push_str(&text[start..]);
}

/// Reverses [`push_html`]'s entities (the characters it replaced with U+FFFD stay so):
/// how a check reads a value back out of an export.
pub fn unescape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let entity = [("&amp;", '&'), ("&lt;", '<'), ("&gt;", '>'), ("&quot;", '"'), ("&#39;", '\'')]
            .into_iter()
            .find(|(name, _)| rest.starts_with(name));
        match entity {
            Some((name, c)) => {
                out.push(c);
                rest = &rest[name.len()..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// U+FDD0–U+FDEF and U+FFFE/U+FFFF, which HTML does not allow in text.
fn is_nonchar_fdd0_or_fffe(b: &[u8]) -> bool {
    match b {
        [0xef, 0xb7, c, ..] => (0x90..=0xaf).contains(c),
        [0xef, 0xbf, c, ..] => *c == 0xbe || *c == 0xbf,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text() {
        let cases = [
            ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
            ("\"><img src=x onerror=alert(1)>", "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"),
            ("' onmouseover='x", "&#39; onmouseover=&#39;x"),
            ("a&amp;b", "a&amp;amp;b"),
            ("nul\0bell\x07", "nul\u{FFFD}bell\u{FFFD}"),
            ("c1\u{85}\u{9f}ok\u{a0}", "c1\u{FFFD}\u{FFFD}ok\u{a0}"),
            ("non\u{FDD0}\u{FFFE}\u{FFFF}char\u{FFFD}", "non\u{FFFD}\u{FFFD}\u{FFFD}char\u{FFFD}"),
            ("crlf\r\nlf\ncr\rend", "crlf\nlf\ncr\nend"),
            ("tab\there", "tab\there"),
            ("مرحبا <b>", "مرحبا &lt;b&gt;"),
            ("emoji 👩‍💻 ok", "emoji 👩‍💻 ok"),
            ("</style><!--", "&lt;/style&gt;&lt;!--"),
        ];
        for (input, expected) in cases {
            assert_eq!(Html(input).to_string(), expected, "input {input:?}");
        }
    }
}
