//! Okta's rate limits as the simulator meters them (docs/okta-api.md §6):
//! - three per-window buckets: everything under `/api/v1/apps` (list, keys, generate, clone,
//!   CSRs…), exactly `/api/v1/apps/{appId}` (get, PUT), and the System Log `/api/v1/logs`;
//! - a window opens at the start of the second of the first request after the previous one
//!   closed, so windows are not aligned to clock minutes but do start on whole seconds, as in
//!   Okta's example (docs/okta-api.md §6) `12:00:20–12:01:19`; `X-Rate-Limit-Reset` is the window's end in
//!   epoch seconds (exact for whole-second windows, rounded up otherwise);
//! - a request over the limit gets 429 E0000047 and does not use up the window;
//! - a concurrency limit on requests in flight, whose 429 reports Limit = Remaining = 0.
//!
//! Every response of an app route carries `X-Rate-Limit-Limit`, `-Remaining` and `-Reset`.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::Simulator;
use super::config::RateLimits;
use super::error::OktaError;

/// The bucket a route counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    /// `/api/v1/apps` and its sub-paths.
    Apps,
    /// Exactly `/api/v1/apps/{appId}`.
    AppById,
    /// `/api/v1/logs`.
    Logs,
}

impl Bucket {
    /// The bucket of a route template, if it is metered.
    pub fn of(template: &str) -> Option<Self> {
        match template {
            "/api/v1/apps/{appId}" => Some(Self::AppById),
            "/api/v1/logs" => Some(Self::Logs),
            t if t == "/api/v1/apps" || t.starts_with("/api/v1/apps/") => Some(Self::Apps),
            _ => None,
        }
    }

    /// The name used in `/__sim/stats`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Apps => "apps",
            Self::AppById => "appById",
            Self::Logs => "logs",
        }
    }
}

/// What a request learns about its bucket: the three header values, and whether it may pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// `X-Rate-Limit-Limit`.
    pub limit: u32,
    /// `X-Rate-Limit-Remaining`.
    pub remaining: u32,
    /// `X-Rate-Limit-Reset`, epoch seconds.
    pub reset: u64,
    /// Whether the request is within the limit.
    pub allowed: bool,
}

impl Verdict {
    /// Writes the three `X-Rate-Limit-*` headers.
    pub fn write_headers(&self, headers: &mut HeaderMap) {
        for (name, value) in [
            ("x-rate-limit-limit", u64::from(self.limit)),
            ("x-rate-limit-remaining", u64::from(self.remaining)),
            ("x-rate-limit-reset", self.reset),
        ] {
            headers.insert(name, HeaderValue::from(value));
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    opened: SystemTime,
    used: u32,
}

/// The org's buckets and in-flight counter.
pub struct Limiter {
    limits: RateLimits,
    windows: Mutex<[Option<Window>; 3]>,
    in_flight: AtomicU32,
}

/// Holds one place among the requests in flight until dropped (also when the client goes
/// away and the request's future is dropped).
pub struct InFlight<'a>(&'a AtomicU32);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Limiter {
    /// A limiter with these limits and no history.
    pub fn new(limits: RateLimits) -> Self {
        Self {
            limits,
            windows: Mutex::new([None, None, None]),
            in_flight: AtomicU32::new(0),
        }
    }

    /// Counts one request against `bucket` at `now`.
    pub fn admit(&self, bucket: Bucket, now: SystemTime) -> Verdict {
        let limit = match bucket {
            Bucket::Apps => self.limits.apps,
            Bucket::AppById => self.limits.app_by_id,
            Bucket::Logs => self.limits.logs,
        };
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let slot = &mut windows[bucket as usize];
        let window = match slot {
            Some(w) if now < w.opened + self.limits.window => w,
            _ => slot.insert(Window {
                opened: self.window_start(now),
                used: 0,
            }),
        };
        let allowed = window.used < limit;
        if allowed {
            window.used += 1;
        }
        Verdict {
            limit,
            remaining: limit - window.used,
            reset: epoch_seconds_ceil(window.opened + self.limits.window),
            allowed,
        }
    }

    /// Where a window opened by a request at `now` starts: the start of its second, unless a
    /// window shorter than a second would then be over already.
    fn window_start(&self, now: SystemTime) -> SystemTime {
        let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
        let second = UNIX_EPOCH + Duration::from_secs(since.as_secs());
        if now < second + self.limits.window {
            second
        } else {
            now
        }
    }

