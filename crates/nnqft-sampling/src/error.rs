//! The error type of `nnqft-sampling`.

/// Errors raised when configuring or running an ensemble.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SamplingError {
    /// A numeric field is outside its allowed range.
    #[error("invalid {field} = {value}: allowed range is {allowed}")]
    OutOfRange {
        /// The field, e.g. `nets`.
        field: &'static str,
        /// The value given.
        value: String,
        /// The allowed range.
        allowed: &'static str,
    },
    /// The network or input set is invalid.
    #[error(transparent)]
    Theory(#[from] nnqft_theory::TheoryError),
    /// A run would need more memory than the limit ([`crate::memory::memory_limit`]).
    #[error(
        "a run of {points} input points on {threads} threads needs about {needed} of memory (order-6 multisets: \
         {multisets}); the limit is {limit} (available memory): use fewer input points, threads or experiments"
    )]
    Memory {
        /// Input points.
        points: usize,
        /// Threads.
        threads: usize,
        /// Order-6 multisets of the points.
        multisets: u64,
        /// The estimate, human-readable.
        needed: String,
        /// The limit, human-readable.
        limit: String,
    },
    /// A deep run would need more memory than the limit ([`crate::memory::memory_limit`]).
    #[error(
        "a deep run of {pairs} (output, point) pairs, widest layer {widest}, on {threads} threads needs about \
         {needed} of memory; the limit is {limit} (available memory): use fewer input points, outputs, threads or \
         experiments, or narrower layers"
    )]
    DeepMemory {
        /// `(output, point)` pairs, `m d_out`.
        pairs: usize,
        /// The widest hidden layer.
        widest: usize,
        /// Threads.
        threads: usize,
        /// The estimate, human-readable.
        needed: String,
        /// The limit, human-readable.
        limit: String,
    },
    /// The thread pool could not be built.
    #[error("thread pool: {0}")]
    ThreadPool(String),
    /// The run's [`crate::Monitor`] asked it to stop before every work item had run; nothing
    /// of it is returned.
    #[error("interrupted by the caller before every work item ran")]
    Interrupted,
}

/// Result alias of the sampling crate.
pub type Result<T> = std::result::Result<T, SamplingError>;

/// `Ok` if `value >= 1`, else [`SamplingError::OutOfRange`] naming `field` and what it allows.
pub(crate) fn check_positive(field: &'static str, value: u64, allowed: &'static str) -> Result<()> {
    if value == 0 {
        return Err(SamplingError::OutOfRange { field, value: "0".into(), allowed });
    }
    Ok(())
}
