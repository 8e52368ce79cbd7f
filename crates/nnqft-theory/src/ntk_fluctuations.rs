//! The neural tangent kernel of a deep network at order `1/n` ([`NtkFluctuations`]): the
//! NTK-preactivation cross-correlation tensors `D`, `F`, the NTK variance tensors `A`, `B` and the
//! `1/n` shift of the NTK's mean, their layer recursions derived on the type.

use crate::deep_network::DeepNetwork;
use crate::error::Result;
use crate::gaussian::{UPPER, derivative_pair_derivatives, mixed_moments};
use crate::input_set::InputSet;
use crate::kernel_shift::KernelShift;
use crate::monitor::{Monitor, parallel_map};
use crate::multiset::Multisets;
use crate::ntk::{NeuralTangentKernel, product_error};

/// The width-independent expectations of one layer `l` of the recursions, at `Kˡ`.
#[derive(Debug, Clone)]
struct SlopeTerms {
    /// `⟨φ'_p φ'_p' φ_q φ_q'⟩` over pairs `p = (p, p')` and `q`, row-major `P x P`.
    slope_value: Vec<f64>,
    /// `⟨φ'_a φ'_b φ'_c φ'_d⟩` on every multiset of order 4.
    slopes: Vec<f64>,
    /// `∂⟨φ'_p φ'_p'⟩ / ∂Kˡ_r` (unordered pairs `r`), row-major `P x P`; empty at `l = 1`.
    slope_gradient: Vec<f64>,
    /// Per pair, the upper triangle of the Hessian of `⟨φ'_a φ'_b⟩` in `(K_aa, K_bb, K_ab)`
    /// (slot 0 alone for one point); empty at `l = 1`.
    slope_hessian: Vec<[f64; 6]>,
    /// The estimated errors of `slope_value` and `slopes`, entry by entry.
    slope_value_error: Vec<f64>,
    slopes_error: Vec<f64>,
    /// Per pair, the estimated error of every derivative in its row of `slope_gradient` and in
    /// its `slope_hessian`; empty at `l = 1`.
    slope_derivative_error: Vec<f64>,
}

/// The tensors of one layer at the network's widths (or the bounds on their errors).
#[derive(Debug, Clone)]
struct LayerTensors {
    /// `Dˡ` over (pair of the NTK, pair of the pre-activations), row-major `P x P`.
    d: Vec<f64>,
    /// `Aˡ`, row-major `P x P`.
    a: Vec<f64>,
    /// `Fˡ_αβγδ`, dense `m⁴` in PDLT's index order.
    f: Vec<f64>,
    /// `Bˡ_αβγδ`, dense `m⁴` in PDLT's index order.
    b: Vec<f64>,
    /// The shift `Tˡ = E[Θˡ_ii] − Θˡ` over the pairs.
    shift: Vec<f64>,
}

impl LayerTensors {
    /// Every tensor 0 (the first layer's), over `p` pairs and `m` points.
    fn zero(p: usize, m: usize) -> Self {
        let m4 = m * m * m * m;
        Self { d: vec![0.0; p * p], a: vec![0.0; p * p], f: vec![0.0; m4], b: vec![0.0; m4], shift: vec![0.0; p] }
    }
}

/// What [`NtkFluctuations::recursion`] and its error bounds share: the network and its hidden
/// widths, the `m` points, their `p` pairs (`pr` as index pairs) and quadruples, `C_W` and `λ_W`.
struct Frame<'a> {
    net: &'a DeepNetwork,
    widths: &'a [usize],
    m: usize,
    pairs: &'a Multisets,
    p: usize,
    quads: Option<Multisets>,
    c_w: f64,
    lambda_w: f64,
    pr: Vec<(usize, usize)>,
}

