//! Observe: every read keyshare makes of an org passes through this room. The snapshot a plan
//! needs is read by [`crate::apply::fetch`] (the cost model picks the calls) through the org's
//! key-metadata cache ([`Reads`]); the few other reads (an app, a key list, a key, SAML
//! metadata, the org's app listing, the System Log) are the functions below, so that the
//! commands and the controller never call [`OktaApi`]'s read methods themselves.
//!
//! The key cache is an optimisation only (docs/performance.md): a kid's expiry and
//! certificate and the org's app count learnt in one run spare calls in the next, for as long
//! as the cache may stand for Okta's answer. Failing to write it is a logged warning, never an
//! error.
//!
//! Only reads: nothing here writes to Okta, prints, or reads the clock (`now` is an argument).

use std::collections::BTreeSet;
use std::future::Future;
use std::path::PathBuf;

use jiff::Timestamp;

use super::{Planned, plan};
use crate::apply::{FetchError, FetchOptions, Fetched, KeyCache, app_read_calls, fetch, refresh};
use crate::config::DesiredState;
use crate::okta::http::HttpClient;
use crate::okta::{
    ApiError, AppId, AppQuery, Application, JsonWebKey, Kid, LogQuery, LogRead, OktaApi,
};
use crate::plan::{LiveSnapshot, PlanError};

/// Page size of a listing of the org's apps: Okta's largest.
const LISTING_PAGE: u32 = 200;

/// Why observing and planning failed.
#[derive(Debug, thiserror::Error)]
pub enum ObserveError {
    #[error("cannot read the live state of {org}")]
    Read {
        org: String,
        #[source]
        source: FetchError,
    },
    #[error("the desired state cannot be planned against {org}:\n{}", .errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Plan { org: String, errors: Vec<PlanError> },
}

/// Told about a snapshot read while it runs, e.g. to draw its progress on a terminal.
pub trait ReadHook {
    /// Runs `reads`; `app_calls` is the number of calls reading the apps takes, when the cost
    /// model knows it.
    fn reading<F: Future>(
        &self,
        app_calls: Option<usize>,
        reads: F,
    ) -> impl Future<Output = F::Output>;
}

/// A [`ReadHook`] that shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet;

impl ReadHook for Quiet {
    async fn reading<F: Future>(&self, _app_calls: Option<usize>, reads: F) -> F::Output {
        reads.await
    }
}

/// How the org is read: through its key-metadata cache file, or afresh.
#[derive(Debug, Clone, Default)]
pub struct Reads {
    /// The org's key-cache file; none when the cache is disabled.
    key_cache: Option<PathBuf>,
}

impl Reads {
    /// Reads without the cache (the demo, whose org lives only as long as the process).
    pub fn fresh() -> Self {
        Self::default()
    }

    /// Reads through the cache file `key_cache`, or afresh when there is none.
    pub fn cached(key_cache: Option<PathBuf>) -> Self {
        Self { key_cache }
    }

    /// Reads what planning `desired` at `now` needs, through the key cache when there is one,
    /// and keeps what the reads taught in it.
    pub async fn read(
        &self,
        client: &HttpClient,
        desired: &DesiredState,
        now: Timestamp,
        hook: &impl ReadHook,
    ) -> Result<Fetched, FetchError> {
        let org = client.org_url().as_str();
        let mut cache = self.load(org);
        let options = FetchOptions {
            org_apps: cache.org_apps(),
            // A warm cache means an earlier run read this org: steady state, where members
            // mostly sign with their group's key already.
            members_in_sync: !cache.is_empty(),
            known_keys: cache.known_keys(now),
            ..FetchOptions::default()
        };
        let app_calls = app_read_calls(desired, &options);
        let fetched = hook
            .reading(app_calls, fetch(client, desired, now, &options))
            .await?;
        self.keep(&mut cache, &fetched.live, fetched.org_apps, now);
        Ok(fetched)
    }

    /// Reads and plans `desired` at `now`; every planning error is reported at once.
    pub async fn plan(
        &self,
        client: &HttpClient,
        desired: &DesiredState,
        now: Timestamp,
        hook: &impl ReadHook,
    ) -> Result<Planned, ObserveError> {
        let org = || client.org_url().to_string();
        let fetched = self
            .read(client, desired, now, hook)
            .await
            .map_err(|source| ObserveError::Read { org: org(), source })?;
        plan(desired, fetched.live, now).map_err(|errors| ObserveError::Plan { org: org(), errors })
    }

    /// Brings a kept snapshot `live` up to date for the apps in `changed` (the controller's
    /// catch-up from the System Log, see [`refresh`]), and keeps what it taught about keys in
    /// the cache.
    pub async fn refresh(
        &self,
        client: &HttpClient,
        desired: &DesiredState,
        now: Timestamp,
        live: &mut LiveSnapshot,
        changed: BTreeSet<AppId>,
    ) -> Result<(), FetchError> {
        let concurrency = FetchOptions::default().concurrency;
        refresh(client, desired, now, live, changed, concurrency).await?;
        let mut cache = self.load(client.org_url().as_str());
        self.keep(&mut cache, live, None, now);
        Ok(())
    }

    fn load(&self, org: &str) -> KeyCache {
        match &self.key_cache {
            Some(path) => KeyCache::load(path, org),
            None => KeyCache::empty(org),
        }
    }

    /// Saves what `live` taught about keys and the org's size to the cache, if it grew.
    fn keep(
        &self,
        cache: &mut KeyCache,
        live: &LiveSnapshot,
        org_apps: Option<usize>,
        now: Timestamp,
    ) {
        let grew = cache.remember(live, now);
        let counted = org_apps.is_some_and(|count| cache.learn_org_apps(count));
        if let Some(path) = &self.key_cache
            && (grew || counted)
            && let Err(error) = cache.save(path)
        {
            // The next read asks Okta what the cache would have spared; nothing is wrong.
            tracing::warn!(%error, "the key cache was not updated");
        }
    }
}

/// One app, by id.
pub async fn app(api: &impl OktaApi, id: &AppId) -> Result<Application, ApiError> {
    api.get_app(id).await
}

/// Every app in the org, in pages of Okta's largest size.
pub async fn org_apps(api: &impl OktaApi) -> Result<Vec<Application>, ApiError> {
    api.list_apps(&AppQuery {
        limit: Some(LISTING_PAGE),
        ..AppQuery::default()
    })
    .await
}

/// An app's key list.
pub async fn key_list(api: &impl OktaApi, id: &AppId) -> Result<Vec<JsonWebKey>, ApiError> {
    api.list_keys(id).await
}

/// One key an app holds.
pub async fn key(api: &impl OktaApi, id: &AppId, kid: &Kid) -> Result<JsonWebKey, ApiError> {
    api.get_key(id, kid).await
}

/// An app's SAML IdP metadata: with its active key's certificate, or, with `kid`, Okta's
/// preview with that key's.
pub async fn saml_metadata(
    api: &impl OktaApi,
    id: &AppId,
    kid: Option<&Kid>,
) -> Result<String, ApiError> {
    api.saml_metadata(id, kid).await
}

/// The System Log events `query` asks for.
pub async fn system_log(api: &impl OktaApi, query: &LogQuery) -> Result<LogRead, ApiError> {
    api.system_log(query).await
}
