//! The guide's flow over real HTTP: fetch → plan → execute against the simulator, then the
//! org is in sync, the two apps share one certificate, and nothing else about them changed.

use keyshare::apply::ProgressEvent;
use keyshare::plan::Step;
use serde_json::Value;

use crate::support::apply::*;
use crate::support::{APP1, APP2, kids};

/// An app as the simulator holds it, without what a switch may change.
fn settings_but_signing(app_state: &Value) -> Value {
    let mut app = app_state["app"].clone();
    app["credentials"]
        .as_object_mut()
        .unwrap()
        .remove("signing");
    app.as_object_mut().unwrap().remove("lastUpdated");
    app
}

#[tokio::test]
async fn the_guides_flow_shares_one_key_and_changes_nothing_else() {
    let org = Org::guide().await;
    let before = (org.app_state(APP1).await, org.app_state(APP2).await);
    let desired = finance();

    let plan = org.plan(&desired).await;
    let kinds: Vec<String> = plan
        .steps
        .iter()
        .map(|step| match step {
            Step::Generate { app, .. } => format!("generate {app}"),
            Step::Clone { from, to, .. } => format!("clone {from} -> {to}"),
            Step::Switch { app, .. } => format!("switch {app}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            format!("generate {APP1}"),
            format!("clone {APP1} -> {APP2}"),
            format!("switch {APP1}"),
            format!("switch {APP2}"),
        ]
    );

    let mut events = Vec::new();
    let report = keyshare::apply::execute(&org.client, &plan, &mut |event| {
        events.push(match event {
            ProgressEvent::Started { index, total, .. } => format!("start {index}/{total}"),
            ProgressEvent::Finished {
                index,
                total,
                outcome,
                ..
            } => format!("{outcome:?} {index}/{total}"),
        });
    })
    .await
    .expect("the plan applies");
    assert_eq!(
        report.to_string(),
        "1 key generated, 1 cloned, 2 apps switched"
    );
    assert_eq!(
        events,
        [
            "start 1/4",
            "Done 1/4",
            "start 2/4",
            "Done 2/4",
            "start 3/4",
            "Done 3/4",
            "start 4/4",
            "Done 4/4"
        ]
    );

    let after = (org.app_state(APP1).await, org.app_state(APP2).await);
    let new_kid = report.generated["finance"].0.clone();
    assert_eq!(signing_kid(&after.0), new_kid);
    assert_eq!(signing_kid(&after.1), new_kid);
    assert!(kids(&after.0).contains(&new_kid));
    assert!(kids(&after.1).contains(&new_kid));
    let x5c = |app: &Value| {
        app["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kid"] == new_kid.as_str())
            .unwrap()["x5c"]
            .clone()
    };
    assert_eq!(x5c(&after.0), x5c(&after.1));
    assert_eq!(
        settings_but_signing(&after.0),
        settings_but_signing(&before.0)
    );
    assert_eq!(
        settings_but_signing(&after.1),
        settings_but_signing(&before.1)
    );

    assert!(org.plan(&desired).await.is_empty(), "converged");
}

#[tokio::test]
async fn applying_twice_changes_nothing() {
    let org = Org::guide().await;
    let desired = finance();
    org.execute(&org.plan(&desired).await).await.unwrap();
    let applied = org.state().await;

    let second = org.plan(&desired).await;
    assert!(second.is_empty());
    let report = org.execute(&second).await.unwrap();
    assert_eq!(report, Default::default());
    assert_eq!(org.state().await, applied);
}
