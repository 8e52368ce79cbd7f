//! The one-input law of a deep network's kernel to order `1/n²` (`OneInputLaw`): the exact
//! multiplicative chains of relu and linear networks expanded to second order at unequal widths,
//! and agreement with the independent implementations of its first-order pieces (the kernel
//! shift, the four-point vertex, the six-point vertex) for smooth activations.

use nnqft_theory::{
    DeepActivation, DeepNetwork, FourPointVertex, InputSet, KernelShift, OneInputLaw, SixPointVertex, TheoryError,
};

/// `∏_l (1 + a/n_l + b/n_l²)` expanded to second order: `(1, first, second)`.
fn expand(widths: &[usize], a: f64, b: f64) -> (f64, f64, f64) {
    let e: Vec<f64> = widths.iter().map(|&n| 1.0 / n as f64).collect();
    let first: f64 = e.iter().map(|x| a * x).sum();
    let mut second: f64 = e.iter().map(|x| b * x * x).sum();
    for i in 0..e.len() {
        for j in i + 1..e.len() {
            second += a * a * e[i] * e[j];
        }
    }
    (1.0, first, second)
}

#[test]
fn relu_and_linear_chains_are_reproduced_to_second_order_at_any_widths() -> Result<(), TheoryError> {
    // E[(χ/n)²] and E[(χ/n)³] per layer: relu 1 + 5/n and 1 + 15/n + 44/n², linear 1 + 2/n and
    // 1 + 6/n + 8/n² (docs of OneInputLaw)
    let cases = [(DeepActivation::Relu, 2.0, 5.0, 15.0, 44.0), (DeepActivation::Linear, 1.0, 2.0, 6.0, 8.0)];
    let width_sets: [&[usize]; 5] = [&[7], &[20, 20], &[5, 9, 13], &[50, 3, 17, 8], &[20, 30, 40, 50, 60, 70, 80, 90]];
    for (act, c_w, a2, a3, b3) in cases {
        for widths in width_sets {
            let net = DeepNetwork::new(act, widths, c_w, 0.0)?;
            for x in [0.3, 1.0, 2.5] {
                let law = OneInputLaw::new(&net, &[x])?;
                let k = c_w * x * x;
                assert!((law.kernel() - k).abs() <= 1e-14 * k, "{act:?} {widths:?}: K {}", law.kernel());
                // E[G] = K at any widths: no shift at either order, to within the bounds on the
                // rounding of the Hermite moments behind f'' .. f'''' (zero for a map linear in K)
                let err = law.error();
                let (mu1, mu2) = law.mean_shift();
                assert!(err[1] < 1e-9 * k && err[2] < 1e-9 * k, "{act:?} {widths:?}: bounds {err:?}");
                assert!(
                    mu1.abs() <= err[1] && mu2.abs() <= err[2],
                    "{act:?} {widths:?}: shift {mu1:e} {mu2:e} {err:?}"
                );
                // r = ∏(1 + a2/n) − 1
                let (_, r1, r2) = expand(widths, a2, 0.0);
                let (got1, got2) = law.r();
                let close = |got: f64, want: f64, bound: f64| (got - want).abs() <= 1e-13 * want.abs() + bound;
                assert!(close(got1, r1, err[6]), "{act:?} {widths:?} x={x}: r1 {got1} want {r1} ({err:?})");
                assert!(close(got2, r2, err[7]), "{act:?} {widths:?} x={x}: r2 {got2} want {r2} ({err:?})");
                assert!(err[7] < 1e-8 * r2.max(r1), "{act:?} {widths:?}: bound on r2 {}", err[7]);
                // κ3 / K³ = ∏(1 + a3/n + b3/n²) − 3 ∏(1 + a2/n) + 2, whose first order cancels
                let (_, p1, p2) = expand(widths, a3, b3);
                let (_, q1, q2) = expand(widths, a2, 0.0);
                assert!((p1 - 3.0 * q1).abs() < 1e-12);
                let want = p2 - 3.0 * q2;
                let got = law.third_cumulant() / k.powi(3);
                assert!(close(got, want, err[5] / k.powi(3)), "{act:?} {widths:?}: κ3/K³ {got} want {want}");
            }
        }
    }
    Ok(())
}

#[test]
fn the_remainder_shrinks_like_one_over_n_cubed() -> Result<(), TheoryError> {
    // relu, L = 4: the exact r minus the two orders falls 8x per doubling of the width
    let mut rest = Vec::new();
    for n in [20usize, 40, 80, 160] {
        let net = DeepNetwork::new(DeepActivation::Relu, &[n; 4], 2.0, 0.0)?;
        let (r1, r2) = OneInputLaw::new(&net, &[1.0])?.r();
        rest.push((1.0 + 5.0 / n as f64).powi(4) - 1.0 - r1 - r2);
    }
    for w in rest.windows(2) {
        assert!((w[0] / w[1] - 8.0).abs() < 0.6, "remainder ratio {} ({rest:?})", w[0] / w[1]);
    }
    Ok(())
}

fn n_last_of(net: &DeepNetwork) -> f64 {
    net.widths()[net.depth() - 1] as f64
}

