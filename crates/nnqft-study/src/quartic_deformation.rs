//! Engineering a theory: `φ⁴` realised by deforming the density of a network's parameters, and
//! the quartic coupling put in measured back by [`nnqft_theory::Action`].
//!
//! # The construction (arXiv:2307.03223, section "engineering actions")
//!
//! A network `f_θ` with parameters `θ ~ P(θ)` is a field theory whose density of outputs is
//! `p[f] = ∫ dθ P(θ) δ[f − f_θ]`. Deform the parameter density by a function of the network's
//! own outputs,
//!
//! ```text
//! P_λ(θ) = P(θ) exp(−ΔS[f_θ]) / Z_λ,   ΔS[f] = λ ∫ dᵈx f(x)⁴,
//! ```
//!
//! and, because the weight depends on `θ` only through `f_θ`, the density of outputs is deformed
//! by the same factor: `p_λ[f] = p[f] exp(−ΔS[f]) / Z_λ`, i.e. `S_λ = S + λ ∫ f⁴` **exactly**, at
//! every width (the paper's point: at infinite `N`, where `S` is the free action, this is `φ⁴`
//! theory; the deformation couples the neurons, so the parameters are no longer independent).
//!
//! On a point set (a lattice `x_1 … x_k` whose site has measure `a`: the integral
//! `∫ dᵈx → a Σ_j`; the lattice spacing in one dimension) the deformation is `ΔS = λ a Σ_j f(x_j)⁴`; in the action's convention
//! `S = Σ_n (1/n!) s_n · fⁿ` (see [`nnqft_theory::Action`]) that is
//!
//! ```text
//! Δs_4[j j j j] = 24 λ a,   Δs_4 = 0 on every other multiset,   Δs_2 = Δs_6 = 0,
//! ```
//!
//! so the coupling measured back at site `j` is `λ_j = Δs_4[jjjj] / (24 a)`, where `Δs_4` is the
//! reconstructed quartic coupling of the deformed ensemble minus that of the undeformed one.
//!
//! # Sampling: importance weights, not a Markov chain
//!
//! The deformed ensemble is sampled by reweighting our own sampler's outputs
//! ([`nnqft_sampling::Ensemble::outputs`]): net `i` gets weight `w_i = exp(−λ a Σ_j f_i(x_j)⁴)`
//! and every correlator is the self-normalised mean `Σ w_i f_i… / Σ w_i`. Why: the weight is a
//! function of the outputs alone, so reweighting is exact (no burn-in, no autocorrelation time
//! to estimate, independent nets, the sampler's seeding and thread-independence unchanged), the
//! undeformed ensemble is the same nets with `w = 1` (so `Δs_4` is a difference of two estimates
//! on the same nets, whose common noise cancels), and `0 < w ≤ 1` bounds the weights' variance.
//! A Markov chain in parameter space would only pay where the weights degenerate (an effective
//! sample size far below the nets), which is far beyond where the reconstruction holds (below):
//! there the effective sample size `ESS = (Σ w)² / Σ w²`, reported per `λ`, stays above 99 % of
//! the nets.
//!
//! # Where the reconstruction holds: the terms of order `λ²` and `λ³`
//!
//! [`nnqft_theory::Action`] inverts the Edgeworth series to a fixed order in the couplings, so
//! the measured `λ_j` carries a truncation bias. Count orders with `ε`: `s_4 ~ ε` (both the
//! network's own `1/N` and the deformation's `λ`), `s_6 ~ ε²`, `s_8 ~ ε³`. The action at order
//! `1/N²` ([`nnqft_theory::ActionOrder::Second`], used here) returns the couplings with an error of
//! order `ε³`; the change between the deformed and the undeformed ensemble keeps the terms with at
//! least one `λ`: `λ³`, `λ² s_4⁰`, `λ (s_4⁰)²` and `λ s_6⁰` (`s⁰` the undeformed couplings,
//! `~ 1/N` and `1/N²`). Every term of order `λ²` cancels: the one-loop bubble of two
//! deformation vertices in `κ4`, the tadpole in `G2` and the tree-level exchange in `κ6` are
//! exactly the second-order terms the action's `−½ Σ Y2 − ½ Σ Y1 + ½ A6 G2` subtracts.
//! (At order `1/N` they would not: there the bias is of order `λ²`.)
//!
//! On one site with variance `K` and the Gaussian undeformed density, with the dimensionless
//! coupling `g = λ a K²`, expanding the moments of `exp(−f²/2K − λ a f⁴)` in `g` and inserting
//! them in the one-point action gives
//!
//! ```text
//! order 1/N:   λ_measured / λ = 1 − 36 g + 3024 g² − …
//! order 1/N²:  λ_measured / λ = 1 − 4752 g² + 1 033 344 g³ − …
//! ```
//!
//! (the `g¹` term of the second line is zero: the `λ²` cancellation). The coefficients grow
//! fast (the series is asymptotic), so the construction holds at small `g` only: the leading
//! order-`1/N²` term is 1.9 % at `g = 2 × 10⁻³` and 48 % at `g = 10⁻²`. On the three-site
//! lattice of the tests (the Cos-net's kernel, spacing 1.5) the exact deformed Gaussian moments
//! give −2.5 % at `g = 3 × 10⁻³` (−8.6 % at order `1/N`). The column
//! `expansion_parameter` holds `g_j = λ a G2_jj²` (with the measured undeformed `G2`) so that a
//! reader sees where the expansion stops holding. The cross terms with the network's own
//! couplings are of relative size `(A4 G2²)² ~ 1/N²` and `λ A4 G2² ~ g/N` times coefficients of
//! the same kind; at `N = 100` on 2 × 10⁷ nets the couplings measured back are within 8 % (2.6
//! standard errors at most) of those put in (the ignored test of this module).
//!
//! # Statistics
//!
//! Each experiment's weighted sums (`Σ w`, and `Σ w f_t` for every multiset `t` of orders 2,
//! 4 and 6) are pooled; the correlators are the pooled ratios, their connected parts the
//! moment–cumulant formulas of a symmetric density (`f → −f` is a symmetry of every network
//! here and of the deformation), and the standard errors the delete-one jackknife over
//! experiments: `λ_j` and `Δs_4` recomputed from the pools without each experiment.
//!
//! Columns ([`deformation_table`]): `lambda` (put in), `site`, `x` (the site's coordinates),
//! `measure` (`a`), `expansion_parameter` (`g_j`), `lambda_measured`, `lambda_stderr`, `z`
//! (`(λ_measured − λ) / stderr`), `effective_sample_size`, `nets`, and `offdiagonal_max_z`
//! (the largest `|Δs_4 / stderr|` over the multisets that are not one site repeated, which the
//! deformation leaves at zero).

