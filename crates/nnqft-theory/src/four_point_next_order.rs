//! The connected four-point function of a deep network through order `1/n²` on every multiset
//! of its input set ([`FourPointNextOrder`]): the four-point vertex's own next order, from the
//! kernel shift, the six-point vertex and second derivatives of the four-point expectations.

use crate::deep_network::DeepNetwork;
use crate::error::Result;
use crate::gaussian::{Act, moment, pair_hessian};
use crate::input_set::InputSet;
use crate::kernel_shift::KernelShift;
use crate::monitor::{Monitor, parallel_map};
use crate::multiset::Multisets;
use crate::six_point_vertex::{SixPointVertex, SlotHessian};

/// Third derivatives of a pair's `⟨φ_a φ_b⟩` in its (at most three) pair variables.
type Thirds = [[[f64; 3]; 3]; 3];
use nalgebra::{DMatrix, SymmetricEigen};

/// The covariance of a deep network's output kernel through order `1/n²`, and with it the
/// connected four-point function one order beyond the four-point vertex, on every multiset and
/// output pattern.
///
/// Given the last hidden layer the outputs are Gaussian with covariance `δ_ij Gᴸ⁺¹`, so exactly
/// at any widths
///
/// ```text
/// E[f_i1,a1 f_i2,a2 f_i3,a3 f_i4,a4]_connected = δ_i1i2 δ_i3i4 Cov(G_a1a2, G_a3a4) + δ_i1i3 δ_i2i4 Cov(G_a1a3, G_a2a4) + δ_i1i4 δ_i2i3 Cov(G_a1a4, G_a2a3),
/// ```
///
/// `G = Gᴸ⁺¹`, and `Cov(G_p, G_q) = V_pq / n_L + Σ2_pq + O(1/n³)`: `V` the four-point vertex
/// ([`crate::FourPointVertex`]), `Σ2` its next order, each inverse width its own layer's. On one
/// input `Σ2` is [`crate::OneInputLaw`]'s `C2` (the tests hold the two to each other); this type
/// gives it on every pair of pairs. In the notation of Roberts, Yaida, Hanin, "The Principles of
/// Deep Learning Theory" (arXiv:2106.10165, ch. 4), `V` is `V⁽ℓ⁾` and `Σ2` is the `1/n²` part of
/// the connected four-point correlator, which PDLT names but does not compute beyond one input.
///
/// ```
/// use nnqft_theory::{DeepActivation, DeepNetwork, FourPointNextOrder, InputSet};
/// // relu at criticality, three hidden layers of 20, one input: G = K ∏_l (χ_l / n_l) with
/// // Var(G) / K² = (1 + 5/n)³ − 1 = 15/n + 75/n² + 125/n³, so the 1/n² part of κ4 is 3 · 75 K²/n²
/// let net = DeepNetwork::with_deep_priors(DeepActivation::Relu, &[20, 20, 20])?;
/// let x = InputSet::new("one", &[vec![1.0]])?;
/// let four = FourPointNextOrder::new(&net, &x)?;
/// let k = four.six_point().kernels().output()[0];
/// let next = four.correction_g4([0; 4], [0; 4]);
/// assert!((next - 3.0 * 75.0 * k * k / 400.0).abs() < 1e-9 * next);
/// # Ok::<(), nnqft_theory::TheoryError>(())
/// ```
///
/// # Derivation
///
/// As for the six-point vertex ([`SixPointVertex`], whose notation this follows): with
/// `Gˡ⁺¹_p = C_b + C_W X_p`, `X_p = (1/n_l) Σ_j φ(zˡ_j,a) φ(zˡ_j,b)` for the pair `p = {a, b}`, and
/// the neurons of layer `l` i.i.d. `N(0, g)` given `g = Gˡ`, the law of total covariance gives,
/// exactly,
///
/// ```text
/// Cov(Gˡ⁺¹_p, Gˡ⁺¹_q) = C_W² [ E[C_pq(g)] / n_l + Cov(F_p(g), F_q(g)) ],
/// ```
///
/// `F_p(g) = ⟨Φ_p⟩_g`, `C_pq(g) = ⟨Φ_p Φ_q⟩_g − F_p F_q`. Write `g = Kˡ + δ` with, by induction,
/// `E[δ] = μ` (the kernel shift `Sˡ` of [`KernelShift`], `O(1/n)`), `Cov(δ) = Σ1 + Σ2`
/// (`Σ1 = Vˡ / n_(l−1)`, `Σ2 = O(1/n²)`) and `κ3(δ) = κ = Uˡ / n_(l−1)²`; the fourth cumulant is
/// `O(1/n³)`. Expand `F_p(g) = F_p + D_p δ + ½ δ H_p δ + ⅙ T_p[δ, δ, δ]` about `Kˡ` (`D`, `H`,
/// `T` its first three derivatives in the pair variables `K_s`, one per unordered pair), and keep
/// `1/n²`:
///
/// ```text
/// E[C_pq(g)]      = C_pq + Σ_s ∂_s C_pq μ_s + ½ Σ_(s,t) ∂_s ∂_t C_pq Σ1_st + O(1/n²),
/// Cov(F_p, F_q)   = D_p (Σ1 + Σ2) D_qᵀ
///                 + ½ Σ_(s,t,u) D_ps H_q,tu [κ_stu + 2 μ_t Σ1_su]         + (p ↔ q)
///                 + ¼ Σ H_p,st H_q,uv (Σ1_su Σ1_tv + Σ1_sv Σ1_tu)
///                 + ⅙ Σ D_ps T_q,tuv · 3 Σ1_st Σ1_uv                       + (p ↔ q)  + O(1/n³),
/// ```
///
/// from `Cov(δ_s, δ_t δ_u) = κ_stu + μ_t Σ_su + μ_u Σ_st`, the Gaussian leading parts
/// `Cov(δ_s δ_t, δ_u δ_v) = Σ_su Σ_tv + Σ_sv Σ_tu` and `Cov(δ_s, δ_t δ_u δ_v) = Σ_st Σ_uv + Σ_su Σ_tv + Σ_sv Σ_tu`.
/// The `1/n` parts are the vertex's recursion, `Σ1ˡ⁺¹ = C_W² [C / n_l + D Σ1 Dᵀ]`; the rest is
///
/// ```text
/// Σ2ˡ⁺¹_pq = C_W² [ (Σ_s ∂_s C_pq μ_s + ½ tr(∂²C_pq Σ1)) / n_l  +  (D Σ2 Dᵀ)_pq
///                   + ½ Σ (D_ps H_q,tu + D_qs H_p,tu) κ_stu  +  (w_p H_q μ + w_q H_p μ)
///                   + ½ tr(H_p Σ1 H_q Σ1)  +  ½ (T_q[w_p, Σ1] + T_p[w_q, Σ1]) ],
/// ```
///
/// `w_p = Σ1 D_pᵀ` (a vector over the pairs), from `Σ2² = 0` (the first layer's kernel is not
/// random, so `Σ1² = V² / n_1` exactly). On one input it is, term by term, [`crate::OneInputLaw`]'s
/// `C2' = (s' μ1 + ½ s'' C1) / n + f'² C2 + f' f'' (T2 + 2 C1 μ1) + ½ f''² C1² + f' f''' C1²`.
///
/// **The mean's next order** ([`Self::shift_correction`]), which the two-point function and an
/// action at order `1/n²` need: `E[Gˡ⁺¹_p] = C_b + C_W E[F_p(g)]` with
/// `E[δ_s δ_t] = Σ_st + μ_s μ_t`, `E[δ_s δ_t δ_u] = κ_stu + (μ_s Σ_tu + μ_t Σ_su + μ_u Σ_st)` and
/// `E[δ⁴] = 3 Σ1 Σ1` (symmetrised) to order `1/n²`, so beyond the shift `S = μ1` (whose recursion
/// is [`KernelShift`]'s)
///
/// ```text
/// μ2ˡ⁺¹_p = C_W [ D_p μ2 + ½ tr(H_p Σ2) + ½ μ1 H_p μ1 + ⅙ T_p:κ + ½ T_p[μ1, Σ1] + ⅛ Q_p[Σ1, Σ1] ],
/// ```
///
/// from `μ2² = 0`, `Q_p` the fourth derivatives of `F_p`; on one input, term by term, the
/// one-input law's `μ2' = f' μ2 + ½ f'' (C2 + μ1²) + ⅙ f''' (T2 + 3 C1 μ1) + ⅛ f'''' C1²`.
/// `Q_p[Σ1, Σ1] = Σ_k λ_k ∂²/∂ε² tr(H_p(K + ε u_k) Σ1)` over the eigenpairs of `Σ1` on the pair's
/// variables, by second differences of the Hessian as below.
///
/// **The derivatives.** `∂_s C_pq`, `D`, `H` are those of the six-point vertex and the kernel
/// shift (Price's theorem, closed forms where they exist). Two are new, both by central
/// differences of the quadrature, Richardson-extrapolated from steps `h` and `2h`, the
/// difference of the two plus the quadrature's own error magnified by `1/h²` (`1/h` for `T`)
/// being their error estimate:
/// - `½ tr(∂²C_pq Σ1)` takes `∂²(F_p F_q)` from `D`, `H` and differences only the four-point
///   moment `M_pq = ⟨Φ_p Φ_q⟩`: `½ tr(∂²M Σ1) = ½ Σ_k λ_k ∂²M/∂ε²` along the eigenvectors `u_k`
///   of `Σ1` restricted to the pair variables of the moment's distinct points (at most ten), one
///   moment per multiset of order 4. The step keeps the perturbed kernel positive semi-definite
///   on those points (it shrinks until it does; the directions the kernel fluctuates in are the
///   directions it can move in, so a singular kernel, e.g. relu's collinear inputs at `C_b = 0`,
///   is stepped along them); a direction it cannot step along gets an infinite error.
/// - `T_p`, the third derivatives of `⟨φ_a φ_b⟩` in `(K_aa, K_bb, K_ab)`, differences the Hessian
///   `H`; relu's is 0 on its degenerate cone (`θ = 0` or `π`), where `F` is linear along the
///   directions the kernel fluctuates in (as for `H`, [`KernelShift`]).
///
/// The results' estimated errors ([`Self::correction_error`], [`Self::shift_correction_error`])
/// carry these and the quadrature errors of `∂C`, `H`, with their sizes, through the
/// recursions to first order.
///
/// # Checks
///
/// The tests hold it to: the one-input law on one input for eight activations and cases
/// (within `2e-6` of `C2`, the differences' truncation; every one of the five kinds of term
/// moves some case past that if dropped); deep linear networks' exact Wishart recursion on
/// every pair of pairs of three points in two dimensions, to rounding; inputs duplicated in
/// value (every pattern over them is the one-input `C2`: tanh, erf, relu); relu's collinear
/// inputs at `C_b = 0` (singular kernels, stepped along their fluctuations). Against Monte
/// Carlo (`nnqft sample --widths n,n --d-out 2`, conditional estimator, `40 x 10⁷` nets at
/// `n = 32, 64`, `40 x 2·10⁶` at `8, 16`; relu `C_W = 2`, `C_b = 0.1`, inputs `0.5, −0.9`, two
/// hidden layers; `Cov(G_ab, G_cd)` is the output pattern `(0, 0, 1, 1)`, measured once while
/// this was written): on `[0,0,0,0]`, `[0,0,1,1]`, `[0,1,0,1]`, `[1,1,1,1]` the vertex term
/// alone is 3 to 390 standard errors off at `n = 8 ... 64` and the vertex term plus `Σ2`
/// within 2.2. On `[0,0,0,1]` the higher orders are large (the `1/n²` coefficient `−0.411` is a
/// sum of `+0.22`, `−0.93`, `+0.31`): `n² (κ4 − V/n) = −0.587, −0.518, −0.471, −0.427` (standard
/// errors `0.009, 0.018, 0.020, 0.064`) at `n = 8, 16, 32, 64`, whose fit `A + c3/n + c4/n²`
/// gives `A = −0.409 ± 0.055` (`A + c3/n` alone: `−0.435 ± 0.021`).
#[derive(Debug, Clone)]
pub struct FourPointNextOrder {
    six: SixPointVertex,
    shift: KernelShift,
    /// `Σ1ᴸ⁺¹ = Vᴸ⁺¹ / n_L`, row-major `P x P` over the pairs.
    leading: Vec<f64>,
    /// `Σ2ᴸ⁺¹`, row-major `P x P`.
    next: Vec<f64>,
    next_error: f64,
    /// `μ2ᴸ⁺¹`, the next order of `E[Gᴸ⁺¹] − K` over the pairs, and its estimated error.
    mean_next: Vec<f64>,
    mean_next_error: f64,
}

