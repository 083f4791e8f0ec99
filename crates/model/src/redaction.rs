//! What an export masks before it is shared (docs/api.md, "Redaction"): one
//! rule for the API, schedules, the CLI's `render --redact`, the file's header and
//! manifest. The masking itself is `convo-render`'s, so browser and server write the
//! same bytes.

use serde::{Deserialize, Serialize};

/// The most names a redaction may list, and the longest one, in characters.
pub const MAX_REDACTED_NAMES: usize = 200;
pub const MAX_REDACTED_NAME_CHARS: usize = 100;

/// What to mask; the default masks nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Redaction {
    /// `name@example.com` → `[email]`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub emails: bool,
    /// International (`+44 20 7946 0958`) and national (`020 7946 0958`,
    /// `(555) 123-4567`) numbers → `[phone]`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub phones: bool,
    /// Card numbers that pass the Luhn check → `[card ••1234]` (the last four kept).
    #[serde(default, skip_serializing_if = "is_false")]
    pub cards: bool,
    /// IBANs that pass the mod-97 check → `[iban]`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub ibans: bool,
    /// IPv4 and IPv6 addresses → `[ip]`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub ips: bool,
    /// These names, any case, as whole words → `[name]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    /// What the file calls contacts.
    #[serde(default, skip_serializing_if = "Contacts::is_keep")]
    pub contacts: Contacts,
}

/// How contacts are named in a redacted file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Contacts {
    /// As stored (with the kinds above masked in their fields).
    #[default]
    Keep,
    /// `Contact 1…N`, the same contact the same number within one file; their emails
    /// dropped, their names masked in the messages too.
    Pseudonyms,
}

impl Contacts {
    fn is_keep(&self) -> bool {
        *self == Contacts::Keep
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A kind `render --redact` names, in the order they are applied and described.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedactedKind {
    Emails,
    Phones,
    Cards,
    Ibans,
    Ips,
}

impl RedactedKind {
    pub const ALL: [RedactedKind; 5] =
        [RedactedKind::Emails, RedactedKind::Phones, RedactedKind::Cards, RedactedKind::Ibans, RedactedKind::Ips];

    pub fn as_str(self) -> &'static str {
        match self {
            RedactedKind::Emails => "emails",
            RedactedKind::Phones => "phones",
            RedactedKind::Cards => "cards",
            RedactedKind::Ibans => "ibans",
            RedactedKind::Ips => "ips",
        }
    }

    /// How the Export dialog names it.
    pub fn label(self) -> &'static str {
        match self {
            RedactedKind::Emails => "Email addresses",
            RedactedKind::Phones => "Phone numbers",
            RedactedKind::Cards => "Card numbers (Luhn-checked)",
            RedactedKind::Ibans => "IBANs (mod-97-checked)",
            RedactedKind::Ips => "IP addresses",
        }
    }

    fn from_name(name: &str) -> Option<RedactedKind> {
        RedactedKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl Redaction {
    pub fn is_empty(&self) -> bool {
        *self == Redaction::default()
    }

    /// Whether the kind is masked.
    pub fn masks(&self, kind: RedactedKind) -> bool {
        match kind {
            RedactedKind::Emails => self.emails,
            RedactedKind::Phones => self.phones,
            RedactedKind::Cards => self.cards,
            RedactedKind::Ibans => self.ibans,
            RedactedKind::Ips => self.ips,
        }
    }

    /// Whether the kind is masked, to change it.
    pub fn kind_mut(&mut self, kind: RedactedKind) -> &mut bool {
        match kind {
            RedactedKind::Emails => &mut self.emails,
            RedactedKind::Phones => &mut self.phones,
            RedactedKind::Cards => &mut self.cards,
            RedactedKind::Ibans => &mut self.ibans,
            RedactedKind::Ips => &mut self.ips,
        }
    }

    /// Sets the kinds of a comma-separated list (`emails,phones`); an unknown kind is
    /// an error that names it and the known ones.
    pub fn with_kinds(mut self, list: &str) -> Result<Redaction, String> {
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let kind = RedactedKind::from_name(&name.to_ascii_lowercase()).ok_or_else(|| {
                let known: Vec<_> = RedactedKind::ALL.iter().map(|k| k.as_str()).collect();
                format!("unknown redaction kind {name:?}: use {}", known.join(", "))
            })?;
            *self.kind_mut(kind) = true;
        }
        Ok(self)
    }

    /// The redaction as the preview's query parameters, `&redact=emails,ips&redact_names=A;B
    /// &contacts=pseudonyms` (nothing when it masks nothing): what the server's preview
    /// reads back.
    pub fn to_query(&self) -> String {
        let mut params = String::new();
        let kinds: Vec<&str> = RedactedKind::ALL.into_iter().filter(|k| self.masks(*k)).map(RedactedKind::as_str).collect();
        if !kinds.is_empty() {
            params.push_str("&redact=");
            params.push_str(&kinds.join(","));
        }
        if !self.names.is_empty() {
            params.push_str("&redact_names=");
            crate::filters::push_percent_encoded(&mut params, &self.names.join(";"));
        }
        if self.contacts == Contacts::Pseudonyms {
            params.push_str("&contacts=pseudonyms");
        }
        params
    }

    /// The same redaction with names trimmed, blank ones dropped and each listed once; an
    /// error a person can act on when there are too many or one is too long.
    pub fn normalized(mut self) -> Result<Redaction, String> {
        let mut names: Vec<String> = Vec::with_capacity(self.names.len());
        for name in &self.names {
            let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
            if name.is_empty() {
                continue;
            }
            if name.chars().count() > MAX_REDACTED_NAME_CHARS {
                return Err(format!("a redacted name may have at most {MAX_REDACTED_NAME_CHARS} characters"));
            }
            if !names.iter().any(|n| n.to_lowercase() == name.to_lowercase()) {
                names.push(name);
            }
        }
        if names.len() > MAX_REDACTED_NAMES {
            return Err(format!("a redaction may list at most {MAX_REDACTED_NAMES} names, not {}", names.len()));
        }
        self.names = names;
        Ok(self)
    }

    /// What is masked, for the file's header: `emails, phones, 2 names; contacts as
    /// pseudonyms`. It never lists the names themselves.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = RedactedKind::ALL.iter().filter(|k| self.masks(**k)).map(|k| k.as_str().to_string()).collect();
        match self.names.len() {
            0 => {}
            1 => parts.push("1 name".into()),
            n => parts.push(format!("{n} names")),
        }
        if self.contacts == Contacts::Pseudonyms {
            parts.push("contacts as pseudonyms".into());
        }
        if parts.is_empty() { "nothing".into() } else { parts.join(", ") }
    }

