//! The fault matrix over real HTTP: the five-app rotation applied by the real binary against a
//! `keyshare sim` process that throws one kind of fault at it. For each fault the apply either
//! converges, or stops with a message that says what failed and what to do, and a re-run
//! converges. One-off failures of each write are in `write_faults.rs`. Afterwards every app holds exactly one new key (one generate per rotation), signs
//! with it, and changed nowhere but `credentials.signing` and `lastUpdated`.
//!
//! Each test prints the faults the simulator injected (`faults injected: N`); run with
//! `--nocapture` to collect the counts given in docs/reliability.md.

use serde_json::json;

use crate::support::reliability::*;

#[tokio::test]
async fn five_hundreds_at_twenty_percent() {
    // Three fresh orgs: one rotation is ~30 requests, so chance alone could inject none.
    let mut injected = 0;
    for round in 1..=3 {
        injected += converges_under(
            &["--error-rate", "0.2"],
            None,
            &format!("5xx at 20%, round {round}"),
        )
        .await;
    }
    assert!(injected > 0, "the simulator injected 5xx answers");
}

#[tokio::test]
async fn latency_of_300_ms() {
    let rig = Rig::start(&["--latency-ms", "300"]).await;
    let (runs, _) = apply_until_converged(&rig, "latency 300 ms").await;
    assert_eq!(runs, 1, "latency alone needs no second run");
}

#[tokio::test]
#[ignore = "slow (~55 s): the tiny bucket makes keyshare wait out many window resets; run with --ignored"]
async fn rate_limit_storm_with_a_tiny_bucket() {
    let injected = converges_under(
        &[
            "--rate-limit-apps",
            "4",
            "--rate-limit-app-by-id",
            "3",
            "--rate-window-ms",
            "500",
        ],
        Some(json!({"rules": [
            {"method": "GET", "route": "/api/v1/apps/{appId}/credentials/keys", "action": "fail",
             "status": 429, "times": 6},
            {"method": "POST", "route": CLONE, "nth": 2, "action": "fail", "status": 429, "times": 3},
            {"method": "PUT", "route": APP, "nth": 3, "action": "fail", "status": 429, "times": 3},
        ]})),
        "429 storm",
    )
    .await;
    assert!(injected >= 12, "the storm happened: {injected}");
}

#[tokio::test]
async fn concurrency_limit_of_one() {
    converges_under(
        &["--concurrency-limit", "1", "--latency-ms", "50"],
        None,
        "concurrency 429s",
    )
    .await;
}

#[tokio::test]
async fn dropped_connections() {
    let injected = converges_under(
        &[],
        Some(json!({"rules": [
            rule("GET", APP, 1, "drop", "before"),
            rule("GET", "/api/v1/apps/{appId}/credentials/keys", 2, "drop", "before"),
            rule("POST", GENERATE, 1, "drop", "after"),
            rule("POST", CLONE, 2, "drop", "before"),
            rule("POST", CLONE, 3, "drop", "after"),
            rule("PUT", APP, 2, "drop", "before"),
            rule("PUT", APP, 4, "drop", "after"),
        ]})),
        "dropped connections",
    )
    .await;
    assert!(injected >= 7, "every drop happened: {injected}");
}
