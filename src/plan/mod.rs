//! Pure planning: desired state + live snapshot + now → an ordered [`Plan`].
//!
//! No I/O, no clock, no randomness: everything the planner knows arrives as arguments, so that
//! a plan can be tested as a table and re-derived exactly. The order of steps is part of the
//! contract: generate → clone → switch, with every switch last and back to back.
//! docs/design.md "How the plan is derived" is the specification.
//!
//! # Layout
//! - `live`: [`LiveSnapshot`], what the planner knows of the org: each app's copies of its
//!   keys, and the facts every copy of a kid shares.
//! - `resolve`: step 1, app references (id, label, name) → apps, every error collected.
//! - `choose`: step 2, the group key by policy (pinned, active, resumed, generated), and what
//!   a key's age is for `rotateAfter`.
//! - `stage`: staged rotation (`stageBefore`): the group's [`Phase`], and which key it stages
//!   or switches to.
//! - `planner`: steps 3 and 4, [`plan`] and [`key_needs`] (which key lists to read).
//! - `drift`: [`GroupDrift`], what a plan says is out of sync, for `keyshare drift`.

mod choose;
mod drift;
mod live;
mod planner;
mod resolve;
mod stage;

use jiff::{SignedDuration, Timestamp};

use crate::config::Location;
use crate::okta::{AppId, Kid};

pub use choose::CLOCK_SKEW;
pub use drift::GroupDrift;
pub use live::LiveSnapshot;
pub use planner::{KeyNeeds, key_needs, plan};

/// The key a step works with: one that exists, or the one a generate step of the same plan
/// will create ("known after apply").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeyRef {
    Existing(Kid),
    /// The key generated for this group by this plan.
    Generated {
        group: String,
    },
}

/// One write against Okta.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Generate a fresh key on the group's source app.
    Generate {
        group: String,
        app: AppId,
        validity_years: u8,
        /// The kids the source held when the plan was made. After an ambiguous failure the
        /// executor adopts the key that is not among them instead of generating a second one.
        known_kids: Vec<Kid>,
    },
    /// Clone the group key from an app that holds it to one that lacks it.
    Clone {
        group: String,
        key: KeyRef,
        from: AppId,
        to: AppId,
    },
    /// Make an app sign with the group key: GET, change `credentials.signing.kid`, PUT.
    Switch {
        group: String,
        app: AppId,
        from: Option<Kid>,
        to: KeyRef,
        /// What the plan saw, checked before the write.
        expect: AppPrecondition,
    },
}

impl Step {
    /// The group the step belongs to.
    pub fn group(&self) -> &str {
        match self {
            Self::Generate { group, .. }
            | Self::Clone { group, .. }
            | Self::Switch { group, .. } => group,
        }
    }
}

/// The state of an app a switch was planned against. A write goes ahead only if the app is
/// still in this state, or already in the planned one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppPrecondition {
    pub last_updated: Option<String>,
    pub signing_kid: Option<Kid>,
    /// [`crate::okta::Application::digest`] of the app as read.
    pub digest: String,
}

/// Something worth saying that is not a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// The app is not ACTIVE; it is still switched, but nobody signs in through it.
    AppNotActive {
        group: String,
        app: AppId,
        status: String,
    },
    /// The group key expires within 90 days and the policy will not replace it: the group has
    /// no `rotateBefore`, or it pins the kid.
    KeyExpiringSoon {
        group: String,
        kid: Kid,
        expires_at: jiff::Timestamp,
    },
    /// The group has `switch: immediately` and this plan switches its apps to a key no service
    /// provider could have loaded yet: sign-ins fail until each one trusts it.
    ImmediateSwitch { group: String },
    /// A member holds keys that no app of the group signs with.
    UnusedKeys {
        group: String,
        app: AppId,
        kids: Vec<Kid>,
    },
}

