//! Hostile local I/O through the real binary: paths that name something other than a regular
//! file, files that never end, streams closed by the reader, and credentials in the org URL.
//! Each case ends with exit 0 or 1 and a message, never a panic (exit 101), a hang or harm to
//! what the path named.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::{FileTypeExt, symlink};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{EXAMPLE, SimProcess, keyshare_command, outputs};

/// The most any one run of the binary may take here; a hang fails the test.
const LIMIT: Duration = Duration::from_secs(60);

fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo {}", path.display());
}

#[test]
fn plan_out_never_replaces_a_fifo_or_a_device() {
    let sim = SimProcess::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("plan.fifo");
    mkfifo(&fifo);
    let to_null = dir.path().join("plan.json");
    symlink("/dev/null", &to_null).unwrap();

    for (path, kind) in [
        (&fifo, "a named pipe (FIFO)"),
        (&to_null, "a character device"),
    ] {
        let refused = sim
            .keyshare()
            .args(["plan", EXAMPLE, "--out"])
            .arg(path)
            .timeout(LIMIT)
            .assert()
            .code(1);
        let (_, stderr) = outputs(&refused);
        assert!(
            stderr.contains(&format!("cannot write the plan file {}", path.display()))
                && stderr.contains(&format!("it is {kind}, not a regular file")),
            "{stderr}"
        );
    }
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    assert!(std::fs::symlink_metadata(&to_null).unwrap().is_symlink());
    assert_eq!(
        std::fs::read_link(&to_null).unwrap(),
        Path::new("/dev/null")
    );
}

#[test]
fn key_and_ca_files_that_never_end_are_refused_at_a_cap() {
    let run = |args: &[&str]| {
        let refused = assert_cmd::Command::from_std(keyshare_command())
            .args(["keys", "--all", "--no-key-cache"])
            .args(args)
            .env("OKTA_CLIENT_ORGURL", "http://127.0.0.1:9")
            .env("OKTA_CLIENT_TOKEN", "00token")
            .timeout(LIMIT)
            .assert()
            .code(1);
        outputs(&refused).1
    };
    let stderr = run(&["--ca-cert", "/dev/zero"]);
    assert!(
        stderr.contains("the CA certificate /dev/zero (--ca-cert) is not usable")
            && stderr.contains("more than 4194304 bytes"),
        "{stderr}"
    );
    let stderr = run(&[
        "--authorization-mode",
        "PrivateKey",
        "--client-id",
        "0oaservice",
        "--private-key",
        "/dev/zero",
    ]);
    assert!(
        stderr.contains(
            "cannot read the private key (--private-key / OKTA_CLIENT_PRIVATEKEY) from /dev/zero"
        ) && stderr.contains("more than 1048576 bytes"),
        "{stderr}"
    );
}

/// `keyshare ARGS…` against `sim`, with standard output and error piped.
fn spawn(sim: &SimProcess, args: &[&str]) -> Child {
    sim.command()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("keyshare starts")
}

/// Waits for `child` to end, killing it and failing after [`LIMIT`].
fn wait(mut child: Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + LIMIT;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("keyshare did not end within {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn closed_output_streams_end_commands_without_a_panic() {
    let sim = SimProcess::start(&[]);
    // The reader of the logs is gone before the first line: every log write fails.
    let mut child = spawn(&sim, &["plan", "-vv", EXAMPLE]);
    drop(child.stderr.take());
    let status = wait(child);
    assert_eq!(
        status.code(),
        Some(2),
        "the plan still ends with its changes: {status}"
    );

    // The reader of the plan is gone: the command stops quietly.
    let mut child = spawn(&sim, &["plan", "-v", EXAMPLE]);
    drop(child.stdout.take());
    drop(child.stderr.take());
    let status = wait(child);
    assert_eq!(status.code(), Some(0), "{status}");
}

#[tokio::test]
async fn watch_keeps_reconciling_after_its_log_reader_is_gone() {
    let sim = SimProcess::start(&[]);
    let mut child = spawn(
        &sim,
        &[
            "watch",
            EXAMPLE,
            "--listen",
            "127.0.0.1:0",
            "--interval",
            "1s",
        ],
    );
    let mut first = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // The reader is dropped here: every later log line of each reconcile fails with EPIPE.
    let addr = first
        .split_whitespace()
        .find_map(|field| field.strip_prefix("addr="))
        .unwrap_or_else(|| panic!("no addr= in the start line: {first}"));
    let metrics = format!("http://{addr}/metrics");
    let reconciles = || async {
        let text = reqwest::get(&metrics).await.unwrap().text().await.unwrap();
        text.lines()
            .filter(|l| l.starts_with("keyshare_reconcile_total{"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum::<f64>()
    };
    let before = reconciles().await;
    let deadline = Instant::now() + LIMIT;
    while reconciles().await < before + 3.0 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "watch ended: {:?}",
            child.try_wait()
        );
        assert!(
            Instant::now() < deadline,
            "no 3 reconciles within {LIMIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "watch is still running"
    );
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = wait(child);
    assert_eq!(status.code(), Some(0), "{status}");
}

#[test]
fn a_password_in_the_org_url_is_refused_and_never_printed() {
    for url in [
        "https://admin:secret@x.okta.com",
        "http://admin:secret@x.okta.com",
        "https://admin:secret@x.okta.com:99999",
    ] {
        let refused = assert_cmd::Command::from_std(keyshare_command())
            .args(["keys", "--all", "--no-key-cache", "-vv"])
            .env("OKTA_CLIENT_ORGURL", url)
            .env("OKTA_CLIENT_TOKEN", "00token")
            .timeout(LIMIT)
            .assert()
            .code(1);
        let (stdout, stderr) = outputs(&refused);
        assert!(
            !stdout.contains("secret") && !stderr.contains("secret"),
            "{url}: {stdout}{stderr}"
        );
        assert!(stderr.contains("***@x.okta.com"), "{url}: {stderr}");
    }
}
