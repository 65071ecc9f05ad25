//! Helpers of the GitOps tests on top of [`SimProcess`]: seeds with fixed kids, the guide's
//! group, and faults.

use okta_sim::admin::RuleSpec;
use serde_json::Value;

use super::SimProcess;
use super::controller::group_yaml;

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
    group_yaml("finance", &format!("    validityYears: 2\n{rotate}"))
}

/// Adds one-off fault rules (`POST /__sim/faults`).
pub async fn add_faults(sim: &SimProcess, rules: Value) {
    let rules: Vec<RuleSpec> = serde_json::from_value(rules).expect("fault rules");
    sim.admin()
        .add_rules(rules)
        .await
        .expect("fault rules accepted");
}
