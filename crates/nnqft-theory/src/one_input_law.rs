//! The law of a deep network's kernel on one input to order `1/n²` ([`OneInputLaw`]): the
//! four-point function at next-to-leading order on the diagonal multisets.

use crate::bounded::Bounded;
use crate::deep_activation::DeepActivation;
use crate::deep_network::DeepNetwork;
use crate::error::{Result, TheoryError};
use crate::gaussian::{Act, hermite_moment};

/// The first three cumulants of a deep network's output kernel `G = Gᴸ⁺¹(x, x)` on one input
/// `x`, to order `1/n²` in the inverse widths, and what they give: the two-point function to
/// order `1/n²` and the four-point function to order `1/n²` (one order beyond the four-point
/// vertex `V`) on the diagonal multisets `(x, x, x, x)`.
///
/// On one input the output `f_i(x)` given the layers below is `N(0, G)` for every output `i`,
/// so
///
/// ```text
/// E[f_i f_j] = δ_ij E[G],     E[f_i f_j f_k f_l]_connected = (δ_ij δ_kl + δ_ik δ_jl + δ_il δ_jk) Var(G),
/// r = (E[f⁴] − 3 E[f²]²) / (3 E[f²]²) = Var(G) / E[G]²,
/// ```
///
/// and the third cumulant `κ3(G)` is the six-point vertex's diagonal (`E[f⁶]` connected
/// `= 15 κ3(G)` for one output, with [`crate::SixPointVertex`]'s normalisation `15 U / n²`).
///
/// # Derivation: the kernel as a Markov chain
///
/// Given layer `l` (the one-input kernel `gˡ = Gˡ(x, x)`), the `n_l` neurons
/// `zˡ_j ~ N(0, gˡ)` are i.i.d., so the next kernel is an average of `n_l` i.i.d. terms,
///
/// ```text
/// gˡ⁺¹ = C_b + (C_W / n_l) Σ_j φ(zˡ_j)²,     g¹ = C_b + C_W x·x / d   (not random),
/// ```
///
/// a Markov chain whose one-step law has, **exactly**,
///
/// ```text
/// E[gˡ⁺¹ | gˡ = g]   = f(g)          = C_b + C_W ⟨φ²⟩_g
/// Var(gˡ⁺¹ | g)      = s(g) / n_l,     s(g)  = C_W² (⟨φ⁴⟩_g − ⟨φ²⟩_g²)
/// κ3(gˡ⁺¹ | g)       = t(g) / n_l²,    t(g)  = C_W³ ⟨(φ² − ⟨φ²⟩_g)³⟩_g
/// ```
///
/// (`⟨·⟩_g` over `z ~ N(0, g)`; the `k`-th cumulant of the average is `O(1/n^(k−1))`). Write
/// `gˡ = K + δ` with `K = Kˡ` the infinite-width kernel and, by induction, `E[δ] = μ1 + μ2`,
/// `Var(δ) = C1 + C2`, `κ3(δ) = T2` (`μ1, C1 = O(1/n)`; `μ2, C2, T2 = O(1/n²)`; the fourth
/// cumulant `O(1/n³)`, so `E[δ⁴] = 3 C1² + O(1/n³)`). Taylor-expand `f` and `s` around `K`
/// and use the laws of total expectation, variance and cumulance
/// (`κ3(Y) = E[κ3(Y|X)] + 3 Cov(E[Y|X], Var(Y|X)) + κ3(E[Y|X])`); with every derivative at
/// `K` and `n = n_l`:
///
/// ```text
/// μ1' = f' μ1 + ½ f'' C1
/// μ2' = f' μ2 + ½ f'' (C2 + μ1²) + ⅙ f''' (T2 + 3 C1 μ1) + ⅛ f'''' C1²
/// C1' = s / n + f'² C1
/// C2' = (s' μ1 + ½ s'' C1) / n + f'² C2 + f' f'' (T2 + 2 C1 μ1) + ½ f''² C1² + f' f''' C1²
/// T2' = t / n² + 3 f' s' C1 / n + f'³ T2 + 3 f'² f'' C1²
/// ```
///
/// from `μ1 = μ2 = C1 = C2 = T2 = 0` at `l = 1` (the terms: `Var(f(δ)) = f'² Var δ +
/// f' f'' Cov(δ, δ²) + ¼ f''² Var(δ²) + ⅓ f' f''' Cov(δ, δ³)` with `Cov(δ, δ²) = κ3 + 2 Var·E`,
/// `Var(δ²) = 2 C1²`, `Cov(δ, δ³) = 3 C1²` to this order; `κ3(f(δ)) = f'³ κ3(δ) + 3 f'² ½ f''
/// κ(δ, δ, δ²)` with `κ(δ, δ, δ²) = 2 C1²`). The first and third lines are the one-input forms of
/// the kernel shift `S` ([`crate::KernelShift`]: `μ1 = S`) and the vertex (`C1 = V / n_(l−1)`,
/// [`crate::FourPointVertex`]); `T2` is the six-point vertex's; `μ2`, `C2` are new. At the
/// output `G = gᴸ⁺¹`:
///
/// ```text
/// r = (C1 + C2) / (K + μ1 + μ2)² = C1 / K²  +  [C2 / K² − 2 C1 μ1 / K³]  +  O(1/n³)
///        leading order (V)          next order
/// ```
///
/// **The derivatives** in `g` of Gaussian expectations need no derivative of `φ`: the normal
/// density of variance `g` obeys `∂ₖ/∂gᵏ p_g(z) = 2⁻ᵏ ∂^(2k)/∂z^(2k) p_g(z)
/// = p_g(z) He_2k(z/√g) / (2g)ᵏ` (heat equation; `He` the probabilists' Hermite polynomials), so
///
/// ```text
/// dᵏ/dgᵏ ⟨F(z)⟩_g = ⟨F(√g u) He_2k(u)⟩_(u ~ N(0,1)) / (2g)ᵏ ,
/// ```
///
/// one-dimensional integrals of `φ²`, `φ⁴`, `φ⁶` against `He_0 ... He_8`, for every activation
/// alike (relu's kink at 0 is a break point of the rule). Each is computed at two resolutions
/// of the composite Gauss–Legendre rule (20 and 28 nodes per piece), the difference plus a bound
/// on the rounding of its sum (the terms of `He_2k` cancel, and the division by `(2g)ᵏ`
/// magnifies what is left when `g` is small) being its error; the errors are carried through
/// the recursion to every result ([`Self::error`]).
///
/// # Exact results it reproduces
///
/// For relu and linear networks with `C_b = 0` the chain is exactly multiplicative,
/// `gˡ⁺¹ = gˡ χ_l / n_l` (`χ_l` a chi-square of `n_l` degrees for linear, a sum of `n_l`
/// half-rectified squares for relu), so `E[G^k] / E[G]^k = ∏_l E[(χ_l/n_l)^k] / E[χ_l/n_l]^k`:
/// `r = ∏_l (1 + 5/n_l) − 1` (relu; `1 + 2/n_l` linear) and `κ3(G) / K³ =
/// ∏_l (1 + 15/n_l + 44/n_l²) − 3 ∏_l (1 + 5/n_l) + 2` (relu; `(15, 44) → (6, 8)` linear). Their
/// expansions to `1/n²` are what the recursion gives, at any widths (tested to rounding).
///
/// ```
/// use nnqft_theory::{DeepActivation, DeepNetwork, OneInputLaw};
/// let net = DeepNetwork::with_deep_priors(DeepActivation::Relu, &[20, 20, 20])?;
/// let law = OneInputLaw::new(&net, &[1.0])?;
/// let (leading, next) = law.r();
/// // relu on one input: r = (1 + 5/n)³ − 1 = 15/n + 75/n² + 125/n³
/// assert!((leading - 15.0 / 20.0).abs() < 1e-12);
/// assert!((next - 75.0 / 400.0).abs() < 1e-12);
/// # Ok::<(), nnqft_theory::TheoryError>(())
/// ```
#[derive(Debug, Clone)]
pub struct OneInputLaw {
    net: DeepNetwork,
    /// `K¹(x, x)`, where the chain starts.
    first: f64,
    /// Each layer's map and its derivatives at `Kˡ`: they do not depend on the widths.
    steps: Vec<Step>,
    cumulants: Cumulants,
}

