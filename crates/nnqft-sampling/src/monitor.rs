//! A long run's link to its caller, asked and told between work items: whether to stop
//! ([`Monitor::interrupted`], the run then ends with [`SamplingError::Interrupted`]) and how
//! many nets are done ([`Monitor::advance`], for a progress bar). Every ensemble runs its work
//! items through [`map_items`], so each of them honours a monitor the same way; a monitor only
//! observes, so the numbers of a run that ends are those of a run without one, bit for bit.
//!
//! `()` is the monitor that reports nowhere and never interrupts; a closure `Fn(u64)` is one
//! that only reports (the command line's progress bars); a front door that must stop on the
//! user's request (Python's Ctrl-C) implements both methods, typically over atomics.

use crate::error::{Result, SamplingError};
use rayon::prelude::*;

/// What a long run reports to its caller and asks it, between work items (from the worker
/// threads, hence `Sync`; both methods should return at once).
pub trait Monitor: Sync {
    /// `nets` more nets are done (called after each work item, from its worker thread).
    fn advance(&self, nets: u64) {
        let _ = nets;
    }
    /// Whether the caller asks the run to stop; asked before each work item. Once it returns
    /// `true` no further item starts, the items running finish, and the run returns
    /// [`SamplingError::Interrupted`]: the latency is at most one work item per thread.
    fn interrupted(&self) -> bool {
        false
    }
}

/// Reports nowhere, never interrupts.
impl Monitor for () {}

/// Reports each item's nets to the closure, never interrupts.
impl<F: Fn(u64) + Sync> Monitor for F {
    fn advance(&self, nets: u64) {
        self(nets)
    }
}

/// `item(i)` for every work item `i` of `items`, on a pool of `threads >= 1` threads, in the
/// order of `items`; `item` returns its value and its nets. `monitor` is asked before each item
/// and told its nets after it.
pub(crate) fn map_items<I, T>(
    threads: usize,
    items: I,
    monitor: &dyn Monitor,
    item: impl Fn(u64) -> (T, u64) + Sync + Send,
) -> Result<Vec<T>>
where
    I: IntoParallelIterator<Item = u64> + Send,
    T: Send,
{
    crate::ensemble::check_positive("threads", threads as u64, "an integer >= 1")?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| SamplingError::ThreadPool(e.to_string()))?;
    pool.install(|| {
        items
            .into_par_iter()
            .map(|i| {
                if monitor.interrupted() {
                    return Err(SamplingError::Interrupted);
                }
                let (value, nets) = item(i);
                monitor.advance(nets);
                Ok(value)
            })
            .collect()
    })
}
