//! Views of a [`Plan`](crate::plan::Plan) for `plan`, `drift` and `apply`: text for terminals,
//! JSON for programs (docs/json-output.md), Markdown for pull-request comments.
//!
//! Every format renders the same [`Report`], built once from the plan and the live snapshot it
//! was made from, so that the formats can never disagree. Rendering is pure: no I/O, no clock,
//! no terminal detection (the caller decides on colour). Text from Okta is escaped for each
//! format by [`crate::escape`]. It must never print a secret: it shows
//! kids, certificates (public) and, in Markdown diffs, only the lines of app JSON around the
//! signing kid.

mod calls;
mod comments;
pub mod json;
pub mod keys;
pub mod markdown;
pub(crate) mod metadata;
pub mod text;
mod view;

use serde::Serialize;

use crate::plan::LiveSnapshot;

/// Where the command line has always found the escapes; they live in [`crate::escape`].
pub use crate::escape;
pub use calls::{ApiCalls, BucketCalls};
pub use comments::{CommentHeader, PART_LINKS};
pub use view::{
    AppView, AppliedView, CertificateView, FORMAT_VERSION, GroupView, KeyView, Report,
    RotationView, SpActionView, StagingView, StepView, Summary, WarningView,
};

/// Which command the output is for: it sets the wording ("Plan: …", "Drift: …",
/// "Apply complete: …").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    /// What apply would do.
    Plan,
    /// A scheduled check: the same steps, read as "what is out of sync".
    Drift,
    /// What apply did: the plan holds the steps that were carried out.
    Apply,
}

/// What the renderers need besides the plan: the live snapshot the plan was made from, to name
/// apps by label and to show their JSON and their keys' certificates.
#[derive(Debug, Clone, Copy)]
pub struct RenderContext<'a> {
    pub snapshot: &'a LiveSnapshot,
}
