//! Injected faults (`POST /__sim/faults`, `--latency-ms`, `--error-rate`): latency, a random
//! share of 500s, and one-off rules that act on the Nth request matching a method and route
//! template — fail it with a status, drop its connection without an answer, or hold it until
//! `POST /__sim/release` — either before the request takes effect or after (the write happens,
//! the client sees the fault). `staleMetadata` makes SAML metadata publish a certificate other
//! than the active key's, as a cache in front of Okta's might after a switch. JSON shapes are
//! in docs/simulator.md.

use std::sync::Mutex;
use std::time::Duration;

use axum::extract::connect_info::ConnectInfo;
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use super::Simulator;
use super::conn::KillSwitch;
use super::error::OktaError;

/// What a rule does to the request it catches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    /// Answer with `status` (default 500) and Okta's error body; 403 is a missing scope or
    /// permission (E0000006), as a token without `okta.logs.read` gets from the System Log.
    Fail,
    /// Close the TCP connection without any answer.
    Drop,
    /// Wait until `POST /__sim/release`, then go on.
    Hold,
}

/// When the rule acts, relative to the request taking effect.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum When {
    /// Before the handler runs: a write does not happen.
    #[default]
    Before,
    /// After the handler ran: a write has happened.
    After,
}

/// A one-off rule, as posted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RuleSpec {
    /// HTTP method, e.g. `PUT`.
    pub method: String,
    /// Route template, e.g. `/api/v1/apps/{appId}`.
    pub route: String,
    /// Which matching request (1 = the next one), counted from when the rule is added.
    #[serde(default = "one")]
    pub nth: u64,
    /// How many matching requests in a row, from the `nth`, it acts on (a burst of 429s).
    #[serde(default = "one")]
    pub times: u64,
    /// What to do.
    pub action: Action,
    /// Before or after the request takes effect.
    #[serde(default)]
    pub when: When,
    /// Status for `fail` (default 500).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
}

fn one() -> u64 {
    1
}

/// The body of `POST /__sim/faults`. Absent members leave the current setting alone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FaultUpdate {
    /// Latency added to every API request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// Share of API requests answered with 500 before they take effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_rate: Option<f64>,
    /// While true, an app's SAML metadata (without `?kid=`) publishes the certificate of a key
    /// it holds other than the one it signs with, when it holds one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale_metadata: Option<bool>,
    /// Rules to add.
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
}

impl RuleSpec {
    /// A rule that does `action` to the next request matching `method` and `route` (a route
    /// template such as `/api/v1/apps/{appId}`), before it takes effect.
    pub fn new(method: &str, route: &str, action: Action) -> Self {
        Self {
            method: method.to_owned(),
            route: route.to_owned(),
            nth: 1,
            times: 1,
            action,
            when: When::Before,
            status: None,
        }
    }

    /// Acts on the `nth` matching request (from 1) instead of the next.
    #[must_use]
    pub fn nth(mut self, nth: u64) -> Self {
        self.nth = nth;
        self
    }

    /// Acts on `times` matching requests in a row.
    #[must_use]
    pub fn times(mut self, times: u64) -> Self {
        self.times = times;
        self
    }

    /// Acts after the request took effect: the write happens, the client sees the fault.
    #[must_use]
    pub fn after(mut self) -> Self {
        self.when = When::After;
        self
    }

    /// The status a `fail` answers (403, 429 or 5xx).
    #[must_use]
    pub fn status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }
}

struct Rule {
    id: u64,
    spec: RuleSpec,
    seen: u64,
}

impl Rule {
    /// The count of matching requests at which the rule acts for the last time.
    fn last(&self) -> u64 {
        self.spec.nth.saturating_add(self.spec.times - 1)
    }

    fn acts_on(&self, seen: u64) -> bool {
        (self.spec.nth..=self.last()).contains(&seen)
    }
}

/// The fault settings of one org.
pub struct Faults {
    state: Mutex<FaultState>,
}

struct FaultState {
    latency: Duration,
    error_rate: f64,
    stale_metadata: bool,
    rules: Vec<Rule>,
    next_id: u64,
    held: Vec<oneshot::Sender<()>>,
}