use crate::error::{Result, StudyError};
use crate::table::Table;
use nnqft_sampling::{Ensemble, Estimator};
use nnqft_stats::jackknife_from_replicates;
use nnqft_theory::{ACTION_SECOND_ORDER_MAX_POINTS, Action, InputSet, Multisets, Network};

/// Fewest effective nets a deformed ensemble must keep: below this the importance weights
/// have degenerated and the deformation is too strong for reweighting (and for the expansion).
pub const MIN_EFFECTIVE_SAMPLE_SIZE: f64 = 1000.0;

/// What to deform and how much to sample ([`deform_quartic`]).
#[derive(Debug, Clone, PartialEq)]
pub struct QuarticDeformation {
    /// Width `N` (>= 1) of the one-hidden-layer network.
    pub width: usize,
    /// The measure `a` (> 0) of a lattice site: `∫ dᵈx → a Σ_j` (the lattice spacing in one
    /// dimension).
    pub measure: f64,
    /// The couplings `λ` (each > 0 and finite) of the deformation `λ ∫ f⁴`.
    pub lambdas: Vec<f64>,
    /// Nets (>= 1) per experiment.
    pub nets: u64,
    /// Experiments (>= 2) for the jackknife.
    pub experiments: usize,
    /// The master seed of the sampler.
    pub seed: u64,
}

