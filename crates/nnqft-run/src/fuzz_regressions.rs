//! Regression tests of the defects that fuzzing the shard reader found (`fuzz/`, target
//! `shard_file`): each crafted file is one the fuzzer produced, reduced, and must now be refused
//! with a clean error. Test-only; kept apart from `shard` and `merge` so their code reads alone.

use crate::merge::ShardSet;
use crate::shard::{FORMAT, MAGIC, Section, ShardFile, ShardHeader, VERSION};
use std::path::PathBuf;

/// A fresh folder under the system's temporary folder.
fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nnqft-fuzz-regression-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A header of shard `shard` of `shards` with the given sections.
fn header(shard: u64, shards: u64, ensembles: Vec<Section>) -> ShardHeader {
    ShardHeader {
        format: FORMAT.into(),
        version: VERSION,
        command: "sample".into(),
        config: serde_json::json!({}),
        config_hash: "0123456789abcdef".into(),
        seed: 1,
        shard,
        shards,
        host: "host".into(),
        git_commit: "unknown".into(),
        start_time: "1970-01-01T00:00:00Z".into(),
        end_time: "1970-01-01T00:00:00Z".into(),
        threads: 1,
        ensembles,
    }
}

/// Writes `dir/shard-0-of-1.nnqs` byte by byte as the format says (magic, header length,
/// header, `payload`, CRC-32 of all before it) and returns its path.
fn write_shard(dir: &std::path::Path, header: &ShardHeader, payload: &[u8]) -> PathBuf {
    let json = serde_json::to_vec(header).unwrap();
    let mut bytes = MAGIC.to_vec();
    bytes.extend((json.len() as u64).to_le_bytes());
    bytes.extend(json);
    bytes.extend(payload);
    let crc = crc32fast::hash(&bytes);
    bytes.extend(crc.to_le_bytes());
    let path = dir.join("shard-0-of-1.nnqs");
    std::fs::write(&path, bytes).unwrap();
    path
}

/// A shard count `N = 0`, or an index `K >= N`, was taken as a run's and its out-of-range
/// message computed `N - 1`: an overflow (a panic in debug builds). Now the file is corrupt.
#[test]
fn a_shard_outside_0_to_n_is_refused_as_corrupt() {
    for (k, n) in [(0, 0), (5, 2)] {
        let dir = folder(&format!("k{k}-n{n}"));
        let path = write_shard(&dir, &header(k, n, vec![]), &[]);
        assert!(ShardFile::open(&path).is_ok_and(|f| f.verify().is_ok() && f.shard().is_err()));
        let e = format!("{:#}", ShardSet::open(std::slice::from_ref(&dir)).err().expect("a merge took shard {k}/{n}"));
        assert!(e.contains("corrupt shard") && e.contains(&format!("shard {k}/{n}")), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// A header claiming 10^18 shards made the merge list every missing shard by name (a hang, then
/// out of memory). Now it names the first 20 and counts the others.
#[test]
fn a_header_claiming_1e18_shards_is_refused_at_once() {
    let dir = folder("many");
    write_shard(&dir, &header(0, 1_000_000_000_000_000_000, vec![]), &[]);
    let started = std::time::Instant::now();
    let e = format!("{:#}", ShardSet::open(std::slice::from_ref(&dir)).err().expect("a merge took 1 of 10^18 shards"));
    assert!(started.elapsed().as_secs() < 5, "took {:?}", started.elapsed());
    assert!(e.contains("missing shards 1/1000000000000000000, 2/1000000000000000000, "), "{e}");
    assert!(e.contains("20/1000000000000000000 and 999999999999999979 more"), "{e}");
    assert!(!e.contains("21/1000000000000000000"), "{e}");
    assert!(e.contains("shard-20-of-1000000000000000000.nnqs"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A section whose payload size saturates (multisets near 2^64) made the length error compute
/// `offset + 4`: an overflow (a panic in debug builds). Now it is a clean error.
#[test]
fn a_section_of_2_to_the_64_values_is_refused_cleanly() {
    let dir = folder("huge-section");
    let section = Section {
        key: "huge".into(),
        seed: 1,
        points: 2,
        experiments: 1,
        nets: 1,
        chunks: 1,
        estimator: "raw".into(),
        width: 1,
        multisets: [usize::MAX, 0, 0],
        squares: false,
        items: vec![0],
    };
    let path = write_shard(&dir, &header(0, 1, vec![section]), &[0; 8]);
    let e = ShardFile::open(&path).expect_err("a shard of 2^64 values opened").to_string();
    assert!(e.contains("its header describes"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}
