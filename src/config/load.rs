//! Reading a directory of YAML files into a [`DesiredState`].
//!
//! The walk is sorted (so that problems and "first defined at" places are stable), follows
//! symlinks but reports loops, and skips hidden entries such as `.git`. Each file is checked for
//! size, UTF-8 and the line breaks YAML parsers disagree on before any YAML parser sees it, and
//! for nesting depth before the (slower) parser behind serde_yaml does. A byte-order mark is
//! allowed, as YAML allows it. Problems are collected across all files; the loader never stops
//! at the first.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::IgnoredAny;
use walkdir::{DirEntry, WalkDir};

use super::error::{ConfigError, Problem};
use super::marks::{self, DocMarks, DuplicateKey, MAX_DEPTH, Seg, TooDeep};
use super::raw::{KeyProbe, MembersProbe, RawGroup, ShapeProbe, SourceProbe};
use super::resolve::{self, Claims, DocPlace};
use super::{DesiredState, Location, SigningKeyGroup};

/// Files larger than this are refused unread: desired state is a few kilobytes, and the YAML
/// parser holds a whole file in memory.
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

/// Loads every `*.yaml` / `*.yml` under `dir`, recursively (or `dir` itself when it is a file),
/// and checks it. Groups come back sorted by name; on error, every problem of every file.
pub fn load_dir(dir: &Path) -> Result<DesiredState, ConfigError> {
    let (files, mut problems) = find_files(dir);
    let mut groups = Vec::new();
    let mut claims = Vec::new();
    for file in &files {
        match read_text(file) {
            Ok(text) => load_text(file, &text, &mut groups, &mut claims, &mut problems),
            Err(problem) => problems.push(problem),
        }
    }
    if files.is_empty() && problems.is_empty() {
        problems.push(Problem::path(
            dir,
            "no *.yaml or *.yml file here; write a SigningKeyGroup document (see examples/desired-state/finance.yaml) or pass the directory that holds them",
        ));
    } else if claims.is_empty() && problems.is_empty() {
        problems.push(Problem::path(
            dir,
            "the YAML files here hold no document; write a SigningKeyGroup document (see examples/desired-state/finance.yaml)",
        ));
    }
    problems.extend(resolve::check_across(&claims));
    if !problems.is_empty() {
        problems.sort();
        return Err(ConfigError { problems });
    }
    Ok(DesiredState::new(groups))
}

/// The YAML files under `dir`, in walk order, and the problems met on the way.
fn find_files(dir: &Path) -> (Vec<PathBuf>, Vec<Problem>) {
    let Ok(metadata) = fs::metadata(dir) else {
        let problem = Problem::path(
            dir,
            "no such directory; pass the directory that holds the desired-state YAML files",
        );
        return (Vec::new(), vec![problem]);
    };
    if !metadata.is_dir() && !metadata.is_file() {
        // Never opened: reading a FIFO would wait for a writer, and a device may never end.
        let problem = Problem::path(
            dir,
            format!(
                "is {}, not a directory; pass the directory that holds the desired-state YAML files",
                special_kind(&metadata.file_type())
            ),
        );
        return (Vec::new(), vec![problem]);
    }
    let mut files = Vec::new();
    let mut problems = Vec::new();
    let walk = WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| entry.depth() == 0 || !is_hidden(entry));
    for entry in walk {
        match entry {
            Ok(entry) if entry.file_type().is_file() && is_yaml(entry.path()) => {
                files.push(entry.into_path());
            }
            Ok(_) => {}
            Err(err) => problems.push(walk_problem(dir, &err)),
        }
    }
    (files, problems)
}

/// What a path that is neither a directory nor a regular file is, for a message.
fn special_kind(file_type: &fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt as _;
    if file_type.is_fifo() {
        "a FIFO (named pipe)"
    } else if file_type.is_socket() {
        "a socket"
    } else if file_type.is_char_device() || file_type.is_block_device() {
        "a device"
    } else {
        "neither a file nor a directory"
    }
}

fn is_hidden(entry: &DirEntry) -> bool {
    entry.file_name().to_string_lossy().starts_with('.')
}

fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

fn walk_problem(dir: &Path, err: &walkdir::Error) -> Problem {
    let path = err.path().unwrap_or(dir);
    if let Some(ancestor) = err.loop_ancestor() {
        return Problem::path(
            path,
            format!(
                "symbolic link loop: this leads back to {}; remove the link or point it elsewhere",
                ancestor.display()
            ),
        );
    }
    if err
        .io_error()
        .is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound)
    {
        return Problem::path(
            path,
            "a symbolic link to nothing; restore its target or remove the link",
        );
    }
    let cause = err
        .io_error()
        .map_or_else(|| err.to_string(), ToString::to_string);
    Problem::unreadable(
        path,
        format!("cannot be read ({cause}); fix the permissions or remove the entry"),
    )
}

