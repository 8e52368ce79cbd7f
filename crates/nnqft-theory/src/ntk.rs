//! The infinite-width neural tangent kernel of a deep network ([`NeuralTangentKernel`]): its
//! layer recursion, derived on the type, over every pair of points of an input set.

use crate::deep_kernel::KernelRecursion;
use crate::deep_network::DeepNetwork;
use crate::error::{Result, non_negative};
use crate::gaussian::derivative_pair;

/// A bound on the error of the product of two computed values `x̂`, `ŷ` (the arguments) whose
/// errors are at most `e_x`, `e_y`: `|x̂ ŷ − x y| = |x̂ (ŷ − y) + (x̂ − x) y| <= |x̂| e_y + e_x (|ŷ| + e_y)`.
pub(crate) fn product_error(x: f64, ex: f64, y: f64, ey: f64) -> f64 {
    x.abs() * ey + ex * (y.abs() + ey)
}
use crate::input_set::InputSet;

/// The neural tangent kernels `Θ¹, ..., Θᴸ⁺¹` of a deep network at infinite width on an input
/// set, with the kernel recursion ([`KernelRecursion`]) they are built on.
///
/// **Definition.** With learning-rate factors `λ_W` for the weights and `λ_b` for the biases
/// (the weights of layer `l` scaled by `1/n_(l−1)`, as in Roberts, Yaida, Hanin, "The Principles
/// of Deep Learning Theory", arXiv:2106.10165, PDLT below), the NTK of the pre-activations of
/// layer `l` is
///
/// ```text
/// Θˡ_ij(x_a, x_b) = Σ_(l' ≤ l) [ λ_b Σ_k ∂zˡ_i,a/∂bˡ'_k ∂zˡ_j,b/∂bˡ'_k
///                              + (λ_W / n_(l'−1)) Σ_(k,q) ∂zˡ_i,a/∂Wˡ'_kq ∂zˡ_j,b/∂Wˡ'_kq ],
/// ```
///
/// `zˡ_i,a = zˡ_i(x_a)`, and the network's NTK is that of its output `f = zᴸ⁺¹`. At infinite
/// width it is deterministic and diagonal in the neuron indices, `Θˡ_ij → δ_ij Θˡ_ab`, with
///
/// ```text
/// Θ¹_ab   = λ_b + λ_W (1/n_0) Σ_q x_a,q x_b,q ,
/// Θˡ⁺¹_ab = λ_b + λ_W ⟨φ_a φ_b⟩_Kˡ + C_W ⟨φ'_a φ'_b⟩_Kˡ Θˡ_ab ,   l = 1, ..., L,
/// ```
///
/// `⟨·⟩_Kˡ` the Gaussian expectation over `(z_a, z_b) ~ N(0, Kˡ)` restricted to the pair, and
/// `Kˡ` the kernel recursion. The defaults `λ_W = C_W`, `λ_b = C_b` ([`Self::new`]) are the
/// "NTK parameterisation" of Jacot, Gabriel, Hongler (2018) and of neural-tangents'
/// `stax.Dense(W_std, b_std, parameterization='ntk')` with `C_W = W_std²`, `C_b = b_std²`: a
/// weight `W = √(C_W / n) ω` trained in `ω ~ N(0, 1)` at unit rate has `∂/∂ω = √(C_W / n) ∂/∂W`,
/// so its NTK term is `(C_W / n) ∂z ∂z`, and a bias `b = √C_b β` gives `C_b`. The tests hold the
/// recursion to neural-tangents' values (erf and relu, `L = 1..4`) to `1e-12` relative.
///
/// **Derivation.** Write `zˡ⁺¹_i = bˡ⁺¹_i + Σ_j Wˡ⁺¹_ij φ(zˡ_j)`. The parameters of layer `l + 1`
/// enter only through this line: `∂zˡ⁺¹_i,a/∂bˡ⁺¹_k = δ_ik`, `∂zˡ⁺¹_i,a/∂Wˡ⁺¹_kq = δ_ik φ(zˡ_q,a)`,
/// so they contribute `δ_ij [λ_b + (λ_W / n_l) Σ_q φ(zˡ_q,a) φ(zˡ_q,b)]`. Every earlier
/// parameter reaches `zˡ⁺¹` through `zˡ` (chain rule), `∂zˡ⁺¹_i,a/∂θ = Σ_k Wˡ⁺¹_ik φ'(zˡ_k,a) ∂zˡ_k,a/∂θ`,
/// so they contribute `Σ_(k,k') Wˡ⁺¹_ik Wˡ⁺¹_jk' φ'(zˡ_k,a) φ'(zˡ_k',b) Θˡ_kk'(x_a, x_b)`. That is
/// PDLT's forward equation for the NTK (ch. 8), exact at any width:
///
/// ```text
/// Θˡ⁺¹_ij,ab = δ_ij [λ_b + (λ_W / n_l) Σ_q φ_q,a φ_q,b] + Σ_(k,k') Wˡ⁺¹_ik Wˡ⁺¹_jk' φ'_k,a φ'_k',b Θˡ_kk',ab .
/// ```
///
/// At infinite width (PDLT ch. 8 and section 9.1, the "frozen NTK") `Θˡ_kk' → δ_kk' Θˡ_ab` is
/// deterministic, `Wˡ⁺¹` is independent of layer `l` with `E[Wˡ⁺¹_ik Wˡ⁺¹_jk] = δ_ij C_W / n_l`,
/// the sums over `n_l` neurons self-average, and the neurons of layer `l` are i.i.d. `N(0, Kˡ)`:
/// `(1/n_l) Σ_q φ_q,a φ_q,b → ⟨φ_a φ_b⟩_Kˡ` and `Σ_k Wˡ⁺¹_ik Wˡ⁺¹_jk φ'_k,a φ'_k,b Θˡ_ab →
/// δ_ij C_W ⟨φ'_a φ'_b⟩_Kˡ Θˡ_ab`, which is the recursion above; the first layer's NTK is its own
/// contribution, `λ_b + (λ_W / n_0) x_a·x_b`. **Notation:** PDLT's `Θ^(ℓ)_{δ1δ2}`,
/// `λ_b^(ℓ)`, `λ_W^(ℓ)`, `C_W^(ℓ)`, `⟨σ'_{δ1} σ'_{δ2}⟩_{K^(ℓ)}` are our `Θˡ_ab`, `λ_b`, `λ_W`,
/// `C_W`, `⟨φ'_a φ'_b⟩_Kˡ` (one set of priors and learning rates for every layer here); their
/// layer index is ours (`z⁽¹⁾ = b + W x`), and their network of depth `L` has `L − 1` hidden
/// layers where ours has `L`, so our output is their layer `ℓ = L + 1`.
///
/// **Expectations.** `⟨φ_a φ_b⟩_Kˡ` are those of the kernel recursion; `⟨φ'_a φ'_b⟩_Kˡ` is a
/// closed form for linear (1), relu (`(π − θ)/2π`, `cos θ = K_ab/√(K_aa K_bb)`; ½ on the
/// diagonal), erf (`4 / (π √((1 + 2K_aa)(1 + 2K_bb) − 4K_ab²))`), sin (`e^(−(K_aa + K_bb)/2) cosh K_ab`)
/// and Gauss-net (`φ' = φ`), and 2-D Gaussian quadrature of the closed-form `φ'` with an error
/// estimate for tanh, gelu, silu, softplus and sigmoid ([`crate::ActivationFn`] describes the
/// quadrature).
///
/// **Error bounds** ([`Self::layer_error`]). With `ε_K` the largest error estimate of a kernel
/// expectation `⟨φ_a φ_b⟩_Kˡ` ([`KernelRecursion::quadrature_error`]) and `ε'ˡ_ab` that of
/// `⟨φ'_a φ'_b⟩_Kˡ`, the recursion is linear in each, so an entry's error is bounded by
///
/// ```text
/// e¹_ab = 0,   eˡ⁺¹_ab = λ_W ε_K + C_W [ε'ˡ_ab (|Θˡ_ab| + eˡ_ab) + |⟨φ'_a φ'_b⟩_Kˡ| eˡ_ab] ,
/// ```
///
/// from `|x̂ ŷ − x y| <= |x̂| e_y + e_x (|ŷ| + e_y)` for computed `x̂`, `ŷ` with `|x̂ − x| <= e_x`,
/// `|ŷ − y| <= e_y` (a bound, not a first-order estimate). The errors of `Kˡ` itself as the argument of the
/// expectations are not included (closed forms for erf, relu, linear, sin; 2-D quadratures with
/// errors near rounding for the rest). Closed forms give `e = 0` exactly.
///
/// **Checks.** Deep linear networks (`φ' = 1`): `Θˡ⁺¹ = λ_b + λ_W Kˡ + C_W Θˡ`; at `C_b = λ_b = 0`,
/// `Θᴸ⁺¹_ab = (L + 1) λ_W C_Wᴸ x_a·x_b / d`. At `L = 1` with `λ_W = C_W`, `λ_b = C_b`:
/// `Θ² = K² + C_W ⟨φ'_a φ'_b⟩_K¹ K¹`.
///
/// ```
/// use nnqft_theory::{DeepActivation, DeepNetwork, InputSet, NeuralTangentKernel};
/// let net = DeepNetwork::new(DeepActivation::Linear, &[5, 5], 1.5, 0.0)?;
/// let x = InputSet::new("two", &[vec![0.4], vec![1.0]])?;
/// let ntk = NeuralTangentKernel::new(&net, &x)?;
/// // deep linear, C_b = 0: Θ = (L + 1) C_W^(L+1) x·x' / d
/// let expected = 3.0 * 1.5f64.powi(3) * 0.4;
/// assert!((ntk.output()[1] - expected).abs() < 1e-14);
/// # Ok::<(), nnqft_theory::TheoryError>(())
/// ```
///
/// # Beyond infinite width ([`crate::NtkFluctuations`])
///
/// At finite width `Θˡ_ij` fluctuates from net to net and its mean moves:
/// `E[Θᴸ⁺¹_ij] = δ_ij (Θᴸ⁺¹ + O(1/n))`. Taking the expectation of the forward equation above
/// (`Wˡ⁺¹` is independent of the layers below, `E[Wˡ⁺¹_ik Wˡ⁺¹_jk'] = δ_ij δ_kk' C_W / n_l`) gives,
/// exactly at any width,
///
/// ```text
/// E[Θˡ⁺¹_ii,ab] = λ_b + λ_W E[(1/n_l) Σ_q φ_q,a φ_q,b] + C_W E[(1/n_l) Σ_k φ'_k,a φ'_k,b Θˡ_kk,ab] ,
/// ```
///
/// so the `1/n` correction of the mean ([`crate::NtkFluctuations::theta_shift`], which derives
/// it) needs three things beyond this type: (i) the `1/n`
/// shift of the kernel ([`crate::KernelShift`]) and the four-point vertex
/// ([`crate::FourPointVertex`]) inside `E[⟨φ φ⟩_G]` and `E[⟨φ' φ'⟩_G]` (second derivatives of
/// `⟨φ'_a φ'_b⟩_K` in `K`: by Price's theorem, expectations of `φ'''`, a derivative of a delta
/// function for relu); (ii) the correlation of a neuron's NTK `Θˡ_kk` with its own
/// pre-activations `zˡ_k`, which makes `E[φ'_k,a φ'_k,b Θˡ_kk] ≠ E[φ'φ'] E[Θ]` (PDLT's
/// NTK-preactivation cross-correlations `D` and `F`, ch. 8, with recursions of their own driven
/// by expectations such as `⟨φ'_a φ'_b φ_c φ_d⟩_K`); (iii) the previous layer's mean correction,
/// propagated by `C_W ⟨φ'_a φ'_b⟩_Kˡ`. PDLT ch. 8–9 set these recursions up (ch. 11 adds the
/// dNTK, which matters once training starts). Guillen, Misof, Gerken (arXiv:2508.11522) find
/// that for relu the correction vanishes on the diagonal `x_a = x_b`; the sampling crate's
/// `NtkEnsemble` tests check that at `n = 20`, and the recursion gives it at every depth.
#[derive(Debug, Clone)]
pub struct NeuralTangentKernel {
    m: usize,
    d_out: usize,
    kernels: KernelRecursion,
    /// `Θ¹ ... Θᴸ⁺¹`, each row-major `m x m`.
    ntks: Vec<Vec<f64>>,
    /// `⟨φ'_a φ'_b⟩_Kˡ` for `l = 1..L`, row-major `m x m`.
    derivative_means: Vec<Vec<f64>>,
    /// The error bounds of `Θ¹ ... Θᴸ⁺¹` and of `⟨φ'_a φ'_b⟩_Kˡ`, row-major `m x m`.
    errors: Vec<Vec<f64>>,
    derivative_errors: Vec<Vec<f64>>,
    lambda_w: f64,
    lambda_b: f64,
    quadrature_error: f64,
}