impl FourPointNextOrder {
    /// The covariance of `net`'s output kernel on `inputs` through order `1/n²` (the inputs'
    /// dimension must be the network's; at most 12 points, the six-point vertex's limit).
    pub fn new(net: &DeepNetwork, inputs: &InputSet) -> Result<Self> {
        Self::with_monitor(net, inputs, &())
    }

    /// [`Self::new`] under `monitor`, asked before each group of Gaussian expectations whether to
    /// stop. The same numbers, bit for bit.
    pub fn with_monitor(net: &DeepNetwork, inputs: &InputSet, monitor: &dyn Monitor) -> Result<Self> {
        let six = SixPointVertex::with_monitor(net, inputs, monitor)?;
        let act = Act::Known(net.activation());
        let shift = KernelShift::build(six.four_point().clone(), act, monitor)?;
        let widths = net.widths().to_vec();
        let four = six.four_point();
        let pairs = four.pairs().clone();
        let p = pairs.len();
        let m = inputs.len();
        let c_w2 = net.c_w() * net.c_w();
        let vertices = four.layer_vertices(&widths); // V², ..., Vᴸ⁺¹
        let vertex_errors = four.layer_vertex_errors(&widths);
        let sixes = six.layer_vertices(&widths); // U², ..., Uᴸ⁺¹
        let quads = four.multisets().clone();
        let mut next = vec![0.0; p * p];
        let mut next_error = 0.0f64;
        // μ2ˡ, the shift's next order over the pairs (0 at l = 1, 2), and its error
        let mut mean_next = vec![0.0; p];
        let mut mean_next_error = 0.0f64;
        for l in 2..=net.depth() {
            let n_prev = widths[l - 2] as f64;
            let n_l = widths[l - 1] as f64;
            let sigma: Vec<f64> = vertices[l - 2].iter().map(|v| v / n_prev).collect();
            let sigma_error = vertex_errors[l - 2] / n_prev;
            let kappa: Vec<f64> = sixes[l - 2].iter().map(|u| u / (n_prev * n_prev)).collect();
            let mu_square = shift.layer_shift(l);
            let mu: Vec<f64> = pairs.iter().map(|s| mu_square[s[0] as usize * m + s[1] as usize]).collect();
            let mu_error = shift.layer_shift_error(l).iter().fold(0.0f64, |a, &b| a.max(b));
            let k = four.kernels().layer(l);
            let means = &four.kernels().pair_means[l - 1];
            let f: Vec<f64> = pairs.iter().map(|s| means[s[0] as usize * m + s[1] as usize]).collect();
            let d = four.layer_gradient(l);
            let grad = six.layer_fluctuation_gradient(l);
            let hess = six.layer_hessians(l);
            let [_, grad_err, hess_err] = six.layer_errors(l);
            // ½ tr(∂²M Σ1) per multiset of order 4, and T per pair
            let curvature = parallel_map(quads.len(), monitor, |pos| {
                let idx: Vec<usize> = quads.get(pos).iter().map(|&i| usize::from(i)).collect();
                moment_curvature(act, k, m, &idx, &pairs, &sigma)
            })?;
            let curvature_err = curvature.iter().fold(0.0f64, |a, c| a.max(c.1));
            // w = Σ1 Dᵀ: w[t][p] = Σ_s Σ1_ts D_ps
            let mut w = vec![0.0; p * p];
            for t in 0..p {
                for q in 0..p {
                    w[t * p + q] = (0..p).map(|s| sigma[t * p + s] * d[q * p + s]).sum();
                }
            }
            let pair_kernel = |q: usize| {
                let s = pairs.get(q);
                let (a, b) = (usize::from(s[0]), usize::from(s[1]));
                ([k[a * m + a], k[b * m + b], k[a * m + b]], a == b)
            };
            let thirds: Vec<Option<(Thirds, f64)>> = (0..p)
                .map(|q| {
                    let (x, same) = pair_kernel(q);
                    pair_third_derivatives(act, x, same)
                })
                .collect();
            let mut third_err = thirds.iter().flatten().fold(0.0f64, |a, t| a.max(t.1));
            // T_q[w_i, Σ1]: from the full third derivatives, or on a singular pair as the
            // derivative of tr(H_q Σ1) along w_i
            let third_term = |q: usize, i: usize| -> (f64, f64) {
                match &thirds[q] {
                    Some((t, _)) => (t_w_sigma(t, &hess[q], &w, &sigma, i, p), 0.0),
                    None => {
                        let (x, same) = pair_kernel(q);
                        directional_third(act, x, same, &hess[q], &w, &sigma, (i, p))
                    }
                }
            };
            // D Σ2 Dᵀ
            let mut tmp = vec![0.0; p * p];
            for i in 0..p {
                for j in 0..p {
                    // over D's nonzero entries only: a NaN (an entry out of the differences' reach)
                    // stays in the entries it belongs to
                    tmp[i * p + j] =
                        (0..p).filter(|&r| d[j * p + r] != 0.0).map(|r| next[i * p + r] * d[j * p + r]).sum();
                }
            }
            let mut propagated = vec![0.0; p * p];
            for i in 0..p {
                for j in 0..p {
                    propagated[i * p + j] =
                        (0..p).filter(|&r| d[i * p + r] != 0.0).map(|r| d[i * p + r] * tmp[r * p + j]).sum();
                }
            }
            let mut sizes = Sizes::of([&sigma, &w, &mu, &kappa, d, &f], hess, grad, p);
            sizes.t = thirds
                .iter()
                .flatten()
                .flat_map(|(t, _)| t.iter().flatten().flatten())
                .fold(0.0f64, |a, b| a.max(b.abs()));
            let mut layer = vec![0.0; p * p];
            for i in 0..p {
                for j in i..p {
                    let pi = pairs.get(i);
                    let pj = pairs.get(j);
                    let idx = [pi[0], pi[1], pj[0], pj[1]].map(usize::from);
                    let c2m = curvature[quads.position(&idx).unwrap_or(0)].0;
                    // ½ tr(∂²(F_p F_q) Σ1) = ½ F_q tr(H_p Σ1) + ½ F_p tr(H_q Σ1) + D_p Σ1 D_qᵀ
                    let c2f = 0.5 * f[j] * trace_h_sigma(&hess[i], &sigma, p)
                        + 0.5 * f[i] * trace_h_sigma(&hess[j], &sigma, p)
                        + (0..p).map(|s| d[i * p + s] * w[s * p + j]).sum::<f64>();
                    let first: f64 = grad[i * p + j].iter().map(|&(s, g)| g * mu[s]).sum();
                    let mut x = (first + c2m - c2f) / n_l + propagated[i * p + j];
                    x += 0.5 * (dh_kappa(d, &hess[j], &kappa, i, p) + dh_kappa(d, &hess[i], &kappa, j, p));
                    x += w_h_mu(&w, &hess[j], &mu, i, p) + w_h_mu(&w, &hess[i], &mu, j, p);
                    x += 0.5 * h_sigma_h_sigma(&hess[i], &hess[j], &sigma, p);
                    let ((tj, ej), (ti, ei)) = (third_term(j, i), third_term(i, j));
                    third_err = third_err.max(ej).max(ei);
                    x += 0.5 * (tj + ti);
                    layer[i * p + j] = c_w2 * x;
                    layer[j * p + i] = c_w2 * x;
                }
            }
            // first-order error: the new derivatives, the quadratures of ∂C and H, V's and the
            // shift's propagated errors, each times the largest size of what it multiplies
            let local = curvature_err
                + grad_err * 10.0 * sizes.mu
                + sizes.grad * 10.0 * mu_error
                + hess_err * 9.0 * (sizes.f + 1.0) * sizes.sigma
                + sizes.d * sizes.d * p as f64 * sigma_error;
            let nonlocal = hess_err
                * (27.0 * sizes.d * sizes.kappa + 18.0 * sizes.w * sizes.mu + 81.0 * sizes.sigma.powi(2) * sizes.h)
                + third_err * 54.0 * sizes.w * sizes.sigma
                + sizes.h * 18.0 * sizes.w * mu_error
                + 81.0 * sizes.h * sizes.h * sizes.sigma * sigma_error
                + sizes.d_norm * sigma_error * (18.0 * sizes.h * sizes.mu + 27.0 * sizes.t * sizes.sigma)
                + 27.0 * sizes.t * sizes.w * sigma_error;
            // the mean's next order, μ2ˡ⁺¹ (type docs), from this layer's Σ2ˡ (`next`, not yet
            // replaced) and μ2ˡ
            let c_w = net.c_w();
            let mut mean_layer = vec![0.0; p];
            let mut mean_err = 0.0f64;
            for q in 0..p {
                let (x, same) = pair_kernel(q);
                let (slots, used, h) = &hess[q];
                let used = *used;
                let block = |t: &[f64], a: usize, b: usize| t[slots[a] * p + slots[b]];
                let propagated: f64 =
                    (0..p).filter(|&s| d[q * p + s] != 0.0).map(|s| d[q * p + s] * mean_next[s]).sum();
                let mut quadratic = 0.0;
                for a in 0..used {
                    for b in 0..used {
                        quadratic += h[a][b] * (0.5 * block(&next, b, a) + 0.5 * mu[slots[a]] * mu[slots[b]]);
                    }
                }
                let sigma_q =
                    [0, 1, 2].map(|a| [0, 1, 2].map(|b| if a < used && b < used { block(&sigma, a, b) } else { 0.0 }));
                let kappa_q = |a: usize, b: usize, c: usize| kappa[(slots[a] * p + slots[b]) * p + slots[c]];
                let mu_q = [0, 1, 2].map(|a| if a < used { mu[slots[a]] } else { 0.0 });
                // the eigenpairs of Σ1 on the pair's variables that carry its fluctuations
                let (values, vectors) = eigen_block(&sigma_q, used);
                let largest = values.iter().fold(0.0f64, |a, &b| a.max(b));
                let modes: Vec<(f64, [f64; 3])> =
                    values.iter().zip(&vectors).filter(|(l, _)| **l > 1e-13 * largest).map(|(&l, &v)| (l, v)).collect();
                // ⅙ T:κ and ½ T[μ1, Σ1]
                let (cubic, cubic_err) = match &thirds[q] {
                    Some((t, e)) => {
                        let mut v = 0.0;
                        for a in 0..used {
                            for b in 0..used {
                                for c in 0..used {
                                    v += t[a][b][c] * (kappa_q(a, b, c) / 6.0 + 0.5 * mu_q[a] * sigma_q[b][c]);
                                }
                            }
                        }
                        (v, *e * (sizes.kappa + sizes.mu * sizes.sigma) * 27.0)
                    }
                    None => {
                        // along the fluctuations' eigenvectors b_c: T:κ = Σ_c ∂_(b_c) tr(H κ(·,·,b_c))
                        let mut v = 0.0;
                        let mut e = 0.0;
                        for &(_, dir) in &modes {
                            let mut slice = [[0.0; 3]; 3];
                            for a in 0..used {
                                for b in 0..used {
                                    slice[a][b] = (0..used).map(|c| kappa_q(a, b, c) * dir[c]).sum::<f64>() / 6.0;
                                }
                            }
                            let (t, te) = hessian_trace_derivative(act, x, same, used, dir, &slice, false);
                            v += t;
                            e += te;
                        }
                        let half_sigma = sigma_q.map(|r| r.map(|y| 0.5 * y));
                        let (t, te) = hessian_trace_derivative(act, x, same, used, mu_q, &half_sigma, false);
                        (v + t, e + te)
                    }
                };
                // ⅛ Q[Σ1, Σ1] = ⅛ Σ_k λ_k ∂²_(u_k) tr(H Σ1)
                let mut quartic = 0.0;
                let mut quartic_err = 0.0;
                for &(lambda, dir) in &modes {
                    let scaled = sigma_q.map(|r| r.map(|y| 0.125 * lambda * y));
                    let (v, e) = hessian_trace_derivative(act, x, same, used, dir, &scaled, true);
                    quartic += v;
                    quartic_err += e;
                }
                mean_err = mean_err.max(
                    cubic_err
                        + quartic_err
                        + hess_err * 9.0 * (sizes.sigma + sizes.mu * sizes.mu)
                        + 9.0 * sizes.h * sizes.mu * mu_error
                        + 27.0 * sizes.t * (mu_error * sizes.sigma + sizes.mu * sigma_error),
                );
                mean_layer[q] = c_w * (propagated + quadratic + cubic + quartic);
            }
            mean_next_error = c_w * (sizes.d_norm * mean_next_error + mean_err + 4.5 * sizes.h * next_error);
            mean_next = mean_layer;
            next_error = c_w2 * (local / n_l + sizes.d_norm * sizes.d_norm * next_error + nonlocal);
            next = layer;
        }
        let leading: Vec<f64> = vertices.last().map_or(vec![0.0; p * p], |v| {
            let n_last = widths[widths.len() - 1] as f64;
            v.iter().map(|x| x / n_last).collect()
        });
        Ok(Self { six, shift, leading, next, next_error, mean_next, mean_next_error })
    }

