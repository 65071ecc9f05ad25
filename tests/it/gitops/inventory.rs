//! `keyshare keys` and `keyshare import` against a seeded org: App 1 and App 2 share one key,
//! App 3 signs with its own. The inventory says who shares what; the import turns the sharing
//! into a group whose YAML loads and plans to no changes.

use serde_json::Value;

use crate::support::gitops::{finance_yaml, kid, shared_seed};
use crate::support::{APP1, APP2, SimProcess, outputs};

const APP3: &str = "0oa8ae3xxxxxxxxxxxx3";

#[tokio::test]
async fn keys_lists_managed_apps_or_all_with_who_shares_what() {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimProcess::with_seed(&shared_seed(), &[]);
    let config = dir.path().join("config");
    std::fs::create_dir(&config).unwrap();
    std::fs::write(config.join("finance.yaml"), finance_yaml(false)).unwrap();

    let managed = sim
        .keyshare()
        .arg("keys")
        .arg(&config)
        .args(["--format", "json"])
        .assert()
        .code(0);
    let report: Value = serde_json::from_str(&outputs(&managed).0).unwrap();
    assert_eq!(report["scope"], "managed");
    let apps = report["apps"].as_array().unwrap();
    let ids: Vec<&str> = apps.iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [APP1, APP2]);
    let key = &apps[0]["keys"][0];
    assert_eq!(key["kid"], kid("shared"));
    assert_eq!(key["active"], true);
    assert_eq!(
        key["shared_with"],
        serde_json::json!([format!("App 2 ({APP2})")])
    );
    assert_eq!(apps[0]["group"], "finance");

    let all = sim.keyshare().arg("keys").arg("--all").assert().code(0);
    let (text, _) = outputs(&all);
    assert!(
        text.contains(&format!("App 3 ({APP3}) SAML_2_0 ACTIVE, not managed"))
            && text.contains(&format!("* {}", kid("own")))
            && text.contains(&format!("shared with App 1 ({APP1})"))
            && text.contains("3 app(s), 3 key(s)"),
        "{text}"
    );
}

#[tokio::test]
async fn import_writes_groups_that_plan_to_no_changes() {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimProcess::with_seed(&shared_seed(), &[]);
    let out = dir.path().join("imported");

    let import = sim
        .keyshare()
        .args(["import", "--out"])
        .arg(&out)
        .assert()
        .code(0);
    let (text, _) = outputs(&import);
    assert!(
        text.contains("Imported 1 group(s)")
            && text.contains("1 app(s) sign with a key no other app holds"),
        "{text}"
    );
    let desired = keyshare::config::load_dir(&out).expect("the import loads");
    assert_eq!(desired.groups.len(), 1);
    assert_eq!(desired.groups[0].name, "app-1");
    assert_eq!(desired.groups[0].members.len(), 1);
    sim.keyshare().arg("plan").arg(&out).assert().code(0);

    let again = sim
        .keyshare()
        .args(["import", "--out"])
        .arg(&out)
        .assert()
        .code(1);
    assert!(outputs(&again).1.contains("never overwritten"));

    let only_app3 = dir.path().join("only-app3");
    let single = sim
        .keyshare()
        .args(["import", "--app", APP3, "--out"])
        .arg(&only_app3)
        .assert()
        .code(0);
    assert!(outputs(&single).0.contains("Imported 0 group(s)"));
}
