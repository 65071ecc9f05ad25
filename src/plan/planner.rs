//! The planner: resolve references, choose each group's key, derive steps and warnings.
//!
//! Steps come out in phases across all groups: every generate, then every clone, then every
//! switch. Within a phase groups follow by name and apps by the YAML order (source first), so
//! that the same inputs always give the same plan, byte for byte.
#![allow(
    clippy::result_large_err,
    reason = "a PlanError is rare and ends up in a Vec; boxing it would only add noise"
)]

use std::collections::{BTreeSet, HashSet};

use jiff::{SignedDuration, Timestamp};

use super::choose::{self, Target};
use super::resolve::{ResolvedGroup, Resolver};
use super::stage;
use super::{
    AppPrecondition, GroupPlan, KeyChoice, KeyRef, LiveSnapshot, Phase, Plan, PlanError, Step,
    Warning,
};
use crate::config::{DesiredState, SigningKeyGroup, SwitchWhen};
use crate::okta::{AppId, AppStatus, Application, KeyFacts, Kid};

/// Without `rotateBefore`, keyshare warns from this long before the group key expires.
const EXPIRY_WARNING: SignedDuration = SignedDuration::from_hours(90 * 24);

/// Key lists the planner needs before it can plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyNeeds {
    pub key_lists: BTreeSet<AppId>,
}

impl KeyNeeds {
    /// True when the snapshot is complete for planning.
    pub fn is_empty(&self) -> bool {
        self.key_lists.is_empty()
    }
}

/// What key lists are missing from `live` to plan `desired` at `now`.
///
/// An app that signs with the group key holds it, so a list is asked for only where it can
/// change the plan: the source's, while its active key is not known to be the group key (not
/// the pinned kid, metadata unknown, or due for rotation); then, once the group key is known,
/// those of the apps that do not sign with it (does a clone need to happen?). A group whose key
/// will be generated needs no member list. Call it again after filling the lists: the answer
/// may grow once a source's list decides the group key. Groups that do not resolve ask nothing.
pub fn key_needs(desired: &DesiredState, live: &LiveSnapshot, now: Timestamp) -> KeyNeeds {
    let mut resolver = Resolver::new(live);
    let mut needs = KeyNeeds::default();
    for spec in groups_by_name(desired) {
        let Ok(group) = resolver.resolve(spec) else {
            continue;
        };
        needs
            .key_lists
            .extend(stage::lists_needed(&group, live, now));
        if choose::needs_source_list(&group, live, now) {
            needs.key_lists.insert(group.source.id.clone());
            continue;
        }
        if let Target::Existing(kid, _) = choose::choose(&group, live, now) {
            let unknown = group.apps().filter(|app| {
                app.signing_kid.as_ref() != Some(&kid) && !live.has_key_list(&app.id)
            });
            needs.key_lists.extend(unknown.map(|app| app.id.clone()));
        }
    }
    needs
}

/// Derives the plan, or every reason why it cannot be derived.
///
/// Expects a snapshot for which [`key_needs`] is empty. An app whose key list is missing is
/// taken to hold only the key it signs with: for a member that at worst plans a clone Okta
/// answers as a duplicate, but for a source it could plan a generate where a key it already
/// holds would have done, so fill the lists first.
pub fn plan(
    desired: &DesiredState,
    live: &LiveSnapshot,
    now: Timestamp,
) -> Result<Plan, Vec<PlanError>> {
    let mut resolver = Resolver::new(live);
    let mut errors = Vec::new();
    let mut planned = Vec::new();
    for spec in groups_by_name(desired) {
        let group = resolver
            .resolve(spec)
            .and_then(|group| plan_group(&group, live, now).map_err(|e| vec![e]));
        match group {
            Ok(group) => planned.push(group),
            Err(mut group_errors) => errors.append(&mut group_errors),
        }
    }
    if errors.is_empty() {
        Ok(assemble(planned))
    } else {
        Err(errors)
    }
}

/// Groups by name, whatever order the desired state holds them in.
fn groups_by_name(desired: &DesiredState) -> Vec<&SigningKeyGroup> {
    let mut groups: Vec<_> = desired.groups.iter().collect();
    groups.sort_by(|a, b| a.name.cmp(&b.name));
    groups
}

