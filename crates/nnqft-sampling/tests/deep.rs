//! Deep ensembles against theory: the exact one-input identities, the kernel recursion, the
//! leading-order four-point vertex (with cross-output correlators), the one-layer exact
//! correlators, every activation beyond erf, relu, tanh and linear (gelu, silu, softplus,
//! sigmoid, sin); the four-point function at next order on one input; thread invariance and bad
//! input. Fixed seeds, a stated z bound.

use nnqft_sampling::{DeepEnsemble, DeepEnsembleResult, Estimator, SamplingError};
use nnqft_theory::{
    Activation, DeepActivation, DeepNetwork, FiniteWidthTheory, FourPointVertex, InputSet, KernelRecursion, Network,
    OneInputLaw,
};

/// Bound on |z| of Monte Carlo against theory, on every correlator compared.
const Z_BOUND: f64 = 4.0;

/// Mean and standard error over the experiments of a per-experiment statistic.
fn mean_stderr(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let v: Vec<f64> = values.collect();
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

fn run(
    net: DeepNetwork,
    xs: &InputSet,
    nets: u64,
    experiments: usize,
    est: Estimator,
    seed: u64,
) -> DeepEnsembleResult {
    DeepEnsemble::new(net, xs.clone(), nets, experiments, est, seed).unwrap().run(2).unwrap()
}

#[test]
fn thread_count_does_not_change_the_numbers() {
    let xs = InputSet::new("three", &[vec![-0.4], vec![0.2], vec![0.9]]).unwrap();
    for est in [Estimator::Raw, Estimator::Conditional] {
        for act in [DeepActivation::Tanh, DeepActivation::Relu] {
            let net = DeepNetwork::with_deep_priors(act, &[6, 9, 4]).unwrap().with_d_out(2).unwrap();
            let e = DeepEnsemble::new(net, xs.clone(), 2 * 4096 + 33, 3, est, 11).unwrap();
            assert_eq!(e.run(1).unwrap(), e.run(2).unwrap(), "{act:?} {est:?}");
        }
    }
}

#[test]
fn exact_one_input_identities_hold_in_monte_carlo() {
    // E[f_i²] = K, E[f_i⁴] = 3 K² R, E[f_0² f_1²] = K² R, R = prod(1 + c/n_l), E[f_0 f_1] = 0
    let x = 0.8;
    let xs = InputSet::new("one", &[vec![x]]).unwrap();
    let mut worst = 0.0f64;
    for (act, c) in [(DeepActivation::Relu, 5.0), (DeepActivation::Linear, 2.0)] {
        // (the raw f⁴ has a heavy tail at widths ~2, where 16 experiments under-estimate its
        // standard error; widths from 3 up keep the z-score honest)
        for widths in [vec![3, 5], vec![5, 4, 6, 8]] {
            for est in [Estimator::Conditional, Estimator::Raw] {
                let net = DeepNetwork::with_deep_priors(act, &widths).unwrap().with_d_out(2).unwrap();
                let k = KernelRecursion::new(&net, &xs).unwrap().output()[0];
                let ratio: f64 = widths.iter().map(|&n| 1.0 + c / n as f64).product();
                let r = run(net, &xs, 3 * 4096, 16, est, 2024 + widths.len() as u64);
                let checks = [
                    (0, [0, 0].as_slice(), k),
                    (0, &[1, 1], k),
                    (0, &[0, 1], 0.0),
                    (1, &[0, 0, 0, 0], 3.0 * k * k * ratio),
                    (1, &[1, 1, 1, 1], 3.0 * k * k * ratio),
                    (1, &[0, 0, 1, 1], k * k * ratio),
                    (1, &[0, 0, 0, 1], 0.0),
                ];
                for (o, outputs, want) in checks {
                    let pos = r.position(outputs, &vec![0; outputs.len()]).unwrap();
                    let (mean, se) = mean_stderr((0..r.experiments).map(|e| r.experiment(o, e)[pos]));
                    if se == 0.0 {
                        // conditional odd-output correlators are exactly zero
                        assert!(want == 0.0 && mean.abs() < 1e-300, "{act:?} {widths:?} {est:?} {outputs:?}");
                        continue;
                    }
                    let z = (mean - want) / se;
                    worst = worst.max(z.abs());
                    assert!(z.abs() <= Z_BOUND, "{act:?} {widths:?} {est:?} {outputs:?}: {mean} vs {want}, z = {z:.2}");
                }
            }
        }
    }
    println!("exact one-input identities: max |z| = {worst:.2}");
}

/// Widths of the two ensembles whose 1/n extrapolation removes the finite-width shift.
const EXTRAPOLATION_WIDTHS: [usize; 2] = [40, 80];

#[test]
fn kernel_recursion_matches_whole_network_monte_carlo() {
    // G2 = K + a/n + O(1/n²) at depth L >= 2: the extrapolation 2 G2(2n) - G2(n) is K + O(1/n²)
    let xs = InputSet::new("three", &[vec![-0.9], vec![0.3], vec![1.0]]).unwrap();
    let mut worst = 0.0f64;
    for act in [DeepActivation::Tanh, DeepActivation::Erf, DeepActivation::Relu] {
        for depth in [2, 3] {
            let nets = EXTRAPOLATION_WIDTHS.map(|n| {
                let net = DeepNetwork::with_deep_priors(act, &vec![n; depth]).unwrap();
                run(net, &xs, 2048, 16, Estimator::Conditional, 7 + n as u64)
            });
            let theory =
                KernelRecursion::new(&DeepNetwork::with_deep_priors(act, &vec![1; depth]).unwrap(), &xs).unwrap();
            for (pos, s) in nets[0].multisets[0].iter().enumerate() {
                let (a, b) = (s[0] as usize, s[1] as usize);
                let (mean, se) =
                    mean_stderr((0..16).map(|e| 2.0 * nets[1].experiment(0, e)[pos] - nets[0].experiment(0, e)[pos]));
                let want = theory.output()[a * 3 + b];
                let z = (mean - want) / se;
                worst = worst.max(z.abs());
                assert!(z.abs() <= Z_BOUND, "{act:?} L={depth} ({a},{b}): {mean} vs K = {want}, z = {z:.2}");
            }
        }
    }
    println!("kernel recursion: max |z| = {worst:.2}");
}

#[test]
fn four_point_vertex_matches_monte_carlo_at_depth_two_with_two_outputs() {
    // n_L (G4 - Wick4(G2)) = V-sum + b/n + O(1/n²) at fixed width ratios: extrapolate from the
    // widths w and 2w, 2 c(2w) - c(w), on every multiset of the (output, point) pairs,
    // cross-output ones included; unequal widths check the n_l / n_(l-1) factor of the recursion
    let xs = InputSet::new("three", &[vec![-0.9], vec![0.3], vec![1.0]]).unwrap();
    let mut worst = 0.0f64;
    let cases = [
        (DeepActivation::Tanh, [40, 40]),
        (DeepActivation::Erf, [40, 40]),
        (DeepActivation::Relu, [40, 40]),
        (DeepActivation::Tanh, [40, 20]),
    ];
    for (act, widths) in cases {
        let shape = widths.map(|n| n / 20);
        let base = DeepNetwork::with_deep_priors(act, &shape).unwrap().with_d_out(2).unwrap();
        let vertex = FourPointVertex::new(&base, &xs).unwrap();
        let (ms, theory, _) = vertex.output_indexed().unwrap();
        // theory is V / n_L at the shape's widths: n_L times it is the V-sum
        let theory: Vec<f64> = theory.iter().map(|t| t * shape[1] as f64).collect();
        let runs = [1, 2].map(|k| {
            let w = widths.map(|n| k * n);
            run(base.with_widths(&w).unwrap(), &xs, 8192, 16, Estimator::Conditional, 99 + (k * widths[1]) as u64)
        });
        let conn = runs.each_ref().map(|r| r.connected_g4().unwrap().0);
        let len = ms.len();
        let [n1, n2] = [1, 2].map(|k| (k * widths[1]) as f64);
        for (pos, _) in ms.iter().enumerate() {
            let (mean, se) =
                mean_stderr((0..16).map(|e| 2.0 * n2 * conn[1][e * len + pos] - n1 * conn[0][e * len + pos]));
            let want = theory[pos];
            if se == 0.0 {
                assert!(want.abs() < 1e-300 && mean.abs() < 1e-12, "{act:?} {}", ms.label(pos));
                continue;
            }
            let z = (mean - want) / se;
            worst = worst.max(z.abs());
            assert!(z.abs() <= Z_BOUND, "{act:?} {widths:?} {}: n conn {mean} vs V {want}, z = {z:.2}", ms.label(pos));
        }
    }
    println!("four-point vertex at L = 2: max |z| = {worst:.2}");
}

/// The activations beyond erf, relu, tanh and linear, with the priors their tests use: the
/// critical point where one exists, the deep defaults `(1, 0)` otherwise (softplus, sigmoid).
fn new_activations() -> Vec<DeepNetwork> {
    use DeepActivation::*;
    [Gelu, Silu, Softplus, Sigmoid, Sin]
        .into_iter()
        .map(|act| {
            DeepNetwork::at_criticality(act, &[1]).or_else(|_| DeepNetwork::with_deep_priors(act, &[1])).unwrap()
        })
        .collect()
}

#[test]
fn new_activations_kernel_recursion_matches_monte_carlo_at_depths_one_and_two() {
    // L = 1: the conditional G2 is E[G] = K exactly at any width (here 10). L = 2: G2 = K + a/n +
    // O(1/n²), so the extrapolation 2 G2(2n) - G2(n) from n = 40, 80 is K + O(1/n²).
    let xs = InputSet::new("three", &[vec![-0.9], vec![0.3], vec![1.0]]).unwrap();
    let mut worst = 0.0f64;
    for base in new_activations() {
        let act = base.activation();
        let one = run(base.with_widths(&[10]).unwrap(), &xs, 4096, 16, Estimator::Conditional, 31);
        let k1 = KernelRecursion::new(&base, &xs).unwrap();
        let two = EXTRAPOLATION_WIDTHS
            .map(|n| run(base.with_widths(&[n, n]).unwrap(), &xs, 2048, 16, Estimator::Conditional, 37 + n as u64));
        let k2 = KernelRecursion::new(&base.with_widths(&[1, 1]).unwrap(), &xs).unwrap();
        assert!(k2.quadrature_error() < 1e-9, "{act:?}: quadrature error {:e}", k2.quadrature_error());
        for (pos, s) in one.multisets[0].iter().enumerate() {
            let (a, b) = (s[0] as usize, s[1] as usize);
            let (mean, se) = mean_stderr((0..16).map(|e| one.experiment(0, e)[pos]));
            let z = (mean - k1.output()[a * 3 + b]) / se;
            worst = worst.max(z.abs());
            assert!(z.abs() <= Z_BOUND, "{act:?} L=1 ({a},{b}): {mean} vs K = {}, z = {z:.2}", k1.output()[a * 3 + b]);
            let (mean, se) =
                mean_stderr((0..16).map(|e| 2.0 * two[1].experiment(0, e)[pos] - two[0].experiment(0, e)[pos]));
            let z = (mean - k2.output()[a * 3 + b]) / se;
            worst = worst.max(z.abs());
            assert!(z.abs() <= Z_BOUND, "{act:?} L=2 ({a},{b}): {mean} vs K = {}, z = {z:.2}", k2.output()[a * 3 + b]);
        }
    }
    println!("new activations, kernel recursion at L = 1, 2: max |z| = {worst:.2}");
}

#[test]
fn new_activations_four_point_vertex_matches_monte_carlo_at_depth_two() {
    // as `four_point_vertex_matches_monte_carlo_at_depth_two_with_two_outputs`: n_L (G4 -
    // Wick4(G2)) extrapolated from widths (40, 40) and (80, 80) against the V-sum, on every
    // multiset of the (output, point) pairs of two outputs
    let xs = InputSet::new("three", &[vec![-0.9], vec![0.3], vec![1.0]]).unwrap();
    let mut worst = 0.0f64;
    for base in new_activations() {
        let act = base.activation();
        let base = base.with_widths(&[2, 2]).unwrap().with_d_out(2).unwrap();
        let vertex = FourPointVertex::new(&base, &xs).unwrap();
        let (ms, theory, _) = vertex.output_indexed().unwrap();
        let theory: Vec<f64> = theory.iter().map(|t| t * 2.0).collect();
        let runs = [40usize, 80]
            .map(|n| run(base.with_widths(&[n, n]).unwrap(), &xs, 8192, 16, Estimator::Conditional, 71 + n as u64));
        let conn = runs.each_ref().map(|r| r.connected_g4().unwrap().0);
        let len = ms.len();
        for (pos, _) in ms.iter().enumerate() {
            let (mean, se) =
                mean_stderr((0..16).map(|e| 2.0 * 80.0 * conn[1][e * len + pos] - 40.0 * conn[0][e * len + pos]));
            let want = theory[pos];
            if se == 0.0 {
                assert!(want.abs() < 1e-300 && mean.abs() < 1e-12, "{act:?} {}", ms.label(pos));
                continue;
            }
            let z = (mean - want) / se;
            worst = worst.max(z.abs());
            assert!(z.abs() <= Z_BOUND, "{act:?} {}: n conn {mean} vs V {want}, z = {z:.2}", ms.label(pos));
        }
    }
    println!("new activations, four-point vertex at L = 2: max |z| = {worst:.2}");
}

#[test]
fn one_layer_ensembles_agree_with_the_exact_correlators() {
    for act in Activation::ALL {
        let net = Network::paper(act, 1).unwrap();
        let xs = InputSet::scaling(act, 1).unwrap();
        let exact = FiniteWidthTheory::new(&net, &xs).unwrap().at_width(5).unwrap();
        let deep = DeepNetwork::from_network(&net, 5).unwrap();
        for est in [Estimator::Conditional, Estimator::Raw] {
            let r = run(deep.clone(), &xs, 4096, 16, est, 3);
            for o in 0..2 {
                for pos in 0..r.multisets[o].len() {
                    let (mean, se) = mean_stderr((0..16).map(|e| r.experiment(o, e)[pos]));
                    let want = exact.g[o][pos];
                    let z = (mean - want) / se;
                    // Gauss-net's raw G4 has the log-normal tail of its hidden biases (docs/conventions.md, estimators)
                    if act == Activation::Gauss && est == Estimator::Raw && o == 1 {
                        continue;
                    }
                    assert!(
                        z.abs() <= Z_BOUND,
                        "{act:?} {est:?} n={} {}: {mean} vs {want}, z = {z:.2}",
                        2 * o + 2,
                        r.multisets[o].label(pos)
                    );
                }
            }
        }
    }
}

#[test]
fn bad_input_is_a_typed_error() {
    let xs = InputSet::new("one", &[vec![0.5]]).unwrap();
    let net = DeepNetwork::with_deep_priors(DeepActivation::Tanh, &[4, 4]).unwrap();
    let field = |r: Result<DeepEnsemble, SamplingError>| match r {
        Err(SamplingError::OutOfRange { field, .. }) => field,
        other => panic!("expected OutOfRange, got {other:?}"),
    };
    assert_eq!(field(DeepEnsemble::new(net.clone(), xs.clone(), 0, 1, Estimator::Raw, 1)), "nets");
    assert_eq!(field(DeepEnsemble::new(net.clone(), xs.clone(), 5, 0, Estimator::Raw, 1)), "experiments");
    assert_eq!(field(DeepEnsemble::new(net.clone(), xs.clone(), 5, 1, Estimator::ControlVariate, 1)), "estimator");
    assert_eq!(field(DeepEnsemble::new(net.clone(), xs.clone(), 5, 1, Estimator::BiasIntegrated, 1)), "estimator");
    let many = InputSet::new("many", &(0..128).map(|i| vec![i as f64 / 128.0]).collect::<Vec<_>>()).unwrap();
    assert_eq!(
        field(DeepEnsemble::new(net.clone().with_d_out(2).unwrap(), many, 5, 1, Estimator::Raw, 1)),
        "input points x d_out"
    );
    let d2 = InputSet::new("d2", &[vec![0.5, 0.1]]).unwrap();
    assert!(matches!(DeepEnsemble::new(net.clone(), d2, 5, 1, Estimator::Raw, 1), Err(SamplingError::Theory(_))));
    let e = DeepEnsemble::new(net, xs, 5, 1, Estimator::Raw, 1).unwrap();
    assert!(matches!(e.run(0), Err(SamplingError::OutOfRange { field: "threads", .. })));
}

#[test]
fn next_order_four_point_function_matches_monte_carlo_where_the_leading_order_misses() {
    // one input x = 1, r = Var(G)/E[G]² measured by the conditional estimator against r₁ + r₂ of
    // OneInputLaw, where the remainder O(1/n³) (about r₂²/r₁) is below the standard error while
    // r₂ is many of them: tanh at L = 4, n = 40 (r₂ ~1e-3, remainder ~1e-5) and gelu at its
    // critical point, whose series converges more slowly (r₂/r₁ = 0.33 at L = 4, n = 20), at
    // L = 2, n = 100. The test fails if r₂ is wrong by a fraction of its size, or if the leading
    // order alone were enough.
    let xs = InputSet::new("one", &[vec![1.0]]).unwrap();
    for (act, depth, width, seed) in [(DeepActivation::Tanh, 4, 40, 17u64), (DeepActivation::Gelu, 2, 100, 18)] {
        let net = DeepNetwork::at_criticality(act, &vec![width; depth]).unwrap();
        let (r1, r2) = OneInputLaw::new(&net, &[1.0]).unwrap().r();
        let r = run(net, &xs, 1 << 18, 32, Estimator::Conditional, seed);
        let (mean, se) = mean_stderr(r.normalised_connected().unwrap().into_iter());
        let (z_next, z_leading) = ((mean - r1 - r2) / se, (mean - r1) / se);
        println!(
            "{act:?}: r = {mean:.6} +- {se:.1e}; r1 {r1:.6} (z {z_leading:.1}), r1 + r2 {:.6} (z {z_next:.1})",
            r1 + r2
        );
        assert!(z_next.abs() <= Z_BOUND, "{act:?}: z against the next order {z_next}");
        assert!(z_leading.abs() > 2.0 * Z_BOUND, "{act:?}: the leading order alone is within {z_leading} s.e.");
    }
}

/// Two-sided 95% quantile of Student's t with 2 degrees of freedom (a line through 4 points).
const T95_DOF2: f64 = 4.303;

#[test]
#[ignore = "long: about 7 million deep nets (run with --ignored)"]
fn leading_order_residual_shrinks_like_one_over_n_squared() {
    // relu, L = 2, one input: r(n) - r_LO(n) = c/n² + O(1/n³) (here exactly
    // (1 + 5/n)² - 1 - 10/n = 25/n²); the weighted fit of log |residual| against log n has slope
    // -2 within its 95% interval. (tanh's c is ~0.25 at this point: its residual at n = 200,
    // ~6e-6, would take ~1e9 nets to resolve.)
    let xs = InputSet::new("one", &[vec![1.0]]).unwrap();
    let base = DeepNetwork::with_deep_priors(DeepActivation::Relu, &[1, 1]).unwrap();
    let vertex = FourPointVertex::new(&base, &xs).unwrap();
    let (mut logs, mut weights) = (Vec::new(), Vec::new());
    for n in [25usize, 50, 100, 200] {
        let nets = if n == 200 { 131_072 } else { 32768 };
        let r = run(base.with_widths(&[n, n]).unwrap(), &xs, nets, 32, Estimator::Conditional, 4242 + n as u64);
        let lo = vertex.at_widths(&[n, n]).unwrap().leading_order_r()[0];
        let (mean, se) = mean_stderr(r.normalised_connected().unwrap().into_iter());
        let residual = mean - lo;
        println!(
            "n = {n}: r = {mean:.6e} +- {se:.1e}, leading order {lo:.6e}, residual {residual:.3e} ({:.1} s.e.)",
            residual / se
        );
        assert!(residual.abs() > 3.0 * se, "n = {n}: residual {residual:e} not resolved (s.e. {se:e})");
        logs.push(((n as f64).ln(), residual.abs().ln()));
        weights.push((residual / se).powi(2));
    }
    let sw: f64 = weights.iter().sum();
    let mx = logs.iter().zip(&weights).map(|((x, _), w)| w * x).sum::<f64>() / sw;
    let my = logs.iter().zip(&weights).map(|((_, y), w)| w * y).sum::<f64>() / sw;
    let sxx: f64 = logs.iter().zip(&weights).map(|((x, _), w)| w * (x - mx).powi(2)).sum();
    let slope = logs.iter().zip(&weights).map(|((x, y), w)| w * (x - mx) * (y - my)).sum::<f64>() / sxx;
    let chi2: f64 = logs.iter().zip(&weights).map(|((x, y), w)| w * (y - my - slope * (x - mx)).powi(2)).sum();
    // standard error scaled by the fit's own scatter when that exceeds the errors
    let se = (1.0 / sxx).sqrt() * (chi2 / 2.0).max(1.0).sqrt();
    println!("slope {slope:.3} +- {se:.3} (95%: +- {:.3})", T95_DOF2 * se);
    assert!((slope + 2.0).abs() <= T95_DOF2 * se, "slope {slope} +- {se} is not -2");
}
