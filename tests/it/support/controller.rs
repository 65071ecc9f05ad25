//! Shared helpers of the controller tests: a `keyshare watch` process with JSON logs pointed at
//! a [`SimProcess`], the guide's group as YAML, a webhook receiver, and the simulator's
//! `/__sim/` routes.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{APP1, APP2, SimProcess};

/// How long a test waits for what should take a second or two. Generous, so that a loaded
/// machine (a CI runner compiling beside the tests) only slows a test down and never fails
/// it; every wait returns as soon as its condition holds.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// One group sharing the guide's two apps' key; `rotate_before` goes into the key policy.
pub fn group_yaml(name: &str, key_policy: &str) -> String {
    format!(
        "apiVersion: keyshare/v1\nkind: SigningKeyGroup\nmetadata:\n  name: {name}\nspec:\n  source: {}\n  members:\n    - {}\n  key:\n{key_policy}",
        APP1, APP2
    )
}

/// The guide's key policy.
pub const GUIDE_POLICY: &str = "    validityYears: 2\n    rotateBefore: 30d\n";

/// Writes `contents` to `path` the way editors do: a temporary file, then a rename over it.
pub fn write_like_an_editor(path: &Path, contents: &str) {
    let temp = path.with_extension("yaml.swp");
    std::fs::write(&temp, contents).expect("write the temporary file");
    std::fs::rename(&temp, path).expect("rename over the file");
}

/// A `keyshare watch` child process; killed when dropped.
pub struct WatchProcess {
    child: Child,
    logs: Arc<Mutex<Vec<Value>>>,
    /// The base URL of its metrics listener.
    pub base_url: String,
}

impl WatchProcess {
    /// Starts `keyshare watch DIR --log-format json --listen 127.0.0.1:0 EXTRA…` against `sim`,
    /// sharing the apply lock of `sim.keyshare()`, and waits for its start line.
    pub async fn start(sim: &SimProcess, dir: &Path, extra: &[&str]) -> Self {
        Self::start_in(sim.command(), dir, extra).await
    }

    /// Like [`Self::start`], with at most `fds` open file descriptors (`ulimit -n`).
    pub async fn start_with_fd_limit(
        sim: &SimProcess,
        dir: &Path,
        extra: &[&str],
        fds: u32,
    ) -> Self {
        let mut shell = sim.command_of("sh");
        shell
            .arg("-c")
            .arg(format!("ulimit -n {fds} && exec \"$0\" \"$@\""))
            .arg(env!("CARGO_BIN_EXE_keyshare"));
        Self::start_in(shell, dir, extra).await
    }

    /// `command` is `keyshare`, or a shell that execs it, in the environment of
    /// [`SimProcess::command_of`].
    async fn start_in(mut command: Command, dir: &Path, extra: &[&str]) -> Self {
        let mut child = command
            .arg("watch")
            .arg(dir)
            .args([
                "--log-format",
                "json",
                "--listen",
                "127.0.0.1:0",
                "--debounce",
                "200ms",
            ])
            .args(extra)
            .env("RUST_LOG", "keyshare=info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("keyshare watch starts");
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        let stderr = child.stderr.take().expect("piped stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let event = serde_json::from_str(&line)
                    .unwrap_or_else(|_| panic!("a log line that is not JSON: {line}"));
                sink.lock().unwrap().push(event);
            }
        });
        let mut watch = Self {
            child,
            logs,
            base_url: String::new(),
        };
        let started = watch.wait_log(0, "keyshare watch started", PATIENCE).await;
        watch.base_url = format!("http://{}", started["fields"]["addr"].as_str().unwrap());
        watch
    }

    /// How many log lines have arrived; pass it to [`Self::wait_log`] to see only later ones.
    pub fn mark(&self) -> usize {
        self.logs.lock().unwrap().len()
    }

    /// Waits for a log line after `since` whose message is `message`; panics after `within`.
    pub async fn wait_log(&self, since: usize, message: &str, within: Duration) -> Value {
        self.wait_log_where(since, within, |event| message_of(event) == message)
            .await
    }

    /// Waits until `count` log lines say `message`; panics after `within`.
    pub async fn wait_log_count(&self, message: &str, count: usize, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let seen = self
                .logs
                .lock()
                .unwrap()
                .iter()
                .filter(|e| message_of(e) == message)
                .count();
            if seen >= count {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "not {count} × {message} within {within:?}; logs:\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for a log line after `since` that `matches`; panics after `within`.
    pub async fn wait_log_where(
        &self,
        since: usize,
        within: Duration,
        matches: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + within;
        loop {
            if let Some(found) = self
                .logs
                .lock()
                .unwrap()
                .iter()
                .skip(since)
                .find(|e| matches(e))
            {
                return found.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no such log line within {within:?}; logs:\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Every log line so far, for failure messages.
    pub fn log_text(&self) -> String {
        let logs = self.logs.lock().unwrap();
        logs.iter().map(|e| format!("{e}\n")).collect()
    }

    /// `GET path` on the metrics listener: status and body; panics when no answer comes
    /// within [`PATIENCE`].
    pub async fn get(&self, path: &str) -> (u16, String) {
        let response = reqwest::Client::builder()
            .timeout(PATIENCE)
            .build()
            .unwrap()
            .get(format!("{}{path}", self.base_url))
            .send()
            .await
            .unwrap_or_else(|e| panic!("the listener does not answer GET {path}: {e}"));
        let status = response.status().as_u16();
        (status, response.text().await.expect("a text body"))
    }

    /// Polls `GET path` until its status is `status`; panics after `within`.
    pub async fn wait_status(&self, path: &str, status: u16, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            let (got, body) = self.get(path).await;
            if got == status {
                return body;
            }
            assert!(Instant::now() < deadline, "{path} stayed {got}: {body}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Sends SIGTERM, as Kubernetes does when it stops a pod.
    pub fn terminate(&self) {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill -TERM failed");
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }

    /// Waits for the process to exit; panics after `within`.
    pub async fn wait_exit(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "watch did not exit; logs:\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for WatchProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The message of a JSON log line.
pub fn message_of(event: &Value) -> &str {
    event["fields"]["message"].as_str().unwrap_or_default()
}

/// A local webhook receiver that keeps every JSON body posted to it.
pub struct Receiver {
    pub url: String,
    received: Arc<Mutex<Vec<Value>>>,
}

impl Receiver {
    /// Binds 127.0.0.1:0 and serves until the test ends.
    pub async fn start() -> Self {
        let received = Arc::new(Mutex::new(Vec::new()));
        let sink = received.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |axum::Json(body): axum::Json<Value>| async move {
                sink.lock().unwrap().push(body);
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, received }
    }

    /// The events received so far, as `event` names.
    pub fn events(&self) -> Vec<String> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .map(|e| e["event"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// The bodies received so far.
    pub fn bodies(&self) -> Vec<Value> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until `event` has arrived; panics after `within`.
    pub async fn wait_for(&self, event: &str, within: Duration) {
        self.wait_for_count(event, 1, within).await;
    }

    /// Waits until `event` has arrived `count` times; panics after `within`.
    pub async fn wait_for_count(&self, event: &str, count: usize, within: Duration) {
        let deadline = Instant::now() + within;
        while self.events().iter().filter(|e| *e == event).count() < count {
            assert!(
                Instant::now() < deadline,
                "not {count} × {event} within {within:?}; got {:?}",
                self.events()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
