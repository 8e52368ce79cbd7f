//! The leading-order six-point vertex of a deep network (order 1/n²), its layer recursion, the
//! output-indexed connected six-point function, and the exact one-input law of relu and linear
//! nets it reproduces.

use crate::deep_activation::DeepActivation;
use crate::deep_kernel::KernelRecursion;
use crate::deep_network::DeepNetwork;
use crate::deep_vertex::{FourPointVertex, row_sum_norm};
use crate::error::{Result, TheoryError};
use crate::gaussian::{Act, ActivationFn, UPPER, moment_gradient, moment_with, pair_hessian};
use crate::grouped_moments::{by_distinct_points, grouped_map};
use crate::input_set::InputSet;
use crate::monitor::Monitor;
use crate::multiset::Multisets;
use crate::wick::perfect_matchings;

/// The most input points of a six-point vertex: its tensors hold `P³` entries over the
/// `P = m(m+1)/2` pairs (`P³ ≈ 4.7e5` at `m = 12`).
pub const SIX_POINT_MAX_POINTS: usize = 12;

/// A pair's Hessian of `⟨φ_a φ_b⟩`: the positions of `(aa, bb, ab)` among the pairs, how many are
/// used (1 when `a = b`) and the symmetric `3 x 3` matrix in them.
pub(crate) type SlotHessian = ([usize; 3], usize, [[f64; 3]; 3]);

/// The width-independent terms of one layer `l` of the six-point recursion.
#[derive(Debug, Clone)]
struct LayerTerms {
    /// `Tˡ_(p)(q)(r) = κ3(Φ_p, Φ_q, Φ_r)` under `N(0, Kˡ)`, `Φ_p = φ_a φ_b` for `p = {a, b}`,
    /// row-major `P x P x P`.
    cumulant: Vec<f64>,
    /// `∂Cˡ_(p)(q) / ∂Kˡ_s` for every `(p, q)` (row-major `P x P`), as the sparse list of its
    /// pairs `s` and values; empty at `l = 1`.
    fluctuation_gradient: Vec<Vec<(usize, f64)>>,
    /// Per pair `p`: the positions of `(aa, bb, ab)` among the pairs and the symmetric `3 x 3`
    /// Hessian of `⟨φ_a φ_b⟩` in them (one slot when `a = b`); empty at `l = 1`.
    hessians: Vec<SlotHessian>,
    /// Largest estimated errors: of `T` (its moments), of the gradients, of the Hessians.
    errors: [f64; 3],
}

