//! Gaussian expectations of activations, their kernel derivatives (Price's theorem) and the
//! nested quadrature behind them.

use crate::deep_activation::DeepActivation;
use crate::erfc::normal_cdf;
use gauss_quad::GaussLegendre;
use std::f64::consts::PI;
use std::num::NonZeroUsize;

mod pair_products;
mod shared_nodes;
use pair_products::expect_products;
pub(crate) use shared_nodes::mixed_moments;

/// A value with the estimated absolute error of its quadrature (0 for closed forms).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct Estimate {
    pub value: f64,
    pub error: f64,
}

impl Estimate {
    fn exact(value: f64) -> Self {
        Self { value, error: 0.0 }
    }
}

/// An activation given as a function, for the kernel and vertex recursions by quadrature
/// (`KernelRecursion::with_function`, `FourPointVertex::with_function`). If it has a kink
/// (a jump of the derivative), say where: the quadrature then breaks its rule there.
///
/// Gaussian expectations of products of activations, the building blocks of the deep kernel
/// and vertex recursions of deep networks: for a covariance `K` over the points `a, b, ...`,
///
/// ```text
/// ⟨φ_a φ_b⟩_K,   ∂⟨φ_a φ_b⟩_K / ∂K_ef,   ⟨φ_a φ_b φ_c φ_d⟩_K,   ⟨φ_a ... φ_f⟩_K,   ∂⟨φ_a φ_b φ_c φ_d⟩_K / ∂K_ef,   (z_a) ~ N(0, K)
/// ```
///
/// **Closed forms.**
/// - linear: `⟨z_a z_b⟩ = K_ab`; the 4-point function is Isserlis' `K_ab K_cd + K_ac K_bd + K_ad K_bc`.
/// - relu (arc-cosine, Cho and Saul 2009): `⟨φ_a φ_b⟩ = √(K_aa K_bb) (sin θ + (π − θ) cos θ) / 2π`,
///   `cos θ = K_ab / √(K_aa K_bb)`.
/// - erf: `⟨φ_a φ_b⟩ = (2/π) asin(2 K_ab / √((1 + 2 K_aa)(1 + 2 K_bb)))`.
/// - Gauss-net (first layer only, `φ(z; x_a) = exp(z − K_aa)`, log-normal):
///   `⟨∏_a φ_a^(q_a)⟩ = exp(½ Σ_ab q_a q_b K_ab − Σ_a q_a K_aa)`.
/// - sin, any product of `k` factors `sin z_(i_1) ... sin z_(i_k)` (repeats allowed): write
///   `sin x = (e^(ix) − e^(−ix)) / 2i` and use the Gaussian characteristic function
///   `E[e^(i w·z)] = e^(−wᵀKw/2)`:
///   `⟨∏_j sin z_(i_j)⟩ = (2i)^(−k) Σ_(ε ∈ {±1}^k) (∏_j ε_j) e^(−½ Σ_jl ε_j ε_l K_(i_j i_l))`,
///   zero for odd `k` (the terms of `ε` and `−ε` cancel) and real for even `k`. For two
///   factors the four terms collect into `⟨sin z_a sin z_b⟩ = e^(−(K_aa + K_bb)/2) sinh K_ab`
///   (one point: `(1 − e^(−2K))/2`), which is how it is evaluated; four factors take the
///   sixteen terms, each at most 1 in size, so the absolute error is a few `1e-16`.
///
/// **Derivatives** with respect to the entries of `K`, each unordered pair `{e, f}` counted
/// once, follow from Price's theorem (Price 1958): for `a ≠ b`,
/// `∂⟨g(z_a) h(z_b)⟩/∂K_ab = ⟨g'(z_a) h'(z_b)⟩` and `∂⟨g(z_a) h(z_b)⟩/∂K_aa = ½ ⟨g''(z_a) h(z_b)⟩`;
/// for one point `d⟨g(z)⟩/dK = ½ ⟨g''(z)⟩`. Closed forms:
/// - linear: `∂/∂K_ab = 1`, the diagonal ones 0 (one point: `d K_aa / d K_aa = 1`).
/// - relu: `∂/∂K_ab = (π − θ)/2π`, `∂/∂K_aa = √K_bb sin θ / (4π √K_aa)` (since `φ'' = δ`),
///   one point `d(K/2)/dK = ½`.
/// - erf: with `s = 2K_ab/√(AB)`, `A = 1 + 2K_aa`, `B = 1 + 2K_bb`:
///   `∂/∂K_ab = 4 / (π √(AB) √(1 − s²))`, `∂/∂K_aa = −2 s / (π A √(1 − s²))`; one point
///   (`s = 2K/(1+2K)`): `4 / (π (1+2K)² √(1 − s²))`.
/// - sin: `∂/∂K_ab = e^(−(K_aa + K_bb)/2) cosh K_ab` (`= ⟨cos z_a cos z_b⟩`, Price),
///   `∂/∂K_aa = −½ e^(−(K_aa + K_bb)/2) sinh K_ab`; one point `d/dK (1 − e^(−2K))/2 = e^(−2K)`.
/// - tanh, gelu, silu, softplus, sigmoid: Price's theorem with the closed-form `φ'`, `φ''` of
///   [`DeepActivation::derivatives`] (`∂/∂K_ab = ⟨φ'_a φ'_b⟩`, `∂/∂K_aa = ½ ⟨φ''_a φ_b⟩`, one
///   point `⟨φ'² + φ φ''⟩`), each expectation by quadrature.
/// - an activation given only as a function: central differences of the quadrature in the
///   kernel entry (the nodes are fixed, so the quadrature is a smooth function of `K`).
///
/// **Quadrature.** With the (semi-definite) Cholesky factor `K = L Lᵀ` of the distinct points,
/// `z_j = Σ_(i<j) L_ji u_i + L_jj u_j`, `u ~ N(0, I)`. The expectation is a nested integral,
/// one standard normal variable per level, each by composite Gauss-Legendre on `[−T, T]`
/// against the normal density. A level whose residual variance `L_jj²` vanishes is not
/// integrated (`z_j` is fixed by the outer variables). At level `j` the only kink of the
/// integrand in `u_j` (relu: `z_j = 0`) sits at `u_j = −μ_j / L_jj` and is made a break point
/// of the rule: the integral over the inner levels is a smooth function of `u_j`, so every
/// piece converges exponentially, not at the algebraic rate of a rule across the kink. The
/// innermost level is done in closed form where one exists:
/// `E[relu(μ + σε)^q] = σ^q I_q(μ/σ)` with `I_0 = Φ(t)`, `I_1 = t Φ(t) + ϕ(t)`,
/// `I_q = t I_(q−1) + (q−1) I_(q−2)` (integration by parts); `E[(μ + σε)^q]` by the binomial
/// theorem with the normal moments `(k−1)!!`; `E[erf(μ + σε)] = erf(μ / √(1 + 2σ²))`.
/// Under two or more integrated levels, an innermost level that is itself a quadrature is
/// tabulated once as a function of its mean `μ` (its `σ` is fixed) and interpolated (cubic
/// Lagrange, spacing 0.01): that cuts tanh's vertex at `L = 8` on six points from ~18 s to ~8 s.
/// Every quadrature is evaluated at two resolutions; the difference is its error estimate.
/// From three levels on, the fine resolution leaves out `|u| > 6.8` at every level (normal mass
/// 1.1e-11; the coarse one keeps it, so the estimate holds the tail) and tanh is evaluated by a
/// branch-free formula within a few ulps of the system's (moving the tanh six-point vertex at
/// `L = 8` by 2.8e-11 against its stated error 1.2e-6).
/// Up to six points (the six-point vertex): linear's products by Isserlis' theorem, sin's and
/// Gauss-net's closed forms at any order; a 6-level nested integral uses 3 and 4 nodes per piece.
/// Gradients of products (the six-point vertex), with `g_i = φ^(q_i)` the factor of a point of
/// multiplicity `q_i`: `∂⟨∏ g_i⟩/∂K_ef = ⟨g_e' g_f' ∏_(i≠e,f) g_i⟩` (`e ≠ f`) and
/// `∂⟨∏ g_i⟩/∂K_ee = ½ ⟨g_e'' ∏_(i≠e) g_i⟩` (Price), relu's `δ(z_e)` as the density at zero times the
/// conditional expectation given `z_e = 0`; an activation given as a function by central differences.
#[derive(Clone, Copy)]
pub struct ActivationFn<'a> {
    phi: &'a (dyn Fn(f64) -> f64 + Sync),
    kink: Option<f64>,
}

impl std::fmt::Debug for ActivationFn<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActivationFn").field("kink", &self.kink).finish_non_exhaustive()
    }
}

impl<'a> ActivationFn<'a> {
    /// A smooth activation `φ`.
    pub fn new(phi: &'a (dyn Fn(f64) -> f64 + Sync)) -> Self {
        Self { phi, kink: None }
    }
    /// The same activation with a kink at `z = at`.
    pub fn with_kink(self, at: f64) -> Self {
        Self { kink: Some(at), ..self }
    }
}

/// The activation as the recursions see it: a known one, or any function (by quadrature).
#[derive(Clone, Copy)]
pub(crate) enum Act<'a> {
    Known(DeepActivation),
    Function(ActivationFn<'a>),
}

impl Act<'_> {
    #[inline]
    pub(crate) fn phi(&self, z: f64) -> f64 {
        match self {
            Act::Known(a) => a.phi(z).unwrap_or(f64::NAN),
            Act::Function(f) => (f.phi)(z),
        }
    }
    fn kink(&self) -> Option<f64> {
        match self {
            Act::Known(a) => (*a == DeepActivation::Relu).then_some(0.0),
            Act::Function(f) => f.kink,
        }
    }
}

/// `xⁿ` by the binary method of the compiler's `powi` helper (`__powidf2`: the same multiplies in
/// the same order, so the same bits), inlined: the integrands' exponents are only known at run
/// time, where `powi` is a call per evaluation.
#[inline(always)]
fn ipow(mut x: f64, mut n: u32) -> f64 {
    let mut r = 1.0;
    loop {
        if n & 1 == 1 {
            r *= x;
        }
        n >>= 1;
        if n == 0 {
            return r;
        }
        x *= x;
    }
}

/// One factor `g(z_j)` of a product integrated over the Gaussian.
trait Factor {
    fn eval(&self, z: f64) -> f64;
    /// `eval` by a faster formula within a few ulps of it, for the nested integrals of
    /// [`FAST_LEVELS`] levels and more (tanh's own `tanh` calls the system `expm1`; [`fast_tanh`] is branch-free).
    #[inline]
    fn eval_fast(&self, z: f64) -> f64 {
        self.eval(z)
    }
    /// Where `g` has a kink, if anywhere.
    fn kink(&self) -> Option<f64>;
    /// `E[g(μ + σ ε)]` in closed form, if known.
    fn closed_mean(&self, mu: f64, sigma: f64) -> Option<f64>;
}

/// `φ(z)^q`.
struct Power<'a> {
    act: Act<'a>,
    q: u32,
}