/// The neural tangent kernel of a deep network at order `1/n` on an input set: its
/// cross-correlation with the pre-activations (`D`, `F`), its variance (`A`, `B`) and the `1/n`
/// shift of its mean (`T`), each carrying the inverse widths of the layers it comes from, over
/// every pair and every quadruple of the points.
///
/// With `Θ_ij,ab = Θ_ij(x_a, x_b)` the per-network NTK ([`NeuralTangentKernel`] has its
/// definition and infinite-width recursion), `f = zᴸ⁺¹` the outputs and
/// `ΔΘ_ij,ab = Θ_ij,ab − δ_ij E[Θ_ii,ab]`:
///
/// ```text
/// E[Θ_ij,ab]               = δ_ij (Θ_ab + T_ab) + O(1/n²),
/// E[ΔΘ_i1i2,ab f_i3,c f_i4,d] = (1/n_L) [δ_i1i2 δ_i3i4 D_(ab)(cd) + δ_i1i3 δ_i2i4 F_acbd + δ_i1i4 δ_i2i3 F_adbc] + O(1/n²),
/// E[ΔΘ_i1i2,ab ΔΘ_i3i4,cd]    = (1/n_L) [δ_i1i2 δ_i3i4 A_(ab)(cd) + δ_i1i3 δ_i2i4 B_acbd + δ_i1i4 δ_i2i3 B_adbc] + O(1/n²),
/// ```
///
/// with `D = Dᴸ⁺¹`, `F = Fᴸ⁺¹`, `A = Aᴸ⁺¹`, `B = Bᴸ⁺¹`, `T = Tᴸ⁺¹` from the recursions below.
/// `T` is a sum of terms each proportional to one `1/n_k`, as [`KernelShift`]'s `S` is; the
/// ratios `n_l / n_(l−1)` inside `D`, `F`, `A`, `B` do the same for unequal widths.
///
/// **Notation.** Roberts, Yaida, Hanin, "The Principles of Deep Learning Theory"
/// (arXiv:2106.10165, PDLT; ch. 8, "RG flow of the neural tangent kernel") write the NTK
/// `Ĥ^(ℓ)_{i1i2;δ1δ2}`, its mean `H^(ℓ) = Θ^(ℓ) + H^{1}(ℓ)/n_(ℓ−1)`, and define `A`, `B`, `D`,
/// `F` by exactly the decompositions above, with `(1/n_(ℓ−1))` in front: our `T_ab` at equal
/// widths is their `H^{1}_{δ1δ2}/n`, our `D_(ab)(cd)`, `A_(ab)(cd)` are their
/// `D_{δ1δ2δ3δ4}`, `A_{(δ1δ2)(δ3δ4)}`, and our `F_αβγδ`, `B_αβγδ` are theirs in their index
/// order (the first two indices belong to one neuron, the last two to the other: `F_αβγδ`
/// multiplies `δ_i1i3 δ_i2i4` in `E[ΔΘ_i1i2,αγ z_i3,β z_i4,δ]`). Their layer `ℓ` is ours
/// (`z⁽¹⁾ = b + W x`), and their network of depth `L` has `L − 1` hidden layers where ours has
/// `L`. Guillen, Misof, Gerken ("Finite-width neural tangent kernels from Feynman diagrams",
/// arXiv:2508.11522) draw the same quantities as diagrams with one NTK insertion (mean), one
/// NTK and two field insertions (`D`, `F`) or two NTK insertions (`A`, `B`) at one loop.
///
/// ```
/// use nnqft_theory::{DeepActivation, DeepNetwork, InputSet, NtkFluctuations};
/// let net = DeepNetwork::with_deep_priors(DeepActivation::Relu, &[50, 50, 50])?;
/// let x = InputSet::new("two", &[vec![0.5], vec![-1.0]])?;
/// let ntk = NtkFluctuations::new(&net, &x)?;
/// // relu has no 1/n shift of the NTK on the diagonal (Guillen, Misof, Gerken) ...
/// let t = ntk.theta_shift();
/// assert!(t[0].abs() < 1e-12 && t[3].abs() < 1e-12);
/// // ... but it does off it
/// assert!(t[1].abs() > 1e-4);
/// // the variance of one output's NTK on the diagonal: (A + 2 B) / n_L
/// let var = ntk.ntk_covariance([0; 4], [1; 4]);
/// assert!((var - (ntk.a([1, 1], [1, 1]) + 2.0 * ntk.b([1; 4])) / 50.0).abs() < 1e-12);
/// # Ok::<(), nnqft_theory::TheoryError>(())
/// ```
///
/// # Derivation
///
/// Write `W = Wˡ⁺¹` with rows `w_i ~ N(0, σ² I)`, `σ² = C_W / n_l`, `φ_k,a = φ(zˡ_k,a)`,
/// `ψ_k,a = φ'(zˡ_k,a)`. The forward equations (exact; [`NeuralTangentKernel`]) are
/// `zˡ⁺¹_i,a = bˡ⁺¹_i + w_i·φ_a` and `Θˡ⁺¹_ij,ab = δ_ij Λ_ab + w_iᵀ M_ab w_j` with
/// `Λ_ab = λ_b + (λ_W / n_l) Σ_k φ_k,a φ_k,b` and `(M_ab)_kk' = ψ_k,a Θˡ_kk',ab ψ_k',b`. Given every
/// layer up to `l`, the rows are i.i.d. Gaussian, so Wick's theorem over `w` (and `b`) gives,
/// **exactly**,
///
/// ```text
/// E[Θˡ⁺¹_ij,ab | l]                 = δ_ij Ĥ_ab,            Ĥ_ab = Λ_ab + σ² tr M_ab,
/// E[Θˡ⁺¹_i1i2,ab z_i3,c z_i4,d | l] = δ_i1i2 δ_i3i4 Ĥ_ab Ĝ_cd + δ_i1i3 δ_i2i4 σ⁴ φ_cᵀ M_ab φ_d + δ_i1i4 δ_i2i3 σ⁴ φ_dᵀ M_ab φ_c,
/// E[Θˡ⁺¹_i1i2,ab Θˡ⁺¹_i3i4,cd | l]  = δ_i1i2 δ_i3i4 Ĥ_ab Ĥ_cd + δ_i1i3 δ_i2i4 σ⁴ tr(M_ab M_cdᵀ) + δ_i1i4 δ_i2i3 σ⁴ tr(M_ab M_cd),
/// ```
///
/// `Ĝ_cd = C_b + (C_W / n_l) Σ_k φ_k,c φ_k,d` ([`crate::FourPointVertex`]). Hence, exactly,
/// `Dˡ⁺¹ / n_l = Cov(Ĥ_ab, Ĝ_cd)`, `Aˡ⁺¹ / n_l = Cov(Ĥ_ab, Ĥ_cd)`,
/// `Fˡ⁺¹_acbd / n_l = σ⁴ E[φ_cᵀ M_ab φ_d]`, `Bˡ⁺¹_acbd / n_l = σ⁴ E[tr(M_ab M_cdᵀ)]` and
/// `E[Θˡ⁺¹_ii,ab] = E[Ĥ_ab]`. Each is a double sum over the neurons `k, k'` of layer `l`,
/// evaluated at leading order by two facts about layer `l` given layer `l − 1`:
///
/// 1. one neuron (`k = k'`): `zˡ_k ~ N(0, Kˡ)` and `Θˡ_kk,ab → Θˡ_ab` (corrections `O(1/n)`);
/// 2. two neurons (`k ≠ k'`) are independent given layer `l − 1` (their rows of `Wˡ` are), and
///    Stein's lemma over a row `w_k ~ N(0, σ'² I)`, `σ'² = C_W / n_(l−1)`, gives
///    `E[g(zˡ_k) w_kᵀ M' w_k] = σ'² tr M' ⟨g⟩ + σ'⁴ Σ_μν (φ_μᵀ M' φ_ν) ⟨∂_μ ∂_ν g⟩` and
///    `E[w_k,p g(zˡ_k)] = σ'² Σ_μ φ_p,μ ⟨∂_μ g⟩`, with `⟨·⟩` the Gaussian expectation under the
///    layer's conditional covariance `Ĝˡ`. So `E[ψ_k,a ψ_k,b Θˡ_kk,ab | l − 1] =
///    Ĥˡ_ab ⟨φ'_a φ'_b⟩_Ĝ + Σ_μν Ĵ_(ab)μν ⟨∂_μ ∂_ν(φ'_a φ'_b)⟩_Ĝ` with `E[Ĵ_(ab)μν] = Fˡ_aμbν / n_(l−1)`.
///
/// Then, with `Cov(Ĝˡ_r, Ĝˡ_s) = Vˡ_rs / n_(l−1)` (the four-point vertex), `Cov(Ĥˡ_p, Ĝˡ_r) =
/// Dˡ_pr / n_(l−1)`, `Cov(Ĥˡ_p, Ĥˡ_q) = Aˡ_pq / n_(l−1)`, `r, s` unordered pairs and the
/// derivatives `∂_r = ∂/∂Kˡ_r` (each unordered pair one variable, as in the vertex), the
/// conditional mean of one neuron's terms of `Ĥ`, `Y_p = λ_W ⟨φ_p φ_p'⟩_Ĝ + C_W Ĥˡ_p ⟨φ'_p φ'_p'⟩_Ĝ`,
/// moves linearly with `δĜ` and `δĤ`: `δY_p = Σ_r P_pr δĜ_r + Q_p δĤ_p` with
/// `P_pr = λ_W ∂_r⟨φ_p φ_p'⟩ + C_W Θˡ_p ∂_r⟨φ'_p φ'_p'⟩` and `Q_p = C_W ⟨φ'_p φ'_p'⟩`. Collecting
/// the `n_l` terms `k = k'` (fact 1) and the `n_l (n_l − 1)` terms `k ≠ k'` (fact 2), at order
/// `1/n` and with every expectation at `Kˡ`:
///
/// ```text
/// Dˡ⁺¹_(ab)(cd) = C_W [λ_W (⟨φ_a φ_b φ_c φ_d⟩ − ⟨φ_a φ_b⟩⟨φ_c φ_d⟩) + C_W Θˡ_ab (⟨φ'_a φ'_b φ_c φ_d⟩ − ⟨φ'_a φ'_b⟩⟨φ_c φ_d⟩)]
///               + (n_l / n_(l−1)) C_W Σ_s [Σ_r P_(ab)r Vˡ_rs + Q_ab Dˡ_(ab)s] ∂_s⟨φ_c φ_d⟩,
/// Aˡ⁺¹_(ab)(cd) = Cov₁(X_ab, X_cd) + (n_l / n_(l−1)) [Σ_rs P_(ab)r P_(cd)s Vˡ_rs + Σ_r (P_(ab)r Q_cd Dˡ_(cd)r + Q_ab P_(cd)r Dˡ_(ab)r) + Q_ab Q_cd Aˡ_(ab)(cd)],
/// Fˡ⁺¹_αβγδ     = C_W² Θˡ_αγ ⟨φ'_α φ_β φ'_γ φ_δ⟩ + (n_l / n_(l−1)) C_W² Σ_(μ ∈ {α,β}, ν ∈ {γ,δ}) Fˡ_αμγν ⟨∂_μ(φ'_α φ_β)⟩ ⟨∂_ν(φ'_γ φ_δ)⟩,
/// Bˡ⁺¹_αβγδ     = C_W² Θˡ_αγ Θˡ_βδ ⟨φ'_α φ'_β φ'_γ φ'_δ⟩ + (n_l / n_(l−1)) C_W² ⟨φ'_α φ'_β⟩⟨φ'_γ φ'_δ⟩ Bˡ_αβγδ,
/// Tˡ⁺¹_ab       = (λ_W / C_W) Sˡ⁺¹_ab + C_W [Tˡ_ab ⟨φ'_a φ'_b⟩ + Θˡ_ab (Σ_r ∂_r⟨φ'_a φ'_b⟩ Sˡ_r + ½ Σ_rs ∂_r ∂_s⟨φ'_a φ'_b⟩ Vˡ_rs / n_(l−1))
///                                  + Σ_r ∂_r⟨φ'_a φ'_b⟩ Dˡ_(ab)r / n_(l−1) + Σ_(μ,ν ∈ {a,b}) Fˡ_aμbν ⟨∂_μ ∂_ν(φ'_a φ'_b)⟩ / n_(l−1)],
/// ```
///
/// from `D¹ = F¹ = A¹ = B¹ = T¹ = 0` (the first layer's NTK and kernel are not random), where
/// `X_ab = λ_W φ_a φ_b + C_W Θˡ_ab φ'_a φ'_b` of one neuron and `Cov₁` its covariance under
/// `N(0, Kˡ)`, `S` is the kernel's `1/n` shift ([`KernelShift`]: the `λ_W` part of `T` is
/// `λ_W E[⟨φ_a φ_b⟩_Ĝ] − λ_W ⟨φ_a φ_b⟩_K = (λ_W / C_W) Sˡ⁺¹`), and the single-neuron
/// derivatives are, by Stein's lemma and Price's theorem (Price 1958),
/// `⟨∂_β(φ'_α φ_β)⟩ = ⟨φ'_α φ'_β⟩`, `⟨∂_α(φ'_α φ_β)⟩ = ⟨φ''_α φ_β⟩ = 2 ∂⟨φ_α φ_β⟩/∂K_αα` (`α ≠ β`),
/// `⟨(φ'φ)'⟩ = d⟨φ²⟩/dK` (`α = β`), and `⟨∂_a ∂_b(φ'_a φ'_b)⟩ = ∂⟨φ'_a φ'_b⟩/∂K_ab`,
/// `⟨∂_a²(φ'_a φ'_b)⟩ = 2 ∂⟨φ'_a φ'_b⟩/∂K_aa` (`a ≠ b`), `⟨∂²(φ'²)⟩ = 2 d⟨φ'²⟩/dK` (`a = b`). The
/// dropped terms are `O(1/n²)`: off-diagonal `Θˡ_kk'` (`O(n^(−1/2))`) inside the `k = k'` sums,
/// and in the `k ≠ k'` sums the fluctuations of `Ĵ` and the `σ'⁶`, `σ'⁸` terms of Stein's lemma.
///
/// The derivatives of `⟨φ'_a φ'_b⟩` with respect to the kernel are closed forms for linear (0)
/// and relu (a function of `cos θ` alone; 0 on the diagonal, where `⟨φ'²⟩ = ½`) and central
/// differences of the pair expectation otherwise; the four-point expectations with `φ'`
/// factors are Isserlis' theorem for linear and nested quadrature otherwise (the innermost
/// level in closed form for relu); for the smooth activations the products on the same
/// distinct points (per set of four points, the six choices of the `φ'` pair and `φ'⁴`) go
/// through one nested quadrature whose nodes and activation values they share, which made the
/// tensors of tanh, gelu, erf and sin at `L = 8` on six points 2.5 to 7 times faster with the
/// same values to `1e-15` relative.
///
/// # Error bounds
///
/// [`Self::theta_shift_error`], [`Self::ntk_covariance_error`] and
/// [`Self::ntk_preactivation_error`] bound the error the quadratures leave in each entry. The
/// recursions above are sums of products of the expectations, the earlier layers' tensors and
/// the infinite-width `Θˡ` ([`NeuralTangentKernel::layer_error`] bounds its entries), so each
/// entry's bound follows the same recursion term by term: a sum's bound is the sum of its terms'
/// bounds and a product of computed `x̂`, `ŷ` with bounds `e_x`, `e_y` has
/// `|x̂ ŷ − x y| <= |x̂| e_y + e_x (|ŷ| + e_y)`; a matrix product over the pairs
/// (`Σ_r P_pr Vˡ_rs ...`) takes that bound term by term,
/// `Σ_r |X_pr| e(Y)_rs + e(X)_pr (|Y_rs| + e(Y)_rs)`. The inputs' bounds are: each four-point
/// expectation's own estimate (`⟨φ'_a φ'_b φ_c φ_d⟩`, `⟨φ'_a φ'_b φ'_c φ'_d⟩`: the difference of
/// the nested quadrature at two resolutions); each pair's derivative estimate for every entry of
/// its gradient and Hessian of `⟨φ'_a φ'_b⟩`; `ε_K`, the largest estimate of a kernel expectation
/// `⟨φ_a φ_b⟩`, for each of them; `ε_abcd + |⟨φ_a φ_b⟩| ε_K + ε_K (|⟨φ_c φ_d⟩| + ε_K)` for the single-neuron
/// covariance `⟨φ_a φ_b φ_c φ_d⟩ − ⟨φ_a φ_b⟩⟨φ_c φ_d⟩` (`ε_abcd` the estimate of `⟨φ_a φ_b φ_c φ_d⟩`);
/// the vertex's propagated bound on every entry of `Vˡ` ([`crate::FourPointVertex::vertex_error`]);
/// and [`KernelShift::layer_shift_error`] on `Sˡ` and `Sˡ⁺¹`. Not included, as in
/// [`KernelShift`]: the errors of the first derivatives `∂⟨φ_a φ_b⟩/∂K` (closed forms for erf,
/// relu, linear, sin; 2-D quadratures near rounding otherwise) and of `Kˡ` as the argument of the
/// expectations. The bounds are 0 exactly where every expectation is a closed form (linear); relu's
/// four-point expectations are nested quadratures with a closed innermost level, their bounds near
/// rounding. The tests hold the bounds to a reference whose four-point expectations are erf's
/// closed forms (`φ' = (2/√π) e^(−z²)` tilts the Gaussian, leaving the arcsine formula).
///
/// # Checks
///
/// - **relu's diagonal.** `⟨φ'²⟩ = ½` has no kernel derivative, `S_aa = 0` ([`KernelShift`]),
///   so `Tˡ⁺¹_aa = C_W Tˡ_aa / 2 = 0` at every depth: the theorem of Guillen, Misof, Gerken for
///   scale-invariant activations, which the tests check at depths 1 to 8 (and that `T ≠ 0`
///   off the diagonal).
/// - **deep linear networks, one input, `C_b = λ_b = 0`.** The moments of `Q = |zˡ|²`,
///   `T = tr Θˡ`, `U = tr (Θˡ)²` and `R = zˡᵀ Θˡ zˡ` close under the exact conditional equations
///   above (`φ' = 1`, `M = Θˡ`): with `n = n_l`, `n' = n_(l+1)`, `σ² = C_W / n`, `c = n' λ_W / n`,
///   Wick's theorem over one row (`E[(w·z)² wᵀΘw] = σ⁴ (Q T + 2R)`, `E[(wᵀΘw)²] = σ⁴ (T² + 2U)`)
///   and over two (`E[(w_iᵀΘw_j)²] = σ⁴ U`, `E[(w_i·z) w_iᵀΘw_j (w_j·z)] = σ⁴ R`) give, exactly,
///
///   ```text
///   E[Q'] = σ² n' E[Q],   E[T'] = c E[Q] + σ² n' E[T],   E[Q'²] = σ⁴ n'(n' + 2) E[Q²],
///   E[Q'T'] = c σ² n' E[Q²] + σ⁴ n' (n' E[QT] + 2 E[R]),
///   E[T'²] = c² E[Q²] + 2c σ² n' E[QT] + σ⁴ (n'² E[T²] + 2 n' E[U]),
///   E[U'] = n' (λ_W/n)² E[Q²] + 2 (λ_W/n) σ² n' E[QT] + σ⁴ n' (E[T²] + (n' + 1) E[U]),
///   E[R'] = (λ_W/n) σ² n' E[Q²] + σ⁴ n' (E[QT] + (n' + 1) E[R]),
///   ```
///
///   from the input (`Q = |x|²`, `Θ⁰ = 0`) to one output, where `Var Θ = E[T²] − E[T]²` and
///   `Cov(Θ, f²) = E[QT] − E[Q] E[T]`. Their `1/n` coefficients, extrapolated from widths
///   `1000 s · 2^k`, equal `A + 2B` and `D + 2F` of the recursions to `1e-11` (tests), and
///   `E[Θ]` is the infinite-width `Θ` at every width (`T = 0`).
/// - Monte Carlo (the sampling crate's tests): tanh and gelu at `L = 2, 3`.
#[derive(Debug, Clone)]
pub struct NtkFluctuations {
    ntk: NeuralTangentKernel,
    shift: KernelShift,
    terms: Vec<SlopeTerms>,
    /// `¹ ... ᴸ⁺¹` at the network's widths.
    layers: Vec<LayerTensors>,
    /// The propagated error bounds of every entry of `layers`.
    errors: Vec<LayerTensors>,
    quadrature_error: f64,
}

