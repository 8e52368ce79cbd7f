//! The error type of `nnqft-stats`.

/// Errors of the statistics layer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum StatsError {
    /// Inputs of mismatched lengths.
    #[error("shape mismatch in {what}: {detail}")]
    Shape {
        /// Which argument.
        what: &'static str,
        /// Lengths found.
        detail: String,
    },
    /// Not enough data for the statistic.
    #[error("not enough data for {what}: need at least {need}, got {got}")]
    TooFew {
        /// The statistic.
        what: &'static str,
        /// Minimum count.
        need: usize,
        /// Count given.
        got: usize,
    },
    /// A value that must be finite (or positive, for logarithms) is not.
    #[error("invalid value in {what}: {value}")]
    Invalid {
        /// Where.
        what: &'static str,
        /// The value.
        value: f64,
    },
    /// The regression failed.
    #[error("regression failed: {0}")]
    Regression(String),
}

/// Result alias of the stats crate.
pub type Result<T> = std::result::Result<T, StatsError>;
