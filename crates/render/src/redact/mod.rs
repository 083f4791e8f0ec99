//! Redaction: masks what a [`Redaction`] names in every string of a conversation that
//! the file shows (messages, summary, contact fields, the heading), before it is
//! rendered, hashed, indexed for search or counted. It lives here, not in the server, so
//! the browser's file and the server's are the same bytes and receipts still verify.
//!
//! One pass a kind over each text ([`scan`]); overlapping finds keep the one that starts
//! first (an email's digits are never a phone). Names are whole words in any case.

mod scan;

use convo_model::{Contact, Contacts, Conversation, Message, Redaction};
use scan::{Mask, Span};
use std::borrow::Cow;
use std::collections::HashMap;

/// How many masks of each kind a redactor wrote: what the preview tells.
pub use convo_model::RedactionTally as Tally;

fn count(tally: &mut Tally, mask: &Mask) {
    match mask {
        Mask::Email => tally.emails += 1,
        Mask::Phone => tally.phones += 1,
        Mask::Card(_) => tally.cards += 1,
        Mask::Iban => tally.ibans += 1,
        Mask::Ip => tally.ips += 1,
        Mask::Name | Mask::Pseudonym(_) => tally.names += 1,
    }
}

/// A name to find: its characters, lowercased, and what replaces it.
struct Sought {
    chars: Vec<char>,
    mask: Mask,
}

/// Masks conversations one after another; pseudonyms hold for the whole file.
pub struct Redactor {
    spec: Redaction,
    names: Vec<Sought>,
    pseudonyms: HashMap<String, u64>,
    tally: Tally,
}

impl Redactor {
    pub fn new(spec: &Redaction) -> Redactor {
        let names = spec.names.iter().filter_map(|n| sought(n, Mask::Name)).collect();
        Redactor { spec: spec.clone(), names, pseudonyms: HashMap::new(), tally: Tally::default() }
    }

    pub fn tally(&self) -> Tally {
        self.tally
    }

    /// The conversation as the file shows it: every string masked, the contact a
    /// pseudonym when asked for.
    pub fn conversation(&mut self, c: &Conversation) -> Conversation {
        let mut own = Vec::new();
        let contact = match (&c.contact, self.spec.contacts) {
            (None, _) => None,
            (Some(contact), Contacts::Keep) => Some({
                // A listed name that is the contact's: its parts are masked in this
                // conversation too (`Hello Ana` for a listed `Ana Souza`).
                if let Some(name) = contact.name.as_deref()
                    && let Some(listed) = sought(name, Mask::Name)
                    && self.names.iter().any(|n| n.chars == listed.chars)
                {
                    own.extend(name.split_whitespace().filter(|p| p.chars().count() >= 3).filter_map(|p| sought(p, Mask::Name)));
                }
                Contact {
                    name: contact.name.as_deref().map(|n| self.text(n).into_owned()),
                    email: contact.email.as_deref().map(|e| self.text(e).into_owned()),
                }
            }),
            (Some(contact), Contacts::Pseudonyms) => match contact.identity() {
                None => Some(Contact::default()),
                Some(identity) => {
                    let next = self.pseudonyms.len() as u64 + 1;
                    let n = *self.pseudonyms.entry(identity).or_insert(next);
                    if n == next {
                        self.tally.contacts += 1;
                    }
                    // The contact's own name and email are masked in their messages
                    // too: the pseudonym would hide nothing otherwise.
                    if let Some(name) = contact.name.as_deref() {
                        own.extend(sought(name, Mask::Pseudonym(n)));
                        own.extend(
                            name.split_whitespace().filter(|p| p.chars().count() >= 3).filter_map(|p| sought(p, Mask::Pseudonym(n))),
                        );
                    }
                    if let Some(email) = contact.email.as_deref() {
                        own.extend(sought(email, Mask::Email));
                    }
                    Some(Contact { name: Some(format!("Contact {n}")), email: None })
                }
            },
        };
        let summary = c.summary.as_deref().map(|s| self.text_with(s, &own).into_owned());
        let messages = c.messages.iter().map(|m| Message { content: self.text_with(&m.content, &own).into_owned(), ..m.clone() }).collect();
        Conversation {
            id: c.id.clone(),
            assistant_id: c.assistant_id.clone(),
            channel: c.channel.clone(),
            contact,
            started_at: c.started_at,
            ended_at: c.ended_at,
            status: c.status,
            summary,
            messages,
        }
    }