/// The output kernel's cumulants, order by order.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Cumulants {
    k: Bounded,
    mu1: Bounded,
    mu2: Bounded,
    c1: Bounded,
    c2: Bounded,
    t2: Bounded,
}

impl Cumulants {
    /// `(r₁, r₂)` with their error bounds (the kernel `K` enters as a factor with its own bound).
    fn r(&self) -> (Bounded, Bounded) {
        let inv = 1.0 / self.k.value;
        // 1/K and its bound: e(1/K) = e_K / K² to first order
        let inv_k = Bounded::new(inv, self.k.error * inv * inv);
        let inv2 = inv_k * inv_k;
        (self.c1 * inv2, self.c2 * inv2 - (self.c1 * self.mu1 * inv2 * inv_k).scale(2.0))
    }
}

/// One layer's map and its derivatives at `K`: `f, f', ..., f''''`, `s, s', s''`, `t`.
#[derive(Debug, Clone)]
struct Step {
    f: [Bounded; 5],
    s: [Bounded; 3],
    t: Bounded,
}

impl Step {
    fn at(act: Act<'_>, g: f64, c_w: f64, c_b: f64) -> Self {
        if g == 0.0 {
            // every pre-activation is 0 (x = 0 with C_b = 0): the next kernel is the constant
            // C_b + C_W φ(0)², with no fluctuation to propagate
            let phi0 = act.phi(0.0);
            let mut f = [Bounded::default(); 5];
            f[0] = Bounded::exact(c_b + c_w * phi0 * phi0);
            return Self { f, s: [Bounded::default(); 3], t: Bounded::default() };
        }
        // dᵏ⟨φᵖ⟩/dgᵏ = ⟨φᵖ He_2k⟩ / (2g)ᵏ, bounded by the quadrature's error estimate
        let m = |p: u32, k: usize| -> Bounded {
            let est = hermite_moment(act, g, p, 2 * k);
            Bounded::new(est.value, est.error).scale(1.0 / (2.0 * g).powi(k as i32))
        };
        // dᵏ⟨φ²⟩/dgᵏ, k = 0..4; dᵏ⟨φ⁴⟩/dgᵏ, k = 0..2; ⟨φ⁶⟩
        let q2: Vec<Bounded> = (0..5).map(|k| m(2, k)).collect();
        let q4: Vec<Bounded> = (0..3).map(|k| m(4, k)).collect();
        let q6 = m(6, 0);
        let mut f = [Bounded::default(); 5];
        for (k, slot) in f.iter_mut().enumerate() {
            *slot = q2[k].scale(c_w);
        }
        f[0] = f[0] + Bounded::exact(c_b);
        let w2 = c_w * c_w;
        let s = [
            (q4[0] - q2[0] * q2[0]).scale(w2),
            (q4[1] - (q2[0] * q2[1]).scale(2.0)).scale(w2),
            (q4[2] - (q2[1] * q2[1]).scale(2.0) - (q2[0] * q2[2]).scale(2.0)).scale(w2),
        ];
        let t = (q6 - (q2[0] * q4[0]).scale(3.0) + (q2[0] * q2[0] * q2[0]).scale(2.0)).scale(c_w.powi(3));
        Self { f, s, t }
    }