impl Factor for Power<'_> {
    #[inline]
    fn eval(&self, z: f64) -> f64 {
        ipow(self.act.phi(z), self.q)
    }
    #[inline]
    fn eval_fast(&self, z: f64) -> f64 {
        match self.act {
            Act::Known(DeepActivation::Tanh) => ipow(fast_tanh(z), self.q),
            _ => self.eval(z),
        }
    }
    fn kink(&self) -> Option<f64> {
        self.act.kink()
    }
    fn closed_mean(&self, mu: f64, sigma: f64) -> Option<f64> {
        match self.act {
            Act::Known(DeepActivation::Relu) => Some(relu_power_mean(mu, sigma, self.q)),
            Act::Known(DeepActivation::Linear) => Some(linear_power_mean(mu, sigma, self.q)),
            Act::Known(DeepActivation::Erf) if self.q == 1 => {
                Some(crate::erf::erf(mu / (1.0 + 2.0 * sigma * sigma).sqrt()))
            }
            _ => None,
        }
    }
}

/// Any smooth function (tanh's derivatives in Price's theorem).
struct Smooth<F: Fn(f64) -> f64>(F);

impl<F: Fn(f64) -> f64> Factor for Smooth<F> {
    #[inline]
    fn eval(&self, z: f64) -> f64 {
        (self.0)(z)
    }
    fn kink(&self) -> Option<f64> {
        None
    }
    fn closed_mean(&self, _: f64, _: f64) -> Option<f64> {
        None
    }
}

/// `tanh z = −e / (2 + e)` with `e = expm1(−2|z|)` (the sign of `z` restored), by the
/// branch-free `expm1` of [`crate::exp`]: relative error a few ulps (tests), far below the
/// quadrature error of the integrals it serves ([`FAST_LEVELS`]).
#[inline]
fn fast_tanh(z: f64) -> f64 {
    let e = crate::exp::expm1_in_range(-2.0 * z.abs());
    (-e / (2.0 + e)).copysign(z)
}

/// `E[relu(μ + σ ε)^q]` (module docs).
fn relu_power_mean(mu: f64, sigma: f64, q: u32) -> f64 {
    if sigma <= 0.0 {
        return mu.max(0.0).powi(q as i32);
    }
    let t = mu / sigma;
    let (cdf, pdf) = (normal_cdf(t), (-0.5 * t * t).exp() / (2.0 * PI).sqrt());
    let (mut prev, mut cur) = (cdf, t * cdf + pdf);
    if q == 0 {
        return cdf;
    }
    for k in 2..=q {
        let next = t * cur + (k - 1) as f64 * prev;
        prev = cur;
        cur = next;
    }
    sigma.powi(q as i32) * cur
}

/// `E[(μ + σ ε)^q] = Σ_k C(q, k) μ^(q−k) σ^k (k−1)!!` over even `k`.
fn linear_power_mean(mu: f64, sigma: f64, q: u32) -> f64 {
    let mut sum = 0.0;
    let (mut binom, mut double_fact) = (1.0, 1.0);
    for k in 0..=q {
        if k > 0 {
            binom *= (q - k + 1) as f64 / k as f64;
        }
        if k % 2 == 0 {
            if k > 0 {
                double_fact *= (k - 1) as f64;
            }
            sum += binom * mu.powi((q - k) as i32) * sigma.powi(k as i32) * double_fact;
        }
    }
    sum
}

/// Composite Gauss-Legendre against the standard normal density on `[−T, T]`.
struct Rule {
    t_max: f64,
    pieces: usize,
    /// Gauss-Legendre nodes and weights on `[−1, 1]`.
    gl: Vec<(f64, f64)>,
    /// Per piece of the rule without extra break points, its nodes `u` and their weights
    /// times the normal density (computed once: the same products, so the same bits, as
    /// [`Self::sum`] forms them in a piece that is cut).
    nodes: Vec<Vec<(f64, f64)>>,
    /// Pieces left out at each end (`0`, or `1` for a rule on `[−0.8 T, 0.8 T]`).
    skip: usize,
}

/// Half-width `T` of the integration range: `P(|ε| > 8.5) ≈ 2e-17`.
const T_MAX: f64 = 8.5;
/// Pieces of the composite rule on `[−T, T]` (a break point at 0).
const PIECES: usize = 10;
/// A level whose residual variance is below this fraction of the largest diagonal entry is
/// fixed by the outer levels (semi-definite Cholesky).
const RANK_TOLERANCE: f64 = 1e-13;

impl Rule {
    fn new(nodes: usize) -> Self {
        Self::on(nodes, T_MAX, PIECES)
    }

    /// The rule of `nodes` nodes per piece on `[−t_max, t_max]` cut in `pieces` (even: 0 is a
    /// break point).
    fn on(nodes: usize, t_max: f64, pieces: usize) -> Self {
        let gl = GaussLegendre::new(NonZeroUsize::new(nodes.max(1)).unwrap_or(NonZeroUsize::MIN));
        let gl: Vec<(f64, f64)> = gl.iter().copied().collect();
        let width = 2.0 * t_max / pieces as f64;
        let norm = 1.0 / (2.0 * PI).sqrt();
        let nodes = (0..pieces)
            .map(|i| {
                let a = -t_max + width * i as f64;
                let b = a + width;
                let (mid, half) = ((a + b) / 2.0, (b - a) / 2.0);
                gl.iter()
                    .map(|&(t, w)| {
                        let u = mid + half * t;
                        (u, half * w * norm * (-0.5 * u * u).exp())
                    })
                    .collect()
            })
            .collect();
        Self { t_max, pieces, gl, nodes, skip: 0 }
    }

    /// The rule without its outermost piece at each end, `|u| > 0.8 T = 6.8` (normal mass
    /// `1.1e-11`).
    fn pruned(self) -> Self {
        Self { skip: 1, ..self }
    }

    /// Nodes per piece at coarse and fine resolution for a nested integral of `levels` levels.
    fn pair(levels: usize) -> (Self, Self) {
        let (coarse, fine) = match levels {
            0 | 1 => (20, 28),
            2 => (12, 16),
            3 => (7, 9),
            4 | 5 => (4, 5),
            _ => (3, 4),
        };
        // three levels and more: the fine rule leaves out `|u| > 6.8` at every level (a
        // fraction 0.8 of the nodes per level); the coarse rule keeps the whole range, so the
        // error estimate |fine − coarse| holds the dropped tail too
        let fine = if levels >= FAST_LEVELS { Self::new(fine).pruned() } else { Self::new(fine) };
        (Self::new(coarse), fine)
    }

    /// `Σ w(u) h(u)` over the nodes, with extra break points at `kinks` (any order; those
    /// outside `(−T, T)` are ignored).
    #[inline]
    fn sum(&self, kinks: &[f64], mut h: impl FnMut(f64) -> f64) -> f64 {
        let width = 2.0 * self.t_max / self.pieces as f64;
        let norm = 1.0 / (2.0 * PI).sqrt();
        let piece = |a: f64, b: f64, h: &mut dyn FnMut(f64) -> f64| {
            let (mid, half) = ((a + b) / 2.0, (b - a) / 2.0);
            self.gl
                .iter()
                .map(|&(t, w)| {
                    let u = mid + half * t;
                    half * w * norm * (-0.5 * u * u).exp() * h(u)
                })
                .sum::<f64>()
        };
        let mut cuts = [0.0f64; MAX_FACTORS];
        let mut n = 0;
        for &c in kinks.iter().take(MAX_FACTORS) {
            if c > -self.t_max && c < self.t_max {
                cuts[n] = c;
                n += 1;
            }
        }
        let cuts = &mut cuts[..n];
        cuts.sort_unstable_by(f64::total_cmp);
        let mut total = 0.0;
        for i in self.skip..self.pieces - self.skip {
            let a = -self.t_max + width * i as f64;
            let b = a + width;
            if !cuts.iter().any(|&c| c > a && c < b) {
                total += self.nodes[i].iter().map(|&(u, c)| c * h(u)).sum::<f64>();
                continue;
            }
            let mut lo = a;
            for &c in cuts.iter().filter(|&&c| c > a && c < b) {
                total += piece(lo, c, &mut h);
                lo = c;
            }
            total += piece(lo, b, &mut h);
        }
        total
    }
}

/// The semi-definite Cholesky factor (row-major `k x k`, lower) of the covariance `cov`.
fn cholesky(cov: &[f64], k: usize) -> Vec<f64> {
    let scale = (0..k).fold(0.0f64, |s, i| s.max(cov[i * k + i].abs()));
    let mut l = vec![0.0; k * k];
    for j in 0..k {
        let d = cov[j * k + j] - (0..j).map(|i| l[j * k + i] * l[j * k + i]).sum::<f64>();
        if d <= RANK_TOLERANCE * scale {
            continue;
        }
        let ljj = d.sqrt();
        l[j * k + j] = ljj;
        for r in j + 1..k {
            l[r * k + j] = (cov[r * k + j] - (0..j).map(|i| l[r * k + i] * l[j * k + i]).sum::<f64>()) / ljj;
        }
    }
    l
}

/// A nested integral `E[∏_j g_j(z_j)]` over `z = L u`.
struct Nested<'a> {
    factors: &'a [&'a dyn Factor],
    chol: &'a [f64],
    rule: &'a Rule,
    /// For each point, the last level whose variable it depends on: its kink is a break
    /// point of that level's rule (a point fixed by the outer levels has its kink there).
    last: [usize; MAX_FACTORS],
    /// The innermost level tabulated as a function of its mean, if it is.
    inner: Option<&'a InnerTable>,
    /// Evaluate the factors by [`Factor::eval_fast`] ([`FAST_LEVELS`]).
    fast: bool,
}

impl<'a> Nested<'a> {
    fn new(factors: &'a [&'a dyn Factor], chol: &'a [f64], rule: &'a Rule) -> Self {
        let k = factors.len();
        let mut last = [0; MAX_FACTORS];
        for (d, l) in last.iter_mut().enumerate().take(k) {
            *l = (0..=d).rev().find(|&i| chol[d * k + i] != 0.0).unwrap_or(usize::MAX);
        }
        Self { factors, chol, rule, last, inner: None, fast: false }
    }

    fn with_fast(self, fast: bool) -> Self {
        Self { fast, ..self }
    }

    #[inline]
    fn eval(&self, g: &dyn Factor, z: f64) -> f64 {
        if self.fast { g.eval_fast(z) } else { g.eval(z) }
    }

    fn with_inner(self, inner: Option<&'a InnerTable>) -> Self {
        Self { inner, ..self }
    }

    fn level(&self, j: usize, u: &mut [f64; MAX_FACTORS]) -> f64 {
        let k = self.factors.len();
        if j == k {
            return 1.0;
        }
        let row = &self.chol[j * k..(j + 1) * k];
        let mu: f64 = (0..j).map(|i| row[i] * u[i]).sum();
        let sigma = row[j];
        let g = self.factors[j];
        if sigma == 0.0 {
            u[j] = 0.0;
            let v = self.eval(g, mu);
            return if v == 0.0 { 0.0 } else { v * self.level(j + 1, u) };
        }
        if j + 1 == k {
            if let Some(v) = g.closed_mean(mu, sigma) {
                return v;
            }
            if let Some(t) = self.inner {
                return t.eval(mu);
            }
        }
        let mut kinks = [0.0; MAX_FACTORS];
        let mut n = 0;
        // the level above a tabulated innermost one: that level's mean is `base + r x` (the
        // same sum, in the same order, as the inner call forms it)
        let tabulated = match self.inner {
            Some(t) if j + 2 == k && self.chol[(k - 1) * k + k - 1] != 0.0 => {
                let inner_row = &self.chol[(k - 1) * k..k * k];
                Some((t, (0..j).map(|i| inner_row[i] * u[i]).sum::<f64>(), inner_row[j]))
            }
            _ => None,
        };
        for d in j..k {
            if self.last[d] == j
                && let Some(c) = self.factors[d].kink()
            {
                let r = &self.chol[d * k..(d + 1) * k];
                kinks[n] = (c - (0..j).map(|i| r[i] * u[i]).sum::<f64>()) / r[j];
                n += 1;
            }
        }
        if let Some((t, base, r)) = tabulated {
            return self.rule.sum(&kinks[..n], |x| {
                let v = self.eval(g, mu + sigma * x);
                if v == 0.0 {
                    return 0.0;
                }
                v * t.eval(base + r * x)
            });
        }
        self.rule.sum(&kinks[..n], |x| {
            let v = self.eval(g, mu + sigma * x);
            if v == 0.0 {
                return 0.0;
            }
            u[j] = x;
            v * self.level(j + 1, u)
        })
    }
}

