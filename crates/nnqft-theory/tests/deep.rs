//! Deep networks (docs/conventions.md, deep networks): validation, the kernel recursion, the four-point vertex
//! recursion against the exact one-layer `κ4` and the exact one-input identities, and the
//! output-indexed `G4`.

use nnqft_theory::{
    Activation, ActivationFn, DeepActivation, DeepNetwork, FiniteWidthTheory, FourPointVertex, InputSet,
    KernelRecursion, Network, TheoryError, exact_one_input_ratio, kernel_matrix,
};

/// Rounding level for closed-form paths (relative to the largest value compared).
const ROUNDING: f64 = 1e-12;
/// The L = 1 vertex against `N κ4` where both sides use quadrature: the sum of the two
/// quadratures' accuracies (erf at d = 2 reaches ~3e-8 relative on the vertex side).
const QUADRATURE: f64 = 1e-9;
/// A vertex by quadrature and finite differences against closed forms and Price's theorem:
/// the 4-point expectations of four distinct points are nested 4-D quadratures (~1e-6).
const NESTED_QUADRATURE: f64 = 1e-5;

fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0f64, |a, b| a.max(b.abs()))
}

fn max_dev(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).fold(0.0f64, |m, (x, y)| m.max((x - y).abs()))
}

#[test]
fn one_layer_vertex_is_the_exact_kappa4_on_every_multiset() {
    for act in Activation::ALL {
        for d in [1, 2] {
            let net = Network::paper(act, d).unwrap();
            let inputs = InputSet::scaling(act, d).unwrap();
            let exact = FiniteWidthTheory::new(&net, &inputs).unwrap();
            let deep = DeepNetwork::from_network(&net, 7).unwrap();
            let vertex = FourPointVertex::new(&deep, &inputs).unwrap();
            assert_eq!(vertex.multisets(), &exact.multisets[1]);
            let sums = vertex.vertex_sums();
            let scale = max_abs(&exact.kappa4_unit);
            let tol = if act == Activation::Erf && d == 2 { QUADRATURE } else { ROUNDING };
            let dev = max_dev(&sums, &exact.kappa4_unit) / scale;
            assert!(dev < tol, "{act:?} d={d}: max |V sum - N kappa4| / max = {dev:.3e}");
            // and the connected G4 is kappa4 at the width
            let k4 = exact.at_width(7).unwrap().kappa4;
            for (pos, s) in vertex.multisets().iter().enumerate() {
                let p = [0, 1, 2, 3].map(|i| s[i] as usize);
                let c = vertex.connected_g4([0; 4], p);
                assert!((c - k4[pos]).abs() <= tol * scale, "{act:?} d={d} {p:?}: {c} vs {}", k4[pos]);
            }
            // the L = 1 kernel is the paper's GP kernel (its section 2)
            let k = kernel_matrix(&net, &inputs).unwrap();
            let kdev = max_dev(vertex.kernels().output(), &k) / max_abs(&k);
            assert!(kdev < ROUNDING, "{act:?} d={d}: kernel deviation {kdev:.3e}");
        }
    }
}

#[test]
fn exact_one_input_identities_and_their_leading_order() {
    let x = InputSet::new("one", &[vec![0.7]]).unwrap();
    for (act, c) in [(DeepActivation::Relu, 5.0), (DeepActivation::Linear, 2.0)] {
        for widths in [vec![3], vec![4, 9], vec![2, 7, 5, 30], vec![50; 8]] {
            for c_w in [0.5, 1.0, 2.0] {
                let net = DeepNetwork::new(act, &widths, c_w, 0.0).unwrap();
                let exact: f64 = widths.iter().map(|&n| 1.0 + c / n as f64).product();
                let ratio = exact_one_input_ratio(&net).unwrap();
                assert!((ratio - exact).abs() <= ROUNDING * exact, "{act:?} {widths:?}");
                // leading order: the expansion of the product, through the general recursion
                let vertex = FourPointVertex::new(&net, &x).unwrap();
                let r = vertex.leading_order_r()[0];
                let first: f64 = widths.iter().map(|&n| c / n as f64).sum();
                assert!((r - first).abs() <= ROUNDING * first, "{act:?} {widths:?} C_W={c_w}: r {r} vs {first}");
                // the kernel: K^(L+1) = (C_W / 2)^L C_W x^2 for relu, C_W^(L+1) x^2 linear
                let per_layer = if act == DeepActivation::Relu { c_w / 2.0 } else { c_w };
                let k = c_w * 0.49 * per_layer.powi(widths.len() as i32);
                let got = vertex.kernels().output()[0];
                assert!((got - k).abs() <= ROUNDING * k, "{act:?} {widths:?}: K {got} vs {k}");
            }
        }
    }
    let with_bias = DeepNetwork::new(DeepActivation::Relu, &[5], 2.0, 0.1).unwrap();
    assert!(exact_one_input_ratio(&with_bias).is_none());
    assert!(exact_one_input_ratio(&DeepNetwork::with_deep_priors(DeepActivation::Tanh, &[5]).unwrap()).is_none());
}