/// Reads a file as UTF-8 text, refusing one over [`MAX_FILE_BYTES`] without reading it.
fn read_text(path: &Path) -> Result<String, Problem> {
    let io_problem = |err: std::io::Error| {
        Problem::unreadable(
            path,
            format!("cannot be read ({err}); fix the permissions or remove the file"),
        )
    };
    let too_large = || {
        Problem::path(
            path,
            format!(
                "larger than {} MiB, which no desired state needs; split it or move it out of the directory",
                MAX_FILE_BYTES / 1024 / 1024
            ),
        )
    };
    let file = fs::File::open(path).map_err(io_problem)?;
    if file.metadata().map_err(io_problem)?.len() > MAX_FILE_BYTES {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    // `take` guards against files that grow or lie about their size (pipes, /proc).
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io_problem)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large());
    }
    let text = String::from_utf8(bytes).map_err(|err| {
        let valid = &err.as_bytes()[..err.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
        let line_start = valid.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&valid[line_start..])
            .chars()
            .count()
            + 1;
        Problem::at(
            Location {
                file: path.to_path_buf(),
                line,
                column,
            },
            "not valid UTF-8; save the file as UTF-8",
        )
    })?;
    // YAML allows a byte-order mark at the start; editors hide it, so columns count without it.
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    };
    check_line_breaks(path, &text)?;
    Ok(text)
}

/// Refuses NEL (U+0085), LINE SEPARATOR (U+2028) and PARAGRAPH SEPARATOR (U+2029): YAML 1.1
/// parsers (the one behind serde_yaml) end a line there and YAML 1.2 parsers (the position
/// index) do not, so the two would read different documents, and a comment could hide YAML
/// that only one of them sees.
fn check_line_breaks(path: &Path, text: &str) -> Result<(), Problem> {
    let Some((at, found)) = text
        .char_indices()
        .find(|(_, c)| matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}'))
    else {
        return Ok(());
    };
    let before = &text[..at];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let (name, escape) = match found {
        '\u{85}' => ("NEXT LINE (U+0085)", "\\N"),
        '\u{2028}' => ("LINE SEPARATOR (U+2028)", "\\L"),
        _ => ("PARAGRAPH SEPARATOR (U+2029)", "\\P"),
    };
    Err(Problem::at(
        Location {
            file: path.to_path_buf(),
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        },
        format!(
            "an invisible {name}, which YAML parsers disagree on (some end the line there); remove it, or write it as `{escape}` inside a double-quoted string"
        ),
    ))
}

/// Parses and checks every document of one file.
fn load_text(
    file: &Path,
    text: &str,
    groups: &mut Vec<SigningKeyGroup>,
    claims: &mut Vec<Claims>,
    problems: &mut Vec<Problem>,
) {
    // First: this pass is linear and stops at the depth bound; serde_yaml's is not.
    let index = match marks::index_documents(text) {
        Ok(index) => index,
        Err(TooDeep {
            pos: (line, column),
        }) => {
            problems.push(Problem::at(
                Location {
                    file: file.to_path_buf(),
                    line,
                    column,
                },
                format!(
                    "collections nested more than {MAX_DEPTH} levels deep here; a SigningKeyGroup document needs 4, so write it as in docs/desired-state.md or move this file out of the directory"
                ),
            ));
            return;
        }
    };
    if let Some(((line, column), why)) = index.stopped {
        // This parser stopped early, so the depth of the rest is unknown, and serde_yaml's may
        // read on where this one stopped (they disagree on a few inputs, such as a tab after a
        // colon). It gets the file only if the file cannot nest past the bound anywhere.
        if text.matches(['[', '{']).count() > MAX_DEPTH {
            problems.push(Problem::at(
                Location {
                    file: file.to_path_buf(),
                    line,
                    column,
                },
                format!("{why}; fix the YAML syntax here"),
            ));
            return;
        }
    }
    let doc_marks = index.docs;
    let (non_empty, syntax_problem) = scan_documents(file, text);
    problems.extend(syntax_problem);
    let missing = DocMarks::default();
    let documents = serde_yaml::Deserializer::from_str(text).zip(non_empty);
    for (index, (document, non_empty)) in documents.enumerate() {
        if !non_empty {
            continue;
        }
        let place = DocPlace {
            file,
            marks: doc_marks.get(index).unwrap_or(&missing),
        };
        let header = resolve::check_header(
            &place,
            place.marks.scalar(&[Seg::from("apiVersion")]),
            place.marks.scalar(&[Seg::from("kind")]),
        );
        if !header.is_empty() {
            problems.extend(header);
            continue;
        }
        if !place.marks.duplicate_keys.is_empty() {
            problems.extend(
                place
                    .marks
                    .duplicate_keys
                    .iter()
                    .map(|dup| duplicate_key_problem(&place, dup)),
            );
            continue;
        }
        match RawGroup::deserialize(document) {
            Ok(raw) => {
                let (group, claimed) = resolve::resolve(raw, &place);
                claims.push(claimed);
                match group {
                    Ok(group) => groups.push(group),
                    Err(found) => problems.extend(found),
                }
            }
            Err(err) => {
                let mut found = vec![yaml_problem(file, text, &err, "see docs/desired-state.md")];
                for problem in wrong_parts(file, text, index) {
                    if !found.contains(&problem) {
                        found.push(problem);
                    }
                }
                problems.extend(found);
            }
        }
    }
}

