//! The second-order differentials of the neural tangent kernel (ddNTKs) at leading order in
//! `1/n` ([`DoubleDifferentialNtk`]): their means for one hidden layer, exact at any width,
//! derived on the type.

use crate::deep_activation::DeepActivation;
use crate::deep_network::DeepNetwork;
use crate::error::{Result, TheoryError, non_negative};
use crate::gaussian::{Estimate, jet_moment};
use crate::input_set::InputSet;
use crate::monitor::parallel_map;

/// The means of the two ddNTKs of a network with one hidden layer (`L = 1`), over every
/// quadruple of the input set: exact at any width `n`, and of order `1/n`.
///
/// **Definitions** (ours). Index pairs `p = (i, a)` (output `i`, point `a`), `λ_μ` the
/// learning-rate factor of parameter `θ_μ` (`λ_W / n_(l−1)` for a weight of layer `l`, `λ_b`
/// for a bias), `Θ` the per-network NTK ([`crate::NeuralTangentKernel`] has its definition),
/// `f` the outputs:
///
/// ```text
/// ddIΘ_(p0 p1; p2 p3)  = Σ_(μ,ν) λ_μ λ_ν (∂²Θ_(p2 p3)/∂θ_μ∂θ_ν) (∂f_p0/∂θ_μ) (∂f_p1/∂θ_ν),
/// ddIIΘ_(p0 p1; p2 p3) = Σ_(μ,ν) λ_μ λ_ν (∂Θ_(p2 p3)/∂θ_μ) (∂²f_p0/∂θ_μ∂θ_ν) (∂f_p1/∂θ_ν).
/// ```
///
/// One gradient-descent step `Δθ_μ = −η λ_μ Σ_p ε_p ∂f_p/∂θ_μ` changes the NTK by
/// `ΔΘ_(p2 p3) = −η Σ_p dΘ_(p p2 p3) ε_p + (η²/2) Σ_(p p') ddIΘ_(p p'; p2 p3) ε_p ε_p' + O(η³)`
/// (`dΘ` of [`crate::DifferentialNtk`]), and `ddII` enters through the change of the gradient
/// directions from one step to the next: the derivative of `dΘ_(p0 p2 p3)` along `λ ∇_θ f_p1`
/// is `ddIΘ_(p0 p1; p2 p3) + ddIIΘ_(p0 p1; p2 p3)`. PDLT (Roberts, Yaida, Hanin,
/// arXiv:2106.10165, §11.1 and §11.3) writes `dd_IĤ` and `dd_IIĤ` and the tensors `R`, `S`,
/// `T`, `U` of their means; **the correspondence of the definitions and tensors here to
/// PDLT's is not checked against the text** (we could not consult it), so the names below
/// are ours. The sampled counterpart is `nnqft_sampling::DdntkEnsemble`.
///
/// **Result** (`L = 1`, width `n`, exact at any `n`). With `δ_kl = δ_(i_k i_l)` over the
/// outputs of the four pairs,
///
/// ```text
/// E[ddIΘ_(p0 p1; p2 p3)]  = (1/n) [δ_01 δ_23 R∥_(a0 a1 a2 a3) + (δ_02 δ_13 + δ_03 δ_12) R×_(a0 a1 a2 a3)],
/// E[ddIIΘ_(p0 p1; p2 p3)] = (1/n) [δ_01 δ_23 S∥_(a0 a1 a2 a3) + (δ_02 δ_13 + δ_03 δ_12) S×_(a0 a1 a2 a3)],
/// ```
///
/// with, writing `k` for the point `a_k`, `φ⁽ʳ⁾_k = φ⁽ʳ⁾(z_k)`, `⟨·⟩` the expectation over
/// `z ~ N(0, K¹)` (`K¹_ab = C_b + C_W x_a·x_b / d`, the first layer's exact covariance) and
/// `G_kl = λ_b + λ_W x_k·x_l / d` (the first layer's NTK),
///
/// ```text
/// R∥ = λ_W C_W [G_02 G_12 ⟨φ'_0 φ'_1 φ''_2 φ_3⟩ + (G_02 G_13 + G_03 G_12) ⟨φ'_0 φ'_1 φ'_2 φ'_3⟩ + G_03 G_13 ⟨φ'_0 φ'_1 φ_2 φ''_3⟩] + C_W² Z,
/// R× = λ_W² G_23 ⟨φ_0 φ_1 φ'_2 φ'_3⟩
///    + λ_W C_W G_23 [G_12 ⟨φ_0 φ'_1 φ''_2 φ'_3⟩ + G_13 ⟨φ_0 φ'_1 φ'_2 φ''_3⟩ + G_02 ⟨φ'_0 φ_1 φ''_2 φ'_3⟩ + G_03 ⟨φ'_0 φ_1 φ'_2 φ''_3⟩] + C_W² Z,
/// Z  = G_23 [G_02 G_12 ⟨φ'_0 φ'_1 φ'''_2 φ'_3⟩ + (G_02 G_13 + G_03 G_12) ⟨φ'_0 φ'_1 φ''_2 φ''_3⟩ + G_03 G_13 ⟨φ'_0 φ'_1 φ'_2 φ'''_3⟩],
/// S∥ = λ_W² [G_02 ⟨φ'_0 φ_1 φ'_2 φ_3⟩ + G_03 ⟨φ'_0 φ_1 φ_2 φ'_3⟩]
///    + λ_W C_W G_01 [G_02 ⟨φ''_0 φ'_1 φ'_2 φ_3⟩ + G_03 ⟨φ''_0 φ'_1 φ_2 φ'_3⟩]
///    + λ_W C_W G_23 [G_02 ⟨φ'_0 φ_1 φ''_2 φ'_3⟩ + G_03 ⟨φ'_0 φ_1 φ'_2 φ''_3⟩] + C_W² Y,
/// S× = λ_W C_W G_01 G_23 ⟨φ'_0 φ'_1 φ'_2 φ'_3⟩ + C_W² Y,
/// Y  = G_01 G_23 [G_02 ⟨φ''_0 φ'_1 φ''_2 φ'_3⟩ + G_03 ⟨φ''_0 φ'_1 φ'_2 φ''_3⟩].
/// ```
///
/// `R∥` and `R×` are symmetric under `0 ↔ 1` and under `2 ↔ 3`, `S∥` and `S×` under `2 ↔ 3`
/// (`R×`'s `λ_W C_W` terms swap into each other under `0 ↔ 1`).
/// Relu: `φ'' = φ''' = 0` (its kink is never hit by a sampled pre-activation, and the
/// per-network ddNTKs are derivatives almost everywhere), so only `λ_W C_W` and `λ_W²` terms
/// with `φ`, `φ'` stay; linear: `φ' = 1`, `φ'' = φ''' = 0`.
///
/// # Derivation
///
/// The network is `z_k(x) = b¹_k + Σ_j W¹_kj x_j` (`k = 1..n`), `f_i(x) = b²_i + Σ_k w_(i k) φ(z_k(x))`
/// with `w = W²`, `W¹ ~ N(0, C_W/d)`, `w ~ N(0, σ²)`, `σ² = C_W/n`, learning-rate factors
/// `λ_W/d` (first layer), `λ₂ = λ_W/n` (readout weights), `λ_b` (biases). The NTK is a sum over
/// hidden neurons, `Θ_(p2 p3) = λ_b δ_23 + Σ_k [δ_23 λ₂ φ_2 φ_3 + w_(i2 k) w_(i3 k) φ'_2 φ'_3 G_23]`
/// (neuron `k` implicit in `φ`), and every derivative below stays inside one neuron: the
/// readout bias enters neither `Θ` nor a second derivative of `f`, and a first-layer direction
/// acts only through the `z_k` at the points. Along `v_p = λ ∇_θ f_p`, `p = (i, a)`, neuron `k`
/// moves by
///
/// ```text
/// Δw_(· k) = λ₂ φ_a e_i,     Δz_k(c) = w_(i k) φ'_a G_ac,
/// ```
///
/// the second because `Σ_(μ ∈ layer 1) λ_μ ∂_μ z_k(a) ∂_μ z_k(c) = G_ac`. `ddI` is the second
/// directional derivative of each neuron's `Θ` along the fixed `v_p0`, `v_p1`:
/// the `z`-`z` part of `δ_23 λ₂ φ_2 φ_3` gives `δ_23 λ₂ w_i0 w_i1 φ'_0 φ'_1 [φ''_2 φ_3 G_02 G_12 + φ'_2 φ'_3 (G_02 G_13 + G_03 G_12) + φ_2 φ''_3 G_03 G_13]`;
/// the `w`-`w` part of `w_i2 w_i3 φ'_2 φ'_3 G_23` gives `λ₂² φ_0 φ_1 (δ_02 δ_13 + δ_03 δ_12) φ'_2 φ'_3 G_23`,
/// its `w`-`z` parts `λ₂ G_23 φ_0 φ'_1 (δ_02 w_i3 w_i1 + δ_03 w_i2 w_i1)(φ''_2 φ'_3 G_12 + φ'_2 φ''_3 G_13)`
/// and the same with `0 ↔ 1`, its `z`-`z` part `w_i2 w_i3 w_i0 w_i1 φ'_0 φ'_1 G_23 [φ'''_2 φ'_3 G_02 G_12 + φ''_2 φ''_3 (G_02 G_13 + G_03 G_12) + φ'_2 φ'''_3 G_03 G_13]`.
/// `ddII` is the derivative of each neuron's `Θ` along `u = D_(v_p1) v_p0`, the change of the
/// direction `v_p0` along `v_p1`, which moves neuron `k` by
///
/// ```text
/// Δᵘw = λ₂ w_i1 φ'_0 φ'_1 G_01 e_i0,     Δᵘz(c) = s G_0c,     s = λ₂ δ_01 φ_1 φ'_0 + w_i0 w_i1 φ''_0 φ'_1 G_01,
/// ```
///
/// so, per neuron,
///
/// ```text
/// ddII = δ_23 λ₂ s (φ'_2 φ_3 G_02 + φ_2 φ'_3 G_03) + λ₂ G_01 φ'_0 φ'_1 (δ_02 w_i1 w_i3 + δ_03 w_i1 w_i2) φ'_2 φ'_3 G_23
///      + w_i2 w_i3 G_23 s (φ''_2 φ'_3 G_02 + φ'_2 φ''_3 G_03).
/// ```
///
/// The neurons are independent
/// and identically distributed, `z_k ~ N(0, K¹)` exactly at any width, and `w` is independent
/// of `z`: Wick's theorem over `w` (`E[w_i w_j] = σ² δ_ij`,
/// `E[w_i0 w_i1 w_i2 w_i3] = σ⁴ (δ_01 δ_23 + δ_02 δ_13 + δ_03 δ_12)`) and the sum over the `n`
/// neurons turn `n λ₂²`, `n λ₂ σ²`, `n σ⁴` into `λ_W²/n`, `λ_W C_W/n`, `C_W²/n`: the result
/// above, with no other power of `n`. Every term is a single-neuron expectation, so the
/// two-neuron terms (Stein's lemma) of deeper networks do not arise.
///
/// **Not derived: `L >= 2`.** Deeper networks need the layer recursion of these means (the
/// forward equation of the ddNTKs with the NTK's and dNTK's fluctuations `A`, `B`, `D`, `F`,
/// `P`, `Q` of earlier layers, Wick over each layer's weights and Stein's lemma for the
/// two-neuron terms); it is not derived here and such networks are refused
/// ([`TheoryError::Unsupported`]). Their ddNTKs can be measured with
/// `nnqft_sampling::DdntkEnsemble`.
///
/// # Error bounds
///
/// Each tensor entry is a sum of exactly known coefficients (`G`, `λ_W`, `C_W`) times
/// single-neuron expectations; its bound ([`Self::ddi_tensors_error`],
/// [`Self::ddii_tensors_error`]) is the sum of `|coefficient|` times each expectation's own
/// estimate (the nested quadrature at two resolutions; 0 for linear, by Isserlis' theorem, and
/// for every `φ''`, `φ'''` term of relu and linear, exactly 0; relu's other terms are nested
/// quadrature over their outer levels, the innermost in closed form, with the two-resolution
/// estimate, 0 only where an expectation sits on one distinct point).
///
/// ```
/// use nnqft_theory::{DeepActivation, DeepNetwork, DoubleDifferentialNtk, InputSet};
/// // a linear net of width 4 on one input x = 1 (d = 1), C_W = 1, C_b = 0, λ_W = 1, λ_b = 0:
/// // G = 1, K¹ = 1, so R∥ = 2, R× = 1, S∥ = 2, S× = 1
/// let net = DeepNetwork::new(DeepActivation::Linear, &[4], 1.0, 0.0)?;
/// let x = InputSet::new("one", &[vec![1.0]])?;
/// let dd = DoubleDifferentialNtk::new(&net, &x)?;
/// assert_eq!(dd.ddi_tensors([0; 4]), [2.0, 1.0]);
/// assert_eq!(dd.ddii_tensors([0; 4]), [2.0, 1.0]);
/// // one output: E[ddIΘ] = (R∥ + 2 R×) / n = 1
/// assert_eq!(dd.ddi_leading_order([0; 4], [0; 4]), Some(1.0));
/// # Ok::<(), nnqft_theory::TheoryError>(())
/// ```
#[derive(Debug, Clone)]
pub struct DoubleDifferentialNtk {
    net: DeepNetwork,
    m: usize,
    lambda_w: f64,
    lambda_b: f64,
    /// Per quadruple `((a0 m + a1) m + a2) m + a3`: `[R∥, R×, S∥, S×]`.
    tensors: Vec<[f64; 4]>,
    /// Their quadrature error bounds.
    errors: Vec<[f64; 4]>,
}

