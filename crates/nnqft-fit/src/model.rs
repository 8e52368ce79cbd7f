//! The models M0..M3 of the paper's Table 5 (which of the couplings λ0, λ2, λNL are free) and the
//! losses MSE and MAPE they are fitted under.

use crate::error::{FitError, Result};

/// Which couplings a model fits.
///
/// The EFT models of Table 5 and the two losses. Sign convention (the sign of the paper's Table 5):
/// `Delta G4 = lambda0 T0 + lambda2 T2 + lambdaNL TNL`; with the action
/// `S = S_GP + int (lambda f^4 + ...)` the physical coupling is the opposite sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Model {
    /// The GP: no coupling.
    M0,
    /// `lambda0`.
    M1,
    /// `lambda0, lambda2`.
    M2,
    /// `lambda0, lambda2, lambdaNL`.
    M3,
}

impl Model {
    /// All models in order.
    pub const ALL: [Model; 4] = [Model::M0, Model::M1, Model::M2, Model::M3];
    /// Number of couplings fitted (the first `k` of `T0, T2, TNL`).
    pub fn couplings(self) -> usize {
        self as usize
    }
    /// Report name `M0` .. `M3`.
    pub fn name(self) -> &'static str {
        ["M0", "M1", "M2", "M3"][self as usize]
    }
    /// Parses `M0` .. `M3`.
    pub fn parse(s: &str) -> Result<Self> {
        Self::ALL.into_iter().find(|m| m.name().eq_ignore_ascii_case(s)).ok_or_else(|| FitError::Unknown {
            field: "model",
            value: s.into(),
            allowed: "M0, M1, M2, M3",
        })
    }
}

/// Training loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Loss {
    /// Mean squared error, weighted by multiset multiplicity: `sum w r^2 / sum w`.
    Mse,
    /// Mean absolute percentage error: `100 sum w |r / y| / sum w`.
    Mape,
}

impl Loss {
    /// Both losses.
    pub const ALL: [Loss; 2] = [Loss::Mse, Loss::Mape];
    /// Report name `mse` / `mape`.
    pub fn name(self) -> &'static str {
        match self {
            Loss::Mse => "mse",
            Loss::Mape => "mape",
        }
    }
    /// Parses `mse` / `mape`.
    pub fn parse(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "mse" => Ok(Loss::Mse),
            "mape" => Ok(Loss::Mape),
            _ => Err(FitError::Unknown { field: "loss", value: s.into(), allowed: "mse, mape" }),
        }
    }
}

impl std::str::FromStr for Model {
    type Err = crate::FitError;
    fn from_str(s: &str) -> Result<Self> {
        Model::parse(s)
    }
}

impl std::fmt::Display for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Loss {
    type Err = crate::FitError;
    fn from_str(s: &str) -> Result<Self> {
        Loss::parse(s)
    }
}

impl std::fmt::Display for Loss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
