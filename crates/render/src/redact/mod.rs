//! Redaction: masks what a [`Redaction`] names in every string of a conversation that
//! the file shows (messages, summary, contact fields, the heading), before it is
//! rendered, hashed, indexed for search or counted. It lives here, not in the server, so
//! the browser's file and the server's are the same bytes and receipts still verify.
//!
//! One pass over each text marks where finds may begin (`marks`); each kind then looks
//! only there (`scan`, and `names`: whole words in any case, or anywhere in scripts
//! written without spaces); overlapping finds keep the one that starts first (an
//! email's digits are never a phone).

mod marks;
mod names;
mod scan;

use convo_model::{Contact, Contacts, Conversation, Message, Redaction};
use marks::Marks;
use names::{Names, Sought, eq_lower, sought};
use scan::{Mask, Span};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write;

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

/// Masks conversations one after another; pseudonyms hold for the whole file.
pub struct Redactor {
    spec: Redaction,
    /// The listed names, made ready once.
    listed: Names,
    /// The conversation's own names (its contact's), made again in the same buffers
    /// for each conversation.
    own: Names,
    /// The contact's own email, with pseudonyms: masked even when emails are not.
    own_email: Option<Sought>,
    pseudonyms: HashMap<String, u64>,
    /// The contact's identity, written here to look its pseudonym up.
    identity: String,
    tally: Tally,
    scratch: Scratch,
    /// The masked conversation, its strings kept from one to the next: a fresh copy of
    /// every message was a fifth of the masking's time (the render bench, 200,000
    /// messages: 13 ms of 62).
    masked: Option<Conversation>,
    /// Message strings kept while the masked conversation is shorter than an earlier one.
    spare: Vec<String>,
}

/// What a conversation's contact is shown as.
enum Shown {
    Nobody,
    Anonymous,
    Kept(Contact),
    Pseudonym(u64),
}

/// Where a text's finds are sought: the listed names, a conversation's own and its
/// contact's email.
struct Seek<'r> {
    listed: &'r Names,
    own: Option<&'r Names>,
    email: Option<&'r Sought>,
}

impl Seek<'_> {
    /// The classes to mark with: the own names' hold the listed ones'.
    fn classes(&self) -> &marks::Classes {
        self.own.map_or(&self.listed.classes, |own| &own.classes)
    }
}

impl Redactor {
    pub fn new(spec: &Redaction) -> Redactor {
        Redactor {
            spec: spec.clone(),
            listed: Names::of(spec.names.iter().filter_map(|n| sought(n, Mask::Name))),
            own: Names::new(),
            own_email: None,
            pseudonyms: HashMap::new(),
            identity: String::new(),
            tally: Tally::default(),
            scratch: Scratch::default(),
            masked: None,
            spare: Vec::new(),
        }
    }

    pub fn tally(&self) -> Tally {
        self.tally
    }