    /// The six-point vertex this is built from (with the four-point vertex and the kernels).
    pub fn six_point(&self) -> &SixPointVertex {
        &self.six
    }
    /// The kernel shift this is built from.
    pub fn kernel_shift(&self) -> &KernelShift {
        &self.shift
    }

    /// The pair-of-pairs covariance `p = {a, b}`, `q = {c, d}` from a `P x P` table.
    fn pair_entry(&self, table: &[f64], [a, b]: [usize; 2], [c, d]: [usize; 2]) -> f64 {
        let pairs = self.six.four_point().pairs();
        let p = pairs.len();
        let at = |x: usize, y: usize| {
            pairs.position(&[x.min(y), x.max(y)]).unwrap_or_else(|| panic!("a point of {x}, {y} is out of range"))
        };
        let (i, j) = (at(a, b), at(c, d));
        table[i * p + j]
    }

    /// `Σ_3 δδ X` over the pairings of the outputs (the type's first equation) for a `P x P`
    /// table `X`.
    fn pairings(&self, table: &[f64], o: [usize; 4], a: [usize; 4]) -> f64 {
        [(0, 1, 2, 3), (0, 2, 1, 3), (0, 3, 1, 2)]
            .iter()
            .filter(|&&(w, x, y, z)| o[w] == o[x] && o[y] == o[z])
            .map(|&(w, x, y, z)| self.pair_entry(table, [a[w], a[x]], [a[y], a[z]]))
            .sum()
    }

