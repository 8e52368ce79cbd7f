//! # nnqft-study
//!
//! The protocols of Halverson, Maiti, Stoner (arXiv:2008.08601) as library code, each
//! returning typed rows that a report writer (or a notebook) turns into tables:
//!
//! - [`scaling`]: the N⁻¹ scaling study of the paper's section 2 (`m_n`, its background,
//!   the paper's power-law fits and the calibrated common-exponent fits, agreement with
//!   exact finite-width theory);
//! - [`table5`]: Table 5, the paper's EFT coupling fits of `ΔG4`, from exact theory,
//!   Monte Carlo and the published values;
//! - [`analyze`]: the analysis of an ensemble nnqft did not sample (outputs handed in): the
//!   measured `G2`, `G4`, `G6`, the GP of the measured `G2` and the connected parts, unbiased,
//!   with jackknife errors, `m_n`, and the scaling fits over a width scan;
//! - [`correlator_fit`]: the same models fitted to a correlators table a user hands in (the
//!   `fit` command, Python's `nnqft.fit`), with the table checked against the options;
//! - [`rg`]: the running quartic coupling against the cutoff, the 6-pt prediction and the
//!   naturalness scan (the paper's Wilsonian RG experiments);
//! - [`deep_theory`]: the theory table of a deep network (infinite width, the `1/n` shift of
//!   `G2`, the leading connected `G4` and `G6`, exact values where known), for the `theory` command and
//!   Python's `nnqft.theory`;
//! - [`deep_sample`]: the one deep ensemble of a `sample` (key, seed, memory check, its leading
//!   finite-width theory and its rows of `correlators.parquet`), for the `sample` command and
//!   Python's `nnqft.sample(..., widths=...)`;
//! - [`ntk_table`]: the neural tangent kernel table of a deep network (infinite width, and the
//!   mean per-network NTK and `G2` of sampled nets with standard errors), for the `ntk` command
//!   and Python's `nnqft.ntk`;
//! - [`dntk_table`]: the dNTK table beside it, `E[dΘ f]` at order `1/n` and measured
//!   (`nnqft ntk --dntk`, Python's `nnqft.ntk(..., dntk=True)`);
//! - [`ddntk_table`]: the ddNTK table beside it, `E[ddIΘ]` and `E[ddIIΘ]` at order `1/n` (one
//!   hidden layer) and measured (`nnqft ntk --ddntk`, Python's `nnqft.ntk(..., ddntk=True)`);
//! - [`depth`]: the normalised connected 4-pt function of deep networks against `L/n`,
//!   against the leading-order four-point vertex and relu's exact finite-width value;
//! - [`depth_next_order`]: the depth study's next orders, the measured `1/n` shift of `G2`
//!   against `K1` and the connected 6-pt function against the six-point vertex;
//! - [`ntk_study`]: the sampled neural tangent kernel of deep networks at criticality against
//!   its order-`1/n` theory (mean shift, variance, cross-correlation with `f f`) as `L/n` grows;
//! - [`relative_error`]: the largest relative quadrature error estimate of one kind of
//!   prediction over a study's rows and where it occurs (the depth and NTK studies);
//! - [`action_density`]: the density of a one-hidden-layer ensemble's outputs on two or three
//!   points against the densities its action predicts (GP, order `1/N`, order `1/N²`; the
//!   Edgeworth and the exponential forms), the noise-subtracted χ² distance with a jackknife
//!   error and its power law in the width;
//! - [`action_modes`]: the quartic coupling of the action in the eigenbasis of the kernel: where
//!   the size of its diagonal on a grid comes from, each mode's excess kurtosis, and the coupling
//!   kept on the largest modes that a finite resolution can set beside a local one;
//! - [`action_study`]: the action section of `cargo xtask reproduce`: the exact couplings and
//!   the density distances of erf, the Cos-net and relu on two points at several widths, their
//!   ordering and slopes in the width, and the Edgeworth density's negative mass;
//! - [`quartic_deformation`]: engineering a theory: `φ⁴` realised by deforming the parameter
//!   density of a network (importance weights on our sampler's outputs), and the quartic coupling
//!   put in measured back by the action, with jackknife errors;
//! - [`coverage`]: how often the slope intervals contain the exact slope;
//! - [`network_spec`]: the network a front door names, checked once into a network and its
//!   inputs (defaults, ranges, and correlators that would overflow `f64` refused), for the command
//!   line and Python alike;
//! - [`theory_table`]: the theory table of a paper network (the GP and the exact finite-width
//!   correlators at given widths), for the `theory` command and Python's `nnqft.exact`;
//! - [`table`]: the typed tables every front door shares (one function per table in the
//!   modules above; the report crate writes them as Parquet, the Python package returns them as
//!   dicts of columns);
//! - [`plan`]: the run profiles (quick, default, paper-full) and their sizes;
//! - [`key`]: an ensemble's identity, one typed key ([`key::EnsembleKey`]) from which its name
//!   and its seed are both derived;
//! - how a study gets its ensembles: a [`Runner`] ([`Direct`] samples them), each named and
//!   seeded by its key; errors are [`StudyError`].
//!
//! ```no_run
//! use nnqft_study::{Direct, plan::{Plan, Profile}, scaling};
//! let plan = Plan::of(Profile::Quick);
//! let report = scaling::run(&Direct::new(nnqft_sampling::DEFAULT_SEED, 2), &plan.scaling)?;
//! for fit in &report.fits {
//!     println!("{} n={} {}: {:?}", fit.network.name(), fit.n, fit.method, fit.fit.as_ref().map(|f| f.slope));
//! }
//! # Ok::<(), nnqft_study::StudyError>(())
//! ```

pub mod action;
pub mod action_density;
pub mod action_modes;
pub mod action_study;
pub mod analyze;
pub mod correlator_fit;
pub mod coverage;
pub mod ddntk_table;
pub mod deep_sample;
pub mod deep_theory;
pub mod depth;
pub mod depth_next_order;
pub mod dntk_table;
mod error;
pub mod key;
pub mod network_spec;
pub mod ntk_study;
pub mod ntk_table;
mod pair_rows;
pub mod plan;
pub mod quartic_deformation;
pub mod relative_error;
pub mod rg;
mod runner;
pub mod scaling;
pub mod table;
pub mod table5;
pub mod theory_table;

pub use error::{Result, StudyError};
pub use runner::{Direct, Planned, Runner};
