//! The six-point vertex of deep networks against exact results: the one-layer `κ6` on every
//! multiset, the `1/n²` coefficient of the exact one-input law of relu and linear nets (with and
//! without bias) at every depth 1..8, collinear points, symmetry, reuse and typed errors.

use nnqft_theory::{
    Activation, ActivationFn, DeepActivation, DeepNetwork, FiniteWidthTheory, InputSet, Network, SixPointVertex,
    TheoryError, exact_one_input_sixth_ratio,
};

/// Rounding level for closed-form paths (relative to the largest value compared).
const ROUNDING: f64 = 1e-12;
/// The L = 1 vertex against `N² κ6` where both sides use quadrature (erf), relative to the
/// largest value: at `d = 2` the kernel has rank 3, so a six-point moment is a 3-level nested
/// quadrature (7 and 9 nodes per piece), measured 4.7e-8 here (the exact side claims 1e-9), and
/// the vertex's own error estimate (2e-6) covers it.
const QUADRATURE: f64 = 1e-7;
/// A six-point vertex whose moments are 5- and 6-level nested quadratures (six points of full
/// rank) against closed forms, relative to the largest value: measured 5.2e-6 (sin, at the
/// multiset of six distinct points), covered by the quadrature's own estimate (1.4e-5).
const NESTED_QUADRATURE: f64 = 1e-5;
/// Symmetry of `U` under permutations of its pairs: every ordering is computed by the same
/// floating-point operations in another order, so only rounding separates them.
const SYMMETRY: f64 = 1e-12;

fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0f64, |a, b| a.max(b.abs()))
}

fn max_dev(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).fold(0.0f64, |m, (x, y)| m.max((x - y).abs()))
}

#[test]
fn one_layer_six_point_vertex_is_the_exact_kappa6_on_every_multiset() {
    for act in Activation::ALL {
        for d in [1, 2] {
            let net = Network::paper(act, d).unwrap();
            let inputs = InputSet::scaling(act, d).unwrap();
            let exact = FiniteWidthTheory::new(&net, &inputs).unwrap();
            let deep = DeepNetwork::from_network(&net, 7).unwrap();
            let six = SixPointVertex::new(&deep, &inputs).unwrap();
            assert_eq!(six.multisets(), &exact.multisets[2]);
            let sums = six.vertex_sums();
            let scale = max_abs(&exact.kappa6_unit);
            let tol = if act == Activation::Erf { QUADRATURE } else { ROUNDING };
            let dev = max_dev(&sums, &exact.kappa6_unit) / scale;
            assert!(dev < tol, "{act:?} d={d}: max |Σ_15 U - N² κ6| / max = {dev:.3e}");
            // and the error estimates cover the deviation
            let estimate = six.quadrature_error() / scale + exact.moments.relative_accuracy[2];
            assert!(
                dev <= estimate.max(ROUNDING),
                "{act:?} d={d}: deviation {dev:.3e} beyond the estimate {estimate:.3e}"
            );
            // the connected G6 of one output is κ6 at the width
            let k6 = exact.at_width(7).unwrap().kappa6;
            for (pos, s) in six.multisets().iter().enumerate() {
                let p = [0, 1, 2, 3, 4, 5].map(|i| s[i] as usize);
                let c = six.connected_g6([0; 6], p);
                assert!((c - k6[pos]).abs() <= tol * scale / 49.0, "{act:?} d={d} {p:?}: {c} vs {}", k6[pos]);
            }
        }
    }
}

/// A polynomial in `t = 1/N`, lowest degree first.
#[derive(Clone, Debug)]
struct Poly(Vec<f64>);

impl Poly {
    fn constant(c: f64) -> Self {
        Poly(vec![c])
    }
    fn mul(&self, o: &Poly) -> Poly {
        let mut out = vec![0.0; self.0.len() + o.0.len() - 1];
        for (i, a) in self.0.iter().enumerate() {
            for (j, b) in o.0.iter().enumerate() {
                out[i + j] += a * b;
            }
        }
        Poly(out)
    }
    fn add(&self, o: &Poly, c: f64) -> Poly {
        let mut out = vec![0.0; self.0.len().max(o.0.len())];
        for (i, a) in self.0.iter().enumerate() {
            out[i] += a;
        }
        for (i, b) in o.0.iter().enumerate() {
            out[i] += c * b;
        }
        Poly(out)
    }
    fn coefficient(&self, k: usize) -> f64 {
        self.0.get(k).copied().unwrap_or(0.0)
    }
}

