//! The seeding scheme. Every `(experiment, chunk)` work item draws from its own
//! `Pcg64Mcg` generator whose 128-bit state is built from SplitMix64 outputs of
//! `(master seed, experiment, chunk)`:
//!
//! `key = splitmix64(splitmix64(master) ^ experiment) ^ (chunk * 0x9E37_79B9_7F4A_7C15)`,
//! `state = (splitmix64(key) << 64) | splitmix64(key + 1)`.
//!
//! Work items are independent of how they are scheduled, so the numbers do not depend on
//! the thread count; chunk sums are merged in chunk order.

use rand_pcg::Pcg64Mcg;

/// One SplitMix64 step (Steele, Lea, Flood 2014): a bijective 64-bit mixer.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The generator of work item `(experiment, chunk)` under `master`.
pub fn stream(master: u64, experiment: u64, chunk: u64) -> Pcg64Mcg {
    let key = splitmix64(splitmix64(master) ^ experiment) ^ chunk.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let state = (u128::from(splitmix64(key)) << 64) | u128::from(splitmix64(key.wrapping_add(1)));
    Pcg64Mcg::new(state)
}