impl DoubleDifferentialNtk {
    /// The means in the NTK parameterisation, `λ_W = C_W`, `λ_b = C_b`.
    /// Errors as [`Self::with_learning_rates`].
    pub fn new(net: &DeepNetwork, inputs: &InputSet) -> Result<Self> {
        Self::with_learning_rates(net, inputs, net.c_w(), net.c_b())
    }

    /// The means with learning-rate factors `lambda_w`, `lambda_b` (finite, `>= 0`). Errors:
    /// the inputs' dimension is not `d`; a learning-rate factor out of range; Gauss-net;
    /// depth `L >= 2` ([`TheoryError::Unsupported`]: the recursion is not derived).
    pub fn with_learning_rates(net: &DeepNetwork, inputs: &InputSet, lambda_w: f64, lambda_b: f64) -> Result<Self> {
        inputs.check_dimension(net.d_in())?;
        non_negative("lambda_w", lambda_w)?;
        non_negative("lambda_b", lambda_b)?;
        if net.activation() == DeepActivation::Gauss {
            return Err(TheoryError::Unsupported("the ddNTK of Gauss-net".into()));
        }
        if net.depth() != 1 {
            return Err(TheoryError::Unsupported(format!(
                "the ddNTK's theory at depth L = {}: derived for one hidden layer (L = 1) only; \
                 measure deeper networks' ddNTKs by sampling",
                net.depth()
            )));
        }
        let m = inputs.len();
        let d = net.d_in() as f64;
        let dot = |a: usize, b: usize| inputs.point(a).iter().zip(inputs.point(b)).map(|(p, q)| p * q).sum::<f64>() / d;
        let kernel: Vec<f64> = (0..m * m).map(|i| net.c_b() + net.c_w() * dot(i / m, i % m)).collect();
        let g: Vec<f64> = (0..m * m).map(|i| lambda_b + lambda_w * dot(i / m, i % m)).collect();
        let (act, c_w) = (net.activation(), net.c_w());
        let entries = parallel_map(m * m * m * m, &(), |i| {
            let pts = [i / (m * m * m), i / (m * m) % m, i / m % m, i % m];
            quadruple(act, &kernel, &g, m, pts, lambda_w, c_w)
        })?;
        let (tensors, errors) = entries.into_iter().unzip();
        Ok(Self { net: net.clone(), m, lambda_w, lambda_b, tensors, errors })
    }

