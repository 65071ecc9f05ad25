//! `keyshare demo` shows what it applies and what a real apply prints, and ends with the next
//! step against the operator's own org.

use crate::support::keyshare_command;

#[test]
fn the_demo_shows_the_yaml_the_verification_and_the_next_step() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let assert = assert_cmd::Command::from_std(keyshare_command())
        .current_dir(dir.path())
        .arg("demo")
        .env("NO_COLOR", "1")
        .assert()
        .success();
    let out = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    let at = |text: &str| {
        out.find(text)
            .unwrap_or_else(|| panic!("the demo lacks {text:?}:\n{out}"))
    };
    assert!(
        at("# finance.yaml\n") < at("apiVersion: keyshare/v1"),
        "{out}"
    );
    assert!(at("apiVersion: keyshare/v1") < at("── 1. plan"), "{out}");
    assert!(
        at("── 2. apply")
            < at(
                "Verified group finance: App 1 (0oa8ae1t5yev2ajDs0h7), App 2 (0oa8ae0dv4RGQvjyZ0h7) sign with "
            ),
        "{out}"
    );
    assert!(
        out.trim_end()
            .ends_with("`keyshare plan config/` and `keyshare apply config/`."),
        "{out}"
    );
    assert!(
        at("keyshare import --out config/") > at("── 7. drift"),
        "{out}"
    );
}
