//! Convergence and idempotence against the simulator, for a table of seeded orgs: apply the
//! plan, plan again (no steps), apply again (nothing changes), and no app lost a setting.

use jiff::SignedDuration;
use keyshare::config::{DesiredState, KeyPolicy};
use keyshare::okta::Kid;
use okta_sim::{AppSeed, AppStatus, KeySeed, SignOnMode, SimConfig, TimeSpec};
use serde_json::Value;

use crate::support::apply::*;

/// A seeded key: (kid, created, expires), times relative to the simulator's start. Kids are
/// 43 base64url characters, as Okta's (the simulator insists).
type Key = (&'static str, &'static str, &'static str);

const OLD: Key = (
    "kOld_______________________________________",
    "-700d",
    "+30d",
);
const LONG: Key = (
    "kLong______________________________________",
    "-100d",
    "+900d",
);
const OTHER: Key = (
    "kOther_____________________________________",
    "-50d",
    "+600d",
);

fn app(n: usize, keys: &[Key], active: &str, status: AppStatus) -> AppSeed {
    AppSeed {
        id: Some(format!("0oa{n:017}")),
        name: Some(format!("myorg_app{n}")),
        label: format!("App {n}"),
        sign_on_mode: SignOnMode::Saml2,
        status,
        settings: None,
        keys: keys
            .iter()
            .map(|(kid, created, expires)| KeySeed {
                kid: Some((*kid).into()),
                created: TimeSpec::parse(created).unwrap(),
                expires_at: TimeSpec::parse(expires).unwrap(),
            })
            .collect(),
        active_key: Some(active.into()),
    }
}

fn id(n: usize) -> String {
    format!("0oa{n:017}")
}

fn policy() -> KeyPolicy {
    KeyPolicy {
        validity_years: 2,
        rotate_before: None,
        stage: None,
        rotate_after: None,
        kid: None,
    }
}

struct Case {
    name: &'static str,
    apps: Vec<AppSeed>,
    groups: Vec<(&'static str, usize, Vec<usize>, KeyPolicy)>,
}

fn cases() -> Vec<Case> {
    use AppStatus::{Active, Inactive};
    vec![
        Case {
            name: "member holds the source's key but signs with another",
            apps: vec![
                app(1, &[LONG], LONG.0, Active),
                app(2, &[OTHER, LONG], OTHER.0, Active),
            ],
            groups: vec![("g", 1, vec![2], policy())],
        },
        Case {
            name: "pinned kid held only by a member",
            apps: vec![
                app(1, &[LONG], LONG.0, Active),
                app(2, &[OTHER], OTHER.0, Active),
                app(3, &[OLD], OLD.0, Active),
            ],
            groups: vec![(
                "g",
                1,
                vec![2, 3],
                KeyPolicy {
                    kid: Some(Kid::from(OTHER.0)),
                    ..policy()
                },
            )],
        },
        Case {
            name: "rotateAfter replaces a long-lived shared key",
            apps: vec![
                app(1, &[LONG], LONG.0, Active),
                app(2, &[LONG], LONG.0, Active),
            ],
            groups: vec![(
                "g",
                1,
                vec![2],
                KeyPolicy {
                    rotate_after: Some(jiff::Timestamp::now() - SignedDuration::from_hours(24)),
                    ..policy()
                },
            )],
        },
        Case {
            name: "two groups, an INACTIVE member, rotateBefore due in one group",
            apps: vec![
                app(1, &[OLD], OLD.0, Active),
                app(2, &[OTHER], OTHER.0, Inactive),
                app(3, &[LONG], LONG.0, Active),
                app(4, &[OTHER, OLD], OLD.0, Active),
            ],
            groups: vec![
                (
                    "a",
                    1,
                    vec![2],
                    KeyPolicy {
                        rotate_before: Some(SignedDuration::from_hours(60 * 24)),
                        ..policy()
                    },
                ),
                ("b", 3, vec![4], policy()),
            ],
        },
    ]
}

/// Every app of the org without what a switch may change.
fn settings(state: &Value) -> Vec<Value> {
    state["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            let mut app = entry["app"].clone();
            app["credentials"]
                .as_object_mut()
                .unwrap()
                .remove("signing");
            app.as_object_mut().unwrap().remove("lastUpdated");
            app
        })
        .collect()
}

#[tokio::test]
async fn every_seeded_org_converges_and_a_second_apply_changes_nothing() {
    for case in cases() {
        let org = Org::start(SimConfig {
            apps: case.apps,
            ..SimConfig::default()
        })
        .await;
        let desired = DesiredState {
            groups: case
                .groups
                .iter()
                .map(|(name, source, members, key)| {
                    let members: Vec<String> = members.iter().map(|n| id(*n)).collect();
                    let members: Vec<&str> = members.iter().map(String::as_str).collect();
                    group(name, &id(*source), &members, key.clone())
                })
                .collect(),
            digest: case.name.into(),
        };
        let before = org.state().await;

        let first = org.plan(&desired).await;
        assert!(!first.is_empty(), "{}: something to do", case.name);
        org.execute(&first)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let second = org.plan(&desired).await;
        assert!(
            second.is_empty(),
            "{}: not converged: {second:?}",
            case.name
        );
        let applied = org.state().await;
        org.execute(&second).await.unwrap();

        assert_eq!(org.state().await, applied, "{}: second apply", case.name);
        assert_eq!(
            settings(&applied),
            settings(&before),
            "{}: settings",
            case.name
        );
    }
}
