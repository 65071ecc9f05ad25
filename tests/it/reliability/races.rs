//! Races through the real binary: someone changes an app through Okta's API after keyshare made
//! its plan (while its first write is held), or while the switches run, and two applies run at
//! once on the same desired state.
//!
//! A changed app must not be written: it keeps the other writer's change and its old key, the
//! apply exits 1 naming the app, and a re-run (which plans against the new state) converges
//! while keeping the other writer's change.

use serde_json::json;

use crate::support::reliability::*;
use crate::support::rename_app;

const NEW_LABEL: &str = "Renamed by someone else";

/// Holds `method route #nth` (`when`), relabels `victim` while it is held, releases, and checks
/// that the apply refused to write the victim and that a re-run converges keeping the label.
async fn change_while_held(method: &str, route: &str, nth: u64, when: &str, victim: &str) {
    let context = format!("{victim} relabelled while {method} {route} #{nth} was held ({when})");
    let mut rig = Rig::start(&[]).await;
    rig.add_faults(json!({"rules": [rule(method, route, nth, "hold", when)]}))
        .await;
    let child = rig.apply_command().spawn().expect("keyshare starts");
    rig.wait_until_held().await;
    rename_app(&rig.sim, victim, NEW_LABEL).await;
    let kid_before_release =
        rig.apps().await[victim]["app"]["credentials"]["signing"]["kid"].clone();
    rig.release().await;
    let output = tokio::time::timeout(RUN_LIMIT, child.wait_with_output())
        .await
        .expect("apply ends")
        .expect("apply runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{context}: apply stops\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{context}: {stderr}");
    assert!(
        stderr.contains(victim),
        "{context}: the message names the app:\n{stderr}"
    );
    assert!(
        stderr.contains("run plan again") || stderr.contains("again"),
        "{context}: the message says what to do:\n{stderr}"
    );
    let victim_now = &rig.apps().await[victim]["app"];
    assert_eq!(
        victim_now["label"], NEW_LABEL,
        "{context}: the change survives"
    );
    assert_eq!(
        victim_now["credentials"]["signing"]["kid"], kid_before_release,
        "{context}: the changed app was not switched"
    );

    rig.apply()
        .await
        .expect_code(0, &format!("{context}: re-run"));
    let after = rig.apps().await;
    assert_eq!(
        after[victim]["app"]["label"], NEW_LABEL,
        "{context}: the re-run keeps the other writer's change"
    );
    // The other writer's label is part of what must be kept.
    rig.before.get_mut(victim).unwrap()["app"]["label"] = json!(NEW_LABEL);
    rig.assert_converged_with_one_new_key(&context).await;
}

#[tokio::test]
async fn an_app_changed_between_plan_and_the_first_write_is_not_written() {
    change_while_held("POST", GENERATE, 1, "before", MEMBERS[2]).await;
}

#[tokio::test]
async fn an_app_changed_while_the_clones_run_is_not_written() {
    change_while_held("POST", CLONE, 2, "after", MEMBERS[3]).await;
}

#[tokio::test]
async fn an_app_changed_while_the_switches_run_is_not_written() {
    // The first switch is held after it took effect; the last member is switched last.
    change_while_held("PUT", APP, 1, "after", MEMBERS[3]).await;
}

#[tokio::test]
#[ignore = "a limit of Okta's API: its PUT has no conditional form, so a change between keyshare's GET and PUT is overwritten; see docs/reliability.md, finding 1"]
async fn an_app_changed_between_the_switch_read_and_its_write_is_not_overwritten() {
    // The simulator holds the first PUT before it takes effect: keyshare has already read the
    // app it is about to switch. That app is the one relabelled.
    let rig = Rig::start(&[]).await;
    rig.add_faults(json!({"rules": [rule("PUT", APP, 1, "hold", "before")]}))
        .await;
    let child = rig.apply_command().spawn().expect("keyshare starts");
    rig.wait_until_held().await;
    // The first switch is the source's in a plan ordered source first; relabel every app so
    // the held one is surely among them.
    for id in std::iter::once(SOURCE).chain(MEMBERS) {
        rename_app(&rig.sim, id, NEW_LABEL).await;
    }
    rig.release().await;
    let output = tokio::time::timeout(RUN_LIMIT, child.wait_with_output())
        .await
        .expect("apply ends")
        .expect("apply runs");
    let apps = rig.apps().await;
    for id in std::iter::once(SOURCE).chain(MEMBERS) {
        assert_eq!(
            apps[id]["app"]["label"],
            NEW_LABEL,
            "{id}: the other writer's label survives (apply exit {:?})",
            output.status.code()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_applies_at_once_converge_on_one_key() {
    let rig = Rig::start(&["--latency-ms", "20"]).await;
    let (first, second) = tokio::join!(rig.apply(), rig.apply());
    for (name, run) in [("first", &first), ("second", &second)] {
        match run.code {
            Some(0) => {}
            Some(1) => assert!(
                run.stderr.contains("changed since the plan was made")
                    || run.stderr.contains("still differs")
                    || run.stderr.contains("already"),
                "{name} apply failed without an explanation of the race:\n{}",
                run.stderr
            ),
            other => panic!("{name} apply ended with {other:?}:\n{}", run.stderr),
        }
    }
    // Whatever the race did, one more apply ends in the converged state with one new key.
    rig.apply().await.expect_code(0, "apply after the race");
    rig.assert_converged_with_one_new_key("two applies at once")
        .await;
}

#[tokio::test]
async fn a_saved_plan_is_refused_when_an_app_changed_after_it_was_made() {
    let rig = Rig::start(&[]).await;
    let plan_file = rig.dir.path().join("plan.json");
    let desired = rig.desired();
    Run::finish(rig.command(&[
        "plan",
        desired.to_str().unwrap(),
        "--out",
        plan_file.to_str().unwrap(),
    ]))
    .await
    .expect_code(2, "plan --out");
    rename_app(&rig.sim, MEMBERS[1], NEW_LABEL).await;
    let after_relabel = rig.apps().await;

    let run =
        Run::finish(rig.command(&["apply", plan_file.to_str().unwrap(), "--auto-approve"])).await;
    run.expect_code(1, "apply of a stale plan");
    assert!(
        run.stderr.contains(MEMBERS[1]) && run.stderr.contains("run plan again"),
        "the message names the app and what to do:\n{}",
        run.stderr
    );
    assert_eq!(rig.stats().await["writes"], 1, "only the relabelling wrote");
    assert_eq!(
        rig.apps().await,
        after_relabel,
        "nothing changed after the relabelling"
    );
}
