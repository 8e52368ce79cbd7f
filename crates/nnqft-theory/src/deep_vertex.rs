//! The leading-order four-point vertex of a deep network (order 1/n), its layer recursion, the
//! output-indexed connected four-point function, and the exact one-input identities of relu and
//! linear nets.

use crate::deep_activation::DeepActivation;
use crate::deep_kernel::KernelRecursion;
use crate::deep_network::DeepNetwork;
use crate::error::Result;
use crate::gaussian::{Act, ActivationFn, Estimate, moment_with, pair_gradient};
use crate::grouped_moments::{by_distinct_points, grouped_map};
use crate::input_set::InputSet;
use crate::monitor::Monitor;
use crate::multiset::Multisets;

/// The fraction of its Cauchy–Schwarz bound `3 √(K_aa K_bb K_cc K_dd)` at or below which
/// `Wick4(K)` is zero to rounding ([`FourPointVertex::leading_order_r`]): a kernel entry
/// carries a rounding error of a few ulps of `√(K_aa K_bb)`, far below `1e-12` of it.
pub const VANISHING_WICK: f64 = 1e-12;

/// The width-independent terms of one layer `l` of the vertex recursion, over the `P` pairs.
#[derive(Debug, Clone)]
struct LayerTerms {
    /// `Aˡ_(p)(q) = ⟨φ_p φ_p' φ_q φ_q'⟩ − ⟨φ_p φ_p'⟩⟨φ_q φ_q'⟩`, row-major `P x P`.
    fluctuation: Vec<f64>,
    /// `Dˡ_(p)(r) = ∂⟨φ_p φ_p'⟩ / ∂Kˡ_r` (unordered pairs `r`), row-major `P x P`; empty at
    /// `l = 1`, where `V¹ = 0` makes it unused.
    gradient: Vec<f64>,
    /// The estimated error of `⟨φ_a φ_b φ_c φ_d⟩` on every multiset of order 4.
    moment_error: Vec<f64>,
}

