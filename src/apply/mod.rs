//! The executor side of keyshare: reading the live snapshot a plan needs, and carrying out a
//! plan through [`OktaApi`](crate::okta::OktaApi) (DESIGN "Applying safely").
//!
//! - [`cost`]: which calls read the referenced apps most cheaply in Okta's rate limits.
//! - [`fetch_snapshot`]: the reads, as few as the planner's [`key_needs`](crate::plan::key_needs)
//!   allows.
//! - [`KeyCache`]: key metadata kept between runs, so that groups in sync need no key list.
//! - [`execute`]: the writes, in the plan's order, one attempt each, checking every switch
//!   against what the plan saw.
//!
//! Nothing here decides what to change; that is the planner's job. Nothing here may log a
//! secret.

pub mod cost;
mod error;
mod execute;
mod fetch;
mod key_cache;
mod steps;

pub use error::{ApplyError, StepAt, StepFailure};
pub use execute::{ApplyReport, ProgressEvent, execute};
pub use fetch::{FetchError, FetchOptions, Fetched, fetch, fetch_snapshot};
pub use key_cache::{KeyCache, KeyCacheError};
pub use steps::StepOutcome;
