//! The density of a one-hidden-layer ensemble's outputs on a few points against the densities
//! its action predicts at each order (the GP, order `1/N`, order `1/N²`): binned on a window
//! in whitened coordinates, compared by a noise-subtracted χ² distance with a jackknife error,
//! and the distance's power law in the width `N` per order.
//!
//! # What "the density of the action" means
//!
//! [`nnqft_theory::Action`] gives `S_k(f) = −log p(f) + const` to order `1/N^k`. Two densities
//! follow from it, and neither is the obvious `exp(−S_k)` on the whole plane:
//!
//! - **Exponential form** `exp(−S_k(f))`. At order `1/N` its quartic coupling is
//!   `s_4 = −A4` (the amputated connected four-point function, negated); the ensembles here
//!   have heavy tails (`κ4 > 0`), so the quartic form is negative in some direction,
//!   `S_1 → −∞` there and `exp(−S_1)` is **not normalisable on the plane**. At order `1/N²`
//!   the sextic coupling decides, with either sign. So the exponential form is only a
//!   density on a bounded window, normalised there.
//! - **Edgeworth form**, the density whose logarithm the action expands (see `Action`'s
//!   derivation): with `z = L⁻¹ f`, `G2 = L Lᵀ` (Cholesky) and `κ_z` the cumulants with `L⁻¹`
//!   on every leg,
//!
//!   ```text
//!   p_k(z) = φ(z) [1 + κ_z4·He4/4! + (κ_z6·He6/6! + ½ (κ_z4 κ_z4)·He8/(4!)²)],
//!   ```
//!
//!   the bracket truncated after order `1/N^k`, `φ` the standard normal density in `k`
//!   dimensions and `He_t(z) = Π_a He_{c_a}(z_a)` the probabilists' Hermite polynomials (`c_a`
//!   the number of times point `a` occurs in the index tuple `t`; the dot is the sum over
//!   ordered index tuples). It integrates to 1 on the plane (every Hermite term integrates to
//!   0), its moments up to order 6 are exactly `G2`, `G4`, `G6` at order `1/N²` (tested), and
//!   `−log p_k = S_k + O(1/N^{k+1})`. It **goes negative** in the tails where the corrections
//!   exceed 1 (at `N = 2` for every network here); [`ActionDensities::negative_mass`] reports
//!   how much (`∫ max(−p_k, 0)` over the cube `|z_a| ≤` [`NEGATIVE_MASS_RADIUS`]).
//!
//! Both are compared, on the same footing: every density (measured or predicted) is taken
//! **conditional on the window** `W = [−R, R]^k` in whitened coordinates (default `R = 4`, 16
//! bins per axis), i.e. integrated over each bin (4-point Gauss–Legendre per axis) and
//! normalised to total 1 over `W`. The measured fraction of nets outside `W` is reported per
//! row (the GP's is 1.3e-4 on two points); at the orders where the expansion holds the
//! candidates put the same mass outside to the order kept, so conditioning on `W` changes
//! nothing at that order.
//!
//! # The distance
//!
//! With `p_b`, `q_b`, `g_b` the bin probabilities on `W` of the true density, the candidate
//! and the GP,
//!
//! ```text
//! D² = Σ_b (p_b − q_b)² / g_b,
//! ```
//!
//! the χ² distance measured against the Gaussian reference: the binned `∫ (p − q)² / p_G`,
//! the norm in which the Hermite terms of the Edgeworth series are orthogonal, so `D` is
//! linear in the density difference (`D ∝ N⁻¹, N⁻², N⁻³` for the GP, order `1/N`, order
//! `1/N²`) and stays defined where the Edgeworth candidate is negative (a weight `1/q_b` would
//! not). From the bin counts `c_b` of `n` nets inside `W` (multinomial given `n`), `D²` is
//! estimated without bias by
//!
//! ```text
//! D̂² = Σ_b [c_b (c_b − 1) / (n (n − 1)) − 2 q_b c_b / n + q_b²] / g_b
//! ```
//!
//! (`c_b (c_b − 1) / (n (n − 1))` is unbiased for `p_b²`): the sampling noise is subtracted,
//! so at the floor `D̂²` scatters around 0 and may be negative. Its standard error is the
//! delete-one jackknife over experiments. A distance is **resolved** when
//! `D̂² > RESOLVED_Z · stderr` ([`RESOLVED_Z`]); only resolved distances enter the power-law
//! fits ([`density_slopes`]): below that the sampling floor has taken over.
//!
//! # What the action predicts
//!
//! The action also predicts the distances themselves, without sampling: standing in for the
//! measured density with the order-`1/N²` Edgeworth density `q_2`, the predicted distance of a
//! candidate `q` is `D(q, q_2)` ([`ActionDensities::predicted`]; for the GP and order
//! `1/N`). `D` is a weighted Euclidean norm of bin differences, so by the triangle inequality the
//! measured and the predicted distance differ by at most the measured distance of order `1/N²`,
//! which falls fastest: the prediction is as good as order `1/N²` is.
//!
//! It says why the GP's distance does not fall as `N⁻¹` at `N = 5 ... 20`. With
//! `p − φ = φ (a/N + b/N² + O(N⁻³))`, `a` the `κ4 He4` terms and `b` the `κ6 He6` and
//! `κ4² He8` terms (`κ` here is `N` times the whitened cumulant, independent of `N`),
//!
//! ```text
//! D²_GP = ⟨a, a⟩/N² + 2 ⟨a, b⟩/N³ + O(N⁻⁴),   ⟨u, v⟩ = Σ_b (bin of φ u)(bin of φ v) / g_b.
//! ```
//!
//! On the whole plane `⟨u, v⟩` is `∫ φ u v`, in which Hermite polynomials of different degree
//! are orthogonal: `⟨a, b⟩ = 0`, and the local slope of `D_GP` approaches −1 at the rate `N⁻²`.
//! On the window they are not orthogonal, the cross term survives, and the slope approaches
//! −1 only at the rate `N⁻¹`: for erf on the default window the predicted local slopes are
//! −1.02 (`N` = 5 to 10), −0.96 (10 to 20), −0.97, −0.98, −0.99, −0.995 (320 to 640), and on
//! a window of radius 6 (48 bins per axis, the plane to `4e-9` of the GP's mass) −1.38, −1.14, −1.04, −1.01,
//! −1.002 (the test `gp_slope_approaches_minus_one_at_the_predicted_rate`). So erf's measured
//! slope of −0.94 from `N = 10` to `20` is what the action predicts there (−0.96), not a failure
//! of the expansion. The prediction is only as good as the order-`1/N²` density: at `N = 5` it
//! is not (erf's predicted distance 0.208 against 0.200 measured), and relu's order-`1/N²`
//! density is still 0.076 from the measured one at `N = 10`, where its measured GP slope
//! (−0.91) and the predicted one (−0.995) differ: higher orders shape it too. The study reports
//! the predicted slope at the fitted widths beside the asymptotic one, the measured and predicted
//! slopes between successive widths, and the predicted local slopes out to `N = 1280`.
//!
//! # What it shows (two points x = −0.5, 0.7, 10^7 nets per width)
//!
//! The example `action_density` prints the table. In Edgeworth form the order-`1/N` density
//! beats the GP from `N = 2` (erf, the Cos-net; relu from `N = 3`) and the order-`1/N²` one
//! beats order `1/N` from `N = 5` for erf and from `N = 10` for the Cos-net (a tie at `N = 5`)
//! and relu (erf on the three points −0.5, 0.1, 0.7 only at `N = 20`, where whitening makes the
//! non-Gaussianity larger); over `N = 5 ... 20` the distances fall with slopes near −0.95, −1.7
//! and −2.5 (erf; the Cos-net −0.99, −1.7, −2.4; relu −0.91, −1.6, −2.4). Between successive
//! widths only relu's order-`1/N` and `1/N²` slopes steepen resolvably (−1.57 to −1.69, −2.40
//! to −2.75); the GP's reaches −1 only at the rate `1/N` (above); erf's measured GP distance
//! agrees with the predicted one at `N = 10` and `20` within 3 standard errors (the study's
//! SUMMARY lists where, per network and order);
//! the order-`1/N²` distance reaches the sampling floor (`D̂² < 3` standard errors, about
//! `D < 4e-3` to `6e-3` at 10^7 nets on the default window)
//! at `N = 20` for erf and the Cos-net. The expansion fails at `N = 2`: there the
//! order-`1/N²` density is farther from the measured one than the order-`1/N` density (erf
//! `D = 0.61` against `0.31`), and negative on a mass of 1.1e-2 (erf), 2.6e-2 (Cos-net) and
//! 0.44 (relu, whose order-`1/N` density is already worse than the GP at `N = 2`). The
//! exponential form at order `1/N` is not normalisable on the plane at any width, and on the
//! window its mass piles up at the corners (`D ≫ 1`) until `N` is large enough that
//! `κ4 R⁴` is small (erf: from `N = 20` at `R = 4`, `N = 5` at `R = 3`); at order `1/N²` it
//! is normalisable but falls only like `N^-1.05` to `N^-1.24` (the window's corners again): the
//! Edgeworth form is the density the action predicts.
//!
//! The study never samples: it takes outputs handed in (`Ensemble::outputs` gives our
//! sampler's, net-major, experiment after experiment), as [`crate::analyze`] does.

