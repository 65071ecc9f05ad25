//! Drift and key expiry: a shared key expiring within `rotateBefore` is drift (exit 2, with
//! the reason), while a group without `rotateBefore` is in sync but warned about the expiry.

use serde_json::Value;

use crate::support::gitops::{finance_yaml, shared_seed};
use crate::support::{SimProcess, outputs};

#[tokio::test]
async fn an_expiring_key_is_drift_when_the_policy_rotates_it_and_a_warning_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimProcess::with_seed(&shared_seed(), &[]);
    let rotating = dir.path().join("rotating");
    let unrotated = dir.path().join("unrotated");
    for (path, rotate) in [(&rotating, true), (&unrotated, false)] {
        std::fs::create_dir(path).unwrap();
        std::fs::write(path.join("finance.yaml"), finance_yaml(rotate)).unwrap();
    }

    let drift = sim.keyshare().arg("drift").arg(&rotating).assert().code(2);
    let (text, _) = outputs(&drift);
    assert!(
        text.contains("new group key because key shared")
            && text.contains("within rotateBefore (30d)")
            && text.contains("+ generate key on App 1"),
        "{text}"
    );
    let json = sim
        .keyshare()
        .arg("drift")
        .arg(&rotating)
        .args(["--format", "json"])
        .assert()
        .code(2);
    let report: Value = serde_json::from_str(&outputs(&json).0).unwrap();
    assert_eq!(report["in_sync"], false);
    assert_eq!(report["groups"][0]["rotation"]["cause"], "expires_within");
    assert!(report["api_calls"]["buckets"].is_object(), "{report}");

    let quiet = sim.keyshare().arg("drift").arg(&unrotated).assert().code(0);
    let (text, _) = outputs(&quiet);
    assert!(
        text.contains("Warning: key shared")
            && text.contains("nothing will replace it")
            && text.contains("No drift."),
        "{text}"
    );
}
