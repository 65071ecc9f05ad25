//! Text from Okta that tries to act instead of being shown, through the real binary against
//! `keyshare sim`: labels holding terminal escapes must reach the terminal escaped (plan,
//! drift, keys, apply's step and verify lines, error messages, Markdown, JSON), and labels holding
//! line breaks must not add YAML to what `import` writes: imported files validate, plan to no
//! changes and hold exactly the apps that share the key.

use std::collections::BTreeSet;
use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::support::gitops::{finance_yaml, shared_seed};
use crate::support::{APP1, APP2, SimProcess, keyshare_command, outputs, rename_app, write_files};

const APP3: &str = "0oa8ae3xxxxxxxxxxxx3";

/// Every character that can end a line in YAML 1.1 or 1.2, every C0 and C1 control and DEL,
/// and the invisible characters that reorder or hide text.
fn hostile_chars() -> Vec<char> {
    let mut chars: Vec<char> = (0u32..0x20)
        .chain(0x7f..0xa0)
        .filter_map(char::from_u32)
        .collect();
    chars.extend([
        '\u{2028}', '\u{2029}', '\u{202e}', '\u{2066}', '\u{200b}', '\u{feff}',
    ]);
    chars
}

/// Panics on a character in `text` that a terminal would act on instead of showing.
fn assert_shown(what: &str, text: &str) {
    let found: Vec<char> = text
        .chars()
        .filter(|c| *c != '\n' && hostile_chars().contains(c))
        .collect();
    assert!(
        found.is_empty(),
        "{what} holds {found:?} unescaped:\n{text}"
    );
}

#[tokio::test]
async fn terminal_escapes_in_labels_are_shown_escaped_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimProcess::with_seed(&shared_seed(), &[]);
    // Retitles the terminal, rings the bell, clears the line and returns to its start; a C1
    // CSI; a right-to-left override.
    let label1 = "App 1\u{1b}]0;owned\u{7}\u{1b}[2K\r";
    let label2 = "App 2\u{9b}8m\u{202e}";
    rename_app(&sim, APP1, label1).await;
    rename_app(&sim, APP2, label2).await;
    let config = dir.path().join("config");
    write_files(&config, &[("finance.yaml", &finance_yaml(true))]);

    let plan = sim.keyshare().arg("plan").arg(&config).assert().code(2);
    let (text, err) = outputs(&plan);
    assert_shown("plan", &format!("{text}{err}"));
    assert!(
        text.contains("App 1\\u{1b}]0;owned\\u{7}\\u{1b}[2K\\u{d} (0oa8ae1t5yev2ajDs0h7)")
            && text.contains("App 2\\u{9b}8m\\u{202e} (0oa8ae0dv4RGQvjyZ0h7)"),
        "{text}"
    );
    for args in [
        &["drift"][..],
        &["plan", "--format", "markdown"],
        &["keys", "--all"],
        &["keys", "--format", "markdown"],
    ] {
        let run = sim.keyshare().args(args).arg(&config).assert();
        let (text, err) = outputs(&run);
        assert_shown(&args.join(" "), &format!("{text}{err}"));
        // Markdown escapes the backslash and brackets once more.
        assert!(text.contains("u{1b}"), "{args:?}: {text}");
    }

    for args in [
        &["plan", "--format", "json"][..],
        &["keys", "--format", "json"],
    ] {
        let run = sim.keyshare().args(args).arg(&config).assert();
        let (text, err) = outputs(&run);
        assert_shown(&args.join(" "), &format!("{text}{err}"));
        // Escaped as JSON, so a program reads the labels exactly as Okta holds them.
        let report: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(
            report
                .to_string()
                .contains(&serde_json::to_string(label2).unwrap()[1..])
        );
    }

    let apply = sim
        .keyshare()
        .arg("apply")
        .arg(&config)
        .arg("--auto-approve")
        .assert()
        .code(0);
    let (text, err) = outputs(&apply);
    assert_shown("apply", &format!("{text}{err}"));
    assert!(
        text.contains("[1/")
            && text.contains("Verified group finance: ")
            && text.contains("App 1\\u{1b}]0;owned"),
        "{text}"
    );
}

