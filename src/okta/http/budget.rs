//! The rate-limit budget: keeps keyshare within its share of each Okta bucket (docs/okta-api.md §6).
//!
//! Each bucket's window is learned from `X-Rate-Limit-*` headers. A request is admitted only
//! while the bucket's remaining count stays above the reserve left for the org's other
//! integrations (`limit × (100 − pct) / 100`); otherwise it waits for the window's reset,
//! placed on our clock through [`ServerClock`] (Okta's clock learned from `Date` headers), so
//! that local clock skew does not matter and the whole-second headers cost little extra wait.
//! While a bucket's window is unknown (at start, and after each reset), one request at a time
//! goes out to learn it.
//!
//! Admission counts requests locally as they leave, because answers arrive late: with several
//! requests in flight, the headers alone would let the share be overshot.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{DATE, HeaderMap};
use tokio::sync::Notify;
use tokio::time::Instant;

use super::route::Bucket;
use super::server_clock::ServerClock;

/// Slack added to a reset computed from one answer alone (no clock estimate yet), for latency
/// between Okta's clock reading and ours.
const RESET_SLACK: Duration = Duration::from_millis(100);

/// Slack added to a reset placed through the clock estimate, whose bounds already include
/// every round trip: only timer granularity is left.
const TIMER_SLACK: Duration = Duration::from_millis(10);

/// The furthest a window's reset can be from the answer that reports it: Okta's app buckets
/// count requests per minute (docs/okta-api.md §6). A reset further away (a `Date` hours
/// stale, a server that sends nonsense) is awaited this long at most, then looked at again.
pub const LONGEST_WINDOW: Duration = Duration::from_secs(60);

/// The wait after an answer whose reset is not ahead of its `Date`. Okta's reset always is,
/// so the headers are stale or wrong; waiting for nothing would resend at once, in a loop.
pub const PAST_RESET_WAIT: Duration = Duration::from_secs(1);

/// The longest a waiting request sleeps before looking again; a safety net in case a wake-up
/// is missed, not the normal path.
const RECHECK: Duration = Duration::from_millis(250);

/// The `X-Rate-Limit-*` headers of one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateHeaders {
    pub limit: u32,
    pub remaining: u32,
    /// The window's end, UTC epoch seconds.
    pub reset_epoch: i64,
    /// The server's clock when it answered (`Date`), epoch seconds.
    pub date_epoch: Option<i64>,
}

impl RateHeaders {
    /// Reads the headers; `None` when any of the three counts is missing or malformed.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let number = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<i64>().ok();
        let date_epoch = headers
            .get(DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|s| {
                jiff::fmt::rfc2822::DateTimeParser::new()
                    .parse_timestamp(s)
                    .ok()
            })
            .map(|t| t.as_second());
        Some(Self {
            limit: u32::try_from(number("x-rate-limit-limit")?).ok()?,
            remaining: u32::try_from(number("x-rate-limit-remaining")?).ok()?,
            reset_epoch: number("x-rate-limit-reset")?,
            date_epoch,
        })
    }

    /// A concurrency 429 reports `Limit = Remaining = 0`; its reset is only an estimate.
    pub fn is_concurrency_limit(&self) -> bool {
        self.limit == 0 && self.remaining == 0
    }

    /// How long from the moment of the answer until the window resets, by the server's clock
    /// (`Date`), or by ours when the server sent none. `Date` is truncated to the second, so
    /// `reset − date` is the longest the reset can be away: waiting that long is always enough.
    /// Never more than [`LONGEST_WINDOW`], and [`PAST_RESET_WAIT`] for a reset not ahead.
    pub fn until_reset(&self) -> Duration {
        let now = self.date_epoch.unwrap_or_else(local_epoch);
        let wait = match u64::try_from(self.reset_epoch.saturating_sub(now)) {
            Ok(secs) if secs > 0 => Duration::from_secs(secs).min(LONGEST_WINDOW),
            _ => PAST_RESET_WAIT,
        };
        wait + RESET_SLACK
    }

    /// Whether the reset is ahead of the answer's clock, as Okta's always is.
    fn reset_is_ahead(&self) -> bool {
        self.reset_epoch > self.date_epoch.unwrap_or_else(local_epoch)
    }
}

