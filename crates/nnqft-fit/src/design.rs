//! The regression design of the coupling fits: the columns `T0`, `T2`, `TNL` over the 4-pt multisets
//! with each row weighted by its multiplicity, validated once.

use crate::error::{FitError, Result};
use crate::model::Model;

/// A validated design: up to three columns, positive weights.
///
/// The regression problem: columns `T0, T2, TNL` over the multisets of the 4-pt function,
/// each row weighted by its multiplicity (the number of ordered 4-tuples it stands for, so
/// that fitting the 126 multisets equals fitting all ordered tuples), and the target
/// `Delta G4`.
#[derive(Debug, Clone, PartialEq)]
pub struct Design {
    columns: [Vec<f64>; 3],
    weights: Vec<f64>,
}

fn check_finite(what: &'static str, v: &[f64]) -> Result<()> {
    match v.iter().position(|x| !x.is_finite()) {
        Some(row) => Err(FitError::Invalid { what, row, value: v[row] }),
        None => Ok(()),
    }
}

fn check_len(what: &'static str, v: &[f64], n: usize) -> Result<()> {
    if v.len() == n { Ok(()) } else { Err(FitError::Shape { what, found: v.len(), expected: n }) }
}

impl Design {
    /// Builds a design from `T0`, `T2`, `TNL` and row weights.
    pub fn new(t0: Vec<f64>, t2: Vec<f64>, tnl: Vec<f64>, weights: Vec<f64>) -> Result<Self> {
        let n = t0.len();
        if n == 0 {
            return Err(FitError::Empty("design has no rows"));
        }
        for (what, v) in [("T2", &t2), ("TNL", &tnl), ("weights", &weights)] {
            check_len(what, v, n)?;
        }
        for (what, v) in [("T0", &t0), ("T2", &t2), ("TNL", &tnl), ("weights", &weights)] {
            check_finite(what, v)?;
        }
        if let Some(row) = weights.iter().position(|w| *w <= 0.0) {
            return Err(FitError::Invalid { what: "weights (must be > 0)", row, value: weights[row] });
        }
        Ok(Self { columns: [t0, t2, tnl], weights })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.weights.len()
    }
    /// Row weights.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }
    /// Column `j` (0: T0, 1: T2, 2: TNL).
    pub fn column(&self, j: usize) -> &[f64] {
        &self.columns[j]
    }

    /// The model's prediction `sum_j lambda_j T_j` for every row.
    pub fn predict(&self, couplings: &[f64; 3], model: Model) -> Vec<f64> {
        (0..self.rows()).map(|i| (0..model.couplings()).map(|j| couplings[j] * self.columns[j][i]).sum()).collect()
    }

    /// Checks a target vector against the design.
    pub fn check_target(&self, target: &[f64]) -> Result<()> {
        check_len("target", target, self.rows())?;
        check_finite("target", target)
    }
}
