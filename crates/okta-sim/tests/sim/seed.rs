//! Seeding over real HTTP: crates/okta-sim/examples/sim-seed.yaml, synthetic apps, the shapes of every
//! sign-on mode, and seed errors that name what is wrong.

use std::path::Path;

use super::support::Sim;
use jiff::Timestamp;
use okta_sim::{SimConfig, SimError};
use serde_json::Value;

fn example() -> SimConfig {
    SimConfig::from_seed_file(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/sim-seed.yaml"
    )))
    .expect("the example seed loads")
}

fn by_label<'a>(apps: &'a Value, label: &str) -> &'a Value {
    apps.as_array()
        .unwrap()
        .iter()
        .find(|a| a["label"] == label)
        .unwrap_or_else(|| panic!("no app {label}"))
}

fn days_from(start: Timestamp, value: &Value) -> i64 {
    let at: Timestamp = value.as_str().unwrap().parse().unwrap();
    (at.as_second() - start.as_second()).div_euclid(86_400)
}

#[tokio::test]
async fn the_example_seed_builds_the_org_it_describes() {
    let sim = Sim::start(example()).await;
    let start = sim.running.simulator().started();
    let apps = sim.json("/api/v1/apps?limit=200").await;
    let labels: Vec<&str> = apps
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        [
            "Finance",
            "Finance (EU)",
            "Payroll",
            "Payroll (DE)",
            "SharePoint",
            "Legacy HR",
            "Intranet",
            "Portal",
            "synthetic-00001",
            "synthetic-00002",
            "synthetic-00003"
        ]
    );

    let finance = by_label(&apps, "Finance");
    assert_eq!(finance["name"], "acme_finance_1");
    let keys = sim
        .json("/api/v1/apps/0oa8ae1t5yev2ajDs0h7/credentials/keys")
        .await;
    assert_eq!(days_from(start, &keys[0]["expiresAt"]), 20);
    let eu = by_label(&apps, "Finance (EU)");
    assert_eq!(
        eu["name"], "acme_finance_eu_2",
        "derived from org and label"
    );
    assert_eq!(
        eu["settings"]["signOn"]["ssoAcsUrl"],
        "https://finance-eu.example.com/saml/acs"
    );
    assert_eq!(
        eu["settings"]["signOn"]["responseSigned"], true,
        "overrides merge into the defaults"
    );

    let shared = "shared-payroll-key-000000000000000000000000";
    let payroll = sim
        .json("/api/v1/apps/0oa1payroll000000001/credentials/keys")
        .await;
    let payroll_de = sim
        .json("/api/v1/apps/0oa1payroll000000002/credentials/keys")
        .await;
    assert_eq!(payroll.as_array().unwrap().len(), 2);
    assert_eq!(payroll[0]["kid"], shared, "newest first");
    assert_eq!(payroll[0], payroll_de[0], "one key on two apps");
    assert_eq!(payroll[0]["created"], "2026-01-15T09:30:00.000Z");
    assert_eq!(
        by_label(&apps, "Payroll")["credentials"]["signing"]["kid"],
        shared
    );

    let legacy = by_label(&apps, "Legacy HR");
    assert_eq!(legacy["status"], "INACTIVE");
    assert!(legacy["_links"]["activate"].is_object() && legacy["_links"]["deactivate"].is_null());
    let synthetic = by_label(&apps, "synthetic-00002");
    assert_eq!(synthetic["signOnMode"], "SAML_2_0");
    let id = synthetic["id"].as_str().unwrap();
    let keys = sim
        .json(&format!("/api/v1/apps/{id}/credentials/keys"))
        .await;
    let year_before = start
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .checked_sub(jiff::Span::new().years(1))
        .unwrap()
        .timestamp();
    assert_eq!(
        keys[0]["created"]
            .as_str()
            .unwrap()
            .parse::<Timestamp>()
            .unwrap(),
        year_before,
        "created a year before start"
    );
    assert_eq!(keys.as_array().unwrap().len(), 1);

    let other_token = sim
        .http
        .get(sim.url("/api/v1/apps"))
        .header("Authorization", "SSWS 00ci-token")
        .send()
        .await
        .unwrap();
    assert_eq!(other_token.status(), 200, "every seeded token is accepted");
}

