//! The ddNTKs of sampled deep networks: the per-network `ddI` and `ddII` (hyper-dual passes)
//! against brute-force central differences of the per-network NTK (`ddI`: the mixed second
//! difference along two gradient directions; `ddII`: the NTK's difference along the difference
//! of one gradient direction along the other) and of the per-network dNTK (the identity
//! `D_(v1) dΘ_(p0 ·) = ddI + ddII`), the symmetries, and the ensemble's seeding, thread
//! invariance and refusals.

use nnqft_sampling::{DdntkEnsemble, DdntkMeans, DeepWeights, seed};
use nnqft_theory::{DeepActivation, DeepNetwork, InputSet};

/// `ddI` by the mixed central difference with step `S = 2e-4` along each direction:
/// truncation `O(S²)` (at `S = 1e-3` tanh's deviation was 1.6e-5, so ~ 7e-7 here), rounding
/// ~ 1e-16 |Θ| / S² ~ 1e-8 of `|ddI|`; the directions themselves from central differences of
/// the outputs (step `1e-5`, ~ 1e-10). Relative to the largest `|ddI|`.
const SECOND_DIFFERENCE: f64 = 1e-5;
/// `ddII` and the identity: a central difference with step `1e-4` along a direction `u` that is
/// itself a central difference with step `2e-4` (truncation ~ 4e-8), of quantities whose own
/// error is ~ 1e-10 (divided by the steps: ~ 1e-6 at most). Measured with an independent
/// NumPy copy of this procedure at L = 1: 2e-8 to 5e-8. Relative to the largest entry.
const FIRST_DIFFERENCE: f64 = 1e-6;
/// Symmetries: the two orders come from different hyper-dual runs, so they agree to rounding.
const ROUNDING: f64 = 1e-12;

type Direction = Vec<(Vec<f64>, Vec<f64>)>;
type Getter = fn(&DdntkMeans, [usize; 4], [usize; 4]) -> Option<nnqft_sampling::Measured>;

fn layers(w: &DeepWeights) -> Direction {
    let depth = w.network().depth();
    (1..=depth + 1).map(|l| (w.weights(l).unwrap().to_vec(), w.biases(l).unwrap().to_vec())).collect()
}

/// The net `θ + Σ_k t_k v_k`.
fn shifted(net: &DeepNetwork, base: &DeepWeights, moves: &[(&Direction, f64)]) -> DeepWeights {
    let mut layers = layers(base);
    for (v, t) in moves {
        for (layer, d) in layers.iter_mut().zip(v.iter()) {
            layer.0.iter_mut().zip(&d.0).for_each(|(x, d)| *x += t * d);
            layer.1.iter_mut().zip(&d.1).for_each(|(x, d)| *x += t * d);
        }
    }
    let (w, b): (Vec<Vec<f64>>, Vec<Vec<f64>>) = layers.into_iter().unzip();
    DeepWeights::from_layers(net, &w, &b).unwrap()
}

/// `v_μ = λ_μ ∂f_p/∂θ_μ` by central differences of the outputs, parameter by parameter.
fn direction(net: &DeepNetwork, weights: &DeepWeights, x: &InputSet, p: usize, rates: (f64, f64)) -> Direction {
    let h = 1e-5;
    let base = layers(weights);
    let zero: Direction = base.iter().map(|(w, b)| (vec![0.0; w.len()], vec![0.0; b.len()])).collect();
    let mut sizes = vec![net.d_in()];
    sizes.extend_from_slice(net.widths());
    let mut v = zero.clone();
    for l in 0..base.len() {
        for (k, is_bias) in (0..base[l].0.len()).map(|k| (k, false)).chain((0..base[l].1.len()).map(|k| (k, true))) {
            let mut e = zero.clone();
            if is_bias {
                e[l].1[k] = 1.0
            } else {
                e[l].0[k] = 1.0
            }
            let f = |t: f64| shifted(net, weights, &[(&e, t)]).outputs(x).unwrap()[p];
            let g = (f(h) - f(-h)) / (2.0 * h);
            if is_bias { v[l].1[k] = rates.1 * g } else { v[l].0[k] = rates.0 / sizes[l] as f64 * g }
        }
    }
    v
}

fn relative(got: &[f64], want: &[f64]) -> (f64, f64) {
    let scale = want.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    (got.iter().zip(want).fold(0.0f64, |a, (g, w)| a.max((g - w).abs())) / scale, scale)
}

