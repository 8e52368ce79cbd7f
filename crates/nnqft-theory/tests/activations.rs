//! The activations beyond erf, relu, tanh and linear (gelu, silu, softplus, sigmoid, sin) and
//! the critical point of every activation: sin's closed forms against quadrature on the kernel
//! and vertex recursions, the critical points against exact values, a closed form and an
//! independent reference, the fixed point held by the recursion itself, and bad input.

use nnqft_theory::{
    ActivationFn, CriticalPoint, DeepActivation, DeepNetwork, FourPointVertex, InputSet, KernelRecursion, TheoryError,
    UniversalityClass, critical_point,
};

/// Closed forms against the same quantity by one- and two-level quadrature.
const QUADRATURE: f64 = 1e-10;
/// A vertex by 4-level quadrature and finite differences against closed forms (~1e-6).
const NESTED_QUADRATURE: f64 = 1e-5;
/// The finder's priors against a reference computed independently to 30 digits (mpmath 1.3,
/// tanh-sinh quadrature and a secant root of `⟨φ φ''⟩_K = 0`).
const REFERENCE: f64 = 1e-9;

/// GELU: `K* = (3 + √17)/2` (closed form, `critical_point`'s docs), `C_W`, `C_b` by mpmath.
const GELU_REFERENCE: (f64, f64) = (1.983_058_257_437_55, 0.172_922_390_756_067);
/// SiLU: `(K*, C_W, C_b)` by mpmath.
const SILU_REFERENCE: (f64, f64, f64) = (14.320_173_618_025_8, 1.988_004_678_269_49, 0.555_143_170_721_53);

fn three_points() -> InputSet {
    InputSet::new("three", &[vec![-0.9], vec![0.3], vec![1.0]]).unwrap()
}

fn max_dev(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).fold(0.0f64, |m, (x, y)| m.max((x - y).abs()))
}

#[test]
fn sin_closed_forms_match_quadrature_in_the_kernel_and_vertex_recursions() {
    let xs = three_points();
    let sin = |z: f64| z.sin();
    let net = DeepNetwork::new(DeepActivation::Sin, &[20, 30], 1.3, 0.2).unwrap();
    let closed = KernelRecursion::new(&net, &xs).unwrap();
    let quad = KernelRecursion::with_function(&net, &xs, ActivationFn::new(&sin)).unwrap();
    assert!(closed.quadrature_error() == 0.0 && quad.quadrature_error() > 0.0);
    for l in 1..=3 {
        let dev = max_dev(closed.layer(l), quad.layer(l));
        assert!(dev < QUADRATURE, "sin kernel K^{l}: {dev:.3e}");
    }
    let closed = FourPointVertex::new(&net, &xs).unwrap();
    let quad = FourPointVertex::with_function(&net, &xs, ActivationFn::new(&sin)).unwrap();
    assert!(closed.quadrature_error() == 0.0);
    let dev = max_dev(&closed.vertex_sums(), &quad.vertex_sums());
    let scale = closed.vertex_sums().iter().fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(dev < NESTED_QUADRATURE * scale, "sin vertex: {dev:.3e} of {scale:.3e}");
}

#[test]
fn the_new_activations_run_the_kernel_and_vertex_recursions_with_error_estimates() {
    // closed-form Price derivatives against the function path's finite differences, at L = 2
    let xs = three_points();
    for act in [DeepActivation::Gelu, DeepActivation::Silu, DeepActivation::Softplus, DeepActivation::Sigmoid] {
        let phi = move |z: f64| act.phi(z).unwrap();
        let net = DeepNetwork::new(act, &[20, 30], 1.5, 0.1).unwrap();
        let known = FourPointVertex::new(&net, &xs).unwrap();
        let function = FourPointVertex::with_function(&net, &xs, ActivationFn::new(&phi)).unwrap();
        assert!(known.quadrature_error() < 1e-6, "{act:?}: quadrature error {:.3e}", known.quadrature_error());
        assert_eq!(known.kernels().output(), function.kernels().output(), "{act:?}: same quadrature");
        let scale = known.vertex_sums().iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let dev = max_dev(&known.vertex_sums(), &function.vertex_sums());
        assert!(dev < NESTED_QUADRATURE * scale, "{act:?} vertex: {dev:.3e} of {scale:.3e}");
    }
}

/// `C_W = 1/σ₁²` of erf, `(√π/2)²`, against `π/4`: the rounding of `2/√π` and its square.
const ROUNDING: f64 = 4.0 * f64::EPSILON;

/// The class, `C_W` within `tolerance` relative (0: to the bit), `C_b` to the bit, `K*`, and
/// both susceptibilities one.
fn assert_point(
    p: &CriticalPoint,
    class: UniversalityClass,
    (c_w, c_b): (f64, f64),
    k_star: Option<f64>,
    tolerance: f64,
) {
    assert_eq!(p.class(), class, "{:?}", p.activation());
    let c_w_ok =
        if tolerance == 0.0 { p.c_w().to_bits() == c_w.to_bits() } else { (p.c_w() - c_w).abs() <= tolerance * c_w };
    assert!(c_w_ok && p.c_b().to_bits() == c_b.to_bits(), "{p:?}");
    assert_eq!(p.k_star(), k_star, "{:?}", p.activation());
    let (par, perp) = (p.chi_parallel(), p.chi_perpendicular());
    assert!((par - 1.0).abs() < CriticalPoint::TOLERANCE && (perp - 1.0).abs() < CriticalPoint::TOLERANCE, "{p:?}");
}

