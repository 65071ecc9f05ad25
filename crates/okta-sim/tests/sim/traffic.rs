//! The simulator's traffic recording (crates/okta-sim/src/traffic.rs), as
//! scripts/python-checks.sh relies on it: with a traffic directory configured (what
//! `KEYSHARE_SIM_TRAFFIC_DIR` sets for `cargo test` and `keyshare sim`), every exchange lands
//! in a JSON-lines file of that simulator instance, exactly as the client saw it, and no
//! credential is ever written.

use okta_sim::{self as sim, SimConfig};
use serde_json::Value;

const TOKEN: &str = "00conformance-secret-token";

#[tokio::test]
async fn every_exchange_is_recorded_as_served_and_without_credentials() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let config = SimConfig::default()
        .with_token(TOKEN)
        .with_traffic_recording(dir.path());
    let running = sim::start(config).await.expect("simulator starts");
    let http = reqwest::Client::new();
    let page = http
        .get(format!("{}/api/v1/apps?limit=1", running.base_url()))
        .header("Authorization", format!("SSWS {TOKEN}"))
        .send()
        .await
        .expect("list reaches the simulator");
    let page_body = page.text().await.expect("list body");
    let refused = http
        .get(format!("{}/api/v1/apps", running.base_url()))
        .header("Authorization", format!("SSWS{TOKEN}-wrong"))
        .send()
        .await
        .expect("second request reaches the simulator");
    assert_eq!(refused.status(), 401);
    running.stop().await.expect("simulator stops");

    let files: Vec<_> = std::fs::read_dir(dir.path())
        .expect("traffic directory")
        .map(|entry| entry.expect("entry").path())
        .collect();
    assert_eq!(files.len(), 1, "one file per simulator instance: {files:?}");
    let text = std::fs::read_to_string(&files[0]).expect("traffic file");
    assert!(!text.contains(TOKEN), "a credential was recorded:\n{text}");
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect();

    assert_eq!(lines.len(), 3, "a header line and two exchanges:\n{text}");
    assert_eq!(lines[0]["kind"], "instance");
    assert_eq!(
        lines[0]["origin"], "traffic::every_exchange_is_recorded_as_served_and_without_credentials",
        "the header names the test that started the simulator"
    );

    let listed = &lines[1];
    assert_eq!(listed["kind"], "exchange");
    assert_eq!(listed["request"]["method"], "GET");
    assert_eq!(listed["request"]["path"], "/api/v1/apps");
    assert_eq!(listed["request"]["query"], "limit=1");
    assert_eq!(
        listed["request"]["headers"]["authorization"],
        "SSWS <redacted>"
    );
    assert_eq!(listed["response"]["status"], 200);
    assert_eq!(listed["response"]["body"]["text"], page_body.as_str());
    let links: Vec<&str> = listed["response"]["headers"]
        .as_array()
        .expect("headers as a list")
        .iter()
        .filter(|pair| pair[0] == "link")
        .map(|pair| pair[1].as_str().expect("header value"))
        .collect();
    assert_eq!(links.len(), 2, "one link header per relation: {links:?}");
    assert!(links[0].ends_with("rel=\"self\"") && links[1].ends_with("rel=\"next\""));

    let refused = &lines[2];
    assert_eq!(
        refused["request"]["headers"]["authorization"], "SSWS<redacted>",
        "the scheme and the missing space are kept, the token is not"
    );
    assert_eq!(refused["response"]["status"], 401);
}
