//! The infinite-width neural tangent kernel: against neural-tangents' values (erf and relu,
//! depth 1 to 4, `tests/data/ntk_reference.csv`, made by `tests/data/ntk_reference.py`), the
//! closed form of deep linear networks, the smooth activations' `⟨φ'_a φ'_b⟩` against an
//! independent quadrature, and the validation of the learning-rate factors.

use nnqft_theory::{DeepActivation, DeepNetwork, InputSet, KernelRecursion, NeuralTangentKernel, TheoryError};

/// Agreement with neural-tangents (float64): relative to the value, with an absolute floor of
/// this fraction of the largest diagonal entry for the small off-diagonal ones.
const REFERENCE: f64 = 1e-12;
/// Closed forms against closed forms (rounding).
const ROUNDING: f64 = 1e-13;
/// The crate's 2-D quadrature against the test's composite Simpson rule (both ~1e-12; the
/// bound leaves room for the Simpson rule's `h⁴` term at `h = 0.01`).
const QUADRATURE: f64 = 1e-9;

const REFERENCE_CSV: &str = include_str!("data/ntk_reference.csv");

/// The input points named in the CSV's header line `# inputs (d = 2): (x, y); (x, y); ...`.
fn reference_inputs() -> InputSet {
    let line = REFERENCE_CSV.lines().find(|l| l.starts_with("# inputs")).expect("the CSV names its inputs");
    let points: Vec<Vec<f64>> = line
        .split(':')
        .nth(1)
        .expect("inputs after the colon")
        .split(';')
        .map(|p| {
            p.trim().trim_matches(|c| c == '(' || c == ')').split(',').map(|v| v.trim().parse().unwrap()).collect()
        })
        .collect();
    InputSet::new("ntk-reference", &points).unwrap()
}

#[test]
fn ntk_matches_neural_tangents() {
    let header = REFERENCE_CSV.lines().next().unwrap();
    assert!(header.contains("neural-tangents") && header.contains("jax"), "the CSV states the versions: {header}");
    let inputs = reference_inputs();
    let m = inputs.len();
    let mut rows = 0;
    let (mut worst_ntk, mut worst_nngp) = (0.0f64, 0.0f64);
    for line in REFERENCE_CSV.lines().filter(|l| !l.starts_with('#')).skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let act = DeepActivation::parse(f[0]).unwrap();
        let depth: usize = f[1].parse().unwrap();
        let (w_std, b_std): (f64, f64) = (f[2].parse().unwrap(), f[3].parse().unwrap());
        let (a, b): (usize, usize) = (f[4].parse().unwrap(), f[5].parse().unwrap());
        let (nngp, ntk): (f64, f64) = (f[6].parse().unwrap(), f[7].parse().unwrap());
        // the widths do not enter the infinite-width kernels
        let net = DeepNetwork::new(act, &vec![7; depth], w_std * w_std, b_std * b_std).unwrap().with_d_in(2).unwrap();
        let theta = NeuralTangentKernel::new(&net, &inputs).unwrap();
        // relu is closed form throughout; erf's ⟨φ(z)²⟩ on the diagonal is a 1-D quadrature
        assert!(theta.quadrature_error() < 1e-14, "{}", theta.quadrature_error());
        let k = KernelRecursion::new(&net, &inputs).unwrap();
        let floor = (0..m).map(|c| theta.output()[c * m + c]).fold(0.0f64, f64::max);
        let rel = |mine: f64, theirs: f64| (mine - theirs).abs() / theirs.abs().max(floor);
        let (d_ntk, d_nngp) = (rel(theta.output()[a * m + b], ntk), rel(k.output()[a * m + b], nngp));
        assert!(d_ntk < REFERENCE, "{line}: NTK {} vs neural-tangents {ntk}", theta.output()[a * m + b]);
        assert!(d_nngp < REFERENCE, "{line}: NNGP {} vs neural-tangents {nngp}", k.output()[a * m + b]);
        worst_ntk = worst_ntk.max(d_ntk);
        worst_nngp = worst_nngp.max(d_nngp);
        rows += 1;
    }
    // erf and relu, depth 1..4, two priors, six pairs of three points
    assert_eq!(rows, 2 * 4 * 2 * 6);
    eprintln!("neural-tangents: largest relative difference NTK {worst_ntk:.2e}, NNGP {worst_nngp:.2e}");
}

