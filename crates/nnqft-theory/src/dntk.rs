//! The differential of the neural tangent kernel (dNTK) at leading order in `1/n`
//! ([`DifferentialNtk`]): its cross-correlation with the pre-activations, the tensors `P` and
//! `Q`, their layer recursions derived on the type.

use crate::bounded::Bounded;
use crate::deep_network::DeepNetwork;
use crate::error::Result;
use crate::gaussian::curvature_moment;
use crate::input_set::InputSet;
use crate::monitor::{Monitor, parallel_map};
use crate::ntk_fluctuations::NtkFluctuations;

/// The dNTK-preactivation cross-correlation of a deep network at leading order in `1/n`: the
/// tensors `P` and `Q` of Roberts, Yaida, Hanin, "The Principles of Deep Learning Theory"
/// (arXiv:2106.10165, PDLT; ch. 11), over every quadruple of the input set.
///
/// **Definition** (PDLT §11.1). With `Θˡ_ij,ab` the per-network NTK of layer `l`
/// ([`crate::NeuralTangentKernel`] has its definition) and `λ_μ` the learning-rate factor of
/// parameter `θ_μ` (`λ_W / n_(l'−1)` for a weight of layer `l'`, `λ_b` for a bias), the dNTK is
///
/// ```text
/// dĤˡ_(i0 i1 i2; a0 a1 a2) = Σ_μ λ_μ (∂Θˡ_(i1 i2, a1 a2) / ∂θ_μ) (∂zˡ_(i0, a0) / ∂θ_μ),
/// ```
///
/// PDLT's `dĤ^(ℓ)_{i0 i1 i2; δ0 δ1 δ2} = Σ_{μ,ν} λ_{μν} (dĤ^(ℓ)_{i1 i2; δ1 δ2}/dθ_μ)(dz^(ℓ)_{i0;δ0}/dθ_ν)`
/// with a diagonal `λ_{μν}`, in the same index order: the first neuron and point `(i0, a0)`
/// belong to the pre-activation whose gradient gives the direction, the last two pairs to the
/// NTK. It is the derivative of `Θˡ_(i1 i2)` along `λ ∇_θ zˡ_(i0, a0)`, the change of the NTK in
/// one step of gradient descent: `Δθ_μ = −η λ_μ Σ ε_(i0, a0) ∂z_(i0, a0)/∂θ_μ` gives
/// `ΔΘ_(i1 i2, a1 a2) = −η Σ_(i0, a0) dĤ_(i0 i1 i2; a0 a1 a2) ε_(i0, a0) + O(η²)`.
///
/// **Statistics.** `E[dĤ] = 0` exactly (every term of the forward equation below is odd in the
/// last layer's weights), and its leading correlation with the pre-activations is (PDLT
/// eq. 11.45 in our index names)
///
/// ```text
/// E[dĤˡ⁺¹_(i0 i1 i2; a0 a1 a2) zˡ⁺¹_(i3, a3)]
///     = (1/n_l) [δ_i0i3 δ_i1i2 Pˡ⁺¹_(a0 a1 a2 a3) + δ_i0i1 δ_i2i3 Qˡ⁺¹_(a0 a1 a2 a3) + δ_i0i2 δ_i1i3 Qˡ⁺¹_(a0 a2 a1 a3)] + O(1/n²),
/// ```
///
/// `P_(a0 a1 a2 a3) = P_(a0 a2 a1 a3)` (the NTK is symmetric under `(i1, a1) ↔ (i2, a2)`). Our
/// `Pˡ`, `Qˡ` at equal widths are PDLT's `P^(ℓ)_{δ0δ1δ2δ3}`, `Q^(ℓ)_{δ0δ1δ2δ3}`, their layer `ℓ`
/// ours; with unequal widths each term carries the ratios `n_l / n_(l−1)` of its layers, as in
/// [`NtkFluctuations`]. The network's are `P = Pᴸ⁺¹`, `Q = Qᴸ⁺¹` with `1/n_L` in front.
///
/// # Derivation
///
/// **Forward equation** (exact at any width; PDLT §11.1). Write `W = Wˡ⁺¹`, `φ_k,a = φ(zˡ_k,a)`,
/// `ψ_k,a = φ'(zˡ_k,a)`, `χ_k,a = φ''(zˡ_k,a)`, `Θ = Θˡ`, `dĤ = dĤˡ`. From
/// `zˡ⁺¹_i,a = bˡ⁺¹_i + Σ_j W_ij φ_j,a` and
/// `Θˡ⁺¹_(i1 i2, ab) = δ_i1i2 [λ_b + (λ_W/n_l) Σ_q φ_q,a φ_q,b] + Σ_(k k') W_i1k W_i2k' ψ_k,a ψ_k',b Θ_(kk', ab)`
/// ([`crate::NeuralTangentKernel`]), the parameters of layer `l + 1` give
/// `∂zˡ⁺¹_(i0, c)/∂W_pq = δ_i0p φ_q,c` (and `Θˡ⁺¹` has no bias), the earlier ones the chain rule
/// `∂zˡ⁺¹_(i0, c)/∂θ = Σ_j W_i0j ψ_j,c ∂zˡ_(j, c)/∂θ`, and `Σ_μ λ_μ ∂_μ zˡ_j,c ∂_μ zˡ_q,a = Θ_(jq, ca)`,
/// `Σ_μ λ_μ ∂_μ zˡ_j,c ∂_μ Θ_(kk', ab) = dĤ_(j k k'; c a b)`. So, with `c = a0`, `a = a1`, `b = a2`,
///
/// ```text
/// dĤˡ⁺¹_(i0 i1 i2; c a b) = (λ_W/n_l) [δ_i0i1 Σ_(q k') φ_q,c ψ_q,a Θ_(qk', ab) ψ_k',b W_i2k' + δ_i0i2 Σ_(k q) W_i1k ψ_k,a Θ_(kq, ab) ψ_q,b φ_q,c]
///   + Σ_j W_i0j ψ_j,c { δ_i1i2 (λ_W/n_l) Σ_q [ψ_q,a φ_q,b Θ_(jq, ca) + φ_q,a ψ_q,b Θ_(jq, cb)]
///       + Σ_(k k') W_i1k W_i2k' [χ_k,a ψ_k',b Θ_(kk', ab) Θ_(jk, ca) + ψ_k,a χ_k',b Θ_(kk', ab) Θ_(jk', cb) + ψ_k,a ψ_k',b dĤ_(j k k'; c a b)] },
/// ```
///
/// and `dĤ¹ = 0` (the first layer's NTK does not depend on the parameters).
///
/// **Wick's theorem over `W`** (given every layer up to `l`, `W_ij ~ N(0, σ²)`, `σ² = C_W/n_l`;
/// the bias of `zˡ⁺¹` and every odd power of `W` average to 0) pairs `W_i3m` of `zˡ⁺¹_(i3, d)`
/// with the one `W` of the first two lines, and the three `W` of the last with each other and
/// with it, giving the three Kronecker structures. Their double sums over the neurons `j, k` of
/// layer `l` are evaluated at leading order as for `F` and `B` ([`NtkFluctuations`], facts 1
/// and 2): a term with one neuron has every expectation at `Kˡ` and `Θ_kk → Θˡ`; a term with two
/// neurons `j ≠ k` needs the correlation of an off-diagonal `Θ_jk` (or of `dĤ_(j k k)`,
/// `dĤ_(j j k)`), of order `n^(−1/2)`, with functions of `zˡ_j`, `zˡ_k`, which Stein's lemma over
/// the rows `w_j`, `w_k` of `Wˡ` (each appears once in it) gives at order `1/n_(l−1)`:
///
/// ```text
/// E[Θ_(jk, αγ) g(zˡ_j) h(zˡ_k)]          = (1/n_(l−1)) Σ_(μν) Fˡ_(α μ γ ν) ⟨∂_μ g⟩ ⟨∂_ν h⟩,
/// E[Θ_(jk, ab) Θ_(jk, cb') g(zˡ_j) h(zˡ_k)] = (1/n_(l−1)) Bˡ_(a c b b') ⟨g⟩ ⟨h⟩,
/// E[dĤ_(j k k; c a b) g(zˡ_j) h(zˡ_k)]     = (1/n_(l−1)) Σ_μ Pˡ_(c a b μ) ⟨∂_μ g⟩ ⟨h⟩,
/// E[dĤ_(j j k; c a b) g(zˡ_j) h(zˡ_k)]     = (1/n_(l−1)) Σ_ν Qˡ_(c a b ν) ⟨g⟩ ⟨∂_ν h⟩,
/// ```
///
/// `μ`, `ν` over the points the function depends on, `⟨·⟩` at `Kˡ`. The first two lines of the
/// forward equation are `(λ_W/n_l) σ²` times the double sum `Σ_(kk') φ_k,β ψ_k,α Θ_(kk', αγ) ψ_k',γ φ_k',δ`
/// whose expectation is `Fˡ⁺¹_(αβγδ) / (n_l σ⁴)` ([`NtkFluctuations`]'s derivation), so they
/// contribute `(λ_W/C_W) Fˡ⁺¹` to `Q` (first line) and to `P` (second). Collecting, with
/// `r = n_l / n_(l−1)`, `Θ = Θˡ`, every expectation at `Kˡ`:
///
/// ```text
/// Pˡ⁺¹_(cabd) = (λ_W/C_W) (Fˡ⁺¹_(cdab) + Fˡ⁺¹_(cdba)) + C_W² Θ_ab (Θ_ca G_(cabd) + Θ_cb G_(cbad))
///     + r C_W² [ Θ_ab Σ_(μ ∈ {c,d}) ⟨∂_μ(φ'_c φ_d)⟩ Σ_(ν ∈ {a,b}) (Fˡ_(cμaν) ⟨∂_ν(φ''_a φ'_b)⟩ + Fˡ_(cμbν) ⟨∂_ν(φ'_a φ''_b)⟩)
///              + ⟨φ'_a φ'_b⟩ Σ_(μ ∈ {c,d}) Pˡ_(cabμ) ⟨∂_μ(φ'_c φ_d)⟩ ],
/// Qˡ⁺¹_(cabd) = (λ_W/C_W) Fˡ⁺¹_(acbd) + C_W² Θ_ab (Θ_ca G_(cabd) + Θ_cb G_(cbad))
///     + r C_W² [ Θ_ca Σ_(μ ∈ {c,a}, ν ∈ {b,d}) Fˡ_(aμbν) ⟨∂_μ(φ'_c φ''_a)⟩ ⟨∂_ν(φ'_b φ_d)⟩
///              + Bˡ_(acbb) ⟨φ'_c φ'_a⟩ ⟨φ''_b φ_d⟩ + ⟨φ'_c φ'_a⟩ Σ_(ν ∈ {b,d}) Qˡ_(cabν) ⟨∂_ν(φ'_b φ_d)⟩ ],
/// ```
///
/// from `P¹ = Q¹ = 0`, with the single-neuron four-point expectation
/// `G_(cabd) = ⟨φ'_c φ''_a φ'_b φ_d⟩` (the `j = k` terms, the same in both), `(λ_W/C_W) Fˡ⁺¹`
/// read as `λ_W C_W` times `Fˡ⁺¹`'s coefficient of `C_W²` (0 at `C_W = 0`). The first layer's
/// terms alone make `P²`, `Q²`: at `L = 1` the result is exact at any width (`Θ¹` is not random
/// and off-diagonal `Θ¹_jk = 0`). The single-neuron derivatives are, by Price's theorem,
/// `⟨∂_ν(φ''_a φ'_b)⟩ = 2 ∂⟨φ'_a φ'_b⟩/∂K_aa` (`ν = a ≠ b`), `∂⟨φ'_a φ'_b⟩/∂K_ab` (`ν = b`),
/// `d⟨φ'²⟩/dK` (`a = b`); `⟨φ''_b φ_d⟩ = 2 ∂⟨φ_b φ_d⟩/∂K_bb` (`b ≠ d`), `d⟨φ²⟩/dK − ⟨φ'²⟩`
/// (`b = d`); `⟨∂_μ(φ'_α φ_β)⟩` as in [`NtkFluctuations`]. **relu**: its `φ''` vanishes away
/// from `z = 0`, which a sampled pre-activation misses with probability 1, so the per-network
/// dNTK has no `χ` terms and every term with `φ''` above is 0 (not the delta function Price's
/// theorem would put there; the `φ''` of `⟨∂_μ(φ'_c φ_d)⟩` does stay: it comes from Stein's
/// lemma, an integration by parts of a function with a jump). Linear: `φ'' = 0`.
///
/// # Error bounds
///
/// [`Self::p_error`], [`Self::q_error`] bound the error the quadratures leave in each entry, by
/// [`NtkFluctuations`]' conventions: the recursions above are sums of products of computed
/// values, so each entry's bound follows the same recursion term by term (a sum's bound is the
/// sum of its terms' bounds, a product of computed `x̂`, `ŷ` with bounds `e_x`, `e_y` has
/// `|x̂ ŷ − x y| <= |x̂| e_y + e_x (|ŷ| + e_y)`). The inputs' bounds: each `G_(cabd)`'s own
/// estimate (the nested quadrature at two resolutions); the propagated bounds of `Θˡ`
/// ([`crate::NeuralTangentKernel::layer_error`]), of `Fˡ`, `Fˡ⁺¹`, `Bˡ` (those of
/// [`NtkFluctuations`]) and of `⟨φ'_a φ'_b⟩`; each pair's derivative estimate for the
/// derivatives of `⟨φ'_a φ'_b⟩`. Not included, as in [`NtkFluctuations`]: the errors of the
/// first derivatives `∂⟨φ_a φ_b⟩/∂K` and of `Kˡ` as the argument of the expectations. Closed
/// forms everywhere (linear) give bounds of exactly 0; the tests hold the bounds to a reference
/// whose `G` are erf's closed forms.
///
/// **Checks.** Deep linear networks (`φ' = 1`, `φ'' = 0`) at equal widths with
/// `C_b = λ_b = 0`, `s_ab = x_a·x_b / d`: `Kˡ = C_Wˡ s`, `Θˡ = l λ_W C_Wˡ⁻¹ s`, and the
/// recursions (`Fˡ⁺¹ = C_W² (Θˡ_αγ Kˡ_βδ + Fˡ)`, `Pˡ⁺¹ = λ_W C_W (F̃_cdab + F̃_cdba) + C_W² Pˡ`,
/// `Qˡ⁺¹ = λ_W C_W F̃_acbd + C_W² Qˡ`, `F̃ = Fˡ⁺¹ / C_W²`) sum to
///
/// ```text
/// Pᴸ⁺¹_(cabd) = λ_W² C_W^(2L) (s_ca s_bd + s_cb s_ad) L(L+1)(L+2)/6,
/// Qᴸ⁺¹_(cabd) = λ_W² C_W^(2L) s_ab s_cd L(L+1)(L+2)/6.
/// ```
///
/// At `L = 1` they are exact, from the network itself: with `h = U x`, `f_i = Σ_j V_ij h_j`,
/// `U ~ N(0, C_W/n_0)`, `V ~ N(0, C_W/n_1)`, the definition gives
/// `dĤ_(i0 i1 i2; cab) = (λ_W²/n_1) [s_ab Σ_j h_j,c (δ_i0i1 V_i2j + δ_i0i2 V_i1j) + δ_i1i2 Σ_j V_i0j (s_ca h_j,b + s_cb h_j,a)]`,
/// and `E[V_ij h_j,c V_i'm h_m,d] = δ_ii' δ_jm (C_W/n_1) C_W s_cd` turns its product with
/// `f_(i3, d)` into the two lines above at `L = 1`. The tests hold the code to them to
/// rounding at depths 1 to 6 on points of dimension 2 (where `s_ab s_cd ≠ s_ac s_bd`); Monte
/// Carlo of the sampled dNTK (the sampling crate) checks tanh and a second activation.
///
/// ```
/// use nnqft_theory::{DeepActivation, DeepNetwork, DifferentialNtk, InputSet};
/// let net = DeepNetwork::new(DeepActivation::Linear, &[10, 10], 1.0, 0.0)?;
/// let x = InputSet::new("two", &[vec![0.5], vec![-1.0]])?;
/// let dntk = DifferentialNtk::new(&net, &x)?;
/// // deep linear, C_W = λ_W = 1, C_b = λ_b = 0, L = 2: Q_(cabd) = 4 s_ab s_cd, s_ab = x_a x_b
/// let q = dntk.q([0, 1, 1, 0]);
/// assert!((q - 4.0 * 0.25 * 1.0).abs() < 1e-13);
/// # Ok::<(), nnqft_theory::TheoryError>(())
/// ```
#[derive(Debug, Clone)]
pub struct DifferentialNtk {
    fluctuations: NtkFluctuations,
    /// `G_(cabd)` of layers `1 ... L`, dense `m⁴` in the order `[c][a][b][d]`, and the
    /// estimated error of each entry.
    curvatures: Vec<Vec<f64>>,
    curvature_errors: Vec<Vec<f64>>,
    /// `P¹ ... Pᴸ⁺¹` and `Q¹ ... Qᴸ⁺¹` at the network's widths, dense `m⁴` `[a0][a1][a2][a3]`,
    /// each entry with its propagated error bound.
    p: Vec<Vec<Bounded>>,
    q: Vec<Vec<Bounded>>,
    quadrature_error: f64,
}

