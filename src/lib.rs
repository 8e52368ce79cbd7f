//! # nnqft
//!
//! Neural networks as quantum field theories (Halverson, Maiti, Stoner, *Neural Networks
//! and Quantum Field Theory*, Mach. Learn.: Sci. Technol. 2 (2021) 035002,
//! arXiv:2008.08601): sample ensembles of networks, measure their n-point correlation
//! functions, compare them with the Gaussian-process (free field) limit and with exact
//! finite-width theory, and fit the couplings of the effective field theory.
//!
//! - [`theory`]: networks, GP kernels, Wick contractions, exact finite-width correlators
//!   and the EFT vertex integrals (paper sections 2-5); deep networks' kernel, vertex and
//!   neural tangent kernel recursions;
//! - [`sampling`]: seeded, parallel ensembles and their streaming estimators; the exact
//!   per-network neural tangent kernel of sampled deep networks;
//! - [`stats`]: statistics over experiments, the paper's `m_n` and background, power-law
//!   and common-exponent fits;
//! - [`fit`]: the EFT coupling fits of the paper's Table 5 and the running coupling;
//! - [`study`]: the paper's protocols (the N⁻¹ scaling study, Table 5, the RG flow) as
//!   functions returning typed rows.
//!
//! [`prelude`] brings the everyday items into scope, and [`Error`] holds any of the crates'
//! errors, so `?` works across them. [`conventions`] defines every term, symbol, estimator,
//! sign convention and report column (the repository's `docs/conventions.md`).
//!
//! ## Example: sample, compare with exact theory, fit the quartic coupling
//!
//! ```
//! use nnqft::prelude::*;
//!
//! // Erf-net (sigma_w = sigma_b = 1) of width 5 on the paper's six inputs in d = 1
//! let net = Network::paper(Activation::Erf, 1)?;
//! let xs = InputSet::scaling(Activation::Erf, 1)?;
//! let ensemble = Ensemble::builder(net, xs.clone()).width(5).nets(20_000).experiments(10).seed(1).build()?;
//! let g4 = summarize(ensemble.run(2)?.g4(), 10)?; // mean and standard error per multiset
//!
//! // every measured G4 against the exact finite-width value, in standard errors
//! let exact = FiniteWidthTheory::new(&net, &xs)?.at_width(5)?;
//! let z = g4.mean.iter().zip(&g4.stderr).zip(&exact.g[1]).map(|((m, s), e)| ((m - e) / s).abs());
//! assert!(z.fold(0.0, f64::max) < 5.0);
//!
//! // the quartic coupling lambda0 of the EFT (model M1, cutoff 100) from Delta G4 = G4 - G4_GP
//! let problem = FitProblem::new(&net, xs, Cutoff::finite(100.0)?)?;
//! let delta: Vec<f64> = g4.mean.iter().zip(problem.gp4()).map(|(g, k)| g - k).collect();
//! let lambda0 = problem.fit(&delta, Model::M1, Loss::Mse)?.map(|c| c.values[0]);
//! println!("lambda0 = {lambda0:?}");
//! # Ok::<(), nnqft::Error>(())
//! ```
//!
//! ## Example: a deep network at criticality beyond leading order
//!
//! ```
//! use nnqft::theory::{DeepActivation, DeepNetwork, FourPointNextOrder, InputSet, KernelShift, OneInputLaw, critical_point};
//!
//! // GELU at its critical point (both susceptibilities one): C_W = 1.983..., C_b = 0.173...
//! let cp = critical_point(DeepActivation::Gelu)?;
//! assert!((cp.chi_parallel() - 1.0).abs() < 1e-9 && (cp.chi_perpendicular() - 1.0).abs() < 1e-9);
//! let net = DeepNetwork::new(DeepActivation::Gelu, &[50, 50], cp.c_w(), cp.c_b())?;
//! let xs = InputSet::new("two points", &[vec![0.5], vec![-1.0]])?;
//!
//! // G2 = K + S + O(1/n^2): the kernel recursion and its 1/n shift, every pair of points
//! let shift = KernelShift::new(&net, &xs)?;
//! let (k, s) = (shift.kernels().output(), shift.shift());
//! assert!(s[0].abs() < 0.1 * k[0]);
//!
//! // the table `nnqft theory --widths 50,50 --critical` writes: G2, G4 and G6 rows with g_gp,
//! // shift_leading_order, shift_next_order, connected_leading_order (the vertex terms),
//! // connected_next_order (G4 through 1/n^2) and g_exact
//! let rows = nnqft::study::deep_theory::deep_theory(&net, &xs)?;
//! assert_eq!(rows.len(), 3 + 5 + 7); // multisets of order 2, 4 and 6 of two points
//!
//! // the connected G4 through 1/n^2 on any multiset: the vertex term and its next order, the
//! // table's column; here <f(x0) f(x0) f(x1) f(x1)>_c of one output
//! let four = FourPointNextOrder::new(&net, &xs)?;
//! let (through, next) = (four.connected_g4([0; 4], [0, 0, 1, 1]), four.correction_g4([0; 4], [0, 0, 1, 1]));
//! assert_eq!(rows.connected_next_order[3 + 2], Some(through)); // the multiset (0, 0, 1, 1)
//! assert!(next.abs() < (through - next).abs());
//!
//! // the action at order 1/n^2 from these next orders (`nnqft action --widths 50,50 --order 2`)
//! let action = nnqft::study::action::deep_action(&net, &xs, nnqft::theory::ActionOrder::Second)?;
//! assert!(action.rows.coupling.iter().all(|c| c.is_finite()));
//!
//! // one input: the output kernel's law to order 1/n^2, r = Var(G) / E[G]^2 = r1 + r2 + O(1/n^3)
//! let law = OneInputLaw::new(&net, &[0.5])?;
//! let (r1, r2) = law.r();
//! assert!(r2.abs() < r1 && r1 > 0.0);
//! # Ok::<(), nnqft::Error>(())
//! ```
//!
//! ## Example: the neural tangent kernel, at infinite width and network by network
//!
//! ```
//! use nnqft::sampling::NtkEnsemble;
//! use nnqft::theory::{DeepActivation, DeepNetwork, InputSet, NeuralTangentKernel, NtkFluctuations};
//!
//! // relu at criticality (C_W = 2, C_b = 0), two hidden layers of width 30
//! let net = DeepNetwork::with_deep_priors(DeepActivation::Relu, &[30, 30])?;
//! let xs = InputSet::new("two points", &[vec![0.5], vec![-1.0]])?;
//!
//! // the infinite-width NTK recursion, learning rates λ_W = C_W, λ_b = C_b (NTK parameterisation)
//! let theta = NeuralTangentKernel::new(&net, &xs)?;
//!
//! // the exact NTK of each of 8 x 2000 sampled nets: mean and standard error over experiments
//! let sampled = NtkEnsemble::new(net.clone(), xs.clone(), 2000, 8, 1)?.run(2)?;
//! let diagonal = sampled.ntk(1, 1, 0, 0).unwrap();
//! // relu's NTK mean has no 1/n shift on the diagonal
//! assert!((diagonal.mean - theta.output()[3]).abs() < 5.0 * diagonal.stderr);
//!
//! // at order 1/n: the mean's shift T (zero on relu's diagonal) and the NTK's variance
//! let finite = NtkFluctuations::new(&net, &xs)?;
//! assert!(finite.theta_shift()[3].abs() < 1e-12);
//! // Var Θ(x_1, x_1) = (A + 2B) / n_L, measured over the same kind of nets
//! let var = finite.ntk_covariance([0; 4], [1; 4]);
//! let measured = NtkEnsemble::new(net, xs, 2000, 8, 1)?.with_fluctuations()?.run(2)?;
//! let got = measured.ntk_covariance([0; 4], [1; 4]).unwrap();
//! assert!((got.mean - var).abs() < 5.0 * got.stderr + 0.2 * var); // O(1/n²) left out
//! # Ok::<(), nnqft::Error>(())
//! ```
//!
//! ## Example: the dNTK, the NTK's change in one step of gradient descent
//!
//! ```
//! use nnqft::sampling::{DEFAULT_SEED, DntkEnsemble};
//! use nnqft::theory::{DeepActivation, DeepNetwork, DifferentialNtk, InputSet};
//!
//! // tanh, one hidden layer of width 20, two outputs (which tell P and Q apart)
//! let net = DeepNetwork::with_deep_priors(DeepActivation::Tanh, &[20])?.with_d_out(2)?;
//! let xs = InputSet::new("two points", &[vec![0.5], vec![-1.0]])?;
//!
//! // E[dΘ_(i0 i1 i2; a0 a1 a2) f_i3(x_a3)] = (1/n) [δ_i0i3 δ_i1i2 P + δ_i0i1 δ_i2i3 Q + δ_i0i2 δ_i1i3 Q']
//! let theory = DifferentialNtk::new(&net, &xs)?;
//! // each net's exact dNTK times its outputs, 8 experiments of 2000 nets
//! let measured = DntkEnsemble::new(net, xs, 2000, 8, DEFAULT_SEED)?.run(2)?;
//! for outputs in [[0, 1, 1, 0], [0, 0, 1, 1], [1, 1, 1, 1]] {
//!     let got = measured.get(outputs, [0, 1, 1, 0]).unwrap();
//!     let want = theory.dntk_preactivation(outputs, [0, 1, 1, 0]);
//!     // one hidden layer: the leading order is exact at any width
//!     assert!((got.mean - want).abs() < 5.0 * got.stderr);
//! }
//! # Ok::<(), nnqft::Error>(())
//! ```
//!
//! ## Example: the dNTK table, as `nnqft ntk --dntk` and `nnqft.ntk(..., dntk=True)` give it
//!
//! ```
//! use nnqft::study::Direct;
//! use nnqft::study::ntk_table::{NtkSampling, NtkSettings, NtkTable};
//! use nnqft::theory::{DeepActivation, DeepNetwork, DifferentialNtk, InputSet};
//!
//! // tanh, two hidden layers of width 40, one output, two points: 3 NTK rows x 4 ordered pairs
//! let net = DeepNetwork::with_deep_priors(DeepActivation::Tanh, &[40, 40])?;
//! let xs = InputSet::new("two points", &[vec![0.9], vec![-0.5]])?;
//! let sampling = Some(NtkSampling { nets: 500, experiments: 8, seed: 1 });
//! let table = NtkTable::new(&net, &xs, &NtkSettings { sampling, dntk: true, ..Default::default() })?;
//! let rows = table.rows(&Direct::new(1, 2))?;
//! let dntk = rows.dntk.as_ref().unwrap();
//! assert_eq!(dntk.len(), 3 * 4);
//!
//! // row 1: the NTK pair (x_0, x_0), the gradient at x_0, the output at x_1
//! assert_eq!((dntk.ntk_indices[1].as_str(), dntk.indices[1].as_str()), ("0,0", "0,1"));
//! let theory = DifferentialNtk::new(&net, &xs)?.dntk_preactivation([0; 4], [0, 0, 0, 1]);
//! assert_eq!(dntk.leading_order[1].to_bits(), theory.to_bits());
//! // measured from each net's exact dNTK: within 5 standard errors plus the O(1/n^2) left out
//! // (about 5% of the value at n = 40)
//! let (mean, stderr) = dntk.measured.as_ref().unwrap();
//! assert!((mean[1] - theory).abs() < 5.0 * stderr[1] + 0.1 * theory.abs());
//! // the Parquet file's columns
//! assert!(table.dntk_table(&rows).unwrap().names().contains(&"dntk_preactivation_mean"));
//! # Ok::<(), nnqft::Error>(())
//! ```
//!
//! ## Example: the ddNTK table, as `nnqft ntk --ddntk` and `nnqft.ntk(..., ddntk=True)` give it
//!
//! ```
//! use nnqft::study::Direct;
//! use nnqft::study::ntk_table::{NtkSampling, NtkSettings, NtkTable};
//! use nnqft::theory::{DeepActivation, DeepNetwork, DoubleDifferentialNtk, InputSet};
//!
//! // tanh, one hidden layer of width 3, one output, two points: 3 NTK rows x 4 ordered pairs
//! let net = DeepNetwork::with_deep_priors(DeepActivation::Tanh, &[3])?;
//! let xs = InputSet::new("two points", &[vec![0.9], vec![-0.5]])?;
//! let sampling = Some(NtkSampling { nets: 2000, experiments: 8, seed: 1 });
//! let settings = NtkSettings { sampling, ddntk: true, ..Default::default() };
//! let table = NtkTable::new(&net, &xs, &settings)?;
//! let rows = table.rows(&Direct::new(1, 2))?;
//! let dd = rows.ddntk.as_ref().unwrap();
//! assert_eq!(dd.len(), 3 * 4);
//!
//! // row 1: the NTK pair (x_0, x_0), the two gradient directions at x_0 then x_1
//! assert_eq!((dd.ntk_indices[1].as_str(), dd.indices[1].as_str()), ("0,0", "0,1"));
//! // E[ddIΘ_(p0 p1; p2 p3)] = (1/n) [δ_i0i1 δ_i2i3 R∥ + (δ_i0i2 δ_i1i3 + δ_i0i3 δ_i1i2) R×]
//! let want = DoubleDifferentialNtk::new(&net, &xs)?.ddi_leading_order([0; 4], [0, 1, 0, 0]).unwrap();
//! assert_eq!(dd.ddi_leading_order[1], Some(want));
//! // measured from each net's exact ddNTKs; one hidden layer: the leading order is exact at
//! // any width
//! let (mean, stderr) = dd.ddi_measured.as_ref().unwrap();
//! assert!((mean[1] - want).abs() < 5.0 * stderr[1]);
//!
//! // deeper networks: measured all the same, the leading order missing where its recursion
//! // is not derived (L >= 2 today)
//! let deep = DeepNetwork::with_deep_priors(DeepActivation::Tanh, &[3, 3])?;
//! let table = NtkTable::new(&deep, &xs, &settings)?;
//! let rows = table.rows(&Direct::new(1, 2))?;
//! let dd = rows.ddntk.as_ref().unwrap();
//! let derived = DoubleDifferentialNtk::new(&deep, &xs).is_ok();
//! assert!(dd.ddii_leading_order.iter().all(|v| v.is_some() == derived));
//! assert!(dd.ddii_measured.is_some());
//! // the Parquet file's columns
//! assert!(table.ddntk_table(&rows).unwrap().names().contains(&"ddii_mean"));
//! # Ok::<(), nnqft::Error>(())
//! ```
//!
//! ## Example: the analysis of outputs made elsewhere
//!
//! ```
//! use nnqft::sampling::{Ensemble, Estimator};
//! use nnqft::study::analyze::{analyze_outputs, analyze_outputs_with_progress};
//! use nnqft::theory::{Activation, FiniteWidthTheory, InputSet, Network};
//!
//! // any array of outputs f[net, point], row-major (from NumPy, PyTorch, JAX, a file); here
//! // 8 x 20,000 Erf-nets of width 3 drawn by our own sampler
//! let (net, xs) = (Network::paper(Activation::Erf, 1)?, InputSet::scaling(Activation::Erf, 1)?);
//! let f: Vec<f64> = Ensemble::new(net, 3, xs.clone(), 20_000, 8, Estimator::Raw, 1)?.outputs(2)?;
//!
//! // G2, G4, G6 with standard errors over 8 experiments, the GP of the measured G2 and the
//! // connected parts (unbiased U-statistics over experiments, jackknife errors)
//! let a = analyze_outputs(&f, xs.len(), 1, 8)?;
//! let exact = FiniteWidthTheory::new(&net, &xs)?.at_width(3)?;
//! let four = a.rows.n.iter().position(|&n| n == 4).unwrap(); // rows of order 4 follow order 2
//! for (i, kappa4) in exact.kappa4.iter().enumerate() {
//!     let (c, se) = (a.rows.connected[four + i].unwrap(), a.rows.connected_stderr[four + i].unwrap());
//!     assert!(((c - kappa4) / se).abs() < 5.0);
//! }
//!
//! // opt in to G8 (highest order 8): rows n = 8 with its GP and the eighth cumulant, here on
//! // the first two points (9 multisets of order 8); the rows of orders 2-6 keep their bits
//! let two: Vec<f64> = f.chunks(xs.len()).flat_map(|row| row[..2].to_vec()).collect();
//! let a8 = analyze_outputs_with_progress(&two, 2, 1, 8, 8, &())?;
//! assert_eq!(a8.rows.n.iter().filter(|&&n| n == 8).count(), 9);
//! assert_eq!(a8.rows.g_mean[..3], analyze_outputs(&two, 2, 1, 8)?.rows.g_mean[..3]);
//! # Ok::<(), nnqft::Error>(())
//! ```
//!
//! ## Example: the action of an ensemble, reconstructed from its correlators
//!
//! ```
//! use nnqft::study::action::exact_action;
//! use nnqft::theory::{Activation, ActionOrder, FiniteWidthTheory, InputSet, Network};
//!
//! // S(f) = Σ_n (1/n!) s_n · fⁿ of an Erf-net of width 5 on two points, to order 1/N²
//! let net = Network::paper(Activation::Erf, 1)?;
//! let xs = InputSet::new("two points", &[vec![-0.5], vec![0.7]])?;
//! let table = exact_action(&net, 5, &xs, ActionOrder::Second)?;
//!
//! // at order 1/N the quartic coupling is minus κ4 with G2⁻¹ on each leg: at one point, −κ4/G2⁴
//! let one = InputSet::new("one point", &[vec![0.7]])?;
//! let exact = FiniteWidthTheory::new(&net, &one)?.at_width(5)?;
//! let s4 = exact_action(&net, 5, &one, ActionOrder::First)?.action.couplings(4)?[0];
//! assert!((s4 + exact.kappa4[0] / exact.g[0][0].powi(4)).abs() < 1e-12 * s4.abs());
//!
//! // the table `nnqft action --network erf --width 5` writes: 3 + 5 + 7 couplings
//! assert_eq!(table.rows.len(), 15);
//! # Ok::<(), nnqft::Error>(())
//! ```
//!
//! ## Example: engineering `φ⁴` by deforming the parameter density
//!
//! ```
//! use nnqft::study::quartic_deformation::{QuarticDeformation, deform_quartic};
//! use nnqft::theory::{Activation, InputSet, Network};
//!
//! // the Cos-net on a lattice of three sites of spacing (measure) 1.5, its parameter density
//! // deformed by exp(−λ a Σ_j f(x_j)⁴): the action gains exactly λ ∫ f⁴
//! let net = Network::new(Activation::Cos, 1, 1.0, 0.0)?;
//! let lattice = InputSet::new("lattice", &[vec![-1.5], vec![0.0], vec![1.5]])?;
//! let settings = QuarticDeformation {
//!     width: 50,
//!     measure: 1.5,
//!     lambdas: vec![8e-3],
//!     nets: 20_000,
//!     experiments: 10,
//!     seed: nnqft::sampling::DEFAULT_SEED,
//! };
//! // λ measured back from the reconstructed quartic coupling, Δs_4[jjjj] / (24 a), per site,
//! // with its jackknife error (at 2 × 10⁵ nets about 10–40 % of λ)
//! let rows = deform_quartic(&net, &lattice, &settings, 2)?;
//! assert_eq!(rows.len(), 3);
//! for row in &rows {
//!     assert!(row.lambda_measured > 0.0 && row.effective_sample_size > 0.99 * row.nets as f64);
//!     println!("site {}: {:.2e} ± {:.1e} (put in {:.1e})", row.site, row.lambda_measured, row.lambda_stderr, row.lambda);
//! }
//! # Ok::<(), nnqft::Error>(())
//! ```
#[doc = include_str!("../docs/conventions.md")]
pub mod conventions {}