/// Levels that need a quadrature (for the choice of resolution).
fn quadrature_levels(factors: &[&dyn Factor], chol: &[f64]) -> usize {
    let k = factors.len();
    let mut n = (0..k).filter(|&j| chol[j * k + j] > 0.0).count();
    if k > 0 && chol[(k - 1) * k + k - 1] > 0.0 && factors[k - 1].closed_mean(0.0, 1.0).is_some() {
        n -= 1;
    }
    n
}

/// Nested integrals of this many levels and more evaluate tanh by [`fast_tanh`] and leave out
/// the tails `|u| > 6.8` of their fine rule ([`Rule::pair`]): their quadrature error is far
/// above both changes.
const FAST_LEVELS: usize = 3;

/// Spacing of the innermost table at the fine resolution (the coarse one has twice it).
const TABLE_SPACING: f64 = 0.01;
/// Largest innermost table; beyond it the innermost level is integrated node by node.
const TABLE_MAX_POINTS: usize = 20_000;

/// The innermost level `h(μ) = E[g(μ + σ ε)]` of a nested integral of three to six levels,
/// tabulated on a uniform grid in `μ` with the level's own rule and read by cubic Lagrange
/// interpolation (error `≤ (3/128) Δ⁴ max|h⁗|`, ~1e-10 at `Δ = 0.01`; the coarse resolution
/// uses `2Δ`, so the error estimate covers it). `σ` is fixed by the multiset and `μ` is a
/// linear combination of the outer variables, so one table serves every outer node: the
/// innermost cost falls from (nodes per level)^levels to the table's size times the nodes.
struct InnerTable {
    lo: f64,
    step: f64,
    values: Vec<f64>,
}

impl InnerTable {
    fn new(g: &dyn Factor, sigma: f64, reach: f64, step: f64, rule: &Rule, fast: bool) -> Option<Self> {
        let points = (2.0 * reach / step).ceil() as usize + 4;
        if points > TABLE_MAX_POINTS {
            return None;
        }
        let lo = -reach - step;
        let values = (0..points)
            .map(|i| {
                let mu = lo + step * i as f64;
                let kink = g.kink().map(|c| (c - mu) / sigma);
                rule.sum(kink.as_slice(), |x| if fast { g.eval_fast(mu + sigma * x) } else { g.eval(mu + sigma * x) })
            })
            .collect();
        Some(Self { lo, step, values })
    }

    #[inline]
    fn eval(&self, mu: f64) -> f64 {
        let (i, w) = self.weights(mu);
        self.combine(i, &w)
    }

    /// Where [`Self::eval`] reads the table at `μ` and with which weights: the first of its
    /// four values and the cubic Lagrange weights, the last two to be subtracted and added as in
    /// [`Self::combine`]. Tables on the same grid (the same reach and spacing) share them.
    #[inline]
    fn weights(&self, mu: f64) -> (usize, [f64; 4]) {
        let x = (mu - self.lo) / self.step;
        let i = (x.floor() as usize).clamp(1, self.values.len() - 3);
        let t = x - i as f64;
        (
            i,
            [
                -t * (t - 1.0) * (t - 2.0) / 6.0,
                (t + 1.0) * (t - 1.0) * (t - 2.0) / 2.0,
                (t + 1.0) * t * (t - 2.0) / 2.0,
                (t + 1.0) * t * (t - 1.0) / 6.0,
            ],
        )
    }

    /// The interpolated value from [`Self::weights`]: the same products and sums, in the same
    /// order, as one expression over `t` forms them.
    #[inline]
    fn combine(&self, i: usize, w: &[f64; 4]) -> f64 {
        let f = &self.values[i - 1..i + 3];
        w[0] * f[0] + w[1] * f[1] - w[2] * f[2] + w[3] * f[3]
    }
}

/// The most factors (distinct points) of one nested integral: six, for the six-point vertex.
pub(crate) const MAX_FACTORS: usize = 6;

/// Innermost tables kept across the integrals over one covariance: the integrals of the
/// multisets on the same distinct points differ in the powers of the factors, and those whose
/// last factor is the same function (the caller's key: its power and derivative order) have the
/// same innermost table, built once. A different covariance empties it.
#[derive(Default)]
pub(crate) struct TableCache {
    cov: Vec<f64>,
    entries: Vec<((u32, u32, usize), Tables)>,
}

/// The innermost tables of one integral, at the coarse and the fine resolution.
type Tables = (Option<InnerTable>, Option<InnerTable>);

/// `E[∏_j g_j(z_j)]`, `z ~ N(0, cov)` (`k <= 6` points, row-major `cov`), with its error.
fn expect(factors: &[&dyn Factor], cov: &[f64]) -> Estimate {
    expect_with(factors, cov, None)
}

/// [`expect`], taking the innermost tables from `cache` under `key` (which must name the last
/// factor's function) when it is given.
fn expect_with(factors: &[&dyn Factor], cov: &[f64], cache: Option<(&mut TableCache, (u32, u32))>) -> Estimate {
    let k = factors.len();
    debug_assert!(k <= MAX_FACTORS && cov.len() == k * k);
    let chol = cholesky(cov, k);
    let levels = quadrature_levels(factors, &chol);
    let mut u = [0.0; MAX_FACTORS];
    if levels == 0 {
        let rule = Rule::new(1);
        return Estimate::exact(Nested::new(factors, &chol, &rule).level(0, &mut u));
    }
    let (coarse, fine) = Rule::pair(levels);
    let fast = levels >= FAST_LEVELS;
    // tabulate the innermost level when it is a quadrature under two or more others
    let last = &chol[(k - 1) * k..k * k];
    let sigma = last[k - 1];
    let wanted = levels >= 3 && sigma > 0.0 && factors[k - 1].closed_mean(0.0, 1.0).is_none();
    let build = || {
        let reach = T_MAX * last[..k - 1].iter().map(|l| l.abs()).sum::<f64>();
        let g = factors[k - 1];
        (
            InnerTable::new(g, sigma, reach, 2.0 * TABLE_SPACING, &coarse, fast),
            InnerTable::new(g, sigma, reach, TABLE_SPACING, &fine, fast),
        )
    };
    let local;
    let (tc, tf) = match (wanted, cache) {
        (false, _) => (None, None),
        (true, None) => {
            local = build();
            (local.0.as_ref(), local.1.as_ref())
        }
        (true, Some((cache, (q, order)))) => {
            if cache.cov != cov {
                cache.entries.clear();
                cache.cov = cov.to_vec();
            }
            let key = (q, order, levels);
            let pos = match cache.entries.iter().position(|(k, _)| *k == key) {
                Some(pos) => pos,
                None => {
                    cache.entries.push((key, build()));
                    cache.entries.len() - 1
                }
            };
            let (c, f) = &cache.entries[pos].1;
            (c.as_ref(), f.as_ref())
        }
    };
    let c = Nested::new(factors, &chol, &coarse).with_inner(tc).with_fast(fast).level(0, &mut u);
    let f = Nested::new(factors, &chol, &fine).with_inner(tf).with_fast(fast).level(0, &mut u);
    Estimate { value: f, error: (f - c).abs() }
}

/// The distinct points of an index list with their multiplicities, in first-seen order.
fn distinct(indices: &[usize]) -> Vec<(usize, u32)> {
    let mut out: Vec<(usize, u32)> = Vec::with_capacity(indices.len());
    for &i in indices {
        match out.iter_mut().find(|(p, _)| *p == i) {
            Some((_, q)) => *q += 1,
            None => out.push((i, 1)),
        }
    }
    out
}

/// `⟨∏ φ(z_i)⟩_K` over the listed points (repeats allowed, up to 6 distinct), `K` the
/// row-major `m x m` covariance of all points.
/// Half-width of [`hermite_moment`]'s rule: `∫_12^∞ u¹⁰ φ(u) du ≈ 1e-22`.
const HERMITE_RANGE: f64 = 12.0;

/// `E[φ(√g u)ᵖ He_k(u)]` over `u ~ N(0, 1)`, with `He_k` the probabilists' Hermite polynomial
/// (`He_0 = 1`, `He_1 = u`, `He_(k+1) = u He_k − k He_(k−1)`), by the one-level rule (the kink of
/// relu a break point). Its error: the difference between the coarse and the fine rule, plus a
/// bound on the rounding of the fine sum, `64 ε Σ |w h|` (the terms of `He_k` cancel).
pub(crate) fn hermite_moment(act: Act<'_>, g: f64, p: u32, k: usize) -> Estimate {
    let sd = g.sqrt();
    let kinks: Vec<f64> = act.kink().map(|c| c / sd).into_iter().collect();
    let h = |u: f64| {
        let (mut prev, mut he) = (0.0, 1.0);
        for j in 0..k {
            let next = u * he - j as f64 * prev;
            prev = he;
            he = next;
        }
        ipow(act.phi(sd * u), p) * he
    };
    // [−12, 12]: the moments reach u¹⁰ e^(−u²/2) (relu, linear), whose tail beyond the usual
    // 8.5 is ~2e-8
    let (coarse, fine) = (Rule::on(20, HERMITE_RANGE, 14), Rule::on(28, HERMITE_RANGE, 14));
    let (c, f) = (coarse.sum(&kinks, h), fine.sum(&kinks, h));
    let magnitude = fine.sum(&kinks, |u| h(u).abs());
    Estimate { value: f, error: (f - c).abs() + 64.0 * f64::EPSILON * magnitude }
}

pub(crate) fn moment(act: Act<'_>, kernel: &[f64], m: usize, indices: &[usize]) -> Estimate {
    moment_with(act, kernel, m, indices, None)
}

