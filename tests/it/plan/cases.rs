//! The planner as a table: an org, a desired state, and the plan (or errors) expected at
//! `now` = 2026-11-26T12:00:00Z. Apps are 0oa1 (App 1), 0oa2 (App 2), 0oa3 (App 3); keys are
//! made-up kids with ages and expiries in days relative to `now`.

use keyshare::config::{DesiredState, KeyPolicy};
use keyshare::okta::Kid;
use keyshare::plan::plan;
use serde_json::json;

use crate::support::plan::*;

struct Case {
    name: &'static str,
    org: Org,
    desired: DesiredState,
    expect: &'static str,
}

fn run(case: &Case) -> String {
    let (live, _) = case.org.fetch(&case.desired);
    match plan(&case.desired, &live, now()) {
        Ok(plan) => describe(&plan),
        Err(errors) => describe_errors(&errors),
    }
}

/// The guide's group: source 0oa1, member 0oa2.
fn finance(key: KeyPolicy) -> DesiredState {
    desired(vec![group("finance", id("0oa1"), vec![id("0oa2")], key)])
}

fn rotate_before(d: i64) -> KeyPolicy {
    KeyPolicy {
        rotate_before: Some(days(d)),
        ..policy()
    }
}

fn pinned(kid: &str) -> KeyPolicy {
    KeyPolicy {
        kid: Some(Kid::from(kid)),
        ..policy()
    }
}

