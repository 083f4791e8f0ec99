//! Login throttling: failures counted per key (an account's email, a client's address);
//! past a few free ones, each failure blocks the key for twice as long as the last, up
//! to a cap. A blocked key is refused before any password is checked, so guessing costs
//! the guesser time and the server nothing. In memory, per process, and bounded.

use convo_model::Timestamp;
use std::collections::HashMap;
use std::sync::Mutex;

/// How a kind of key is throttled.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Failures within `window` that cost nothing.
    pub free: u32,
    /// Failures older than this are forgotten.
    pub window: chrono::Duration,
    /// The longest a key is blocked.
    pub max_block: chrono::Duration,
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    first: Timestamp,
    blocked_until: Timestamp,
}

/// Keys tracked at most; beyond it the oldest windows are forgotten first.
const MAX_KEYS: usize = 100_000;

#[derive(Debug, Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, Failures>>,
}

impl Throttle {
    /// How long `key` must still wait, if it is blocked.
    pub fn blocked(&self, key: &str, now: Timestamp) -> Option<chrono::Duration> {
        let map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key).map(|f| f.blocked_until - now).filter(|left| *left > chrono::Duration::zero())
    }

    /// Counts a failure of `key`; past the free ones it blocks the key.
    pub fn failed(&self, key: &str, policy: Policy, now: Timestamp) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_KEYS && !map.contains_key(key) {
            map.retain(|_, f| now - f.first < policy.window || f.blocked_until > now);
            let oldest = (map.len() >= MAX_KEYS).then(|| map.iter().min_by_key(|(_, f)| f.first).map(|(k, _)| k.clone())).flatten();
            if let Some(oldest) = oldest {
                map.remove(&oldest);
            }
        }
        let entry = map.entry(key.to_string()).or_insert(Failures { count: 0, first: now, blocked_until: now });
        if now - entry.first >= policy.window && entry.blocked_until <= now {
            *entry = Failures { count: 0, first: now, blocked_until: now };
        }
        entry.count += 1;
        if entry.count > policy.free {
            let doublings = (entry.count - policy.free - 1).min(20);
            let block = chrono::Duration::seconds(1i64 << doublings).min(policy.max_block);
            entry.blocked_until = now + block;
        }
    }

    /// A success forgets the key's failures.
    pub fn succeeded(&self, key: &str) {
        self.failures.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: Policy = Policy { free: 3, window: chrono::Duration::minutes(15), max_block: chrono::Duration::seconds(60) };

    #[test]
    fn free_failures_then_doubling_blocks_up_to_the_cap() {
        let t = Throttle::default();
        let mut now: Timestamp = "2026-11-27T12:00:00Z".parse().unwrap();
        for _ in 0..3 {
            t.failed("a", POLICY, now);
            assert_eq!(t.blocked("a", now), None);
        }
        let mut blocks = Vec::new();
        for _ in 0..9 {
            t.failed("a", POLICY, now);
            let left = t.blocked("a", now).unwrap();
            blocks.push(left.num_seconds());
            now += left;
            assert_eq!(t.blocked("a", now), None, "free again once the block is over");
        }
        assert_eq!(blocks, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(t.blocked("b", now), None, "keys are separate");
        t.succeeded("a");
        t.failed("a", POLICY, now);
        assert_eq!(t.blocked("a", now), None, "a success starts over");
    }

    #[test]
    fn old_failures_are_forgotten() {
        let t = Throttle::default();
        let now: Timestamp = "2026-11-27T12:00:00Z".parse().unwrap();
        for _ in 0..3 {
            t.failed("a", POLICY, now);
        }
        let later = now + chrono::Duration::minutes(16);
        t.failed("a", POLICY, later);
        assert_eq!(t.blocked("a", later), None);
    }
}
