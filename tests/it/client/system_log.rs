//! The simulator's System Log over real HTTP, read through the client: the events its writes
//! leave, paging by `Link: rel="next"` (always present while polling), the filter, the
//! `/api/v1/logs` rate-limit bucket, the log lag, and a 403 injected as a missing scope.

use std::time::Duration;

use jiff::Timestamp;
use keyshare::okta::http::{Auth, Bucket, ClientSettings, HttpClient, Secret};
use keyshare::okta::{AppId, LogQuery, OktaApi};
use okta_sim::admin::{Action, RuleSpec};
use okta_sim::env::start;
use okta_sim::{RunningSim, SimConfig};
use serde_json::Value;
use url::Url;

use crate::support::{APP1, APP2, TOKEN};

fn client(sim: &RunningSim) -> HttpClient {
    let url = Url::parse(&sim.base_url()).unwrap();
    HttpClient::new(ClientSettings::new(url, Auth::Ssws(Secret::new(TOKEN)))).unwrap()
}

fn poll(since: Timestamp, filter: Option<&str>, limit: u32) -> LogQuery {
    LogQuery {
        since,
        filter: filter.map(str::to_owned),
        limit,
        max_pages: 10,
    }
}

/// Generate on app 1, clone to app 2, switch both: the guide's flow.
async fn share_a_key(client: &HttpClient) {
    let (app1, app2) = (AppId::from(APP1), AppId::from(APP2));
    let key = client.generate_key(&app1, 2).await.unwrap();
    client.clone_key(&app1, &key.kid, &app2).await.unwrap();
    for id in [&app1, &app2] {
        let app = client.get_app(id).await.unwrap();
        client
            .replace_app(id, &app.with_signing_kid(&key.kid))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn writes_leave_events_read_page_by_page_in_the_logs_bucket() {
    let sim = start(SimConfig::default()).await.unwrap();
    let client = client(&sim);
    let since = Timestamp::now() - Duration::from_secs(1);
    share_a_key(&client).await;

    let read = client.system_log(&poll(since, None, 1)).await.unwrap();
    let seen: Vec<(&str, Vec<String>)> = read
        .events
        .iter()
        .map(|e| {
            let apps = e.app_ids().map(|id| id.0).collect();
            (e.event_type.as_str(), apps)
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("app.keys.generate", vec![APP1.to_owned()]),
            ("app.keys.clone", vec![APP1.to_owned(), APP2.to_owned()]),
            ("application.lifecycle.update", vec![APP1.to_owned()]),
            ("application.lifecycle.update", vec![APP2.to_owned()]),
        ]
    );
    assert!(read.caught_up, "the empty fifth page ends the poll");
    assert_eq!(read.pages, 5, "one event per page, then the empty one");
    let logs = &client.stats().buckets[&Bucket::Logs];
    assert_eq!(logs.requests, 5, "{logs:?}");

    let updates =
        r#"eventType eq "application.lifecycle.update" and target.id eq "0oa8ae0dv4RGQvjyZ0h7""#;
    let read = client
        .system_log(&poll(since, Some(updates), 100))
        .await
        .unwrap();
    assert_eq!(read.events.len(), 1);
    assert_eq!((read.pages, read.caught_up), (1, true));

    let later = client
        .system_log(&poll(Timestamp::now() + Duration::from_secs(5), None, 100))
        .await
        .unwrap();
    assert!(later.events.is_empty(), "since bounds the events");
}

#[tokio::test]
async fn a_poll_always_links_a_next_page_and_bad_filters_are_refused() {
    let sim = start(SimConfig::default()).await.unwrap();
    share_a_key(&client(&sim)).await;
    let http = reqwest::Client::new();
    let get = |query: &str| {
        http.get(format!("{}/api/v1/logs?{query}", sim.base_url()))
            .header("authorization", format!("SSWS {TOKEN}"))
            .send()
    };
    let answer = get("limit=100").await.unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["x-rate-limit-limit"], "120");
    let links: Vec<String> = answer
        .headers()
        .get_all("link")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(
        links.iter().any(|l| l.ends_with("rel=\"next\"")),
        "{links:?}"
    );
    let body: Value = answer.json().await.unwrap();
    let event = &body[0];
    for member in [
        "uuid",
        "published",
        "eventType",
        "displayMessage",
        "outcome",
        "actor",
        "target",
    ] {
        assert!(event.get(member).is_some(), "{member} in {event}");
    }

    let bad = get("filter=eventType%20sw%20%22app%22").await.unwrap();
    assert_eq!(bad.status(), 400);
    let error: Value = bad.json().await.unwrap();
    assert_eq!(error["errorCode"], "E0000031");
}

#[tokio::test]
async fn events_stay_hidden_for_the_log_lag() {
    let sim = start(SimConfig {
        log_lag: Duration::from_secs(5),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let client = client(&sim);
    let since = Timestamp::now() - Duration::from_secs(1);
    share_a_key(&client).await;
    let early = client.system_log(&poll(since, None, 100)).await.unwrap();
    assert!(
        early.events.len() < 4,
        "the last writes are still hidden: {early:?}"
    );
    // Bounded: the lag is 5 s; give a loaded machine ten times that.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(50);
    loop {
        let read = client.system_log(&poll(since, None, 100)).await.unwrap();
        if read.events.len() == 4 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{read:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn an_injected_403_is_an_error_of_the_log_read() {
    let sim = start(SimConfig::default()).await.unwrap();
    let forbidden = RuleSpec::new("GET", "/api/v1/logs", Action::Fail).status(403);
    sim.admin().add_rules([forbidden]).await.unwrap();
    let error = client(&sim)
        .system_log(&poll(Timestamp::now(), None, 100))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(403), "{error}");
}
