//! Exact finite-width correlators of the one-layer networks: `G4`, `G6` and the cumulants
//! `κ4 ∝ 1/N`, `κ6 ∝ 1/N²`.

use crate::error::{Result, at_least};
use crate::input_set::InputSet;
use crate::kernel::kernel_matrix;
use crate::moments::NeuronMoments;
use crate::multiset::Multisets;
use crate::network::Network;
use crate::split::SplitTable;
use crate::wick::WickSums;

/// Width-independent theory of one network on one input set; [`Self::at_width`] gives the
/// exact correlators at any `N`.
///
/// Exact finite-width correlators (beyond the paper, which measures them). The `N` neurons
/// are i.i.d., so the cumulants of `g = f - b1` are `N` times those of one term `v phi` with
/// `v ~ N(0, sigma_w^2 / N)`; odd moments vanish and
///
/// ```text
/// κ2 = K,
/// κ4 = (σ_w⁴ / N)  [3 M4(1234) − Σ_3 M2 M2],
/// κ6 = (σ_w⁶ / N²) [15 M6 − 3 Σ_15 M4 M2 + 2 Σ_15 M2 M2 M2],
/// ```
///
/// (the coefficients are `E[v^k]/s^k = (k-1)!!` and the partition weights
/// `(-1)^{|pi|-1} (|pi|-1)!` of the moment-cumulant formula), so that
/// `G4 = Wick4(K) + kappa4` and `G6 = Wick6(K) + sum_15 kappa4 K + kappa6`.
#[derive(Debug, Clone)]
pub struct FiniteWidthTheory {
    /// Multisets of order 2, 4, 6.
    pub multisets: [Multisets; 3],
    /// The GP kernel `K` as a row-major `m x m` matrix.
    pub kernel: Vec<f64>,
    /// GP correlators (Wick sums of `K`) for n = 2, 4, 6.
    pub gp: [Vec<f64>; 3],
    /// `N kappa4`: the 4th cumulant at unit width.
    pub kappa4_unit: Vec<f64>,
    /// `N^2 kappa6`: the 6th cumulant at unit width.
    pub kappa6_unit: Vec<f64>,
    /// `N sum_15 kappa4 K` at unit width.
    pub kappa4_k_unit: Vec<f64>,
    /// The single-neuron moments used, with their accuracy.
    pub moments: NeuronMoments,
    /// The `{4|2}` split table of the input set.
    pub splits: SplitTable,
}

/// Exact correlators at one width.
#[derive(Debug, Clone)]
pub struct ExactCorrelators {
    /// The width `N`.
    pub width: usize,
    /// `G(n)` for n = 2, 4, 6 over the multisets of [`FiniteWidthTheory::multisets`].
    pub g: [Vec<f64>; 3],
    /// `kappa4 = Delta G4`.
    pub kappa4: Vec<f64>,
    /// `kappa6`: the connected 6-pt function.
    pub kappa6: Vec<f64>,
}

impl FiniteWidthTheory {
    /// Computes the kernel, the Wick sums and the single-neuron moments.
    ///
    /// Where exact theory is out of reach the error is [`crate::TheoryError::Unsupported`] (at once,
    /// naming the field and its allowed range): Erf-nets beyond `d_in = 3` (`d_in = 4` with
    /// `sigma_b = 0`), whose moment quadrature would run for hours, and ReLU-nets at
    /// `d_in = 3` with `sigma_b > 0`. Every other error is an invalid input. Gauss- and Cos-net
    /// moments are closed forms ([`NeuronMoments`]) at any `d_in`.
    pub fn new(net: &Network, inputs: &InputSet) -> Result<Self> {
        let kernel = kernel_matrix(net, inputs)?;
        let moments = NeuronMoments::compute(net, inputs)?;
        let multisets = moments.multisets.clone();
        let m = inputs.len();
        let wick = WickSums::new(m, 6)?;
        let gp: [Vec<f64>; 3] = wick.evaluate(&kernel).try_into().unwrap_or_else(|_| unreachable!("orders 2, 4, 6"));
        // M2 as a matrix for the Wick sums of the moment-cumulant formula.
        let mut m2 = vec![0.0; m * m];
        for (pos, p) in multisets[0].iter().enumerate() {
            let (a, b) = (p[0] as usize, p[1] as usize);
            m2[a * m + b] = moments.values[0][pos];
            m2[b * m + a] = moments.values[0][pos];
        }
        let (sw2, sw4) = (net.sigma_w().powi(2), net.sigma_w().powi(4));
        let wm2 = wick.evaluate(&m2);
        let w4 = &wm2[1];
        let kappa4_unit: Vec<f64> = moments.values[1].iter().zip(w4).map(|(m4, w)| sw4 * (3.0 * m4 - w)).collect();
        let splits = SplitTable::new(&multisets[2], &multisets[1], &multisets[0])?;
        let m4m2 = splits.sum(&moments.values[1], &moments.values[0]);
        let w6 = &wm2[2];
        let kappa6_unit = moments.values[2]
            .iter()
            .zip(&m4m2)
            .zip(w6)
            .map(|((m6, s), w)| sw4 * sw2 * (15.0 * m6 - 3.0 * s + 2.0 * w))
            .collect();
        let kappa4_k_unit = splits.sum(&kappa4_unit, &gp[0]);
        Ok(Self { multisets, kernel, gp, kappa4_unit, kappa6_unit, kappa4_k_unit, moments, splits })
    }

    /// The exact correlators at width `N >= 1`.
    pub fn at_width(&self, width: usize) -> Result<ExactCorrelators> {
        at_least("width", width, 1, "an integer >= 1")?;
        let n = width as f64;
        let kappa4: Vec<f64> = self.kappa4_unit.iter().map(|k| k / n).collect();
        let kappa6: Vec<f64> = self.kappa6_unit.iter().map(|k| k / (n * n)).collect();
        let g4 = self.gp[1].iter().zip(&kappa4).map(|(g, k)| g + k).collect();
        let g6 = self.gp[2].iter().zip(&self.kappa4_k_unit).zip(&kappa6).map(|((g, s), k)| g + s / n + k).collect();
        Ok(ExactCorrelators { width, g: [self.gp[0].clone(), g4, g6], kappa4, kappa6 })
    }
}