/// Relu at `C_b = 0`, `L = 1`, on two inputs of opposite sign: `K_ab = 0` exactly, so `r` is
/// undefined (NaN) where the pair occurs an odd number of times; on `(a, a, b, b)` the
/// connected part is `(C_W² / n)(⟨φ_a² φ_b²⟩ − K_aa K_bb / C_W²) = −K_aa K_bb / n` (the product
/// vanishes) over `Wick4(K) = K_aa K_bb`, so `r = −1/n`; on the diagonal `r = 5/n`. One layer
/// deeper `K_ab > 0` and `r` is defined everywhere.
#[test]
fn relu_r_is_undefined_exactly_where_wick4_of_k_vanishes() {
    let x = InputSet::new("opposite", &[vec![-0.3], vec![0.8]]).unwrap();
    let n = 10.0;
    let net = DeepNetwork::with_deep_priors(DeepActivation::Relu, &[10]).unwrap();
    let vertex = FourPointVertex::new(&net, &x).unwrap();
    let r = vertex.leading_order_r();
    let sets = vertex.multisets();
    assert_eq!(r.len(), 5);
    for (pos, value) in r.iter().enumerate() {
        let firsts = sets.get(pos).iter().filter(|&&p| p == 0).count();
        match firsts {
            1 | 3 => assert!(value.is_nan(), "{}: r {value}, expected undefined", sets.label(pos)),
            2 => assert!((value + 1.0 / n).abs() <= ROUNDING, "{}: r {value} vs -1/n", sets.label(pos)),
            _ => assert!((value - 5.0 / n).abs() <= ROUNDING, "{}: r {value} vs 5/n", sets.label(pos)),
        }
    }
    let deeper = FourPointVertex::new(&DeepNetwork::with_deep_priors(DeepActivation::Relu, &[10, 10]).unwrap(), &x);
    assert!(deeper.unwrap().leading_order_r().iter().all(|r| r.is_finite()));
}

#[test]
fn output_indexed_g4_comes_from_the_same_vertex() {
    let xs = InputSet::new("three", &[vec![-0.5], vec![0.3], vec![1.0]]).unwrap();
    let net = DeepNetwork::with_deep_priors(DeepActivation::Tanh, &[20, 30]).unwrap().with_d_out(2).unwrap();
    let vertex = FourPointVertex::new(&net, &xs).unwrap();
    let n_l = 30.0;
    // (i, i, j, j), i != j: only the (ab)(cd) pairing survives
    let c = vertex.connected_g4([0, 0, 1, 1], [0, 1, 2, 2]);
    assert!((c - vertex.vertex([0, 1], [2, 2]) / n_l).abs() < 1e-15);
    // (i, j, i, j): only (ac)(bd)
    let c = vertex.connected_g4([0, 1, 0, 1], [0, 1, 2, 2]);
    assert!((c - vertex.vertex([0, 2], [1, 2]) / n_l).abs() < 1e-15);
    // an odd number of one output: zero
    assert!(vertex.connected_g4([0, 0, 0, 1], [0, 1, 2, 2]).abs() < 1e-300);
    let (ms, connected, gp) = vertex.output_indexed().unwrap();
    assert_eq!(ms.points(), 6);
    let single = vertex.vertex_sums();
    for (pos, s) in ms.iter().enumerate() {
        let outputs: Vec<usize> = s.iter().map(|&p| p as usize / 3).collect();
        if outputs.iter().all(|&o| o == outputs[0]) {
            let pts: Vec<usize> = s.iter().map(|&p| p as usize % 3).collect();
            let one = vertex.multisets().position(&pts).unwrap();
            assert!((connected[pos] - single[one] / n_l).abs() < 1e-15);
        }
        if outputs.iter().filter(|&&o| o == 0).count() % 2 == 1 {
            assert!(connected[pos].abs() < 1e-300 && gp[pos].abs() < 1e-300);
        }
    }
}

