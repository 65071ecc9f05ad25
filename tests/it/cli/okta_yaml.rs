//! The Okta SDKs' configuration files: `okta.client.*` from `./.okta.yaml` and
//! `~/.okta/okta.yaml`, with flags over environment over the project's file over the user's.

use std::path::Path;

use crate::support::{EXAMPLE, SimProcess, TOKEN, write_files};

/// An org URL nothing listens on: a setting that loses must never be the one used.
const NOWHERE: &str = "http://127.0.0.1:9";

fn okta_yaml(org: &str) -> String {
    format!("okta:\n  client:\n    orgUrl: {org}\n    token: {TOKEN}\n    connectionTimeout: 30\n")
}

/// `keyshare plan EXAMPLE` in `cwd` with `home` as the home directory and no `OKTA_CLIENT_*`.
fn plan(sim: &SimProcess, cwd: &Path, home: &Path) -> assert_cmd::Command {
    let mut cmd = sim.keyshare();
    cmd.current_dir(cwd)
        .env("HOME", home)
        .env_remove("OKTA_CLIENT_ORGURL")
        .env_remove("OKTA_CLIENT_TOKEN")
        .args(["plan", EXAMPLE]);
    cmd
}

#[test]
fn the_users_file_is_read_and_the_projects_file_wins_over_it() {
    let sim = SimProcess::start(&[]);
    let home = tempfile::tempdir().expect("home");
    let project = tempfile::tempdir().expect("project");
    write_files(
        home.path(),
        &[(".okta/okta.yaml", &okta_yaml(&sim.base_url))],
    );
    plan(&sim, project.path(), home.path()).assert().code(2);

    write_files(home.path(), &[(".okta/okta.yaml", &okta_yaml(NOWHERE))]);
    write_files(project.path(), &[(".okta.yaml", &okta_yaml(&sim.base_url))]);
    plan(&sim, project.path(), home.path()).assert().code(2);
}

#[test]
fn the_environment_and_flags_win_over_the_files() {
    let sim = SimProcess::start(&[]);
    let home = tempfile::tempdir().expect("home");
    let project = tempfile::tempdir().expect("project");
    write_files(project.path(), &[(".okta.yaml", &okta_yaml(NOWHERE))]);
    plan(&sim, project.path(), home.path())
        .env("OKTA_CLIENT_ORGURL", &sim.base_url)
        .assert()
        .code(2);
    plan(&sim, project.path(), home.path())
        .args(["--org-url", &sim.base_url])
        .env("OKTA_CLIENT_ORGURL", NOWHERE)
        .assert()
        .code(2);
}

#[test]
fn a_broken_file_is_named_not_skipped() {
    let sim = SimProcess::start(&[]);
    let home = tempfile::tempdir().expect("home");
    let project = tempfile::tempdir().expect("project");
    write_files(
        project.path(),
        &[(
            ".okta.yaml",
            "okta:\n  client:\n    authorizationMode: Basic\n",
        )],
    );
    let assert = plan(&sim, project.path(), home.path()).assert().code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr);
    assert_eq!(
        stderr.trim_end(),
        "error: cannot read the Okta SDK configuration file .okta.yaml: okta.client.authorizationMode: expected SSWS or PrivateKey; set --authorization-mode or OKTA_CLIENT_AUTHORIZATIONMODE to one of them; fix it or move it away (keyshare reads okta.client.* from ./.okta.yaml and ~/.okta/okta.yaml)"
    );
}