#[test]
fn first_order_pieces_agree_with_the_kernel_shift_and_the_vertices() -> Result<(), TheoryError> {
    // μ1 is the kernel shift on the diagonal pair, C1 / K² the four-point vertex's leading r,
    // T2 / K³ the six-point vertex's leading r6: each computed elsewhere by multi-dimensional
    // quadrature and Price derivatives, here by one-dimensional Hermite moments
    for act in [DeepActivation::Tanh, DeepActivation::Erf, DeepActivation::Gelu, DeepActivation::Softplus] {
        let net = DeepNetwork::at_criticality(act, &[20, 30, 25])
            .or_else(|_| DeepNetwork::with_deep_priors(act, &[20, 30, 25]))?;
        let x = 0.8;
        let law = OneInputLaw::new(&net, &[x])?;
        let one = InputSet::new("one", &[vec![x]])?;
        let shift = KernelShift::new(&net, &one)?;
        let vertex = FourPointVertex::new(&net, &one)?;
        let six = SixPointVertex::new(&net, &one)?;
        let k = law.kernel();
        // agreement within 1e-9 relative plus both sides' quadrature error estimates
        let err = law.error();
        let tol = |scale: f64, theirs: f64, ours: f64| 1e-9 * scale.abs() + 2.0 * (theirs + ours) + 1e-15;
        let (mu1, _) = law.mean_shift();
        let want = shift.shift()[0];
        assert!((mu1 - want).abs() < tol(mu1, shift.shift_error()[0], err[1]), "{act:?}: μ1 {mu1} shift {want}");
        let (r1, r2) = law.r();
        let lo = vertex.leading_order_r()[0];
        let vertex_error = 3.0 * vertex.vertex_error() / (n_last_of(&net) * k * k);
        assert!((r1 - lo).abs() < tol(r1, vertex_error, err[6]), "{act:?}: r1 {r1} vertex {lo}");
        // U's normalisation: the connected six-point function of one output is Σ_15 U / n_L²
        let n_last = n_last_of(&net);
        let r6 = six.vertex_sums()[0] / (n_last * n_last) / (15.0 * k.powi(3));
        let t = law.third_cumulant() / k.powi(3);
        let six_error = six.quadrature_error() / (n_last * n_last * k.powi(3));
        assert!((t - r6).abs() < tol(t, six_error, err[5] / k.powi(3)), "{act:?}: T2/K³ {t} six-point {r6}");
        // the next order is a genuine correction: nonzero, and smaller than the leading one here
        assert!(r2 != 0.0 && r2.abs() < r1, "{act:?}: r2 {r2} r1 {r1}");
    }
    Ok(())
}

#[test]
fn other_widths_reuse_the_moments_bit_for_bit() -> Result<(), TheoryError> {
    let net = DeepNetwork::at_criticality(DeepActivation::Gelu, &[30, 40, 50, 60])?;
    let deepest = OneInputLaw::new(&net, &[0.7])?;
    for widths in [&[10, 20, 30, 40][..], &[100, 5], &[7]] {
        let fresh = OneInputLaw::new(&net.with_widths(widths)?, &[0.7])?;
        let reused = deepest.at_widths(widths)?;
        let bits = |l: &OneInputLaw| {
            let ((r1, r2), (m1, m2), (c1, c2)) = (l.r(), l.mean_shift(), l.variance());
            [l.kernel(), r1, r2, m1, m2, c1, c2, l.third_cumulant()].map(f64::to_bits)
        };
        assert_eq!(bits(&reused), bits(&fresh), "{widths:?}");
        assert_eq!(reused.error().map(f64::to_bits), fresh.error().map(f64::to_bits), "{widths:?}");
    }
    let e = deepest.at_widths(&[10; 5]).unwrap_err().to_string();
    assert!(e.contains("widths"), "{e}");
    Ok(())
}

#[test]
fn bad_input_is_refused_naming_the_field() {
    let net = DeepNetwork::with_deep_priors(DeepActivation::Tanh, &[10, 10]).unwrap();
    let e = OneInputLaw::new(&net, &[1.0, 2.0]).unwrap_err().to_string();
    assert!(e.contains("invalid x = 2 coordinates") && e.contains("d_in"), "{e}");
    let e = OneInputLaw::new(&net, &[f64::NAN]).unwrap_err().to_string();
    assert!(e.contains("invalid x"), "{e}");
}

#[test]
fn a_zero_input_gives_a_deterministic_kernel() -> Result<(), TheoryError> {
    // x = 0 with C_b = 0: every pre-activation of the first layer is 0; tanh keeps it there (the
    // output is identically 0, r undefined), sigmoid sends the next kernel to C_W φ(0)² = C_W / 4
    // with no fluctuation
    let tanh = OneInputLaw::new(&DeepNetwork::new(DeepActivation::Tanh, &[10, 10], 1.0, 0.0)?, &[0.0])?;
    assert_eq!((tanh.kernel(), tanh.variance(), tanh.third_cumulant()), (0.0, (0.0, 0.0), 0.0));
    assert!(tanh.r().0.is_nan() && tanh.r().1.is_nan());
    let sigmoid = OneInputLaw::new(&DeepNetwork::new(DeepActivation::Sigmoid, &[10, 10], 2.0, 0.0)?, &[0.0])?;
    // layer 2 is the constant 2 · 0.25 = 0.5; the output layer then fluctuates at order 1/n
    let one_layer = OneInputLaw::new(&DeepNetwork::new(DeepActivation::Sigmoid, &[10], 2.0, 0.0)?, &[0.0])?;
    assert_eq!((one_layer.kernel(), one_layer.variance()), (0.5, (0.0, 0.0)));
    // two layers: the second starts from that constant, so only its own step fluctuates: C1 > 0,
    // and nothing of order 1/n² (no earlier fluctuation to shift or carry)
    let (c1, c2) = sigmoid.variance();
    assert!(c1 > 0.0 && c2 == 0.0 && sigmoid.mean_shift() == (0.0, 0.0), "{c1} {c2} {:?}", sigmoid.mean_shift());
    Ok(())
}