/// The leading-order six-point vertex `U = Uᴸ⁺¹` of a deep network on an input set, with the
/// four-point vertex and kernels it is built from. The expectations are computed once;
/// [`Self::at_widths`] gives the vertex at other widths of the same or a smaller depth
/// without recomputing them.
///
/// Beyond the paper. The notation follows Roberts, Yaida, Hanin, "The Principles of Deep
/// Learning Theory" (arXiv:2106.10165, ch. 4), where the connected `2k`-point correlator of
/// the preactivations is of order `1/n^(k−1)` and `V⁽ℓ⁾` is the four-point vertex; `U⁽ℓ⁾` here
/// is the six-point analogue, defined below through the third cumulant of the metric (their
/// layer `ℓ` is ours; their depth `L` is our `L + 1`).
///
/// ```
/// use nnqft_theory::{DeepActivation, DeepNetwork, InputSet, SixPointVertex};
/// // relu at criticality, three hidden layers of 40, one input
/// let net = DeepNetwork::with_deep_priors(DeepActivation::Relu, &[40, 40, 40])?;
/// let x = InputSet::new("one", &[vec![1.0]])?;
/// let six = SixPointVertex::new(&net, &x)?;
/// // κ6 = 15 U / n_L² and, exactly at leading order, 15 K³ (44 L + 75 L(L − 1)) / n²
/// let k = six.kernels().output()[0];
/// let lead = 15.0 * k.powi(3) * (44.0 * 3.0 + 75.0 * 6.0) / 1600.0;
/// assert!((six.connected_g6([0; 6], [0; 6]) - lead).abs() < 1e-12 * lead);
/// # Ok::<(), nnqft_theory::TheoryError>(())
/// ```
///
/// # Derivation
///
/// As in [`FourPointVertex`]: `Gˡ⁺¹_ab = C_b + (C_W / n_l) Σ_j Φ_j,ab`, `Φ_j,ab = φ(zˡ_j,a) φ(zˡ_j,b)`,
/// is the covariance of the i.i.d. rows `zˡ⁺¹_i` given every layer up to `l`; the neurons `j` of
/// layer `l` are i.i.d. `N(0, Gˡ)` given the layers below; `G¹ = K¹` is not random. Write
/// `p, q, r, s, t` for unordered pairs of points (`P = m(m+1)/2` of them) and
/// `Cov(Gˡ_p, Gˡ_q) = Vˡ_pq / n_(l−1)` (the four-point vertex).
///
/// **Output pattern.** Given the last hidden layer the output `f = zᴸ⁺¹` is Gaussian with
/// covariance `δ_ij Gᴸ⁺¹`, so its conditional cumulants beyond the second vanish and the law of
/// total cumulance leaves, exactly at any widths,
///
/// ```text
/// κ6(f_i1,a1, ..., f_i6,a6) = Σ_(15 pairings {(u,v),(w,x),(y,z)} of 1..6) δ_iuiv δ_iwix δ_iyiz κ3(G_auav, G_awax, G_ayaz),
/// ```
///
/// `G = Gᴸ⁺¹`. So a pairing contributes only when its output indices pair up; one output
/// (`d_out = 1`, or all `i` equal) sums all 15. Define the six-point vertex by
/// `κ3(Gˡ_p, Gˡ_q, Gˡ_r) = Uˡ_pqr / n_(l−1)² + O(1/n³)`; `U¹ = 0` (and `V¹ = 0`). Then
///
/// ```text
/// κ6 = (1/n_L²) Σ_15 δδδ U_(auav)(awax)(ayaz) + O(1/n³),   U = Uᴸ⁺¹.
/// ```
///
/// **Recursion.** Let `X_p = (1/n_l) Σ_j Φ_j,p`, `F_p(g) = ⟨Φ_p⟩_g`, `C_pq(g) = ⟨Φ_p Φ_q⟩_g − F_p F_q`
/// with `g = Gˡ`. Given `g` the neurons are i.i.d., so `E[X_p | g] = F_p(g)`,
/// `Cov(X_p, X_q | g) = C_pq(g) / n_l`, `κ3(X_p, X_q, X_r | g) = κ3_g(Φ_p, Φ_q, Φ_r) / n_l²`, and the
/// law of total cumulance gives
///
/// ```text
/// κ3(X_p, X_q, X_r) = E[κ3_g(Φ_p,Φ_q,Φ_r)] / n_l² + Σ_3 Cov(C_pq(g), F_r(g)) / n_l + κ3(F_p(g), F_q(g), F_r(g)),
/// ```
///
/// `Σ_3` over the three ways of choosing the odd one out. Expand each function of `g` about
/// `Kˡ`: `g = Kˡ + δ`, `E[δ] = O(1/n)`, `Cov(δ_s, δ_t) = Vˡ_st / n_(l−1)`,
/// `κ3(δ) = Uˡ / n_(l−1)²`, `F_p(g) = F_p + Σ_s D_ps δ_s + ½ Σ_(s,t) H_p,st δ_s δ_t + ...`
/// with `D_ps = ∂F_p/∂K_s`, `H_p,st = ∂²F_p/∂K_s ∂K_t` (one variable per unordered pair; `(s, t)`
/// over ordered couples, so a mixed entry appears twice: weight 1, a pure one ½). To order `1/n²`:
/// - first term: `E[κ3_g] = κ3_K(Φ_p, Φ_q, Φ_r) + O(1/n)`, the single-neuron third cumulant
///   `Tˡ_pqr = ⟨Φ_p Φ_q Φ_r⟩ − Σ_3 ⟨Φ_p Φ_q⟩⟨Φ_r⟩ + 2 ⟨Φ_p⟩⟨Φ_q⟩⟨Φ_r⟩`: a six-point Gaussian
///   expectation `⟨φ_a φ_b φ_c φ_d φ_e φ_f⟩_Kˡ` (up to six distinct points), four- and two-point ones;
/// - second term: `Cov(C_pq(g), F_r(g)) = Σ_(s,t) ∂C_pq/∂K_s Vˡ_st D_rt / n_(l−1)`, with
///   `∂C_pq/∂K_s = ∂⟨Φ_p Φ_q⟩/∂K_s − D_ps F_q − F_p D_qs` (the gradient of a four-point
///   expectation, by Price's theorem);
/// - third term: the linear parts give `Σ D_ps D_qt D_ru κ3(δ_s, δ_t, δ_u)`; one quadratic part and two
///   linear ones give `½ H_p,st D_qu D_rv κ(δ_s δ_t, δ_u, δ_v)`, whose leading cumulant is Gaussian,
///   `Cov(δ_s,δ_u) Cov(δ_t,δ_v) + Cov(δ_s,δ_v) Cov(δ_t,δ_u)`; every other piece is `O(1/n³)`.
///
/// With `Wˡ = Vˡ Dˡᵀ` (`Wˡ_sq = Σ_t Vˡ_st Dˡ_qt`) and `Gˡ⁺¹ = C_b + C_W X`, collecting at order `1/n_l²`:
///
/// ```text
/// Uˡ⁺¹_pqr = C_W³ [ Tˡ_pqr
///                   + (n_l / n_(l−1))  Σ_3 Σ_s ∂Cˡ_pq/∂K_s Wˡ_sr
///                   + (n_l / n_(l−1))² ( Σ_(s,t,u) Dˡ_ps Dˡ_qt Dˡ_ru Uˡ_stu + Σ_3 Σ_(s,t) Hˡ_p,st Wˡ_sq Wˡ_tr ) ],
/// ```
///
/// from `U¹ = 0`, `V¹ = 0` (so `U² = C_W³ T¹`). The inverse widths are each layer's own:
/// `κ3(Gᴸ⁺¹) = Uᴸ⁺¹ / n_L²` unrolls into terms `1/n_l²` (the cumulant `T` of layer `l`), `1/(n_l n_l')`
/// (the second term and the Hessian term, `l' < l`, through `V`) and the propagation `DDD`. Read
/// in PDLT's terms: `T` is the connected six-point piece `⟨σσσσσσ⟩_c` of one neuron at
/// `K⁽ℓ⁾`, the second term couples `V⁽ℓ⁾` to the derivative of the four-point fluctuation,
/// and the last terms carry `U⁽ℓ⁾` through `D³` and `V⁽ℓ⁾` twice through the second derivative
/// of `⟨σσ⟩`.
///
/// **One layer.** At `L = 1`: `U² = C_W³ T¹` and `Σ_15 T = 15 M6 − 3 Σ_15 M4 M2 + 2 Σ_15 M2 M2 M2` (each
/// `{4|2}` split is the odd one out of three pairings), so `n² κ6 = σ_w⁶ [15 M6 − 3 Σ_15 M4 M2 + 2 Σ_15 M2³]`,
/// the exact one-layer `κ6` ([`crate::FiniteWidthTheory`]; checked on every multiset in the tests).
///
/// # Exact one-input law (relu, linear; any `C_b`, any widths)
///
/// At one input `x`, positive homogeneity gives `φ(√G ε)² = G φ(ε)²`, so
/// `Gˡ⁺¹ = C_b + C_W Gˡ R_l` with independent `R_l = Y_l / E[Y_l]`, `Y_l = Σ_(j≤n_l) φ(ε_j)²`, and
/// `E[f⁶] = 15 E[G³]`, `κ6(f) = 15 κ3(Gᴸ⁺¹)`. With `X = φ(ε)²`, `E[Xᵏ] = (2k−1)!!` (linear) or
/// `(2k−1)!!/2` (relu), the cumulants of `Y_l` are `n_l κ_k(X)`: `κ1 = 1, κ2 = 2, κ3 = 8` (linear;
/// `χ²`) and `κ1 = 1/2, κ2 = 5/4, κ3 = 11/2` (relu), so
///
/// ```text
/// E[R_l] = 1,   E[R_l²] = 1 + c2/n_l,   E[R_l³] = 1 + 3 c2/n_l + c3/n_l²,   (c2, c3) = (2, 8) linear, (5, 44) relu,
/// ```
///
/// exactly. With `C_b = 0`, `G = K ∏_l R_l` and
///
/// ```text
/// κ3(G) / K³ = ∏_l (1 + 3c2/n_l + c3/n_l²) − 3 ∏_l (1 + c2/n_l) + 2 = Σ_l c3/n_l² + 6 c2² Σ_(l<l') 1/(n_l n_l') + O(1/n³),
/// ```
///
/// at equal widths `(c3 L + 3 c2² L(L − 1)) / n²`: `(44 L + 75 L(L−1))/n²` for relu,
/// `(8 L + 12 L(L−1))/n²` for linear. The recursion gives the same (`C_b = 0`): at one point
/// `F = κ1(X) K`, `C = κ2(X) K²`, `T = κ3(X) K³`, `H = 0`, and `Kˡ⁺¹ = C_W κ1 Kˡ`, so with
/// `u_l = Uˡ / (n_(l−1)² (Kˡ)³)`: `C_W³ T / (Kˡ⁺¹)³ = c3`, the second term
/// `3 · 2κ2 Kˡ · κ1 · Vˡ / (κ1 Kˡ)³ = 6 c2 Vˡ / (Kˡ)²` with `Vˡ / (n_(l−1) (Kˡ)²) = Σ_(l'<l) c2/n_l'`,
/// and `D³` carries `u` unchanged: `u_(l+1) = c3/n_l² + 6 c2² Σ_(l'<l) 1/(n_l n_l') + u_l`. With `C_b > 0` the same law holds; the tests expand
/// `E[Gᵏ]` through `Gˡ⁺¹ = C_b + C_W Gˡ R_l` exactly as polynomials in `1/N` (widths `n_l = w_l N`)
/// and compare the `1/N²` coefficient of `κ3(Gᴸ⁺¹)` with the recursion at every depth `1..8`.
///
/// # The four-point function at order `1/n²`
///
/// It needs `Uˡ` at every layer, with the kernel shift and second derivatives of the four-point
/// expectations: [`crate::FourPointNextOrder`] derives and computes it from this type.
///
/// # Error estimate
///
/// [`Self::quadrature_error`] is a first-order bound carried through the recursion with absolute
/// values: the largest errors of the six-point moments, of the four-point vertex's moments, of
/// the gradients and Hessians, and the propagated error of `V` (as in [`crate::KernelShift`]),
/// each multiplied by the largest size of what it multiplies (`|D|` by its largest row sum).
#[derive(Debug, Clone)]
pub struct SixPointVertex {
    four: FourPointVertex,
    sixes: Multisets,
    matchings: Vec<Vec<(usize, usize)>>,
    layers: Vec<LayerTerms>,
    /// `U = Uᴸ⁺¹`, row-major `P x P x P`.
    vertex: Vec<f64>,
    quadrature_error: f64,
}

