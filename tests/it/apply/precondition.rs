//! Switches check the app against what the plan saw: a change made behind keyshare's back
//! between plan and apply stops the apply, unless the app is already where the plan wanted it.

use keyshare::apply::{StepFailure, StepOutcome};
use keyshare::okta::http::Bucket;
use keyshare::okta::{AppId, Kid, OktaApi};
use keyshare::plan::Step;
use serde_json::json;

use crate::support::apply::*;
use crate::support::{APP1, APP2, kids};

/// Someone edits App 2 in the Admin Console: a new relay state.
async fn edit_app2_by_hand(org: &Org) {
    let app = org.client.get_app(&AppId::from(APP2)).await.unwrap();
    let mut body = app.json().clone();
    body["settings"]["signOn"]["defaultRelayState"] = json!("/edited-by-hand");
    org.client
        .replace_app(&AppId::from(APP2), &body)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_app_changed_since_the_plan_stops_the_apply() {
    let org = Org::guide().await;
    let desired = finance();
    let plan = org.plan(&desired).await;
    edit_app2_by_hand(&org).await;

    let error = org.execute(&plan).await.unwrap_err();

    let message = error.to_string();
    let expected_start = format!(
        "apply stopped at step 4 of 4 (group `finance`: switch {APP2} to the new key): \
         App 2 ({APP2}) changed since the plan was made ("
    );
    assert!(message.starts_with(&expected_start), "{message}");
    assert!(message.ends_with("; run plan again"), "{message}");
    assert!(matches!(error.failure, StepFailure::AppChanged { .. }));

    // Everything before the stop took effect; App 2 kept the hand-made change and its key.
    let app2 = org.app_state(APP2).await;
    assert_eq!(
        app2["app"]["settings"]["signOn"]["defaultRelayState"],
        "/edited-by-hand"
    );
    let app1 = org.app_state(APP1).await;
    assert_ne!(signing_kid(&app2), signing_kid(&app1));

    // Planning again finishes the job on top of the edit.
    let rerun = org.plan(&desired).await;
    assert!(matches!(rerun.steps.as_slice(), [Step::Switch { app, .. }] if app.0 == APP2));
    org.execute(&rerun).await.unwrap();
    let app2 = org.app_state(APP2).await;
    assert_eq!(signing_kid(&app2), signing_kid(&app1));
    assert_eq!(
        app2["app"]["settings"]["signOn"]["defaultRelayState"],
        "/edited-by-hand"
    );
}

#[tokio::test]
async fn an_app_already_switched_by_someone_else_counts_as_done_without_a_write() {
    let org = Org::guide().await;
    let desired = finance();
    org.execute(&org.plan(&desired).await).await.unwrap();
    let shared = Kid(signing_kid(&org.app_state(APP1).await));
    let old = kids(&org.app_state(APP2).await)
        .into_iter()
        .find(|kid| *kid != shared.0)
        .unwrap();

    // Drift: App 2 is switched back to its old key by hand.
    let app2 = org.client.get_app(&AppId::from(APP2)).await.unwrap();
    org.client
        .replace_app(&AppId::from(APP2), &app2.with_signing_kid(&Kid(old)))
        .await
        .unwrap();
    let plan = org.plan(&desired).await;
    assert_eq!(plan.steps.len(), 1);

    // Before keyshare applies, someone else repairs it.
    let app2 = org.client.get_app(&AppId::from(APP2)).await.unwrap();
    org.client
        .replace_app(&AppId::from(APP2), &app2.with_signing_kid(&shared))
        .await
        .unwrap();
    let puts_before = org.client.stats().buckets[&Bucket::AppById].requests;

    let mut outcomes = Vec::new();
    let report = keyshare::apply::execute(&org.client, &plan, &mut |event| {
        if let keyshare::apply::ProgressEvent::Finished { outcome, .. } = event {
            outcomes.push(outcome.clone());
        }
    })
    .await
    .unwrap();

    assert_eq!(outcomes, [StepOutcome::AlreadyDone]);
    assert_eq!(report.apps_switched, 0);
    let calls = org.client.stats().buckets[&Bucket::AppById].requests - puts_before;
    assert_eq!(calls, 1, "one GET, no PUT");
}
