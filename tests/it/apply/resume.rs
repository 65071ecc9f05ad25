//! Resumption: an apply that stopped after generating a key (a crash, a stop requested between
//! steps, a failure of the next call, or an answer lost on the way back) is finished without a
//! second key on the source.
//! Faults come from the simulator's one-off rules (`POST /__sim/faults`).

use std::sync::atomic::{AtomicUsize, Ordering};

use keyshare::apply::{Executed, ProgressEvent, StepOutcome, execute_until};
use keyshare::okta::OktaApi;
use keyshare::plan::{KeyChoice, KeyRef, Step};
use okta_sim::SimConfig;
use serde_json::json;

use crate::support::apply::*;
use crate::support::{APP1, APP2, kids};

const GENERATE: &str = "/api/v1/apps/{appId}/credentials/keys/generate";
const CLONE: &str = "/api/v1/apps/{appId}/credentials/keys/{keyId}/clone";

#[tokio::test]
async fn a_rerun_after_a_stop_right_after_generate_adopts_the_key() {
    let org = Org::guide().await;
    let desired = finance();
    let first = org.plan(&desired).await;
    let Step::Generate {
        app,
        validity_years,
        ..
    } = &first.steps[0]
    else {
        panic!("the first step generates: {first:?}");
    };
    // The apply stops right after its first step.
    let generated = org.client.generate_key(app, *validity_years).await.unwrap();

    let rerun = org.plan(&desired).await;
    assert!(
        !rerun
            .steps
            .iter()
            .any(|s| matches!(s, Step::Generate { .. })),
        "no second generate: {rerun:?}"
    );
    assert_eq!(rerun.groups[0].key, KeyRef::Existing(generated.kid.clone()));
    assert!(matches!(rerun.groups[0].choice, KeyChoice::Resumed { .. }));

    let report = org.execute(&rerun).await.unwrap();
    assert_eq!(
        report.to_string(),
        "0 keys generated, 1 cloned, 2 apps switched"
    );
    assert!(org.plan(&desired).await.is_empty());
    let source = org.app_state(APP1).await;
    assert_eq!(
        kids(&source).len(),
        2,
        "the seeded key and exactly one new key"
    );
    assert_eq!(signing_kid(&source), generated.kid.0);
}

#[tokio::test]
async fn a_stop_requested_between_steps_ends_the_run_there_and_names_the_new_key() {
    let org = Org::guide().await;
    let desired = finance();
    let plan = org.plan(&desired).await;
    let finished = AtomicUsize::new(0);
    let mut started = Vec::new();
    let executed = execute_until(
        &org.client,
        &plan,
        &mut |event| match event {
            ProgressEvent::Started { step, .. } => started.push(step.clone()),
            ProgressEvent::Finished { .. } => {
                finished.fetch_add(1, Ordering::SeqCst);
            }
        },
        &|| finished.load(Ordering::SeqCst) == 2,
    )
    .await
    .unwrap();

    let Executed::Stopped {
        report,
        done: 2,
        total: 4,
    } = executed
    else {
        panic!("stopped after the clone: {executed:?}");
    };
    assert_eq!(
        report.to_string(),
        "1 key generated, 1 cloned, 0 apps switched"
    );
    let new_key = KeyRef::Existing(report.generated["finance"].clone());
    assert!(
        matches!(
            &plan.steps[1],
            Step::Clone {
                key: KeyRef::Generated { .. },
                ..
            }
        ),
        "the plan does not know the key: {plan:?}"
    );
    assert!(
        matches!(&started[..], [Step::Generate { .. }, Step::Clone { key, .. }] if *key == new_key),
        "the clone runs with the kid the generate made: {started:?}"
    );

    let rerun = org.plan(&desired).await;
    assert_eq!(rerun.groups[0].key, new_key, "resumed with the same key");
    let report = org.execute(&rerun).await.unwrap();
    assert_eq!(
        report.to_string(),
        "0 keys generated, 0 cloned, 2 apps switched"
    );
    assert!(org.plan(&desired).await.is_empty());
}

