//! The `1/n` shift of a deep network's two-point function (`KernelShift`) against deep
//! ensembles: the measured `G2` (conditional estimator) against `K + S` on every pair of three
//! inputs, tanh and erf at two and four hidden layers, equal and unequal widths. Fixed seeds,
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
    let xs = inputs();
    let m = xs.len();
    let mut worst = 0.0f64;
    for (act, widths) in cases {
        let net = DeepNetwork::with_deep_priors(*act, widths).unwrap();
        let theory = KernelShift::new(&net, &xs).unwrap();
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
                z_k.abs() >= RESOLVED,
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
fn two_point_shift_matches_monte_carlo_at_four_hidden_layers() {
    let cases = [(DeepActivation::Tanh, vec![40; 4]), (DeepActivation::Erf, vec![40; 4])];
    let worst = compare(&cases, 32768, 2604);
    println!("K + S at L = 4: max |z| = {worst:.2}");
}
