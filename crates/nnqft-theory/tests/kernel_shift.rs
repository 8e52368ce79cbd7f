//! The `1/n` shift of a deep network's two-point function (`KernelShift`) against exact
//! results: no shift at one hidden layer; none for linear nets on any pair and for relu on the
//! diagonal at every depth; the quadratic activation's exact shift at two hidden layers (which
//! pins the factors of the tadpole term off the diagonal); the width bookkeeping.

use nnqft_theory::{ActivationFn, DeepActivation, DeepNetwork, InputSet, KernelShift, TheoryError};

/// Rounding level for closed-form paths, relative to the largest kernel entry.
const ROUNDING: f64 = 1e-13;
/// A relu off-diagonal shift at `L >= 2` on non-collinear points is larger than this
/// (relative to `K`): the zero diagonal is not a zero everywhere.
const NONZERO: f64 = 1e-4;

fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0f64, |a, b| a.max(b.abs()))
}

fn three_points_d2() -> InputSet {
    InputSet::new("three-d2", &[vec![0.9, -0.3], vec![0.2, 0.7], vec![-0.5, -0.8]]).unwrap()
}

#[test]
fn one_hidden_layer_has_no_shift() {
    let xs = three_points_d2();
    for act in DeepActivation::DEEP {
        let net = DeepNetwork::new(act, &[3], 1.5, 0.2).unwrap().with_d_in(2).unwrap();
        let shift = KernelShift::new(&net, &xs).unwrap();
        assert!(shift.shift().iter().all(|s| *s == 0.0), "{act:?}: {:?}", shift.shift());
        assert!(shift.equal_width_coefficient().iter().all(|s| *s == 0.0), "{act:?}");
    }
}

#[test]
fn linear_nets_have_no_shift_on_any_pair_at_any_depth() {
    // F_ab = K_ab: no second derivatives, and the first ones copy S, which starts at 0
    let xs = three_points_d2();
    for depth in 1..=8 {
        let widths: Vec<usize> = (0..depth).map(|l| 2 + 3 * l).collect();
        let net = DeepNetwork::new(DeepActivation::Linear, &widths, 1.2, 0.3).unwrap().with_d_in(2).unwrap();
        let shift = KernelShift::new(&net, &xs).unwrap();
        let scale = max_abs(shift.kernels().output());
        assert!(max_abs(&shift.shift()) <= ROUNDING * scale, "L = {depth}: {:?}", shift.shift());
        assert!(max_abs(&shift.equal_width_coefficient()) <= ROUNDING * scale, "L = {depth}");
        assert!(shift.quadrature_error() <= 0.0, "closed forms carry no error");
    }
}

#[test]
fn relu_has_no_shift_on_the_diagonal_at_any_depth() {
    // one input at criticality (the scaled chi-square law: E f² = K at any width) ...
    let one = InputSet::new("one", &[vec![0.8]]).unwrap();
    // ... and several inputs off criticality: E[relu(z)² | G] = G_aa / 2 for any C_b
    let xs = three_points_d2();
    for depth in 1..=8 {
        let widths: Vec<usize> = (0..depth).map(|l| 3 + 2 * l).collect();
        let critical = DeepNetwork::with_deep_priors(DeepActivation::Relu, &widths).unwrap();
        let s = KernelShift::new(&critical, &one).unwrap();
        let k = s.kernels().output()[0];
        assert!(s.shift()[0].abs() <= ROUNDING * k, "L = {depth}: S = {}", s.shift()[0]);
        assert!(s.equal_width_coefficient()[0].abs() <= ROUNDING * k, "L = {depth}");

        let net = DeepNetwork::new(DeepActivation::Relu, &widths, 1.7, 0.1).unwrap().with_d_in(2).unwrap();
        let s = KernelShift::new(&net, &xs).unwrap();
        let (shift, k) = (s.shift(), s.kernels().output().to_vec());
        for a in 0..3 {
            assert!(shift[a * 3 + a].abs() <= ROUNDING * k[a * 3 + a], "L = {depth}, point {a}: {}", shift[a * 3 + a]);
            for b in a + 1..3 {
                // off the diagonal relu does shift (from two hidden layers on)
                if depth >= 2 {
                    let rel = (shift[a * 3 + b] / k[a * 3 + b]).abs();
                    assert!(rel > NONZERO, "L = {depth} ({a},{b}): relative shift {rel}");
                }
            }
        }
    }
}

#[test]
fn relu_on_collinear_points_has_no_shift() {
    // d = 1, C_b = 0, positive inputs: z_b = (x_b / x_a) z_a in every net, so
    // G_ab = (x_b / x_a) G_aa exactly and the off-diagonal shift vanishes with the diagonal one
    let xs = InputSet::new("collinear", &[vec![0.5], vec![1.0], vec![2.0]]).unwrap();
    for depth in 1..=8 {
        let net = DeepNetwork::with_deep_priors(DeepActivation::Relu, &vec![4; depth]).unwrap();
        let s = KernelShift::new(&net, &xs).unwrap();
        let scale = max_abs(s.kernels().output());
        assert!(max_abs(&s.shift()) <= ROUNDING * scale, "L = {depth}: {:?}", s.shift());
    }
}

/// The quadratic activation's shift by quadrature and second differences against its exact
/// value: the error estimate plus rounding.
const QUADRATIC_ROUNDING: f64 = 1e-11;