fn local_epoch() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// What keyshare knows of one bucket's current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Window {
    limit: u32,
    /// Requests left, counting ours that are still in flight as spent.
    remaining: u32,
    reset_epoch: i64,
    reset_at: Instant,
}

#[derive(Debug, Default)]
struct BucketState {
    window: Option<Window>,
    /// A request is out to learn an unknown window.
    probing: bool,
    /// The reset of the last window that ended, and when we saw it end, to recognise late
    /// answers from it: answers to requests sent before then.
    ended: Option<(i64, Instant)>,
    /// Success answers came without rate-limit headers (a proxy may strip them): nothing to
    /// pace by, so only the in-flight cap applies until headers appear again.
    unmetered: bool,
    in_flight: u32,
}

/// The shared budget of all buckets.
#[derive(Debug)]
pub struct Budget {
    share_pct: u32,
    buckets: Mutex<HashMap<Bucket, BucketState>>,
    clock: Mutex<ServerClock>,
    changed: Notify,
}

/// When one request was in flight, by our clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InFlight {
    pub sent: Instant,
    pub received: Instant,
}

/// What a request may do now.
#[derive(Debug, PartialEq, Eq)]
enum Admission {
    Go { probe: bool },
    WaitUntil(Instant),
    WaitForProbe,
}

/// A request that [`Budget::admit`] would have had to hold back longer than allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Held {
    /// How long it waited before giving up.
    pub waited: Duration,
    /// How far away the bucket's reset was then (zero when still unknown).
    pub reset_in: Duration,
}

/// A request admitted to a bucket; dropping it ends the request's claim.
#[derive(Debug)]
pub struct Ticket<'a> {
    budget: &'a Budget,
    bucket: Bucket,
    probe: bool,
}

impl Budget {
    /// A budget that uses at most `share_pct` percent (1..=100) of each bucket per window.
    pub fn new(share_pct: u8) -> Self {
        Self {
            share_pct: u32::from(share_pct),
            buckets: Mutex::new(HashMap::new()),
            clock: Mutex::new(ServerClock::new(Instant::now())),
            changed: Notify::new(),
        }
    }

    /// Requests keyshare may spend per window of a bucket with `limit`: its share, and at
    /// least one so that a tiny bucket still makes progress.
    fn allowance(&self, limit: u32) -> u32 {
        (limit.saturating_mul(self.share_pct) / 100).max(1)
    }

    /// Waits until `bucket` has room, then claims it. Returns the ticket and how long it waited.
    /// Waits at most `allowed`: when the bucket's reset lies further away, or `allowed` has
    /// passed waiting for another request to learn the window, it gives up at once with
    /// [`Held`] rather than sleep for a wait that would fail anyway.
    pub async fn admit(
        &self,
        bucket: Bucket,
        allowed: Duration,
    ) -> Result<(Ticket<'_>, Duration), Held> {
        let started = Instant::now();
        let deadline = started + allowed;
        loop {
            let wake = self.changed.notified();
            let now = Instant::now();
            let wait = match self.try_admit(bucket, now) {
                Admission::Go { probe } => {
                    let ticket = Ticket {
                        budget: self,
                        bucket,
                        probe,
                    };
                    return Ok((ticket, started.elapsed()));
                }
                Admission::WaitUntil(at) if at > deadline => {
                    return Err(Held {
                        waited: started.elapsed(),
                        reset_in: at - now,
                    });
                }
                Admission::WaitForProbe if now >= deadline => {
                    return Err(Held {
                        waited: started.elapsed(),
                        reset_in: Duration::ZERO,
                    });
                }
                Admission::WaitUntil(at) => at.min(now + RECHECK),
                Admission::WaitForProbe => deadline.min(now + RECHECK),
            };
            tokio::select! {
                () = wake => {}
                () = tokio::time::sleep_until(wait) => {}
            }
        }
    }