#[test]
fn per_network_ddntks_match_brute_force_central_differences() {
    let x = InputSet::new("two", &[vec![0.8, -0.4], vec![-0.5, 1.1]]).unwrap();
    let rates = (0.9, 0.3);
    for act in [DeepActivation::Tanh, DeepActivation::Gelu, DeepActivation::Relu] {
        let net = DeepNetwork::new(act, &[3, 4], 1.4, 0.2).unwrap().with_d_in(2).unwrap().with_d_out(2).unwrap();
        let weights = DeepWeights::draw(&net, &mut seed::lanes(7, 0, 0));
        let got = weights.double_differential_tangent_kernel(&x, rates.0, rates.1).unwrap();
        let pairs = 4;
        assert_eq!(got.pairs(), pairs);
        let p2 = pairs * pairs;
        let dirs: Vec<Direction> = (0..pairs).map(|p| direction(&net, &weights, &x, p, rates)).collect();
        let ntk = |w: &DeepWeights| w.tangent_kernel(&x, rates.0, rates.1).unwrap();
        let dntk = |w: &DeepWeights| w.differential_tangent_kernel(&x, rates.0, rates.1).unwrap();
        let (mut ddi, mut ddii, mut along) = (vec![0.0; p2 * p2], vec![0.0; p2 * p2], vec![0.0; p2 * p2]);
        let (s2, s1) = (2e-4, 1e-4);
        for p0 in 0..pairs {
            for p1 in 0..pairs {
                let at = (p0 * pairs + p1) * p2;
                let (v0, v1) = (&dirs[p0], &dirs[p1]);
                let corner = |a: f64, b: f64| ntk(&shifted(&net, &weights, &[(v0, a * s2), (v1, b * s2)]));
                let (pp, pm, mp, mm) = (corner(1.0, 1.0), corner(1.0, -1.0), corner(-1.0, 1.0), corner(-1.0, -1.0));
                for q in 0..p2 {
                    ddi[at + q] = (pp[q] - pm[q] - mp[q] + mm[q]) / (4.0 * s2 * s2);
                }
                // u = D_(v1) v0 by a central difference of the (finite-difference) direction
                let (plus, minus) = (shifted(&net, &weights, &[(v1, s2)]), shifted(&net, &weights, &[(v1, -s2)]));
                let (up, um) = (direction(&net, &plus, &x, p0, rates), direction(&net, &minus, &x, p0, rates));
                let u: Direction = up
                    .iter()
                    .zip(&um)
                    .map(|(a, b)| {
                        let d = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(x, y)| (x - y) / (2.0 * s2)).collect();
                        (d(&a.0, &b.0), d(&a.1, &b.1))
                    })
                    .collect();
                let (tp, tm) =
                    (ntk(&shifted(&net, &weights, &[(&u, s1)])), ntk(&shifted(&net, &weights, &[(&u, -s1)])));
                // the dNTK's derivative along v1
                let (dp, dm) =
                    (dntk(&shifted(&net, &weights, &[(v1, s1)])), dntk(&shifted(&net, &weights, &[(v1, -s1)])));
                for q in 0..p2 {
                    ddii[at + q] = (tp[q] - tm[q]) / (2.0 * s1);
                    along[at + q] = (dp[p0 * p2 + q] - dm[p0 * p2 + q]) / (2.0 * s1);
                }
            }
        }
        let (worst_i, scale_i) = relative(got.ddi(), &ddi);
        let (worst_ii, scale_ii) = relative(got.ddii(), &ddii);
        let sum: Vec<f64> = got.ddi().iter().zip(got.ddii()).map(|(a, b)| a + b).collect();
        let (worst_sum, scale_sum) = relative(&sum, &along);
        eprintln!(
            "{act:?}: largest |ddI| {scale_i:.4} (deviation {worst_i:.2e}), |ddII| {scale_ii:.4} ({worst_ii:.2e}), \
             |D dΘ| {scale_sum:.4} ({worst_sum:.2e})"
        );
        for (what, scale, worst, tol) in [
            ("ddI", scale_i, worst_i, SECOND_DIFFERENCE),
            ("ddII", scale_ii, worst_ii, FIRST_DIFFERENCE),
            ("ddI + ddII", scale_sum, worst_sum, FIRST_DIFFERENCE),
        ] {
            assert!(scale > 1e-3, "{act:?}: {what} is not resolved");
            assert!(worst <= tol, "{act:?}: {what} relative deviation {worst:e}");
        }
        // symmetries: ddI under p0 ↔ p1 and under p2 ↔ p3; ddII under p2 ↔ p3
        let at = |a: usize, b: usize, c: usize, d: usize| ((a * pairs + b) * pairs + c) * pairs + d;
        let (mut asym01, mut asym23, mut asym23_ii) = (0.0f64, 0.0f64, 0.0f64);
        for i in 0..p2 * p2 {
            let (a, b, c, d) = (i / (p2 * pairs), i / p2 % pairs, i / pairs % pairs, i % pairs);
            asym01 = asym01.max((got.ddi()[i] - got.ddi()[at(b, a, c, d)]).abs());
            asym23 = asym23.max((got.ddi()[i] - got.ddi()[at(a, b, d, c)]).abs());
            asym23_ii = asym23_ii.max((got.ddii()[i] - got.ddii()[at(a, b, d, c)]).abs());
        }
        assert!(asym01 <= ROUNDING * scale_i, "{act:?}: ddI p0 <-> p1 off by {asym01:e}");
        assert!(asym23 <= ROUNDING * scale_i, "{act:?}: ddI p2 <-> p3 off by {asym23:e}");
        assert!(asym23_ii <= ROUNDING * scale_ii, "{act:?}: ddII p2 <-> p3 off by {asym23_ii:e}");
    }
}