/// [`moment`], sharing innermost tables through `cache` with the other moments on the same
/// distinct points (the same values, bit for bit).
pub(crate) fn moment_with(
    act: Act<'_>,
    kernel: &[f64],
    m: usize,
    indices: &[usize],
    cache: Option<&mut TableCache>,
) -> Estimate {
    let pts = distinct(indices);
    let sub = |i: usize, j: usize| kernel[pts[i].0 * m + pts[j].0];
    let k = pts.len();
    match act {
        Act::Known(DeepActivation::Gauss) => {
            let mut e = 0.0;
            for i in 0..k {
                let qi = pts[i].1 as f64;
                e -= qi * sub(i, i);
                for j in 0..k {
                    e += 0.5 * qi * pts[j].1 as f64 * sub(i, j);
                }
            }
            return Estimate::exact(e.exp());
        }
        Act::Known(DeepActivation::Sin) => {
            let c = |a: usize, b: usize| kernel[indices[a] * m + indices[b]];
            return Estimate::exact(sin_moment(indices.len(), c));
        }
        Act::Known(DeepActivation::Linear) if indices.len() >= 4 => {
            return Estimate::exact(isserlis(kernel, m, indices));
        }
        _ => {}
    }
    if indices.len() == 2
        && k == 2
        && let Some(v) = closed_pair(act, sub(0, 0), sub(1, 1), sub(0, 1))
    {
        return Estimate::exact(v);
    }
    let powers: Vec<Power<'_>> = pts.iter().map(|&(_, q)| Power { act, q }).collect();
    let factors: Vec<&dyn Factor> = powers.iter().map(|p| p as &dyn Factor).collect();
    let cov: Vec<f64> = (0..k * k).map(|x| sub(x / k, x % k)).collect();
    expect_with(&factors, &cov, cache.map(|c| (c, (pts[k - 1].1, 0))))
}

/// Isserlis' theorem: `⟨z_(i_1) ... z_(i_k)⟩ = Σ over perfect matchings of ∏ K` (0 for odd `k`).
fn isserlis(kernel: &[f64], m: usize, indices: &[usize]) -> f64 {
    match indices.split_first() {
        None => 1.0,
        Some((&first, rest)) => (0..rest.len())
            .map(|j| {
                let others: Vec<usize> = rest.iter().enumerate().filter(|&(i, _)| i != j).map(|(_, &x)| x).collect();
                kernel[first * m + rest[j]] * isserlis(kernel, m, &others)
            })
            .sum(),
    }
}

/// `⟨φ_a φ_b⟩` in closed form for two distinct points, where one exists.
fn closed_pair(act: Act<'_>, kaa: f64, kbb: f64, kab: f64) -> Option<f64> {
    match act {
        Act::Known(DeepActivation::Linear) => Some(kab),
        Act::Known(DeepActivation::Relu) => {
            let p = kaa * kbb;
            if p <= 0.0 {
                return Some(0.0);
            }
            let root = p.sqrt();
            let c = (kab / root).clamp(-1.0, 1.0);
            let t = c.acos();
            Some(root * (t.sin() + (PI - t) * c) / (2.0 * PI))
        }
        Act::Known(DeepActivation::Erf) => {
            let arg = (2.0 * kab / ((1.0 + 2.0 * kaa) * (1.0 + 2.0 * kbb)).sqrt()).clamp(-1.0, 1.0);
            Some(2.0 / PI * arg.asin())
        }
        Act::Known(DeepActivation::Gauss) => Some((kab - 0.5 * kaa - 0.5 * kbb).exp()),
        _ => None,
    }
}

/// `⟨sin z_(i_1) ... sin z_(i_k)⟩` from the covariance `c(j, l) = K_(i_j i_l)` of the `k`
/// factors (type docs of [`ActivationFn`]).
fn sin_moment(k: usize, c: impl Fn(usize, usize) -> f64) -> f64 {
    if k % 2 == 1 {
        return 0.0;
    }
    if k == 2 {
        return (-0.5 * (c(0, 0) + c(1, 1))).exp() * c(0, 1).sinh();
    }
    // (2i)^(-k) = (-1/4)^(k/2); ε and -ε give the same term, so sum over ε_0 = +1 and double
    let mut sum = 0.0;
    for signs in 0..1usize << (k - 1) {
        let eps = |j: usize| if j == 0 || signs >> (j - 1) & 1 == 0 { 1.0 } else { -1.0 };
        let mut quad = 0.0;
        let mut sign = 1.0;
        for j in 0..k {
            sign *= eps(j);
            for l in 0..k {
                quad += eps(j) * eps(l) * c(j, l);
            }
        }
        sum += sign * (-0.5 * quad).exp();
    }
    2.0 * sum * (-0.25f64).powi(k as i32 / 2)
}

/// `⟨φ'(z_a) φ'(z_b)⟩_K`, `(z_a, z_b) ~ N(0, [[K_aa, K_ab], [K_ab, K_bb]])`, for any two points,
/// the same point (`K_aa = K_bb = K_ab`) included: the derivative factor of the neural tangent
/// kernel's recursion (`crate::NeuralTangentKernel`), with its estimated absolute error.
///
/// For distinct points it is `∂⟨φ_a φ_b⟩/∂K_ab` by Price's theorem (slot 2 of [`pair_gradient`]),
/// but it is needed on the diagonal too, where `⟨φ'(z)²⟩` is not the derivative of `⟨φ(z)²⟩`.
/// Closed forms:
/// - linear: 1;
/// - relu (`φ' = 1(z > 0)`, Cho and Saul 2009): `(π − θ) / 2π`, `cos θ = K_ab / √(K_aa K_bb)`
///   (½ on the diagonal); 0 when `K_aa K_bb = 0` (then a pre-activation is 0 and `φ'(0) = 0`);
/// - erf (`φ' = (2/√π) e^(−z²)`): `(4/π) E[e^(−z_a² − z_b²)] = 4 / (π √((1 + 2K_aa)(1 + 2K_bb) − 4K_ab²))`;
/// - sin (`φ' = cos`): `e^(−(K_aa + K_bb)/2) cosh K_ab`;
/// - Gauss-net (`φ' = φ = exp(z − K¹(x, x))`, first layer): `exp(K_ab − K_aa/2 − K_bb/2)`;
///
/// tanh, gelu, silu, softplus and sigmoid by the 2-D quadrature of [`ActivationFn`] with the
/// closed-form `φ'` of [`DeepActivation::derivatives`] (one level on the diagonal, where the
/// covariance has rank 1).
pub(crate) fn derivative_pair(act: DeepActivation, kaa: f64, kbb: f64, kab: f64) -> Estimate {
    match act {
        DeepActivation::Linear => Estimate::exact(1.0),
        DeepActivation::Relu => {
            let p = kaa * kbb;
            if p <= 0.0 {
                return Estimate::exact(0.0);
            }
            let t = (kab / p.sqrt()).clamp(-1.0, 1.0).acos();
            Estimate::exact((PI - t) / (2.0 * PI))
        }
        DeepActivation::Erf => {
            let det = ((1.0 + 2.0 * kaa) * (1.0 + 2.0 * kbb) - 4.0 * kab * kab).max(f64::MIN_POSITIVE);
            Estimate::exact(4.0 / (PI * det.sqrt()))
        }
        DeepActivation::Sin => Estimate::exact((-0.5 * (kaa + kbb)).exp() * kab.cosh()),
        DeepActivation::Gauss => Estimate::exact((kab - 0.5 * kaa - 0.5 * kbb).exp()),
        DeepActivation::Tanh
        | DeepActivation::Gelu
        | DeepActivation::Silu
        | DeepActivation::Softplus
        | DeepActivation::Sigmoid => {
            let d1 = Smooth(|z: f64| act.derivatives(z).map_or(f64::NAN, |d| d.0));
            expect(&[&d1, &d1], &[kaa, kab, kab, kbb])
        }
    }
}

/// `φ(z)^p φ'(z)^q φ''(z)^r` of a known activation (relu's `φ' = 1(z > 0)`, and relu never with
/// `r > 0`; Gauss-net is never a factor here: its `φ' = φ'' = φ` turns every product into a power).
struct Mixed {
    act: DeepActivation,
    p: u32,
    q: u32,
    r: u32,
}

impl Factor for Mixed {
    #[inline]
    fn eval(&self, z: f64) -> f64 {
        if self.act == DeepActivation::Gelu {
            // one Φ and one ϕ for all three factors
            let (value, slope, curvature) = crate::deep_activation::gelu_with_derivatives(z);
            return ipow(value, self.p) * ipow(slope, self.q) * ipow(curvature, self.r);
        }
        let value = if self.p == 0 { 1.0 } else { ipow(self.act.phi(z).unwrap_or(f64::NAN), self.p) };
        let slope = match (self.q, self.act) {
            (0, _) => 1.0,
            (_, DeepActivation::Relu) => f64::from(u8::from(z > 0.0)),
            (q, a) => ipow(a.derivatives(z).map_or(f64::NAN, |d| d.0), q),
        };
        let curvature = if self.r == 0 { 1.0 } else { ipow(self.act.derivatives(z).map_or(f64::NAN, |d| d.1), self.r) };
        value * slope * curvature
    }
    fn kink(&self) -> Option<f64> {
        (self.act == DeepActivation::Relu).then_some(0.0)
    }
    fn closed_mean(&self, mu: f64, sigma: f64) -> Option<f64> {
        if self.r > 0 {
            return None;
        }
        match self.act {
            // relu^p 1(z > 0) = relu^p for p >= 1, and 1(z > 0) for p = 0 (I_0 = Φ)
            DeepActivation::Relu => Some(relu_power_mean(mu, sigma, self.p)),
            DeepActivation::Linear => Some(linear_power_mean(mu, sigma, self.p)),
            _ => None,
        }
    }
}

/// `⟨∏_(i ∈ values) φ(z_i) ∏_(j ∈ slopes) φ'(z_j)⟩_K` (repeats allowed, at most six distinct
/// points in all), `K` the row-major `m x m` covariance of all points: the mixed expectations
/// of the NTK's finite-width recursions (`crate::NtkFluctuations`). Linear (`φ' = 1`) by
/// Isserlis' theorem, Gauss-net (`φ' = φ`) by its closed form, relu with its `1(z > 0)` and
/// closed-form innermost level, the rest by the nested quadrature of [`ActivationFn`].
pub(crate) fn mixed_moment(
    act: DeepActivation,
    kernel: &[f64],
    m: usize,
    values: &[usize],
    slopes: &[usize],
) -> Estimate {
    match act {
        DeepActivation::Linear => return Estimate::exact(isserlis(kernel, m, values)),
        DeepActivation::Gauss => {
            let all: Vec<usize> = values.iter().chain(slopes).copied().collect();
            return moment(Act::Known(act), kernel, m, &all);
        }
        _ if slopes.is_empty() => return moment(Act::Known(act), kernel, m, values),
        _ => {}
    }
    derivative_product(act, kernel, m, [values, slopes, &[]])
}

/// `⟨∏_(i ∈ orders[0]) φ(z_i) ∏_(j ∈ orders[1]) φ'(z_j) ∏_(k ∈ orders[2]) φ''(z_k)⟩_K` by the
/// nested quadrature of [`ActivationFn`] (at most six distinct points).
fn derivative_product(act: DeepActivation, kernel: &[f64], m: usize, orders: [&[usize]; 3]) -> Estimate {
    let mut pts: Vec<(usize, [u32; 3])> = Vec::with_capacity(MAX_FACTORS);
    for (order, indices) in orders.iter().enumerate() {
        for &i in *indices {
            let at = match pts.iter().position(|(x, _)| *x == i) {
                Some(at) => at,
                None => {
                    pts.push((i, [0; 3]));
                    pts.len() - 1
                }
            };
            pts[at].1[order] += 1;
        }
    }
    let k = pts.len();
    let factors: Vec<Mixed> = pts.iter().map(|&(_, [p, q, r])| Mixed { act, p, q, r }).collect();
    let refs: Vec<&dyn Factor> = factors.iter().map(|f| f as &dyn Factor).collect();
    let cov: Vec<f64> = (0..k * k).map(|x| kernel[pts[x / k].0 * m + pts[x % k].0]).collect();
    expect(&refs, &cov)
}