impl NtkFluctuations {
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
        let ntk = NeuralTangentKernel::with_learning_rates(net, inputs, lambda_w, lambda_b)?;
        let shift = KernelShift::with_monitor(net, inputs, monitor)?;
        let m = inputs.len();
        let pairs = shift.vertex().pairs().clone();
        let quads = Multisets::new(m, 4)?;
        let act = net.activation();
        let mut quadrature_error = ntk.quadrature_error().max(shift.quadrature_error());
        let mut terms = Vec::with_capacity(net.depth());
        for l in 1..=net.depth() {
            let k = shift.kernels().layer(l);
            let p = pairs.len();
            // ⟨φ'_x0 φ'_x1 φ_y0 φ_y1⟩ for every pair of pairs, then ⟨φ'φ'φ'φ'⟩ per quadruple, in one
            // list: the products on the same distinct points share their quadrature nodes
            let items: Vec<(Vec<usize>, Vec<usize>)> = (0..p * p)
                .map(|i| {
                    let (x, y) = (pairs.get(i / p), pairs.get(i % p));
                    (vec![y[0] as usize, y[1] as usize], vec![x[0] as usize, x[1] as usize])
                })
                .chain(quads.iter().map(|q| (Vec::new(), q.iter().map(|&x| x as usize).collect())))
                .collect();
            let mut slope_value = mixed_moments(act, k, m, &items, monitor)?;
            let slopes = slope_value.split_off(p * p);
            let (mut slope_gradient, mut slope_hessian, mut slope_derivative_error) =
                (Vec::new(), Vec::new(), Vec::new());
            if l > 1 {
                slope_gradient = vec![0.0; p * p];
                let pos = |x: usize, y: usize| pairs.position(&[x, y]).unwrap_or(0);
                let derivatives = parallel_map(p, monitor, |i| {
                    let pr = pairs.get(i);
                    let (a, b) = (pr[0] as usize, pr[1] as usize);
                    derivative_pair_derivatives(act, k[a * m + a], k[b * m + b], k[a * m + b], a == b)
                })?;
                for (i, (g, h, e)) in derivatives.into_iter().enumerate() {
                    let pr = pairs.get(i);
                    let (a, b) = (pr[0] as usize, pr[1] as usize);
                    quadrature_error = quadrature_error.max(e);
                    slope_gradient[i * p + pos(a, a)] = g[0];
                    if a != b {
                        slope_gradient[i * p + pos(b, b)] = g[1];
                        slope_gradient[i * p + pos(a, b)] = g[2];
                    }
                    slope_hessian.push(h);
                    slope_derivative_error.push(e);
                }
            }
            quadrature_error = slope_value.iter().chain(&slopes).fold(quadrature_error, |a, e| a.max(e.error));
            terms.push(SlopeTerms {
                slope_value: slope_value.iter().map(|e| e.value).collect(),
                slopes: slopes.iter().map(|e| e.value).collect(),
                slope_gradient,
                slope_hessian,
                slope_value_error: slope_value.iter().map(|e| e.error).collect(),
                slopes_error: slopes.iter().map(|e| e.error).collect(),
                slope_derivative_error,
            });
        }
        let mut out = Self { ntk, shift, terms, layers: Vec::new(), errors: Vec::new(), quadrature_error };
        out.layers = out.recursion();
        out.errors = out.error_recursion();
        Ok(out)
    }

    /// The tensors at other hidden widths `n_1..n_L'` with `1 <= L' <= L` (a shallower network
    /// is the first `L'` layers of this one, same activation, `C_W`, `C_b` and learning-rate
    /// factors): every Gaussian expectation and derivative is reused and only the recursions
    /// over the pairs and quadruples are redone, so one build at the largest depth serves every
    /// depth of a study ([`KernelShift::at_widths`] likewise). The tensors `D`, `A`, `F`, `B`,
    /// `T` and the infinite-width NTK are those of a fresh build at `widths`, bit for bit (a
    /// layer's recursion uses only the layers below it). The quadrature error is the larger of
    /// this build's (every expectation of all `L` layers) and the propagated error of the
    /// kernel shift at `widths` ([`KernelShift::at_widths`], which propagates the moment errors
    /// of all `L` layers): an upper bound on a fresh build's.
    /// Errors: no widths, more than `L`, or a width of 0, naming the field.
    pub fn at_widths(&self, widths: &[usize]) -> Result<Self> {
        crate::deep_network::check_shallower(widths, self.terms.len())?;
        let shift = self.shift.at_widths(widths)?;
        let quadrature_error = self.quadrature_error.max(shift.quadrature_error());
        let mut out = Self {
            ntk: self.ntk.truncated(widths.len()),
            shift,
            terms: self.terms[..widths.len()].to_vec(),
            layers: Vec::new(),
            errors: Vec::new(),
            quadrature_error,
        };
        out.layers = out.recursion();
        out.errors = out.error_recursion();
        Ok(out)
    }

    /// The network, its points and pairs and the constants both recursions use.
    fn frame(&self) -> Frame<'_> {
        let net = self.shift.network();
        let m = self.ntk.points();
        let pairs = self.shift.vertex().pairs();
        Frame {
            net,
            widths: net.widths(),
            m,
            pairs,
            p: pairs.len(),
            quads: Multisets::new(m, 4).ok(),
            c_w: net.c_w(),
            lambda_w: self.ntk.lambda_w(),
            pr: pairs.iter().map(|x| (x[0] as usize, x[1] as usize)).collect(),
        }
    }

    /// The recursions of the type's docs at the network's widths, `¹ ... ᴸ⁺¹`.
    fn recursion(&self) -> Vec<LayerTensors> {
        let Frame { net, widths, m, pairs, p, quads, c_w, lambda_w, pr } = self.frame();
        let pos = |x: usize, y: usize| pairs.position(&[x, y]).unwrap_or(0);
        let vertices = self.shift.vertex().layer_vertices(widths);
        let m4 = m * m * m * m;
        let mut layers = vec![LayerTensors::zero(p, m)];
        for (l, terms) in (1..=net.depth()).zip(&self.terms) {
            let prev = &layers[l - 1];
            let theta = self.ntk.layer(l);
            let slope = self.ntk.derivative_mean(l);
            let value = &self.shift.kernels().pair_means[l - 1];
            let at = |t: &[f64], i: usize| t[pr[i].0 * m + pr[i].1];
            let fluctuation = self.shift.vertex().layer_fluctuation(l);
            let sv = &terms.slope_value;
            // the single-neuron terms
            let mut d = vec![0.0; p * p];
            let mut a = vec![0.0; p * p];
            for i in 0..p {
                for j in 0..p {
                    let (ti, tj) = (at(theta, i), at(theta, j));
                    let cross_ij = sv[i * p + j] - at(slope, i) * at(value, j);
                    let cross_ji = sv[j * p + i] - at(slope, j) * at(value, i);
                    let (x, y) = (pr[i], pr[j]);
                    let q = quads.as_ref().and_then(|q| q.position(&[x.0, x.1, y.0, y.1])).unwrap_or(0);
                    let slopes = terms.slopes[q] - at(slope, i) * at(slope, j);
                    let phi = fluctuation[i * p + j];
                    d[i * p + j] = c_w * (lambda_w * phi + c_w * ti * cross_ij);
                    a[i * p + j] = lambda_w * lambda_w * phi
                        + lambda_w * c_w * (tj * cross_ji + ti * cross_ij)
                        + c_w * c_w * ti * tj * slopes;
                }
            }
            let mut f = vec![0.0; m4];
            let mut b = vec![0.0; m4];
            for (idx, (fv, bv)) in f.iter_mut().zip(b.iter_mut()).enumerate() {
                let [al, be, ga, de] = [idx / (m * m * m), idx / (m * m) % m, idx / m % m, idx % m];
                let q = quads.as_ref().and_then(|q| q.position(&[al, be, ga, de])).unwrap_or(0);
                *fv = c_w * c_w * theta[al * m + ga] * sv[pos(al, ga) * p + pos(be, de)];
                *bv = c_w * c_w * theta[al * m + ga] * theta[be * m + de] * terms.slopes[q];
            }
            let mut shift = vec![0.0; p];
            let next_s = self.shift.layer_shift(l + 1);
            for (i, t) in shift.iter_mut().enumerate() {
                *t = if c_w > 0.0 { lambda_w / c_w * at(&next_s, i) } else { 0.0 };
            }
            if l > 1 {
                let ratio = widths[l - 1] as f64 / widths[l - 2] as f64;
                let n_prev = widths[l - 2] as f64;
                let v = &vertices[l - 2];
                let grad = self.shift.vertex().layer_gradient(l);
                let sg = &terms.slope_gradient;
                let big_p: Vec<f64> = (0..p * p).map(|x| lambda_w * grad[x] + c_w * at(theta, x / p) * sg[x]).collect();
                let q: Vec<f64> = (0..p).map(|i| c_w * at(slope, i)).collect();
                let pv = product(&big_p, v, p, false);
                let pv_g = product(&pv, grad, p, true);
                let dprev_g = product(&prev.d, grad, p, true);
                let pv_p = product(&pv, &big_p, p, true);
                let p_dprev = product(&big_p, &prev.d, p, true);
                for i in 0..p {
                    for j in 0..p {
                        let x = i * p + j;
                        d[x] += ratio * c_w * (pv_g[x] + q[i] * dprev_g[x]);
                        a[x] +=
                            ratio * (pv_p[x] + p_dprev[x] * q[j] + q[i] * p_dprev[j * p + i] + q[i] * q[j] * prev.a[x]);
                    }
                }
                // ⟨∂_μ(φ'_α φ_β)⟩ for μ = α (first) and μ = β (second); one entry when α = β
                let e = |al: usize, be: usize| -> [(usize, f64); 2] {
                    if al == be {
                        [(al, grad[pos(al, al) * p + pos(al, al)]), (al, 0.0)]
                    } else {
                        [(al, 2.0 * grad[pos(al, be) * p + pos(al, al)]), (be, slope[al * m + be])]
                    }
                };
                for (idx, (fv, bv)) in f.iter_mut().zip(b.iter_mut()).enumerate() {
                    let [al, be, ga, de] = [idx / (m * m * m), idx / (m * m) % m, idx / m % m, idx % m];
                    let mut sum = 0.0;
                    for (mu, e1) in e(al, be) {
                        for (nu, e2) in e(ga, de) {
                            sum += prev.f[((al * m + mu) * m + ga) * m + nu] * e1 * e2;
                        }
                    }
                    *fv += ratio * c_w * c_w * sum;
                    *bv += ratio * c_w * c_w * slope[al * m + be] * slope[ga * m + de] * prev.b[idx];
                }
                let prev_s = self.shift.layer_shift(l);
                for (i, t) in shift.iter_mut().enumerate() {
                    let (x, y) = pr[i];
                    let row = &sg[i * p..(i + 1) * p];
                    let linear: f64 = (0..p).map(|r| row[r] * at(&prev_s, r)).sum();
                    let h = &terms.slope_hessian[i];
                    let slots = [pos(x, x), pos(y, y), pos(x, y)];
                    let mut tadpole = 0.0;
                    for (k, &(u, w)) in UPPER.iter().enumerate() {
                        let weight = if u == w { 0.5 } else { 1.0 };
                        if x == y && k > 0 {
                            break;
                        }
                        tadpole += weight * h[k] * v[slots[u] * p + slots[w]];
                    }
                    let cross: f64 = (0..p).map(|r| row[r] * prev.d[i * p + r]).sum();
                    let fm = |a1: usize, b1: usize, c1: usize, d1: usize| prev.f[((a1 * m + b1) * m + c1) * m + d1];
                    let f_term = if x == y {
                        fm(x, x, x, x) * 2.0 * row[pos(x, x)]
                    } else {
                        fm(x, x, y, x) * 2.0 * row[pos(x, x)]
                            + fm(x, y, y, y) * 2.0 * row[pos(y, y)]
                            + (fm(x, x, y, y) + fm(x, y, y, x)) * row[pos(x, y)]
                    };
                    *t += c_w
                        * (prev.shift[i] * at(slope, i)
                            + at(theta, i) * (linear + tadpole / n_prev)
                            + cross / n_prev
                            + f_term / n_prev);
                }
            }
            layers.push(LayerTensors { d, a, f, b, shift });
        }
        layers
    }

    /// The error bounds of the recursions' tensors, `¹ ... ᴸ⁺¹`, entry by entry (type docs,
    /// "Error bounds"): the recursion of [`Self::recursion`] with every product `x y` replaced
    /// by [`product_error`] and every sum by the sum of its terms' bounds.
    fn error_recursion(&self) -> Vec<LayerTensors> {
        let Frame { net, widths, m, pairs, p, quads, c_w, lambda_w, pr } = self.frame();
        let pos = |x: usize, y: usize| pairs.position(&[x, y]).unwrap_or(0);
        let vertices = self.shift.vertex().layer_vertices(widths);
        let vertex_errors = self.shift.vertex().layer_vertex_errors(widths);
        // the largest error of a kernel expectation ⟨φ_a φ_b⟩
        let kernel_error = self.shift.kernels().quadrature_error();
        let m4 = m * m * m * m;
        let mut errors = vec![LayerTensors::zero(p, m)];
        for (l, terms) in (1..=net.depth()).zip(&self.terms) {
            let (prev, prev_e) = (&self.layers[l - 1], &errors[l - 1]);
            let (theta, theta_e) = (self.ntk.layer(l), self.ntk.layer_error(l));
            let (slope, slope_e) = (self.ntk.derivative_mean(l), self.ntk.derivative_mean_error(l));
            let value = &self.shift.kernels().pair_means[l - 1];
            let at = |t: &[f64], i: usize| t[pr[i].0 * m + pr[i].1];
            let (sv, sv_e) = (&terms.slope_value, &terms.slope_value_error);
            let moment_error = self.shift.vertex().layer_moment_error(l);
            let mut d = vec![0.0; p * p];
            let mut a = vec![0.0; p * p];
            for i in 0..p {
                for j in 0..p {
                    let (ti, tj, ti_e, tj_e) = (at(theta, i), at(theta, j), at(theta_e, i), at(theta_e, j));
                    let (si, sj, si_e, sj_e) = (at(slope, i), at(slope, j), at(slope_e, i), at(slope_e, j));
                    let cross_ij = sv[i * p + j] - si * at(value, j);
                    let cross_ji = sv[j * p + i] - sj * at(value, i);
                    let cross_ij_e = sv_e[i * p + j] + product_error(si, si_e, at(value, j), kernel_error);
                    let cross_ji_e = sv_e[j * p + i] + product_error(sj, sj_e, at(value, i), kernel_error);
                    let (x, y) = (pr[i], pr[j]);
                    let q = quads.as_ref().and_then(|q| q.position(&[x.0, x.1, y.0, y.1])).unwrap_or(0);
                    let slopes = terms.slopes[q] - si * sj;
                    let slopes_e = terms.slopes_error[q] + product_error(si, si_e, sj, sj_e);
                    // Aˡ of the vertex: ⟨φφφφ⟩ − ⟨φφ⟩⟨φφ⟩
                    let phi_e = moment_error[q] + product_error(at(value, i), kernel_error, at(value, j), kernel_error);
                    let tt_e = product_error(ti, ti_e, tj, tj_e);
                    d[i * p + j] = c_w * (lambda_w * phi_e + c_w * product_error(ti, ti_e, cross_ij, cross_ij_e));
                    a[i * p + j] = lambda_w * lambda_w * phi_e
                        + lambda_w
                            * c_w
                            * (product_error(tj, tj_e, cross_ji, cross_ji_e)
                                + product_error(ti, ti_e, cross_ij, cross_ij_e))
                        + c_w * c_w * product_error(ti * tj, tt_e, slopes, slopes_e);
                }
            }
            let mut f = vec![0.0; m4];
            let mut b = vec![0.0; m4];
            for (idx, (fv, bv)) in f.iter_mut().zip(b.iter_mut()).enumerate() {
                let [al, be, ga, de] = [idx / (m * m * m), idx / (m * m) % m, idx / m % m, idx % m];
                let q = quads.as_ref().and_then(|q| q.position(&[al, be, ga, de])).unwrap_or(0);
                let (t1, t1_e) = (theta[al * m + ga], theta_e[al * m + ga]);
                let (t2, t2_e) = (theta[be * m + de], theta_e[be * m + de]);
                let x = pos(al, ga) * p + pos(be, de);
                *fv = c_w * c_w * product_error(t1, t1_e, sv[x], sv_e[x]);
                *bv = c_w
                    * c_w
                    * product_error(t1 * t2, product_error(t1, t1_e, t2, t2_e), terms.slopes[q], terms.slopes_error[q]);
            }
            let next_s = self.shift.layer_shift_error(l + 1);
            let mut shift: Vec<f64> =
                (0..p).map(|i| if c_w > 0.0 { lambda_w / c_w * at(&next_s, i) } else { 0.0 }).collect();
            if l > 1 {
                let ratio = widths[l - 1] as f64 / widths[l - 2] as f64;
                let n_prev = widths[l - 2] as f64;
                let (v, v_e) = (&vertices[l - 2], vec![vertex_errors[l - 2]; p * p]);
                let grad = self.shift.vertex().layer_gradient(l);
                let no_error = vec![0.0; p * p];
                let sg = &terms.slope_gradient;
                let dd = &terms.slope_derivative_error;
                // the error of a row's derivatives sits on the entries the row sets
                let mut sg_e = vec![0.0; p * p];
                for (i, &(x, y)) in pr.iter().enumerate() {
                    for r in [pos(x, x), pos(y, y), pos(x, y)] {
                        sg_e[i * p + r] = dd[i];
                    }
                }
                let big_p: Vec<f64> = (0..p * p).map(|x| lambda_w * grad[x] + c_w * at(theta, x / p) * sg[x]).collect();
                let big_p_e: Vec<f64> = (0..p * p)
                    .map(|x| c_w * product_error(at(theta, x / p), at(theta_e, x / p), sg[x], sg_e[x]))
                    .collect();
                let q: Vec<f64> = (0..p).map(|i| c_w * at(slope, i)).collect();
                let q_e: Vec<f64> = (0..p).map(|i| c_w * at(slope_e, i)).collect();
                let pv = product(&big_p, v, p, false);
                let pv_e = product_bound(&big_p, &big_p_e, v, &v_e, p, false);
                let pv_g_e = product_bound(&pv, &pv_e, grad, &no_error, p, true);
                let dprev_g = product(&prev.d, grad, p, true);
                let dprev_g_e = product_bound(&prev.d, &prev_e.d, grad, &no_error, p, true);
                let pv_p_e = product_bound(&pv, &pv_e, &big_p, &big_p_e, p, true);
                let p_dprev = product(&big_p, &prev.d, p, true);
                let p_dprev_e = product_bound(&big_p, &big_p_e, &prev.d, &prev_e.d, p, true);
                for i in 0..p {
                    for j in 0..p {
                        let x = i * p + j;
                        d[x] += ratio * c_w * (pv_g_e[x] + product_error(q[i], q_e[i], dprev_g[x], dprev_g_e[x]));
                        a[x] += ratio
                            * (pv_p_e[x]
                                + product_error(p_dprev[x], p_dprev_e[x], q[j], q_e[j])
                                + product_error(q[i], q_e[i], p_dprev[j * p + i], p_dprev_e[j * p + i])
                                + product_error(
                                    q[i] * q[j],
                                    product_error(q[i], q_e[i], q[j], q_e[j]),
                                    prev.a[x],
                                    prev_e.a[x],
                                ));
                    }
                }
                // ⟨∂_μ(φ'_α φ_β)⟩ with its error, as in the recursion
                let e = |al: usize, be: usize| -> [(usize, f64, f64); 2] {
                    if al == be {
                        [(al, grad[pos(al, al) * p + pos(al, al)], 0.0), (al, 0.0, 0.0)]
                    } else {
                        [
                            (al, 2.0 * grad[pos(al, be) * p + pos(al, al)], 0.0),
                            (be, slope[al * m + be], slope_e[al * m + be]),
                        ]
                    }
                };
                for (idx, (fv, bv)) in f.iter_mut().zip(b.iter_mut()).enumerate() {
                    let [al, be, ga, de] = [idx / (m * m * m), idx / (m * m) % m, idx / m % m, idx % m];
                    let mut sum = 0.0;
                    for (mu, e1, e1_e) in e(al, be) {
                        for (nu, e2, e2_e) in e(ga, de) {
                            let y = ((al * m + mu) * m + ga) * m + nu;
                            sum += product_error(prev.f[y], prev_e.f[y], e1 * e2, product_error(e1, e1_e, e2, e2_e));
                        }
                    }
                    *fv += ratio * c_w * c_w * sum;
                    let (s1, s1_e, s2, s2_e) =
                        (slope[al * m + be], slope_e[al * m + be], slope[ga * m + de], slope_e[ga * m + de]);
                    *bv += ratio
                        * c_w
                        * c_w
                        * product_error(s1 * s2, product_error(s1, s1_e, s2, s2_e), prev.b[idx], prev_e.b[idx]);
                }
                let (prev_s, prev_s_e) = (self.shift.layer_shift(l), self.shift.layer_shift_error(l));
                for (i, t) in shift.iter_mut().enumerate() {
                    let (x, y) = pr[i];
                    let (row, row_e) = (&sg[i * p..(i + 1) * p], &sg_e[i * p..(i + 1) * p]);
                    let bound = |values: &[f64], values_e: &[f64]| -> f64 {
                        (0..p).map(|r| product_error(row[r], row_e[r], values[r], values_e[r])).sum()
                    };
                    let linear: f64 = (0..p).map(|r| row[r] * at(&prev_s, r)).sum();
                    let linear_e = bound(
                        &(0..p).map(|r| at(&prev_s, r)).collect::<Vec<_>>(),
                        &(0..p).map(|r| at(&prev_s_e, r)).collect::<Vec<_>>(),
                    );
                    let h = &terms.slope_hessian[i];
                    let slots = [pos(x, x), pos(y, y), pos(x, y)];
                    let (mut tadpole, mut tadpole_e) = (0.0, 0.0);
                    for (k, &(u, w)) in UPPER.iter().enumerate() {
                        let weight = if u == w { 0.5 } else { 1.0 };
                        if x == y && k > 0 {
                            break;
                        }
                        let vx = v[slots[u] * p + slots[w]];
                        tadpole += weight * h[k] * vx;
                        tadpole_e += weight * product_error(h[k], dd[i], vx, vertex_errors[l - 2]);
                    }
                    let cross_e = bound(&prev.d[i * p..(i + 1) * p], &prev_e.d[i * p..(i + 1) * p]);
                    let fm = |a1: usize, b1: usize, c1: usize, d1: usize| {
                        let z = ((a1 * m + b1) * m + c1) * m + d1;
                        (prev.f[z], prev_e.f[z])
                    };
                    let (xx, yy, xy) = (pos(x, x), pos(y, y), pos(x, y));
                    let f_term_e = if x == y {
                        let (f0, f0_e) = fm(x, x, x, x);
                        product_error(f0, f0_e, 2.0 * row[xx], 2.0 * row_e[xx])
                    } else {
                        let ((f1, f1_e), (f2, f2_e)) = (fm(x, x, y, x), fm(x, y, y, y));
                        let ((f3, f3_e), (f4, f4_e)) = (fm(x, x, y, y), fm(x, y, y, x));
                        product_error(f1, f1_e, 2.0 * row[xx], 2.0 * row_e[xx])
                            + product_error(f2, f2_e, 2.0 * row[yy], 2.0 * row_e[yy])
                            + product_error(f3 + f4, f3_e + f4_e, row[xy], row_e[xy])
                    };
                    let inner = linear + tadpole / n_prev;
                    let inner_e = linear_e + tadpole_e / n_prev;
                    *t += c_w
                        * (product_error(prev.shift[i], prev_e.shift[i], at(slope, i), at(slope_e, i))
                            + product_error(at(theta, i), at(theta_e, i), inner, inner_e)
                            + cross_e / n_prev
                            + f_term_e / n_prev);
                }
            }
            errors.push(LayerTensors { d, a, f, b, shift });
        }
        errors
    }

    /// The network.
    pub fn network(&self) -> &DeepNetwork {
        self.shift.network()
    }
    /// The infinite-width NTK recursion the tensors are built on.
    pub fn ntk(&self) -> &NeuralTangentKernel {
        &self.ntk
    }
    /// The kernel's `1/n` shift (with the four-point vertex) the tensors are built on.
    pub fn kernel_shift(&self) -> &KernelShift {
        &self.shift
    }
    /// The number of input points `m`.
    pub fn points(&self) -> usize {
        self.ntk.points()
    }
    /// The largest estimated absolute error of an expectation or derivative used (not
    /// propagated through the recursions; 0 when all are closed forms; the propagated bound of
    /// each entry is [`Self::theta_shift_error`], [`Self::ntk_covariance_error`],
    /// [`Self::ntk_preactivation_error`]).
    pub fn quadrature_error(&self) -> f64 {
        self.quadrature_error
    }

    /// `Fˡ` of layer `l = 1, ..., L + 1`, dense `m⁴` in PDLT's index order (0 at `l = 1`).
    pub(crate) fn layer_f(&self, l: usize) -> &[f64] {
        &self.layers[l - 1].f
    }
    /// `Bˡ` of layer `l = 1, ..., L + 1`, dense `m⁴` in PDLT's index order (0 at `l = 1`).
    pub(crate) fn layer_b(&self, l: usize) -> &[f64] {
        &self.layers[l - 1].b
    }
    /// The propagated error bounds of [`Self::layer_f`] and [`Self::layer_b`].
    pub(crate) fn layer_f_error(&self, l: usize) -> &[f64] {
        &self.errors[l - 1].f
    }
    pub(crate) fn layer_b_error(&self, l: usize) -> &[f64] {
        &self.errors[l - 1].b
    }
    /// Per pair, the estimated error of every derivative of `⟨φ'_p φ'_p'⟩` in layer `l = 2, ..., L`.
    pub(crate) fn layer_slope_derivative_errors(&self, l: usize) -> &[f64] {
        &self.terms[l - 1].slope_derivative_error
    }
    /// `∂⟨φ'_p φ'_p'⟩ / ∂Kˡ_r` over the pairs, row-major `P x P`, for `2 <= l <= L`.
    pub(crate) fn layer_slope_gradient(&self, l: usize) -> &[f64] {
        &self.terms[l - 1].slope_gradient
    }

    fn last(&self) -> &LayerTensors {
        &self.layers[self.layers.len() - 1]
    }
    fn pair(&self, ab: [usize; 2]) -> usize {
        self.shift.vertex().pairs().position(&ab).unwrap_or(0)
    }
    fn quad(&self, [a, b, c, d]: [usize; 4]) -> usize {
        let m = self.points();
        ((a * m + b) * m + c) * m + d
    }

    /// `D_(ab)(cd)` of the output (`ab`: the NTK's points, `cd`: the pre-activations').
    pub fn d(&self, ab: [usize; 2], cd: [usize; 2]) -> f64 {
        let p = self.shift.vertex().pairs().len();
        self.last().d[self.pair(ab) * p + self.pair(cd)]
    }
    /// `A_(ab)(cd)` of the output.
    pub fn a(&self, ab: [usize; 2], cd: [usize; 2]) -> f64 {
        let p = self.shift.vertex().pairs().len();
        self.last().a[self.pair(ab) * p + self.pair(cd)]
    }
    /// `F_αβγδ` of the output, in PDLT's index order (type docs).
    pub fn f(&self, points: [usize; 4]) -> f64 {
        self.last().f[self.quad(points)]
    }
    /// `B_αβγδ` of the output, in PDLT's index order (type docs).
    pub fn b(&self, points: [usize; 4]) -> f64 {
        self.last().b[self.quad(points)]
    }

    /// The shift `T = E[Θ_ii] − Θ` of the NTK's mean at the network's widths, row-major `m x m`
    /// (PDLT's `H^{1} / n` at equal widths).
    pub fn theta_shift(&self) -> Vec<f64> {
        self.layer_theta_shift(self.layers.len())
    }

    /// `Tˡ` of layer `l = 1, ..., L + 1`, row-major `m x m` (`T¹ = T² = 0`).
    pub fn layer_theta_shift(&self, l: usize) -> Vec<f64> {
        self.square(&self.layers[l.clamp(1, self.layers.len()) - 1].shift)
    }

    /// The propagated error bound of each entry of [`Self::theta_shift`] (type docs, "Error
    /// bounds"), row-major `m x m`; 0 where every expectation is a closed form.
    pub fn theta_shift_error(&self) -> Vec<f64> {
        self.square(&self.errors[self.errors.len() - 1].shift)
    }

    /// A vector over the pairs as a symmetric row-major `m x m` matrix.
    fn square(&self, over_pairs: &[f64]) -> Vec<f64> {
        let m = self.points();
        let mut out = vec![0.0; m * m];
        for a in 0..m {
            for b in 0..m {
                out[a * m + b] = over_pairs[self.pair([a, b])];
            }
        }
        out
    }

    fn n_last(&self) -> f64 {
        let w = self.network().widths();
        w[w.len() - 1] as f64
    }

    /// The leading-order `E[ΔΘ_i1i2(x_a, x_b) f_i3(x_c) f_i4(x_d)]` for `outputs = [i1, i2, i3, i4]`
    /// and `points = [a, b, c, d]`:
    /// `(1/n_L) [δ_i1i2 δ_i3i4 D_(ab)(cd) + δ_i1i3 δ_i2i4 F_acbd + δ_i1i4 δ_i2i3 F_adbc]`.
    pub fn ntk_preactivation(&self, outputs: [usize; 4], points: [usize; 4]) -> f64 {
        self.contract(outputs, points, |ab, cd| self.d(ab, cd), |q| self.f(q))
    }

    /// The leading-order `E[ΔΘ_i1i2(x_a, x_b) ΔΘ_i3i4(x_c, x_d)]`:
    /// `(1/n_L) [δ_i1i2 δ_i3i4 A_(ab)(cd) + δ_i1i3 δ_i2i4 B_acbd + δ_i1i4 δ_i2i3 B_adbc]`.
    pub fn ntk_covariance(&self, outputs: [usize; 4], points: [usize; 4]) -> f64 {
        self.contract(outputs, points, |ab, cd| self.a(ab, cd), |q| self.b(q))
    }

    /// The propagated error bound of [`Self::ntk_preactivation`]: the same contraction of the
    /// bounds of `D` and `F` (type docs, "Error bounds"); 0 where every expectation is a closed form.
    pub fn ntk_preactivation_error(&self, outputs: [usize; 4], points: [usize; 4]) -> f64 {
        let (e, p) = (&self.errors[self.errors.len() - 1], self.shift.vertex().pairs().len());
        self.contract(outputs, points, |ab, cd| e.d[self.pair(ab) * p + self.pair(cd)], |q| e.f[self.quad(q)])
    }

    /// The propagated error bound of [`Self::ntk_covariance`]: the same contraction of the bounds
    /// of `A` and `B`; 0 where every expectation is a closed form.
    pub fn ntk_covariance_error(&self, outputs: [usize; 4], points: [usize; 4]) -> f64 {
        let (e, p) = (&self.errors[self.errors.len() - 1], self.shift.vertex().pairs().len());
        self.contract(outputs, points, |ab, cd| e.a[self.pair(ab) * p + self.pair(cd)], |q| e.b[self.quad(q)])
    }

    /// `(1/n_L) [δ_i1i2 δ_i3i4 X_(ab)(cd) + δ_i1i3 δ_i2i4 Y_acbd + δ_i1i4 δ_i2i3 Y_adbc]`.
    fn contract(
        &self,
        [i1, i2, i3, i4]: [usize; 4],
        [a, b, c, d]: [usize; 4],
        paired: impl Fn([usize; 2], [usize; 2]) -> f64,
        crossed: impl Fn([usize; 4]) -> f64,
    ) -> f64 {
        let delta = |x: usize, y: usize| if x == y { 1.0 } else { 0.0 };
        (delta(i1, i2) * delta(i3, i4) * paired([a, b], [c, d])
            + delta(i1, i3) * delta(i2, i4) * crossed([a, c, b, d])
            + delta(i1, i4) * delta(i2, i3) * crossed([a, d, b, c]))
            / self.n_last()
    }
}

