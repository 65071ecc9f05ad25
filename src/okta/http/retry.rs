//! What to do after one attempt: done, wait for the bucket, back off and retry, or fail.
//!
//! The rules (docs/design.md "Talking to Okta"): 429 waits for the bucket's reset; 5xx, timeouts and
//! dropped connections back off with jitter, bounded by count and total time; a request that
//! may have reached Okta is repeated only when repeating it is harmless. A generate is never
//! repeated once it may have been sent: the caller must look at the keys to learn whether it
//! happened (`ApiError::is_ambiguous`).

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

use super::budget::RateHeaders;
use super::settings::RetryLimits;

/// Whether repeating a request is harmless.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    /// Reads, a PUT of the same body, a clone (a duplicate is answered "already has it").
    Harmless,
    /// A generate: repeated only when it certainly did not reach Okta.
    OnlyIfUnsent,
}

/// How one attempt ended, as far as the retry decision cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    Answered {
        status: u16,
        rate: Option<RateHeaders>,
    },
    NoAnswer {
        maybe_sent: bool,
    },
}

/// The next step after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Done,
    /// 429 with the bucket's headers: wait for its reset (the budget knows when), then resend.
    WaitForReset,
    /// 429 of the concurrency limit: its reset is only an estimate, so pause briefly.
    PauseForConcurrency,
    /// A transient failure: back off and resend.
    Backoff,
    Fail,
}

/// Decides the next step.
pub fn next_step(attempt: Attempt, repeat: Repeat) -> Next {
    match attempt {
        Attempt::Answered { status, .. } if (200..300).contains(&status) => Next::Done,
        Attempt::Answered {
            status: 429,
            rate: Some(rate),
        } if rate.is_concurrency_limit() => Next::PauseForConcurrency,
        // Okta rejects a rate-limited request before doing anything, so even a generate may be
        // resent after a 429.
        Attempt::Answered {
            status: 429,
            rate: Some(_),
        } => Next::WaitForReset,
        Attempt::Answered {
            status: 429,
            rate: None,
        } => Next::Backoff,
        Attempt::Answered { status, .. } if is_transient(status) && repeat == Repeat::Harmless => {
            Next::Backoff
        }
        Attempt::NoAnswer { maybe_sent: false } => Next::Backoff,
        Attempt::NoAnswer { maybe_sent: true } if repeat == Repeat::Harmless => Next::Backoff,
        Attempt::Answered { .. } | Attempt::NoAnswer { .. } => Next::Fail,
    }
}

/// Server errors worth another try.
fn is_transient(status: u16) -> bool {
    matches!(status, 500 | 502 | 503 | 504)
}

/// The backoff delays for one operation: exponential from 200 ms, full jitter, capped at 10 s
/// per wait, at most `max_retries` of them and `max_backoff` in total.
pub fn backoff(limits: RetryLimits) -> impl Iterator<Item = Duration> {
    ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(200))
        .with_max_delay(Duration::from_secs(10))
        .with_factor(2.0)
        .with_jitter()
        .with_max_times(limits.max_retries)
        .with_total_delay(Some(limits.max_backoff))
        .build()
}

/// A pause of 0.5–1.5 s after a concurrency 429.
pub fn concurrency_pause() -> Duration {
    Duration::from_millis(rand::random_range(500..1500))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(status: u16) -> Attempt {
        Attempt::Answered { status, rate: None }
    }

    fn rate(limit: u32, remaining: u32) -> Option<RateHeaders> {
        Some(RateHeaders {
            limit,
            remaining,
            reset_epoch: 1060,
            date_epoch: Some(1000),
        })
    }

    #[test]
    fn decision_table() {
        use Repeat::{Harmless, OnlyIfUnsent};
        let table = [
            (answered(200), Harmless, Next::Done),
            (answered(201), OnlyIfUnsent, Next::Done),
            (
                Attempt::Answered {
                    status: 429,
                    rate: rate(20, 0),
                },
                Harmless,
                Next::WaitForReset,
            ),
            (
                Attempt::Answered {
                    status: 429,
                    rate: rate(20, 0),
                },
                OnlyIfUnsent,
                Next::WaitForReset,
            ),
            (
                Attempt::Answered {
                    status: 429,
                    rate: rate(0, 0),
                },
                Harmless,
                Next::PauseForConcurrency,
            ),
            (answered(429), Harmless, Next::Backoff),
            (answered(500), Harmless, Next::Backoff),
            (answered(503), Harmless, Next::Backoff),
            (answered(504), Harmless, Next::Backoff),
            (answered(500), OnlyIfUnsent, Next::Fail),
            (answered(501), Harmless, Next::Fail),
            (answered(400), Harmless, Next::Fail),
            (answered(401), Harmless, Next::Fail),
            (answered(404), Harmless, Next::Fail),
            (
                Attempt::NoAnswer { maybe_sent: false },
                OnlyIfUnsent,
                Next::Backoff,
            ),
            (
                Attempt::NoAnswer { maybe_sent: true },
                Harmless,
                Next::Backoff,
            ),
            (
                Attempt::NoAnswer { maybe_sent: true },
                OnlyIfUnsent,
                Next::Fail,
            ),
        ];
        for (attempt, repeat, expected) in table {
            assert_eq!(
                next_step(attempt, repeat),
                expected,
                "{attempt:?} {repeat:?}"
            );
        }
    }

    #[test]
    fn backoff_is_bounded_by_count_and_total_time() {
        let limits = RetryLimits {
            max_retries: 4,
            max_backoff: Duration::from_secs(60),
        };
        let delays: Vec<Duration> = backoff(limits).collect();
        assert_eq!(delays.len(), 4);
        assert!(
            delays.iter().all(|d| *d <= Duration::from_secs(20)),
            "{delays:?}"
        );
        let tight = RetryLimits {
            max_retries: 100,
            max_backoff: Duration::from_secs(3),
        };
        let total: Duration = backoff(tight).sum();
        assert!(total <= Duration::from_secs(3), "{total:?}");
    }
}