impl SixPointVertex {
    /// The six-point vertex of `net` on `inputs` (their input dimensions must agree;
    /// `m <= 12` points: [`SIX_POINT_MAX_POINTS`]).
    pub fn new(net: &DeepNetwork, inputs: &InputSet) -> Result<Self> {
        Self::with_monitor(net, inputs, &())
    }

    /// [`Self::new`] under `monitor`, asked before each group of Gaussian expectations whether to
    /// stop ([`TheoryError::Interrupted`](crate::TheoryError::Interrupted)). The same numbers, bit
    /// for bit.
    pub fn with_monitor(net: &DeepNetwork, inputs: &InputSet, monitor: &dyn Monitor) -> Result<Self> {
        check_points(inputs.len())?;
        let four = FourPointVertex::with_monitor(net, inputs, monitor)?;
        Self::build(four, Act::Known(net.activation()), monitor)
    }

    /// The vertex with the activation `phi` in place of the network's: every expectation by
    /// quadrature, every derivative by central differences of the quadrature (which need room
    /// inside the positive semi-definite cone, as [`crate::KernelShift::with_function`] says).
    pub fn with_function(net: &DeepNetwork, inputs: &InputSet, phi: ActivationFn<'_>) -> Result<Self> {
        check_points(inputs.len())?;
        let four = FourPointVertex::with_function(net, inputs, phi)?;
        Self::build(four, Act::Function(phi), &())
    }

