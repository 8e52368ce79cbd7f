//! The study error: every library crate's error, a bad dataset, or a runner's failure.

/// Errors of the studies.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StudyError {
    /// Theory (networks, input sets, exact correlators, vertex integrals).
    #[error(transparent)]
    Theory(#[from] nnqft_theory::TheoryError),
    /// Sampling (ensembles, estimators).
    #[error(transparent)]
    Sampling(#[from] nnqft_sampling::SamplingError),
    /// Statistics (summaries, fits of power laws).
    #[error(transparent)]
    Stats(#[from] nnqft_stats::StatsError),
    /// Coupling fits.
    #[error(transparent)]
    Fit(#[from] nnqft_fit::FitError),
    /// A bundled dataset does not parse or lacks rows.
    #[error("dataset: {0}")]
    Dataset(String),
    /// A table handed in (a correlators table to fit) does not match what it is used with.
    #[error("invalid {field}: found {found}; allowed is {expected}")]
    Table {
        /// The column or option that does not match.
        field: &'static str,
        /// What the table holds.
        found: String,
        /// What was expected.
        expected: String,
    },
    /// An option outside its allowed range, where the range depends on other options (the
    /// dimension of an input set), so that the theory crate's fixed wording cannot say it.
    #[error("invalid {field} = {value}: allowed range is {allowed}")]
    OutOfRange {
        /// The option, e.g. `d_in`.
        field: &'static str,
        /// The value given, formatted.
        value: String,
        /// The allowed range, in words.
        allowed: String,
    },
    /// The [`crate::Runner`] could not provide an ensemble (cache, shard files).
    #[error("{0}")]
    Runner(Box<dyn std::error::Error + Send + Sync>),
}

/// `Result` with [`StudyError`].
pub type Result<T, E = StudyError> = std::result::Result<T, E>;