impl Faults {
    /// Faults with this standing latency and error rate, and no rules.
    pub fn new(latency: Duration, error_rate: f64) -> Self {
        Self {
            state: Mutex::new(FaultState {
                latency,
                error_rate,
                stale_metadata: false,
                rules: Vec::new(),
                next_id: 1,
                held: Vec::new(),
            }),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut FaultState) -> T) -> T {
        f(&mut self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Applies a `POST /__sim/faults` body; 400 text for a bad one.
    pub fn update(&self, update: FaultUpdate) -> Result<(), String> {
        if let Some(rate) = update.error_rate.filter(|r| !(0.0..=1.0).contains(r)) {
            return Err(format!("errorRate must be between 0.0 and 1.0, got {rate}"));
        }
        for rule in &update.rules {
            if rule.nth == 0 || rule.times == 0 {
                return Err(format!(
                    "rule for {} {}: nth and times count from 1",
                    rule.method, rule.route
                ));
            }
            let status = rule.status.unwrap_or(500);
            if rule.action == Action::Fail && !matches!(status, 403 | 429 | 500..=599) {
                return Err(format!(
                    "rule for {} {}: status must be 403, 429 or 5xx, got {status}",
                    rule.method, rule.route
                ));
            }
        }
        self.with(|s| {
            if let Some(ms) = update.latency_ms {
                s.latency = Duration::from_millis(ms);
            }
            if let Some(rate) = update.error_rate {
                s.error_rate = rate;
            }
            if let Some(stale) = update.stale_metadata {
                s.stale_metadata = stale;
            }
            for spec in update.rules {
                let id = s.next_id;
                s.next_id += 1;
                s.rules.push(Rule { id, spec, seen: 0 });
            }
        });
        Ok(())
    }

    /// Removes every rule, the standing latency and error rate and stale metadata, and releases
    /// held requests.
    pub fn clear(&self) {
        self.with(|s| {
            s.latency = Duration::ZERO;
            s.error_rate = 0.0;
            s.stale_metadata = false;
            s.rules.clear();
        });
        self.release_all();
    }

    /// Lets every held request go on; returns how many there were.
    pub fn release_all(&self) -> usize {
        let held = self.with(|s| std::mem::take(&mut s.held));
        let count = held.len();
        for waiter in held {
            let _ = waiter.send(());
        }
        count
    }

    /// What `GET /__sim/faults` shows.
    pub fn view(&self) -> FaultsView {
        self.with(|s| FaultsView {
            latency_ms: u64::try_from(s.latency.as_millis()).unwrap_or(u64::MAX),
            error_rate: s.error_rate,
            rules: s
                .rules
                .iter()
                .map(|r| ActiveRule {
                    id: r.id,
                    rule: r.spec.clone(),
                    seen: r.seen,
                })
                .collect(),
            held: s.held.len(),
            stale_metadata: s.stale_metadata,
        })
    }

    /// Whether SAML metadata publishes a stale certificate (`staleMetadata`).
    pub fn stale_metadata(&self) -> bool {
        self.with(|s| s.stale_metadata)
    }

    /// What happens to a request: the standing latency, whether the error rate hit it, and
    /// the first rule it fires (a rule is removed after its last firing).
    fn plan(&self, method: &str, route: &str) -> (Duration, bool, Option<RuleSpec>) {
        self.with(|s| {
            let mut fired = None;
            for rule in &mut s.rules {
                if rule.spec.method.eq_ignore_ascii_case(method) && rule.spec.route == route {
                    rule.seen += 1;
                    if rule.acts_on(rule.seen) && fired.is_none() {
                        fired = Some(rule.spec.clone());
                    }
                }
            }
            s.rules.retain(|r| r.seen < r.last());
            let unlucky = s.error_rate > 0.0 && rand::random::<f64>() < s.error_rate;
            (s.latency, unlucky, fired)
        })
    }

    fn hold(&self) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        self.with(|s| s.held.push(tx));
        rx
    }
}

/// Middleware for API routes: applies latency, the error rate and one-off rules.
pub async fn inject(
    State(sim): State<Simulator>,
    path: MatchedPath,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().to_string();
    let switch = request
        .extensions()
        .get::<ConnectInfo<KillSwitch>>()
        .map(|ConnectInfo(s)| s.clone());
    let faults = sim.faults();
    let (latency, unlucky, rule) = faults.plan(&method, path.as_str());
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if unlucky {
        sim.stats().record_fault();
        return OktaError::server_error(StatusCode::INTERNAL_SERVER_ERROR).into_response();
    }
    let Some(rule) = rule else {
        return next.run(request).await;
    };
    sim.stats().record_fault();
    if rule.when == When::Before {
        if let Some(response) = act(&sim, &rule, switch.as_ref()).await {
            return response;
        }
        return next.run(request).await;
    }
    let response = next.run(request).await;
    act(&sim, &rule, switch.as_ref()).await.unwrap_or(response)
}

/// Carries out a rule: the response to send instead, or `None` to go on (after a hold).
async fn act(sim: &Simulator, rule: &RuleSpec, switch: Option<&KillSwitch>) -> Option<Response> {
    match rule.action {
        Action::Fail => {
            let status = StatusCode::from_u16(rule.status.unwrap_or(500))
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            Some(OktaError::server_error(status).into_response())
        }
        Action::Drop => {
            // Through `serve` the connection is cut and this 502 is never sent; a bare router
            // has no connection to cut, so there the client sees the 502.
            if let Some(switch) = switch {
                switch.trip();
            }
            Some(StatusCode::BAD_GATEWAY.into_response())
        }
        Action::Hold => {
            let _ = sim.faults().hold().await;
            None
        }
    }
}

/// `GET /__sim/faults`: the standing faults and the one-off rules still to fire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultsView {
    /// Latency added to every API request.
    pub latency_ms: u64,
    /// Share of API requests answered with 500.
    pub error_rate: f64,
    /// Rules not yet spent, oldest first.
    pub rules: Vec<ActiveRule>,
    /// Requests parked by a `hold` rule now.
    pub held: usize,
    /// Whether SAML metadata publishes a stale certificate; shown only while on, so the
    /// settings' shape without it is unchanged.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stale_metadata: bool,
}

/// One rule of [`FaultsView`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveRule {
    /// Its id, in the order rules were added.
    pub id: u64,
    /// The rule as posted.
    pub rule: RuleSpec,
    /// Matching requests seen so far.
    pub seen: u64,
}
