//! # nnqft-stats
//!
//! Statistics over experiments (the measurements of Halverson, Maiti, Stoner,
//! arXiv:2008.08601, section 2, with standard errors beside them). Depends on no workspace crate.
//!
//! - [`Summary`], [`summarize`] -- means, standard deviations and standard errors over
//!   experiments.
//! - [`m_n`], [`background`] -- the paper's `m_n` and background.
//! - [`connected_six_point`] -- the connected 6-pt function from measured `G4`, `G6` and `K`.
//! - [`fit_power_law`]: log-log fits with 95% intervals and `R^2` (linfa-linear);
//!   [`fit_power_law_weighted`] weighs the points by their standard errors.
//! - [`fit_common_exponent`] -- a calibrated scaling slope: one exponent for every multiset,
//!   fitted to the signed deviations, jackknife interval over experiments.
//! - [`z_expectation`], [`t_quantile`] -- the `|z|` distribution to expect when standard errors
//!   come from few experiments.
//! - [`jackknife_stderr`] -- standard errors of statistics of the means (such as `m_n`) over
//!   experiments.
//! - [`Histogram`] -- equal-width bins that keep the count of values outside them.

mod error;

mod common_exponent;
mod connected;
mod deviation;
mod histogram;
mod jackknife;
mod power_law;
mod summary;
mod z_score;

pub use common_exponent::{CommonExponentFit, common_exponent_slope, fit_common_exponent};
pub use connected::connected_six_point;
pub use deviation::{background, m_n, mean_relative_deviation};
pub use error::{Result, StatsError};
pub use histogram::{Histogram, histogram};
pub use jackknife::{jackknife_from_replicates, jackknife_stderr};
pub use power_law::{PowerLawFit, fit_power_law, fit_power_law_weighted};
pub use summary::{Summary, summarize};
pub use z_score::{ZExpectation, t_quantile, z_expectation};
