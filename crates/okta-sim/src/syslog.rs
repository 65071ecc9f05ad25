//! The org's System Log (docs/okta-api.md §12): one event per write the simulator serves, in
//! the `LogEvent` shape, and `GET /api/v1/logs` over them with `since`, `until`, `filter`,
//! `limit` and the `after` cursor.
//!
//! Events are kept in the order they were published; an event becomes visible only once the
//! configured log lag has passed, so visibility is always a prefix of the list and a cursor
//! (the sequence number of the last event returned) never skips one. No HTTP here, and no
//! clock reads: callers pass `now`.

use std::sync::Mutex;
use std::time::Duration;

use jiff::Timestamp;
use serde_json::{Value, json};

use super::error::OktaError;
use super::ids::Ids;

/// Okta's default page size for the System Log.
const DEFAULT_LIMIT: usize = 100;
/// Okta's largest page size for the System Log.
const MAX_LIMIT: usize = 1000;
/// How far back `since` reaches when the caller sends none: seven days before `until`.
const DEFAULT_WINDOW: Duration = Duration::from_secs(7 * 24 * 3600);

/// What was written, and to which apps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// `PUT /api/v1/apps/{id}` (a kid switch is an update).
    AppUpdate,
    /// `POST …/credentials/keys/generate`.
    KeyGenerate,
    /// `POST …/credentials/keys/{kid}/clone`.
    KeyClone,
    /// `POST …/credentials/csrs`.
    CsrGenerate,
    /// `POST …/credentials/csrs/{id}/lifecycle/publish`.
    CsrPublish,
    /// `DELETE …/credentials/csrs/{id}`.
    CsrRevoke,
}

impl EventType {
    /// The `eventType` of Okta's Event Types catalog.
    pub fn name(self) -> &'static str {
        match self {
            Self::AppUpdate => "application.lifecycle.update",
            Self::KeyGenerate => "app.keys.generate",
            Self::KeyClone => "app.keys.clone",
            Self::CsrGenerate => "app.app_instance.csr.generate",
            Self::CsrPublish => "app.app_instance.csr.publish",
            Self::CsrRevoke => "app.app_instance.csr.revoke",
        }
    }

    /// The `displayMessage` (UNCONFIRMED wording, docs/simulator.md).
    fn display_message(self) -> &'static str {
        match self {
            Self::AppUpdate => "Update application",
            Self::KeyGenerate => "Generate application signing key",
            Self::KeyClone => "Clone application signing key",
            Self::CsrGenerate => "Generate certificate signing request",
            Self::CsrPublish => "Publish certificate signing request",
            Self::CsrRevoke => "Revoke certificate signing request",
        }
    }
}

/// An app an event is about: its id and label.
#[derive(Debug, Clone)]
pub struct Target {
    pub id: String,
    pub label: String,
}

struct Stored {
    seq: u64,
    published: Timestamp,
    event_type: EventType,
    body: Value,
    targets: Vec<String>,
}

/// The log of one org.
pub struct SystemLog {
    lag: Duration,
    events: Mutex<Vec<Stored>>,
}

/// A page of events and the cursor of the next page, if there is one.
pub struct Page {
    pub events: Vec<Value>,
    /// `after` for the next page; `None` only for a bounded query (`until` sent) that is done.
    pub next_after: Option<String>,
}

impl SystemLog {
    /// An empty log whose events become visible `lag` after they are published.
    pub fn new(lag: Duration) -> Self {
        Self {
            lag,
            events: Mutex::new(Vec::new()),
        }
    }

