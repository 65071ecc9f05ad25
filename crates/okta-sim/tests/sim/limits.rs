//! Rate and concurrency limits over real HTTP (docs/okta-api.md §6, §10.2).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::support::{APP1, Sim, error_of};
use okta_sim::admin::{Action, RuleSpec};
use okta_sim::{RateLimits, SimConfig};

fn limits(apps: u32, app_by_id: u32, concurrency: u32, window_ms: u64) -> SimConfig {
    SimConfig::default().with_limits(RateLimits {
        apps,
        app_by_id,
        concurrency,
        window: Duration::from_millis(window_ms),
        ..RateLimits::default()
    })
}

fn header(response: &reqwest::Response, name: &str) -> u64 {
    response.headers()[name].to_str().unwrap().parse().unwrap()
}

fn rate_headers(response: &reqwest::Response) -> (u64, u64) {
    (
        header(response, "x-rate-limit-limit"),
        header(response, "x-rate-limit-remaining"),
    )
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn every_app_response_carries_the_headers_of_its_own_bucket() {
    let sim = Sim::start(limits(100, 500, 75, 60_000)).await;
    let before = now_secs();
    let cases = [
        (
            format!("/api/v1/apps/{APP1}/credentials/keys"),
            200,
            (100, 99),
        ),
        ("/api/v1/apps".to_owned(), 200, (100, 98)),
        (format!("/api/v1/apps/{APP1}"), 200, (500, 499)),
        (
            "/api/v1/apps/0oaNOPE0000000000000".to_owned(),
            404,
            (500, 498),
        ),
    ];
    for (path, status, want) in cases {
        let response = sim.get(&path).await;
        assert_eq!(response.status(), status, "{path}");
        assert_eq!(rate_headers(&response), want, "{path}");
        let reset = header(&response, "x-rate-limit-reset");
        assert!(
            (before + 59..=before + 62).contains(&reset),
            "reset {reset} is the window's end, one minute after its first request"
        );
    }
    let unauthenticated = sim.http.get(sim.url("/api/v1/apps")).send().await.unwrap();
    assert_eq!(unauthenticated.status(), 401);
    assert_eq!(
        rate_headers(&unauthenticated),
        (100, 97),
        "401s are metered too"
    );
}

#[tokio::test]
async fn over_the_limit_is_429_e0000047_with_date_and_reset_then_the_window_reopens() {
    let sim = Sim::start(limits(3, 2, 75, 1_500)).await;
    let keys = format!("/api/v1/apps/{APP1}/credentials/keys");
    for remaining in [2, 1, 0] {
        let response = sim.get(&keys).await;
        assert_eq!(
            (response.status().as_u16(), rate_headers(&response)),
            (200, (3, remaining))
        );
    }
    let throttled = sim.get(&keys).await;
    assert!(throttled.headers().contains_key("date"));
    assert_eq!(rate_headers(&throttled), (3, 0));
    let reset = header(&throttled, "x-rate-limit-reset");
    assert_eq!(
        error_of(throttled).await,
        (
            429,
            "E0000047".into(),
            "API call exceeded rate limit due to too many requests.".into(),
            vec![]
        )
    );
    let by_id = sim.get(&format!("/api/v1/apps/{APP1}")).await;
    assert_eq!(
        (by_id.status().as_u16(), rate_headers(&by_id)),
        (200, (2, 1)),
        "the app-by-id bucket is separate"
    );

    // Wait as a client would: until X-Rate-Limit-Reset has passed.
    while now_secs() < reset {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let recovered = sim.get(&keys).await;
    assert_eq!(
        (recovered.status().as_u16(), rate_headers(&recovered)),
        (200, (3, 2))
    );
    let stats = sim.admin().stats().await.unwrap();
    assert_eq!(stats.rate_limited, 1);
    assert_eq!(stats.by_status[&429], 1);
}

#[tokio::test]
async fn the_concurrency_limit_rejects_with_limit_and_remaining_zero() {
    let sim = Sim::start(limits(100, 500, 1, 60_000)).await;
    let hold = RuleSpec::new("GET", "/api/v1/apps/{appId}", Action::Hold);
    sim.admin().add_rules([hold]).await.unwrap();
    let held = tokio::spawn({
        let (http, url) = (sim.http.clone(), sim.url(&format!("/api/v1/apps/{APP1}")));
        async move {
            http.get(url)
                .header("Authorization", "SSWS 00sim-token")
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    wait_until_held(&sim, 1).await;

    let rejected = sim.get("/api/v1/apps").await;
    assert_eq!(rate_headers(&rejected), (0, 0));
    assert!(rejected.headers().contains_key("date"));
    assert!(header(&rejected, "x-rate-limit-reset") >= now_secs());
    assert_eq!(error_of(rejected).await.1, "E0000047");

    sim.admin().release().await.unwrap();
    assert_eq!(held.await.unwrap(), 200);
    assert_eq!(
        sim.get("/api/v1/apps").await.status(),
        200,
        "the place is free again"
    );
    assert_eq!(sim.admin().stats().await.unwrap().concurrency_limited, 1);
}

async fn wait_until_held(sim: &Sim, count: usize) {
    for _ in 0..200 {
        if sim.admin().held().await.unwrap() == count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no request was held");
}

#[tokio::test]
async fn sim_routes_are_exempt_from_limits() {
    let sim = Sim::start(limits(1, 1, 1, 60_000)).await;
    for _ in 0..5 {
        let response = sim.http.get(sim.url("/__sim/stats")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(!response.headers().contains_key("x-rate-limit-limit"));
    }
}
