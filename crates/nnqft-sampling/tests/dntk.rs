//! The dNTK of sampled deep networks: the per-network dNTK (forward mode through the NTK's
//! passes) against a brute-force central difference of the per-network NTK along
//! `λ ∇_θ f` (itself from central differences of the outputs, parameter by parameter) on tiny
//! networks, and the measured `E[dΘ f]` against the leading-order theory
//! (`nnqft_theory::DifferentialNtk`: `P`, `Q`) with fixed seeds and a stated z bound.

use nnqft_sampling::{DeepWeights, DntkEnsemble, DntkPreactivation, Measured, seed};
use nnqft_theory::{DeepActivation, DeepNetwork, DifferentialNtk, InputSet};

/// Brute-force central differences (steps `1e-5` for the direction, `1e-4` along it:
/// truncation `O(h²)` ~ 1e-8 relative, rounding ~ 1e-10) against forward mode, relative to the
/// largest entry.
const FINITE_DIFFERENCE: f64 = 1e-6;
/// Monte Carlo: every extrapolated coefficient within this many standard errors of the theory.
const Z_BOUND: f64 = 4.0;

fn layers(w: &DeepWeights) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let depth = w.network().depth();
    (
        (1..=depth + 1).map(|l| w.weights(l).unwrap().to_vec()).collect(),
        (1..=depth + 1).map(|l| w.biases(l).unwrap().to_vec()).collect(),
    )
}

/// The nets `θ + t v` for a direction `v` over every parameter, layer by layer.
fn shifted(net: &DeepNetwork, base: &DeepWeights, v: &[(Vec<f64>, Vec<f64>)], t: f64) -> DeepWeights {
    let (w, b) = layers(base);
    let w: Vec<Vec<f64>> = w.iter().zip(v).map(|(x, d)| x.iter().zip(&d.0).map(|(x, d)| x + t * d).collect()).collect();
    let b: Vec<Vec<f64>> = b.iter().zip(v).map(|(x, d)| x.iter().zip(&d.1).map(|(x, d)| x + t * d).collect()).collect();
    DeepWeights::from_layers(net, &w, &b).unwrap()
}

#[test]
fn per_network_dntk_matches_a_brute_force_central_difference() {
    let x = InputSet::new("two", &[vec![0.8, -0.4], vec![-0.5, 1.1]]).unwrap();
    for act in [DeepActivation::Tanh, DeepActivation::Gelu, DeepActivation::Relu] {
        let net = DeepNetwork::new(act, &[3, 4], 1.4, 0.2).unwrap().with_d_in(2).unwrap().with_d_out(2).unwrap();
        let (lambda_w, lambda_b) = (0.9, 0.3);
        let weights = DeepWeights::draw(&net, &mut seed::lanes(7, 0, 0));
        let got = weights.differential_tangent_kernel(&x, lambda_w, lambda_b).unwrap();
        let pairs = 4;
        let (w, b) = layers(&weights);
        let mut sizes = vec![2];
        sizes.extend_from_slice(net.widths());
        let mut want = vec![0.0; pairs * pairs * pairs];
        for p0 in 0..pairs {
            // v_μ = λ_μ ∂f_p0/∂θ_μ by central differences, parameter by parameter
            let h = 1e-5;
            let mut v: Vec<(Vec<f64>, Vec<f64>)> =
                w.iter().zip(&b).map(|(w, b)| (vec![0.0; w.len()], vec![0.0; b.len()])).collect();
            for l in 0..w.len() {
                for (k, is_bias) in (0..w[l].len()).map(|k| (k, false)).chain((0..b[l].len()).map(|k| (k, true))) {
                    let mut e: Vec<(Vec<f64>, Vec<f64>)> =
                        w.iter().zip(&b).map(|(w, b)| (vec![0.0; w.len()], vec![0.0; b.len()])).collect();
                    if is_bias {
                        e[l].1[k] = 1.0
                    } else {
                        e[l].0[k] = 1.0
                    }
                    let f = |t: f64| shifted(&net, &weights, &e, t).outputs(&x).unwrap()[p0];
                    let g = (f(h) - f(-h)) / (2.0 * h);
                    let lambda = if is_bias { lambda_b } else { lambda_w / sizes[l] as f64 };
                    if is_bias { v[l].1[k] = lambda * g } else { v[l].0[k] = lambda * g }
                }
            }
            let s = 1e-4;
            let plus = shifted(&net, &weights, &v, s).tangent_kernel(&x, lambda_w, lambda_b).unwrap();
            let minus = shifted(&net, &weights, &v, -s).tangent_kernel(&x, lambda_w, lambda_b).unwrap();
            for q in 0..pairs * pairs {
                want[p0 * pairs * pairs + q] = (plus[q] - minus[q]) / (2.0 * s);
            }
        }
        let scale = want.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        let worst = got.iter().zip(&want).fold(0.0f64, |a, (g, w)| a.max((g - w).abs())) / scale;
        eprintln!("{act:?}: largest |dΘ| {scale:.4}, relative deviation {worst:.2e}");
        assert!(scale > 1e-3, "{act:?}: the dNTK is not resolved");
        assert!(worst <= FINITE_DIFFERENCE, "{act:?}: relative deviation {worst:e}");
    }
}

