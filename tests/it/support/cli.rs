//! Shared helpers of the CLI tests: a `keyshare sim` process on 127.0.0.1:0 and the
//! `keyshare` binary pointed at it.

#![allow(dead_code)] // each test file uses a different subset of these helpers

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use okta_sim::admin::AdminClient;
use serde_json::Value;

pub const TOKEN: &str = "00sim-token";
pub const APP1: &str = "0oa8ae1t5yev2ajDs0h7";
pub const APP2: &str = "0oa8ae0dv4RGQvjyZ0h7";

/// A `keyshare sim` child process, killed when dropped.
pub struct SimProcess {
    child: Child,
    pub base_url: String,
    /// The key cache and apply lock of the commands run against this org, so that tests
    /// never touch the user's cache and start cold.
    cache: tempfile::TempDir,
}

impl SimProcess {
    /// Starts `keyshare sim --addr 127.0.0.1:0 EXTRA…` and waits for its `listening on` line.
    pub fn start(extra: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_keyshare"))
            .args(["sim", "--addr", "127.0.0.1:0", "--token", TOKEN])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("keyshare sim starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut first = String::new();
        BufReader::new(stdout)
            .read_line(&mut first)
            .expect("keyshare sim prints its address");
        let base_url = first
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line of keyshare sim: {first:?}"))
            .to_owned();
        Self {
            child,
            base_url,
            cache: tempfile::tempdir().expect("a temporary cache directory"),
        }
    }

    /// The `keyshare` binary with this org's URL and token in its environment.
    pub fn keyshare(&self) -> assert_cmd::Command {
        let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_keyshare"));
        cmd.env("OKTA_CLIENT_ORGURL", &self.base_url)
            .env("OKTA_CLIENT_TOKEN", TOKEN)
            .env("NO_COLOR", "1")
            .env("KEYSHARE_KEY_CACHE", self.cache.path())
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

    /// The directory of this org's key cache and apply lock.
    pub fn cache_dir(&self) -> &Path {
        self.cache.path()
    }

    /// `GET path` with the token, as JSON; panics unless Okta answers 200.
    /// The typed client of its `/__sim/` routes.
    pub fn admin(&self) -> AdminClient {
        AdminClient::new(&self.base_url)
    }

    pub async fn get(&self, path: &str) -> Value {
        let response = reqwest::Client::new()
            .get(format!("{}{path}", self.base_url))
            .header("Authorization", format!("SSWS {TOKEN}"))
            .send()
            .await
            .expect("request reaches the simulator");
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.expect("JSON body")
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes `files` (relative path, contents) under `dir`.
pub fn write_files(dir: &Path, files: &[(&str, &str)]) {
    for (name, contents) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().expect("file has a parent")).expect("mkdir");
        std::fs::write(path, contents).expect("write file");
    }
}
