//! The quartic coupling of the action in the eigenbasis of the kernel: where its size comes
//! from, and the coupling a finite resolution can compare with a local one.
//!
//! # The coupling in the kernel's eigenmodes
//!
//! On `k` points with `G2 = K = Σ_p λ_p φ_p φ_pᵀ` (eigenvalues `λ_1 >= … >= λ_k > 0`,
//! orthonormal eigenvectors `φ_p`), the order-`1/N` quartic coupling
//! `s_4[abcd] = −Σ_{ijkl} κ4[ijkl] K⁻¹[ia] K⁻¹[jb] K⁻¹[kc] K⁻¹[ld]`
//! ([`nnqft_theory::Action`]) is diagonal leg by leg in the eigenbasis:
//!
//! ```text
//! s̃_4(pqrs) = −κ̃4(pqrs) / (λ_p λ_q λ_r λ_s),     κ̃4(pqrs) = Σ_{ijkl} κ4[ijkl] φ_p(i) φ_q(j) φ_r(k) φ_s(l),
//! s_4[abcd] = Σ_{pqrs} s̃_4(pqrs) φ_p(a) φ_q(b) φ_r(c) φ_s(d).
//! ```
//!
//! `κ̃4(pppp)` is the fourth cumulant of the mode amplitude `a_p = φ_p · f`, whose variance is
//! `λ_p`, so `γ_p = κ̃4(pppp) / λ_p²` is that amplitude's excess kurtosis: the expansion
//! parameter of the order-`1/N` action along mode `p` (the Edgeworth series in that direction
//! needs `|γ_p| ≪ 1`). A smooth kernel on a dense grid has eigenvalues spanning many decades
//! (the condition number `λ_1 / λ_k`); its smallest modes alternate from point to point
//! (grid-scale, "rough"). The four factors `1/λ` put the weight of `s_4` there, unless `κ̃4`
//! falls on them as fast as `λ_p λ_q λ_r λ_s`: a continuum-local `κ4 = λ T0` does (its legs
//! are kernels, `κ̃4 ∝ Π λ`), a network's `κ4` does not (its rough components come from rare
//! neurons that oscillate on the grid's scale, and fall more slowly than `λ_p²` on the
//! diagonal: `γ_p` grows as `(λ_p / λ_1)^(−β)`, with `β` fitted per network over the rough
//! modes in SUMMARY's modes table, 0.37 for erf and relu and 0.92 for the Cos-net on the
//! default grid). The rows of [`ModalCoupling`] measure this:
//! [`ModalCoupling::band_shares`] (the share of `Σ s_4²` in the tuples whose smallest mode is
//! `p`; the basis is orthonormal, so the squared norm is the same in either basis),
//! [`ModalCoupling::excess_kurtosis`] (`γ_p`).
//!
//! # The coupling seen through the smoothest `m` modes
//!
//! Keeping the modes `p <= m` (a truncated, regularised inverse `K_m⁺ = Σ_{p<=m} φ_p φ_pᵀ / λ_p`
//! on every leg) gives `s_4^(m)`, whose diagonal defines
//! `λ_diag^(m)(x_i) = −s_4^(m)[iiii] / (24 h)` ([`ModalCoupling::projected_diagonal`]). A local
//! coupling `s_4 = 24 h λ_phys δ` projected the same way has the diagonal
//! `24 h λ_phys d_m(i)`, `d_m(i) = Σ_j P_m[ij]⁴` with the projector `P_m = Σ_{p<=m} φ_p φ_pᵀ`
//! ([`KernelModes::local_diagonal`]; `d_k = 1`), so the coupling a local term would need to
//! give the projected diagonal is `λ_diag^(m) / d_m`: that, not `λ_diag^(k)`, is what a
//! resolution of `m` modes can set beside a continuum coupling.

use crate::error::{Result, StudyError};
use nnqft_theory::{DenseTensor, Multisets};

/// Eigenvalue ratio `λ_p / λ_1` below which a mode counts as rough (grid-scale): the share of
/// the coupling's squared norm in tuples with a leg on such a mode is
/// [`ModalCoupling::rough_share`].
pub const ROUGH_MODE_RATIO: f64 = 1e-3;

/// The eigenmodes of a symmetric positive definite `k x k` matrix (the kernel on `k` points),
/// largest eigenvalue first.
#[derive(Debug, Clone, PartialEq)]
pub struct KernelModes {
    k: usize,
    eigenvalues: Vec<f64>,
    /// `vectors[i * k + p] = φ_p(i)`.
    vectors: Vec<f64>,
}

