//! The connected 6-pt function `G6 − Σ_15 G4_c K − Wick6(K)` of measured correlators.

use crate::error::{Result, StatsError};

/// Connected 6-pt function for every order-6 multiset.
///
/// The connected 6-pt function (slides, "NGP contributions"):
///
/// `G6_c = G6 - sum_{15 splits {abcd|ef}} G4_c(abcd) K(ef) - Wick6(K)`, `G4_c = G4 - Wick4(K)`.
///
/// It equals `kappa6 ~ N^-2`. The split structure is passed in as index pairs so that this
/// crate needs no workspace dependency: `splits[15 i + s] = (position of the 4-multiset,
/// position of the pair)` for order-6 multiset `i`.
pub fn connected_six_point(
    g6: &[f64],
    g4: &[f64],
    gp4: &[f64],
    gp6: &[f64],
    k2: &[f64],
    splits: &[[u32; 2]],
) -> Result<Vec<f64>> {
    if g6.len() != gp6.len() || g4.len() != gp4.len() || splits.len() != 15 * g6.len() {
        return Err(StatsError::Shape {
            what: "connected 6-pt inputs",
            detail: format!(
                "g6 {}, gp6 {}, g4 {}, gp4 {}, splits {}",
                g6.len(),
                gp6.len(),
                g4.len(),
                gp4.len(),
                splits.len()
            ),
        });
    }
    if splits.iter().any(|[p4, p2]| *p4 as usize >= g4.len() || *p2 as usize >= k2.len()) {
        return Err(StatsError::Shape { what: "split table", detail: "index out of range".into() });
    }
    Ok(g6
        .iter()
        .zip(gp6)
        .zip(splits.chunks_exact(15))
        .map(|((g, w), sp)| {
            let four: f64 = sp.iter().map(|[p4, p2]| (g4[*p4 as usize] - gp4[*p4 as usize]) * k2[*p2 as usize]).sum();
            g - four - w
        })
        .collect())
}