/// One site of one deformation ([`deform_quartic`]; the module docs define every field).
#[derive(Debug, Clone, PartialEq)]
pub struct DeformationRow {
    /// The coupling `λ` put in.
    pub lambda: f64,
    /// The lattice site `j`.
    pub site: usize,
    /// Its coordinates.
    pub x: Vec<f64>,
    /// The measure `a`.
    pub measure: f64,
    /// `g_j = λ a G2_jj²`.
    pub expansion_parameter: f64,
    /// `Δs_4[jjjj] / (24 a)`.
    pub lambda_measured: f64,
    /// Its jackknife standard error over experiments.
    pub lambda_stderr: f64,
    /// `(λ_measured − λ) / stderr`.
    pub z: f64,
    /// `(Σ w)² / Σ w²` over every net.
    pub effective_sample_size: f64,
    /// Nets sampled (all experiments).
    pub nets: u64,
    /// The largest `|Δs_4| / stderr` off the single-site multisets.
    pub offdiagonal_max_z: f64,
}

/// The deformed ensembles of `net` on the lattice `inputs` (module docs): samples
/// `settings.experiments × settings.nets` nets once, reweights them for every `λ`, reconstructs
/// the action at order `1/N²` of the undeformed and each deformed ensemble, and returns one row
/// per `λ` and site. Deterministic: the same seed gives the same numbers for any `threads`.
///
/// Errors name the field: a width, nets or experiments out of range, a measure or a `λ` that is
/// not positive and finite, more than [`ACTION_SECOND_ORDER_MAX_POINTS`] sites, a deformation
/// whose weights degenerate (effective sample size below [`MIN_EFFECTIVE_SAMPLE_SIZE`]), and
/// anything [`Action::reconstruct`] refuses (e.g. coincident sites).
pub fn deform_quartic(
    net: &Network,
    inputs: &InputSet,
    settings: &QuarticDeformation,
    threads: usize,
) -> Result<Vec<DeformationRow>> {
    let bad = |field: &'static str, found: String, expected: &str| StudyError::Table {
        field,
        found,
        expected: expected.into(),
    };
    if !(settings.measure.is_finite() && settings.measure > 0.0) {
        return Err(bad("measure", settings.measure.to_string(), "a number > 0 (the measure of a lattice site)"));
    }
    if settings.lambdas.is_empty() {
        return Err(bad("lambdas", "none".into(), "at least one coupling > 0"));
    }
    if let Some(l) = settings.lambdas.iter().find(|l| !(l.is_finite() && **l > 0.0)) {
        return Err(bad(
            "lambda",
            l.to_string(),
            "a number > 0 (a negative quartic deformation is not normalisable; zero is the undeformed ensemble)",
        ));
    }
    if settings.experiments < 2 {
        return Err(bad("experiments", settings.experiments.to_string(), "an integer >= 2 (the jackknife)"));
    }
    let k = inputs.len();
    if k == 0 || k > ACTION_SECOND_ORDER_MAX_POINTS {
        return Err(bad(
            "inputs",
            format!("{k} points"),
            &format!("1 to {ACTION_SECOND_ORDER_MAX_POINTS} lattice sites (the action at order 1/N^2)"),
        ));
    }
    let ensemble = Ensemble::new(
        *net,
        settings.width,
        inputs.clone(),
        settings.nets,
        settings.experiments,
        Estimator::Raw,
        settings.seed,
    )?;
    let outputs = ensemble.outputs(threads)?;
    let ms = [Multisets::new(k, 2)?, Multisets::new(k, 4)?, Multisets::new(k, 6)?];
    let total: usize = ms.iter().map(Multisets::len).sum();
    let (e, nets) = (settings.experiments, settings.nets as usize);
    let lambdas = &settings.lambdas;
    let deformations = lambdas.len() + 1; // the undeformed ensemble first
    // pools[x][l]: experiment x, deformation l: [Σ w, Σ w², Σ w f_t (orders 2, 4, 6)]
    let width = 2 + total;
    let mut pools = vec![0.0; e * deformations * width];
    let mut products = vec![0.0; total];
    let mut weights = vec![0.0; deformations];
    for x in 0..e {
        let pool = &mut pools[x * deformations * width..(x + 1) * deformations * width];
        for f in outputs[x * nets * k..(x + 1) * nets * k].chunks_exact(k) {
            products.iter_mut().for_each(|p| *p = 0.0);
            let mut offset = 0;
            for m in &ms {
                m.accumulate_products(f, 1.0, &mut products[offset..offset + m.len()]);
                offset += m.len();
            }
            let quartic: f64 = f.iter().map(|v| v * v * v * v).sum::<f64>() * settings.measure;
            weights[0] = 1.0;
            for (w, l) in weights[1..].iter_mut().zip(lambdas) {
                *w = (-l * quartic).exp();
            }
            for (l, &w) in weights.iter().enumerate() {
                let p = &mut pool[l * width..(l + 1) * width];
                p[0] += w;
                p[1] += w * w;
                for (s, v) in p[2..].iter_mut().zip(&products) {
                    *s = w.mul_add(*v, *s);
                }
            }
        }
    }
    // the pooled sums, without experiment `skip` (None: all)
    let pooled = |l: usize, skip: Option<usize>| -> Vec<f64> {
        let mut s = vec![0.0; width];
        for x in (0..e).filter(|&x| Some(x) != skip) {
            for (a, b) in s.iter_mut().zip(&pools[(x * deformations + l) * width..(x * deformations + l + 1) * width]) {
                *a += b;
            }
        }
        s
    };
    let quartic_of = |sums: &[f64]| -> Result<Vec<f64>> {
        let moments: Vec<f64> = sums[2..].iter().map(|v| v / sums[0]).collect();
        let (m2, rest) = moments.split_at(ms[0].len());
        let (m4, m6) = rest.split_at(ms[1].len());
        let (k4, k6) = symmetric_cumulants(&ms, m2, m4, m6);
        Ok(Action::reconstruct(k, m2, &k4, Some(&k6))?.couplings(4)?.to_vec())
    };
    let replicas = |l: usize| -> Result<(Vec<f64>, Vec<Vec<f64>>)> {
        let full = quartic_of(&pooled(l, None))?;
        let loo = (0..e).map(|x| quartic_of(&pooled(l, Some(x)))).collect::<Result<Vec<_>>>()?;
        Ok((full, loo))
    };
    let base_sums = pooled(0, None);
    let g2_base: Vec<f64> = base_sums[2..2 + ms[0].len()].iter().map(|v| v / base_sums[0]).collect();
    let (base, base_loo) = replicas(0)?;
    let sites: Vec<usize> = (0..k).map(|j| ms[1].position(&[j; 4]).unwrap_or(0)).collect();
    let mut rows = Vec::with_capacity(lambdas.len() * k);
    for (l, &lambda) in lambdas.iter().enumerate() {
        let sums = pooled(l + 1, None);
        let ess = sums[0] * sums[0] / sums[1];
        if ess.is_nan() || ess < MIN_EFFECTIVE_SAMPLE_SIZE {
            return Err(bad(
                "lambda",
                format!("{lambda} (effective sample size {ess:.3e})"),
                &format!(
                    "a deformation that keeps at least {MIN_EFFECTIVE_SAMPLE_SIZE} effective nets: a smaller lambda \
                     or measure"
                ),
            ));
        }
        let (full, loo) = replicas(l + 1)?;
        let delta = |q: usize| full[q] - base[q];
        let stderr =
            |q: usize| jackknife_from_replicates(&(0..e).map(|x| loo[x][q] - base_loo[x][q]).collect::<Vec<_>>());
        let offdiagonal_max_z =
            (0..ms[1].len()).filter(|q| !sites.contains(q)).map(|q| (delta(q) / stderr(q)).abs()).fold(0.0, f64::max);
        let scale = 24.0 * settings.measure;
        for (j, &q) in sites.iter().enumerate() {
            let g_jj = g2_base[ms[0].position(&[j, j]).unwrap_or(0)];
            let (measured, se) = (delta(q) / scale, stderr(q) / scale);
            rows.push(DeformationRow {
                lambda,
                site: j,
                x: inputs.point(j).to_vec(),
                measure: settings.measure,
                expansion_parameter: lambda * settings.measure * g_jj * g_jj,
                lambda_measured: measured,
                lambda_stderr: se,
                z: (measured - lambda) / se,
                effective_sample_size: ess,
                nets: settings.nets * e as u64,
                offdiagonal_max_z,
            });
        }
    }
    Ok(rows)
}

