//! Input order during a parallel read: which input the in-order consumer
//! has reached. The runner (`run`) advances it and uses it to bound how far
//! ahead readers read; a reader whose input must see every earlier input
//! complete (the join book of Batch API halves, `join`) waits for its turn.
//! It lives in ingest because ingest is where that wait happens, and the
//! runner already depends on ingest.

use std::sync::{Arc, Condvar, Mutex};

thread_local! {
    /// The input this thread is reading, when inputs are read in parallel.
    static TURN: std::cell::RefCell<Option<(Arc<Turns>, usize)>> =
        const { std::cell::RefCell::new(None) };
}

/// Which input the consumer of a parallel read has reached: inputs are
/// consumed in order, so all inputs before `current` are read completely.
#[derive(Debug, Default)]
pub struct Turns {
    state: Mutex<TurnState>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct TurnState {
    current: usize,
    cancelled: bool,
}

impl Turns {
    fn state(&self) -> std::sync::MutexGuard<'_, TurnState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The consumer has reached input `index`.
    pub fn advance(&self, index: usize) {
        self.state().current = index;
        self.changed.notify_all();
    }

    /// The consumer stopped: wake every waiting reader so it can give up.
    pub fn cancel(&self) {
        self.state().cancelled = true;
        self.changed.notify_all();
    }

    pub fn is_cancelled(&self) -> bool {
        self.state().cancelled
    }

    /// Block until input `index` is within `window` inputs of the
    /// consumer (bounding the inputs in flight); false when cancelled.
    pub fn wait_for_window(&self, index: usize, window: usize) -> bool {
        let mut s = self.state();
        while !s.cancelled && index >= s.current + window {
            s = self.changed.wait(s).unwrap_or_else(|p| p.into_inner());
        }
        !s.cancelled
    }

    fn wait_for(&self, index: usize) {
        let mut s = self.state();
        while !s.cancelled && s.current < index {
            s = self.changed.wait(s).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Run `f` (the reading of input `index`) on this thread with the
    /// turn set, so that [`wait_for_turn`] waits for earlier inputs.
    pub fn reading<R>(self: &Arc<Self>, index: usize, f: impl FnOnce() -> R) -> R {
        TURN.with(|t| *t.borrow_mut() = Some((self.clone(), index)));
        let out = f();
        TURN.with(|t| *t.borrow_mut() = None);
        out
    }
}

/// When this thread is reading an input of a parallel run (see
/// [`Turns::reading`]), block until every earlier input has been read
/// completely; otherwise return at once.
pub fn wait_for_turn() {
    TURN.with(|t| {
        if let Some((turns, index)) = &*t.borrow() {
            turns.wait_for(*index);
        }
    });
}
