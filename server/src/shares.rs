//! Fair shares of a bounded resource (open streams, running ingests): at most `per_account`
//! at once per account and `total` in all; a permit gives its place back when dropped.
//! Past either bound the answer is [`Busy`] at once, never a queue.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Why no place was given: a sentence that says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Busy(pub String);

/// The places taken, per account.
#[derive(Clone)]
pub struct Shares {
    taken: Arc<Mutex<HashMap<i64, usize>>>,
    per_account: usize,
    total: usize,
    /// What is bounded, as a sentence's subject: "exports stream", "ingest batches run".
    what: &'static str,
}

/// One place; dropping it gives it back.
pub struct Permit {
    shares: Shares,
    account: i64,
}

impl Shares {
    pub fn new(per_account: usize, total: usize, what: &'static str) -> Shares {
        Shares { taken: Arc::default(), per_account, total, what }
    }

    pub fn take(&self, account: i64) -> Result<Permit, Busy> {
        let mut taken = self.taken.lock().unwrap_or_else(|e| e.into_inner());
        let total: usize = taken.values().sum();
        let mine = taken.get(&account).copied().unwrap_or(0);
        if mine >= self.per_account {
            return Err(Busy(format!("at most {} {} at once per account: wait for one to finish", self.per_account, self.what)));
        }
        if total >= self.total {
            return Err(Busy(format!("the server has as many {} as it can: try again shortly", self.what)));
        }
        taken.insert(account, mine + 1);
        Ok(Permit { shares: self.clone(), account })
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut taken = self.shares.taken.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = taken.get_mut(&self.account) {
            *n -= 1;
            if *n == 0 {
                taken.remove(&self.account);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_takes_at_most_its_share_and_others_are_not_held_up() {
        let shares = Shares::new(4, 64, "things run");
        let mine: Vec<Permit> = (0..4).map(|_| shares.take(1).unwrap()).collect();
        let busy = shares.take(1).err().expect("one past the account's share");
        assert_eq!(busy.0, "at most 4 things run at once per account: wait for one to finish");
        let other = shares.take(2).expect("another account is not held up");
        drop(mine.into_iter().next());
        let again = shares.take(1).expect("a dropped permit's place is free again");
        drop((other, again));
    }

    #[test]
    fn the_process_gives_at_most_its_total_whoever_asks() {
        let shares = Shares::new(4, 64, "things run");
        let all: Vec<Permit> = (0..64).map(|n| shares.take(n / 4).unwrap()).collect();
        assert!(shares.take(10_000).is_err());
        drop(all);
        assert!(shares.taken.lock().unwrap().is_empty(), "every place given back");
    }
}
