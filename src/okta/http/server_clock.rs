//! Where Okta's clock stands relative to ours, learned from `Date` headers.
//!
//! `X-Rate-Limit-Reset` is an epoch second by Okta's clock, and `Date` is Okta's clock
//! truncated to the second, so one answer only says that Okta's clock was somewhere in
//! `[Date, Date + 1)` while the request was in flight. Waiting `reset − Date` from one answer
//! is always enough but overshoots by up to a second per window. Each answer bounds the
//! offset between the two clocks from both sides (the NTP idea, with whole-second stamps):
//!
//! - lower: Okta stamped `Date` no later than we received the answer;
//! - upper: Okta's clock had not reached `Date + 1` when we sent the request.
//!
//! Over a few dozen answers that land on both sides of Okta's second boundaries, the bounds
//! close to about one round trip, and a reset can be awaited to within that.
//!
//! The estimate must never place a reset earlier than Okta's clock reaches it, so waits use
//! the lower bound of the offset (the latest our clock can be when Okta reaches the reset).
//! Clocks drift apart slowly, so only recent answers count; answers that contradict each
//! other (a clock step on either side) start the estimate afresh.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

/// Answers older than this no longer bound the offset: clocks drift (tens of ppm), and a
/// bound kept for hours could place a reset early.
const HORIZON: Duration = Duration::from_secs(600);

/// At most this many recent answers are kept; plenty to see both sides of many seconds.
const SAMPLES: usize = 128;

/// Nanoseconds in a second.
const NANOS: i128 = 1_000_000_000;

/// The bounds one answer puts on `offset = okta_epoch − local`, in nanoseconds, where `local`
/// is the time since the clock's anchor. Integers, so that estimates are exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sample {
    at: Instant,
    low: i128,
    high: i128,
}

/// Okta's clock as seen from ours.
#[derive(Debug)]
pub struct ServerClock {
    anchor: Instant,
    samples: VecDeque<Sample>,
}

impl ServerClock {
    /// A clock that knows nothing yet.
    pub fn new(anchor: Instant) -> Self {
        Self {
            anchor,
            samples: VecDeque::new(),
        }
    }

    /// Learns from an answer stamped `date_epoch` (Okta's `Date`, whole seconds) to a request
    /// sent at `sent` and answered at `received`.
    pub fn observe(&mut self, date_epoch: i64, sent: Instant, received: Instant) {
        let date = i128::from(date_epoch) * NANOS;
        let sample = Sample {
            at: received,
            low: date - self.local(received),
            high: date + NANOS - self.local(sent),
        };
        self.forget_older_than(received);
        if self
            .bounds()
            .is_some_and(|(low, high)| sample.low >= high || sample.high <= low)
        {
            // One of the clocks stepped: what was learned before no longer holds.
            self.samples.clear();
        }
        if self.samples.len() == SAMPLES {
            self.samples.pop_front();
        }
        self.samples.push_back(sample);
    }

    /// The latest moment, by our clock, at which Okta's clock reaches `epoch`; `None` before
    /// any answer has been seen.
    pub fn instant_of(&self, epoch: i64) -> Option<Instant> {
        let (low, _) = self.bounds()?;
        let local = i128::from(epoch) * NANOS - low;
        Some(self.anchor + Duration::from_nanos(u64::try_from(local).unwrap_or_default()))
    }

    /// The offset's tightest bounds over the recent answers.
    fn bounds(&self) -> Option<(i128, i128)> {
        self.samples.iter().fold(None, |acc, s| match acc {
            None => Some((s.low, s.high)),
            Some((low, high)) => Some((low.max(s.low), high.min(s.high))),
        })
    }

    fn forget_older_than(&mut self, now: Instant) {
        while self
            .samples
            .front()
            .is_some_and(|s| now.saturating_duration_since(s.at) > HORIZON)
        {
            self.samples.pop_front();
        }
    }