#[test]
fn vertex_is_symmetric_and_reusable_at_other_widths() {
    let xs = InputSet::scaling(Activation::Erf, 1).unwrap();
    let net = DeepNetwork::with_deep_priors(DeepActivation::Erf, &[10, 20, 40]).unwrap();
    let vertex = FourPointVertex::new(&net, &xs).unwrap();
    assert!(vertex.quadrature_error() < 1e-8, "{}", vertex.quadrature_error());
    for a in 0..6 {
        for b in 0..6 {
            let (x, y) = (vertex.vertex([a, a], [b, 5]), vertex.vertex([b, 5], [a, a]));
            assert!((x - y).abs() <= ROUNDING * x.abs().max(1e-300));
        }
    }
    let again = FourPointVertex::new(&net.with_widths(&[15, 15]).unwrap(), &xs).unwrap();
    let reused = vertex.at_widths(&[15, 15]).unwrap();
    assert!(max_dev(&again.vertex_sums(), &reused.vertex_sums()) < 1e-15);
    assert!(max_dev(again.kernels().output(), reused.kernels().output()) < 1e-15);
    assert!(vertex.at_widths(&[1, 2, 3, 4]).is_err());
    assert!(vertex.at_widths(&[]).is_err());
}

#[test]
fn quadrature_kernel_recursion_agrees_with_closed_forms() {
    // three points keep the 4-point expectations at three nested levels (the four-level path is
    // checked in `gaussian`'s unit tests), so the test stays fast
    let xs = InputSet::new("three", &[vec![-1.0, 0.2], vec![0.3, 0.5], vec![1.2, 1.1]]).unwrap();
    let tol = 1e-10;
    let erf = |z: f64| nnqft_theory::erf(z);
    let relu = |z: f64| z.max(0.0);
    let lin = |z: f64| z;
    let cases: [(DeepActivation, ActivationFn<'_>); 3] = [
        (DeepActivation::Erf, ActivationFn::new(&erf)),
        (DeepActivation::Relu, ActivationFn::new(&relu).with_kink(0.0)),
        (DeepActivation::Linear, ActivationFn::new(&lin)),
    ];
    for (act, f) in cases {
        let net = DeepNetwork::new(act, &[5, 5, 5], 1.4, 0.2).unwrap().with_d_in(2).unwrap();
        let closed = KernelRecursion::new(&net, &xs).unwrap();
        let quad = KernelRecursion::with_function(&net, &xs, f).unwrap();
        assert!(quad.quadrature_error() < tol);
        for l in 1..=4 {
            let dev = max_dev(closed.layer(l), quad.layer(l));
            assert!(dev < tol, "{act:?} layer {l}: {dev:.3e}");
        }
        // the vertex, closed forms and Price vs quadrature and finite differences
        let v = FourPointVertex::new(&net, &xs).unwrap();
        let vq = FourPointVertex::with_function(&net, &xs, f).unwrap();
        let dev = max_dev(&v.vertex_sums(), &vq.vertex_sums()) / max_abs(&v.vertex_sums());
        assert!(dev < NESTED_QUADRATURE, "{act:?} vertex: {dev:.3e}");
    }
    // tanh: Price's theorem against finite differences of the same quadrature
    let tanh = |z: f64| z.tanh();
    let net = DeepNetwork::new(DeepActivation::Tanh, &[5, 5, 5], 1.4, 0.2).unwrap().with_d_in(2).unwrap();
    let v = FourPointVertex::new(&net, &xs).unwrap();
    let vq = FourPointVertex::with_function(&net, &xs, ActivationFn::new(&tanh)).unwrap();
    let dev = max_dev(&v.vertex_sums(), &vq.vertex_sums()) / max_abs(&v.vertex_sums());
    assert!(dev < NESTED_QUADRATURE, "tanh vertex: {dev:.3e}");
}

#[test]
fn every_bad_input_is_a_typed_error_naming_its_field() {
    let field = |r: Result<DeepNetwork, TheoryError>| match r {
        Err(TheoryError::OutOfRange { field, .. }) => field,
        other => panic!("expected OutOfRange, got {other:?}"),
    };
    use DeepActivation::*;
    assert_eq!(field(DeepNetwork::new(Relu, &[], 2.0, 0.0)), "depth");
    assert_eq!(field(DeepNetwork::new(Relu, &[5, 0, 3], 2.0, 0.0)), "width");
    assert_eq!(field(DeepNetwork::new(Gauss, &[5, 5], 1.0, 1.0)), "depth");
    assert!(DeepNetwork::new(Gauss, &[5], 1.0, 1.0).is_ok());
    for bad in [-1.0, f64::NAN, f64::INFINITY] {
        assert_eq!(field(DeepNetwork::new(Tanh, &[5], bad, 0.0)), "c_w");
        assert_eq!(field(DeepNetwork::new(Tanh, &[5], 1.0, bad)), "c_b");
    }
    let ok = DeepNetwork::new(Erf, &[5], 1.0, 0.0).unwrap();
    assert_eq!(field(ok.clone().with_d_out(0)), "d_out");
    assert_eq!(field(ok.clone().with_d_in(0)), "d_in");
    assert_eq!(field(ok.with_widths(&[])), "depth");
    assert_eq!(field(DeepActivation::parse("mish").map(|_| ok.clone())), "network");
    let msg = DeepNetwork::new(Gauss, &[5, 5], 1.0, 1.0).unwrap_err().to_string();
    assert!(msg.contains("Gauss-net") && msg.contains("depth"), "{msg}");
    // input dimension mismatch
    let xs = InputSet::new("d2", &[vec![0.1, 0.2]]).unwrap();
    assert!(matches!(KernelRecursion::new(&ok, &xs), Err(TheoryError::MixedDimension { .. })));
    assert!(matches!(FourPointVertex::new(&ok, &xs), Err(TheoryError::MixedDimension { .. })));
    for a in DeepActivation::DEEP {
        assert_eq!(DeepActivation::parse(a.name()).unwrap(), a);
    }
}

/// The vertex's propagated error: rounding for closed forms (relu, linear); `C_W² ε` at one hidden layer
/// (`V² = C_W² A¹`, each moment within `ε`); at least that at every depth (each layer adds its
/// own moments' `C_W² ε`).
#[test]
fn vertex_error_is_rounding_for_closed_forms_and_carried_through_the_layers() {
    let xs = InputSet::new("three", &[vec![-0.6], vec![0.2], vec![1.0]]).unwrap();
    for act in [DeepActivation::Relu, DeepActivation::Linear] {
        let v = FourPointVertex::new(&DeepNetwork::with_deep_priors(act, &[10; 3]).unwrap(), &xs).unwrap();
        assert!(v.vertex_error() < ROUNDING, "{act:?}: {}", v.vertex_error());
    }
    let deepest =
        FourPointVertex::new(&DeepNetwork::new(DeepActivation::Tanh, &[10; 4], 1.3, 0.1).unwrap(), &xs).unwrap();
    let eps = deepest.quadrature_error();
    assert!(eps > 0.0);
    let c_w2 = 1.3 * 1.3;
    for depth in 1..=4 {
        let e = deepest.at_widths(&vec![10; depth]).unwrap().vertex_error();
        if depth == 1 {
            assert_eq!(e.to_bits(), (c_w2 * eps).to_bits());
        }
        assert!(e.is_finite() && e >= c_w2 * eps, "L = {depth}: {e}");
    }
}