    /// The means at another hidden width: `widths` must be one width (`L = 1`, so the tensors,
    /// which do not depend on it, are reused bit for bit and only the `1/n` of the means
    /// changes). Errors: not exactly one width ([`TheoryError::Unsupported`] for more), or a
    /// width of 0, naming the field.
    pub fn at_widths(&self, widths: &[usize]) -> Result<Self> {
        if widths.len() > 1 {
            return Err(TheoryError::Unsupported(format!(
                "the ddNTK's theory at depth L = {}: derived for one hidden layer (L = 1) only",
                widths.len()
            )));
        }
        Ok(Self { net: self.net.with_widths(widths)?, ..self.clone() })
    }

    /// The network.
    pub fn network(&self) -> &DeepNetwork {
        &self.net
    }
    /// The number of input points `m`.
    pub fn points(&self) -> usize {
        self.m
    }
    /// The learning-rate factors `(λ_W, λ_b)`.
    pub fn learning_rates(&self) -> (f64, f64) {
        (self.lambda_w, self.lambda_b)
    }

    fn at(&self, [a0, a1, a2, a3]: [usize; 4]) -> usize {
        ((a0 * self.m + a1) * self.m + a2) * self.m + a3
    }

    /// `[R∥, R×]` at the points `[a0, a1, a2, a3]` (type docs; width-independent). Panics if a
    /// point is out of range (`< m`), as slice indexing does.
    pub fn ddi_tensors(&self, points: [usize; 4]) -> [f64; 2] {
        let t = self.tensors[self.at(points)];
        [t[0], t[1]]
    }
    /// `[S∥, S×]` at the points (type docs). Panics if a point is out of range.
    pub fn ddii_tensors(&self, points: [usize; 4]) -> [f64; 2] {
        let t = self.tensors[self.at(points)];
        [t[2], t[3]]
    }
    /// The quadrature error bounds of [`Self::ddi_tensors`].
    pub fn ddi_tensors_error(&self, points: [usize; 4]) -> [f64; 2] {
        let e = self.errors[self.at(points)];
        [e[0], e[1]]
    }
    /// The quadrature error bounds of [`Self::ddii_tensors`].
    pub fn ddii_tensors_error(&self, points: [usize; 4]) -> [f64; 2] {
        let e = self.errors[self.at(points)];
        [e[2], e[3]]
    }

