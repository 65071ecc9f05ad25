//! `GET /metadata/{appId}`: for an app the desired state manages, the IdP metadata that
//! `keyshare metadata` writes (Okta's, plus the staged certificate when a key is staged), so
//! that service providers which poll their IdP's metadata URL pick up the next certificate
//! before the switch. Read-only, and public like Okta's own metadata URL: it holds
//! certificates, never a secret.
//!
//! Which apps are managed, and which key is staged, come from the latest plan; the XML is read
//! from Okta on each request, through the controller's client and so within its rate-limit
//! budget, because Okta's document (its SSO URLs, its certificate) is the authority and a kept
//! copy could lag behind it.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::cert::Certificate;
use crate::okta::AppId;
use crate::okta::http::HttpClient;
use crate::plan::{GroupPlan, LiveSnapshot, Phase, Plan};
use crate::reconcile::observe;
use crate::render::metadata::with_staged_key;

/// The latest plan's groups and the snapshot it was made from; none before the first read.
#[derive(Debug, Default)]
pub struct Published {
    latest: Mutex<Option<Arc<Latest>>>,
}

#[derive(Debug)]
struct Latest {
    groups: Vec<GroupPlan>,
    live: LiveSnapshot,
}

impl Published {
    /// Serves from `plan`, made from `live`, from now on.
    pub fn set(&self, plan: &Plan, live: &LiveSnapshot) {
        let latest = Latest {
            groups: plan.groups.clone(),
            live: live.clone(),
        };
        *self.latest.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(latest));
    }

    fn latest(&self) -> Option<Arc<Latest>> {
        self.latest
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

#[derive(Clone)]
struct Shared {
    published: Arc<Published>,
    client: HttpClient,
}

/// The `/metadata/{appId}` route.
pub fn router(published: Arc<Published>, client: HttpClient) -> Router {
    Router::new()
        .route("/metadata/{id}", get(metadata))
        .with_state(Shared { published, client })
}

async fn metadata(State(shared): State<Shared>, Path(id): Path<String>) -> Response {
    let Some(latest) = shared.published.latest() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "the org has not been read yet\n",
        )
            .into_response();
    };
    let id = AppId(id);
    let group = latest
        .groups
        .iter()
        .find(|g| g.source == id || g.members.contains(&id));
    let (Some(group), Some(app)) = (group, latest.live.apps.get(&id)) else {
        return (StatusCode::NOT_FOUND, "no managed app has this id\n").into_response();
    };
    if !app.sign_on_mode_text().starts_with("SAML") {
        return (
            StatusCode::NOT_FOUND,
            "Okta publishes no SAML metadata for this app\n",
        )
            .into_response();
    }
    match build(&shared.client, &latest.live, group, &id).await {
        Ok(xml) => (
            [(header::CONTENT_TYPE, "application/samlmetadata+xml")],
            xml,
        )
            .into_response(),
        Err(error) => {
            tracing::warn!(app = %id, %error, "cannot serve the app's metadata");
            (StatusCode::BAD_GATEWAY, format!("{error}\n")).into_response()
        }
    }
}

/// Okta's metadata for `id`, with the staged key's `KeyDescriptor` when `group` stages one.
async fn build(
    client: &HttpClient,
    live: &LiveSnapshot,
    group: &GroupPlan,
    id: &AppId,
) -> Result<String, String> {
    let published = observe::saml_metadata(client, id, None)
        .await
        .map_err(|e| format!("cannot read the app's SAML metadata from Okta: {e}"))?;
    let Some(kid) = group.phase.as_ref().and_then(Phase::staged_kid) else {
        return Ok(published);
    };
    let preview = observe::saml_metadata(client, id, Some(kid))
        .await
        .map_err(|e| format!("cannot read Okta's metadata preview of key {kid}: {e}"))?;
    let cert = live
        .key(kid)
        .and_then(|facts| Certificate::from_base64(facts.certificate_der_base64()?))
        .ok_or_else(|| format!("the certificate of staged key {kid} is unknown"))?;
    with_staged_key(&published, &preview, &cert).map_err(|e| e.to_string())
}
