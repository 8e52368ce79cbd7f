//! Sampler against exact theory (fixed seeds, stated z bound), determinism and bad input.

use nnqft_sampling::*;
use nnqft_theory::{Activation, DiagonalG4Variance, FiniteWidthTheory, InputSet, Network};
use rand::{Rng, RngExt};
use rand_distr::StandardNormal;

/// Nets per work item of the seeding scheme (internal to the crate): these tests cross item boundaries.
const CHUNK_NETS: u64 = 4096;

/// Bound on |z| of Monte Carlo against exact theory, on every multiset.
const Z_BOUND: f64 = 4.0;

#[test]
fn first_draws_are_pinned() {
    let mut rng = seed::stream(42, 0, 0);
    let first: Vec<u64> = (0..3).map(|_| rng.next_u64()).collect();
    let normal: f64 = rng.sample(StandardNormal);
    assert_eq!(first, PINNED_U64, "the seeding scheme or generator changed");
    assert!((normal - PINNED_NORMAL).abs() < 1e-15, "{normal:e}");
    assert_ne!(seed::stream(42, 0, 1).next_u64(), PINNED_U64[0]);
    assert_ne!(seed::stream(42, 1, 0).next_u64(), PINNED_U64[0]);
}

const PINNED_U64: [u64; 3] = [13474309630712338193, 13417254919546158733, 10453015769374144225];
const PINNED_NORMAL: f64 = 5.011782001954337e-2;

fn ensemble(act: Activation, width: usize, nets: u64, experiments: usize, est: Estimator, seed: u64) -> Ensemble {
    let net = Network::paper(act, 1).unwrap();
    let xs = InputSet::scaling(act, 1).unwrap();
    Ensemble::new(net, width, xs, nets, experiments, est, seed).unwrap()
}

/// Every estimator.
const ESTIMATORS: [Estimator; 3] = [Estimator::Raw, Estimator::Conditional, Estimator::ControlVariate];

#[test]
fn thread_count_does_not_change_the_numbers() {
    for est in ESTIMATORS {
        let e = ensemble(Activation::Erf, 7, 3 * CHUNK_NETS + 17, 3, est, 5).with_variance(true);
        assert_eq!(e.run(1).unwrap(), e.run(2).unwrap(), "{est:?}");
    }
    let e = ensemble(Activation::Gauss, 37, 2 * CHUNK_NETS + 5, 2, Estimator::BiasIntegrated, 5).with_variance(true);
    assert_eq!(e.run(1).unwrap(), e.run(2).unwrap(), "bias_integrated");
}

/// Pools the experiments: grand mean and standard error from the per-net variance.
fn pooled(r: &EnsembleResult, o: usize) -> (Vec<f64>, Vec<f64>) {
    let len = r.multisets[o].len();
    let total = r.nets as f64 * r.experiments as f64;
    let var = r.variances.as_ref().expect("variance tracked");
    (0..len)
        .map(|p| {
            let mean = (0..r.experiments).map(|e| r.means[o][e * len + p]).sum::<f64>() / r.experiments as f64;
            let v = (0..r.experiments).map(|e| var[o][e * len + p]).sum::<f64>() / r.experiments as f64;
            (mean, (v / total).sqrt())
        })
        .unzip()
}

fn check_against_exact(act: Activation, width: usize, est: Estimator, nets: u64, orders: &[usize], seed: u64) -> f64 {
    check_ensemble_against_exact(ensemble(act, width, nets, 4, est, seed), orders)
}

