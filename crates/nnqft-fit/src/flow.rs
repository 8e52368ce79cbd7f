//! Running couplings (the paper's RG flow): per multiset
//! `lambda_m(Lambda) = Delta G4 / T0(Lambda)`, and the beta function
//! `beta(lambda) = d lambda / d log Lambda`, exactly, from the flow of `T0` with the cutoff.

use crate::error::{FitError, Result};

/// `lambda_m = delta_g4_m / t0_m` for every multiset.
pub fn running_coupling(delta_g4: &[f64], t0: &[f64]) -> Result<Vec<f64>> {
    if delta_g4.len() != t0.len() {
        return Err(FitError::Shape { what: "T0", found: t0.len(), expected: delta_g4.len() });
    }
    if delta_g4.is_empty() {
        return Err(FitError::Empty("no multisets"));
    }
    if let Some(row) = t0.iter().position(|t| *t == 0.0 || !t.is_finite()) {
        return Err(FitError::Invalid { what: "T0 (must be finite and non-zero)", row, value: t0[row] });
    }
    Ok(delta_g4.iter().zip(t0).map(|(d, t)| d / t).collect())
}

/// The beta function of every multiset's coupling, exactly:
///
/// ```text
/// beta_m = d lambda_m / d log Lambda = -Delta G4_m (dT0_m / d log Lambda) / T0_m^2
/// ```
///
/// since `Delta G4` (a correlator of the network) does not depend on the cutoff and
/// `lambda_m = Delta G4_m / T0_m(Lambda)`. `t0_flow` is `dT0 / d log Lambda` per multiset
/// (`nnqft_theory::VertexIntegrals::t0_flow`). For a `T0 ~ Lambda^p` (ReLU with `sigma_b = 0`:
/// `p = 4 + d`) this is `beta_m = -p lambda_m` at every cutoff.
pub fn beta_function(delta_g4: &[f64], t0: &[f64], t0_flow: &[f64]) -> Result<Vec<f64>> {
    let lambda = running_coupling(delta_g4, t0)?;
    if t0_flow.len() != t0.len() {
        return Err(FitError::Shape { what: "dT0/dlog Lambda", found: t0_flow.len(), expected: t0.len() });
    }
    Ok(lambda.iter().zip(t0_flow.iter().zip(t0)).map(|(l, (f, t))| -l * (f / t)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beta_of_a_power_law_is_exact() {
        // T0 = c Lambda^p: dT0/dlog Lambda = p T0, so beta_m / lambda_m = -p to rounding.
        let p = 5.0;
        for cut in [7.0, 100.0, 1e5] {
            let t0: Vec<f64> = [0.3, 1.7, 2.9].iter().map(|c: &f64| c * f64::powf(cut, p)).collect();
            let flow: Vec<f64> = t0.iter().map(|t| p * t).collect();
            let delta = [1e-3, -2e-4, 5e-5];
            let lam = running_coupling(&delta, &t0).unwrap();
            let beta = beta_function(&delta, &t0, &flow).unwrap();
            for (b, l) in beta.iter().zip(&lam) {
                assert!((b / l + p).abs() <= 4.0 * f64::EPSILON * p, "{b} / {l}");
            }
        }
        assert!(running_coupling(&[1.0], &[0.0]).is_err());
        assert!(beta_function(&[1.0], &[1.0], &[]).is_err());
    }
}
