//! The `1/n` shift of the two-point function of a deep network ([`KernelShift`]): its layer
//! recursion, derived on the type, over every pair of points of an input set.

use crate::deep_kernel::KernelRecursion;
use crate::deep_network::DeepNetwork;
use crate::deep_vertex::FourPointVertex;
use crate::error::{Result, TheoryError};
use crate::gaussian::{Act, ActivationFn, UPPER, pair_hessian};
use crate::input_set::InputSet;
use crate::monitor::{Monitor, parallel_map};
use crate::multiset::Multisets;

/// The second derivatives of `⟨φ_a φ_b⟩_Kˡ` for one pair `(a, b)` of one layer.
#[derive(Debug, Clone, Copy)]
struct PairHessian {
    /// Positions of `(aa, bb, ab)` among the pairs (`[aa, aa, aa]` when `a = b`).
    slots: [usize; 3],
    /// Upper triangle of the `3 x 3` Hessian in `(K_aa, K_bb, K_ab)` (slot 0 alone when `a = b`).
    h: [f64; 6],
    /// Its estimated absolute error (0 for closed forms).
    error: f64,
}

/// The `1/n` shift of the two-point function of a deep network: `S = E[Gᴸ⁺¹] − K` to first
/// order in the inverse widths, over every pair of points of an input set, with the
/// four-point vertex it is built from.
///
/// The output two-point function is
///
/// ```text
/// E[f_i(x_a) f_j(x_b)] = δ_ij (K_ab + S_ab) + O(1/n²),
/// ```
///
/// with `K = Kᴸ⁺¹` the infinite-width kernel ([`KernelRecursion`]) and `S` the shift at the
/// network's widths ([`Self::shift`]). **Convention:** `S` carries its own inverse widths;
/// it is a sum of terms each proportional to one `1/n_k` (`k = 1, ..., L − 1`; the last
/// hidden width `n_L` never enters, see below), so unequal widths are handled. At equal
/// widths `n_l = n`, `S = K1 / n` with the coefficient `K1` of [`Self::equal_width_coefficient`],
/// Roberts, Yaida, Hanin's NLO metric: in "The Principles of Deep Learning Theory"
/// (arXiv:2106.10165, ch. 4, section 4.5 "Subleading corrections") the metric of layer `ℓ` is
/// `G⁽ℓ⁾ = K⁽ℓ⁾ + G^{1}⁽ℓ⁾ / n_(ℓ−1) + O(1/n²)`; their layer index `ℓ` is ours (`z⁽¹⁾ = b + W x`
/// in both), their network of depth `L` has `L − 1` hidden layers where ours has `L`, so our
/// output is their layer `ℓ = L + 1` and, at equal widths, `K1 = G^{1}⁽ᴸ⁺¹⁾`. Banta, Cai,
/// Craig, Zhang (arXiv:2305.02334, Phys. Rev. D 109, 105007) draw the same correction as the
/// one-loop tadpole of the four-point vertex.
///
/// ```
/// use nnqft_theory::{DeepActivation, DeepNetwork, InputSet, KernelShift};
/// let net = DeepNetwork::with_deep_priors(DeepActivation::Tanh, &[50, 50, 50])?;
/// let x = InputSet::new("two", &[vec![0.4], vec![1.0]])?;
/// let shift = KernelShift::new(&net, &x)?;
/// // at equal widths the shift is K1 / n
/// let (s, k1) = (shift.shift(), shift.equal_width_coefficient());
/// assert!((s[1] - k1[1] / 50.0).abs() < 1e-15);
/// // one hidden layer: no correction at any width
/// assert_eq!(shift.at_widths(&[7])?.shift(), vec![0.0; 4]);
/// # Ok::<(), nnqft_theory::TheoryError>(())
/// ```
///
/// # Derivation
///
/// As in [`FourPointVertex`], `Gˡ⁺¹_ab = C_b + (C_W / n_l) Σ_j φ(zˡ_j,a) φ(zˡ_j,b)` is the
/// covariance of the pre-activations `zˡ⁺¹_i` given every layer up to `l`, the neurons `j` of
/// layer `l` are i.i.d. `N(0, Gˡ)` given the layers below it, `G¹ = K¹` is not random, and
/// `Cov(Gˡ_r, Gˡ_s) = Vˡ_(r)(s) / n_(l−1)` for pairs `r = {e, f}`, `s = {g, h}` of points. Taking
/// the expectation neuron by neuron, **exactly** at any widths,
///
/// ```text
/// E[Gˡ⁺¹_ab] = C_b + C_W E[F_ab(Gˡ)],   F_ab(K) = ⟨φ_a φ_b⟩_K ,
/// ```
///
/// and `n_l` has dropped out (so `S` never contains the last hidden width). Write
/// `Gˡ = Kˡ + δ` with `E[δ_r] = Sˡ_r = O(1/n)`, `E[δ_r δ_s] = Vˡ_(r)(s) / n_(l−1) + O(1/n²)` and
/// every higher moment `O(1/n²)` (the third cumulant of `Gˡ` is of that order). Expanding `F`
/// to second order in the independent entries of the symmetric `Kˡ` (one variable `K_ef` per
/// unordered pair, as in the vertex's `∂⟨φ_a φ_b⟩/∂K_ef`) and taking the expectation:
///
/// ```text
/// Sˡ⁺¹_ab = C_W [ Σ_r ∂F_ab/∂Kˡ_r Sˡ_r + ½ Σ_(r,s) ∂²F_ab/∂Kˡ_r ∂Kˡ_s Vˡ_(r)(s) / n_(l−1) ] + O(1/n²),   S¹ = 0,
/// ```
///
/// `r, s` each running over unordered pairs, the double sum over ordered couples `(r, s)`
/// (each `r ≠ s` twice: the Taylor series' ½ meets the two orders of a mixed derivative, so
/// a mixed term carries weight 1 and a pure one ½). `F_ab` depends on `K_aa, K_bb, K_ab` only, so
/// `r, s ∈ {aa, bb, ab}` (one slot, `aa`, when `a = b`). In PDLT's ordered-index notation
/// (sums over all ordered pairs of samples, derivatives symmetrised, i.e. half ours off the
/// diagonal) the same term reads `½ Σ_(δ3..δ6) ∂²F/∂K_δ3δ4 ∂K_δ5δ6 V^(δ3δ4)(δ5δ6) / n`: each
/// off-diagonal pair appears twice at half the derivative. The first term is the linear
/// propagation of the previous layer's shift (Price's theorem gives `∂F/∂K`), the second the
/// tadpole of the vertex. The shift is `S = Sᴸ⁺¹`, and `G2 = K + S + O(1/n²)`. As `P`-vectors
/// over the `P = m(m+1)/2` pairs, with `Dˡ` the vertex's sparse gradient matrix:
/// `Sˡ⁺¹ = C_W (Dˡ Sˡ + ½ hˡ(Vˡ) / n_(l−1))`, `hˡ(V)_ab = Σ_(r,s) Hˡ_ab;rs V_(r)(s)`.
///
/// **Second derivatives** (`H_xy = ∂²F_ab/∂K_x ∂K_y`, `x, y ∈ {aa, bb, ab}`):
/// - linear: `F = K_ab`, `H = 0`.
/// - relu: `F = √(K_aa K_bb) (sin θ + (π − θ) cos θ) / 2π`, `cos θ = K_ab / √(K_aa K_bb)`; with
///   `Δ = K_aa K_bb − K_ab²` the gradient is `∂F/∂K_aa = √Δ / (4π K_aa)`,
///   `∂F/∂K_ab = (π − θ)/2π`, and differentiating once more:
///   `H_aa,aa = (2K_ab² − K_aa K_bb) / (8π K_aa² √Δ)`, `H_aa,bb = 1 / (8π √Δ)`,
///   `H_aa,ab = −K_ab / (4π K_aa √Δ)`, `H_ab,ab = 1 / (2π √Δ)` (Price: `⟨δ(z_a) δ(z_b)⟩`), and `bb`
///   by symmetry; one point `F = K_aa / 2`, `H = 0`. On the degenerate cone `Δ = 0`
///   (`θ = 0` or `π`: collinear points with `C_b = 0`, e.g. two positive inputs in `d = 1`)
///   the points stay collinear in every net (`zˡ_b = c zˡ_a` exactly), `Gˡ` fluctuates only along
///   the cone, where `F` is linear (`K_ab / 2` at `θ = 0`, `0` at `θ = π`); there `H` is set to 0.
/// - erf: `F = (2/π) asin s`, `s = 2K_ab / √(AB)`, `A = 1 + 2K_aa`, `B = 1 + 2K_bb`:
///   `H_xy = (2/π) [s_xy / √(1 − s²) + s s_x s_y / (1 − s²)^(3/2)]` with `s_aa = −s/A`,
///   `s_bb = −s/B`, `s_ab = 2/√(AB)`, `s_aa,aa = 3s/A²`, `s_aa,bb = s/(AB)`,
///   `s_aa,ab = −2/(A√(AB))`, `s_bb,bb = 3s/B²`, `s_bb,ab = −2/(B√(AB))`, `s_ab,ab = 0`; one point
///   (`s = 2K/(1 + 2K)`, `s' = 2/(1 + 2K)²`, `s'' = −8/(1 + 2K)³`) the same formula in `K`.
/// - tanh: Price's theorem twice (Price 1958), `H_ab,ab = ⟨φ''_a φ''_b⟩`, `H_aa,ab = ½⟨φ'''_a φ'_b⟩`,
///   `H_aa,bb = ¼⟨φ''_a φ''_b⟩`, `H_aa,aa = ¼⟨φ⁗_a φ_b⟩`; one point `d²⟨φ²⟩/dK² = ¼⟨(φ²)⁗⟩ =
///   ¼⟨6φ''² + 8φ'φ''' + 2φφ⁗⟩`; with `t = tanh z`, `s = 1 − t²`: `φ' = s`, `φ'' = −2ts`,
///   `φ''' = s(6t² − 2)`, `φ⁗ = ts(16 − 24t²)`; each expectation by 2-D quadrature
///   ([`ActivationFn`]).
/// - an activation given as a function: second central differences of the pair quadrature
///   at steps `h` and `2h` (`h = 10⁻³` of the entry's scale, smaller near `|cos θ| = 1`),
///   Richardson-extrapolated, the `O(h²)` term removed as the error estimate.
///
/// # Exact results the recursion reproduces
///
/// - `L = 1`: `S² = C_W ½ H¹ V¹ / n_0 = 0` (`V¹ = 0`, `S¹ = 0`): a one-hidden-layer network's
///   two-point function has no finite-width correction, `E[G²] = C_b + C_W ⟨φ_a φ_b⟩_K¹` exactly.
/// - linear, any `C_b`, every pair: `F_ab = K_ab`, so `H = 0`, `D = 1` and `Sˡ⁺¹ = C_W Sˡ = 0`.
///   Exactly: `E[Gˡ⁺¹_ab] = C_b + C_W E[Gˡ_ab]` at any widths, the recursion of `K`: a deep
///   linear network's `G2` is `K` at every width.
/// - relu, diagonal, any `C_b`: `F_aa = K_aa / 2` is linear in its only variable, so
///   `Sˡ⁺¹_aa = (C_W / 2) Sˡ_aa = 0`. Exactly: `E[relu(z)² | Gˡ] = Gˡ_aa / 2`. At one input
///   with `C_b = 0` this is the scaled chi-square law of [`FourPointVertex`]:
///   `Gᴸ⁺¹ = G¹ ∏_l (C_W / n_l) Y_l` with independent `Y_l = Σ_(j≤n_l) φ(ε_j)²`, `E[Y_l] = n_l`
///   (linear, `χ²_(n_l)`) or `n_l / 2` (relu), so `E[f²] = E[Gᴸ⁺¹] = G¹ ∏_l C_W E[Y_l] / n_l = K`
///   at any widths (the `1/n` corrections live in `E[Y_l²]`, that is, in `E[f⁴]`).
///
/// # Error estimate
///
/// [`Self::quadrature_error`] propagates, through the same linear recursion with absolute
/// values, the estimated errors of the second derivatives (per pair and layer) and of the
/// vertex (its largest quadrature error, carried through the vertex recursion with the
/// largest row sum of `|Dˡ|`). The errors of the first derivatives and of `K` itself are not
/// included (closed forms for erf, relu, linear; ~1e-12 for tanh's 2-D quadratures).
#[derive(Debug, Clone)]
pub struct KernelShift {
    vertex: FourPointVertex,
    /// Per layer `l = 2..=L`, per pair: the second derivatives at `Kˡ`.
    hessians: Vec<Vec<PairHessian>>,
    /// `S¹ ... Sᴸ⁺¹` at the network's widths, each over the `P` pairs.
    layers: Vec<Vec<f64>>,
    /// The propagated error estimates of `S¹ ... Sᴸ⁺¹`, each per pair.
    errors: Vec<Vec<f64>>,
    /// `Sᴸ⁺¹` at `n_l = 1` for every `l`: the coefficient of `1/n` at equal widths.
    coefficient: Vec<f64>,
}