impl KernelModes {
    /// The eigendecomposition of `g2` (row-major `points x points`, symmetric); refuses a
    /// matrix of the wrong size, with non-finite entries, or that is not positive definite.
    pub fn new(points: usize, g2: &[f64]) -> Result<Self> {
        let k = points;
        if k == 0 || g2.len() != k * k {
            return Err(StudyError::Table {
                field: "g2",
                found: format!("{} values", g2.len()),
                expected: format!("{k} x {k} = {} values, k >= 1", k * k),
            });
        }
        if let Some(v) = g2.iter().find(|v| !v.is_finite()) {
            return Err(StudyError::OutOfRange { field: "g2", value: v.to_string(), allowed: "finite values".into() });
        }
        let eigen = nalgebra::DMatrix::from_row_slice(k, k, g2).symmetric_eigen();
        let mut order: Vec<usize> = (0..k).collect();
        order.sort_by(|&a, &b| eigen.eigenvalues[b].total_cmp(&eigen.eigenvalues[a]));
        let eigenvalues: Vec<f64> = order.iter().map(|&e| eigen.eigenvalues[e]).collect();
        if let Some(v) = eigenvalues.iter().find(|v| v.is_nan() || **v <= 0.0) {
            return Err(StudyError::OutOfRange {
                field: "g2",
                value: format!("an eigenvalue {v}"),
                allowed: "a positive definite matrix".into(),
            });
        }
        let mut vectors = vec![0.0; k * k];
        for (p, &e) in order.iter().enumerate() {
            for i in 0..k {
                vectors[i * k + p] = eigen.eigenvectors[(i, e)];
            }
        }
        Ok(Self { k, eigenvalues, vectors })
    }

    /// Points `k`.
    pub fn points(&self) -> usize {
        self.k
    }

    /// `λ_1 >= … >= λ_k`.
    pub fn eigenvalues(&self) -> &[f64] {
        &self.eigenvalues
    }

    /// `φ_p(i)` (`p`, `i` from 0).
    pub fn component(&self, i: usize, p: usize) -> f64 {
        self.vectors[i * self.k + p]
    }

    /// `λ_1 / λ_k`.
    pub fn condition_number(&self) -> f64 {
        self.eigenvalues[0] / self.eigenvalues[self.k - 1]
    }

    /// `T̃(p…) = Σ_{i…} T(i…) φ_p(i)…`: the tensor in the eigenbasis.
    pub fn to_modes(&self, t: &DenseTensor) -> Vec<f64> {
        let k = self.k;
        let transpose: Vec<f64> = (0..k * k).map(|pi| self.vectors[(pi % k) * k + pi / k]).collect();
        t.on_every_leg(&transpose).values().to_vec()
    }

    /// `d_m(i) = Σ_j P_m[ij]⁴` for `m = 1..=k` (outer index `m − 1`), `P_m = Σ_{p<=m} φ_p φ_pᵀ`:
    /// the diagonal of the local tensor `δ_{ijkl}` seen through the `m` largest modes (module docs).
    pub fn local_diagonal(&self) -> Vec<Vec<f64>> {
        let k = self.k;
        let mut projector = vec![0.0; k * k];
        (0..k)
            .map(|p| {
                for i in 0..k {
                    for j in 0..k {
                        projector[i * k + j] += self.component(i, p) * self.component(j, p);
                    }
                }
                (0..k).map(|i| (0..k).map(|j| projector[i * k + j].powi(4)).sum()).collect()
            })
            .collect()
    }
}

/// The order-`1/N` quartic coupling in the eigenbasis of `G2` (module docs).
#[derive(Debug, Clone)]
pub struct ModalCoupling {
    modes: KernelModes,
    /// `κ̃4(pqrs)`, row-major.
    kappa4: Vec<f64>,
    /// `s̃_4(pqrs) = −κ̃4(pqrs) / (λ_p λ_q λ_r λ_s)`, row-major.
    s4: Vec<f64>,
}

