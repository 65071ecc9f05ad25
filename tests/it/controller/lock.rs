//! `keyshare watch --self-heal` and `keyshare apply` never write to one org at once: while an
//! apply holds the org's apply lock, each reconcile still reports the drift but applies
//! nothing, and says why in its log, its metrics and `/readyz`; it neither waits for the lock
//! nor fails. The first reconcile after the lock is released heals.

use keyshare::apply::OrgLock;
use keyshare::okta::http::parse_org_url;

use crate::support::controller::{GUIDE_POLICY, PATIENCE, WatchProcess, group_yaml};
use crate::support::{APP1, APP2, SimProcess, key_ids, signing_kid};

const DEFERRED: &str = "self-heal deferred: another keyshare apply against this org holds the apply lock; the next reconcile tries again";

#[tokio::test]
async fn self_heal_is_deferred_while_an_apply_holds_the_lock_and_heals_after() {
    let sim = SimProcess::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("finance.yaml"),
        group_yaml("finance", GUIDE_POLICY),
    )
    .unwrap();
    let before = (
        signing_kid(&sim, APP1).await,
        signing_kid(&sim, APP2).await,
        key_ids(&sim, APP1).await,
        key_ids(&sim, APP2).await,
    );
    // Held by this process, as a running `keyshare apply` holds it.
    let org = parse_org_url(&sim.base_url).unwrap();
    let held = OrgLock::try_acquire(sim.cache_dir(), &org)
        .unwrap()
        .expect("nobody holds the lock yet");

    let watch =
        WatchProcess::start(&sim, dir.path(), &["--interval", "300ms", "--self-heal"]).await;
    let deferred = watch.wait_log(0, DEFERRED, PATIENCE).await;
    assert_eq!(deferred["level"], "WARN");
    assert_eq!(
        deferred["fields"]["lock"],
        OrgLock::path(sim.cache_dir(), &org).display().to_string()
    );
    let found = watch.wait_log(0, "group out of sync", PATIENCE).await;
    assert_eq!(
        found["fields"]["group"], "finance",
        "drift is still reported"
    );
    // The process goes on reconciling, deferring each time.
    let mark = watch.mark();
    watch.wait_log(mark, DEFERRED, PATIENCE).await;

    let ready = watch.wait_status("/readyz", 200, PATIENCE).await;
    assert!(ready.starts_with("ready; self-heal deferred"), "{ready}");
    let (_, metrics) = watch.get("/metrics").await;
    assert!(
        deferred_count(&metrics) >= 2,
        "every deferral is counted:\n{metrics}"
    );
    let during = (
        signing_kid(&sim, APP1).await,
        signing_kid(&sim, APP2).await,
        key_ids(&sim, APP1).await,
        key_ids(&sim, APP2).await,
    );
    assert_eq!(
        during, before,
        "nothing was written while the lock was held"
    );
    assert!(
        !watch
            .log_text()
            .contains("\"message\":\"self-heal applied the plan\""),
        "no heal ran"
    );

    let mark = watch.mark();
    drop(held);
    watch
        .wait_log(mark, "self-heal applied the plan", PATIENCE)
        .await;
    let group_kid = signing_kid(&sim, APP1).await;
    assert_eq!(signing_kid(&sim, APP2).await, group_kid, "healed");
    assert_eq!(key_ids(&sim, APP1).await.len(), 2, "one key generated");
    let ready = watch.wait_status("/readyz", 200, PATIENCE).await;
    assert_eq!(ready, "ready\n", "the deferral is over");
    // The watch holds the lock only during a reconcile: a person can still apply in between.
    sim.keyshare()
        .args(["apply", "--auto-approve"])
        .arg(dir.path())
        .timeout(PATIENCE)
        .assert()
        .success();
}

/// The value of `keyshare_self_heal_deferred_total` in a scrape.
fn deferred_count(metrics: &str) -> u64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix("keyshare_self_heal_deferred_total "))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0)
}
