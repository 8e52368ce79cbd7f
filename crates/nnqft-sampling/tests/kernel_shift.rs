//! The `1/n` shift of a deep network's two-point function (`KernelShift`) against deep
//! ensembles: the measured `G2` (conditional estimator) against `K + S` on every pair of three
//! inputs, tanh and erf at two and four hidden layers, equal and unequal widths, relu off the
//! diagonal at two; the residual's 1/n² law (ignored: long). Fixed seeds,
//! a stated z bound, and a check that the shift itself is resolved (the test fails if `S` is
//! left out).

use nnqft_sampling::{DeepEnsemble, Estimator};
use nnqft_theory::{DeepActivation, DeepNetwork, InputSet, KernelShift};

/// Bound on `|z|` of `(G2 − K − S) / s.e.` on every pair.
const Z_BOUND: f64 = 4.0;
/// The shift must be resolved: `|G2 − K| / s.e.` at least this on every pair.
const RESOLVED: f64 = 5.0;
/// Experiments per ensemble (the standard error is that of their means).
const EXPERIMENTS: usize = 16;

fn mean_stderr(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

fn inputs() -> InputSet {
    InputSet::new("three", &[vec![-0.9], vec![0.3], vec![1.0]]).unwrap()
}

/// Samples `G2` of each case and compares it with `K + S` on every pair; returns the largest
/// `|z|`. Prints one table row per pair.
fn compare(cases: &[(DeepActivation, Vec<usize>)], nets: u64, seed: u64) -> f64 {
    compare_on(&inputs(), cases, nets, seed, |_, _| true)
}

/// [`compare`] on the input set `xs`, requiring the shift to be resolved on the pairs `(a, b)`
/// where `resolved(a, b)`.
fn compare_on(
    xs: &InputSet,
    cases: &[(DeepActivation, Vec<usize>)],
    nets: u64,
    seed: u64,
    resolved: impl Fn(usize, usize) -> bool,
) -> f64 {
    let m = xs.len();
    let mut worst = 0.0f64;
    for (act, widths) in cases {
        let net = DeepNetwork::with_deep_priors(*act, widths).unwrap().with_d_in(xs.d_in()).unwrap();
        let theory = KernelShift::new(&net, xs).unwrap();
        let (k, s) = (theory.kernels().output().to_vec(), theory.shift());
        let r = DeepEnsemble::new(net, xs.clone(), nets, EXPERIMENTS, Estimator::Conditional, seed + widths[0] as u64)
            .unwrap()
            .run(2)
            .unwrap();
        for (pos, pair) in r.multisets[0].iter().enumerate() {
            let (a, b) = (pair[0] as usize, pair[1] as usize);
            let g: Vec<f64> = (0..EXPERIMENTS).map(|e| r.experiment(0, e)[pos]).collect();
            let (mean, se) = mean_stderr(&g);
            let (k, s) = (k[a * m + b], s[a * m + b]);
            let (z, z_k) = ((mean - k - s) / se, (mean - k) / se);
            println!(
                "| {} | {} | {widths:?} | ({a},{b}) | {mean:.6} ± {se:.1e} | {k:.6} | {:.6} | {z:.2} | {z_k:.1} |",
                act.name(),
                widths.len(),
                k + s
            );
            assert!(z.abs() <= Z_BOUND, "{act:?} {widths:?} ({a},{b}): G2 {mean} vs K + S {}, z = {z:.2}", k + s);
            assert!(
                !resolved(a, b) || z_k.abs() >= RESOLVED,
                "{act:?} {widths:?} ({a},{b}): shift not resolved, |G2 - K| / se = {z_k:.1}"
            );
            worst = worst.max(z.abs());
        }
    }
    worst
}

#[test]
fn two_point_shift_matches_monte_carlo_at_two_hidden_layers() {
    // at L = 2 only n_1 enters: [10, 40] shifts as n = 10, [40, 10] as n = 40
    let mut cases = Vec::new();
    for act in [DeepActivation::Tanh, DeepActivation::Erf] {
        for widths in [vec![20, 20], vec![10, 40], vec![40, 10]] {
            cases.push((act, widths));
        }
    }
    let worst = compare(&cases, 32768, 2601);
    println!("K + S at L = 2: max |z| = {worst:.2}");
}

#[test]
fn relu_two_point_shift_matches_monte_carlo_off_the_diagonal() {
    // relu at criticality on three points of the plane at 90° and 127° from the first: the
    // diagonal shift is exactly zero (checked in the theory crate), the off-diagonal one comes
    // from relu's second derivatives (singular like 1/√det K); the pair (1, 2) at 37° shifts
    // too little to be resolved here, so only (0, 1) and (0, 2) must be
    let xs = InputSet::new("three-d2", &[vec![1.0, 0.0], vec![0.0, 1.0], vec![-0.6, 0.8]]).unwrap();
    let cases = [(DeepActivation::Relu, vec![20, 20]), (DeepActivation::Relu, vec![10, 40])];
    let worst = compare_on(&xs, &cases, 32768, 2602, |a, b| a == 0 && b > 0);
    println!("relu K + S at L = 2: max |z| = {worst:.2}");
}

#[test]
fn two_point_shift_matches_monte_carlo_at_four_hidden_layers() {
    let cases = [(DeepActivation::Tanh, vec![40; 4]), (DeepActivation::Erf, vec![40; 4])];
    let worst = compare(&cases, 32768, 2604);
    println!("K + S at L = 4: max |z| = {worst:.2}");
}

/// Two-sided 95% quantile of Student's t with 3 degrees of freedom (five widths, two
/// parameters: the log-log line).
const T95_DOF3: f64 = 3.182;
/// Two-sided 95% quantile of Student's t with 2 degrees of freedom (five widths, three
/// parameters: `c1, c2, c3`).
const T95_DOF2: f64 = 4.303;
/// The 95% interval of the left-over `1/n` coefficient must be narrower than this fraction of
/// `|K1|` (the test has the power to see a `K1` wrong by that much).
const C1_RESOLUTION: f64 = 0.1;

#[test]
#[ignore = "long: about 60 million deep nets of four hidden layers, ~6.5 minutes (run with --ignored)"]
fn two_point_residual_shrinks_like_one_over_n_squared() {
    // erf at L = 4, G2(x_1, x_1) at x_1 = 0.3 (the entry with the largest relative residual at
    // n = 10, 20, 40 in the runs of the tests above), n = 10..40. If K1 is the whole 1/n term,
    // the residual G2 − K − K1/n is c2/n² + c3/n³ + ...:
    // - the weighted fit of log |residual| against log n has slope −2 within its 95% interval;
    // - the weighted least-squares fit of c1/n + c2/n² + c3/n³ to it has c1 = 0 within its 95%
    //   interval, and that interval is narrower than a tenth of |K1|.
    let xs = inputs();
    let base = DeepNetwork::with_deep_priors(DeepActivation::Erf, &[1; 4]).unwrap();
    let theory = KernelShift::new(&base, &xs).unwrap();
    let (k, k1) = (theory.kernels().output()[4], theory.equal_width_coefficient()[4]);
    let mut rows = Vec::new();
    for (n, nets) in [(10usize, 65536u64), (14, 131072), (20, 262144), (28, 524288), (40, 1048576)] {
        let net = base.with_widths(&[n; 4]).unwrap();
        let r = DeepEnsemble::new(net, xs.clone(), nets, 32, Estimator::Conditional, 2626 + n as u64)
            .unwrap()
            .run(2)
            .unwrap();
        let pos = r.position(&[0, 0], &[1, 1]).unwrap();
        let g: Vec<f64> = (0..32).map(|e| r.experiment(0, e)[pos]).collect();
        let (mean, se) = mean_stderr(&g);
        let residual = mean - k - k1 / n as f64;
        println!(
            "| erf | 4 | {n} | (1,1) | {mean:.7} ± {se:.1e} | {k:.7} | {:.7} | {:.2} | residual {residual:.3e} |",
            k + k1 / n as f64,
            residual / se
        );
        assert!(residual.abs() > 3.0 * se, "n = {n}: residual {residual:e} not resolved (s.e. {se:e})");
        rows.push((n as f64, residual, se));
    }
    // log-log line, weights (residual / se)², its standard error scaled by the fit's own
    // scatter when that exceeds the errors
    let pts: Vec<(f64, f64, f64)> = rows.iter().map(|&(n, r, se)| (n.ln(), r.abs().ln(), (r / se).powi(2))).collect();
    let sw: f64 = pts.iter().map(|p| p.2).sum();
    let mx = pts.iter().map(|p| p.2 * p.0).sum::<f64>() / sw;
    let my = pts.iter().map(|p| p.2 * p.1).sum::<f64>() / sw;
    let sxx: f64 = pts.iter().map(|p| p.2 * (p.0 - mx).powi(2)).sum();
    let slope = pts.iter().map(|p| p.2 * (p.0 - mx) * (p.1 - my)).sum::<f64>() / sxx;
    let chi2_line: f64 = pts.iter().map(|p| p.2 * (p.1 - my - slope * (p.0 - mx)).powi(2)).sum();
    let slope_se = (1.0 / sxx).sqrt() * (chi2_line / 3.0).max(1.0).sqrt();
    println!("slope {slope:.3} +- {slope_se:.3} (95%: +- {:.3}), chi2 = {chi2_line:.2} (3 dof)", T95_DOF3 * slope_se);
    // weighted least squares: minimise Σ ((r − Σ_p c_p n^-p) / se)², p = 1, 2, 3
    let mut a = [[0.0f64; 3]; 3];
    let mut y = [0.0f64; 3];
    for &(n, r, se) in &rows {
        let basis = [1.0 / n, 1.0 / (n * n), 1.0 / (n * n * n)];
        for i in 0..3 {
            y[i] += basis[i] * r / (se * se);
            for j in 0..3 {
                a[i][j] += basis[i] * basis[j] / (se * se);
            }
        }
    }
    let inv = invert3(a);
    let c: Vec<f64> = (0..3).map(|i| (0..3).map(|j| inv[i][j] * y[j]).sum()).collect();
    let chi2: f64 =
        rows.iter().map(|&(n, r, se)| ((r - c[0] / n - c[1] / (n * n) - c[2] / (n * n * n)) / se).powi(2)).sum();
    let scale = (chi2 / 2.0).max(1.0).sqrt();
    let se: Vec<f64> = (0..3).map(|i| inv[i][i].sqrt() * scale).collect();
    println!(
        "K1 = {k1:.4e}; left over: c1 = {:.3e} +- {:.1e}, c2 = {:.3e} +- {:.1e}, c3 = {:.3e} +- {:.1e}, chi2 = {chi2:.2} (2 dof)",
        c[0], se[0], c[1], se[1], c[2], se[2]
    );
    assert!((slope + 2.0).abs() <= T95_DOF3 * slope_se, "slope {slope} +- {slope_se} is not -2");
    assert!(c[0].abs() <= T95_DOF2 * se[0], "a 1/n term is left: c1 = {} +- {}", c[0], se[0]);
    assert!(
        T95_DOF2 * se[0] < C1_RESOLUTION * k1.abs(),
        "c1's interval +- {} is too wide against K1 = {k1}",
        T95_DOF2 * se[0]
    );
}

/// The inverse of a symmetric positive definite `3 x 3` matrix (the normal equations).
fn invert3(a: [[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let cof = |i: usize, j: usize| {
        let (r0, r1) = ((i + 1) % 3, (i + 2) % 3);
        let (c0, c1) = ((j + 1) % 3, (j + 2) % 3);
        a[r0][c0] * a[r1][c1] - a[r0][c1] * a[r1][c0]
    };
    let det = a[0][0] * cof(0, 0) + a[0][1] * cof(0, 1) + a[0][2] * cof(0, 2);
    let mut inv = [[0.0; 3]; 3];
    for (i, row) in inv.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = cof(j, i) / det;
        }
    }
    inv
}
