//! Assistant messages as Markdown, rendered safely: raw HTML is shown as text, images
//! become links (never loaded), only http, https and mailto links survive, headings are
//! demoted below the export's own outline, and nothing writes a `style` attribute (the
//! export's CSP would refuse it).

use crate::escape::push_html;
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
            Event::Start(Tag::Heading { level, .. }) => Event::Start(Tag::Heading {
                level: demote(level),
                id: None,
                classes: Vec::new(),
                attrs: Vec::new(),
            }),
            Event::End(TagEnd::Heading(level)) => Event::End(TagEnd::Heading(demote(level))),
            Event::Start(Tag::Table(alignments)) => {
                Event::Start(Tag::Table(vec![Alignment::None; alignments.len()]))
            }
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
    push_html(&mut html, url.trim());
    html.push('"');
    html.push_str(extra);
    html.push_str(" rel=\"noopener noreferrer nofollow\">");
    html
}
