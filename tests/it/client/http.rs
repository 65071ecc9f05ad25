//! The HTTP client against the simulator over real HTTP with an API token: every `OktaApi`
//! operation, pagination, and the errors a person sees.

use keyshare::okta::http::{Auth, Bucket, ClientSettings, HttpClient, Secret};
use keyshare::okta::{ApiError, AppId, AppQuery, Kid, OktaApi};
use okta_sim::env::start;
use okta_sim::{RunningSim, SimConfig};
use url::Url;

use crate::support::{APP1, APP2, TOKEN};

async fn sim() -> RunningSim {
    start(SimConfig::default()).await.expect("simulator starts")
}

fn client(sim: &RunningSim, token: &str) -> HttpClient {
    let url = Url::parse(&sim.base_url()).unwrap();
    HttpClient::new(ClientSettings::new(url, Auth::Ssws(Secret::new(token)))).unwrap()
}

#[tokio::test]
async fn lists_every_page_and_keeps_every_field() {
    let sim = sim().await;
    let client = client(&sim, TOKEN);
    let one_per_page = AppQuery {
        limit: Some(1),
        ..AppQuery::default()
    };
    let paged = client.list_apps(&one_per_page).await.unwrap();
    let ids: Vec<&str> = paged.iter().map(|a| a.id.0.as_str()).collect();
    assert_eq!(ids, [APP1, APP2]);
    let whole = client.list_apps(&AppQuery::default()).await.unwrap();
    assert_eq!(paged, whole, "pages join into the same list");
    let app = client.get_app(&AppId::from(APP1)).await.unwrap();
    assert_eq!(app, whole[0]);
    assert!(app.json().contains_key("settings") && app.json().contains_key("_links"));
    let stats = client.stats();
    assert_eq!(
        stats.buckets[&Bucket::Apps].requests,
        3,
        "two pages, then one"
    );
    assert_eq!(stats.buckets[&Bucket::AppById].requests, 1);
}

#[tokio::test]
async fn the_guides_flow_generate_clone_switch() {
    let sim = sim().await;
    let client = client(&sim, TOKEN);
    let (app1, app2) = (AppId::from(APP1), AppId::from(APP2));
    let key = client.generate_key(&app1, 2).await.unwrap();
    let keys = client.list_keys(&app1).await.unwrap();
    assert!(keys.iter().any(|k| k.kid == key.kid));
    assert_eq!(client.get_key(&app1, &key.kid).await.unwrap(), key);

    let cloned = client.clone_key(&app1, &key.kid, &app2).await.unwrap();
    assert_eq!((&cloned.kid, &cloned.x5c), (&key.kid, &key.x5c));
    let again = client.clone_key(&app1, &key.kid, &app2).await.unwrap_err();
    assert!(again.may_be_clone_duplicate(), "{again}");

    for id in [&app1, &app2] {
        let app = client.get_app(id).await.unwrap();
        let updated = client
            .replace_app(id, &app.with_signing_kid(&key.kid))
            .await
            .unwrap();
        assert_eq!(updated.signing_kid.as_ref(), Some(&key.kid));
        assert_eq!(updated.json()["settings"], app.json()["settings"]);
    }
}

#[tokio::test]
async fn errors_say_what_happened_and_what_to_check() {
    let sim = sim().await;
    let bad = client(&sim, "00wrong-token")
        .get_app(&AppId::from(APP1))
        .await
        .unwrap_err();
    assert!(
        matches!(bad, ApiError::Denied { status: 401, .. }),
        "{bad:?}"
    );
    assert_eq!(
        bad.to_string(),
        format!(
            "GET /api/v1/apps/{APP1}: Okta answered 401 E0000011: Invalid token provided. Check the API token (--token / OKTA_CLIENT_TOKEN): it is mistyped, revoked, expired (unused for 30 days), or from another org than --org-url"
        )
    );
    assert!(!format!("{bad:?}").contains("00wrong-token"));

    let client = client(&sim, TOKEN);
    let missing = client
        .get_app(&AppId::from("0oaNOSUCHAPP00000000"))
        .await
        .unwrap_err();
    assert!(missing.is_not_found(), "{missing}");
    let out_of_range = client
        .generate_key(&AppId::from(APP1), 11)
        .await
        .unwrap_err();
    assert_eq!(out_of_range.status(), Some(400));
    assert!(!out_of_range.is_ambiguous());
    let unknown_kid = client
        .get_key(&AppId::from(APP1), &Kid::from("no-such-kid"))
        .await
        .unwrap_err();
    assert!(unknown_kid.is_not_found(), "{unknown_kid}");
}

