//! A long computation's link to its caller, asked and told between work items: whether to stop
//! ([`Monitor::interrupted`]; the computation then ends with an `Interrupted` error of its crate)
//! and how much is done ([`Monitor::advance`], for a progress bar). A monitor only observes, so
//! the numbers of a computation that ends are those of one without it, bit for bit.
//!
//! `()` is the monitor that reports nowhere and never interrupts; a closure `Fn(u64)` is one
//! that only reports (the command line's progress bars); a front door that must stop on the
//! user's request (Python's Ctrl-C) implements both methods, typically over atomics. The
//! sampling crate's ensembles report nets; the vertex recursions here ([`crate::FourPointVertex`],
//! [`crate::KernelShift`], [`crate::SixPointVertex`]) only ask, before each Gaussian expectation
//! they spread over the cores ([`parallel_map`]).

use crate::error::{Result, TheoryError};

/// What a long computation reports to its caller and asks it, between work items (from worker
/// threads, hence `Sync`; both methods should return at once).
pub trait Monitor: Sync {
    /// `done` more units of work (nets, for an ensemble) have ended.
    fn advance(&self, done: u64) {
        let _ = done;
    }
    /// Whether the caller asks the computation to stop; asked before each work item. Once it
    /// returns `true` no further item starts, the items running finish, and the computation
    /// returns its crate's `Interrupted` error: the latency is one work item per thread.
    fn interrupted(&self) -> bool {
        false
    }
}

/// Reports nowhere, never interrupts.
impl Monitor for () {}

/// Reports to the closure, never interrupts.
impl<F: Fn(u64) + Sync> Monitor for F {
    fn advance(&self, done: u64) {
        self(done)
    }
}

/// `f(0), ..., f(n - 1)` spread over the available cores (at most 8), interleaved so that costly
/// entries are balanced; each value is computed alone, so the result does not depend on the
/// number of threads. `monitor` is asked before each entry; [`TheoryError::Interrupted`] if it
/// asks to stop.
pub(crate) fn parallel_map<T: Send>(n: usize, monitor: &dyn Monitor, f: impl Fn(usize) -> T + Sync) -> Result<Vec<T>> {
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get()).clamp(1, 8);
    let mut all: Vec<(usize, T)> = Vec::with_capacity(n);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let f = &f;
                scope.spawn(move || {
                    (t..n)
                        .step_by(threads)
                        .take_while(|_| !monitor.interrupted())
                        .map(|i| (i, f(i)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            all.extend(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
    });
    if all.len() < n {
        return Err(TheoryError::Interrupted);
    }
    all.sort_unstable_by_key(|(i, _)| *i);
    Ok(all.into_iter().map(|(_, v)| v).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// Counts the questions; asks to stop from the `stop_at`-th on.
    struct Asked(AtomicU64, u64);

    impl Monitor for Asked {
        fn interrupted(&self) -> bool {
            self.0.fetch_add(1, Ordering::Relaxed) + 1 >= self.1
        }
    }

    #[test]
    fn parallel_map_keeps_the_order_and_stops_when_asked() {
        let squares = parallel_map(1000, &(), |i| i * i).unwrap();
        assert!(squares.iter().enumerate().all(|(i, &s)| s == i * i));
        let stop = Asked(AtomicU64::new(0), 10);
        assert_eq!(parallel_map(1000, &stop, |i| i).unwrap_err(), TheoryError::Interrupted);
        assert!(stop.0.load(Ordering::Relaxed) < 1000);
    }
}