use crate::error::{Result, StudyError};
use nnqft_stats::{PowerLawFit, fit_power_law_weighted, jackknife_from_replicates};
use nnqft_theory::{Action, DenseTensor, FiniteWidthTheory, InputSet, Multisets, Network};
use std::collections::BTreeMap;

/// Most points compared (the window has `bins^k` bins).
pub const DENSITY_MAX_POINTS: usize = 3;

/// A distance is resolved when its noise-subtracted square exceeds this many standard errors.
pub const RESOLVED_Z: f64 = 3.0;

/// Half-width of the cube (whitened units) over which the Edgeworth form's negative mass is
/// integrated; the GP puts 1e-15 outside it.
pub const NEGATIVE_MASS_RADIUS: f64 = 8.0;

/// Gauss–Legendre nodes and weights on `[−1, 1]` (4 points: exact for degree 7 per axis).
const GAUSS_LEGENDRE: [(f64, f64); 4] = [
    (-0.861_136_311_594_052_6, 0.347_854_845_137_453_8),
    (-0.339_981_043_584_856_3, 0.652_145_154_862_546_1),
    (0.339_981_043_584_856_3, 0.652_145_154_862_546_1),
    (0.861_136_311_594_052_6, 0.347_854_845_137_453_8),
];

/// The window `[−radius, radius]^k` in whitened coordinates and its bins per axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DensityWindow {
    /// Half-width `R` in units of the whitened standard deviation.
    pub radius: f64,
    /// Bins per axis.
    pub bins: usize,
}

impl Default for DensityWindow {
    /// `R = 4`, 16 bins per axis (bins half a standard deviation wide).
    fn default() -> Self {
        Self { radius: 4.0, bins: 16 }
    }
}

/// The order of the action a density is built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DensityOrder {
    /// The Gaussian process (`S = ½ fᵀ G2⁻¹ f`; both forms are the Gaussian).
    Gaussian,
    /// Order `1/N`.
    First,
    /// Order `1/N²`.
    Second,
}

impl DensityOrder {
    /// The three orders, lowest first.
    pub const ALL: [DensityOrder; 3] = [DensityOrder::Gaussian, DensityOrder::First, DensityOrder::Second];
    /// `GP`, `1/N`, `1/N^2`.
    pub fn name(self) -> &'static str {
        match self {
            DensityOrder::Gaussian => "GP",
            DensityOrder::First => "1/N",
            DensityOrder::Second => "1/N^2",
        }
    }
    /// The slope of the distance in `N` that the expansion predicts: −1, −2, −3.
    pub fn expected_slope(self) -> f64 {
        match self {
            DensityOrder::Gaussian => -1.0,
            DensityOrder::First => -2.0,
            DensityOrder::Second => -3.0,
        }
    }
}

/// Which density the action at an order stands for (module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DensityForm {
    /// The truncated Edgeworth series `φ (1 + Hermite terms)`: normalised on the plane, may
    /// be negative.
    Edgeworth,
    /// `exp(−S_k)` normalised on the window: positive, possibly not normalisable on the plane.
    Exponential,
}

impl DensityForm {
    /// `edgeworth` or `exp(-S)`.
    pub fn name(self) -> &'static str {
        match self {
            DensityForm::Edgeworth => "edgeworth",
            DensityForm::Exponential => "exp(-S)",
        }
    }
}