    fn events(&self) -> std::sync::MutexGuard<'_, Vec<Stored>> {
        // Every change is one push; a poisoned lock still holds a consistent list.
        self.events
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records one successful write at `now` (millisecond precision, as Okta's `published`),
    /// its `uuid` drawn from `ids`; returns the event.
    pub fn record(
        &self,
        event_type: EventType,
        targets: &[Target],
        now: Timestamp,
        ids: &Ids,
    ) -> Value {
        let mut events = self.events();
        let seq = events.last().map_or(1, |e| e.seq + 1);
        let body = json!({
            "uuid": ids.uuid(),
            "published": published(now),
            "eventType": event_type.name(),
            "version": "0",
            "severity": "INFO",
            "displayMessage": event_type.display_message(),
            "actor": {
                "id": "00usimulatoradmin001",
                "type": "User",
                "alternateId": "admin@example.com",
                "displayName": "Simulator Admin",
                "detailEntry": null,
            },
            "outcome": { "result": "SUCCESS", "reason": null },
            "target": targets.iter().map(|t| json!({
                "id": t.id,
                "type": "AppInstance",
                "alternateId": t.label,
                "displayName": t.label,
                "detailEntry": null,
            })).collect::<Vec<_>>(),
        });
        events.push(Stored {
            seq,
            published: now,
            event_type,
            body: body.clone(),
            targets: targets.iter().map(|t| t.id.clone()).collect(),
        });
        body
    }

    /// The events of `GET /api/v1/logs` with these query parameters, as visible at `now`.
    pub fn query(&self, params: &[(String, String)], now: Timestamp) -> Result<Page, OktaError> {
        let query = LogQuery::parse(params, now)?;
        let visible_until = now - self.lag;
        let events = self.events();
        let mut page = Vec::new();
        let mut last_seq = query.after;
        let mut more = false;
        for event in events.iter().filter(|e| e.seq > query.after) {
            if event.published > visible_until {
                break;
            }
            if event.published < query.since
                || query.until.is_some_and(|until| event.published >= until)
                || !query.filter.matches(event)
            {
                continue;
            }
            if page.len() == query.limit {
                more = true;
                break;
            }
            page.push(event.body.clone());
            last_seq = event.seq;
        }
        // A polling query (no `until`) always has a next page: events may still arrive.
        let next_after = (more || query.until.is_none()).then(|| last_seq.to_string());
        Ok(Page {
            events: page,
            next_after,
        })
    }
}

/// `published` as Okta writes it: UTC with milliseconds.
fn published(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

struct LogQuery {
    since: Timestamp,
    until: Option<Timestamp>,
    filter: Filter,
    limit: usize,
    after: u64,
}

impl LogQuery {
    fn parse(params: &[(String, String)], now: Timestamp) -> Result<Self, OktaError> {
        let get = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let time = |name: &str| -> Result<Option<Timestamp>, OktaError> {
            get(name)
                .map(|v| {
                    v.parse::<Timestamp>().map_err(|_| {
                        OktaError::validation(name).with_cause(format!(
                            "{name}: The date format in your query is not recognized. Please enter dates using ISO8601 string format.. 'until' must be a valid date-time string."
                        ))
                    })
                })
                .transpose()
        };
        let until = time("until")?;
        let since = time("since")?.unwrap_or_else(|| until.unwrap_or(now) - DEFAULT_WINDOW);
        let limit = match get("limit") {
            None => DEFAULT_LIMIT,
            Some(v) => match v.parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    return Err(OktaError::validation("limit")
                        .with_cause(format!("limit: must be between 1 and {MAX_LIMIT}")));
                }
            },
        };
        let after = match get("after").filter(|a| !a.is_empty()) {
            None => 0,
            Some(a) => a.parse().map_err(|_| OktaError::invalid_paging())?,
        };
        let filter = get("filter").map_or(Ok(Filter::default()), Filter::parse)?;
        Ok(Self {
            since,
            until,
            filter,
            limit,
            after,
        })
    }
}

/// `filter`: comparisons `eventType eq "…"` and `target.id eq "…"`, joined by `and` (binding
/// tighter) and `or`. Parentheses and other properties or operators are refused with 400
/// E0000031 (UNCONFIRMED: Okta accepts more of its filter language).
#[derive(Debug, Default)]
struct Filter {
    /// Alternatives, each a conjunction; empty matches everything.
    any_of: Vec<Vec<Comparison>>,
}