/// `E[R], E[R²], E[R³]` for `R = Y / E[Y]`, `Y = Σ_(j≤n) X_j` with i.i.d. `X = φ(ε)²` of raw
/// moments `μ1, μ2, μ3`, as polynomials in `t = 1/N` at `n = w N` (so `1/n = t / w`):
/// `E[Y²] = n μ2 + n(n−1) μ1²`, `E[Y³] = n μ3 + 3n(n−1) μ2 μ1 + n(n−1)(n−2) μ1³`.
fn normalised_moments(mu: [f64; 3], w: f64) -> [Poly; 4] {
    let [m1, m2, m3] = mu;
    let e = 1.0 / w; // 1/n = e t
    let r2 = Poly(vec![1.0, e * (m2 / (m1 * m1) - 1.0)]);
    let r3 =
        Poly(vec![1.0, e * (3.0 * m2 / (m1 * m1) - 3.0), e * e * (m3 / (m1 * m1 * m1) - 3.0 * m2 / (m1 * m1) + 2.0)]);
    [Poly::constant(1.0), Poly::constant(1.0), r2, r3]
}

/// The exact `κ3(Gᴸ⁺¹)` of a one-input relu or linear net with widths `n_l = w_l N`, as a
/// polynomial in `1/N`: `Gˡ⁺¹ = C_b + C_W μ1 Gˡ R_l` with `R_l` independent of `Gˡ`, so
/// `E[(Gˡ⁺¹)ᵏ] = Σ_j C(k, j) C_b^(k−j) (C_W μ1)^j E[(Gˡ)ʲ] E[R_lʲ]`.
fn exact_kappa3(mu: [f64; 3], c_w: f64, c_b: f64, g1: f64, w: &[f64]) -> Poly {
    let binom = [[1.0, 0.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0], [1.0, 2.0, 1.0, 0.0], [1.0, 3.0, 3.0, 1.0]];
    let mut g: Vec<Poly> = (0..4).map(|k| Poly::constant(g1.powi(k))).collect();
    for &wl in w {
        let r = normalised_moments(mu, wl);
        let a = c_w * mu[0];
        g = (0..4)
            .map(|k| {
                let mut s = Poly::constant(0.0);
                for j in 0..=k {
                    let c = binom[k][j] * c_b.powi((k - j) as i32) * a.powi(j as i32);
                    s = s.add(&g[j].mul(&r[j]), c);
                }
                s
            })
            .collect();
    }
    let g1p = &g[1];
    g[3].add(&g[2].mul(g1p), -3.0).add(&g1p.mul(g1p).mul(g1p), 2.0)
}