/// The leading-order four-point vertex `V = Vᴸ⁺¹` of a deep network on an input set, with the
/// kernels it was built from. The expectations are computed once; [`Self::at_widths`] gives
/// the vertex at other widths of the same depth without recomputing them.
///
/// The leading-order four-point vertex of a deep network (beyond the paper; Yaida 2019,
/// "Non-Gaussian processes and neural networks at finite widths"; Roberts, Yaida, Hanin,
/// "The Principles of Deep Learning Theory", 2022, ch. 4), and the exact one-input
/// identities of relu and linear networks.
///
/// ```
/// use nnqft_theory::{DeepActivation, DeepNetwork, FourPointVertex, InputSet, exact_one_input_ratio};
/// // relu at criticality (C_W = 2, C_b = 0), two hidden layers of 50, one input
/// let net = DeepNetwork::with_deep_priors(DeepActivation::Relu, &[50, 50])?;
/// let x = InputSet::new("one", &[vec![1.0]])?;
/// let vertex = FourPointVertex::new(&net, &x)?;
/// let r = vertex.leading_order_r()[0]; // 5/50 + 5/50
/// assert!((r - 0.2).abs() < 1e-12);
/// let exact = exact_one_input_ratio(&net).unwrap() - 1.0; // (1 + 5/50)² - 1
/// assert!((exact - 0.21).abs() < 1e-12);
/// // the same expectations at other widths and shallower depths
/// let one_layer = vertex.at_widths(&[100])?;
/// assert!((one_layer.leading_order_r()[0] - 0.05).abs() < 1e-12);
/// # Ok::<(), nnqft_theory::TheoryError>(())
/// ```
///
/// # Derivation
///
/// Write `Gˡ⁺¹(x, x') = C_b + (C_W / n_l) Σ_j φ(zˡ_j(x)) φ(zˡ_j(x'))`. Given every layer up to
/// `l`, the pre-activations `zˡ⁺¹_i` (`i = 1..n_(l+1)`) are i.i.d. over `i`, Gaussian with
/// covariance `Gˡ⁺¹` (a sum of Gaussian weights times fixed activations plus a Gaussian
/// bias). Hence, for the points `a, b, c, d` and the output rows `i1..i4`, by Wick's theorem
/// given the layers below,
///
/// ```text
/// E[z_i1,a z_i2,b z_i3,c z_i4,d] = E[δ_i1i2 δ_i3i4 G_ab G_cd + δ_i1i3 δ_i2i4 G_ac G_bd + δ_i1i4 δ_i2i3 G_ad G_bc],
/// ```
///
/// and subtracting the Wick sum of `E[G]` leaves the connected 4-pt function
/// `Σ_3 δδ Cov(G_ab, G_cd)`. Define the vertex by `Cov(Gˡ_ab, Gˡ_cd) = Vˡ_(ab)(cd) / n_(l−1)`.
/// `G¹ = K¹` is not random, so `V¹ = 0`. For layer `l + 1`,
///
/// ```text
/// Cov(Gˡ⁺¹_ab, Gˡ⁺¹_cd) = (C_W² / n_l²) Σ_(j,k) Cov(φ_ja φ_jb, φ_kc φ_kd).
/// ```
///
/// The `n_l` terms `j = k` give, at leading order (the law of `zˡ_j` is `N(0, Kˡ)` up to
/// `O(1/n)`), `(C_W² / n_l) [⟨φ_a φ_b φ_c φ_d⟩ − ⟨φ_a φ_b⟩⟨φ_c φ_d⟩]_Kˡ`. For `j ≠ k` the two
/// neurons are independent given `Gˡ`, so their covariance is that of the conditional means
/// `⟨φ_a φ_b⟩_Gˡ` and `⟨φ_c φ_d⟩_Gˡ`; expanding them to first order in `Gˡ − Kˡ`,
///
/// ```text
/// Cov(⟨φ_a φ_b⟩_Gˡ, ⟨φ_c φ_d⟩_Gˡ) = Σ_(e≤f, g≤h) ∂⟨φ_a φ_b⟩/∂K_ef ∂⟨φ_c φ_d⟩/∂K_gh Vˡ_(ef)(gh) / n_(l−1) + O(1/n²),
/// ```
///
/// with `n_l (n_l − 1)` such terms. Collecting both at order `1/n_l`:
///
/// ```text
/// Vˡ⁺¹_(ab)(cd) = C_W² [⟨φ_a φ_b φ_c φ_d⟩ − ⟨φ_a φ_b⟩⟨φ_c φ_d⟩]_Kˡ
///               + (n_l / n_(l−1)) C_W² Σ_(e≤f, g≤h) Vˡ_(ef)(gh) ∂⟨φ_a φ_b⟩/∂Kˡ_ef ∂⟨φ_c φ_d⟩/∂Kˡ_gh,
/// ```
///
/// and the connected 4-pt function of the output `f = zᴸ⁺¹` is
///
/// ```text
/// E[f_i1,a f_i2,b f_i3,c f_i4,d]_conn = (1/n_L) [δ_i1i2 δ_i3i4 V_(ab)(cd) + δ_i1i3 δ_i2i4 V_(ac)(bd) + δ_i1i4 δ_i2i3 V_(ad)(bc)] + O(1/n²),
/// ```
///
/// `V = Vᴸ⁺¹`. Each `∂⟨φ_a φ_b⟩/∂K_ef` is nonzero only for `{e, f} ⊂ {a, b}`, so as a matrix over
/// the `P = m(m+1)/2` pairs the recursion is `Vˡ⁺¹ = C_W² (Aˡ + (n_l/n_(l−1)) Dˡ Vˡ Dˡᵀ)` with a
/// sparse `Dˡ` (3 entries per row). At `L = 1` it is `V² = C_W² [M4 − M2 M2]`, and the sum over
/// the three pairings is `C_W² [3 M4(abcd) − Σ_3 M2 M2]`: exactly `N κ4` of the
/// exact one-layer theory ([`crate::FiniteWidthTheory`]; checked on every multiset in the tests).
///
/// # Exact one-input identities (relu, linear; `C_b = 0`; any widths)
///
/// At one input `x`, given layer `l` the `zˡ_j` are i.i.d. `N(0, Gˡ)`, so with i.i.d. standard
/// normals `ε_j`, `Gˡ⁺¹ = (C_W / n_l) Gˡ Σ_j φ(ε_j)²` for a positively homogeneous `φ` of
/// degree 1. The factors `Y_l = Σ_(j≤n_l) φ(ε_j)²` of different layers are independent and
/// `G¹ = C_W |x|²/d` is fixed, so `Gᴸ⁺¹ = G¹ ∏_l (C_W / n_l) Y_l`. The output is `N(0, Gᴸ⁺¹)`
/// given the hidden layers: `E[f²] = E[G]`, `E[f⁴] = 3 E[G²]`, and
///
/// ```text
/// E[f⁴] / (3 E[f²]²) = ∏_l E[Y_l²] / E[Y_l]².
/// ```
///
/// linear, `φ(ε)² = ε²`: `Y ~ χ²_n`, `E[Y] = n`, `E[Y²] = n(n + 2)`: the ratio is `∏_l (1 + 2/n_l)`.
/// relu, `φ(ε)² = ε² 1(ε > 0)`: `E[φ²] = 1/2`, `E[φ⁴] = 3/2`, so `E[Y] = n/2`,
/// `E[Y²] = 3n/2 + n(n − 1)/4 = (n² + 5n)/4`: the ratio is `∏_l (1 + 5/n_l)`.
/// Both are exact at every width. Their expansion, `Σ_l 2/n_l` and `Σ_l 5/n_l`, is the
/// leading order `r = 3V / (3 n_L K²)`: for relu, `⟨φ⁴⟩ − ⟨φ²⟩² = 5K²/4`, `d⟨φ²⟩/dK = 1/2` and
/// `Kˡ⁺¹ = C_W Kˡ / 2` turn the recursion into `Vˡ⁺¹ / (n_l (Kˡ⁺¹)²) = 5/n_l + Vˡ / (n_(l−1) (Kˡ)²)`
/// (linear: `2/n_l`), which the tests check on the general code path.
#[derive(Debug, Clone)]
pub struct FourPointVertex {
    net: DeepNetwork,
    pairs: Multisets,
    quads: Multisets,
    kernels: KernelRecursion,
    layers: Vec<LayerTerms>,
    /// `V` over pairs of pairs, row-major `P x P`.
    vertex: Vec<f64>,
    quadrature_error: f64,
}

