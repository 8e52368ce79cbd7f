//! The Cos-net sampled (uniform phase drawn as `pi erf(u / sqrt 2)` of a normal `u`): its raw,
//! conditional and control-variate estimators of `G2`, `G4`, `G6` and the cumulants `kappa4`,
//! `kappa6` against exact finite-width theory at small widths (fixed seeds, stated z bound, and
//! a check that the cumulants are resolved, so that a wrong one would fail); the phase's
//! uniformity; and the value stability of the paper's three networks, whose draws share the
//! code the Cos-net's phase was added to.

use nnqft_sampling::*;
use nnqft_theory::{Activation, FiniteWidthTheory, InputSet, Network};

/// Bound on |z| of Monte Carlo against exact theory, on every multiset.
const Z_BOUND: f64 = 4.0;
/// Least resolution `|kappa4| / stderr` on the diagonal multiset, and `max |kappa6| / stderr`
/// over the multisets, that the cumulant tests need to be able to fail (a cumulant set to zero
/// would be this many standard errors off).
const RESOLVED: f64 = 5.0;

fn cos_ensemble(width: usize, nets: u64, est: Estimator, seed: u64) -> Ensemble {
    let net = Network::new(Activation::Cos, 1, 1.0, 0.0).unwrap();
    let xs = InputSet::scaling(Activation::Cos, 1).unwrap();
    Ensemble::new(net, width, xs, nets, 4, est, seed).unwrap().with_variance(true)
}

/// Grand mean over the experiments and its standard error from the tracked per-net variance.
fn mean_and_stderr(r: &EnsembleResult, o: usize, p: usize) -> (f64, f64) {
    let len = r.multisets[o].len();
    let e = r.experiments as f64;
    let mean = (0..r.experiments).map(|x| r.means[o][x * len + p]).sum::<f64>() / e;
    let var = r.variances.as_ref().expect("variance tracked");
    let per_net = (0..r.experiments).map(|x| var[o][x * len + p]).sum::<f64>() / e;
    (mean, (per_net / (r.nets as f64 * e)).sqrt())
}

/// Worst |z| of `G2`, `G4`, `G6`, `kappa4`, `kappa6` against exact theory, and the resolutions
/// of `kappa4` (diagonal) and `kappa6` (best multiset). The measured cumulants subtract the
/// exact lower-order parts, `kappa4 = G4 - Wick4(K)` and `kappa6 = G6 - Wick6(K) - sum_15
/// kappa4 K` (one-layer nets have `G2 = K` exactly), so their errors are those of `G4`, `G6`.
fn cumulant_z_scores(width: usize, est: Estimator, nets: u64, seed: u64) -> ([f64; 5], f64, f64) {
    let e = cos_ensemble(width, nets, est, seed);
    let r = e.run(2).unwrap();
    let exact = FiniteWidthTheory::new(e.network(), e.inputs()).unwrap().at_width(width).unwrap();
    let mut worst = [0.0f64; 5];
    let (mut res4, mut res6) = (0.0f64, 0.0f64);
    for o in 0..3 {
        for p in 0..r.multisets[o].len() {
            let (m, s) = mean_and_stderr(&r, o, p);
            if s == 0.0 {
                // the control variate's G2 is K itself
                assert!((m - exact.g[o][p]).abs() <= 1e-12 * exact.g[o][p].abs(), "{est:?} G2");
                continue;
            }
            let label = r.multisets[o].label(p);
            let z = (m - exact.g[o][p]) / s;
            worst[o] = worst[o].max(z.abs());
            assert!(z.abs() <= Z_BOUND, "cos N={width} {est:?} G{} {label}: z = {z}", 2 * o + 2);
            let cumulant = match o {
                1 => Some((3, &exact.kappa4[p])),
                2 => Some((4, &exact.kappa6[p])),
                _ => None,
            };
            if let Some((slot, kappa)) = cumulant {
                let measured = m - (exact.g[o][p] - kappa);
                let zk = (measured - kappa) / s;
                worst[slot] = worst[slot].max(zk.abs());
                assert!(zk.abs() <= Z_BOUND, "cos N={width} {est:?} kappa{} {label}: z = {zk}", 2 * o + 2);
                if o == 1 && p == 0 {
                    res4 = kappa.abs() / s;
                }
                if o == 2 {
                    res6 = res6.max(kappa.abs() / s);
                }
            }
        }
    }
    eprintln!(
        "cos N={width} {est:?} ({nets} x 4 nets, seed {seed}): max |z| G2 {:.2}, G4 {:.2}, G6 {:.2}, kappa4 {:.2}, \
         kappa6 {:.2}; |kappa4(0000)|/se = {res4:.1}, max |kappa6|/se = {res6:.1}",
        worst[0], worst[1], worst[2], worst[3], worst[4]
    );
    (worst, res4, res6)
}