/// `φ(z)^p φ'(z)^q φ''(z)^r φ'''(z)^s` of a smooth known activation.
struct Jet {
    act: DeepActivation,
    counts: [u32; 4],
}

impl Factor for Jet {
    #[inline]
    fn eval(&self, z: f64) -> f64 {
        let [p, q, r, s] = self.counts;
        let (d1, d2) = self.act.derivatives(z).unwrap_or((f64::NAN, f64::NAN));
        let value = if p == 0 { 1.0 } else { ipow(self.act.phi(z).unwrap_or(f64::NAN), p) };
        let third = if s == 0 { 1.0 } else { ipow(self.act.third_derivative(z).unwrap_or(f64::NAN), s) };
        value * ipow(d1, q) * ipow(d2, r) * third
    }
    fn kink(&self) -> Option<f64> {
        None
    }
    fn closed_mean(&self, _mu: f64, _sigma: f64) -> Option<f64> {
        None
    }
}

/// `⟨∏_(k, r) φ⁽ʳ⁾(z_k)⟩_K` over `factors = [(k, r), ...]` (point `k`, derivative order
/// `r <= 3`; repeats allowed, at most six distinct points), `K` the row-major `m x m`
/// covariance of all points: the single-neuron expectations of the ddNTK
/// (`crate::DoubleDifferentialNtk`). Without `φ'''` as [`derivative_product`] (linear and relu
/// with their closed forms); with `φ'''`: 0 for linear and relu (relu's `φ''` and `φ'''` vanish
/// away from `z = 0`, a set every sampled pre-activation misses with probability 1), the rest
/// by nested quadrature. Gauss-net is never asked (the ddNTK refuses it).
pub(crate) fn jet_moment(act: DeepActivation, kernel: &[f64], m: usize, factors: &[(usize, u32)]) -> Estimate {
    let of = |r: u32| factors.iter().filter(|f| f.1 == r).map(|f| f.0).collect::<Vec<usize>>();
    let (values, slopes, curves) = (of(0), of(1), of(2));
    if matches!(act, DeepActivation::Linear | DeepActivation::Relu) && factors.iter().any(|f| f.1 >= 2) {
        return Estimate::exact(0.0);
    }
    if factors.iter().all(|f| f.1 <= 2) {
        return match act {
            DeepActivation::Linear => Estimate::exact(isserlis(kernel, m, &values)),
            _ => derivative_product(act, kernel, m, [&values, &slopes, &curves]),
        };
    }
    let mut pts: Vec<(usize, [u32; 4])> = Vec::with_capacity(MAX_FACTORS);
    for &(i, r) in factors {
        let at = match pts.iter().position(|(x, _)| *x == i) {
            Some(at) => at,
            None => {
                pts.push((i, [0; 4]));
                pts.len() - 1
            }
        };
        pts[at].1[r as usize] += 1;
    }
    let k = pts.len();
    let jets: Vec<Jet> = pts.iter().map(|&(_, counts)| Jet { act, counts }).collect();
    let refs: Vec<&dyn Factor> = jets.iter().map(|f| f as &dyn Factor).collect();
    let cov: Vec<f64> = (0..k * k).map(|x| kernel[pts[x / k].0 * m + pts[x % k].0]).collect();
    expect(&refs, &cov)
}

/// `⟨φ'_c φ''_a φ'_b φ_d⟩_K` for `points = [c, a, b, d]` (repeats allowed), `K` the row-major
/// `m x m` covariance of all points: the single-neuron expectation of the dNTK's recursion
/// (`crate::DifferentialNtk`), where `φ''` enters through the derivative of the NTK's `φ'`
/// factors. Exactly 0 for linear (`φ'' = 0`) and for relu, whose `φ'' = 0` away from `z = 0`,
/// a set every sampled pre-activation misses with probability 1 (the per-network dNTK, an
/// ordinary function of the parameters almost everywhere, has no such term); Gauss-net
/// (`φ' = φ'' = φ`, first layer) in closed form; the rest by nested quadrature.
pub(crate) fn curvature_moment(act: DeepActivation, kernel: &[f64], m: usize, [c, a, b, d]: [usize; 4]) -> Estimate {
    match act {
        DeepActivation::Linear | DeepActivation::Relu => Estimate::exact(0.0),
        DeepActivation::Gauss => moment(Act::Known(act), kernel, m, &[c, a, b, d]),
        _ => derivative_product(act, kernel, m, [&[d], &[c, b], &[a]]),
    }
}

/// The gradient (`[∂/∂K_aa, ∂/∂K_bb, ∂/∂K_ab]`) and the upper triangle of the Hessian (in the
/// order of [`UPPER`]) of the derivative kernel `F'(K) = ⟨φ'_a φ'_b⟩_K` ([`derivative_pair`])
/// with respect to the entries of the pair's covariance, with their estimated absolute error;
/// one point (`same`, `F'(K) = ⟨φ'(z)²⟩_(K_aa)`): `dF'/dK_aa` and `d²F'/dK_aa²` in slot 0.
///
/// - linear: `F' = 1`, every derivative 0.
/// - relu: `F' = (π − θ)/2π` depends on `ρ = cos θ = K_ab / √(K_aa K_bb)` alone, with
///   `dF'/dρ = 1 / (2π √(1 − ρ²))` and `d²F'/dρ² = ρ / (2π (1 − ρ²)^(3/2))`; the chain rule with
///   `ρ_ab = 1/√(K_aa K_bb)`, `ρ_aa = −ρ/(2K_aa)`, `ρ_aa,aa = 3ρ/(4K_aa²)`, `ρ_aa,bb = ρ/(4K_aa K_bb)`,
///   `ρ_aa,ab = −1/(2K_aa √(K_aa K_bb))`, `ρ_ab,ab = 0` (and `bb` alike) gives
///   `∂F'/∂K_ab = 1/(2π √Δ)`, `Δ = K_aa K_bb − K_ab²` (Price: `⟨δ(z_a) δ(z_b)⟩`). One point:
///   `F' = ½`, no derivative. On the degenerate cone (`Δ = 0`: collinear points through
///   homogeneous layers) `F'` is constant along the only directions the kernel moves in
///   (`KernelShift` docs), so the derivatives are set to 0 there.
/// - tanh, two points: Price's theorem (as for the Hessian of `⟨φ_a φ_b⟩`), exact on the
///   degenerate cone too (antipodal inputs of an odd network stay antipodal in every layer):
///   gradient `[½⟨φ'''_a φ'_b⟩, ½⟨φ'_a φ'''_b⟩, ⟨φ''_a φ''_b⟩]`, Hessian `¼⟨φ⁽⁵⁾_a φ'_b⟩`,
///   `¼⟨φ'''_a φ'''_b⟩`, `½⟨φ⁗_a φ''_b⟩`, `¼⟨φ'_a φ⁽⁵⁾_b⟩`, `½⟨φ''_a φ⁗_b⟩`, `⟨φ'''_a φ'''_b⟩`, with
///   `φ⁽⁵⁾ = s(16 − 120t² + 120t⁴)` (`t = tanh z`, `s = 1 − t²`), each by 2-D quadrature.
/// - the rest: central differences of [`derivative_pair`] at steps `h` and `2h`, Richardson
///   extrapolated, the removed `O(h²)` term as the error estimate (steps as for the Hessian of
///   `⟨φ_a φ_b⟩` of an activation given as a function). They need room on both sides inside the
///   positive semi-definite cone: for the activations whose `⟨φ'_a φ'_b⟩` is a quadrature, a pair
///   within `1e-9` of the cone's edge (`|cos θ| = 1`) gets NaN (the front doors' missing value),
///   never a difference across the edge.
pub(crate) fn derivative_pair_derivatives(
    act: DeepActivation,
    kaa: f64,
    kbb: f64,
    kab: f64,
    same: bool,
) -> ([f64; 3], [f64; 6], f64) {
    match act {
        DeepActivation::Linear => return ([0.0; 3], [0.0; 6], 0.0),
        DeepActivation::Relu if same => return ([0.0; 3], [0.0; 6], 0.0),
        DeepActivation::Relu => {
            let det = kaa * kbb - kab * kab;
            if kaa <= 0.0 || kbb <= 0.0 || det <= RELU_DEGENERATE * kaa * kbb {
                return ([0.0; 3], [0.0; 6], 0.0);
            }
            let root = (kaa * kbb).sqrt();
            let rho = kab / root;
            let one = 1.0 - rho * rho;
            let (d1, d2) = (1.0 / (2.0 * PI * one.sqrt()), rho / (2.0 * PI * one * one.sqrt()));
            let r = [-rho / (2.0 * kaa), -rho / (2.0 * kbb), 1.0 / root];
            let rr = [
                3.0 * rho / (4.0 * kaa * kaa),
                rho / (4.0 * kaa * kbb),
                -1.0 / (2.0 * kaa * root),
                3.0 * rho / (4.0 * kbb * kbb),
                -1.0 / (2.0 * kbb * root),
                0.0,
            ];
            let mut h = [0.0; 6];
            for (k, &(i, j)) in UPPER.iter().enumerate() {
                h[k] = d2 * r[i] * r[j] + d1 * rr[k];
            }
            return (r.map(|x| d1 * x), h, 0.0);
        }
        _ => {}
    }
    if act == DeepActivation::Tanh && !same {
        let d = |z: f64| {
            let [t, s, d2, d3, d4] = tanh_derivatives(z);
            [t, s, d2, d3, d4, s * (16.0 - 120.0 * t * t + 120.0 * t * t * t * t)]
        };
        // the nine products above (⟨φ'''_a φ'''_b⟩ twice) through one set of nodes
        let products = [[3, 1], [1, 3], [2, 2], [5, 1], [3, 3], [4, 2], [1, 5], [2, 4]];
        let e = expect_products(&d, &products, &[kaa, kab, kab, kbb]);
        let mut err = 0.0f64;
        let mut term = |c: f64, s: usize| {
            err = err.max(c * e[s].error);
            c * e[s].value
        };
        let g = [term(0.5, 0), term(0.5, 1), term(1.0, 2)];
        let h = [term(0.25, 3), term(0.25, 4), term(0.5, 5), term(0.25, 6), term(0.5, 7), term(1.0, 4)];
        return (g, h, err);
    }
    if same {
        let f = remembered(|x: [f64; 3]| derivative_pair(act, x[0], x[0], x[0]).value);
        let f = &f;
        let step = [1e-3 * kaa.abs().max(1e-12), 1.0, 1.0];
        let (g, ge) = gradient_difference(f, [kaa, 0.0, 0.0], step, 1);
        let (h, he) = hessian_difference(f, [kaa, 0.0, 0.0], step, 1);
        return (g, h, ge.max(he));
    }
    // the gradient's steps along each axis are the Hessian's diagonal ones, and both take the
    // value at the centre: each quadrature once
    let f = remembered(|x: [f64; 3]| derivative_pair(act, x[0], x[1], x[2]).value);
    let f = &f;
    let rho = kab / (kaa * kbb).sqrt().max(f64::MIN_POSITIVE);
    let quadrature = !matches!(act, DeepActivation::Erf | DeepActivation::Sin | DeepActivation::Gauss);
    if quadrature && 1.0 - rho.abs() < 1e-9 {
        return ([f64::NAN; 3], [f64::NAN; 6], 0.0);
    }
    let step = 1e-3 * (0.25 * (1.0 - rho.abs())).clamp(1e-2, 1.0);
    let h = [step * kaa.abs(), step * kbb.abs(), step * (kaa * kbb).abs().sqrt()].map(|h| h.max(1e-12));
    let (g, ge) = gradient_difference(f, [kaa, kbb, kab], h, 3);
    let (hh, he) = hessian_difference(f, [kaa, kbb, kab], h, 3);
    (g, hh, ge.max(he))
}

