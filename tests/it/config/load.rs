//! The desired-state loader as a specification: each case is a directory of files and the exact
//! result of loading it (snapshots in `tests/snapshots/`).

use std::fs;
use std::path::Path;

use keyshare::config::{AppSelector, DesiredState, load_dir};
use keyshare::okta::AppId;

use crate::support::EXAMPLE;

/// A group document with the given spec body (indented under `spec:`).
fn group(name: &str, spec: &str) -> String {
    format!(
        "apiVersion: keyshare/v1\nkind: SigningKeyGroup\nmetadata:\n  name: {name}\nspec:\n{spec}"
    )
}

const SPEC: &str =
    "  source: 0oaSOURCE\n  members:\n    - 0oaMEMBER\n  key:\n    validityYears: 2\n";

/// Writes `files` (relative path, content) to a fresh directory and loads it. Returns what a
/// user would see, with the temporary directory written as `[DIR]`.
fn load(files: &[(&str, &[u8])]) -> String {
    let dir = tempfile::tempdir().unwrap();
    for (path, content) in files {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }
    show(dir.path(), load_dir(dir.path()))
}

fn show(dir: &Path, result: Result<DesiredState, keyshare::config::ConfigError>) -> String {
    let text = match result {
        Ok(state) => summary(&state),
        Err(err) => format!("error:\n{err}"),
    };
    text.replace(&dir.display().to_string(), "[DIR]")
}

fn summary(state: &DesiredState) -> String {
    let mut out = String::from("ok:\n");
    for g in &state.groups {
        let members: Vec<String> = g.members.iter().map(|m| m.selector.to_string()).collect();
        out.push_str(&format!(
            "{} at {}: source {} at {}; members [{}]; key {:?}\n",
            g.name,
            g.location,
            g.source.selector,
            g.source.location,
            members.join(", "),
            g.key
        ));
    }
    for warning in state.warnings() {
        out.push_str(&format!("warning: {warning}\n"));
    }
    out
}

macro_rules! case {
    ($name:ident, $files:expr) => {
        #[test]
        fn $name() {
            let files: Vec<(&str, Vec<u8>)> = $files;
            let files: Vec<(&str, &[u8])> = files.iter().map(|(p, c)| (*p, c.as_slice())).collect();
            insta::assert_snapshot!(load(&files));
        }
    };
}

fn yaml(path: &str, text: impl Into<String>) -> (&str, Vec<u8>) {
    (path, text.into().into_bytes())
}

// Good inputs.

case!(
    several_documents_selectors_and_nesting,
    vec![
        yaml(
            "a.yaml",
            format!(
                "# leading comment\n---\n{}---\n{}---\n",
                group("zeta", SPEC),
                group(
                    "alpha",
                    "  source: {label: \"Finance (EU)\"}\n  members: [{name: myorg_app9}, {id: 0oaX}]\n  key: {validityYears: 10, rotateBefore: 2w, kid: abc}\n"
                ),
            )
        ),
        yaml(
            "nested/deeper/b.yml",
            group(
                "mid",
                "  source: 0oaB\n  members: [0oaC]\n  key:\n    validityYears: 3\n    rotateAfter: 2026-11-26T00:00:00Z\n    rotateBefore: 12h\n"
            )
        ),
        yaml("notes.txt", "not yaml, ignored"),
        yaml(
            ".git/config.yaml",
            "ignored: hidden directories are skipped"
        ),
        yaml("empty.yaml", "# only a comment\n"),
    ]
);

// Bad inputs: shape (serde) errors.

