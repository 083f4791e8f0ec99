//! The export time range in whole days, 1–365: one rule for the dialog, the API and the CLI.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A validated number of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "u16")]
pub struct Days(u16);

impl Days {
    pub const MIN: u16 = 1;
    pub const MAX: u16 = 365;
    /// The dialog's quick picks: last week, month and quarter.
    pub const QUICK_PICKS: [u16; 3] = [7, 30, 90];

    pub fn get(self) -> u16 {
        self.0
    }

    pub fn duration(self) -> chrono::Duration {
        chrono::Duration::days(i64::from(self.0))
    }

    /// Parses what a person typed, with a message fit to show next to the field.
    pub fn parse(input: &str) -> Result<Days, DaysError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(DaysError::Empty);
        }
        if !trimmed.bytes().all(|b| b.is_ascii_digit() || b == b'-' || b == b'+') {
            return Err(DaysError::NotWhole(trimmed.to_string()));
        }
        match trimmed.parse::<i64>() {
            Ok(n) => Days::try_from(n),
            Err(_) if trimmed.trim_start_matches(['-', '+']).bytes().all(|b| b.is_ascii_digit()) => Err(DaysError::OutOfRange),
            Err(_) => Err(DaysError::NotWhole(trimmed.to_string())),
        }
    }
}

impl TryFrom<i64> for Days {
    type Error = DaysError;

    fn try_from(n: i64) -> Result<Days, DaysError> {
        if (i64::from(Days::MIN)..=i64::from(Days::MAX)).contains(&n) { Ok(Days(n as u16)) } else { Err(DaysError::OutOfRange) }
    }
}

impl From<Days> for u16 {
    fn from(d: Days) -> u16 {
        d.0
    }
}

impl fmt::Display for Days {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DaysError {
    #[error("Enter a number of days from 1 to 365.")]
    Empty,
    #[error("\u{201c}{0}\u{201d} is not a whole number of days: enter a number from 1 to 365.")]
    NotWhole(String),
    #[error("The time range must be from 1 to 365 days.")]
    OutOfRange,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        assert_eq!(Days::parse("1").unwrap().get(), 1);
        assert_eq!(Days::parse(" 365 ").unwrap().get(), 365);
        assert_eq!(Days::parse("0"), Err(DaysError::OutOfRange));
        assert_eq!(Days::parse("366"), Err(DaysError::OutOfRange));
        assert_eq!(Days::parse("-7"), Err(DaysError::OutOfRange));
        assert_eq!(Days::parse("99999999999999999999999"), Err(DaysError::OutOfRange));
        assert_eq!(Days::parse(""), Err(DaysError::Empty));
        assert!(matches!(Days::parse("7.5"), Err(DaysError::NotWhole(_))));
        assert!(matches!(Days::parse("1e2"), Err(DaysError::NotWhole(_))));
        assert!(matches!(Days::parse("٣٠"), Err(DaysError::NotWhole(_))));
    }

    #[test]
    fn json() {
        assert_eq!(serde_json::from_str::<Days>("30").unwrap().get(), 30);
        assert!(serde_json::from_str::<Days>("0").is_err());
        assert!(serde_json::from_str::<Days>("366").is_err());
        assert!(serde_json::from_str::<Days>("7.5").is_err());
        assert!(serde_json::from_str::<Days>("\"7\"").is_err());
        assert_eq!(serde_json::to_string(&Days::parse("90").unwrap()).unwrap(), "90");
    }
}
