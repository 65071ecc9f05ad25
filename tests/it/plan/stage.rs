//! Staged rotation (`stageBefore`) as a table: every phase and every transition between them,
//! planned at `now` = 2026-11-26T12:00:00Z. The group is 0oa1 (source), 0oa2 and 0oa3; keys
//! are made-up kids with ages and expiries in days relative to `now`. Each case expects the
//! steps (and warnings), then the group's phase.

use jiff::SignedDuration;
use keyshare::config::{DesiredState, KeyPolicy, Staging, SwitchWhen};
use keyshare::okta::{JsonWebKey, Kid};
use keyshare::plan::plan;

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
        Ok(plan) => format!("{}\n-- {}", describe(&plan), describe_phases(&plan)),
        Err(errors) => describe_errors(&errors),
    }
}

/// Stage 60 days before expiry, switch 30 days before.
fn staged(switch: SwitchWhen) -> KeyPolicy {
    KeyPolicy {
        rotate_before: Some(days(30)),
        stage: Some(Staging {
            before: days(60),
            switch,
            location: at(9),
        }),
        ..policy()
    }
}

fn finance(key: KeyPolicy) -> DesiredState {
    desired(vec![group(
        "finance",
        id("0oa1"),
        vec![id("0oa2"), id("0oa3")],
        key,
    )])
}

fn after_soak() -> DesiredState {
    finance(staged(SwitchWhen::AfterSoak))
}

/// Three apps signing with `signs` and holding `keys`.
fn org(signs: &str, keys: &[&JsonWebKey]) -> Org {
    Org::new()
        .app("0oa1", "App 1", signs, keys)
        .app("0oa2", "App 2", signs, keys)
        .app("0oa3", "App 3", signs, keys)
}

