//! What the test areas share: the guide's org and token, a `keyshare sim` process, the real
//! `keyshare` binary run with an environment of its own, and the rigs of the areas that need
//! more (the executor, the controller, GitOps, the planner, recorded real orgs, reliability).
//!
//! Every spawned `keyshare` gets a home directory of the tests' own and none of the
//! developer's Okta settings ([`isolated`]): a `~/.okta/okta.yaml`, an `OKTA_CLIENT_*`
//! variable or a key cache of the person running the tests must never change what a test
//! sees, nor may a test write to them.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::LazyLock;

pub mod apply;
pub mod controller;
pub mod gitops;
pub mod plan;
pub mod real_okta;
pub mod reliability;
pub mod sim;
pub mod trace;

pub use sim::{
    SimProcess, generate_out_of_band, key_ids, keys_of, rename_app, signing_kid, switch_out_of_band,
};

/// The API token of every simulator the tests start.
pub const TOKEN: &str = "00sim-token";
/// The guide's two apps, as the default simulator org has them.
pub const APP1: &str = "0oa8ae1t5yev2ajDs0h7";
pub const APP2: &str = "0oa8ae0dv4RGQvjyZ0h7";

/// The guide's desired-state directory (`examples/desired-state`).
pub const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/desired-state");

/// The real `keyshare` binary, [`isolated`], pointed at no org.
pub fn keyshare_command() -> Command {
    isolated(env!("CARGO_BIN_EXE_keyshare"))
}

/// `program` (the `keyshare` binary, or a shell that runs it) with none of the developer's
/// settings: `HOME` is an empty directory of this test run (set `HOME` again to give a test
/// its own), and no `OKTA_*`, `XDG_CACHE_HOME`, `RUST_LOG` or CI variable is inherited.
pub fn isolated(program: impl AsRef<OsStr>) -> Command {
    static HOME: LazyLock<PathBuf> = LazyLock::new(|| {
        tempfile::Builder::new()
            .prefix("home-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .expect("a home directory for the test run")
            .keep()
    });
    let mut cmd = Command::new(program);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("OKTA_") {
            cmd.env_remove(name);
        }
    }
    cmd.env("HOME", &*HOME)
        .env_remove("XDG_CACHE_HOME")
        .env_remove("RUST_LOG");
    // What CI sets for the Markdown header: a test chooses it, never the CI it runs on.
    for var in [
        "GITHUB_SHA",
        "GITHUB_SERVER_URL",
        "GITHUB_REPOSITORY",
        "GITHUB_RUN_ID",
        "CI_COMMIT_SHA",
        "CI_JOB_URL",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// Writes `files` (relative path, contents) under `dir`.
pub fn write_files(dir: &Path, files: &[(&str, &str)]) {
    for (name, contents) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().expect("file has a parent")).expect("mkdir");
        std::fs::write(path, contents).expect("write file");
    }
}

/// Standard output and error of a finished command, as text.
pub fn outputs(assert: &assert_cmd::assert::Assert) -> (String, String) {
    let output = assert.get_output();
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The kids of an app's entry in the simulator's `/__sim/state` (`{"app": …, "keys": […]}`).
pub fn kids(entry: &serde_json::Value) -> std::collections::BTreeSet<String> {
    entry["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k["kid"].as_str().expect("kid").to_owned())
        .collect()
}
