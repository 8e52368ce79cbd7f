//! The NTK study (`nnqft_study::ntk_study`) against its order-`1/n` theory on a small plan
//! (fixed seed, stated `|z|` bound), the theory's exact `1/n` scaling at equal widths that the
//! study relies on, thread invariance, when a row leaves the theory, the plan's refusals, and
//! (ignored) the quick and default profiles' studies with their wall times.

use nnqft_sampling::{DeepEnsemble, DeepEnsembleResult, Ensemble, EnsembleResult, NtkEnsemble, NtkEnsembleResult};
use nnqft_study::key::EnsembleKey;
use nnqft_study::ntk_study::{self, NtkQuantity, NtkStudyPlan};
use nnqft_study::plan::{Plan, Profile};
use nnqft_study::{Direct, Runner};
use nnqft_theory::{DeepActivation, DeepNetwork, InputSet, NtkFluctuations};

/// The theory at widths `n` against the theory at width 1 divided by `n`: a few roundings of
/// the recursions (relative).
const ROUNDING: f64 = 1e-12;

/// Every `|z|` of the one-hidden-layer rows stays below this (rows: 2 activations x 2 widths x
/// 3 quantities x 21 pairs = 252, strongly correlated between pairs; a Gaussian's two-sided
/// tail beyond 4 is 6e-5 per row).
const Z_BOUND: f64 = 4.0;

/// The bound on the `z` of two estimates that should agree (the `n²`-scaled residuals), and
/// the least `z` of a difference that should be seen.
const Z_SEEN: f64 = 3.0;

/// The seed of the statistical tests.
const SEED: u64 = 20_261_207;

/// A plan small enough for a test: relu and tanh at `L = 1, 2`, `n = 20` and `50`.
fn small_plan() -> NtkStudyPlan {
    NtkStudyPlan {
        activations: vec![DeepActivation::Relu, DeepActivation::Tanh],
        depths: vec![1, 2],
        widths: vec![20, 50],
        experiments: 8,
        nets: 5_000,
    }
}

/// At equal widths the mean shift and the `A`, `B`, `D`, `F` contractions are exactly `1/n`
/// times their value at `n = 1` (what lets the study compute the theory once, at `n = 1`):
/// checked on three points, to rounding, for tanh and gelu at `L = 1, 3` and `n = 7, 40`.
#[test]
fn theory_is_one_over_n() {
    let xs = InputSet::new("three", &[vec![-0.6], vec![0.2], vec![1.0]]).unwrap();
    for act in [DeepActivation::Tanh, DeepActivation::Gelu] {
        for depth in [1, 3] {
            let unit = NtkFluctuations::new(&DeepNetwork::at_criticality(act, &vec![1; depth]).unwrap(), &xs).unwrap();
            for n in [7usize, 40] {
                let wide =
                    NtkFluctuations::new(&DeepNetwork::at_criticality(act, &vec![n; depth]).unwrap(), &xs).unwrap();
                let close = |got: f64, want: f64| (got - want).abs() <= ROUNDING * want.abs().max(1e-3);
                for (got, want) in wide.theta_shift().iter().zip(unit.theta_shift()) {
                    assert!(
                        close(*got, want / n as f64),
                        "{} L={depth} n={n}: shift {got} vs {}",
                        act.name(),
                        want / n as f64
                    );
                }
                for q in (0..81).map(|i| [i / 27, i / 9 % 3, i / 3 % 3, i % 3]) {
                    let (c, x) = (wide.ntk_covariance([0; 4], q), wide.ntk_preactivation([0; 4], q));
                    let (c1, x1) =
                        (unit.ntk_covariance([0; 4], q) / n as f64, unit.ntk_preactivation([0; 4], q) / n as f64);
                    assert!(
                        close(c, c1) && close(x, x1),
                        "{} L={depth} n={n} {q:?}: {c} vs {c1}, {x} vs {x1}",
                        act.name()
                    );
                }
            }
        }
    }
}