impl KernelShift {
    /// The shift for `net` on `inputs` (their input dimensions must agree; `m <= 255` points).
    pub fn new(net: &DeepNetwork, inputs: &InputSet) -> Result<Self> {
        Self::with_monitor(net, inputs, &())
    }

    /// [`Self::new`] under `monitor`, asked before each Gaussian expectation whether to stop
    /// ([`TheoryError::Interrupted`]). The same numbers, bit for bit.
    pub fn with_monitor(net: &DeepNetwork, inputs: &InputSet, monitor: &dyn Monitor) -> Result<Self> {
        let vertex = FourPointVertex::with_monitor(net, inputs, monitor)?;
        Self::build(vertex, Act::Known(net.activation()), monitor)
    }

    /// The shift with the activation `phi` in place of the network's: every expectation by
    /// quadrature, every derivative by central differences of the quadrature. The differences
    /// need room inside the positive semi-definite cone: a pair whose layer kernel is singular
    /// (a repeated point, or collinear points through a homogeneous layer) is out of their
    /// reach, and its error estimate is then not to be trusted; use a known activation there.
    pub fn with_function(net: &DeepNetwork, inputs: &InputSet, phi: ActivationFn<'_>) -> Result<Self> {
        let vertex = FourPointVertex::with_function(net, inputs, phi)?;
        Self::build(vertex, Act::Function(phi), &())
    }