    fn try_admit(&self, bucket: Bucket, now: Instant) -> Admission {
        let mut buckets = self.lock();
        let state = buckets.entry(bucket).or_default();
        if let Some(w) = state.window.filter(|w| now >= w.reset_at) {
            state.window = None;
            state.ended = Some((w.reset_epoch, now));
        }
        match &mut state.window {
            None if state.unmetered => {
                state.in_flight += 1;
                Admission::Go { probe: false }
            }
            None if state.probing => Admission::WaitForProbe,
            None => {
                state.probing = true;
                state.in_flight += 1;
                Admission::Go { probe: true }
            }
            Some(w) => {
                let reserve = w.limit - self.allowance(w.limit).min(w.limit);
                if w.remaining > reserve {
                    w.remaining -= 1;
                    state.in_flight += 1;
                    Admission::Go { probe: false }
                } else {
                    Admission::WaitUntil(w.reset_at)
                }
            }
        }
    }

    /// Learns from the headers of an answer to a request that was `in_flight`.
    pub fn observe(&self, bucket: Bucket, headers: &RateHeaders, in_flight: InFlight) {
        if let Some(date) = headers.date_epoch {
            self.lock_clock()
                .observe(date, in_flight.sent, in_flight.received);
        }
        if headers.is_concurrency_limit() {
            return;
        }
        let reset_at = self.reset_at(headers, in_flight.received);
        let mut buckets = self.lock();
        let state = buckets.entry(bucket).or_default();
        // An answer that left Okta before the window we saw end must not bring it back. An
        // answer to a request sent after that end is no late answer, whatever reset it reports:
        // ignoring it would let the next request go at once, and a server that keeps reporting
        // a past reset would be asked again and again without a pause.
        if state
            .ended
            .is_some_and(|(r, at)| headers.reset_epoch <= r && in_flight.sent < at)
        {
            return;
        }
        let fresh = Window {
            limit: headers.limit,
            remaining: headers.remaining,
            reset_epoch: headers.reset_epoch,
            reset_at,
        };
        state.window = Some(match state.window {
            // The same window: the smaller count wins; ours already includes requests still
            // in flight that the server has not counted yet. Both resets are sure to be past
            // the window's end, so the earlier one is the better estimate.
            Some(w) if w.reset_epoch == headers.reset_epoch => Window {
                remaining: w.remaining.min(headers.remaining),
                limit: headers.limit,
                reset_at: w.reset_at.min(reset_at),
                ..w
            },
            // A late answer from a window that is already over tells nothing new.
            Some(w) if w.reset_epoch > headers.reset_epoch => w,
            // A new window: requests still in flight (other than this one) may land in it.
            _ => Window {
                remaining: headers
                    .remaining
                    .saturating_sub(state.in_flight.saturating_sub(1)),
                ..fresh
            },
        });
        state.probing = false;
        state.unmetered = false;
        drop(buckets);
        self.changed.notify_waiters();
    }

    /// When, by our clock, the window of `headers` is surely over: through the clock estimate
    /// when there is one, never later than the answer alone allows.
    fn reset_at(&self, headers: &RateHeaders, received: Instant) -> Instant {
        let from_answer = received + headers.until_reset();
        if !headers.reset_is_ahead() {
            // The clock estimate would place a past reset in the past: no wait at all.
            return from_answer;
        }
        let estimated = self
            .lock_clock()
            .instant_of(headers.reset_epoch)
            .map(|at| at + TIMER_SLACK);
        // Never at the answer itself: a window that ends as it is reported would let a server
        // that answers 429 again and again be asked without any pause.
        estimated
            .map_or(from_answer, |at| at.min(from_answer))
            .max(received + TIMER_SLACK)
    }

    /// Learns that a success answer in `bucket` carried no rate-limit headers.
    pub fn observe_unmetered(&self, bucket: Bucket) {
        let mut buckets = self.lock();
        let state = buckets.entry(bucket).or_default();
        if state.window.is_none() {
            state.unmetered = true;
        }
        drop(buckets);
        self.changed.notify_waiters();
    }

