//! The NTK at order `1/n` (`NtkFluctuations`) against exact results: deep linear networks'
//! finite-width NTK moments at one input, and relu's vanishing mean shift on the diagonal.

use nnqft_theory::{DeepActivation, DeepNetwork, InputSet, NtkFluctuations};

/// Largest relative deviation of the extrapolated exact `1/n` coefficients from the recursions
/// (the extrapolation's own error is about `1e-13` here; rounding of the recursions `1e-15`).
const EXTRAPOLATION_TOLERANCE: f64 = 1e-9;

/// Exact moments of a deep linear network's layer at one input (`C_b = λ_b = 0`): `Q = |z|²`,
/// `T = tr Θ`, `U = tr Θ²`, `R = zᵀ Θ z` over the layer's `n` neurons (`Θ` the `n x n` NTK of the
/// layer's pre-activations).
#[derive(Debug, Clone, Copy)]
struct LinearMoments {
    n: f64,
    q: f64,
    t: f64,
    q2: f64,
    qt: f64,
    t2: f64,
    u: f64,
    r: f64,
}

impl LinearMoments {
    /// The input layer: `z⁰ = x` (fixed), `Θ⁰ = 0`.
    fn input(x: &[f64]) -> Self {
        let q = x.iter().map(|v| v * v).sum::<f64>();
        Self { n: x.len() as f64, q, t: 0.0, q2: q * q, qt: 0.0, t2: 0.0, u: 0.0, r: 0.0 }
    }

    /// The next layer of width `n'`: `z' = W z`, `Θ' = (λ_W Q / n) I + W Θ Wᵀ`, rows of `W`
    /// i.i.d. `N(0, σ² I)`, `σ² = C_W / n`. Wick's theorem over one row `w` gives
    /// `E[(w·z)²] = σ² Q`, `E[wᵀΘw] = σ² T`, `E[(w·z)² wᵀΘw] = σ⁴ (Q T + 2R)`,
    /// `E[(wᵀΘw)²] = σ⁴ (T² + 2U)`, and over two rows `i ≠ j` `E[(w_iᵀΘw_j)²] = σ⁴ U`,
    /// `E[(w_i·z) w_iᵀ Θ w_j (w_j·z)] = σ⁴ R`; summing over the `n'` rows (exact at any widths):
    ///
    /// ```text
    /// E[Q'] = σ² n' E[Q],      E[T'] = n' (λ_W / n) E[Q] + σ² n' E[T],      E[Q'²] = σ⁴ n'(n' + 2) E[Q²],
    /// E[Q'T'] = c σ² n' E[Q²] + σ⁴ n' (n' E[QT] + 2 E[R]),                   c = n' λ_W / n,
    /// E[T'²] = c² E[Q²] + 2c σ² n' E[QT] + σ⁴ (n'² E[T²] + 2 n' E[U]),
    /// E[U'] = n' (λ_W / n)² E[Q²] + 2 (λ_W / n) σ² n' E[QT] + σ⁴ n' (E[T²] + (n' + 1) E[U]),
    /// E[R'] = (λ_W / n) σ² n' E[Q²] + σ⁴ n' (E[QT] + (n' + 1) E[R]).
    /// ```
    fn next(self, width: f64, c_w: f64, lambda_w: f64) -> Self {
        let (n, np) = (self.n, width);
        let s2 = c_w / n;
        let s4 = s2 * s2;
        let c = np * lambda_w / n;
        Self {
            n: np,
            q: s2 * np * self.q,
            t: c * self.q + s2 * np * self.t,
            q2: s4 * np * (np + 2.0) * self.q2,
            qt: c * s2 * np * self.q2 + s4 * np * (np * self.qt + 2.0 * self.r),
            t2: c * c * self.q2 + 2.0 * c * s2 * np * self.qt + s4 * (np * np * self.t2 + 2.0 * np * self.u),
            u: np * (lambda_w / n).powi(2) * self.q2
                + 2.0 * lambda_w / n * s2 * np * self.qt
                + s4 * np * (self.t2 + (np + 1.0) * self.u),
            r: lambda_w / n * s2 * np * self.q2 + s4 * np * (self.qt + (np + 1.0) * self.r),
        }
    }
}