/// The wrong values of document `index` of `text`, one per part it reads on its own (see
/// [`DocProbe`](super::raw::DocProbe)). Run only once the whole document was refused, so a
/// valid file is parsed once.
fn wrong_parts(file: &Path, text: &str, index: usize) -> Vec<Problem> {
    fn probe<T: for<'de> Deserialize<'de>>(text: &str, index: usize) -> Option<serde_yaml::Error> {
        let document = serde_yaml::Deserializer::from_str(text).nth(index)?;
        T::deserialize(document).err()
    }
    [
        probe::<ShapeProbe>(text, index),
        probe::<SourceProbe>(text, index),
        probe::<MembersProbe>(text, index),
        probe::<KeyProbe>(text, index),
    ]
    .into_iter()
    .flatten()
    .map(|err| yaml_problem(file, text, &err, "see docs/desired-state.md"))
    .collect()
}

fn duplicate_key_problem(place: &DocPlace<'_>, dup: &DuplicateKey) -> Problem {
    let mut key_path = dup.path.clone();
    key_path.push(Seg::Key(dup.key.clone()));
    Problem::at(
        place.at_pos(dup.pos),
        format!(
            "{} is written twice in this mapping (first at line {}, column {}); remove one",
            marks::dotted(&key_path),
            dup.first.0,
            dup.first.1
        ),
    )
}

/// Reads every document once without types, to find the syntax error if there is one.
/// Returns, for each document before it, whether it has content.
///
/// The typed pass must not go past a syntax error: serde_yaml's document iterator does not stop
/// after one, and the events it hands out after it are out of order.
fn scan_documents(file: &Path, text: &str) -> (Vec<bool>, Option<Problem>) {
    let mut non_empty = Vec::new();
    for document in serde_yaml::Deserializer::from_str(text) {
        match Option::<IgnoredAny>::deserialize(document) {
            Ok(content) => non_empty.push(content.is_some()),
            Err(err) => {
                let problem = yaml_problem(file, text, &err, "fix the YAML syntax here");
                return (non_empty, Some(problem));
            }
        }
    }
    (non_empty, None)
}

/// A serde_yaml error as a problem at its own location, with what to do.
fn yaml_problem(file: &Path, text: &str, err: &serde_yaml::Error, fix: &str) -> Problem {
    let message = strip_positions(&err.to_string());
    let place = err.location().map(|at| Location {
        file: file.to_path_buf(),
        line: at.line(),
        column: at.column(),
    });
    // serde_yaml hands a value with a local tag (`!ref x`) over as an enum, and says so.
    let message = match message.find("invalid type: enum") {
        Some(at) => {
            let tag = place
                .as_ref()
                .and_then(|p| tag_at(text, p.line, p.column))
                .unwrap_or("!…");
            format!(
                "{}the YAML tag `{tag}` means nothing to keyshare; remove it and write the value alone",
                &message[..at]
            )
        }
        None => format!("{message}; {fix}"),
    };
    match place {
        Some(location) => Problem::at(location, message),
        None => Problem::path(file, message),
    }
}

/// The tag (`!name`) written at a 1-based line and column of `text`, if one starts there.
fn tag_at(text: &str, line: usize, column: usize) -> Option<&str> {
    let line = text.lines().nth(line.checked_sub(1)?)?;
    let start = line.char_indices().nth(column.checked_sub(1)?)?.0;
    let rest = &line[start..];
    let end = rest
        .find(|c: char| c.is_whitespace() || matches!(c, ',' | ']' | '}'))
        .unwrap_or(rest.len());
    rest.starts_with('!').then(|| &rest[..end])
}

/// Removes the ` at line L column C` (and ` at position P`) that serde_yaml writes into its
/// messages: the place is printed in front instead.
fn strip_positions(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find(" at ") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 4..];
        match position_len(after) {
            Some(len) => rest = &after[len..],
            None => {
                out.push_str(" at ");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The length of `line L column C` or `position P` at the start of `text`.
fn position_len(text: &str) -> Option<usize> {
    let number = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    if let Some(rest) = text.strip_prefix("line ") {
        let line = number(rest);
        let rest = rest[line..].strip_prefix(" column ")?;
        let column = number(rest);
        (line > 0 && column > 0).then(|| "line ".len() + line + " column ".len() + column)
    } else {
        let rest = text.strip_prefix("position ")?;
        let digits = number(rest);
        (digits > 0).then(|| "position ".len() + digits)
    }
}
