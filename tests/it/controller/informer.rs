//! `keyshare watch` follows Okta's System Log between full reads, over real HTTP against a
//! 2,000-app org in sync (400 groups of 5): no `/api/v1/apps` call between resyncs, one System
//! Log call per check, an out-of-band switch healed by one of the next two checks, and a
//! resync forced at once when the log cannot be read.

use std::fmt::Write as _;
use std::path::Path;

use okta_sim::admin::{Action, RuleSpec};
use serde_json::Value;

use crate::support::controller::{PATIENCE, WatchProcess, message_of};
use crate::support::{SimProcess, generate_out_of_band, signing_kid, switch_out_of_band};

const GROUPS: usize = 400;
const PER_GROUP: usize = 5;

fn app_id(group: usize, member: usize) -> String {
    format!("0oa{:012}{member:05}", group)
}

fn kid(group: usize) -> String {
    format!("sharedkey{group:034}")
}

/// A seed of `GROUPS` × `PER_GROUP` SAML apps, each group's apps signing with one shared kid.
fn write_seed(path: &Path) {
    let mut seed = String::from("org: acme\napps:\n");
    for group in 0..GROUPS {
        for member in 0..PER_GROUP {
            let id = app_id(group, member);
            let kid = kid(group);
            writeln!(
                seed,
                "  - id: {id}\n    label: group-{group}-app-{member}\n    keys:\n      - kid: {kid}\n        created: -1y\n        expiresAt: +9y"
            )
            .unwrap();
        }
    }
    std::fs::write(path, seed).unwrap();
}

/// One desired-state file per group: app 0 is the source, the others its members.
fn write_groups(dir: &Path) {
    for group in 0..GROUPS {
        let members: String = (1..PER_GROUP)
            .map(|m| format!("    - {}\n", app_id(group, m)))
            .collect();
        let yaml = format!(
            "apiVersion: keyshare/v1\nkind: SigningKeyGroup\nmetadata:\n  name: group-{group}\nspec:\n  source: {}\n  members:\n{members}  key:\n    validityYears: 2\n    rotateBefore: 30d\n",
            app_id(group, 0)
        );
        std::fs::write(dir.join(format!("group-{group}.yaml")), yaml).unwrap();
    }
}

async fn stats(sim: &SimProcess) -> Value {
    serde_json::to_value(sim.admin().stats().await.unwrap()).unwrap()
}

fn requests(stats: &Value, route: &str) -> u64 {
    stats["requests"][route].as_u64().unwrap_or(0)
}

fn bucket(stats: &Value, name: &str) -> u64 {
    stats["byBucket"][name].as_u64().unwrap_or(0)
}

fn count_logs(watch: &WatchProcess, since: usize, message: &str) -> usize {
    watch
        .log_text()
        .lines()
        .skip(since)
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|event| message_of(event) == message)
        .count()
}

/// The checks that ended after line `since` and before the first line saying `message`.
fn checks_until(watch: &WatchProcess, since: usize, message: &str) -> usize {
    watch
        .log_text()
        .lines()
        .skip(since)
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .take_while(|event| message_of(event) != message)
        .filter(|event| message_of(event) == "reconciled")
        .count()
}

/// Out of band, as another admin would: a new key on `app`, and `app` switched to it.
async fn switch_to_a_new_key(sim: &SimProcess, app: &str) -> String {
    let kid = generate_out_of_band(sim, app).await;
    switch_out_of_band(sim, app, &kid).await;
    kid
}

#[tokio::test(flavor = "multi_thread")]
async fn a_large_org_in_sync_costs_one_log_call_per_check_and_drift_is_healed() {
    let files = tempfile::tempdir().unwrap();
    let seed = files.path().join("seed.yaml");
    write_seed(&seed);
    let sim = SimProcess::start(&[
        "--seed",
        seed.to_str().unwrap(),
        // The bucket is not what is measured: room for the first full read.
        "--rate-limit-apps",
        "100000",
        "--rate-limit-app-by-id",
        "100000",
    ]);
    let dir = tempfile::tempdir().unwrap();
    write_groups(dir.path());

    let watch = WatchProcess::start(
        &sim,
        dir.path(),
        &["--interval", "1s", "--resync", "1h", "--self-heal"],
    )
    .await;
    watch.wait_log_count("reconciled", 1, PATIENCE * 4).await;
    let first = stats(&sim).await;
    let first_checks = count_logs(&watch, 0, "reconciled");
    watch
        .wait_log_count("reconciled", first_checks + 4, PATIENCE)
        .await;
    let steady = stats(&sim).await;
    let steady_checks = count_logs(&watch, 0, "reconciled");

    assert!(
        requests(&first, "GET /api/v1/apps") > 0,
        "the first check lists the org: {first}"
    );
    assert_eq!(
        bucket(&steady, "apps"),
        bucket(&first, "apps"),
        "no /api/v1/apps call between resyncs, listing or other: {steady}"
    );
    assert_eq!(
        bucket(&steady, "appById"),
        bucket(&first, "appById"),
        "nothing changed, so no app is read again"
    );
    let log_calls = bucket(&steady, "logs") - bucket(&first, "logs");
    let checks = (steady_checks - first_checks) as u64;
    assert!(
        (1..=checks + 1).contains(&log_calls),
        "at most one System Log call per check: {log_calls} calls, {checks} checks"
    );
    assert!(!watch.log_text().contains("group out of sync"));

    // An out-of-band switch: healed by one of the next two checks.
    let member = app_id(7, 3);
    let mark = watch.mark();
    let foreign = switch_to_a_new_key(&sim, &member).await;
    watch
        .wait_log(mark, "self-heal applied the plan", PATIENCE)
        .await;
    let checks_before_heal = checks_until(&watch, mark, "self-heal applied the plan");
    assert!(
        checks_before_heal <= 2,
        "healed within two checks of the switch, not {checks_before_heal}"
    );
    assert_eq!(signing_kid(&sim, &member).await, kid(7));
    assert_ne!(foreign, kid(7));
    let named = watch
        .wait_log(
            mark,
            "the System Log or an Event Hook names managed apps; reading them again",
            PATIENCE,
        )
        .await;
    assert_eq!(named["fields"]["apps"], 1, "{named}");
    let after_heal = watch
        .wait_log_where(mark, PATIENCE, |e| {
            message_of(e) == "reading the whole org" && e["fields"]["reason"] == "after_heal"
        })
        .await;
    assert_eq!(after_heal["fields"]["reason"], "after_heal");

    // The log cannot be read (a token without okta.logs.read): a resync at once.
    let mark = watch.mark();
    let forbidden = RuleSpec::new("GET", "/api/v1/logs", Action::Fail).status(403);
    sim.admin().add_rules([forbidden]).await.unwrap();
    let resync = watch
        .wait_log_where(mark, PATIENCE, |e| {
            message_of(e) == "reading the whole org" && e["fields"]["reason"] == "log_forbidden"
        })
        .await;
    assert_eq!(resync["fields"]["reason"], "log_forbidden");

    let (status, metrics) = watch.get("/metrics").await;
    assert_eq!(status, 200);
    for line in [
        "keyshare_resyncs_total{reason=\"start\"} 1",
        "keyshare_resyncs_total{reason=\"log_forbidden\"} 1",
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
    let events = metrics
        .lines()
        .find_map(|l| l.strip_prefix("keyshare_log_events_total "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or_default();
    assert!(
        events >= 2.0,
        "the generate and the switch were seen: {metrics}"
    );
    assert!(metrics.contains("keyshare_staleness_seconds"));
    assert!(metrics.contains("keyshare_log_lag_seconds"));
}
