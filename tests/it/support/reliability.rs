//! Shared rig of the reliability tests: a `keyshare sim` process seeded with one five-app group
//! whose source key expires inside `rotateBefore` (so applying generates one key, clones it four
//! times and switches five apps), or with a seed and desired state of a test's own, the real
//! `keyshare` binary run against it with a time limit, the simulator's `/__sim/` routes, and the
//! invariants every test checks afterwards.
//!
//! It never changes the org through keyshare's own client: what is checked comes from
//! `/__sim/state`, so a bug shared by keyshare's client and its checks cannot hide.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use okta_sim::admin::{AdminClient, FaultUpdate};
use serde_json::{Value, json};
use tempfile::TempDir;

use super::{SimProcess, kids};

pub const SOURCE: &str = "0oarelsource00000001";
pub const MEMBERS: [&str; 4] = [
    "0oarelmember00000001",
    "0oarelmember00000002",
    "0oarelmember00000003",
    "0oarelmember00000004",
];
pub const GROUP: &str = "finance";

pub const GENERATE: &str = "/api/v1/apps/{appId}/credentials/keys/generate";
pub const CLONE: &str = "/api/v1/apps/{appId}/credentials/keys/{keyId}/clone";
pub const APP: &str = "/api/v1/apps/{appId}";

/// Every run of the binary ends within this, or the test fails (a hang is a bug).
pub const RUN_LIMIT: Duration = Duration::from_secs(90);

/// The seed: five SAML apps, each with a key of its own; the source's expires in 20 days.
fn seed() -> String {
    let mut seed = format!(
        "org: rel\napps:\n  - id: {SOURCE}\n    label: Source\n    keys:\n      - created: -2y+20d\n        expiresAt: +20d\n"
    );
    for (i, member) in MEMBERS.iter().enumerate() {
        seed.push_str(&format!(
            "  - id: {member}\n    label: Member {n}\n    settings:\n      signOn: {{ssoAcsUrl: https://m{n}.example.com/saml/acs}}\n",
            n = i + 1
        ));
    }
    seed
}

/// The desired state: the five apps share one key, rotated 30 days before it expires.
pub fn desired_yaml() -> String {
    let members: String = MEMBERS.iter().map(|m| format!("    - {m}\n")).collect();
    format!(
        "apiVersion: keyshare/v1\nkind: SigningKeyGroup\nmetadata:\n  name: {GROUP}\nspec:\n  source: {SOURCE}\n  members:\n{members}  key:\n    validityYears: 2\n    rotateBefore: 30d\n"
    )
}

/// A simulator process with the five-app org, and a directory holding the desired state.
pub struct Rig {
    pub sim: SimProcess,
    pub dir: TempDir,
    admin: AdminClient,
    /// `/__sim/state` before anything ran, by app id.
    pub before: BTreeMap<String, Value>,
}

impl Rig {
    /// Starts `keyshare sim --seed … EXTRA…` on 127.0.0.1:0 with the rotation's org and desired
    /// state, and records the org's first state.
    pub async fn start(extra: &[&str]) -> Self {
        Self::start_with(&seed(), &desired_yaml(), extra).await
    }

    /// As [`Rig::start`], with the seed file `seed` and the desired state `desired` (the group
    /// [`GROUP`]); for scenarios other than the rotation, over the same apps.
    pub async fn start_with(seed: &str, desired: &str, extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("desired")).unwrap();
        std::fs::write(dir.path().join(format!("desired/{GROUP}.yaml")), desired).unwrap();
        let sim = SimProcess::with_seed(seed, extra);
        let mut rig = Self {
            admin: sim.admin(),
            sim,
            dir,
            before: BTreeMap::new(),
        };
        rig.before = rig.apps().await;
        rig
    }

    pub fn desired(&self) -> PathBuf {
        self.dir.path().join("desired")
    }

    /// The `keyshare` binary pointed at this org, not yet started.
    pub fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::from(self.sim.command());
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        cmd
    }

    /// `keyshare apply DESIRED --auto-approve`, not yet started.
    pub fn apply_command(&self) -> tokio::process::Command {
        let desired = self.desired();
        self.command(&["apply", desired.to_str().unwrap(), "--auto-approve"])
    }

    /// Runs `keyshare apply --auto-approve` to its end (within [`RUN_LIMIT`]).
    pub async fn apply(&self) -> Run {
        Run::finish(self.apply_command()).await
    }

    /// Adds fault rules (`POST /__sim/faults`, given in its JSON); the faults now in force.
    pub async fn add_faults(&self, update: Value) -> Value {
        let update: FaultUpdate = serde_json::from_value(update).expect("a fault update");
        let faults = self
            .admin
            .add_faults(&update)
            .await
            .expect("faults accepted");
        serde_json::to_value(faults).unwrap()
    }

    /// Removes every fault and releases held requests.
    pub async fn clear_faults(&self) {
        self.admin.clear_faults().await.expect("faults cleared");
    }

    pub async fn release(&self) {
        self.admin.release().await.expect("held requests released");
    }

    pub async fn stats(&self) -> Value {
        serde_json::to_value(self.admin.stats().await.expect("stats")).unwrap()
    }

    /// Waits until the simulator holds at least one request (a client reached the step).
    pub async fn wait_until_held(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let faults = self.admin.faults().await.expect("faults");
            if faults.held > 0 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "no request was held within 60 s: {faults:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Every app of `/__sim/state` (the app and its keys), by id.
    pub async fn apps(&self) -> BTreeMap<String, Value> {
        let state = self.admin.state().await.expect("the org's state");
        state
            .apps
            .into_iter()
            .map(|a| (a.id().to_owned(), serde_json::to_value(a).unwrap()))
            .collect()
    }

    /// Asserts the org converged on exactly one new key: the source holds its old keys plus one,
    /// every app holds its old keys plus that one and signs with it, and nothing else of any app
    /// changed but `credentials.signing` and `lastUpdated`. Returns the new kid.
    pub async fn assert_converged_with_one_new_key(&self, context: &str) -> String {
        let after = self.apps().await;
        let new_on_source: Vec<String> = kids(&after[SOURCE])
            .difference(&kids(&self.before[SOURCE]))
            .cloned()
            .collect();
        assert_eq!(
            new_on_source.len(),
            1,
            "{context}: exactly one key generated on the source, got {new_on_source:?}"
        );
        let new = new_on_source[0].clone();
        for id in std::iter::once(SOURCE).chain(MEMBERS) {
            let mut expected = kids(&self.before[id]);
            expected.insert(new.clone());
            assert_eq!(
                kids(&after[id]),
                expected,
                "{context}: {id} keeps its keys and gains only the new one"
            );
            assert_eq!(
                after[id]["app"]["credentials"]["signing"]["kid"], new,
                "{context}: {id} signs with the new key"
            );
            assert_eq!(
                without_signing(&after[id]["app"]),
                without_signing(&self.before[id]["app"]),
                "{context}: {id} changed only in credentials.signing and lastUpdated"
            );
        }
        new
    }
}

