//! `rotateAfter` must be an instant that has passed: a future one would make every key,
//! including each new one, due at every run. `validate` refuses it with the place of the value
//! and what to write instead.

use crate::support::keyshare_command;

fn group(rotate_after: &str) -> String {
    format!(
        "apiVersion: keyshare/v1\nkind: SigningKeyGroup\nmetadata:\n  name: g\nspec:\n  source: 0oaS\n  members: [0oaM]\n  key:\n    validityYears: 2\n    rotateAfter: {rotate_after}\n"
    )
}

#[test]
fn a_future_rotate_after_is_refused_with_its_place_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let future = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 30);
    std::fs::write(dir.path().join("g.yaml"), group(&future.to_string())).unwrap();
    let output = keyshare_command()
        .arg("validate")
        .arg(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    for expected in [
        "g.yaml:10:18: spec.key.rotateAfter: ",
        "is in the future",
        "replace keys created before this instant",
        "use rotateBefore",
    ] {
        assert!(stderr.contains(expected), "{expected:?} in {stderr}");
    }
}

#[test]
fn a_past_rotate_after_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let past = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(1);
    std::fs::write(dir.path().join("g.yaml"), group(&past.to_string())).unwrap();
    let desired = keyshare::config::load_dir(dir.path()).unwrap();
    assert_eq!(desired.groups[0].key.rotate_after, Some(past));
}
