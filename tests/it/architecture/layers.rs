//! Every `crate::ROOM` path in a room's code (tests and comments aside) names a room of a
//! lower layer, or a leaf; the layers are ARCHITECTURE.md's "Who imports whom".

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Top to bottom; a room may import the rooms of later entries only.
const LAYERS: &[&[&str]] = &[
    &["main"],
    &["cli"],
    &["controller"],
    &["planfile", "render"],
    &["reconcile"],
    &["apply"],
    &["plan"],
    &["config"],
    &["okta"],
];

/// Any layer may use these; they use nothing above `okta`.
const LEAVES: &[&str] = &["escape", "fsio", "cert"];

fn layer_of(room: &str) -> Option<usize> {
    if LEAVES.contains(&room) {
        return Some(LAYERS.len());
    }
    LAYERS.iter().position(|layer| layer.contains(&room))
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|entry| entry.expect("a readable source tree").into_path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .collect()
}

/// A file's code without its unit-test module (last in the file, by the code's convention)
/// and comments: what it imports when built for use.
fn code(text: &str) -> String {
    let built = text.split("#[cfg(test)]\nmod ").next().unwrap_or_default();
    built
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The rooms a file's code names as `prefix::ROOM`.
fn named_rooms(code: &str, prefix: &str) -> BTreeSet<String> {
    code.match_indices(prefix)
        .filter(|(at, _)| {
            code[..*at]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric() && c != '_')
        })
        .map(|(at, _)| {
            code[at + prefix.len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

/// The room of a file under src/: its first path component, without `.rs`.
fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("a readable source file")
}

fn room_of(src: &Path, path: &Path) -> String {
    let first = path
        .strip_prefix(src)
        .expect("under src")
        .components()
        .next()
        .expect("a component");
    first
        .as_os_str()
        .to_string_lossy()
        .trim_end_matches(".rs")
        .to_owned()
}

#[test]
fn rooms_import_only_from_lower_layers_and_leaves() {
    let src = Path::new(ROOT).join("src");
    let mut wrong = Vec::new();
    for path in rust_files(&src) {
        let room = room_of(&src, &path);
        if room == "lib" {
            continue;
        }
        let own = layer_of(&room).unwrap_or_else(|| {
            panic!(
                "{room} (from {}) is in no layer of ARCHITECTURE.md",
                path.display()
            )
        });
        for named in named_rooms(&code(&read(&path)), "crate::") {
            if named == room {
                continue;
            }
            let theirs = layer_of(&named).unwrap_or_else(|| {
                panic!(
                    "{} names crate::{named}, which is in no layer",
                    path.display()
                )
            });
            let leaf_above_okta = own == LAYERS.len() && theirs < LAYERS.len() - 1;
            if theirs <= own && own != LAYERS.len() || leaf_above_okta {
                wrong.push(format!("{} ({room}) imports {named}", path.display()));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_simulator_imports_nothing_of_keyshare() {
    let src = Path::new(ROOT).join("crates/okta-sim/src");
    let offending: Vec<String> = rust_files(&src)
        .into_iter()
        .filter(|path| !named_rooms(&code(&read(path)), "keyshare::").is_empty())
        .map(|path| path.display().to_string())
        .collect();
    assert!(
        offending.is_empty(),
        "okta-sim uses keyshare in {offending:?}"
    );
}

#[test]
fn the_checker_sees_imports_in_code_only() {
    let text = "use crate::plan::Plan;\n// crate::render in a comment\nfn f() { crate::cli::main(); }\nconst X: u8 = my_crate::config::X;\n#[cfg(test)]\nmod tests { use crate::controller; }\n";
    assert_eq!(
        named_rooms(&code(text), "crate::"),
        BTreeSet::from(["cli".to_owned(), "plan".to_owned()])
    );
}
