//! Saved plans through the real binary against a `keyshare sim` process: a fresh plan applies;
//! a plan goes stale when an app or its keys change behind keyshare's back, even a plan with
//! nothing to do; a plan for another org is refused naming both; a broken file is refused
//! with a message saying what is wrong with it.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::support::{
    APP1, APP2, EXAMPLE, SimProcess, TOKEN, generate_out_of_band, keys_of, outputs, rename_app,
};

/// `keyshare plan EXAMPLE --out FILE`, which must exit with `code`; the directory holding the
/// file lives as long as the returned guard.
fn save_plan(sim: &SimProcess, code: i32) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plan.json");
    sim.keyshare()
        .args(["plan", EXAMPLE, "--out"])
        .arg(&file)
        .assert()
        .code(code);
    (dir, file)
}

/// `keyshare apply FILE --auto-approve`, which must refuse (exit 1); its standard error.
fn apply_refused(sim: &SimProcess, file: &Path) -> String {
    let refused = sim
        .keyshare()
        .arg("apply")
        .arg(file)
        .arg("--auto-approve")
        .assert()
        .code(1);
    outputs(&refused).1
}

#[tokio::test]
async fn a_fresh_plan_applies_and_holds_no_secret() {
    let sim = SimProcess::start(&[]);
    let (_dir, file) = save_plan(&sim, 2);

    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "owner-only");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains(TOKEN), "the token is not in the plan file");
    let saved: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(saved["org_url"], format!("{}/", sim.base_url));
    assert_eq!(saved["format_version"], 1);
    assert_eq!(saved["plan"]["steps"].as_array().unwrap().len(), 4);

    let (seeded, _) = keys_of(&sim, APP1).await;
    let apply = sim
        .keyshare()
        .arg("apply")
        .arg(&file)
        .arg("--auto-approve")
        .assert()
        .success();
    let (stdout, _) = outputs(&apply);
    assert!(
        stdout.contains("Apply complete: 1 key generated, 1 cloned, 2 apps switched."),
        "{stdout}"
    );
    assert!(
        stdout.contains("the SAML metadata of the 2 switched app(s) publishes its certificate"),
        "{stdout}"
    );
    let (kids1, signing1) = keys_of(&sim, APP1).await;
    let (_, signing2) = keys_of(&sim, APP2).await;
    assert_eq!(kids1.len(), seeded.len() + 1);
    assert_eq!(signing1, signing2);
    sim.keyshare().args(["drift", EXAMPLE]).assert().code(0);
}

#[tokio::test]
async fn a_change_behind_keyshares_back_makes_the_plan_stale() {
    let sim = SimProcess::start(&[]);
    let (_dir, file) = save_plan(&sim, 2);
    rename_app(&sim, APP2, "App 2 (renamed in the Admin Console)").await;

    let stderr = apply_refused(&sim, &file);
    assert!(
        stderr.contains(&format!("App 2 ({APP2}) changed since the plan was made"))
            && stderr.contains("run plan again"),
        "{stderr}"
    );
    let (kids, _) = keys_of(&sim, APP1).await;
    assert_eq!(kids.len(), 1, "nothing was generated");
}

#[tokio::test]
async fn a_plan_with_nothing_to_do_goes_stale_too() {
    let sim = SimProcess::start(&[]);
    sim.keyshare()
        .args(["apply", EXAMPLE, "--auto-approve"])
        .assert()
        .success();
    let (_dir, file) = save_plan(&sim, 0);
    // A key generated out of band changes no app object, only the source's key list.
    generate_out_of_band(&sim, APP1).await;

    let stderr = apply_refused(&sim, &file);
    assert!(
        stderr.contains(&format!("App 1 ({APP1}) changed since the plan was made"))
            && stderr.contains("key credentials"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_plan_for_another_org_is_refused_naming_both() {
    let planned_against = SimProcess::start(&[]);
    let other = SimProcess::start(&[]);
    let (_dir, file) = save_plan(&planned_against, 2);

    let stderr = apply_refused(&other, &file);
    assert!(
        stderr.contains(&format!("made for the org {}/", planned_against.base_url))
            && stderr.contains(&format!("configured for {}/", other.base_url)),
        "{stderr}"
    );
    let (kids, _) = keys_of(&other, APP1).await;
    assert_eq!(kids.len(), 1, "nothing was generated in the other org");
}

#[tokio::test]
async fn broken_plan_files_are_refused_with_what_is_wrong() {
    let sim = SimProcess::start(&[]);
    let (dir, file) = save_plan(&sim, 2);
    let good = std::fs::read_to_string(&file).unwrap();

    let table: Vec<(&str, String, &str)> = vec![
        (
            "truncated",
            good[..good.len() / 2].to_owned(),
            "is not a complete keyshare plan file",
        ),
        (
            "edited",
            good.replacen("\"validity_years\": 2", "\"validity_years\": 3", 1),
            "was changed after keyshare wrote it",
        ),
        (
            "another format version",
            good.replacen("\"format_version\": 1", "\"format_version\": 2", 1),
            "is a plan file of format version 2",
        ),
        (
            "not a plan",
            "{\"steps\": []}".to_owned(),
            "is not a complete keyshare plan file",
        ),
    ];
    for (case, contents, expected) in table {
        assert_ne!(contents, good, "{case}: the case changes the file");
        let broken = dir.path().join(format!("{}.json", case.replace(' ', "-")));
        std::fs::write(&broken, contents).unwrap();
        let stderr = apply_refused(&sim, &broken);
        assert!(stderr.contains(expected), "{case}: {stderr}");
    }
    let (kids, _) = keys_of(&sim, APP1).await;
    assert_eq!(kids.len(), 1, "no broken plan changed anything");
}
