//! The error type of `nnqft-theory`: every invalid input names its field and the allowed range.

/// Errors raised by the theory crate. Constructors validate their inputs and return one of
/// these instead of panicking.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TheoryError {
    /// A numeric field is outside its allowed range (or not finite).
    #[error("invalid {field} = {value}: allowed range is {allowed}")]
    OutOfRange {
        /// The offending field, e.g. `sigma_w`.
        field: &'static str,
        /// The value that was given, formatted.
        value: String,
        /// The allowed range, in words.
        allowed: &'static str,
    },
    /// An input set has no points.
    #[error("input set `{name}` is empty: it needs at least one point")]
    EmptyInputSet {
        /// Name of the input set.
        name: String,
    },
    /// Points of an input set do not all have the input dimension.
    #[error("input set `{name}`: point {index} has dimension {found}, expected d_in = {expected}")]
    MixedDimension {
        /// Name of the input set.
        name: String,
        /// Index of the first offending point.
        index: usize,
        /// Its dimension.
        found: usize,
        /// The dimension required.
        expected: usize,
    },
    /// A named input set does not exist.
    #[error(
        "unknown input set `{0}`: known sets are scaling-<erf|relu|gauss|cos>-d<1|2|3> (the paper's scaling sets), \
         table5-<train|test>-<erf|relu|gauss>, table5-test-scaled, table5-test-relu, or a file path"
    )]
    UnknownInputSet(String),
    /// An input-set file could not be read or parsed.
    #[error("input set file {path}: {reason}")]
    InputFile {
        /// The file path.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// A computation is not available for this configuration.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// An activation has no critical point (no priors at which both susceptibilities of the
    /// kernel recursion are one).
    #[error("no critical point for {activation}: {reason}")]
    NoCriticalPoint {
        /// The activation's name, e.g. `sigmoid`.
        activation: &'static str,
        /// Why, in words.
        reason: &'static str,
    },
    /// An array does not have the length its shape requires.
    #[error("{field} has {found} values, expected {expected} (one per multiset of the points)")]
    Length {
        /// The offending argument, e.g. `kappa4`.
        field: &'static str,
        /// Its length.
        found: usize,
        /// The length required.
        expected: usize,
    },
    /// A two-point matrix is not positive definite, or too ill-conditioned to invert.
    #[error(
        "{field} on these points is singular or ill-conditioned (condition number {condition:.3e}, limit {limit:.0e}): \
         points that coincide, lie too close for their correlations to be told apart, or on which the \
         network's outputs are linearly dependent (a bias-free relu net on points along one ray; a bias-free odd activation such as tanh at x and -x)"
    )]
    IllConditioned {
        /// The matrix, e.g. `g2`.
        field: &'static str,
        /// Its condition number (infinite when it is not positive definite).
        condition: f64,
        /// The largest condition number accepted.
        limit: f64,
    },
    /// A vertex integral diverges for this network at this cutoff.
    #[error("divergent vertex integral: {0}")]
    Divergent(String),
    /// The computation's [`crate::Monitor`] asked it to stop; nothing of it is returned.
    #[error("interrupted by the caller before the computation ended")]
    Interrupted,
}

/// Result alias of the theory crate.
pub type Result<T> = std::result::Result<T, TheoryError>;

/// Checks that `value` is finite and `>= 0`.
pub(crate) fn non_negative(field: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(TheoryError::OutOfRange { field, value: format!("{value}"), allowed: "finite and >= 0" })
    }
}

/// Checks that an integer is at least `min`.
pub(crate) fn at_least(field: &'static str, value: usize, min: usize, allowed: &'static str) -> Result<usize> {
    if value >= min { Ok(value) } else { Err(TheoryError::OutOfRange { field, value: value.to_string(), allowed }) }
}

/// `n` must be an even order `>= 2`.
pub(crate) fn check_even(n: usize) -> Result<()> {
    if !n.is_multiple_of(2) || n == 0 {
        return Err(TheoryError::OutOfRange {
            field: "order n",
            value: n.to_string(),
            allowed: "an even integer >= 2",
        });
    }
    Ok(())
}