    /// The conversation as the file shows it: every string masked, the contact a
    /// pseudonym when asked for. It lives in the redactor until the next one.
    pub fn conversation(&mut self, c: &Conversation) -> &Conversation {
        self.own.restart(&self.listed.classes);
        self.own_email = None;
        let shown = match (&c.contact, self.spec.contacts) {
            (None, _) => Shown::Nobody,
            (Some(contact), Contacts::Keep) => {
                // A listed name that is the contact's: its parts are masked in this
                // conversation too (`Hello Ana` for a listed `Ana Souza`).
                if let Some(name) = contact.name.as_deref()
                    && let Some(listed) = sought(name, Mask::Name)
                    && self.listed.holds(&listed.chars)
                {
                    self.own.push_parts(name, Mask::Name);
                }
                Shown::Kept(Contact {
                    name: contact.name.as_deref().map(|n| self.text(n).into_owned()),
                    email: contact.email.as_deref().map(|e| self.text(e).into_owned()),
                })
            }
            (Some(contact), Contacts::Pseudonyms) => match contact.write_identity(&mut self.identity) {
                false => Shown::Anonymous,
                true => {
                    let n = match self.pseudonyms.get(self.identity.as_str()) {
                        Some(n) => *n,
                        None => {
                            let n = self.pseudonyms.len() as u64 + 1;
                            self.pseudonyms.insert(self.identity.clone(), n);
                            self.tally.contacts += 1;
                            n
                        }
                    };
                    // The contact's own name and email are masked in their messages
                    // too: the pseudonym would hide nothing otherwise.
                    if let Some(name) = contact.name.as_deref() {
                        self.own.push(name, Mask::Pseudonym(n));
                        self.own.push_parts(name, Mask::Pseudonym(n));
                    }
                    self.own_email = contact.email.as_deref().and_then(|email| sought(email, Mask::Email));
                    Shown::Pseudonym(n)
                }
            },
        };
        // The conversation's names, its contact's own among them, sought in one pass.
        let seek = Seek { listed: &self.listed, own: Some(&self.own), email: self.own_email.as_ref() };
        let (spec, scratch, tally) = (&self.spec, &mut self.scratch, &mut self.tally);
        let mut mask = |text: &str, into: &mut String| {
            into.clear();
            if !masked(spec, &seek, scratch, tally, text, into) {
                into.push_str(text);
            }
        };
        // The first conversation's copy is the one kept.
        let out = self.masked.get_or_insert_with(|| c.clone());
        match &c.summary {
            Some(summary) => mask(summary, out.summary.get_or_insert_default()),
            None => out.summary = None,
        }
        let kept = out.messages.len().min(c.messages.len());
        self.spare.extend(out.messages.drain(kept..).map(|m| m.content));
        for (k, m) in c.messages.iter().enumerate() {
            if k == out.messages.len() {
                out.messages.push(Message { role: m.role, content: self.spare.pop().unwrap_or_default(), at: m.at });
            }
            let o = &mut out.messages[k];
            (o.role, o.at) = (m.role, m.at);
            mask(&m.content, &mut o.content);
        }
        out.id.clone_from(&c.id);
        out.assistant_id.clone_from(&c.assistant_id);
        out.channel.clone_from(&c.channel);
        (out.started_at, out.ended_at, out.status) = (c.started_at, c.ended_at, c.status);
        out.contact = match shown {
            Shown::Nobody => None,
            Shown::Anonymous => Some(Contact::default()),
            Shown::Kept(contact) => Some(contact),
            Shown::Pseudonym(n) => {
                // Written into the last conversation's contact, which holds a string.
                let mut contact = out.contact.take().unwrap_or_default();
                let name = contact.name.get_or_insert_default();
                name.clear();
                let _ = write!(name, "Contact {n}");
                contact.email = None;
                Some(contact)
            }
        };
        out
    }

    /// `text` with every find masked.
    pub fn text<'t>(&mut self, text: &'t str) -> Cow<'t, str> {
        let mut out = String::new();
        let seek = Seek { listed: &self.listed, own: None, email: None };
        match masked(&self.spec, &seek, &mut self.scratch, &mut self.tally, text, &mut out) {
            true => Cow::Owned(out),
            false => Cow::Borrowed(text),
        }
    }
}

/// What masking a text needs besides the text, kept from one to the next so that it
/// allocates nothing: its marks and its finds.
#[derive(Debug, Default)]
struct Scratch {
    marks: Marks,
    spans: Vec<Span>,
}

/// Writes `text` with every find of `spec` and `seek` masked into `out`, counted in
/// `tally`, and says so; writes nothing when there is nothing to mask. Writing into the
/// caller's string spares a copy of every masked text.
fn masked(spec: &Redaction, seek: &Seek, scratch: &mut Scratch, tally: &mut Tally, text: &str, out: &mut String) -> bool {
    let t = text.as_bytes();
    let Scratch { marks, spans } = scratch;
    seek.classes().mark(t, marks);
    spans.clear();
    if spec.emails || seek.email.is_some() {
        scan::emails(t, &marks.ats, spans);
        if !spec.emails {
            // Only the contact's own address, with pseudonyms.
            spans.retain(|s| seek.email.is_some_and(|own| eq_lower(&text[s.start..s.end], &own.chars)));
        }
    }
    // Each number kind runs only where the text has the digits it needs.
    if spec.cards && marks.digits >= scan::CARD_DIGITS {
        scan::cards(t, &marks.numerals, spans);
    }
    if spec.ibans && marks.digits >= scan::IBAN_DIGITS {
        scan::ibans(t, &marks.numerals, spans);
    }
    if spec.ips && marks.digits >= scan::IP_DIGITS {
        scan::ips(t, &marks.numerals, spans);
    }
    if spec.phones && marks.digits >= scan::PHONE_DIGITS {
        scan::phones(t, &marks.numerals, spans);
    }
    // The own names first: of two finds at one place, the first pushed is kept (a
    // contact's pseudonym over a listed name's mask).
    if let Some(own) = seek.own {
        own.find(text, &marks.names, spans);
    }
    seek.listed.find(text, &marks.names, spans);
    if spans.is_empty() {
        return false;
    }
    // The first to start wins; of two at one place, the longer.
    spans.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    out.reserve(text.len());
    let mut at = 0;
    for Span { start, end, mask } in spans.iter() {
        if *start < at {
            continue;
        }
        out.push_str(&text[at..*start]);
        mask.push(out);
        count(tally, mask);
        at = *end;
    }
    out.push_str(&text[at..]);
    true
}

#[cfg(test)]
mod tests;
