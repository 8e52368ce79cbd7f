//! The differential of the neural tangent kernel (dNTK) at leading order in `1/n`
//! ([`DifferentialNtk`]): its cross-correlation with the pre-activations, the tensors `P` and
//! `Q`, their layer recursions derived on the type.

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
    /// `G_(cabd)` of layers `1 ... L`, dense `m⁴` in the order `[c][a][b][d]`.
    curvatures: Vec<Vec<f64>>,
    /// `P¹ ... Pᴸ⁺¹` and `Q¹ ... Qᴸ⁺¹` at the network's widths, dense `m⁴` `[a0][a1][a2][a3]`.
    p: Vec<Vec<f64>>,
    q: Vec<Vec<f64>>,
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
        for l in 1..=net.depth() {
            let k = fluctuations.kernel_shift().kernels().layer(l);
            // G_(cabd) = G_(bacd): compute c <= b once
            let all = parallel_map(m * m * m * m, monitor, |i| {
                let [c, a, b, d] = [i / (m * m * m), i / (m * m) % m, i / m % m, i % m];
                (c <= b).then(|| curvature_moment(act, k, m, [c, a, b, d]))
            })?;
            let mut g = vec![0.0; m * m * m * m];
            for (i, e) in all.iter().enumerate() {
                let [c, a, b, d] = [i / (m * m * m), i / (m * m) % m, i / m % m, i % m];
                let e =
                    if c <= b { e.unwrap_or_default() } else { all[((b * m + a) * m + c) * m + d].unwrap_or_default() };
                quadrature_error = quadrature_error.max(e.error);
                g[i] = e.value;
            }
            if l > 1 {
                quadrature_error = quadrature_error.max(fluctuations.layer_slope_derivative_error(l));
            }
            curvatures.push(g);
        }
        let mut out = Self { fluctuations, curvatures, p: Vec::new(), q: Vec::new(), quadrature_error };
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
            p: Vec::new(),
            q: Vec::new(),
            quadrature_error,
        };
        (out.p, out.q) = out.recursion();
        Ok(out)
    }

    /// The recursions of the type's docs, `P¹ ... Pᴸ⁺¹` and `Q¹ ... Qᴸ⁺¹`.
    fn recursion(&self) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
        let fl = &self.fluctuations;
        let net = fl.network();
        let widths = net.widths();
        let m = fl.points();
        let m4 = m * m * m * m;
        let c_w = net.c_w();
        let lambda_w = fl.ntk().lambda_w();
        let pairs = fl.kernel_shift().vertex().pairs();
        let np = pairs.len();
        let pos = |x: usize, y: usize| pairs.position(&[x, y]).unwrap_or(0);
        let at = |a: usize, b: usize, c: usize, d: usize| ((a * m + b) * m + c) * m + d;
        // φ'' enters only through relu's kink, which the per-network dNTK never sees
        let curved = !matches!(net.activation(), crate::DeepActivation::Relu | crate::DeepActivation::Linear);
        let mut ps = vec![vec![0.0; m4]];
        let mut qs = vec![vec![0.0; m4]];
        for l in 1..=net.depth() {
            let theta = fl.ntk().layer(l);
            let slope = fl.ntk().derivative_mean(l);
            let g = &self.curvatures[l - 1];
            let f_next = fl.layer_f(l + 1);
            let scale = if c_w > 0.0 { lambda_w / c_w } else { 0.0 };
            let mut p = vec![0.0; m4];
            let mut q = vec![0.0; m4];
            for (i, (pv, qv)) in p.iter_mut().zip(q.iter_mut()).enumerate() {
                let [c, a, b, d] = [i / (m * m * m), i / (m * m) % m, i / m % m, i % m];
                let single =
                    c_w * c_w * theta[a * m + b] * (theta[c * m + a] * g[i] + theta[c * m + b] * g[at(c, b, a, d)]);
                *pv = scale * (f_next[at(c, d, a, b)] + f_next[at(c, d, b, a)]) + single;
                *qv = scale * f_next[at(a, c, b, d)] + single;
            }
            if l > 1 {
                let ratio = widths[l - 1] as f64 / widths[l - 2] as f64;
                let (f, bt, pp, qp) = (fl.layer_f(l), fl.layer_b(l), &ps[l - 1], &qs[l - 1]);
                let grad = fl.kernel_shift().vertex().layer_gradient(l);
                let sg = fl.layer_slope_gradient(l);
                // ⟨∂_μ(φ'_α φ_β)⟩ for μ = α (first) and μ = β (second); one entry when α = β
                let dphi = |al: usize, be: usize| -> [(usize, f64); 2] {
                    if al == be {
                        [(al, grad[pos(al, al) * np + pos(al, al)]), (al, 0.0)]
                    } else {
                        [(al, 2.0 * grad[pos(al, be) * np + pos(al, al)]), (be, slope[al * m + be])]
                    }
                };
                // ⟨∂_ν(φ''_a φ'_b)⟩ for ν = a (first) and ν = b (second); one entry when a = b
                let dcurv = |a: usize, b: usize| -> [(usize, f64); 2] {
                    if !curved {
                        [(a, 0.0), (b, 0.0)]
                    } else if a == b {
                        [(a, sg[pos(a, a) * np + pos(a, a)]), (a, 0.0)]
                    } else {
                        [(a, 2.0 * sg[pos(a, b) * np + pos(a, a)]), (b, sg[pos(a, b) * np + pos(a, b)])]
                    }
                };
                // ⟨φ''_b φ_d⟩
                let curv_value = |b: usize, d: usize| -> f64 {
                    if !curved {
                        0.0
                    } else if b == d {
                        grad[pos(b, b) * np + pos(b, b)] - slope[b * m + b]
                    } else {
                        2.0 * grad[pos(b, d) * np + pos(b, b)]
                    }
                };
                for (i, (pv, qv)) in p.iter_mut().zip(q.iter_mut()).enumerate() {
                    let [c, a, b, d] = [i / (m * m * m), i / (m * m) % m, i / m % m, i % m];
                    let mut sp = 0.0;
                    for (mu, e1) in dphi(c, d) {
                        let mut inner = 0.0;
                        for (nu, e2) in dcurv(a, b) {
                            inner += f[at(c, mu, a, nu)] * e2;
                        }
                        for (nu, e2) in dcurv(b, a) {
                            inner += f[at(c, mu, b, nu)] * e2;
                        }
                        sp += e1 * (theta[a * m + b] * inner + slope[a * m + b] * pp[at(c, a, b, mu)]);
                    }
                    *pv += ratio * c_w * c_w * sp;
                    let mut sq = bt[at(a, c, b, b)] * slope[c * m + a] * curv_value(b, d);
                    for (nu, e2) in dphi(b, d) {
                        let mut inner = 0.0;
                        for (mu, e1) in dcurv(a, c) {
                            inner += f[at(a, mu, b, nu)] * e1;
                        }
                        sq += e2 * (theta[c * m + a] * inner + slope[c * m + a] * qp[at(c, a, b, nu)]);
                    }
                    *qv += ratio * c_w * c_w * sq;
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
    /// propagated through the recursions; 0 when all are closed forms).
    pub fn quadrature_error(&self) -> f64 {
        self.quadrature_error
    }

    fn index(&self, [a0, a1, a2, a3]: [usize; 4]) -> usize {
        let m = self.points();
        ((a0 * m + a1) * m + a2) * m + a3
    }

    /// `P_(a0 a1 a2 a3)` of the output, in PDLT's index order (type docs).
    pub fn p(&self, points: [usize; 4]) -> f64 {
        self.p[self.p.len() - 1][self.index(points)]
    }
    /// `Q_(a0 a1 a2 a3)` of the output, in PDLT's index order (type docs).
    pub fn q(&self, points: [usize; 4]) -> f64 {
        self.q[self.q.len() - 1][self.index(points)]
    }
    /// `Pˡ` of layer `l = 1, ..., L + 1` at `points` (`P¹ = 0`).
    pub fn layer_p(&self, l: usize, points: [usize; 4]) -> f64 {
        self.p[l.clamp(1, self.p.len()) - 1][self.index(points)]
    }
    /// `Qˡ` of layer `l = 1, ..., L + 1` at `points` (`Q¹ = 0`).
    pub fn layer_q(&self, l: usize, points: [usize; 4]) -> f64 {
        self.q[l.clamp(1, self.q.len()) - 1][self.index(points)]
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
}
