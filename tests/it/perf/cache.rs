//! The key-metadata cache through the command line: a second drift check of a group in sync
//! reads no key list, the cache can be moved and turned off, and a corrupt cache is ignored.

use crate::support::*;

const FINANCE: &str = "apiVersion: keyshare/v1
kind: SigningKeyGroup
metadata:
  name: finance
spec:
  source: 0oa8ae1t5yev2ajDs0h7
  members:
    - 0oa8ae0dv4RGQvjyZ0h7
  key:
    validityYears: 2
";

/// Requests the simulator has answered in its `/api/v1/apps` bucket.
async fn apps_bucket_calls(sim: &SimProcess) -> u64 {
    let stats = sim.admin().stats().await.unwrap();
    stats.by_bucket.get("apps").copied().unwrap_or(0)
}

/// Runs `keyshare drift` and returns the `/api/v1/apps` calls it made.
async fn drift(sim: &SimProcess, dir: &std::path::Path, cache: &[&str]) -> u64 {
    let before = apps_bucket_calls(sim).await;
    sim.keyshare()
        .arg("drift")
        .arg(dir)
        .args(cache)
        .assert()
        .code(0);
    apps_bucket_calls(sim).await - before
}

#[tokio::test(flavor = "multi_thread")]
async fn a_warm_cache_spares_the_key_lists_of_groups_in_sync() {
    let sim = SimProcess::start(&[]);
    let repo = tempfile::tempdir().unwrap();
    write_files(repo.path(), &[("finance.yaml", FINANCE)]);
    sim.keyshare()
        .args(["apply", "--auto-approve", "--no-key-cache"])
        .arg(repo.path())
        .assert()
        .code(0);
    let cache = tempfile::tempdir().unwrap();
    let flag = ["--key-cache", cache.path().to_str().unwrap()];

    assert_eq!(
        drift(&sim, repo.path(), &flag).await,
        1,
        "cold: the source's list"
    );
    assert_eq!(
        drift(&sim, repo.path(), &flag).await,
        0,
        "warm: no key list"
    );
    assert_eq!(
        drift(&sim, repo.path(), &["--no-key-cache"]).await,
        1,
        "turned off"
    );

    for file in std::fs::read_dir(cache.path()).unwrap() {
        std::fs::write(file.unwrap().path(), b"{ not json").unwrap();
    }
    assert_eq!(
        drift(&sim, repo.path(), &flag).await,
        1,
        "a corrupt cache reads as empty"
    );
    assert_eq!(drift(&sim, repo.path(), &flag).await, 0, "and is rewritten");
}