    fn build(four: FourPointVertex, act: Act<'_>, monitor: &dyn Monitor) -> Result<Self> {
        let kernels = four.kernels();
        let m = kernels.points();
        let sixes = Multisets::new(m, 6)?;
        let pairs = four.pairs().clone();
        let p = pairs.len();
        let quads = four.multisets().clone();
        let (six_groups, quad_groups) = (by_distinct_points(&sixes), by_distinct_points(&quads));
        let mut layers = Vec::with_capacity(kernels.depth());
        for l in 1..=kernels.depth() {
            let k = kernels.layer(l);
            let means = &kernels.pair_means[l - 1];
            let f: Vec<f64> = pairs.iter().map(|s| means[s[0] as usize * m + s[1] as usize]).collect();
            let a = four.layer_fluctuation(l);
            // six-point moments, one per multiset of order 6
            let m6 = grouped_map(&six_groups, sixes.len(), monitor, |pos, cache| {
                let idx: Vec<usize> = sixes.get(pos).iter().map(|&i| i as usize).collect();
                moment_with(act, k, m, &idx, Some(cache))
            })?;
            let e6 = m6.iter().fold(0.0f64, |e, x| e.max(x.error));
            let mut cumulant = vec![0.0; p * p * p];
            for (i, pi) in pairs.iter().enumerate() {
                for (j, pj) in pairs.iter().enumerate().skip(i) {
                    for (r, pr) in pairs.iter().enumerate().skip(j) {
                        let idx = [pi[0], pi[1], pj[0], pj[1], pr[0], pr[1]].map(usize::from);
                        let six = m6[sixes.position(&idx).unwrap_or(0)].value;
                        let t =
                            six - a[i * p + j] * f[r] - a[i * p + r] * f[j] - a[j * p + r] * f[i] - f[i] * f[j] * f[r];
                        for (x, y, z) in permutations(i, j, r) {
                            cumulant[(x * p + y) * p + z] = t;
                        }
                    }
                }
            }
            let mut fluctuation_gradient = Vec::new();
            let mut hessians = Vec::new();
            let (mut eg, mut eh) = (0.0f64, 0.0f64);
            if l > 1 {
                let d = four.layer_gradient(l);
                let grads = grouped_map(&quad_groups, quads.len(), monitor, |pos, cache| {
                    let idx: Vec<usize> = quads.get(pos).iter().map(|&i| i as usize).collect();
                    moment_gradient(act, k, m, &idx, Some(cache))
                })?;
                fluctuation_gradient = vec![Vec::new(); p * p];
                for (i, pi) in pairs.iter().enumerate() {
                    for (j, pj) in pairs.iter().enumerate() {
                        let idx = [pi[0], pi[1], pj[0], pj[1]].map(usize::from);
                        let mut row: Vec<(usize, f64)> = Vec::new();
                        let mut add = |s: usize, v: f64| match row.iter_mut().find(|(t, _)| *t == s) {
                            Some((_, w)) => *w += v,
                            None => row.push((s, v)),
                        };
                        for &(e, g, est) in &grads[quads.position(&idx).unwrap_or(0)] {
                            eg = eg.max(est.error);
                            add(pairs.position(&[e, g]).unwrap_or(0), est.value);
                        }
                        for s in 0..p {
                            let v = d[i * p + s] * f[j] + f[i] * d[j * p + s];
                            if v != 0.0 {
                                add(s, -v);
                            }
                        }
                        fluctuation_gradient[i * p + j] = row;
                    }
                }
                for pr in pairs.iter() {
                    let (x, y) = (usize::from(pr[0]), usize::from(pr[1]));
                    let pos = |u: usize, v: usize| pairs.position(&[u, v]).unwrap_or(0);
                    let (h, err) = pair_hessian(act, k[x * m + x], k[y * m + y], k[x * m + y], x == y);
                    eh = eh.max(err);
                    let mut full = [[0.0; 3]; 3];
                    for (n, &(u, v)) in UPPER.iter().enumerate() {
                        full[u][v] = h[n];
                        full[v][u] = h[n];
                    }
                    let (slots, used) =
                        if x == y { ([pos(x, x); 3], 1) } else { ([pos(x, x), pos(y, y), pos(x, y)], 3) };
                    hessians.push((slots, used, full));
                }
            }
            layers.push(LayerTerms { cumulant, fluctuation_gradient, hessians, errors: [e6, eg, eh] });
        }
        let mut out =
            Self { four, sixes, matchings: perfect_matchings(6)?, layers, vertex: Vec::new(), quadrature_error: 0.0 };
        let (vertex, error) = out.recursion(out.four.network().widths());
        out.vertex = vertex;
        out.quadrature_error = error;
        Ok(out)
    }

