//! `keyshare validate` reports every problem of every file in one pass, sorted by
//! file:line:column, each with its fix: a range error beside a duplicate app in another file,
//! and several wrong values of one document.

use crate::support::keyshare_command;

const FINANCE: &str = "apiVersion: keyshare/v1
kind: SigningKeyGroup
metadata:
  name: finance
spec:
  source: 0oa8ae1t5yev2ajDs0h7
  members:
    - 0oa8ae0dv4RGQvjyZ0h7
  key:
    validityYears: 12
";

const HR: &str = "apiVersion: keyshare/v1
kind: SigningKeyGroup
metadata:
  name: hr
spec:
  source: 0oahr00000000000eu01
  members:
    - 0oa8ae0dv4RGQvjyZ0h7
  key:
    validityYears: 2
";

const LEGAL: &str = "apiVersion: keyshare/v1
kind: SigningKeyGroup
metadata:
  name: legal
spec:
  source: [0oa]
  members: 3
  key:
    validityYears: two
";

fn validate(files: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    let assert = assert_cmd::Command::from_std(keyshare_command())
        .current_dir(dir.path())
        .args(["validate", "."])
        .env("NO_COLOR", "1")
        .assert()
        .code(1);
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

#[test]
fn five_errors_in_three_files_are_reported_together_and_sorted() {
    insta::assert_snapshot!(validate(&[
        ("legal.yaml", LEGAL),
        ("hr.yaml", HR),
        ("finance.yaml", FINANCE)
    ]));
}

#[test]
fn a_duplicate_is_reported_beside_the_other_problem_of_its_group() {
    let hr_with_a_range_error = HR.replace("validityYears: 2", "validityYears: 1");
    let stderr = validate(&[
        ("finance.yaml", FINANCE),
        ("hr.yaml", &hr_with_a_range_error),
    ]);
    for expected in [
        "./finance.yaml:10:20: spec.key.validityYears: 12 is outside Okta's range 2..10",
        "./hr.yaml:8:7: 0oa8ae0dv4RGQvjyZ0h7 is already in group `finance` (at ./finance.yaml:8:7)",
        "./hr.yaml:10:20: spec.key.validityYears: 1 is outside Okta's range 2..10",
    ] {
        assert!(stderr.contains(expected), "lacks {expected}:\n{stderr}");
    }
}