/// Why a group cannot be planned. The planner reports every error it finds, not just the first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error(
        "{location}: group `{group}`: no app matches {selector}; {}",
        suggestion.as_ref().map_or_else(
            || "check the id, label or name in Okta".to_owned(),
            |close| format!("did you mean {close}?")
        )
    )]
    UnknownApp {
        group: String,
        selector: String,
        /// The read app whose label, name or id is closest to the selector, shown as a
        /// selector with its id (a typo or a letter in the wrong case).
        suggestion: Option<String>,
        location: Location,
    },
    #[error(
        "{location}: group `{group}`: {selector} matches {count} apps ({ids}); refer to one by id"
    )]
    AmbiguousApp {
        group: String,
        selector: String,
        count: usize,
        ids: String,
        location: Location,
    },
    #[error(
        "{location}: group `{group}`: app {app} ({label}) has sign-on mode {mode}, which has no shareable signing key; use SAML_2_0, SAML_1_1 or WS_FEDERATION apps"
    )]
    NoSigningKey {
        group: String,
        app: AppId,
        label: String,
        mode: String,
        location: Location,
    },
    #[error(
        "{location}: group `{group}`: pinned kid {kid} is held by no app of the group; pin a kid the source or a member holds, or remove `kid` to let keyshare choose"
    )]
    PinnedKeyNotHeld {
        group: String,
        kid: Kid,
        location: Location,
    },
    #[error(
        "{location}: group `{group}`: Okta's answer for app {app} ({label}) cannot be planned from: {problem}; check the app in the Admin Console, and report the answer if it looks right there"
    )]
    MalformedApp {
        group: String,
        app: AppId,
        label: String,
        problem: String,
        location: Location,
    },
    #[error(
        "{location}: group `{group}` and group `{other}` both resolve to app {app}; an app belongs to at most one group"
    )]
    AppInTwoGroups {
        group: String,
        other: String,
        app: AppId,
        location: Location,
    },
    #[error(
        "{location}: group `{group}`: {selector} resolves to app {app}, which the group already lists; list each app once"
    )]
    AppTwiceInGroup {
        group: String,
        selector: String,
        app: AppId,
        location: Location,
    },
}

/// The result of planning: steps, warnings, and what the planner resolved.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    pub steps: Vec<Step>,
    pub warnings: Vec<Warning>,
    pub groups: Vec<GroupPlan>,
}

/// How one group was resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupPlan {
    pub name: String,
    pub source: AppId,
    pub members: Vec<AppId>,
    /// The key the group ends up signing with.
    pub key: KeyRef,
    /// When that key expires, if it exists already.
    pub key_expires_at: Option<jiff::Timestamp>,
    /// Why the planner chose that key.
    pub choice: KeyChoice,
    /// Where a group with `stageBefore` stands in its rotation; none for a group that does
    /// not stage (no `stageBefore`, `switch: immediately`, a pinned kid, or a source that
    /// signs with no key it lists).
    pub phase: Option<Phase>,
}

/// Where a staging group stands in its rotation (docs/rotation.md). Derived from Okta alone:
/// the staged key is the newest valid key, newer than the active one, that the source and
/// every member hold (see `stage` for a member already signing with it); it was staged when
/// the source's copy was `created`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// The shared key is not due for staging, and nothing is staged.
    InSync,
    /// The shared key expires within `stageBefore` (or predates `rotateAfter`) and nothing is
    /// staged: this plan generates `key` (or adopts it from the source) and clones it to every
    /// app, and switches none. The apps switch to it on `switch_at`.
    StagingDue { key: KeyRef, switch_at: Timestamp },
    /// Every app holds `kid` and none signs with it; they switch on `switch_at`. In sync.
    Staged {
        kid: Kid,
        staged_at: Timestamp,
        switch_at: Timestamp,
    },
    /// The staged key's switch date has come: this plan switches every app to `kid`.
    SwitchDue {
        kid: Kid,
        staged_at: Timestamp,
        switch_at: Timestamp,
    },
    /// The shared key expires within `rotateBefore` and nothing is staged: this plan stages
    /// `key` and switches none, so that the next plan switches to it with whatever soak the
    /// service providers got in between.
    Overdue { key: KeyRef },
}

