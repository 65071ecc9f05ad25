//! The CI recipes as committed: every workflow step that runs keyshare is read out of the
//! workflow YAML (GitHub's `run:` of the steps with id plan/drift/apply, GitLab's `script:`
//! lines that call the scripts) and run verbatim with bash against a `keyshare sim` process,
//! in the order a repository lives through them: PR preview, drift found, apply on merge,
//! drift clean, PR preview with no changes.

mod cli_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cli_support::SimProcess;
use serde_yaml::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A shell command from a workflow and the workflow's `KEYSHARE_*` variables.
struct Step {
    command: String,
    vars: BTreeMap<String, String>,
}

fn read_yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(Path::new(ROOT).join(path)).expect("workflow exists");
    serde_yaml::from_str(&text).expect("workflow is YAML")
}

fn keyshare_vars(env: &Value) -> BTreeMap<String, String> {
    env.as_mapping()
        .expect("an env mapping")
        .iter()
        .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), v.as_str()?.to_owned())))
        .filter(|(k, _)| k.starts_with("KEYSHARE_"))
        .collect()
}

/// The `run:` of the step with `id` in a GitHub workflow.
fn github_step(workflow: &str, id: &str) -> Step {
    let yaml = read_yaml(&format!("examples/ci/github/{workflow}"));
    let step = yaml["jobs"]
        .as_mapping()
        .expect("jobs")
        .values()
        .flat_map(|job| job["steps"].as_sequence().expect("steps").iter())
        .find(|step| step["id"].as_str() == Some(id))
        .unwrap_or_else(|| panic!("{workflow} has a step with id {id}"));
    Step {
        command: step["run"].as_str().expect("run").to_owned(),
        vars: keyshare_vars(&yaml["env"]),
    }
}

/// The `script:` lines of a GitLab job that run keyshare's scripts.
fn gitlab_job(job: &str) -> Step {
    let yaml = read_yaml("examples/ci/gitlab/.gitlab-ci.yml");
    let lines: Vec<&str> = yaml[job]["script"]
        .as_sequence()
        .unwrap_or_else(|| panic!("job {job} has a script"))
        .iter()
        .filter_map(Value::as_str)
        .filter(|line| line.contains("/scripts/"))
        .collect();
    assert_eq!(lines.len(), 1, "{job} runs one keyshare script");
    Step {
        command: lines[0].to_owned(),
        vars: keyshare_vars(&yaml["variables"]),
    }
}

/// Where a run leaves its files.
struct Workspace {
    _dir: tempfile::TempDir,
    config: PathBuf,
    out: PathBuf,
    github_output: PathBuf,
}

impl Workspace {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        std::fs::create_dir(&config).unwrap();
        std::fs::copy(
            Path::new(ROOT).join("examples/desired-state/finance.yaml"),
            config.join("finance.yaml"),
        )
        .unwrap();
        Self {
            out: dir.path().join("keyshare-out"),
            github_output: dir.path().join("github-output"),
            config,
            _dir: dir,
        }
    }

    fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.out.join(name)).unwrap_or_else(|_| panic!("{name} written"))
    }

    /// Runs `step` from the repository root like a CI runner: the workflow's variables, the
    /// org's settings, and `keyshare` on the PATH.
    fn run(&self, sim: &SimProcess, step: &Step) -> assert_cmd::assert::Assert {
        let bin = Path::new(env!("CARGO_BIN_EXE_keyshare")).parent().unwrap();
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut cmd = assert_cmd::Command::new("bash");
        cmd.current_dir(ROOT)
            .args(["-eo", "pipefail", "-c", &step.command])
            .envs(&step.vars)
            .env("KEYSHARE_CONFIG_DIR", &self.config)
            .env("KEYSHARE_OUT", &self.out)
            .env("GITHUB_OUTPUT", &self.github_output)
            .env("PATH", path)
            .env("OKTA_CLIENT_ORGURL", &sim.base_url)
            .env("OKTA_CLIENT_TOKEN", cli_support::TOKEN)
            .env("NO_COLOR", "1")
            .env_remove("OKTA_CLIENT_AUTHORIZATIONMODE")
            .env_remove("RUST_LOG");
        cmd.assert()
    }
}

/// The life of a config repo through the recipes of one CI system.
fn lifecycle(plan: &Step, drift: &Step, apply: &Step) {
    let sim = SimProcess::start(&[]);
    let ws = Workspace::new();

    ws.run(&sim, plan).success();
    assert_eq!(ws.file("changes").trim(), "true");
    let comment = ws.file("comment-1.md");
    assert!(
        comment.starts_with("<!-- keyshare:plan -->\n## 📝 keyshare plan: changes to apply"),
        "{comment}"
    );
    assert!(ws.out.join("plan.json").is_file());

    ws.run(&sim, drift).success();
    assert_eq!(
        ws.file("drift").trim(),
        "true",
        "the guide's keys expire within 30 days"
    );
    assert!(ws.file("drift.md").starts_with("<!-- keyshare:drift -->"));

    ws.run(&sim, apply).success();
    let applied = ws.file("apply.md");
    assert!(
        applied.contains("keyshare apply: applied")
            && applied.contains("SHA-256 fingerprint")
            && applied.contains("-----BEGIN CERTIFICATE-----"),
        "the report names the new certificate for the service providers: {applied}"
    );

    ws.run(&sim, drift).success();
    assert_eq!(ws.file("drift").trim(), "false");
    ws.run(&sim, plan).success();
    assert_eq!(ws.file("changes").trim(), "false");
    assert!(
        ws.file("comment-1.md")
            .contains("keyshare plan: no changes")
    );

    let outputs = std::fs::read_to_string(&ws.github_output).unwrap();
    assert!(
        outputs.contains("changes=true") && outputs.contains("drift=false"),
        "{outputs}"
    );
}

