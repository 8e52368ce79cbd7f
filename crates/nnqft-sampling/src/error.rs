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
    /// The thread pool could not be built.
    #[error("thread pool: {0}")]
    ThreadPool(String),
}

/// Result alias of the sampling crate.
pub type Result<T> = std::result::Result<T, SamplingError>;