    /// The `1/n²` part `Σ_3 δδ Σ2` of the connected four-point function
    /// `E[f_o0(x_a0) f_o1(x_a1) f_o2(x_a2) f_o3(x_a3)]_connected` (type docs; each inverse width
    /// its own layer's). Panics if a point is out of range (`< m`).
    pub fn correction_g4(&self, outputs: [usize; 4], points: [usize; 4]) -> f64 {
        self.pairings(&self.next, outputs, points)
    }

    /// The connected four-point function through order `1/n²`: the vertex term
    /// `Σ_3 δδ V / n_L` plus [`Self::correction_g4`].
    pub fn connected_g4(&self, outputs: [usize; 4], points: [usize; 4]) -> f64 {
        self.pairings(&self.leading, outputs, points) + self.correction_g4(outputs, points)
    }

    /// The two-point function's next order: `μ2 = E[Gᴸ⁺¹] − K − S` at order `1/n²` (type docs),
    /// row-major `m x m`, so `E[f_i(x_a) f_j(x_b)] = δ_ij (K + S + μ2)_ab + O(1/n³)` with `S` the
    /// shift of [`Self::kernel_shift`].
    pub fn shift_correction(&self) -> Vec<f64> {
        let pairs = self.six.four_point().pairs();
        let m = self.six.kernels().points();
        let mut out = vec![0.0; m * m];
        for (i, pr) in pairs.iter().enumerate() {
            let (a, b) = (usize::from(pr[0]), usize::from(pr[1]));
            out[a * m + b] = self.mean_next[i];
            out[b * m + a] = self.mean_next[i];
        }
        out
    }

