//! Wick contractions of external points with vertex legs, enumerated to derive the diagram
//! coefficients (24, 8, 360, 720, 5400).

use crate::error::Result;
use crate::wick::perfect_matchings;

/// The topology of one Wick contraction of external points with vertex legs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contraction {
    /// For each vertex, the sorted external points joined to it.
    pub attached: Vec<Vec<usize>>,
    /// For each vertex, the number of lines from the vertex to itself.
    pub self_loops: Vec<usize>,
    /// Lines between two different vertices.
    pub vertex_links: usize,
    /// Free lines between two external points.
    pub external_pairs: Vec<(usize, usize)>,
}

/// Enumerates every Wick contraction of `n_external` points with vertices of the given leg
/// counts (one entry of `vertex_legs` per vertex).
pub fn contractions(n_external: usize, vertex_legs: &[usize]) -> Result<Vec<Contraction>> {
    let owner: Vec<Option<usize>> = (0..n_external)
        .map(|_| None)
        .chain(vertex_legs.iter().enumerate().flat_map(|(v, &k)| std::iter::repeat_n(Some(v), k)))
        .collect();
    let matchings = perfect_matchings(owner.len())?;
    Ok(matchings
        .into_iter()
        .map(|mt| {
            let mut c = Contraction {
                attached: vec![Vec::new(); vertex_legs.len()],
                self_loops: vec![0; vertex_legs.len()],
                vertex_links: 0,
                external_pairs: Vec::new(),
            };
            for (a, b) in mt {
                match (owner[a], owner[b]) {
                    (None, None) => c.external_pairs.push((a, b)),
                    (None, Some(v)) => c.attached[v].push(a),
                    (Some(v), None) => c.attached[v].push(b),
                    (Some(v), Some(w)) if v == w => c.self_loops[v] += 1,
                    (Some(_), Some(_)) => c.vertex_links += 1,
                }
            }
            c.attached.iter_mut().for_each(|v| v.sort_unstable());
            c
        })
        .collect())
}

/// The diagram coefficients of the paper's Feynman rules, each the number of Wick contractions with the
/// stated topology.
///
/// Feynman-diagram coefficients derived by enumeration. A term of first-order perturbation
/// theory contracts `n` external fields `f(x_1) ... f(x_n)` with the legs of the vertices
/// (`f(y)^k` for a local vertex; `f(x)^2 f(y)^2` for the non-local quartic vertex). Every
/// perfect matching of all fields is one Wick contraction; grouping them by topology gives
/// the coefficients of the paper's Feynman rules (24 and 360 for the quartic vertex in `G4` and
/// `G6`, 720 and 5400 for the sextic one, and the 8 of the non-local quartic vertex)
/// instead of hard-coding them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VertexCoefficients {
    /// `f^4` vertex, 4 external points all on the vertex (24).
    pub quartic_4pt: u64,
    /// `f^4` vertex in the 6-pt function, for one split `{a,b,c,d | e,f}` (24).
    pub quartic_6pt_per_split: u64,
    /// The same summed over the 15 splits (360, the slides' `360 lambda`).
    pub quartic_6pt_total: u64,
    /// `f^6` vertex, 6 external points on the vertex (720).
    pub sextic_6pt: u64,
    /// `f^6` vertex with one self-loop in the 4-pt function (360).
    pub sextic_loop_4pt: u64,
    /// `f^6` vertex with one self-loop in the 6-pt function, one split (360).
    pub sextic_loop_6pt_per_split: u64,
    /// The same over the 15 splits (5400).
    pub sextic_loop_6pt_total: u64,
    /// Non-local vertex `f(x)^2 f(y)^2`, one pairing `(ab)(cd)` (8).
    pub nonlocal_per_pairing: u64,
    /// The same over the 3 pairings (24).
    pub nonlocal_total: u64,
}

impl VertexCoefficients {
    /// Derives every coefficient by enumerating contractions.
    pub fn derive() -> Result<Self> {
        let count = |n: usize, legs: &[usize], pred: &dyn Fn(&Contraction) -> bool| -> Result<u64> {
            Ok(contractions(n, legs)?.iter().filter(|c| pred(c)).count() as u64)
        };
        let all_on_vertex = |k: usize| move |c: &Contraction| c.attached[0].len() == k;
        let split_0123 = |c: &Contraction| c.attached[0] == [0, 1, 2, 3];
        Ok(Self {
            quartic_4pt: count(4, &[4], &all_on_vertex(4))?,
            quartic_6pt_per_split: count(6, &[4], &|c| split_0123(c) && c.external_pairs.len() == 1)?,
            quartic_6pt_total: count(6, &[4], &|c| c.attached[0].len() == 4 && c.external_pairs.len() == 1)?,
            sextic_6pt: count(6, &[6], &all_on_vertex(6))?,
            sextic_loop_4pt: count(4, &[6], &|c| c.attached[0].len() == 4 && c.self_loops[0] == 1)?,
            sextic_loop_6pt_per_split: count(6, &[6], &|c| split_0123(c) && c.self_loops[0] == 1)?,
            sextic_loop_6pt_total: count(6, &[6], &|c| {
                c.attached[0].len() == 4 && c.self_loops[0] == 1 && c.external_pairs.len() == 1
            })?,
            nonlocal_per_pairing: count(4, &[2, 2], &|c| {
                (c.attached[0] == [0, 1] && c.attached[1] == [2, 3])
                    || (c.attached[0] == [2, 3] && c.attached[1] == [0, 1])
            })?,
            nonlocal_total: count(4, &[2, 2], &|c| c.attached[0].len() == 2 && c.attached[1].len() == 2)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coefficients_match_the_slides() {
        let c = VertexCoefficients::derive().unwrap();
        assert_eq!(c.quartic_4pt, 24);
        assert_eq!(c.quartic_6pt_per_split, 24);
        assert_eq!(c.quartic_6pt_total, 360);
        assert_eq!(c.sextic_6pt, 720);
        assert_eq!(c.sextic_loop_4pt, 360);
        assert_eq!(c.sextic_loop_6pt_per_split, 360);
        assert_eq!(c.sextic_loop_6pt_total, 5400);
        assert_eq!(c.nonlocal_per_pairing, 8);
        assert_eq!(c.nonlocal_total, 24);
    }

    #[test]
    fn all_matchings_are_enumerated() {
        // 4 externals + 4 legs = 8 fields: 7!! = 105 contractions in all.
        assert_eq!(contractions(4, &[4]).unwrap().len(), 105);
    }
}
