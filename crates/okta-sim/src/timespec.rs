//! Points in time for seed files: absolute (`2026-01-01T00:00:00Z`) or relative to the
//! simulator's start (`-20d`, `+10y`, `-2y+20d`; units s, m, h, d, w, y, years by calendar).

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Deserializer};

use super::time;

/// An absolute or start-relative point in time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeSpec {
    /// A fixed instant.
    At(Timestamp),
    /// Offsets from start, applied in order.
    Relative(Vec<Offset>),
}

/// One signed term of a relative time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offset {
    /// Calendar years.
    Years(i64),
    /// A fixed duration.
    Fixed(SignedDuration),
}

impl TimeSpec {
    /// Parses `2026-01-01T00:00:00Z` or a sequence of signed terms like `-2y+20d`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if let Ok(ts) = text.parse::<Timestamp>() {
            return Ok(Self::At(ts));
        }
        parse_terms(text).map(Self::Relative).ok_or_else(|| {
            format!(
                "`{text}` is neither an RFC 3339 instant nor an offset like `-20d` or `-2y+20d` (units s, m, h, d, w, y)"
            )
        })
    }

    /// The instant this spec names, for a simulator started at `start`.
    pub fn resolve(&self, start: Timestamp) -> Timestamp {
        match self {
            Self::At(ts) => *ts,
            Self::Relative(terms) => terms.iter().fold(start, |at, term| match term {
                Offset::Years(years) => time::add_years(at, *years),
                Offset::Fixed(d) => at.checked_add(*d).unwrap_or(at),
            }),
        }
    }
}

fn parse_terms(mut text: &str) -> Option<Vec<Offset>> {
    let mut terms = Vec::new();
    // An unsigned term keeps the sign of the one before it: `-1h30m` is ninety minutes back.
    let mut sign = 1;
    while !text.is_empty() {
        let rest = match text.as_bytes()[0] {
            b'-' => {
                sign = -1;
                &text[1..]
            }
            b'+' => {
                sign = 1;
                &text[1..]
            }
            _ => text,
        };
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let amount: i64 = rest[..digits].parse().ok()?;
        let unit = rest[digits..].chars().next()?;
        let amount = sign * amount;
        let seconds = |per: i64| Offset::Fixed(SignedDuration::from_secs(amount * per));
        terms.push(match unit {
            's' => seconds(1),
            'm' => seconds(60),
            'h' => seconds(3_600),
            'd' => seconds(86_400),
            'w' => seconds(7 * 86_400),
            'y' => Offset::Years(amount),
            _ => return None,
        });
        text = &rest[digits + unit.len_utf8()..];
    }
    (!terms.is_empty()).then_some(terms)
}

impl<'de> Deserialize<'de> for TimeSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_relative_and_absolute_specs() {
        let start: Timestamp = "2026-11-26T15:00:00Z".parse().unwrap();
        let cases = [
            ("-20d", "2026-11-06T15:00:00Z"),
            ("+20d", "2026-12-16T15:00:00Z"),
            ("20d", "2026-12-16T15:00:00Z"),
            ("-2y+20d", "2024-12-16T15:00:00Z"),
            ("-1h30m", "2026-11-26T13:30:00Z"),
            ("2025-01-01T00:00:00Z", "2025-01-01T00:00:00Z"),
        ];
        for (spec, want) in cases {
            let got = TimeSpec::parse(spec).unwrap().resolve(start);
            assert_eq!(got.to_string(), want, "spec {spec}");
        }
    }

    #[test]
    fn rejects_nonsense() {
        for bad in ["", "-20", "-20q", "yesterday", "-2y+"] {
            assert!(TimeSpec::parse(bad).is_err(), "{bad} should not parse");
        }
    }
}
