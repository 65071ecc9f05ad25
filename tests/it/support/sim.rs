//! A `keyshare sim` process on 127.0.0.1:0, the `keyshare` binary pointed at it, and what a
//! test reads from or changes in the org through Okta's API, as another admin would.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use okta_sim::admin::AdminClient;
use serde_json::Value;

use super::{TOKEN, isolated};

/// A `keyshare sim` child process, killed when dropped.
pub struct SimProcess {
    child: Child,
    pub base_url: String,
    /// The home directory, key cache and apply lock of the commands run against this org (and
    /// its seed file), so that tests never touch the user's files and start cold.
    scratch: tempfile::TempDir,
    cache: PathBuf,
}

impl SimProcess {
    /// The typed client of its `/__sim/` routes.
    pub fn admin(&self) -> AdminClient {
        AdminClient::new(&self.base_url)
    }

    /// Starts `keyshare sim --addr 127.0.0.1:0 EXTRA…` and waits for its `listening on` line.
    pub fn start(extra: &[&str]) -> Self {
        Self::start_in(tempfile::tempdir().expect("a temporary directory"), extra)
    }

    /// Starts a simulator seeded with `seed` (the YAML of `keyshare sim --seed`) and `extra`.
    pub fn with_seed(seed: &str, extra: &[&str]) -> Self {
        let scratch = tempfile::tempdir().expect("a temporary directory");
        let path = scratch.path().join("seed.yaml");
        std::fs::write(&path, seed).expect("write seed");
        let seed_arg = ["--seed", path.to_str().expect("utf-8 path")];
        Self::start_in(scratch, &[&seed_arg[..], extra].concat())
    }

    fn start_in(scratch: tempfile::TempDir, extra: &[&str]) -> Self {
        let mut child = isolated(env!("CARGO_BIN_EXE_keyshare"))
            .args(["sim", "--addr", "127.0.0.1:0", "--token", TOKEN])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("keyshare sim starts");
        // Read on a thread of its own so that a simulator that never says where it listens
        // fails the test instead of hanging it.
        let stdout = child.stdout.take().expect("piped stdout");
        let (sender, first_line) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut first = String::new();
            let read = BufReader::new(stdout).read_line(&mut first);
            let _ = sender.send(read.map(|_| first));
        });
        let first = first_line
            .recv_timeout(Duration::from_secs(30))
            .expect("keyshare sim prints its address within 30 s")
            .expect("keyshare sim prints its address");
        let base_url = first
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line of keyshare sim: {first:?}"))
            .to_owned();
        let cache = scratch.path().join("cache");
        std::fs::create_dir(&cache).expect("a key cache directory");
        std::fs::create_dir(scratch.path().join("home")).expect("a home directory");
        Self {
            child,
            base_url,
            scratch,
            cache,
        }
    }

    /// The `keyshare` binary with this org's URL and token in its environment.
    pub fn keyshare(&self) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.command())
    }

    /// [`Self::keyshare`] as a plain command, for tests that start it themselves.
    pub fn command(&self) -> Command {
        self.command_of(env!("CARGO_BIN_EXE_keyshare"))
    }

    /// `program` (the binary, or a shell that execs it) with the environment of
    /// [`Self::keyshare`]: [`isolated`], this org's URL and token, its home and key cache.
    pub fn command_of(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = isolated(program);
        cmd.env("OKTA_CLIENT_ORGURL", &self.base_url)
            .env("OKTA_CLIENT_TOKEN", TOKEN)
            .env("NO_COLOR", "1")
            .env("HOME", self.scratch.path().join("home"))
            .env("KEYSHARE_KEY_CACHE", self.cache_dir());
        cmd
    }

    /// The directory of this org's key cache and apply lock.
    pub fn cache_dir(&self) -> &Path {
        &self.cache
    }

    /// `GET path` with the token, as JSON; panics unless Okta answers 200.
    pub async fn get(&self, path: &str) -> Value {
        let (status, body) = self.call(reqwest::Method::GET, path, None).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// A request with the token; returns the status and the JSON body (null when empty).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut request = reqwest::Client::new()
            .request(method.clone(), format!("{}{path}", self.base_url))
            .header("Authorization", format!("SSWS {TOKEN}"));
        if let Some(body) = body {
            request = request.json(body);
        } else if method == reqwest::Method::POST {
            request = request.header("Content-Length", "0");
        }
        let response = request.send().await.expect("request reaches the simulator");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Changes app `id` behind keyshare's back: GET, `change`, PUT the whole object back (as
    /// the Admin Console does); panics unless the PUT succeeds.
    pub async fn change_app(&self, id: &str, change: impl FnOnce(&mut Value)) {
        let path = format!("/api/v1/apps/{id}");
        let mut app = self.get(&path).await;
        change(&mut app);
        let (status, answer) = self.call(reqwest::Method::PUT, &path, Some(&app)).await;
        assert_eq!(status, 200, "out-of-band PUT of app {id}: {answer}");
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Changes an app's label behind keyshare's back.
pub async fn rename_app(sim: &SimProcess, id: &str, label: &str) {
    sim.change_app(id, |app| app["label"] = Value::from(label))
        .await;
}

/// Makes `app` sign with `kid` behind keyshare's back.
pub async fn switch_out_of_band(sim: &SimProcess, app: &str, kid: &str) {
    sim.change_app(app, |body| {
        body["credentials"]["signing"]["kid"] = Value::from(kid);
    })
    .await;
}

/// Generates a 2-year key on `app` behind keyshare's back; returns its kid.
pub async fn generate_out_of_band(sim: &SimProcess, app: &str) -> String {
    let path = format!("/api/v1/apps/{app}/credentials/keys/generate?validityYears=2");
    let (status, key) = sim.call(reqwest::Method::POST, &path, None).await;
    assert_eq!(status, 201, "out-of-band generate on {app}: {key}");
    key["kid"].as_str().expect("the new key's kid").to_owned()
}

/// The kid `app` signs with now.
pub async fn signing_kid(sim: &SimProcess, app: &str) -> String {
    sim.get(&format!("/api/v1/apps/{app}")).await["credentials"]["signing"]["kid"]
        .as_str()
        .expect("the app signs with a key")
        .to_owned()
}

/// The kids `app` holds.
pub async fn key_ids(sim: &SimProcess, app: &str) -> Vec<String> {
    sim.get(&format!("/api/v1/apps/{app}/credentials/keys"))
        .await
        .as_array()
        .expect("a key list")
        .iter()
        .map(|k| k["kid"].as_str().expect("kid").to_owned())
        .collect()
}

/// The kids an app holds and the one it signs with.
pub async fn keys_of(sim: &SimProcess, app: &str) -> (Vec<String>, String) {
    (key_ids(sim, app).await, signing_kid(sim, app).await)
}
