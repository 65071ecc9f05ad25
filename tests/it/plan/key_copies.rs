//! Key copies are per app: Okta dates each app's copy of a shared kid at the moment it came to
//! that app (a clone at the clone), with the same expiry and certificate on every copy. The
//! planner judges a key's age by the source's copy, in one view for the reason it gives and
//! the key it chooses. A tiny model of Okta here dates clones as Okta does, on its own clock.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use keyshare::config::{DesiredState, KeyPolicy};
use keyshare::okta::{AppId, Application, JsonWebKey, Kid};
use keyshare::plan::{
    CLOCK_SKEW, KeyChoice, KeyRef, LiveSnapshot, Plan, RotationReason, Step, key_needs, plan,
};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::support::plan::*;

const SOURCE: &str = "0oaSOURCE";
const MEMBER: &str = "0oaMEMBER";

/// Okta as far as plans touch it: apps, each app's copies of its keys, and Okta's clock
/// offset from keyshare's.
#[derive(Debug, Clone)]
struct Okta {
    apps: BTreeMap<AppId, Value>,
    keys: BTreeMap<AppId, Vec<JsonWebKey>>,
    clock_offset: SignedDuration,
    generated: usize,
}

impl Okta {
    fn new(source: &[JsonWebKey], member: &[JsonWebKey], signing: (&str, &str)) -> Self {
        let apps = [(SOURCE, "Source", signing.0), (MEMBER, "Member", signing.1)]
            .into_iter()
            .map(|(id, label, kid)| (AppId::from(id), app_json(id, label, kid)))
            .collect();
        let keys = [(SOURCE, source), (MEMBER, member)]
            .into_iter()
            .map(|(id, keys)| (AppId::from(id), keys.to_vec()))
            .collect();
        Self {
            apps,
            keys,
            clock_offset: SignedDuration::ZERO,
            generated: 0,
        }
    }

    /// What a fetch at `now` would read: the apps, then the key lists the planner asks for.
    fn snapshot(&self, desired: &DesiredState, now: Timestamp) -> LiveSnapshot {
        let mut live = LiveSnapshot::default();
        for app in self.apps.values() {
            live.insert_app(Application::from_json(app.clone()).unwrap());
        }
        loop {
            let needs = key_needs(desired, &live, now);
            if needs.is_empty() {
                return live;
            }
            for app in needs.key_lists {
                let keys = self.keys[&app].clone();
                live.insert_keys(app, keys);
            }
        }
    }

    /// Carries out `plan` at keyshare's instant `at`, dating what it creates by Okta's clock.
    fn apply(&mut self, plan: &Plan, at: Timestamp) {
        let okta_now = at + self.clock_offset;
        let mut new_keys: BTreeMap<String, Kid> = BTreeMap::new();
        let resolve = |key: &KeyRef, new_keys: &BTreeMap<String, Kid>| match key {
            KeyRef::Existing(kid) => kid.clone(),
            KeyRef::Generated { group } => new_keys[group].clone(),
        };
        for step in &plan.steps {
            match step {
                Step::Generate {
                    group,
                    app,
                    validity_years,
                    ..
                } => {
                    self.generated += 1;
                    let kid = format!("gen-{}", self.generated);
                    let mut new = key(&kid, 0, 0);
                    new.created = okta_now;
                    new.last_updated = Some(okta_now);
                    new.expires_at = okta_now + days(365 * i64::from(*validity_years));
                    self.keys.get_mut(app).unwrap().push(new);
                    new_keys.insert(group.clone(), Kid(kid));
                }
                Step::Clone { key, from, to, .. } => {
                    let kid = resolve(key, &new_keys);
                    let mut copy = self.keys[from]
                        .iter()
                        .find(|k| k.kid == kid)
                        .expect("clone from an app that holds the key")
                        .clone();
                    // Okta dates the target's copy at the clone, not at the generate.
                    copy.created = okta_now;
                    copy.last_updated = Some(okta_now);
                    let target = self.keys.get_mut(to).unwrap();
                    if !target.iter().any(|k| k.kid == kid) {
                        target.push(copy);
                    }
                }
                Step::Switch { app, to, .. } => {
                    let kid = resolve(to, &new_keys);
                    assert!(self.keys[app].iter().any(|k| k.kid == kid));
                    self.apps.get_mut(app).unwrap()["credentials"]["signing"]["kid"] = json!(kid.0);
                }
            }
        }
    }
}

fn one_group(policy: KeyPolicy) -> DesiredState {
    desired(vec![group("g", id(SOURCE), vec![id(MEMBER)], policy)])
}

fn generates(plan: &Plan) -> bool {
    plan.steps
        .iter()
        .any(|s| matches!(s, Step::Generate { .. }))
}

