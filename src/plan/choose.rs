//! Step 2 of planning: which key a group must sign with (DESIGN "How the plan is derived").
//!
//! The order of preference is the contract: a pinned kid; else the source's active key while
//! it is valid for the policy; else a valid key the source already holds (how an interrupted
//! apply resumes without a second generated key); else a new key. This module never decides
//! *whether* a pinned key is held; the planner checks that against every app of the group.

use jiff::{SignedDuration, Timestamp};

use super::resolve::ResolvedGroup;
use super::{KeyChoice, LiveSnapshot, RotationReason};
use crate::config::KeyPolicy;
use crate::okta::{JsonWebKey, Kid};

/// The group key before steps are derived from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Target {
    /// A key that exists already (or, when pinned, must exist somewhere in the group).
    Existing(Kid, KeyChoice),
    /// No key the source holds will do: generate one.
    Generate(RotationReason),
}

/// Chooses the group key from what the snapshot knows. With the source's key list unread,
/// the source is taken to hold only its active key; [`needs_source_list`] says when reading
/// it could change the answer.
pub(super) fn choose(group: &ResolvedGroup<'_>, live: &LiveSnapshot, now: Timestamp) -> Target {
    let policy = &group.spec.key;
    if let Some(pinned) = &policy.kid {
        return Target::Existing(pinned.clone(), KeyChoice::Pinned);
    }
    let because = match active_key_verdict(group, live, now) {
        Ok(kid) => return Target::Existing(kid, KeyChoice::Active),
        Err(reason) => reason,
    };
    let newest_valid = live
        .keys
        .get(&group.source.id)
        .into_iter()
        .flatten()
        .filter(|key| is_valid(key, policy, now))
        .max_by(|a, b| (a.created, &a.kid).cmp(&(b.created, &b.kid)));
    match newest_valid {
        Some(key) => Target::Existing(key.kid.clone(), KeyChoice::Resumed { because }),
        None => Target::Generate(because),
    }
}

/// Whether the source's full key list must be read before [`choose`] can be trusted: its
/// active key is not the pinned one, or the active key's metadata is unknown, or the active
/// key is not valid for the policy (so another key of the source may be the answer).
pub(super) fn needs_source_list(
    group: &ResolvedGroup<'_>,
    live: &LiveSnapshot,
    now: Timestamp,
) -> bool {
    if live.has_key_list(&group.source.id) {
        return false;
    }
    let active = group.source.signing_kid.as_ref();
    match &group.spec.key.kid {
        Some(pinned) => active != Some(pinned) || live.key(pinned).is_none(),
        None => active_key_verdict(group, live, now).is_err(),
    }
}

/// The source's active kid when it is valid for the policy, else why it is not.
fn active_key_verdict(
    group: &ResolvedGroup<'_>,
    live: &LiveSnapshot,
    now: Timestamp,
) -> Result<Kid, RotationReason> {
    let kid = group
        .source
        .signing_kid
        .as_ref()
        .ok_or(RotationReason::NoActiveKey)?;
    let key = live
        .key(kid)
        .ok_or_else(|| RotationReason::ActiveKeyUnknown { kid: kid.clone() })?;
    match rotation_due(key, &group.spec.key, now) {
        None => Ok(kid.clone()),
        Some(reason) => Err(reason),
    }
}

fn is_valid(key: &JsonWebKey, policy: &KeyPolicy, now: Timestamp) -> bool {
    rotation_due(key, policy, now).is_none()
}

/// Why the policy would replace `key` at `now`, if it would.
fn rotation_due(key: &JsonWebKey, policy: &KeyPolicy, now: Timestamp) -> Option<RotationReason> {
    if let Some(window) = policy.rotate_before
        && key.expires_at <= add(now, window)
    {
        return Some(RotationReason::ExpiresWithin {
            kid: key.kid.clone(),
            expires_at: key.expires_at,
            window,
        });
    }
    if let Some(rotate_after) = policy.rotate_after
        && key.created < rotate_after
    {
        return Some(RotationReason::CreatedBefore {
            kid: key.kid.clone(),
            created: key.created,
            rotate_after,
        });
    }
    None
}

/// `now + window`, saturating at the end of time rather than panicking on absurd windows.
pub(super) fn add(now: Timestamp, window: SignedDuration) -> Timestamp {
    now.checked_add(window).unwrap_or(Timestamp::MAX)
}