    /// `Uᴸ⁺¹` at the hidden widths `widths` (row-major `P x P x P`), with its propagated error.
    fn recursion(&self, widths: &[usize]) -> (Vec<f64>, f64) {
        let (mut all, error) = self.recursion_layers(widths, false);
        (all.pop().unwrap_or_default(), error)
    }

    /// `U², ..., Uᴸ⁺¹` at the hidden widths `widths` (each row-major `P x P x P`; `κ3(Gˡ) =
    /// Uˡ / n_(l−1)²`), for [`crate::FourPointNextOrder`].
    pub(crate) fn layer_vertices(&self, widths: &[usize]) -> Vec<Vec<f64>> {
        self.recursion_layers(widths, true).0
    }

    /// `∂Cˡ_(p)(q) / ∂Kˡ_s` over the pairs (row-major `P x P`, each a sparse list of `(s, value)`),
    /// for `2 <= l <= L`.
    pub(crate) fn layer_fluctuation_gradient(&self, l: usize) -> &[Vec<(usize, f64)>] {
        &self.layers[l - 1].fluctuation_gradient
    }

    /// Per pair `p`: the positions of `(aa, bb, ab)` among the pairs, how many are used (1 when
    /// `a = b`) and the symmetric Hessian of `⟨φ_a φ_b⟩` in them at `Kˡ`, for `2 <= l <= L`.
    pub(crate) fn layer_hessians(&self, l: usize) -> &[SlotHessian] {
        &self.layers[l - 1].hessians
    }

