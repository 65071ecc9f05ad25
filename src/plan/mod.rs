//! Pure planning: desired state + live snapshot + now → an ordered [`Plan`].
//!
//! No I/O, no clock, no randomness: everything the planner knows arrives as arguments, so that
//! a plan can be tested as a table and re-derived exactly. The order of steps is part of the
//! contract: generate → clone → switch, with every switch last and back to back.

mod live;
mod planner;

use crate::config::Location;
use crate::okta::{AppId, Kid};

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
    /// The group key expires within 90 days and the group has no `rotateBefore`.
    KeyExpiringSoon {
        group: String,
        kid: Kid,
        expires_at: jiff::Timestamp,
    },
    /// A member holds keys that no app of the group signs with.
    UnusedKeys {
        group: String,
        app: AppId,
        kids: Vec<Kid>,
    },
}

/// Why a group cannot be planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error(
        "{location}: group `{group}`: no app matches {selector}; check the id, label or name in Okta"
    )]
    UnknownApp {
        group: String,
        selector: String,
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
        "{location}: group `{group}` and group `{other}` both resolve to app {app}; an app belongs to at most one group"
    )]
    AppInTwoGroups {
        group: String,
        other: String,
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
}

impl Plan {
    /// True when Okta already matches the desired state.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}