fn cases() -> Vec<Case> {
    let ka = key("kA", 300, 400);
    let k2 = key("k2", 300, 400);
    vec![
        Case {
            name: "in sync",
            org: Org::new().app("0oa1", "App 1", "kA", &[&ka]).app(
                "0oa2",
                "App 2",
                "kA",
                &[&k2, &ka],
            ),
            desired: finance(rotate_before(30)),
            expect: "no changes",
        },
        Case {
            name: "member lacks the key",
            org: Org::new()
                .app("0oa1", "App 1", "kA", &[&ka])
                .app("0oa2", "App 2", "k2", &[&k2]),
            desired: finance(rotate_before(30)),
            expect: "finance: clone kA 0oa1 -> 0oa2\n\
                     finance: switch 0oa2 k2 -> kA",
        },
        Case {
            name: "member holds the key but signs with another",
            org: Org::new().app("0oa1", "App 1", "kA", &[&ka]).app(
                "0oa2",
                "App 2",
                "k2",
                &[&k2, &ka],
            ),
            desired: finance(rotate_before(30)),
            expect: "finance: switch 0oa2 k2 -> kA",
        },
        Case {
            name: "source key expiring within rotateBefore: the guide's flow",
            org: Org::new()
                .app("0oa1", "App 1", "kA", &[&key("kA", 300, 20)])
                .app("0oa2", "App 2", "k2", &[&key("k2", 300, 20)]),
            desired: finance(rotate_before(30)),
            expect: "finance: generate on 0oa1 (2y)\n\
                     finance: clone (new key of finance) 0oa1 -> 0oa2\n\
                     finance: switch 0oa1 kA -> (new key of finance)\n\
                     finance: switch 0oa2 k2 -> (new key of finance)",
        },
        Case {
            name: "source key created before rotateAfter",
            org: Org::new()
                .app("0oa1", "App 1", "kA", &[&ka])
                .app("0oa2", "App 2", "kA", &[&ka]),
            desired: finance(KeyPolicy {
                rotate_after: Some(now() - days(10)),
                ..policy()
            }),
            expect: "finance: generate on 0oa1 (2y)\n\
                     finance: clone (new key of finance) 0oa1 -> 0oa2\n\
                     finance: switch 0oa1 kA -> (new key of finance)\n\
                     finance: switch 0oa2 kA -> (new key of finance)",
        },
        Case {
            name: "resumption: the source already holds a fresh key, no second generate",
            org: Org::new()
                .app(
                    "0oa1",
                    "App 1",
                    "kA",
                    &[&key("kA", 300, 20), &key("kNew", 0, 730)],
                )
                .app("0oa2", "App 2", "k2", &[&key("k2", 300, 20)]),
            desired: finance(rotate_before(30)),
            expect: "finance: clone kNew 0oa1 -> 0oa2\n\
                     finance: switch 0oa1 kA -> kNew\n\
                     finance: switch 0oa2 k2 -> kNew",
        },
        Case {
            name: "resumption after the clone: only the switches are left",
            org: Org::new()
                .app(
                    "0oa1",
                    "App 1",
                    "kA",
                    &[&key("kA", 300, 20), &key("kNew", 0, 730)],
                )
                .app(
                    "0oa2",
                    "App 2",
                    "k2",
                    &[&key("k2", 300, 20), &key("kNew", 0, 730)],
                ),
            desired: finance(rotate_before(30)),
            expect: "finance: switch 0oa1 kA -> kNew\n\
                     finance: switch 0oa2 k2 -> kNew",
        },
        Case {
            name: "resumption prefers the newest valid key",
            org: Org::new()
                .app(
                    "0oa1",
                    "App 1",
                    "kA",
                    &[
                        &key("kA", 300, 20),
                        &key("kOlder", 5, 725),
                        &key("kNewer", 1, 729),
                    ],
                )
                .app("0oa2", "App 2", "kNewer", &[&key("kNewer", 1, 729)]),
            desired: finance(rotate_before(30)),
            expect: "finance: switch 0oa1 kA -> kNewer",
        },
        Case {
            name: "pinned kid held only by a member is cloned from it",
            org: Org::new().app("0oa1", "App 1", "kA", &[&ka]).app(
                "0oa2",
                "App 2",
                "kB",
                &[&key("kB", 10, 700)],
            ),
            desired: finance(pinned("kB")),
            expect: "finance: clone kB 0oa2 -> 0oa1\n\
                     finance: switch 0oa1 kA -> kB",
        },
        Case {
            name: "pinned kid held by nobody",
            org: Org::new()
                .app("0oa1", "App 1", "kA", &[&ka])
                .app("0oa2", "App 2", "k2", &[&k2]),
            desired: finance(pinned("kZ")),
            expect: "groups.yaml:1:3: group `finance`: pinned kid kZ is held by no app of the group; \
                     pin a kid the source or a member holds, or remove `kid` to let keyshare choose",
        },
        Case {
            name: "unknown app",
            org: Org::new().app("0oa1", "App 1", "kA", &[&ka]),
            desired: finance(policy()),
            expect: "groups.yaml:3:3: group `finance`: no app matches 0oa2; \
                     check the id, label or name in Okta",
        },
        Case {
            name: "INACTIVE app is planned and warned about",
            org: Org::new().app("0oa1", "App 1", "kA", &[&ka]).app_json(
                set(app_json("0oa2", "App 2", "k2"), "status", json!("INACTIVE")),
                &[&k2],
            ),
            desired: finance(rotate_before(30)),
            expect: "finance: clone kA 0oa1 -> 0oa2\n\
                     finance: switch 0oa2 k2 -> kA\n\
                     finance: warning: 0oa2 is INACTIVE",
        },
        Case {
            name: "group key expiring within 90 days without rotateBefore: a warning, no step",
            org: Org::new()
                .app("0oa1", "App 1", "kA", &[&key("kA", 300, 20)])
                .app("0oa2", "App 2", "kA", &[&key("kA", 300, 20)]),
            desired: finance(policy()),
            expect: "finance: warning: kA expires 2026-12-16T12:00:00Z",
        },
        Case {
            name: "keys on a member that nothing uses are reported",
            org: Org::new().app("0oa1", "App 1", "kA", &[&ka]).app(
                "0oa2",
                "App 2",
                "k2",
                &[&key("kOld", 900, 10), &k2],
            ),
            desired: finance(rotate_before(30)),
            expect: "finance: clone kA 0oa1 -> 0oa2\n\
                     finance: switch 0oa2 k2 -> kA\n\
                     finance: warning: 0oa2 holds unused kOld",
        },
        Case {
            name: "references by label and by name",
            org: Org::new()
                .app("0oa1", "App 1", "kA", &[&ka])
                .app("0oa2", "App 2", "k2", &[&k2]),
            desired: desired(vec![group(
                "finance",
                label("App 1"),
                vec![name("myorg_app_2")],
                policy(),
            )]),
            expect: "finance: clone kA 0oa1 -> 0oa2\n\
                     finance: switch 0oa2 k2 -> kA",
        },
        Case {
            name: "ambiguous label",
            org: Org::new()
                .app("0oa1", "App 1", "kA", &[&ka])
                .app("0oa2", "Finance", "k2", &[&k2])
                .app("0oa3", "Finance", "k3", &[&key("k3", 1, 700)]),
            desired: desired(vec![group(
                "finance",
                id("0oa1"),
                vec![label("Finance")],
                policy(),
            )]),
            expect: "groups.yaml:3:3: group `finance`: {label: \"Finance\"} matches 2 apps \
                     (0oa2, 0oa3); refer to one by id",
        },
        Case {
            name: "an app resolving into two groups",
            org: Org::new()
                .app("0oa1", "App 1", "kA", &[&ka])
                .app("0oa2", "App 2", "k2", &[&k2])
                .app("0oa3", "App 3", "k3", &[&key("k3", 1, 700)]),
            desired: desired(vec![
                group_at(1, "finance", id("0oa1"), vec![id("0oa2")], policy()),
                group_at(10, "hr", id("0oa3"), vec![label("App 2")], policy()),
            ]),
            expect: "groups.yaml:12:3: group `hr` and group `finance` both resolve to app 0oa2; \
                     an app belongs to at most one group",
        },
        Case {
            name: "one app named twice in a group, by id and by label",
            org: Org::new()
                .app("0oa1", "App 1", "kA", &[&ka])
                .app("0oa2", "App 2", "k2", &[&k2]),
            desired: desired(vec![group(
                "finance",
                id("0oa1"),
                vec![id("0oa2"), label("App 1")],
                policy(),
            )]),
            expect: "groups.yaml:4:3: group `finance`: {label: \"App 1\"} resolves to app 0oa1, \
                     which the group already lists; list each app once",
        },
        Case {
            name: "every error is reported, not just the first",
            org: Org::new().app("0oa1", "App 1", "kA", &[&ka]).app_json(
                set(
                    app_json("0oa9", "Portal", "-"),
                    "signOnMode",
                    json!("OPENID_CONNECT"),
                ),
                &[],
            ),
            desired: desired(vec![
                group_at(
                    1,
                    "finance",
                    id("0oa1"),
                    vec![name("nope"), id("0oa9")],
                    policy(),
                ),
                group_at(10, "hr", label("Nobody"), vec![], policy()),
            ]),
            expect: "groups.yaml:3:3: group `finance`: no app matches {name: \"nope\"}; \
                     check the id, label or name in Okta\n\
                     groups.yaml:4:3: group `finance`: app 0oa9 (Portal) has sign-on mode \
                     OPENID_CONNECT, which has no shareable signing key; use SAML_2_0, SAML_1_1 \
                     or WS_FEDERATION apps\n\
                     groups.yaml:11:3: group `hr`: no app matches {label: \"Nobody\"}; \
                     check the id, label or name in Okta",
        },
        Case {
            name: "two groups: all generates, then all clones, then switches group by group",
            org: Org::new()
                .app("0oa1", "App 1", "kA", &[&key("kA", 300, 20)])
                .app("0oa2", "App 2", "k2", &[&k2])
                .app("0oa3", "App 3", "k3", &[&key("k3", 300, 20)])
                .app("0oa4", "App 4", "k4", &[&key("k4", 300, 400)]),
            desired: desired(vec![
                group_at(10, "hr", id("0oa3"), vec![id("0oa4")], rotate_before(30)),
                group_at(
                    1,
                    "finance",
                    id("0oa1"),
                    vec![id("0oa2")],
                    rotate_before(30),
                ),
            ]),
            expect: "finance: generate on 0oa1 (2y)\n\
                     hr: generate on 0oa3 (2y)\n\
                     finance: clone (new key of finance) 0oa1 -> 0oa2\n\
                     hr: clone (new key of hr) 0oa3 -> 0oa4\n\
                     finance: switch 0oa1 kA -> (new key of finance)\n\
                     finance: switch 0oa2 k2 -> (new key of finance)\n\
                     hr: switch 0oa3 k3 -> (new key of hr)\n\
                     hr: switch 0oa4 k4 -> (new key of hr)",
        },
    ]
}

#[test]
fn planner_table() {
    let failures: Vec<String> = cases()
        .iter()
        .filter_map(|case| {
            let got = run(case);
            (got != case.expect).then(|| {
                format!(
                    "case `{}`\n--- expected\n{}\n--- got\n{}\n",
                    case.name, case.expect, got
                )
            })
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
