//! Staged rotation (`spec.key.stageBefore`): the group's [`Phase`], and which key this plan
//! stages or switches to (docs/rotation.md).
//!
//! The phase is derived from Okta alone, so that no record kept elsewhere can disagree with
//! the org: the **staged key** is the newest key the source holds that is valid for the
//! policy and newer than the active one (by the source's copies' `created`), once the source
//! and every member hold it. Normally no app signs with it; a member that does (switched by
//! hand) is moved back to the active key until the switch date, rather than a second new key
//! being staged. It was staged when the
//! source's copy was created. Staging generates the next key on the source (or adopts such a
//! key the source already holds) and clones it to every member; it never switches. The
//! switch comes when the active key expires within `rotateBefore`, or, when `rotateAfter`
//! replaces the active key, a soak (`stageBefore − rotateBefore`) after the stage if that is
//! earlier.
//!
//! This module never decides for a pinned group (a pin is the switch by hand, and its
//! rollback), for `switch: immediately`, or when the active key's expiry or age is unknown:
//! those are planned as without staging, by `choose`.

use jiff::{SignedDuration, Timestamp};

use super::choose::{self, Judged, Target, Verdict};
use super::resolve::ResolvedGroup;
use super::{KeyChoice, KeyRef, LiveSnapshot, Phase, RotationReason};
use crate::config::{Staging, SwitchWhen};
use crate::okta::AppId;

/// What a staging group's plan does.
pub(super) struct Decision {
    /// The key the group signs with once the plan ran.
    pub target: Target,
    pub phase: Phase,
    /// The key this plan puts on every app without switching to it.
    pub stage: Option<KeyRef>,
}

/// The staging decision for `group`, or none when the group is planned as without staging.
/// Expects the lists [`lists_needed`] asks for.
pub(super) fn decide(
    group: &ResolvedGroup<'_>,
    live: &LiveSnapshot,
    now: Timestamp,
) -> Option<Decision> {
    let (staging, rotate_before) = staging(group)?;
    let active_kid = group.source.signing_kid.as_ref()?;
    let active = choose::judged(group, live, active_kid)?;
    let due = match choose::verdict(&active, &group.spec.key, now) {
        Verdict::Valid => None,
        Verdict::Due(reason) => Some(reason),
        Verdict::AgeUnknown => return None,
    };
    let soak = staging.before - rotate_before;
    let by_expiry = sub(active.expires_at, rotate_before);
    let forced = forced(group, &active, now);
    let switch_at = |staged_at: Timestamp| match forced {
        true => by_expiry.min(choose::add(staged_at, soak)),
        false => by_expiry,
    };
    let keep_active = || Target::Existing(active_kid.clone(), KeyChoice::Active);
    let next = candidate(group, live, now, &active);
    if let Some(next) = &next
        && group.apps().all(|app| live.holds(app, next.kid))
    {
        // Listed on the source (see `candidate`), so the source's copy dates it.
        let staged_at = next.created?;
        let switch_at = switch_at(staged_at);
        let kid = next.kid.clone();
        return Some(match due {
            Some(because) if now >= switch_at => Decision {
                target: Target::Existing(kid.clone(), KeyChoice::Staged { because, staged_at }),
                phase: Phase::SwitchDue {
                    kid,
                    staged_at,
                    switch_at,
                },
                stage: None,
            },
            _ => Decision {
                target: keep_active(),
                phase: Phase::Staged {
                    kid,
                    staged_at,
                    switch_at,
                },
                stage: None,
            },
        });
    }
    let stage_due = forced || active.expires_at <= choose::add(now, staging.before);
    if !stage_due {
        return Some(Decision {
            target: keep_active(),
            phase: Phase::InSync,
            stage: None,
        });
    }
    let (key, staged_at) = match next {
        Some(next) => (KeyRef::Existing(next.kid.clone()), next.created?),
        None => (
            KeyRef::Generated {
                group: group.spec.name.clone(),
            },
            now,
        ),
    };
    // Overdue only by expiry: a key `rotateAfter` replaces is staged at once, and gets its soak.
    let phase = match due {
        Some(RotationReason::ExpiresWithin { .. }) => Phase::Overdue { key: key.clone() },
        _ => Phase::StagingDue {
            key: key.clone(),
            switch_at: switch_at(staged_at),
        },
    };
    Some(Decision {
        target: keep_active(),
        phase,
        stage: Some(key),
    })
}

/// The key lists a staging group needs before [`decide`] can be trusted: the source's, to
/// find the next key and date it, then, once the source holds one, those of the members that
/// do not sign with it, to know whether it is staged everywhere.
pub(super) fn lists_needed(
    group: &ResolvedGroup<'_>,
    live: &LiveSnapshot,
    now: Timestamp,
) -> Vec<AppId> {
    if staging(group).is_none() {
        return Vec::new();
    }
    if !live.has_key_list(&group.source.id) {
        return vec![group.source.id.clone()];
    }
    let Some(active) = group
        .source
        .signing_kid
        .as_ref()
        .and_then(|kid| choose::judged(group, live, kid))
    else {
        return Vec::new();
    };
    match candidate(group, live, now, &active) {
        Some(next) => group
            .members
            .iter()
            .filter(|app| !live.has_key_list(&app.id) && app.signing_kid.as_ref() != Some(next.kid))
            .map(|app| app.id.clone())
            .collect(),
        None => Vec::new(),
    }
}

/// The group's staging policy and its `rotateBefore`, when the group stages at all.
fn staging<'a>(group: &ResolvedGroup<'a>) -> Option<(&'a Staging, SignedDuration)> {
    let policy = &group.spec.key;
    let staging = policy.stage.as_ref()?;
    let stages = staging.switch == SwitchWhen::AfterSoak && policy.kid.is_none();
    // Validation makes rotateBefore go with stageBefore.
    stages.then_some((staging, policy.rotate_before?))
}

/// Whether `rotateAfter` replaces the active key: then the stage is due at once.
fn forced(group: &ResolvedGroup<'_>, active: &Judged<'_>, now: Timestamp) -> bool {
    let rotate_after = group.spec.key.rotate_after.filter(|at| *at <= now);
    matches!((rotate_after, active.created), (Some(at), Some(created)) if choose::created_before(created, at))
}

/// The newest key of the source's list that is valid for the policy and newer than the active
/// key (which the source signs with): the key to stage, or the one staged.
///
/// A member that signs with it already (switched by hand, or by a run interrupted between
/// switches) does not disqualify it: staging another key then would give the group a second
/// new key. The plan moves that member back to the active key until the switch date.
fn candidate<'a>(
    group: &ResolvedGroup<'_>,
    live: &'a LiveSnapshot,
    now: Timestamp,
    active: &Judged<'_>,
) -> Option<Judged<'a>> {
    live.keys
        .get(&group.source.id)?
        .iter()
        .filter_map(|copy| choose::judged(group, live, &copy.kid))
        .filter(|key| matches!(choose::verdict(key, &group.spec.key, now), Verdict::Valid))
        .filter(|key| match (key.created, active.created) {
            (Some(created), Some(active)) => created > active,
            _ => false,
        })
        .max_by(|a, b| (a.created, a.kid).cmp(&(b.created, b.kid)))
}

/// `at - window`, saturating at the start of time.
fn sub(at: Timestamp, window: SignedDuration) -> Timestamp {
    at.checked_sub(window).unwrap_or(Timestamp::MIN)
}
