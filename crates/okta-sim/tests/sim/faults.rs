//! `/__sim/` faults and introspection over real HTTP: failures before and after a write,
//! dropped connections, held requests, latency, error rate and stats. Rules are added through
//! the typed admin client; the wire shapes of docs/simulator.md are checked as raw JSON.

use std::time::{Duration, Instant};

use super::support::{APP1, APP2, Sim, TOKEN, error_of};
use okta_sim::SimConfig;
use okta_sim::admin::{Action, FaultUpdate, RuleSpec};
use serde_json::{Value, json};

async fn add_rule(sim: &Sim, rule: RuleSpec) {
    sim.admin()
        .add_rules([rule])
        .await
        .expect("the rule is accepted");
}

async fn sim_json(sim: &Sim, path: &str) -> Value {
    sim.http
        .get(sim.url(path))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn key_count(sim: &Sim, app: &str) -> usize {
    sim.json(&format!("/api/v1/apps/{app}/credentials/keys"))
        .await
        .as_array()
        .unwrap()
        .len()
}

const CLONE: &str = "/api/v1/apps/{appId}/credentials/keys/{keyId}/clone";

async fn clone_path(sim: &Sim) -> String {
    let kid = sim.json(&format!("/api/v1/apps/{APP1}")).await["credentials"]["signing"]["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    format!("/api/v1/apps/{APP1}/credentials/keys/{kid}/clone?targetAid={APP2}")
}

#[tokio::test]
async fn a_failure_before_the_write_leaves_the_org_unchanged() {
    let sim = Sim::default().await;
    add_rule(&sim, RuleSpec::new("POST", CLONE, Action::Fail).status(503)).await;
    let response = sim.post(&clone_path(&sim).await).await;
    assert!(response.headers().contains_key("date"));
    assert!(response.headers().contains_key("x-rate-limit-reset"));
    let (status, code, ..) = error_of(response).await;
    assert_eq!((status, code.as_str()), (503, "E0000009"));
    assert_eq!(key_count(&sim, APP2).await, 1);
    assert_eq!(
        sim.post(&clone_path(&sim).await).await.status(),
        201,
        "the rule fired once"
    );
}

#[tokio::test]
async fn a_failure_after_the_write_reports_an_error_but_the_write_happened() {
    let sim = Sim::default().await;
    add_rule(&sim, RuleSpec::new("POST", CLONE, Action::Fail).after()).await;
    let (status, code, ..) = error_of(sim.post(&clone_path(&sim).await).await).await;
    assert_eq!((status, code.as_str()), (500, "E0000009"));
    assert_eq!(key_count(&sim, APP2).await, 2);
    assert_eq!(sim.admin().stats().await.unwrap().writes, 1);
}

#[tokio::test]
async fn the_nth_matching_request_is_the_one_that_fails() {
    let sim = Sim::default().await;
    add_rule(
        &sim,
        RuleSpec::new("get", "/api/v1/apps/{appId}", Action::Fail)
            .nth(3)
            .status(429),
    )
    .await;
    let statuses = [
        sim.get(&format!("/api/v1/apps/{APP1}"))
            .await
            .status()
            .as_u16(),
        sim.get("/api/v1/apps").await.status().as_u16(),
        sim.get(&format!("/api/v1/apps/{APP2}"))
            .await
            .status()
            .as_u16(),
        sim.get(&format!("/api/v1/apps/{APP1}"))
            .await
            .status()
            .as_u16(),
        sim.get(&format!("/api/v1/apps/{APP1}"))
            .await
            .status()
            .as_u16(),
    ];
    assert_eq!(statuses, [200, 200, 200, 429, 200]);
}

#[tokio::test]
async fn a_rule_can_act_on_a_burst_of_requests() {
    let sim = Sim::default().await;
    add_rule(
        &sim,
        RuleSpec::new("GET", "/api/v1/apps", Action::Fail)
            .nth(2)
            .times(3)
            .status(429),
    )
    .await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(sim.get("/api/v1/apps").await.status().as_u16());
    }
    assert_eq!(statuses, [200, 429, 429, 429, 200, 200]);
    assert!(
        sim.admin().faults().await.unwrap().rules.is_empty(),
        "spent rules are removed"
    );
}

#[tokio::test]
async fn a_dropped_connection_gets_no_response_at_all() {
    let sim = Sim::default().await;
    let put = async |label: &str| {
        let mut body = sim.json(&format!("/api/v1/apps/{APP2}")).await;
        body["label"] = json!(label);
        sim.http
            .put(sim.url(&format!("/api/v1/apps/{APP2}")))
            .header("Authorization", format!("SSWS {TOKEN}"))
            .json(&body)
            .send()
            .await
    };
    add_rule(
        &sim,
        RuleSpec::new("PUT", "/api/v1/apps/{appId}", Action::Drop),
    )
    .await;
    let error = put("Before").await.expect_err("no response");
    assert!(!error.is_status(), "{error}");
    assert_eq!(
        sim.json(&format!("/api/v1/apps/{APP2}")).await["label"],
        "App 2"
    );

    add_rule(
        &sim,
        RuleSpec::new("PUT", "/api/v1/apps/{appId}", Action::Drop).after(),
    )
    .await;
    assert!(put("After").await.is_err());
    assert_eq!(
        sim.json(&format!("/api/v1/apps/{APP2}")).await["label"],
        "After",
        "the write happened"
    );
}

#[tokio::test]
async fn a_held_request_waits_for_release_at_the_step_boundary() {
    let sim = Sim::default().await;
    add_rule(&sim, RuleSpec::new("POST", CLONE, Action::Hold).after()).await;
    let path = clone_path(&sim).await;
    let held = tokio::spawn({
        let (http, url) = (sim.http.clone(), sim.url(&path));
        async move {
            http.post(url)
                .header("Authorization", format!("SSWS {TOKEN}"))
                .header("Content-Length", "0")
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    for _ in 0..200 {
        if sim.admin().held().await.unwrap() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(sim.admin().held().await.unwrap(), 1);
    assert_eq!(
        key_count(&sim, APP2).await,
        2,
        "held after the write took effect"
    );
    assert!(!held.is_finished());
    assert_eq!(sim.admin().release().await.unwrap(), 1);
    assert_eq!(held.await.unwrap(), 201);
}

#[tokio::test]
async fn latency_and_error_rate_apply_to_the_api_but_not_to_sim_routes() {
    let sim = Sim::start(SimConfig {
        error_rate: 1.0,
        ..SimConfig::default()
    })
    .await;
    assert_eq!(error_of(sim.get("/api/v1/apps").await).await.1, "E0000009");
    assert_eq!(
        sim.http
            .get(sim.url("/__sim/state"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let update = FaultUpdate {
        error_rate: Some(0.0),
        latency_ms: Some(300),
        ..FaultUpdate::default()
    };
    assert_eq!(
        sim.admin().add_faults(&update).await.unwrap().latency_ms,
        300
    );
    let started = Instant::now();
    assert_eq!(sim.get("/api/v1/apps").await.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    let started = Instant::now();
    sim.http.get(sim.url("/__sim/stats")).send().await.unwrap();
    assert!(started.elapsed() < Duration::from_millis(300));

    sim.admin().clear_faults().await.unwrap();
    assert_eq!(
        sim_json(&sim, "/__sim/faults").await,
        json!({"latencyMs": 0, "errorRate": 0.0, "rules": [], "held": 0})
    );
}

#[tokio::test]
async fn bad_fault_updates_are_rejected() {
    let sim = Sim::default().await;
    for body in [
        json!({"errorRate": 2.0}),
        json!({"rules": [{"method": "GET", "route": "/api/v1/apps", "action": "explode"}]}),
        json!({"rules": [{"method": "GET", "route": "/api/v1/apps", "action": "fail", "status": 404}]}),
        json!({"rules": [{"method": "GET", "route": "/api/v1/apps", "action": "fail", "nth": 0}]}),
        json!({"rules": [{"method": "GET", "route": "/api/v1/apps", "action": "fail", "times": 0}]}),
        json!({"latency": 5}),
    ] {
        let response = sim
            .http
            .post(sim.url("/__sim/faults"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{body}");
    }
}

#[tokio::test]
async fn stats_count_requests_by_route_template_and_bucket() {
    let sim = Sim::default().await;
    sim.get("/api/v1/apps").await;
    sim.get(&format!("/api/v1/apps/{APP1}")).await;
    sim.get(&format!("/api/v1/apps/{APP2}")).await;
    sim.get(&format!("/api/v1/apps/{APP1}/credentials/keys"))
        .await;
    sim.post(&format!(
        "/api/v1/apps/{APP1}/credentials/keys/generate?validityYears=2"
    ))
    .await;
    let stats = sim_json(&sim, "/__sim/stats").await;
    assert_eq!(
        stats,
        json!({
            "requests": {
                "GET /api/v1/apps": 1,
                "GET /api/v1/apps/{appId}": 2,
                "GET /api/v1/apps/{appId}/credentials/keys": 1,
                "POST /api/v1/apps/{appId}/credentials/keys/generate": 1,
            },
            "byBucket": {"apps": 3, "appById": 2},
            "byStatus": {"200": 4, "201": 1},
            "rateLimited": 0,
            "concurrencyLimited": 0,
            "writes": 1,
            "faultsInjected": 0,
            "retries": 0,
        })
    );
}
