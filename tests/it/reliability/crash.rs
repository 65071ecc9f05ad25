//! Crash safety through the real binary: `keyshare apply --auto-approve` is killed with SIGKILL
//! at every step boundary of a rotation across a five-app group (before the generate, after the
//! generate, after each of the four clones, after each of the five switches), then run again.
//! The re-run must converge with exactly one new key on the source, every app signing with it,
//! and nothing else of any app changed but `credentials.signing` and `lastUpdated`.
//!
//! The exact moment comes from the simulator's hold: the boundary's write is parked (after it
//! took effect, or before it for the first boundary); once it is held the process is killed.

use serde_json::json;

use crate::support::reliability::*;

/// Kills an apply while the simulator holds `method route` #`nth` (`when` = before/after it
/// takes effect), then re-runs apply and checks convergence.
async fn crash_and_resume(method: &str, route: &str, nth: u64, when: &str) {
    let context = format!("killed at {when} {method} {route} #{nth}");
    let rig = Rig::start(&[]).await;
    rig.add_faults(json!({"rules": [rule(method, route, nth, "hold", when)]}))
        .await;
    let mut child = rig.apply_command().spawn().expect("keyshare starts");
    rig.wait_until_held().await;
    child.kill().await.expect("SIGKILL");
    rig.clear_faults().await;

    let rerun = rig.apply().await;
    rerun.expect_code(0, &context);
    rig.assert_converged_with_one_new_key(&context).await;
    let again = rig.apply().await;
    again.expect_code(0, &format!("{context}, third run"));
    assert!(
        again.stdout.contains("No changes."),
        "{context}: the third run has nothing to do:\n{}",
        again.stdout
    );
}

macro_rules! boundary {
    ($name:ident, $method:expr, $route:expr, $nth:expr, $when:expr) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            crash_and_resume($method, $route, $nth, $when).await;
        }
    };
}

boundary!(before_the_generate, "POST", GENERATE, 1, "before");
boundary!(after_the_generate, "POST", GENERATE, 1, "after");
boundary!(after_clone_1, "POST", CLONE, 1, "after");
boundary!(after_clone_2, "POST", CLONE, 2, "after");
boundary!(after_clone_3, "POST", CLONE, 3, "after");
boundary!(after_clone_4, "POST", CLONE, 4, "after");
boundary!(after_switch_1, "PUT", APP, 1, "after");
boundary!(after_switch_2, "PUT", APP, 2, "after");
boundary!(after_switch_3, "PUT", APP, 3, "after");
boundary!(after_switch_4, "PUT", APP, 4, "after");
boundary!(after_switch_5, "PUT", APP, 5, "after");

/// The rotation really is 1 generate, 4 clones and 5 switches, so the boundaries above are all
/// of them.
#[tokio::test]
async fn an_uninterrupted_rotation_makes_ten_writes() {
    let rig = Rig::start(&[]).await;
    let run = rig.apply().await;
    run.expect_code(0, "uninterrupted apply");
    assert!(
        run.stdout
            .contains("Apply complete: 1 key generated, 4 cloned, 5 apps switched"),
        "{}",
        run.stdout
    );
    assert_eq!(rig.stats().await["writes"], rotation_writes().len());
    rig.assert_converged_with_one_new_key("uninterrupted").await;
}