/// `2 c(2n) − c(n)` for `c(n) = n x(n) = c₀ + c₁/n + O(1/n²)`, with its standard error.
fn extrapolated(n: f64, small: Measured, large: Measured) -> (f64, f64) {
    let value = 2.0 * (2.0 * n * large.mean) - n * small.mean;
    let stderr = ((4.0 * n * large.stderr).powi(2) + (n * small.stderr).powi(2)).sqrt();
    (value, stderr)
}

fn check(act: DeepActivation, n: usize, nets: u64, seed: u64) {
    let inputs = InputSet::new("two", &[vec![0.8, -0.4], vec![-0.5, 1.1]]).unwrap();
    let net =
        |w: usize| DeepNetwork::with_deep_priors(act, &[w, w]).unwrap().with_d_in(2).unwrap().with_d_out(2).unwrap();
    let theory = DifferentialNtk::new(&net(n), &inputs).unwrap();
    let run = |w: usize, s: u64| {
        let nw = net(w);
        DntkEnsemble::new(nw, inputs.clone(), nets / 10, 10, s).unwrap().run(2).unwrap()
    };
    let (small, large) = (run(n, seed), run(2 * n, seed + 1));
    let nf = n as f64;
    // the squared deviations of n E[dΘ f] from the theory, at n and at 2n
    let (mut off_small, mut off_large) = (0.0, 0.0);
    for idx in 0..16 {
        let points = [idx >> 3 & 1, idx >> 2 & 1, idx >> 1 & 1, idx & 1];
        // outputs [0, 1, 1, 0] pick P alone, [0, 0, 1, 1] pick Q alone
        for (what, outputs, want) in [("P", [0, 1, 1, 0], theory.p(points)), ("Q", [0, 0, 1, 1], theory.q(points))] {
            let (s, l) = (small.get(outputs, points).unwrap(), large.get(outputs, points).unwrap());
            let got = extrapolated(nf, s, l);
            let z = (got.0 - want) / got.1;
            off_small += (nf * s.mean - want).powi(2);
            off_large += (2.0 * nf * l.mean - want).powi(2);
            eprintln!(
                "{act:?} {what}{points:?}: n E at n = {n}: {:.4} ± {:.4}, extrapolated {:.4} ± {:.4}, theory {want:.4}, z = {z:.2}",
                nf * s.mean,
                nf * s.stderr,
                got.0,
                got.1
            );
            assert!(z.abs() <= Z_BOUND, "{act:?} {what}{points:?}: {} ± {} vs {want}", got.0, got.1);
        }
    }
    eprintln!(
        "{act:?}: root-mean-square deviation of n E from the theory {:.5} at n = {n}, {:.5} at 2n",
        (off_small / 32.0).sqrt(),
        (off_large / 32.0).sqrt()
    );
    assert!(off_large < off_small, "{act:?}: n E[dΘ f] does not move toward the theory as n grows");
}