impl FourPointVertex {
    /// The vertex of `net` on `inputs` (their input dimensions must agree; `m <= 255` points).
    pub fn new(net: &DeepNetwork, inputs: &InputSet) -> Result<Self> {
        Self::with_monitor(net, inputs, &())
    }

    /// [`Self::new`] under `monitor`, asked before each Gaussian expectation whether to stop
    /// ([`TheoryError::Interrupted`](crate::TheoryError::Interrupted)). The same numbers, bit for bit.
    pub fn with_monitor(net: &DeepNetwork, inputs: &InputSet, monitor: &dyn Monitor) -> Result<Self> {
        Self::build(net, inputs, Act::Known(net.activation()), monitor)
    }

    /// The vertex with the activation `phi` in place of the network's: every expectation by
    /// quadrature, every derivative by central differences of the quadrature.
    pub fn with_function(net: &DeepNetwork, inputs: &InputSet, phi: ActivationFn<'_>) -> Result<Self> {
        Self::build(net, inputs, Act::Function(phi), &())
    }

    fn build(net: &DeepNetwork, inputs: &InputSet, act: Act<'_>, monitor: &dyn Monitor) -> Result<Self> {
        let kernels = KernelRecursion::build(net, inputs, act)?;
        let m = inputs.len();
        let (pairs, quads) = (Multisets::new(m, 2)?, Multisets::new(m, 4)?);
        let p = pairs.len();
        let mut quadrature_error = kernels.quadrature_error();
        let mut layers = Vec::with_capacity(net.depth());
        for l in 1..=net.depth() {
            let k = kernels.layer(l);
            let means = &kernels.pair_means[l - 1];
            let m4 = four_point_moments(act, k, m, &quads, monitor)?;
            quadrature_error = m4.iter().fold(quadrature_error, |a, e| a.max(e.error));
            let moment_error: Vec<f64> = m4.iter().map(|e| e.error).collect();
            let m4: Vec<f64> = m4.iter().map(|e| e.value).collect();
            let mut fluctuation = vec![0.0; p * p];
            for (i, a) in pairs.iter().enumerate() {
                for (j, b) in pairs.iter().enumerate() {
                    let idx = [a[0] as usize, a[1] as usize, b[0] as usize, b[1] as usize];
                    let pos = quads.position(&idx).unwrap_or(0);
                    let m2 = |x: &[u8]| means[x[0] as usize * m + x[1] as usize];
                    fluctuation[i * p + j] = m4[pos] - m2(a) * m2(b);
                }
            }
            let mut gradient = Vec::new();
            if l > 1 {
                gradient = vec![0.0; p * p];
                let pos = |x: usize, y: usize| pairs.position(&[x, y]).unwrap_or(0);
                for (i, pr) in pairs.iter().enumerate() {
                    let (a, b) = (pr[0] as usize, pr[1] as usize);
                    let g = pair_gradient(act, k[a * m + a], k[b * m + b], k[a * m + b], a == b);
                    if a == b {
                        gradient[i * p + pos(a, a)] = g[0];
                    } else {
                        gradient[i * p + pos(a, a)] = g[0];
                        gradient[i * p + pos(b, b)] = g[1];
                        gradient[i * p + pos(a, b)] = g[2];
                    }
                }
            }
            layers.push(LayerTerms { fluctuation, gradient, moment_error });
        }
        let mut out = Self { net: net.clone(), pairs, quads, kernels, layers, vertex: Vec::new(), quadrature_error };
        out.vertex = out.recursion(net.widths());
        Ok(out)
    }

