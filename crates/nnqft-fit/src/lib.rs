//! # nnqft-fit
//!
//! EFT coupling fits (Table 5 of the paper; SPEC sections 5 and 6). Uses the theory crate's
//! vertex integrals as the design and the stats crate for summaries.
//!
//! - [`model`] -- models M0..M3 and the MSE / MAPE losses, with the sign convention.
//! - [`design`] -- the weighted design matrix `(T0, T2, TNL)` over 4-pt multisets.
//! - [`fit`](mod@fit) -- closed-form and argmin least squares, Nelder-Mead MAPE, condition numbers.
//! - [`flow`] -- running couplings `lambda_m(Lambda) = Delta G4 / T0` and the beta function.

mod error;

pub mod design;
pub mod fit;
pub mod flow;
pub mod model;

pub use design::Design;
pub use error::{FitError, Result};
pub use fit::{Couplings, Losses, evaluate, fit, least_squares_argmin};
pub use model::{Loss, Model};