/// A bound on the error of each entry of [`product`]`(x, y)` from the bounds `ex`, `ey` of the
/// entries of `x`, `y`: `Σ_r |x_ir| ey_rj + ex_ir (|y_rj| + ey_rj)` ([`product_error`] per term).
fn product_bound(x: &[f64], ex: &[f64], y: &[f64], ey: &[f64], p: usize, transpose: bool) -> Vec<f64> {
    let mut out = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..p {
            out[i * p + j] = (0..p)
                .map(|r| {
                    let yr = if transpose { j * p + r } else { r * p + j };
                    product_error(x[i * p + r], ex[i * p + r], y[yr], ey[yr])
                })
                .sum();
        }
    }
    out
}

/// `x y` (`transpose = false`) or `x yᵀ` (`true`) of two row-major `p x p` matrices.
fn product(x: &[f64], y: &[f64], p: usize, transpose: bool) -> Vec<f64> {
    let mut out = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..p {
            out[i * p + j] = (0..p).map(|r| x[i * p + r] * if transpose { y[j * p + r] } else { y[r * p + j] }).sum();
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::deep_activation::DeepActivation;
    use std::f64::consts::PI;

    /// `det` and inverse of a small row-major `n x n` matrix by Gauss-Jordan elimination with
    /// partial pivoting (the dNTK's tests use it too).
    pub(crate) fn det_inverse(a: &[f64], n: usize) -> (f64, Vec<f64>) {
        let mut a = a.to_vec();
        let mut inv: Vec<f64> = (0..n * n).map(|x| if x / n == x % n { 1.0 } else { 0.0 }).collect();
        let mut det = 1.0;
        for c in 0..n {
            let piv = (c..n).max_by(|&x, &y| a[x * n + c].abs().total_cmp(&a[y * n + c].abs())).unwrap_or(c);
            if piv != c {
                for j in 0..n {
                    a.swap(c * n + j, piv * n + j);
                    inv.swap(c * n + j, piv * n + j);
                }
                det = -det;
            }
            let d = a[c * n + c];
            det *= d;
            for j in 0..n {
                a[c * n + j] /= d;
                inv[c * n + j] /= d;
            }
            for r in (0..n).filter(|&r| r != c) {
                let f = a[r * n + c];
                for j in 0..n {
                    a[r * n + j] -= f * a[c * n + j];
                    inv[r * n + j] -= f * inv[c * n + j];
                }
            }
        }
        (det, inv)
    }

    /// `⟨Π_(v ∈ values) erf(z_v) Π_(s ∈ slopes) erf'(z_s)⟩_K` in closed form, for one or two
    /// values: `erf'(z) = (2/√π) e^(−z²)`, so the slopes tilt the Gaussian,
    /// `⟨Π e^(−s_j z_j²) g(z)⟩_K = det(I + 2 K S)^(−1/2) ⟨g⟩_Σ` with `S = diag(s_j)` and
    /// `Σ = K (I + 2 S K)⁻¹`, and `⟨erf(z_u) erf(z_w)⟩_Σ = (2/π) asin(2Σ_uw / √((1 + 2Σ_uu)(1 + 2Σ_ww)))`.
    fn erf_mixed(k: &[f64], m: usize, values: &[usize], slopes: &[usize]) -> f64 {
        let mut pts: Vec<usize> = values.iter().chain(slopes).copied().collect();
        pts.sort_unstable();
        pts.dedup();
        let n = pts.len();
        let s: Vec<f64> = pts.iter().map(|p| slopes.iter().filter(|&&x| x == *p).count() as f64).collect();
        let kk: Vec<f64> = (0..n * n).map(|x| k[pts[x / n] * m + pts[x % n]]).collect();
        let i_plus = |left: bool| -> Vec<f64> {
            (0..n * n)
                .map(|x| {
                    let (i, j) = (x / n, x % n);
                    let t = if left { 2.0 * s[i] * kk[i * n + j] } else { 2.0 * kk[i * n + j] * s[j] };
                    t + if i == j { 1.0 } else { 0.0 }
                })
                .collect()
        };
        let (det, _) = det_inverse(&i_plus(false), n);
        let (_, inv) = det_inverse(&i_plus(true), n);
        let sigma: Vec<f64> =
            (0..n * n).map(|x| (0..n).map(|r| kk[(x / n) * n + r] * inv[r * n + x % n]).sum()).collect();
        let at = |p: usize| pts.iter().position(|&x| x == p).unwrap_or(0);
        let g = match values {
            [] => 1.0,
            [u, w] => {
                let (u, w) = (at(*u), at(*w));
                let c =
                    2.0 * sigma[u * n + w] / ((1.0 + 2.0 * sigma[u * n + u]) * (1.0 + 2.0 * sigma[w * n + w])).sqrt();
                2.0 / PI * c.asin()
            }
            _ => unreachable!("one or two values"),
        };
        (2.0 / PI.sqrt()).powi(slopes.len() as i32) / det.sqrt() * g
    }

    /// Every input point pair of an input set, with every quadruple `(a, b, a, b)`.
    fn entries(m: usize) -> Vec<[usize; 4]> {
        (0..m).flat_map(|a| (a..m).map(move |b| [a, b, a, b])).collect()
    }

    /// The propagated bounds hold against a reference in which the four-point expectations with
    /// `φ'` factors, quadratures with error estimates in the theory, are erf's closed forms
    /// (everything else unchanged): every entry of the mean shift, the variance and the
    /// cross-correlation differs from the reference by at most its bound, and the bound is not
    /// vacuous (the quadratures do leave an error).
    #[test]
    fn error_bounds_cover_erf_closed_form_reference() {
        let net = DeepNetwork::new(DeepActivation::Erf, &[1, 1, 1, 1], 1.8, 0.3).unwrap();
        let x = InputSet::new("three", &[vec![-0.7], vec![0.4], vec![1.2]]).unwrap();
        let theory = NtkFluctuations::new(&net, &x).unwrap();
        let m = x.len();
        let pairs = theory.shift.vertex().pairs().clone();
        let quads = Multisets::new(m, 4).unwrap();
        let p = pairs.len();
        let mut reference = theory.clone();
        let mut largest_input_error = 0.0f64;
        for (l, terms) in reference.terms.iter_mut().enumerate() {
            let k = theory.shift.kernels().layer(l + 1);
            for i in 0..p * p {
                let (a, b) = (pairs.get(i / p), pairs.get(i % p));
                let exact = erf_mixed(k, m, &[b[0] as usize, b[1] as usize], &[a[0] as usize, a[1] as usize]);
                let got = (terms.slope_value[i], terms.slope_value_error[i]);
                assert!((got.0 - exact).abs() <= got.1 + 1e-15, "layer {l}: {got:?} vs {exact}");
                largest_input_error = largest_input_error.max((got.0 - exact).abs());
                terms.slope_value[i] = exact;
            }
            for (q, set) in quads.iter().enumerate() {
                let idx: Vec<usize> = set.iter().map(|&v| v as usize).collect();
                let exact = erf_mixed(k, m, &[], &idx);
                let got = (terms.slopes[q], terms.slopes_error[q]);
                assert!((got.0 - exact).abs() <= got.1 + 1e-15, "layer {l} {idx:?}: {got:?} vs {exact}");
                largest_input_error = largest_input_error.max((got.0 - exact).abs());
                terms.slopes[q] = exact;
            }
        }
        assert!(largest_input_error > 0.0, "the quadratures leave no error to bound");
        reference.layers = reference.recursion();
        let (shift, shift_reference, shift_error) =
            (theory.theta_shift(), reference.theta_shift(), theory.theta_shift_error());
        let mut largest_deviation = 0.0f64;
        for q in entries(m) {
            let i = q[0] * m + q[1];
            let checks = [
                (shift[i], shift_reference[i], shift_error[i]),
                (
                    theory.ntk_covariance([0; 4], q),
                    reference.ntk_covariance([0; 4], q),
                    theory.ntk_covariance_error([0; 4], q),
                ),
                (
                    theory.ntk_preactivation([0; 4], q),
                    reference.ntk_preactivation([0; 4], q),
                    theory.ntk_preactivation_error([0; 4], q),
                ),
            ];
            for (kind, (got, want, bound)) in checks.into_iter().enumerate() {
                largest_deviation = largest_deviation.max((got - want).abs());
                assert!((got - want).abs() <= bound, "quantity {kind} on {q:?}: {got} vs {want}, bound {bound}");
            }
        }
        assert!(largest_deviation > 0.0, "the reference is the theory itself");
    }

    /// Closed forms everywhere (linear: Isserlis' theorem and constant derivatives) give bounds
    /// of exactly 0, with or without biases.
    #[test]
    fn closed_forms_have_zero_error_bounds() {
        let x = InputSet::new("four", &[vec![-1.0], vec![-0.2], vec![0.6], vec![1.0]]).unwrap();
        for c_b in [0.0, 0.2] {
            let net = DeepNetwork::new(DeepActivation::Linear, &[3, 4, 5], 1.3, c_b).unwrap();
            let theory = NtkFluctuations::new(&net, &x).unwrap();
            assert!(theory.ntk().output_error().iter().all(|&e| e == 0.0), "C_b = {c_b}");
            assert!(theory.theta_shift_error().iter().all(|&e| e == 0.0), "C_b = {c_b}");
            for q in entries(x.len()) {
                assert!(theory.ntk_covariance_error([0; 4], q) == 0.0, "C_b = {c_b}, {q:?}");
                assert!(theory.ntk_preactivation_error([0; 4], q) == 0.0, "C_b = {c_b}, {q:?}");
            }
        }
    }
}