    /// `text` with every find masked.
    pub fn text<'t>(&mut self, text: &'t str) -> Cow<'t, str> {
        self.text_with(text, &[])
    }

    /// `text` with every find masked; `own` are names sought only in this conversation.
    fn text_with<'t>(&mut self, text: &'t str, own: &[Sought]) -> Cow<'t, str> {
        let t = text.as_bytes();
        let mut spans = Vec::new();
        if self.spec.emails || !own.is_empty() {
            scan::emails(t, &mut spans);
            if !self.spec.emails {
                // Only the contact's own address, with pseudonyms.
                spans.retain(|s| own.iter().any(|o| o.mask == Mask::Email && eq_lower(&text[s.start..s.end], &o.chars)));
            }
        }
        if self.spec.cards {
            scan::cards(t, &mut spans);
        }
        if self.spec.ibans {
            scan::ibans(t, &mut spans);
        }
        if self.spec.ips {
            scan::ips(t, &mut spans);
        }
        if self.spec.phones {
            scan::phones(t, &mut spans);
        }
        for name in own.iter().filter(|o| o.mask != Mask::Email).chain(&self.names) {
            find_word(text, name, &mut spans);
        }
        if spans.is_empty() {
            return Cow::Borrowed(text);
        }
        // The first to start wins; of two at one place, the longer.
        spans.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for Span { start, end, mask } in spans {
            if start < at {
                continue;
            }
            out.push_str(&text[at..start]);
            mask.push(&mut out);
            count(&mut self.tally, &mask);
            at = end;
        }
        out.push_str(&text[at..]);
        Cow::Owned(out)
    }
}

fn sought(name: &str, mask: Mask) -> Option<Sought> {
    let chars: Vec<char> = name.trim().chars().flat_map(char::to_lowercase).collect();
    (!chars.is_empty()).then_some(Sought { chars, mask })
}

fn eq_lower(text: &str, chars: &[char]) -> bool {
    text.chars().flat_map(char::to_lowercase).eq(chars.iter().copied())
}

/// Every whole-word match of `name` in `text`, any case; spaces in the name match any
/// run of white space.
fn find_word(text: &str, name: &Sought, spans: &mut Vec<Span>) {
    let Some(&first) = name.chars.first() else { return };
    let mut before: Option<char> = None;
    for (start, c) in text.char_indices() {
        let starts_word = before.is_none_or(|b| !b.is_alphanumeric());
        before = Some(c);
        if !starts_word || c.to_lowercase().next() != Some(first) {
            continue;
        }
        if let Some(end) = match_at(text, start, &name.chars)
            && text[end..].chars().next().is_none_or(|n| !n.is_alphanumeric())
        {
            spans.push(Span { start, end, mask: name.mask.clone() });
        }
    }
}

/// Where `chars` (lowercase) end when they match `text` from `start`.
fn match_at(text: &str, start: usize, chars: &[char]) -> Option<usize> {
    let mut rest = text[start..].char_indices().peekable();
    let mut wanted = chars.iter().peekable();
    while let Some(&w) = wanted.next() {
        if w.is_whitespace() {
            let mut any = false;
            while rest.peek().is_some_and(|(_, c)| c.is_whitespace()) {
                rest.next();
                any = true;
            }
            if !any {
                return None;
            }
            while wanted.peek().is_some_and(|c| c.is_whitespace()) {
                wanted.next();
            }
            continue;
        }
        let (_, c) = rest.next()?;
        let mut lower = c.to_lowercase();
        if lower.next() != Some(w) {
            return None;
        }
        // A character whose lowercase is longer (`İ` → `i̇`) takes its tail from `chars`.
        for tail in lower {
            if wanted.next() != Some(&tail) {
                return None;
            }
        }
    }
    Some(rest.peek().map_or(text.len(), |(i, _)| start + i))
}

#[cfg(test)]
mod tests;