impl DifferentialNtk {
    /// The tensors of `net` on `inputs` in the NTK parameterisation (`λ_W = C_W`, `λ_b = C_b`).
    pub fn new(net: &DeepNetwork, inputs: &InputSet) -> Result<Self> {
        Self::with_learning_rates(net, inputs, net.c_w(), net.c_b())
    }

    /// The tensors with learning-rate factors `lambda_w`, `lambda_b` (finite, `>= 0`).
    pub fn with_learning_rates(net: &DeepNetwork, inputs: &InputSet, lambda_w: f64, lambda_b: f64) -> Result<Self> {
        Self::with_monitor(net, inputs, lambda_w, lambda_b, &())
    }

    /// [`Self::with_learning_rates`] under `monitor`, asked before each Gaussian expectation
    /// whether to stop. The same numbers, bit for bit.
    pub fn with_monitor(
        net: &DeepNetwork,
        inputs: &InputSet,
        lambda_w: f64,
        lambda_b: f64,
        monitor: &dyn Monitor,
    ) -> Result<Self> {
        let fluctuations = NtkFluctuations::with_monitor(net, inputs, lambda_w, lambda_b, monitor)?;
        let m = inputs.len();
        let act = net.activation();
        let mut quadrature_error = fluctuations.quadrature_error();
        let mut curvatures = Vec::with_capacity(net.depth());
        let mut curvature_errors = Vec::with_capacity(net.depth());
        for l in 1..=net.depth() {
            let k = fluctuations.kernel_shift().kernels().layer(l);
            // G_(cabd) = G_(bacd): compute c <= b once
            let all = parallel_map(m * m * m * m, monitor, |i| {
                let [c, a, b, d] = [i / (m * m * m), i / (m * m) % m, i / m % m, i % m];
                (c <= b).then(|| curvature_moment(act, k, m, [c, a, b, d]))
            })?;
            let mut g = vec![0.0; m * m * m * m];
            let mut g_e = vec![0.0; m * m * m * m];
            for (i, e) in all.iter().enumerate() {
                let [c, a, b, d] = [i / (m * m * m), i / (m * m) % m, i / m % m, i % m];
                let e =
                    if c <= b { e.unwrap_or_default() } else { all[((b * m + a) * m + c) * m + d].unwrap_or_default() };
                quadrature_error = quadrature_error.max(e.error);
                g[i] = e.value;
                g_e[i] = e.error;
            }
            curvatures.push(g);
            curvature_errors.push(g_e);
        }
        let mut out =
            Self { fluctuations, curvatures, curvature_errors, p: Vec::new(), q: Vec::new(), quadrature_error };
        (out.p, out.q) = out.recursion();
        Ok(out)
    }