    /// `(1/n) [δ_01 δ_23 X∥ + (δ_02 δ_13 + δ_03 δ_12) X×]` from `[X∥, X×]`; `None` out of range.
    fn mean(
        &self,
        outputs: [usize; 4],
        points: [usize; 4],
        pick: impl Fn(&Self, [usize; 4]) -> [f64; 2],
    ) -> Option<f64> {
        if outputs.iter().any(|&i| i >= self.net.d_out()) || points.iter().any(|&a| a >= self.m) {
            return None;
        }
        let delta = |k: usize, l: usize| f64::from(u8::from(outputs[k] == outputs[l]));
        let [same, cross] = pick(self, points);
        let n = self.net.widths()[0] as f64;
        Some((delta(0, 1) * delta(2, 3) * same + (delta(0, 2) * delta(1, 3) + delta(0, 3) * delta(1, 2)) * cross) / n)
    }

    /// `E[ddIΘ_(p0 p1; p2 p3)]` with `p_k = (outputs[k], points[k])`, the Kronecker deltas over
    /// the outputs and `1/n` included (`None` if an output or point is out of range).
    pub fn ddi_leading_order(&self, outputs: [usize; 4], points: [usize; 4]) -> Option<f64> {
        self.mean(outputs, points, Self::ddi_tensors)
    }
    /// The quadrature error bound of [`Self::ddi_leading_order`].
    pub fn ddi_leading_order_error(&self, outputs: [usize; 4], points: [usize; 4]) -> Option<f64> {
        self.mean(outputs, points, Self::ddi_tensors_error)
    }
    /// `E[ddIIΘ_(p0 p1; p2 p3)]`, as [`Self::ddi_leading_order`].
    pub fn ddii_leading_order(&self, outputs: [usize; 4], points: [usize; 4]) -> Option<f64> {
        self.mean(outputs, points, Self::ddii_tensors)
    }
    /// The quadrature error bound of [`Self::ddii_leading_order`].
    pub fn ddii_leading_order_error(&self, outputs: [usize; 4], points: [usize; 4]) -> Option<f64> {
        self.mean(outputs, points, Self::ddii_tensors_error)
    }
}

