//! `keyshare watch` reacting to its files: an edit is planned within seconds (long before the
//! interval), and an invalid edit keeps the last good state in use while `/readyz` fails.

use std::time::Duration;

use crate::support::SimProcess;
use crate::support::controller::{
    GUIDE_POLICY, PATIENCE, WatchProcess, group_yaml, message_of, write_like_an_editor,
};

/// Far longer than any test: only file events can trigger a reconcile.
const NO_INTERVAL: &str = "10m";

#[tokio::test]
async fn an_edit_is_planned_within_seconds() {
    let sim = SimProcess::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("groups.yaml");
    std::fs::write(&file, group_yaml("finance", GUIDE_POLICY)).unwrap();
    let watch = WatchProcess::start(&sim, dir.path(), &["--interval", NO_INTERVAL]).await;
    let first = watch.wait_log(0, "group out of sync", PATIENCE).await;
    assert_eq!(first["fields"]["group"], "finance");

    let mark = watch.mark();
    write_like_an_editor(&file, &group_yaml("payroll", GUIDE_POLICY));
    let edited = watch.wait_log(mark, "group out of sync", PATIENCE).await;
    assert_eq!(edited["fields"]["group"], "payroll", "{}", watch.log_text());
    let steps = edited["fields"]["steps"].as_str().unwrap();
    assert!(
        steps.starts_with("generate key on App 1") && steps.contains("switch App 2"),
        "{steps}"
    );
    let metrics = watch.get("/metrics").await.1;
    assert!(
        metrics.contains(r#"keyshare_group_info{group="payroll",sync_status="OutOfSync""#),
        "{metrics}"
    );
    assert!(
        !metrics.contains(r#"group="finance""#),
        "a renamed group leaves no series:\n{metrics}"
    );
}

#[tokio::test]
async fn an_invalid_edit_keeps_the_last_good_state_and_fails_readiness() {
    let sim = SimProcess::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("finance.yaml");
    std::fs::write(&file, group_yaml("finance", GUIDE_POLICY)).unwrap();
    let watch = WatchProcess::start(&sim, dir.path(), &["--interval", NO_INTERVAL]).await;
    watch.wait_status("/readyz", 200, PATIENCE).await;

    let mark = watch.mark();
    write_like_an_editor(
        &file,
        "apiVersion: keyshare/v1\nkind: SigningKeyGroup\nspec: [unclosed\n",
    );
    let rejected = watch
        .wait_log(
            mark,
            "the desired state is not valid; keeping the last valid one",
            PATIENCE,
        )
        .await;
    assert!(
        rejected["fields"]["error"]
            .as_str()
            .unwrap()
            .contains("finance.yaml"),
        "the error names the file: {rejected}"
    );
    let reason = watch.wait_status("/readyz", 503, PATIENCE).await;
    assert!(reason.contains("not valid"), "{reason}");
    watch.wait_log(mark, "reconciled", PATIENCE).await;
    let metrics = watch.get("/metrics").await.1;
    assert!(
        metrics.contains("keyshare_desired_state_valid 0"),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"keyshare_group_info{group="finance",sync_status="OutOfSync""#),
        "the last good state is still reconciled:\n{metrics}"
    );

    write_like_an_editor(&file, &group_yaml("finance", GUIDE_POLICY));
    watch.wait_status("/readyz", 200, PATIENCE).await;
    assert_eq!(watch.get("/healthz").await, (200, "ok\n".to_owned()));
}

#[tokio::test]
async fn a_git_sync_style_swap_of_the_whole_tree_is_seen_every_time() {
    let sim = SimProcess::start(&[]);
    let root = tempfile::tempdir().unwrap();
    let link = root.path().join("current");
    let checkout = |rev: &str, group: &str| {
        let tree = root.path().join(rev);
        std::fs::create_dir(&tree).unwrap();
        std::fs::write(tree.join("groups.yaml"), group_yaml(group, GUIDE_POLICY)).unwrap();
        // git-sync's swap: a new link beside the old one, renamed over it, old tree deleted.
        let next = root.path().join("current.next");
        std::os::unix::fs::symlink(&tree, &next).unwrap();
        std::fs::rename(&next, &link).unwrap();
    };
    checkout("rev1", "finance");
    let watch = WatchProcess::start(&sim, &link, &["--interval", NO_INTERVAL]).await;
    watch.wait_log(0, "group out of sync", PATIENCE).await;

    // The second swap keeps the old tree: only the link itself changes.
    for (old, rev, group, delete_old) in [
        ("rev1", "rev2", "payroll", true),
        ("rev2", "rev3", "hr", false),
    ] {
        let mark = watch.mark();
        checkout(rev, group);
        if delete_old {
            std::fs::remove_dir_all(root.path().join(old)).unwrap();
        }
        let seen = watch
            .wait_log_where(mark, PATIENCE, |e| e["fields"]["group"] == group)
            .await;
        assert_eq!(seen["fields"]["message"], "group out of sync", "{rev}");
    }
}

#[tokio::test]
async fn without_any_valid_state_it_waits_for_a_fix() {
    let sim = SimProcess::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("finance.yaml");
    std::fs::write(&file, "kind: SigningKeyGroup\n").unwrap();
    let watch = WatchProcess::start(&sim, dir.path(), &["--interval", NO_INTERVAL]).await;
    let failed = watch.wait_log(0, "reconcile failed", PATIENCE).await;
    let error = failed["fields"]["error"].as_str().unwrap();
    assert!(
        error.contains("no earlier valid one") && error.contains("finance.yaml"),
        "{error}"
    );
    let reason = watch.wait_status("/readyz", 503, PATIENCE).await;
    assert!(reason.contains("the last reconcile failed"), "{reason}");

    write_like_an_editor(&file, &group_yaml("finance", GUIDE_POLICY));
    watch.wait_status("/readyz", 200, PATIENCE).await;
}

#[tokio::test]
async fn sustained_writes_never_blind_the_watch() {
    // Rate limits out of the way: this is about the watch, not about reads waiting for room.
    let sim = SimProcess::start(&["--rate-limit-apps", "100000"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("groups.yaml");
    std::fs::write(&file, group_yaml("finance", GUIDE_POLICY)).unwrap();
    let watch = WatchProcess::start(&sim, dir.path(), &["--interval", NO_INTERVAL]).await;
    watch.wait_log(0, "group out of sync", PATIENCE).await;

    // In-place writes, as a script or a sync tool makes them, each landing while the reload
    // of an earlier one may still be under way.
    for round in 0..80 {
        std::fs::write(&file, group_yaml(&format!("burst{round}"), GUIDE_POLICY)).unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mark = watch.mark();
    write_like_an_editor(&file, &group_yaml("last", GUIDE_POLICY));
    watch
        .wait_log_where(mark, PATIENCE, |e| e["fields"]["group"] == "last")
        .await;
}

#[tokio::test]
async fn a_reload_held_up_by_the_rate_limit_says_so() {
    // Two reads a minute at keyshare's half share: edits soon wait for the next window.
    let sim = SimProcess::start(&["--rate-limit-apps", "4"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("groups.yaml");
    std::fs::write(&file, group_yaml("finance", GUIDE_POLICY)).unwrap();
    let watch = WatchProcess::start(&sim, dir.path(), &["--interval", NO_INTERVAL]).await;
    watch.wait_log(0, "reconciled", PATIENCE).await;

    for round in 0..4 {
        let mark = watch.mark();
        write_like_an_editor(&file, &group_yaml(&format!("edit{round}"), GUIDE_POLICY));
        let next = watch
            .wait_log_where(mark, PATIENCE, |e| {
                message_of(e) == "reconciled"
                    || message_of(e).starts_with("reading the org is slow")
            })
            .await;
        if message_of(&next) != "reconciled" {
            return;
        }
    }
    panic!(
        "four reloads within the rate limit's share:\n{}",
        watch.log_text()
    );
}
