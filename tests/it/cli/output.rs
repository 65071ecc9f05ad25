//! Snapshots of what the commands print, through the binary against a seeded `keyshare sim`:
//! `plan` in text, JSON and Markdown for a plan with every kind of step and warning, the
//! no-change case, `drift`, `apply` in text and JSON, and the `keys` inventory. Ports, times,
//! certificates and generated kids are filtered out; seeded kids are fixed.

use crate::support::gitops::kid;
use crate::support::{SimProcess, outputs};

/// Two groups: `finance` rotates (generate, clone, two switches); `hr` keeps its key, which
/// expires within 90 days without `rotateBefore`, and moves an INACTIVE member holding an
/// unused key onto it.
fn seed() -> String {
    let key = |tag: &str, created: &str, expires: &str| {
        format!(
            "{{kid: \"{}\", created: \"{created}\", expiresAt: \"{expires}\"}}",
            kid(tag)
        )
    };
    format!(
        r#"apps:
  - {{id: 0oa8ae1t5yev2ajDs0h7, label: App 1, keys: [{}]}}
  - {{id: 0oa8ae0dv4RGQvjyZ0h7, label: App 2, keys: [{}]}}
  - {{id: 0oahr00000000000src3, label: HR Portal, keys: [{}]}}
  - {{id: 0oahr00000000000eu04, label: HR Portal (EU), status: INACTIVE, keys: [{}, {}], activeKey: "{}"}}
"#,
        key("finance-1", "-2y+20d", "+20d"),
        key("finance-2", "-2y+20d", "+20d"),
        key("hr-1", "-1y", "+60d"),
        key("hr-eu-old", "-3y", "+1y"),
        key("hr-eu", "-1y", "+2y"),
        kid("hr-eu"),
    )
}

const CONFIG: &str = r#"apiVersion: keyshare/v1
kind: SigningKeyGroup
metadata:
  name: finance
spec:
  source: 0oa8ae1t5yev2ajDs0h7
  members: [0oa8ae0dv4RGQvjyZ0h7]
  key: {validityYears: 2, rotateBefore: 30d}
---
apiVersion: keyshare/v1
kind: SigningKeyGroup
metadata:
  name: hr
spec:
  source: {label: HR Portal}
  members: [0oahr00000000000eu04]
  key: {validityYears: 3}
"#;

struct Fixture {
    dir: tempfile::TempDir,
    sim: SimProcess,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let sim = SimProcess::with_seed(&seed(), &[]);
        crate::support::write_files(&dir.path().join("config"), &[("groups.yaml", CONFIG)]);
        Self { dir, sim }
    }

    /// Runs keyshare with `args` (the config directory appended) and returns the exit code and
    /// standard output.
    fn run(&self, args: &[&str]) -> (i32, String) {
        let assert = self
            .sim
            .keyshare()
            .args(args)
            .arg(self.dir.path().join("config"))
            .assert();
        let code = assert.get_output().status.code().unwrap_or(-1);
        (code, outputs(&assert).0)
    }
}

/// Filters for what changes from run to run.
fn settings(sim: &SimProcess) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    let url = regex_escape(&sim.base_url);
    settings.add_filter(&url, "[ORG]");
    settings.add_filter(
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})",
        "[TIME]",
    );
    settings.add_filter(r"([0-9A-F]{2}:){31}[0-9A-F]{2}", "[SHA-256]");
    settings.add_filter(r"([0-9A-F]{2}:){19}[0-9A-F]{2}", "[SHA-1]");
    settings.add_filter(
        r#""pem": "-----BEGIN CERTIFICATE-----[^"]*""#,
        r#""pem": "[PEM]""#,
    );
    settings.add_filter(r"keyshare `\d+\.\d+\.\d+[^`]*`", "keyshare `[VERSION]`");
    settings.add_filter(
        r"-----BEGIN CERTIFICATE-----\n(?:[A-Za-z0-9+/=]+\n)+-----END CERTIFICATE-----",
        "[PEM]",
    );
    settings.add_filter(r#""waited_ms": \d+"#, r#""waited_ms": "[MS]""#);
    settings.add_filter(r#""lowest_remaining": \d+"#, r#""lowest_remaining": "[N]""#);
    settings.add_filter(r#""remaining": \d+"#, r#""remaining": "[N]""#);
    settings.add_filter(r"in \d+ days?", "in [N] days");
    settings.add_filter(r#""expires_in_days": -?\d+"#, r#""expires_in_days": "[N]""#);
    settings
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '/' {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

#[test]
fn plan_with_every_kind_of_step_and_warning() {
    let fx = Fixture::new();
    settings(&fx.sim).bind(|| {
        for (format, name) in [
            ("text", "plan_text"),
            ("json", "plan_json"),
            ("markdown", "plan_markdown"),
        ] {
            let (code, stdout) = fx.run(&["plan", "--format", format]);
            assert_eq!(code, 2, "{format}: changes");
            insta::assert_snapshot!(name, stdout);
        }
        let (code, stdout) = fx.run(&["drift", "--format", "markdown"]);
        assert_eq!(code, 2);
        insta::assert_snapshot!("drift_markdown", stdout);
        let (code, stdout) = fx.run(&["keys", "--format", "markdown"]);
        assert_eq!(code, 0);
        insta::assert_snapshot!("keys_markdown", stdout);
    });
}

/// The plan says "(known after apply)"; once the generate step ran, the progress lines of the
/// later steps name the key it made.
#[test]
fn apply_text_names_the_generated_key_once_known() {
    let fx = Fixture::new();
    let (code, stdout) = fx.run(&["apply", "--auto-approve"]);
    assert_eq!(code, 0, "{stdout}");
    let generated = stdout
        .lines()
        .find_map(|line| line.strip_prefix("Verified group finance: "))
        .and_then(|line| line.split(" sign with ").nth(1))
        .and_then(|rest| rest.split([';', ' ', '.']).next())
        .unwrap_or_else(|| panic!("no verified key for finance:\n{stdout}"))
        .to_owned();
    let mut settings = settings(&fx.sim);
    settings.add_filter(&regex_escape(&generated), "[GENERATED KID]");
    settings.bind(|| insta::assert_snapshot!("apply_text", stdout));
}

#[test]
fn apply_then_no_changes() {
    let fx = Fixture::new();
    let mut settings = settings(&fx.sim);
    // Generated kids are random, so after an apply every kid is filtered.
    settings.add_filter(r"[A-Za-z0-9_-]{43}", "[KID]");
    settings.add_filter(r"`[A-Za-z0-9_-]{8}`…", "`[SHORT KID]`…");
    settings.bind(|| {
        let (code, stdout) = fx.run(&["apply", "--auto-approve", "--format", "json"]);
        assert_eq!(code, 0);
        insta::assert_snapshot!("apply_json", stdout);
        for (format, name) in [
            ("text", "no_changes_text"),
            ("json", "no_changes_json"),
            ("markdown", "no_changes_markdown"),
        ] {
            let (code, stdout) = fx.run(&["plan", "--format", format]);
            assert_eq!(code, 0, "{format}: no changes");
            insta::assert_snapshot!(name, stdout);
        }
    });
}
