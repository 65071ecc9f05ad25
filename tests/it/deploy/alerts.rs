//! The alerts shipped in docs/deploy/prometheusrule.yaml: each watches only series that a real
//! `keyshare watch` exports (a renamed metric would silently disarm an alert), and each is
//! described in docs/controller.md.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;

use crate::support::SimProcess;
use crate::support::controller::{GUIDE_POLICY, WatchProcess, group_yaml};

const SECONDS: Duration = Duration::from_secs(5);

/// The alert rules of the PrometheusRule: (alert name, expression).
fn alert_rules() -> Vec<(String, String)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/deploy/prometheusrule.yaml"
    );
    let rule: Value = serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    rule["spec"]["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .flat_map(|group| group["rules"].as_array().expect("rules"))
        .map(|rule| {
            (
                rule["alert"].as_str().expect("alert").to_owned(),
                rule["expr"].as_str().expect("expr").to_owned(),
            )
        })
        .collect()
}

/// The `keyshare_…` names in a PromQL expression.
fn series_in(expr: &str) -> BTreeSet<String> {
    expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| word.starts_with("keyshare_") && word != &"keyshare_io_org")
        .map(str::to_owned)
        .collect()
}

/// The label names each series is selected by in `expr`: `keyshare_group_info{sync_status="…"}`
/// gives (keyshare_group_info, sync_status).
fn selected_labels(expr: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (i, _) in expr.match_indices('{') {
        let series: String = expr[..i]
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let Some(end) = expr[i..].find('}') else {
            continue;
        };
        if !series.starts_with("keyshare_") {
            continue;
        }
        for matcher in expr[i + 1..i + end].split(',') {
            let label: String = matcher
                .trim()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !label.is_empty() {
                found.push((series.clone(), label));
            }
        }
    }
    found
}

#[tokio::test]
async fn every_alert_watches_exported_series_and_is_documented() {
    let sim = SimProcess::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("finance.yaml"),
        group_yaml("finance", GUIDE_POLICY),
    )
    .unwrap();
    let watch = WatchProcess::start(&sim, dir.path(), &["--interval", "10m"]).await;
    watch.wait_status("/readyz", 200, SECONDS).await;
    let (status, scrape) = watch.get("/metrics").await;
    assert_eq!(status, 200);
    let exported: BTreeSet<&str> = scrape
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split(['{', ' ']).next())
        .collect();
    let controller_md =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/controller.md"))
            .unwrap();

    let rules = alert_rules();
    assert!(
        rules
            .iter()
            .any(|(alert, _)| alert == "KeyshareSelfHealDeferred"),
        "the deferred self-heal alert is shipped"
    );
    for (alert, expr) in &rules {
        let series = series_in(expr);
        assert!(!series.is_empty(), "{alert} watches no keyshare series");
        for name in &series {
            assert!(
                exported.contains(name.as_str()),
                "{alert} watches {name}, which keyshare watch does not export:\n{scrape}"
            );
        }
        for (series, label) in selected_labels(expr) {
            assert!(
                scrape
                    .lines()
                    .any(|line| line.starts_with(&format!("{series}{{"))
                        && line.contains(&format!("{label}=\""))),
                "{alert} selects {series} by {label}, a label keyshare watch does not export:\n{scrape}"
            );
        }
        assert!(
            controller_md.contains(&format!("| `{alert}` |")),
            "{alert} is described in docs/controller.md's alert table"
        );
    }
}