    /// The tensors at other hidden widths `n_1..n_L'` with `1 <= L' <= L` (a shallower network
    /// is the first `L'` layers of this one): the expectations are reused and only the
    /// recursions are redone ([`NtkFluctuations::at_widths`]); the tensors are a fresh build's,
    /// bit for bit. Errors: no widths, more than `L`, or a width of 0, naming the field.
    pub fn at_widths(&self, widths: &[usize]) -> Result<Self> {
        let fluctuations = self.fluctuations.at_widths(widths)?;
        let quadrature_error = self.quadrature_error.max(fluctuations.quadrature_error());
        let mut out = Self {
            fluctuations,
            curvatures: self.curvatures[..widths.len()].to_vec(),
            curvature_errors: self.curvature_errors[..widths.len()].to_vec(),
            p: Vec::new(),
            q: Vec::new(),
            quadrature_error,
        };
        (out.p, out.q) = out.recursion();
        Ok(out)
    }

    /// The recursions of the type's docs, `P¹ ... Pᴸ⁺¹` and `Q¹ ... Qᴸ⁺¹`, each entry with its
    /// propagated error bound (type docs, "Error bounds").
    #[allow(clippy::type_complexity)]
    fn recursion(&self) -> (Vec<Vec<Bounded>>, Vec<Vec<Bounded>>) {
        let fl = &self.fluctuations;
        let net = fl.network();
        let widths = net.widths();
        let m = fl.points();
        let m4 = m * m * m * m;
        let c_w = net.c_w();
        let c_w2 = c_w * c_w;
        let lambda_w = fl.ntk().lambda_w();
        let pairs = fl.kernel_shift().vertex().pairs();
        let np = pairs.len();
        let pos = |x: usize, y: usize| pairs.position(&[x, y]).unwrap_or(0);
        let at = |a: usize, b: usize, c: usize, d: usize| ((a * m + b) * m + c) * m + d;
        // φ'' enters only through relu's kink, which the per-network dNTK never sees
        let curved = !matches!(net.activation(), crate::DeepActivation::Relu | crate::DeepActivation::Linear);
        let zero = Bounded::exact(0.0);
        let mut ps = vec![vec![zero; m4]];
        let mut qs = vec![vec![zero; m4]];
        for l in 1..=net.depth() {
            let ntk = fl.ntk();
            let theta = |a: usize, b: usize| Bounded::new(ntk.layer(l)[a * m + b], ntk.layer_error(l)[a * m + b]);
            let slope = |a: usize, b: usize| {
                Bounded::new(ntk.derivative_mean(l)[a * m + b], ntk.derivative_mean_error(l)[a * m + b])
            };
            let (g, g_e) = (&self.curvatures[l - 1], &self.curvature_errors[l - 1]);
            let curvature = |i: usize| Bounded::new(g[i], g_e[i]);
            let (f_next, f_next_e) = (fl.layer_f(l + 1), fl.layer_f_error(l + 1));
            let next = |i: usize| Bounded::new(f_next[i], f_next_e[i]);
            let scale = if c_w > 0.0 { lambda_w / c_w } else { 0.0 };
            let mut p = vec![zero; m4];
            let mut q = vec![zero; m4];
            for (i, (pv, qv)) in p.iter_mut().zip(q.iter_mut()).enumerate() {
                let [c, a, b, d] = [i / (m * m * m), i / (m * m) % m, i / m % m, i % m];
                let single =
                    (theta(a, b) * (theta(c, a) * curvature(i) + theta(c, b) * curvature(at(c, b, a, d)))).scale(c_w2);
                *pv = (next(at(c, d, a, b)) + next(at(c, d, b, a))).scale(scale) + single;
                *qv = next(at(a, c, b, d)).scale(scale) + single;
            }
            if l > 1 {
                let ratio = widths[l - 1] as f64 / widths[l - 2] as f64;
                let (f, f_e, bt, bt_e) = (fl.layer_f(l), fl.layer_f_error(l), fl.layer_b(l), fl.layer_b_error(l));
                let fb = |i: usize| Bounded::new(f[i], f_e[i]);
                let (pp, qp) = (&ps[l - 1], &qs[l - 1]);
                // the first derivatives of ⟨φ φ⟩ carry no bound (as in `NtkFluctuations`)
                let grad = fl.kernel_shift().vertex().layer_gradient(l);
                let (sg, sg_e) = (fl.layer_slope_gradient(l), fl.layer_slope_derivative_errors(l));
                // ⟨∂_μ(φ'_α φ_β)⟩ for μ = α (first) and μ = β (second); one entry when α = β
                let dphi = |al: usize, be: usize| -> [(usize, Bounded); 2] {
                    if al == be {
                        [(al, Bounded::exact(grad[pos(al, al) * np + pos(al, al)])), (al, zero)]
                    } else {
                        [(al, Bounded::exact(2.0 * grad[pos(al, be) * np + pos(al, al)])), (be, slope(al, be))]
                    }
                };
                // ⟨∂_ν(φ''_a φ'_b)⟩ for ν = a (first) and ν = b (second); one entry when a = b
                let dcurv = |a: usize, b: usize| -> [(usize, Bounded); 2] {
                    let e = sg_e[pos(a, b)];
                    if !curved {
                        [(a, zero), (b, zero)]
                    } else if a == b {
                        [(a, Bounded::new(sg[pos(a, a) * np + pos(a, a)], e)), (a, zero)]
                    } else {
                        [
                            (a, Bounded::new(2.0 * sg[pos(a, b) * np + pos(a, a)], 2.0 * e)),
                            (b, Bounded::new(sg[pos(a, b) * np + pos(a, b)], e)),
                        ]
                    }
                };
                // ⟨φ''_b φ_d⟩
                let curv_value = |b: usize, d: usize| -> Bounded {
                    if !curved {
                        zero
                    } else if b == d {
                        Bounded::exact(grad[pos(b, b) * np + pos(b, b)]) + slope(b, b).scale(-1.0)
                    } else {
                        Bounded::exact(2.0 * grad[pos(b, d) * np + pos(b, b)])
                    }
                };
                for (i, (pv, qv)) in p.iter_mut().zip(q.iter_mut()).enumerate() {
                    let [c, a, b, d] = [i / (m * m * m), i / (m * m) % m, i / m % m, i % m];
                    let mut sp = zero;
                    for (mu, e1) in dphi(c, d) {
                        let mut inner = zero;
                        for (nu, e2) in dcurv(a, b) {
                            inner = inner + fb(at(c, mu, a, nu)) * e2;
                        }
                        for (nu, e2) in dcurv(b, a) {
                            inner = inner + fb(at(c, mu, b, nu)) * e2;
                        }
                        sp = sp + e1 * (theta(a, b) * inner + slope(a, b) * pp[at(c, a, b, mu)]);
                    }
                    *pv = *pv + sp.scale(ratio * c_w2);
                    let mut sq =
                        Bounded::new(bt[at(a, c, b, b)], bt_e[at(a, c, b, b)]) * (slope(c, a) * curv_value(b, d));
                    for (nu, e2) in dphi(b, d) {
                        let mut inner = zero;
                        for (mu, e1) in dcurv(a, c) {
                            inner = inner + fb(at(a, mu, b, nu)) * e1;
                        }
                        sq = sq + e2 * (theta(c, a) * inner + slope(c, a) * qp[at(c, a, b, nu)]);
                    }
                    *qv = *qv + sq.scale(ratio * c_w2);
                }
            }
            ps.push(p);
            qs.push(q);
        }
        (ps, qs)
    }

