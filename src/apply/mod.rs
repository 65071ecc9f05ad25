//! The executor side of keyshare: reading the live snapshot a plan needs, and carrying out a
//! plan through [`OktaApi`](crate::okta::OktaApi) (docs/design.md "Applying safely").
//!
//! - [`cost`]: which calls read the referenced apps most cheaply in Okta's rate limits.
//! - [`fetch_snapshot`]: the reads, as few as the planner's [`key_needs`](crate::plan::key_needs)
//!   allows.
//! - [`KeyCache`]: key metadata kept between runs, so that groups in sync need no key list.
//! - [`execute`]: the writes, in the plan's order, one attempt each, checking every switch
//!   against what the plan saw; [`execute_until`] also stops between steps when asked.
//! - [`OrgLock`]: one writer per org at a time on this machine (`apply` and self-heal).
//!
//! The reconcile layer (`src/reconcile`) drives the reads and the steps: commands and the
//! controller read and execute through it, and use this module only for its types and the
//! apply lock.
//!
//! Nothing here decides what to change; that is the planner's job. Nothing here may log a
//! secret.

pub mod cost;
mod error;
mod execute;
mod fetch;
mod key_cache;
mod lock;
mod steps;

pub use error::{ApplyError, StepAt, StepFailure};
pub use execute::{
    ApplyReport, Executed, ProgressEvent, execute, execute_until, known_key, with_known_keys,
};
pub use fetch::{
    FetchError, FetchOptions, Fetched, app_read_calls, fetch, fetch_snapshot, refresh,
};
pub use key_cache::{KeyCache, KeyCacheError};
pub use lock::{LockError, OrgLock};
pub use steps::StepOutcome;
