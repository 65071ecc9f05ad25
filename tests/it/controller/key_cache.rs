//! `keyshare watch` reads through the org's key-metadata cache from its first check on, as
//! `drift` does: once a check has learnt the group's key, later checks of an org in sync
//! list no source's keys again.

use serde_json::Value;

use crate::support::SimProcess;
use crate::support::controller::{GUIDE_POLICY, PATIENCE, WatchProcess, group_yaml};

/// Requests the simulator served, by method and route template.
async fn requests(sim: &SimProcess) -> Value {
    serde_json::to_value(sim.admin().stats().await.unwrap().requests).unwrap()
}

fn count(requests: &Value, route: &str) -> u64 {
    requests[route].as_u64().unwrap_or(0)
}

#[tokio::test]
async fn checks_after_the_first_reuse_the_key_cache() {
    let sim = SimProcess::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("finance.yaml"),
        group_yaml("finance", GUIDE_POLICY),
    )
    .unwrap();
    // In sync, and the cache left cold: only the watch can fill it.
    sim.keyshare()
        .args(["apply", "--auto-approve", "--no-key-cache"])
        .arg(dir.path())
        .assert()
        .success();
    let before = requests(&sim).await;

    let watch = WatchProcess::start(&sim, dir.path(), &["--interval", "200ms"]).await;
    watch.wait_log_count("reconciled", 1, PATIENCE).await;
    let first = requests(&sim).await;
    watch.wait_log_count("reconciled", 5, PATIENCE).await;
    let later = requests(&sim).await;

    let keys = "GET /api/v1/apps/{appId}/credentials/keys";
    assert!(
        count(&first, keys) > count(&before, keys),
        "the first check reads the source's keys: {first}"
    );
    assert_eq!(
        count(&later, keys),
        count(&first, keys),
        "later checks take the key from the cache: {later}"
    );
    let logs = watch.log_text();
    assert!(!logs.contains("group out of sync"), "{logs}");
}
