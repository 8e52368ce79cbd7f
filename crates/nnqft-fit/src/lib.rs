//! # nnqft-fit
//!
//! EFT coupling fits (Table 5 of Halverson, Maiti, Stoner, arXiv:2008.08601, and its
//! RG flow). Uses the theory crate's
//! vertex integrals as the design and the stats crate for summaries.
//!
//! - [`Model`], [`Loss`] -- models M0..M3 and the MSE / MAPE losses, with the sign convention.
//! - [`Design`] -- the weighted design matrix `(T0, T2, TNL)` over 4-pt multisets.
//! - [`fit()`], [`evaluate`], [`least_squares_argmin`] -- closed-form and argmin least squares,
//!   Nelder-Mead MAPE, condition numbers.
//! - [`flow`] -- running couplings `lambda_m(Lambda) = Delta G4 / T0` and the beta function.

mod error;

mod design;
mod fit;
pub mod flow;
mod model;

pub use design::Design;
pub use error::{FitError, Result};
pub use fit::{Couplings, Losses, evaluate, fit, least_squares_argmin};
pub use model::{Loss, Model};
