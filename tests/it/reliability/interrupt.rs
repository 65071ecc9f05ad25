//! Ctrl-C and SIGTERM through the real binary: `keyshare apply --auto-approve` rotates the
//! five-app group while the simulator holds one write before it takes effect, and keyshare is
//! signalled while that write is parked.
//!
//! One signal: the step in flight finishes once the write is released, no later write is made,
//! keyshare exits 1 saying what ran and how to finish, and a re-run converges on one new key.
//! Two signals: keyshare exits 130 at once, still inside the held step, and a re-run converges
//! on one new key all the same. A signal once every step ran (only reads are left) ends
//! keyshare at once.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Child;
use tokio::sync::mpsc;

use crate::support::kids;
use crate::support::reliability::*;

const METADATA: &str = "/api/v1/apps/{appId}/sso/saml/metadata";

/// How long a signalled keyshare may take to answer.
const ANSWER_LIMIT: Duration = Duration::from_secs(30);

/// `keyshare apply --auto-approve` running against `rig`, its standard error read line by line.
struct Running {
    child: Child,
    stderr: mpsc::UnboundedReceiver<String>,
    seen: Vec<String>,
}

impl Running {
    fn start(rig: &Rig) -> Self {
        let mut child = rig
            .apply_command()
            .stderr(Stdio::piped())
            .spawn()
            .expect("keyshare starts");
        let mut lines = BufReader::new(child.stderr.take().expect("piped stderr")).lines();
        let (tx, stderr) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                let _ = tx.send(line);
            }
        });
        Self {
            child,
            stderr,
            seen: Vec::new(),
        }
    }

    /// Sends `signal` (`INT`, `TERM`) to this keyshare process only.
    fn signal(&self, signal: &str) {
        let pid = self.child.id().expect("keyshare still runs").to_string();
        let status = std::process::Command::new("kill")
            .args([format!("-{signal}"), pid])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal} failed");
    }

    /// Waits until keyshare prints a line containing `needle` on standard error.
    async fn wait_for_line(&mut self, needle: &str) {
        let found = tokio::time::timeout(ANSWER_LIMIT, async {
            while let Some(line) = self.stderr.recv().await {
                let hit = line.contains(needle);
                self.seen.push(line);
                if hit {
                    return true;
                }
            }
            false
        })
        .await;
        assert!(
            found == Ok(true),
            "no stderr line with {needle:?}; stderr so far:\n{}",
            self.seen.join("\n")
        );
    }

    /// Waits for keyshare to exit; returns its code and everything it printed on stderr.
    async fn exit(mut self) -> (Option<i32>, String) {
        let status = tokio::time::timeout(ANSWER_LIMIT, self.child.wait())
            .await
            .expect("keyshare exits after being signalled")
            .expect("keyshare runs");
        while let Some(line) = self.stderr.recv().await {
            self.seen.push(line);
        }
        let stderr = self.seen.join("\n");
        assert!(!stderr.contains("panicked"), "keyshare panicked:\n{stderr}");
        (status.code(), stderr)
    }
}

/// A request held before it takes effect, and the step it belongs to.
struct Held {
    name: &'static str,
    method: &'static str,
    route: &'static str,
    nth: u64,
    /// The 1-based step of the 10 (generate, 4 clones, 5 switches) that makes this write; for
    /// a read after the steps, 10.
    step: usize,
}

const HELD: [Held; 2] = [
    Held {
        name: "the second clone",
        method: "POST",
        route: CLONE,
        nth: 2,
        step: 3,
    },
    Held {
        name: "the second switch",
        method: "PUT",
        route: APP,
        nth: 2,
        step: 7,
    },
];

/// Starts an apply whose write `held` the simulator parks, and waits until it is parked.
async fn apply_held_at(rig: &Rig, held: &Held) -> Running {
    rig.add_faults(json!({"rules": [rule(held.method, held.route, held.nth, "hold", "before")]}))
        .await;
    let running = Running::start(rig);
    rig.wait_until_held().await;
    running
}

/// The writes that took effect, counted from `/__sim/state`: a key gained by an app (the
/// generate on the source, a clone on a member) and an app signing with another key.
async fn writes_in_effect(rig: &Rig) -> usize {
    let after = rig.apps().await;
    after
        .iter()
        .map(|(id, now)| {
            let before: &Value = &rig.before[id];
            let gained = kids(now).difference(&kids(before)).count();
            let switched = usize::from(
                now["app"]["credentials"]["signing"]["kid"]
                    != before["app"]["credentials"]["signing"]["kid"],
            );
            gained + switched
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_interrupt_finishes_the_step_in_flight_then_stops() {
    for held in &HELD {
        let context = format!("SIGINT while {} is held", held.name);
        let rig = Rig::start(&[]).await;
        let mut running = apply_held_at(&rig, held).await;

        running.signal("INT");
        running
            .wait_for_line(&format!(
                "Interrupt received: finishing step {}/10",
                held.step
            ))
            .await;
        rig.clear_faults().await;
        let (code, stderr) = running.exit().await;

        assert_eq!(code, Some(1), "{context}: exit code\n{stderr}");
        for said in [
            "Press Ctrl-C again to stop at once (safe: a re-run resumes)",
            &format!("apply interrupted after step {} of 10", held.step),
            "Okta is part-way through the plan",
            "Run `keyshare apply` again to finish",
        ] {
            assert!(stderr.contains(said), "{context}: says {said:?}:\n{stderr}");
        }
        assert_eq!(
            writes_in_effect(&rig).await,
            held.step,
            "{context}: the held write took effect, and no later one"
        );
        assert_eq!(
            rig.stats().await["writes"],
            held.step,
            "{context}: no write after the step in flight"
        );

        rig.apply()
            .await
            .expect_code(0, &format!("{context}, re-run"));
        rig.assert_converged_with_one_new_key(&context).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_stops_at_once_and_a_rerun_converges() {
    let held = &HELD[0];
    let rig = Rig::start(&[]).await;
    let mut running = apply_held_at(&rig, held).await;

    running.signal("INT");
    running.wait_for_line("Interrupt received").await;
    running.signal("TERM");
    let (code, stderr) = running.exit().await;

    assert_eq!(code, Some(130), "exit code\n{stderr}");
    for said in [
        "Stopping at once during step 3/10",
        "it may or may not have taken effect; every step before it did",
        "Run `keyshare apply` again to finish",
    ] {
        assert!(stderr.contains(said), "says {said:?}:\n{stderr}");
    }
    assert_eq!(
        writes_in_effect(&rig).await,
        held.step - 1,
        "the held write had not taken effect when keyshare ended"
    );

    rig.clear_faults().await;
    rig.apply().await.expect_code(0, "re-run");
    rig.assert_converged_with_one_new_key("two signals").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signal_after_the_last_step_stops_the_checks_at_once() {
    let rig = Rig::start(&[]).await;
    // Only the check after the steps reads the SAML metadata.
    let held = Held {
        name: "the first metadata read",
        method: "GET",
        route: METADATA,
        nth: 1,
        step: rotation_writes().len(),
    };
    let running = apply_held_at(&rig, &held).await;

    running.signal("INT");
    let (code, stderr) = running.exit().await;

    assert_eq!(code, Some(130), "exit code\n{stderr}");
    assert!(
        stderr.contains("Stopping at once after the steps: every step that ran took effect"),
        "{stderr}"
    );
    assert!(!stderr.contains("Interrupt received"), "{stderr}");
    assert_eq!(writes_in_effect(&rig).await, held.step, "{}", held.name);
    rig.clear_faults().await;
    rig.assert_converged_with_one_new_key("a signal during the checks")
        .await;
}
