//! Redaction: masks what a [`Redaction`] names in every string of a conversation that
//! the file shows (messages, summary, contact fields, the heading), before it is
//! rendered, hashed, indexed for search or counted. It lives here, not in the server, so
//! the browser's file and the server's are the same bytes and receipts still verify.
//!
//! One pass a kind over each text (`scan`), skipped where the text lacks what that kind
//! needs, and one pass for all names (`names`: whole words in any case, or anywhere in
//! scripts written without spaces); overlapping finds keep the one that starts first (an
//! email's digits are never a phone).

mod names;
mod scan;

use convo_model::{Contact, Contacts, Conversation, Message, Redaction};
use names::{Names, Sought, eq_lower, sought};
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
        // The conversation's names, its contact's own among them, sought in one pass.
        let names = Names::new(own.iter().filter(|o| o.mask != Mask::Email).chain(&self.names));
        let mut mask = |text: &str| masked(&self.spec, &names, &own, &mut self.tally, text).into_owned();
        let summary = c.summary.as_deref().map(&mut mask);
        let messages = c.messages.iter().map(|m| Message { role: m.role, content: mask(&m.content), at: m.at }).collect();
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
        masked(&self.spec, &Names::new(self.names.iter()), &[], &mut self.tally, text)
    }
}

/// `text` with every find of `spec` and `names` masked, counted in `tally`; `own` are
/// what is sought only in this conversation (its contact's email among them).
fn masked<'t>(spec: &Redaction, names: &Names, own: &[Sought], tally: &mut Tally, text: &'t str) -> Cow<'t, str> {
    let t = text.as_bytes();
    let mut spans = Vec::new();
    if spec.emails || own.iter().any(|o| o.mask == Mask::Email) {
        scan::emails(t, &mut spans);
        if !spec.emails {
            // Only the contact's own address, with pseudonyms.
            spans.retain(|s| own.iter().any(|o| o.mask == Mask::Email && eq_lower(&text[s.start..s.end], &o.chars)));
        }
    }
    // Each number-shaped detector runs only where the text has the digits (and dots
    // or colons) such a number needs: most messages have none, and one counting pass
    // costs far less than four scans (the render bench, with every kind on).
    let has = Profile::of(t);
    if spec.cards && has.digits >= scan::CARD_DIGITS {
        scan::cards(t, &mut spans);
    }
    if spec.ibans && has.digits >= scan::IBAN_DIGITS {
        scan::ibans(t, &mut spans);
    }
    if spec.ips && (has.ipv4() || has.ipv6(t)) {
        scan::ips(t, &mut spans);
    }
    if spec.phones && has.digits >= scan::PHONE_DIGITS {
        scan::phones(t, &mut spans);
    }
    names.find(text, &mut spans);
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
        count(tally, &mask);
        at = end;
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

/// What a text holds of the characters numbers are made of, counted in one pass.
#[derive(Debug, Default, Clone, Copy)]
struct Profile {
    digits: usize,
    dots: usize,
    colons: usize,
}

impl Profile {
    fn of(t: &[u8]) -> Profile {
        let (mut digits, mut dots, mut colons) = (0usize, 0usize, 0usize);
        // Byte-wide counters a block (a block's count fits a byte): sixteen lanes a
        // vector instead of the two that word-wide counters got.
        for block in t.chunks(255) {
            let (mut d, mut p, mut c) = (0u8, 0u8, 0u8);
            for &b in block {
                d += u8::from(b.wrapping_sub(b'0') < 10);
                p += u8::from(b == b'.');
                c += u8::from(b == b':');
            }
            (digits, dots, colons) = (digits + usize::from(d), dots + usize::from(p), colons + usize::from(c));
        }
        Profile { digits, dots, colons }
    }

    /// Four numbers and three dots at least.
    fn ipv4(self) -> bool {
        self.digits >= 4 && self.dots >= 3
    }

    /// Seven colons, or six before an IPv4 tail, or `::` somewhere; and a digit.
    fn ipv6(self, t: &[u8]) -> bool {
        self.digits >= 1 && (self.colons >= 6 || self.colons >= 2 && memchr::memmem::find(t, b"::").is_some())
    }
}

#[cfg(test)]
mod tests;