fn cases() -> Vec<Case> {
    // The active key far from expiry, inside stageBefore, inside rotateBefore.
    let fresh = key("kA", 300, 100);
    let stage_window = key("kA", 300, 50);
    let switch_window = key("kA", 700, 20);
    // The next key, staged 5 days ago on the source (members' copies have their own dates).
    let next = key("kB", 5, 725);
    vec![
        Case {
            name: "in sync: the key is far from expiry",
            org: org("kA", &[&fresh]),
            desired: after_soak(),
            expect: "no changes\n-- finance: in sync",
        },
        Case {
            name: "staging due: generate and clone, switch nothing",
            org: org("kA", &[&stage_window]),
            desired: after_soak(),
            expect: "finance: generate on 0oa1 (2y)\n\
                     finance: clone (new key of finance) 0oa1 -> 0oa2\n\
                     finance: clone (new key of finance) 0oa1 -> 0oa3\n\
                     -- finance: staging due: (new key of finance), switch 2026-12-16",
        },
        Case {
            name: "staging due: a newer valid key on the source is adopted, not a second one generated",
            org: Org::new()
                .app("0oa1", "App 1", "kA", &[&stage_window, &next])
                .app("0oa2", "App 2", "kA", &[&stage_window])
                .app("0oa3", "App 3", "kA", &[&stage_window]),
            desired: after_soak(),
            expect: "finance: clone kB 0oa1 -> 0oa2\n\
                     finance: clone kB 0oa1 -> 0oa3\n\
                     -- finance: staging due: kB, switch 2026-12-16",
        },
        Case {
            name: "staging interrupted after one clone: the rest is cloned",
            org: Org::new()
                .app("0oa1", "App 1", "kA", &[&stage_window, &next])
                .app("0oa2", "App 2", "kA", &[&stage_window, &next])
                .app("0oa3", "App 3", "kA", &[&stage_window]),
            desired: after_soak(),
            expect: "finance: clone kB 0oa1 -> 0oa3\n\
                     -- finance: staging due: kB, switch 2026-12-16",
        },
        Case {
            name: "staged and not yet due: in sync, nothing to do",
            org: org("kA", &[&stage_window, &next]),
            desired: after_soak(),
            expect: "no changes\n-- finance: staged kB, switch 2026-12-16",
        },
        Case {
            name: "staged early by hand: still staged, switching on the usual date",
            org: org("kA", &[&fresh, &next]),
            desired: after_soak(),
            expect: "no changes\n-- finance: staged kB, switch 2027-02-04",
        },
        Case {
            name: "switch due: every app switches to the staged key",
            org: org("kA", &[&switch_window, &next]),
            desired: after_soak(),
            expect: "finance: switch 0oa1 kA -> kB\n\
                     finance: switch 0oa2 kA -> kB\n\
                     finance: switch 0oa3 kA -> kB\n\
                     -- finance: switch due to kB since 2026-11-16",
        },
        Case {
            name: "switched: back in sync, the old key left in place and not read",
            org: org("kB", &[&switch_window, &next]),
            desired: after_soak(),
            expect: "no changes\n-- finance: in sync",
        },
        Case {
            name: "a member switched early by hand: moved back until the switch, no second key",
            org: Org::new()
                .app("0oa1", "App 1", "kA", &[&stage_window, &next])
                .app("0oa2", "App 2", "kB", &[&stage_window, &next])
                .app("0oa3", "App 3", "kA", &[&stage_window, &next]),
            desired: after_soak(),
            expect: "finance: switch 0oa2 kB -> kA\n\
                     -- finance: staged kB, switch 2026-12-16",
        },
        Case {
            name: "interrupted between switches: the rest switch to the staged key",
            org: Org::new()
                .app("0oa1", "App 1", "kB", &[&switch_window, &next])
                .app("0oa2", "App 2", "kB", &[&switch_window, &next])
                .app("0oa3", "App 3", "kA", &[&switch_window, &next]),
            desired: after_soak(),
            expect: "finance: switch 0oa3 kA -> kB\n\
                     -- finance: in sync",
        },
        Case {
            name: "overdue: inside rotateBefore with nothing staged, stage now and switch nothing",
            org: org("kA", &[&switch_window]),
            desired: after_soak(),
            expect: "finance: generate on 0oa1 (2y)\n\
                     finance: clone (new key of finance) 0oa1 -> 0oa2\n\
                     finance: clone (new key of finance) 0oa1 -> 0oa3\n\
                     -- finance: overdue: stage (new key of finance)",
        },
        Case {
            name: "an expired-soon staged key is not staged: it would be due itself",
            org: org("kA", &[&stage_window, &key("kOld", 1, 25)]),
            desired: after_soak(),
            expect: "finance: generate on 0oa1 (2y)\n\
                     finance: clone (new key of finance) 0oa1 -> 0oa2\n\
                     finance: clone (new key of finance) 0oa1 -> 0oa3\n\
                     -- finance: staging due: (new key of finance), switch 2026-12-16",
        },
        Case {
            name: "manual activation: pinning the staged kid is the switch",
            org: org("kA", &[&stage_window, &next]),
            desired: finance(KeyPolicy {
                kid: Some(Kid::from("kB")),
                ..staged(SwitchWhen::AfterSoak)
            }),
            expect: "finance: switch 0oa1 kA -> kB\n\
                     finance: switch 0oa2 kA -> kB\n\
                     finance: switch 0oa3 kA -> kB\n\
                     -- ",
        },
        Case {
            name: "rollback: pinning the previous kid while it is valid switches back",
            org: org("kB", &[&stage_window, &next]),
            desired: finance(KeyPolicy {
                kid: Some(Kid::from("kA")),
                ..staged(SwitchWhen::AfterSoak)
            }),
            expect: "finance: switch 0oa1 kB -> kA\n\
                     finance: switch 0oa2 kB -> kA\n\
                     finance: switch 0oa3 kB -> kA\n\
                     finance: warning: kA expires 2027-01-15T12:00:00Z\n\
                     -- ",
        },
        Case {
            name: "rotateAfter stages at once and switches a soak after the stage",
            org: org("kA", &[&fresh]),
            desired: finance(KeyPolicy {
                rotate_after: Some(now() - days(10)),
                ..staged(SwitchWhen::AfterSoak)
            }),
            expect: "finance: generate on 0oa1 (2y)\n\
                     finance: clone (new key of finance) 0oa1 -> 0oa2\n\
                     finance: clone (new key of finance) 0oa1 -> 0oa3\n\
                     -- finance: staging due: (new key of finance), switch 2026-12-26",
        },
        Case {
            name: "rotateAfter: staged, the soak not over",
            org: org("kA", &[&fresh, &next]),
            desired: finance(KeyPolicy {
                rotate_after: Some(now() - days(10)),
                ..staged(SwitchWhen::AfterSoak)
            }),
            expect: "no changes\n-- finance: staged kB, switch 2026-12-21",
        },
        Case {
            name: "rotateAfter: the soak is over, switch",
            org: org("kA", &[&fresh, &key("kB", 31, 699)]),
            desired: finance(KeyPolicy {
                rotate_after: Some(now() - days(40)),
                ..staged(SwitchWhen::AfterSoak)
            }),
            expect: "finance: switch 0oa1 kA -> kB\n\
                     finance: switch 0oa2 kA -> kB\n\
                     finance: switch 0oa3 kA -> kB\n\
                     -- finance: switch due to kB since 2026-11-25",
        },
        Case {
            name: "switch: immediately rotates in one apply, with a warning",
            org: org("kA", &[&switch_window]),
            desired: finance(staged(SwitchWhen::Immediately)),
            expect: "finance: generate on 0oa1 (2y)\n\
                     finance: clone (new key of finance) 0oa1 -> 0oa2\n\
                     finance: clone (new key of finance) 0oa1 -> 0oa3\n\
                     finance: switch 0oa1 kA -> (new key of finance)\n\
                     finance: switch 0oa2 kA -> (new key of finance)\n\
                     finance: switch 0oa3 kA -> (new key of finance)\n\
                     finance: warning: switches immediately\n\
                     -- ",
        },
        Case {
            name: "switch: immediately does not warn while no rotation is due",
            org: org("kA", &[&fresh]),
            desired: finance(staged(SwitchWhen::Immediately)),
            expect: "no changes\n-- ",
        },
    ]
}

