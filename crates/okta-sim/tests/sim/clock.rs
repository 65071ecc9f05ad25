//! The org's clock and id source: keys, copies, updates and log events are dated by the clock,
//! which `/__sim/clock` stops and moves; a seeded org gives the same ids for the same requests.
//! Both through the typed admin client, whose answers are checked against the raw routes.

use jiff::Timestamp;
use okta_sim::admin::{ClockChange, RuleSpec};
use okta_sim::{Clock, SimConfig};
use serde_json::Value;

use super::support::{APP1, APP2, Sim};

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn fixed(text: &str) -> SimConfig {
    SimConfig::default().with_clock(Clock::Fixed(at(text)))
}

async fn generate(sim: &Sim, app: &str) -> Value {
    let response = sim
        .post(&format!(
            "/api/v1/apps/{app}/credentials/keys/generate?validityYears=2"
        ))
        .await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

#[tokio::test]
async fn what_the_org_writes_is_dated_by_its_clock() {
    let sim = Sim::start(fixed("2030-01-01T12:00:00Z")).await;
    let admin = sim.admin();
    assert_eq!(admin.clock().await.unwrap().now, at("2030-01-01T12:00:00Z"));
    let seeded = &admin.state().await.unwrap().apps[0].keys[0];
    assert_eq!(
        seeded["expiresAt"], "2030-01-21T12:00:00.000Z",
        "the guide's keys expire 20 days after start"
    );

    let key = generate(&sim, APP1).await;
    assert_eq!(key["created"], "2030-01-01T12:00:00.000Z");
    assert_eq!(key["expiresAt"], "2032-01-01T12:00:00.000Z");

    let moved = admin.advance_clock("+30d").await.unwrap();
    assert_eq!(moved.now, at("2030-01-31T12:00:00Z"));
    assert!(!moved.running, "a stopped clock stays stopped when moved");
    let kid = key["kid"].as_str().unwrap();
    let copy: Value = sim
        .post(&format!(
            "/api/v1/apps/{APP1}/credentials/keys/{kid}/clone?targetAid={APP2}"
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        copy["created"], "2030-01-31T12:00:00.000Z",
        "a copy is dated at the clone"
    );
    assert_eq!(copy["expiresAt"], key["expiresAt"]);

    let events = sim.json("/api/v1/logs?since=2030-01-01T00:00:00Z").await;
    let published: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["published"].as_str().unwrap())
        .collect();
    assert_eq!(
        published,
        ["2030-01-01T12:00:00.000Z", "2030-01-31T12:00:00.000Z"]
    );

    admin.set_clock(at("2020-06-01T00:00:00Z")).await.unwrap();
    assert_eq!(
        generate(&sim, APP2).await["created"],
        "2020-06-01T00:00:00.000Z"
    );
    assert!(admin.system_clock().await.unwrap().running);
}

#[tokio::test]
async fn the_clock_refuses_what_is_not_a_change() {
    let sim = Sim::default().await;
    let refused = sim
        .admin()
        .change_clock(&ClockChange::Advance("2030-01-01T00:00:00Z".into()))
        .await
        .expect_err("an instant is not an offset");
    assert!(refused.to_string().contains("400"), "{refused}");
    let raw = sim
        .http
        .post(sim.url("/__sim/clock"))
        .json(&serde_json::json!({"jump": "+1d"}))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
}

/// The ids of everything a short session made: the org, its synthetic apps, a generated key,
/// a CSR, the log events and the request ids.
async fn session_ids(config: SimConfig) -> Vec<String> {
    let sim = Sim::start(config.with_synthetic_apps(2)).await;
    let mut ids = vec![];
    let key = generate(&sim, APP1).await;
    ids.push(key["kid"].as_str().unwrap().to_owned());
    let csr: Value = sim
        .http
        .post(sim.url(&format!("/api/v1/apps/{APP2}/credentials/csrs")))
        .header("Authorization", format!("SSWS {}", super::support::TOKEN))
        .json(&serde_json::json!({"subject": {"commonName": "sp"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    ids.push(csr["id"].as_str().unwrap().to_owned());
    let response = sim.get("/api/v1/logs").await;
    ids.push(
        response.headers()["x-okta-request-id"]
            .to_str()
            .unwrap()
            .to_owned(),
    );
    let events: Value = response.json().await.unwrap();
    for event in events.as_array().unwrap() {
        ids.push(event["uuid"].as_str().unwrap().to_owned());
    }
    let state = sim.admin().state().await.unwrap();
    ids.push(state.org_id);
    for app in &state.apps {
        ids.push(app.id().to_owned());
        ids.extend(app.kids().into_iter().map(str::to_owned));
    }
    ids
}

#[tokio::test]
async fn the_same_seed_and_requests_give_the_same_ids() {
    let seeded = |seed| fixed("2030-01-01T00:00:00Z").with_id_seed(seed);
    let first = session_ids(seeded(7)).await;
    assert_eq!(first.len(), 15, "{first:?}");
    assert_eq!(first, session_ids(seeded(7)).await);
    assert_ne!(first, session_ids(seeded(8)).await);
    assert_ne!(
        session_ids(SimConfig::default()).await,
        session_ids(SimConfig::default()).await,
        "unseeded ids are random"
    );
}

#[tokio::test]
async fn the_admin_client_reads_what_the_routes_serve() {
    let sim = Sim::default().await;
    let admin = sim.admin();
    admin
        .add_rules([RuleSpec::new("GET", "/api/v1/apps", okta_sim::admin::Action::Fail).nth(5)])
        .await
        .unwrap();
    sim.get("/api/v1/apps").await;
    let raw = async |path: &str| -> Value {
        sim.http
            .get(sim.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    };
    let typed = [
        serde_json::to_value(admin.stats().await.unwrap()).unwrap(),
        serde_json::to_value(admin.faults().await.unwrap()).unwrap(),
        serde_json::to_value(admin.clock().await.unwrap()).unwrap(),
    ];
    let served = [
        raw("/__sim/stats").await,
        raw("/__sim/faults").await,
        raw("/__sim/clock").await,
    ];
    assert_eq!(typed, served);
    let state = admin.state().await.unwrap();
    let served = raw("/__sim/state").await;
    assert_eq!(state.org_id, served["orgId"]);
    assert_eq!(state.started_at, at(served["startedAt"].as_str().unwrap()));
    assert_eq!(serde_json::to_value(&state.apps).unwrap(), served["apps"]);
    assert_eq!(
        state.apps[0].signing_kid(),
        state.apps[0].kids().first().copied()
    );
}

#[test]
fn cli_flags_set_the_clock_the_id_seed_and_the_recording() {
    use clap::Parser;
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        sim: okta_sim::cli::SimArgs,
    }
    let dir = tempfile::tempdir().unwrap();
    let traffic = dir.path().join("traffic");
    let cli = Cli::try_parse_from([
        "okta-sim".as_ref(),
        "--clock".as_ref(),
        "2030-01-01T00:00:00Z".as_ref(),
        "--id-seed".as_ref(),
        "9".as_ref(),
        "--record-traffic".as_ref(),
        traffic.as_os_str(),
    ])
    .unwrap();
    let config = cli.sim.to_config().unwrap();
    assert_eq!(config.clock, Clock::Fixed(at("2030-01-01T00:00:00Z")));
    assert_eq!(config.ids, okta_sim::IdSource::Seeded(9));
    assert_eq!(config.record_traffic.as_deref(), Some(traffic.as_path()));
    assert!(
        traffic.is_dir(),
        "the directory is made before the server starts"
    );
}