#[tokio::test]
async fn an_apply_stopped_after_any_step_converges_on_rerun_with_one_new_key() {
    for stop_after in 0..=4 {
        let org = Org::guide().await;
        let desired = finance();
        let mut first = org.plan(&desired).await;
        first.steps.truncate(stop_after);
        org.execute(&first).await.unwrap();

        let rerun = org.plan(&desired).await;
        let generates = rerun
            .steps
            .iter()
            .filter(|s| matches!(s, Step::Generate { .. }))
            .count();
        assert_eq!(
            generates,
            usize::from(stop_after == 0),
            "stopped after {stop_after}"
        );
        org.execute(&rerun).await.unwrap();

        assert!(
            org.plan(&desired).await.is_empty(),
            "stopped after {stop_after}"
        );
        let (app1, app2) = (org.app_state(APP1).await, org.app_state(APP2).await);
        assert_eq!(kids(&app1).len(), 2, "stopped after {stop_after}: {app1}");
        assert_eq!(kids(&app2).len(), 2, "stopped after {stop_after}: {app2}");
        assert_eq!(signing_kid(&app1), signing_kid(&app2));
    }
}

#[tokio::test]
async fn a_generate_whose_answer_is_lost_adopts_the_key_that_appeared() {
    // The generate takes effect, then the client sees a 500 or a dropped connection.
    let faults = [
        json!({"method": "POST", "route": GENERATE, "action": "fail", "when": "after"}),
        json!({"method": "POST", "route": GENERATE, "action": "drop", "when": "after"}),
    ];
    for fault in faults {
        let org = Org::guide().await;
        let desired = finance();
        let plan = org.plan(&desired).await;
        org.inject(json!([fault])).await;

        let mut outcomes = Vec::new();
        let report = keyshare::apply::execute(&org.client, &plan, &mut |event| {
            if let ProgressEvent::Finished { outcome, .. } = event {
                outcomes.push(outcome.clone());
            }
        })
        .await
        .unwrap_or_else(|e| panic!("{fault}: the apply goes on with the adopted key: {e}"));

        let new_kid = report.generated["finance"].clone();
        assert_eq!(
            outcomes[0],
            StepOutcome::Adopted(new_kid.clone()),
            "{fault}"
        );
        assert_eq!(
            report.to_string(),
            "1 key generated, 1 cloned, 2 apps switched"
        );
        let source = org.app_state(APP1).await;
        assert_eq!(
            kids(&source).len(),
            2,
            "{fault}: one key generated, not two"
        );
        assert_eq!(signing_kid(&source), new_kid.0);
        assert!(org.plan(&desired).await.is_empty());
    }
}

#[tokio::test]
async fn an_apply_failing_right_after_generate_is_finished_by_the_next_run() {
    // One attempt per call, so that the simulator's one-off 503 stops the apply.
    let org = Org::start_with(SimConfig::default(), |settings| {
        settings.retry.max_retries = 0;
    })
    .await;
    let desired = finance();
    org.inject(json!([{"method": "POST", "route": CLONE, "action": "fail", "status": 503}]))
        .await;

    let error = org.execute(&org.plan(&desired).await).await.unwrap_err();
    let message = error.to_string();
    assert!(
        message.starts_with(&format!(
            "apply stopped at step 2 of 4 (group `finance`: clone the new key from {APP1} to {APP2}): "
        )),
        "{message}"
    );

    let rerun = org.plan(&desired).await;
    assert!(
        !rerun
            .steps
            .iter()
            .any(|s| matches!(s, Step::Generate { .. }))
    );
    org.execute(&rerun).await.unwrap();
    assert!(org.plan(&desired).await.is_empty());
    assert_eq!(
        kids(&org.app_state(APP1).await).len(),
        2,
        "exactly one new key"
    );
}

#[tokio::test]
async fn an_apply_killed_while_waiting_for_a_switch_is_finished_by_the_next_run() {
    let org = Org::guide().await;
    let desired = finance();
    let plan = org.plan(&desired).await;
    // App 1's switch takes effect, then its answer is held until the apply is killed.
    org.inject(json!([{"method": "PUT", "route": "/api/v1/apps/{appId}", "action": "hold", "when": "after"}]))
        .await;
    let client = org.client.clone();
    let apply =
        tokio::spawn(async move { keyshare::apply::execute(&client, &plan, &mut |_| {}).await });
    org.wait_for_held_request().await;
    apply.abort();
    assert!(apply.await.unwrap_err().is_cancelled());
    org.clear_faults().await;

    let rerun = org.plan(&desired).await;
    assert!(
        matches!(rerun.steps.as_slice(), [Step::Switch { app, .. }] if app.0 == APP2),
        "only App 2's switch is left: {rerun:?}"
    );
    org.execute(&rerun).await.unwrap();
    assert!(org.plan(&desired).await.is_empty());
    assert_eq!(
        kids(&org.app_state(APP1).await).len(),
        2,
        "exactly one new key"
    );
}