#[test]
fn staging_table() {
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

/// The planner reads the source's list for a staging group, and the members' lists only once
/// the source holds a key that may be staged.
#[test]
fn staging_reads_member_lists_only_for_a_candidate() {
    let quiet = org("kA", &[&key("kA", 300, 100)]);
    let (_, rounds) = quiet.fetch(&after_soak());
    assert_eq!(rounds, vec![vec!["0oa1".to_owned()]]);
    let staged = org("kA", &[&key("kA", 300, 50), &key("kB", 5, 725)]);
    let (_, rounds) = staged.fetch(&after_soak());
    assert_eq!(
        rounds,
        vec![
            vec!["0oa1".to_owned()],
            vec!["0oa2".to_owned(), "0oa3".to_owned()]
        ]
    );
}

/// The switch date is the same whichever day the plan runs between the stage and it.
#[test]
fn switch_date_does_not_move_while_staged() {
    let stage_window = key("kA", 300, 50);
    let next = key("kB", 5, 725);
    let live = org("kA", &[&stage_window, &next]).fetch(&after_soak()).0;
    let dates: Vec<String> = [0, 7, 19]
        .into_iter()
        .map(|d| {
            let at = now() + SignedDuration::from_hours(24 * d);
            describe_phases(&plan(&after_soak(), &live, at).unwrap())
        })
        .collect();
    assert_eq!(dates, vec!["finance: staged kB, switch 2026-12-16"; 3]);
}

/// A staged group that is not yet due is in sync (drift exits 0); a stage that is due but
/// missing, or a switch that is due, is drift (exit 2).
#[test]
fn drift_follows_the_phase() {
    let drifted = |org: Org| {
        let (live, _) = org.fetch(&after_soak());
        !plan(&after_soak(), &live, now())
            .unwrap()
            .drift()
            .is_empty()
    };
    let next = key("kB", 5, 725);
    assert!(!drifted(org("kA", &[&key("kA", 300, 50), &next])));
    assert!(drifted(org("kA", &[&key("kA", 300, 50)])));
    assert!(drifted(org("kA", &[&key("kA", 700, 20), &next])));
    assert!(drifted(org("kA", &[&key("kA", 700, 20)])));
}
