//! Several expectations of products over the same two points, `⟨g_s(z_a) h_s(z_b)⟩_K` for
//! `s = 1, ..., S`, whose factors are components of one vector function evaluated once per node.
//!
//! Price's theorem turns the kernel derivatives of `⟨φ_a φ_b⟩` and `⟨φ'_a φ'_b⟩` into such
//! products of the activation's derivatives (the Hessian of [`super::pair_hessian`], the gradient
//! and Hessian of [`super::derivative_pair_derivatives`], the gradient of
//! [`super::pair_gradient`]): six, eight or three 2-D quadratures on one covariance `K`. One at a
//! time, each evaluates the activation's derivatives at every node again; here
//!
//! ```text
//! E_s = Σ_(u_1) w(u_1) f(z_1)[i_s] Σ_(u_2) w(u_2) f(z_2)[j_s],   z = L u,   K = L Lᵀ,
//! ```
//!
//! with `f(z) = (φ(z), φ'(z), ...)` evaluated once per node and `(i_s, j_s)` the components of
//! product `s`. Every sum is formed as [`super::expect`] forms it for the product alone (the same
//! Cholesky factor, rules, node order, products and partial sums per piece, the same shortcut
//! for a factor that is 0, the same levels left to the outer ones when the covariance is
//! singular), so each `E_s` and its error estimate (the fine rule's value against the coarse
//! one's) are those of [`super::expect`], bit for bit; the tests hold them to it.

use super::{Estimate, FAST_LEVELS, MAX_FACTORS, Rule, cholesky};

/// `E_s` of the module docs for every product `s` of `products` (the components of `f` at the
/// first and at the second point), `cov` the row-major `2 x 2` covariance of the two points.
pub(super) fn expect_products<const N: usize>(
    f: &dyn Fn(f64) -> [f64; N],
    products: &[[usize; 2]],
    cov: &[f64; 4],
) -> Vec<Estimate> {
    const K: usize = 2;
    let chol = cholesky(cov, K);
    let levels = (0..K).filter(|&j| chol[j * K + j] > 0.0).count();
    // two levels at most: no tabulated innermost level and no fast evaluation
    debug_assert!(levels < FAST_LEVELS);
    let sums = |rule: &Rule| {
        let nested = Nested { f, chol: &chol, rule, products };
        let width = rule.nodes.iter().map(Vec::len).max().unwrap_or(0) * products.len();
        let mut scratch: Vec<Scratch> =
            (0..K).map(|_| Scratch { inner: vec![0.0; products.len()], terms: vec![0.0; width] }).collect();
        let mut out = vec![0.0; products.len()];
        let mut u = [0.0; MAX_FACTORS];
        nested.level(0, &mut u, &mut out, &mut scratch);
        out
    };
    if levels == 0 {
        return sums(&Rule::new(1)).into_iter().map(|v| Estimate { value: v, error: 0.0 }).collect();
    }
    let (coarse, fine) = Rule::pair(levels);
    let (c, f) = (sums(&coarse), sums(&fine));
    f.into_iter().zip(c).map(|(f, c)| Estimate { value: f, error: (f - c).abs() }).collect()
}

/// One level's working memory: every product's value of the levels below it at the current
/// node, and every product's term at each node of the current piece (node-major).
struct Scratch {
    inner: Vec<f64>,
    terms: Vec<f64>,
}

/// One resolution's nested sum over every product at once.
struct Nested<'a, const N: usize> {
    f: &'a dyn Fn(f64) -> [f64; N],
    chol: &'a [f64],
    rule: &'a Rule,
    products: &'a [[usize; 2]],
}

impl<const N: usize> Nested<'_, N> {
    /// Levels `j..2` for every product, into `out` (`scratch[0]` this level's memory, the rest
    /// the deeper levels'): `super::Nested::level` with the factors of every product read off
    /// one evaluation of `f`.
    fn level(&self, j: usize, u: &mut [f64; MAX_FACTORS], out: &mut [f64], scratch: &mut [Scratch]) {
        const K: usize = 2;
        let Some((here, deeper)) = scratch.split_first_mut().filter(|_| j < K) else {
            out.fill(1.0);
            return;
        };
        let row = &self.chol[j * K..(j + 1) * K];
        let mu: f64 = (0..j).map(|i| row[i] * u[i]).sum();
        let sigma = row[j];
        let p = self.products.len();
        if sigma == 0.0 {
            // fixed by the outer level
            u[j] = 0.0;
            let d = (self.f)(mu);
            self.level(j + 1, u, &mut here.inner, deeper);
            for ((o, s), inner) in out.iter_mut().zip(self.products).zip(&here.inner) {
                let v = d[s[j]];
                *o = if v == 0.0 { 0.0 } else { v * inner };
            }
            return;
        }
        out.fill(0.0);
        for piece in &self.rule.nodes[self.rule.skip..self.rule.pieces - self.rule.skip] {
            for (t, &(x, c)) in piece.iter().enumerate() {
                let d = (self.f)(mu + sigma * x);
                u[j] = x;
                self.level(j + 1, u, &mut here.inner, deeper);
                for (s, (term, inner)) in
                    self.products.iter().zip(here.terms[t * p..(t + 1) * p].iter_mut().zip(&here.inner))
                {
                    let v = d[s[j]];
                    *term = c * if v == 0.0 { 0.0 } else { v * inner };
                }
            }
            for (s, o) in out.iter_mut().enumerate() {
                *o += (0..piece.len()).map(|t| here.terms[t * p + s]).sum::<f64>();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Factor, Smooth, expect};
    use super::*;

    /// Every product equals its own [`expect`] bit for bit (value and error estimate), on a
    /// generic covariance, a strongly correlated one, a singular one (antipodal points: the inner
    /// level fixed by the outer one) and the zero covariance (no level integrated), with
    /// factors that vanish at `z = 0` (the shortcut for a factor of 0).
    #[test]
    fn shared_evaluations_give_each_expectation_bit_for_bit() {
        let f = |z: f64| {
            let t = z.tanh();
            let s = 1.0 - t * t;
            [t, s, -2.0 * t * s, z.sin(), 0.0]
        };
        let products = [[0, 0], [1, 2], [2, 1], [3, 1], [0, 3], [4, 1], [2, 2]];
        for cov in [[1.1, 0.35, 0.35, 0.7], [0.9, 0.899, 0.899, 0.9], [0.8, -0.8, -0.8, 0.8], [0.0; 4]] {
            let shared = expect_products(&f, &products, &cov);
            for (s, got) in products.iter().zip(&shared) {
                let (g, h) = (Smooth(move |z: f64| f(z)[s[0]]), Smooth(move |z: f64| f(z)[s[1]]));
                let factors: [&dyn Factor; 2] = [&g, &h];
                let alone = expect(&factors, &cov);
                assert_eq!(got.value.to_bits(), alone.value.to_bits(), "{cov:?} {s:?}: {got:?} vs {alone:?}");
                assert_eq!(got.error.to_bits(), alone.error.to_bits(), "{cov:?} {s:?}: {got:?} vs {alone:?}");
            }
        }
    }
}