/// [`check_against_exact`] for any ensemble (variance tracked here).
fn check_ensemble_against_exact(e: Ensemble, orders: &[usize]) -> f64 {
    let (act, width, est) = (e.network().activation(), e.width(), e.estimator());
    let e = e.with_variance(true);
    let r = e.run(2).unwrap();
    let th = FiniteWidthTheory::new(e.network(), e.inputs()).unwrap();
    let exact = th.at_width(width).unwrap();
    let mut worst: f64 = 0.0;
    for &o in orders {
        let (mean, se) = pooled(&r, o);
        for (p, (m, s)) in mean.iter().zip(&se).enumerate() {
            if *s == 0.0 {
                // the control variate's G2 is K itself
                assert!((m - exact.g[o][p]).abs() <= 1e-12 * exact.g[o][p].abs(), "{est:?} n={}", 2 * o + 2);
                continue;
            }
            let z = (m - exact.g[o][p]) / s;
            worst = worst.max(z.abs());
            assert!(
                z.abs() <= Z_BOUND,
                "{act:?} N={width} {est:?} n={} {}: z = {z}",
                2 * o + 2,
                r.multisets[o].label(p)
            );
        }
    }
    // the per-net variance of G4(x0, x0, x0, x0) against its exact value
    let exact_var = DiagonalG4Variance::compute(e.network(), e.inputs().point(0), width).unwrap();
    let expected = match est {
        Estimator::Raw => exact_var.raw,
        Estimator::Conditional => exact_var.conditional,
        Estimator::ControlVariate => exact_var.control_variate,
        Estimator::BiasIntegrated => exact_var.bias_integrated.expect("Gauss-net"),
    };
    let var = r.variances.as_ref().unwrap();
    let len = r.multisets[1].len();
    let sampled = (0..r.experiments).map(|x| var[1][x * len]).sum::<f64>() / r.experiments as f64;
    let ratio = sampled / expected;
    eprintln!("{act:?} N={width} {est:?}: max |z| = {worst:.2}; variance of G4(0,0,0,0) sampled/exact = {ratio:.3}");
    // Erf and ReLU: within VARIANCE_TOLERANCE (measured: 0.94-1.02). Not for the raw
    // estimator at N <= 5, whose sample variance needs E[f^16] = 2027025 E[C^8] (measured 0.64
    // for ReLU at N = 2; at N = 5, twelve seeds of 160,000 nets gave 0.77-1.56 with the lane
    // generator and 0.71-1.27 with the reference one: the same heavy tail), nor for Gauss-net,
    // whose exact variance holds the unseen e^24 / N^3 term.
    // Gauss-net's bias-integrated estimator draws only w, whose tails are Gaussian: its
    // sampled variance is checked too.
    if (act != Activation::Gauss && !(est == Estimator::Raw && width <= 5)) || est == Estimator::BiasIntegrated {
        assert!((ratio - 1.0).abs() < VARIANCE_TOLERANCE, "{act:?} N={width} {est:?}: sampled/exact variance {ratio}");
    }
    worst
}

/// The lane generator (the default) against the reference one (`Pcg64Mcg` and rand_distr's
/// ziggurat): every correlator of both within |z| <= 4 of each other and of exact theory (the
/// lane generator also in `every_estimator_agrees_with_exact_correlators`), at N = 5, where
/// the correlators are furthest from Gaussian.
#[test]
fn lane_generator_agrees_with_the_reference_generator() {
    let mut worst: f64 = 0.0;
    for act in Activation::ALL {
        let orders: &[usize] = if act == Activation::Gauss { &[0, 1] } else { &[0, 1, 2] };
        for est in [Estimator::Raw, Estimator::Conditional] {
            let e = ensemble(act, 5, 40_000, 4, est, 31).with_variance(true);
            assert_eq!(e.generator(), normal::Generator::Lanes);
            let reference = e.clone().with_generator(normal::Generator::Reference);
            check_ensemble_against_exact(reference.clone(), orders);
            let (a, b) = (e.run(2).unwrap(), reference.run(2).unwrap());
            assert_ne!(a.means, b.means, "two generators, two samples");
            for &o in orders {
                let ((ma, sa), (mb, sb)) = (pooled(&a, o), pooled(&b, o));
                for p in 0..ma.len() {
                    let z = (ma[p] - mb[p]) / sa[p].hypot(sb[p]);
                    worst = worst.max(z.abs());
                    assert!(z.abs() <= Z_BOUND, "{act:?} {est:?} n={} {}: z = {z}", 2 * o + 2, a.multisets[o].label(p));
                }
            }
        }
    }
    eprintln!("lanes against reference: max |z| = {worst:.2}");
}

/// Relative tolerance of a sampled per-net variance (160,000 nets) against the exact one.
const VARIANCE_TOLERANCE: f64 = 0.1;

#[test]
fn every_estimator_agrees_with_exact_correlators() {
    for act in [Activation::Erf, Activation::Relu] {
        for (i, width) in [2usize, 5, 20, 100].into_iter().enumerate() {
            for est in ESTIMATORS {
                check_against_exact(act, width, est, 40_000, &[0, 1, 2], 100 + i as u64);
            }
        }
    }
}

#[test]
fn gauss_net_four_point_function_within_errors() {
    // Gauss-net is heavy-tailed: phi is log-normal, so G6's variance needs M12 ~ e^60 and a
    // sample variance cannot be trusted; only G2 and G4 are tested. Even G4's per-net
    // variance holds a term E[phi^8] / N^3 ~ e^24 / N^3 carried by hidden biases near 8 sigma,
    // which no sample of this size sees. The raw and conditional estimators' standard errors
    // are dominated by their other terms; the control variate removes those, so at N = 1000
    // its sample standard error is mostly the unseen tail and its z-scores are not valid
    // (across seeds 0-7 its worst |z| ranges over 0.2-5.2, skewed negative as the missing
    // tail predicts). It is tested at N = 20 here and for Erf and ReLU at every width above.
    for (est, widths) in [
        (Estimator::Raw, &[20usize, 1000][..]),
        (Estimator::Conditional, &[20, 1000]),
        (Estimator::ControlVariate, &[20]),
    ] {
        for &width in widths {
            check_against_exact(Activation::Gauss, width, est, 20_000, &[0, 1], 7);
        }
    }
}