/// `(E[Θ], n_L Var(Θ), n_L Cov(Θ, f²))` of one output of a deep linear network, exactly.
fn exact_linear(x: &[f64], widths: &[f64], c_w: f64, lambda_w: f64) -> (f64, f64, f64) {
    let mut layer = LinearMoments::input(x);
    for &w in widths {
        layer = layer.next(w, c_w, lambda_w);
    }
    let out = layer.next(1.0, c_w, lambda_w);
    let n_last = widths[widths.len() - 1];
    (out.t, n_last * (out.t2 - out.t * out.t), n_last * (out.qt - out.t * out.q))
}

/// Richardson's extrapolation to `s → ∞` of values at scales `s_k = s_0 2^k` of a function
/// that is a polynomial in `1/s`.
fn extrapolate(values: &[f64]) -> f64 {
    let mut table = values.to_vec();
    for j in 1..values.len() {
        let factor = 2f64.powi(j as i32);
        for k in (j..values.len()).rev() {
            table[k] = (factor * table[k] - table[k - 1]) / (factor - 1.0);
        }
    }
    table[values.len() - 1]
}

#[test]
fn deep_linear_networks_match_their_exact_finite_width_ntk_moments_at_one_input() {
    let x = [0.6, -1.1];
    for (shape, c_w, lambda_w) in
        [(&[1.0, 1.0][..], 1.0, 1.0), (&[1.0, 2.0, 3.0][..], 1.3, 0.7), (&[2.0, 1.0, 1.0, 3.0][..], 0.8, 1.6)]
    {
        let widths: Vec<usize> = shape.iter().map(|s| (s * 100.0) as usize).collect();
        let net = DeepNetwork::new(DeepActivation::Linear, &widths, c_w, 0.0).unwrap().with_d_in(2).unwrap();
        let inputs = InputSet::new("one", &[x.to_vec()]).unwrap();
        let theory = NtkFluctuations::with_learning_rates(&net, &inputs, lambda_w, 0.0).unwrap();
        let variance = theory.a([0, 0], [0, 0]) + 2.0 * theory.b([0; 4]);
        let cross = theory.d([0, 0], [0, 0]) + 2.0 * theory.f([0; 4]);
        // the mean is the infinite-width value at every width, and the recursion's shift is 0
        let (mean, _, _) = exact_linear(&x, &widths.iter().map(|&w| w as f64).collect::<Vec<_>>(), c_w, lambda_w);
        let theta = theory.ntk().output()[0];
        assert!((mean - theta).abs() <= 1e-13 * theta, "{shape:?}: E[Θ] = {mean} vs {theta}");
        assert_eq!(theory.theta_shift(), vec![0.0]);
        // n_L Var(Θ) and n_L Cov(Θ, f²) at widths s·shape, extrapolated to s → ∞
        let scales: Vec<f64> = (0..6).map(|k| 1000.0 * 2f64.powi(k)).collect();
        let exact: Vec<(f64, f64, f64)> = scales
            .iter()
            .map(|s| exact_linear(&x, &shape.iter().map(|w| w * s).collect::<Vec<_>>(), c_w, lambda_w))
            .collect();
        let var_lo = extrapolate(&exact.iter().map(|e| e.1).collect::<Vec<_>>());
        let cross_lo = extrapolate(&exact.iter().map(|e| e.2).collect::<Vec<_>>());
        let (dv, dc) = ((var_lo - variance).abs() / variance.abs(), (cross_lo - cross).abs() / cross.abs());
        eprintln!(
            "linear {shape:?}: A + 2B = {variance} (exact {var_lo}, {dv:.1e}); D + 2F = {cross} (exact {cross_lo}, {dc:.1e})"
        );
        assert!(dv < EXTRAPOLATION_TOLERANCE, "{shape:?}: A + 2B = {variance} vs exact {var_lo}");
        assert!(dc < EXTRAPOLATION_TOLERANCE, "{shape:?}: D + 2F = {cross} vs exact {cross_lo}");
        // and the residual at finite width is O(1/n): halving when the widths double
        let r: Vec<f64> = exact.iter().map(|e| (e.1 - variance).abs()).collect();
        assert!((r[0] / r[1] - 2.0).abs() < 0.01, "{shape:?}: residual ratio {}", r[0] / r[1]);
    }
}