    /// The cumulants one layer up, through `n` neurons.
    fn apply(&self, c: &Cumulants, n: f64) -> Cumulants {
        let [_, f1, f2, f3, f4] = self.f;
        let [s0, s1, s2] = self.s;
        let Cumulants { mu1, mu2, c1, c2, t2, .. } = *c;
        let inv_n = 1.0 / n;
        Cumulants {
            k: self.f[0],
            mu1: f1 * mu1 + (f2 * c1).scale(0.5),
            mu2: f1 * mu2
                + (f2 * (c2 + mu1 * mu1)).scale(0.5)
                + (f3 * (t2 + (c1 * mu1).scale(3.0))).scale(1.0 / 6.0)
                + (f4 * c1 * c1).scale(0.125),
            c1: s0.scale(inv_n) + f1 * f1 * c1,
            c2: (s1 * mu1 + (s2 * c1).scale(0.5)).scale(inv_n)
                + f1 * f1 * c2
                + f1 * f2 * (t2 + (c1 * mu1).scale(2.0))
                + (f2 * f2 * c1 * c1).scale(0.5)
                + f1 * f3 * c1 * c1,
            t2: self.t.scale(inv_n * inv_n)
                + (f1 * s1 * c1).scale(3.0 * inv_n)
                + f1 * f1 * f1 * t2
                + (f1 * f1 * f2 * c1 * c1).scale(3.0),
        }
    }
}

