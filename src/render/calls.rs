//! The Okta API calls a command made, as its JSON output shows them (docs/json-output.md "call
//! stats").
//!
//! Plain data that the command line fills in from the HTTP client's counts (`cli/output.rs`),
//! so that rendering never depends on the API layer. Its serde form is part of the public JSON
//! contract: field names never change without a new format version.

use std::collections::BTreeMap;

use serde::Serialize;

/// Calls made per rate-limit bucket, keyed by Okta's bucket name (`/api/v1/apps`, …). Only
/// buckets that saw a request appear.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ApiCalls {
    pub buckets: BTreeMap<String, BucketCalls>,
    /// Answers per bucket by HTTP status; requests that got no answer are not counted.
    pub statuses: BTreeMap<String, BTreeMap<u16, u64>>,
}

/// Calls made in one bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BucketCalls {
    /// HTTP requests sent, retries included.
    pub requests: u64,
    /// Answers with status 429.
    pub rate_limited: u64,
    /// Requests that repeated an earlier attempt.
    pub retries: u64,
    /// Time spent waiting for this bucket.
    pub waited_ms: u64,
    /// The bucket's limit per window, as Okta last reported it.
    pub limit: Option<u32>,
    /// The fewest requests Okta reported left in any window.
    pub lowest_remaining: Option<u32>,
    /// The requests Okta reported left in the current window by its latest answer.
    pub remaining: Option<u32>,
}
