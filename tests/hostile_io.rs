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