    /// `Vᴸ⁺¹` at the hidden widths `widths`.
    fn recursion(&self, widths: &[usize]) -> Vec<f64> {
        self.layer_vertices(widths).pop().unwrap_or_default()
    }

    /// `V², ..., Vᴸ⁺¹` (row-major `P x P` over the pairs) at the hidden widths `widths`, by
    /// `Vˡ⁺¹ = C_W² (Aˡ + (n_l / n_(l−1)) Dˡ Vˡ Dˡᵀ)` from `V¹ = 0`.
    pub(crate) fn layer_vertices(&self, widths: &[usize]) -> Vec<Vec<f64>> {
        let p = self.pairs.len();
        let c_w2 = self.net.c_w() * self.net.c_w();
        let mut out = Vec::with_capacity(self.layers.len());
        let mut v = vec![0.0; p * p];
        let mut tmp = vec![0.0; p * p];
        for (l, terms) in self.layers.iter().enumerate() {
            let mut next: Vec<f64> = terms.fluctuation.iter().map(|a| c_w2 * a).collect();
            if l > 0 {
                let ratio = widths[l] as f64 / widths[l - 1] as f64;
                let d = &terms.gradient;
                // tmp = V Dᵀ, next += ratio C_W² D tmp
                for i in 0..p {
                    for j in 0..p {
                        tmp[i * p + j] = (0..p).map(|r| v[i * p + r] * d[j * p + r]).sum();
                    }
                }
                for i in 0..p {
                    for j in 0..p {
                        let s: f64 = (0..p).map(|r| d[i * p + r] * tmp[r * p + j]).sum();
                        next[i * p + j] += ratio * c_w2 * s;
                    }
                }
            }
            out.push(next.clone());
            v = next;
        }
        out
    }