pub use nnqft_fit as fit;
pub use nnqft_sampling as sampling;
pub use nnqft_stats as stats;
pub use nnqft_study as study;
pub use nnqft_theory as theory;

/// Any error of the workspace's crates.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Networks, input sets, exact theory, vertex integrals.
    #[error(transparent)]
    Theory(#[from] nnqft_theory::TheoryError),
    /// Ensembles and estimators.
    #[error(transparent)]
    Sampling(#[from] nnqft_sampling::SamplingError),
    /// Statistics over experiments and power-law fits.
    #[error(transparent)]
    Stats(#[from] nnqft_stats::StatsError),
    /// Coupling fits.
    #[error(transparent)]
    Fit(#[from] nnqft_fit::FitError),
    /// The paper's protocols.
    #[error(transparent)]
    Study(#[from] nnqft_study::StudyError),
}

/// The everyday items: networks and inputs, exact theory, ensembles, summaries, fits. A glob
/// import's convenience and the facade's only second path: each item's home is its crate's root
/// ([`theory`], [`sampling`], [`stats`], [`fit`]; `FitProblem` is [`study::table5::FitProblem`]),
/// and `Error` is [`crate::Error`].
pub mod prelude {
    pub use crate::Error;
    pub use nnqft_fit::{Couplings, Loss, Model};
    pub use nnqft_sampling::{Ensemble, EnsembleResult, Estimator};
    pub use nnqft_stats::{Summary, summarize};
    pub use nnqft_study::table5::FitProblem;
    pub use nnqft_theory::{Activation, Cutoff, FiniteWidthTheory, InputSet, Network, kernel_matrix};
}