    /// The largest estimated errors of layer `l`'s six-point cumulants, fluctuation gradients and
    /// Hessians.
    pub(crate) fn layer_errors(&self, l: usize) -> [f64; 3] {
        self.layers[l - 1].errors
    }

    /// The recursion's layers `U², ..., Uᴸ⁺¹` (only the last unless `keep_all`) and the
    /// propagated error of the last.
    fn recursion_layers(&self, widths: &[usize], keep_all: bool) -> (Vec<Vec<f64>>, f64) {
        let mut all = Vec::new();
        let p = self.four.pairs().len();
        let c_w = self.four.network().c_w();
        let c_w3 = c_w * c_w * c_w;
        let vertices = self.four.layer_vertices(widths); // V², ..., Vᴸ⁺¹
        let moment_error = self.four.quadrature_error();
        let mut u = vec![0.0; p * p * p];
        let (mut u_err, mut v_err) = (0.0f64, 0.0f64);
        for (li, terms) in self.layers.iter().enumerate() {
            let l = li + 1;
            let f_max = self.four.kernels().pair_means[li].iter().fold(0.0f64, |a, b| a.max(b.abs()));
            let a_max = max_abs(self.four.layer_fluctuation(l));
            // T = M6 − Σ_3 A F − F F F: each moment's error times what multiplies it
            let t_err = terms.errors[0]
                + 3.0 * (a_max + f_max * (1.0 + 2.0 * f_max)) * moment_error
                + 3.0 * f_max * f_max * moment_error;
            let mut next: Vec<f64> = terms.cumulant.iter().map(|t| c_w3 * t).collect();
            let mut next_err = c_w3 * t_err;
            if l > 1 {
                let ratio = widths[l - 1] as f64 / widths[l - 2] as f64;
                let v = &vertices[l - 2];
                let d = self.four.layer_gradient(l);
                let rows = sparse_rows(d, p);
                let d_norm = rows.iter().map(|r| r.iter().map(|(_, x)| x.abs()).sum::<f64>()).fold(0.0, f64::max);
                // W = V Dᵀ
                let mut w = vec![0.0; p * p];
                for s in 0..p {
                    for (q, row) in rows.iter().enumerate() {
                        w[s * p + q] = row.iter().map(|&(t, x)| v[s * p + t] * x).sum();
                    }
                }
                let w_max = max_abs(&w);
                let w_err = d_norm * v_err;
                // second term: A_pqr = Σ_s ∂C_pq/∂K_s W_sr, then Σ_3
                let mut a = vec![0.0; p * p * p];
                let (mut g_max, mut g_terms) = (0.0f64, 0usize);
                for (pq, grad) in terms.fluctuation_gradient.iter().enumerate() {
                    g_terms = g_terms.max(grad.len());
                    for &(s, g) in grad {
                        g_max = g_max.max(g.abs());
                        let (dst, src) = (&mut a[pq * p..(pq + 1) * p], &w[s * p..(s + 1) * p]);
                        for (x, y) in dst.iter_mut().zip(src) {
                            *x += g * y;
                        }
                    }
                }
                // third term: D D D U and Σ_3 H_p (W_·q)(W_·r)
                let ddd = contract_three(&u, &rows, p);
                let mut b = vec![0.0; p * p * p];
                let mut h_max = 0.0f64;
                for (pi, (slots, used, h)) in terms.hessians.iter().enumerate() {
                    for x in 0..*used {
                        for y in 0..*used {
                            let hxy = h[x][y];
                            h_max = h_max.max(hxy.abs());
                            if hxy == 0.0 {
                                continue;
                            }
                            let (wx, wy) = (&w[slots[x] * p..(slots[x] + 1) * p], &w[slots[y] * p..(slots[y] + 1) * p]);
                            for q in 0..p {
                                let c = hxy * wx[q];
                                let dst = &mut b[(pi * p + q) * p..(pi * p + q + 1) * p];
                                for (z, wy_r) in dst.iter_mut().zip(wy) {
                                    *z += c * wy_r;
                                }
                            }
                        }
                    }
                }
                for i in 0..p {
                    for j in 0..p {
                        for r in 0..p {
                            let second = a[(i * p + j) * p + r] + a[(i * p + r) * p + j] + a[(j * p + r) * p + i];
                            let hess = b[(i * p + j) * p + r] + b[(j * p + i) * p + r] + b[(r * p + i) * p + j];
                            next[(i * p + j) * p + r] +=
                                c_w3 * (ratio * second + ratio * ratio * (ddd[(i * p + j) * p + r] + hess));
                        }
                    }
                }
                let gt = g_terms as f64;
                let second_err = 3.0 * gt * (terms.errors[1] * w_max + g_max * w_err);
                let hess_err = 3.0 * 9.0 * (terms.errors[2] * w_max * w_max + 2.0 * h_max * w_max * w_err);
                next_err += c_w3 * (ratio * second_err + ratio * ratio * (d_norm.powi(3) * u_err + hess_err));
            }
            // the error of Vˡ⁺¹ = C_W² (Aˡ + (n_l/n_(l−1)) Dˡ Vˡ Dˡᵀ), as KernelShift carries it
            v_err = if l == 1 {
                c_w * c_w * moment_error
            } else {
                let norm = row_sum_norm(self.four.layer_gradient(l), p);
                c_w * c_w * (moment_error + widths[l - 1] as f64 / widths[l - 2] as f64 * norm * norm * v_err)
            };
            if keep_all {
                all.push(next.clone());
            }
            u = next;
            u_err = next_err;
        }
        if !keep_all {
            all.push(u);
        }
        (all, u_err)
    }

