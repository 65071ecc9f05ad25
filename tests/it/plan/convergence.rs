//! Convergence, idempotence and resumption, for many random small orgs, against a tiny pure
//! model of Okta written here: planning the applied result is empty; applying twice changes
//! nothing; an apply stopped after any step and re-run converges with at most one generated
//! key per group.

use std::collections::BTreeMap;

use jiff::SignedDuration;
use keyshare::config::{DesiredState, KeyPolicy};
use keyshare::okta::{AppId, Application, JsonWebKey, Kid};
use keyshare::plan::{KeyRef, Plan, PlanError, Step, plan};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::support::plan::*;

/// Okta as far as the planner's steps touch it: apps (whole JSON) and their key lists.
#[derive(Debug, Clone, PartialEq)]
struct Model {
    apps: BTreeMap<AppId, Value>,
    keys: BTreeMap<AppId, Vec<JsonWebKey>>,
    generated: BTreeMap<String, usize>,
}

impl Model {
    fn org(&self) -> Org {
        self.apps.iter().fold(Org::new(), |org, (id, app)| {
            org.app_json(app.clone(), &self.keys[id].iter().collect::<Vec<_>>())
        })
    }

    fn plan(&self, desired: &DesiredState) -> Result<Plan, Vec<PlanError>> {
        let (live, _) = self.org().fetch(desired);
        plan(desired, &live, now())
    }

    fn holds(&self, app: &AppId, kid: &Kid) -> bool {
        self.keys[app].iter().any(|k| &k.kid == kid)
    }

    /// Runs the first `limit` steps the way Okta would, failing on what Okta would refuse.
    fn apply(&mut self, plan: &Plan, limit: usize) {
        let mut new_keys: BTreeMap<String, Kid> = BTreeMap::new();
        let resolve = |key: &KeyRef, new_keys: &BTreeMap<String, Kid>| match key {
            KeyRef::Existing(kid) => kid.clone(),
            KeyRef::Generated { group } => new_keys[group].clone(),
        };
        for step in plan.steps.iter().take(limit) {
            match step {
                Step::Generate {
                    group,
                    app,
                    validity_years,
                    known_kids,
                } => {
                    let held: Vec<&Kid> = self.keys[app].iter().map(|k| &k.kid).collect();
                    assert_eq!(held, known_kids.iter().collect::<Vec<_>>());
                    let count = self.generated.entry(group.clone()).or_default();
                    *count += 1;
                    let kid = format!("gen-{group}-{count}");
                    let years = i64::from(*validity_years);
                    let mut new = key(&kid, 0, 365 * years);
                    new.expires_at = now() + SignedDuration::from_hours(24 * 365 * years);
                    self.keys.get_mut(app).unwrap().push(new);
                    new_keys.insert(group.clone(), Kid(kid));
                }
                Step::Clone { key, from, to, .. } => {
                    let kid = resolve(key, &new_keys);
                    let source = self.keys[from].iter().find(|k| k.kid == kid);
                    let copy = source
                        .expect("clone from an app that lacks the key")
                        .clone();
                    if !self.holds(to, &kid) {
                        self.keys.get_mut(to).unwrap().push(copy);
                    }
                }
                Step::Switch {
                    app, to, expect, ..
                } => {
                    let kid = resolve(to, &new_keys);
                    assert!(self.holds(app, &kid), "switch {app} to {kid} it lacks");
                    let current = Application::from_json(self.apps[app].clone()).unwrap();
                    assert_eq!(current.digest(), expect.digest, "precondition of {app}");
                    let json = self.apps.get_mut(app).unwrap();
                    json["credentials"]["signing"]["kid"] = json!(kid.0);
                    json["lastUpdated"] = json!("2026-11-26T12:00:00.000Z");
                }
            }
        }
    }
}

/// Keys every app draws from: (kid, age in days, expires in days).
const POOL: [(&str, i64, i64); 5] = [
    ("k0", 300, 400),
    ("k1", 300, 20),
    ("k2", 5, 700),
    ("k3", 1000, 10),
    ("k4", 2, 60),
];

fn pool(i: usize) -> JsonWebKey {
    let (kid, age, expires) = POOL[i];
    key(kid, age, expires)
}

#[derive(Debug, Clone)]
struct AppSpec {
    signing: usize,
    extra: Vec<usize>,
    active: bool,
}

