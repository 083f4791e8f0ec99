//! Assistant messages as Markdown, rendered safely: raw HTML is shown as text, images
//! become links (never loaded), only http, https and mailto links survive, headings are
//! demoted below the export's own outline, and nothing writes a `style` attribute (the
//! export's CSP would refuse it).

use pulldown_cmark::{Alignment, CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// Appends the HTML for one Markdown message to `out`.
pub fn push_markdown(out: &mut String, source: &str) {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut in_link = false;
    let mut dropped_link = false;
    // For each open image: whether it was opened as a link (else as a plain span).
    let mut images: Vec<bool> = Vec::new();
    let events = Parser::new_ext(source, options).filter_map(move |event| {
        Some(match event {
            Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
            Event::Start(Tag::HtmlBlock) => Event::Start(Tag::CodeBlock(CodeBlockKind::Indented)),
            Event::End(TagEnd::HtmlBlock) => Event::End(TagEnd::CodeBlock),
            Event::Start(Tag::Heading { level, .. }) => {
                Event::Start(Tag::Heading { level: demote(level), id: None, classes: Vec::new(), attrs: Vec::new() })
            }
            Event::End(TagEnd::Heading(level)) => Event::End(TagEnd::Heading(demote(level))),
            Event::Start(Tag::Table(alignments)) => Event::Start(Tag::Table(vec![Alignment::None; alignments.len()])),
            Event::Start(Tag::Link { dest_url, .. }) => {
                if !images.is_empty() || !is_allowed_url(&dest_url) {
                    dropped_link = true;
                    return None;
                }
                in_link = true;
                Event::InlineHtml(anchor(&dest_url, "").into())
            }
            Event::End(TagEnd::Link) => {
                if std::mem::take(&mut dropped_link) {
                    return None;
                }
                in_link = false;
                Event::InlineHtml(CowStr::Borrowed("</a>"))
            }
            Event::Start(Tag::Image { dest_url, .. }) => {
                let as_link = !in_link && images.is_empty() && is_allowed_url(&dest_url);
                images.push(as_link);
                if as_link {
                    Event::InlineHtml(anchor(&dest_url, " class=\"img\"").into())
                } else {
                    Event::InlineHtml(CowStr::Borrowed("<span class=\"img\">"))
                }
            }
            // The image's alt text has been written between the two events.
            Event::End(TagEnd::Image) => match images.pop() {
                Some(true) => Event::InlineHtml(CowStr::Borrowed("</a>")),
                _ => Event::InlineHtml(CowStr::Borrowed("</span>")),
            },
            Event::TaskListMarker(done) => Event::Text(if done { "[x] " } else { "[ ] " }.into()),
            other => other,
        })
    });
    pulldown_cmark::html::push_html(out, events);
}

fn demote(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H4,
        HeadingLevel::H2 => HeadingLevel::H5,
        _ => HeadingLevel::H6,
    }
}

fn is_allowed_url(url: &str) -> bool {
    let lower = url.trim_start().get(..8).unwrap_or(url).to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:")
}

fn anchor(url: &str, extra: &str) -> String {
    let mut html = String::with_capacity(url.len() + 64);
    html.push_str("<a href=\"");
    push_url(&mut html, url.trim());
    html.push('"');
    html.push_str(extra);
    html.push_str(" rel=\"noopener noreferrer nofollow\">");
    html
}

/// Writes a URL for an `href`: characters that URLs do not allow are percent-encoded
/// (so the attribute is a valid URL), then `&` and `'` are escaped for HTML.
fn push_url(out: &mut String, url: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in url.as_bytes() {
        match b {
            b'&' => out.push_str("&amp;"),
            b'\'' => out.push_str("%27"),
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => out.push(char::from(b)),
            b'-' | b'_' | b'.' | b'~' | b'!' | b'*' | b'(' | b')' | b';' | b':' | b'@' | b'=' | b'+' | b'$' | b',' | b'/' | b'?' | b'#'
            | b'%' => out.push(char::from(b)),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md(s: &str) -> String {
        let mut out = String::new();
        push_markdown(&mut out, s);
        out
    }

    #[test]
    fn links_are_valid_urls_and_only_safe_schemes() {
        assert_eq!(
            md("[x](https://e.com/a?q=\"<b>\"&r='1' \"t\")"),
            "<p><a href=\"https://e.com/a?q=%22%3Cb%3E%22&amp;r=%271%27\" rel=\"noopener noreferrer nofollow\">x</a></p>\n"
        );
        assert_eq!(
            md("<https://ü.example/ä>"),
            "<p><a href=\"https://%C3%BC.example/%C3%A4\" rel=\"noopener noreferrer nofollow\">https://ü.example/ä</a></p>\n"
        );
        for bad in
            ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "vbscript:x", "file:///etc/passwd", "/relative", "#frag"]
        {
            assert_eq!(md(&format!("[t]({bad})")), "<p>t</p>\n", "{bad}");
        }
        assert!(md("[m](mailto:a@b.c)").contains("href=\"mailto:a@b.c\""));
    }

    #[test]
    fn images_are_never_loaded() {
        assert_eq!(
            md("![alt](https://t.example/p.gif)"),
            "<p><a href=\"https://t.example/p.gif\" class=\"img\" rel=\"noopener noreferrer nofollow\">alt</a></p>\n"
        );
        assert_eq!(md("![alt](javascript:x)"), "<p><span class=\"img\">alt</span></p>\n");
        assert_eq!(
            md("[![alt](https://a/i.png)](https://b/)"),
            "<p><a href=\"https://b/\" rel=\"noopener noreferrer nofollow\"><span class=\"img\">alt</span></a></p>\n"
        );
    }

    #[test]
    fn raw_html_is_text() {
        assert_eq!(md("<script>alert(1)</script>"), "<pre><code>&lt;script&gt;alert(1)&lt;/script&gt;</code></pre>\n");
        assert_eq!(md("a <b onclick=x>b</b>"), "<p>a &lt;b onclick=x&gt;b&lt;/b&gt;</p>\n");
    }

    #[test]
    fn headings_fit_under_the_exports_outline_and_tables_carry_no_style() {
        assert_eq!(md("# A\n## B\n### C"), "<h4>A</h4>\n<h5>B</h5>\n<h6>C</h6>\n");
        let table = md("| a | b |\n|:--|--:|\n| 1 | 2 |");
        assert!(!table.contains("style"), "{table}");
        assert!(table.contains("<td>2</td>"));
    }
}
