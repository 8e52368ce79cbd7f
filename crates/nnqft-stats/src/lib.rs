//! nnqft-stats (in progress).