#[test]
fn one_input_relu_and_linear_match_the_exact_law_at_every_depth() {
    let x = InputSet::new("one", &[vec![0.7]]).unwrap();
    // raw moments of X = φ(ε)²: (2k−1)!! for linear, half of it for relu
    for (act, mu) in [(DeepActivation::Linear, [1.0, 3.0, 15.0]), (DeepActivation::Relu, [0.5, 1.5, 7.5])] {
        for (c_w, c_b) in [(1.0, 0.0), (2.0, 0.0), (1.3, 0.2), (0.8, 0.5)] {
            let deepest = DeepNetwork::new(act, &[10; 8], c_w, c_b).unwrap();
            let six = SixPointVertex::new(&deepest, &x).unwrap();
            assert!(six.quadrature_error() == 0.0, "{act:?}: closed forms only");
            for depth in 1..=8 {
                for pattern in [vec![1.0; depth], (0..depth).map(|l| [2.0, 3.0, 1.0, 5.0][l % 4]).collect()] {
                    let n_scale = 10.0;
                    let widths: Vec<usize> = pattern.iter().map(|w| (w * n_scale) as usize).collect();
                    let vertex = six.at_widths(&widths).unwrap();
                    let exact = exact_kappa3(mu, c_w, c_b, c_b + c_w * 0.49, &pattern);
                    let scale = exact.coefficient(0).abs().max(vertex.kernels().output()[0].powi(3));
                    // the exact κ3 starts at 1/N²
                    assert!(exact.coefficient(0).abs() <= ROUNDING * scale);
                    assert!(exact.coefficient(1).abs() <= ROUNDING * scale, "{:?}", exact.0);
                    // κ6 = 15 κ3(G): leading order 15 × (1/N² coefficient) / N²
                    let want = 15.0 * exact.coefficient(2) / (n_scale * n_scale);
                    let got = vertex.connected_g6([0; 6], [0; 6]);
                    assert!(
                        (got - want).abs() <= ROUNDING * want.abs(),
                        "{act:?} C_W={c_w} C_b={c_b} widths {widths:?}: {got} vs {want}"
                    );
                }
            }
            // the closed form of the exact law with C_b = 0, and its 1/n² coefficients
            if c_b == 0.0 {
                let widths = [3usize, 7, 2, 11];
                let net = DeepNetwork::new(act, &widths, c_w, 0.0).unwrap();
                let (c2, c3) = if act == DeepActivation::Relu { (5.0, 44.0) } else { (2.0, 8.0) };
                let ratio = exact_one_input_sixth_ratio(&net).unwrap();
                let pattern: Vec<f64> = widths.iter().map(|&n| n as f64).collect();
                let k = c_w * 0.49 * (c_w * mu[0]).powi(widths.len() as i32);
                // E f⁶ = 15 E G³; with N = 1 the polynomial is the exact value at these widths
                let exact = exact_kappa3(mu, c_w, 0.0, c_w * 0.49, &pattern);
                let g3: f64 = exact.0.iter().sum::<f64>()
                    + 3.0 * k * k * k * pattern.iter().map(|w| 1.0 + c2 / w).product::<f64>()
                    - 2.0 * k * k * k;
                assert!((15.0 * g3 - 15.0 * k.powi(3) * ratio).abs() <= ROUNDING * 15.0 * g3);
                let lead = six.at_widths(&widths).unwrap().connected_g6([0; 6], [0; 6]) / (15.0 * k.powi(3));
                let mut coefficient: f64 = pattern.iter().map(|w| c3 / (w * w)).sum();
                for i in 0..4 {
                    for j in i + 1..4 {
                        coefficient += 6.0 * c2 * c2 / (pattern[i] * pattern[j]);
                    }
                }
                assert!((lead - coefficient).abs() <= ROUNDING * coefficient, "{act:?}: {lead} vs {coefficient}");
            }
        }
    }
    let with_bias = DeepNetwork::new(DeepActivation::Relu, &[5], 2.0, 0.1).unwrap();
    assert!(exact_one_input_sixth_ratio(&with_bias).is_none());
    assert!(exact_one_input_sixth_ratio(&DeepNetwork::with_deep_priors(DeepActivation::Tanh, &[5]).unwrap()).is_none());
}

#[test]
fn collinear_points_scale_the_one_input_vertex() {
    // C_b = 0, d = 1: zˡ_b = (x_b / x_a) zˡ_a in every net (relu: for positive inputs), so
    // U_(ab)(cd)(ef) = x_a x_b x_c x_d x_e x_f U at x = 1
    let xs = [0.5, 1.0, 1.7];
    let inputs = InputSet::new("collinear", &xs.map(|x| vec![x])).unwrap();
    let one = InputSet::new("one", &[vec![1.0]]).unwrap();
    for act in [DeepActivation::Relu, DeepActivation::Linear] {
        let net = DeepNetwork::new(act, &[4, 9, 6], 1.5, 0.0).unwrap();
        let six = SixPointVertex::new(&net, &inputs).unwrap();
        let unit = SixPointVertex::new(&net, &one).unwrap().vertex([0, 0], [0, 0], [0, 0]);
        for (pos, s) in six.multisets().iter().enumerate() {
            let p = [0, 1, 2, 3, 4, 5].map(|i| s[i] as usize);
            let want = unit * p.iter().map(|&i| xs[i]).product::<f64>();
            let got = six.vertex([p[0], p[1]], [p[2], p[3]], [p[4], p[5]]);
            assert!((got - want).abs() <= ROUNDING * want.abs(), "{act:?} {p:?} ({pos}): {got} vs {want}");
        }
    }
}