impl OneInputLaw {
    /// The law of `net`'s output kernel on the input `x` (of the network's input dimension),
    /// at the network's widths and priors.
    pub fn new(net: &DeepNetwork, x: &[f64]) -> Result<Self> {
        if x.len() != net.d_in() {
            return Err(TheoryError::OutOfRange {
                field: "x",
                value: format!("{} coordinates", x.len()),
                allowed: "as many coordinates as the network's input dimension d_in",
            });
        }
        if x.iter().any(|v| !v.is_finite()) {
            return Err(TheoryError::OutOfRange { field: "x", value: format!("{x:?}"), allowed: "finite coordinates" });
        }
        if net.activation() == DeepActivation::Gauss {
            return Err(TheoryError::Unsupported(
                "the one-input law of a deep network needs a deep activation (Gauss-net is one layer only)".into(),
            ));
        }
        let first = net.first_layer_cov(x, x);
        // the infinite-width kernels K¹, K², ... and each layer's map at its kernel
        let mut steps: Vec<Step> = Vec::with_capacity(net.depth());
        let mut k = first;
        for _ in 0..net.depth() {
            let step = Step::at(Act::Known(net.activation()), k, net.c_w(), net.c_b());
            k = step.f[0].value;
            steps.push(step);
        }
        Ok(Self::through(net.clone(), first, steps))
    }

    /// The law at other hidden widths `n_1..n_L'` with `1 <= L' <= L` (a shallower network is
    /// the first `L'` layers of this one): every Gaussian moment is reused, only the recursion
    /// over the layers is redone. The same numbers, bit for bit, as [`Self::new`] at those
    /// widths.
    pub fn at_widths(&self, widths: &[usize]) -> Result<Self> {
        crate::deep_network::check_shallower(widths, self.steps.len())?;
        let net = self.net.with_widths(widths)?;
        Ok(Self::through(net, self.first, self.steps[..widths.len()].to_vec()))
    }

    /// The cumulants after the chain's steps at `net`'s widths.
    fn through(net: DeepNetwork, first: f64, steps: Vec<Step>) -> Self {
        let mut c = Cumulants { k: Bounded::exact(first), ..Cumulants::default() };
        for (step, &n) in steps.iter().zip(net.widths()) {
            c = step.apply(&c, n as f64);
        }
        Self { net, first, steps, cumulants: c }
    }

    /// The network.
    pub fn network(&self) -> &DeepNetwork {
        &self.net
    }

    /// The infinite-width kernel `K = Kᴸ⁺¹(x, x)`.
    pub fn kernel(&self) -> f64 {
        self.cumulants.k.value
    }

    /// `(μ1, μ2)`: the shift of `E[G] = K + μ1 + μ2 + O(1/n³)` at orders `1/n` and `1/n²` (`μ1`
    /// is [`crate::KernelShift`]'s shift on the diagonal pair).
    pub fn mean_shift(&self) -> (f64, f64) {
        (self.cumulants.mu1.value, self.cumulants.mu2.value)
    }

    /// `(C1, C2)`: `Var(G) = C1 + C2 + O(1/n³)` at orders `1/n` and `1/n²`; the connected
    /// four-point function of one output is `3 Var(G)`, of outputs `(i, i, j, j)`, `i ≠ j`,
    /// `Var(G)`.
    pub fn variance(&self) -> (f64, f64) {
        (self.cumulants.c1.value, self.cumulants.c2.value)
    }

    /// `κ3(G)` at its leading order `1/n²` (the connected six-point function of one output is
    /// `15 κ3(G)`).
    pub fn third_cumulant(&self) -> f64 {
        self.cumulants.t2.value
    }

    /// `(r₁, r₂)`: `r = Var(G) / E[G]² = r₁ + r₂ + O(1/n³)` with `r₁ = C1 / K²` (the four-point
    /// vertex's leading order) and `r₂ = C2 / K² − 2 C1 μ1 / K³` (the next order); NaN where
    /// `K = 0` (`x = 0` with `C_b = 0` and `φ(0) = 0`: the output is identically 0).
    pub fn r(&self) -> (f64, f64) {
        let (r1, r2) = self.cumulants.r();
        (r1.value, r2.value)
    }

    /// Bounds on the absolute errors of `[K, μ1, μ2, C1, C2, T2, r₁, r₂]`: each Gaussian moment's
    /// quadrature error estimate plus a bound on its rounding, propagated through the recursion
    /// to first order (`e(x y) = |x̂| e_y + e_x (|ŷ| + e_y)`).
    pub fn error(&self) -> [f64; 8] {
        let c = &self.cumulants;
        let (r1, r2) = c.r();
        [c.k.error, c.mu1.error, c.mu2.error, c.c1.error, c.c2.error, c.t2.error, r1.error, r2.error]
    }
}
