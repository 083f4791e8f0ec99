//! Login throttling: attempts counted per key (an account's email, a client's address)
//! *before* the password is checked, in the database, so that a burst of parallel
//! guesses gets no more tries than guesses one by one, and every server process counts
//! the same attempts. Past a few free attempts a key is blocked, each time twice as long
//! as the last, up to a cap; a blocked key is refused before any hashing, so guessing
//! costs the guesser time and the server nothing. A successful login forgets its account
//! key's attempts.

use crate::store::{Store, throttle::Attempts};
use convo_model::Timestamp;

/// How a kind of key is throttled.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Attempts within `window` that are never blocked.
    pub free: i64,
    /// Attempts older than this are forgotten (unless the key is still blocked).
    pub window: chrono::Duration,
    /// The longest a key is blocked.
    pub max_block: chrono::Duration,
}

/// The attempt being made now, counted: allowed, or refused for how long.
pub fn attempt(stored: Attempts, policy: Policy, now: Timestamp) -> (Attempts, Option<chrono::Duration>) {
    if stored.blocked_until > now {
        return (stored, Some(stored.blocked_until - now));
    }
    let mut next =
        if now - stored.first_at >= policy.window { Attempts { attempts: 0, first_at: now, blocked_until: now } } else { stored };
    next.attempts += 1;
    // The `free`th attempt goes through and blocks the next one: guesses one by one and a
    // burst alike get `free` checks, then one more each time a block ends.
    if next.attempts >= policy.free {
        let doublings = (next.attempts - policy.free).clamp(0, 20) as u32;
        next.blocked_until = now + chrono::Duration::seconds(1i64 << doublings).min(policy.max_block);
    }
    (next, None)
}

/// An attempt that succeeded, no longer counted.
pub fn refund(stored: Attempts, policy: Policy, now: Timestamp) -> Attempts {
    let attempts = (stored.attempts - 1).max(0);
    let blocked_until = if attempts < policy.free { now.min(stored.blocked_until) } else { stored.blocked_until };
    Attempts { attempts, blocked_until, ..stored }
}

/// Attempts of many keys, kept by the store.
#[derive(Clone)]
pub struct Throttle {
    store: Store,
}

impl Throttle {
    pub fn new(store: Store) -> Throttle {
        Throttle { store }
    }

    /// Counts an attempt of `key`; how long it must wait when it is blocked.
    pub async fn attempt(&self, key: &str, policy: Policy, now: Timestamp) -> crate::store::Result<Option<chrono::Duration>> {
        self.store.update_attempts(key, now, |stored| attempt(stored, policy, now)).await
    }

    /// A success forgets the key's attempts.
    pub async fn succeeded(&self, key: &str) -> crate::store::Result<()> {
        self.store.forget_attempts(key).await
    }

    /// A success gives back the attempt it was counted as (a client address that logs in
    /// often is not guessing), lifting a block that attempt began.
    pub async fn refund(&self, key: &str, policy: Policy, now: Timestamp) -> crate::store::Result<()> {
        self.store.update_attempts(key, now, |stored| (refund(stored, policy, now), ())).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: Policy = Policy { free: 3, window: chrono::Duration::minutes(15), max_block: chrono::Duration::seconds(60) };

    fn fresh(now: Timestamp) -> Attempts {
        Attempts { attempts: 0, first_at: now, blocked_until: now }
    }

    #[test]
    fn free_attempts_then_doubling_blocks_up_to_the_cap() {
        let mut now: Timestamp = "2026-11-27T12:00:00Z".parse().unwrap();
        let mut stored = fresh(now);
        for n in 1..=3 {
            let (next, refused) = attempt(stored, POLICY, now);
            assert_eq!(refused, None, "attempt {n} is free");
            stored = next;
        }
        let (_, refused) = attempt(stored, POLICY, now);
        assert_eq!(refused, Some(chrono::Duration::seconds(1)), "the one after the free ones waits, checked or not");
        let mut blocks = Vec::new();
        for _ in 0..9 {
            now = stored.blocked_until;
            let (next, refused) = attempt(stored, POLICY, now);
            assert_eq!(refused, None, "free again once the block is over");
            blocks.push((next.blocked_until - now).num_seconds());
            stored = next;
        }
        assert_eq!(blocks, [2, 4, 8, 16, 32, 60, 60, 60, 60]);
    }

    #[test]
    fn a_burst_gets_exactly_the_free_attempts() {
        let now: Timestamp = "2026-11-27T12:00:00Z".parse().unwrap();
        let mut stored = fresh(now);
        let mut allowed = 0;
        for _ in 0..100 {
            let (next, refused) = attempt(stored, POLICY, now);
            allowed += usize::from(refused.is_none());
            stored = next;
        }
        assert_eq!(allowed, 3);
    }

    #[test]
    fn old_attempts_are_forgotten() {
        let now: Timestamp = "2026-11-27T12:00:00Z".parse().unwrap();
        let mut stored = fresh(now);
        for _ in 0..2 {
            stored = attempt(stored, POLICY, now).0;
        }
        let later = now + chrono::Duration::minutes(16);
        let (next, refused) = attempt(stored, POLICY, later);
        assert_eq!((refused, next.attempts), (None, 1));
    }
}