#[test]
fn error_messages_show_control_characters_escaped() {
    let dir = tempfile::tempdir().unwrap();
    // A group name written with YAML escapes, echoed by the message about its members.
    let group = "apiVersion: keyshare/v1\nkind: SigningKeyGroup\nmetadata:\n  name: \"g\\e]0;owned\\a\"\nspec:\n  source: 0oa8ae1t5yev2ajDs0h7\n  members: []\n  key:\n    validityYears: 2\n";
    write_files(dir.path(), &[("g.yaml", group)]);
    let output = assert_cmd::Command::from_std(keyshare_command())
        .arg("validate")
        .arg(dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert_shown("validate", &err);
    assert!(
        err.contains("group `g\\u{1b}]0;owned\\u{7}` has no members"),
        "{err}"
    );
}

/// Imports the org into a fresh directory under `root`; checks that the files validate, plan
/// to no changes, and hold one group of exactly App 1 and App 2. Returns the YAML written.
fn import_and_check(sim: &SimProcess, root: &Path) -> String {
    let tmp = tempfile::tempdir_in(root).unwrap();
    let out = tmp.path().join("imported");
    let import = sim
        .keyshare()
        .args(["import", "--out"])
        .arg(&out)
        .assert()
        .code(0);
    let (text, err) = outputs(&import);
    assert_shown("import", &format!("{text}{err}"));

    let desired = keyshare::config::load_dir(&out).expect("the import loads");
    let [group] = desired.groups.as_slice() else {
        panic!("one group expected: {:?}", desired.groups)
    };
    let apps: BTreeSet<String> = std::iter::once(&group.source)
        .chain(&group.members)
        .map(|app| app.selector.to_string())
        .collect();
    assert_eq!(
        apps,
        BTreeSet::from([APP1.to_owned(), APP2.to_owned()]),
        "the import holds exactly the apps that share the key"
    );
    sim.keyshare().arg("validate").arg(&out).assert().code(0);
    let plan = sim.keyshare().arg("plan").arg(&out).assert().code(0);
    assert!(outputs(&plan).0.contains("No changes."));
    std::fs::read_dir(&out)
        .unwrap()
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
        .collect()
}

#[tokio::test]
async fn a_label_cannot_add_a_member_to_an_imported_group() {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimProcess::with_seed(&shared_seed(), &[]);
    // After each hostile character, what would make App 3 a member if the comment ended there.
    let inject = format!("    - {APP3}");
    let label: String = hostile_chars()
        .into_iter()
        .map(|c| format!("{c}{inject}"))
        .collect();
    rename_app(&sim, APP2, &format!("Finance EU{label}")).await;
    let yaml = import_and_check(&sim, dir.path());
    assert!(yaml.contains("# Finance EU\\u{0}    - 0oa8ae3"), "{yaml}");
    assert!(yaml.contains("\\u{2028}    - 0oa8ae3"), "{yaml}");
}

/// A label: text that an app could be called, mixed with hostile characters and YAML syntax.
fn label() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        proptest::sample::select(hostile_chars()).prop_map(String::from),
        proptest::sample::select(vec![
            "Finance", " ", "#", ": ", "- ", "\"", "'", "[", "{", "&a", "*a", "!ref", "---",
        ])
        .prop_map(str::to_owned),
        Just(format!("    - {APP3}")),
        Just(format!("\n  members: [{APP3}]")),
    ];
    proptest::collection::vec(piece, 0..12).prop_map(|pieces| format!("A{}", pieces.concat()))
}

#[test]
fn imported_files_plan_to_no_changes_whatever_the_labels() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sim = SimProcess::with_seed(&shared_seed(), &[]);
    let mut runner = TestRunner::new(Config {
        cases: 16,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&(label(), label(), label()), |(one, two, three)| {
            runtime.block_on(async {
                rename_app(&sim, APP1, &one).await;
                rename_app(&sim, APP2, &two).await;
                rename_app(&sim, APP3, &three).await;
            });
            import_and_check(&sim, dir.path());
            Ok(())
        })
        .unwrap();
}
