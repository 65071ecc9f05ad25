//! Hostile local I/O through the real binary: paths that name something other than a regular
//! file, files that never end, streams closed by the reader, and credentials in the org URL.
//! Each case ends with exit 0 or 1 and a message, never a panic (exit 101), a hang or harm to
//! what the path named.

mod cli_support;
mod gitops_support;

use std::os::unix::fs::{FileTypeExt, symlink};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use cli_support::SimProcess;
use gitops_support::{EXAMPLE, outputs};

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
        let refused = assert_cmd::Command::new(env!("CARGO_BIN_EXE_keyshare"))
            .args(["keys", "--all", "--no-key-cache"])
            .args(args)
            .env("OKTA_CLIENT_ORGURL", "http://127.0.0.1:9")
            .env("OKTA_CLIENT_TOKEN", "00token")
            .env_remove("RUST_LOG")
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