    /// The estimated error of each entry of [`Self::shift_correction`] (the largest).
    pub fn shift_correction_error(&self) -> f64 {
        self.mean_next_error
    }

    /// The estimated error of each entry of `Σ2` (the largest; three of them make the bound of
    /// [`Self::correction_g4`]), propagated to first order (type docs).
    pub fn correction_error(&self) -> f64 {
        self.next_error
    }
}

/// The largest sizes of a layer's terms, for the error estimate.
struct Sizes {
    sigma: f64,
    w: f64,
    mu: f64,
    kappa: f64,
    d: f64,
    d_norm: f64,
    h: f64,
    f: f64,
    grad: f64,
    /// The largest third derivative of a pair mean (set once they are known).
    t: f64,
}

impl Sizes {
    fn of(
        [sigma, w, mu, kappa, d, f]: [&[f64]; 6],
        hess: &[SlotHessian],
        grad: &[Vec<(usize, f64)>],
        p: usize,
    ) -> Self {
        let max = |v: &[f64]| v.iter().fold(0.0f64, |a, b| a.max(b.abs()));
        let d_norm = (0..p).map(|i| (0..p).map(|j| d[i * p + j].abs()).sum::<f64>()).fold(0.0, f64::max);
        let h = hess.iter().flat_map(|(_, _, h)| h.iter().flatten()).fold(0.0f64, |a, b| a.max(b.abs()));
        let grad = grad.iter().flatten().fold(0.0f64, |a, &(_, g)| a.max(g.abs()));
        Self {
            sigma: max(sigma),
            w: max(w),
            mu: max(mu),
            kappa: max(kappa),
            d: max(d),
            d_norm,
            h,
            f: max(f),
            grad,
            t: 0.0,
        }
    }
}

/// `tr(H_p Σ1) = Σ_(x,y) H_p,xy Σ1_(slot y)(slot x)`.
fn trace_h_sigma(h: &SlotHessian, sigma: &[f64], p: usize) -> f64 {
    let (slots, used, m) = h;
    let mut sum = 0.0;
    for x in 0..*used {
        for y in 0..*used {
            sum += m[x][y] * sigma[slots[y] * p + slots[x]];
        }
    }
    sum
}

/// `Σ_(s,t,u) D_is H_q,tu κ_stu`.
fn dh_kappa(d: &[f64], hq: &SlotHessian, kappa: &[f64], i: usize, p: usize) -> f64 {
    let (slots, used, h) = hq;
    let mut sum = 0.0;
    for s in 0..p {
        let ds = d[i * p + s];
        if ds == 0.0 {
            continue;
        }
        for x in 0..*used {
            for y in 0..*used {
                sum += ds * h[x][y] * kappa[(s * p + slots[x]) * p + slots[y]];
            }
        }
    }
    sum
}

/// `w_i H_q μ = Σ_(t,u) w[t][i] H_q,tu μ_u`.
fn w_h_mu(w: &[f64], hq: &SlotHessian, mu: &[f64], i: usize, p: usize) -> f64 {
    let (slots, used, h) = hq;
    let mut sum = 0.0;
    for x in 0..*used {
        for y in 0..*used {
            sum += w[slots[x] * p + i] * h[x][y] * mu[slots[y]];
        }
    }
    sum
}

/// `tr(H_p Σ1 H_q Σ1) = Σ H_p,st Σ1_tu H_q,uv Σ1_vs`.
fn h_sigma_h_sigma(hp: &SlotHessian, hq: &SlotHessian, sigma: &[f64], p: usize) -> f64 {
    let (sp, up, a) = hp;
    let (sq, uq, b) = hq;
    let mut sum = 0.0;
    for s in 0..*up {
        for t in 0..*up {
            for u in 0..*uq {
                for v in 0..*uq {
                    sum += a[s][t] * sigma[sp[t] * p + sq[u]] * b[u][v] * sigma[sq[v] * p + sp[s]];
                }
            }
        }
    }
    sum
}

/// `T_q[w_i, Σ1] = Σ_(t,u,v) w[t][i] T_q,tuv Σ1_uv` over `q`'s slots.
fn t_w_sigma(t: &Thirds, hq: &SlotHessian, w: &[f64], sigma: &[f64], i: usize, p: usize) -> f64 {
    let (slots, used, _) = hq;
    let mut sum = 0.0;
    for x in 0..*used {
        for y in 0..*used {
            for z in 0..*used {
                sum += w[slots[x] * p + i] * t[x][y][z] * sigma[slots[y] * p + slots[z]];
            }
        }
    }
    sum
}

/// `½ tr(∂²M Σ1)` for the moment `M = ⟨∏ φ(z_i)⟩` over `indices` (repeats allowed), by central
/// differences along the eigenvectors of `Σ1` restricted to the pair variables of its distinct
/// points (type docs), with its error estimate.
fn moment_curvature(
    act: Act<'_>,
    kernel: &[f64],
    m: usize,
    indices: &[usize],
    pairs: &Multisets,
    sigma: &[f64],
) -> (f64, f64) {
    let p = pairs.len();
    let mut pts: Vec<usize> = indices.to_vec();
    pts.sort_unstable();
    pts.dedup();
    let dim = pts.len();
    // the pair variables of the distinct points and their positions among the pairs
    let mut vars: Vec<(usize, usize, usize)> = Vec::new();
    for (x, &e) in pts.iter().enumerate() {
        for &f in &pts[x..] {
            vars.push((e, f, pairs.position(&[e, f]).unwrap_or(0)));
        }
    }
    let nv = vars.len();
    let block = DMatrix::from_fn(nv, nv, |r, c| sigma[vars[r].2 * p + vars[c].2]);
    let largest = block.iter().fold(0.0f64, |a, b| a.max(b.abs()));
    if largest == 0.0 {
        return (0.0, 0.0);
    }
    let local = |k: &[f64]| DMatrix::from_fn(dim, dim, |r, c| k[pts[r] * m + pts[c]]);
    let scale = (0..dim).fold(0.0f64, |a, r| a.max(kernel[pts[r] * m + pts[r]].abs())).max(f64::MIN_POSITIVE);
    let floor = {
        let e = SymmetricEigen::new(local(kernel)).eigenvalues;
        e.iter().fold(f64::INFINITY, |a, &b| a.min(b))
    };
    let eigen = SymmetricEigen::new(block);
    let center = moment(act, kernel, m, indices);
    let (mut value, mut error) = (0.0, 0.0);
    for (k, &lambda) in eigen.eigenvalues.iter().enumerate() {
        if lambda <= 1e-13 * largest {
            continue;
        }
        let u = eigen.eigenvectors.column(k);
        let shifted = |t: f64| {
            let mut kk = kernel.to_vec();
            for (v, &(e, f, _)) in vars.iter().enumerate() {
                kk[e * m + f] += t * u[v];
                if e != f {
                    kk[f * m + e] += t * u[v];
                }
            }
            kk
        };
        // the largest step (from 2 % of the kernel's scale, quartered) whose ±2h kernels stay
        // positive semi-definite within rounding and, where the kernel is regular, keep half
        // its smallest eigenvalue
        let admissible = |h: f64| {
            [2.0 * h, -2.0 * h].iter().all(|&t| {
                let e = SymmetricEigen::new(local(&shifted(t))).eigenvalues;
                let low = e.iter().fold(f64::INFINITY, |a, &b| a.min(b));
                low >= -1e-10 * scale && (floor <= 1e-8 * scale || low >= 0.5 * floor)
            })
        };
        let mut h = 0.02 * scale;
        let mut tries = 0;
        while !admissible(h) && tries < 12 {
            h *= 0.25;
            tries += 1;
        }
        if !admissible(h) {
            return (f64::NAN, f64::INFINITY);
        }
        let at = |t: f64| moment(act, &shifted(t), m, indices);
        let (p1, m1, p2, m2) = (at(h), at(-h), at(2.0 * h), at(-2.0 * h));
        let d1 = (p1.value - 2.0 * center.value + m1.value) / (h * h);
        let d2 = (p2.value - 2.0 * center.value + m2.value) / (4.0 * h * h);
        let quad = [center, p1, m1, p2, m2].iter().fold(0.0f64, |a, e| a.max(e.error));
        value += 0.5 * lambda * (4.0 * d1 - d2) / 3.0;
        error += 0.5 * lambda * ((d1 - d2).abs() / 3.0 + 8.0 * quad / (h * h));
    }
    (value, error)
}