/// The connected four- and six-point functions of a density symmetric under `f → −f` from its
/// moments `m2`, `m4`, `m6` (per multiset of `ms[0..3]`): `κ4 = m4 − Σ_3 m2 m2`,
/// `κ6 = m6 − Σ_15 κ4 m2 − Σ_15 m2 m2 m2` (the sums over the ways to split the indices into
/// a pair and the rest, and into three pairs).
pub(crate) fn symmetric_cumulants(ms: &[Multisets; 3], m2: &[f64], m4: &[f64], m6: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let pair = |a: u8, b: u8| m2[ms[0].position(&[a as usize, b as usize]).unwrap_or(0)];
    let wick =
        |idx: &[u8]| -> f64 { pairings(idx).iter().map(|p| p.iter().map(|&(a, b)| pair(a, b)).product::<f64>()).sum() };
    let k4: Vec<f64> = ms[1].iter().zip(m4).map(|(set, m)| m - wick(set)).collect();
    let quartet = |idx: &[u8]| {
        let i: Vec<usize> = idx.iter().map(|&v| v as usize).collect();
        k4[ms[1].position(&i).unwrap_or(0)]
    };
    let k6: Vec<f64> = ms[2]
        .iter()
        .zip(m6)
        .map(|(set, m)| {
            let mut splits = 0.0;
            for a in 0..6 {
                for b in a + 1..6 {
                    let rest: Vec<u8> = (0..6).filter(|&c| c != a && c != b).map(|c| set[c]).collect();
                    splits += quartet(&rest) * pair(set[a], set[b]);
                }
            }
            m - splits - wick(set)
        })
        .collect();
    (k4, k6)
}