/// An app's JSON without what a switch may change.
pub fn without_signing(app: &Value) -> Value {
    let mut app = app.clone();
    app.as_object_mut().unwrap().remove("lastUpdated");
    app["credentials"]
        .as_object_mut()
        .expect("credentials")
        .remove("signing");
    app
}

/// A finished run of the binary.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Waits for `cmd` within [`RUN_LIMIT`]; a run that takes longer is killed and fails the test.
    pub async fn finish(mut cmd: tokio::process::Command) -> Self {
        let child = cmd.spawn().expect("keyshare starts");
        let output: Output = tokio::time::timeout(RUN_LIMIT, child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("keyshare did not end within {RUN_LIMIT:?}: {cmd:?}"))
            .expect("keyshare runs");
        let run = Self {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        assert!(
            !run.stderr.contains("panicked"),
            "keyshare panicked:\n{}",
            run.stderr
        );
        run
    }

    /// Panics unless the run exited with `code`, showing what it printed.
    pub fn expect_code(&self, code: i32, context: &str) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "{context}: exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }
}

/// A fault rule for `POST /__sim/faults`.
pub fn rule(method: &str, route: &str, nth: u64, action: &str, when: &str) -> Value {
    json!({"method": method, "route": route, "nth": nth, "action": action, "when": when})
}

/// The writes of the rotation in the order keyshare makes them: (method, route, nth).
pub fn rotation_writes() -> Vec<(&'static str, &'static str, u64)> {
    let mut writes = vec![("POST", GENERATE, 1)];
    writes.extend((1..=4).map(|n| ("POST", CLONE, n)));
    writes.extend((1..=5).map(|n| ("PUT", APP, n)));
    writes
}

/// At most this many runs of apply in [`apply_until_converged`] of apply per case; each run past the first must be justified by a
/// clear message of the one before.
pub const MAX_RUNS: usize = 6;

/// Applies until a run exits 0. Every failed run must exit 1 with a message that says where it
/// stopped and what to do. Returns the number of runs and the faults the simulator injected.
pub async fn apply_until_converged(rig: &Rig, context: &str) -> (usize, u64) {
    for attempt in 1..=MAX_RUNS {
        let run = rig.apply().await;
        if run.code == Some(0) {
            rig.assert_converged_with_one_new_key(context).await;
            let stats = rig.stats().await;
            let injected = stats["faultsInjected"].as_u64().unwrap()
                + stats["rateLimited"].as_u64().unwrap()
                + stats["concurrencyLimited"].as_u64().unwrap();
            eprintln!("{context}: converged in {attempt} run(s); faults injected: {injected}");
            return (attempt, injected);
        }
        run.expect_code(1, context);
        assert_clear_stop(&run.stderr, context);
    }
    panic!("{context}: no convergence in {MAX_RUNS} runs");
}

/// A stop is clear when it says what failed and that running again resumes or what to do.
pub fn assert_clear_stop(stderr: &str, context: &str) {
    let lower = stderr.to_lowercase();
    assert!(
        lower.contains("error"),
        "{context}: an error is reported:\n{stderr}"
    );
    assert!(
        lower.contains("again") || lower.contains("retry") || lower.contains("check"),
        "{context}: the message says what to do:\n{stderr}"
    );
}

/// Starts an org with `extra` simulator flags and `faults`, then applies until converged.
pub async fn converges_under(extra: &[&str], faults: Option<Value>, context: &str) -> u64 {
    let rig = Rig::start(extra).await;
    if let Some(faults) = faults {
        rig.add_faults(faults).await;
    }
    let (_, injected) = apply_until_converged(&rig, context).await;
    injected
}