#[test]
fn quadratic_activation_shift_is_exact_at_two_hidden_layers() {
    // φ(z) = z²: F_ab(K) = ⟨z_a² z_b²⟩ = K_aa K_bb + 2 K_ab² is quadratic, so its second-order
    // expansion is exact and, as S² = 0,
    //   S³_ab = C_W [Cov(G²_aa, G²_bb) + 2 Var(G²_ab)]   exactly, at any n_1,
    // with G²_ef = C_b + (C_W / n_1) Σ_j z_je² z_jf², z_j ~ N(0, K¹) i.i.d.:
    //   Cov(G²_aa, G²_bb) = (C_W² / n_1) (X − 9 A² B²),  Var(G²_ab) = (C_W² / n_1) (X − (AB + 2C²)²),
    //   X = E[z_a⁴ z_b⁴] = 9 A² B² + 72 A B C² + 24 C⁴,   A = K¹_aa, B = K¹_bb, C = K¹_ab.
    // This checks the ½ on the pure and the 1 on the mixed second derivatives off the diagonal.
    let square = |z: f64| z * z;
    let phi = ActivationFn::new(&square);
    let xs = three_points_d2();
    let (c_w, c_b) = (0.7, 0.2);
    for widths in [[5usize, 9], [3, 40], [11, 2]] {
        let net = DeepNetwork::new(DeepActivation::Tanh, &widths, c_w, c_b).unwrap().with_d_in(2).unwrap();
        let s = KernelShift::with_function(&net, &xs, phi).unwrap();
        let k1 = s.kernels().layer(1);
        let (shift, err) = (s.shift(), s.shift_error());
        let n1 = widths[0] as f64;
        for a in 0..3 {
            for b in a..3 {
                let (aa, bb, c) = (k1[a * 3 + a], k1[b * 3 + b], k1[a * 3 + b]);
                let x = 9.0 * aa * aa * bb * bb + 72.0 * aa * bb * c * c + 24.0 * c.powi(4);
                let cov = x - 9.0 * aa * aa * bb * bb;
                let var = x - (aa * bb + 2.0 * c * c).powi(2);
                let exact = c_w.powi(3) / n1 * (cov + 2.0 * var);
                let got = shift[a * 3 + b];
                assert!(
                    (got - exact).abs() <= err[a * 3 + b] + QUADRATIC_ROUNDING * exact.abs(),
                    "{widths:?} ({a},{b}): {got} vs exact {exact} (error estimate {})",
                    err[a * 3 + b]
                );
            }
        }
    }
}

#[test]
fn widths_enter_as_their_own_inverses() {
    let xs = InputSet::new("three", &[vec![-0.9], vec![0.3], vec![1.0]]).unwrap();
    for act in [DeepActivation::Tanh, DeepActivation::Erf, DeepActivation::Relu] {
        let net = DeepNetwork::with_deep_priors(act, &[10, 20, 30, 40]).unwrap();
        let s = KernelShift::new(&net, &xs).unwrap();
        let scale = max_abs(&s.shift());
        // the last hidden width never enters
        let other_last = s.at_widths(&[10, 20, 30, 7]).unwrap();
        assert!(max_abs(&diff(&s.shift(), &other_last.shift())) <= ROUNDING * scale, "{act:?}: n_L entered");
        // at_widths reuses the expectations: same numbers as a fresh build
        let fresh = KernelShift::new(&net.with_widths(&[25, 5, 8]).unwrap(), &xs).unwrap();
        let reused = s.at_widths(&[25, 5, 8]).unwrap();
        assert!(max_abs(&diff(&fresh.shift(), &reused.shift())) <= ROUNDING * scale, "{act:?}: at_widths");
        // equal widths: S = K1 / n, and S is linear in the inverse widths: doubling every width halves it
        let k1 = s.equal_width_coefficient();
        let equal = s.at_widths(&[50; 4]).unwrap();
        let scaled: Vec<f64> = k1.iter().map(|k| k / 50.0).collect();
        assert!(max_abs(&diff(&equal.shift(), &scaled)) <= ROUNDING * max_abs(&k1), "{act:?}: K1 / n");
        let double = s.at_widths(&[20, 40, 60, 80]).unwrap();
        let half: Vec<f64> = s.shift().iter().map(|v| v / 2.0).collect();
        assert!(max_abs(&diff(&double.shift(), &half)) <= ROUNDING * scale, "{act:?}: 1/n scaling");
        // two_point = K + S
        let tp = s.two_point();
        for (i, k) in s.kernels().output().iter().enumerate() {
            assert!((tp[i] - k - s.shift()[i]).abs() <= ROUNDING * k.abs().max(1.0));
        }
    }
}

fn diff(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(x, y)| x - y).collect()
}

#[test]
fn bad_widths_are_a_typed_error() {
    let xs = InputSet::new("one", &[vec![0.5]]).unwrap();
    let s = KernelShift::new(&DeepNetwork::with_deep_priors(DeepActivation::Tanh, &[4, 4]).unwrap(), &xs).unwrap();
    for w in [vec![], vec![4, 4, 4]] {
        assert!(matches!(s.at_widths(&w), Err(TheoryError::OutOfRange { field: "widths", .. })), "{w:?}");
    }
    assert!(matches!(s.at_widths(&[4, 0]), Err(TheoryError::OutOfRange { .. })));
}