#[test]
fn deep_linear_ntk_is_the_closed_form() {
    let xs = InputSet::new("three", &[vec![0.5, -1.0], vec![1.2, 0.3], vec![-0.4, 0.9]]).unwrap();
    let (c_w, c_b, lambda_w, lambda_b) = (1.3, 0.2, 0.7, 0.4);
    for depth in 1..=4 {
        let net = DeepNetwork::new(DeepActivation::Linear, &vec![3; depth], c_w, c_b).unwrap().with_d_in(2).unwrap();
        let theta = NeuralTangentKernel::with_learning_rates(&net, &xs, lambda_w, lambda_b).unwrap();
        for a in 0..3 {
            for b in 0..3 {
                let dot = xs.point(a).iter().zip(xs.point(b)).map(|(p, q)| p * q).sum::<f64>() / 2.0;
                // K^l = C_b + C_W K^(l-1) from K^0 = x.x'/d; Θ^(l+1) = λ_b + λ_W K^l + C_W Θ^l
                let (mut k, mut t) = (c_b + c_w * dot, lambda_b + lambda_w * dot);
                for _ in 0..depth {
                    t = lambda_b + lambda_w * k + c_w * t;
                    k = c_b + c_w * k;
                }
                let got = theta.output()[a * 3 + b];
                assert!((got - t).abs() < ROUNDING * t.abs().max(1.0), "L = {depth} ({a}, {b}): {got} vs {t}");
                // C_b = λ_b = 0 on top: (L + 1) λ_W C_W^L x.x'/d
                let zero_bias =
                    DeepNetwork::new(DeepActivation::Linear, &vec![2; depth], c_w, 0.0).unwrap().with_d_in(2).unwrap();
                let theta0 = NeuralTangentKernel::with_learning_rates(&zero_bias, &xs, lambda_w, 0.0).unwrap();
                let expected = (depth + 1) as f64 * lambda_w * c_w.powi(depth as i32) * dot;
                let got0 = theta0.output()[a * 3 + b];
                assert!((got0 - expected).abs() < ROUNDING * expected.abs().max(1.0), "{got0} vs {expected}");
            }
        }
        // output indices: δ_ij
        let wide = NeuralTangentKernel::new(&net.clone().with_d_out(2).unwrap(), &xs).unwrap();
        assert_eq!(wide.entry(0, 1, 1, 0), Some(0.0));
        assert_eq!(wide.entry(0, 1, 1, 1), Some(wide.output()[1]));
        assert_eq!(wide.entry(3, 0, 0, 0), None);
    }
}

/// `E[g(z_a) g(z_b)]` over `(z_a, z_b) ~ N(0, [[kaa, kab], [kab, kbb]])` by nested composite
/// Simpson rules on `[−10, 10]` in standard normal variables (`z_a = √kaa u`,
/// `z_b = (kab/√kaa) u + √(kbb − kab²/kaa) v`).
fn simpson_pair(g: impl Fn(f64) -> f64, kaa: f64, kbb: f64, kab: f64) -> f64 {
    let (n, t) = (2000usize, 10.0);
    let h = 2.0 * t / n as f64;
    let weight = |i: usize| {
        if i == 0 || i == n {
            1.0
        } else if i % 2 == 1 {
            4.0
        } else {
            2.0
        }
    };
    let density = |u: f64| (-0.5 * u * u).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let (sa, c) = (kaa.sqrt(), kab / kaa.sqrt());
    let s = (kbb - c * c).max(0.0).sqrt();
    let mut total = 0.0;
    for i in 0..=n {
        let u = -t + h * i as f64;
        let inner = if s == 0.0 {
            g(c * u)
        } else {
            (0..=n)
                .map(|j| {
                    let v = -t + h * j as f64;
                    weight(j) * density(v) * g(c * u + s * v)
                })
                .sum::<f64>()
                * h
                / 3.0
        };
        total += weight(i) * density(u) * g(sa * u) * inner;
    }
    total * h / 3.0
}