/// Every way to split the (even-length) index list `idx` into unordered pairs.
fn pairings(idx: &[u8]) -> Vec<Vec<(u8, u8)>> {
    if idx.is_empty() {
        return vec![Vec::new()];
    }
    let mut out = Vec::new();
    for b in 1..idx.len() {
        let rest: Vec<u8> = idx[1..].iter().enumerate().filter(|&(c, _)| c + 1 != b).map(|(_, &v)| v).collect();
        for mut p in pairings(&rest) {
            p.push((idx[0], idx[b]));
            out.push(p);
        }
    }
    out
}

/// The engineered-coupling table (`action_deformation.parquet`, Python's
/// `nnqft.action(..., deform_quartic=...)["deformation"]`): the columns of the module docs, one
/// row per `λ` and site.
pub fn deformation_table(rows: &[DeformationRow]) -> Table {
    let coordinates = |r: &DeformationRow| r.x.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(",");
    Table::new()
        .f64("lambda", rows.iter().map(|r| r.lambda))
        .int("site", rows.iter().map(|r| r.site as i64))
        .str("x", rows.iter().map(coordinates))
        .f64("measure", rows.iter().map(|r| r.measure))
        .f64("expansion_parameter", rows.iter().map(|r| r.expansion_parameter))
        .f64("lambda_measured", rows.iter().map(|r| r.lambda_measured))
        .f64("lambda_stderr", rows.iter().map(|r| r.lambda_stderr))
        .f64("z", rows.iter().map(|r| r.z))
        .f64("effective_sample_size", rows.iter().map(|r| r.effective_sample_size))
        .int("nets", rows.iter().map(|r| r.nets as i64))
        .f64("offdiagonal_max_z", rows.iter().map(|r| r.offdiagonal_max_z))
}

#[cfg(test)]
mod tests {
    use super::*;
    use nnqft_theory::{Activation, FiniteWidthTheory};

    /// Largest `|z|` of a coupling measured back (three standard errors, as the issue asks).
    const Z_BOUND: f64 = 3.0;
    /// Largest `|Δs_4| / stderr` off the single-site multisets (12 of them on three sites).
    const OFFDIAGONAL_Z_BOUND: f64 = 4.0;
    /// Largest `|λ_measured / λ − 1|` on 10⁶ nets (relative standard errors 3–15 %).
    const SMALL_SAMPLE_RELATIVE_BOUND: f64 = 0.5;
    /// Largest relative truncation bias (order `1/N²`) at the largest coupling put in.
    const LATTICE_BIAS_BOUND: f64 = 0.03;

    /// The lattice's measure (its spacing) and the couplings put in.
    const MEASURE: f64 = 1.5;
    const LAMBDAS: [f64; 3] = [3e-3, 5e-3, 8e-3];

    fn lattice(xs: &[f64]) -> InputSet {
        InputSet::new("lattice", &xs.iter().map(|&x| vec![x]).collect::<Vec<_>>()).unwrap()
    }

