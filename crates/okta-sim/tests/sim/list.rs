//! Listing apps over real HTTP (docs/okta-api.md §2, §10.1, §10.6): q, filter, limit, the after
//! cursor with the caller's own parameters, and Link headers that echo them.

use std::path::Path;

use super::support::{Sim, error_of};
use okta_sim::SimConfig;
use serde_json::Value;

async fn seeded() -> Sim {
    Sim::start(
        SimConfig::from_seed_file(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/sim-seed.yaml"
        )))
        .unwrap(),
    )
    .await
}

async fn labels(sim: &Sim, query: &str) -> Vec<String> {
    let apps = sim.json(&format!("/api/v1/apps?{query}")).await;
    apps.as_array()
        .unwrap()
        .iter()
        .map(|a| a["label"].as_str().unwrap().to_owned())
        .collect()
}

fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[tokio::test]
async fn q_and_filter_select_apps() {
    let sim = seeded().await;
    let shared = "shared-payroll-key-000000000000000000000000";
    let cases: Vec<(String, Vec<&str>)> = vec![
        ("q=Payroll".into(), vec!["Payroll", "Payroll (DE)"]),
        ("q=payroll".into(), vec!["Payroll", "Payroll (DE)"]),
        ("q=acme_finance".into(), vec!["Finance", "Finance (EU)"]),
        ("q=roll".into(), vec![]),
        (
            format!("filter={}", encode("status eq \"INACTIVE\"")),
            vec!["Legacy HR"],
        ),
        (
            format!("filter={}", encode("id eq \"0oa1wsfed00000000001\"")),
            vec!["SharePoint"],
        ),
        (
            format!("filter={}", encode("name eq \"bookmark\"")),
            vec!["Intranet"],
        ),
        (
            format!(
                "filter={}",
                encode(&format!("credentials.signing.kid eq \"{shared}\""))
            ),
            vec!["Payroll", "Payroll (DE)"],
        ),
        (
            format!(
                "q=Payroll&filter={}",
                encode("id eq \"0oa1payroll000000002\"")
            ),
            vec!["Payroll (DE)"],
        ),
    ];
    for (query, want) in cases {
        assert_eq!(labels(&sim, &query).await, want, "{query}");
    }
    let error = error_of(
        sim.get(&format!(
            "/api/v1/apps?filter={}",
            encode("label eq \"Finance\"")
        ))
        .await,
    )
    .await;
    assert_eq!(
        (error.0, error.1.as_str(), error.2.as_str()),
        (400, "E0000031", "Invalid search criteria.")
    );
}

#[tokio::test]
async fn limit_defaults_to_20_and_goes_up_to_200() {
    let sim = Sim::start(SimConfig::default().with_synthetic_apps(230)).await;
    let count = |apps: Value| apps.as_array().unwrap().len();
    assert_eq!(count(sim.json("/api/v1/apps").await), 20);
    assert_eq!(count(sim.json("/api/v1/apps?limit=200").await), 200);
    assert_eq!(count(sim.json("/api/v1/apps?limit=7").await), 7);
}

/// Follows `next` links to the end; returns the labels seen and the links of each page.
async fn follow(sim: &Sim, first: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut url = sim.url(first);
    let (mut seen, mut all_links) = (Vec::new(), Vec::new());
    loop {
        let response = sim
            .http
            .get(&url)
            .header("Authorization", "SSWS 00sim-token")
            .send()
            .await
            .unwrap();
        let links: Vec<String> = response
            .headers()
            .get_all("link")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        let page: Value = response.json().await.unwrap();
        seen.extend(
            page.as_array()
                .unwrap()
                .iter()
                .map(|a| a["label"].as_str().unwrap().to_owned()),
        );
        all_links.push(links.clone());
        match links.iter().find(|l| l.ends_with("rel=\"next\"")) {
            Some(next) => url = next[1..next.find('>').unwrap()].to_owned(),
            None => return (seen, all_links),
        }
    }
}

#[tokio::test]
async fn next_links_walk_every_page_and_keep_q_and_filter() {
    let sim = seeded().await;
    let (seen, pages) = follow(&sim, "/api/v1/apps?limit=3").await;
    assert_eq!(seen.len(), 11);
    assert_eq!(pages.len(), 4);
    for links in &pages {
        assert!(links[0].ends_with("rel=\"self\""), "self first: {links:?}");
    }
    let (seen, pages) = follow(&sim, "/api/v1/apps?q=synthetic&limit=2").await;
    assert_eq!(
        seen,
        ["synthetic-00001", "synthetic-00002", "synthetic-00003"]
    );
    let base = sim.running.base_url();
    let next = &pages[0][1];
    assert!(
        next.starts_with(&format!("<{base}/api/v1/apps?after=0oa")),
        "{next}"
    );
    assert!(
        next.ends_with("&limit=2&q=synthetic>; rel=\"next\""),
        "{next}"
    );
}

#[tokio::test]
async fn after_works_with_the_callers_own_limit_q_and_filter() {
    let sim = seeded().await;
    let first = sim.json("/api/v1/apps?q=Payroll&limit=1").await;
    let cursor = first[0]["id"].as_str().unwrap();
    // As the Python SDK does: re-issue its own call with after=<cursor> instead of the link.
    assert_eq!(
        labels(&sim, &format!("q=Payroll&limit=1&after={cursor}")).await,
        ["Payroll (DE)"]
    );
    assert_eq!(
        labels(&sim, &format!("q=Payroll&limit=5&after={cursor}")).await,
        ["Payroll (DE)"]
    );
    assert_eq!(
        labels(&sim, &format!("limit=2&after={cursor}")).await,
        ["Payroll (DE)", "SharePoint"]
    );
    let (status, code, summary, causes) =
        error_of(sim.get("/api/v1/apps?after=0oaUNKNOWN00000000000").await).await;
    assert_eq!(
        (status, code.as_str(), summary.as_str()),
        (400, "E0000029", "Invalid paging request."),
        "an unknown cursor is refused as a real org refused one"
    );
    assert_eq!(causes, ["Invalid cursor."]);
}

#[tokio::test]
async fn a_post_without_content_length_is_411() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let sim = seeded().await;
    let mut stream = tokio::net::TcpStream::connect(sim.running.addr)
        .await
        .unwrap();
    let request = "POST /api/v1/apps/0oa8ae1t5yev2ajDs0h7/credentials/keys/generate?validityYears=2 HTTP/1.1\r\nHost: sim\r\nAuthorization: SSWS 00sim-token\r\nConnection: close\r\n\r\n";
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 411"), "{answer}");
    let url =
        sim.url("/api/v1/apps/0oa8ae1t5yev2ajDs0h7/credentials/keys/generate?validityYears=2");
    let bare = sim
        .http
        .post(&url)
        .header("Authorization", "SSWS 00sim-token")
        .send()
        .await
        .unwrap();
    assert_eq!(
        bare.status(),
        411,
        "reqwest sends no Content-Length for a POST without a body"
    );
    let empty = sim
        .http
        .post(&url)
        .header("Authorization", "SSWS 00sim-token")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), 411, "nor for an empty body");
    let explicit = sim
        .http
        .post(&url)
        .header("Authorization", "SSWS 00sim-token")
        .header("Content-Length", "0")
        .send()
        .await
        .unwrap();
    assert_eq!(
        explicit.status(),
        201,
        "an explicit Content-Length: 0 is what Okta asks for"
    );
}
