//! The 15 `{4 | 2}` splits of six points, per order-6 multiset.

use crate::error::{Result, TheoryError};
use crate::multiset::Multisets;

/// For every order-6 multiset, the 15 `(position in order-4 table, position in order-2 table)`.
///
/// The 15 ways to split six points into a group of four and a pair, `{a,b,c,d | e,f}`,
/// resolved to positions in the order-4 and order-2 multiset tables. Used by the exact 6-pt
/// function (`sum kappa4 K`), the connected 6-pt function and the quartic-vertex 6-pt term.
#[derive(Debug, Clone)]
pub struct SplitTable {
    entries: Vec<[u32; 2]>,
}

/// Number of `{4 | 2}` splits of six points: `C(6, 2) = 15`.
pub const SPLITS: usize = 15;

impl SplitTable {
    /// Builds the table; the three multiset tables must share the same number of points.
    pub fn new(ms6: &Multisets, ms4: &Multisets, ms2: &Multisets) -> Result<Self> {
        if ms6.order() != 6 || ms4.order() != 4 || ms2.order() != 2 {
            return Err(TheoryError::OutOfRange {
                field: "multiset orders",
                value: format!("{}, {}, {}", ms6.order(), ms4.order(), ms2.order()),
                allowed: "6, 4 and 2",
            });
        }
        let mut entries = Vec::with_capacity(ms6.len() * SPLITS);
        for ms in ms6.iter() {
            for e in 0..6 {
                for f in e + 1..6 {
                    let four: Vec<usize> = (0..6).filter(|&i| i != e && i != f).map(|i| ms[i] as usize).collect();
                    let p4 = ms4.position(&four);
                    let p2 = ms2.position(&[ms[e] as usize, ms[f] as usize]);
                    let (Some(p4), Some(p2)) = (p4, p2) else {
                        return Err(TheoryError::OutOfRange {
                            field: "multiset tables",
                            value: "different numbers of points".into(),
                            allowed: "tables over the same input set",
                        });
                    };
                    entries.push([p4 as u32, p2 as u32]);
                }
            }
        }
        Ok(Self { entries })
    }

    /// `sum over the 15 splits of four[p4] * pair[p2]`, for every order-6 multiset.
    pub fn sum(&self, four: &[f64], pair: &[f64]) -> Vec<f64> {
        self.entries
            .chunks_exact(SPLITS)
            .map(|ch| ch.iter().map(|[p4, p2]| four[*p4 as usize] * pair[*p2 as usize]).sum())
            .collect()
    }

    /// The raw `(p4, p2)` entries, 15 per order-6 multiset.
    pub fn entries(&self) -> &[[u32; 2]] {
        &self.entries
    }
}