/// The small plan against the theory. At `L = 1` the order-`1/n` theory is exact (one hidden
/// layer's NTK is a mean of `n` i.i.d. neurons' terms, so its mean is the infinite-width one
/// and its covariances are exactly `1/n` times one neuron's): every row within [`Z_BOUND`]. At
/// `L = 2` (relu, 4x the nets) the `1/n²` remainder is resolved: relu's diagonal variance at `x = 1` leaves the
/// prediction at `n = 20` by more than [`Z_SEEN`] standard errors, and its residual
/// `measured − predicted` shrinks like `1/n²` (`n²` times it agrees between `n = 20` and
/// `n = 50` within [`Z_SEEN`]) and not like `1/n` (`n` times it differs by more than
/// [`Z_SEEN`]). Relu's diagonal mean shift is predicted zero (to rounding) and measured
/// consistent with it.
#[test]
fn small_plan_against_the_theory() {
    let report = ntk_study::run(&Direct::new(SEED, 2), &small_plan()).unwrap();
    assert_eq!(report.rows.len(), 2 * 2 * 2 * 3 * 21);
    let table = &report.tables()[0];
    assert_eq!((table.0, table.1.height()), ("ntk_study", report.rows.len()));
    let one_layer: Vec<f64> = report.rows.iter().filter(|r| r.depth == 1).filter_map(|r| r.z()).collect();
    // relu's NTK on opposite-sign points is zero for every net at L = 1: 9 pairs x 3 quantities x 2 widths
    assert_eq!(one_layer.len(), report.rows.len() / 2 - 2 * 3 * 9);
    let worst = one_layer.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    let within2 = one_layer.iter().filter(|v| v.abs() <= 2.0).count();
    eprintln!("L = 1: largest |z| {worst:.2}, {within2} of {} within |z| <= 2", one_layer.len());
    assert!(worst < Z_BOUND, "largest |z| at L = 1: {worst}");
    for row in report.rows.iter().filter(|r| r.network == DeepActivation::Relu && r.quantity == NtkQuantity::MeanShift)
    {
        if row.diagonal() {
            assert!(row.predicted.abs() < ntk_study::PREDICTED_ZERO, "{row:?}");
            assert!(row.ratio().is_none());
            assert!(row.z().unwrap().abs() < Z_BOUND, "{row:?}");
        }
    }
    // the 1/n² remainder needs more nets: relu alone (closed forms), 4x the nets
    let plan = NtkStudyPlan { activations: vec![DeepActivation::Relu], depths: vec![2], nets: 20_000, ..small_plan() };
    let report = ntk_study::run(&Direct::new(SEED, 2), &plan).unwrap();
    let at = |n| report.row(DeepActivation::Relu, 2, n, NtkQuantity::Variance, ntk_study::DIAGONAL).unwrap();
    let (r20, r50) = (at(20), at(50));
    let residual = |r: &ntk_study::NtkStudyRow, power: i32| {
        ((r.measured - r.predicted) * (r.width as f64).powi(power), r.stderr * (r.width as f64).powi(power))
    };
    let z = |power| {
        let ((a, sa), (b, sb)) = (residual(r20, power), residual(r50, power));
        (a - b) / sa.hypot(sb)
    };
    eprintln!(
        "relu L = 2 variance at x = 1: z at n = 20 {:.2}, n² residuals z {:.2}, n residuals z {:.2}",
        r20.z().unwrap(),
        z(2),
        z(1)
    );
    assert!(r20.z().unwrap() > Z_SEEN, "{r20:?}");
    assert!(z(2).abs() < Z_SEEN && z(1).abs() > Z_SEEN, "{r20:?} {r50:?}");
}

/// The same numbers on one thread as on two, bit for bit.
#[test]
fn thread_count_changes_no_number() {
    let plan = NtkStudyPlan { depths: vec![2], widths: vec![10], experiments: 3, nets: 3_000, ..small_plan() };
    let run = |threads| ntk_study::run(&Direct::new(SEED, threads), &plan).unwrap().rows;
    assert_eq!(run(1), run(2));
}

/// When a row has left the theory: by more than 10% and 3 standard errors, never on rounding
/// with a standard error of 0.
#[test]
fn leaving_the_theory_takes_ten_percent_and_three_standard_errors() {
    let row = |measured, stderr, predicted| ntk_study::NtkStudyRow {
        network: DeepActivation::Relu,
        depth: 2,
        width: 20,
        quantity: NtkQuantity::Variance,
        points: [5, 5],
        measured,
        stderr,
        predicted,
        predicted_error: 0.0,
    };
    assert!(row(1.2, 0.01, 1.0).leaves_theory());
    assert!(!row(1.05, 0.001, 1.0).leaves_theory(), "5% is within 10%");
    assert!(!row(1.2, 0.1, 1.0).leaves_theory(), "2 standard errors");
    assert!(!row(-7.8e-17, 0.0, 0.0).leaves_theory(), "rounding, no standard error");
    assert_eq!(row(-7.8e-17, 0.0, 0.0).z(), None);
    assert_eq!(row(1.2, 0.1, 1.0).ratio(), Some(1.2));
}

/// The plan's refusals name the field and its range.
#[test]
fn bad_plans_name_the_field() {
    let err = |plan: NtkStudyPlan| ntk_study::run(&Direct::new(1, 1), &plan).unwrap_err().to_string();
    let base = || NtkStudyPlan { depths: vec![1], widths: vec![5], ..small_plan() };
    assert!(err(NtkStudyPlan { experiments: 1, ..base() }).contains("experiments"));
    assert!(err(NtkStudyPlan { nets: 1, ..base() }).contains("nets"));
    assert!(err(NtkStudyPlan { depths: vec![0], ..base() }).contains("depths"));
    let e = err(NtkStudyPlan { widths: vec![0], ..base() });
    assert!(e.contains("widths") && e.contains(">= 1"), "{e}");
}

