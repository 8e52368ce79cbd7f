//! nnqft-sampling (in progress).
