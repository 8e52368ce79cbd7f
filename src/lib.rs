//! # nnqft
//!
//! Neural networks as quantum field theories (Halverson, Maiti, Stoner,
//! arXiv:2008.08601). This facade only re-exports the workspace crates:
//!
//! - [`theory`]: networks, GP kernels, Wick contractions, exact finite-width
//!   correlators and EFT vertex integrals;
//! - [`sampling`]: seeded, parallel ensembles and streaming correlator estimators;
//! - [`stats`]: statistics over experiments, the paper's `m_n` and background, power-law fits;
//! - [`fit`]: EFT coupling fits (Table 5 of the paper).
pub use nnqft_fit as fit;
pub use nnqft_sampling as sampling;
pub use nnqft_stats as stats;
pub use nnqft_theory as theory;
