//! Reading the live snapshot a plan needs, with as few calls as the cost model allows.
//!
//! First the apps the desired state refers to (per reference, one full listing, or sources
//! then one kid filter per source key, whichever [`choose_app_reads`] says is cheapest), then
//! rounds of key lists, exactly those [`key_needs`] asks for, read concurrently within a
//! bound. [`refresh`] re-reads only the apps known to have changed, for a snapshot kept between
//! reads. This module reads only; it never writes to Okta.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::{StreamExt, TryStreamExt, stream};
use jiff::Timestamp;

use super::cost::{AppReads, BucketLimits, References, choose_app_reads};
use crate::config::{AppSelector, DesiredState};
use crate::okta::{ApiError, AppId, AppQuery, Application, JsonWebKey, KeyFacts, Kid, OktaApi};
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
    /// Whether members are expected to sign with their source's key already, e.g. because a
    /// previous run converged; lets the cost model consider a kid filter.
    pub members_in_sync: bool,
    /// Key facts known without asking Okta (the key cache: a kid's expiry and certificate
    /// never change). A key listed here spares the read of its source's key list while it is
    /// valid for the policy, unless `rotateAfter` needs the source's copy's date.
    pub known_keys: BTreeMap<Kid, KeyFacts>,
}

impl Default for FetchOptions {
    fn default() -> Self {
        Self {
            concurrency: 8,
            limits: BucketLimits::default(),
            org_apps: None,
            app_reads: None,
            members_in_sync: false,
            known_keys: BTreeMap::new(),
        }
    }
}

/// A read that failed; the snapshot is incomplete and nothing may be planned from it.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("reading app {app} from Okta")]
    App { app: AppId, source: ApiError },
    #[error("searching Okta for apps matching {query:?}")]
    Search { query: String, source: ApiError },
    #[error("listing the org's apps")]
    Listing { source: ApiError },
    #[error("listing the apps that sign with key {kid}")]
    Filter { kid: Kid, source: ApiError },
    #[error("reading the key list of app {app}")]
    Keys { app: AppId, source: ApiError },
}

/// What a fetch read, and what it learnt about the org on the way.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The snapshot to plan from.
    pub live: LiveSnapshot,
    /// The number of apps in the org, when a full listing counted them; worth keeping for
    /// the next run's [`FetchOptions::org_apps`].
    pub org_apps: Option<usize>,
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
    Ok(fetch(api, desired, now, options).await?.live)
}

/// [`fetch_snapshot`], also telling what the reads learnt about the org's size.
pub async fn fetch(
    api: &impl OktaApi,
    desired: &DesiredState,
    now: Timestamp,
    options: &FetchOptions,
) -> Result<Fetched, FetchError> {
    let wanted = Wanted::of(desired);
    let refs = References {
        members_in_sync: options.members_in_sync,
        ..wanted.references()
    };
    let reads = options
        .app_reads
        .unwrap_or_else(|| choose_app_reads(refs, options.org_apps, options.limits));
    tracing::debug!(
        ?reads,
        ids = wanted.ids.len(),
        searches = wanted.searches.len(),
        "reading apps"
    );
    let mut live = LiveSnapshot {
        key_facts: options.known_keys.clone(),
        ..LiveSnapshot::default()
    };
    let (apps, org_apps) = read_apps(api, &wanted, reads, options.concurrency).await?;
    for app in apps {
        live.insert_app(app);
    }
    loop {
        let needs = key_needs(desired, &live, now);
        if needs.is_empty() {
            return Ok(Fetched { live, org_apps });
        }
        tracing::debug!(apps = needs.key_lists.len(), "reading key lists");
        for (app, keys) in read_key_lists(api, needs.key_lists, options.concurrency).await? {
            live.insert_keys(app, keys);
        }
    }
}

/// Brings `live` up to date for the apps in `changed`, which something (the System Log) says
/// may have changed: each is read again by id (the larger `/api/v1/apps/{id}` bucket), one
/// that is gone leaves the snapshot, and the key lists of all of them are forgotten, then read
/// again as far as planning `desired` at `now` needs them. Everything else in `live` is kept.
pub async fn refresh(
    api: &impl OktaApi,
    desired: &DesiredState,
    now: Timestamp,
    live: &mut LiveSnapshot,
    changed: BTreeSet<AppId>,
    concurrency: usize,
) -> Result<(), FetchError> {
    let read = get_apps(api, changed.iter().cloned(), concurrency).await?;
    for id in &changed {
        live.apps.remove(id);
        live.keys.remove(id);
    }
    for app in read {
        live.insert_app(app);
    }
    loop {
        let needs = key_needs(desired, live, now);
        if needs.is_empty() {
            return Ok(());
        }
        for (app, keys) in read_key_lists(api, needs.key_lists, concurrency).await? {
            live.insert_keys(app, keys);
        }
    }
}