impl NeuralTangentKernel {
    /// The NTK of `net` on `inputs` in the NTK parameterisation, `λ_W = C_W`, `λ_b = C_b`.
    /// Errors: the inputs' dimension is not the network's `d_in`.
    pub fn new(net: &DeepNetwork, inputs: &InputSet) -> Result<Self> {
        Self::with_learning_rates(net, inputs, net.c_w(), net.c_b())
    }

    /// The NTK with learning-rate factors `lambda_w` (weights of layer `l` scaled by
    /// `1/n_(l−1)`) and `lambda_b` (biases), each finite and `>= 0`.
    pub fn with_learning_rates(net: &DeepNetwork, inputs: &InputSet, lambda_w: f64, lambda_b: f64) -> Result<Self> {
        non_negative("lambda_w", lambda_w)?;
        non_negative("lambda_b", lambda_b)?;
        let kernels = KernelRecursion::new(net, inputs)?;
        let m = inputs.len();
        let dot = |a: usize, b: usize| {
            let (x, y) = (inputs.point(a), inputs.point(b));
            x.iter().zip(y).map(|(p, q)| p * q).sum::<f64>() / net.d_in() as f64
        };
        let first: Vec<f64> = (0..m * m).map(|i| lambda_b + lambda_w * dot(i / m, i % m)).collect();
        let mut ntks = vec![first];
        let mut derivative_means = Vec::with_capacity(net.depth());
        let mut errors = vec![vec![0.0; m * m]];
        let mut derivative_errors = Vec::with_capacity(net.depth());
        let kernel_error = kernels.quadrature_error();
        let mut quadrature_error = kernel_error;
        for l in 0..net.depth() {
            let (k, pair) = (kernels.layer(l + 1), &kernels.pair_means[l]);
            let (prev, prev_error) = (&ntks[l], &errors[l]);
            let mut derivative = vec![0.0; m * m];
            let mut derivative_error = vec![0.0; m * m];
            let mut next = vec![0.0; m * m];
            let mut next_error = vec![0.0; m * m];
            for a in 0..m {
                for b in a..m {
                    let e = derivative_pair(net.activation(), k[a * m + a], k[b * m + b], k[a * m + b]);
                    quadrature_error = quadrature_error.max(e.error);
                    let theta = lambda_b + lambda_w * pair[a * m + b] + net.c_w() * e.value * prev[a * m + b];
                    let error = lambda_w * kernel_error
                        + net.c_w() * product_error(e.value, e.error, prev[a * m + b], prev_error[a * m + b]);
                    for (i, j) in [(a, b), (b, a)] {
                        derivative[i * m + j] = e.value;
                        derivative_error[i * m + j] = e.error;
                        next[i * m + j] = theta;
                        next_error[i * m + j] = error;
                    }
                }
            }
            ntks.push(next);
            errors.push(next_error);
            derivative_means.push(derivative);
            derivative_errors.push(derivative_error);
        }
        Ok(Self {
            m,
            d_out: net.d_out(),
            kernels,
            ntks,
            derivative_means,
            errors,
            derivative_errors,
            lambda_w,
            lambda_b,
            quadrature_error,
        })
    }

