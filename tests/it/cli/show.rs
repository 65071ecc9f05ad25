//! `keyshare show PLANFILE` renders a saved plan as `plan` showed it, without Okta: the
//! simulator is gone by the time it runs.

use crate::support::{EXAMPLE, SimProcess, keyshare_command};

fn show(file: &std::path::Path, format: &str) -> String {
    let assert = assert_cmd::Command::from_std(keyshare_command())
        .args([
            "show",
            file.to_str().expect("UTF-8 path"),
            "--format",
            format,
        ])
        .env("NO_COLOR", "1")
        .assert()
        .success();
    String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
}

#[test]
fn a_saved_plan_is_shown_as_plan_showed_it_without_okta() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("plan.json");
    let (planned, org) = {
        let sim = SimProcess::start(&[]);
        let plan = sim
            .keyshare()
            .args(["plan", EXAMPLE, "--out", file.to_str().expect("UTF-8 path")])
            .assert()
            .code(2);
        let text = String::from_utf8_lossy(&plan.get_output().stdout).into_owned();
        (text, sim.base_url.clone())
    };

    let text = show(&file, "text");
    let (header, shown) = text
        .split_once("\n\n")
        .expect("a header line, then the plan");
    assert!(
        header.starts_with("Plan saved at ") && header.contains(&format!(" for {org}")),
        "{header}"
    );
    let (plan_part, _saved) = planned
        .split_once("\nSaved the plan to ")
        .expect("plan --out says where it saved");
    assert_eq!(shown, plan_part, "show renders what plan rendered");

    let markdown = show(&file, "markdown");
    assert!(
        markdown.contains("App 1") && markdown.contains("credentials.signing.kid"),
        "{markdown}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&show(&file, "json")).expect("show --format json is JSON");
    assert_eq!(json["steps"].as_array().map(Vec::len), Some(4), "{json}");
}

#[test]
fn a_file_that_is_not_a_saved_plan_is_refused() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("plan.json");
    std::fs::write(&file, "{}").expect("write");
    assert_cmd::Command::from_std(keyshare_command())
        .args(["show", file.to_str().expect("UTF-8 path")])
        .assert()
        .code(1);
}
