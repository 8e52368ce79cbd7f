//! The error type of `nnqft-fit`.

/// Errors of the coupling fits.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FitError {
    /// Unknown model or loss name.
    #[error("unknown {field} `{value}`: allowed values are {allowed}")]
    Unknown {
        /// `model` or `loss`.
        field: &'static str,
        /// The value given.
        value: String,
        /// The allowed values.
        allowed: &'static str,
    },
    /// No data.
    #[error("empty data: {0}")]
    Empty(&'static str),
    /// Inputs of mismatched lengths.
    #[error("mismatched shapes: {what} has {found} rows, expected {expected}")]
    Shape {
        /// Which input.
        what: &'static str,
        /// Its length.
        found: usize,
        /// The expected length.
        expected: usize,
    },
    /// A non-finite value (or a non-positive weight).
    #[error("invalid value in {what} at row {row}: {value}")]
    Invalid {
        /// Which input.
        what: &'static str,
        /// Row index.
        row: usize,
        /// The value.
        value: f64,
    },
    /// The design is rank deficient.
    #[error("design matrix is singular for model {0}")]
    Singular(&'static str),
    /// The optimiser failed.
    #[error("optimiser: {0}")]
    Solver(String),
}

/// Result alias of the fit crate.
pub type Result<T> = std::result::Result<T, FitError>;