case!(
    unknown_field,
    vec![yaml(
        "g.yaml",
        group(
            "g",
            "  source: 0oaS\n  members: [0oaM]\n  key:\n    validityYear: 2\n"
        )
    )]
);
case!(
    missing_members,
    vec![yaml(
        "g.yaml",
        group("g", "  source: 0oaS\n  key: {validityYears: 2}\n")
    )]
);
case!(
    missing_validity_years,
    vec![yaml(
        "g.yaml",
        group(
            "g",
            "  source: 0oaS\n  members: [0oaM]\n  key: {rotateBefore: 30d}\n"
        )
    )]
);
case!(
    member_is_a_number,
    vec![yaml(
        "g.yaml",
        group(
            "g",
            "  source: 0oaS\n  members: [123]\n  key: {validityYears: 2}\n"
        )
    )]
);
case!(
    selector_unknown_field,
    vec![yaml(
        "g.yaml",
        group(
            "g",
            "  source: {lable: App 1}\n  members: [0oaM]\n  key: {validityYears: 2}\n"
        )
    )]
);
case!(
    validity_years_is_text,
    vec![yaml(
        "g.yaml",
        group(
            "g",
            "  source: 0oaS\n  members: [0oaM]\n  key: {validityYears: two}\n"
        )
    )]
);
case!(
    document_is_a_list,
    vec![yaml("g.yaml", "- apiVersion: keyshare/v1\n")]
);
case!(
    duplicate_key,
    vec![yaml(
        "g.yaml",
        group(
            "g",
            "  source: 0oaS\n  source: 0oaT\n  members: [0oaM]\n  key: {validityYears: 2}\n"
        )
    )]
);
case!(
    syntax_error_after_a_good_document,
    vec![yaml(
        "g.yaml",
        format!("{}---\nmetadata: [\n", group("g", SPEC))
    )]
);
case!(
    tab_indentation,
    vec![yaml(
        "g.yaml",
        "apiVersion: keyshare/v1\n\tkind: SigningKeyGroup\n"
    )]
);
case!(
    unknown_anchor_then_another_document,
    vec![yaml(
        "g.yaml",
        format!(
            "{}---\n{}",
            group(
                "g",
                "  source: *nowhere\n  members: [0oaM]\n  key: {validityYears: 2}\n"
            ),
            group("h", SPEC),
        )
    )]
);

// Bad inputs: the document is not ours.

case!(
    other_kind,
    vec![yaml(
        "deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: 3\n"
    )]
);
case!(
    other_api_version,
    vec![yaml(
        "g.yaml",
        group("g", SPEC).replace("keyshare/v1", "keyshare/v2")
    )]
);

// Bad inputs: values.