/// `f` remembering its values by the bits of its argument: a point asked for again (the same
/// bits) gets the value computed the first time, so the finite differences that share points
/// compute each once and give the numbers of computing it every time.
fn remembered(f: impl Fn([f64; 3]) -> f64) -> impl Fn([f64; 3]) -> f64 {
    let seen: std::cell::RefCell<Vec<([u64; 3], f64)>> = std::cell::RefCell::default();
    move |x: [f64; 3]| {
        let key = x.map(f64::to_bits);
        if let Some(&(_, v)) = seen.borrow().iter().find(|(k, _)| *k == key) {
            return v;
        }
        let v = f(x);
        seen.borrow_mut().push((key, v));
        v
    }
}

/// The gradient of `f` in its first `dim` variables at `x` by central differences with steps
/// `h` and `2h`, Richardson-extrapolated; the error estimate is the size of the removed `O(h²)`
/// term plus the rounding of the differences.
fn gradient_difference(f: impl Fn([f64; 3]) -> f64, x: [f64; 3], h: [f64; 3], dim: usize) -> ([f64; 3], f64) {
    let at = |i: usize, s: f64| {
        let mut y = x;
        y[i] += s;
        f(y)
    };
    let mut out = [0.0; 3];
    let mut err = 0.0f64;
    for i in 0..dim {
        let d1 = (at(i, h[i]) - at(i, -h[i])) / (2.0 * h[i]);
        let d2 = (at(i, 2.0 * h[i]) - at(i, -2.0 * h[i])) / (4.0 * h[i]);
        out[i] = (4.0 * d1 - d2) / 3.0;
        let rounding = 4.0 * f64::EPSILON * f(x).abs().max(1.0) / h[i];
        err = err.max((d1 - d2).abs() / 3.0 + rounding);
    }
    (out, err)
}

/// The gradient of `F = ⟨φ_a φ_b⟩_K` with respect to `(K_aa, K_bb, K_ab)` for two distinct
/// points, or `dF/dK_aa` (in slot 0) for one point (`same`). See the module docs.
pub(crate) fn pair_gradient(act: Act<'_>, kaa: f64, kbb: f64, kab: f64, same: bool) -> [f64; 3] {
    if same {
        let d = match act {
            Act::Known(DeepActivation::Linear) => 1.0,
            Act::Known(DeepActivation::Relu) => 0.5,
            Act::Known(DeepActivation::Erf) => {
                let a = 1.0 + 2.0 * kaa;
                let s = 2.0 * kaa / a;
                4.0 / (PI * a * a * (1.0 - s * s).max(0.0).sqrt())
            }
            Act::Known(DeepActivation::Sin) => (-2.0 * kaa).exp(),
            Act::Known(a) if a.is_smooth() => {
                let f = Smooth(|z: f64| a.half_square_curvature(z).unwrap_or(f64::NAN));
                expect(&[&f], &[kaa]).value
            }
            _ => central_difference(kaa, |h| moment(act, &[kaa + h], 1, &[0, 0]).value),
        };
        return [d, 0.0, 0.0];
    }
    match act {
        Act::Known(DeepActivation::Linear) => [0.0, 0.0, 1.0],
        Act::Known(DeepActivation::Relu) => {
            let p = kaa * kbb;
            if p <= 0.0 {
                return [0.0; 3];
            }
            let c = (kab / p.sqrt()).clamp(-1.0, 1.0);
            let t = c.acos();
            let s = t.sin();
            [(kbb / kaa).sqrt() * s / (4.0 * PI), (kaa / kbb).sqrt() * s / (4.0 * PI), (PI - t) / (2.0 * PI)]
        }
        Act::Known(DeepActivation::Erf) => {
            let (a, b) = (1.0 + 2.0 * kaa, 1.0 + 2.0 * kbb);
            let s = (2.0 * kab / (a * b).sqrt()).clamp(-1.0, 1.0);
            let r = (1.0 - s * s).max(f64::MIN_POSITIVE).sqrt();
            [-2.0 * s / (PI * a * r), -2.0 * s / (PI * b * r), 4.0 / (PI * (a * b).sqrt() * r)]
        }
        Act::Known(DeepActivation::Sin) => {
            let damping = (-0.5 * (kaa + kbb)).exp();
            let half = -0.5 * damping * kab.sinh();
            [half, half, damping * kab.cosh()]
        }
        Act::Known(a) if a.is_smooth() => {
            // ⟨φ''_a φ_b⟩, ⟨φ_a φ''_b⟩, ⟨φ'_a φ'_b⟩ through one set of nodes
            let f = |z: f64| {
                let (d1, d2) = a.derivatives(z).unwrap_or((f64::NAN, f64::NAN));
                [a.phi(z).unwrap_or(f64::NAN), d1, d2]
            };
            let e = expect_products(&f, &[[2, 0], [0, 2], [1, 1]], &[kaa, kab, kab, kbb]);
            [0.5 * e[0].value, 0.5 * e[1].value, e[2].value]
        }
        _ => {
            let pair = |kaa: f64, kbb: f64, kab: f64| moment(act, &[kaa, kab, kab, kbb], 2, &[0, 1]).value;
            [
                central_difference(kaa, |h| pair(kaa + h, kbb, kab)),
                central_difference(kbb, |h| pair(kaa, kbb + h, kab)),
                central_difference(kaa.max(kbb), |h| pair(kaa, kbb, kab + h)),
            ]
        }
    }
}

/// A derivative of `φ(z)^q` of order 0, 1 or 2, for Price's theorem on products
/// (`moment_gradient`): `(φ^q)' = q φ^(q−1) φ'`, `(φ^q)'' = q(q−1) φ^(q−2) φ'² + q φ^(q−1) φ''`.
/// For relu `φ' = θ(z)`, so `(relu^q)' = q relu^(q−1)` and, for `q >= 2`,
/// `(relu^q)'' = q(q−1) relu^(q−2)` (the `δ` term vanishes: `relu(0) = 0`), with `relu⁰ = θ`;
/// relu's `q = 1`, order 2 is the delta function, handled by conditioning instead.
struct PowerDerivative<'a> {
    act: Act<'a>,
    q: u32,
    order: u32,
}

impl PowerDerivative<'_> {
    /// `(c, p)` with `(φ^q)^(order) = c φ^p` for relu and linear.
    fn monomial(&self) -> (f64, u32) {
        let q = self.q as f64;
        match self.order {
            0 => (1.0, self.q),
            1 => (q, self.q.saturating_sub(1)),
            _ => (q * (q - 1.0), self.q.saturating_sub(2)),
        }
    }
}

impl Factor for PowerDerivative<'_> {
    #[inline]
    fn eval_fast(&self, z: f64) -> f64 {
        let Act::Known(DeepActivation::Tanh) = self.act else { return self.eval(z) };
        // the formulas of `DeepActivation::derivatives` from one `fast_tanh`
        let t = fast_tanh(z);
        let (d1, d2) = (1.0 - t * t, -2.0 * t * (1.0 - t * t));
        let q = self.q as i32;
        match self.order {
            0 => ipow(t, q as u32),
            1 => q as f64 * ipow(t, q.max(1) as u32 - 1) * d1,
            _ => {
                let curvature = if q >= 2 { (q * (q - 1)) as f64 * ipow(t, q as u32 - 2) * d1 * d1 } else { 0.0 };
                curvature + q as f64 * ipow(t, q.max(1) as u32 - 1) * d2
            }
        }
    }
    #[inline]
    fn eval(&self, z: f64) -> f64 {
        match self.act {
            Act::Known(DeepActivation::Relu) => {
                let (c, p) = self.monomial();
                if z > 0.0 { c * z.powi(p as i32) } else { 0.0 }
            }
            Act::Known(DeepActivation::Linear) => {
                let (c, p) = self.monomial();
                c * z.powi(p as i32)
            }
            Act::Known(a) => {
                let (p, d1, d2) = match a {
                    DeepActivation::Gelu => crate::deep_activation::gelu_with_derivatives(z),
                    _ => {
                        let (d1, d2) = a.derivatives(z).unwrap_or((f64::NAN, f64::NAN));
                        (a.phi(z).unwrap_or(f64::NAN), d1, d2)
                    }
                };
                let q = self.q as i32;
                match self.order {
                    0 => ipow(p, q as u32),
                    1 => q as f64 * ipow(p, q.max(1) as u32 - 1) * d1,
                    _ => {
                        let curvature =
                            if q >= 2 { (q * (q - 1)) as f64 * ipow(p, q as u32 - 2) * d1 * d1 } else { 0.0 };
                        curvature + q as f64 * ipow(p, q.max(1) as u32 - 1) * d2
                    }
                }
            }
            Act::Function(_) => f64::NAN,
        }
    }
    fn kink(&self) -> Option<f64> {
        self.act.kink()
    }
    fn closed_mean(&self, mu: f64, sigma: f64) -> Option<f64> {
        if sigma <= 0.0 {
            return Some(self.eval(mu));
        }
        let (c, p) = self.monomial();
        match self.act {
            Act::Known(DeepActivation::Relu) => Some(c * relu_power_mean(mu, sigma, p)),
            Act::Known(DeepActivation::Linear) => Some(c * linear_power_mean(mu, sigma, p)),
            _ => None,
        }
    }
}

