//! Fuzz target `shard_file`: arbitrary bytes as a shard file (`shard-K-of-N.nnqs`, and so as a
//! resume block, the same format) through everything that reads one: `nnqft_run::shard::ShardFile`
//! and the merge's `nnqft_run::merge::ShardSet`.
//!
//! Each input is written to a scratch file `shard-0-of-1.nnqs` and read as a shard would be by
//! `--resume` and `merge`: opened (preamble, header, lengths), its checksum verified, its shard
//! and every section read, then the folder opened as a set of shards and, for every section
//! small enough ([`nnqft_fuzz::small_ensemble`]), merged into an ensemble of the section's own
//! settings. The property: each of these returns, `Ok` or a clean `Err`, without a panic, an
//! abort, a hang or an allocation larger than the file warrants (a header claiming 10^18 items
//! or shards must be refused before anything of that size is made). An input whose trailer is
//! not its CRC-32 is run once as given and once with the trailer repaired, so that mutations
//! also reach what runs after the checksum test.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nnqft_run::merge::ShardSet;
use nnqft_run::shard::ShardFile;

fn check(bytes: &[u8]) {
    let path = nnqft_fuzz::scratch_file("shard-0-of-1.nnqs", bytes);
    let dir = nnqft_fuzz::scratch_dir().to_path_buf();
    let Ok(file) = ShardFile::open(&path) else {
        assert!(ShardSet::open(std::slice::from_ref(&dir)).is_err(), "a merge accepted a shard that does not open");
        return;
    };
    let intact = file.verify().is_ok();
    let _ = file.shard();
    for (i, s) in file.header.ensembles.iter().enumerate() {
        assert!(file.section(&s.key).is_some_and(|j| j <= i));
        // open checked that the sections' lengths add up to the file's: every section reads
        let sums = file.read_section(i).expect("a section of an opened shard file does not read");
        assert_eq!(sums.len(), s.items.len());
    }
    let Ok(set) = ShardSet::open(std::slice::from_ref(&dir)) else { return };
    assert!(intact, "a merge accepted a shard whose checksum differs");
    let _ = set.first();
    let _ = set.provenance();
    for s in &file.header.ensembles {
        let small =
            nnqft_fuzz::small_ensemble(s.points, s.width, s.nets, s.experiments, &s.estimator, s.squares, s.seed);
        if let Some(ens) = small {
            let _ = set.ensemble(&s.key, &ens);
        }
    }
    let _ = set.check_all_used();
}

fuzz_target!(|bytes: &[u8]| {
    check(bytes);
    if let Some(repaired) = nnqft_fuzz::with_crc(bytes) {
        check(&repaired);
    }
});
