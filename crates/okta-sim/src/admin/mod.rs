//! `/__sim/`: the simulator's own routes for tests and demos, and [`AdminClient`], their typed
//! client. The routes need no token, are exempt from rate limits and injected faults, and are
//! never under `/api`. Shapes in docs/simulator.md; the types below are those shapes.
//!
//! - `GET /__sim/state`: the whole org, every app with its keys ([`OrgState`]).
//! - `GET /__sim/stats`: request counters ([`Stats`]).
//! - `GET|POST|DELETE /__sim/faults`: read, add to ([`FaultUpdate`]), or clear the injected
//!   faults ([`FaultsView`]).
//! - `POST /__sim/release`: let every held request go on ([`Released`]).
//! - `POST /__sim/event-hooks`: verify and register an Event Hook URL ([`HookSpec`]).
//! - `GET|POST /__sim/clock`: read or move the org's clock ([`ClockChange`], [`ClockView`]).

mod client;
mod handlers;

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::clock::{ClockChange, ClockView};
pub use crate::faults::{Action, ActiveRule, FaultUpdate, FaultsView, RuleSpec, When};
pub use crate::hooks::HookSpec;
pub use client::{AdminClient, AdminError};
pub(crate) use handlers::router;

/// `GET /__sim/state`: the org as it is now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgState {
    /// The org subdomain.
    pub org_name: String,
    /// The `00o…` org id.
    pub org_id: String,
    /// When the simulator started, by its clock.
    pub started_at: Timestamp,
    /// Every app, in list order.
    pub apps: Vec<AppState>,
}

/// One app of [`OrgState`]: Okta's JSON, as the API would return it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppState {
    /// The app as `GET /api/v1/apps/{id}` returns it.
    pub app: Value,
    /// Its JsonWebKeys, newest copy first.
    pub keys: Vec<Value>,
    /// Ids of its pending CSRs.
    pub csrs: Vec<String>,
}

impl AppState {
    /// The app id.
    pub fn id(&self) -> &str {
        self.app["id"].as_str().unwrap_or_default()
    }

    /// The kids of its keys, newest copy first.
    pub fn kids(&self) -> Vec<&str> {
        self.keys.iter().filter_map(|k| k["kid"].as_str()).collect()
    }

    /// `credentials.signing.kid`: the key it signs with.
    pub fn signing_kid(&self) -> Option<&str> {
        self.app["credentials"]["signing"]["kid"].as_str()
    }
}

/// `GET /__sim/stats`: counters since start.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// Requests by `METHOD /route/{template}`.
    pub requests: BTreeMap<String, u64>,
    /// Requests by rate-limit bucket (`apps`, `appById`, `logs`).
    pub by_bucket: BTreeMap<String, u64>,
    /// Answers by status code.
    pub by_status: BTreeMap<u16, u64>,
    /// 429s sent by a rate-limit bucket.
    pub rate_limited: u64,
    /// 429s sent by the concurrency limit.
    pub concurrency_limited: u64,
    /// Writes that took effect (including those whose client then saw an injected failure).
    pub writes: u64,
    /// Injected faults that fired.
    pub faults_injected: u64,
    /// Requests marked as retries with `X-Okta-Retry-For`.
    pub retries: u64,
}

impl Stats {
    /// Requests to `METHOD /route/{template}` so far.
    pub fn requests_to(&self, method: &str, route: &str) -> u64 {
        self.requests
            .get(&format!("{method} {route}"))
            .copied()
            .unwrap_or(0)
    }
}

/// `POST /__sim/release`: how many held requests went on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Released {
    /// Requests released.
    pub released: usize,
}
