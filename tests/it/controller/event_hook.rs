//! Okta Event Hooks on `keyshare watch --event-hook-path`: the one-time verification challenge,
//! the shared `Authorization` check, and a push that heals an out-of-band switch at once
//! although the interval is an hour and the System Log shows nothing yet.

use okta_sim::admin::HookSpec;
use serde_json::{Value, json};

use crate::support::controller::{GUIDE_POLICY, PATIENCE, WatchProcess, group_yaml};
use crate::support::{APP2, SimProcess, generate_out_of_band, signing_kid, switch_out_of_band};

const PATH: &str = "/okta/events";
const SECRET: &str = "Bearer hook-secret-4f1c";

async fn challenge(watch: &WatchProcess, authorization: Option<&str>) -> (u16, String) {
    let mut request = reqwest::Client::new()
        .get(format!("{}{PATH}", watch.base_url))
        .header("X-Okta-Verification-Challenge", "abc-123");
    if let Some(value) = authorization {
        request = request.header("Authorization", value);
    }
    let answer = request.send().await.expect("the listener answers");
    let status = answer.status().as_u16();
    (status, answer.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_verified_hook_heals_a_switch_without_waiting_for_the_interval() {
    // The log lags ten minutes: only the push can tell the controller in time.
    let sim = SimProcess::start(&["--log-lag-ms", "600000"]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("finance.yaml"),
        group_yaml("finance", GUIDE_POLICY),
    )
    .unwrap();
    sim.keyshare()
        .args(["apply", "--auto-approve"])
        .arg(dir.path())
        .assert()
        .success();
    let shared = signing_kid(&sim, APP2).await;

    let watch = WatchProcess::start(
        &sim,
        dir.path(),
        &[
            "--interval",
            "1h",
            "--self-heal",
            "--event-hook-path",
            PATH,
            "--event-hook-secret",
            SECRET,
        ],
    )
    .await;
    watch.wait_log_count("reconciled", 1, PATIENCE).await;

    assert_eq!(challenge(&watch, None).await.0, 401, "no Authorization");
    assert_eq!(
        challenge(&watch, Some("Bearer hook-secret-4f1d")).await.0,
        401,
        "a wrong Authorization"
    );
    let (status, body) = challenge(&watch, Some(SECRET)).await;
    assert_eq!(status, 200, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body, json!({"verification": "abc-123"}));
    let unauthorized_push = reqwest::Client::new()
        .post(format!("{}{PATH}", watch.base_url))
        .json(&json!({"data": {"events": []}}))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized_push.status(), 401);

    // The simulator verifies the hook as Okta does, then delivers every event to it.
    let hook = HookSpec {
        url: format!("{}{PATH}", watch.base_url),
        authorization: SECRET.into(),
    };
    sim.admin()
        .add_event_hook(&hook)
        .await
        .expect("the hook is verified");

    let mark = watch.mark();
    let kid = generate_out_of_band(&sim, APP2).await;
    switch_out_of_band(&sim, APP2, &kid).await;
    watch
        .wait_log(mark, "self-heal applied the plan", PATIENCE)
        .await;
    assert_eq!(signing_kid(&sim, APP2).await, shared);
    assert!(
        !watch.log_text().contains("hook-secret"),
        "the secret is never logged"
    );
}