    /// The number of input points `m`.
    pub fn points(&self) -> usize {
        self.m
    }
    /// The output dimension `d_out` (the NTK of outputs `i`, `j` is `δ_ij Θ`).
    pub fn d_out(&self) -> usize {
        self.d_out
    }
    /// The depth `L`.
    pub fn depth(&self) -> usize {
        self.ntks.len() - 1
    }
    /// `λ_W`.
    pub fn lambda_w(&self) -> f64 {
        self.lambda_w
    }
    /// `λ_b`.
    pub fn lambda_b(&self) -> f64 {
        self.lambda_b
    }
    /// `Θˡ` for `l = 1, ..., L + 1`, row-major `m x m`.
    pub fn layer(&self, l: usize) -> &[f64] {
        &self.ntks[l - 1]
    }
    /// The output NTK `Θ = Θᴸ⁺¹`, row-major `m x m`.
    pub fn output(&self) -> &[f64] {
        &self.ntks[self.ntks.len() - 1]
    }
    /// `Θ_ij(x_a, x_b) = δ_ij Θᴸ⁺¹_ab` (`None` if an index is out of range).
    pub fn entry(&self, a: usize, b: usize, i: usize, j: usize) -> Option<f64> {
        if a >= self.m || b >= self.m || i >= self.d_out || j >= self.d_out {
            return None;
        }
        Some(if i == j { self.output()[a * self.m + b] } else { 0.0 })
    }
    /// `⟨φ'_a φ'_b⟩_Kˡ` for `l = 1, ..., L`, row-major `m x m`.
    pub fn derivative_mean(&self, l: usize) -> &[f64] {
        &self.derivative_means[l - 1]
    }
    /// The propagated error bound of each entry of [`Self::layer`] `l = 1, ..., L + 1`
    /// (type docs, "Error bounds"), row-major `m x m`; 0 where every expectation is a closed form.
    pub fn layer_error(&self, l: usize) -> &[f64] {
        &self.errors[l - 1]
    }
    /// The error bound of each entry of [`Self::output`], row-major `m x m`.
    pub fn output_error(&self) -> &[f64] {
        &self.errors[self.errors.len() - 1]
    }
    /// The estimated error of each entry of [`Self::derivative_mean`], row-major `m x m`.
    pub(crate) fn derivative_mean_error(&self, l: usize) -> &[f64] {
        &self.derivative_errors[l - 1]
    }
    /// The recursion of the first `depth <= L` hidden layers (`Θ¹ ... Θ^(depth+1)`), as a fresh
    /// build of the shallower network gives it, bit for bit (the recursion of a layer uses only
    /// the layers below it); the quadrature error stays this one's, every layer's.
    pub(crate) fn truncated(&self, depth: usize) -> Self {
        let depth = depth.min(self.depth());
        Self {
            m: self.m,
            d_out: self.d_out,
            kernels: self.kernels.truncated(depth),
            ntks: self.ntks[..=depth].to_vec(),
            derivative_means: self.derivative_means[..depth].to_vec(),
            errors: self.errors[..=depth].to_vec(),
            derivative_errors: self.derivative_errors[..depth].to_vec(),
            lambda_w: self.lambda_w,
            lambda_b: self.lambda_b,
            quadrature_error: self.quadrature_error,
        }
    }

    /// The kernel recursion `K¹ ... Kᴸ⁺¹` the NTK is built on.
    pub fn kernels(&self) -> &KernelRecursion {
        &self.kernels
    }
    /// The largest estimated absolute error of a quadrature used, in the kernels or in
    /// `⟨φ'_a φ'_b⟩` (0 when all are closed forms).
    pub fn quadrature_error(&self) -> f64 {
        self.quadrature_error
    }
}