/// One group's share of the plan, by phase.
struct GroupSteps {
    generate: Option<Step>,
    clones: Vec<Step>,
    switches: Vec<Step>,
    warnings: Vec<Warning>,
    summary: GroupPlan,
}

/// Puts the phases of all groups one after the other. Switches go last and each group's
/// switches stay back to back, so members of a group sign differently for as short a time as
/// possible (docs/design.md "How the plan is derived", step 3).
fn assemble(groups: Vec<GroupSteps>) -> Plan {
    let mut plan = Plan::default();
    let mut clones = Vec::new();
    let mut switches = Vec::new();
    for group in groups {
        plan.steps.extend(group.generate);
        clones.extend(group.clones);
        switches.extend(group.switches);
        plan.warnings.extend(group.warnings);
        plan.groups.push(group.summary);
    }
    plan.steps.append(&mut clones);
    plan.steps.append(&mut switches);
    plan
}

/// The group key as the steps refer to it, and the app to clone it from.
struct GroupKey<'a> {
    key: KeyRef,
    choice: KeyChoice,
    holder: &'a Application,
    meta: Option<&'a KeyFacts>,
}

impl GroupKey<'_> {
    fn signed_with_by(&self, app: &Application) -> bool {
        match &self.key {
            KeyRef::Existing(kid) => app.signing_kid.as_ref() == Some(kid),
            KeyRef::Generated { .. } => false,
        }
    }
}

fn plan_group(
    group: &ResolvedGroup<'_>,
    live: &LiveSnapshot,
    now: Timestamp,
) -> Result<GroupSteps, PlanError> {
    let name = &group.spec.name;
    let (target, phase, stage) = match stage::decide(group, live, now) {
        Some(decision) => (decision.target, Some(decision.phase), decision.stage),
        None => (choose::choose(group, live, now), None, None),
    };
    let key = group_key(group, live, target)?;
    // A staged key is made and cloned from the source like a group key, and switched to by
    // no step.
    let generate = std::iter::once(&key.key)
        .chain(&stage)
        .any(|key| matches!(key, KeyRef::Generated { .. }))
        .then(|| Step::Generate {
            group: name.clone(),
            app: group.source.id.clone(),
            validity_years: group.spec.key.validity_years,
            known_kids: known_kids(group.source, live),
        });
    let clones = std::iter::once((&key.key, key.holder))
        .chain(stage.iter().map(|stage| (stage, group.source)))
        .flat_map(|(to_clone, holder)| {
            group
                .apps()
                .filter(move |app| !held_by(to_clone, holder, app, live))
                .map(move |app| Step::Clone {
                    group: name.clone(),
                    key: to_clone.clone(),
                    from: holder.id.clone(),
                    to: app.id.clone(),
                })
        })
        .collect();
    let switches = group
        .apps()
        .filter(|app| !key.signed_with_by(app))
        .map(|app| Step::Switch {
            group: name.clone(),
            app: app.id.clone(),
            from: app.signing_kid.clone(),
            to: key.key.clone(),
            expect: precondition(app),
        })
        .collect();
    Ok(GroupSteps {
        generate,
        clones,
        switches,
        warnings: warnings(
            group,
            &key,
            phase.as_ref().and_then(Phase::staged_kid),
            live,
            now,
        ),
        summary: GroupPlan {
            name: name.clone(),
            source: group.source.id.clone(),
            members: group.members.iter().map(|app| app.id.clone()).collect(),
            key: key.key,
            key_expires_at: key.meta.map(|meta| meta.expires_at),
            choice: key.choice,
            phase,
        },
    })
}

/// Whether `app` holds `key` before the plan's clones run (a generated key is on its holder,
/// the source, once the generate step ran).
fn held_by(key: &KeyRef, holder: &Application, app: &Application, live: &LiveSnapshot) -> bool {
    match key {
        KeyRef::Existing(kid) => live.holds(app, kid),
        KeyRef::Generated { .. } => app.id == holder.id,
    }
}