    /// What the manifest records: the kinds and how contacts are named, with the number
    /// of names in place of the names (the manifest is inside the shared file).
    pub fn stated(&self) -> StatedRedaction {
        StatedRedaction {
            kinds: RedactedKind::ALL.iter().filter(|k| self.masks(**k)).map(|k| k.as_str().to_string()).collect(),
            names: self.names.len(),
            contacts: self.contacts,
        }
    }
}

/// How many masks of each kind a redaction wrote (or, in the preview, would write).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedactionTally {
    pub emails: u64,
    pub phones: u64,
    pub cards: u64,
    pub ibans: u64,
    pub ips: u64,
    pub names: u64,
    /// Contacts given a pseudonym.
    pub contacts: u64,
}

impl RedactionTally {
    /// Matches masked, of every kind (pseudonyms are counted apart).
    pub fn total(&self) -> u64 {
        self.emails + self.phones + self.cards + self.ibans + self.ips + self.names
    }

    /// Adds another tally's counts.
    pub fn add(&mut self, other: RedactionTally) {
        self.emails += other.emails;
        self.phones += other.phones;
        self.cards += other.cards;
        self.ibans += other.ibans;
        self.ips += other.ips;
        self.names += other.names;
        self.contacts += other.contacts;
    }
}

/// What the preview says a redaction would mask.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedactionPreview {
    #[serde(flatten)]
    pub tally: RedactionTally,
    /// Every conversation of the export was read; else the counts are of the first ones
    /// (a preview reads a bounded number of messages) and there are at least as many.
    pub complete: bool,
}

/// A redaction as the file states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatedRedaction {
    pub kinds: Vec<String>,
    pub names: usize,
    pub contacts: Contacts,
}

impl StatedRedaction {
    /// The redaction a tab renders with: the same kinds and contacts, no names (an
    /// export with names is the server's to render).
    pub fn without_names(&self) -> Redaction {
        let mut r = Redaction { contacts: self.contacts, ..Redaction::default() };
        for kind in RedactedKind::ALL.into_iter().filter(|k| self.kinds.iter().any(|s| s == k.as_str())) {
            *r.kind_mut(kind) = true;
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kind_list_sets_each_kind_and_refuses_an_unknown_one_by_name() {
        let r = Redaction::default().with_kinds("emails, Cards,ips").unwrap();
        assert!(r.emails && r.cards && r.ips && !r.phones && !r.ibans);
        let e = Redaction::default().with_kinds("emails,passports").unwrap_err();
        assert!(e.contains("\"passports\"") && e.contains("ibans"), "{e}");
    }

    #[test]
    fn an_unknown_field_in_json_is_refused_by_name() {
        let e = serde_json::from_str::<Redaction>(r#"{"emails":true,"ssn":true}"#).unwrap_err().to_string();
        assert!(e.contains("ssn"), "{e}");
        let e = serde_json::from_str::<Redaction>(r#"{"contacts":"hide"}"#).unwrap_err().to_string();
        assert!(e.contains("hide"), "{e}");
    }

    #[test]
    fn names_are_trimmed_once_each_and_bounded() {
        let r =
            Redaction { names: vec!["  Ana   Souza ".into(), "ana souza".into(), "".into()], ..Redaction::default() }.normalized().unwrap();
        assert_eq!(r.names, vec!["Ana Souza".to_string()]);
        let many = Redaction { names: (0..=MAX_REDACTED_NAMES).map(|n| format!("n{n}")).collect(), ..Redaction::default() };
        assert!(many.normalized().is_err());
    }

    #[test]
    fn the_description_counts_names_without_listing_them() {
        let r = Redaction { phones: true, names: vec!["Ana".into(), "Bo".into()], contacts: Contacts::Pseudonyms, ..Redaction::default() };
        assert_eq!(r.describe(), "phones, 2 names, contacts as pseudonyms");
        assert!(!serde_json::to_string(&r.stated()).unwrap().contains("Ana"));
        assert_eq!(serde_json::to_string(&Redaction::default()).unwrap(), "{}");
    }
}