    pub(crate) fn build(vertex: FourPointVertex, act: Act<'_>, monitor: &dyn Monitor) -> Result<Self> {
        let kernels = vertex.kernels();
        let m = kernels.points();
        let pairs = vertex.pairs();
        let mut hessians = Vec::with_capacity(kernels.depth().saturating_sub(1));
        for l in 2..=kernels.depth() {
            let k = kernels.layer(l);
            hessians.push(layer_hessians(act, k, m, pairs, monitor)?);
        }
        let mut out = Self { vertex, hessians, layers: Vec::new(), errors: Vec::new(), coefficient: Vec::new() };
        out.solve();
        Ok(out)
    }

    /// Runs the recursion at the network's widths and at unit widths.
    fn solve(&mut self) {
        let widths = self.vertex.network().widths().to_vec();
        let (layers, errors) = self.recursion(&widths);
        let (unit, _) = self.recursion(&vec![1; widths.len()]);
        self.coefficient = unit.last().cloned().unwrap_or_default();
        self.layers = layers;
        self.errors = errors;
    }

    /// `Sˡ⁺¹ = C_W (Dˡ Sˡ + ½ hˡ(Vˡ) / n_(l−1))` from `S¹ = 0` at hidden widths `widths`, with the
    /// propagated error of every layer.
    fn recursion(&self, widths: &[usize]) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
        let p = self.vertex.pairs().len();
        let c_w = self.vertex.network().c_w();
        let vertices = self.vertex.layer_vertices(widths); // V², ..., Vᴸ⁺¹
        let vertex_errors = self.vertex.layer_vertex_errors(widths); // of V², ..., Vᴸ⁺¹
        let mut s = vec![0.0; p];
        let mut e = vec![0.0; p];
        let mut layers = vec![s.clone()];
        // S² = 0: V¹ = 0 and S¹ = 0
        layers.push(s.clone());
        let mut errors = vec![e.clone(), e.clone()];
        for l in 2..=widths.len() {
            let v = &vertices[l - 2];
            let d = self.vertex.layer_gradient(l);
            let n_prev = widths[l - 2] as f64;
            // the error of Vˡ = C_W² (Aˡ⁻¹ + (n_(l−1)/n_(l−2)) Dˡ⁻¹ Vˡ⁻¹ Dˡ⁻¹ᵀ)
            let vertex_error = vertex_errors[l - 2];
            let mut next = vec![0.0; p];
            let mut next_e = vec![0.0; p];
            for (i, ph) in self.hessians[l - 2].iter().enumerate() {
                let row = &d[i * p..(i + 1) * p];
                let linear: f64 = row.iter().zip(&s).map(|(a, b)| a * b).sum();
                let linear_e: f64 = row.iter().zip(&e).map(|(a, b)| a.abs() * b).sum();
                let (mut tadpole, mut tadpole_e) = (0.0, 0.0);
                for (k, &(x, y)) in UPPER.iter().enumerate() {
                    if ph.h[k] == 0.0 && ph.error == 0.0 {
                        continue;
                    }
                    let weight = if x == y { 0.5 } else { 1.0 };
                    let vxy = v[ph.slots[x] * p + ph.slots[y]];
                    tadpole += weight * ph.h[k] * vxy;
                    tadpole_e += weight * (ph.error * vxy.abs() + ph.h[k].abs() * vertex_error);
                }
                next[i] = c_w * (linear + tadpole / n_prev);
                next_e[i] = c_w * (linear_e + tadpole_e / n_prev);
            }
            s = next;
            e = next_e;
            layers.push(s.clone());
            errors.push(e.clone());
        }
        (layers, errors)
    }

    /// The shift at other hidden widths `n_1..n_L'` with `1 <= L' <= L` (a shallower network is
    /// the first `L'` layers of this one): every expectation and derivative is reused, only the
    /// recursions over the pairs are redone.
    pub fn at_widths(&self, widths: &[usize]) -> Result<Self> {
        crate::deep_network::check_shallower(widths, self.vertex.network().depth())?;
        let vertex = self.vertex.at_widths(widths)?;
        let hessians = self.hessians[..widths.len() - 1].to_vec();
        let mut out = Self { vertex, hessians, layers: Vec::new(), errors: Vec::new(), coefficient: Vec::new() };
        out.solve();
        Ok(out)
    }

    /// The network.
    pub fn network(&self) -> &DeepNetwork {
        self.vertex.network()
    }
    /// The four-point vertex the shift is built from (with its kernels).
    pub fn vertex(&self) -> &FourPointVertex {
        &self.vertex
    }
    /// The kernel recursion (`K¹ ... Kᴸ⁺¹`).
    pub fn kernels(&self) -> &KernelRecursion {
        self.vertex.kernels()
    }

    /// The shift `S = E[Gᴸ⁺¹] − K` at the network's widths, row-major `m x m`: the output
    /// two-point function is `E[f_i(x_a) f_j(x_b)] = δ_ij (K_ab + S_ab) + O(1/n²)`.
    pub fn shift(&self) -> Vec<f64> {
        self.square(self.layers.last().map_or(&[][..], Vec::as_slice))
    }

    /// The shift `Sˡ = E[Gˡ] − Kˡ` of layer `l = 1, ..., L + 1` at the network's widths,
    /// row-major `m x m` (`S¹ = S² = 0`).
    pub fn layer_shift(&self, l: usize) -> Vec<f64> {
        self.square(&self.layers[l.clamp(1, self.layers.len()) - 1])
    }

    /// The coefficient `K1` of `1/n` at equal widths (`S = K1 / n` when every `n_l = n`; PDLT's
    /// NLO metric `G^{1}` of the output), row-major `m x m`.
    pub fn equal_width_coefficient(&self) -> Vec<f64> {
        self.square(&self.coefficient)
    }

    /// `K + S`: the two-point function of one output to first order in the inverse widths,
    /// row-major `m x m`.
    pub fn two_point(&self) -> Vec<f64> {
        self.kernels().output().iter().zip(self.shift()).map(|(k, s)| k + s).collect()
    }

    /// The propagated error estimate of each entry of [`Self::shift`], row-major `m x m` (0 when
    /// every expectation is a closed form).
    pub fn shift_error(&self) -> Vec<f64> {
        self.layer_shift_error(self.errors.len())
    }

    /// The propagated error estimate of each entry of [`Self::layer_shift`] `l = 1, ..., L + 1`,
    /// row-major `m x m`.
    pub fn layer_shift_error(&self, l: usize) -> Vec<f64> {
        self.square(&self.errors[l.clamp(1, self.errors.len()) - 1])
    }

    /// The largest entry of [`Self::shift_error`].
    pub fn quadrature_error(&self) -> f64 {
        self.errors.last().map_or(0.0, |e| e.iter().fold(0.0f64, |a, &b| a.max(b)))
    }

    /// A vector over the pairs as a symmetric row-major `m x m` matrix.
    fn square(&self, over_pairs: &[f64]) -> Vec<f64> {
        let m = self.kernels().points();
        let mut out = vec![0.0; m * m];
        for (i, pr) in self.vertex.pairs().iter().enumerate() {
            let (a, b) = (pr[0] as usize, pr[1] as usize);
            let v = over_pairs.get(i).copied().unwrap_or(0.0);
            out[a * m + b] = v;
            out[b * m + a] = v;
        }
        out
    }
}