/// Chooses the key and the app it is cloned from: the source when it holds the key, else the
/// first member that does.
fn group_key<'a>(
    group: &ResolvedGroup<'a>,
    live: &'a LiveSnapshot,
    target: Target,
) -> Result<GroupKey<'a>, PlanError> {
    match target {
        Target::Existing(kid, choice) => {
            // Only a pinned kid can be held by nobody: an active or resumed key is the source's.
            let holder = group
                .apps()
                .find(|app| live.holds(app, &kid))
                .ok_or_else(|| PlanError::PinnedKeyNotHeld {
                    group: group.spec.name.clone(),
                    kid: kid.clone(),
                    location: group.spec.location.clone(),
                })?;
            Ok(GroupKey {
                meta: live.key(&kid),
                key: KeyRef::Existing(kid),
                choice,
                holder,
            })
        }
        Target::Generate(because) => Ok(GroupKey {
            key: KeyRef::Generated {
                group: group.spec.name.clone(),
            },
            choice: KeyChoice::Generated { because },
            holder: group.source,
            meta: None,
        }),
    }
}

/// The kids the source is known to hold, for the executor to tell a key it generated from one
/// that was there before.
fn known_kids(source: &Application, live: &LiveSnapshot) -> Vec<Kid> {
    match live.keys.get(&source.id) {
        Some(keys) => keys.iter().map(|key| key.kid.clone()).collect(),
        None => source.signing_kid.iter().cloned().collect(),
    }
}

fn precondition(app: &Application) -> AppPrecondition {
    AppPrecondition {
        last_updated: app.last_updated.clone(),
        signing_kid: app.signing_kid.clone(),
        digest: app.digest(),
    }
}

fn warnings(
    group: &ResolvedGroup<'_>,
    key: &GroupKey<'_>,
    staging: Option<&Kid>,
    live: &LiveSnapshot,
    now: Timestamp,
) -> Vec<Warning> {
    let name = &group.spec.name;
    let mut warnings: Vec<Warning> = group
        .apps()
        .filter(|app| app.status != Some(AppStatus::Active))
        .map(|app| Warning::AppNotActive {
            group: name.clone(),
            app: app.id.clone(),
            status: app.status_text().to_owned(),
        })
        .collect();
    let policy = &group.spec.key;
    // With rotateBefore and no pin, an expiring key is rotated, not warned about.
    let never_rotated = policy.rotate_before.is_none() || policy.kid.is_some();
    if let Some(meta) = key.meta
        && never_rotated
        && meta.expires_at <= choose::add(now, EXPIRY_WARNING)
    {
        warnings.push(Warning::KeyExpiringSoon {
            group: name.clone(),
            kid: meta.kid.clone(),
            expires_at: meta.expires_at,
        });
    }
    let immediate = policy
        .stage
        .as_ref()
        .is_some_and(|stage| stage.switch == SwitchWhen::Immediately);
    let rotates = matches!(
        key.choice,
        KeyChoice::Generated { .. } | KeyChoice::Resumed { .. }
    );
    if immediate && rotates {
        warnings.push(Warning::ImmediateSwitch {
            group: name.clone(),
        });
    }
    warnings.extend(unused_keys(group, key, staging, live));
    warnings
}

/// Keys on members (whose list was read) that neither the group key nor any app of the group
/// signs with now. Keys being switched away from are not reported: they are the point of the
/// plan, not leftovers.
fn unused_keys(
    group: &ResolvedGroup<'_>,
    key: &GroupKey<'_>,
    staging: Option<&Kid>,
    live: &LiveSnapshot,
) -> Vec<Warning> {
    let mut in_use: HashSet<&Kid> = group
        .apps()
        .filter_map(|a| a.signing_kid.as_ref())
        .chain(staging)
        .collect();
    if let KeyRef::Existing(kid) = &key.key {
        in_use.insert(kid);
    }
    group
        .members
        .iter()
        .filter_map(|app| {
            let kids: Vec<Kid> = live
                .keys
                .get(&app.id)?
                .iter()
                .filter(|k| !in_use.contains(&k.kid))
                .map(|k| k.kid.clone())
                .collect();
            (!kids.is_empty()).then(|| Warning::UnusedKeys {
                group: group.spec.name.clone(),
                app: app.id.clone(),
                kids,
            })
        })
        .collect()
}