/// A deep linear net of one hidden unit per layer, one input `x`, no biases and
/// `λ_W = λ_b = 1`: `f = W³ W² W¹ x`, `Θ = Σ_l (Π_(k≠l) Wᵏ)² (x² for l = 1, 1 else)` with the
/// `λ_W/n_(l−1)` factors `1/d = 1`, so the ddNTKs are polynomials in the three weights, worked
/// out by hand here as an independent check of the hyper-dual passes.
#[test]
fn a_chain_of_scalar_linear_layers_has_the_hand_derived_ddntks() {
    let net = DeepNetwork::new(DeepActivation::Linear, &[1, 1], 1.0, 0.0).unwrap();
    let (a, b, c, x) = (0.7, -1.3, 0.4, 1.5);
    let weights = DeepWeights::from_layers(&net, &[vec![a], vec![b], vec![c]], &vec![vec![0.0]; 3]).unwrap();
    let inputs = InputSet::new("one", &[vec![x]]).unwrap();
    let got = weights.double_differential_tangent_kernel(&inputs, 1.0, 0.0).unwrap();
    // gradient g = ∂f/∂(a, b, c) = x (bc, ac, ab); Θ = g·g = x² (b²c² + a²c² + a²b²);
    // ddI = gᵀ H_Θ g with H_Θ the Hessian of Θ; ddII = ∇Θᵀ H_f g with H_f the Hessian of f
    let g = [x * b * c, x * a * c, x * a * b];
    let x2 = x * x;
    let grad_theta = [2.0 * x2 * a * (c * c + b * b), 2.0 * x2 * b * (c * c + a * a), 2.0 * x2 * c * (b * b + a * a)];
    let h_theta = [
        [2.0 * x2 * (c * c + b * b), 4.0 * x2 * a * b, 4.0 * x2 * a * c],
        [4.0 * x2 * a * b, 2.0 * x2 * (c * c + a * a), 4.0 * x2 * b * c],
        [4.0 * x2 * a * c, 4.0 * x2 * b * c, 2.0 * x2 * (b * b + a * a)],
    ];
    let h_f = [[0.0, x * c, x * b], [x * c, 0.0, x * a], [x * b, x * a, 0.0]];
    let quad = |m: &[[f64; 3]; 3], u: &[f64; 3], v: &[f64; 3]| {
        (0..3).map(|i| (0..3).map(|j| u[i] * m[i][j] * v[j]).sum::<f64>()).sum::<f64>()
    };
    let (ddi, ddii) = (quad(&h_theta, &g, &g), quad(&h_f, &grad_theta, &g));
    assert!((got.ddi()[0] - ddi).abs() <= ROUNDING * ddi.abs(), "{} vs {ddi}", got.ddi()[0]);
    assert!((got.ddii()[0] - ddii).abs() <= ROUNDING * ddii.abs(), "{} vs {ddii}", got.ddii()[0]);
}

fn measured(
    net: &DeepNetwork,
    inputs: &InputSet,
    rates: (f64, f64),
    nets: u64,
    experiments: usize,
    threads: usize,
) -> nnqft_sampling::Result<DdntkMeans> {
    DdntkEnsemble::new(net.clone(), inputs.clone(), nets, experiments, 3)?
        .with_learning_rates(rates.0, rates.1)?
        .run(threads)
}

