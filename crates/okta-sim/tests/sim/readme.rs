//! The README's "In Rust" example, run as written, with the client's part filled in: a clone
//! that meets the injected 503, and the clock moved a month.

use okta_sim::admin::{Action, RuleSpec};
use okta_sim::{Clock, SimConfig};

#[tokio::test]
async fn the_readme_example_runs_as_written() {
    let config = SimConfig::default()
        .with_token("00test-token")
        .with_clock(Clock::Fixed("2030-01-01T00:00:00Z".parse().unwrap()))
        .with_id_seed(42);
    let org = okta_sim::start(config).await.unwrap();
    let admin = org.admin();

    let clone = "/api/v1/apps/{appId}/credentials/keys/{keyId}/clone";
    admin
        .add_rules([RuleSpec::new("POST", clone, Action::Fail).status(503)])
        .await
        .unwrap();

    let http = reqwest::Client::new();
    let auth = "SSWS 00test-token";
    let keys: serde_json::Value = http
        .get(format!(
            "{}/api/v1/apps/0oa8ae1t5yev2ajDs0h7/credentials/keys",
            org.base_url()
        ))
        .header("Authorization", auth)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kid = keys[0]["kid"].as_str().unwrap();
    let refused = http
        .post(format!(
            "{}/api/v1/apps/0oa8ae1t5yev2ajDs0h7/credentials/keys/{kid}/clone?targetAid=0oa8ae0dv4RGQvjyZ0h7",
            org.base_url()
        ))
        .header("Authorization", auth)
        .header("Content-Length", "0")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 503);

    let moved = admin.advance_clock("+30d").await.unwrap();
    assert_eq!(moved.now, "2030-01-31T00:00:00Z".parse().unwrap());

    let state = admin.state().await.unwrap();
    assert_eq!(state.apps.len(), 2);
    assert_eq!(admin.stats().await.unwrap().faults_injected, 1);
    org.stop().await.unwrap();
}
