//! nnqft-fit (in progress).