    /// The moments of orders 2, 4, 6 on `k` points of the density `N(0, K) exp(−u Σ_j f_j⁴)`
    /// (the Gaussian process deformed by `λ a Σ f⁴`, `u = λ a`), by the trapezoidal rule in
    /// whitened coordinates `f = L z` (`K = L Lᵀ`) on `[−10, 10]^k`, step 0.2 (exponentially
    /// accurate for these entire, fast-decaying integrands). No Monte Carlo.
    fn deformed_gaussian_moments(ms: &[Multisets; 3], g2: &[f64], u: f64) -> [Vec<f64>; 3] {
        let k = ms[0].points();
        let at = |a: usize, b: usize| g2[ms[0].position(&[a, b]).unwrap()];
        let mut l = vec![0.0; k * k]; // Cholesky, row-major lower
        for i in 0..k {
            for j in 0..=i {
                let s: f64 = (0..j).map(|c| l[i * k + c] * l[j * k + c]).sum();
                l[i * k + j] = if i == j { (at(i, i) - s).sqrt() } else { (at(i, j) - s) / l[j * k + j] };
            }
        }
        let nodes: Vec<f64> = (0..=100).map(|i| -10.0 + 0.2 * i as f64).collect();
        let mut sums: [Vec<f64>; 3] = [vec![0.0; ms[0].len()], vec![0.0; ms[1].len()], vec![0.0; ms[2].len()]];
        let mut total = 0.0;
        let (mut z, mut f) = (vec![0.0; k], vec![0.0; k]);
        for flat in 0..nodes.len().pow(k as u32) {
            let mut r = flat;
            for zi in z.iter_mut() {
                *zi = nodes[r % nodes.len()];
                r /= nodes.len();
            }
            for i in 0..k {
                f[i] = (0..=i).map(|c| l[i * k + c] * z[c]).sum();
            }
            let w = (-0.5 * z.iter().map(|v| v * v).sum::<f64>() - u * f.iter().map(|v| v.powi(4)).sum::<f64>()).exp();
            total += w;
            for (m, s) in ms.iter().zip(sums.iter_mut()) {
                m.accumulate_products(&f, w, s);
            }
        }
        sums.map(|s| s.into_iter().map(|v| v / total).collect())
    }

    /// `(λ_measured / λ − 1)` at each site for the Gaussian `G2` deformed by `λ a Σ f⁴`, at
    /// order `1/N` and `1/N²`, from exact (quadrature) moments.
    fn truncation_bias(ms: &[Multisets; 3], g2: &[f64], u: f64) -> (Vec<f64>, Vec<f64>) {
        let [m2, m4, m6] = deformed_gaussian_moments(ms, g2, u);
        let (k4, k6) = symmetric_cumulants(ms, &m2, &m4, &m6);
        let a = Action::reconstruct(ms[0].points(), &m2, &k4, Some(&k6)).unwrap();
        let k = ms[0].points();
        let site = |s: &[f64], j: usize| s[ms[1].position(&[j; 4]).unwrap()] / (24.0 * u) - 1.0;
        let (first, second) = (a.first_order_couplings(4).unwrap(), a.couplings(4).unwrap());
        ((0..k).map(|j| site(first, j)).collect(), (0..k).map(|j| site(second, j)).collect())
    }

    /// The Cos-net (`σ_w = 1`, kernel `½ exp(−|x − y|²/2)`) on three sites of spacing 1.5.
    fn cos_lattice() -> (Network, InputSet) {
        (Network::new(Activation::Cos, 1, 1.0, 0.0).unwrap(), lattice(&[-1.5, 0.0, 1.5]))
    }

    fn multisets(k: usize) -> [Multisets; 3] {
        [Multisets::new(k, 2).unwrap(), Multisets::new(k, 4).unwrap(), Multisets::new(k, 6).unwrap()]
    }

