//! Reading the live snapshot a plan needs, with as few calls as the cost model allows.
//!
//! First the apps the desired state refers to (per reference or one full listing, whichever
//! [`choose_app_reads`] says is cheaper), then rounds of key lists, exactly those
//! [`key_needs`] asks for, read concurrently within a bound. This module reads only; it never
//! writes to Okta.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::{StreamExt, TryStreamExt, stream};
use jiff::Timestamp;

use super::cost::{AppReads, BucketLimits, References, choose_app_reads};
use crate::config::{AppSelector, DesiredState};
use crate::okta::{ApiError, AppId, AppQuery, Application, JsonWebKey, Kid, OktaApi};
use crate::plan::{LiveSnapshot, key_needs};

/// How [`fetch_snapshot`] reads.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Reads in flight at once. Okta's concurrency limit is 75 (35 on free plans) for the
    /// whole org, shared with every other integration.
    pub concurrency: usize,
    /// The per-minute ceilings the cost model weighs calls with.
    pub limits: BucketLimits,
    /// The number of apps in the org, when a previous listing learnt it.
    pub org_apps: Option<usize>,
    /// Forces a strategy instead of asking the cost model (benchmarks compare both).
    pub app_reads: Option<AppReads>,
    /// Key metadata known without asking Okta (the key cache: a kid's metadata never
    /// changes). A key listed here spares the read of its source's key list while it is
    /// valid for the policy.
    pub known_keys: BTreeMap<Kid, JsonWebKey>,
}

impl Default for FetchOptions {
    fn default() -> Self {
        Self {
            concurrency: 8,
            limits: BucketLimits::default(),
            org_apps: None,
            app_reads: None,
            known_keys: BTreeMap::new(),
        }
    }
}

/// A read that failed; the snapshot is incomplete and nothing may be planned from it.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("reading app {app} from Okta: {source}")]
    App { app: AppId, source: ApiError },
    #[error("searching Okta for apps matching {query:?}: {source}")]
    Search { query: String, source: ApiError },
    #[error("listing the org's apps: {source}")]
    Listing { source: ApiError },
    #[error("reading the key list of app {app}: {source}")]
    Keys { app: AppId, source: ApiError },
}

/// Reads what planning `desired` at `now` needs.
///
/// An app referenced by id that Okta answers 404 for is left out of the snapshot; the planner
/// reports it as unknown, naming file and group.
pub async fn fetch_snapshot(
    api: &impl OktaApi,
    desired: &DesiredState,
    now: Timestamp,
    options: &FetchOptions,
) -> Result<LiveSnapshot, FetchError> {
    let wanted = Wanted::of(desired);
    let reads = options
        .app_reads
        .unwrap_or_else(|| choose_app_reads(wanted.references(), options.org_apps, options.limits));
    tracing::debug!(
        ?reads,
        ids = wanted.ids.len(),
        searches = wanted.searches.len(),
        "reading apps"
    );
    let mut live = LiveSnapshot {
        key_meta: options.known_keys.clone(),
        ..LiveSnapshot::default()
    };
    for app in read_apps(api, &wanted, reads, options.concurrency).await? {
        live.insert_app(app);
    }
    loop {
        let needs = key_needs(desired, &live, now);
        if needs.is_empty() {
            return Ok(live);
        }
        tracing::debug!(apps = needs.key_lists.len(), "reading key lists");
        for (app, keys) in read_key_lists(api, needs.key_lists, options.concurrency).await? {
            live.insert_keys(app, keys);
        }
    }
}

/// The apps a desired state refers to.
struct Wanted {
    ids: BTreeSet<AppId>,
    /// Labels and names; a `q` search matches either, by prefix.
    searches: BTreeSet<String>,
}

