//! The fault matrix over real HTTP: the five-app rotation applied by the real binary against a
//! `keyshare sim` process that throws one kind of fault at it. For each fault the apply either
//! converges, or stops with a message that names the step and says to run again, and a re-run
//! converges. Afterwards every app holds exactly one new key (one generate per rotation), signs
//! with it, and changed nowhere but `credentials.signing` and `lastUpdated`.
//!
//! Each test prints the faults the simulator injected (`faults injected: N`); run with
//! `--nocapture` to collect the counts given in docs/reliability.md.

mod reliability_support;

use reliability_support::*;
use serde_json::{Value, json};

/// At most this many runs of apply per case; each run past the first must be justified by a
/// clear message of the one before.
const MAX_RUNS: usize = 6;

/// Applies until a run exits 0. Every failed run must exit 1 with a message that says where it
/// stopped and what to do. Returns the number of runs and the faults the simulator injected.
async fn apply_until_converged(rig: &Rig, context: &str) -> (usize, u64) {
    for attempt in 1..=MAX_RUNS {
        let run = rig.apply().await;
        if run.code == Some(0) {
            let kid = rig.assert_converged_with_one_new_key(context).await;
            assert!(!kid.is_empty());
            let stats = rig.stats().await;
            let injected = stats["faultsInjected"].as_u64().unwrap()
                + stats["rateLimited"].as_u64().unwrap()
                + stats["concurrencyLimited"].as_u64().unwrap();
            eprintln!("{context}: converged in {attempt} run(s); faults injected: {injected}");
            return (attempt, injected);
        }
        run.expect_code(1, context);
        assert_clear_stop(&run.stderr, context);
    }
    panic!("{context}: no convergence in {MAX_RUNS} runs");
}

/// A stop is clear when it says what failed and that running again resumes or what to do.
fn assert_clear_stop(stderr: &str, context: &str) {
    let lower = stderr.to_lowercase();
    assert!(
        lower.contains("error"),
        "{context}: an error is reported:\n{stderr}"
    );
    assert!(
        lower.contains("again") || lower.contains("retry") || lower.contains("check"),
        "{context}: the message says what to do:\n{stderr}"
    );
}

async fn converges_under(extra: &[&str], faults: Option<Value>, context: &str) -> u64 {
    let rig = Rig::start(extra).await;
    if let Some(faults) = faults {
        rig.add_faults(faults).await;
    }
    let (_, injected) = apply_until_converged(&rig, context).await;
    injected
}

#[tokio::test]
async fn five_hundreds_at_twenty_percent() {
    let injected = converges_under(&["--error-rate", "0.2"], None, "5xx at 20%").await;
    assert!(injected > 0, "the simulator injected 5xx answers");
}

#[tokio::test]
async fn latency_of_300_ms() {
    let rig = Rig::start(&["--latency-ms", "300"]).await;
    let (runs, _) = apply_until_converged(&rig, "latency 300 ms").await;
    assert_eq!(runs, 1, "latency alone needs no second run");
}

#[tokio::test]
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

/// One-off 5xx of the Nth write of the rotation, before or after it takes effect.
async fn one_off_failure(index: usize, when: &str) {
    let (method, route, nth) = rotation_writes()[index];
    let context = format!("503 {when} {method} {route} #{nth}");
    let mut fault = rule(method, route, nth, "fail", when);
    fault["status"] = json!(503);
    let injected = converges_under(&[], Some(json!({ "rules": [fault] })), &context).await;
    assert_eq!(injected, 1, "{context}: the fault was injected once");
}

macro_rules! one_off {
    ($name:ident, $index:expr, $when:expr) => {
        #[tokio::test]
        async fn $name() {
            one_off_failure($index, $when).await;
        }
    };
}

one_off!(generate_fails_before, 0, "before");
one_off!(generate_fails_after, 0, "after");
one_off!(clone_1_fails_before, 1, "before");
one_off!(clone_1_fails_after, 1, "after");
one_off!(clone_2_fails_before, 2, "before");
one_off!(clone_2_fails_after, 2, "after");
one_off!(clone_3_fails_before, 3, "before");
one_off!(clone_3_fails_after, 3, "after");
one_off!(clone_4_fails_before, 4, "before");
one_off!(clone_4_fails_after, 4, "after");
one_off!(switch_1_fails_before, 5, "before");
one_off!(switch_1_fails_after, 5, "after");
one_off!(switch_2_fails_before, 6, "before");
one_off!(switch_2_fails_after, 6, "after");
one_off!(switch_3_fails_before, 7, "before");
one_off!(switch_3_fails_after, 7, "after");
one_off!(switch_4_fails_before, 8, "before");
one_off!(switch_4_fails_after, 8, "after");
one_off!(switch_5_fails_before, 9, "before");
one_off!(switch_5_fails_after, 9, "after");