#[test]
fn derivative_means_match_an_independent_quadrature() {
    let xs = InputSet::new("two", &[vec![0.4], vec![-1.1]]).unwrap();
    use DeepActivation::*;
    // the quadrature path (tanh, gelu, silu, softplus, sigmoid) and the closed forms of erf, sin
    for act in [Tanh, Gelu, Silu, Softplus, Sigmoid, Erf, Sin] {
        let net = DeepNetwork::new(act, &[4, 4], 1.2, 0.1).unwrap();
        let theta = NeuralTangentKernel::new(&net, &xs).unwrap();
        let slope = |z: f64| act.derivatives(z).unwrap().0;
        for l in 1..=2 {
            let k = theta.kernels().layer(l);
            for (a, b) in [(0, 0), (1, 1), (0, 1)] {
                let reference = simpson_pair(slope, k[a * 2 + a], k[b * 2 + b], k[a * 2 + b]);
                let got = theta.derivative_mean(l)[a * 2 + b];
                assert!((got - reference).abs() < QUADRATURE, "{act:?} layer {l} ({a}, {b}): {got} vs {reference}");
            }
        }
        assert!(theta.quadrature_error() < QUADRATURE, "{act:?}: {}", theta.quadrature_error());
    }
    let net = DeepNetwork::new(Tanh, &[4, 4], 1.2, 0.1).unwrap();
    let theta = NeuralTangentKernel::new(&net, &xs).unwrap();
    // the recursion itself, from the same expectations
    for l in 1..=2 {
        let (k_prev, prev) = (theta.kernels().layer(l + 1), theta.layer(l));
        for i in 0..4 {
            // Θ^(l+1) = λ_b + λ_W (K^(l+1) − C_b)/C_W + C_W ⟨φ'φ'⟩ Θ^l with λ = C
            let expected = net.c_b() + (k_prev[i] - net.c_b()) + net.c_w() * theta.derivative_mean(l)[i] * prev[i];
            let got = theta.layer(l + 1)[i];
            assert!((got - expected).abs() < ROUNDING * expected.abs(), "{got} vs {expected}");
        }
    }
}

#[test]
fn learning_rates_are_validated() {
    let xs = InputSet::new("one", &[vec![1.0]]).unwrap();
    let net = DeepNetwork::with_deep_priors(DeepActivation::Relu, &[3]).unwrap();
    for (lw, lb, field) in [(-1.0, 0.0, "lambda_w"), (1.0, f64::NAN, "lambda_b"), (f64::INFINITY, 0.0, "lambda_w")] {
        match NeuralTangentKernel::with_learning_rates(&net, &xs, lw, lb) {
            Err(TheoryError::OutOfRange { field: f, .. }) => assert_eq!(f, field),
            other => panic!("({lw}, {lb}) should be refused naming {field}: {other:?}"),
        }
    }
    let wrong_dimension = InputSet::new("two-d", &[vec![1.0, 2.0]]).unwrap();
    assert!(matches!(NeuralTangentKernel::new(&net, &wrong_dimension), Err(TheoryError::MixedDimension { .. })));
    // one relu layer, one input, C_b = 0: Θ = C_W (⟨φ²⟩ + ⟨φ'²⟩ K¹) = C_W (K¹/2 + K¹/2) = C_W K¹
    let theta = NeuralTangentKernel::new(&net, &xs).unwrap();
    assert!((theta.output()[0] - 2.0 * 2.0).abs() < ROUNDING);
}