#[test]
fn cos_net_cumulants_agree_with_exact_theory() {
    for (i, width) in [2usize, 5].into_iter().enumerate() {
        for (j, est) in [Estimator::Raw, Estimator::Conditional, Estimator::ControlVariate].into_iter().enumerate() {
            let (_, res4, res6) = cumulant_z_scores(width, est, 40_000, 700 + 10 * i as u64 + j as u64);
            assert!(res4 >= RESOLVED, "N={width} {est:?}: kappa4 resolved at only {res4:.1} standard errors");
            // kappa6 ~ 1/N^2: resolved by the conditional estimators at N = 2
            if width == 2 && est != Estimator::Raw {
                assert!(res6 >= RESOLVED, "N={width} {est:?}: kappa6 resolved at only {res6:.1} standard errors");
            }
        }
    }
}

/// The phase `pi erf(u / sqrt 2)` is uniform on `[-pi, pi]`: at width 1 and one point, the raw
/// estimator's `G2 = E[v^2] E[cos^2] = sigma_w^2 / 2`, `G4 = 3 sigma_w^4 3/8` and
/// `G6 = 15 sigma_w^6 5/16` whatever the point (an off-uniform phase moves them with `x`).
#[test]
fn one_neuron_has_the_uniform_phase_moments_at_every_point() {
    let sw: f64 = 1.3;
    let net = Network::new(Activation::Cos, 1, sw, 0.0).unwrap();
    let xs = InputSet::new("spread", &[vec![0.0], vec![0.4], vec![2.0], vec![-7.5]]).unwrap();
    let e = Ensemble::new(net, 1, xs, 50_000, 4, Estimator::Raw, 9).unwrap().with_variance(true);
    let r = e.run(2).unwrap();
    let expected = [sw.powi(2) / 2.0, 9.0 / 8.0 * sw.powi(4), 75.0 / 16.0 * sw.powi(6)];
    for (o, n) in [(0, 2), (1, 4), (2, 6)] {
        for a in 0..4usize {
            let p = r.multisets[o].position(&vec![a; n]).unwrap();
            let (m, s) = mean_and_stderr(&r, o, p);
            let z = (m - expected[o]) / s;
            assert!(z.abs() <= Z_BOUND, "G{n} at point {a}: {m} vs {}, z = {z}", expected[o]);
        }
    }
}

/// Value stability of the paper's networks: the first means of a small raw and conditional
/// ensemble of each, bit for bit (pinned before the Cos-net's phase joined their draw code).
#[test]
fn paper_networks_keep_their_bits() {
    let mut got = Vec::new();
    for act in Activation::ALL {
        for est in [Estimator::Raw, Estimator::Conditional] {
            let net = Network::paper(act, 1).unwrap();
            let xs = InputSet::scaling(act, 1).unwrap();
            let r = Ensemble::new(net, 3, xs, 300, 2, est, 17).unwrap().run(1).unwrap();
            got.push([r.means[0][1].to_bits(), r.means[1][5].to_bits(), r.means[2][9].to_bits()]);
        }
    }
    assert_eq!(got, PINNED_BITS, "the draws of erf, relu or gauss changed: {got:?}");
}

/// `means[0][1]`, `means[1][5]`, `means[2][9]` of erf, relu, gauss (raw, conditional), as the
/// commit before the Cos-net (fe3f29d) gives them.
const PINNED_BITS: [[u64; 3]; 6] = [
    [4609744924847386124, 4617492113900405391, 4631498873574899236],
    [4609541918429286723, 4617136934467586400, 4631358754461192020],
    [4586150763299559433, 4582799330073257215, 4580483282026710337],
    [4586037744066312025, 4581057286222901603, 4577329786032574719],
    [4612803951598768753, 4635985966664753962, 4667228213762402732],
    [4612023421580833469, 4631528466040552850, 4663349300948493150],
];
