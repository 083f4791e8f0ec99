//! The channels a contact reaches an assistant through.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A known channel, or any other name an import carries (kept, never refused).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    WebsiteWidget,
    ShopifyWidget,
    FacebookMessenger,
    FacebookComment,
    InstagramDm,
    InstagramComment,
    Gmail,
    SharedLink,
    Api,
    Other(String),
}

const KNOWN: [(Channel, &str, &str); 9] = [
    (Channel::WebsiteWidget, "website_widget", "Website Widget"),
    (Channel::ShopifyWidget, "shopify_widget", "Shopify Widget"),
    (Channel::FacebookMessenger, "facebook_messenger", "Facebook Messenger"),
    (Channel::FacebookComment, "facebook_comment", "Facebook Comment"),
    (Channel::InstagramDm, "instagram_dm", "Instagram DM"),
    (Channel::InstagramComment, "instagram_comment", "Instagram Comment"),
    (Channel::Gmail, "gmail", "Gmail"),
    (Channel::SharedLink, "shared_link", "Shared Link"),
    (Channel::Api, "api", "API"),
];

impl Channel {
    /// Every known channel, in the order the product lists them.
    pub fn known() -> impl Iterator<Item = Channel> {
        KNOWN.iter().map(|(c, _, _)| c.clone())
    }

    /// The stable machine name (`website_widget`), or the raw name of an unknown one.
    pub fn id(&self) -> &str {
        match self {
            Channel::Other(name) => name,
            known => KNOWN.iter().find(|(c, _, _)| c == known).map(|(_, id, _)| *id).unwrap_or(""),
        }
    }

    /// The name people read ("Website Widget").
    pub fn label(&self) -> &str {
        match self {
            Channel::Other(name) => name,
            known => KNOWN.iter().find(|(c, _, _)| c == known).map(|(_, _, l)| *l).unwrap_or(""),
        }
    }

    /// Accepts the machine name or the label, in any case and with `-`, `_` or spaces.
    pub fn parse(raw: &str) -> Channel {
        let norm = |s: &str| -> String { s.chars().filter(|c| !matches!(c, ' ' | '_' | '-')).flat_map(char::to_lowercase).collect() };
        let wanted = norm(raw);
        KNOWN
            .iter()
            .find(|(_, id, _)| norm(id) == wanted)
            .map(|(c, _, _)| c.clone())
            .unwrap_or_else(|| Channel::Other(raw.trim().to_string()))
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl Serialize for Channel {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

impl<'de> Deserialize<'de> for Channel {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Ok(Channel::parse(&raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_ids_round_trip() {
        for c in Channel::known() {
            assert_eq!(Channel::parse(c.id()), c);
            assert_eq!(Channel::parse(c.label()), c);
            assert_eq!(Channel::parse(&c.label().to_uppercase()), c);
        }
        assert_eq!(Channel::parse("Telegram"), Channel::Other("Telegram".into()));
        assert_eq!(Channel::parse("Instagram-DM"), Channel::InstagramDm);
    }
}
