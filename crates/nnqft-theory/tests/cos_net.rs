//! The Cos-net (`f(x) = Σ_j v_j cos(w_j · x + b_j)`, `b_j` uniform on `[-π, π]`): its kernel and
//! exact finite-width correlators against closed forms and exact identities (translation
//! invariance, `G2 = K`, coincident points), its vertex integrals against Gauss-net's, and its
//! refusals. Monte Carlo of whole networks is in the sampling crate's `cos_net` test.

use nnqft_theory::*;

/// Relative tolerance for closed forms evaluated in floating point.
const EXACT_TOL: f64 = 1e-12;
/// Relative tolerance of translation invariance: the shifted differences `(x + c) - (y + c)`
/// carry a rounding of `|c|` ulps, nothing more.
const SHIFT_TOL: f64 = 1e-13;
/// Relative accuracy of the vertex quadrature (the Gauss-net closed-form test's bound).
const QUADRATURE_TOL: f64 = 1e-10;

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

/// The largest `|a - b|` relative to the largest `|b|`.
fn max_rel(a: &[f64], b: &[f64]) -> f64 {
    let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-300);
    a.iter().zip(b).fold(0.0f64, |m, (x, y)| m.max((x - y).abs())) / scale
}

fn cos_net(d: usize, sigma_w: f64) -> Network {
    Network::new(Activation::Cos, d, sigma_w, 0.0).unwrap()
}

fn shifted(xs: &InputSet, c: &[f64]) -> InputSet {
    let points: Vec<Vec<f64>> = xs.points().map(|p| p.iter().zip(c).map(|(x, s)| x + s).collect()).collect();
    InputSet::new("shifted", &points).unwrap()
}

#[test]
fn kernel_closed_form_and_translation_invariance() {
    for d in 1..=3 {
        for sw in [0.7, 1.0, 1.6] {
            let net = cos_net(d, sw);
            let xs = InputSet::scaling(Activation::Cos, d).unwrap();
            assert_eq!(xs.name(), format!("scaling-cos-d{d}"));
            let c: Vec<f64> = (0..d).map(|i| 2.5 - 1.7 * i as f64).collect();
            let moved = shifted(&xs, &c);
            for (x, xm) in xs.points().zip(moved.points()) {
                for (y, ym) in xs.points().zip(moved.points()) {
                    let dist2: f64 = x.iter().zip(y).map(|(a, b)| (a - b).powi(2)).sum();
                    let expect = sw * sw / 2.0 * (-sw * sw * dist2 / (2.0 * d as f64)).exp();
                    let k = kernel(&net, x, y);
                    assert!(rel(k, expect) < EXACT_TOL, "d={d} sw={sw}: {k} vs {expect}");
                    assert!(rel(kernel(&net, xm, ym), k) < SHIFT_TOL, "d={d}: shifted kernel");
                    assert!(rel(kernel(&net, y, x), k) < EXACT_TOL, "symmetric");
                }
            }
        }
    }
}

#[test]
fn exact_correlators_are_translation_invariant() {
    for d in 1..=3 {
        let net = cos_net(d, 1.2);
        let xs = InputSet::scaling(Activation::Cos, d).unwrap();
        let c: Vec<f64> = (0..d).map(|i| -3.0 + 2.0 * i as f64).collect();
        let (a, b) =
            (FiniteWidthTheory::new(&net, &xs).unwrap(), FiniteWidthTheory::new(&net, &shifted(&xs, &c)).unwrap());
        for width in [1, 5, 50] {
            let (ea, eb) = (a.at_width(width).unwrap(), b.at_width(width).unwrap());
            for o in 0..3 {
                assert!(max_rel(&eb.g[o], &ea.g[o]) < SHIFT_TOL, "d={d} N={width} order {}", 2 * o + 2);
            }
            assert!(max_rel(&eb.kappa4, &ea.kappa4) < SHIFT_TOL, "d={d} kappa4");
            assert!(max_rel(&eb.kappa6, &ea.kappa6) < SHIFT_TOL, "d={d} kappa6");
        }
    }
}

#[test]
fn two_point_function_is_the_kernel_at_every_width() {
    let net = cos_net(2, 1.3);
    let xs = InputSet::scaling(Activation::Cos, 2).unwrap();
    let theory = FiniteWidthTheory::new(&net, &xs).unwrap();
    let sw2 = net.sigma_w().powi(2);
    for (pos, ms) in theory.multisets[0].iter().enumerate() {
        let (x, y) = (xs.point(ms[0] as usize), xs.point(ms[1] as usize));
        let k = kernel(&net, x, y);
        assert!(rel(sw2 * theory.moments.values[0][pos], k) < EXACT_TOL, "{ms:?}: sigma_w^2 M2 = K");
        for width in [1, 3, 1000] {
            assert!(rel(theory.at_width(width).unwrap().g[0][pos], k) < EXACT_TOL, "{ms:?} N={width}: G2 = K");
        }
    }
}