#[tokio::test]
async fn an_org_that_does_not_answer_is_a_transport_error_naming_the_host() {
    // Bind and drop a listener so that the port is closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = Url::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    let mut settings = ClientSettings::new(url, Auth::Ssws(Secret::new(TOKEN)));
    settings.retry.max_retries = 1;
    let client = HttpClient::new(settings).unwrap();
    let err = client
        .generate_key(&AppId::from(APP1), 2)
        .await
        .unwrap_err();
    let ApiError::Transport {
        host, maybe_sent, ..
    } = &err
    else {
        panic!("expected a transport error, got {err:?}");
    };
    assert_eq!(host, "127.0.0.1");
    assert!(
        !maybe_sent,
        "a refused connection never carried the generate"
    );
    assert!(!err.is_ambiguous());
}

#[tokio::test]
async fn an_unknown_host_is_named_with_what_to_check() {
    let url = Url::parse("https://no-such-org.invalid").unwrap();
    let mut settings = ClientSettings::new(url, Auth::Ssws(Secret::new(TOKEN)));
    settings.retry.max_retries = 0;
    let err = HttpClient::new(settings)
        .unwrap()
        .get_app(&AppId::from(APP1))
        .await
        .unwrap_err();
    let ApiError::Transport { host, .. } = &err else {
        panic!("expected a transport error, got {err:?}");
    };
    assert_eq!(host, "no-such-org.invalid");
    let message = err.to_string();
    assert!(
        message.contains("could not reach no-such-org.invalid")
            && message.contains("Check the host name in --org-url / OKTA_CLIENT_ORGURL"),
        "{message}"
    );
}

#[test]
fn an_unusable_ca_certificate_is_a_settings_error() {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), "not a certificate").unwrap();
    let mut settings = ClientSettings::new(
        Url::parse("https://dev-1.okta.com").unwrap(),
        Auth::Ssws(Secret::new(TOKEN)),
    );
    settings.ca_cert = Some(file.path().to_owned());
    let err = HttpClient::new(settings).unwrap_err();
    assert!(matches!(err, ApiError::Settings(_)), "{err:?}");
    assert!(
        err.to_string().contains("(--ca-cert) is not usable"),
        "{err}"
    );
}

/// Serves `GET /api/v1/apps` as one page of `[]` whose `Link` points at `next`. The simulator
/// paginates correctly, so a broken server has to be this small stand-in.
async fn broken_pager(next: &'static str) -> Url {
    use axum::routing::get;
    let app = axum::Router::new().route(
        "/api/v1/apps",
        get(move || async move { ([("link", next)], axum::Json(serde_json::json!([]))) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test]
async fn pagination_refuses_loops_and_foreign_links() {
    let cases = [
        (
            r#"</api/v1/apps?limit=200>; rel="next""#,
            "the next link repeats an earlier page",
        ),
        (
            r#"<https://elsewhere.example.com/api/v1/apps?after=x>; rel="next""#,
            "the next link leaves the org",
        ),
    ];
    for (link, expected) in cases {
        let url = broken_pager(link).await;
        let client =
            HttpClient::new(ClientSettings::new(url, Auth::Ssws(Secret::new(TOKEN)))).unwrap();
        let err = client.list_apps(&AppQuery::default()).await.unwrap_err();
        assert!(matches!(err, ApiError::InvalidResponse { .. }), "{err:?}");
        assert!(err.to_string().contains(expected), "{err}");
    }
}

#[tokio::test]
async fn pagination_stops_at_the_page_bound() {
    use axum::extract::Query;
    use axum::routing::get;
    use std::collections::HashMap;
    // Every page points at a new one, forever.
    let endless = |Query(q): Query<HashMap<String, String>>| async move {
        let n: u32 = q.get("after").and_then(|a| a.parse().ok()).unwrap_or(0);
        let link = format!("</api/v1/apps?after={}>; rel=\"next\"", n + 1);
        ([("link", link)], axum::Json(serde_json::json!([])))
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
    let app = axum::Router::new().route("/api/v1/apps", get(endless));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let mut settings = ClientSettings::new(url, Auth::Ssws(Secret::new(TOKEN)));
    settings.max_pages = 5;
    let client = HttpClient::new(settings).unwrap();
    let err = client.list_apps(&AppQuery::default()).await.unwrap_err();
    assert!(err.to_string().contains("more than 5 pages"), "{err}");
    assert_eq!(client.stats().total_requests(), 5);
}
