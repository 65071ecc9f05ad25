//! Messages that help an operator fix a mistake: Terraform's single-dash flags, an org URL
//! written without its scheme, and a label one letter off.

use crate::support::{EXAMPLE, SimProcess, keyshare_command, write_files};

fn keyshare() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::from_std(keyshare_command());
    cmd.env("NO_COLOR", "1");
    cmd
}

fn stderr_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

#[test]
fn terraform_single_dash_flags_are_named_with_two_dashes() {
    for (args, given, meant) in [
        (
            &["apply", "-auto-approve"][..],
            "-auto-approve",
            "--auto-approve",
        ),
        (
            &["plan", "config", "-out=plan"][..],
            "-out=plan",
            "--out=plan",
        ),
        (&["drift", "-format", "json"][..], "-format", "--format"),
    ] {
        let assert = keyshare().args(args).assert().code(1);
        let stderr = stderr_of(&assert);
        assert_eq!(
            stderr.trim_end(),
            format!(
                "error: unexpected argument '{given}': keyshare's long flags take two dashes (Terraform's take one); use '{meant}'"
            ),
            "{args:?}"
        );
    }
}

#[test]
fn an_unknown_short_flag_still_gets_clap_s_message() {
    let assert = keyshare().args(["plan", "-x"]).assert().code(1);
    assert!(
        stderr_of(&assert).contains("unexpected argument '-x'"),
        "{}",
        stderr_of(&assert)
    );
}

#[test]
fn an_org_url_without_a_scheme_gets_the_https_url_to_use() {
    let dir = EXAMPLE;
    let assert = keyshare()
        .args([
            "plan",
            dir,
            "--org-url",
            "dev-123456.okta.com",
            "--token",
            "x",
        ])
        .assert()
        .code(1);
    assert_eq!(
        stderr_of(&assert).trim_end(),
        "error: the org URL `dev-123456.okta.com` (--org-url / OKTA_CLIENT_ORGURL) is not valid: it has no https://; use https://dev-123456.okta.com"
    );
}

#[test]
fn a_label_in_the_wrong_case_gets_a_did_you_mean() {
    let sim = SimProcess::start(&[]);
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_files(
        dir.path(),
        &[(
            "finance.yaml",
            "apiVersion: keyshare/v1\nkind: SigningKeyGroup\nmetadata:\n  name: finance\nspec:\n  source: {label: app 1}\n  members:\n    - {label: Payroll}\n  key:\n    validityYears: 2\n",
        )],
    );
    let assert = sim
        .keyshare()
        .args(["plan", dir.path().to_str().expect("UTF-8 path")])
        .assert()
        .code(1);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains(
            "finance.yaml:6:11: group `finance`: no app matches {label: \"app 1\"}; did you mean {label: \"App 1\"} (0oa8ae1t5yev2ajDs0h7)?"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "finance.yaml:8:7: group `finance`: no app matches {label: \"Payroll\"}; check the id, label or name in Okta"
        ),
        "a label no read app comes close to gets no guess:\n{stderr}"
    );
}

#[test]
fn color_always_and_never_win_over_the_terminal_and_no_color() {
    let sim = SimProcess::start(&[]);
    // The helper sets NO_COLOR and standard output is a pipe: `auto` would not colour.
    let always = sim
        .keyshare()
        .args(["plan", EXAMPLE, "--color", "always"])
        .assert()
        .code(2);
    assert!(
        always.get_output().stdout.contains(&0x1b),
        "--color always colours a pipe"
    );
    let never = sim
        .keyshare()
        .env_remove("NO_COLOR")
        .args(["--color", "never", "plan", EXAMPLE])
        .assert()
        .code(2);
    assert!(!never.get_output().stdout.contains(&0x1b));
}

#[test]
fn lock_timeout_gives_up_on_a_held_lock_and_changes_nothing() {
    let sim = SimProcess::start(&[]);
    let org = url::Url::parse(&sim.base_url).expect("the simulator's URL");
    let _held = keyshare::apply::OrgLock::try_acquire(sim.cache_dir(), &org)
        .expect("the lock directory")
        .expect("the lock is free");
    let started = std::time::Instant::now();
    let assert = sim
        .keyshare()
        .args(["apply", EXAMPLE, "--auto-approve", "--lock-timeout", "1s"])
        .assert()
        .code(1);
    let waited = started.elapsed();
    let stderr = stderr_of(&assert);
    let path = keyshare::apply::OrgLock::path(sim.cache_dir(), &org);
    assert!(
        stderr.contains(&format!(
            "error: another keyshare apply or self-healing watch still holds the apply lock {} after 1s; nothing was changed; run again once it finished, or wait longer with --lock-timeout",
            path.display()
        )),
        "{stderr}"
    );
    assert!(
        waited >= std::time::Duration::from_secs(1) && waited < std::time::Duration::from_secs(20),
        "waited {waited:?}"
    );
    assert!(!String::from_utf8_lossy(&assert.get_output().stdout).contains("[1/"));
}

#[test]
fn target_plans_only_the_named_groups() {
    let sim = SimProcess::start(&[]);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let finance = std::fs::read_to_string(format!("{EXAMPLE}/finance.yaml")).expect("example");
    write_files(
        dir.path(),
        &[
            ("finance.yaml", finance.as_str()),
            (
                "elsewhere.yaml",
                "apiVersion: keyshare/v1\nkind: SigningKeyGroup\nmetadata:\n  name: elsewhere\nspec:\n  source: 0oa00000000000000001\n  members: [0oa00000000000000002]\n  key:\n    validityYears: 2\n",
            ),
        ],
    );
    let dir = dir.path().to_str().expect("UTF-8 path");
    // The other group's apps are not in this org: planning everything fails on them.
    sim.keyshare().args(["plan", dir]).assert().code(1);
    let plan = sim
        .keyshare()
        .args(["plan", dir, "--target", "finance"])
        .assert()
        .code(2);
    let text = String::from_utf8_lossy(&plan.get_output().stdout);
    assert!(
        text.contains("# group finance") && !text.contains("elsewhere"),
        "{text}"
    );
    sim.keyshare()
        .args(["drift", dir, "--target", "finance"])
        .assert()
        .code(2);

    let typo = sim
        .keyshare()
        .args(["plan", dir, "--target", "finanse"])
        .assert()
        .code(1);
    assert!(
        stderr_of(&typo).contains(&format!(
            "error: --target finanse: no group of that name in {dir}; did you mean `finance`? its groups are elsewhere, finance"
        )),
        "{}",
        stderr_of(&typo)
    );
}