#[test]
fn bias_integrated_gauss_net_agrees_with_exact_correlators() {
    // Unbiased at every order, G6 included (its only randomness is w, with Gaussian tails):
    // |z| <= Z_BOUND on every multiset, and the tracked per-net variance of G4(x0,x0,x0,x0)
    // against the exact one, on the paper's x-set (|x| ~ 0.01) at d = 1 and 2 and on a set
    // with |x| up to 0.2 where psi depends on w twenty times more strongly (beyond that the
    // log-normal tail of psi^6 = exp(6 w . x) makes G6's sample variance unreliable: at
    // |x| = 0.5 the log of psi^6 has standard deviation 3).
    let wide = InputSet::new("wide", &[vec![-0.2], vec![-0.05], vec![0.1], vec![0.2]]).unwrap();
    for (i, width) in [2usize, 3, 5, 20].into_iter().enumerate() {
        let seed = 300 + i as u64;
        check_against_exact(Activation::Gauss, width, Estimator::BiasIntegrated, 20_000, &[0, 1, 2], seed);
        let net = Network::paper(Activation::Gauss, 1).unwrap();
        let e = Ensemble::new(net, width, wide.clone(), 20_000, 4, Estimator::BiasIntegrated, seed).unwrap();
        check_ensemble_against_exact(e, &[0, 1, 2]);
    }
    let net = Network::paper(Activation::Gauss, 2).unwrap();
    let xs = InputSet::scaling(Activation::Gauss, 2).unwrap();
    check_ensemble_against_exact(
        Ensemble::new(net, 3, xs, 20_000, 4, Estimator::BiasIntegrated, 9).unwrap(),
        &[0, 1, 2],
    );
}

#[test]
fn bias_integrated_and_conditional_estimators_agree() {
    // Same expectation: at N = 5 on the paper's x-set the means of the two estimators agree
    // within their joint standard error, and the bias-integrated one's per-net variance of
    // G4 is far below the conditional one's on every multiset (its only randomness is w . x
    // with |x| ~ 0.01; the conditional one carries e^{2b}). sigma_b = 0.4 keeps the
    // conditional estimator's log-normal tail within reach of the sample (at sigma_b = 1 it
    // measures G4(x0,x0,x0,x0) at 30.1 against the exact 44.2 here).
    let net = Network::new(Activation::Gauss, 1, 1.0, 0.4).unwrap();
    let xs = InputSet::scaling(Activation::Gauss, 1).unwrap();
    let run = |est| Ensemble::new(net, 5, xs.clone(), 20_000, 4, est, 17).unwrap().with_variance(true).run(2).unwrap();
    let (cond, bias) = (run(Estimator::Conditional), run(Estimator::BiasIntegrated));
    for o in 0..2 {
        let ((mc, sc), (mb, sb)) = (pooled(&cond, o), pooled(&bias, o));
        for p in 0..mc.len() {
            let z = (mc[p] - mb[p]) / (sc[p] * sc[p] + sb[p] * sb[p]).sqrt();
            assert!(z.abs() <= Z_BOUND, "n={} {}: conditional {} vs bias-integrated {}", 2 * o + 2, p, mc[p], mb[p]);
        }
    }
    let (vc, vb) = (&cond.variances.as_ref().unwrap()[1], &bias.variances.as_ref().unwrap()[1]);
    // smallest ratio over the multisets: about 2.6e3 (seed 17)
    for (c, b) in vc.iter().zip(vb) {
        assert!(b * 1e3 < *c, "bias-integrated {b} vs conditional {c}");
    }
}

#[test]
fn conditional_estimator_has_lower_variance_at_large_width() {
    let raw = ensemble(Activation::Erf, 1000, 2000, 1, Estimator::Raw, 3).with_variance(true).run(2).unwrap();
    let cond = ensemble(Activation::Erf, 1000, 2000, 1, Estimator::Conditional, 3).with_variance(true).run(2).unwrap();
    let (vr, vc) = (&raw.variances.unwrap()[1], &cond.variances.unwrap()[1]);
    for (a, b) in vr.iter().zip(vc) {
        assert!(b * 100.0 < *a, "conditional {b} vs raw {a}");
    }
}

/// Mean over the multisets of order index `o` of the per-net variance (first experiment).
fn mean_variance(r: &EnsembleResult, o: usize) -> f64 {
    let len = r.multisets[o].len();
    r.variances.as_ref().expect("variance tracked")[o][..len].iter().sum::<f64>() / len as f64
}