    /// The NTK fluctuation tensors the dNTK is built on.
    pub fn fluctuations(&self) -> &NtkFluctuations {
        &self.fluctuations
    }
    /// The network.
    pub fn network(&self) -> &DeepNetwork {
        self.fluctuations.network()
    }
    /// The number of input points `m`.
    pub fn points(&self) -> usize {
        self.fluctuations.points()
    }
    /// The largest estimated absolute error of an expectation or derivative used (not
    /// propagated through the recursions; 0 when all are closed forms; the propagated bound of
    /// each entry is [`Self::p_error`], [`Self::q_error`]).
    pub fn quadrature_error(&self) -> f64 {
        self.quadrature_error
    }

    fn index(&self, [a0, a1, a2, a3]: [usize; 4]) -> usize {
        let m = self.points();
        ((a0 * m + a1) * m + a2) * m + a3
    }

    /// `P_(a0 a1 a2 a3)` of the output, in PDLT's index order (type docs).
    pub fn p(&self, points: [usize; 4]) -> f64 {
        self.p[self.p.len() - 1][self.index(points)].value
    }
    /// `Q_(a0 a1 a2 a3)` of the output, in PDLT's index order (type docs).
    pub fn q(&self, points: [usize; 4]) -> f64 {
        self.q[self.q.len() - 1][self.index(points)].value
    }
    /// The propagated error bound of [`Self::p`] (type docs, "Error bounds"); 0 where every
    /// expectation is a closed form.
    pub fn p_error(&self, points: [usize; 4]) -> f64 {
        self.p[self.p.len() - 1][self.index(points)].error
    }
    /// The propagated error bound of [`Self::q`].
    pub fn q_error(&self, points: [usize; 4]) -> f64 {
        self.q[self.q.len() - 1][self.index(points)].error
    }
    /// `Pˡ` of layer `l = 1, ..., L + 1` at `points` (`P¹ = 0`).
    pub fn layer_p(&self, l: usize, points: [usize; 4]) -> f64 {
        self.p[l.clamp(1, self.p.len()) - 1][self.index(points)].value
    }
    /// `Qˡ` of layer `l = 1, ..., L + 1` at `points` (`Q¹ = 0`).
    pub fn layer_q(&self, l: usize, points: [usize; 4]) -> f64 {
        self.q[l.clamp(1, self.q.len()) - 1][self.index(points)].value
    }

