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
    /// The [`crate::Runner`] could not provide an ensemble (cache, shard files).
    #[error("{0}")]
    Runner(Box<dyn std::error::Error + Send + Sync>),
}

/// `Result` with [`StudyError`].
pub type Result<T, E = StudyError> = std::result::Result<T, E>;
