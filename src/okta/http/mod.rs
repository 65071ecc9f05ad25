//! The one production implementation of [`OktaApi`](crate::okta::OktaApi): reqwest over
//! rustls, polite to the org's rate limits, careful with secrets. Configuration is described
//! in `docs/configuration.md`.
//!
//! # Layout
//! - [`settings`]: what the client is told (org, credentials, limits), checked once.
//! - `credentials`: the `Authorization` header; `oauth`: access tokens for service apps
//!   (`private_key_jwt`, token cache, DPoP), asked for through `exchange` like any request;
//!   `secret`: values never printed, and the sensitive header values that carry them.
//! - `exchange`: one logical request, token requests included: budget, in-flight cap,
//!   credentials, retries, tracing.
//! - `budget`: each bucket's share from `X-Rate-Limit-*`, its resets placed on our clock by
//!   `server_clock` (Okta's clock learned from `Date`); `retry`: what to do after an attempt.
//! - `operations`: the `OktaApi` methods, each one route.
//! - `pages`: following `Link: rel="next"` with loop guards; `link` parses the header.
//! - `body`: reading an answer's body, at most 32 MiB.
//! - `failure`: answers and transport failures → [`ApiError`] with advice.
//! - `route`: route templates and rate-limit buckets; `stats`: calls made per bucket.
//!
//! Nothing in this module logs a header value, a body, or any credential.

mod body;
mod budget;
mod credentials;
mod exchange;
mod failure;
mod link;
mod oauth;
mod operations;
mod pages;
mod retry;
mod route;
pub mod secret;
mod server_clock;
pub mod settings;
mod stats;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use url::Url;

pub use route::Bucket;
pub use secret::Secret;
pub use settings::{Auth, ClientSettings, PrivateKeySource, RetryLimits, parse_org_url};
pub use stats::{BucketStats, CallStats};

use budget::Budget;
use credentials::Credentials;
use stats::StatsRecorder;

use crate::okta::ApiError;
use crate::okta::error::SettingsError;

/// The largest `--ca-cert` file read: the whole Mozilla root store is about 220 KiB.
const MAX_CA_FILE_BYTES: u64 = 4 << 20;

/// The HTTP client for one org. Cheap to clone: clones share connections, limits and counts.
#[derive(Debug, Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

/// The state shared by clones of a client.
#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    org: Url,
    /// The org's host, for transport errors.
    host: String,
    credentials: Credentials,
    budget: Budget,
    /// Caps requests in flight; a permit is held from sending to the last byte.
    in_flight: Semaphore,
    retry: RetryLimits,
    max_rate_limit_wait: Duration,
    max_pages: usize,
    stats: StatsRecorder,
}

impl HttpClient {
    /// Builds a client; fails on settings it cannot work with, naming the setting.
    pub fn new(settings: ClientSettings) -> Result<Self, ApiError> {
        settings.check()?;
        let credentials = Credentials::new(&settings.auth, &settings.org_url)?;
        let http = build_http(&settings)?;
        let host = settings.org_url.host_str().unwrap_or_default().to_owned();
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                host,
                credentials,
                budget: Budget::new(settings.max_api_capacity_pct),
                in_flight: Semaphore::new(settings.max_in_flight),
                retry: settings.retry,
                max_rate_limit_wait: settings.max_rate_limit_wait,
                max_pages: settings.max_pages,
                org: settings.org_url,
                stats: StatsRecorder::default(),
            }),
        })
    }

    /// The org this client talks to.
    pub fn org_url(&self) -> &Url {
        &self.inner.org
    }

    /// The calls made so far, per bucket.
    pub fn stats(&self) -> CallStats {
        self.inner.stats.snapshot()
    }

    /// The rate-limit bucket the client is holding requests back for (its share of the
    /// current window is used up), and how long until that window resets; for progress
    /// displays.
    pub fn holding_for(&self) -> Option<(Bucket, Duration)> {
        self.inner.budget.longest_hold(tokio::time::Instant::now())
    }
}

/// The reqwest client: rustls, the system's roots plus `--ca-cert`, proxies from the
/// environment (reqwest's default), no redirects (Okta's API does not redirect, and following
/// one could carry credentials elsewhere).
fn build_http(settings: &ClientSettings) -> Result<reqwest::Client, SettingsError> {
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("keyshare/", env!("CARGO_PKG_VERSION")))
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none());
    if let Some(path) = &settings.ca_cert {
        let bad = |detail: String| SettingsError::BadCaCert {
            path: path.display().to_string(),
            detail,
        };
        let pem =
            crate::fsio::read_capped(path, MAX_CA_FILE_BYTES).map_err(|e| bad(e.to_string()))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| bad(e.to_string()))?;
        if certs.is_empty() {
            return Err(bad("it holds no PEM certificate".to_owned()));
        }
        builder = builder.tls_certs_merge(certs);
    }
    builder
        .build()
        .map_err(|e| SettingsError::HttpClient(e.to_string()))
}

impl Inner {
    /// `{org}/api/v1/apps/{segments…}`, each segment percent-encoded.
    fn apps_url(&self, segments: &[&str]) -> Url {
        let mut url = self.api_url("apps");
        url.path_segments_mut()
            .expect("the org URL has a host, so it has a path")
            .extend(segments);
        url
    }

    /// `{org}/api/v1/{resource}`.
    fn api_url(&self, resource: &str) -> Url {
        let mut url = self.org.clone();
        url.set_query(None);
        url.set_fragment(None);
        url.path_segments_mut()
            .expect("the org URL has a host, so it has a path")
            .clear()
            .extend(["api", "v1", resource]);
        url
    }
}
