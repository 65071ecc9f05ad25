//! Counts of the calls a run made, per rate-limit bucket, for `-v` summaries and JSON output.
//!
//! Counting is cheap and lock-protected; it must never block a request for long, so only
//! plain additions happen under the lock.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

use super::route::Bucket;

/// Calls made so far, per bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CallStats {
    /// Only buckets that saw a request appear.
    pub buckets: BTreeMap<Bucket, BucketStats>,
    /// Answers per bucket by HTTP status; requests that got no answer are not counted.
    pub statuses: BTreeMap<Bucket, BTreeMap<u16, u64>>,
}

/// Calls made in one bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BucketStats {
    /// HTTP requests sent, retries included.
    pub requests: u64,
    /// Answers with status 429.
    pub rate_limited: u64,
    /// Requests that repeated an earlier attempt (after a 429, a 5xx or a transport failure).
    pub retries: u64,
    /// Time spent waiting for this bucket: budget reserve, 429 resets and backoff.
    pub waited_ms: u64,
    /// The bucket's limit per window, as Okta last reported it.
    pub limit: Option<u32>,
    /// The fewest requests Okta reported left in any window: `limit − lowest_remaining` is
    /// the most of a window that was used (by keyshare and anyone sharing the bucket).
    pub lowest_remaining: Option<u32>,
    /// The requests Okta reported left in the current window by its latest answer.
    pub remaining: Option<u32>,
}

impl CallStats {
    /// Requests over all buckets.
    pub fn total_requests(&self) -> u64 {
        self.buckets.values().map(|b| b.requests).sum()
    }
}

impl fmt::Display for CallStats {
    /// One line per bucket:
    /// `/api/v1/apps: 12 requests, 1 × 429, 2 retries, waited 1.5 s, peak 10/20 of a window`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (bucket, s) in &self.buckets {
            write!(
                f,
                "{bucket}: {} requests, {} × 429, {} retries, waited {:.1} s",
                s.requests,
                s.rate_limited,
                s.retries,
                Duration::from_millis(s.waited_ms).as_secs_f64()
            )?;
            if let (Some(limit), Some(lowest)) = (s.limit, s.lowest_remaining) {
                write!(
                    f,
                    ", peak {}/{limit} of a window",
                    limit.saturating_sub(lowest)
                )?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// The shared counter behind [`CallStats`].
#[derive(Debug, Default)]
pub struct StatsRecorder(Mutex<CallStats>);

/// One thing that happened to a request.
#[derive(Debug, Clone, Copy)]
pub enum Event {
    Sent {
        retry: bool,
    },
    RateLimited,
    /// An answer arrived with this HTTP status.
    Answered {
        status: u16,
    },
    Waited(Duration),
    /// An answer's `X-Rate-Limit-Limit` and `-Remaining`.
    Observed {
        limit: u32,
        remaining: u32,
    },
}

impl StatsRecorder {
    /// Counts one event in `bucket`.
    pub fn record(&self, bucket: Bucket, event: Event) {
        let mut guard = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let stats = &mut *guard;
        let entry = stats.buckets.entry(bucket).or_default();
        match event {
            Event::Sent { retry } => {
                entry.requests += 1;
                entry.retries += u64::from(retry);
            }
            Event::RateLimited => entry.rate_limited += 1,
            Event::Answered { status } => {
                *stats
                    .statuses
                    .entry(bucket)
                    .or_default()
                    .entry(status)
                    .or_default() += 1;
            }
            Event::Waited(d) => {
                entry.waited_ms += u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
            }
            Event::Observed { limit, remaining } => {
                entry.limit = Some(limit);
                entry.remaining = Some(remaining);
                entry.lowest_remaining = Some(
                    entry
                        .lowest_remaining
                        .map_or(remaining, |r| r.min(remaining)),
                );
            }
        }
    }

    /// A copy of the counts so far.
    pub fn snapshot(&self) -> CallStats {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_bucket_and_serializes_by_bucket_name() {
        let rec = StatsRecorder::default();
        rec.record(Bucket::Apps, Event::Sent { retry: false });
        rec.record(Bucket::Apps, Event::RateLimited);
        rec.record(Bucket::Apps, Event::Waited(Duration::from_millis(1500)));
        rec.record(Bucket::Apps, Event::Sent { retry: true });
        rec.record(Bucket::AppById, Event::Sent { retry: false });
        rec.record(Bucket::AppById, Event::Answered { status: 200 });
        rec.record(
            Bucket::AppById,
            Event::Observed {
                limit: 600,
                remaining: 590,
            },
        );
        rec.record(
            Bucket::AppById,
            Event::Observed {
                limit: 600,
                remaining: 599,
            },
        );
        let stats = rec.snapshot();
        assert_eq!(stats.total_requests(), 3);
        assert_eq!(
            serde_json::to_string(&stats).unwrap(),
            r#"{"buckets":{"/api/v1/apps":{"requests":2,"rate_limited":1,"retries":1,"waited_ms":1500,"limit":null,"lowest_remaining":null,"remaining":null},"/api/v1/apps/{id}":{"requests":1,"rate_limited":0,"retries":0,"waited_ms":0,"limit":600,"lowest_remaining":590,"remaining":599}},"statuses":{"/api/v1/apps/{id}":{"200":1}}}"#
        );
        assert_eq!(
            stats.to_string(),
            "/api/v1/apps: 2 requests, 1 × 429, 1 retries, waited 1.5 s\n/api/v1/apps/{id}: 1 requests, 0 × 429, 0 retries, waited 0.0 s, peak 10/600 of a window\n"
        );
    }
}