impl ModalCoupling {
    /// From `G2` (row-major, symmetric positive definite) and `κ4` on the multisets `ms` of
    /// order 4 of the same points.
    pub fn new(g2: &[f64], ms: &Multisets, kappa4: &[f64]) -> Result<Self> {
        if ms.order() != 4 || kappa4.len() != ms.len() {
            return Err(StudyError::Table {
                field: "kappa4",
                found: format!("{} values on multisets of order {}", kappa4.len(), ms.order()),
                expected: format!("one value per multiset of order 4 ({})", ms.len()),
            });
        }
        if let Some(v) = kappa4.iter().find(|v| !v.is_finite()) {
            return Err(StudyError::OutOfRange {
                field: "kappa4",
                value: v.to_string(),
                allowed: "finite values".into(),
            });
        }
        let modes = KernelModes::new(ms.points(), g2)?;
        let k = modes.k;
        let kappa = modes.to_modes(&DenseTensor::from_multisets(ms, kappa4));
        let lambda = &modes.eigenvalues;
        let s4 = kappa
            .iter()
            .enumerate()
            .map(|(flat, v)| -v / tuple(flat, k).iter().map(|&p| lambda[p]).product::<f64>())
            .collect();
        Ok(Self { modes, kappa4: kappa, s4 })
    }

    /// The eigenmodes of `G2`.
    pub fn modes(&self) -> &KernelModes {
        &self.modes
    }

    /// `s̃_4(pqrs)`, row-major (`p` slowest).
    pub fn coupling(&self) -> &[f64] {
        &self.s4
    }

    /// `γ_p = κ̃4(pppp) / λ_p²` per mode: the excess kurtosis of the mode's amplitude.
    pub fn excess_kurtosis(&self) -> Vec<f64> {
        let k = self.modes.k;
        (0..k).map(|p| self.kappa4[p * (k * k * k + k * k + k + 1)] / self.modes.eigenvalues[p].powi(2)).collect()
    }

    /// Per mode `p`, the share of `Σ s̃_4²` (ordered tuples) in the tuples whose smallest mode
    /// (largest index) is `p`; the shares sum to 1.
    pub fn band_shares(&self) -> Vec<f64> {
        let k = self.modes.k;
        let mut band = vec![0.0; k];
        for (flat, s) in self.s4.iter().enumerate() {
            band[tuple(flat, k).into_iter().max().unwrap_or(0)] += s * s;
        }
        let total: f64 = band.iter().sum();
        band.iter().map(|b| b / total).collect()
    }

    /// The share of `Σ s̃_4²` in the tuples with at least one leg on a mode whose
    /// `λ_p / λ_1 <` [`ROUGH_MODE_RATIO`].
    pub fn rough_share(&self) -> f64 {
        let lambda = &self.modes.eigenvalues;
        let smooth = lambda.iter().take_while(|&&l| l / lambda[0] >= ROUGH_MODE_RATIO).count();
        self.band_shares().iter().skip(smooth).sum()
    }

    /// `s_4^(m)[iiii]` per point `i`, for `m = 1..=k` (outer index `m − 1`): the diagonal of the
    /// coupling kept on the `m` largest modes (`m = k`: the whole tensor).
    pub fn projected_diagonal(&self) -> Vec<Vec<f64>> {
        let k = self.modes.k;
        let mut out = vec![vec![0.0; k]; k];
        for i in 0..k {
            let phi: Vec<f64> = (0..k).map(|p| self.modes.component(i, p)).collect();
            let mut band = vec![0.0; k];
            for (flat, s) in self.s4.iter().enumerate() {
                let t = tuple(flat, k);
                band[t[0].max(t[1]).max(t[2]).max(t[3])] += s * phi[t[0]] * phi[t[1]] * phi[t[2]] * phi[t[3]];
            }
            let mut cumulative = 0.0;
            for (m, b) in band.iter().enumerate() {
                cumulative += b;
                out[m][i] = cumulative;
            }
        }
        out
    }
}

/// The four indices of the row-major flat position `flat` of a `k⁴` tensor.
fn tuple(flat: usize, k: usize) -> [usize; 4] {
    [flat / (k * k * k), flat / (k * k) % k, flat / k % k, flat % k]
}

#[cfg(test)]
mod tests {
    use super::*;
    use nnqft_theory::{Action, Activation, FiniteWidthTheory, InputSet, Network};

    /// Agreement of two computations of one coupling in f64 on a grid whose kernel is
    /// conditioned to `cond <= 6.3e3` (erf on 8 points spaced 1): the inverse's rounding
    /// (`cond · 2⁻⁵³` per leg) stays below this relative to the largest element.
    const ROUNDING: f64 = 1e-10;

    fn grid(points: usize, h: f64) -> InputSet {
        let c = (points as f64 - 1.0) / 2.0;
        InputSet::new("grid", &(0..points).map(|i| vec![(i as f64 - c) * h]).collect::<Vec<_>>()).unwrap()
    }