impl Wanted {
    fn of(desired: &DesiredState) -> Self {
        let mut wanted = Self {
            ids: BTreeSet::new(),
            searches: BTreeSet::new(),
        };
        let refs = desired
            .groups
            .iter()
            .flat_map(|g| std::iter::once(&g.source).chain(&g.members));
        for r in refs {
            match &r.selector {
                AppSelector::Id(id) => {
                    wanted.ids.insert(id.clone());
                }
                AppSelector::Label(text) | AppSelector::Name(text) => {
                    wanted.searches.insert(text.clone());
                }
            }
        }
        wanted
    }

    fn references(&self) -> References {
        References {
            ids: self.ids.len(),
            searches: self.searches.len(),
        }
    }
}

async fn read_apps(
    api: &impl OktaApi,
    wanted: &Wanted,
    reads: AppReads,
    concurrency: usize,
) -> Result<Vec<Application>, FetchError> {
    match reads {
        AppReads::PerReference => {
            let mut apps = get_apps(api, wanted.ids.iter().cloned(), concurrency).await?;
            apps.extend(search_apps(api, &wanted.searches, concurrency).await?);
            Ok(apps)
        }
        AppReads::FullListing => {
            let query = AppQuery {
                limit: Some(200),
                ..AppQuery::default()
            };
            let mut apps = api
                .list_apps(&query)
                .await
                .map_err(|source| FetchError::Listing { source })?;
            // A listing may leave out apps a GET still finds (Okta lists inactive apps only on
            // request); those few are read by id, in the larger bucket.
            let listed: BTreeSet<&AppId> = apps.iter().map(|app| &app.id).collect();
            let missing: Vec<AppId> = wanted
                .ids
                .iter()
                .filter(|id| !listed.contains(id))
                .cloned()
                .collect();
            apps.extend(get_apps(api, missing, concurrency).await?);
            Ok(apps)
        }
    }
}

/// `GET /api/v1/apps/{id}` for each id; an app that does not exist is skipped.
async fn get_apps(
    api: &impl OktaApi,
    ids: impl IntoIterator<Item = AppId>,
    concurrency: usize,
) -> Result<Vec<Application>, FetchError> {
    let found: Vec<Option<Application>> = stream::iter(ids)
        .map(|id| async move {
            match api.get_app(&id).await {
                Ok(app) => Ok(Some(app)),
                Err(e) if e.is_not_found() => Ok(None),
                Err(source) => Err(FetchError::App { app: id, source }),
            }
        })
        .buffer_unordered(concurrency.max(1))
        .try_collect()
        .await?;
    Ok(found.into_iter().flatten().collect())
}

/// One `q` search per label or name, keeping only apps whose label or name is exactly the
/// text searched for (`q` matches prefixes).
async fn search_apps(
    api: &impl OktaApi,
    searches: &BTreeSet<String>,
    concurrency: usize,
) -> Result<Vec<Application>, FetchError> {
    let results: Vec<Vec<Application>> = stream::iter(searches.iter().cloned())
        .map(|text| async move {
            let query = AppQuery {
                q: Some(text.clone()),
                limit: Some(200),
                ..AppQuery::default()
            };
            let apps = match api.list_apps(&query).await {
                Ok(apps) => apps,
                Err(source) => {
                    return Err(FetchError::Search {
                        query: text,
                        source,
                    });
                }
            };
            Ok(apps
                .into_iter()
                .filter(|app| app.label == text || app.name.as_ref() == Some(&text))
                .collect::<Vec<_>>())
        })
        .buffer_unordered(concurrency.max(1))
        .try_collect()
        .await?;
    Ok(results.into_iter().flatten().collect())
}

async fn read_key_lists(
    api: &impl OktaApi,
    apps: BTreeSet<AppId>,
    concurrency: usize,
) -> Result<Vec<(AppId, Vec<JsonWebKey>)>, FetchError> {
    stream::iter(apps)
        .map(|app| async move {
            match api.list_keys(&app).await {
                Ok(keys) => Ok((app, keys)),
                Err(source) => Err(FetchError::Keys { app, source }),
            }
        })
        .buffer_unordered(concurrency.max(1))
        .try_collect()
        .await
}