/// The gradient of `⟨∏ φ(z_i)⟩_K` over the listed points (repeats allowed, up to 6 distinct)
/// with respect to the entries of `K` (one variable per unordered pair `{e, f}` of its distinct
/// points, `e <= f`), as `(e, f, ∂/∂K_ef)`.
///
/// Price's theorem (Price 1958) for the known activations: with `g_i = φ^(q_i)` the factor of a
/// point of multiplicity `q_i`, `∂⟨∏ g_i⟩/∂K_ef = ⟨g_e' g_f' ∏_(i≠e,f) g_i⟩` for `e ≠ f` and
/// `½ ⟨g_e'' ∏_(i≠e) g_i⟩` for `e = f`. Relu's `(relu)'' = δ(z_e)` (a point of multiplicity
/// one) is the Gaussian density at zero times the conditional expectation,
/// `½ (2π K_ee)^(−1/2) ⟨∏_(i≠e) g_i | z_e = 0⟩`, whose covariance is `K_ij − K_ie K_ej / K_ee`.
/// Gauss-net: `∂/∂K_ef` of `exp(½ Σ q_a q_b K_ab − Σ q_a K_aa)` is the value times `q_e q_f`
/// (`e ≠ f`) or `½ q_e² − q_e`. An activation given as a function: central differences of the
/// quadrature at steps `h` and `2h` (`h = 10⁻⁴` of the entry's scale), Richardson-extrapolated,
/// their difference the error estimate.
///
/// `cache`, if given, shares innermost tables with the other gradients on the same distinct
/// points (the same values, bit for bit).
pub(crate) fn moment_gradient(
    act: Act<'_>,
    kernel: &[f64],
    m: usize,
    indices: &[usize],
    mut cache: Option<&mut TableCache>,
) -> Vec<(usize, usize, Estimate)> {
    let pts = distinct(indices);
    let k = pts.len();
    let sub = |i: usize, j: usize| kernel[pts[i].0 * m + pts[j].0];
    let cov: Vec<f64> = (0..k * k).map(|x| sub(x / k, x % k)).collect();
    let mut out = Vec::with_capacity(k * (k + 1) / 2);
    for i in 0..k {
        for j in i..k {
            let (e, f) = (pts[i].0.min(pts[j].0), pts[i].0.max(pts[j].0));
            let est = match act {
                Act::Known(DeepActivation::Gauss) => {
                    let value = moment(act, kernel, m, indices).value;
                    let (qi, qj) = (pts[i].1 as f64, pts[j].1 as f64);
                    Estimate::exact(value * if i == j { 0.5 * qi * qi - qi } else { qi * qj })
                }
                Act::Known(DeepActivation::Relu) if i == j && pts[i].1 == 1 => relu_delta(act, &pts, &cov, i),
                Act::Known(_) => {
                    let order = |t: usize| u32::from(t == i) + u32::from(t == j);
                    let facs: Vec<PowerDerivative<'_>> =
                        (0..k).map(|t| PowerDerivative { act, q: pts[t].1, order: order(t) }).collect();
                    let refs: Vec<&dyn Factor> = facs.iter().map(|f| f as &dyn Factor).collect();
                    let key = (pts[k - 1].1, order(k - 1));
                    let e = expect_with(&refs, &cov, cache.as_deref_mut().map(|c| (c, key)));
                    let half = if i == j { 0.5 } else { 1.0 };
                    Estimate { value: half * e.value, error: half * e.error }
                }
                Act::Function(_) => {
                    let scale = if i == j { sub(i, i).abs() } else { (sub(i, i) * sub(j, j)).abs().sqrt() };
                    let h = 1e-4 * scale.max(1e-12);
                    let at = |step: f64| {
                        let mut kk = kernel.to_vec();
                        kk[pts[i].0 * m + pts[j].0] += step;
                        if i != j {
                            kk[pts[j].0 * m + pts[i].0] += step;
                        }
                        moment(act, &kk, m, indices).value
                    };
                    let d1 = (at(h) - at(-h)) / (2.0 * h);
                    let d2 = (at(2.0 * h) - at(-2.0 * h)) / (4.0 * h);
                    Estimate { value: (4.0 * d1 - d2) / 3.0, error: (d1 - d2).abs() / 3.0 }
                }
            };
            out.push((e, f, est));
        }
    }
    out
}

/// `½ ⟨δ(z_e) ∏_(i≠e) φ^(q_i)(z_i)⟩ = ½ (2π K_ee)^(−1/2) ⟨∏_(i≠e) φ^(q_i) | z_e = 0⟩` (relu).
fn relu_delta(act: Act<'_>, pts: &[(usize, u32)], cov: &[f64], e: usize) -> Estimate {
    let k = pts.len();
    let kee = cov[e * k + e];
    if kee <= 0.0 {
        return Estimate::exact(0.0);
    }
    let rest: Vec<usize> = (0..k).filter(|&t| t != e).collect();
    let r = rest.len();
    let cond: Vec<f64> = (0..r * r)
        .map(|x| {
            let (a, b) = (rest[x / r], rest[x % r]);
            cov[a * k + b] - cov[a * k + e] * cov[e * k + b] / kee
        })
        .collect();
    let facs: Vec<Power<'_>> = rest.iter().map(|&t| Power { act, q: pts[t].1 }).collect();
    let refs: Vec<&dyn Factor> = facs.iter().map(|f| f as &dyn Factor).collect();
    let inner = expect(&refs, &cond);
    let c = 0.5 / (2.0 * PI * kee).sqrt();
    Estimate { value: c * inner.value, error: c * inner.error }
}

/// `(F(h) − F(−h)) / 2h` with `h = 1e-5 · scale`.
fn central_difference(scale: f64, f: impl Fn(f64) -> f64) -> f64 {
    let h = 1e-5 * scale.abs().max(1e-12);
    (f(h) - f(-h)) / (2.0 * h)
}

/// The second derivatives of `F = ⟨φ_a φ_b⟩_K` for the kernel shift (`crate::KernelShift`,
/// whose docs derive the closed forms), with their estimated absolute error (0 for closed
/// forms). Two distinct points: the upper triangle of the symmetric `3 x 3` Hessian in the
/// variables `(K_aa, K_bb, K_ab)`, in the order `(aa,aa), (aa,bb), (aa,ab), (bb,bb), (bb,ab),
/// (ab,ab)`. One point (`same`): `d²F/dK_aa²` in slot 0, the rest 0.
pub(crate) fn pair_hessian(act: Act<'_>, kaa: f64, kbb: f64, kab: f64, same: bool) -> ([f64; 6], f64) {
    let one = |v: f64| ([v, 0.0, 0.0, 0.0, 0.0, 0.0], 0.0);
    if same {
        return match act {
            Act::Known(DeepActivation::Linear | DeepActivation::Relu) => one(0.0),
            Act::Known(DeepActivation::Erf) => {
                let a = 1.0 + 2.0 * kaa;
                let s = 2.0 * kaa / a;
                let (ds, d2s) = (2.0 / (a * a), -8.0 / (a * a * a));
                let r = (1.0 - s * s).max(f64::MIN_POSITIVE).sqrt();
                one(2.0 / PI * (d2s / r + s * ds * ds / (r * r * r)))
            }
            Act::Known(DeepActivation::Tanh) => {
                // ¼ ⟨(φ²)⁗⟩ = ¼ ⟨6 φ''² + 8 φ' φ''' + 2 φ φ⁗⟩
                let f = Smooth(|z: f64| {
                    let [d0, d1, d2, d3, d4] = tanh_derivatives(z);
                    0.25 * (6.0 * d2 * d2 + 8.0 * d1 * d3 + 2.0 * d0 * d4)
                });
                let e = expect(&[&f], &[kaa]);
                ([e.value, 0.0, 0.0, 0.0, 0.0, 0.0], e.error)
            }
            _ => {
                let f = |x: [f64; 3]| moment(act, &[x[0]], 1, &[0, 0]).value;
                let (h, err) = hessian_difference(f, [kaa, 0.0, 0.0], [1e-3 * kaa.abs().max(1e-12), 1.0, 1.0], 1);
                ([h[0], 0.0, 0.0, 0.0, 0.0, 0.0], err)
            }
        };
    }
    match act {
        Act::Known(DeepActivation::Linear) => ([0.0; 6], 0.0),
        Act::Known(DeepActivation::Relu) => {
            let det = kaa * kbb - kab * kab;
            // on the degenerate cone (θ = 0 or π) F is linear along the only directions the
            // kernel fluctuates in (KernelShift docs): no second-order term
            if kaa <= 0.0 || kbb <= 0.0 || det <= RELU_DEGENERATE * kaa * kbb {
                return ([0.0; 6], 0.0);
            }
            let c = 1.0 / (8.0 * PI * det.sqrt());
            let off = 2.0 * kab * kab - kaa * kbb;
            (
                [c * off / (kaa * kaa), c, -2.0 * c * kab / kaa, c * off / (kbb * kbb), -2.0 * c * kab / kbb, 4.0 * c],
                0.0,
            )
        }
        Act::Known(DeepActivation::Erf) => {
            let (a, b) = (1.0 + 2.0 * kaa, 1.0 + 2.0 * kbb);
            let root = (a * b).sqrt();
            let s = (2.0 * kab / root).clamp(-1.0, 1.0);
            let r = (1.0 - s * s).max(f64::MIN_POSITIVE).sqrt();
            let ds = [-s / a, -s / b, 2.0 / root];
            let d2s = [3.0 * s / (a * a), s / (a * b), -2.0 / (a * root), 3.0 * s / (b * b), -2.0 / (b * root), 0.0];
            let mut h = [0.0; 6];
            for (k, &(i, j)) in UPPER.iter().enumerate() {
                h[k] = 2.0 / PI * (d2s[k] / r + s * ds[i] * ds[j] / (r * r * r));
            }
            (h, 0.0)
        }
        Act::Known(DeepActivation::Tanh) => {
            // Price: ¼⟨φ⁗_a φ_b⟩, ¼⟨φ''_a φ''_b⟩, ½⟨φ'''_a φ'_b⟩, ¼⟨φ_a φ⁗_b⟩, ½⟨φ'_a φ'''_b⟩, ⟨φ''_a φ''_b⟩,
            // through one set of nodes (⟨φ''_a φ''_b⟩ once)
            let products = [[4, 0], [2, 2], [3, 1], [0, 4], [1, 3]];
            let e = expect_products(&tanh_derivatives, &products, &[kaa, kab, kab, kbb]);
            let terms: [(f64, usize); 6] = [(0.25, 0), (0.25, 1), (0.5, 2), (0.25, 3), (0.5, 4), (1.0, 1)];
            let mut h = [0.0; 6];
            let mut err = 0.0f64;
            for (k, &(c, s)) in terms.iter().enumerate() {
                h[k] = c * e[s].value;
                err = err.max(c * e[s].error);
            }
            (h, err)
        }
        _ => {
            let f = |x: [f64; 3]| moment(act, &[x[0], x[2], x[2], x[1]], 2, &[0, 1]).value;
            // steps small against the distance to the edge of the positive semi-definite cone
            let rho = kab / (kaa * kbb).sqrt().max(f64::MIN_POSITIVE);
            let step = 1e-3 * (0.25 * (1.0 - rho.abs())).clamp(1e-2, 1.0);
            let h = [step * kaa.abs(), step * kbb.abs(), step * (kaa * kbb).abs().sqrt()].map(|h| h.max(1e-12));
            hessian_difference(f, [kaa, kbb, kab], h, 3)
        }
    }
}

/// Relu pairs whose `det K = K_aa K_bb − K_ab²` is below this fraction of `K_aa K_bb` are on
/// the degenerate cone (`θ = 0` or `π`).
const RELU_DEGENERATE: f64 = 1e-12;

/// The `(i, j)` entries of the upper triangle of a symmetric `3 x 3` matrix, in storage order.
pub(crate) const UPPER: [(usize, usize); 6] = [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)];

/// `tanh` and its first four derivatives: with `t = tanh z`, `s = 1 − t²`:
/// `φ' = s`, `φ'' = −2ts`, `φ''' = s(6t² − 2)`, `φ⁗ = ts(16 − 24t²)`.
fn tanh_derivatives(z: f64) -> [f64; 5] {
    let t = z.tanh();
    let s = 1.0 - t * t;
    [t, s, -2.0 * t * s, s * (6.0 * t * t - 2.0), t * s * (16.0 - 24.0 * t * t)]
}