    /// `Aˡ_(p)(q) = ⟨φ_p φ_p' φ_q φ_q'⟩ − ⟨φ_p φ_p'⟩⟨φ_q φ_q'⟩` over the pairs, row-major
    /// `P x P`, for `1 <= l <= L`.
    pub(crate) fn layer_fluctuation(&self, l: usize) -> &[f64] {
        &self.layers[l - 1].fluctuation
    }

    /// The estimated error of `⟨φ_a φ_b φ_c φ_d⟩_Kˡ` on every multiset of order 4 ([`Self::multisets`]),
    /// for `1 <= l <= L`.
    pub(crate) fn layer_moment_error(&self, l: usize) -> &[f64] {
        &self.layers[l - 1].moment_error
    }

    /// `Dˡ_(p)(r) = ∂⟨φ_p φ_p'⟩ / ∂Kˡ_r` over the pairs, row-major `P x P`, for `2 <= l <= L`.
    pub(crate) fn layer_gradient(&self, l: usize) -> &[f64] {
        &self.layers[l - 1].gradient
    }

    /// The multisets of order 2 (pairs of input points), the order of the `P x P` tables.
    pub(crate) fn pairs(&self) -> &Multisets {
        &self.pairs
    }

    /// The vertex at other hidden widths `n_1..n_L'` with `1 <= L' <= L` (a shallower network
    /// is the first `L'` layers of this one): the expectations are reused, only the `P x P`
    /// recursion is redone. So one vertex at the largest depth serves a whole depth study.
    pub fn at_widths(&self, widths: &[usize]) -> Result<Self> {
        crate::deep_network::check_shallower(widths, self.net.depth())?;
        let net = self.net.with_widths(widths)?;
        let layers = self.layers[..widths.len()].to_vec();
        let mut out = Self { net, kernels: self.kernels.truncated(widths.len()), layers, ..self.clone() };
        out.vertex = out.recursion(widths);
        Ok(out)
    }

    /// The network.
    pub fn network(&self) -> &DeepNetwork {
        &self.net
    }
    /// The kernel recursion (`K¹ ... Kᴸ⁺¹`).
    pub fn kernels(&self) -> &KernelRecursion {
        &self.kernels
    }
    /// The multisets of order 4 over the input points, the order of the per-multiset tables.
    pub fn multisets(&self) -> &Multisets {
        &self.quads
    }
    /// The largest estimated absolute error of a quadrature used (0 when all are closed forms).
    pub fn quadrature_error(&self) -> f64 {
        self.quadrature_error
    }

    /// The propagated error estimate of every entry of the vertex `V = Vᴸ⁺¹` (rounding when
    /// every expectation is a closed form). With `ε` the largest error of a moment
    /// ([`Self::quadrature_error`]) and `‖Dˡ‖` the largest row sum of `|Dˡ|`, the recursion
    /// `Vˡ⁺¹ = C_W² (Aˡ + (n_l / n_(l−1)) Dˡ Vˡ Dˡᵀ)` carries, to first order and in absolute
    /// values (`|Σ_rs D_pr V_rs D_qs| <= ‖D‖² max |V|`),
    ///
    /// ```text
    /// e² = C_W² ε,   eˡ⁺¹ = C_W² (ε + (n_l / n_(l−1)) ‖Dˡ‖² eˡ),
    /// ```
    ///
    /// the bound [`crate::KernelShift`] and [`crate::SixPointVertex`] carry for the `V` they use.
    pub fn vertex_error(&self) -> f64 {
        self.layer_vertex_errors(self.net.widths()).pop().unwrap_or(0.0)
    }