    /// The coupling in modes is the action's: the action's `s_4` (amputated by its own inverse)
    /// carried into the eigenbasis equals `−κ̃4 / Π λ` element by element, the squared norms
    /// agree (the basis is orthonormal), and the diagonal kept on every mode is the action's
    /// diagonal: erf (quadrature moments, σ_b = 1) and the Cos-net on 8 points spaced 1.
    #[test]
    fn modes_reproduce_the_action() {
        for (act, sigma_b) in [(Activation::Erf, 1.0), (Activation::Cos, 0.0)] {
            let xs = grid(8, 1.0);
            let net = Network::new(act, 1, 1.0, sigma_b).unwrap();
            let th = FiniteWidthTheory::new(&net, &xs).unwrap();
            let ex = th.at_width(10).unwrap();
            let mc = ModalCoupling::new(&th.kernel, &th.multisets[1], &ex.kappa4).unwrap();
            let action = Action::reconstruct(xs.len(), &ex.g[0], &ex.kappa4, None).unwrap();
            let s4 = action.couplings(4).unwrap();
            let dense = DenseTensor::from_multisets(&th.multisets[1], s4);
            let in_modes = mc.modes().to_modes(&dense);
            let scale = in_modes.iter().fold(0.0f64, |a, v| a.max(v.abs()));
            let worst = in_modes.iter().zip(mc.coupling()).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
            assert!(worst < ROUNDING * scale, "{act:?}: {worst:e} of {scale:e}");
            let norm_points: f64 = dense.values().iter().map(|v| v * v).sum();
            let norm_modes: f64 = mc.coupling().iter().map(|v| v * v).sum();
            assert!((norm_points - norm_modes).abs() < ROUNDING * norm_points, "{act:?}");
            let diagonal = mc.projected_diagonal();
            for i in 0..xs.len() {
                let direct = s4[th.multisets[1].position(&[i; 4]).unwrap()];
                let kept = diagonal[xs.len() - 1][i];
                assert!((kept - direct).abs() < ROUNDING * scale, "{act:?} point {i}: {kept} vs {direct}");
            }
            let shares = mc.band_shares();
            assert!((shares.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
    }

    /// Answers known in closed form. A diagonal kernel `K = diag(d_i)` (distinct `d_i`, so its
    /// modes are the points, largest first) and the `κ4` of a local coupling on it,
    /// `κ4[ijkl] = 24 λ h Σ_j Π_a K[j a] = 24 λ h d_i⁴ δ_{ijkl}` (Table 5's convention): the
    /// coupling `s_4 = −24 h λ δ` sits on the modes' diagonal, one mode per tuple, so every band
    /// holds `1/k` of the norm; the mode's excess kurtosis is `κ4[iiii] / d_i² = 24 λ h d_i²`;
    /// and the coupling seen through any number `m` of modes is `λ` itself
    /// (`λ_diag^(m) / d_m`). A kernel `c I` (every mode degenerate, an arbitrary basis) gives
    /// `λ` through every `m` too.
    #[test]
    fn a_local_coupling_comes_back_through_every_mode() {
        let (lambda, h, k) = (0.03, 0.5, 5);
        let ms = Multisets::new(k, 4).unwrap();
        for (diagonal, distinct) in [(vec![3.0f64, 0.5, 2.0, 1e-3, 1.0], true), (vec![2.0; k], false)] {
            let mut g2 = vec![0.0; k * k];
            (0..k).for_each(|i| g2[i * k + i] = diagonal[i]);
            let kappa4: Vec<f64> = ms
                .iter()
                .map(|s| {
                    if s.iter().all(|&a| a == s[0]) { 24.0 * lambda * h * diagonal[s[0] as usize].powi(4) } else { 0.0 }
                })
                .collect();
            let mc = ModalCoupling::new(&g2, &ms, &kappa4).unwrap();
            let kept = mc.projected_diagonal();
            let local = mc.modes().local_diagonal();
            for m in 0..k {
                let mean = |v: &[f64]| v.iter().sum::<f64>() / k as f64;
                let coupling = -mean(&kept[m]) / (24.0 * h) / mean(&local[m]);
                assert!((coupling - lambda).abs() < 1e-12 * lambda, "m = {}: {coupling}", m + 1);
            }
            assert!((mean_of(&local[k - 1]) - 1.0).abs() < 1e-12);
            if distinct {
                let mut sorted = diagonal.clone();
                sorted.sort_by(|a, b| b.total_cmp(a));
                for (p, (share, gamma)) in mc.band_shares().iter().zip(mc.excess_kurtosis()).enumerate() {
                    assert!((share - 1.0 / k as f64).abs() < 1e-12, "mode {p}: share {share}");
                    let expected = 24.0 * lambda * h * sorted[p].powi(2);
                    assert!((gamma - expected).abs() < 1e-12 * expected, "mode {p}: {gamma} vs {expected}");
                }
            }
        }
    }

    fn mean_of(v: &[f64]) -> f64 {
        v.iter().sum::<f64>() / v.len() as f64
    }

    /// Erf's moments are a quadrature (its coarse rule differs from its fine one by 5e-9 of
    /// the largest `M4` on the locality grid, more than the fourth cumulant of the roughest
    /// modes, 5e-11), so those cumulants are checked against an independent computation: with
    /// `K = σ_b² + E[φ φ]` and `f = b + Σ_n W_n φ_n / sqrt(N)`, the amplitude of mode `p` has
    /// `κ̃4(pppp) = (3 / N) (E[c_p⁴] − E[c_p²]²)`, `c_p = Σ_i φ_p(i) erf(w x_i + b)`, `w, b ~ N(0, 1)`,
    /// here by the trapezoidal rule (spacing 0.04 on `[−9, 9]²`, exponentially convergent for
    /// this entire, Gaussian-weighted integrand; halving the spacing moved nothing at 7 digits),
    /// on the 16 points spaced 0.5 of the action study at `N = 10`. Agreement to `1e-4` relative
    /// on the four smallest modes (measured: 3e-6), and `E[c_p²] + σ_b² (Σ_i φ_p(i))² = λ_p`.
    #[test]
    fn erf_rough_mode_cumulants_match_an_independent_quadrature() {
        let (points, n) = (16, 10.0);
        let xs = grid(points, 0.5);
        let net = Network::new(Activation::Erf, 1, 1.0, 1.0).unwrap();
        let th = FiniteWidthTheory::new(&net, &xs).unwrap();
        let ex = th.at_width(10).unwrap();
        let mc = ModalCoupling::new(&th.kernel, &th.multisets[1], &ex.kappa4).unwrap();
        let gamma = mc.excess_kurtosis();
        let step = 0.04;
        let nodes: Vec<(f64, f64)> = (0..=(18.0 / step) as usize)
            .map(|i| {
                let u = -9.0 + step * i as f64;
                (u, step * (-u * u / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt())
            })
            .collect();
        let modes: Vec<usize> = (points - 4..points).collect();
        let (mut m2, mut m4) = (vec![0.0; points], vec![0.0; points]);
        for &(w, ww) in &nodes {
            for &(b, wb) in &nodes {
                let phi: Vec<f64> = xs.points().map(|x| nnqft_theory::erf(w * x[0] + b)).collect();
                for &p in &modes {
                    let c: f64 = (0..points).map(|i| mc.modes().component(i, p) * phi[i]).sum();
                    m2[p] += ww * wb * c * c;
                    m4[p] += ww * wb * c.powi(4);
                }
            }
        }
        for &p in &modes {
            let lambda = mc.modes().eigenvalues()[p];
            let ones: f64 = (0..points).map(|i| mc.modes().component(i, p)).sum();
            assert!(
                (m2[p] + ones * ones - lambda).abs() < 1e-6 * lambda,
                "mode {p}: {} vs {lambda}",
                m2[p] + ones * ones
            );
            let independent = 3.0 / n * (m4[p] - m2[p] * m2[p]);
            let theory = gamma[p] * lambda * lambda;
            assert!((theory - independent).abs() < 1e-4 * independent, "mode {p}: {theory:e} vs {independent:e}");
        }
    }

    /// Bad input: a kernel of the wrong size or not positive definite, `κ4` of the wrong length.
    #[test]
    fn bad_input_is_refused() {
        let ms = Multisets::new(2, 4).unwrap();
        let kappa = vec![0.0; ms.len()];
        assert!(ModalCoupling::new(&[1.0, 0.0, 0.0], &ms, &kappa).unwrap_err().to_string().contains("g2"));
        let singular = [1.0, 1.0, 1.0, 1.0];
        assert!(ModalCoupling::new(&singular, &ms, &kappa).unwrap_err().to_string().contains("positive definite"));
        let err = ModalCoupling::new(&[1.0, 0.0, 0.0, 1.0], &ms, &kappa[1..]).unwrap_err().to_string();
        assert!(err.contains("kappa4"), "{err}");
    }
}
