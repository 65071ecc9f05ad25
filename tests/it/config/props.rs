//! The loader never panics: arbitrary bytes, and valid documents mutated at random, either
//! load or come back as problems that each name a place in the file.

use std::fs;
use std::path::Path;

use keyshare::config::{Place, load_dir};
use proptest::prelude::*;

const EXAMPLE: &str = include_str!("../../../examples/desired-state/finance.yaml");

/// Loads `bytes` as the only file of `dir` and checks the shape of the answer.
fn check(dir: &Path, bytes: &[u8]) {
    let file = dir.join("g.yaml");
    fs::write(&file, bytes).unwrap();
    if let Err(err) = load_dir(dir) {
        assert!(!err.problems.is_empty());
        for problem in &err.problems {
            let path = match &problem.place {
                Place::At(location) => {
                    assert!(location.line >= 1 && location.column >= 1, "{problem}");
                    &location.file
                }
                Place::Path(path) => path,
            };
            assert!(path.starts_with(dir), "{problem}");
        }
    }
}

/// One edit of a text: delete, insert or duplicate.
#[derive(Debug, Clone)]
enum Edit {
    Delete { at: usize, len: usize },
    Insert { at: usize, text: String },
    DuplicateLine { line: usize },
}

fn edit() -> impl Strategy<Value = Edit> {
    // Characters that mean something to YAML, so that mutations reach deep parser states.
    let yaml_text = "[-:{}\\[\\],&*!|>'\"#%@` \t\n0-9a-zA-Zé]{1,8}";
    prop_oneof![
        (any::<usize>(), 1usize..20).prop_map(|(at, len)| Edit::Delete { at, len }),
        (any::<usize>(), yaml_text).prop_map(|(at, text)| Edit::Insert { at, text }),
        any::<usize>().prop_map(|line| Edit::DuplicateLine { line }),
    ]
}

fn apply(text: &str, edit: &Edit) -> String {
    let chars: Vec<char> = text.chars().collect();
    match edit {
        Edit::Delete { at, len } => {
            let at = at % chars.len().max(1);
            let end = (at + len).min(chars.len());
            chars[..at].iter().chain(&chars[end..]).collect()
        }
        Edit::Insert { at, text } => {
            let at = at % (chars.len() + 1);
            let mut out: String = chars[..at].iter().collect();
            out.push_str(text);
            out.extend(&chars[at..]);
            out
        }
        Edit::DuplicateLine { line } => {
            let lines: Vec<&str> = text.lines().collect();
            let n = line % lines.len().max(1);
            let mut out: Vec<&str> = lines.clone();
            if let Some(l) = lines.get(n) {
                out.insert(n, l);
            }
            out.join("\n")
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let dir = tempfile::tempdir().unwrap();
        check(dir.path(), &bytes);
    }

    #[test]
    fn mutated_documents_never_panic(edits in proptest::collection::vec(edit(), 1..6), twice in any::<bool>()) {
        let base = if twice { format!("{EXAMPLE}---\n{EXAMPLE}") } else { EXAMPLE.to_owned() };
        let text = edits.iter().fold(base, |text, e| apply(&text, e));
        let dir = tempfile::tempdir().unwrap();
        check(dir.path(), text.as_bytes());
    }
}
