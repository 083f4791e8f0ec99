//! The time source: the system clock in production, a settable one in tests (retention,
//! takeover and the sweeper are tested by moving time, not by waiting).

use chrono::{DateTime, Utc};
use convo_model::Timestamp;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

#[derive(Clone)]
pub enum Clock {
    System,
    Manual(Arc<AtomicI64>),
}

impl Clock {
    /// A clock that stands still at `start` until moved.
    pub fn manual(start: Timestamp) -> Clock {
        Clock::Manual(Arc::new(AtomicI64::new(ms(start))))
    }

    pub fn now(&self) -> Timestamp {
        match self {
            Clock::System => Utc::now(),
            Clock::Manual(t) => from_ms(t.load(Ordering::SeqCst)),
        }
    }

    /// Moves a manual clock forward; the system clock cannot be moved.
    pub fn advance(&self, by: chrono::Duration) {
        match self {
            Clock::System => panic!("the system clock cannot be moved"),
            Clock::Manual(t) => {
                t.fetch_add(by.num_milliseconds(), Ordering::SeqCst);
            }
        }
    }
}

/// Milliseconds since the Unix epoch: how the database stores instants.
pub fn ms(t: Timestamp) -> i64 {
    t.timestamp_millis()
}

pub fn from_ms(ms: i64) -> Timestamp {
    DateTime::from_timestamp_millis(ms).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// An RFC 3339 time with any offset, as UTC: how every input names an instant.
pub fn parse_rfc3339(raw: &str) -> Result<Timestamp, chrono::ParseError> {
    DateTime::parse_from_rfc3339(raw).map(|t| t.to_utc())
}
