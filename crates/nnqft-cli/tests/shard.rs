//! Sharded runs and `merge`: every report value bit-identical to an unsharded run for
//! N in {1, 2, 3, 7} (quick profile); missing, duplicate, corrupt and foreign shards refused
//! with their names and nothing written; a resumed shard gives the identical partial.

use nnqft_cli::Common;
use nnqft_cli::merge::MergeArgs;
use nnqft_cli::sample::SampleArgs;
use nnqft_report::compare::compare_reports;
use nnqft_run::shard::{ShardFile, file_name};
use nnqft_sampling::Shard;
use nnqft_study::plan::Profile;
use std::path::{Path, PathBuf};

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nnqft-shard-test-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn common(out: &Path, seed: u64) -> Common {
    Common { out: Some(out.to_path_buf()), force: false, seed, threads: Some(2), no_progress: true }
}

fn merge(dirs: &[PathBuf], out: &Path) -> anyhow::Result<()> {
    nnqft_cli::merge::run(&MergeArgs {
        dirs: dirs.to_vec(),
        out: out.to_path_buf(),
        threads: Some(1),
        no_progress: true,
        force: false,
    })
}

#[test]
fn merged_quick_profile_is_bit_identical_for_1_2_3_and_7_shards() {
    let root = temp_dir("quick");
    let whole = root.join("whole");
    let counts = [1u64, 2, 3, 7];
    // the reference and the four sharded runs side by side (they share nothing but the seed)
    std::thread::scope(|scope| {
        scope.spawn(|| nnqft_cli::reproduce::run(&common(&whole, 20_200_818), Profile::Quick, false).unwrap());
        for count in counts {
            let root = &root;
            scope.spawn(move || {
                // every shard into one folder, as the tasks of a job array on shared storage,
                // on 1 or 2 threads: neither may matter
                let shards = root.join(format!("shards-{count}"));
                for k in 0..count {
                    let shard = Shard::new(k, count).unwrap();
                    let c = Common { threads: Some(1 + k as u32 % 2), ..common(&shards, 20_200_818) };
                    nnqft_cli::reproduce::run_shard(&c, Profile::Quick, false, shard).unwrap();
                    assert!(shards.join(file_name(shard)).is_file());
                }
                assert!(!shards.join("correlators.parquet").exists(), "a shard wrote reports");
                assert!(!shards.join(".blocks").exists(), "a shard left its blocks");
                merge(std::slice::from_ref(&shards), &root.join(format!("merged-{count}"))).unwrap();
            });
        }
    });
    for count in counts {
        let merged = root.join(format!("merged-{count}"));
        let diffs = compare_reports(&whole, &merged).unwrap();
        assert!(diffs.is_empty(), "N = {count}: {diffs:?}");
        let prov: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(merged.join("provenance.json")).unwrap()).unwrap();
        let listed = prov["shards"].as_array().expect("provenance names the shards");
        assert_eq!(listed.len() as u64, count);
        assert!(listed.iter().all(|s| !s["host"].as_str().unwrap_or("").is_empty()));
    }
    // the comparison can fail: one bit of one value
    let tampered = root.join("tampered");
    std::fs::create_dir_all(tampered.join("figures")).unwrap();
    for e in std::fs::read_dir(&whole).unwrap().flatten() {
        if e.path().is_file() {
            std::fs::copy(e.path(), tampered.join(e.file_name())).unwrap();
        }
    }
    let mut df = nnqft_report::report::read_parquet(&whole.join("scaling.parquet")).unwrap();
    let col = df.column("m_n").unwrap().f64().unwrap().clone();
    let bumped: Vec<Option<f64>> = col
        .iter()
        .enumerate()
        .map(|(i, v)| v.map(|x| if i == 3 { f64::from_bits(x.to_bits() ^ 1) } else { x }))
        .collect();
    df.replace("m_n", polars::prelude::Column::new("m_n".into(), bumped)).unwrap();
    let file = std::fs::File::create(tampered.join("scaling.parquet")).unwrap();
    polars::prelude::ParquetWriter::new(file).finish(&mut df).unwrap();
    let diffs = compare_reports(&whole, &tampered).unwrap();
    assert!(diffs.iter().any(|d| d.contains("scaling.parquet") && d.contains("m_n")), "{diffs:?}");
    let _ = std::fs::remove_dir_all(&root);
}