/// One Hermite term of the Edgeworth bracket: `coefficient · Π_a He_{degrees[a]}(z_a)`.
#[derive(Debug, Clone, PartialEq)]
struct HermiteTerm {
    degrees: Vec<u8>,
    coefficient: f64,
}

/// The densities an ensemble's action predicts on `k <= 3` points (module docs).
#[derive(Debug, Clone)]
pub struct ActionDensities {
    points: usize,
    window: DensityWindow,
    /// `G2 = L Lᵀ`, row-major.
    cholesky: Vec<f64>,
    /// `L⁻¹`, row-major.
    whitening: Vec<f64>,
    /// The Edgeworth bracket's terms of order `1/N` (`κ4`) and of order `1/N²` (`κ6`, `κ4²`).
    edgeworth: [Vec<HermiteTerm>; 2],
    action: Action,
}

impl ActionDensities {
    /// The densities of the one-hidden-layer network `net` at width `width` on `inputs`, from
    /// its exact correlators.
    pub fn new(net: &Network, width: usize, inputs: &InputSet, window: DensityWindow) -> Result<Self> {
        let exact = FiniteWidthTheory::new(net, inputs)?.at_width(width)?;
        Self::from_correlators(inputs.len(), &exact.g[0], &exact.kappa4, &exact.kappa6, window)
    }

    /// The densities from `G2`, `κ4` and `κ6` per multiset (orders 2, 4, 6 in [`Multisets`]
    /// order) on `points` points (1 to [`DENSITY_MAX_POINTS`]).
    pub fn from_correlators(
        points: usize,
        g2: &[f64],
        kappa4: &[f64],
        kappa6: &[f64],
        window: DensityWindow,
    ) -> Result<Self> {
        if points == 0 || points > DENSITY_MAX_POINTS {
            return Err(table_error("points", points, "1 to 3 points (the window has bins^points bins)"));
        }
        if !(window.radius.is_finite() && window.radius > 0.0) || window.bins == 0 {
            return Err(table_error(
                "window",
                format!("radius {} with {} bins", window.radius, window.bins),
                "a finite radius > 0 and at least 1 bin per axis",
            ));
        }
        // validates lengths, finiteness and the conditioning of G2
        let action = Action::reconstruct(points, g2, kappa4, Some(kappa6))?;
        let k = points;
        let ms2 = Multisets::new(k, 2)?;
        let g = DenseTensor::from_multisets(&ms2, g2).values().to_vec();
        let not_pd = || table_error("g2", "a matrix that is not positive definite", "a positive-definite G2");
        // whitening L⁻¹ with G2 = L Lᵀ (nalgebra's Cholesky factor and triangular solve)
        let lower = nalgebra::DMatrix::from_row_slice(k, k, &g).cholesky().ok_or_else(not_pd)?.l();
        let inverse = lower.solve_lower_triangular(&nalgebra::DMatrix::identity(k, k)).ok_or_else(not_pd)?;
        let row_major = |m: &nalgebra::DMatrix<f64>| -> Vec<f64> { (0..k * k).map(|i| m[(i / k, i % k)]).collect() };
        let (cholesky, whitening) = (row_major(&lower), row_major(&inverse));
        let ms4 = Multisets::new(k, 4)?;
        let ms6 = Multisets::new(k, 6)?;
        let z4 = DenseTensor::from_multisets(&ms4, kappa4).on_every_leg(&whitening).values().to_vec();
        let z6 = DenseTensor::from_multisets(&ms6, kappa6).on_every_leg(&whitening).values().to_vec();
        // the coefficient of each multiset: its number of orderings times the tensor there
        let weighted = |ms: &Multisets, dense: &[f64], scale: f64| -> Vec<(Vec<u8>, f64)> {
            ms.iter()
                .enumerate()
                .map(|(pos, set)| {
                    let flat = set.iter().fold(0, |acc, &i| acc * k + i as usize);
                    (degrees(k, set), ms.multiplicity(pos) as f64 * dense[flat] * scale)
                })
                .collect()
        };
        let first = weighted(&ms4, &z4, 1.0 / 24.0);
        let mut second: BTreeMap<Vec<u8>, f64> = BTreeMap::new();
        for (d, c) in weighted(&ms6, &z6, 1.0 / 720.0) {
            *second.entry(d).or_insert(0.0) += c;
        }
        for (d1, c1) in &first {
            for (d2, c2) in &first {
                let d: Vec<u8> = d1.iter().zip(d2).map(|(a, b)| a + b).collect();
                *second.entry(d).or_insert(0.0) += 0.5 * c1 * c2;
            }
        }
        let terms = |v: Vec<(Vec<u8>, f64)>| -> Vec<HermiteTerm> {
            v.into_iter().map(|(degrees, coefficient)| HermiteTerm { degrees, coefficient }).collect()
        };
        let edgeworth = [terms(first), terms(second.into_iter().collect())];
        Ok(Self { points: k, window, cholesky, whitening, edgeworth, action })
    }

    /// Number of points `k`.
    pub fn points(&self) -> usize {
        self.points
    }
    /// The window.
    pub fn window(&self) -> DensityWindow {
        self.window
    }
    /// The action at order `1/N²` (its order-`1/N` and GP couplings too).
    pub fn action(&self) -> &Action {
        &self.action
    }

    /// The whitened coordinates `z = L⁻¹ f` of the outputs `f` (one per point).
    pub fn whiten(&self, f: &[f64], z: &mut [f64]) {
        let k = self.points;
        for a in 0..k {
            z[a] = (0..=a).map(|i| self.whitening[a * k + i] * f[i]).sum();
        }
    }

    /// The outputs `f = L z` at whitened coordinates `z`.
    pub fn unwhiten(&self, z: &[f64], f: &mut [f64]) {
        let k = self.points;
        for a in 0..k {
            f[a] = (0..=a).map(|i| self.cholesky[a * k + i] * z[i]).sum();
        }
    }

