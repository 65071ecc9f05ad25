//! Desired-state inputs whose first messages misled, through the real binary: each is either
//! read as the user meant it or refused with a message that names file:line:column and says
//! what is wrong and how to fix it. Also the nesting bound: a deeply nested file is refused at
//! once, where the bound is crossed, whatever its size.

use std::path::Path;

use crate::support::{APP1, APP2, SimProcess, keyshare_command, write_files};

/// The guide's group with `key_lines` under `spec.key` (each indented by 4 spaces).
fn group(source: &str, key_lines: &str) -> String {
    format!(
        "apiVersion: keyshare/v1\nkind: SigningKeyGroup\nmetadata:\n  name: g\nspec:\n  source: {source}\n  members:\n    - {APP2}\n  key:\n{key_lines}"
    )
}

/// `keyshare validate dir`: exit code, standard output, standard error.
fn validate(dir: &Path) -> (i32, String, String) {
    let output = assert_cmd::Command::from_std(keyshare_command())
        .arg("validate")
        .arg(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("keyshare runs");
    (
        output.status.code().expect("an exit code"),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Validates one file `g.yaml` holding `text`; returns exit code and both outputs together.
fn validate_text(text: &[u8]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("g.yaml"), text).unwrap();
    let (code, out, err) = validate(dir.path());
    (code, format!("{out}{err}"))
}

#[test]
fn a_byte_order_mark_is_read_as_yaml_allows() {
    let mut text = "\u{feff}".as_bytes().to_vec();
    text.extend(group(APP1, "    validityYears: 2\n").into_bytes());
    let (code, out) = validate_text(&text);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Valid: 1 group(s)"), "{out}");
}

#[test]
fn an_integer_tagged_or_too_large_is_read_as_a_number() {
    let (code, out) = validate_text(group(APP1, "    validityYears: !!int \"2\"\n").as_bytes());
    assert_eq!(code, 0, "{out}");

    for huge in ["99999999999999999999", "9".repeat(45).as_str()] {
        let (code, out) =
            validate_text(group(APP1, &format!("    validityYears: {huge}\n")).as_bytes());
        assert_eq!(code, 1, "{out}");
        assert!(
            out.contains(&format!(
                "g.yaml:10:20: spec.key.validityYears: {huge} is outside Okta's range 2..10; choose a whole number of years from 2 to 10"
            )),
            "{out}"
        );
    }
}

#[test]
fn an_instant_past_the_representable_range_is_called_that() {
    let (code, out) = validate_text(
        group(
            APP1,
            "    validityYears: 2\n    rotateAfter: 9999-12-31T23:59:59Z\n",
        )
        .as_bytes(),
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("g.yaml:11:18: spec.key.rotateAfter: `9999-12-31T23:59:59Z` is past the latest instant keyshare can represent (9999-12-30T22:00:00Z); write an earlier one"),
        "{out}"
    );
    assert!(!out.contains("not an RFC 3339 instant"), "{out}");
}

#[test]
fn a_local_tag_is_named_and_its_removal_asked_for() {
    let (code, out) =
        validate_text(group(&format!("!ref {APP1}"), "    validityYears: 2\n").as_bytes());
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("g.yaml:6:11: spec.source: the YAML tag `!ref` means nothing to keyshare; remove it and write the value alone"),
        "{out}"
    );
    assert!(!out.contains("enum"), "{out}");
}

#[test]
fn a_fifo_given_as_the_directory_is_called_a_fifo_and_never_opened() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("desired");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
    // Opening the FIFO would block until a writer came: the command returning at all shows
    // that it was not opened.
    let (code, _, err) = validate(&fifo);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("desired: is a FIFO (named pipe), not a directory; pass the directory that holds the desired-state YAML files"),
        "{err}"
    );
}

#[test]
fn yaml_line_breaks_that_parsers_disagree_on_are_refused_where_they_are() {
    for (c, name, escape) in [
        ('\u{85}', "NEXT LINE (U+0085)", "\\N"),
        ('\u{2028}', "LINE SEPARATOR (U+2028)", "\\L"),
        ('\u{2029}', "PARAGRAPH SEPARATOR (U+2029)", "\\P"),
    ] {
        // In a comment, where a YAML 1.1 parser would start a new line with a member on it.
        let text = group(APP1, "    validityYears: 2\n").replace(
            &format!("    - {APP2}\n"),
            &format!("    - {APP2}   # Finance{c}    - 0oa8ae3xxxxxxxxxxxx3\n"),
        );
        let (code, out) = validate_text(text.as_bytes());
        assert_eq!(code, 1, "{out}");
        assert!(
            out.contains(&format!(
                "g.yaml:8:39: an invisible {name}, which YAML parsers disagree on (some end the line there); remove it, or write it as `{escape}` inside a double-quoted string"
            )),
            "{out}"
        );
    }
}

