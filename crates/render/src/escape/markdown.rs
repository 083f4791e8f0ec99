//! Markdown text that reads as what was written: nothing in a conversation can become
//! markup of the file (a heading, a link, raw HTML), and every message sits in a block
//! quote of its own, so the file's own structure is never in doubt.

/// Characters that Markdown could read as markup inside a line.
const INLINE_SPECIAL: &[u8] = b"\\`*_[]<>#|~&";

/// Appends a one-line value (a name, a channel, an id): line breaks and tabs become
/// spaces, controls U+FFFD, and Markdown's special characters are backslash-escaped.
pub fn push_md_inline(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => out.push('\u{FFFD}'),
            c if c.is_ascii() && INLINE_SPECIAL.contains(&(c as u8)) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
}

/// Appends plain text (a contact's message, a summary) as a block quote, every
/// character shown as written.
pub fn push_md_quote_plain(out: &mut String, text: &str) {
    for line in lines(text) {
        out.push('>');
        if !line.is_empty() {
            out.push(' ');
            push_md_inline(out, line);
        }
        out.push('\n');
    }
}

/// Appends Markdown (an assistant's answer) as a block quote: its formatting stays, but
/// raw HTML does not (a `<` that would open a tag is escaped outside code), and it ends
/// with the quote, whatever fences it opens.
pub fn push_md_quote_markdown(out: &mut String, text: &str) {
    let mut fence: Option<(u8, usize)> = None;
    for line in lines(text) {
        out.push('>');
        if !line.is_empty() {
            out.push(' ');
        }
        let trimmed = line.trim_start();
        let run = |b: u8| trimmed.bytes().take_while(|&c| c == b).count();
        let opens = [b'`', b'~'].into_iter().map(|b| (b, run(b))).find(|&(_, n)| n >= 3);
        match (fence, opens) {
            (Some((b, n)), Some((ob, on))) if b == ob && on >= n => {
                fence = None;
                push_controls_replaced(out, line);
            }
            (Some(_), _) => push_controls_replaced(out, line),
            (None, Some(open)) => {
                fence = Some(open);
                push_controls_replaced(out, line);
            }
            (None, None) => push_outside_code(out, line),
        }
        out.push('\n');
    }
}

/// The lines of `text`, any line break ending one.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n').map(|l| l.trim_end_matches('\r'))
}

fn push_controls_replaced(out: &mut String, line: &str) {
    for c in line.chars() {
        out.push(if c.is_control() && c != '\t' { '\u{FFFD}' } else { c });
    }
}

/// A line outside fenced code: inline code spans are kept as they are, and elsewhere a
/// `<` that could open HTML, `&`, and the `!` that makes a link an image are escaped.
fn push_outside_code(out: &mut String, line: &str) {
    let mut in_code = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '`' => {
                in_code = !in_code;
                out.push('`');
            }
            '<' if !in_code && chars.peek().is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, '/' | '!' | '?')) => {
                out.push_str("\\<");
            }
            '&' if !in_code => out.push_str("\\&"),
            // An image would load from its address when the file is viewed: a link stays.
            '!' if !in_code && chars.peek() == Some(&'[') => out.push_str("\\!"),
            c if c.is_control() && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(f: fn(&mut String, &str), text: &str) -> String {
        let mut out = String::new();
        f(&mut out, text);
        out
    }

    #[test]
    fn plain_text_cannot_become_markup() {
        assert_eq!(quoted(push_md_quote_plain, "# hi\n\n[x](javascript:1) <b>"), "> \\# hi\n>\n> \\[x\\](javascript:1) \\<b\\>\n");
        assert_eq!(quoted(push_md_inline, "a\nb|c*"), "a b\\|c\\*");
    }

    #[test]
    fn markdown_keeps_its_formatting_but_not_raw_html() {
        let text = "**Bold** <script>x</script> `<kept>` ![px](http://t/p.gif)\n```\n<div>code</div>\n```\n### end";
        assert_eq!(
            quoted(push_md_quote_markdown, text),
            "> **Bold** \\<script>x\\</script> `<kept>` \\![px](http://t/p.gif)\n> ```\n> <div>code</div>\n> ```\n> ### end\n"
        );
    }

    #[test]
    fn an_unclosed_fence_ends_with_its_quote() {
        let mut out = quoted(push_md_quote_markdown, "```\nopen");
        out.push_str("\n### next");
        assert!(out.lines().filter(|l| l.starts_with("### ")).count() == 1);
    }
}