    /// The Edgeworth density of the whitened outputs at `z` to `order` (module docs),
    /// normalised on the whole space.
    pub fn edgeworth(&self, order: DensityOrder, z: &[f64]) -> f64 {
        let k = self.points;
        let gauss =
            (-0.5 * z.iter().map(|v| v * v).sum::<f64>()).exp() / (2.0 * std::f64::consts::PI).powf(k as f64 / 2.0);
        let kept = match order {
            DensityOrder::Gaussian => 0,
            DensityOrder::First => 1,
            DensityOrder::Second => 2,
        };
        let mut he = [[0.0f64; 9]; DENSITY_MAX_POINTS];
        for (a, &za) in z.iter().enumerate() {
            he[a][0] = 1.0;
            he[a][1] = za;
            for n in 1..8 {
                he[a][n + 1] = za * he[a][n] - n as f64 * he[a][n - 1];
            }
        }
        let bracket: f64 = 1.0
            + self.edgeworth[..kept]
                .iter()
                .flatten()
                .map(|t| t.coefficient * t.degrees.iter().enumerate().map(|(a, &d)| he[a][d as usize]).product::<f64>())
                .sum::<f64>();
        gauss * bracket
    }

    /// `−S(L z)` at `order` (without its constant): the exponent of the exponential form.
    pub fn minus_action(&self, order: DensityOrder, z: &[f64]) -> Result<f64> {
        let mut f = [0.0; DENSITY_MAX_POINTS];
        self.unwhiten(z, &mut f[..self.points]);
        let f = &f[..self.points];
        Ok(-match order {
            DensityOrder::Gaussian => self.action.evaluate_gaussian(f)?,
            DensityOrder::First => self.action.evaluate_first_order(f)?,
            DensityOrder::Second => self.action.evaluate(f)?,
        })
    }

    /// The candidate's probability of each bin of the window, normalised to total 1 on the
    /// window (bins in the order of [`bin_outputs`]).
    pub fn bin_probabilities(&self, order: DensityOrder, form: DensityForm) -> Result<Vec<f64>> {
        let (k, w) = (self.points, self.window);
        let masses = match (form, order) {
            (DensityForm::Edgeworth, _) | (DensityForm::Exponential, DensityOrder::Gaussian) => {
                integrate_bins(k, w.radius, w.bins, |z| self.edgeworth(order, z))
            }
            (DensityForm::Exponential, _) => {
                // shift the exponent by its largest value on the window so exp cannot overflow
                let mut top = f64::NEG_INFINITY;
                let mut failed = None;
                integrate_bins(k, w.radius, w.bins, |z| {
                    match self.minus_action(order, z) {
                        Ok(v) => top = top.max(v),
                        Err(e) => failed = Some(e),
                    }
                    0.0
                });
                if let Some(e) = failed {
                    return Err(e);
                }
                integrate_bins(k, w.radius, w.bins, |z| {
                    self.minus_action(order, z).map_or(f64::NAN, |v| (v - top).exp())
                })
            }
        };
        let total: f64 = masses.iter().sum();
        if !(total.is_finite() && total > 0.0) {
            return Err(table_error("density", format!("total mass {total} on the window"), "a positive finite mass"));
        }
        Ok(masses.into_iter().map(|m| m / total).collect())
    }

    /// The distances ([`density_distance`]'s `D`, on the window) from the GP and from the
    /// order-`1/N` Edgeworth density to the one at order `1/N²`, which stands in for the
    /// measured density: the distances the action itself predicts, without sampling (module
    /// docs, "What the action predicts"), `[GP, order 1/N]`. Order `1/N²` has no higher order to
    /// be measured against.
    pub fn predicted(&self) -> Result<[f64; 2]> {
        let g = self.bin_probabilities(DensityOrder::Gaussian, DensityForm::Edgeworth)?;
        let first = self.bin_probabilities(DensityOrder::First, DensityForm::Edgeworth)?;
        let best = self.bin_probabilities(DensityOrder::Second, DensityForm::Edgeworth)?;
        let distance = |q: &[f64]| -> f64 {
            (0..g.len()).filter(|&b| g[b] > 0.0).map(|b| (q[b] - best[b]) * (q[b] - best[b]) / g[b]).sum::<f64>().sqrt()
        };
        Ok([distance(&g), distance(&first)])
    }

    /// `∫ max(−p, 0)` of the Edgeworth density at `order` over the cube `|z_a| <=`
    /// [`NEGATIVE_MASS_RADIUS`] (0 for the GP).
    pub fn negative_mass(&self, order: DensityOrder) -> f64 {
        let bins = (4.0 * NEGATIVE_MASS_RADIUS) as usize; // bins a quarter of a standard deviation wide
        integrate_bins(self.points, NEGATIVE_MASS_RADIUS, bins, |z| (-self.edgeworth(order, z)).max(0.0)).iter().sum()
    }

    /// Whether `exp(−S)` at `order` is normalisable on the whole space: its top coupling form
    /// (`s_4` at order `1/N`, `s_6` at `1/N²`) positive in every direction (checked on a grid
    /// of directions: every degree for two points, 2-degree steps on the sphere for three).
    pub fn exponential_normalisable(&self, order: DensityOrder) -> Result<bool> {
        let (n, s) = match order {
            DensityOrder::Gaussian => return Ok(true),
            DensityOrder::First => (4, self.action.first_order_couplings(4)?),
            DensityOrder::Second => (6, self.action.couplings(6)?),
        };
        let ms = self.action.multisets(n)?;
        let form = |u: &[f64]| -> f64 {
            ms.iter()
                .enumerate()
                .map(|(pos, set)| {
                    s[pos] * ms.multiplicity(pos) as f64 * set.iter().map(|&a| u[a as usize]).product::<f64>()
                })
                .sum()
        };
        let deg = std::f64::consts::PI / 180.0;
        Ok(match self.points {
            1 => form(&[1.0]) > 0.0,
            2 => (0..180).all(|t| form(&[(t as f64 * deg).cos(), (t as f64 * deg).sin()]) > 0.0),
            _ => (0..=90).all(|i| {
                let theta = 2.0 * i as f64 * deg;
                (0..180).all(|j| {
                    let phi = 2.0 * j as f64 * deg;
                    form(&[theta.sin() * phi.cos(), theta.sin() * phi.sin(), theta.cos()]) > 0.0
                })
            }),
        })
    }
}

/// The bin counts of an ensemble's outputs on a window, per experiment.
#[derive(Debug, Clone, PartialEq)]
pub struct BinnedOutputs {
    /// Per experiment, the count of each bin (`bins^k`, axis 0 fastest).
    pub counts: Vec<Vec<u64>>,
    /// Per experiment, the nets outside the window.
    pub outside: Vec<u64>,
}