/// The third derivatives of `F = ⟨φ_a φ_b⟩` in `(K_aa, K_bb, K_ab)` (one point, `same`: `d³F/dK_aa³`
/// in `[0][0][0]`), by Richardson-extrapolated central differences of the Hessian, with the
/// largest error estimate (type docs); `None` where the pair's kernel is singular (no room to
/// step in every variable: [`directional_third`] steps along the fluctuations instead).
fn pair_third_derivatives(act: Act<'_>, [kaa, kbb, kab]: [f64; 3], same: bool) -> Option<(Thirds, f64)> {
    use crate::gaussian::UPPER;
    let mut out: Thirds = [[[0.0; 3]; 3]; 3];
    let vars = if same { 1 } else { 3 };
    let singular = !same && (kaa <= 0.0 || kbb <= 0.0 || kaa * kbb - kab * kab <= 1e-12 * kaa * kbb);
    if matches!(act, Act::Known(crate::DeepActivation::Linear))
        || singular && matches!(act, Act::Known(crate::DeepActivation::Relu))
    {
        return Some((out, 0.0));
    }
    if singular || same && kaa <= 0.0 {
        return None;
    }
    let point = [kaa, kbb, kab];
    let scale = if same { kaa.abs() } else { (kaa * kbb).abs().sqrt() };
    let inside = |x: [f64; 3]| x[0] > 0.0 && (same || x[1] > 0.0 && x[0] * x[1] - x[2] * x[2] > 0.0);
    let mut error = 0.0f64;
    for z in 0..vars {
        let moved = |t: f64| {
            let mut x = point;
            x[z] += t;
            x
        };
        let mut h = 0.01 * scale;
        let mut tries = 0;
        while !(inside(moved(2.0 * h)) && inside(moved(-2.0 * h))) && tries < 12 {
            h *= 0.25;
            tries += 1;
        }
        if !(inside(moved(2.0 * h)) && inside(moved(-2.0 * h))) {
            return None;
        }
        let hess = |t: f64| {
            let x = moved(t);
            pair_hessian(act, x[0], x[1], x[2], same)
        };
        let ((a1, e1), (b1, f1), (a2, e2), (b2, f2)) = (hess(h), hess(-h), hess(2.0 * h), hess(-2.0 * h));
        let quad = e1.max(f1).max(e2).max(f2);
        for (n, &(x, y)) in UPPER.iter().enumerate() {
            if x >= vars || y >= vars {
                continue;
            }
            let d1 = (a1[n] - b1[n]) / (2.0 * h);
            let d2 = (a2[n] - b2[n]) / (4.0 * h);
            let v = (4.0 * d1 - d2) / 3.0;
            error = error.max((d1 - d2).abs() / 3.0 + quad / h);
            out[x][y][z] = v;
            out[y][x][z] = v;
        }
    }
    Some((out, error))
}

/// `T_q[w_i, Σ1]` on a pair `q` whose kernel is singular: the derivative of `tr(H_q Σ1)` along
/// `w_i` (restricted to `q`'s variables), with its error estimate. The kernel fluctuates only
/// along directions that keep it positive semi-definite, and `w_i = Σ1 D_iᵀ` is one of them.
fn directional_third(
    act: Act<'_>,
    x: [f64; 3],
    same: bool,
    hq: &SlotHessian,
    w: &[f64],
    sigma: &[f64],
    (i, p): (usize, usize),
) -> (f64, f64) {
    let (slots, used, _) = hq;
    let dir = [0, 1, 2].map(|v| if v < *used { w[slots[v] * p + i] } else { 0.0 });
    let block =
        [0, 1, 2].map(|a| [0, 1, 2].map(|b| if a < *used && b < *used { sigma[slots[b] * p + slots[a]] } else { 0.0 }));
    hessian_trace_derivative(act, x, same, *used, dir, &block, false)
}

/// The first (`second = false`) or second derivative of `tr(H(K + t u) B)` in `t` at 0 for a
/// pair with kernel `x = (K_aa, K_bb, K_ab)` and `u`, `B` over its `used` variables, by
/// Richardson-extrapolated central differences of the pair Hessian (steps `h`, `2h`, `h` from
/// 1 % of the kernel's scale, quartered until the steps stay in the positive semi-definite cone
/// within rounding), with their error estimate: the two steps' difference plus the Hessians'
/// own errors magnified by `1/h` (`1/h²`).
fn hessian_trace_derivative(
    act: Act<'_>,
    x: [f64; 3],
    same: bool,
    used: usize,
    u: [f64; 3],
    b: &[[f64; 3]; 3],
    second: bool,
) -> (f64, f64) {
    use crate::gaussian::UPPER;
    let size = u[..used].iter().fold(0.0f64, |a, v| a.max(v.abs()));
    if size == 0.0 {
        return (0.0, 0.0);
    }
    let scale = x[0].abs().max(x[1].abs()).max(f64::MIN_POSITIVE);
    let moved = |t: f64| {
        let mut y = x;
        for v in 0..used {
            y[v] += t * u[v];
        }
        y
    };
    let inside = |y: [f64; 3]| y[0] > 0.0 && (same || y[1] > 0.0 && y[0] * y[1] - y[2] * y[2] >= -1e-10 * y[0] * y[1]);
    let mut h = 0.01 * scale / size;
    let mut tries = 0;
    while !(inside(moved(2.0 * h)) && inside(moved(-2.0 * h))) && tries < 12 {
        h *= 0.25;
        tries += 1;
    }
    if !(inside(moved(2.0 * h)) && inside(moved(-2.0 * h))) {
        return (f64::NAN, f64::INFINITY);
    }
    let trace = |t: f64| {
        let y = moved(t);
        let (hh, err) = pair_hessian(act, y[0], y[1], y[2], same);
        let mut full = [[0.0; 3]; 3];
        for (n, &(a, c)) in UPPER.iter().enumerate() {
            full[a][c] = hh[n];
            full[c][a] = hh[n];
        }
        let (mut tr, mut weight) = (0.0, 0.0);
        for a in 0..used {
            for c in 0..used {
                tr += full[a][c] * b[c][a];
                weight += b[c][a].abs();
            }
        }
        (tr, err * weight)
    };
    let ((a1, e1), (b1, f1), (a2, e2), (b2, f2)) = (trace(h), trace(-h), trace(2.0 * h), trace(-2.0 * h));
    let quad = e1.max(f1).max(e2).max(f2);
    if second {
        let (c0, e0) = trace(0.0);
        let d1 = (a1 - 2.0 * c0 + b1) / (h * h);
        let d2 = (a2 - 2.0 * c0 + b2) / (4.0 * h * h);
        ((4.0 * d1 - d2) / 3.0, (d1 - d2).abs() / 3.0 + 8.0 * quad.max(e0) / (h * h))
    } else {
        let d1 = (a1 - b1) / (2.0 * h);
        let d2 = (a2 - b2) / (4.0 * h);
        ((4.0 * d1 - d2) / 3.0, (d1 - d2).abs() / 3.0 + quad / h)
    }
}

