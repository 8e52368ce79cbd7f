//! # nnqft-stats
//!
//! Statistics over experiments (SPEC section 3). Depends on no workspace crate.
//!
//! - [`summary`] -- means, standard deviations and standard errors over experiments.
//! - [`deviation`] -- the paper's `m_n` and background.
//! - [`connected`] -- the connected 6-pt function from measured `G4`, `G6` and `K`.
//! - [`power_law`]: log-log fits with 95% intervals and `R^2` (linfa-linear).
//! - [`common_exponent`] -- a calibrated scaling slope: one exponent for every multiset, fitted
//!   to the signed deviations, jackknife interval over experiments.
//! - [`z_score`] -- the `|z|` distribution to expect when standard errors come from few experiments.
//! - [`jackknife`] -- standard errors of statistics of the means (such as `m_n`) over experiments.
//! - [`histogram`](mod@histogram) -- equal-width bins that keep the count of values outside them.

mod error;

pub mod common_exponent;
pub mod connected;
pub mod deviation;
pub mod histogram;
pub mod jackknife;
pub mod power_law;
pub mod summary;
pub mod z_score;

pub use common_exponent::{CommonExponentFit, common_exponent_slope, fit_common_exponent};
pub use connected::connected_six_point;
pub use deviation::{background, m_n, mean_relative_deviation};
pub use error::{Result, StatsError};
pub use histogram::{Histogram, histogram};
pub use jackknife::jackknife_stderr;
pub use power_law::{PowerLawFit, fit_power_law};
pub use summary::{Summary, summarize};
pub use z_score::{ZExpectation, t_quantile, z_expectation};
