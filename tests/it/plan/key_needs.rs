//! Which key lists the planner asks for, round by round, before it can plan. Each list is one
//! call in Okta's scarce `/api/v1/apps` bucket, so every row here is the minimum: an app that
//! signs with the group key is never asked about, and a group whose key will be generated needs
//! no member's list.

use keyshare::config::{DesiredState, KeyPolicy};
use keyshare::okta::Kid;

use crate::support::plan::*;

struct Case {
    name: &'static str,
    org: Org,
    desired: DesiredState,
    /// The apps whose key lists are read, per round.
    rounds: &'static [&'static [&'static str]],
}

fn finance(key: KeyPolicy) -> DesiredState {
    desired(vec![group("finance", id("0oa1"), vec![id("0oa2")], key)])
}

fn rotate_before_30d() -> KeyPolicy {
    KeyPolicy {
        rotate_before: Some(days(30)),
        stage: None,
        ..policy()
    }
}

fn cases() -> Vec<Case> {
    let ka = key("kA", 300, 400);
    let k2 = key("k2", 300, 400);
    vec![
        Case {
            name: "in sync, key metadata cached: no list at all",
            org: Org::new()
                .app("0oa1", "App 1", "kA", &[&ka])
                .app("0oa2", "App 2", "kA", &[&ka])
                .cached(ka.clone()),
            desired: finance(rotate_before_30d()),
            rounds: &[],
        },
        Case {
            name: "in sync, cold: the source's list, for the key's expiry",
            org: Org::new()
                .app("0oa1", "App 1", "kA", &[&ka])
                .app("0oa2", "App 2", "kA", &[&ka]),
            desired: finance(rotate_before_30d()),
            rounds: &[&["0oa1"]],
        },
        Case {
            name: "a member signing with another key: its list, once the group key is known",
            org: Org::new()
                .app("0oa1", "App 1", "kA", &[&ka])
                .app("0oa2", "App 2", "k2", &[&k2]),
            desired: finance(rotate_before_30d()),
            rounds: &[&["0oa1"], &["0oa2"]],
        },
        Case {
            name: "the same, warm: the member's list only",
            org: Org::new()
                .app("0oa1", "App 1", "kA", &[&ka])
                .app("0oa2", "App 2", "k2", &[&k2])
                .cached(ka.clone()),
            desired: finance(rotate_before_30d()),
            rounds: &[&["0oa2"]],
        },
        Case {
            name: "a key to generate: the source's list, no member's",
            org: Org::new()
                .app("0oa1", "App 1", "kA", &[&key("kA", 300, 20)])
                .app("0oa2", "App 2", "k2", &[&k2]),
            desired: finance(rotate_before_30d()),
            rounds: &[&["0oa1"]],
        },
        Case {
            name: "a pinned kid the source does not sign with, signed with by the member",
            org: Org::new().app("0oa1", "App 1", "kA", &[&ka]).app(
                "0oa2",
                "App 2",
                "kB",
                &[&key("kB", 10, 700)],
            ),
            desired: finance(KeyPolicy {
                kid: Some(Kid::from("kB")),
                ..policy()
            }),
            rounds: &[&["0oa1"]],
        },
        Case {
            name: "several groups are asked about in the same rounds",
            org: Org::new()
                .app("0oa1", "App 1", "kA", &[&ka])
                .app("0oa2", "App 2", "k2", &[&k2])
                .app("0oa3", "App 3", "k3", &[&key("k3", 300, 400)])
                .app("0oa4", "App 4", "k4", &[&key("k4", 300, 400)]),
            desired: desired(vec![
                group("finance", id("0oa1"), vec![id("0oa2")], policy()),
                group("hr", id("0oa3"), vec![id("0oa4")], policy()),
            ]),
            rounds: &[&["0oa1", "0oa3"], &["0oa2", "0oa4"]],
        },
        Case {
            name: "a group that does not resolve asks nothing",
            org: Org::new().app("0oa1", "App 1", "kA", &[&ka]),
            desired: finance(policy()),
            rounds: &[],
        },
    ]
}

#[test]
fn key_lists_read_per_round() {
    let failures: Vec<String> = cases()
        .iter()
        .filter_map(|case| {
            let (_, rounds) = case.org.fetch(&case.desired);
            let expected: Vec<Vec<String>> = case
                .rounds
                .iter()
                .map(|round| round.iter().map(ToString::to_string).collect())
                .collect();
            (rounds != expected).then(|| {
                format!(
                    "case `{}`: expected {expected:?}, got {rounds:?}",
                    case.name
                )
            })
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