case!(
    selector_with_two_fields,
    vec![yaml(
        "g.yaml",
        group(
            "g",
            "  source: {label: App 1, name: myorg_app1}\n  members: [{}]\n  key: {validityYears: 2}\n"
        )
    )]
);
case!(
    empty_references,
    vec![yaml(
        "g.yaml",
        group(
            "g",
            "  source: \"\"\n  members: [{label: \" \"}]\n  key: {validityYears: 2}\n"
        )
    )]
);
case!(empty_name, vec![yaml("g.yaml", group("\"\"", SPEC))]);
case!(
    empty_members,
    vec![yaml(
        "g.yaml",
        group(
            "g",
            "  source: 0oaS\n  members: []\n  key: {validityYears: 2}\n"
        )
    )]
);
case!(
    source_is_its_own_member,
    vec![yaml(
        "g.yaml",
        group(
            "g",
            "  source: 0oaS\n  members:\n    - 0oaM\n    - {id: 0oaS}\n  key: {validityYears: 2}\n"
        )
    )]
);
case!(
    member_listed_twice,
    vec![yaml(
        "g.yaml",
        group(
            "g",
            "  source: 0oaS\n  members:\n    - {label: App 2}\n    - {label: App 2}\n  key: {validityYears: 2}\n"
        )
    )]
);
case!(
    validity_years_out_of_range,
    vec![
        yaml(
            "a.yaml",
            group(
                "a",
                "  source: 0oaA\n  members: [0oaB]\n  key: {validityYears: 1}\n"
            )
        ),
        yaml(
            "b.yaml",
            group(
                "b",
                "  source: 0oaC\n  members: [0oaD]\n  key: {validityYears: 11}\n"
            )
        ),
        yaml(
            "c.yaml",
            group(
                "c",
                "  source: 0oaE\n  members: [0oaF]\n  key: {validityYears: -300}\n"
            )
        ),
    ]
);
case!(bad_durations, vec![yaml("g.yaml", [
    group("a", "  source: 0oa1\n  members: [0oa2]\n  key: {validityYears: 2, rotateBefore: 30 days}\n"),
    group("b", "  source: 0oa3\n  members: [0oa4]\n  key: {validityYears: 2, rotateBefore: 30m}\n"),
    group("c", "  source: 0oa5\n  members: [0oa6]\n  key: {validityYears: 2, rotateBefore: 0d}\n"),
    group("d", "  source: 0oa7\n  members: [0oa8]\n  key: {validityYears: 2, rotateBefore: 30}\n"),
].join("---\n"))]);
case!(
    rotate_before_not_shorter_than_validity,
    vec![yaml(
        "g.yaml",
        group(
            "g",
            "  source: 0oaS\n  members: [0oaM]\n  key:\n    validityYears: 2\n    rotateBefore: 105w\n"
        )
    )]
);
case!(
    stage_before_with_a_soak,
    vec![yaml("g.yaml", [
        group("weeks", "  source: 0oa1\n  members: [0oa2]\n  key:\n    validityYears: 2\n    rotateBefore: 30d\n    stageBefore: 60d\n"),
        group("short", "  source: 0oa3\n  members: [0oa4]\n  key:\n    validityYears: 2\n    rotateBefore: 30d\n    stageBefore: 40d\n"),
        group("now", "  source: 0oa5\n  members: [0oa6]\n  key:\n    validityYears: 2\n    rotateBefore: 30d\n    stageBefore: 60d\n    switch: immediately\n"),
    ].join("---\n"))]
);
case!(
    bad_stage_before,
    vec![yaml("g.yaml", [
        group("no-soak", "  source: 0oa1\n  members: [0oa2]\n  key:\n    validityYears: 2\n    rotateBefore: 30d\n    stageBefore: 740h\n"),
        group("no-rotate", "  source: 0oa3\n  members: [0oa4]\n  key:\n    validityYears: 2\n    stageBefore: 60d\n"),
        group("too-long", "  source: 0oa5\n  members: [0oa6]\n  key:\n    validityYears: 2\n    rotateBefore: 30d\n    stageBefore: 105w\n"),
        group("not-a-duration", "  source: 0oa7\n  members: [0oa8]\n  key:\n    validityYears: 2\n    rotateBefore: 30d\n    stageBefore: soon\n"),
        group("bad-switch", "  source: 0oa9\n  members: [0oa10]\n  key:\n    validityYears: 2\n    rotateBefore: 30d\n    stageBefore: 60d\n    switch: now\n"),
        group("switch-alone", "  source: 0oa11\n  members: [0oa12]\n  key:\n    validityYears: 2\n    rotateBefore: 30d\n    switch: immediately\n"),
    ].join("---\n"))]
);
case!(
    rotate_after_not_an_instant,
    vec![yaml(
        "g.yaml",
        group(
            "g",
            "  source: 0oaS\n  members: [0oaM]\n  key:\n    validityYears: 2\n    rotateAfter: 2026-11-26\n"
        )
    )]
);
case!(
    kid_with_rotate_after,
    vec![yaml(
        "g.yaml",
        group(
            "g",
            "  source: 0oaS\n  members: [0oaM]\n  key:\n    validityYears: 2\n    kid: abc\n    rotateAfter: 2026-11-26T00:00:00Z\n"
        )
    )]
);
case!(
    every_problem_of_a_document,
    vec![yaml(
        "g.yaml",
        group(
            "g",
            "  source: {}\n  members: []\n  key:\n    validityYears: 12\n    rotateBefore: soon\n    rotateAfter: later\n    kid: \"\"\n"
        )
    )]
);

// Bad inputs: across documents and files.

case!(
    duplicate_group_names,
    vec![
        yaml("a.yaml", group("finance", SPEC)),
        yaml(
            "sub/b.yaml",
            group(
                "finance",
                "  source: 0oaOTHER\n  members: [0oaTHIRD]\n  key: {validityYears: 2}\n"
            )
        ),
    ]
);
case!(
    app_in_two_groups,
    vec![
        yaml("a.yaml", group("a", SPEC)),
        yaml(
            "b.yaml",
            group(
                "b",
                "  source: {label: Shared}\n  members: [0oaMEMBER]\n  key: {validityYears: 2}\n"
            )
        ),
        yaml(
            "c.yaml",
            group(
                "c",
                "  source: 0oaSOURCE\n  members: [{label: Shared}]\n  key: {validityYears: 2}\n"
            )
        ),
    ]
);
case!(
    problems_of_all_files_at_once,
    vec![
        yaml(
            "1.yaml",
            "apiVersion: keyshare/v1\nkind: SigningKeyGroup\nmetadata: {name: x, labels: {}}\n"
        ),
        yaml("2.yaml", "key: [unclosed\n"),
        yaml("3.yaml", group("ok", SPEC)),
        yaml(
            "4.yml",
            group(
                "g",
                "  source: 0oaS\n  members: [0oaS]\n  key: {validityYears: 0}\n"
            )
        ),
    ]
);

