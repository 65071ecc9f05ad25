//! Step 2 of planning: which key a group must sign with (docs/design.md "How the plan is
//! derived").
//!
//! The order of preference is the contract: a pinned kid; else the source's active key while
//! it is valid for the policy; else a valid key the source already holds (how an interrupted
//! apply resumes without a second generated key); else a new key. This module never decides
//! *whether* a pinned key is held; the planner checks that against every app of the group.
//!
//! # One view of a key
//! A key has one copy per app that holds it. Every copy has the same expiry and certificate,
//! but each is dated by Okta when it came to its app. The policy judges a key by its expiry
//! and by its **age: the `created` of the source's copy**, that is when the key was generated
//! on the source or cloned to it (for a key keyshare made for the group, when it was
//! generated). Members' copies are dated at their clone and never count. The active key and
//! the keys the source could resume with are judged through this one view, so that the reason
//! a plan gives and the key it chooses can never contradict each other.
//!
//! The source's copy is known only from the source's own key list (the key cache keeps no
//! dates), so a group with `rotateAfter` reads that list. When the list does not have the key
//! the source signs with, the key's age is unknown and the active key is not valid
//! ([`RotationReason::ActiveKeyUnknown`]): a valid key of the list or a new key replaces it.
//!
//! `rotateAfter` replaces keys created before the instant once it has passed (validation
//! refuses one in the future; here it simply has no effect yet). A key counts as created
//! before it only when dated more than [`CLOCK_SKEW`] earlier, because Okta dates a key by its
//! own clock: a key generated after the instant is then never judged older than it, even by
//! an Okta clock that lags keyshare's, so no policy makes the planner generate twice in a row.

use jiff::{SignedDuration, Timestamp};

use super::resolve::ResolvedGroup;
use super::{KeyChoice, LiveSnapshot, RotationReason};
use crate::config::KeyPolicy;
use crate::okta::Kid;

/// The group key before steps are derived from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Target {
    /// A key that exists already (or, when pinned, must exist somewhere in the group).
    Existing(Kid, KeyChoice),
    /// No key the source holds will do: generate one.
    Generate(RotationReason),
}

/// How far Okta's clock may lag keyshare's without a key generated after `rotateAfter` being
/// judged older than it; NTP-synchronised clocks are within seconds.
pub const CLOCK_SKEW: SignedDuration = SignedDuration::from_mins(5);

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
        .filter_map(|copy| judged(group, live, &copy.kid))
        .filter(|key| matches!(verdict(key, policy, now), Verdict::Valid))
        .max_by(|a, b| (a.created, a.kid).cmp(&(b.created, b.kid)));
    match newest_valid {
        Some(key) => Target::Existing(key.kid.clone(), KeyChoice::Resumed { because }),
        None => Target::Generate(because),
    }
}

/// Whether the source's full key list must be read before [`choose`] can be trusted: its
/// active key is not the pinned one, or the active key's facts or (with `rotateAfter`) its age
/// are unknown, or the active key is not valid for the policy (so another key of the source
/// may be the answer).
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

/// A key as the policy judges it: its expiry, the same on every copy, and its age, the
/// `created` of the source's copy (none while the source's list is unread).
pub(super) struct Judged<'a> {
    pub kid: &'a Kid,
    pub expires_at: Timestamp,
    pub created: Option<Timestamp>,
}

/// `kid` as the policy sees it, or none when its facts are unknown or the source's list was
/// read and lacks it.
pub(super) fn judged<'a>(
    group: &ResolvedGroup<'_>,
    live: &LiveSnapshot,
    kid: &'a Kid,
) -> Option<Judged<'a>> {
    let facts = live.key(kid)?;
    let created = match live.has_key_list(&group.source.id) {
        true => Some(live.copy(&group.source.id, kid)?.created),
        false => None,
    };
    Some(Judged {
        kid,
        expires_at: facts.expires_at,
        created,
    })
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
    let unknown = || RotationReason::ActiveKeyUnknown { kid: kid.clone() };
    let key = judged(group, live, kid).ok_or_else(unknown)?;
    match verdict(&key, &group.spec.key, now) {
        Verdict::Valid => Ok(kid.clone()),
        Verdict::Due(reason) => Err(reason),
        Verdict::AgeUnknown => Err(unknown()),
    }
}

/// What the policy says of a key at `now`.
pub(super) enum Verdict {
    Valid,
    Due(RotationReason),
    /// `rotateAfter` is in effect and the source's copy, which dates the key, is unknown.
    AgeUnknown,
}

pub(super) fn verdict(key: &Judged<'_>, policy: &KeyPolicy, now: Timestamp) -> Verdict {
    if let Some(window) = policy.rotate_before
        && key.expires_at <= add(now, window)
    {
        return Verdict::Due(RotationReason::ExpiresWithin {
            kid: key.kid.clone(),
            expires_at: key.expires_at,
            window,
        });
    }
    let Some(rotate_after) = policy.rotate_after.filter(|at| *at <= now) else {
        return Verdict::Valid;
    };
    match key.created {
        None => Verdict::AgeUnknown,
        Some(created) if created_before(created, rotate_after) => {
            Verdict::Due(RotationReason::CreatedBefore {
                kid: key.kid.clone(),
                created,
                rotate_after,
            })
        }
        Some(_) => Verdict::Valid,
    }
}

/// Whether a key Okta dated `created` was made before `rotate_after`, allowing for
/// [`CLOCK_SKEW`] between the clocks.
pub(super) fn created_before(created: Timestamp, rotate_after: Timestamp) -> bool {
    rotate_after
        .checked_sub(CLOCK_SKEW)
        .is_ok_and(|cutoff| created < cutoff)
}

/// `now + window`, saturating at the end of time rather than panicking on absurd windows.
pub(super) fn add(now: Timestamp, window: SignedDuration) -> Timestamp {
    now.checked_add(window).unwrap_or(Timestamp::MAX)
}
