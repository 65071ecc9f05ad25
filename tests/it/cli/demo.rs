//! `keyshare demo` shows what it applies and what a real apply prints, rotates the shared key
//! without an outage (stage, then switch weeks later on the simulator's moved clock), and ends
//! with the next step against the operator's own org.

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

/// The rotation's act: the staging apply generates and clones but switches nothing, the
/// service providers are told the certificate and the date, and the later apply switches every
/// app to the staged key and verifies that their metadata publishes it.
#[test]
fn the_demo_stages_the_next_key_and_switches_to_it_later() {
    let output = assert_cmd::Command::from_std(keyshare_command())
        .arg("demo")
        .env("NO_COLOR", "1")
        .assert()
        .success();
    let out = String::from_utf8_lossy(&output.get_output().stdout).into_owned();
    let act = &out[out.find("── 8. a rotation without an outage").expect(&out)..];
    let staging =
        &act[act.find("── 9. 45 days before").expect(act)..act.find("── 10.").expect(act)];
    assert!(
        staging.contains("Apply complete: 1 key generated, 1 cloned, 0 apps switched."),
        "{staging}"
    );
    assert!(
        staging.contains(
            "Service providers: group `finance`: the service providers of 2 apps must trust key "
        ),
        "{staging}"
    );
    let switching =
        &act[act.find("── 10. 15 days before").expect(act)..act.find("── 11.").expect(act)];
    assert!(
        switching.contains("Apply complete: 0 keys generated, 0 cloned, 2 apps switched."),
        "{switching}"
    );
    assert!(
        switching.contains("the SAML metadata of the 2 switched app(s) publishes its certificate"),
        "{switching}"
    );
    let last = &act[act.find("── 11. drift").expect(act)..];
    assert!(last.contains("No drift."), "{last}");
}