/// `|T_aa| / Θ_aa` allowed on relu's diagonal (rounding of the recursions).
const RELU_DIAGONAL_TOLERANCE: f64 = 1e-13;

#[test]
fn relu_ntk_has_no_mean_shift_on_the_diagonal_at_any_depth_and_one_off_it() {
    let inputs = InputSet::new("three", &[vec![0.5, -0.3], vec![-1.0, 0.2], vec![0.4, 0.9]]).unwrap();
    for depth in 1..=8 {
        let net = DeepNetwork::with_deep_priors(DeepActivation::Relu, &vec![30; depth]).unwrap().with_d_in(2).unwrap();
        let theory = NtkFluctuations::new(&net, &inputs).unwrap();
        let (t, theta) = (theory.theta_shift(), theory.ntk().output().to_vec());
        let m = inputs.len();
        let mut smallest_off = f64::INFINITY;
        for a in 0..m {
            assert!(
                t[a * m + a].abs() <= RELU_DIAGONAL_TOLERANCE * theta[a * m + a],
                "L = {depth}: T_{a}{a} = {}",
                t[a * m + a]
            );
            for b in 0..a {
                smallest_off = smallest_off.min((t[a * m + b] / theta[a * m + b]).abs());
            }
        }
        eprintln!("relu L = {depth}: smallest |T_ab / Θ_ab| off the diagonal {smallest_off:.3e}");
        // one hidden layer has no shift anywhere; from two on, every pair off the diagonal does
        if depth == 1 {
            assert!(t.iter().all(|v| v.abs() < 1e-15), "L = 1: {t:?}");
        } else {
            assert!(smallest_off > 1e-4, "L = {depth}: {t:?}");
        }
    }
}

/// Largest relative deviation from the odd-network identities: the two sides are different
/// quadratures (one level on the diagonal, two rank-one levels off it). It was first set to
/// `1e-10` and failed at a measured 3e-10 (`L = 2`); it was raised to `1e-8`, which is still far
/// inside the theory's own error estimate (`NtkFluctuations::quadrature_error`, 6e-7 to 9e-7
/// absolute on values of order `1e-2` at `L = 2, 3, 5`), and far below the failure this test
/// was written for (finite differences across the cone's edge gave `T = 5433`).
const ODD_SYMMETRY_TOLERANCE: f64 = 1e-8;

/// An odd network (tanh, `C_b = 0`) maps `-x` to `-f(x)` in every net, so `Θ(x, -x) = -Θ(x, x)`
/// per net and `T(x, -x) = -T(x, x)`, `Cov(Θ(x, -x), Θ(x, x)) = -Var Θ(x, x)`: the antipodal pair
/// sits on the edge of the positive semi-definite cone in every layer, where the derivatives of
/// `⟨φ'_a φ'_b⟩` must come from Price's theorem, not from differences across the edge.
#[test]
fn odd_networks_give_antipodal_inputs_the_opposite_ntk_at_order_one_over_n() {
    let inputs = InputSet::new("antipodal", &[vec![0.7], vec![-0.7], vec![0.3]]).unwrap();
    for depth in [2, 3, 5] {
        let net = DeepNetwork::with_deep_priors(DeepActivation::Tanh, &vec![25; depth]).unwrap();
        let theory = NtkFluctuations::new(&net, &inputs).unwrap();
        let t = theory.theta_shift();
        assert!(t.iter().all(|v| v.is_finite()), "L = {depth}: {t:?}");
        let close = |a: f64, b: f64| (a - b).abs() <= ODD_SYMMETRY_TOLERANCE * b.abs().max(1e-300);
        assert!(close(t[1], -t[0]), "L = {depth}: T(x, -x) = {} vs -T(x, x) = {}", t[1], -t[0]);
        let var = theory.ntk_covariance([0; 4], [0; 4]);
        let anti = theory.ntk_covariance([0; 4], [0, 1, 0, 0]);
        assert!(close(anti, -var), "L = {depth}: {anti} vs {}", -var);
        let cross = theory.ntk_preactivation([0; 4], [0, 1, 2, 2]);
        assert!(close(cross, -theory.ntk_preactivation([0; 4], [0, 0, 2, 2])), "L = {depth}");
        eprintln!("tanh L = {depth}: T(x, x) = {:.9e}, T(x, -x) = {:.9e}, Var {var:.6e}, anti {anti:.6e}", t[0], t[1]);
    }
}