#[derive(Debug, Clone)]
struct GroupSpec {
    size: usize,
    rotate_before: bool,
    rotate_after: bool,
    pin: Option<usize>,
    by_label: bool,
}

fn app_spec() -> impl Strategy<Value = AppSpec> {
    (
        0..POOL.len(),
        prop::collection::vec(0..POOL.len(), 0..=2),
        prop::bool::weighted(0.8),
    )
        .prop_map(|(signing, extra, active)| AppSpec {
            signing,
            extra,
            active,
        })
}

fn group_spec() -> impl Strategy<Value = GroupSpec> {
    (
        1..=3usize,
        any::<bool>(),
        any::<bool>(),
        prop::option::weighted(0.2, 0..POOL.len()),
        any::<bool>(),
    )
        .prop_map(
            |(size, rotate_before, rotate_after, pin, by_label)| GroupSpec {
                size,
                rotate_before,
                rotate_after,
                pin,
                by_label,
            },
        )
}

fn build(apps: &[AppSpec], groups: &[GroupSpec]) -> (Model, DesiredState) {
    let mut model = Model {
        apps: BTreeMap::new(),
        keys: BTreeMap::new(),
        generated: BTreeMap::new(),
    };
    for (i, spec) in apps.iter().enumerate() {
        let id = format!("0oa{i}");
        let mut app = app_json(&id, &format!("App {i}"), POOL[spec.signing].0);
        if !spec.active {
            app["status"] = json!("INACTIVE");
        }
        let mut held = vec![spec.signing];
        for extra in &spec.extra {
            if !held.contains(extra) {
                held.push(*extra);
            }
        }
        model.apps.insert(AppId(id.clone()), app);
        model
            .keys
            .insert(AppId(id), held.into_iter().map(pool).collect());
    }
    let mut next = 0;
    let mut desired_groups = Vec::new();
    for (g, spec) in groups.iter().enumerate() {
        if next + spec.size > apps.len() {
            break;
        }
        let refer = |i: usize| {
            if spec.by_label {
                label(&format!("App {i}"))
            } else {
                id(&format!("0oa{i}"))
            }
        };
        let policy = KeyPolicy {
            validity_years: 2,
            rotate_before: spec.rotate_before.then(|| days(30)),
            stage: None,
            rotate_after: (spec.rotate_after && spec.pin.is_none()).then(|| now() - days(10)),
            kid: spec.pin.map(|i| Kid::from(POOL[i].0)),
        };
        let members = (next + 1..next + spec.size).map(refer).collect();
        desired_groups.push(group(&format!("g{g}"), refer(next), members, policy));
        next += spec.size;
    }
    (model, desired(desired_groups))
}

/// The only errors random orgs can produce: a pinned kid no app of its group holds.
fn only_unheld_pins(errors: &[PlanError]) -> bool {
    errors
        .iter()
        .all(|e| matches!(e, PlanError::PinnedKeyNotHeld { .. }))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn applying_the_plan_converges_and_twice_changes_nothing(
        apps in prop::collection::vec(app_spec(), 2..=7),
        groups in prop::collection::vec(group_spec(), 1..=3),
    ) {
        let (mut model, desired) = build(&apps, &groups);
        let first = match model.plan(&desired) {
            Ok(plan) => plan,
            Err(errors) => {
                prop_assert!(only_unheld_pins(&errors), "{errors:?}");
                return Ok(());
            }
        };
        model.apply(&first, usize::MAX);
        let second = model.plan(&desired).unwrap();
        prop_assert!(second.is_empty(), "not converged:\n{}", describe(&second));
        let converged = model.clone();
        model.apply(&second, usize::MAX);
        prop_assert_eq!(model, converged);
    }

    #[test]
    fn an_apply_stopped_after_any_step_resumes_without_a_second_key(
        apps in prop::collection::vec(app_spec(), 2..=7),
        groups in prop::collection::vec(group_spec(), 1..=3),
        stop_after in 0..12usize,
    ) {
        let (mut model, desired) = build(&apps, &groups);
        let Ok(first) = model.plan(&desired) else { return Ok(()) };
        model.apply(&first, stop_after);
        let rerun = model.plan(&desired).unwrap();
        model.apply(&rerun, usize::MAX);
        prop_assert!(model.plan(&desired).unwrap().is_empty());
        for (group, count) in &model.generated {
            prop_assert_eq!(*count, 1, "group {} generated {} keys", group, count);
        }
    }
}
