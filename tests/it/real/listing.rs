//! Listings as real Okta orgs answer them: directory integrations with `"signOnMode": null`,
//! `credentials.signing: {}`, nulls and fields the spec does not list, beside the signing apps.
//! Reading such a listing must never fail for an app keyshare does not manage.
//!
//! The org is the one recorded in `../shared/real-okta/org.json` (real recorded answers, kept
//! outside this repository), served by a small loopback server of this test: the listing in
//! pages with `Link` headers, each app by id, its key list and its keys. Without the file the
//! tests print a notice and pass, as on a user's own clone.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, Response, StatusCode, Uri};
use keyshare::apply::cost::AppReads;
use keyshare::apply::{FetchOptions, fetch};
use keyshare::okta::http::{Auth, ClientSettings, HttpClient, Secret};
use keyshare::okta::{AppQuery, OktaApi};
use serde_json::Value;
use url::Url;

use crate::support::real_okta::{Recorded, org_json_path};
use crate::support::{TOKEN, keyshare_command};

/// The recorded org: apps in listing order, and key lists by app id.
struct RealOrg {
    apps: Vec<Value>,
    keys: BTreeMap<String, Vec<Value>>,
    base_url: String,
}

/// The recorded org served at `base_url`, or `None` (with a notice) when the recordings are
/// not beside the repository.
fn recorded(base_url: String) -> Option<RealOrg> {
    let Some(path) = org_json_path() else {
        println!("notice: the recorded org is absent; skipping the real-listing test");
        return None;
    };
    let Recorded(org) = Recorded::load(&path);
    let mut apps: Vec<Value> = org["apps"]
        .as_array()
        .expect("apps")
        .iter()
        .map(|entry| entry["body"].clone())
        .collect();
    // The recorded listing's own order first, then the apps recorded one by one.
    let listed: Vec<&str> = org["listing_ids"]
        .as_array()
        .expect("listing_ids")
        .iter()
        .map(|id| id.as_str().unwrap())
        .collect();
    apps.sort_by_key(|app| {
        let id = app["id"].as_str().unwrap();
        listed.iter().position(|l| *l == id).unwrap_or(usize::MAX)
    });
    let keys = org["keys"]
        .as_object()
        .expect("keys")
        .iter()
        .map(|(id, entry)| (id.clone(), entry["list"].as_array().unwrap().clone()))
        .collect();
    Some(RealOrg {
        apps,
        keys,
        base_url,
    })
}

async fn serve(State(org): State<Arc<RealOrg>>, uri: Uri) -> Response<Body> {
    let parts: Vec<&str> = uri.path().trim_start_matches('/').split('/').collect();
    let query: BTreeMap<String, String> =
        url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    match parts.as_slice() {
        ["api", "v1", "apps"] => page(&org, &query),
        ["api", "v1", "apps", id] => match org.apps.iter().find(|a| a["id"] == *id) {
            Some(app) => json(app),
            None => not_found(),
        },
        ["api", "v1", "apps", id, "credentials", "keys"] => match org.keys.get(*id) {
            Some(keys) => json(&Value::from(keys.clone())),
            None => not_found(),
        },
        ["api", "v1", "apps", id, "credentials", "keys", kid] => {
            match org
                .keys
                .get(*id)
                .and_then(|l| l.iter().find(|k| k["kid"] == *kid))
            {
                Some(key) => json(key),
                None => not_found(),
            }
        }
        _ => not_found(),
    }
}

/// One page of the listing, `after` the id given, with a `next` link while apps remain.
fn page(org: &RealOrg, query: &BTreeMap<String, String>) -> Response<Body> {
    let limit: usize = query.get("limit").map_or(20, |l| l.parse().unwrap());
    let start = match query.get("after") {
        Some(after) => 1 + org.apps.iter().position(|a| a["id"] == **after).unwrap(),
        None => 0,
    };
    let end = (start + limit).min(org.apps.len());
    let mut response = json(&Value::from(org.apps[start..end].to_vec()));
    if end < org.apps.len() {
        let last = org.apps[end - 1]["id"].as_str().unwrap();
        let next = format!(
            "<{}/api/v1/apps?after={last}&limit={limit}>; rel=\"next\"",
            org.base_url
        );
        response
            .headers_mut()
            .insert("link", HeaderValue::from_str(&next).unwrap());
    }
    response
}

fn json(value: &Value) -> Response<Body> {
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .body(Body::from(value.to_string()))
        .unwrap()
}

fn not_found() -> Response<Body> {
    Response::builder()
        .status(StatusCode::NOT_FOUND)
        .header("content-type", "application/json")
        .body(Body::from(
            r#"{"errorCode":"E0000007","errorSummary":"Not found: Resource not found","errorLink":"E0000007","errorId":"oaeX","errorCauses":[]}"#,
        ))
        .unwrap()
}