impl Phase {
    /// The existing key the group stages, has staged or switches to: on every app by design,
    /// never a leftover.
    pub fn staged_kid(&self) -> Option<&Kid> {
        match self {
            Self::Staged { kid, .. }
            | Self::SwitchDue { kid, .. }
            | Self::StagingDue {
                key: KeyRef::Existing(kid),
                ..
            }
            | Self::Overdue {
                key: KeyRef::Existing(kid),
            } => Some(kid),
            Self::InSync | Self::StagingDue { .. } | Self::Overdue { .. } => None,
        }
    }
}

/// Why a group's key is the one it is (docs/design.md "How the plan is derived", step 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyChoice {
    /// The policy pins the kid.
    Pinned,
    /// The source's active signing key, still valid for the policy.
    Active,
    /// A key the source already holds and that is valid for the policy, taken instead of the
    /// active one; typically a key an interrupted apply generated.
    Resumed { because: RotationReason },
    /// A key generated by this plan, because no key the source holds is valid for the policy.
    Generated { because: RotationReason },
    /// The key staged on every app (`stageBefore`), whose switch date has come.
    Staged {
        because: RotationReason,
        staged_at: Timestamp,
    },
}

/// Why the source's active key is not the group key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RotationReason {
    /// The source signs with no key.
    NoActiveKey,
    /// The source signs with a key that is not in its own key list, so neither its expiry
    /// nor its age can be known.
    ActiveKeyUnknown { kid: Kid },
    /// The active key expires within `rotateBefore`.
    ExpiresWithin {
        kid: Kid,
        expires_at: Timestamp,
        window: SignedDuration,
    },
    /// The active key was created before `rotateAfter`: `created` is the source's copy's date,
    /// the key's age (see `choose`).
    CreatedBefore {
        kid: Kid,
        created: Timestamp,
        rotate_after: Timestamp,
    },
}

impl Plan {
    /// True when Okta already matches the desired state.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

/// A window as the desired state writes it: `30d`, `2w`, `12h` (whole units only; anything
/// else in jiff's friendly form).
fn window_text(window: jiff::SignedDuration) -> String {
    const HOUR: i64 = 3600;
    let secs = window.as_secs();
    if window.subsec_nanos() != 0 || secs % HOUR != 0 {
        return format!("{window:#}");
    }
    let hours = secs / HOUR;
    match (hours % (24 * 7), hours % 24) {
        (0, _) => format!("{}w", hours / (24 * 7)),
        (_, 0) => format!("{}d", hours / 24),
        _ => format!("{hours}h"),
    }
}

impl std::fmt::Display for RotationReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoActiveKey => f.write_str("the source signs with no key"),
            Self::ActiveKeyUnknown { kid } => {
                write!(
                    f,
                    "the source signs with {kid}, which is not in its key list"
                )
            }
            Self::ExpiresWithin {
                kid,
                expires_at,
                window,
            } => write!(
                f,
                "key {kid} expires at {expires_at}, within rotateBefore ({})",
                window_text(*window)
            ),
            Self::CreatedBefore {
                kid,
                created,
                rotate_after,
            } => write!(
                f,
                "key {kid} was created at {created}, before rotateAfter ({rotate_after})"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use jiff::SignedDuration;

    use super::window_text;

    #[test]
    fn windows_read_as_the_desired_state_writes_them() {
        let cases = [
            (SignedDuration::from_hours(24 * 30), "30d"),
            (SignedDuration::from_hours(24 * 14), "2w"),
            (SignedDuration::from_hours(12), "12h"),
            (SignedDuration::from_hours(36), "36h"),
            (SignedDuration::from_mins(90), "1h 30m"),
        ];
        for (window, text) in cases {
            assert_eq!(window_text(window), text, "{window:?}");
        }
    }
}
