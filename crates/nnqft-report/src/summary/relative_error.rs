//! How SUMMARY.md states the largest relative quadrature error estimate of a kind of prediction
//! and where it occurs (`nnqft_study::relative_error::RelativeError`): the depth and NTK sections.

use crate::markdown::sig;
use nnqft_study::relative_error::{NEGLIGIBLE_FRACTION, RelativeError};
use std::fmt::Display;

/// How the summary defines a relative quadrature error estimate.
pub(crate) fn relative_error_definition() -> String {
    format!(
        "largest relative quadrature error estimate (error / |value|, over the values larger than {NEGLIGIBLE_FRACTION:e} of the \
         largest of the same kind at the same (network, L, n))"
    )
}

/// A prediction's largest relative quadrature error estimate and where it occurs, or that none
/// was needed.
pub(crate) fn relative_error_clause<P: Copy + Display>(e: Option<&RelativeError<P>>) -> String {
    match e {
        None => "none computed".into(),
        Some(e) if e.relative() == 0.0 => format!("{} 0 (every expectation a closed form)", e.prediction),
        Some(e) => format!(
            "{} {} at {} L = {}, n = {}, indices {} (error {} of {})",
            e.prediction,
            sig(e.relative()),
            e.network.name(),
            e.depth,
            e.width,
            e.indices,
            sig(e.error),
            sig(e.value),
        ),
    }
}