    /// How long until `bucket`'s known window resets, if it is known and exhausted for us.
    pub fn blocked_for(&self, bucket: Bucket, now: Instant) -> Option<Duration> {
        let buckets = self.lock();
        let w = buckets.get(&bucket)?.window?;
        let reserve = w.limit - self.allowance(w.limit).min(w.limit);
        (w.remaining <= reserve).then(|| w.reset_at.saturating_duration_since(now))
    }

    /// The bucket keyshare is holding back for longest, and how long until its window resets;
    /// `None` while no bucket's share is used up.
    pub fn longest_hold(&self, now: Instant) -> Option<(Bucket, Duration)> {
        let buckets: Vec<Bucket> = self.lock().keys().copied().collect();
        buckets
            .into_iter()
            .filter_map(|bucket| Some((bucket, self.blocked_for(bucket, now)?)))
            .max_by_key(|&(_, wait)| wait)
    }

    /// The remaining count keyshare believes the bucket has.
    #[cfg(test)]
    fn remaining(&self, bucket: Bucket) -> Option<u32> {
        Some(self.lock().get(&bucket)?.window?.remaining)
    }

    fn release(&self, bucket: Bucket, probe: bool) {
        let mut buckets = self.lock();
        if let Some(state) = buckets.get_mut(&bucket) {
            state.in_flight = state.in_flight.saturating_sub(1);
            if probe {
                state.probing = false;
            }
        }
        drop(buckets);
        self.changed.notify_waiters();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Bucket, BucketState>> {
        self.buckets.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_clock(&self) -> std::sync::MutexGuard<'_, ServerClock> {
        self.clock.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        self.budget.release(self.bucket, self.probe);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    /// An answer that came back at once.
    fn at(now: Instant) -> InFlight {
        InFlight {
            sent: now,
            received: now,
        }
    }

    fn headers(limit: u32, remaining: u32, reset: i64, date: i64) -> RateHeaders {
        RateHeaders {
            limit,
            remaining,
            reset_epoch: reset,
            date_epoch: Some(date),
        }
    }

    #[test]
    fn reads_okta_headers_and_server_date() {
        let mut map = HeaderMap::new();
        map.insert("x-rate-limit-limit", HeaderValue::from_static("20"));
        map.insert("x-rate-limit-remaining", HeaderValue::from_static("19"));
        map.insert("x-rate-limit-reset", HeaderValue::from_static("1609459260"));
        map.insert(
            DATE,
            HeaderValue::from_static("Fri, 01 Jan 2021 00:00:00 GMT"),
        );
        let h = RateHeaders::from_headers(&map).unwrap();
        assert_eq!(h, headers(20, 19, 1_609_459_260, 1_609_459_200));
        assert_eq!(h.until_reset(), Duration::from_secs(60) + RESET_SLACK);
        map.remove("x-rate-limit-reset");
        assert_eq!(RateHeaders::from_headers(&map), None);
    }

    #[test]
    fn a_reset_in_the_past_or_far_away_is_awaited_a_sane_time() {
        let table = [
            // (reset, date) → wait before slack
            (100, 105, PAST_RESET_WAIT),
            (100, 100, PAST_RESET_WAIT),
            (i64::MIN, i64::MAX, PAST_RESET_WAIT),
            (130, 100, Duration::from_secs(30)),
            (100 + 3600, 100, LONGEST_WINDOW),
            (i64::MAX, i64::MIN, LONGEST_WINDOW),
        ];
        for (reset, date, wait) in table {
            let h = headers(20, 0, reset, date);
            assert_eq!(
                h.until_reset(),
                wait + RESET_SLACK,
                "reset {reset}, date {date}"
            );
        }
    }

    #[test]
    fn share_and_reserve_arithmetic() {
        // (share %, limit) → requests keyshare may spend per window
        let table = [
            (50, 20, 10),
            (50, 100, 50),
            (100, 20, 20),
            (1, 20, 1),
            (50, 1, 1),
            (30, 600, 180),
        ];
        for (pct, limit, allowed) in table {
            assert_eq!(
                Budget::new(pct).allowance(limit),
                allowed,
                "{pct}% of {limit}"
            );
        }
    }

    #[test]
    fn admits_one_probe_then_spends_only_the_share() {
        let budget = Budget::new(50);
        let now = Instant::now();
        assert_eq!(
            budget.try_admit(Bucket::Apps, now),
            Admission::Go { probe: true }
        );
        assert_eq!(budget.try_admit(Bucket::Apps, now), Admission::WaitForProbe);
        // Other buckets are independent.
        assert_eq!(
            budget.try_admit(Bucket::AppById, now),
            Admission::Go { probe: true }
        );
        budget.observe(Bucket::Apps, &headers(20, 19, 1060, 1000), at(now));
        let mut admitted = 0;
        while let Admission::Go { .. } = budget.try_admit(Bucket::Apps, now) {
            admitted += 1;
        }
        // The probe spent 1 of the share of 10; nine more fit, then wait for the reset.
        assert_eq!(admitted, 9);
        let reset_at = now + Duration::from_secs(60) + TIMER_SLACK;
        assert_eq!(
            budget.try_admit(Bucket::Apps, now),
            Admission::WaitUntil(reset_at)
        );
        assert_eq!(budget.blocked_for(Bucket::Apps, now), Some(reset_at - now));
        // After the reset the window is unknown again: one probe.
        assert_eq!(
            budget.try_admit(Bucket::Apps, reset_at),
            Admission::Go { probe: true }
        );
    }

    #[test]
    fn the_longest_hold_names_the_bucket_waited_for_longest() {
        let budget = Budget::new(50);
        let now = Instant::now();
        assert_eq!(budget.longest_hold(now), None);
        budget.observe(Bucket::Apps, &headers(20, 10, 1030, 1000), at(now));
        budget.observe(Bucket::AppById, &headers(20, 10, 1010, 1000), at(now));
        let (bucket, wait) = budget.longest_hold(now).unwrap();
        assert_eq!(bucket, Bucket::Apps);
        assert!(wait >= Duration::from_secs(30), "{wait:?}");
        // A bucket with room left is not held.
        budget.observe(Bucket::Apps, &headers(20, 19, 1031, 1001), at(now));
        assert_eq!(
            budget.longest_hold(now).map(|(b, _)| b),
            Some(Bucket::AppById)
        );
    }

    #[test]
    fn other_clients_usage_shrinks_our_room() {
        let budget = Budget::new(50);
        let now = Instant::now();
        budget.observe(Bucket::Apps, &headers(20, 12, 1060, 1000), at(now));
        // 12 left, reserve 10: two more requests, although we spent none.
        assert!(matches!(
            budget.try_admit(Bucket::Apps, now),
            Admission::Go { .. }
        ));
        assert!(matches!(
            budget.try_admit(Bucket::Apps, now),
            Admission::Go { .. }
        ));
        assert!(matches!(
            budget.try_admit(Bucket::Apps, now),
            Admission::WaitUntil(_)
        ));
    }

    #[test]
    fn late_answers_never_raise_the_count() {
        let budget = Budget::new(50);
        let now = Instant::now();
        budget.observe(Bucket::Apps, &headers(20, 15, 1060, 1000), at(now));
        budget.observe(Bucket::Apps, &headers(20, 18, 1060, 1000), at(now));
        assert_eq!(budget.remaining(Bucket::Apps), Some(15));
        // An answer from the previous window changes nothing.
        budget.observe(Bucket::Apps, &headers(20, 19, 1000, 990), at(now));
        assert_eq!(budget.remaining(Bucket::Apps), Some(15));
        // A 429 puts the bucket at zero until its reset.
        budget.observe(Bucket::Apps, &headers(20, 0, 1060, 1001), at(now));
        assert!(budget.blocked_for(Bucket::Apps, now).is_some());
    }

    #[test]
    fn a_bucket_without_headers_is_not_serialized() {
        let budget = Budget::new(50);
        let now = Instant::now();
        assert_eq!(
            budget.try_admit(Bucket::Apps, now),
            Admission::Go { probe: true }
        );
        budget.observe_unmetered(Bucket::Apps);
        for _ in 0..3 {
            assert_eq!(
                budget.try_admit(Bucket::Apps, now),
                Admission::Go { probe: false }
            );
        }
        // Headers turn pacing back on.
        budget.observe(Bucket::Apps, &headers(20, 10, 1060, 1000), at(now));
        assert!(matches!(
            budget.try_admit(Bucket::Apps, now),
            Admission::WaitUntil(_)
        ));
    }

    #[test]
    fn a_late_answer_from_an_ended_window_is_ignored() {
        let budget = Budget::new(50);
        let t0 = Instant::now();
        budget.observe(Bucket::Apps, &headers(20, 19, 1002, 1000), at(t0));
        let after_reset = t0 + Duration::from_secs(3);
        assert_eq!(
            budget.try_admit(Bucket::Apps, after_reset),
            Admission::Go { probe: true }
        );
        // Sent before the window ended, answered after.
        let late = InFlight {
            sent: t0 + Duration::from_secs(1),
            received: after_reset,
        };
        budget.observe(Bucket::Apps, &headers(20, 18, 1002, 1001), late);
        assert_eq!(
            budget.try_admit(Bucket::Apps, after_reset),
            Admission::WaitForProbe
        );
        budget.observe(Bucket::Apps, &headers(20, 19, 1005, 1003), at(after_reset));
        assert!(matches!(
            budget.try_admit(Bucket::Apps, after_reset),
            Admission::Go { probe: false }
        ));
    }

    #[test]
    fn concurrency_429_does_not_replace_the_window() {
        let budget = Budget::new(50);
        let now = Instant::now();
        budget.observe(Bucket::Apps, &headers(20, 15, 1060, 1000), at(now));
        budget.observe(Bucket::Apps, &headers(0, 0, 1061, 1000), at(now));
        assert_eq!(budget.remaining(Bucket::Apps), Some(15));
    }

    #[test]
    fn resets_are_placed_by_the_learned_clock_not_a_whole_second_late() {
        let budget = Budget::new(50);
        let t0 = Instant::now();
        let answer = |sent_ms: u64, date: i64| {
            let flight = InFlight {
                sent: t0 + Duration::from_millis(sent_ms),
                received: t0 + Duration::from_millis(sent_ms + 4),
            };
            budget.observe(Bucket::Apps, &headers(20, 15, 1002, date), flight);
        };
        // Okta's second turned to 1001 while the second request was under way (0–14 ms).
        answer(0, 1000);
        answer(10, 1001);
        // 800 ms later Okta still says 1001: the answer alone only bounds the reset to
        // within a second past it.
        answer(800, 1001);
        let alone = t0 + Duration::from_millis(804) + Duration::from_secs(1) + RESET_SLACK;
        let learned = t0 + Duration::from_millis(1014) + TIMER_SLACK;
        let reset_at = budget.lock()[&Bucket::Apps].window.unwrap().reset_at;
        assert_eq!(reset_at, learned);
        assert!(reset_at < alone);
    }

    #[tokio::test]
    async fn waiting_requests_go_after_the_reset() {
        let budget = Budget::new(50);
        let start = Instant::now();
        budget.observe(Bucket::Apps, &headers(20, 10, 1001, 1000), at(start));
        let (ticket, waited) = budget
            .admit(Bucket::Apps, Duration::from_secs(5))
            .await
            .unwrap();
        assert!(waited >= Duration::from_secs(1), "waited {waited:?}");
        assert!(
            ticket.probe,
            "the first request after a reset learns the new window"
        );
    }

    #[tokio::test]
    async fn a_reset_beyond_the_allowed_wait_is_refused_at_once() {
        let budget = Budget::new(50);
        // A 200 saying nothing is left and the reset is an hour away.
        budget.observe(
            Bucket::Apps,
            &headers(20, 0, 1000 + 3600, 1000),
            at(Instant::now()),
        );
        let held = budget
            .admit(Bucket::Apps, Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(held.waited < Duration::from_secs(5), "{held:?}");
        assert!(
            held.reset_in > Duration::from_secs(5) && held.reset_in <= LONGEST_WINDOW + RESET_SLACK,
            "{held:?}"
        );
    }

    /// One answer of a property case: headers and timing, relative to the previous answer.
    #[derive(Debug, Clone)]
    struct Answered {
        limit: u32,
        remaining: u32,
        /// Reset minus `Date` (or minus our clock when there is no `Date`), in seconds.
        reset_ahead: i64,
        /// `Date` minus our clock, in seconds: a skewed or stale server clock.
        date_skew: Option<i64>,
        /// From the previous answer to sending this request, and the round trip.
        gap_ms: u64,
        rtt_ms: u64,
    }

    fn answered() -> impl proptest::strategy::Strategy<Value = Answered> {
        use proptest::prelude::*;
        let seconds = prop_oneof![
            -5_i64..5,
            -100_000_i64..100_000,
            Just(i64::MIN / 2),
            Just(i64::MAX / 2),
        ];
        let skew = proptest::option::of(prop_oneof![-5_i64..5, -100_000_i64..100_000]);
        let count = prop_oneof![0_u32..30, Just(u32::MAX)];
        (
            count.clone(),
            count,
            seconds,
            skew,
            0_u64..3000,
            0_u64..3000,
        )
            .prop_map(
                |(limit, remaining, reset_ahead, date_skew, gap_ms, rtt_ms)| Answered {
                    limit,
                    remaining,
                    reset_ahead,
                    date_skew,
                    gap_ms,
                    rtt_ms,
                },
            )
    }

    /// When a request wanting to go at `at` is admitted, as [`Budget::admit`] would admit it
    /// (no other request is in flight), and whether it learns the window.
    fn admitted(budget: &Budget, mut at: Instant) -> (Instant, bool) {
        loop {
            match budget.try_admit(Bucket::Apps, at) {
                Admission::Go { probe } => return (at, probe),
                Admission::WaitUntil(reset) => at = reset.max(at),
                Admission::WaitForProbe => unreachable!("one request at a time"),
            }
        }
    }

    proptest::proptest! {
        /// One request after another, with any rate-limit headers and `Date` in any order: no
        /// wait computed from them is longer than a window, and an answer that leaves the
        /// bucket used up for us is never followed by a request at once (which is how a
        /// server that keeps answering 429 was asked hundreds of times a second). A reset
        /// reported in the past holds the next request back for a sane minimum.
        #[test]
        fn every_wait_is_bounded_and_none_is_zero(
            answers in proptest::collection::vec(answered(), 1..20)
        ) {
            let budget = Budget::new(50);
            let local_epoch = 1_700_000_000_i64;
            let t0 = Instant::now();
            let mut clock = t0;
            for a in answers {
                let (sent, probe) = admitted(&budget, clock + Duration::from_millis(a.gap_ms));
                let received = sent + Duration::from_millis(a.rtt_ms);
                clock = received;
                let elapsed = i64::try_from((received - t0).as_secs()).unwrap();
                let date = a.date_skew.map(|skew| local_epoch + elapsed + skew);
                let base = date.unwrap_or_else(local_epoch_now);
                let rate = RateHeaders {
                    limit: a.limit,
                    remaining: a.remaining,
                    reset_epoch: base.saturating_add(a.reset_ahead),
                    date_epoch: date,
                };
                budget.observe(Bucket::Apps, &rate, InFlight { sent, received });
                budget.release(Bucket::Apps, probe);
                if let Some(wait) = budget.blocked_for(Bucket::Apps, received) {
                    proptest::prop_assert!(wait <= LONGEST_WINDOW + RESET_SLACK, "{wait:?} after {rate:?}");
                }
                let reserve = rate.limit - budget.allowance(rate.limit).min(rate.limit);
                if probe && !rate.is_concurrency_limit() && rate.remaining <= reserve {
                    let least = if rate.reset_is_ahead() { TIMER_SLACK } else { PAST_RESET_WAIT };
                    let held = budget.blocked_for(Bucket::Apps, received).unwrap_or_default();
                    proptest::prop_assert!(
                        held >= least,
                        "the next request goes {held:?} after {rate:?}"
                    );
                }
            }
        }
    }

    /// Our clock as the headers count it, for answers without `Date`.
    fn local_epoch_now() -> i64 {
        local_epoch()
    }
}
