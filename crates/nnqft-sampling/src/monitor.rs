//! A long run's link to its caller, asked and told between work items: whether to stop
//! ([`Monitor::interrupted`], the run then ends with [`SamplingError::Interrupted`]) and how
//! many nets are done ([`Monitor::advance`], for a progress bar). Every ensemble runs its work
//! items through [`map_items`], so each of them honours a monitor the same way; a monitor only
//! observes, so the numbers of a run that ends are those of a run without one, bit for bit.
//!
//! The trait is the theory crate's ([`nnqft_theory::Monitor`], whose vertex recursions ask it
//! too), re-exported here: `()` reports nowhere and never interrupts, a closure `Fn(u64)` only
//! reports (the command line's progress bars), and a front door that must stop on the user's
//! request (Python's Ctrl-C) implements both methods.

use crate::error::{Result, SamplingError};
pub use nnqft_theory::Monitor;
use rayon::prelude::*;

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
    crate::error::check_positive("threads", threads as u64, "an integer >= 1")?;
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