/// Every tensor of `theory` as bits: per layer `l = 1, ..., L + 1` the infinite-width NTK `Θˡ`
/// and the shift `Tˡ`, and the output's `D`, `A` (every pair of pairs), `F`, `B` (every
/// quadruple) and their contractions with one output's indices.
fn bits(theory: &NtkFluctuations) -> Vec<u64> {
    let m = theory.points();
    let depth = theory.network().depth();
    let mut out = Vec::new();
    for l in 1..=depth + 1 {
        out.extend(theory.ntk().layer(l).iter().map(|v| v.to_bits()));
        out.extend(theory.layer_theta_shift(l).iter().map(|v| v.to_bits()));
    }
    out.extend(theory.theta_shift().iter().map(|v| v.to_bits()));
    for q in (0..m.pow(4)).map(|i| [i / (m * m * m), i / (m * m) % m, i / m % m, i % m]) {
        let (ab, cd) = ([q[0], q[1]], [q[2], q[3]]);
        for v in [
            theory.d(ab, cd),
            theory.a(ab, cd),
            theory.f(q),
            theory.b(q),
            theory.ntk_covariance([0; 4], q),
            theory.ntk_preactivation([0; 4], q),
        ] {
            out.push(v.to_bits());
        }
    }
    out
}

/// One build at the largest depth read off at every shallower depth and other widths
/// (`NtkFluctuations::at_widths`, what the NTK study does) gives every tensor of a fresh build
/// of the shallower network bit for bit: closed forms (relu), quadrature (tanh) and quadrature
/// with a bias (gelu at its critical point), at unit widths and at unequal ones.
#[test]
fn one_deep_build_gives_every_shallower_network_bit_for_bit() {
    let inputs = InputSet::new("three", &[vec![-0.6], vec![0.2], vec![1.0]]).unwrap();
    for act in [DeepActivation::Relu, DeepActivation::Tanh, DeepActivation::Gelu] {
        let deepest_net = DeepNetwork::at_criticality(act, &[1; 4]).unwrap();
        let deepest = NtkFluctuations::new(&deepest_net, &inputs).unwrap();
        let unequal = [7, 3, 12, 5];
        for depth in 1..=4 {
            for widths in [vec![1; depth], unequal[..depth].to_vec()] {
                let fresh = NtkFluctuations::new(&deepest_net.with_widths(&widths).unwrap(), &inputs).unwrap();
                let reused = deepest.at_widths(&widths).unwrap();
                assert_eq!(reused.network(), fresh.network(), "{} {widths:?}", act.name());
                assert!(bits(&reused) == bits(&fresh), "{} {widths:?}: a tensor differs", act.name());
                // the error estimate covers every layer of the deepest build
                assert!(reused.quadrature_error() >= fresh.quadrature_error(), "{} {widths:?}", act.name());
            }
        }
        for bad in [vec![], vec![1; 5], vec![3, 0]] {
            let err = deepest.at_widths(&bad).unwrap_err().to_string();
            assert!(err.contains("width"), "{} {bad:?}: {err}", act.name());
        }
    }
}
