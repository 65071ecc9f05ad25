//! Drift as `keyshare drift` reports it: what a plan says is out of sync, per group.

use keyshare::config::KeyPolicy;
use keyshare::okta::{AppId, Kid};
use keyshare::plan::{GroupDrift, plan};

use crate::support::plan::*;

fn drift_of(org: &Org, key: KeyPolicy) -> Vec<GroupDrift> {
    let desired = desired(vec![group("finance", id("0oa1"), vec![id("0oa2")], key)]);
    let (live, _) = org.fetch(&desired);
    plan(&desired, &live, now()).unwrap().drift()
}

#[test]
fn a_group_in_sync_has_no_drift() {
    let ka = key("kA", 300, 400);
    let org = Org::new()
        .app("0oa1", "App 1", "kA", &[&ka])
        .app("0oa2", "App 2", "kA", &[&ka]);
    assert_eq!(drift_of(&org, policy()), vec![]);
}

#[test]
fn a_key_due_for_rotation_is_drift_with_its_reason() {
    let org = Org::new()
        .app("0oa1", "App 1", "kA", &[&key("kA", 300, 20)])
        .app("0oa2", "App 2", "k2", &[&key("k2", 300, 400)]);
    let drift = drift_of(
        &org,
        KeyPolicy {
            rotate_before: Some(days(30)),
            stage: None,
            ..policy()
        },
    );
    assert_eq!(drift.len(), 1);
    let finance = &drift[0];
    assert_eq!(
        finance
            .rotation
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("key kA expires at 2026-12-16T12:00:00Z, within rotateBefore (30d)")
    );
    assert_eq!(finance.missing_key, vec![AppId::from("0oa2")]);
    assert_eq!(
        finance.signing_otherwise,
        vec![
            (AppId::from("0oa1"), Some(Kid::from("kA"))),
            (AppId::from("0oa2"), Some(Kid::from("k2")))
        ]
    );
}

#[test]
fn a_member_switched_back_by_hand_is_drift_without_rotation() {
    let ka = key("kA", 300, 400);
    let org = Org::new().app("0oa1", "App 1", "kA", &[&ka]).app(
        "0oa2",
        "App 2",
        "k2",
        &[&key("k2", 300, 400), &ka],
    );
    let drift = drift_of(&org, policy());
    assert_eq!(
        drift,
        vec![GroupDrift {
            group: "finance".into(),
            rotation: None,
            missing_key: vec![],
            signing_otherwise: vec![(AppId::from("0oa2"), Some(Kid::from("k2")))],
        }]
    );
}