    /// The bounds `e², ..., eᴸ⁺¹` of [`Self::vertex_error`] on every entry of `V², ..., Vᴸ⁺¹`
    /// at the hidden widths `widths` (those of [`Self::layer_vertices`]).
    pub(crate) fn layer_vertex_errors(&self, widths: &[usize]) -> Vec<f64> {
        let p = self.pairs.len();
        let c_w2 = self.net.c_w() * self.net.c_w();
        let mut out: Vec<f64> = Vec::with_capacity(self.layers.len());
        for (l, terms) in self.layers.iter().enumerate() {
            let e = match out.last() {
                None => c_w2 * self.quadrature_error,
                Some(&e) => {
                    let norm = row_sum_norm(&terms.gradient, p);
                    c_w2 * (self.quadrature_error + widths[l] as f64 / widths[l - 1] as f64 * norm * norm * e)
                }
            };
            out.push(e);
        }
        out
    }

    /// `V_(ab)(cd)` for the input points `a, b, c, d`.
    pub fn vertex(&self, ab: [usize; 2], cd: [usize; 2]) -> f64 {
        let p = self.pairs.len();
        let (i, j) = (self.pairs.position(&ab).unwrap_or(0), self.pairs.position(&cd).unwrap_or(0));
        self.vertex[i * p + j]
    }

    /// `V_(ab)(cd) + V_(ac)(bd) + V_(ad)(bc)` on every multiset of order 4: `n_L` times the
    /// leading-order connected 4-pt function of one output (at `L = 1`: `N κ4`).
    pub fn vertex_sums(&self) -> Vec<f64> {
        self.quads
            .iter()
            .map(|s| {
                let [a, b, c, d] = [0, 1, 2, 3].map(|i| s[i] as usize);
                self.vertex([a, b], [c, d]) + self.vertex([a, c], [b, d]) + self.vertex([a, d], [b, c])
            })
            .collect()
    }

    /// The leading-order connected 4-pt function of the output rows `outputs` at the input
    /// points `points`:
    /// `(1/n_L) [δ_i1i2 δ_i3i4 V_(ab)(cd) + δ_i1i3 δ_i2i4 V_(ac)(bd) + δ_i1i4 δ_i2i3 V_(ad)(bc)]`.
    pub fn connected_g4(&self, outputs: [usize; 4], points: [usize; 4]) -> f64 {
        let [i1, i2, i3, i4] = outputs;
        let [a, b, c, d] = points;
        let delta = |x: usize, y: usize| if x == y { 1.0 } else { 0.0 };
        let s = delta(i1, i2) * delta(i3, i4) * self.vertex([a, b], [c, d])
            + delta(i1, i3) * delta(i2, i4) * self.vertex([a, c], [b, d])
            + delta(i1, i4) * delta(i2, i3) * self.vertex([a, d], [b, c]);
        s / self.n_last()
    }

    /// The GP 4-pt function of the output rows `outputs` at `points`: the Wick sum of
    /// `δ_ij K(x, x')`.
    pub fn gp_g4(&self, outputs: [usize; 4], points: [usize; 4]) -> f64 {
        let (k, m) = (self.kernels.output(), self.kernels.points());
        let [i1, i2, i3, i4] = outputs;
        let [a, b, c, d] = points;
        let g = |i: usize, j: usize, x: usize, y: usize| if i == j { k[x * m + y] } else { 0.0 };
        g(i1, i2, a, b) * g(i3, i4, c, d) + g(i1, i3, a, c) * g(i2, i4, b, d) + g(i1, i4, a, d) * g(i2, i3, b, c)
    }

