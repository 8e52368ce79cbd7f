//! The rows the NTK table's derivative tables share (the dNTK's, [`crate::dntk_table`], and the
//! ddNTK's, [`crate::ddntk_table`]): one row per row of the NTK table and ordered pair of
//! `(output, point)` pairs, their four key columns, and the reach both tables share.
//!
//! With `m` input points and `d_out` outputs there are `P = m d_out` pairs `p = i m + a`
//! (output `i = p / m` at input `a = p % m`). A row is the NTK's pair `(q1, q2)`, `q1 <= q2` in
//! the order of `ntk.parquet`'s rows, then an ordered pair `(r1, r2)`, every one of the `P²`:
//! `P (P + 1) / 2 · P²` rows, the NTK's pair slowest and `r2` fastest. Its keys are
//! `ntk_indices` = `a(q1),a(q2)`, `ntk_outputs` = `i(q1),i(q2)`, `indices` = `a(r1),a(r2)`,
//! `outputs` = `i(r1),i(r2)`.

use crate::error::Result;
use crate::table::Table;
use nnqft_sampling::{DDNTK_MAX_PAIRS, DNTK_MAX_PAIRS, SamplingError};
use nnqft_theory::{DeepActivation, DeepNetwork, InputSet, Multisets};

/// An `(output, point)` pair as `(i, a)`.
pub(crate) type Pair = (usize, usize);

/// The four key columns of the rows (module docs).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct PairRowKeys {
    /// `a(q1),a(q2)`.
    pub ntk_indices: Vec<String>,
    /// `i(q1),i(q2)`.
    pub ntk_outputs: Vec<String>,
    /// `a(r1),a(r2)`.
    pub indices: Vec<String>,
    /// `i(r1),i(r2)`.
    pub outputs: Vec<String>,
}

/// Calls `row(ntk, ordered)` for every row (module docs) in order, `ntk = [q1, q2]` and
/// `ordered = [r1, r2]` as `(output, point)`, and returns the rows' keys. At most
/// `DNTK_MAX_PAIRS` `m d_out` pairs (the tables check it first).
pub(crate) fn pair_rows(m: usize, d_out: usize, mut row: impl FnMut([Pair; 2], [Pair; 2])) -> PairRowKeys {
    let pairs = m * d_out;
    let label = |v: [usize; 2]| format!("{},{}", v[0], v[1]);
    let split = |p: usize| (p / m, p % m);
    let mut keys = PairRowKeys::default();
    let ntk_pairs = Multisets::new(pairs, 2).expect("at most 16 (output, point) pairs, checked by the table");
    for ntk in ntk_pairs.iter() {
        let ntk = [split(ntk[0] as usize), split(ntk[1] as usize)];
        for r1 in 0..pairs {
            for r2 in 0..pairs {
                let ordered = [split(r1), split(r2)];
                keys.ntk_indices.push(label([ntk[0].1, ntk[1].1]));
                keys.ntk_outputs.push(label([ntk[0].0, ntk[1].0]));
                keys.indices.push(label([ordered[0].1, ordered[1].1]));
                keys.outputs.push(label([ordered[0].0, ordered[1].0]));
                row(ntk, ordered);
            }
        }
    }
    keys
}

impl PairRowKeys {
    /// `keys` (the NTK table's key columns, as many rows) then `ntk_indices`, `ntk_outputs`,
    /// `indices`, `outputs`.
    pub(crate) fn into_table(self, keys: Table) -> Table {
        let t = keys.str("ntk_indices", self.ntk_indices).str("ntk_outputs", self.ntk_outputs);
        t.str("indices", self.indices).str("outputs", self.outputs)
    }
}

/// Which derivative table [`check_reach`] checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Derivative {
    /// The dNTK table ([`crate::dntk_table`]).
    Dntk,
    /// The ddNTK table ([`crate::ddntk_table`]).
    Ddntk,
}

/// The most input points of a derivative table (the theories take `O(m⁴)` expectations; the NTK
/// table's `NTK_SHIFT_MAX_POINTS`, which the dNTK's theory is built on).
pub(crate) const MAX_POINTS: usize = 8;

/// Refuses a derivative table out of reach, naming the field and its range: Gauss-net (neither
/// the sampled derivatives nor their theory implement it), more than [`MAX_POINTS`] points or
/// more than `DNTK_MAX_PAIRS` (`DDNTK_MAX_PAIRS`) `(output, point)` pairs (the rows grow as
/// `P⁴`).
pub(crate) fn check_reach(net: &DeepNetwork, inputs: &InputSet, which: Derivative) -> Result<()> {
    let (gauss, points, pairs_allowed, max_pairs) = match which {
        Derivative::Dntk => (
            "a deep activation other than gauss for the dNTK (the dNTK of Gauss-net is not implemented)",
            "1 to 8 points for the dNTK",
            "1 to 16 (output, point) pairs for the dNTK",
            DNTK_MAX_PAIRS,
        ),
        Derivative::Ddntk => (
            "a deep activation other than gauss for the ddNTK (the ddNTK of Gauss-net is not implemented)",
            "1 to 8 points for the ddNTK",
            "1 to 16 (output, point) pairs for the ddNTK",
            DDNTK_MAX_PAIRS,
        ),
    };
    if net.activation() == DeepActivation::Gauss {
        return Err(SamplingError::OutOfRange { field: "network", value: "gauss".into(), allowed: gauss }.into());
    }
    if inputs.len() > MAX_POINTS {
        return Err(SamplingError::OutOfRange {
            field: "input points",
            value: inputs.len().to_string(),
            allowed: points,
        }
        .into());
    }
    let pairs = inputs.len() * net.d_out();
    if pairs > max_pairs {
        return Err(SamplingError::OutOfRange {
            field: "input points x d_out",
            value: pairs.to_string(),
            allowed: pairs_allowed,
        }
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The message's pair limits are the sampling crate's constants.
    #[test]
    fn stated_limits_are_the_constants() {
        assert_eq!((DNTK_MAX_PAIRS, DDNTK_MAX_PAIRS, MAX_POINTS), (16, 16, 8));
    }

    /// Two points, one output: the NTK pairs (0,0), (0,1), (1,1), each with the four ordered
    /// pairs, the second of the ordered pair fastest.
    #[test]
    fn rows_are_in_the_documented_order() {
        let mut seen = Vec::new();
        let keys = pair_rows(2, 1, |ntk, ordered| seen.push((ntk, ordered)));
        assert_eq!(seen.len(), 12);
        assert_eq!(seen[1], ([(0, 0), (0, 0)], [(0, 0), (0, 1)]));
        assert_eq!(seen[4], ([(0, 0), (0, 1)], [(0, 0), (0, 0)]));
        assert_eq!(keys.ntk_indices[4], "0,1");
        assert_eq!(keys.indices[..4], ["0,0", "0,1", "1,0", "1,1"]);
        assert!(keys.outputs.iter().chain(&keys.ntk_outputs).all(|o| o == "0,0"));
    }
}