/// A forced rotation with `rotateAfter` between the source copy's date (older) and the member
/// copy's date (newer) must replace the key, name the key it replaces with the source copy's
/// date, and converge. Both lists read, the member's last: a snapshot that kept one date per
/// kid took the member's and silently kept the old key.
#[test]
fn a_forced_rotation_between_two_copies_dates_generates_a_new_key() {
    let generated = key("K", 100, 600);
    let cloned = key("K", 5, 600);
    let policy = KeyPolicy {
        rotate_after: Some(now() - days(10)),
        ..policy()
    };
    let desired = one_group(policy);
    let mut okta = Okta::new(
        std::slice::from_ref(&generated),
        std::slice::from_ref(&cloned),
        ("K", "K"),
    );
    let mut live = LiveSnapshot::default();
    for app in okta.apps.values() {
        live.insert_app(Application::from_json(app.clone()).unwrap());
    }
    live.insert_keys(AppId::from(SOURCE), vec![generated.clone()]);
    live.insert_keys(AppId::from(MEMBER), vec![cloned]);

    let first = plan(&desired, &live, now()).unwrap();
    assert!(generates(&first), "{}", describe(&first));
    let because = RotationReason::CreatedBefore {
        kid: Kid::from("K"),
        created: generated.created,
        rotate_after: now() - days(10),
    };
    assert_eq!(
        first.groups[0].choice,
        KeyChoice::Generated {
            because: because.clone()
        }
    );
    assert!(because.to_string().starts_with("key K was created at"));
    // The same through the reads a fetch makes.
    assert!(generates(
        &plan(&desired, &okta.snapshot(&desired, now()), now()).unwrap()
    ));

    okta.apply(&first, now());
    let later = now() + SignedDuration::from_mins(1);
    let second = plan(&desired, &okta.snapshot(&desired, later), later).unwrap();
    assert!(second.is_empty(), "{}", describe(&second));
}

/// The oracle: whether the source's copy `copy` is valid for `policy` at `now`, written from
/// docs/desired-state.md rather than from the planner.
fn valid(copy: &JsonWebKey, policy: &KeyPolicy, now: Timestamp) -> bool {
    let fresh = policy
        .rotate_before
        .is_none_or(|window| copy.expires_at > now + window);
    let young = policy
        .rotate_after
        .is_none_or(|at| at > now || copy.created >= at - CLOCK_SKEW);
    fresh && young
}

/// (kid, expires in days): the facts every copy of the kid shares.
const KIDS: [(&str, i64); 3] = [("kA", 10), ("kB", 400), ("kC", 900)];

/// A copy of pool key `i` dated `age` days ago.
fn copy(i: usize, age: i64) -> JsonWebKey {
    key(KIDS[i].0, age, KIDS[i].1)
}

/// Copies one app holds: per pool key, none or its own age.
fn copies() -> impl Strategy<Value = Vec<Option<i64>>> {
    prop::collection::vec(prop::option::of(0..1000i64), KIDS.len())
}

fn held(ages: &[Option<i64>]) -> Vec<JsonWebKey> {
    ages.iter()
        .enumerate()
        .filter_map(|(i, age)| age.map(|age| copy(i, age)))
        .collect()
}