#[test]
fn github_workflows_run_as_committed() {
    lifecycle(
        &github_step("keyshare-plan.yml", "plan"),
        &github_step("keyshare-drift.yml", "drift"),
        &github_step("keyshare-apply.yml", "apply"),
    );
}

#[test]
fn gitlab_jobs_run_as_committed() {
    lifecycle(
        &gitlab_job("keyshare-plan"),
        &gitlab_job("keyshare-drift"),
        &gitlab_job("keyshare-apply"),
    );
}

#[test]
fn a_failing_keyshare_fails_the_step() {
    let sim = SimProcess::start(&[]);
    let ws = Workspace::new();
    std::fs::write(ws.config.join("broken.yaml"), "kind: [").unwrap();
    for step in [
        github_step("keyshare-plan.yml", "plan"),
        github_step("keyshare-drift.yml", "drift"),
        github_step("keyshare-apply.yml", "apply"),
    ] {
        ws.run(&sim, &step).code(1);
    }
}

/// The GitHub drift issue script, with a stand-in `gh` that logs its arguments: the real
/// GitHub cannot be reached here, and what matters is which call the script makes.
#[test]
fn the_drift_issue_is_opened_updated_and_closed() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let gh = bin.join("gh");
    std::fs::write(
        &gh,
        "#!/usr/bin/env bash\necho \"$*\" >>\"$GH_LOG\"\nif [[ \"$1 $2\" == 'issue list' ]]; then echo \"$OPEN_ISSUE\"; fi\n",
    )
    .unwrap();
    std::process::Command::new("chmod")
        .args(["+x", gh.to_str().unwrap()])
        .status()
        .unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(
        out.join("drift.md"),
        "<!-- keyshare:drift -->\npart one\n<!-- keyshare:split -->\n<!-- keyshare:drift -->\npart two\n",
    )
    .unwrap();
    let script = github_step("keyshare-drift.yml", "drift");
    assert!(script.command.contains("drift.sh"));
    // (drift found?, open issue, the call expected after `gh issue list`)
    let table = [
        (
            true,
            "",
            "issue create --title keyshare: Okta has drifted from the configuration --label keyshare-drift --body-file",
        ),
        (true, "7", "issue edit 7 --body-file"),
        (false, "7", "issue close 7 --comment"),
        (false, "", ""),
    ];
    for (drift, open, expected) in table {
        let log = dir.path().join("gh.log");
        let _ = std::fs::remove_file(&log);
        std::fs::write(out.join("drift"), format!("{drift}\n")).unwrap();
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        assert_cmd::Command::new(Path::new(ROOT).join("examples/ci/github/drift-issue.sh"))
            .arg(&out)
            .env("PATH", path)
            .env("GH_LOG", &log)
            .env("OPEN_ISSUE", open)
            .assert()
            .success();
        let calls = std::fs::read_to_string(&log).unwrap();
        let last = calls.lines().last().unwrap_or_default();
        if expected.is_empty() {
            assert_eq!(calls.lines().count(), 1, "only the lookup: {calls}");
        } else {
            assert!(
                last.starts_with(expected),
                "drift={drift} open={open:?}: {calls}"
            );
        }
        let issue = std::fs::read_to_string(out.join("issue.md")).unwrap();
        assert_eq!(
            issue, "<!-- keyshare:drift -->\npart one\n",
            "first part only"
        );
    }
}

/// A plan too long for one comment: the preview step writes several comment files, each
/// within GitHub's limit and each carrying the marker, so the sticky-comment script can keep
/// them all in place.
#[tokio::test]
async fn a_long_plan_becomes_several_comments_that_each_fit() {
    let sim = SimProcess::start(&["--synthetic-apps", "150", "--rate-limit-apps", "100000"]);
    let state: serde_json::Value = reqwest::get(format!("{}/__sim/state", sim.base_url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = state["apps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| {
            a["app"]["label"]
                .as_str()
                .unwrap()
                .starts_with("synthetic-")
        })
        .map(|a| a["app"]["id"].as_str().unwrap())
        .collect();
    let members: String = ids[1..].iter().map(|id| format!("    - {id}\n")).collect();
    let ws = Workspace::new();
    std::fs::remove_file(ws.config.join("finance.yaml")).unwrap();
    std::fs::write(
        ws.config.join("big.yaml"),
        format!(
            "apiVersion: keyshare/v1\nkind: SigningKeyGroup\nmetadata:\n  name: big\nspec:\n  source: {}\n  members:\n{members}  key:\n    validityYears: 2\n",
            ids[0]
        ),
    )
    .unwrap();

    ws.run(&sim, &github_step("keyshare-plan.yml", "plan"))
        .success();
    let parts: Vec<String> = (1..)
        .map(|n| ws.out.join(format!("comment-{n}.md")))
        .take_while(|path| path.is_file())
        .map(|path| std::fs::read_to_string(path).unwrap())
        .collect();
    assert!(parts.len() >= 2, "{} part(s)", parts.len());
    for (i, part) in parts.iter().enumerate() {
        assert!(part.chars().count() <= 65_536, "part {} is too long", i + 1);
        assert!(
            part.starts_with(&format!(
                "<!-- keyshare:plan -->\n<!-- keyshare:part {}/{} -->",
                i + 1,
                parts.len()
            )),
            "part {}",
            i + 1
        );
    }
}
