//! Render slots shared fairly between accounts: at most `n` renders (server exports and
//! the reproductions that check browser uploads) run at once per process, and a free
//! slot goes to the accounts that wait in turn, one render each, so one account starting
//! twenty renders delays another account's by at most one render, not twenty.

use futures_channel::oneshot;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct State {
    free: usize,
    /// Accounts with someone waiting, in the order they get the next slots.
    turn: VecDeque<i64>,
    waiting: HashMap<i64, VecDeque<oneshot::Sender<Slot>>>,
}

/// The slots; cheap to clone.
#[derive(Clone)]
pub struct Slots {
    state: Arc<Mutex<State>>,
}

/// A slot held: given to the next waiter (fairly) when dropped.
pub struct Slot {
    slots: Option<Slots>,
}

/// A place in the queue: resolves to a slot. Dropping it leaves the queue.
pub type Waiting = oneshot::Receiver<Slot>;

/// What asking for a slot gave.
pub enum Asked {
    Now(Slot),
    Queued(Waiting),
}

impl Slots {
    pub fn new(n: usize) -> Slots {
        Slots { state: Arc::new(Mutex::new(State { free: n.max(1), ..State::default() })) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A slot for one of `account`'s renders: at once when one is free and nobody waits,
    /// else a place in that account's queue.
    pub fn ask(&self, account: i64) -> Asked {
        let mut state = self.lock();
        if state.free > 0 && state.turn.is_empty() {
            state.free -= 1;
            return Asked::Now(Slot { slots: Some(self.clone()) });
        }
        let (tx, rx) = oneshot::channel();
        let queue = state.waiting.entry(account).or_default();
        queue.push_back(tx);
        if queue.len() == 1 {
            state.turn.push_back(account);
        }
        Asked::Queued(rx)
    }

    /// A slot came free: the next account in turn gets it (skipping waiters that left).
    fn release(&self) {
        let mut state = self.lock();
        let mut slot = Some(Slot { slots: Some(self.clone()) });
        while let Some(account) = state.turn.pop_front() {
            let Some(queue) = state.waiting.get_mut(&account) else { continue };
            while let Some(given) = slot.take() {
                let Some(tx) = queue.pop_front() else {
                    slot = Some(given);
                    break;
                };
                if let Err(back) = tx.send(given) {
                    // That waiter left: the next one.
                    slot = Some(back);
                }
            }
            if queue.is_empty() {
                state.waiting.remove(&account);
            } else {
                // Still waiting: back at the end of the turn.
                state.turn.push_back(account);
            }
            if slot.is_none() {
                return;
            }
        }
        // Nobody waits: the slot is free.
        if let Some(mut slot) = slot {
            slot.slots = None;
        }
        state.free += 1;
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(slots) = self.slots.take() {
            slots.release();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taken(asked: Asked) -> Slot {
        match asked {
            Asked::Now(slot) => slot,
            Asked::Queued(_) => panic!("expected a free slot"),
        }
    }

    #[test]
    fn a_free_slot_goes_to_each_waiting_account_in_turn() {
        let slots = Slots::new(1);
        let running = taken(slots.ask(1));
        let mut greedy: Vec<Waiting> = (0..5)
            .map(|_| match slots.ask(1) {
                Asked::Queued(w) => w,
                Asked::Now(_) => panic!(),
            })
            .collect();
        let Asked::Queued(mut other) = slots.ask(2) else { panic!("no slot is free") };
        drop(running);
        // Account 1's first waiter was first in line…
        let first = greedy[0].try_recv().unwrap().expect("account 1's first waiter runs");
        assert!(other.try_recv().unwrap().is_none());
        drop(first);
        // …and then account 2, before account 1's other four.
        let second = other.try_recv().unwrap().expect("account 2 runs next");
        assert!(greedy[1].try_recv().unwrap().is_none());
        drop(second);
        assert!(greedy[1].try_recv().unwrap().is_some());
    }

    #[test]
    fn a_waiter_that_left_passes_its_turn_on_and_the_slot_comes_back() {
        let slots = Slots::new(1);
        let running = taken(slots.ask(1));
        let Asked::Queued(left) = slots.ask(2) else { panic!() };
        drop(left);
        drop(running);
        let again = taken(slots.ask(3));
        drop(again);
        assert_eq!(slots.lock().free, 1);
    }
}