    /// The leading-order `E[dĤ_(i0 i1 i2; a0 a1 a2) f_(i3, a3)]` for `outputs = [i0, i1, i2, i3]`
    /// and `points = [a0, a1, a2, a3]`:
    /// `(1/n_L) [δ_i0i3 δ_i1i2 P_(a0 a1 a2 a3) + δ_i0i1 δ_i2i3 Q_(a0 a1 a2 a3) + δ_i0i2 δ_i1i3 Q_(a0 a2 a1 a3)]`.
    pub fn dntk_preactivation(&self, [i0, i1, i2, i3]: [usize; 4], [a0, a1, a2, a3]: [usize; 4]) -> f64 {
        let delta = |x: usize, y: usize| if x == y { 1.0 } else { 0.0 };
        let w = self.network().widths();
        (delta(i0, i3) * delta(i1, i2) * self.p([a0, a1, a2, a3])
            + delta(i0, i1) * delta(i2, i3) * self.q([a0, a1, a2, a3])
            + delta(i0, i2) * delta(i1, i3) * self.q([a0, a2, a1, a3]))
            / w[w.len() - 1] as f64
    }

    /// The propagated error bound of [`Self::dntk_preactivation`]: the same Kronecker deltas
    /// over `n_L` times [`Self::p_error`], [`Self::q_error`] (a sum's bound is the sum of its
    /// terms'); 0 where every expectation is a closed form.
    pub fn dntk_preactivation_error(&self, [i0, i1, i2, i3]: [usize; 4], [a0, a1, a2, a3]: [usize; 4]) -> f64 {
        let delta = |x: usize, y: usize| if x == y { 1.0 } else { 0.0 };
        let w = self.network().widths();
        (delta(i0, i3) * delta(i1, i2) * self.p_error([a0, a1, a2, a3])
            + delta(i0, i1) * delta(i2, i3) * self.q_error([a0, a1, a2, a3])
            + delta(i0, i2) * delta(i1, i3) * self.q_error([a0, a2, a1, a3]))
            / w[w.len() - 1] as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deep_activation::DeepActivation;

    /// Rounding of the linear recursions against their closed forms (relative).
    const ROUNDING: f64 = 1e-13;

    /// Deep linear networks at equal widths without biases: `P`, `Q` equal the closed forms of
    /// the type's docs at every depth, on points of dimension 2 (every index structure distinct),
    /// with `λ_W ≠ C_W`.
    #[test]
    fn deep_linear_closed_forms() {
        let pts = [vec![0.7, -0.3], vec![-0.4, 1.1], vec![1.3, 0.5]];
        let x = InputSet::new("three", &pts).unwrap();
        let s = |a: usize, b: usize| (pts[a][0] * pts[b][0] + pts[a][1] * pts[b][1]) / 2.0;
        let (c_w, lambda_w) = (1.3, 0.7);
        for depth in 1..=6 {
            let net =
                DeepNetwork::new(DeepActivation::Linear, &vec![7; depth], c_w, 0.0).unwrap().with_d_in(2).unwrap();
            let dntk = DifferentialNtk::with_learning_rates(&net, &x, lambda_w, 0.0).unwrap();
            let l = depth as f64;
            let k = lambda_w * lambda_w * c_w.powi(2 * depth as i32) * l * (l + 1.0) * (l + 2.0) / 6.0;
            for i in 0..81 {
                let [c, a, b, d] = [i / 27, i / 9 % 3, i / 3 % 3, i % 3];
                let p = k * (s(c, a) * s(b, d) + s(c, b) * s(a, d));
                let q = k * s(a, b) * s(c, d);
                let (gp, gq) = (dntk.p([c, a, b, d]), dntk.q([c, a, b, d]));
                assert!((gp - p).abs() <= ROUNDING * k, "L = {depth} P{:?}: {gp} vs {p}", [c, a, b, d]);
                assert!((gq - q).abs() <= ROUNDING * k, "L = {depth} Q{:?}: {gq} vs {q}", [c, a, b, d]);
            }
            assert!(dntk.quadrature_error() == 0.0, "closed forms have no quadrature error");
        }
    }

    /// `P_(cabd) = P_(cbad)` (the NTK's symmetry) for a smooth activation at depth 3, and the
    /// tensors at shallower widths are a fresh build's, bit for bit.
    #[test]
    fn symmetry_and_shallower_widths() {
        let x = InputSet::new("two", &[vec![-0.6], vec![0.9]]).unwrap();
        let net = DeepNetwork::new(DeepActivation::Tanh, &[4, 5, 6], 1.2, 0.1).unwrap();
        let dntk = DifferentialNtk::new(&net, &x).unwrap();
        for i in 0..16 {
            let [c, a, b, d] = [i / 8, i / 4 % 2, i / 2 % 2, i % 2];
            let (x1, x2) = (dntk.p([c, a, b, d]), dntk.p([c, b, a, d]));
            assert!((x1 - x2).abs() <= 1e-12 * x1.abs().max(1e-3), "{x1} vs {x2}");
        }
        let shallow = dntk.at_widths(&[4, 5]).unwrap();
        let fresh =
            DifferentialNtk::new(&DeepNetwork::new(DeepActivation::Tanh, &[4, 5], 1.2, 0.1).unwrap(), &x).unwrap();
        for i in 0..16 {
            let q = [i / 8, i / 4 % 2, i / 2 % 2, i % 2];
            assert_eq!(shallow.p(q).to_bits(), fresh.p(q).to_bits());
            assert_eq!(shallow.q(q).to_bits(), fresh.q(q).to_bits());
        }
    }

    /// `⟨erf'_c erf''_a erf'_b erf_d⟩_K` in closed form: `erf'' = −2z erf'` and the three
    /// `erf' = (2/√π) e^(−z²)` tilt the Gaussian, `⟨Π e^(−s_j z_j²) g⟩_K = det(I + 2KS)^(−1/2) ⟨g⟩_Σ`,
    /// `Σ = K (I + 2SK)⁻¹`, and Stein's lemma gives `⟨z_a erf(z_d)⟩_Σ = Σ_ad (2/√π) / √(1 + 2Σ_dd)`.
    fn erf_curvature(k: &[f64], m: usize, [c, a, b, d]: [usize; 4]) -> f64 {
        let mut pts = vec![c, a, b, d];
        pts.sort_unstable();
        pts.dedup();
        let n = pts.len();
        let s: Vec<f64> = pts.iter().map(|p| [c, a, b].iter().filter(|&&x| x == *p).count() as f64).collect();
        let kk: Vec<f64> = (0..n * n).map(|x| k[pts[x / n] * m + pts[x % n]]).collect();
        let plus = |left: bool| -> Vec<f64> {
            (0..n * n)
                .map(|x| {
                    let (i, j) = (x / n, x % n);
                    let t = if left { 2.0 * s[i] * kk[i * n + j] } else { 2.0 * kk[i * n + j] * s[j] };
                    t + if i == j { 1.0 } else { 0.0 }
                })
                .collect()
        };
        let (det, _) = crate::ntk_fluctuations::tests::det_inverse(&plus(false), n);
        let (_, inv) = crate::ntk_fluctuations::tests::det_inverse(&plus(true), n);
        let sigma: Vec<f64> =
            (0..n * n).map(|x| (0..n).map(|r| kk[(x / n) * n + r] * inv[r * n + x % n]).sum()).collect();
        let at = |p: usize| pts.iter().position(|&x| x == p).unwrap_or(0);
        let (ia, id) = (at(a), at(d));
        let root_pi = std::f64::consts::PI.sqrt();
        let g = sigma[ia * n + id] * 2.0 / root_pi / (1.0 + 2.0 * sigma[id * n + id]).sqrt();
        -2.0 * (2.0 / root_pi).powi(3) / det.sqrt() * g
    }

    /// The quadratures of `G` are within their estimates of erf's closed forms, and the
    /// propagated bounds of `P` and `Q` cover the change the closed forms make (the rest of the
    /// inputs unchanged), which is not zero.
    #[test]
    fn error_bounds_cover_erf_closed_form_reference() {
        let net = DeepNetwork::new(DeepActivation::Erf, &[2, 2, 2], 1.8, 0.3).unwrap();
        let x = InputSet::new("three", &[vec![-0.7], vec![0.4], vec![1.2]]).unwrap();
        let theory = DifferentialNtk::new(&net, &x).unwrap();
        let m = x.len();
        let mut reference = theory.clone();
        let mut largest_input_error = 0.0f64;
        for (l, g) in reference.curvatures.iter_mut().enumerate() {
            let k = theory.fluctuations.kernel_shift().kernels().layer(l + 1);
            for (i, v) in g.iter_mut().enumerate() {
                let idx = [i / (m * m * m), i / (m * m) % m, i / m % m, i % m];
                let exact = erf_curvature(k, m, idx);
                let (got, e) = (*v, theory.curvature_errors[l][i]);
                assert!((got - exact).abs() <= e + 1e-15, "layer {l} {idx:?}: {got} ± {e} vs {exact}");
                largest_input_error = largest_input_error.max((got - exact).abs());
                *v = exact;
            }
        }
        assert!(largest_input_error > 0.0, "the quadratures leave no error to bound");
        (reference.p, reference.q) = reference.recursion();
        let mut largest = 0.0f64;
        for i in 0..m * m * m * m {
            let q4 = [i / (m * m * m), i / (m * m) % m, i / m % m, i % m];
            for (what, got, want, bound) in [
                ("P", theory.p(q4), reference.p(q4), theory.p_error(q4)),
                ("Q", theory.q(q4), reference.q(q4), theory.q_error(q4)),
            ] {
                largest = largest.max((got - want).abs());
                assert!((got - want).abs() <= bound, "{what}{q4:?}: {got} vs {want}, bound {bound}");
            }
            // the leading-order E[dΘ f] of every Kronecker structure, and its bound
            for o in 0..16 {
                let outputs = [o >> 3 & 1, o >> 2 & 1, o >> 1 & 1, o & 1];
                let (got, want) = (theory.dntk_preactivation(outputs, q4), reference.dntk_preactivation(outputs, q4));
                let bound = theory.dntk_preactivation_error(outputs, q4);
                assert!((got - want).abs() <= bound, "{outputs:?} {q4:?}: {got} vs {want}, bound {bound}");
            }
        }
        assert!(largest > 0.0, "the reference is the theory itself");
    }

    /// Closed forms everywhere (linear) give bounds of exactly 0.
    #[test]
    fn closed_forms_have_zero_error_bounds() {
        let x = InputSet::new("three", &[vec![-1.0], vec![0.2], vec![0.9]]).unwrap();
        let net = DeepNetwork::new(DeepActivation::Linear, &[3, 4, 5], 1.3, 0.2).unwrap();
        let dntk = DifferentialNtk::new(&net, &x).unwrap();
        for i in 0..81 {
            let q4 = [i / 27, i / 9 % 3, i / 3 % 3, i % 3];
            assert!(dntk.p_error(q4) == 0.0 && dntk.q_error(q4) == 0.0, "{q4:?}");
            assert!(dntk.dntk_preactivation_error([0; 4], q4) == 0.0, "{q4:?}");
        }
    }
}