impl BinnedOutputs {
    /// The fraction of all nets outside the window.
    pub fn outside_fraction(&self) -> f64 {
        let out: u64 = self.outside.iter().sum();
        let inside: u64 = self.counts.iter().flatten().sum();
        out as f64 / (out + inside) as f64
    }
}

/// Bins `outputs` (net-major, `k` values per net, `experiments` equal blocks of nets one after
/// the other) in the whitened coordinates of `densities` on its window.
pub fn bin_outputs(densities: &ActionDensities, outputs: &[f64], experiments: usize) -> Result<BinnedOutputs> {
    let k = densities.points;
    let w = densities.window;
    if experiments < 2 || !outputs.len().is_multiple_of(k * experiments) || outputs.is_empty() {
        return Err(table_error(
            "outputs",
            format!("{} values in {experiments} experiments", outputs.len()),
            "at least 2 experiments of equally many nets, one value per point and net",
        ));
    }
    if let Some(v) = outputs.iter().find(|v| !v.is_finite()) {
        return Err(table_error("outputs", v, "finite values"));
    }
    let per = outputs.len() / experiments;
    let h = 2.0 * w.radius / w.bins as f64;
    let mut binned =
        BinnedOutputs { counts: vec![vec![0; w.bins.pow(k as u32)]; experiments], outside: vec![0; experiments] };
    let mut z = [0.0; DENSITY_MAX_POINTS];
    for (e, block) in outputs.chunks_exact(per).enumerate() {
        for f in block.chunks_exact(k) {
            densities.whiten(f, &mut z[..k]);
            let mut index = 0;
            let mut stride = 1;
            let mut inside = true;
            for &za in &z[..k] {
                let cell = ((za + w.radius) / h).floor();
                if !(0.0..w.bins as f64).contains(&cell) {
                    inside = false;
                    break;
                }
                index += cell as usize * stride;
                stride *= w.bins;
            }
            if inside {
                binned.counts[e][index] += 1;
            } else {
                binned.outside[e] += 1;
            }
        }
    }
    Ok(binned)
}

/// The noise-subtracted χ² distance between the measured density and a candidate (module
/// docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DensityDistance {
    /// The unbiased estimate `D̂²` (may be negative at the sampling floor).
    pub squared: f64,
    /// Its delete-one jackknife standard error over experiments.
    pub squared_stderr: f64,
    /// `D = sqrt(max(D̂², 0))`.
    pub distance: f64,
    /// Its standard error `stderr(D̂²) / (2 D)` where resolved, else NaN.
    pub distance_stderr: f64,
    /// Whether `D̂² > RESOLVED_Z · stderr` (above the sampling floor).
    pub resolved: bool,
}

/// `D̂²` and its jackknife error from the bin counts, the candidate's bin probabilities `q`
/// and the GP's `g` (module docs).
pub fn density_distance(binned: &BinnedOutputs, q: &[f64], g: &[f64]) -> Result<DensityDistance> {
    let bins = q.len();
    if g.len() != bins || binned.counts.iter().any(|c| c.len() != bins) {
        return Err(table_error("bin probabilities", q.len(), "one per bin of the window"));
    }
    let mut total = vec![0u64; bins];
    for c in &binned.counts {
        for (t, v) in total.iter_mut().zip(c) {
            *t += v;
        }
    }
    let estimate = |counts: &dyn Fn(usize) -> f64| -> f64 {
        let n: f64 = (0..bins).map(counts).sum();
        (0..bins)
            .filter(|&b| g[b] > 0.0)
            .map(|b| {
                let c = counts(b);
                (c * (c - 1.0) / (n * (n - 1.0)) - 2.0 * q[b] * c / n + q[b] * q[b]) / g[b]
            })
            .sum()
    };
    let squared = estimate(&|b| total[b] as f64);
    let replicates: Vec<f64> =
        binned.counts.iter().map(|left_out| estimate(&|b| (total[b] - left_out[b]) as f64)).collect();
    let squared_stderr = jackknife_from_replicates(&replicates);
    let resolved = squared > RESOLVED_Z * squared_stderr;
    let distance = squared.max(0.0).sqrt();
    let distance_stderr = if resolved { squared_stderr / (2.0 * distance) } else { f64::NAN };
    Ok(DensityDistance { squared, squared_stderr, distance, distance_stderr, resolved })
}

/// One comparison: a network at a width, an order and a form.
#[derive(Debug, Clone, PartialEq)]
pub struct DensityRow {
    /// The network's name (`erf`, `relu`, `cos`, ...).
    pub network: String,
    /// The width `N`.
    pub width: usize,
    /// The order of the action.
    pub order: DensityOrder,
    /// Which density of the action.
    pub form: DensityForm,
    /// The distance to the measured density.
    pub distance: DensityDistance,
    /// The Edgeworth form's negative mass ([`ActionDensities::negative_mass`]); `None` for
    /// the exponential form.
    pub negative_mass: Option<f64>,
    /// Whether the exponential form is normalisable on the whole space (always for the GP and
    /// the Edgeworth form).
    pub normalisable: bool,
    /// The fraction of sampled nets outside the window.
    pub outside: f64,
    /// Nets compared.
    pub nets: u64,
    /// The distance the action itself predicts ([`ActionDensities::predicted`]): from this candidate
    /// to the order-`1/N²` Edgeworth density standing in for the measured one; `None` for
    /// the order-`1/N²` rows and the exponential form.
    pub predicted: Option<f64>,
}

/// Compares the density of `outputs` (net-major, `experiments` blocks; module docs) of the
/// network `net` at width `width` on `inputs` with its action's densities at every order and
/// in both forms (the GP once): five rows.
pub fn compare_densities(
    net: &Network,
    width: usize,
    inputs: &InputSet,
    outputs: &[f64],
    experiments: usize,
    window: DensityWindow,
) -> Result<Vec<DensityRow>> {
    let densities = ActionDensities::new(net, width, inputs, window)?;
    let binned = bin_outputs(&densities, outputs, experiments)?;
    let gp = densities.bin_probabilities(DensityOrder::Gaussian, DensityForm::Edgeworth)?;
    let [predicted_gp, predicted_first] = densities.predicted()?;
    let outside = binned.outside_fraction();
    let nets = (outputs.len() / inputs.len()) as u64;
    let mut rows = Vec::with_capacity(5);
    for order in DensityOrder::ALL {
        let forms: &[DensityForm] = if order == DensityOrder::Gaussian {
            &[DensityForm::Edgeworth]
        } else {
            &[DensityForm::Edgeworth, DensityForm::Exponential]
        };
        for &form in forms {
            let q = densities.bin_probabilities(order, form)?;
            let (negative_mass, normalisable) = match form {
                DensityForm::Edgeworth => (Some(densities.negative_mass(order)), true),
                DensityForm::Exponential => (None, densities.exponential_normalisable(order)?),
            };
            let predicted = match (form, order) {
                (DensityForm::Edgeworth, DensityOrder::Gaussian) => Some(predicted_gp),
                (DensityForm::Edgeworth, DensityOrder::First) => Some(predicted_first),
                _ => None,
            };
            rows.push(DensityRow {
                network: net.activation().name().to_string(),
                width,
                order,
                form,
                distance: density_distance(&binned, &q, &gp)?,
                negative_mass,
                normalisable,
                outside,
                nets,
                predicted,
            });
        }
    }
    Ok(rows)
}

