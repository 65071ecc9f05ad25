//! Why an apply stopped, naming the step, its group and app, and what to do next.

use std::fmt;

use crate::okta::{ApiError, AppId, Kid};

/// Where in the plan an apply stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepAt {
    /// 1-based.
    pub index: usize,
    pub total: usize,
    pub group: String,
    /// The step in words, e.g. `clone key kA from 0oa1 to 0oa2`.
    pub action: String,
}

impl fmt::Display for StepAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "step {} of {} (group `{}`: {})",
            self.index, self.total, self.group, self.action
        )
    }
}

/// An apply that stopped. Every step before `at` took effect; none after it ran. Running
/// `plan` again shows what is left, and `apply` resumes from there.
#[derive(Debug, thiserror::Error)]
#[error("apply stopped at {at}: {failure}")]
pub struct ApplyError {
    pub at: StepAt,
    pub failure: StepFailure,
}

/// What went wrong in one step.
#[derive(Debug, thiserror::Error)]
pub enum StepFailure {
    /// Okta refused the call or could not be reached.
    #[error("{0}")]
    Api(ApiError),
    /// A generate failed ambiguously and listing the source's keys to find out failed too.
    #[error(
        "the generate may or may not have taken effect ({generate}), and listing the keys of {app} to find out failed too ({list}); run plan again, which adopts a key that appeared"
    )]
    GenerateUnresolved {
        app: AppId,
        generate: Box<ApiError>,
        list: Box<ApiError>,
    },
    /// Okta refused a clone and the target does not hold the key: the switches that would
    /// have used it never ran.
    #[error(
        "Okta refused to clone {kid} to {target}, and {target} does not hold it: {refusal}. No app was switched to the key; fix what Okta names, then run plan again"
    )]
    CloneRefused {
        target: AppId,
        kid: Kid,
        refusal: Box<ApiError>,
    },
    /// Okta refused a clone in a way that may mean the target already holds the key, and
    /// listing the target's keys to find out failed.
    #[error(
        "Okta refused to clone {kid} to {target} ({refusal}), and listing the keys of {target} to see whether it already holds it failed too ({list}). No app was switched to the key; run plan again"
    )]
    CloneUnconfirmed {
        target: AppId,
        kid: Kid,
        refusal: Box<ApiError>,
        list: Box<ApiError>,
    },
    /// The app is no longer in the state the plan was made against.
    #[error("{label} ({app}) changed since the plan was made ({what}); run plan again")]
    AppChanged {
        app: AppId,
        label: String,
        what: String,
    },
    /// Okta accepted the PUT but the app does not sign with the key.
    #[error(
        "Okta accepted the switch of {app} to {expected} but the app signs with {actual}; check the app in the Admin Console"
    )]
    NotSwitched {
        app: AppId,
        expected: Kid,
        actual: String,
    },
    /// The plan refers to a generated key whose generate step has not run: the plan is
    /// malformed (steps reordered or removed).
    #[error("the plan uses the key generated for group `{group}` before generating it")]
    KeyNotGenerated { group: String },
}
