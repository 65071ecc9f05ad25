//! Counters behind `GET /__sim/stats`: requests by method and route template, by rate-limit
//! bucket and by status, 429s sent, writes that took effect, faults injected, and requests
//! that clients marked as retries.

use std::collections::BTreeMap;
use std::sync::Mutex;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::limits::Bucket;
use super::{Simulator, admin};

/// The org's counters.
#[derive(Default)]
pub struct Stats {
    counts: Mutex<Counts>,
}

#[derive(Default)]
struct Counts {
    requests: BTreeMap<String, u64>,
    by_bucket: BTreeMap<&'static str, u64>,
    by_status: BTreeMap<u16, u64>,
    rate_limited: u64,
    concurrency_limited: u64,
    writes: u64,
    faults_injected: u64,
    retries: u64,
}

impl Stats {
    fn with<T>(&self, f: impl FnOnce(&mut Counts) -> T) -> T {
        f(&mut self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// One request to `template` answered with `status`; `retry` when the client marked it as
    /// a retry with `X-Okta-Retry-For`, as Okta's SDKs do.
    pub fn record_request(&self, method: &str, template: &str, status: u16, retry: bool) {
        self.with(|c| {
            c.retries += u64::from(retry);
            *c.requests
                .entry(format!("{method} {template}"))
                .or_default() += 1;
            if let Some(bucket) = Bucket::of(template) {
                *c.by_bucket.entry(bucket.name()).or_default() += 1;
            }
            *c.by_status.entry(status).or_default() += 1;
        });
    }

    /// One 429 sent: by the concurrency limit, or by a rate-limit bucket.
    pub fn record_throttled(&self, concurrency: bool) {
        self.with(|c| {
            if concurrency {
                c.concurrency_limited += 1;
            } else {
                c.rate_limited += 1;
            }
        });
    }

    /// One write (generate, clone, PUT, CSR change) took effect.
    pub fn record_write(&self) {
        self.with(|c| c.writes += 1);
    }

    /// One injected fault fired.
    pub fn record_fault(&self) {
        self.with(|c| c.faults_injected += 1);
    }

    /// What `GET /__sim/stats` shows (shape in docs/simulator.md).
    pub fn view(&self) -> admin::Stats {
        self.with(|c| admin::Stats {
            requests: c.requests.clone(),
            by_bucket: c
                .by_bucket
                .iter()
                .map(|(bucket, n)| ((*bucket).to_owned(), *n))
                .collect(),
            by_status: c.by_status.clone(),
            rate_limited: c.rate_limited,
            concurrency_limited: c.concurrency_limited,
            writes: c.writes,
            faults_injected: c.faults_injected,
            retries: c.retries,
        })
    }
}

/// Middleware: counts every request to a matched route and the status it got.
pub async fn observe(
    State(sim): State<Simulator>,
    path: MatchedPath,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().to_string();
    let retry = request.headers().contains_key("x-okta-retry-for");
    let response = next.run(request).await;
    sim.stats()
        .record_request(&method, path.as_str(), response.status().as_u16(), retry);
    response
}
