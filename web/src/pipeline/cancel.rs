//! Stopping an export in flight: the tab keeps a [`Cancel`] for each export it runs, and
//! the export watches the [`Cancelled`] made with it, wherever it runs (in the export
//! worker, the page forwards the word as a message).

use futures_channel::mpsc;
use futures_util::StreamExt;

/// Stops the export made with it (see [`cancel_pair`]).
#[derive(Clone)]
pub struct Cancel(mpsc::UnboundedSender<()>);

/// What an export watches: whether it was cancelled, or a wait until it is.
pub struct Cancelled {
    said: mpsc::UnboundedReceiver<()>,
    seen: bool,
}

/// A handle to stop an export, and what the export watches.
pub fn cancel_pair() -> (Cancel, Cancelled) {
    let (tx, rx) = mpsc::unbounded();
    (Cancel(tx), Cancelled { said: rx, seen: false })
}

impl Cancel {
    pub fn cancel(&self) {
        let _ = self.0.unbounded_send(());
    }
}

impl Cancelled {
    pub fn is_cancelled(&mut self) -> bool {
        if !self.seen {
            self.seen = self.said.try_recv().is_ok();
        }
        self.seen
    }

    /// Resolves once cancelled; never when every [`Cancel`] is gone unused.
    pub async fn wait(&mut self) {
        if !self.seen {
            match self.said.next().await {
                Some(()) => self.seen = true,
                None => futures_util::future::pending().await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn an_export_is_cancelled_only_once_its_cancel_was_used() {
        let (cancel, mut cancelled) = cancel_pair();
        assert!(!cancelled.is_cancelled());
        cancel.clone().cancel();
        assert!(cancelled.is_cancelled());
        assert!(cancelled.is_cancelled(), "stays cancelled");
        let (cancel, mut cancelled) = cancel_pair();
        drop(cancel);
        assert!(!cancelled.is_cancelled(), "a dropped handle cancels nothing");
    }
}