#[test]
fn coincident_points_and_two_point_moments_in_closed_form() {
    // One neuron, x = y: the phase is uniform, E cos^2 = 1/2, cos^4 = 3/8, cos^6 = 5/16. At N = 1,
    // f = v cos(phase), v ~ N(0, sigma_w^2): G4 = 3 sigma_w^4 3/8, G6 = 15 sigma_w^6 5/16, and the
    // sixth cumulant of v cos(phase) vanishes (15 5/16 - 45 3/16 + 30/8 = 0).
    let sw = 1.4;
    let net = cos_net(1, sw);
    let xs = InputSet::new("two", &[vec![0.3], vec![-0.55]]).unwrap();
    let theory = FiniteWidthTheory::new(&net, &xs).unwrap();
    let one = theory.at_width(1).unwrap();
    let diag = |o: usize, n: usize| theory.multisets[o].position(&vec![0; n]).unwrap();
    assert!(rel(one.g[1][diag(1, 4)], 9.0 / 8.0 * sw.powi(4)) < EXACT_TOL);
    assert!(rel(one.g[2][diag(2, 6)], 75.0 / 16.0 * sw.powi(6)) < EXACT_TOL);
    assert!(one.kappa6[diag(2, 6)].abs() < EXACT_TOL * sw.powi(6));
    assert!(rel(one.kappa4[diag(1, 4)], 3.0 / 8.0 * sw.powi(4)) < EXACT_TOL);
    // M4(x, x, y, y) = E[cos^2 u cos^2 u'] = 1/4 + E cos(2(u - u')) / 8 with u - u' = w (x - y)
    let delta2 = (0.3f64 + 0.55).powi(2);
    let m4 = 0.25 + (-2.0 * sw * sw * delta2).exp() / 8.0;
    assert!(rel(theory.moments.get(&[0, 0, 1, 1]).unwrap(), m4) < EXACT_TOL);
    // M6(x, x, x, y, y, y): the sign vectors with three minus signs put k of them on x's three
    // copies and 3 - k on y's: Y = (3 - 2k)(x - y), C(3, k)^2 ways, so
    // 2^6 M6 = 2 exp(-9 s) + 18 exp(-s), s = sigma_w^2 (x - y)^2 / 2.
    let s = sw * sw * delta2 / 2.0;
    let m6 = (2.0 * (-9.0 * s).exp() + 18.0 * (-s).exp()) / 64.0;
    assert!(rel(theory.moments.get(&[0, 0, 0, 1, 1, 1]).unwrap(), m6) < EXACT_TOL);
}

#[test]
fn vertex_integrals_are_gauss_nets_scaled() {
    // K_g(cos) = K_g(gauss) / 2 at the same sigma_w: every integral of a product of k kernels
    // is Gauss-net's over 2^k, at any cutoff (Gauss-net at sigma_b = 0, so that its full K is K_g).
    let xs = InputSet::scaling(Activation::Cos, 1).unwrap();
    let (cos, gauss) = (cos_net(1, 1.1), Network::new(Activation::Gauss, 1, 1.1, 0.0).unwrap());
    for cut in [Cutoff::finite(3.0).unwrap(), Cutoff::Infinite] {
        let (c, g) =
            (VertexIntegrals::compute(&cos, &xs, cut).unwrap(), VertexIntegrals::compute(&gauss, &xs, cut).unwrap());
        let scaled = |t: &VertexTable, k: i32| t.values.iter().map(|v| v / 2f64.powi(k)).collect::<Vec<_>>();
        assert!(max_rel(&c.pair.values, &scaled(&g.pair, 2)) < QUADRATURE_TOL, "{cut:?} pair");
        assert!(max_rel(&c.t0().values, &scaled(&g.t0(), 4)) < QUADRATURE_TOL, "{cut:?} T0");
        assert!(max_rel(&c.sextic.values, &scaled(&g.sextic, 6)) < QUADRATURE_TOL, "{cut:?} I6");
    }
}

#[test]
fn diagonal_estimator_variance_has_the_uniform_phase_moments() {
    // Y = sigma_w^2 cos^2(phase): E Y^k = sigma_w^{2k} C(2k, k) / 4^k
    let sw = 0.9;
    let v = DiagonalG4Variance::compute(&cos_net(1, sw), &[0.7], 4).unwrap();
    let m = [0.5, 0.375, 0.3125, 35.0 / 128.0];
    let raw: Vec<f64> = (1..=4).map(|k| sw.powi(2 * k) * m[k as usize - 1]).collect();
    let (m1, m2) = (raw[0], raw[1]);
    assert!(rel(v.cumulants[0], m1) < EXACT_TOL && rel(v.cumulants[1], m2 - m1 * m1) < EXACT_TOL);
    let k4 = raw[3] - 4.0 * raw[2] * m1 - 3.0 * m2 * m2 + 12.0 * m2 * m1 * m1 - 6.0 * m1.powi(4);
    assert!(rel(v.cumulants[3], k4) < 1e-10, "{} vs {k4}", v.cumulants[3]);
    assert!(v.bias_integrated.is_none());
}

#[test]
fn what_the_cos_net_does_not_have_is_refused() {
    assert_eq!(Activation::parse("COS").unwrap(), Activation::Cos);
    assert_eq!(Activation::Cos.name(), "cos");
    assert!(!Activation::ALL.contains(&Activation::Cos), "the paper's three stay the report's three");
    assert!(Activation::EVERY.contains(&Activation::Cos));
    // sigma_b has no meaning for it: refused, naming the field
    let e = Network::new(Activation::Cos, 1, 1.0, 0.5).unwrap_err();
    assert!(matches!(e, TheoryError::OutOfRange { field: "sigma_b", .. }), "{e}");
    assert!(Network::paper(Activation::Cos, 2).unwrap().sigma_b() == 0.0);
    // no deep counterpart
    let e = DeepNetwork::from_network(&cos_net(1, 1.0), 5).unwrap_err();
    assert!(matches!(&e, TheoryError::Unsupported(m) if m.contains("Cos-net")), "{e}");
    assert!(DeepActivation::try_from(Activation::Cos).is_err());
    // names load, and unknown dimensions do not
    for d in 1..=3 {
        assert!(InputSet::names().contains(&format!("scaling-cos-d{d}")));
        assert_eq!(InputSet::named(&format!("scaling-cos-d{d}")).unwrap().d_in(), d);
    }
    assert!(matches!(InputSet::named("scaling-cos-d4"), Err(TheoryError::UnknownInputSet(_))));
}