    /// The vertex at other hidden widths `n_1..n_L'` with `1 <= L' <= L` (a shallower network is
    /// the first `L'` layers of this one): every expectation is reused, only the recursion over
    /// the `P³` triples of pairs is redone.
    pub fn at_widths(&self, widths: &[usize]) -> Result<Self> {
        crate::deep_network::check_shallower(widths, self.layers.len())?;
        let four = self.four.at_widths(widths)?;
        let mut out = Self {
            four,
            layers: self.layers[..widths.len()].to_vec(),
            vertex: Vec::new(),
            quadrature_error: 0.0,
            ..self.clone()
        };
        let (vertex, error) = out.recursion(widths);
        out.vertex = vertex;
        out.quadrature_error = error;
        Ok(out)
    }

    /// The network.
    pub fn network(&self) -> &DeepNetwork {
        self.four.network()
    }
    /// The four-point vertex it is built from.
    pub fn four_point(&self) -> &FourPointVertex {
        &self.four
    }
    /// The kernel recursion (`K¹ ... Kᴸ⁺¹`).
    pub fn kernels(&self) -> &KernelRecursion {
        self.four.kernels()
    }
    /// The multisets of order 6 over the input points, the order of [`Self::vertex_sums`].
    pub fn multisets(&self) -> &Multisets {
        &self.sixes
    }
    /// The propagated error estimate of `U` (type docs; 0 when every expectation is a closed form).
    pub fn quadrature_error(&self) -> f64 {
        self.quadrature_error
    }

    /// `U_(ab)(cd)(ef)` for the input points `a, ..., f`.
    pub fn vertex(&self, ab: [usize; 2], cd: [usize; 2], ef: [usize; 2]) -> f64 {
        let pairs = self.four.pairs();
        let p = pairs.len();
        let pos = |x: [usize; 2]| pairs.position(&x).unwrap_or(0);
        self.vertex[(pos(ab) * p + pos(cd)) * p + pos(ef)]
    }

    /// `Σ_15 U` over the pairings of every multiset of order 6: `n_L²` times the leading-order
    /// connected six-point function of one output (at `L = 1`: `N² κ6`).
    pub fn vertex_sums(&self) -> Vec<f64> {
        self.sixes
            .iter()
            .map(|s| {
                let pts = [0, 1, 2, 3, 4, 5].map(|i| usize::from(s[i]));
                self.matchings.iter().map(|mt| self.pairing(mt, &pts)).sum()
            })
            .collect()
    }

    fn pairing(&self, matching: &[(usize, usize)], pts: &[usize; 6]) -> f64 {
        let pair = |k: usize| [pts[matching[k].0], pts[matching[k].1]];
        self.vertex(pair(0), pair(1), pair(2))
    }

    /// The leading-order connected six-point function (the sixth cumulant) of the output rows
    /// `outputs` at the input points `points`: `(1/n_L²) Σ_15 δδδ U` (type docs), a pairing
    /// counted when its output indices pair up.
    pub fn connected_g6(&self, outputs: [usize; 6], points: [usize; 6]) -> f64 {
        let s: f64 = self
            .matchings
            .iter()
            .filter(|mt| mt.iter().all(|&(x, y)| outputs[x] == outputs[y]))
            .map(|mt| self.pairing(mt, &points))
            .sum();
        let n = self.n_last();
        s / (n * n)
    }

