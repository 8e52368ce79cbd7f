//! The seeding scheme. Every `(experiment, chunk)` work item draws from its own generator,
//! seeded from the key
//!
//! `key = splitmix64(splitmix64(master) ^ experiment) ^ (chunk * 0x9E37_79B9_7F4A_7C15)`:
//!
//! - [`lanes`] (the default): xoshiro256++ lanes whose 64 state words are the
//!   SplitMix64 sequence `splitmix64(key + i φ)`, `i = 0..64`, `φ = 0x9E37_79B9_7F4A_7C15`, lane
//!   after lane, as the xoshiro authors recommend for seeding;
//! - [`stream`] (the reference path): a `Pcg64Mcg` with the 128-bit state
//!   `(splitmix64(key) << 64) | splitmix64(key + 1)`.
//!
//! Work items are independent of how they are scheduled, so the numbers do not depend on
//! the thread count; chunk sums are merged in chunk order.

use crate::normal::LaneNormals;
use rand_pcg::Pcg64Mcg;

/// One SplitMix64 step (Steele, Lea, Flood 2014): a bijective 64-bit mixer.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The key of work item `(experiment, chunk)` under `master`.
pub fn key(master: u64, experiment: u64, chunk: u64) -> u64 {
    splitmix64(splitmix64(master) ^ experiment) ^ chunk.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The lane generator of work item `(experiment, chunk)` under `master`.
pub fn lanes(master: u64, experiment: u64, chunk: u64) -> LaneNormals {
    let key = key(master, experiment, chunk);
    LaneNormals::from_words(|i| splitmix64(key.wrapping_add(i.wrapping_mul(0x9E37_79B9_7F4A_7C15))))
}

/// The reference generator of work item `(experiment, chunk)` under `master`.
pub fn stream(master: u64, experiment: u64, chunk: u64) -> Pcg64Mcg {
    let key = key(master, experiment, chunk);
    let state = (u128::from(splitmix64(key)) << 64) | u128::from(splitmix64(key.wrapping_add(1)));
    Pcg64Mcg::new(state)
}
