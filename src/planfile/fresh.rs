//! The fingerprint of what a plan was made from, and the check, before a saved plan is
//! applied, that the org still matches it.
//!
//! Okta's `lastUpdated` has one-second precision, so a second write within the same second
//! would go unnoticed; the digest of the app's whole JSON does not miss it. The key kids catch
//! a key generated, cloned or deleted since, which does not change the app object at all.
//! This module only reads from Okta, through [`crate::reconcile::observe`].

use std::collections::BTreeSet;

use futures_util::{StreamExt, TryStreamExt, stream};
use serde::{Deserialize, Serialize};

use crate::okta::{ApiError, AppId, Kid, OktaApi};
use crate::plan::{LiveSnapshot, Plan};
use crate::reconcile::observe;

/// What the plan saw of one app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppFingerprint {
    pub id: AppId,
    /// The label when read, to name the app in messages.
    pub label: String,
    /// [`crate::okta::Application::digest`] of the app as read.
    pub digest: String,
    /// The kids of the app's key list, sorted, when the plan read the list.
    pub kids: Option<Vec<Kid>>,
}

/// Why a saved plan may not be applied to the org as it is now.
#[derive(Debug, thiserror::Error)]
pub enum StaleError {
    #[error(
        "this plan was made for the org {planned}, but keyshare is configured for {current}; apply it against {planned}, or run plan again against {current}"
    )]
    OtherOrg { planned: String, current: String },
    #[error("{label} ({app}) changed since the plan was made ({what}); run plan again")]
    Changed {
        app: AppId,
        label: String,
        what: &'static str,
    },
    #[error("{label} ({app}) no longer exists in Okta; run plan again")]
    Gone { app: AppId, label: String },
    #[error("cannot re-read {label} ({app}) to check that the plan is still current")]
    Read {
        app: AppId,
        label: String,
        #[source]
        source: ApiError,
    },
}

/// The fingerprint of every app of the plan's groups, by id. Apps the snapshot holds for no
/// group (a full listing reads the whole org) are left out: nothing in the plan rests on them,
/// and a change to one must not make the plan stale.
pub(super) fn fingerprint(live: &LiveSnapshot, plan: &Plan) -> Vec<AppFingerprint> {
    let grouped: BTreeSet<&AppId> = plan
        .groups
        .iter()
        .flat_map(|g| std::iter::once(&g.source).chain(&g.members))
        .collect();
    live.apps
        .values()
        .filter(|app| grouped.contains(&app.id))
        .map(|app| AppFingerprint {
            id: app.id.clone(),
            label: app.label.clone(),
            digest: app.digest(),
            kids: live.keys.get(&app.id).map(|keys| sorted_kids(keys)),
        })
        .collect()
}

fn sorted_kids(keys: &[crate::okta::JsonWebKey]) -> Vec<Kid> {
    let mut kids: Vec<Kid> = keys.iter().map(|k| k.kid.clone()).collect();
    kids.sort();
    kids
}

/// Re-reads every app of the fingerprint (and its key list where the plan read one) and
/// fails on the first that differs. Returns what was read: the same snapshot the plan was
/// made from, for showing the plan again.
pub async fn check_fresh(
    api: &impl OktaApi,
    fingerprint: &[AppFingerprint],
    concurrency: usize,
) -> Result<LiveSnapshot, StaleError> {
    let reads: Vec<_> = stream::iter(fingerprint)
        .map(|seen| reread(api, seen))
        .buffered(concurrency.max(1))
        .try_collect()
        .await?;
    let mut live = LiveSnapshot::default();
    for (app, keys) in reads {
        if let Some(keys) = keys {
            live.insert_keys(app.id.clone(), keys);
        }
        live.insert_app(app);
    }
    Ok(live)
}

type Reread = (
    crate::okta::Application,
    Option<Vec<crate::okta::JsonWebKey>>,
);

async fn reread(api: &impl OktaApi, seen: &AppFingerprint) -> Result<Reread, StaleError> {
    let read_error = |source: ApiError| {
        if source.is_not_found() {
            StaleError::Gone {
                app: seen.id.clone(),
                label: seen.label.clone(),
            }
        } else {
            StaleError::Read {
                app: seen.id.clone(),
                label: seen.label.clone(),
                source,
            }
        }
    };
    let changed = |what| StaleError::Changed {
        app: seen.id.clone(),
        label: seen.label.clone(),
        what,
    };
    let app = observe::app(api, &seen.id).await.map_err(read_error)?;
    if app.digest() != seen.digest {
        return Err(changed(
            "its settings or signing key differ from what the plan read",
        ));
    }
    let Some(kids) = &seen.kids else {
        return Ok((app, None));
    };
    let keys = observe::key_list(api, &seen.id).await.map_err(read_error)?;
    if &sorted_kids(&keys) != kids {
        return Err(changed(
            "its key credentials differ from what the plan read",
        ));
    }
    Ok((app, Some(keys)))
}