fn some_policy() -> impl Strategy<Value = KeyPolicy> {
    (
        prop::option::of(1..700i64),
        prop::option::of(-2000..2000i64),
        2..=10u8,
    )
        .prop_map(|(before, after_mins, years)| KeyPolicy {
            validity_years: years,
            rotate_before: before.map(days),
            stage: None,
            // Minutes around now, so that the allowance for clocks is crossed both ways.
            rotate_after: after_mins.map(|m| now() + SignedDuration::from_mins(m * 60 * 24 / 100)),
            kid: None,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Whatever each app's copies are dated, the reason a plan gives and the key it chooses
    /// agree, and both follow the source's copies: the active key is kept only when its
    /// source copy is valid; a reason names the active key with its source copy's date; a
    /// resumed key is a valid source copy other than the one the reason rejects; a key is
    /// generated only when no source copy is valid.
    #[test]
    fn reason_and_choice_never_contradict(
        source in copies(),
        member in copies(),
        active in 0..KIDS.len(),
        member_signs in 0..KIDS.len(),
        policy in some_policy(),
        member_first in any::<bool>(),
    ) {
        let source_keys = held(&source);
        let member_keys = held(&member);
        let desired = one_group(policy.clone());
        let okta = Okta::new(&source_keys, &member_keys, (KIDS[active].0, KIDS[member_signs].0));
        let live = okta.snapshot(&desired, now());
        // Whatever else was read, in either order, must not change the choice.
        let mut full = LiveSnapshot::default();
        for app in okta.apps.values() {
            full.insert_app(Application::from_json(app.clone()).unwrap());
        }
        let lists = [(SOURCE, source_keys.clone()), (MEMBER, member_keys.clone())];
        let order: Vec<_> = if member_first { lists.into_iter().rev().collect() } else { lists.into_iter().collect() };
        for (app, keys) in order {
            full.insert_keys(AppId::from(app), keys);
        }
        let planned = plan(&desired, &live, now()).unwrap();
        let planned_full = plan(&desired, &full, now()).unwrap();
        prop_assert_eq!(&planned.groups[0].choice, &planned_full.groups[0].choice);
        prop_assert_eq!(&planned.groups[0].key, &planned_full.groups[0].key);

        let active_kid = Kid::from(KIDS[active].0);
        let source_copy = |kid: &Kid| source_keys.iter().find(|k| &k.kid == kid);
        let group = &planned.groups[0];
        match (&group.choice, &group.key) {
            (KeyChoice::Active, KeyRef::Existing(kid)) => {
                prop_assert_eq!(kid, &active_kid);
                let copy = source_copy(kid).expect("the active key is in the source's list");
                prop_assert!(valid(copy, &policy, now()));
            }
            (KeyChoice::Resumed { because } | KeyChoice::Generated { because }, key) => {
                match because {
                    RotationReason::CreatedBefore { kid, created, rotate_after } => {
                        prop_assert_eq!(kid, &active_kid);
                        let copy = source_copy(kid).expect("a dated key is the source's");
                        prop_assert_eq!(*created, copy.created, "the source copy's date");
                        prop_assert!(Some(*rotate_after) == policy.rotate_after);
                        prop_assert!(!valid(copy, &policy, now()));
                    }
                    RotationReason::ExpiresWithin { kid, expires_at, .. } => {
                        prop_assert_eq!(kid, &active_kid);
                        let copy = source_copy(kid).expect("a judged key is the source's");
                        prop_assert_eq!(*expires_at, copy.expires_at);
                        prop_assert!(!valid(copy, &policy, now()));
                    }
                    RotationReason::ActiveKeyUnknown { kid } => {
                        prop_assert_eq!(kid, &active_kid);
                        prop_assert!(source_copy(kid).is_none());
                    }
                    RotationReason::NoActiveKey => prop_assert!(false, "the source signs"),
                }
                match key {
                    KeyRef::Existing(kid) => {
                        let resumed = matches!(group.choice, KeyChoice::Resumed { .. });
                        prop_assert!(resumed, "an existing key other than the active one");
                        prop_assert_ne!(kid, &active_kid, "the rejected key is not resumed");
                        let copy = source_copy(kid).expect("a resumed key is the source's");
                        prop_assert!(valid(copy, &policy, now()));
                        let newest = source_keys
                            .iter()
                            .filter(|k| valid(k, &policy, now()))
                            .map(|k| (k.created, &k.kid))
                            .max();
                        prop_assert_eq!(newest, Some((copy.created, kid)));
                    }
                    KeyRef::Generated { .. } => {
                        prop_assert!(source_keys.iter().all(|k| !valid(k, &policy, now())));
                    }
                }
            }
            (choice, key) => prop_assert!(false, "{:?} with {:?}", choice, key),
        }
    }

    /// No policy validation accepts and no clock makes the planner generate twice in a row:
    /// plan at `now`, carry the plan out a little later with Okta's clock off by up to
    /// [`CLOCK_SKEW`] either way, plan again later still (before another key comes due):
    /// nothing is left to do. A
    /// `rotateAfter` validation accepts is at most the instant the desired state was loaded,
    /// which precedes the first plan.
    #[test]
    fn the_planner_never_generates_twice_in_a_row(
        source in copies(),
        member in copies(),
        active in 0..KIDS.len(),
        member_signs in 0..KIDS.len(),
        mut policy in some_policy(),
        offset_secs in -CLOCK_SKEW.as_secs()..=CLOCK_SKEW.as_secs(),
        apply_after_secs in 0..120i64,
        replan_after_secs in 0..(3 * 24 * 3600i64),
    ) {
        policy.rotate_after = policy.rotate_after.map(|at| at.min(now()));
        let window = policy.rotate_before;
        let desired = one_group(policy);
        let mut okta = Okta::new(&held(&source), &held(&member), (KIDS[active].0, KIDS[member_signs].0));
        okta.clock_offset = SignedDuration::from_secs(offset_secs);
        let first = plan(&desired, &okta.snapshot(&desired, now()), now()).unwrap();
        let applied_at = now() + SignedDuration::from_secs(apply_after_secs);
        okta.apply(&first, applied_at);
        let later = applied_at + SignedDuration::from_secs(replan_after_secs);
        // A pool key whose `rotateBefore` window opens between the two plans is rightly
        // replaced by the second: a new rotation, not the first one done twice.
        let comes_due = |expires_in: i64| {
            let expires_at = now() + days(expires_in);
            window.is_some_and(|w| expires_at > now() + w && expires_at <= later + w)
        };
        prop_assume!(!KIDS.iter().any(|(_, expires_in)| comes_due(*expires_in)));
        let second = plan(&desired, &okta.snapshot(&desired, later), later).unwrap();
        prop_assert!(!generates(&second), "first:\n{}second:\n{}", describe(&first), describe(&second));
        prop_assert!(second.is_empty(), "{}", describe(&second));
    }
}