#[test]
fn the_same_seed_gives_the_same_numbers_on_any_thread_count_and_bad_input_is_refused() {
    let inputs = InputSet::new("two", &[vec![0.3], vec![-0.9]]).unwrap();
    let net = DeepNetwork::with_deep_priors(DeepActivation::Tanh, &[5, 5]).unwrap().with_d_out(2).unwrap();
    let run = |threads: usize| measured(&net, &inputs, (1.0, 0.1), 20, 4, threads).unwrap();
    let (one, two) = (run(1), run(2));
    let told = std::sync::atomic::AtomicU64::new(0);
    let count = |n: u64| {
        told.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    };
    let ens = DdntkEnsemble::new(net.clone(), inputs.clone(), 20, 4, 3).unwrap().with_learning_rates(1.0, 0.1).unwrap();
    let watched = ens.run_with_progress(2, &count).unwrap();
    assert_eq!(told.into_inner(), 80);
    // the ensemble's mean over experiments of equal size is the mean of the per-network ddNTKs
    // of all its nets (experiment e drawn from seed::lanes(3, e, 0)), up to summation order
    let (mut by_hand_i, mut by_hand_ii) = (vec![0.0; 256], vec![0.0; 256]);
    for e in 0..4 {
        let mut rng = seed::lanes(3, e, 0);
        for _ in 0..20 {
            let dd = DeepWeights::draw(&net, &mut rng).double_differential_tangent_kernel(&inputs, 1.0, 0.1).unwrap();
            by_hand_i.iter_mut().zip(dd.ddi()).for_each(|(s, v)| *s += v / 80.0);
            by_hand_ii.iter_mut().zip(dd.ddii()).for_each(|(s, v)| *s += v / 80.0);
        }
    }
    let scale = by_hand_i.iter().chain(&by_hand_ii).fold(0.0f64, |a, v| a.max(v.abs()));
    assert!(scale > 1e-3, "the ensemble's ddNTKs are not resolved");
    for idx in 0..256 {
        let outputs = [idx >> 7 & 1, idx >> 5 & 1, idx >> 3 & 1, idx >> 1 & 1];
        let points = [idx >> 6 & 1, idx >> 4 & 1, idx >> 2 & 1, idx & 1];
        let p: Vec<usize> = (0..4).map(|k| outputs[k] * 2 + points[k]).collect();
        let at = ((p[0] * 4 + p[1]) * 4 + p[2]) * 4 + p[3];
        for (get, by_hand) in [(DdntkMeans::ddi as Getter, &by_hand_i), (DdntkMeans::ddii as Getter, &by_hand_ii)] {
            let (a, b, c) = (
                get(&one, outputs, points).unwrap(),
                get(&two, outputs, points).unwrap(),
                get(&watched, outputs, points).unwrap(),
            );
            assert_eq!((a.mean.to_bits(), a.stderr.to_bits()), (b.mean.to_bits(), b.stderr.to_bits()));
            assert_eq!((a.mean.to_bits(), a.stderr.to_bits()), (c.mean.to_bits(), c.stderr.to_bits()));
            assert!(
                (a.mean - by_hand[at]).abs() <= ROUNDING * scale,
                "{outputs:?} {points:?}: {} vs {}",
                a.mean,
                by_hand[at]
            );
        }
    }
    assert!(one.ddi([2, 0, 0, 0], [0; 4]).is_none() && one.ddii([0; 4], [0, 0, 0, 2]).is_none());
    let err = |r: nnqft_sampling::Result<DdntkMeans>| r.unwrap_err().to_string();
    assert!(err(measured(&net, &inputs, (1.0, 0.0), 20, 1, 1)).contains("experiments"));
    assert!(err(measured(&net, &inputs, (1.0, 0.0), 0, 4, 1)).contains("nets"));
    assert!(err(measured(&net, &inputs, (-1.0, 0.0), 20, 4, 1)).contains("lambda_w"));
    assert!(err(measured(&net, &inputs, (1.0, f64::NAN), 20, 4, 1)).contains("lambda_b"));
    assert!(err(measured(&net, &inputs, (1.0, 0.0), 20, 4, 0)).contains("threads"));
    let gauss = DeepNetwork::new(DeepActivation::Gauss, &[3], 1.0, 0.0).unwrap();
    assert!(err(measured(&gauss, &inputs, (1.0, 0.0), 20, 4, 1)).contains("gauss"));
    let nine = InputSet::new("nine", &(0..9).map(|i| vec![i as f64 / 9.0]).collect::<Vec<_>>()).unwrap();
    let e = err(measured(&net, &nine, (1.0, 0.0), 20, 4, 1));
    assert!(e.contains("d_out") && e.contains("16"), "{e}");
    struct Stop;
    impl nnqft_sampling::Monitor for Stop {
        fn interrupted(&self) -> bool {
            true
        }
    }
    assert!(matches!(ens.run_with_progress(1, &Stop), Err(nnqft_sampling::SamplingError::Interrupted)));
}

