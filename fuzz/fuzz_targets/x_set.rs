//! Fuzz target `x_set`: arbitrary bytes as an x-set file (`--x-set FILE`: one point per line,
//! coordinates separated by white space, `#` starts a comment) through
//! `nnqft_theory::InputSet::from_file` and `InputSet::parse`.
//!
//! Each input is written to a scratch file and read by `from_file`; if it is UTF-8 it is also
//! parsed as text by `parse`, and the two must agree (`from_file` is `parse` of the file's
//! text, its errors naming the path). The property: a clean `Ok` or `Err` without a panic, an
//! abort or a hang, and an accepted set is what the format promises: at least one point, every
//! point of the same dimension `d >= 1`, every coordinate finite.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nnqft_theory::InputSet;

fuzz_target!(|bytes: &[u8]| {
    let path = nnqft_fuzz::scratch_file("x-set.txt", bytes);
    let read = InputSet::from_file(&path);
    match std::str::from_utf8(bytes) {
        Ok(text) => {
            let parsed = InputSet::parse("x-set", text);
            assert_eq!(read.is_ok(), parsed.is_ok(), "from_file and parse disagree: {read:?} vs {parsed:?}");
            if let (Ok(a), Ok(b)) = (&read, &parsed) {
                assert_eq!(a, b);
            }
        }
        Err(_) => assert!(read.is_err(), "a file that is not UTF-8 was read as an x-set"),
    }
    if let Ok(set) = read {
        assert!(set.d_in() >= 1 && !set.is_empty());
        assert_eq!(set.points().count(), set.len());
        assert!(set.points().all(|p| p.len() == set.d_in() && p.iter().all(|c| c.is_finite())));
    }
});