#[test]
fn tanh_dntk_preactivation_matches_monte_carlo() {
    check(DeepActivation::Tanh, 16, 200_000, 11);
}

#[test]
fn gelu_dntk_preactivation_matches_monte_carlo() {
    check(DeepActivation::Gelu, 16, 200_000, 21);
}

/// `E[dΘ f]` of `net` with learning rates `rates`, 50 nets x `experiments`, seed 3.
fn measured(
    net: &DeepNetwork,
    inputs: &InputSet,
    rates: (f64, f64),
    nets: u64,
    experiments: usize,
    threads: usize,
) -> nnqft_sampling::Result<DntkPreactivation> {
    DntkEnsemble::new(net.clone(), inputs.clone(), nets, experiments, 3)?
        .with_learning_rates(rates.0, rates.1)?
        .run(threads)
}

#[test]
fn the_same_seed_gives_the_same_numbers_on_any_thread_count_and_bad_input_is_refused() {
    let inputs = InputSet::new("two", &[vec![0.3], vec![-0.9]]).unwrap();
    let net = DeepNetwork::with_deep_priors(DeepActivation::Tanh, &[5, 5]).unwrap().with_d_out(2).unwrap();
    let run = |threads: usize| measured(&net, &inputs, (1.0, 0.0), 50, 4, threads).unwrap();
    let (one, two) = (run(1), run(2));
    // a monitor only observes: told every net, the same numbers
    let told = std::sync::atomic::AtomicU64::new(0);
    let count = |n: u64| {
        told.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    };
    let ens = DntkEnsemble::new(net.clone(), inputs.clone(), 50, 4, 3).unwrap().with_learning_rates(1.0, 0.0).unwrap();
    let watched = ens.run_with_progress(2, &count).unwrap();
    assert_eq!(told.into_inner(), 200);
    for idx in 0..256 {
        let outputs = [idx >> 7 & 1, idx >> 5 & 1, idx >> 3 & 1, idx >> 1 & 1];
        let points = [idx >> 6 & 1, idx >> 4 & 1, idx >> 2 & 1, idx & 1];
        let (a, b) = (one.get(outputs, points).unwrap(), two.get(outputs, points).unwrap());
        let c = watched.get(outputs, points).unwrap();
        assert_eq!((a.mean.to_bits(), a.stderr.to_bits()), (b.mean.to_bits(), b.stderr.to_bits()));
        assert_eq!((a.mean.to_bits(), a.stderr.to_bits()), (c.mean.to_bits(), c.stderr.to_bits()));
    }
    assert!(one.get([2, 0, 0, 0], [0; 4]).is_none());
    let err = |r: nnqft_sampling::Result<DntkPreactivation>| r.unwrap_err().to_string();
    assert!(err(measured(&net, &inputs, (1.0, 0.0), 50, 1, 1)).contains("experiments"));
    assert!(err(measured(&net, &inputs, (1.0, 0.0), 0, 4, 1)).contains("nets"));
    assert!(err(measured(&net, &inputs, (-1.0, 0.0), 50, 4, 1)).contains("lambda_w"));
    assert!(err(measured(&net, &inputs, (1.0, 0.0), 50, 4, 0)).contains("threads"));
    let gauss = DeepNetwork::new(DeepActivation::Gauss, &[3], 1.0, 0.0).unwrap();
    assert!(err(measured(&gauss, &inputs, (1.0, 0.0), 50, 4, 1)).contains("gauss"));
    // 9 points x 2 outputs: 18 > 16 (output, point) pairs
    let nine = InputSet::new("nine", &(0..9).map(|i| vec![i as f64 / 9.0]).collect::<Vec<_>>()).unwrap();
    let e = err(measured(&net, &nine, (1.0, 0.0), 50, 4, 1));
    assert!(e.contains("d_out") && e.contains("16"), "{e}");
    // a caller's request to stop ends the run with Interrupted
    struct Stop;
    impl nnqft_sampling::Monitor for Stop {
        fn interrupted(&self) -> bool {
            true
        }
    }
    assert!(matches!(ens.run_with_progress(1, &Stop), Err(nnqft_sampling::SamplingError::Interrupted)));
}