    /// The cumulants of a Gaussian vanish (the Wick sums are right), and on one site the
    /// truncation bias is the series of the module docs: `−4752 g²` at order `1/N²` (the `g`
    /// term cancels) and `−36 g` at order `1/N`.
    #[test]
    fn one_site_truncation_bias_is_the_derived_series() {
        let ms = multisets(3);
        let g2 = [1.3, 0.4, 0.2, 1.1, 0.3, 0.9];
        let [m2, m4, m6] = deformed_gaussian_moments(&ms, &g2, 0.0);
        let (k4, k6) = symmetric_cumulants(&ms, &m2, &m4, &m6);
        assert!(k4.iter().chain(&k6).all(|c| c.abs() < 1e-10), "{k4:?} {k6:?}");
        let ms = multisets(1);
        let g = 1e-4; // u = g with K = 1
        let (first, second) = truncation_bias(&ms, &[1.0], g);
        // next terms: +3024 g² (order 1/N) and +1 033 344 g³ (order 1/N²), 0.84 % and 2.2 % here
        let (c1, c2) = (first[0] / g, second[0] / (g * g));
        assert!((c1 + 36.0).abs() < 0.01 * 36.0, "order 1/N: {c1}");
        assert!((c2 + 4752.0).abs() < 0.03 * 4752.0, "order 1/N^2: {c2}");
        eprintln!("one site, g = {g}: bias / g = {c1:.2} (series -36), bias / g^2 = {c2:.0} (series -4752)");
    }

    /// On the three-site lattice of the Monte Carlo tests, with the Cos-net's kernel (the
    /// infinite-width ensemble, deformed): the truncation bias is linear in `g` at order `1/N`
    /// and quadratic at order `1/N²` (the `λ²` terms cancel), and at the largest coupling put in
    /// it is below [`LATTICE_BIAS_BOUND`], a third of the Monte Carlo tests' relative standard
    /// error there (8 % or more), so it cannot move a measured coupling by more than a third of a
    /// standard error.
    #[test]
    fn lattice_truncation_bias_is_quadratic_at_second_order() {
        let (net, x) = cos_lattice();
        let g2 = FiniteWidthTheory::new(&net, &x).unwrap().at_width(1).unwrap().g[0].clone();
        let ms = multisets(3);
        let u = |lambda: f64| lambda * MEASURE;
        let (f1, s1) = truncation_bias(&ms, &g2, u(1e-3));
        let (f2, s2) = truncation_bias(&ms, &g2, u(2e-3));
        let (l1, l2) = truncation_bias(&ms, &g2, u(LAMBDAS[2]));
        for j in 0..3 {
            let (r1, r2) = (f2[j] / f1[j], s2[j] / s1[j]);
            eprintln!(
                "site {j}: order 1/N bias {:.2e} -> {:.2e} (ratio {r1:.2}), order 1/N^2 {:.2e} -> {:.2e} (ratio {r2:.2}); \
                 at lambda = {}: {:.2e} (order 1/N), {:.2e} (order 1/N^2)",
                f1[j], f2[j], s1[j], s2[j], LAMBDAS[2], l1[j], l2[j]
            );
            assert!((1.8..=2.2).contains(&r1), "order 1/N not linear: {r1}");
            assert!((3.5..=4.5).contains(&r2), "order 1/N^2 not quadratic: {r2}");
            assert!(l2[j].abs() < LATTICE_BIAS_BOUND, "bias {}", l2[j]);
        }
    }

    /// The Cos-net on three sites of spacing 1.5, deformed by `λ ∫ f⁴` for the three couplings
    /// [`LAMBDAS`] by importance weights on `experiments × nets` nets of width `width`.
    fn deformed(width: usize, nets: u64, experiments: usize, threads: usize) -> Vec<DeformationRow> {
        let (net, x) = cos_lattice();
        let settings = QuarticDeformation {
            width,
            measure: MEASURE,
            lambdas: LAMBDAS.to_vec(),
            nets,
            experiments,
            seed: nnqft_sampling::DEFAULT_SEED,
        };
        let rows = deform_quartic(&net, &x, &settings, threads).unwrap();
        assert_eq!(rows.len(), 9);
        for r in &rows {
            eprintln!(
                "N = {width}, lambda {:.1e} site {} (g = {:.2e}): measured {:.4e} ± {:.1e} (z = {:+.2}), ESS {:.4e} of {}, \
                 off-diagonal max |z| {:.2}",
                r.lambda,
                r.site,
                r.expansion_parameter,
                r.lambda_measured,
                r.lambda_stderr,
                r.z,
                r.effective_sample_size,
                r.nets,
                r.offdiagonal_max_z
            );
            assert!(r.effective_sample_size < r.nets as f64 && r.effective_sample_size > 0.99 * r.nets as f64);
        }
        rows
    }

