//! The client under Okta's rate limits and failures, against the simulator over real HTTP:
//! it keeps within its share of each bucket, reports its 429s, retries what is safe to retry,
//! and never repeats a generate that may have happened.

use std::time::Duration;

use keyshare::okta::http::{Auth, Bucket, ClientSettings, HttpClient, Secret};
use keyshare::okta::{ApiError, AppId, AppQuery, Kid, OktaApi};
use okta_sim::admin::RuleSpec;
use okta_sim::env::start;
use okta_sim::{RateLimits, RunningSim, SimConfig};
use serde_json::{Value, json};
use url::Url;

use crate::support::{APP1, APP2, TOKEN};

fn settings(sim: &RunningSim) -> ClientSettings {
    let url = Url::parse(&sim.base_url()).unwrap();
    ClientSettings::new(url, Auth::Ssws(Secret::new(TOKEN)))
}

/// What `/__sim/stats` counted, as its JSON.
async fn stats_of(sim: &RunningSim) -> Value {
    serde_json::to_value(sim.admin().stats().await.unwrap()).unwrap()
}

async fn add_fault(sim: &RunningSim, rule: Value) {
    let rule: RuleSpec = serde_json::from_value(rule).expect("a fault rule");
    sim.admin().add_rules([rule]).await.unwrap();
}

/// Reads every app's keys at once: many requests in the small apps bucket.
async fn read_all_keys(client: &HttpClient) -> Vec<Result<usize, ApiError>> {
    let apps = client
        .list_apps(&AppQuery::default())
        .await
        .expect("list apps");
    let mut reads = tokio::task::JoinSet::new();
    for app in apps {
        let client = client.clone();
        reads.spawn(async move { client.list_keys(&app.id).await.map(|keys| keys.len()) });
    }
    reads.join_all().await
}

#[tokio::test]
async fn small_limits_and_errors_stay_within_the_share() {
    let limits = RateLimits {
        apps: 20,
        app_by_id: 20,
        concurrency: 75,
        window: Duration::from_millis(2000),
        ..RateLimits::default()
    };
    let mut config = SimConfig::default()
        .with_limits(limits)
        .with_synthetic_apps(14);
    config.error_rate = 0.2;
    let sim = start(config).await.unwrap();
    // Deterministic failures on top of the random ones: a 500 and a dropped connection.
    let keys_route = "/api/v1/apps/{appId}/credentials/keys";
    add_fault(
        &sim,
        json!({"method": "GET", "route": keys_route, "nth": 2, "action": "fail"}),
    )
    .await;
    add_fault(
        &sim,
        json!({"method": "GET", "route": keys_route, "nth": 3, "action": "drop"}),
    )
    .await;

    let client = HttpClient::new(settings(&sim)).unwrap();
    let results = read_all_keys(&client).await;
    assert_eq!(results.len(), 16);
    for r in &results {
        assert!(matches!(r, Ok(n) if *n >= 1), "{r:?}");
    }
    let apps = client.stats().buckets[&Bucket::Apps];
    assert_eq!(apps.limit, Some(20));
    let peak = 20 - apps.lowest_remaining.unwrap();
    assert!(
        peak <= 10,
        "used {peak} of a window of 20; the share is 50%: {apps:?}"
    );
    assert!(
        apps.retries >= 2,
        "the injected failures were retried: {apps:?}"
    );
    let sim_stats = stats_of(&sim).await;
    assert_eq!(
        sim_stats["rateLimited"], 0,
        "the budget avoided every 429: {sim_stats}"
    );
}

/// The budget places resets through Okta's clock as learned from `Date` (sub-second), not a
/// whole second after each answer: waking that early must still never meet a closed window.
#[tokio::test]
async fn resets_placed_by_the_learned_clock_never_meet_a_closed_window() {
    let limits = RateLimits {
        apps: 10,
        app_by_id: 10,
        concurrency: 75,
        window: Duration::from_millis(1000),
        ..RateLimits::default()
    };
    let config = SimConfig::default()
        .with_limits(limits)
        .with_synthetic_apps(28);
    let sim = start(config).await.unwrap();
    let client = HttpClient::new(settings(&sim)).unwrap();
    let results = read_all_keys(&client).await;
    assert_eq!(results.len(), 30);
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let apps = client.stats().buckets[&Bucket::Apps];
    assert!(
        apps.waited_ms > 0,
        "31 calls at 5 a window must wait: {apps:?}"
    );
    let sim_stats = stats_of(&sim).await;
    assert_eq!(
        sim_stats["rateLimited"], 0,
        "no request met a closed window: {sim_stats}"
    );
}