/// Monte Carlo against the theory: every entry within this many standard errors (the
/// standard error over 40 experiments and the theory's quadrature bound in quadrature). Over
/// about 1300 distinct entries of Student's t with 39 degrees of freedom, a bound of 4 would
/// fail by chance about once in three reseeds (`P(|t| > 4) = 2.7e-4` each), 5 about once in
/// sixty; a wrong term of any of the tensors moves some entry by 13 standard errors or more at
/// these sizes (measured by perturbing each term in an independent NumPy evaluation).
const Z_BOUND: f64 = 5.0;

/// One hidden layer: the theory (`nnqft_theory::DoubleDifferentialNtk`) is exact at any width,
/// so a narrow net with many nets tests it with no `1/n²` remainder to allow for.
fn one_layer_matches_theory(act: DeepActivation, width: usize, nets: u64, seed: u64) {
    let inputs = InputSet::new("two", &[vec![0.8, -0.4], vec![-0.5, 1.1]]).unwrap();
    let net = DeepNetwork::new(act, &[width], 1.4, 0.2).unwrap().with_d_in(2).unwrap().with_d_out(2).unwrap();
    let (lambda_w, lambda_b) = (0.9, 0.3);
    let theory = nnqft_theory::DoubleDifferentialNtk::with_learning_rates(&net, &inputs, lambda_w, lambda_b).unwrap();
    let got = DdntkEnsemble::new(net, inputs, nets / 40, 40, seed)
        .unwrap()
        .with_learning_rates(lambda_w, lambda_b)
        .unwrap()
        .run(2)
        .unwrap();
    let (mut worst, mut largest, mut noise) = (0.0f64, 0.0f64, 0.0f64);
    for idx in 0..256 {
        let outputs = [idx >> 7 & 1, idx >> 5 & 1, idx >> 3 & 1, idx >> 1 & 1];
        let points = [idx >> 6 & 1, idx >> 4 & 1, idx >> 2 & 1, idx & 1];
        for (what, measured, want, bound) in [
            (
                "ddI",
                got.ddi(outputs, points).unwrap(),
                theory.ddi_leading_order(outputs, points).unwrap(),
                theory.ddi_leading_order_error(outputs, points).unwrap(),
            ),
            (
                "ddII",
                got.ddii(outputs, points).unwrap(),
                theory.ddii_leading_order(outputs, points).unwrap(),
                theory.ddii_leading_order_error(outputs, points).unwrap(),
            ),
        ] {
            let spread = (measured.stderr.powi(2) + bound.powi(2)).sqrt();
            // an entry that is 0 for every net (relu's and linear's, whose φ'' vanishes) is
            // checked exactly
            let z = if spread == 0.0 {
                if (measured.mean - want).abs() < f64::MIN_POSITIVE { 0.0 } else { f64::INFINITY }
            } else {
                (measured.mean - want) / spread
            };
            largest = largest.max(want.abs());
            noise = noise.max(measured.stderr);
            worst = worst.max(z.abs());
            assert!(
                z.abs() <= Z_BOUND,
                "{act:?} n = {width} {what} {outputs:?} {points:?}: {} ± {} vs theory {want} (z = {z:.2})",
                measured.mean,
                measured.stderr
            );
        }
    }
    eprintln!(
        "{act:?} n = {width}: largest |theory| {largest:.4}, largest standard error {noise:.4}, largest |z| {worst:.2} over 512 entries"
    );
    assert!(largest > 1e-2, "{act:?}: the theory is not resolved");
}

#[test]
fn one_layer_tanh_ddntks_match_the_exact_theory() {
    one_layer_matches_theory(DeepActivation::Tanh, 2, 40_000, 31);
    one_layer_matches_theory(DeepActivation::Tanh, 5, 40_000, 32);
}

#[test]
fn one_layer_gelu_relu_and_linear_ddntks_match_the_exact_theory() {
    one_layer_matches_theory(DeepActivation::Gelu, 3, 40_000, 33);
    one_layer_matches_theory(DeepActivation::Relu, 3, 40_000, 34);
    one_layer_matches_theory(DeepActivation::Linear, 3, 40_000, 35);
}
