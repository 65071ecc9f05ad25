//! The CI recipes as committed: every workflow step that runs keyshare is read out of the
//! workflow YAML (GitHub's `run:` of the steps with id plan/drift/apply, GitLab's `script:`
//! lines that call the scripts) and run verbatim with bash against a `keyshare sim` process,
//! in the order a repository lives through them: PR preview, drift found, apply on merge,
//! drift clean, PR preview with no changes. The key-metadata cache lands where the recipes'
//! cache steps keep it between runs. The static checks below hold the recipes to what a real
//! CI needs: a source install that names a commit, the Okta credentials given to the keyshare
//! step alone, and an apply-on-merge that no other workflow can cancel while it waits.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_yaml::Value;

use crate::support::{SimProcess, isolated};

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
        #[cfg(unix)]
        std::os::unix::fs::symlink(
            Path::new(ROOT).join("examples"),
            dir.path().join("examples"),
        )
        .unwrap();
        Self {
            out: dir.path().join("keyshare-out"),
            github_output: dir.path().join("github-output"),
            config,
            _dir: dir,
        }
    }

    /// The config repository's checkout: the directory the steps run in.
    fn checkout(&self) -> &Path {
        self.config.parent().unwrap()
    }

    /// The key-cache files keyshare wrote under `dir` (relative to the checkout).
    fn cache_files(&self, dir: &str) -> Vec<PathBuf> {
        std::fs::read_dir(self.checkout().join(dir))
            .map(|entries| {
                entries
                    .map(|entry| entry.unwrap().path())
                    .filter(|path| {
                        let name = path.file_name().unwrap().to_string_lossy();
                        name.starts_with("keys-") && name.ends_with(".json")
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.out.join(name)).unwrap_or_else(|_| panic!("{name} written"))
    }

    /// Runs `step` like a CI runner, from a checkout of the config repository (this temporary
    /// directory, with keyshare's `examples/` where the recipes expect it): the workflow's
    /// variables, the org's settings, and `keyshare` on the PATH. Relative paths in the
    /// recipe, such as the key cache's, resolve in the checkout.
    fn run(&self, sim: &SimProcess, step: &Step) -> assert_cmd::assert::Assert {
        let bin = Path::new(env!("CARGO_BIN_EXE_keyshare")).parent().unwrap();
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut cmd = assert_cmd::Command::from_std(isolated("bash"));
        cmd.current_dir(self.checkout())
            .args(["-eo", "pipefail", "-c", &step.command])
            .envs(&step.vars)
            .env("KEYSHARE_CONFIG_DIR", &self.config)
            .env("KEYSHARE_OUT", &self.out)
            .env("GITHUB_OUTPUT", &self.github_output)
            .env("PATH", path)
            .env("OKTA_CLIENT_ORGURL", &sim.base_url)
            .env("OKTA_CLIENT_TOKEN", crate::support::TOKEN)
            .env("NO_COLOR", "1");
        cmd.assert()
    }
}

/// The life of a config repo through the recipes of one CI system; `kept` is the directory
/// the CI system's cache keeps between runs, which must be where keyshare writes its cache.
fn lifecycle(plan: &Step, drift: &Step, apply: &Step, kept: &str) {
    let sim = SimProcess::start(&[]);
    let ws = Workspace::new();
    for step in [plan, drift, apply] {
        assert_eq!(
            step.vars.get("KEYSHARE_KEY_CACHE").map(String::as_str),
            Some(kept),
            "every keyshare step uses the cache directory the CI keeps"
        );
    }

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
    assert_eq!(
        ws.cache_files(kept).len(),
        1,
        "the drift check left the org's key cache in {kept}, which the next run restores"
    );

    ws.run(&sim, apply).success();
    let applied = ws.file("apply.md");
    assert!(
        applied.contains("keyshare apply: applied")
            && applied.contains("SHA-256 `")
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
    let kept = github_kept_cache("keyshare-drift.yml");
    for workflow in WORKFLOWS {
        assert_eq!(github_kept_cache(workflow), kept, "{workflow}");
    }
    lifecycle(
        &github_step("keyshare-plan.yml", "plan"),
        &github_step("keyshare-drift.yml", "drift"),
        &github_step("keyshare-apply.yml", "apply"),
        &kept,
    );
}

#[test]
fn gitlab_jobs_run_as_committed() {
    lifecycle(
        &gitlab_job("keyshare-plan"),
        &gitlab_job("keyshare-drift"),
        &gitlab_job("keyshare-apply"),
        &gitlab_kept_cache(),
    );
}

const WORKFLOWS: [&str; 3] = [
    "keyshare-plan.yml",
    "keyshare-drift.yml",
    "keyshare-apply.yml",
];

/// The steps of every job of a GitHub workflow.
fn github_steps(yaml: &Value) -> Vec<&Value> {
    yaml["jobs"]
        .as_mapping()
        .expect("jobs")
        .values()
        .flat_map(|job| job["steps"].as_sequence().expect("steps").iter())
        .collect()
}

/// The directory a GitHub workflow's `actions/cache` step keeps for the key cache, with
/// `${{ env.X }}` resolved from the workflow's `env:`; also checks that the cache is keyed per
/// org and restored from the newest older entry (a cache entry is never overwritten, so each
/// run saves under a key of its own).
fn github_kept_cache(workflow: &str) -> String {
    let yaml = read_yaml(&format!("examples/ci/github/{workflow}"));
    let caches: Vec<&Value> = github_steps(&yaml)
        .into_iter()
        .filter(|step| {
            step["uses"]
                .as_str()
                .is_some_and(|uses| uses.starts_with("actions/cache@"))
        })
        .collect();
    assert_eq!(caches.len(), 1, "{workflow} keeps one cache");
    let with = &caches[0]["with"];
    let key = with["key"].as_str().expect("key");
    let restore = with["restore-keys"].as_str().expect("restore-keys").trim();
    assert!(
        key.contains("${{ vars.OKTA_CLIENT_ORGURL }}") && key.contains("${{ github.run_id }}"),
        "{workflow}: one cache per org, saved under a new key each run: {key}"
    );
    assert!(
        key.starts_with(restore) && restore.contains("OKTA_CLIENT_ORGURL"),
        "{workflow}: restored from the same org's newest entry: {restore}"
    );
    let path = with["path"].as_str().expect("path");
    let vars = keyshare_vars(&yaml["env"]);
    match path
        .strip_prefix("${{ env.")
        .and_then(|rest| rest.strip_suffix(" }}"))
    {
        Some(var) => vars[var].clone(),
        None => path.to_owned(),
    }
}

/// The directory GitLab's `cache:` keeps for the key cache, checking that it is keyed per org.
fn gitlab_kept_cache() -> String {
    let yaml = read_yaml("examples/ci/gitlab/.gitlab-ci.yml");
    let entry = yaml[".keyshare"]["cache"]
        .as_sequence()
        .expect("the template's caches")
        .iter()
        .find(|cache| {
            cache["key"]
                .as_str()
                .is_some_and(|key| key.starts_with("keyshare-keys-"))
        })
        .expect("a key-cache entry");
    assert_eq!(entry["key"].as_str(), Some("keyshare-keys-$KEYSHARE_ORG"));
    let paths = entry["paths"].as_sequence().expect("paths");
    assert_eq!(paths.len(), 1);
    paths[0].as_str().unwrap().trim_end_matches('/').to_owned()
}

/// The Okta credentials reach the step that runs keyshare and nothing else: not the checkout,
/// the install (every crate's build script) or the comment and issue steps. A workflow-level
/// `env:` would hand them to every step.
#[test]
fn okta_credentials_reach_only_the_keyshare_step() {
    for (workflow, id) in WORKFLOWS.iter().zip(["plan", "drift", "apply"]) {
        let yaml = read_yaml(&format!("examples/ci/github/{workflow}"));
        let text = |value: &Value| serde_yaml::to_string(value).unwrap();
        assert!(
            !text(&yaml["env"]).contains("OKTA_CLIENT"),
            "{workflow}: no Okta setting in the workflow's env"
        );
        for job in yaml["jobs"].as_mapping().unwrap().values() {
            assert!(
                !text(&job["env"]).contains("OKTA_CLIENT"),
                "{workflow}: no Okta setting in a job's env"
            );
        }
        for step in github_steps(&yaml) {
            let uses_secret = text(step).contains("secrets.");
            let is_keyshare = step["id"].as_str() == Some(id);
            assert_eq!(
                uses_secret,
                is_keyshare,
                "{workflow}: only the keyshare step sees a secret: {}",
                text(step)
            );
            if is_keyshare {
                assert!(text(&step["env"]).contains("OKTA_CLIENT_PRIVATEKEY"));
            }
        }
    }
}

/// GitHub keeps one running and one pending run per concurrency group, and a newly queued run
/// cancels the pending one. So the apply's group holds applies alone: a drift run queued in it
/// would cancel a pending apply-on-merge, and the merged change would never be applied. Among
/// applies, the newer run is of a later commit of the default branch, which holds every change
/// of the one it replaces.
#[test]
fn no_other_workflow_can_cancel_a_pending_apply() {
    let apply = read_yaml("examples/ci/github/keyshare-apply.yml");
    let group = apply["concurrency"]["group"].as_str().expect("a group");
    assert_eq!(
        apply["concurrency"]["cancel-in-progress"].as_bool(),
        Some(false)
    );
    assert!(
        apply["on"]["push"]["branches"] == serde_yaml::from_str::<Value>("[main]").unwrap(),
        "applies come from the default branch only"
    );
    assert!(
        apply["jobs"]["apply"]["if"]
            .as_str()
            .unwrap()
            .contains("default_branch")
    );
    for workflow in ["keyshare-plan.yml", "keyshare-drift.yml"] {
        let yaml = read_yaml(&format!("examples/ci/github/{workflow}"));
        let other = yaml["concurrency"]["group"].as_str().unwrap_or_default();
        assert!(
            !other.starts_with(group.split("${{").next().unwrap()),
            "{workflow} shares the apply's concurrency group ({other})"
        );
        for job in yaml["jobs"].as_mapping().unwrap().values() {
            assert!(
                job["concurrency"].is_null(),
                "{workflow}: no job-level group"
            );
        }
    }
}

/// `cargo install --git URL --rev R` needs a commit (or another revspec cargo can fetch): a
/// branch name fails with "revspec 'main' not found" and needs `--branch`. The recipes pin a
/// full commit SHA (also the binary cache's key) and every action by its commit.
#[test]
fn installs_name_a_commit() {
    let gitlab = read_yaml("examples/ci/gitlab/.gitlab-ci.yml");
    let rev = gitlab["variables"]["KEYSHARE_REV"]
        .as_str()
        .expect("KEYSHARE_REV");
    assert!(
        rev.len() == 40 && rev.chars().all(|c| c.is_ascii_hexdigit()),
        "KEYSHARE_REV is a full commit SHA: {rev}"
    );
    let install: Vec<&str> = gitlab[".keyshare"]["before_script"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .filter(|line| line.contains("cargo install"))
        .collect();
    assert_eq!(install.len(), 1);
    assert!(install[0].contains(r#"--git "$KEYSHARE_GIT" --rev "$KEYSHARE_REV""#));

    for workflow in WORKFLOWS {
        let yaml = read_yaml(&format!("examples/ci/github/{workflow}"));
        for step in github_steps(&yaml) {
            if let Some(uses) = step["uses"].as_str() {
                let (_, pin) = uses.split_once('@').expect("a pinned action");
                assert!(
                    pin.len() == 40 && pin.chars().all(|c| c.is_ascii_hexdigit()),
                    "{workflow}: {uses} is pinned to a commit"
                );
            }
            let run = step["run"].as_str().unwrap_or_default();
            assert!(
                !run.contains("cargo install"),
                "{workflow} builds through the action"
            );
        }
    }

    // Nowhere in the docs or recipes does a branch name follow --rev.
    let mut files = vec![Path::new(ROOT).join("README.md")];
    for dir in ["docs", "examples/ci"] {
        let mut stack = vec![Path::new(ROOT).join(dir)];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    files.push(path);
                }
            }
        }
    }
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        for branch in ["main", "master", "HEAD"] {
            for bad in [format!("--rev {branch}"), format!("--rev \"{branch}\"")] {
                assert!(!text.contains(&bad), "{}: {bad}", file.display());
            }
            assert!(
                !text.contains(&format!("KEYSHARE_REV: {branch}")),
                "{}: KEYSHARE_REV: {branch}",
                file.display()
            );
        }
    }
}

#[test]
fn a_failing_keyshare_fails_the_step() {
    let sim = SimProcess::start(&[]);
    let ws = Workspace::new();
    std::fs::write(ws.config.join("broken.yaml"), "kind: [").unwrap();
    // A plan before the config broke leaves a comment that must not stay up.
    std::fs::create_dir_all(&ws.out).unwrap();
    std::fs::write(ws.out.join("comment-2.md"), "stale").unwrap();
    for step in [
        github_step("keyshare-plan.yml", "plan"),
        gitlab_job("keyshare-plan"),
    ] {
        ws.run(&sim, &step).code(1);
        let comment = ws.file("comment-1.md");
        assert!(
            comment
                .starts_with("<!-- keyshare:plan -->\n## ❌ keyshare plan failed\n\nplan failed: "),
            "{comment}"
        );
        assert!(comment.contains("broken.yaml"), "{comment}");
        assert_eq!(
            ws.file("comment.md"),
            comment,
            "the job summary says it too"
        );
        assert!(
            !ws.out.join("comment-2.md").exists(),
            "no stale part is left"
        );
    }
    for step in [
        github_step("keyshare-drift.yml", "drift"),
        gitlab_job("keyshare-drift"),
    ] {
        ws.run(&sim, &step).code(1);
        assert!(ws.file("drift.md").contains("drift check failed: "));
        assert!(
            !ws.out.join("drift").exists(),
            "the issue is left as it was"
        );
    }
    ws.run(&sim, &github_step("keyshare-apply.yml", "apply"))
        .code(1);
}

/// The steps that show a plan's result run when the plan failed too; otherwise the last
/// plan's comment (perhaps "no changes") would stay on the pull request.
#[test]
fn the_comment_and_summary_steps_run_when_keyshare_failed() {
    for workflow in WORKFLOWS {
        let yaml = read_yaml(&format!("examples/ci/github/{workflow}"));
        for step in github_steps(&yaml) {
            let name = step["name"].as_str().unwrap_or_default();
            if name == "Job summary" || name.contains("comment") {
                assert_eq!(step["if"].as_str(), Some("always()"), "{workflow}: {name}");
            }
        }
    }
    let gitlab = read_yaml("examples/ci/gitlab/.gitlab-ci.yml");
    assert!(
        gitlab["keyshare-plan"]["after_script"][0]
            .as_str()
            .is_some_and(|line| line.contains("mr-note.sh")),
        "GitLab runs after_script whether or not the script failed"
    );
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

/// A plan of 150 apps, which once took several comments, now fits one: the preview step
/// writes a single comment file, each app on one line, its header naming the commit and run
/// from GitHub's variables.
#[tokio::test]
async fn a_long_plan_fits_one_comment() {
    let sim = SimProcess::start(&["--synthetic-apps", "150", "--rate-limit-apps", "100000"]);
    let state = serde_json::to_value(sim.admin().state().await.unwrap()).unwrap();
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

    let mut step = github_step("keyshare-plan.yml", "plan");
    step.vars.extend(
        [
            ("GITHUB_SHA", "4f2c9e1d7b3a5f60718293a4b5c6d7e8f9012345"),
            ("GITHUB_SERVER_URL", "https://github.com"),
            ("GITHUB_REPOSITORY", "acme/okta-config"),
            ("GITHUB_RUN_ID", "77"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    ws.run(&sim, &step).success();
    assert!(!ws.out.join("comment-2.md").exists(), "one comment");
    let comment = ws.file("comment-1.md");
    assert!(comment.chars().count() <= 65_536);
    assert!(
        comment.contains(
            "commit `4f2c9e1` · [CI run](https://github.com/acme/okta-config/actions/runs/77)"
        ),
        "{comment}"
    );
    assert!(
        comment.contains("collapsed to one line per app"),
        "{comment}"
    );
    for id in &ids[1..] {
        assert!(
            comment.contains(&format!("(`{id}`): ➕ clone, 🔁 switch")),
            "{id}"
        );
    }
}

/// The composite action's cache key: its first step, run as GitHub would (from the action's
/// files, here the repository), names the runner image and a digest of exactly what the build
/// reads, the files the Dockerfile's build stage copies. A file missing from the digest would
/// let a changed keyshare reuse an old binary.
#[test]
fn the_action_keys_its_binary_on_what_the_build_reads() {
    let action = read_yaml("action.yml");
    assert_eq!(action["runs"]["using"], "composite");
    let steps = action["runs"]["steps"].as_sequence().unwrap();
    let rev = steps
        .iter()
        .find(|step| step["id"].as_str() == Some("rev"))
        .expect("the revision step");
    let script = rev["run"].as_str().unwrap();

    let dockerfile = std::fs::read_to_string(Path::new(ROOT).join("Dockerfile")).unwrap();
    let copied: Vec<&str> = dockerfile
        .lines()
        .filter(|line| line.starts_with("COPY ") && !line.contains("--from"))
        .flat_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            words[1..words.len() - 1].to_vec()
        })
        .collect();
    let digested: Vec<&str> = script
        .split_once("find ")
        .unwrap()
        .1
        .split(" -type")
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    for path in &copied {
        assert!(
            digested.contains(path),
            "the digest covers {path}: {script}"
        );
    }

    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("output");
    let run = |root: &Path| {
        std::fs::write(&output, "").unwrap();
        assert_cmd::Command::new("bash")
            .args(["-eo", "pipefail", "-c", script])
            .env("GITHUB_ACTION_PATH", root)
            .env("GITHUB_OUTPUT", &output)
            .env("ImageOS", "ubuntu24")
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .assert()
            .success();
        let written = std::fs::read_to_string(&output).unwrap();
        written
            .strip_prefix("key=")
            .expect("the step sets the output `key`")
            .trim()
            .to_owned()
    };
    let key = run(Path::new(ROOT));
    assert!(
        key.starts_with("keyshare-bin-ubuntu24-X64-") && key.len() == 42,
        "{key}"
    );

    // A copy of the build's files with one source changed gets another key.
    let copy = dir.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    for path in &copied {
        let copied = std::process::Command::new("cp")
            .args(["-r", path])
            .arg(&copy)
            .current_dir(ROOT)
            .status()
            .unwrap();
        assert!(copied.success());
    }
    assert_eq!(run(&copy), key, "the same files give the same key");
    std::fs::write(copy.join("src/lib.rs"), "// changed\n").unwrap();
    assert_ne!(run(&copy), key, "a changed source gives a new key");
}