#[tokio::test]
async fn concurrency_429s_are_waited_out_and_counted() {
    let limits = RateLimits {
        concurrency: 2,
        ..RateLimits::default()
    };
    let mut config = SimConfig::default()
        .with_limits(limits)
        .with_synthetic_apps(10);
    config.latency = Duration::from_millis(150);
    let sim = start(config).await.unwrap();
    let client = HttpClient::new(settings(&sim)).unwrap();
    let results = read_all_keys(&client).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let sim_stats = stats_of(&sim).await;
    let sent = sim_stats["concurrencyLimited"].as_u64().unwrap();
    assert!(
        sent > 0,
        "the test must provoke concurrency 429s: {sim_stats}"
    );
    let counted: u64 = client
        .stats()
        .buckets
        .values()
        .map(|b| b.rate_limited)
        .sum();
    assert_eq!(counted, sent, "every 429 is reported");
}

#[tokio::test]
async fn an_exhausted_bucket_fails_naming_the_bucket_and_the_wait() {
    let limits = RateLimits {
        apps: 2,
        window: Duration::from_secs(60),
        ..RateLimits::default()
    };
    let sim = start(SimConfig::default().with_limits(limits))
        .await
        .unwrap();
    // Another integration uses the whole bucket.
    let mut greedy = settings(&sim);
    greedy.max_api_capacity_pct = 100;
    let greedy = HttpClient::new(greedy).unwrap();
    greedy.list_keys(&AppId::from(APP1)).await.unwrap();
    greedy.list_keys(&AppId::from(APP2)).await.unwrap();

    let mut polite = settings(&sim);
    polite.max_rate_limit_wait = Duration::from_secs(1);
    let polite = HttpClient::new(polite).unwrap();
    let err = polite.list_keys(&AppId::from(APP1)).await.unwrap_err();
    assert!(matches!(err, ApiError::RateLimited { .. }), "{err:?}");
    let message = err.to_string();
    let expected_start = format!(
        "GET /api/v1/apps/{APP1}/credentials/keys: rate limit of the `/api/v1/apps` bucket still exhausted after waiting 0 s; its window resets in "
    );
    assert!(message.starts_with(&expected_start), "{message}");
    assert!(
        message.ends_with("s, beyond the 1 s keyshare may wait (--max-rate-limit-wait). Other integrations may be using the bucket: retry later, or check Reports › Rate Limits in the admin console"),
        "{message}"
    );
    assert_eq!(polite.stats().buckets[&Bucket::Apps].rate_limited, 1);
}

#[tokio::test]
async fn a_generate_that_may_have_happened_is_never_repeated() {
    let sim = start(SimConfig::default()).await.unwrap();
    let generate = "/api/v1/apps/{appId}/credentials/keys/generate";
    add_fault(
        &sim,
        json!({"method": "POST", "route": generate, "action": "fail", "when": "after"}),
    )
    .await;
    let client = HttpClient::new(settings(&sim)).unwrap();
    let app1 = AppId::from(APP1);
    let before = client.list_keys(&app1).await.unwrap().len();
    let err = client.generate_key(&app1, 2).await.unwrap_err();
    assert!(err.is_ambiguous(), "{err}");
    assert_eq!(client.stats().buckets[&Bucket::Apps].retries, 0);
    // The key was made once, as the fault let the write happen.
    assert_eq!(client.list_keys(&app1).await.unwrap().len(), before + 1);

    add_fault(
        &sim,
        json!({"method": "POST", "route": generate, "action": "drop", "when": "after"}),
    )
    .await;
    let err = client.generate_key(&app1, 2).await.unwrap_err();
    assert!(
        matches!(
            err,
            ApiError::Transport {
                maybe_sent: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(client.list_keys(&app1).await.unwrap().len(), before + 2);
}

#[tokio::test]
async fn harmless_writes_are_retried_through_dropped_connections() {
    let sim = start(SimConfig::default()).await.unwrap();
    let client = HttpClient::new(settings(&sim)).unwrap();
    let (app1, app2) = (AppId::from(APP1), AppId::from(APP2));
    let key = client.generate_key(&app1, 2).await.unwrap();

    let clone = "/api/v1/apps/{appId}/credentials/keys/{keyId}/clone";
    add_fault(
        &sim,
        json!({"method": "POST", "route": clone, "action": "drop", "when": "after"}),
    )
    .await;
    // The first clone took effect; its resend is answered "already has this key".
    let outcome = client.clone_key(&app1, &key.kid, &app2).await;
    assert!(
        matches!(&outcome, Err(e) if e.may_be_clone_duplicate()),
        "{outcome:?}"
    );

    add_fault(
        &sim,
        json!({"method": "PUT", "route": "/api/v1/apps/{appId}", "action": "drop"}),
    )
    .await;
    let app = client.get_app(&app2).await.unwrap();
    let updated = client
        .replace_app(&app2, &app.with_signing_kid(&key.kid))
        .await
        .unwrap();
    assert_eq!(updated.signing_kid, Some(Kid(key.kid.0.clone())));
    assert_eq!(client.stats().buckets[&Bucket::AppById].retries, 1);
}