#[test]
fn vertex_is_symmetric_and_reusable_at_other_widths() {
    let xs = InputSet::new("three", &[vec![-0.6], vec![0.3], vec![1.1]]).unwrap();
    for act in [DeepActivation::Erf, DeepActivation::Tanh, DeepActivation::Relu] {
        let net = DeepNetwork::new(act, &[10, 20, 40], 1.4, 0.3).unwrap();
        let six = SixPointVertex::new(&net, &xs).unwrap();
        let pairs: Vec<[usize; 2]> = (0..3).flat_map(|a| (a..3).map(move |b| [a, b])).collect();
        let scale = pairs.iter().map(|&p| six.vertex(p, p, p).abs()).fold(0.0, f64::max);
        for &p in &pairs {
            for &q in &pairs {
                for &r in &pairs {
                    let u = six.vertex(p, q, r);
                    for v in [six.vertex(q, p, r), six.vertex(r, q, p), six.vertex(p, r, q), six.vertex(q, r, p)] {
                        assert!((u - v).abs() <= SYMMETRY * scale, "{act:?} {p:?}{q:?}{r:?}: {u} vs {v}");
                    }
                    let flipped = six.vertex([p[1], p[0]], q, [r[1], r[0]]);
                    assert!((u - flipped).abs() <= SYMMETRY * scale);
                }
            }
        }
        // a permuted multiset (outputs with it) is the same correlator
        let (o, x) = ([0, 1, 0, 1, 0, 0], [0, 1, 2, 2, 1, 0]);
        let (o2, x2) = ([1, 0, 0, 0, 1, 0], [2, 0, 1, 0, 1, 2]);
        let net2 = net.clone().with_d_out(2).unwrap();
        let six2 = SixPointVertex::new(&net2, &xs).unwrap();
        let (a, b) = (six2.connected_g6(o, x), six2.connected_g6(o2, x2));
        assert!((a - b).abs() <= SYMMETRY * a.abs(), "{act:?}: {a} vs {b}");
        // reuse at other widths is a fresh build
        let again = SixPointVertex::new(&net.with_widths(&[15, 15]).unwrap(), &xs).unwrap();
        let reused = six.at_widths(&[15, 15]).unwrap();
        assert!(max_dev(&again.vertex_sums(), &reused.vertex_sums()) <= 1e-15 * max_abs(&again.vertex_sums()));
    }
}

#[test]
fn output_indexed_g6_pairs_up_the_outputs() {
    let xs = InputSet::new("two", &[vec![-0.5], vec![0.8]]).unwrap();
    let net = DeepNetwork::with_deep_priors(DeepActivation::Tanh, &[20, 30]).unwrap().with_d_out(2).unwrap();
    let six = SixPointVertex::new(&net, &xs).unwrap();
    let n2 = 900.0;
    // (i i j j j j), i != j: the pairings keeping outputs 1,2 together: 3 of the 15
    let (o, p) = ([0, 0, 1, 1, 1, 1], [0, 1, 0, 1, 1, 0]);
    let want =
        (six.vertex([0, 1], [0, 1], [1, 0]) + six.vertex([0, 1], [0, 1], [1, 0]) + six.vertex([0, 1], [0, 0], [1, 1]))
            / n2;
    assert!((six.connected_g6(o, p) - want).abs() <= ROUNDING * want.abs());
    // an odd number of one output: zero, as is the GP value
    assert!(six.connected_g6([0, 0, 0, 1, 1, 1], [0, 1, 0, 1, 0, 1]).abs() < 1e-300);
    let (ms, connected, gp) = six.output_indexed().unwrap();
    let single = six.vertex_sums();
    for (pos, s) in ms.iter().enumerate() {
        let outputs: Vec<usize> = s.iter().map(|&q| q as usize / 2).collect();
        if outputs.iter().all(|&o| o == outputs[0]) {
            let pts: Vec<usize> = s.iter().map(|&q| q as usize % 2).collect();
            let one = six.multisets().position(&pts).unwrap();
            assert!((connected[pos] - single[one] / n2).abs() <= ROUNDING * single[one].abs() / n2);
        }
        if outputs.iter().filter(|&&o| o == 0).count() % 2 == 1 {
            assert!(connected[pos].abs() < 1e-300 && gp[pos].abs() < 1e-300);
        }
    }
}

