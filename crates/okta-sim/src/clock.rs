//! The org's clock: where "now" comes from for everything the org records (the start that
//! seeds are relative to, `created` of generated, cloned and published keys, `lastUpdated`,
//! CSR dates, the System Log's `published` and its lag). The machine's clock by default; a
//! stopped instant ([`Clock::Fixed`]) for reproducible runs; and moved at run time through
//! `POST /__sim/clock` (the typed admin client) so that a test or a demo can
//! have keys made "at" a chosen instant.
//!
//! It never governs what clients sign against the real clock: rate-limit windows, access-token
//! lifetimes, client assertions and DPoP proofs stay on the machine's time.

use std::sync::{Mutex, MutexGuard};

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::time;
use super::timespec::TimeSpec;

/// How the org's clock starts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Clock {
    /// The machine's clock (Okta's behaviour).
    #[default]
    System,
    /// Stopped at this instant until moved through `/__sim/clock`.
    Fixed(Timestamp),
}

/// A change of the clock, the body of `POST /__sim/clock`:
/// `{"set": "2030-01-01T00:00:00Z"}`, `{"advance": "+30d"}` or `"system"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum ClockChange {
    /// Stop the clock at this instant (earlier or later than now).
    Set(Timestamp),
    /// Move the clock by a signed offset in the seed files' syntax (`+30d`, `-1h`, `+2y`);
    /// a stopped clock stays stopped, a running one keeps running from there.
    Advance(String),
    /// Follow the machine's clock again.
    System,
}

/// `GET /__sim/clock`: the org's now, and whether its clock runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockView {
    /// Now, by the org's clock (second precision).
    pub now: Timestamp,
    /// `false` while the clock is stopped at a set instant.
    pub running: bool,
}

/// The running clock of one org.
pub struct OrgClock {
    state: Mutex<State>,
}

#[derive(Clone, Copy)]
enum State {
    /// The machine's time plus an offset (zero unless advanced).
    Running(SignedDuration),
    Stopped(Timestamp),
}

impl OrgClock {
    /// A clock that starts as `clock` says.
    pub fn new(clock: Clock) -> Self {
        let state = match clock {
            Clock::System => State::Running(SignedDuration::ZERO),
            Clock::Fixed(at) => State::Stopped(at),
        };
        Self {
            state: Mutex::new(state),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every change is one assignment; a poisoned lock still holds a consistent state.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn state(&self) -> State {
        *self.lock()
    }

    /// Now, with the machine clock's precision (the System Log keeps milliseconds).
    pub fn now_precise(&self) -> Timestamp {
        match self.state() {
            State::Running(offset) => Timestamp::now()
                .checked_add(offset)
                .unwrap_or(Timestamp::MAX),
            State::Stopped(at) => at,
        }
    }

    /// Now, truncated to the second, as Okta stores its dates.
    pub fn now(&self) -> Timestamp {
        time::truncate(self.now_precise())
    }

    /// Applies a change; the reason when it is not one.
    pub fn change(&self, change: &ClockChange) -> Result<(), String> {
        let mut state = self.lock();
        *state = match change {
            ClockChange::Set(at) => State::Stopped(*at),
            ClockChange::System => State::Running(SignedDuration::ZERO),
            ClockChange::Advance(text) => {
                let offset = match TimeSpec::parse(text)? {
                    TimeSpec::At(_) => {
                        return Err(format!(
                            "advance takes an offset like `+30d`, not an instant ({text:?}): use set"
                        ));
                    }
                    relative => relative,
                };
                match *state {
                    State::Stopped(at) => State::Stopped(offset.resolve(at)),
                    State::Running(ahead) => {
                        let real = Timestamp::now();
                        let from = real.checked_add(ahead).unwrap_or(real);
                        State::Running(offset.resolve(from).duration_since(real))
                    }
                }
            }
        };
        Ok(())
    }

    /// What `GET /__sim/clock` shows: now, and whether the clock runs.
    pub fn view(&self) -> ClockView {
        ClockView {
            now: self.now(),
            running: matches!(self.state(), State::Running(_)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn a_fixed_clock_stands_still_until_moved() {
        let clock = OrgClock::new(Clock::Fixed(at("2030-01-01T00:00:00.250Z")));
        assert_eq!(clock.now(), at("2030-01-01T00:00:00Z"));
        assert_eq!(clock.now_precise(), at("2030-01-01T00:00:00.250Z"));
        clock.change(&ClockChange::Advance("+30d".into())).unwrap();
        assert_eq!(clock.now(), at("2030-01-31T00:00:00Z"));
        clock.change(&ClockChange::Advance("-1y".into())).unwrap();
        assert_eq!(clock.now(), at("2029-01-31T00:00:00Z"));
        clock
            .change(&ClockChange::Set(at("2020-05-05T05:05:05Z")))
            .unwrap();
        assert_eq!(clock.now(), at("2020-05-05T05:05:05Z"));
        assert!(!clock.view().running);
    }

    #[test]
    fn an_advanced_system_clock_keeps_running_ahead() {
        let clock = OrgClock::new(Clock::System);
        clock.change(&ClockChange::Advance("+10y".into())).unwrap();
        let ahead = clock.now_precise().duration_since(Timestamp::now());
        assert!(
            ahead > SignedDuration::from_hours(24 * 365 * 9),
            "{ahead:?}"
        );
        assert!(clock.view().running);
        clock.change(&ClockChange::System).unwrap();
        let behind = Timestamp::now().duration_since(clock.now_precise());
        assert!(behind.abs() < SignedDuration::from_secs(5), "{behind:?}");
    }

    #[test]
    fn advance_refuses_an_instant_and_nonsense() {
        let clock = OrgClock::new(Clock::System);
        for bad in ["2030-01-01T00:00:00Z", "soon"] {
            assert!(
                clock.change(&ClockChange::Advance(bad.into())).is_err(),
                "{bad}"
            );
        }
    }
}
