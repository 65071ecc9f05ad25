//! docs/commands.md holds every command's `-h` verbatim, between two markers, so that the
//! documented flags, defaults and environment variables are exactly those of the binary.
//! After changing a flag, `UPDATE_DOCS=1 cargo test --test it cli::docs::` rewrites the section;
//! review the diff like any other.

use std::path::Path;

const BEGIN: &str = "<!-- BEGIN generated from `keyshare COMMAND -h` by tests/it/cli/docs.rs -->\n";
const END: &str = "<!-- END generated -->\n";

/// `keyshare ARGS`, with no variable set that `-h` would show the value of.
fn help(args: &[&str]) -> String {
    let assert = assert_cmd::Command::new(env!("CARGO_BIN_EXE_keyshare"))
        .args(args)
        .env_clear()
        .assert()
        .success();
    String::from_utf8(assert.get_output().stdout.clone()).expect("UTF-8 help")
}

/// The subcommands `keyshare -h` lists, `help` aside.
fn commands() -> Vec<String> {
    let top = help(&["-h"]);
    let listed = top
        .split_once("Commands:\n")
        .expect("a Commands section")
        .1
        .split("\n\n")
        .next()
        .expect("its lines");
    listed
        .lines()
        // A command's line is indented by two spaces; a wrapped description by more.
        .filter_map(|line| {
            line.strip_prefix("  ")
                .filter(|rest| !rest.starts_with(' '))
        })
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

fn generated() -> String {
    let mut out = String::from(BEGIN);
    out.push_str("\n```text\n$ keyshare -h\n");
    out.push_str(&help(&["-h"]));
    out.push_str("```\n");
    for command in commands() {
        out.push_str(&format!("\n```text\n$ keyshare {command} -h\n"));
        out.push_str(&help(&[&command, "-h"]));
        out.push_str("```\n");
    }
    out.push('\n');
    out.push_str(END);
    out
}

#[test]
fn commands_md_holds_every_commands_help_verbatim() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/commands.md");
    let doc = std::fs::read_to_string(&path).expect("docs/commands.md");
    let (before, rest) = doc.split_once(BEGIN).expect("the BEGIN marker");
    let (_, after) = rest.split_once(END).expect("the END marker");
    let expected = format!("{before}{}{after}", generated());
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &expected).expect("write docs/commands.md");
        return;
    }
    assert!(
        doc == expected,
        "docs/commands.md differs from `keyshare COMMAND -h`; run `UPDATE_DOCS=1 cargo test --test it cli::docs::` and review the diff"
    );
}