#[test]
fn critical_points_of_the_scale_invariant_and_k_star_zero_classes_are_exact() {
    use DeepActivation::*;
    use UniversalityClass::*;
    // relu (2, 0) and tanh (1, 0): Roberts, Yaida, Hanin (2022) §5.2 and §5.3.3
    // (exactly: the bits of 2.0, 1.0 and 0.0)
    assert_point(&critical_point(Relu).unwrap(), ScaleInvariant, (2.0, 0.0), None, 0.0);
    assert_point(&critical_point(Linear).unwrap(), ScaleInvariant, (1.0, 0.0), None, 0.0);
    assert_point(&critical_point(Tanh).unwrap(), KStarZero, (1.0, 0.0), Some(0.0), 0.0);
    assert_point(&critical_point(Sin).unwrap(), KStarZero, (1.0, 0.0), Some(0.0), 0.0);
    // erf: C_W = 1 / erf'(0)² = π/4
    assert_point(&critical_point(Erf).unwrap(), KStarZero, (std::f64::consts::FRAC_PI_4, 0.0), Some(0.0), ROUNDING);
}

#[test]
fn gelu_and_silu_have_half_stable_critical_points_at_their_reference_values() {
    let gelu = critical_point(DeepActivation::Gelu).unwrap();
    let k_star = (3.0 + 17f64.sqrt()) / 2.0;
    println!("gelu: {gelu:?}");
    assert_eq!(gelu.class(), UniversalityClass::HalfStable);
    assert!((gelu.k_star().unwrap() - k_star).abs() < REFERENCE * k_star, "{gelu:?} vs K* = {k_star}");
    assert!((gelu.c_w() - GELU_REFERENCE.0).abs() < REFERENCE, "{gelu:?}");
    assert!((gelu.c_b() - GELU_REFERENCE.1).abs() < REFERENCE, "{gelu:?}");
    let silu = critical_point(DeepActivation::Silu).unwrap();
    println!("silu: {silu:?}");
    assert_eq!(silu.class(), UniversalityClass::HalfStable);
    assert!((silu.k_star().unwrap() - SILU_REFERENCE.0).abs() < REFERENCE * SILU_REFERENCE.0, "{silu:?}");
    assert!((silu.c_w() - SILU_REFERENCE.1).abs() < REFERENCE, "{silu:?}");
    assert!((silu.c_b() - SILU_REFERENCE.2).abs() < REFERENCE, "{silu:?}");
    for p in [gelu, silu] {
        for chi in [p.chi_parallel(), p.chi_perpendicular()] {
            assert!((chi - 1.0).abs() < CriticalPoint::TOLERANCE, "{p:?}");
        }
    }
}

#[test]
fn the_kernel_recursion_holds_its_critical_fixed_point() {
    // at criticality an input with K¹ = K* stays at K* through every layer (the recursion's own
    // quadrature, not the finder's)
    for act in [DeepActivation::Gelu, DeepActivation::Silu] {
        let p = critical_point(act).unwrap();
        let k_star = p.k_star().unwrap();
        let x = ((k_star - p.c_b()) / p.c_w()).sqrt();
        let net = DeepNetwork::at_criticality(act, &[10; 8]).unwrap();
        assert!(net.c_w().to_bits() == p.c_w().to_bits() && net.c_b().to_bits() == p.c_b().to_bits());
        let k = KernelRecursion::new(&net, &InputSet::new("x", &[vec![x]]).unwrap()).unwrap();
        for l in 1..=9 {
            let dev = (k.layer(l)[0] - k_star).abs();
            assert!(dev < 1e-12 * k_star, "{act:?} layer {l}: {} vs K* = {k_star}", k.layer(l)[0]);
        }
    }
}

#[test]
fn activations_without_a_critical_point_are_refused_by_name_with_the_reason() {
    for (act, why) in [
        (DeepActivation::Sigmoid, "sigmoid(0) = 1/2 != 0"),
        (DeepActivation::Softplus, "softplus(0) = log 2 != 0"),
        (DeepActivation::Gauss, "first layer only"),
    ] {
        let err = critical_point(act).unwrap_err();
        assert!(
            matches!(err, TheoryError::NoCriticalPoint { activation, .. } if activation == act.name()),
            "{act:?}: {err:?}"
        );
        let msg = err.to_string();
        assert!(msg.starts_with(&format!("no critical point for {}: ", act.name())) && msg.contains(why), "{msg}");
        assert!(matches!(DeepNetwork::at_criticality(act, &[5]), Err(TheoryError::NoCriticalPoint { .. })));
    }
}

#[test]
fn an_unknown_activation_name_is_an_error_listing_every_allowed_name() {
    let err = DeepActivation::parse("mish").unwrap_err();
    assert!(matches!(err, TheoryError::OutOfRange { field: "network", .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("invalid network = mish"), "{msg}");
    for a in DeepActivation::ANY_DEPTH.into_iter().chain([DeepActivation::Gauss]) {
        assert!(msg.contains(a.name()), "{msg} lacks {}", a.name());
    }
}