/// The calls [`fetch`] makes to read the apps `desired` refers to, when the cost model's
/// choice fixes them: one per reference read one by one, or the pages of a full listing of an
/// org whose size is known. `None` when they depend on answers (a kid filter, an org of
/// unknown size). The key lists read afterwards are not counted: which are needed is learnt
/// from the apps.
pub fn app_read_calls(desired: &DesiredState, options: &FetchOptions) -> Option<usize> {
    let wanted = Wanted::of(desired);
    let refs = References {
        members_in_sync: options.members_in_sync,
        ..wanted.references()
    };
    match options
        .app_reads
        .unwrap_or_else(|| choose_app_reads(refs, options.org_apps, options.limits))
    {
        AppReads::PerReference => Some(wanted.ids.len() + wanted.searches.len()),
        AppReads::FullListing => options
            .org_apps
            .map(|apps| apps.div_ceil(super::cost::PAGE_SIZE).max(1)),
        AppReads::KidFilter => None,
    }
}

/// The apps a desired state refers to.
struct Wanted {
    ids: BTreeSet<AppId>,
    /// The ids of sources: a kid filter needs their signing keys first.
    source_ids: BTreeSet<AppId>,
    /// Labels and names; a `q` search matches either, by prefix.
    searches: BTreeSet<String>,
    groups: usize,
}

impl Wanted {
    fn of(desired: &DesiredState) -> Self {
        let mut wanted = Self {
            ids: BTreeSet::new(),
            source_ids: BTreeSet::new(),
            searches: BTreeSet::new(),
            groups: desired.groups.len(),
        };
        for group in &desired.groups {
            if let AppSelector::Id(id) = &group.source.selector {
                wanted.source_ids.insert(id.clone());
            }
            for r in std::iter::once(&group.source).chain(&group.members) {
                match &r.selector {
                    AppSelector::Id(id) => {
                        wanted.ids.insert(id.clone());
                    }
                    AppSelector::Label(text) | AppSelector::Name(text) => {
                        wanted.searches.insert(text.clone());
                    }
                }
            }
        }
        wanted
    }

    fn references(&self) -> References {
        References {
            ids: self.ids.len(),
            searches: self.searches.len(),
            groups: self.groups,
            member_ids: self.ids.len() - self.source_ids.len(),
            members_in_sync: false,
        }
    }
}

/// The apps references could resolve to, and the org's size when a listing counted it.
async fn read_apps(
    api: &impl OktaApi,
    wanted: &Wanted,
    reads: AppReads,
    concurrency: usize,
) -> Result<(Vec<Application>, Option<usize>), FetchError> {
    match reads {
        AppReads::PerReference => {
            let mut apps = get_apps(api, wanted.ids.iter().cloned(), concurrency).await?;
            apps.extend(search_apps(api, &wanted.searches, concurrency).await?);
            Ok((apps, None))
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
            let org_apps = apps.len();
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
            Ok((apps, Some(org_apps)))
        }
        AppReads::KidFilter => {
            let mut apps = get_apps(api, wanted.source_ids.iter().cloned(), concurrency).await?;
            apps.extend(search_apps(api, &wanted.searches, concurrency).await?);
            // A kid with a quote cannot be written in a filter; its members are read by id.
            let kids: BTreeSet<Kid> = apps
                .iter()
                .filter_map(|a| a.signing_kid.clone())
                .filter(|kid| !kid.0.contains('"'))
                .collect();
            // Only id references are taken from a filtered listing: a label or name must be
            // searched, since resolving it needs every app that carries it.
            let signing = apps_signing_with(api, kids, concurrency).await?;
            apps.extend(
                signing
                    .into_iter()
                    .filter(|app| wanted.ids.contains(&app.id)),
            );
            let found: BTreeSet<&AppId> = apps.iter().map(|app| &app.id).collect();
            let missing: Vec<AppId> = wanted
                .ids
                .iter()
                .filter(|id| !found.contains(id))
                .cloned()
                .collect();
            apps.extend(get_apps(api, missing, concurrency).await?);
            Ok((apps, None))
        }
    }
}

/// One `filter=credentials.signing.kid eq "…"` listing per kid: every app signing with it.
async fn apps_signing_with(
    api: &impl OktaApi,
    kids: BTreeSet<Kid>,
    concurrency: usize,
) -> Result<Vec<Application>, FetchError> {
    let results: Vec<Vec<Application>> = stream::iter(kids)
        .map(|kid| async move {
            let query = AppQuery {
                filter: Some(format!("credentials.signing.kid eq \"{kid}\"")),
                limit: Some(200),
                ..AppQuery::default()
            };
            api.list_apps(&query)
                .await
                .map_err(|source| FetchError::Filter { kid, source })
        })
        .buffer_unordered(concurrency.max(1))
        .try_collect()
        .await?;
    Ok(results.into_iter().flatten().collect())
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

/// One `q` search per label or name, keeping only apps whose label or name is the text
/// searched for (`q` matches prefixes). Equal but for case is kept too: planning matches
/// exactly, and such an app is what its "did you mean" names (`Sharepoint` for `SharePoint`).
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
                .filter(|app| {
                    let same = |found: &str| found.to_lowercase() == text.to_lowercase();
                    same(&app.label) || app.name.as_deref().is_some_and(same)
                })
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