    fn local(&self, at: Instant) -> i128 {
        i128::try_from(at.saturating_duration_since(self.anchor).as_nanos()).unwrap_or(i128::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Okta's clock at our `anchor` reads this epoch second plus `PHASE_MS`.
    const EPOCH: i64 = 1_000_000;
    const PHASE_MS: u64 = 300;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// An answer to a request sent at `anchor + sent_ms`, stamped halfway, answered after
    /// `rtt_ms`, with a `Date` truncated as Okta truncates it.
    fn answer(clock: &mut ServerClock, anchor: Instant, sent_ms: u64, rtt_ms: u64) {
        let stamped_ms = PHASE_MS + sent_ms + rtt_ms / 2;
        let date = EPOCH + i64::try_from(stamped_ms / 1000).unwrap();
        clock.observe(date, anchor + ms(sent_ms), anchor + ms(sent_ms + rtt_ms));
    }

    /// How late, by our clock, the estimate puts Okta's reaching `EPOCH + 2`, which truly
    /// happens at `anchor + 1.7 s`. Never negative: a reset is never awaited too briefly.
    fn lateness(clock: &ServerClock, anchor: Instant) -> Duration {
        let truly = anchor + ms(1700);
        let estimated = clock.instant_of(EPOCH + 2).unwrap();
        assert!(estimated >= truly, "estimate {estimated:?} is early");
        estimated - truly
    }

    #[test]
    fn nothing_is_known_before_the_first_answer() {
        assert_eq!(ServerClock::new(Instant::now()).instant_of(EPOCH), None);
    }

    #[test]
    fn one_answer_bounds_the_reset_within_a_second_and_the_round_trip() {
        let anchor = Instant::now();
        let mut clock = ServerClock::new(anchor);
        answer(&mut clock, anchor, 0, 20);
        // Date = EPOCH: the estimate takes Okta to read EPOCH + 0.0 when the answer arrives
        // (20 ms in), when it truly reads EPOCH + 0.32 then.
        assert_eq!(lateness(&clock, anchor), ms(320));
    }

    #[test]
    fn answers_on_both_sides_of_a_second_close_the_bounds() {
        let anchor = Instant::now();
        let mut clock = ServerClock::new(anchor);
        // Requests every 7 ms for a second, 4 ms round trips; Okta's second turns at
        // anchor + 0.7 s, between two of them.
        for i in 0..150 {
            answer(&mut clock, anchor, i * 7, 4);
        }
        assert!(
            lateness(&clock, anchor) <= ms(12),
            "{:?}",
            lateness(&clock, anchor)
        );
    }

    #[test]
    fn a_clock_step_starts_afresh() {
        let anchor = Instant::now();
        let mut clock = ServerClock::new(anchor);
        for i in 0..150 {
            answer(&mut clock, anchor, i * 7, 4);
        }
        // Okta's clock jumps back five seconds: its answers contradict the bounds.
        clock.observe(EPOCH - 4, anchor + ms(1100), anchor + ms(1104));
        assert_eq!(clock.samples.len(), 1);
        // Only the new answer counts: Okta read EPOCH − 4 at the latest when it arrived.
        assert_eq!(clock.instant_of(EPOCH - 3), Some(anchor + ms(2104)));
    }

    #[test]
    fn old_answers_are_forgotten() {
        let anchor = Instant::now();
        let mut clock = ServerClock::new(anchor);
        answer(&mut clock, anchor, 0, 4);
        let later = 1000 * (HORIZON.as_secs() + 1);
        answer(&mut clock, anchor, later, 4);
        assert_eq!(clock.samples.len(), 1);
    }

    #[test]
    fn only_the_most_recent_answers_are_kept() {
        let anchor = Instant::now();
        let mut clock = ServerClock::new(anchor);
        for i in 0..(SAMPLES as u64 + 10) {
            answer(&mut clock, anchor, i, 1);
        }
        assert_eq!(clock.samples.len(), SAMPLES);
    }
}
