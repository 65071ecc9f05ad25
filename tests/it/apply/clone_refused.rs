//! A clone Okta refuses with the answer it gives for "already there" (400 E0000001
//! `cloneKey`) counts as done only when the target's key list holds the kid. Through the real
//! binary and a hostile loopback proxy in front of the simulator: a refusal for another cause
//! stops the apply before any switch, with Okta's cause; a duplicate answer for a clone that
//! did take effect is still "already done".

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use predicates::str::contains;
use serde_json::{Value, json};

use crate::support::{APP1, APP2, SimProcess, signing_kid};

/// The guide's group: App 1's key shared with App 2.
const FINANCE: &str = "apiVersion: keyshare/v1\nkind: SigningKeyGroup\nmetadata:\n  name: finance\nspec:\n  source: 0oa8ae1t5yev2ajDs0h7\n  members:\n    - 0oa8ae0dv4RGQvjyZ0h7\n  key:\n    validityYears: 2\n    rotateBefore: 30d\n";

/// What the proxy does to a clone request; everything else passes through unchanged.
#[derive(Clone, Copy)]
enum CloneFault {
    /// Refuse it without forwarding, with Okta's duplicate code and summary but another cause.
    RefuseForAnotherCause,
    /// Forward it (the clone takes effect), then answer as Okta does for a duplicate.
    ForwardThenAnswerDuplicate,
}

struct Proxy {
    upstream: String,
    fault: CloneFault,
    http: reqwest::Client,
}

/// Starts the proxy on 127.0.0.1:0 in front of `sim`; returns its base URL.
async fn start_proxy(sim: &SimProcess, fault: CloneFault) -> String {
    let proxy = Arc::new(Proxy {
        upstream: sim.base_url.clone(),
        fault,
        http: reqwest::Client::new(),
    });
    let app = axum::Router::new().fallback(forward).with_state(proxy);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

fn validation_error(cause: &str) -> Response {
    let body = json!({
        "errorCode": "E0000001",
        "errorSummary": "Api validation failed: cloneKey",
        "errorLink": "E0000001",
        "errorId": "oaeProxy",
        "errorCauses": [{"errorSummary": cause}],
    });
    (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
}

async fn forward(State(proxy): State<Arc<Proxy>>, request: Request) -> Response {
    let is_clone = request.method() == Method::POST && request.uri().path().ends_with("/clone");
    if is_clone && matches!(proxy.fault, CloneFault::RefuseForAnotherCause) {
        return validation_error(
            "The target app's signing credentials are managed by an identity provider.",
        );
    }
    let (parts, body) = request.into_parts();
    let body: Bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut headers = HeaderMap::new();
    for (name, value) in &parts.headers {
        if name != "host" {
            headers.append(name, value.clone());
        }
    }
    let answer = proxy
        .http
        .request(parts.method, format!("{}{path}", proxy.upstream))
        .headers(headers)
        .body(body)
        .send()
        .await
        .expect("the simulator answers the proxy");
    if is_clone {
        assert_eq!(answer.status(), 201, "the forwarded clone took effect");
        return validation_error(
            "Key already exists in the list of key credentials for the target app.",
        );
    }
    let status = answer.status();
    let mut headers = answer.headers().clone();
    headers.remove("content-length");
    headers.remove("transfer-encoding");
    let body = answer.bytes().await.unwrap();
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// `keyshare apply --auto-approve` of the guide's group through the proxy at `base`. It blocks
/// its thread, so the tests run the proxy on a multi-threaded runtime.
fn apply_through(
    sim: &SimProcess,
    base: &str,
    dir: &std::path::Path,
) -> assert_cmd::assert::Assert {
    sim.keyshare()
        .env("OKTA_CLIENT_ORGURL", base)
        .args(["apply", "--auto-approve"])
        .arg(dir)
        .assert()
}

fn desired_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("finance.yaml"), FINANCE).unwrap();
    dir
}

async fn key_ids(sim: &SimProcess, app: &str) -> Vec<Value> {
    let keys = sim
        .get(&format!("/api/v1/apps/{app}/credentials/keys"))
        .await;
    keys.as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clone_refused_for_another_cause_stops_the_apply_before_any_switch() {
    let sim = SimProcess::start(&[]);
    let proxy = start_proxy(&sim, CloneFault::RefuseForAnotherCause).await;
    let dir = desired_dir();
    let before = [signing_kid(&sim, APP1).await, signing_kid(&sim, APP2).await];

    let assert = apply_through(&sim, &proxy, dir.path()).failure();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("apply stopped at step 2 of 4")
            && stderr.contains(&format!("{APP2} does not hold it"))
            && stderr.contains("managed by an identity provider")
            && stderr.contains("No app was switched to the key"),
        "{stderr}"
    );
    assert!(!stderr.contains("already done"), "{stderr}");

    let after = [signing_kid(&sim, APP1).await, signing_kid(&sim, APP2).await];
    assert_eq!(before, after, "no app was switched: the group is not split");
    assert_eq!(
        key_ids(&sim, APP2).await.len(),
        1,
        "App 2 holds only its own key"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_answer_for_a_clone_that_took_effect_is_already_done() {
    let sim = SimProcess::start(&[]);
    let proxy = start_proxy(&sim, CloneFault::ForwardThenAnswerDuplicate).await;
    let dir = desired_dir();

    apply_through(&sim, &proxy, dir.path())
        .success()
        .stdout(contains("already done"));

    let group_kid = signing_kid(&sim, APP1).await;
    assert_eq!(
        signing_kid(&sim, APP2).await,
        group_kid,
        "both apps share the key"
    );
    assert!(key_ids(&sim, APP2).await.contains(&Value::from(group_kid)));
    sim.keyshare().arg("drift").arg(dir.path()).assert().code(0);
}
