//! An IANA time zone, by name: the zone an export shows its times in, and the one a
//! schedule's periods start in. Stored and sent as its name (`Europe/Berlin`).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct TimeZone(chrono_tz::Tz);

impl TimeZone {
    pub const UTC: TimeZone = TimeZone(chrono_tz::Tz::UTC);

    pub fn tz(self) -> chrono_tz::Tz {
        self.0
    }

    /// Its IANA name.
    pub fn name(self) -> &'static str {
        self.0.name()
    }

    pub fn is_utc(self) -> bool {
        self == TimeZone::UTC
    }
}

impl Default for TimeZone {
    fn default() -> Self {
        TimeZone::UTC
    }
}

impl From<chrono_tz::Tz> for TimeZone {
    fn from(tz: chrono_tz::Tz) -> Self {
        TimeZone(tz)
    }
}

impl FromStr for TimeZone {
    type Err = String;

    /// The zone of an IANA name, or a message that says what to change.
    fn from_str(name: &str) -> Result<Self, String> {
        name.trim()
            .parse::<chrono_tz::Tz>()
            .map(TimeZone)
            .map_err(|_| format!("{name:?} is not an IANA time zone: use one such as Europe/Berlin, America/New_York or UTC"))
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl From<TimeZone> for String {
    fn from(zone: TimeZone) -> String {
        zone.name().to_string()
    }
}

impl TryFrom<String> for TimeZone {
    type Error = String;

    fn try_from(name: String) -> Result<Self, String> {
        name.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zone_reads_and_writes_as_its_iana_name() {
        let berlin: TimeZone = " Europe/Berlin".parse().unwrap();
        assert_eq!(serde_json::to_string(&berlin).unwrap(), "\"Europe/Berlin\"");
        assert_eq!(serde_json::from_str::<TimeZone>("\"Asia/Kolkata\"").unwrap().name(), "Asia/Kolkata");
        let err = serde_json::from_str::<TimeZone>("\"Mars/Olympus\"").unwrap_err().to_string();
        assert!(err.contains("Mars/Olympus") && err.contains("Europe/Berlin"), "{err}");
        assert!(TimeZone::default().is_utc());
    }
}