    /// The leading-order normalised connected 4-pt function of one output on every multiset
    /// of order 4, at leading order in `1/n`: `r = (V_(12)(34) + V_(13)(24) + V_(14)(23)) / (n_L Wick4(K))`.
    ///
    /// `NaN` where `r` is undefined: where `Wick4(K)` vanishes to rounding, that is, where it is
    /// at most [`VANISHING_WICK`] times its Cauchy–Schwarz bound
    /// `|Wick4(K)| ≤ 3 √(K_aa K_bb K_cc K_dd)` (from `|K_ab| ≤ √(K_aa K_bb)`). There the vertex
    /// sum vanishes too and their quotient is a ratio of rounding residues. Relu with `C_b = 0`
    /// at `L = 1` is the case in point: on two inputs of opposite sign in one dimension no
    /// weight makes both pre-activations positive, so `K_ab = 0` exactly and `Wick4(K) = 0` on
    /// every multiset holding such a pair an odd number of times.
    pub fn leading_order_r(&self) -> Vec<f64> {
        let (k, m) = (self.kernels.output(), self.kernels.points());
        self.vertex_sums()
            .iter()
            .zip(self.quads.iter())
            .map(|(v, s)| {
                let pts = [0, 1, 2, 3].map(|i| s[i] as usize);
                let wick = self.gp_g4([0; 4], pts);
                let bound = 3.0 * pts.iter().map(|&a| k[a * m + a]).product::<f64>().sqrt();
                if wick.abs() <= VANISHING_WICK * bound { f64::NAN } else { v / (self.n_last() * wick) }
            })
            .collect()
    }

    /// The multisets of order 4 over the `m d_out` (output, point) pairs, point `p` being output
    /// `p / m` at input `p % m`, with the leading-order connected and the GP 4-pt function on
    /// each: the layout of the deep ensembles' output-indexed correlators.
    pub fn output_indexed(&self) -> Result<(Multisets, Vec<f64>, Vec<f64>)> {
        let m = self.kernels.points();
        let ms = Multisets::new(m * self.net.d_out(), 4)?;
        let (mut connected, mut gp) = (Vec::with_capacity(ms.len()), Vec::with_capacity(ms.len()));
        for s in ms.iter() {
            let outputs = [0, 1, 2, 3].map(|i| s[i] as usize / m);
            let points = [0, 1, 2, 3].map(|i| s[i] as usize % m);
            connected.push(self.connected_g4(outputs, points));
            gp.push(self.gp_g4(outputs, points));
        }
        Ok((ms, connected, gp))
    }

    fn n_last(&self) -> f64 {
        self.net.widths()[self.net.depth() - 1] as f64
    }
}

/// The largest row sum of `|D|` (`P x P`, row-major): the norm the vertices' error bounds use.
pub(crate) fn row_sum_norm(d: &[f64], p: usize) -> f64 {
    (0..p).map(|i| d[i * p..(i + 1) * p].iter().map(|x| x.abs()).sum::<f64>()).fold(0.0, f64::max)
}

/// `⟨φ_a φ_b φ_c φ_d⟩_K` on every multiset of order 4, those on the same distinct points
/// sharing their innermost tables (e.g. `{a, a, b, c}` and `{a, b, b, c}`: the same table of
/// `c`; the same values, bit for bit), the groups spread over the available cores
/// ([`grouped_map`]: the result does not depend on the number of threads).
fn four_point_moments(
    act: Act<'_>,
    k: &[f64],
    m: usize,
    quads: &Multisets,
    monitor: &dyn Monitor,
) -> Result<Vec<Estimate>> {
    grouped_map(&by_distinct_points(quads), quads.len(), monitor, |pos, cache| {
        let idx: Vec<usize> = quads.get(pos).iter().map(|&i| i as usize).collect();
        moment_with(act, k, m, &idx, Some(cache))
    })
}

/// The exact one-input ratio `E[f⁴] / (3 E[f²]²)` at any widths (module docs): `∏_l (1 + 5/n_l)`
/// for relu, `∏_l (1 + 2/n_l)` for linear, when `C_b = 0`; `None` otherwise.
pub fn exact_one_input_ratio(net: &DeepNetwork) -> Option<f64> {
    let c = match net.activation() {
        DeepActivation::Relu => 5.0,
        DeepActivation::Linear => 2.0,
        _ => return None,
    };
    (net.c_b() == 0.0).then(|| net.widths().iter().map(|&n| 1.0 + c / n as f64).product())
}