#[test]
fn control_variate_removes_the_leading_variance_at_large_width() {
    // The conditional estimator's per-net variance of G4 is O(1/N), the control variate's
    // O(1/N^2): at N = 1000 the Erf ratio is about 2.4e4 (seed 3); require 1e3 on every
    // multiset. Gauss-net's remainder is heavy-tailed (lognormal phi), so only 3 is required
    // of its mean (measured: about 6).
    for (act, bound_each, bound_mean) in [(Activation::Erf, Some(1e3), 1e3), (Activation::Gauss, None, 3.0)] {
        let run = |est| ensemble(act, 1000, 4000, 1, est, 3).with_variance(true).run(2).unwrap();
        let (cond, cv) = (run(Estimator::Conditional), run(Estimator::ControlVariate));
        let (vc, vv) = (&cond.variances.as_ref().unwrap()[1], &cv.variances.as_ref().unwrap()[1]);
        if let Some(bound) = bound_each {
            for (a, b) in vc.iter().zip(vv) {
                assert!(b * bound <= *a, "{act:?}: control variate {b} vs conditional {a}");
            }
        }
        let ratio = mean_variance(&cond, 1) / mean_variance(&cv, 1);
        assert!(ratio >= bound_mean, "{act:?}: variance ratio {ratio}");
        assert!(cv.variances.as_ref().unwrap()[0].iter().all(|&v| v == 0.0), "G2 = K exactly");
    }
}

#[test]
fn control_variate_from_a_conditional_run_is_the_control_variate_run() {
    let run = |est| ensemble(Activation::Relu, 20, 300, 3, est, 21).run(2).unwrap();
    let (cond, cv) = (run(Estimator::Conditional), run(Estimator::ControlVariate));
    let e = ensemble(Activation::Relu, 20, 300, 3, Estimator::Conditional, 21);
    let derived = cond.control_variate(e.network(), e.inputs()).unwrap();
    assert_eq!(derived, cv);
    assert_ne!(cond.means[1], cv.means[1]);
}

#[test]
fn tracked_variance_matches_the_spread_of_experiments() {
    // For each estimator, the per-net variance (tracked) over the number of nets must match
    // the variance of the experiment means: 200 experiments give the latter to about
    // sqrt(2/199) = 10% (plus kurtosis), so require agreement within 35% on the mean over
    // the G4 multisets.
    let (nets, experiments) = (200u64, 200usize);
    for est in ESTIMATORS {
        let r = ensemble(Activation::Erf, 50, nets, experiments, est, 11).with_variance(true).run(2).unwrap();
        let len = r.multisets[1].len();
        let var = r.variances.as_ref().unwrap();
        let (mut tracked, mut spread) = (0.0, 0.0);
        for p in 0..len {
            let means: Vec<f64> = (0..experiments).map(|e| r.means[1][e * len + p]).collect();
            let mu = means.iter().sum::<f64>() / experiments as f64;
            spread += means.iter().map(|x| (x - mu).powi(2)).sum::<f64>() / (experiments - 1) as f64 * nets as f64;
            tracked += (0..experiments).map(|e| var[1][e * len + p]).sum::<f64>() / experiments as f64;
        }
        let ratio = spread / tracked;
        eprintln!("{est:?}: spread / tracked = {ratio:.3}");
        assert!((ratio - 1.0).abs() < 0.35, "{est:?}: spread / tracked = {ratio}");
    }
}

#[test]
fn bad_input_is_a_typed_error() {
    let net = Network::paper(Activation::Erf, 1).unwrap();
    let xs = InputSet::scaling(Activation::Erf, 1).unwrap();
    let mk = |w, n, e| Ensemble::new(net, w, xs.clone(), n, e, Estimator::Raw, 1);
    assert!(mk(0, 10, 1).unwrap_err().to_string().contains("width"));
    assert!(mk(3, 0, 1).unwrap_err().to_string().contains("nets"));
    assert!(mk(3, 10, 0).unwrap_err().to_string().contains("experiments"));
    let xs2 = InputSet::scaling(Activation::Erf, 2).unwrap();
    assert!(matches!(
        Ensemble::new(net, 3, xs2, 10, 1, Estimator::Raw, 1),
        Err(SamplingError::Theory(nnqft_theory::TheoryError::MixedDimension { .. }))
    ));
    assert!(mk(3, 10, 1).unwrap().run(0).unwrap_err().to_string().contains("threads"));
    assert!(Estimator::parse("fast").unwrap_err().to_string().contains("estimator"));
    assert_eq!(Estimator::parse("bias_integrated").unwrap(), Estimator::BiasIntegrated);
    let e = Ensemble::new(net, 3, xs.clone(), 10, 1, Estimator::BiasIntegrated, 1).unwrap_err().to_string();
    assert!(e.contains("estimator") && e.contains("gauss only"), "{e}");
}