/// The eigenvalues and unit eigenvectors of the leading `used x used` block of a symmetric
/// `3 x 3` matrix (vectors padded with zeros).
fn eigen_block(block: &[[f64; 3]; 3], used: usize) -> (Vec<f64>, Vec<[f64; 3]>) {
    let eigen = SymmetricEigen::new(DMatrix::from_fn(used, used, |r, c| block[r][c]));
    let vectors =
        (0..used).map(|k| [0, 1, 2].map(|v| if v < used { eigen.eigenvectors[(v, k)] } else { 0.0 })).collect();
    (eigen.eigenvalues.iter().copied().collect(), vectors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DeepActivation, OneInputLaw};

    /// The finite differences' relative truncation allowed against the one-input law.
    const TRUNCATION: f64 = 2e-6;

    /// On one input the recursion is the one-input law's, term by term: `Σ2 = C2` within the
    /// two estimates' errors and a relative `2e-6` (the finite differences' truncation).
    #[test]
    fn one_input_reproduces_the_one_input_law() {
        let cases = [
            (DeepActivation::Tanh, 1.3, 0.2),
            (DeepActivation::Erf, 1.7, 0.1),
            (DeepActivation::Gelu, 1.9, 0.05),
            (DeepActivation::Softplus, 1.2, 0.1),
            (DeepActivation::Sin, 1.1, 0.2),
            (DeepActivation::Relu, 2.0, 0.3),
            (DeepActivation::Relu, 2.0, 0.0),
            (DeepActivation::Linear, 0.9, 0.4),
        ];
        for (act, c_w, c_b) in cases {
            let net = DeepNetwork::new(act, &[7, 11, 5, 9], c_w, c_b).unwrap();
            let x = InputSet::new("one", &[vec![0.8]]).unwrap();
            let four = FourPointNextOrder::new(&net, &x).unwrap();
            let (c1, c2) = OneInputLaw::new(&net, &[0.8]).unwrap().variance();
            let next = four.correction_g4([0; 4], [0; 4]);
            let off = (next - 3.0 * c2).abs();
            let bound = 3.0 * four.correction_error();
            eprintln!("{act:?}: 3 C2 = {:.10e}, Σ2 term {next:.10e}, off {off:.1e}, bound {bound:.1e}", 3.0 * c2);
            // the differences' truncation: 2e-6 of the value (seen: at most 3.3e-7, sin), and
            // within the estimated error
            assert!(off <= TRUNCATION * c2.abs() + 1e-14, "{act:?}: {next} vs {}", 3.0 * c2);
            assert!(off <= bound + 1e-11 * c2.abs(), "{act:?}: off {off} beyond the estimate {bound} and rounding");
            let whole = four.connected_g4([0, 0, 1, 1], [0; 4]);
            assert!((whole - (c1 + c2)).abs() <= TRUNCATION * (c1.abs() + c2.abs()), "{act:?}: {whole} vs {}", c1 + c2);
            // the mean's next order: μ2 of the one-input law
            let (_, mu2) = OneInputLaw::new(&net, &[0.8]).unwrap().mean_shift();
            let got = four.shift_correction()[0];
            let (off, bound) = ((got - mu2).abs(), four.shift_correction_error());
            eprintln!("{act:?}: μ2 = {mu2:.10e}, here {got:.10e}, off {off:.1e}, bound {bound:.1e}");
            // where the pair Hessian is itself by differences of the quadrature (GELU, softplus,
            // sin), μ2's fourth derivatives are second differences of it, which magnify the
            // quadrature's rounding by 1/h²: 1e-3 there (seen: 3.5e-5 GELU, 6.7e-4 softplus,
            // where μ2 is a small sum of larger terms), and within the estimate (below)
            let closed = matches!(
                act,
                DeepActivation::Tanh | DeepActivation::Erf | DeepActivation::Relu | DeepActivation::Linear
            );
            let allowed = if closed { TRUNCATION } else { 1e-3 };
            assert!(off <= allowed * mu2.abs() + 1e-14, "{act:?}: μ2 {got} vs {mu2}");
            assert!(off <= bound + 1e-11 * mu2.abs() + 1e-15, "{act:?}: μ2 off {off} beyond the estimate {bound}");
        }
    }

    /// Deep linear networks, exactly: given layer `l`, `Gˡ⁺¹ = C_b + (C_W/n_l) Σ_j z_j z_jᵀ` with
    /// `z_j ~ N(0, Gˡ)` i.i.d. and `E[Gˡ] = Kˡ`, so by Isserlis
    /// `Cov(Gˡ⁺¹_ab, Gˡ⁺¹_cd) = C_W² [(K_ac K_bd + K_ad K_bc + Cov_(ac)(bd) + Cov_(ad)(bc)) / n_l + Cov_(ab)(cd)]`,
    /// whose `1/n²` part is `Σ2ˡ⁺¹ = C_W² [(Σ1_(ac)(bd) + Σ1_(ad)(bc)) / n_l + Σ2ˡ]`: every pair
    /// of pairs, at every depth, to rounding.
    #[test]
    fn deep_linear_networks_follow_the_exact_wishart_recursion() {
        let pts = [vec![0.8, -0.4], vec![-0.5, 1.1], vec![0.3, 0.9]];
        let x = InputSet::new("three", &pts).unwrap();
        let (c_w, c_b) = (1.3, 0.3);
        let widths = [4, 7, 5, 6, 3];
        let m = 3;
        let idx = |a: usize, b: usize, c: usize, d: usize| ((a * m + b) * m + c) * m + d;
        let mut k: Vec<f64> = (0..m * m)
            .map(|i| c_b + c_w * (pts[i / m][0] * pts[i % m][0] + pts[i / m][1] * pts[i % m][1]) / 2.0)
            .collect();
        let (mut s1, mut s2) = (vec![0.0; m.pow(4)], vec![0.0; m.pow(4)]);
        for depth in 1..=widths.len() {
            let n = widths[depth - 1] as f64;
            let (mut t1, mut t2) = (vec![0.0; m.pow(4)], vec![0.0; m.pow(4)]);
            for i in 0..m.pow(4) {
                let (a, b, c, d) = (i / 27, i / 9 % 3, i / 3 % 3, i % 3);
                t1[i] = c_w * c_w * ((k[a * m + c] * k[b * m + d] + k[a * m + d] * k[b * m + c]) / n + s1[i]);
                t2[i] = c_w * c_w * ((s1[idx(a, c, b, d)] + s1[idx(a, d, b, c)]) / n + s2[i]);
            }
            (s1, s2) = (t1, t2);
            k = k.iter().map(|v| c_b + c_w * v).collect();
            let net =
                DeepNetwork::new(DeepActivation::Linear, &widths[..depth], c_w, c_b).unwrap().with_d_in(2).unwrap();
            let four = FourPointNextOrder::new(&net, &x).unwrap();
            for i in 0..m.pow(4) {
                let p = [i / 27, i / 9 % 3, i / 3 % 3, i % 3];
                // outputs (0, 0, 1, 1) pick the one pairing (01)(23)
                let got = four.correction_g4([0, 0, 1, 1], p);
                assert!((got - s2[i]).abs() <= 1e-9 * s2[i].abs().max(1e-3), "L = {depth}, {p:?}: {got} vs {}", s2[i]);
                let whole = four.connected_g4([0, 0, 1, 1], p);
                assert!((whole - s1[i] - s2[i]).abs() <= 1e-9 * s1[i].abs().max(1e-3));
            }
            if depth == 1 {
                assert!(s2.iter().all(|&v| v == 0.0));
            }
            // E[G] = K exactly: no shift at any order
            assert!(four.shift_correction().iter().all(|v| v.abs() <= 1e-12), "L = {depth}");
        }
    }

    /// Three 1-d inputs at the deep priors (`C_b = 0`: relu's kernel singular at every layer,
    /// the others' at the first): every entry finite with a finite error estimate, and the
    /// `(x, x, x, x)` entries the one-input law's.
    #[test]
    fn singular_kernels_are_stepped_along_their_fluctuations() {
        for act in [DeepActivation::Relu, DeepActivation::Tanh, DeepActivation::Erf] {
            let net = DeepNetwork::with_deep_priors(act, &[6, 8, 5]).unwrap();
            let x = InputSet::new("three", &[vec![1.0], vec![-0.6], vec![0.4]]).unwrap();
            let four = FourPointNextOrder::new(&net, &x).unwrap();
            assert!(four.correction_error().is_finite(), "{act:?}");
            for i in 0..81 {
                let p = [i / 27, i / 9 % 3, i / 3 % 3, i % 3];
                assert!(four.correction_g4([0; 4], p).is_finite(), "{act:?} {p:?}");
            }
            for (a, xa) in [1.0, -0.6, 0.4].into_iter().enumerate() {
                let (_, c2) = OneInputLaw::new(&net, &[xa]).unwrap().variance();
                let got = four.correction_g4([0; 4], [a; 4]);
                assert!(
                    (got - 3.0 * c2).abs() <= TRUNCATION * c2.abs() + 1e-14,
                    "{act:?} at {xa}: {got} vs {}",
                    3.0 * c2
                );
            }
        }
    }

    /// Two inputs equal in value have equal kernels in every network, `G_00 = G_01 = G_11`, so
    /// every pair of pairs over them is the one-input `C2`: the cross-point entries of every
    /// term (`D`, `H`, `T`, `κ`, `μ`, `∂C`) indexed right, for smooth and kinked activations
    /// whose pair Hessians are in closed form or by Price's theorem (those by differences, GELU's
    /// say, need room around a pair's kernel that a singular one does not give: type docs).
    #[test]
    fn duplicated_inputs_give_the_one_input_law_on_every_pattern() {
        for (act, c_w, c_b) in
            [(DeepActivation::Tanh, 1.3, 0.2), (DeepActivation::Erf, 1.7, 0.1), (DeepActivation::Relu, 2.0, 0.3)]
        {
            let net = DeepNetwork::new(act, &[5, 9, 6], c_w, c_b).unwrap();
            let x = InputSet::new("twice", &[vec![0.7], vec![-0.4], vec![0.7]]).unwrap();
            let four = FourPointNextOrder::new(&net, &x).unwrap();
            let (_, c2) = OneInputLaw::new(&net, &[0.7]).unwrap().variance();
            for i in 0..16 {
                let p = [i >> 3 & 1, i >> 2 & 1, i >> 1 & 1, i & 1].map(|b| 2 * b);
                let got = four.correction_g4([0; 4], p);
                assert!(
                    (got - 3.0 * c2).abs() <= TRUNCATION * c2.abs() + 1e-14,
                    "{act:?} {p:?}: {got} vs {}",
                    3.0 * c2
                );
            }
            let (_, mu2) = OneInputLaw::new(&net, &[0.7]).unwrap().mean_shift();
            let shift = four.shift_correction();
            for (a, b) in [(0, 0), (0, 2), (2, 0), (2, 2)] {
                let got = shift[a * 3 + b];
                assert!((got - mu2).abs() <= TRUNCATION * mu2.abs() + 1e-14, "{act:?} μ2 {a}{b}: {got} vs {mu2}");
            }
        }
    }

    /// Relu at `C_b = 0` on positively collinear inputs `x1 = c x0`: `z(x1) = c z(x0)` at every
    /// layer, so `G_ab = c_a c_b G(x0, x0)` and every pattern is the one-input `C2` times
    /// `c^(number of x1 factors)`; the kernel is singular at every layer.
    #[test]
    fn collinear_relu_inputs_scale_the_one_input_law() {
        for widths in [vec![6, 8], vec![6, 8, 5]] {
            let net = DeepNetwork::with_deep_priors(DeepActivation::Relu, &widths).unwrap();
            let x = InputSet::new("two", &[vec![1.0], vec![0.4]]).unwrap();
            let four = FourPointNextOrder::new(&net, &x).unwrap();
            let (_, c2) = OneInputLaw::new(&net, &[1.0]).unwrap().variance();
            for i in 0..16 {
                let p = [i >> 3 & 1, i >> 2 & 1, i >> 1 & 1, i & 1];
                let want = c2 * 0.4f64.powi(p.iter().sum::<usize>() as i32);
                let got = four.correction_g4([0, 0, 1, 1], p);
                assert!((got - want).abs() <= TRUNCATION * want.abs(), "{widths:?} {p:?}: {got} vs {want}");
            }
            // E[G_ab] = c_a c_b E[G(x0, x0)] = K_ab exactly: no shift at any order
            assert!(four.shift_correction().iter().all(|v| v.abs() <= 1e-12), "{widths:?}");
        }
    }

    #[test]
    fn one_hidden_layer_has_no_correction() {
        let net = DeepNetwork::new(DeepActivation::Tanh, &[5], 1.2, 0.1).unwrap();
        let x = InputSet::new("two", &[vec![0.5], vec![-0.3]]).unwrap();
        let four = FourPointNextOrder::new(&net, &x).unwrap();
        assert_eq!(four.correction_g4([0; 4], [0, 1, 1, 0]).to_bits(), 0.0f64.to_bits());
        assert_eq!(four.correction_error().to_bits(), 0.0f64.to_bits());
        let too_many = InputSet::new("13", &(0..13).map(|i| vec![i as f64 / 13.0]).collect::<Vec<_>>()).unwrap();
        assert!(FourPointNextOrder::new(&net, &too_many).is_err());
    }
}
