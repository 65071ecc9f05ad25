//! Helpers of the GitOps tests on top of `cli_support`: seeds with fixed kids, out-of-band
//! changes through the simulator's API, faults, and the simulator's view of keys.

#![allow(dead_code)] // each test file uses a different subset of these helpers

use std::path::Path;

use okta_sim::admin::RuleSpec;
use serde_json::Value;

use crate::support::cli::{SimProcess, TOKEN};

pub const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/desired-state");

/// A 43-character kid built from a short tag, as seeds need.
pub fn kid(tag: &str) -> String {
    format!("{tag:_<43}")
}

/// A seed: App 1 and App 2 signing with one shared key expiring in 20 days, and App 3
/// signing with a key of its own.
pub fn shared_seed() -> String {
    let shared = kid("shared");
    let own = kid("own");
    format!(
        r#"apps:
  - id: 0oa8ae1t5yev2ajDs0h7
    label: App 1
    keys: [{{kid: "{shared}", created: "-2y+20d", expiresAt: "+20d"}}]
  - id: 0oa8ae0dv4RGQvjyZ0h7
    label: App 2
    keys: [{{kid: "{shared}", created: "-2y+20d", expiresAt: "+20d"}}]
  - id: 0oa8ae3xxxxxxxxxxxx3
    label: App 3
    keys: [{{kid: "{own}", created: "-1y", expiresAt: "+1y"}}]
"#
    )
}

/// The guide's group with or without `rotateBefore: 30d`.
pub fn finance_yaml(rotate_before: bool) -> String {
    let rotate = if rotate_before {
        "    rotateBefore: 30d\n"
    } else {
        ""
    };
    format!(
        "apiVersion: keyshare/v1\nkind: SigningKeyGroup\nmetadata:\n  name: finance\nspec:\n  source: 0oa8ae1t5yev2ajDs0h7\n  members:\n    - 0oa8ae0dv4RGQvjyZ0h7\n  key:\n    validityYears: 2\n{rotate}"
    )
}

/// Starts a simulator seeded with `seed` (written under `dir`).
pub fn sim_with_seed(dir: &Path, seed: &str) -> SimProcess {
    let path = dir.join("seed.yaml");
    std::fs::write(&path, seed).expect("write seed");
    SimProcess::start(&["--seed", path.to_str().expect("utf-8 path")])
}

/// A request with the token; returns the status and the JSON body (null when empty).
pub async fn call(
    sim: &SimProcess,
    method: reqwest::Method,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .request(method.clone(), format!("{}{path}", sim.base_url))
        .header("Authorization", format!("SSWS {TOKEN}"));
    if let Some(body) = body {
        request = request.json(body);
    } else if method == reqwest::Method::POST {
        request = request.header("Content-Length", "0");
    }
    let response = request.send().await.expect("request reaches the simulator");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Changes an app's label behind keyshare's back (a whole-object PUT, as the Admin Console
/// does).
pub async fn rename_app(sim: &SimProcess, id: &str, label: &str) {
    let mut app = sim.get(&format!("/api/v1/apps/{id}")).await;
    app["label"] = Value::from(label);
    let (status, _) = call(
        sim,
        reqwest::Method::PUT,
        &format!("/api/v1/apps/{id}"),
        Some(&app),
    )
    .await;
    assert_eq!(status, 200, "PUT of app {id}");
}

/// Adds one-off fault rules (`POST /__sim/faults`).
pub async fn add_faults(sim: &SimProcess, rules: Value) {
    let rules: Vec<RuleSpec> = serde_json::from_value(rules).expect("fault rules");
    sim.admin()
        .add_rules(rules)
        .await
        .expect("fault rules accepted");
}

/// The kids an app holds and the one it signs with.
pub async fn keys_of(sim: &SimProcess, id: &str) -> (Vec<String>, String) {
    let keys = sim
        .get(&format!("/api/v1/apps/{id}/credentials/keys"))
        .await;
    let kids = keys
        .as_array()
        .expect("key list")
        .iter()
        .map(|k| k["kid"].as_str().expect("kid").to_owned())
        .collect();
    let app = sim.get(&format!("/api/v1/apps/{id}")).await;
    let signing = app["credentials"]["signing"]["kid"]
        .as_str()
        .expect("signing kid")
        .to_owned();
    (kids, signing)
}

/// Standard output and error of a finished command, as text.
pub fn outputs(assert: &assert_cmd::assert::Assert) -> (String, String) {
    let output = assert.get_output();
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