/// [`Direct`] on two threads, adding up the wall time spent sampling NTK ensembles.
struct Timed {
    direct: Direct<'static>,
    sampling: std::cell::Cell<f64>,
}

impl Runner for Timed {
    fn seed(&self) -> u64 {
        self.direct.seed()
    }
    fn ensemble(&self, key: &EnsembleKey, ensemble: &Ensemble, seed: u64) -> nnqft_study::Result<EnsembleResult> {
        self.direct.ensemble(key, ensemble, seed)
    }
    fn deep_ensemble(&self, key: &EnsembleKey, ensemble: &DeepEnsemble) -> nnqft_study::Result<DeepEnsembleResult> {
        self.direct.deep_ensemble(key, ensemble)
    }
    fn ntk_ensemble(&self, key: &EnsembleKey, ensemble: &NtkEnsemble) -> nnqft_study::Result<NtkEnsembleResult> {
        let start = std::time::Instant::now();
        let out = self.direct.ntk_ensemble(key, ensemble);
        self.sampling.set(self.sampling.get() + start.elapsed().as_secs_f64());
        out
    }
    fn dntk_ensemble(
        &self,
        key: &EnsembleKey,
        ensemble: &nnqft_sampling::DntkEnsemble,
    ) -> nnqft_study::Result<nnqft_sampling::DntkPreactivation> {
        self.direct.dntk_ensemble(key, ensemble)
    }
    fn ddntk_ensemble(
        &self,
        key: &EnsembleKey,
        ensemble: &nnqft_sampling::DdntkEnsemble,
    ) -> nnqft_study::Result<nnqft_sampling::DdntkMeans> {
        self.direct.ddntk_ensemble(key, ensemble)
    }
    fn outputs(&self, key: &EnsembleKey, ensemble: &Ensemble) -> nnqft_study::Result<Vec<f64>> {
        self.direct.outputs(key, ensemble)
    }
}

/// The study of `profile` on two threads, its wall time printed: in all, sampling the
/// ensembles, and the rest (the theory; the rows are negligible).
fn timed(profile: Profile) -> ntk_study::NtkStudyReport {
    let plan = Plan::of(profile).ntk;
    let runner = Timed { direct: Direct::new(nnqft_sampling::DEFAULT_SEED, 2), sampling: 0.0.into() };
    let start = std::time::Instant::now();
    let report = ntk_study::run(&runner, &plan).unwrap();
    let (all, sampling) = (start.elapsed().as_secs_f64(), runner.sampling.get());
    eprintln!(
        "{profile} profile NTK study: {all:.2} s ({sampling:.2} s sampling, {:.2} s theory), {} rows",
        all - sampling,
        report.rows.len()
    );
    report
}

/// The quick profile's study, timed (run with
/// `cargo test -p nnqft-study --test ntk_study quick_profile -- --ignored --nocapture`).
#[test]
#[ignore]
fn quick_profile_study() {
    assert_eq!(timed(Profile::Quick).rows.len(), 2 * 2 * 2 * 3 * 21);
}

/// The default profile's study, timed (about two and a half minutes; run with
/// `cargo test -p nnqft-study --test ntk_study default_profile -- --ignored --nocapture`):
/// reports the wall time, the count within `|z| <= 2`, the largest relative quadrature error
/// bound per quantity and the rows the summary shows.
#[test]
#[ignore]
fn default_profile_study() {
    let report = timed(Profile::Default);
    let z: Vec<f64> = report.rows.iter().filter_map(|r| r.z()).collect();
    let within2 = z.iter().filter(|v| v.abs() <= 2.0).count();
    eprintln!("{within2} of {} rows within |z| <= 2", z.len());
    for e in report.relative_errors().into_iter().flatten() {
        eprintln!(
            "largest relative quadrature error bound of {}: {:.3e} at {} L={} n={} on {} ({:.3e} of {:.4e})",
            e.prediction,
            e.relative(),
            e.network.name(),
            e.depth,
            e.width,
            e.indices,
            e.error,
            e.value
        );
    }
    for q in NtkQuantity::ALL {
        for r in report.rows.iter().filter(|r| r.quantity == q && r.points == q.shown_pair()) {
            eprintln!(
                "{} L={} n={} {} {}: {:.4e} +- {:.2e} predicted {:.4e} z {:?}",
                r.network.name(),
                r.depth,
                r.width,
                q.name(),
                r.indices(),
                r.measured,
                r.stderr,
                r.predicted,
                r.z()
            );
        }
    }
    assert_eq!(report.rows.len(), 3 * 4 * 3 * 3 * 21);
}