// Bad inputs: files and directories.

case!(empty_directory, vec![]);
case!(
    no_documents,
    vec![
        yaml("a.yaml", "# nothing yet\n"),
        yaml("b.yml", "---\n...\n")
    ]
);
case!(
    not_utf8,
    vec![(
        "g.yaml",
        b"apiVersion: keyshare/v1\nkind: Sig\xffningKeyGroup\n".to_vec()
    )]
);
case!(
    file_just_over_the_size_cap,
    vec![
        ("big.yaml", vec![b'#'; 10 * 1024 * 1024 + 1]),
        yaml("g.yaml", group("g", SPEC))
    ]
);

#[test]
fn a_50_mb_file_is_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    // Sparse: its size says 50 MB, so only a loader that reads it would take long.
    fs::File::create(dir.path().join("huge.yaml"))
        .unwrap()
        .set_len(50 * 1024 * 1024)
        .unwrap();
    let started = std::time::Instant::now();
    insta::assert_snapshot!(show(dir.path(), load_dir(dir.path())));
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
}

#[test]
fn directory_that_does_not_exist() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    insta::assert_snapshot!(show(dir.path(), load_dir(&missing)));
}

#[cfg(unix)]
#[test]
fn symlink_loop() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("sub")).unwrap();
    fs::write(dir.path().join("sub/g.yaml"), group("g", SPEC)).unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("sub/back")).unwrap();
    insta::assert_snapshot!(show(dir.path(), load_dir(dir.path())));
}

#[cfg(unix)]
#[test]
fn broken_symlink() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("g.yaml"), group("g", SPEC)).unwrap();
    std::os::unix::fs::symlink(dir.path().join("gone.yaml"), dir.path().join("link.yaml")).unwrap();
    insta::assert_snapshot!(show(dir.path(), load_dir(dir.path())));
}

#[test]
fn a_single_file_can_be_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("g.yaml");
    fs::write(&file, group("g", SPEC)).unwrap();
    let state = load_dir(&file).unwrap();
    assert_eq!(state.groups.len(), 1);
}

#[test]
fn the_example_loads() {
    let dir = Path::new(EXAMPLE);
    let state = load_dir(dir).unwrap();
    let [finance] = state.groups.as_slice() else {
        panic!("one group expected")
    };
    assert_eq!(finance.name, "finance");
    assert_eq!(
        finance.source.selector,
        AppSelector::Id(AppId::from("0oa8ae1t5yev2ajDs0h7"))
    );
    let members: Vec<_> = finance.members.iter().map(|m| &m.selector).collect();
    assert_eq!(
        members,
        [&AppSelector::Id(AppId::from("0oa8ae0dv4RGQvjyZ0h7"))]
    );
    assert_eq!(finance.key.validity_years, 2);
    assert_eq!(
        finance.key.rotate_before,
        Some(jiff::SignedDuration::from_hours(30 * 24))
    );
    assert_eq!(
        (finance.key.rotate_after, finance.key.kid.as_ref()),
        (None, None)
    );
}

#[test]
fn digest_follows_meaning_not_layout() {
    let digest = |files: &[(&str, String)]| {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            fs::write(dir.path().join(path), text).unwrap();
        }
        load_dir(dir.path()).unwrap().digest
    };
    let a = group(
        "a",
        "  source: 0oa1\n  members: [0oa2, 0oa3]\n  key: {validityYears: 2, rotateBefore: 1w}\n",
    );
    let b = group("b", SPEC);
    let one_file = digest(&[("all.yaml", format!("{a}---\n{b}"))]);
    let reordered = "# comment\nkind: SigningKeyGroup\napiVersion: keyshare/v1\nspec:\n  key:\n    rotateBefore: 168h\n    validityYears: 2\n  members:\n    - 0oa3\n    - {id: 0oa2}\n  source: 0oa1\nmetadata: {name: a}\n";
    let two_files = digest(&[("z.yaml", reordered.to_owned()), ("b.yml", b.clone())]);
    assert_eq!(one_file, two_files);
    let changed = digest(&[("all.yaml", format!("{}---\n{b}", a.replace("0oa3", "0oa4")))]);
    assert_ne!(one_file, changed);
}
