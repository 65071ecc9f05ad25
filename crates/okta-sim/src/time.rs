//! Okta's timestamps: second precision, always rendered `YYYY-MM-DDTHH:MM:SS.000Z`.
//! Everything the simulator stores is truncated to whole seconds, as Okta's are. No clock
//! reads here: "now" is the org's clock (`clock.rs`).

use jiff::{Span, Timestamp, tz::TimeZone};

/// Seconds since the epoch of a machine-clock instant (what clients sign tokens and proofs
/// against).
pub fn epoch_seconds(at: std::time::SystemTime) -> u64 {
    at.duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

/// Drops sub-second precision.
pub fn truncate(ts: Timestamp) -> Timestamp {
    Timestamp::from_second(ts.as_second()).unwrap_or(ts)
}

/// Okta's rendering, e.g. `2026-06-09T13:23:57.000Z`.
pub fn okta(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%S.000Z").to_string()
}

/// `ts` plus whole calendar years (in UTC, as certificates count them).
pub fn add_years(ts: Timestamp, years: i64) -> Timestamp {
    ts.to_zoned_datetime(TimeZone::UTC)
        .checked_add(Span::new().years(years))
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_okta() {
        let ts: Timestamp = "2026-06-09T13:23:57.345Z".parse().unwrap();
        assert_eq!(okta(truncate(ts)), "2026-06-09T13:23:57.000Z");
    }

    #[test]
    fn adds_calendar_years() {
        let ts: Timestamp = "2026-06-09T13:23:57Z".parse().unwrap();
        assert_eq!(okta(add_years(ts, 10)), "2036-06-09T13:23:57.000Z");
    }
}