#[derive(Debug)]
enum Comparison {
    EventType(String),
    TargetId(String),
}

impl Filter {
    fn parse(text: &str) -> Result<Self, OktaError> {
        let tokens = tokenize(text).ok_or_else(OktaError::invalid_search)?;
        let mut any_of = vec![Vec::new()];
        let mut rest = tokens.as_slice();
        loop {
            let [property, op, Token::Quoted(value), tail @ ..] = rest else {
                return Err(OktaError::invalid_search());
            };
            let (Token::Word(property), Token::Word(op)) = (property, op) else {
                return Err(OktaError::invalid_search());
            };
            if !op.eq_ignore_ascii_case("eq") {
                return Err(OktaError::invalid_search());
            }
            let comparison = match property.as_str() {
                "eventType" => Comparison::EventType(value.clone()),
                "target.id" => Comparison::TargetId(value.clone()),
                _ => return Err(OktaError::invalid_search()),
            };
            any_of
                .last_mut()
                .expect("there is always a conjunction")
                .push(comparison);
            match tail {
                [] => return Ok(Self { any_of }),
                [Token::Word(join), tail @ ..] if join.eq_ignore_ascii_case("and") => rest = tail,
                [Token::Word(join), tail @ ..] if join.eq_ignore_ascii_case("or") => {
                    any_of.push(Vec::new());
                    rest = tail;
                }
                _ => return Err(OktaError::invalid_search()),
            }
        }
    }

    fn matches(&self, event: &Stored) -> bool {
        self.any_of.is_empty()
            || self.any_of.iter().any(|all| {
                all.iter().all(|c| match c {
                    Comparison::EventType(t) => event.event_type.name() == t,
                    Comparison::TargetId(id) => event.targets.iter().any(|t| t == id),
                })
            })
    }
}

#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Quoted(String),
}

