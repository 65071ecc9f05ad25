//! [`AdminClient`]: the typed client of the `/__sim/` routes, for tests and tools that drive a
//! simulator (its faults, holds, clock) and look inside it (state, stats) without writing
//! JSON by hand. It never talks to `/api`: an Okta client is the thing under test.

use jiff::Timestamp;
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{
    ClockChange, ClockView, FaultUpdate, FaultsView, HookSpec, OrgState, Released, RuleSpec, Stats,
};

/// Why an admin call failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The simulator could not be reached, or its answer was not the expected JSON.
    #[error("{method} {url}: {source}")]
    Http {
        method: Method,
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// The simulator refused the call (a malformed fault update, an unknown clock change, a
    /// hook that failed verification).
    #[error("{method} {url}: the simulator answered {status}: {detail}")]
    Refused {
        method: Method,
        url: String,
        status: u16,
        detail: String,
    },
}

/// A client of one simulator's `/__sim/` routes. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AdminClient {
    http: reqwest::Client,
    base_url: String,
}

impl AdminClient {
    /// A client of the simulator at `base_url` (`http://127.0.0.1:PORT`, as
    /// [`crate::RunningSim::base_url`] gives it).
    pub fn new(base_url: impl Into<String>) -> Self {
        Self::with_http(reqwest::Client::new(), base_url)
    }

    /// The same, over an HTTP client of the caller's.
    pub fn with_http(http: reqwest::Client, base_url: impl Into<String>) -> Self {
        let base_url = base_url.into().trim_end_matches('/').to_owned();
        Self { http, base_url }
    }

    /// The whole org: every app with its keys and pending CSRs.
    pub async fn state(&self) -> Result<OrgState, AdminError> {
        self.call(Method::GET, "/__sim/state", None::<&()>).await
    }

    /// Request counters since start.
    pub async fn stats(&self) -> Result<Stats, AdminError> {
        self.call(Method::GET, "/__sim/stats", None::<&()>).await
    }

    /// The standing faults and the rules still to fire.
    pub async fn faults(&self) -> Result<FaultsView, AdminError> {
        self.call(Method::GET, "/__sim/faults", None::<&()>).await
    }

    /// Adds to the fault settings (absent members are left alone).
    pub async fn add_faults(&self, update: &FaultUpdate) -> Result<FaultsView, AdminError> {
        self.call(Method::POST, "/__sim/faults", Some(update)).await
    }

    /// Adds one-off rules, and nothing else.
    pub async fn add_rules(
        &self,
        rules: impl IntoIterator<Item = RuleSpec>,
    ) -> Result<FaultsView, AdminError> {
        let update = FaultUpdate {
            rules: rules.into_iter().collect(),
            ..FaultUpdate::default()
        };
        self.add_faults(&update).await
    }

    /// Removes every rule, the latency and the error rate, and releases held requests.
    pub async fn clear_faults(&self) -> Result<FaultsView, AdminError> {
        self.call(Method::DELETE, "/__sim/faults", None::<&()>)
            .await
    }

    /// Lets every held request go on; how many there were.
    pub async fn release(&self) -> Result<usize, AdminError> {
        let released: Released = self
            .call(Method::POST, "/__sim/release", None::<&()>)
            .await?;
        Ok(released.released)
    }

    /// How many requests a `hold` rule parks now (poll it to know a client reached a step).
    pub async fn held(&self) -> Result<usize, AdminError> {
        Ok(self.faults().await?.held)
    }

    /// Verifies an Event Hook URL as Okta does and registers it.
    pub async fn add_event_hook(&self, hook: &HookSpec) -> Result<(), AdminError> {
        let _: serde_json::Value = self
            .call(Method::POST, "/__sim/event-hooks", Some(hook))
            .await?;
        Ok(())
    }

    /// The org's clock.
    pub async fn clock(&self) -> Result<ClockView, AdminError> {
        self.call(Method::GET, "/__sim/clock", None::<&()>).await
    }

    /// Moves the org's clock.
    pub async fn change_clock(&self, change: &ClockChange) -> Result<ClockView, AdminError> {
        self.call(Method::POST, "/__sim/clock", Some(change)).await
    }

    /// Stops the org's clock at `at`: what is written from now on is dated `at`.
    pub async fn set_clock(&self, at: Timestamp) -> Result<ClockView, AdminError> {
        self.change_clock(&ClockChange::Set(at)).await
    }

    /// Moves the org's clock by an offset such as `+30d`, `-1h` or `+2y`.
    pub async fn advance_clock(&self, offset: &str) -> Result<ClockView, AdminError> {
        self.change_clock(&ClockChange::Advance(offset.to_owned()))
            .await
    }

    /// Lets the org's clock follow the machine's again.
    pub async fn system_clock(&self) -> Result<ClockView, AdminError> {
        self.change_clock(&ClockChange::System).await
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&impl Serialize>,
    ) -> Result<T, AdminError> {
        let url = format!("{}{path}", self.base_url);
        let http_error = |source| AdminError::Http {
            method: method.clone(),
            url: url.clone(),
            source,
        };
        let mut request = self.http.request(method.clone(), &url);
        request = match body {
            Some(body) => request.json(body),
            // The simulator refuses an HTTP/1 POST that says nothing of its length, as Okta's
            // front end does.
            None => request.header(reqwest::header::CONTENT_LENGTH, "0"),
        };
        let response = request.send().await.map_err(http_error)?;
        let status = response.status();
        if !status.is_success() {
            let detail = response.text().await.unwrap_or_default();
            return Err(AdminError::Refused {
                method,
                url,
                status: status.as_u16(),
                detail,
            });
        }
        response.json().await.map_err(http_error)
    }
}