/// The second derivatives of every pair's `⟨φ_a φ_b⟩` at the kernel `k` (row-major `m x m`),
/// spread over the available cores ([`parallel_map`]: the result does not depend on the number
/// of threads).
fn layer_hessians(
    act: Act<'_>,
    k: &[f64],
    m: usize,
    pairs: &Multisets,
    monitor: &dyn Monitor,
) -> Result<Vec<PairHessian>> {
    let pos = |x: usize, y: usize| pairs.position(&[x, y]).unwrap_or(0);
    let out = parallel_map(pairs.len(), monitor, |i| {
        let pr = pairs.get(i);
        let (a, b) = (pr[0] as usize, pr[1] as usize);
        let (h, error) = pair_hessian(act, k[a * m + a], k[b * m + b], k[a * m + b], a == b);
        PairHessian { slots: [pos(a, a), pos(b, b), pos(a, b)], h, error }
    })?;
    if let Some(bad) = out.iter().find(|h| !h.h.iter().all(|x| x.is_finite())) {
        return Err(TheoryError::OutOfRange {
            field: "kernel",
            value: format!("second derivatives {:?}", bad.h),
            allowed: "a layer kernel whose pair expectations are twice differentiable",
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deep_activation::DeepActivation;

    /// Largest error estimate allowed of the second differences (their steps shrink near
    /// `|cos θ| = 1`, where rounding grows: 1.2e-5 measured at `cos θ = 0.9`).
    const DIFFERENCE_ERROR_BOUND: f64 = 2e-5;

    #[test]
    fn second_derivatives_match_differences_of_the_quadrature() {
        // generic, strongly correlated and anti-correlated pairs
        for (kaa, kbb, kab) in [(1.3, 0.8, 0.4), (0.6, 0.9, -0.5), (0.5, 0.5, 0.45)] {
            for act in [DeepActivation::Relu, DeepActivation::Erf, DeepActivation::Tanh, DeepActivation::Linear] {
                let known = Act::Known(act);
                let phi = move |z: f64| act.phi(z).unwrap_or(f64::NAN);
                let mut f = ActivationFn::new(&phi);
                if act == DeepActivation::Relu {
                    f = f.with_kink(0.0);
                }
                let (h, e) = pair_hessian(known, kaa, kbb, kab, false);
                let (fd, fd_e) = pair_hessian(Act::Function(f), kaa, kbb, kab, false);
                assert!(fd_e < DIFFERENCE_ERROR_BOUND, "{act:?}: difference error {fd_e}");
                // the two error estimates must cover the deviation
                for k in 0..6 {
                    assert!(
                        (h[k] - fd[k]).abs() <= fd_e + e,
                        "{act:?} ({kaa}, {kbb}, {kab}) entry {k}: {h:?} vs {fd:?}"
                    );
                }
                let (h, e) = pair_hessian(known, kaa, kaa, kaa, true);
                let (fd, fd_e) = pair_hessian(Act::Function(f), kaa, kaa, kaa, true);
                assert!(fd_e < DIFFERENCE_ERROR_BOUND, "{act:?} one point: difference error {fd_e}");
                assert!((h[0] - fd[0]).abs() <= fd_e + e, "{act:?} one point: {} vs {}", h[0], fd[0]);
            }
        }
    }
}