#[test]
fn quadrature_and_finite_differences_agree_with_price() {
    // erf as a function: six-point moments by quadrature, gradients by central differences
    let xs = InputSet::new("two", &[vec![-0.4], vec![0.9]]).unwrap();
    let net = DeepNetwork::new(DeepActivation::Erf, &[8, 12], 1.2, 0.2).unwrap();
    let known = SixPointVertex::new(&net, &xs).unwrap();
    let phi = |z: f64| nnqft_theory::erf(z);
    let quad = SixPointVertex::with_function(&net, &xs, ActivationFn::new(&phi)).unwrap();
    // measured: 4.8e-10 against estimates 8e-13 (Price) + 1.8e-7 (differences), of 2.3
    let dev = max_dev(&known.vertex_sums(), &quad.vertex_sums());
    let bound = known.quadrature_error() + quad.quadrature_error();
    assert!(dev <= bound, "deviation {dev:.3e}, error estimates {bound:.3e}");
    assert!(dev <= NESTED_QUADRATURE * max_abs(&known.vertex_sums()), "deviation {dev:.3e}");
}

#[test]
fn six_level_quadrature_agrees_with_closed_forms_within_its_estimate() {
    // six inputs in d = 6, so the first-layer kernel has full rank and ⟨φ_a ... φ_f⟩ of six
    // distinct points is a 6-level nested integral; sin's moments have closed forms at any order
    let pts: Vec<Vec<f64>> = (0..6)
        .map(|i| (0..6).map(|j| if i == j { 1.0 } else { 0.3 * ((i * 7 + j * 3) % 5) as f64 / 5.0 - 0.1 }).collect())
        .collect();
    let xs = InputSet::new("six", &pts).unwrap();
    let net = DeepNetwork::new(DeepActivation::Sin, &[9], 1.5, 0.1).unwrap().with_d_in(6).unwrap();
    let known = SixPointVertex::new(&net, &xs).unwrap();
    assert!(known.quadrature_error() == 0.0, "sin's six-point moments are closed forms");
    let phi = |z: f64| z.sin();
    let quad = SixPointVertex::with_function(&net, &xs, ActivationFn::new(&phi)).unwrap();
    let (a, b) = (known.vertex_sums(), quad.vertex_sums());
    let dev = max_dev(&a, &b);
    assert!(dev <= NESTED_QUADRATURE * max_abs(&a), "deviation {dev:.3e} of {:.3e}", max_abs(&a));
    assert!(dev <= quad.quadrature_error(), "deviation {dev:.3e} beyond the estimate {:.3e}", quad.quadrature_error());
}

#[test]
fn bad_inputs_are_typed_errors() {
    let many: Vec<Vec<f64>> = (0..13).map(|i| vec![i as f64 / 10.0]).collect();
    let xs = InputSet::new("many", &many).unwrap();
    let net = DeepNetwork::with_deep_priors(DeepActivation::Relu, &[5, 5]).unwrap();
    match SixPointVertex::new(&net, &xs) {
        Err(TheoryError::OutOfRange { field, .. }) => assert_eq!(field, "points"),
        other => panic!("expected an OutOfRange error on points, got {other:?}"),
    }
    let one = InputSet::new("one", &[vec![1.0]]).unwrap();
    let six = SixPointVertex::new(&net, &one).unwrap();
    for bad in [vec![], vec![1, 2, 3]] {
        match six.at_widths(&bad) {
            Err(TheoryError::OutOfRange { field, .. }) => assert_eq!(field, "widths"),
            other => panic!("expected an OutOfRange error on widths, got {other:?}"),
        }
    }
    let two_d = InputSet::new("two-d", &[vec![1.0, 0.0]]).unwrap();
    assert!(SixPointVertex::new(&net, &two_d).is_err());
}