    /// The loop closes (the issue's criterion): at width 100 on 40 × 500 000 nets (relative
    /// standard errors near 3 %, where the truncation bias of 2.5 % at the largest coupling would
    /// begin to show), the quartic coupling measured back at each site within [`Z_BOUND`]
    /// standard errors of the one put in and resolved from zero, the off-diagonal couplings
    /// consistent with zero. Six minutes on two cores:
    /// `cargo test -p nnqft-study --lib quartic_deformation -- --ignored --nocapture`.
    #[test]
    #[ignore = "six minutes: 2e7 nets of width 100"]
    fn engineered_coupling_is_measured_back() {
        for r in deformed(100, 500_000, 40, 2) {
            assert!(r.z.abs() <= Z_BOUND, "{r:?}");
            assert!(r.lambda_measured > 10.0 * r.lambda_stderr, "not resolved: {r:?}");
            assert!(r.offdiagonal_max_z <= OFFDIAGONAL_Z_BOUND, "{r:?}");
        }
    }

    /// On 20 × 50 000 nets (15 s), every
    /// coupling measured back within [`SMALL_SAMPLE_RELATIVE_BOUND`] of the one put in (a sign,
    /// a factor 24 or the measure wrong would fail); and the same numbers with one thread and
    /// with three. The `z` bound is not asserted at this size:
    /// the estimator is a difference of sixth-moment functionals reweighted by `f⁴`, whose
    /// jackknife error over 20 experiments of 50 000 nets is itself uncertain by about half and
    /// anti-correlated with the estimate (measured on Gaussian samples: sd of the error 47 %,
    /// correlation −0.76, `|z| > 3` in 3.3 % of repetitions), so it is tested at scale above.
    #[test]
    fn engineered_coupling_is_measured_back_roughly_and_deterministically() {
        for r in deformed(100, 50_000, 20, 2) {
            assert!((r.lambda_measured / r.lambda - 1.0).abs() < SMALL_SAMPLE_RELATIVE_BOUND, "{r:?}");
        }
        let (two, one) = (deformed(10, 3_000, 4, 3), deformed(10, 3_000, 4, 1));
        for (r, s) in two.iter().zip(&one) {
            assert_eq!(r.lambda_measured.to_bits(), s.lambda_measured.to_bits());
            assert_eq!(r.lambda_stderr.to_bits(), s.lambda_stderr.to_bits());
        }
    }

    #[test]
    fn bad_settings_are_refused_naming_the_field() {
        let net = Network::new(Activation::Erf, 1, 1.0, 1.0).unwrap();
        let x = lattice(&[-0.5, 0.5]);
        let ok =
            QuarticDeformation { width: 10, measure: 0.5, lambdas: vec![1e-3], nets: 2000, experiments: 4, seed: 1 };
        let err = |s: QuarticDeformation, x: &InputSet| deform_quartic(&net, x, &s, 1).unwrap_err().to_string();
        assert!(err(QuarticDeformation { measure: 0.0, ..ok.clone() }, &x).contains("measure"));
        assert!(err(QuarticDeformation { lambdas: vec![-1e-3], ..ok.clone() }, &x).contains("lambda"));
        assert!(err(QuarticDeformation { lambdas: vec![f64::NAN], ..ok.clone() }, &x).contains("lambda"));
        assert!(err(QuarticDeformation { lambdas: vec![], ..ok.clone() }, &x).contains("lambdas"));
        assert!(err(QuarticDeformation { experiments: 1, ..ok.clone() }, &x).contains("experiments"));
        assert!(err(QuarticDeformation { width: 0, ..ok.clone() }, &x).contains("width"));
        let degenerate = err(QuarticDeformation { lambdas: vec![1e6], ..ok.clone() }, &x);
        assert!(degenerate.contains("effective sample size"), "{degenerate}");
        let eleven = lattice(&(0..11).map(|i| i as f64).collect::<Vec<_>>());
        assert!(err(ok.clone(), &eleven).contains("inputs"));
        assert!(err(ok.clone(), &lattice(&[0.3, 0.3])).contains("ill-conditioned"));
    }
}
