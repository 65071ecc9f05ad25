//! SIGTERM while `keyshare watch --self-heal` is applying: the step under way (a switch held
//! by the simulator between its GET and the end of its PUT) finishes, no later step starts,
//! the process exits 0, and a re-run converges without generating a second key.

use std::time::Duration;

use okta_sim::admin::{Action, RuleSpec};
use serde_json::json;

use crate::support::controller::{GUIDE_POLICY, PATIENCE, WatchProcess, group_yaml, message_of};
use crate::support::{APP1, APP2, SimProcess, key_ids, signing_kid};

#[tokio::test]
async fn sigterm_during_an_apply_finishes_the_step_then_a_rerun_converges() {
    let sim = SimProcess::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("finance.yaml"),
        group_yaml("finance", GUIDE_POLICY),
    )
    .unwrap();
    // The plan is generate → clone → switch App 1 → switch App 2; hold the first switch's PUT.
    let hold = RuleSpec::new("PUT", "/api/v1/apps/{appId}", Action::Hold);
    sim.admin().add_rules([hold]).await.unwrap();
    let original = signing_kid(&sim, APP1).await;
    let mut watch =
        WatchProcess::start(&sim, dir.path(), &["--interval", "10m", "--self-heal"]).await;
    wait_until_held(&sim).await;

    watch.terminate();
    watch
        .wait_log(0, "stop requested; finishing the current step", PATIENCE)
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(watch.is_running(), "watch waits for the step under way");
    sim.admin().release().await.unwrap();
    let status = watch.wait_exit(PATIENCE).await;
    assert!(status.success(), "{status:?}\n{}", watch.log_text());

    let stopped = watch
        .wait_log_where(0, PATIENCE, |e| {
            message_of(e).starts_with("stopping: self-heal ended")
        })
        .await;
    assert_eq!(
        (&stopped["fields"]["done"], &stopped["fields"]["total"]),
        (&json!(3), &json!(4))
    );
    let app1_kid = signing_kid(&sim, APP1).await;
    assert_ne!(
        app1_kid, original,
        "the held switch of App 1 finished after SIGTERM"
    );
    assert_ne!(
        signing_kid(&sim, APP2).await,
        app1_kid,
        "step 4 never started"
    );
    assert_eq!(key_ids(&sim, APP1).await.len(), 2, "one key generated");

    sim.keyshare()
        .args(["apply", "--auto-approve"])
        .arg(dir.path())
        .assert()
        .success();
    sim.keyshare().arg("drift").arg(dir.path()).assert().code(0);
    assert_eq!(
        signing_kid(&sim, APP2).await,
        app1_kid,
        "the re-run resumed with the same key"
    );
    assert_eq!(
        key_ids(&sim, APP1).await.len(),
        2,
        "no second key generated"
    );
}

/// Polls the simulator until a request is held.
async fn wait_until_held(sim: &SimProcess) {
    let deadline = std::time::Instant::now() + PATIENCE;
    while sim.admin().held().await.unwrap() != 1 {
        assert!(std::time::Instant::now() < deadline, "no request was held");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