/// A shard hands every stage placeholders in place of ensembles: they must carry the
/// default profile through to its end (a shard of 10^6 owns almost no items, so this samples
/// next to nothing) and the shard must list every ensemble of the run.
#[test]
fn placeholders_carry_the_default_profile_through() {
    let out = temp_dir("default");
    let shard = Shard::new(999_999, 1_000_000).unwrap();
    nnqft_cli::reproduce::run_shard(&common(&out, 20_200_818), Profile::Default, false, shard).unwrap();
    let file = ShardFile::open(&out.join(file_name(shard))).unwrap();
    file.verify().unwrap();
    let keys: Vec<&str> = file.header.ensembles.iter().map(|s| s.key.as_str()).collect();
    // 3 networks x 10 widths x 2 estimators, Table 5 (3 networks x 2 sets x 2 estimators), RG flow
    assert!(keys.len() >= 60 + 12, "{} ensembles", keys.len());
    for wanted in ["scaling-erf-d1-N1000-conditional", "scaling-gauss-d1-N1000-raw", "table5-relu-test-raw"] {
        assert!(keys.contains(&wanted), "{wanted} not among {keys:?}");
    }
    let _ = std::fs::remove_dir_all(&out);
}

fn sample_args() -> SampleArgs {
    SampleArgs {
        network: nnqft_cli::options::NetworkArgs::paper("erf"),
        width: Some(4),
        widths: None,
        d_out: 1,
        nets: 9000,
        experiments: 3,
        per_experiment: false,
        estimator: "raw".into(),
    }
}

/// Shards `0..count` of a small `sample` run into `dir`.
fn sample_shards(dir: &Path, count: u64, seed: u64) {
    for k in 0..count {
        nnqft_cli::sample::sample(&common(dir, seed), &sample_args(), Some(Shard::new(k, count).unwrap())).unwrap();
    }
}

fn copy_dir(from: &Path, to: &Path, skip: &[&str]) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if e.path().is_file() && !skip.contains(&name.as_str()) {
            std::fs::copy(e.path(), to.join(&name)).unwrap();
        }
    }
}

fn refused(dirs: &[&Path], out: &Path, needles: &[&str]) {
    let dirs: Vec<PathBuf> = dirs.iter().map(|d| d.to_path_buf()).collect();
    let e = format!("{:#}", merge(&dirs, out).expect_err("merge must refuse"));
    for n in needles {
        assert!(e.contains(n), "error lacks {n:?}: {e}");
    }
    assert!(!out.exists(), "a refused merge wrote {}", out.display());
}