#[tokio::test]
async fn every_sign_on_mode_carries_the_fields_clients_require() {
    let sim = Sim::start(example()).await;
    let apps = sim.json("/api/v1/apps?limit=200").await;
    for app in apps.as_array().unwrap() {
        let id = app["id"].as_str().unwrap();
        assert_eq!((id.len(), &id[..3]), (20, "0oa"));
        for field in [
            "id",
            "name",
            "label",
            "status",
            "created",
            "lastUpdated",
            "signOnMode",
            "_links",
            "settings",
            "credentials",
        ] {
            assert!(!app[field].is_null(), "{id}: {field}");
        }
    }
    let wsfed = by_label(&apps, "SharePoint");
    assert_eq!(wsfed["name"], "template_wsfed");
    for field in [
        "audienceRestriction",
        "authnContextClassRef",
        "groupValueFormat",
        "nameIDFormat",
        "siteURL",
        "usernameAttribute",
        "wReplyURL",
    ] {
        assert!(
            wsfed["settings"]["app"][field].is_string(),
            "WS-Fed settings.app.{field}"
        );
    }
    assert!(wsfed["credentials"]["signing"]["kid"].is_string());
    let bookmark = by_label(&apps, "Intranet");
    assert_eq!(bookmark["name"], "bookmark");
    assert!(bookmark["settings"]["app"]["url"].is_string());
    assert_eq!(
        bookmark["credentials"]["signing"],
        serde_json::json!({}),
        "no signing key: an empty object, as recorded"
    );
    let oidc = by_label(&apps, "Portal");
    assert_eq!(oidc["name"], "oidc_client");
    assert!(oidc["credentials"]["oauthClient"]["client_id"].is_string());
    assert!(
        oidc["credentials"]["signing"]["kid"].is_string(),
        "every recorded OIDC app signs with a key of its own"
    );
}

/// Generate and clone answered 201 on a BOOKMARK app in a recording, so they work there;
/// cloning onto an OIDC app works as the recorded OIDC app sharing a SAML app's kid shows.
#[tokio::test]
async fn key_operations_work_on_the_modes_recordings_show_them_on() {
    let sim = Sim::start(example()).await;
    let generate = sim
        .post("/api/v1/apps/0oa1bookmark00000001/credentials/keys/generate?validityYears=2")
        .await;
    assert_eq!(generate.status(), 201);
    let generated: Value = generate.json().await.unwrap();
    let keys = sim
        .json("/api/v1/apps/0oa1bookmark00000001/credentials/keys")
        .await;
    assert_eq!(keys[0]["kid"], generated["kid"]);
    let kid = "shared-payroll-key-000000000000000000000000";
    for target in ["0oa1oidc000000000001", "0oa1bookmark00000001"] {
        let clone = sim
            .post(&format!(
                "/api/v1/apps/0oa1payroll000000001/credentials/keys/{kid}/clone?targetAid={target}"
            ))
            .await;
        assert_eq!(clone.status(), 201, "clone onto {target}");
    }
}

#[test]
fn seed_errors_say_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("apps: [{label: A, colour: red}]", "unknown field `colour`"),
        ("apps: [{label: A, signOnMode: SAML_3_0}]", "SAML_3_0"),
        (
            "apps: [{label: A, keys: [{created: yesterday, expiresAt: +1y}]}]",
            "`yesterday` is neither",
        ),
        (
            "apps: [{label: A, keys: [{kid: short, created: -1d, expiresAt: +1y}]}]",
            "is not 43 base64url characters",
        ),
        (
            "apps: [{label: A, activeKey: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA}]",
            "activeKey AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA is not one of its keys",
        ),
        (
            "apps: [{id: 0oa00000000000000001, label: A}, {id: 0oa00000000000000001, label: B}]",
            "is used twice",
        ),
        (
            "apps: [{id: 123, label: A}]",
            "is not a 20-character alphanumeric id",
        ),
        (
            "apps: [{id: 0oa000000000000000é, label: A}]",
            "is not a 20-character alphanumeric id",
        ),
    ];
    for (i, (yaml, expected)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("seed{i}.yaml"));
        std::fs::write(&path, yaml).unwrap();
        let error = SimConfig::from_seed_file(&path)
            .and_then(okta_sim::Simulator::new)
            .err()
            .unwrap_or_else(|| panic!("{yaml} should fail"));
        let message = error.to_string();
        assert!(message.contains(expected), "{yaml}: {message}");
        if let SimError::Seed { path: p, .. } = &error {
            assert_eq!(p, &path);
        }
    }
}

#[test]
fn json_seeds_work_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seed.json");
    std::fs::write(&path, r#"{"org": "jsonorg", "apps": [{"label": "Only"}]}"#).unwrap();
    let config = SimConfig::from_seed_file(&path).unwrap();
    assert_eq!(
        (
            config.org_name.as_str(),
            config.apps.len(),
            config.tokens.as_slice()
        ),
        ("jsonorg", 1, ["00sim-token".to_owned()].as_slice())
    );
}
