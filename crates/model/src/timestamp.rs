//! Reading instants fast: the form the server writes (`2026-11-27T08:05:09Z`, with or
//! without a fraction) is read by a fixed-position parser; any other RFC 3339 form (an
//! offset, a space for the `T` …) by chrono's, with chrono's error. Parsing page JSON is
//! a third of an export's time in the browser, and two million timestamps a big share of
//! that (the click_to_ready bench).

use crate::Timestamp;
use chrono::NaiveDate;
use serde::Deserializer;

/// `YYYY-MM-DDTHH:MM:SS[.f…]Z`, or `None` for anything else.
fn fast(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[b.len() - 1] != b'Z' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |n, c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
    };
    let nanos = match &b[19..b.len() - 1] {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) && digits.iter().all(u8::is_ascii_digit) => {
            let n = digits.iter().fold(0u32, |n, c| n * 10 + u32::from(c - b'0'));
            n * 10u32.pow(9 - digits.len() as u32)
        }
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
    Some(date.and_hms_nano_opt(num(11..13)?, num(14..16)?, num(17..19)?, nanos)?.and_utc())
}

/// Any RFC 3339 instant, as UTC.
pub fn parse(s: &str) -> Result<Timestamp, chrono::ParseError> {
    match fast(s) {
        Some(t) => Ok(t),
        None => s.parse(),
    }
}

struct Visitor;

impl serde::de::Visitor<'_> for Visitor {
    type Value = Timestamp;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an RFC 3339 date and time")
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Timestamp, E> {
        parse(s).map_err(E::custom)
    }
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
    d.deserialize_str(Visitor)
}

pub fn deserialize_option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    struct Optional;
    impl<'de> serde::de::Visitor<'de> for Optional {
        type Value = Option<Timestamp>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an RFC 3339 date and time, or null")
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            deserialize(d).map(Some)
        }
    }
    d.deserialize_option(Optional)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_path_reads_what_chrono_reads() {
        for s in [
            "2026-11-27T08:05:09Z",
            "2026-11-27T08:05:09.5Z",
            "2026-11-27T08:05:09.123Z",
            "2026-11-27T08:05:09.123456789Z",
            "2024-02-29T23:59:59Z",
            "0001-01-01T00:00:00Z",
        ] {
            assert_eq!(fast(s), Some(s.parse::<Timestamp>().unwrap()), "{s}");
        }
        for s in [
            "2026-11-27T08:05:09+01:00",
            "2026-11-27 08:05:09Z",
            "2026-02-30T00:00:00Z",
            "2026-11-27T08:05:60Z",
            "2026-11-27T08:05:09.Z",
            "x",
        ] {
            assert_eq!(fast(s), None, "{s}");
        }
        assert_eq!(parse("2026-11-27T09:05:09+01:00").unwrap(), "2026-11-27T08:05:09Z".parse::<Timestamp>().unwrap());
        assert_eq!(
            parse("2026-13-01T00:00:00Z").unwrap_err().to_string(),
            "2026-13-01T00:00:00Z".parse::<Timestamp>().unwrap_err().to_string()
        );
    }
}