    /// The GP six-point function of the output rows `outputs` at `points`: the Wick sum of
    /// `δ_ij K(x, x')` over the 15 pairings.
    pub fn gp_g6(&self, outputs: [usize; 6], points: [usize; 6]) -> f64 {
        let (k, m) = (self.kernels().output(), self.kernels().points());
        self.matchings
            .iter()
            .map(|mt| {
                mt.iter()
                    .map(|&(x, y)| if outputs[x] == outputs[y] { k[points[x] * m + points[y]] } else { 0.0 })
                    .product::<f64>()
            })
            .sum()
    }

    /// The multisets of order 6 over the `m d_out` (output, point) pairs, point `p` being output
    /// `p / m` at input `p % m`, with the leading-order connected and the GP six-point function on
    /// each (the layout of [`FourPointVertex::output_indexed`]).
    pub fn output_indexed(&self) -> Result<(Multisets, Vec<f64>, Vec<f64>)> {
        let m = self.kernels().points();
        let ms = Multisets::new(m * self.network().d_out(), 6)?;
        let (mut connected, mut gp) = (Vec::with_capacity(ms.len()), Vec::with_capacity(ms.len()));
        for s in ms.iter() {
            let outputs = [0, 1, 2, 3, 4, 5].map(|i| usize::from(s[i]) / m);
            let points = [0, 1, 2, 3, 4, 5].map(|i| usize::from(s[i]) % m);
            connected.push(self.connected_g6(outputs, points));
            gp.push(self.gp_g6(outputs, points));
        }
        Ok((ms, connected, gp))
    }

    fn n_last(&self) -> f64 {
        let w = self.network().widths();
        w[w.len() - 1] as f64
    }
}

/// The exact one-input ratio `E[f⁶] / (15 E[f²]³) = ∏_l (1 + 3c2/n_l + c3/n_l²)` at any widths
/// ([`SixPointVertex`] docs): `(c2, c3) = (5, 44)` for relu, `(2, 8)` for linear, when `C_b = 0`;
/// `None` otherwise.
pub fn exact_one_input_sixth_ratio(net: &DeepNetwork) -> Option<f64> {
    let (c2, c3) = match net.activation() {
        DeepActivation::Relu => (5.0, 44.0),
        DeepActivation::Linear => (2.0, 8.0),
        _ => return None,
    };
    (net.c_b() == 0.0).then(|| {
        net.widths()
            .iter()
            .map(|&n| {
                let e = 1.0 / n as f64;
                1.0 + 3.0 * c2 * e + c3 * e * e
            })
            .product()
    })
}

fn check_points(m: usize) -> Result<()> {
    if m > SIX_POINT_MAX_POINTS {
        return Err(TheoryError::OutOfRange {
            field: "points",
            value: m.to_string(),
            allowed: "at most 12 input points for the six-point vertex (its tensors grow as m⁶)",
        });
    }
    Ok(())
}

fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0f64, |a, b| a.max(b.abs()))
}

/// The nonzero entries of each row of a row-major `p x p` matrix.
fn sparse_rows(d: &[f64], p: usize) -> Vec<Vec<(usize, f64)>> {
    (0..p).map(|i| (0..p).filter(|&j| d[i * p + j] != 0.0).map(|j| (j, d[i * p + j])).collect()).collect()
}

/// `(D ⊗ D ⊗ D) U`: `Σ_(s,t,u) D_ps D_qt D_ru U_stu`, one index at a time.
fn contract_three(u: &[f64], rows: &[Vec<(usize, f64)>], p: usize) -> Vec<f64> {
    let mut cur = u.to_vec();
    let mut next = vec![0.0; p * p * p];
    // contract the last index, then rotate (x, y, z) -> (z, x, y); three times
    for _ in 0..3 {
        for x in 0..p {
            for y in 0..p {
                let src = &cur[(x * p + y) * p..(x * p + y + 1) * p];
                for (z, row) in rows.iter().enumerate() {
                    next[(z * p + x) * p + y] = row.iter().map(|&(s, d)| d * src[s]).sum();
                }
            }
        }
        std::mem::swap(&mut cur, &mut next);
    }
    cur
}

/// The orderings of a triple (repeats included).
fn permutations(i: usize, j: usize, k: usize) -> [(usize, usize, usize); 6] {
    [(i, j, k), (i, k, j), (j, i, k), (j, k, i), (k, i, j), (k, j, i)]
}