#[test]
fn merge_of_sample_shards_is_exact_and_refuses_bad_sets_by_name() {
    let root = temp_dir("sample");
    let whole = root.join("whole");
    nnqft_cli::sample::sample(&common(&whole, 5), &sample_args(), None).unwrap();
    let good = root.join("good");
    sample_shards(&good, 3, 5);
    let merged = root.join("merged");
    merge(std::slice::from_ref(&good), &merged).unwrap();
    assert_eq!(compare_reports(&whole, &merged).unwrap(), Vec::<String>::new());

    // missing
    let missing = root.join("missing");
    copy_dir(&good, &missing, &["shard-1-of-3.nnqs"]);
    refused(&[&missing], &root.join("out-missing"), &["missing shards 1/3", "shard-1-of-3.nnqs"]);
    // duplicate: the same shard from two folders
    let extra = root.join("extra");
    copy_dir(&good, &extra, &["shard-0-of-3.nnqs", "shard-2-of-3.nnqs"]);
    refused(&[&good, &extra], &root.join("out-dup"), &["duplicate shard 1/3", "extra"]);
    // corrupt: one flipped bit in the payload, and a truncated file
    let corrupt = root.join("corrupt");
    copy_dir(&good, &corrupt, &[]);
    let victim = corrupt.join("shard-2-of-3.nnqs");
    let mut bytes = std::fs::read(&victim).unwrap();
    let at = bytes.len() - 100;
    bytes[at] ^= 0x10;
    std::fs::write(&victim, &bytes).unwrap();
    refused(&[&corrupt], &root.join("out-corrupt"), &["corrupt shard", "shard-2-of-3.nnqs", "checksum"]);
    bytes.truncate(bytes.len() - 9);
    std::fs::write(&victim, &bytes).unwrap();
    refused(&[&corrupt], &root.join("out-short"), &["corrupt shard", "shard-2-of-3.nnqs", "bytes"]);
    // foreign: shard 1 of a run with another seed
    let other = root.join("other");
    sample_shards(&other, 3, 6);
    let foreign = root.join("foreign");
    copy_dir(&good, &foreign, &["shard-1-of-3.nnqs"]);
    std::fs::copy(other.join("shard-1-of-3.nnqs"), foreign.join("shard-1-of-3.nnqs")).unwrap();
    refused(&[&foreign], &root.join("out-foreign"), &["foreign shard", "shard-1-of-3.nnqs", "seed 6"]);
    // a folder without shards, and a shard count that does not match
    refused(&[&whole], &root.join("out-none"), &["no shard file", "whole"]);
    let two = root.join("two");
    sample_shards(&two, 2, 5);
    let mixed = root.join("mixed");
    copy_dir(&good, &mixed, &["shard-2-of-3.nnqs"]);
    copy_dir(&two, &mixed, &["shard-1-of-2.nnqs"]);
    refused(&[&mixed], &root.join("out-mixed"), &["foreign shard", "shard-0-of-2.nnqs"]);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_killed_shard_resumes_to_the_identical_partial() {
    let root = temp_dir("resume");
    let shard = Shard::new(1, 3).unwrap();
    let whole = root.join("whole");
    nnqft_cli::sample::sample(&common(&whole, 5), &sample_args(), Some(shard)).unwrap();
    let reference = ShardFile::open(&whole.join(file_name(shard))).unwrap();

    // a run killed after its ensemble finished leaves the block; --resume reuses it as is
    let killed = root.join("killed");
    std::fs::create_dir_all(&killed).unwrap();
    let run = nnqft_run::run::Run::unlocked(
        killed.clone(),
        nnqft_run::run::Command::Sample,
        5,
        1,
        reference.header.config.clone(),
    );
    assert_eq!(run.config_hash, reference.header.config_hash);
    let args = sample_args();
    let act = nnqft_theory::Activation::parse(&args.network.network).unwrap();
    let net = nnqft_theory::Network::new(act, 1, 1.0, act.paper_sigma_b()).unwrap();
    let xs = nnqft_theory::InputSet::scaling(act, 1).unwrap();
    let ens = nnqft_sampling::Ensemble::new(net, 4, xs, 9000, 3, nnqft_sampling::Estimator::Raw, 5).unwrap();
    let key =
        nnqft_study::key::EnsembleKey::Sample { activation: act, width: 4, estimator: nnqft_sampling::Estimator::Raw };
    assert_eq!(key.name(), reference.header.ensembles[0].key);
    let record = |resume: bool| nnqft_run::shard::record_ensemble(&run, shard, &key.name(), &ens, resume).unwrap();
    let (_, block) = record(false); // then killed: no shard file
    use std::os::unix::fs::MetadataExt;
    let inode = std::fs::metadata(&block).unwrap().ino();
    let done = record(true);
    assert_eq!(std::fs::metadata(&block).unwrap().ino(), inode, "the finished block was not reused");
    let file = ShardFile::open(&nnqft_run::shard::write_shard_file(&run, shard, &[done]).unwrap()).unwrap();
    file.verify().unwrap();
    assert_eq!(file.header.ensembles, reference.header.ensembles);
    assert_eq!(file.read_section(0).unwrap(), reference.read_section(0).unwrap());

    // a damaged block is not reused: it is recomputed, to the same values
    let (_, block) = record(false);
    let mut bytes = std::fs::read(&block).unwrap();
    let n = bytes.len();
    bytes[n - 20] ^= 1;
    std::fs::write(&block, &bytes).unwrap();
    let done = record(true);
    let file = ShardFile::open(&nnqft_run::shard::write_shard_file(&run, shard, &[done]).unwrap()).unwrap();
    assert_eq!(file.read_section(0).unwrap(), reference.read_section(0).unwrap());
    let _ = std::fs::remove_dir_all(&root);
}