/// The power law of the distance in `N` for one network, order and form.
#[derive(Debug, Clone, PartialEq)]
pub struct DensitySlope {
    /// The network's name.
    pub network: String,
    /// The order.
    pub order: DensityOrder,
    /// The form.
    pub form: DensityForm,
    /// The widths whose distance is resolved (the fit's points).
    pub widths: Vec<usize>,
    /// `log10 D` on `log10 N` over the resolved widths, weighted by the distances' standard
    /// errors (`nnqft_stats::fit_power_law_weighted`: the 95% interval from those errors,
    /// widened by the Birge ratio when the widths scatter more than they allow; `None` with
    /// fewer than 2 widths).
    pub fit: Option<PowerLawFit>,
    /// The same weighted fit of the predicted distances ([`DensityRow::predicted`]) at the
    /// same widths: the slope the action predicts at these widths, which tends to
    /// [`DensityOrder::expected_slope`] only as `N` grows (`None` where nothing is predicted).
    pub predicted: Option<PowerLawFit>,
}

/// Fits `D ∝ N^slope` per (network, order, form) of `rows`, over the resolved distances at
/// widths `N >= min_width` only (the asymptotic slope shows only once the next order is small;
/// at `N = 2` it is not).
pub fn density_slopes(rows: &[DensityRow], min_width: usize) -> Vec<DensitySlope> {
    let mut keys: Vec<(String, DensityOrder, DensityForm)> = Vec::new();
    for r in rows {
        let key = (r.network.clone(), r.order, r.form);
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys.into_iter()
        .map(|(network, order, form)| {
            let used: Vec<&DensityRow> = rows
                .iter()
                .filter(|r| {
                    r.network == network
                        && r.order == order
                        && r.form == form
                        && r.distance.resolved
                        && r.width >= min_width
                })
                .collect();
            let x: Vec<f64> = used.iter().map(|r| r.width as f64).collect();
            let y: Vec<f64> = used.iter().map(|r| r.distance.distance).collect();
            let e: Vec<f64> = used.iter().map(|r| r.distance.distance_stderr).collect();
            let fit = fit_power_law_weighted(&x, &y, &e).ok();
            let predicted = used
                .iter()
                .map(|r| r.predicted)
                .collect::<Option<Vec<f64>>>()
                .and_then(|p| fit_power_law_weighted(&x, &p, &e).ok());
            DensitySlope { network, order, form, widths: used.iter().map(|r| r.width).collect(), fit, predicted }
        })
        .collect()
}

/// The predicted distance of one order at one width ([`predicted_distances`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PredictedDistance {
    /// The network's name.
    pub network: String,
    /// The order (the GP or order `1/N`; Edgeworth form).
    pub order: DensityOrder,
    /// The width `N`.
    pub width: usize,
    /// [`ActionDensities::predicted`].
    pub distance: f64,
    /// `log(D_N / D_M) / log(N / M)` from the previous width `M` of the scan (`None` at the
    /// first): the predicted local slope, which tends to [`DensityOrder::expected_slope`].
    pub local_slope: Option<f64>,
}

/// The distance the action predicts ([`ActionDensities::predicted`]) for the GP and
/// order `1/N` of the one-hidden-layer network `net` on `inputs`, over `widths` (ascending), with
/// the local slope between successive widths: where the asymptotic slope sets in, without
/// sampling (module docs, "What the action predicts").
pub fn predicted_distances(
    net: &Network,
    inputs: &InputSet,
    window: DensityWindow,
    widths: &[usize],
) -> Result<Vec<PredictedDistance>> {
    if widths.is_empty() || widths.windows(2).any(|w| w[0] >= w[1]) {
        return Err(table_error("widths", crate::table::joined(widths), "at least one width, strictly ascending"));
    }
    let mut by_width = Vec::with_capacity(widths.len());
    for &width in widths {
        by_width.push(ActionDensities::new(net, width, inputs, window)?.predicted()?);
    }
    let mut out = Vec::with_capacity(2 * widths.len());
    for (i, order) in [DensityOrder::Gaussian, DensityOrder::First].into_iter().enumerate() {
        for (w, (&width, distances)) in widths.iter().zip(&by_width).enumerate() {
            let distance = distances[i];
            let local_slope =
                (w > 0).then(|| (distance / by_width[w - 1][i]).ln() / (width as f64 / widths[w - 1] as f64).ln());
            out.push(PredictedDistance {
                network: net.activation().name().to_string(),
                order,
                width,
                distance,
                local_slope,
            });
        }
    }
    Ok(out)
}

/// Per-bin integrals of `density` over the `bins^k` bins of `[−radius, radius]^k` (axis 0
/// fastest), by the 4-point Gauss–Legendre rule per axis in each bin.
fn integrate_bins(k: usize, radius: f64, bins: usize, mut density: impl FnMut(&[f64]) -> f64) -> Vec<f64> {
    let h = 2.0 * radius / bins as f64;
    let total = bins.pow(k as u32);
    let nodes = GAUSS_LEGENDRE.len().pow(k as u32);
    let scale = (h / 2.0).powi(k as i32);
    let mut z = [0.0; DENSITY_MAX_POINTS];
    (0..total)
        .map(|b| {
            let mut sum = 0.0;
            for node in 0..nodes {
                let (mut rb, mut rn, mut weight) = (b, node, scale);
                for za in z.iter_mut().take(k) {
                    let (x, w) = GAUSS_LEGENDRE[rn % GAUSS_LEGENDRE.len()];
                    *za = -radius + ((rb % bins) as f64 + 0.5 + 0.5 * x) * h;
                    weight *= w;
                    rb /= bins;
                    rn /= GAUSS_LEGENDRE.len();
                }
                sum += weight * density(&z[..k]);
            }
            sum
        })
        .collect()
}