#[tokio::test]
async fn an_id_with_an_invisible_character_is_shown_quoted_and_escaped() {
    let sim = SimProcess::start(&[]);
    for (written, shown) in [
        (format!("\"{APP1} \""), format!("\"{APP1} \"")),
        (
            format!("\"{APP1}\\u200B\""),
            format!("\"{APP1}\\u{{200b}}\""),
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        write_files(
            dir.path(),
            &[("g.yaml", &group(&written, "    validityYears: 2\n"))],
        );
        let assert = sim.keyshare().arg("plan").arg(dir.path()).assert().code(1);
        let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        assert!(
            err.contains(&format!(
                "g.yaml:6:11: group `g`: no app matches {shown}; check the id, label or name in Okta"
            )),
            "{err}"
        );
    }
}

#[test]
fn nesting_past_the_bound_is_refused_where_it_is_crossed() {
    // Flow and block nesting, one level within the bound and one past it.
    let flow = |depth: usize| format!("a: {}{}\n", "[".repeat(depth), "]".repeat(depth));
    let block = |depth: usize| {
        let mut text = String::from("a:\n");
        for level in 1..depth {
            text.push_str(&format!("{}- \n", "  ".repeat(level)));
        }
        text.push_str(&format!("{}- x\n", "  ".repeat(depth)));
        text
    };
    for (text, refused_at) in [
        (flow(31), None),
        (flow(32), Some("g.yaml:1:35")),
        (block(31), None),
        (block(32), Some("g.yaml:33:65")),
    ] {
        let (code, out) = validate_text(text.as_bytes());
        assert_eq!(code, 1, "{out}");
        match refused_at {
            Some(place) => assert!(
                out.contains(&format!(
                    "{place}: collections nested more than 32 levels deep here; a SigningKeyGroup document needs 4"
                )),
                "{out}"
            ),
            // Within the bound the file is read, and found not to be a group.
            None => assert!(out.contains("unknown field `a`"), "{out}"),
        }
    }
}

#[test]
fn a_ten_mebibyte_file_of_nesting_is_refused_at_once() {
    // Just under the size limit. The index used to copy the whole path for every node and the
    // YAML 1.1 parser takes time quadratic in flow depth: this file took hours. Now the walk
    // stops at the bound, near the start of the file.
    let half = (keyshare::config::MAX_FILE_BYTES as usize - 8) / 2;
    let text = format!("a: {}{}\n", "[".repeat(half), "]".repeat(half));
    let (code, out) = validate_text(text.as_bytes());
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("g.yaml:1:"), "{out}");
    assert!(out.contains("nested more than 32 levels deep"), "{out}");
}

#[test]
fn a_file_the_position_parser_stops_on_is_not_handed_on_when_it_could_nest_deep() {
    // The two YAML parsers disagree on a tab after a colon: the position index stops there,
    // serde_yaml's parser reads on. With a few brackets the file goes on to serde_yaml (and is
    // read); with more than the bound could hold, the index's own message is final.
    let (code, out) = validate_text(b"a:\t[1]\n");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("unknown field `a`"), "{out}");

    let half = (keyshare::config::MAX_FILE_BYTES as usize - 16) / 2;
    let text = format!("a:\t1\nb: {}{}\n", "[".repeat(half), "]".repeat(half));
    let (code, out) = validate_text(text.as_bytes());
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "g.yaml:1:4: ':' must be followed by a valid YAML whitespace; fix the YAML syntax here"
        ),
        "{out}"
    );
}

/// `a:` then `block` block collections (`true`: a sequence, `false`: a mapping), one per
/// line, then `flow` flow sequences on the last line: 1 + block + flow levels in all.
fn nested(block: &[bool], flow: usize) -> String {
    let mut text = String::from("a:");
    for (i, seq) in block.iter().enumerate() {
        text.push_str(&format!(
            "\n{}{}",
            "  ".repeat(i + 1),
            if *seq { "-" } else { "k:" }
        ));
    }
    if flow == 0 {
        text.push_str(" x\n");
    } else {
        text.push_str(&format!(" {}{}\n", "[".repeat(flow), "]".repeat(flow)));
    }
    text
}

proptest::proptest! {
    /// Any mix of block and flow nesting is refused exactly when it passes 32 levels, at the
    /// collection that crosses the bound.
    #[test]
    fn nesting_is_refused_exactly_past_the_bound(
        block in proptest::collection::vec(proptest::bool::ANY, 0..40),
        flow in 0usize..40,
    ) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("g.yaml"), nested(&block, flow)).unwrap();
        let err = keyshare::config::load_dir(dir.path()).unwrap_err().to_string();
        let depth = 1 + block.len() + flow;
        let deep = err.contains("nested more than 32 levels deep");
        proptest::prop_assert_eq!(deep, depth > 32, "{}", err);
        if deep {
            // The 33rd collection: a block one on its own line, or a `[` on the last line.
            let (line, column) = if block.len() >= 32 {
                (33, 2 * 32 + 1)
            } else {
                let (line, prefix) = match block.last() {
                    None => (1, "a: ".len()),
                    Some(seq) => (1 + block.len(), 2 * block.len() + if *seq { 2 } else { 3 }),
                };
                (line, prefix + 32 - block.len())
            };
            let place = format!("g.yaml:{line}:{column}: collections nested");
            proptest::prop_assert!(err.contains(&place), "expected {} in {}", place, err);
        } else {
            proptest::prop_assert!(err.contains("unknown field `a`"), "{}", err);
        }
    }
}

/// `metadata.annotations`: keyshare.io/suspend takes "true" or "false"; another keyshare.io/
/// key is a typo and refused where it is written; other tools' annotations are left alone.
#[test]
fn the_suspend_annotation_is_validated_and_other_annotations_are_left_alone() {
    let with = |annotations: &str| {
        group(APP1, "    validityYears: 2\n").replace(
            "  name: g\n",
            &format!("  name: g\n  annotations:\n{annotations}"),
        )
    };
    for fine in [
        "    keyshare.io/suspend: \"true\"\n",
        "    keyshare.io/suspend: \"false\"\n    example.com/owner: team-a\n",
    ] {
        let (code, out) = validate_text(with(fine).as_bytes());
        assert_eq!(code, 0, "{fine}: {out}");
    }
    let (code, out) = validate_text(with("    keyshare.io/suspend: \"yes\"\n").as_bytes());
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("g.yaml:6:") && out.contains(r#"keyshare.io/suspend is "yes"; write "true""#),
        "{out}"
    );
    let (code, out) = validate_text(with("    keyshare.io/suspended: \"true\"\n").as_bytes());
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(r#"unknown annotation "keyshare.io/suspended""#),
        "{out}"
    );
}