/// A group of the recorded org's active SAML 2.0, SAML 1.1 and WS-Federation apps.
fn group_yaml(org: &RealOrg) -> String {
    let [saml2, saml11, wsfed] = ["SAML_2_0", "SAML_1_1", "WS_FEDERATION"].map(|mode| {
        org.apps
            .iter()
            .find(|a| a["signOnMode"] == mode && a["status"] == "ACTIVE")
            .and_then(|a| a["id"].as_str())
            .unwrap()
            .to_owned()
    });
    format!(
        "apiVersion: keyshare/v1\nkind: SigningKeyGroup\nmetadata:\n  name: real\nspec:\n  source: {saml2}\n  members:\n    - {saml11}\n    - {wsfed}\n  key:\n    validityYears: 2\n"
    )
}

async fn start() -> Option<Arc<RealOrg>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let org = Arc::new(recorded(format!(
        "http://{}",
        listener.local_addr().unwrap()
    ))?);
    let router = axum::Router::new()
        .fallback(serve)
        .with_state(Arc::clone(&org));
    tokio::spawn(async move { axum::serve(listener, router).await });
    Some(org)
}

/// Runs the real binary against `org`, off the runtime that serves it.
async fn keyshare(org: &RealOrg, cache: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = keyshare_command();
    cmd.args(args)
        .env("OKTA_CLIENT_ORGURL", &org.base_url)
        .env("OKTA_CLIENT_TOKEN", TOKEN)
        .env("NO_COLOR", "1")
        .env("KEYSHARE_KEY_CACHE", cache);
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn text(output: &std::process::Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_listing_with_directory_apps_is_read_whole() {
    let Some(org) = start().await else { return };
    let url = Url::parse(&org.base_url).unwrap();
    let client = HttpClient::new(ClientSettings::new(url, Auth::Ssws(Secret::new(TOKEN)))).unwrap();
    let query = AppQuery {
        limit: Some(200),
        ..AppQuery::default()
    };
    let apps = client
        .list_apps(&query)
        .await
        .expect("a listing with null-mode directory apps is read");
    assert_eq!(apps.len(), org.apps.len(), "every app, on two pages");
    let directory: Vec<_> = apps.iter().filter(|a| a.sign_on_mode.is_none()).collect();
    assert!(!directory.is_empty(), "the recordings hold null-mode apps");
    assert!(directory.iter().all(|a| !a.is_signing_app()));
    for (app, recorded) in apps.iter().zip(&org.apps) {
        assert_eq!(
            &Value::Object(app.json()),
            recorded,
            "kept verbatim, nulls included"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_all_import_and_plan_succeed_on_a_real_org() {
    let Some(org) = start().await else { return };
    let cache = tempfile::tempdir().unwrap();
    let keys = keyshare(&org, cache.path(), &["keys", "--all", "--format", "json"]).await;
    assert_eq!(keys.status.code(), Some(0), "{}", text(&keys));
    let report: Value = serde_json::from_slice(&keys.stdout).unwrap();
    let signing = org
        .apps
        .iter()
        .filter(|a| {
            matches!(
                a["signOnMode"].as_str(),
                Some("SAML_2_0" | "SAML_1_1" | "WS_FEDERATION")
            )
        })
        .count();
    assert_eq!(report["apps"].as_array().unwrap().len(), signing);
    let not_signing: u64 = report["not_signing_apps"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(not_signing as usize, org.apps.len() - signing);
    assert!(report["not_signing_apps"]["null"].as_u64().unwrap() > 0);

    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("imported");
    let dir_text = dir.to_str().unwrap();
    let import = keyshare(&org, cache.path(), &["import", "--out", dir_text]).await;
    assert_eq!(import.status.code(), Some(0), "{}", text(&import));
    assert!(
        String::from_utf8_lossy(&import.stdout).contains(&format!("{signing} app(s) sign with")),
        "only signing apps are considered: {}",
        text(&import)
    );

    let desired = out.path().join("desired");
    std::fs::create_dir(&desired).unwrap();
    std::fs::write(desired.join("real.yaml"), group_yaml(&org)).unwrap();
    let plan = keyshare(&org, cache.path(), &["plan", desired.to_str().unwrap()]).await;
    assert_eq!(plan.status.code(), Some(2), "{}", text(&plan));
}

/// A plan's reads through a full listing of the real org: the directory apps in it are
/// skipped over, not fatal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_reads_the_real_org_through_a_full_listing() {
    let Some(org) = start().await else { return };
    let url = Url::parse(&org.base_url).unwrap();
    let client = HttpClient::new(ClientSettings::new(url, Auth::Ssws(Secret::new(TOKEN)))).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("real.yaml"), group_yaml(&org)).unwrap();
    let desired = keyshare::config::load_dir(dir.path()).unwrap();
    let options = FetchOptions {
        app_reads: Some(AppReads::FullListing),
        ..FetchOptions::default()
    };
    let now = jiff::Timestamp::now();
    let fetched = fetch(&client, &desired, now, &options).await.unwrap();
    assert_eq!(fetched.org_apps, Some(org.apps.len()));
    let plan = keyshare::plan::plan(&desired, &fetched.live, now).expect("plans");
    assert!(!plan.is_empty(), "the members sign with keys of their own");
}