/// How many times each point occurs in a multiset.
fn degrees(k: usize, set: &[u8]) -> Vec<u8> {
    let mut d = vec![0u8; k];
    for &a in set {
        d[a as usize] += 1;
    }
    d
}

fn table_error(field: &'static str, found: impl ToString, expected: &str) -> StudyError {
    StudyError::Table { field, found: found.to_string(), expected: expected.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nnqft_sampling::{Ensemble, Estimator};
    use nnqft_theory::Activation;

    /// Quadrature error allowed on the moments of the Edgeworth density (a box of radius 10,
    /// 4-point Gauss–Legendre in bins a fifth of a standard deviation wide).
    const MOMENT_TOLERANCE: f64 = 1e-9;

    fn two_points() -> InputSet {
        InputSet::new("two", &[vec![-0.5], vec![0.7]]).unwrap()
    }

    /// The Edgeworth density at order 1/N² has total mass 1 and moments G2, G4, G6 equal to
    /// the exact ones (the truncated bracket's κ4² term only reaches moments of order 8): the
    /// whitening, the Hermite terms and their coefficients, without Monte Carlo.
    #[test]
    fn edgeworth_moments_are_the_exact_correlators() {
        let net = Network::new(Activation::Erf, 1, 1.0, 1.0).unwrap();
        let x = two_points();
        let exact = FiniteWidthTheory::new(&net, &x).unwrap().at_width(3).unwrap();
        let d = ActionDensities::new(&net, 3, &x, DensityWindow::default()).unwrap();
        for (n, g) in [(2usize, &exact.g[0]), (4, &exact.g[1]), (6, &exact.g[2])] {
            let ms = Multisets::new(2, n).unwrap();
            for (pos, set) in ms.iter().enumerate() {
                let mass: f64 = integrate_bins(2, 10.0, 100, |z| {
                    let mut f = [0.0; 2];
                    d.unwhiten(z, &mut f);
                    d.edgeworth(DensityOrder::Second, z) * set.iter().map(|&a| f[a as usize]).product::<f64>()
                })
                .iter()
                .sum();
                assert!(
                    (mass - g[pos]).abs() < MOMENT_TOLERANCE * g[pos].abs().max(1.0),
                    "G{n} at {set:?}: {mass} vs {}",
                    g[pos]
                );
            }
        }
        let total: f64 = integrate_bins(2, 10.0, 100, |z| d.edgeworth(DensityOrder::Second, z)).iter().sum();
        assert!((total - 1.0).abs() < MOMENT_TOLERANCE);
    }

    /// On three points the Edgeworth density at order 1/N² has the exact `G2`, `G4`, `G6`
    /// along four directions `u` (`∫ (u·f)^n p = Σ G_n u^n`; bins one standard deviation wide,
    /// so the tolerance is `THREE_POINT_TOLERANCE`), and the window has `16³` bins.
    #[test]
    fn three_point_edgeworth_moments() {
        const THREE_POINT_TOLERANCE: f64 = 1e-6;
        let net = Network::new(Activation::Erf, 1, 1.0, 1.0).unwrap();
        let x = InputSet::new("three", &[vec![-0.5], vec![0.1], vec![0.7]]).unwrap();
        let exact = FiniteWidthTheory::new(&net, &x).unwrap().at_width(4).unwrap();
        let d = ActionDensities::new(&net, 4, &x, DensityWindow::default()).unwrap();
        assert_eq!(d.bin_probabilities(DensityOrder::First, DensityForm::Edgeworth).unwrap().len(), 16 * 16 * 16);
        for u in [[1.0, 0.0, 0.0], [0.3, -0.8, 0.5], [0.6, 0.6, 0.6], [-0.2, 0.4, 0.9]] {
            for (n, g) in [(2usize, &exact.g[0]), (4, &exact.g[1]), (6, &exact.g[2])] {
                let ms = Multisets::new(3, n).unwrap();
                let expected: f64 = ms
                    .iter()
                    .enumerate()
                    .map(|(pos, set)| {
                        g[pos] * ms.multiplicity(pos) as f64 * set.iter().map(|&a| u[a as usize]).product::<f64>()
                    })
                    .sum();
                let moment: f64 = integrate_bins(3, 8.0, 16, |z| {
                    let mut f = [0.0; 3];
                    d.unwhiten(z, &mut f);
                    let uf: f64 = f.iter().zip(&u).map(|(a, b)| a * b).sum();
                    d.edgeworth(DensityOrder::Second, z) * uf.powi(n as i32)
                })
                .iter()
                .sum();
                assert!(
                    (moment - expected).abs() < THREE_POINT_TOLERANCE * expected.abs().max(1.0),
                    "G{n} along {u:?}: {moment} vs {expected}"
                );
            }
        }
    }

    /// Sampled erf nets (sigma_w = sigma_b = 1, x = −0.5, 0.7) at N = 2 and N = 10, 10
    /// experiments of 10^5 nets each (fixed seeds), Edgeworth forms on the default window:
    /// - the order-`1/N` density is closer than the GP at both widths, by more than `ORDER_Z`
    ///   combined standard errors of `D̂²`, and the order-`1/N²` one closer still at N = 10
    ///   (`D̂²` smaller; the difference is about 3 standard errors at these sizes);
    /// - at N = 2 the series has failed: the order-`1/N²` density is farther than the
    ///   order-`1/N` one (by more than `ORDER_Z` errors) and negative on a mass above
    ///   `FAILED_NEGATIVE_MASS` (1.1e-2 measured);
    /// - the GP's distance falls from N = 2 to N = 10 by the factor 5 that `D ∝ 1/N` predicts,
    ///   within `[GP_RATIO_LO, GP_RATIO_HI]` (the next order shifts it at N = 2 by a relative
    ///   amount of order 1/N; 4.5 measured), and the order-`1/N` distance by more than
    ///   `FIRST_OVER_GP` times that factor (25 predicted, 12.7 measured at these widths).
    #[test]
    fn distances_fall_with_every_order_and_with_width() {
        const ORDER_Z: f64 = 3.0;
        const FAILED_NEGATIVE_MASS: f64 = 1e-3;
        const GP_RATIO_LO: f64 = 3.0;
        const GP_RATIO_HI: f64 = 8.0;
        const FIRST_OVER_GP: f64 = 1.5;
        let net = Network::new(Activation::Erf, 1, 1.0, 1.0).unwrap();
        let x = two_points();
        let mut distances = Vec::new();
        for (width, seed) in [(2usize, 20_261_206u64), (10, 20_261_207)] {
            let outputs =
                Ensemble::new(net, width, x.clone(), 100_000, 10, Estimator::Raw, seed).unwrap().outputs(2).unwrap();
            let rows = compare_densities(&net, width, &x, &outputs, 10, DensityWindow::default()).unwrap();
            let d: Vec<DensityDistance> =
                rows.iter().filter(|r| r.form == DensityForm::Edgeworth).map(|r| r.distance).collect();
            let z = |hi: &DensityDistance, lo: &DensityDistance| {
                (hi.squared - lo.squared) / hi.squared_stderr.hypot(lo.squared_stderr)
            };
            assert!(z(&d[0], &d[1]) > ORDER_Z, "N={width}: GP {:?} vs 1/N {:?}", d[0], d[1]);
            if width == 2 {
                assert!(z(&d[2], &d[1]) > ORDER_Z, "N=2: 1/N^2 {:?} not farther than 1/N {:?}", d[2], d[1]);
                let negative = rows.iter().find(|r| r.order == DensityOrder::Second).and_then(|r| r.negative_mass);
                assert!(negative.is_some_and(|m| m > FAILED_NEGATIVE_MASS), "N=2 negative mass {negative:?}");
            } else {
                assert!(d[2].squared < d[1].squared, "N={width}: 1/N^2 {:?} vs 1/N {:?}", d[2], d[1]);
            }
            assert!(d[0].resolved && d[1].resolved, "N={width}: {d:?}");
            if width == 10 {
                // triangle inequality: |D(p, q) − D(q_2, q)| <= D(p, q_2), with D(p, q_2) bounded
                // above by its estimate plus `ORDER_Z` errors of D̂²
                let second = (d[2].squared.max(0.0) + ORDER_Z * d[2].squared_stderr).sqrt();
                for (row, measured) in rows.iter().filter(|r| r.form == DensityForm::Edgeworth).zip(&d).take(2) {
                    let predicted = row.predicted.unwrap();
                    let gap = (measured.distance - predicted).abs();
                    assert!(
                        gap < second + ORDER_Z * measured.distance_stderr,
                        "N=10 {}: measured {measured:?}, predicted {predicted}, D(p, q_2) below {second}",
                        row.order.name()
                    );
                }
                assert!(
                    rows.iter().all(|r| r.predicted.is_some()
                        == (r.form == DensityForm::Edgeworth && r.order != DensityOrder::Second))
                );
            }
            distances.push(d);
        }
        let gp = distances[0][0].distance / distances[1][0].distance;
        let first = distances[0][1].distance / distances[1][1].distance;
        assert!((GP_RATIO_LO..GP_RATIO_HI).contains(&gp), "GP distance ratio N=2 / N=10: {gp}");
        assert!(first > FIRST_OVER_GP * gp, "order-1/N distance ratio {first} vs the GP's {gp}");
    }

    /// The predicted local slope of the GP's distance (erf, x = −0.5, 0.7) tends to −1 at the
    /// rate the module docs derive: on the default window (|z| <= 4) its gap to −1 halves from
    /// one doubling of N to the next (rate 1/N: the cross term of the 1/N and 1/N² parts of the
    /// density, which the window leaves non-orthogonal), on a window of radius 6 (the plane to
    /// 4e-9 of the GP's mass) it falls by four (rate 1/N²: orthogonal Hermite terms). The
    /// predicted order-1/N distance falls as N⁻² to within `FIRST_SLOPE` from N = 40 on.
    #[test]
    fn gp_slope_approaches_minus_one_at_the_predicted_rate() {
        const RATE: f64 = 0.15;
        const FIRST_SLOPE: f64 = 0.02;
        let net = Network::new(Activation::Erf, 1, 1.0, 1.0).unwrap();
        let x = two_points();
        let widths = [40, 80, 160, 320, 640, 1280];
        for (window, rate) in [(DensityWindow::default(), 2.0), (DensityWindow { radius: 6.0, bins: 48 }, 4.0)] {
            let rows = predicted_distances(&net, &x, window, &widths).unwrap();
            let gaps: Vec<f64> = rows
                .iter()
                .filter(|r| r.order == DensityOrder::Gaussian)
                .filter_map(|r| r.local_slope.map(|s| s + 1.0))
                .collect();
            assert_eq!(gaps.len(), widths.len() - 1);
            for pair in gaps.windows(2) {
                let ratio = pair[0] / pair[1];
                assert!((ratio - rate).abs() < RATE * rate, "window {window:?}: gaps {gaps:?}, ratio {ratio}");
            }
            for r in rows.iter().filter(|r| r.order == DensityOrder::First) {
                if let Some(slope) = r.local_slope {
                    assert!((slope + 2.0).abs() < FIRST_SLOPE, "window {window:?}: order 1/N {r:?}");
                }
            }
        }
        assert!(predicted_distances(&net, &x, DensityWindow::default(), &[10, 5]).is_err());
        assert!(predicted_distances(&net, &x, DensityWindow::default(), &[]).is_err());
    }

    /// Bad input is refused, naming the field.
    #[test]
    fn bad_input_is_refused() {
        let net = Network::new(Activation::Erf, 1, 1.0, 1.0).unwrap();
        let x = two_points();
        let d = ActionDensities::new(&net, 5, &x, DensityWindow::default()).unwrap();
        assert!(bin_outputs(&d, &[0.0; 6], 2).is_err()); // 3 nets in 2 experiments
        assert!(bin_outputs(&d, &[0.0; 4], 1).is_err()); // one experiment: no jackknife
        assert!(ActionDensities::new(&net, 5, &x, DensityWindow { radius: 0.0, bins: 4 }).is_err());
        let four = InputSet::new("four", &[vec![-0.5], vec![0.1], vec![0.4], vec![0.7]]).unwrap();
        assert!(ActionDensities::new(&net, 5, &four, DensityWindow::default()).is_err());
    }
}