/// The Hessian of `f` in its first `dim` variables at `x` by central differences with steps
/// `h` and `2h`, Richardson-extrapolated (`(4 D(h) − D(2h)) / 3`); the error estimate is
/// `|D(h) − D(2h)| / 3`, the size of the `O(h²)` term removed, plus the rounding of the sums.
fn hessian_difference(f: impl Fn([f64; 3]) -> f64, x: [f64; 3], h: [f64; 3], dim: usize) -> ([f64; 6], f64) {
    let at = |i: usize, si: f64, j: usize, sj: f64| {
        let mut y = x;
        y[i] += si;
        y[j] += sj;
        f(y)
    };
    let f0 = f(x);
    let second = |i: usize, j: usize, scale: f64| {
        let (hi, hj) = (scale * h[i], scale * h[j]);
        if i == j {
            (at(i, hi, j, 0.0) - 2.0 * f0 + at(i, -hi, j, 0.0)) / (hi * hi)
        } else {
            (at(i, hi, j, hj) - at(i, hi, j, -hj) - at(i, -hi, j, hj) + at(i, -hi, j, -hj)) / (4.0 * hi * hj)
        }
    };
    let mut out = [0.0; 6];
    let mut err = 0.0f64;
    for (k, &(i, j)) in UPPER.iter().enumerate() {
        if i >= dim || j >= dim {
            continue;
        }
        let (d1, d2) = (second(i, j, 1.0), second(i, j, 2.0));
        out[k] = (4.0 * d1 - d2) / 3.0;
        let rounding = 8.0 * f64::EPSILON * f0.abs().max(1.0) / (h[i] * h[j]);
        err = err.max((d1 - d2).abs() / 3.0 + rounding);
    }
    (out, err)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Closed forms against the quadrature of the same expectation.
    const QUADRATURE_TOLERANCE: f64 = 1e-10;

    #[test]
    fn closed_forms_match_quadrature() {
        let cov = [1.3, 0.4, 0.4, 0.8];
        for act in [DeepActivation::Relu, DeepActivation::Erf, DeepActivation::Linear] {
            let a = Act::Known(act);
            let phi = move |z: f64| a.phi(z);
            let mut custom_fn = ActivationFn::new(&phi);
            if act == DeepActivation::Relu {
                custom_fn = custom_fn.with_kink(0.0);
            }
            let custom = Act::Function(custom_fn);
            let closed = moment(a, &cov, 2, &[0, 1]).value;
            let quad = moment(custom, &cov, 2, &[0, 1]).value;
            assert!((closed - quad).abs() < QUADRATURE_TOLERANCE, "{act:?}: {closed} vs {quad}");
            for q in 1..=4u32 {
                let (mu, sigma) = (0.3, 1.1);
                if let Some(c) = (Power { act: a, q }).closed_mean(mu, sigma) {
                    let p = Power { act: custom, q };
                    let quad = Rule::new(40).sum(&[-mu / sigma], |x| p.eval(mu + sigma * x));
                    assert!((c - quad).abs() < QUADRATURE_TOLERANCE, "{act:?} q={q}: {c} vs {quad}");
                }
            }
            // gradients: closed form (or Price) against finite differences of the quadrature
            let (kaa, kbb, kab) = (1.3, 0.8, 0.4);
            let g = pair_gradient(a, kaa, kbb, kab, false);
            let fd = pair_gradient(custom, kaa, kbb, kab, false);
            for (x, y) in g.iter().zip(&fd) {
                assert!((x - y).abs() < 1e-7, "{act:?}: gradient {g:?} vs {fd:?}");
            }
            let g = pair_gradient(a, kaa, kaa, kaa, true)[0];
            let fd = pair_gradient(custom, kaa, kaa, kaa, true)[0];
            assert!((g - fd).abs() < 1e-7, "{act:?}: one-point derivative {g} vs {fd}");
        }
        // Price's theorem (and sin's closed forms) against finite differences of the quadrature
        use DeepActivation::*;
        for act in [Tanh, Gelu, Silu, Softplus, Sigmoid, Sin] {
            let known = Act::Known(act);
            let f = move |z: f64| known.phi(z);
            let custom = Act::Function(ActivationFn::new(&f));
            let g = pair_gradient(known, 1.3, 0.8, 0.4, false);
            let fd = pair_gradient(custom, 1.3, 0.8, 0.4, false);
            for (x, y) in g.iter().zip(&fd) {
                assert!((x - y).abs() < 1e-7, "{act:?}: gradient {g:?} vs {fd:?}");
            }
            let (g, fd) = (pair_gradient(known, 0.7, 0.7, 0.7, true)[0], pair_gradient(custom, 0.7, 0.7, 0.7, true)[0]);
            assert!((g - fd).abs() < 1e-7, "{act:?}: one-point derivative {g} vs {fd}");
        }
    }

    #[test]
    fn tanh_derivative_kernel_derivatives_by_price_match_differences() {
        // Price's theorem (tanh) against the central differences every other quadrature
        // activation takes, at a generic pair
        let (kaa, kbb, kab) = (1.1f64, 0.7f64, 0.35);
        let (g, h, e) = derivative_pair_derivatives(DeepActivation::Tanh, kaa, kbb, kab, false);
        let f = |x: [f64; 3]| derivative_pair(DeepActivation::Tanh, x[0], x[1], x[2]).value;
        let step = [1e-3 * kaa, 1e-3 * kbb, 1e-3 * (kaa * kbb).sqrt()];
        let (fg, fge) = gradient_difference(f, [kaa, kbb, kab], step, 3);
        let (fh, fhe) = hessian_difference(f, [kaa, kbb, kab], step, 3);
        for k in 0..3 {
            assert!((g[k] - fg[k]).abs() <= e + fge + 1e-9, "gradient {k}: {g:?} vs {fg:?}");
        }
        for k in 0..6 {
            assert!((h[k] - fh[k]).abs() <= e + fhe + 1e-7, "hessian {k}: {h:?} vs {fh:?}");
        }
    }

    /// The finite differences of the derivative kernel, each shifted quadrature computed once
    /// ([`remembered`]), give the numbers of computing every point of the gradient and the
    /// Hessian anew, bit for bit (gelu, two points and one).
    #[test]
    fn remembered_differences_equal_differences_computed_anew() {
        let act = DeepActivation::Gelu;
        let (kaa, kbb, kab) = (1.1f64, 0.7f64, 0.35);
        let (g, h, e) = derivative_pair_derivatives(act, kaa, kbb, kab, false);
        let f = |x: [f64; 3]| derivative_pair(act, x[0], x[1], x[2]).value;
        let rho = kab / (kaa * kbb).sqrt();
        let step = 1e-3 * (0.25 * (1.0 - rho.abs())).clamp(1e-2, 1.0);
        let steps = [step * kaa, step * kbb, step * (kaa * kbb).sqrt()];
        let (fg, fge) = gradient_difference(f, [kaa, kbb, kab], steps, 3);
        let (fh, fhe) = hessian_difference(f, [kaa, kbb, kab], steps, 3);
        assert_eq!(g.map(f64::to_bits), fg.map(f64::to_bits), "{g:?} vs {fg:?}");
        assert_eq!(h.map(f64::to_bits), fh.map(f64::to_bits), "{h:?} vs {fh:?}");
        assert_eq!(e.to_bits(), fge.max(fhe).to_bits());
        let (g, h, e) = derivative_pair_derivatives(act, 0.8, 0.8, 0.8, true);
        let f = |x: [f64; 3]| derivative_pair(act, x[0], x[0], x[0]).value;
        let steps = [1e-3 * 0.8, 1.0, 1.0];
        let (fg, fge) = gradient_difference(f, [0.8, 0.0, 0.0], steps, 1);
        let (fh, fhe) = hessian_difference(f, [0.8, 0.0, 0.0], steps, 1);
        assert_eq!(
            (g[0].to_bits(), h[0].to_bits(), e.to_bits()),
            (fg[0].to_bits(), fh[0].to_bits(), fge.max(fhe).to_bits())
        );
    }

    #[test]
    fn sin_closed_forms_match_quadrature_for_every_multiset_of_four_points() {
        let cov = [1.0, 0.3, -0.2, 0.1, 0.3, 0.9, 0.25, 0.0, -0.2, 0.25, 1.2, 0.4, 0.1, 0.0, 0.4, 0.7];
        let sin = Act::Known(DeepActivation::Sin);
        let f = |z: f64| z.sin();
        let quad = Act::Function(ActivationFn::new(&f));
        let sets: [&[usize]; 9] = [
            &[0, 1],
            &[2, 2],
            &[0, 0, 0, 0],
            &[0, 0, 1, 1],
            &[0, 0, 0, 1],
            &[0, 1, 2, 2],
            &[0, 1, 2, 3],
            &[1],
            &[0, 1, 2],
        ];
        for idx in sets {
            let closed = moment(sin, &cov, 4, idx);
            let q = moment(quad, &cov, 4, idx);
            assert!(closed.error == 0.0);
            // four distinct points are a 4-level quadrature (~1e-6); fewer levels reach rounding
            let tol = if idx.len() == 4 && distinct(idx).len() == 4 { 1e-5 } else { QUADRATURE_TOLERANCE };
            assert!((closed.value - q.value).abs() < tol, "{idx:?}: {} vs {}", closed.value, q.value);
        }
        // the pair form e^(-(K_aa + K_bb)/2) sinh K_ab
        let v = moment(sin, &cov, 4, &[0, 2]).value;
        assert!((v - (-0.5f64 * (1.0 + 1.2)).exp() * (-0.2f64).sinh()).abs() < 1e-16);
    }

    #[test]
    fn fast_tanh_is_within_a_few_ulps() {
        for i in -40_000..=40_000 {
            let z = i as f64 * 5e-4 + 1e-7;
            let (fast, exact) = (fast_tanh(z), z.tanh());
            assert!((fast - exact).abs() <= 4.0 * f64::EPSILON * exact.abs(), "{z}: {fast} vs {exact}");
        }
        assert!(fast_tanh(0.0).abs() <= f64::MIN_POSITIVE);
        assert!((fast_tanh(800.0) - 1.0).abs() <= f64::EPSILON);
        assert!((fast_tanh(-800.0) + 1.0).abs() <= f64::EPSILON);
    }

    #[test]
    fn innermost_table_interpolates_the_smoothed_activation() {
        let g = Smooth(|z: f64| z.tanh().powi(2));
        let (sigma, rule) = (0.7, Rule::new(5));
        let table = InnerTable::new(&g, sigma, 12.0, TABLE_SPACING, &rule, false).unwrap();
        for i in 0..=2400 {
            let mu = -12.0 + 0.01 * i as f64 + 0.003;
            let direct = rule.sum(&[], |x| g.eval(mu + sigma * x));
            assert!((table.eval(mu) - direct).abs() < 1e-9, "mu = {mu}: {} vs {direct}", table.eval(mu));
        }
    }

    #[test]
    fn four_point_relu_by_nested_quadrature_matches_isserlis_for_linear() {
        // linear through the quadrature path (as a function) against Isserlis
        let cov = [1.0, 0.3, -0.2, 0.1, 0.3, 0.9, 0.25, 0.0, -0.2, 0.25, 1.2, 0.4, 0.1, 0.0, 0.4, 0.7];
        let lin = |z: f64| z;
        let quad = moment(Act::Function(ActivationFn::new(&lin)), &cov, 4, &[0, 1, 2, 3]);
        let exact = moment(Act::Known(DeepActivation::Linear), &cov, 4, &[0, 1, 2, 3]).value;
        // 4 nested levels at 40/50 nodes each: ~2e-6 relative here; the estimate must cover the error
        let dev = (quad.value - exact).abs();
        assert!(dev < 1e-5 * exact && dev <= quad.error, "{} vs {exact}: error estimate {}", quad.value, quad.error);
    }
}