    /// Takes a place among the requests in flight, or `None` at the concurrency limit.
    pub fn enter(&self) -> Option<InFlight<'_>> {
        let limit = self.limits.concurrency;
        self.in_flight
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < limit).then_some(n + 1)
            })
            .ok()
            .map(|_| InFlight(&self.in_flight))
    }
}

fn epoch_seconds_ceil(at: SystemTime) -> u64 {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    since.as_secs() + u64::from(since.subsec_nanos() > 0)
}

/// Middleware for metered routes: concurrency first, then the route's bucket.
pub async fn enforce(
    State(sim): State<Simulator>,
    path: MatchedPath,
    request: Request,
    next: Next,
) -> Response {
    let Some(bucket) = Bucket::of(path.as_str()) else {
        return next.run(request).await;
    };
    let limiter = sim.limiter();
    let Some(_in_flight) = limiter.enter() else {
        sim.stats().record_throttled(true);
        let verdict = Verdict {
            limit: 0,
            remaining: 0,
            // Only an estimate, as in Okta: in-flight requests usually finish within a second.
            reset: epoch_seconds_ceil(SystemTime::now() + Duration::from_secs(1)),
            allowed: false,
        };
        return throttled(verdict);
    };
    let verdict = limiter.admit(bucket, SystemTime::now());
    if !verdict.allowed {
        sim.stats().record_throttled(false);
        return throttled(verdict);
    }
    let mut response = next.run(request).await;
    verdict.write_headers(response.headers_mut());
    response
}

fn throttled(verdict: Verdict) -> Response {
    let mut response = OktaError::rate_limited().into_response();
    verdict.write_headers(response.headers_mut());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter() -> Limiter {
        Limiter::new(RateLimits {
            apps: 2,
            app_by_id: 3,
            logs: 4,
            concurrency: 1,
            window: Duration::from_secs(60),
        })
    }

    #[test]
    fn buckets_follow_the_route_template() {
        let cases = [
            ("/api/v1/apps", Some(Bucket::Apps)),
            ("/api/v1/apps/{appId}", Some(Bucket::AppById)),
            ("/api/v1/apps/{appId}/credentials/keys", Some(Bucket::Apps)),
            (
                "/api/v1/apps/{appId}/credentials/keys/{keyId}/clone",
                Some(Bucket::Apps),
            ),
            ("/api/v1/apps/{appId}/sso/saml/metadata", Some(Bucket::Apps)),
            ("/api/v1/logs", Some(Bucket::Logs)),
            ("/oauth2/v1/token", None),
        ];
        for (template, bucket) in cases {
            assert_eq!(Bucket::of(template), bucket, "{template}");
        }
    }

    #[test]
    fn a_window_opens_at_the_second_of_the_first_request_and_rejections_do_not_count() {
        let limiter = limiter();
        let t0 = UNIX_EPOCH + Duration::from_millis(1_000_000_500);
        let opened_reset = 1_000_060; // 1_000_000 (the second of t0) + 60
        let seen: Vec<_> = (0..4)
            .map(|i| limiter.admit(Bucket::Apps, t0 + Duration::from_secs(i)))
            .map(|v| (v.limit, v.remaining, v.reset, v.allowed))
            .collect();
        assert_eq!(
            seen,
            [
                (2, 1, opened_reset, true),
                (2, 0, opened_reset, true),
                (2, 0, opened_reset, false),
                (2, 0, opened_reset, false),
            ]
        );
        let by_id = limiter.admit(Bucket::AppById, t0);
        assert_eq!(
            (by_id.limit, by_id.remaining, by_id.allowed),
            (3, 2, true),
            "buckets are separate"
        );
        let next = limiter.admit(Bucket::Apps, t0 + Duration::from_secs(60));
        assert_eq!(
            (next.remaining, next.reset, next.allowed),
            (1, opened_reset + 60, true),
            "a new window"
        );
    }

    #[test]
    fn windows_shorter_than_a_second_open_at_the_request() {
        let limiter = Limiter::new(RateLimits {
            window: Duration::from_millis(300),
            ..limiter().limits
        });
        let late_in_a_second = UNIX_EPOCH + Duration::from_millis(1_000_000_800);
        let verdict = limiter.admit(Bucket::Apps, late_in_a_second);
        // Opened at .8, ends at 1_000_001.1, rounded up.
        assert_eq!((verdict.reset, verdict.allowed), (1_000_002, true));
    }

    #[test]
    fn the_concurrency_limit_counts_requests_in_flight() {
        let limiter = limiter();
        let first = limiter.enter();
        assert!(first.is_some());
        assert!(limiter.enter().is_none());
        drop(first);
        assert!(limiter.enter().is_some());
    }
}