/// A sum of exactly known coefficients times estimates, with its error bound.
#[derive(Default)]
struct Sum {
    value: f64,
    error: f64,
}

impl Sum {
    fn add(&mut self, coefficient: f64, e: Estimate) {
        self.value += coefficient * e.value;
        self.error += coefficient.abs() * e.error;
    }
}

/// `[R∥, R×, S∥, S×]` and their bounds at one quadruple (type docs).
fn quadruple(
    act: DeepActivation,
    kernel: &[f64],
    g: &[f64],
    m: usize,
    [p0, p1, p2, p3]: [usize; 4],
    lambda_w: f64,
    c_w: f64,
) -> ([f64; 4], [f64; 4]) {
    let e = |orders: [u32; 4]| {
        jet_moment(act, kernel, m, &[(p0, orders[0]), (p1, orders[1]), (p2, orders[2]), (p3, orders[3])])
    };
    let gg = |a: usize, b: usize| g[a * m + b];
    let (g01, g02, g03, g12, g13, g23) = (gg(p0, p1), gg(p0, p2), gg(p0, p3), gg(p1, p2), gg(p1, p3), gg(p2, p3));
    let (lc, ll, cc) = (lambda_w * c_w, lambda_w * lambda_w, c_w * c_w);
    let slopes = e([1, 1, 1, 1]);
    // Z and Y, shared
    let mut z = Sum::default();
    z.add(cc * g23 * g02 * g12, e([1, 1, 3, 1]));
    z.add(cc * g23 * (g02 * g13 + g03 * g12), e([1, 1, 2, 2]));
    z.add(cc * g23 * g03 * g13, e([1, 1, 1, 3]));
    let mut y = Sum::default();
    y.add(cc * g01 * g23 * g02, e([2, 1, 2, 1]));
    y.add(cc * g01 * g23 * g03, e([2, 1, 1, 2]));
    let mut r_same = Sum { value: z.value, error: z.error };
    r_same.add(lc * g02 * g12, e([1, 1, 2, 0]));
    r_same.add(lc * (g02 * g13 + g03 * g12), slopes);
    r_same.add(lc * g03 * g13, e([1, 1, 0, 2]));
    let mut r_cross = Sum { value: z.value, error: z.error };
    r_cross.add(ll * g23, e([0, 0, 1, 1]));
    r_cross.add(lc * g23 * g12, e([0, 1, 2, 1]));
    r_cross.add(lc * g23 * g13, e([0, 1, 1, 2]));
    r_cross.add(lc * g23 * g02, e([1, 0, 2, 1]));
    r_cross.add(lc * g23 * g03, e([1, 0, 1, 2]));
    let mut s_same = Sum { value: y.value, error: y.error };
    s_same.add(ll * g02, e([1, 0, 1, 0]));
    s_same.add(ll * g03, e([1, 0, 0, 1]));
    s_same.add(lc * g01 * g02, e([2, 1, 1, 0]));
    s_same.add(lc * g01 * g03, e([2, 1, 0, 1]));
    s_same.add(lc * g23 * g02, e([1, 0, 2, 1]));
    s_same.add(lc * g23 * g03, e([1, 0, 1, 2]));
    let mut s_cross = Sum { value: y.value, error: y.error };
    s_cross.add(lc * g01 * g23, slopes);
    (
        [r_same.value, r_cross.value, s_same.value, s_cross.value],
        [r_same.error, r_cross.error, s_same.error, s_cross.error],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    /// Closed forms against the same closed forms: rounding.
    const ROUNDING: f64 = 1e-12;

    /// Linear, one hidden layer, two inputs: `φ' = 1`, `φ'' = φ''' = 0`, so
    /// `R∥ = λ_W C_W (G_02 G_13 + G_03 G_12)`, `R× = λ_W² G_23 K_01`,
    /// `S∥ = λ_W² (G_02 K_13 + G_03 K_12)`, `S× = λ_W C_W G_01 G_23` (Isserlis: `⟨z_a z_b⟩ = K_ab`).
    #[test]
    fn linear_networks_have_the_closed_forms() {
        let x = InputSet::new("two", &[vec![0.8, -0.4], vec![-0.5, 1.1]]).unwrap();
        let net = DeepNetwork::new(DeepActivation::Linear, &[3], 1.3, 0.2).unwrap().with_d_in(2).unwrap();
        let (lw, lb) = (0.7, 0.4);
        let dd = DoubleDifferentialNtk::with_learning_rates(&net, &x, lw, lb).unwrap();
        let dot = |a: usize, b: usize| x.point(a).iter().zip(x.point(b)).map(|(p, q)| p * q).sum::<f64>() / 2.0;
        let k = |a: usize, b: usize| 0.2 + 1.3 * dot(a, b);
        let g = |a: usize, b: usize| lb + lw * dot(a, b);
        for i in 0..16 {
            let [a0, a1, a2, a3] = [i >> 3 & 1, i >> 2 & 1, i >> 1 & 1, i & 1];
            let want = [
                lw * 1.3 * (g(a0, a2) * g(a1, a3) + g(a0, a3) * g(a1, a2)),
                lw * lw * g(a2, a3) * k(a0, a1),
                lw * lw * (g(a0, a2) * k(a1, a3) + g(a0, a3) * k(a1, a2)),
                lw * 1.3 * g(a0, a1) * g(a2, a3),
            ];
            let [r, rx] = dd.ddi_tensors([a0, a1, a2, a3]);
            let [s, sx] = dd.ddii_tensors([a0, a1, a2, a3]);
            for (got, want) in [r, rx, s, sx].iter().zip(want) {
                assert!((got - want).abs() <= ROUNDING * want.abs().max(1.0), "{i}: {got} vs {want}");
            }
        }
    }

    #[test]
    fn the_symmetries_hold_within_the_quadrature_bounds() {
        let x = InputSet::new("two", &[vec![0.8, -0.4], vec![-0.5, 1.1]]).unwrap();
        let net = DeepNetwork::new(DeepActivation::Tanh, &[3], 1.4, 0.2).unwrap().with_d_in(2).unwrap();
        let dd = DoubleDifferentialNtk::new(&net, &x).unwrap();
        for i in 0..16 {
            let [a0, a1, a2, a3] = [i >> 3 & 1, i >> 2 & 1, i >> 1 & 1, i & 1];
            let (here, swap01, swap23) = ([a0, a1, a2, a3], [a1, a0, a2, a3], [a0, a1, a3, a2]);
            let close = |x: f64, y: f64, e: f64| (x - y).abs() <= 2.0 * e + ROUNDING * x.abs().max(1.0);
            let (r, e) = (dd.ddi_tensors(here), dd.ddi_tensors_error(here));
            for k in 0..2 {
                assert!(close(r[k], dd.ddi_tensors(swap01)[k], e[k] + dd.ddi_tensors_error(swap01)[k]));
                assert!(close(r[k], dd.ddi_tensors(swap23)[k], e[k] + dd.ddi_tensors_error(swap23)[k]));
                let (s, es) = (dd.ddii_tensors(here), dd.ddii_tensors_error(here));
                assert!(close(s[k], dd.ddii_tensors(swap23)[k], es[k] + dd.ddii_tensors_error(swap23)[k]));
            }
        }
    }

    #[test]
    fn other_widths_reuse_the_tensors_and_divide_by_the_new_width() {
        let x = InputSet::new("two", &[vec![0.3], vec![-0.7]]).unwrap();
        let net = DeepNetwork::new(DeepActivation::Gelu, &[3], 1.2, 0.1).unwrap().with_d_out(2).unwrap();
        let dd = DoubleDifferentialNtk::new(&net, &x).unwrap();
        let wide = dd.at_widths(&[12]).unwrap();
        let fresh = DoubleDifferentialNtk::new(&net.with_widths(&[12]).unwrap(), &x).unwrap();
        for i in 0..256 {
            let outputs = [i >> 7 & 1, i >> 5 & 1, i >> 3 & 1, i >> 1 & 1];
            let points = [i >> 6 & 1, i >> 4 & 1, i >> 2 & 1, i & 1];
            let (narrow, wide_mean) =
                (dd.ddi_leading_order(outputs, points).unwrap(), wide.ddi_leading_order(outputs, points).unwrap());
            assert!((narrow - 4.0 * wide_mean).abs() <= ROUNDING * narrow.abs().max(1.0));
            let (a, b) =
                (wide.ddii_leading_order(outputs, points).unwrap(), fresh.ddii_leading_order(outputs, points).unwrap());
            assert_eq!(a.to_bits(), b.to_bits());
        }
        assert!(matches!(dd.at_widths(&[3, 3]), Err(TheoryError::Unsupported(_))));
        assert!(dd.at_widths(&[0]).is_err() && dd.at_widths(&[]).is_err());
    }

    /// erf's single-neuron expectations in closed form: with `φ' = (2/√π) e^(−z²)`,
    /// `φ'' = −2z φ'`, `φ''' = (4z² − 2) φ'`, `⟨∏_k φ'_k⟩ = (4/π)² det(1 + 2K)^(−1/2)` and, under
    /// the tilted Gaussian `e^(−zᵀz) N(0, K)`, `z ~ N(0, Σ)` with `Σ = K (1 + 2K)⁻¹`, so
    /// `⟨φ'_0 φ'_1 φ'''_2 φ'_3⟩ = (4 Σ_22 − 2) ⟨∏ φ'⟩`, `⟨φ'_0 φ'_1 φ''_2 φ''_3⟩ = 4 Σ_23 ⟨∏ φ'⟩`,
    /// `⟨φ''_0 φ'_1 φ''_2 φ'_3⟩ = 4 Σ_02 ⟨∏ φ'⟩`: the quadrature within its own error estimate
    /// (and the estimate below `QUADRATURE`).
    #[test]
    fn erf_expectations_with_third_derivatives_match_closed_forms() {
        const QUADRATURE: f64 = 1e-6;
        let x = [[0.8, -0.4], [-0.5, 1.1], [0.3, 0.9], [-1.0, -0.2]];
        let kernel: Vec<f64> =
            (0..16).map(|i| 0.2 + 1.4 * (x[i / 4][0] * x[i % 4][0] + x[i / 4][1] * x[i % 4][1]) / 2.0).collect();
        let one_plus: Vec<f64> = (0..16).map(|i| f64::from(u8::from(i / 4 == i % 4)) + 2.0 * kernel[i]).collect();
        let matrix = nalgebra::DMatrix::from_row_slice(4, 4, &one_plus);
        let det = matrix.determinant();
        let inv = matrix.try_inverse().expect("1 + 2K is positive definite");
        let inv: Vec<f64> = (0..16).map(|i| inv[(i / 4, i % 4)]).collect();
        let sigma = |a: usize, b: usize| (0..4).map(|k| kernel[a * 4 + k] * inv[k * 4 + b]).sum::<f64>();
        let slopes = (4.0 / PI).powi(2) / det.sqrt();
        let act = DeepActivation::Erf;
        for (orders, want) in [
            ([1, 1, 1, 1], slopes),
            ([1, 1, 3, 1], (4.0 * sigma(2, 2) - 2.0) * slopes),
            ([1, 1, 2, 2], 4.0 * sigma(2, 3) * slopes),
            ([2, 1, 2, 1], 4.0 * sigma(0, 2) * slopes),
        ] {
            let factors: Vec<(usize, u32)> = (0..4).zip(orders).collect();
            let got = jet_moment(act, &kernel, 4, &factors);
            let off = (got.value - want).abs();
            eprintln!("erf {orders:?}: closed form {want:.12}, deviation {off:.1e}, estimate {:.1e}", got.error);
            assert!(
                off <= got.error.max(1e-14) && got.error <= QUADRATURE,
                "{orders:?}: {} ± {} vs {want}",
                got.value,
                got.error
            );
        }
    }

    #[test]
    fn deeper_networks_gauss_net_and_bad_rates_are_refused() {
        let x = InputSet::new("one", &[vec![0.5]]).unwrap();
        let deep = DeepNetwork::new(DeepActivation::Tanh, &[3, 3], 1.0, 0.0).unwrap();
        assert!(matches!(DoubleDifferentialNtk::new(&deep, &x), Err(TheoryError::Unsupported(_))));
        let gauss = DeepNetwork::new(DeepActivation::Gauss, &[3], 1.0, 0.0).unwrap();
        assert!(matches!(DoubleDifferentialNtk::new(&gauss, &x), Err(TheoryError::Unsupported(_))));
        let net = DeepNetwork::new(DeepActivation::Tanh, &[3], 1.0, 0.0).unwrap();
        let err = DoubleDifferentialNtk::with_learning_rates(&net, &x, -1.0, 0.0).unwrap_err();
        assert!(err.to_string().contains("lambda_w"));
        let two_d = InputSet::new("two-d", &[vec![0.5, 0.1]]).unwrap();
        assert!(DoubleDifferentialNtk::new(&net, &two_d).is_err());
        let dd = DoubleDifferentialNtk::new(&net, &x).unwrap();
        assert!(dd.ddi_leading_order([1, 0, 0, 0], [0; 4]).is_none());
        assert!(dd.ddii_leading_order([0; 4], [0, 0, 0, 1]).is_none());
    }
}
