//! The largest relative quadrature error estimate of one kind of prediction over a study's rows
//! ([`RelativeError`]): `error / |value|` over the values that are not negligible beside the
//! largest of their kind at the same `(network, L, n)`, and where it occurs. The depth study and
//! the NTK study state theirs in SUMMARY.md.

use nnqft_theory::DeepActivation;

/// A prediction whose value is at most this fraction of the largest `|value|` of the same kind
/// at the same `(network, L, n)` is negligible: a zero of the theory (`K1` at `L = 1`, relu's
/// diagonal `K1`) or a value near a change of sign, where a relative error says nothing about
/// the prediction.
pub const NEGLIGIBLE_FRACTION: f64 = 1e-3;

/// The largest relative quadrature error estimate of one kind of prediction `P` over a study's
/// rows (the depth study's [`crate::depth::DepthReport::leading_order_relative_error`], the NTK
/// study's [`crate::ntk_study::NtkStudyReport::relative_errors`]), and where it occurs.
#[derive(Debug, Clone, PartialEq)]
pub struct RelativeError<P> {
    /// The kind of prediction.
    pub prediction: P,
    /// Activation.
    pub network: DeepActivation,
    /// Depth `L`.
    pub depth: usize,
    /// Equal hidden width `n`.
    pub width: usize,
    /// The row's input indices (multiset or pair).
    pub indices: String,
    /// The predicted value.
    pub value: f64,
    /// Its quadrature error estimate.
    pub error: f64,
}

impl<P: Copy> RelativeError<P> {
    /// `error / |value|`.
    pub fn relative(&self) -> f64 {
        self.error / self.value.abs()
    }

    /// Of `entries` `(network, L, n, indices, value, error)`, the one with the largest
    /// `error / |value|` among those whose value is finite and not negligible (larger in
    /// magnitude than [`NEGLIGIBLE_FRACTION`] of the largest `|value|` of the entries at the same
    /// `(network, L, n)`); the first of equals; `None` if no entry is left.
    pub(crate) fn largest<'a>(
        prediction: P,
        entries: impl Iterator<Item = (DeepActivation, usize, usize, &'a str, f64, f64)> + Clone,
    ) -> Option<RelativeError<P>> {
        let mut scale = std::collections::HashMap::new();
        for (act, depth, width, _, value, _) in entries.clone().filter(|e| e.4.is_finite()) {
            let s = scale.entry((act, depth, width)).or_insert(0.0f64);
            *s = s.max(value.abs());
        }
        let mut best: Option<RelativeError<P>> = None;
        for (network, depth, width, indices, value, error) in entries {
            let largest = scale.get(&(network, depth, width)).copied().unwrap_or(0.0);
            if !value.is_finite() || value.abs() <= NEGLIGIBLE_FRACTION * largest {
                continue;
            }
            let candidate =
                RelativeError { prediction, network, depth, width, indices: indices.to_string(), value, error };
            if best.as_ref().is_none_or(|b| candidate.relative() > b.relative()) {
                best = Some(candidate);
            }
        }
        best
    }
}