/// Words and double-quoted strings (`\"` escapes a quote); `None` for an unterminated quote.
fn tokenize(text: &str) -> Option<Vec<Token>> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            chars.next();
            let mut value = String::new();
            loop {
                match chars.next()? {
                    '"' => break,
                    '\\' => value.push(chars.next()?),
                    other => value.push(other),
                }
            }
            tokens.push(Token::Quoted(value));
        } else {
            let mut word = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || c == '"' {
                    break;
                }
                word.push(c);
                chars.next();
            }
            tokens.push(Token::Word(word));
        }
    }
    Some(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::IdSource;

    fn ids() -> Ids {
        Ids::new(IdSource::Random)
    }

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn target(id: &str) -> Target {
        Target {
            id: id.into(),
            label: format!("label of {id}"),
        }
    }

    fn types(page: &Page) -> Vec<&str> {
        page.events
            .iter()
            .map(|e| e["eventType"].as_str().unwrap())
            .collect()
    }

    fn log_at(t0: Timestamp) -> SystemLog {
        let log = SystemLog::new(Duration::ZERO);
        log.record(EventType::AppUpdate, &[target("a")], t0, &ids());
        log.record(
            EventType::KeyGenerate,
            &[target("b")],
            t0 + Duration::from_secs(1),
            &ids(),
        );
        log.record(
            EventType::KeyClone,
            &[target("b"), target("a")],
            t0 + Duration::from_secs(2),
            &ids(),
        );
        log
    }

    #[test]
    fn filters_on_event_type_and_target_joined_by_and_or() {
        let t0: Timestamp = "2026-06-09T13:00:00Z".parse().unwrap();
        let log = log_at(t0);
        let now = t0 + Duration::from_secs(10);
        let cases = [
            (r#"eventType eq "app.keys.clone""#, vec!["app.keys.clone"]),
            (
                r#"target.id eq "a""#,
                vec!["application.lifecycle.update", "app.keys.clone"],
            ),
            (
                r#"target.id eq "a" and eventType eq "app.keys.clone""#,
                vec!["app.keys.clone"],
            ),
            (
                r#"eventType eq "app.keys.generate" or eventType eq "application.lifecycle.update""#,
                vec!["application.lifecycle.update", "app.keys.generate"],
            ),
        ];
        for (filter, expected) in cases {
            let page = log.query(&params(&[("filter", filter)]), now).unwrap();
            assert_eq!(types(&page), expected, "{filter}");
        }
        for bad in [
            r#"eventType sw "app""#,
            r#"actor.id eq "x""#,
            r#"(eventType eq "x")"#,
            r#"eventType eq "x" xor"#,
            r#"eventType eq "x"#,
        ] {
            let err = log.query(&params(&[("filter", bad)]), now).err().unwrap();
            assert_eq!(err.code, "E0000031", "{bad}");
        }
    }

    #[test]
    fn pages_follow_the_cursor_and_polling_always_has_a_next_page() {
        let t0: Timestamp = "2026-06-09T13:00:00Z".parse().unwrap();
        let log = log_at(t0);
        let now = t0 + Duration::from_secs(10);
        let first = log.query(&params(&[("limit", "2")]), now).unwrap();
        assert_eq!(first.events.len(), 2);
        let after = first.next_after.unwrap();
        let second = log
            .query(&params(&[("limit", "2"), ("after", &after)]), now)
            .unwrap();
        assert_eq!(types(&second), ["app.keys.clone"]);
        let caught_up = second.next_after.unwrap();
        let empty = log
            .query(&params(&[("limit", "2"), ("after", &caught_up)]), now)
            .unwrap();
        assert!(empty.events.is_empty());
        assert_eq!(empty.next_after.as_deref(), Some(caught_up.as_str()));

        let until = published(t0 + Duration::from_secs(2));
        let bounded = log.query(&params(&[("until", &until)]), now).unwrap();
        assert_eq!(bounded.events.len(), 2);
        assert!(bounded.next_after.is_none(), "a bounded query ends");
    }

    #[test]
    fn since_bounds_and_the_lag_hides_recent_events() {
        let t0: Timestamp = "2026-06-09T13:00:00Z".parse().unwrap();
        let log = SystemLog::new(Duration::from_secs(5));
        log.record(EventType::AppUpdate, &[target("a")], t0, &ids());
        log.record(
            EventType::CsrPublish,
            &[target("a")],
            t0 + Duration::from_secs(4),
            &ids(),
        );
        let at = |s| t0 + Duration::from_secs(s);
        assert!(log.query(&[], at(4)).unwrap().events.is_empty());
        assert_eq!(log.query(&[], at(6)).unwrap().events.len(), 1);
        assert_eq!(log.query(&[], at(9)).unwrap().events.len(), 2);
        let since = published(at(1));
        let page = log.query(&params(&[("since", &since)]), at(9)).unwrap();
        assert_eq!(types(&page), ["app.app_instance.csr.publish"]);
    }

    #[test]
    fn events_have_the_log_event_shape() {
        let t0: Timestamp = "2026-06-09T13:00:00.250Z".parse().unwrap();
        let log = log_at(t0);
        let page = log.query(&[], t0 + Duration::from_secs(10)).unwrap();
        let event = &page.events[0];
        assert_eq!(event["published"], "2026-06-09T13:00:00.250Z");
        assert_eq!(event["outcome"]["result"], "SUCCESS");
        assert_eq!(event["target"][0]["id"], "a");
        assert_eq!(event["target"][0]["type"], "AppInstance");
        assert_eq!(event["uuid"].as_str().unwrap().len(), 36);
        assert_ne!(page.events[0]["uuid"], page.events[1]["uuid"]);
    }
}
