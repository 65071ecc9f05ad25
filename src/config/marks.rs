//! Where each node of a YAML file starts, found by its path (`spec.members[1]`).
//!
//! serde_yaml reports positions only for its own errors; the semantic checks (a duplicate group
//! name, an app in two groups…) find the offending value here. The index is built from the
//! events of a second, span-reporting parser over the same text. It must never decide whether a
//! file is valid: serde_yaml does; a file this parser cannot read simply has fewer positions.
//!
//! The one exception is nesting depth, which this pass bounds because it runs first: the YAML
//! parser under serde_yaml takes time quadratic in the depth of flow collections, so a file
//! nested thousands of levels deep must be refused before that parser sees it; and where this
//! parser stops early, [`Index::stopped`] lets the loader decide whether the rest is safe to
//! hand on. The index itself
//! is a tree of nodes, so that recording a node costs the same at any depth: the whole pass is
//! linear in the size of the file.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser};

/// How deeply collections may nest. A `SigningKeyGroup` needs four levels (the document,
/// `spec`, `spec.members`, a selector mapping); the rest is room for other documents'
/// shapes, far below the depth at which parsing gets slow.
pub(super) const MAX_DEPTH: usize = 32;

/// One step of a path from a document's root.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Seg {
    Key(String),
    Index(usize),
}

impl From<&str> for Seg {
    fn from(key: &str) -> Self {
        Self::Key(key.to_owned())
    }
}

impl From<usize> for Seg {
    fn from(index: usize) -> Self {
        Self::Index(index)
    }
}

/// A 1-based line and column.
pub(super) type Pos = (usize, usize);

/// A node: where it starts, for a scalar its text, and its children by path step.
#[derive(Debug, Clone)]
struct Node {
    pos: Pos,
    scalar: Option<String>,
    children: HashMap<Seg, usize>,
}

/// A mapping key written twice. serde_yaml reports it too, but at the mapping, not the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct DuplicateKey {
    /// The mapping's path.
    pub path: Vec<Seg>,
    pub key: String,
    pub pos: Pos,
    pub first: Pos,
}

/// Collections nested deeper than [`MAX_DEPTH`]: where the first too-deep one starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct TooDeep {
    pub pos: Pos,
}

/// The nodes of every document this parser read.
#[derive(Debug, Default)]
pub(super) struct Index {
    pub docs: Vec<DocMarks>,
    /// Where and why this parser stopped before the end of the file, if it did.
    pub stopped: Option<(Pos, String)>,
}

/// The nodes of one document.
#[derive(Debug, Default)]
pub(super) struct DocMarks {
    /// The tree of nodes; the first is the document's root.
    nodes: Vec<Node>,
    pub duplicate_keys: Vec<DuplicateKey>,
}

impl DocMarks {
    /// The deepest indexed node along `path`, and how many steps of `path` led to it.
    fn deepest(&self, path: &[Seg]) -> Option<(&Node, usize)> {
        let mut node = self.nodes.first()?;
        for (steps, seg) in path.iter().enumerate() {
            match node.children.get(seg) {
                Some(&child) => node = &self.nodes[child],
                None => return Some((node, steps)),
            }
        }
        Some((node, path.len()))
    }

    /// Where the node at `path` starts, or where its nearest indexed ancestor does.
    pub(super) fn pos(&self, path: &[Seg]) -> Pos {
        self.deepest(path).map_or((1, 1), |(node, _)| node.pos)
    }

    /// The text of the scalar at `path`, if there is one.
    pub(super) fn scalar(&self, path: &[Seg]) -> Option<&str> {
        match self.deepest(path)? {
            (node, steps) if steps == path.len() => node.scalar.as_deref(),
            _ => None,
        }
    }

    /// Adds a node at `seg` of the node `parent` (`None`: the document's root), unless one is
    /// there already (a key written twice keeps its first value), and returns its index.
    fn add(&mut self, at: Option<(usize, Seg)>, pos: Pos, scalar: Option<String>) -> usize {
        let node = Node {
            pos,
            scalar,
            children: HashMap::new(),
        };
        let Some((parent, seg)) = at else {
            if self.nodes.is_empty() {
                self.nodes.push(node);
            }
            return 0;
        };
        if let Some(&existing) = self.nodes[parent].children.get(&seg) {
            return existing;
        }
        let index = self.nodes.len();
        self.nodes.push(node);
        self.nodes[parent].children.insert(seg, index);
        index
    }
}

/// An open collection while walking events.
struct Open {
    /// The collection's node.
    node: usize,
    kind: OpenKind,
}

enum OpenKind {
    Seq {
        next: usize,
    },
    /// The key whose value comes next; `None` while a key is expected.
    Map {
        key: Option<Seg>,
        /// Keys read so far, and where.
        seen: HashMap<String, Pos>,
    },
}

/// What the node that starts now is.
enum Role {
    Root,
    Value(Seg),
    Key,
}

/// Indexes every document of `text`. On a syntax error the documents read so far are kept;
/// collections nested deeper than [`MAX_DEPTH`] stop the walk at once.
pub(super) fn index_documents(text: &str) -> Result<Index, TooDeep> {
    let mut docs = Vec::new();
    let mut doc = DocMarks::default();
    // The path of the open collections, kept for the duplicate keys' messages.
    let mut path: Vec<Seg> = Vec::new();
    let mut open: Vec<Open> = Vec::new();
    for event in Parser::new_from_str(text) {
        let (event, span) = match event {
            Ok(event) => event,
            // The scanner counts flow levels in a byte and stops past 255, ahead of the events
            // that would reach MAX_DEPTH: the same finding, only later.
            Err(err) if err.info() == "recursion limit exceeded" => {
                let at = err.marker();
                return Err(TooDeep {
                    pos: (at.line(), at.col() + 1),
                });
            }
            Err(err) => {
                let at = err.marker();
                let stopped = Some(((at.line(), at.col() + 1), err.info().to_owned()));
                return Ok(Index { docs, stopped });
            }
        };
        let pos = (span.start.line(), span.start.col() + 1);
        match event {
            Event::DocumentStart(_) => {
                doc = DocMarks::default();
                path.clear();
                open.clear();
            }
            Event::DocumentEnd => docs.push(std::mem::take(&mut doc)),
            Event::Scalar(value, ..) => {
                let value = value.into_owned();
                match role(&mut open) {
                    Role::Key => set_key(&mut open, &mut doc, &path, value, pos),
                    Role::Value(seg) => {
                        record(&mut doc, &open, Some(seg), pos, Some(value));
                    }
                    Role::Root => {
                        record(&mut doc, &open, None, pos, Some(value));
                    }
                }
            }
            Event::Alias(_) => match role(&mut open) {
                Role::Key => set_key(&mut open, &mut doc, &path, String::new(), pos),
                Role::Value(seg) => {
                    record(&mut doc, &open, Some(seg), pos, None);
                }
                Role::Root => {
                    record(&mut doc, &open, None, pos, None);
                }
            },
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                if open.len() == MAX_DEPTH {
                    return Err(TooDeep { pos });
                }
                // A collection used as a mapping key gets an empty key, which no check asks for.
                let seg = match role(&mut open) {
                    Role::Key => Some(Seg::Key(String::new())),
                    Role::Value(seg) => Some(seg),
                    Role::Root => None,
                };
                if let Some(seg) = &seg {
                    path.push(seg.clone());
                }
                let node = record(&mut doc, &open, seg, pos, None);
                let kind = if matches!(event, Event::SequenceStart(..)) {
                    OpenKind::Seq { next: 0 }
                } else {
                    OpenKind::Map {
                        key: None,
                        seen: HashMap::new(),
                    }
                };
                open.push(Open { node, kind });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                open.pop();
                path.pop();
            }
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
    }
    Ok(Index {
        docs,
        stopped: None,
    })
}

/// Classifies the node that starts now, advancing the enclosing collection past it.
fn role(open: &mut [Open]) -> Role {
    match open.last_mut().map(|o| &mut o.kind) {
        None => Role::Root,
        Some(OpenKind::Seq { next }) => {
            *next += 1;
            Role::Value(Seg::Index(*next - 1))
        }
        Some(OpenKind::Map { key, .. }) => key.take().map_or(Role::Key, Role::Value),
    }
}

/// Remembers the key of a mapping whose value comes next, and notes a key written twice.
fn set_key(open: &mut [Open], doc: &mut DocMarks, path: &[Seg], name: String, pos: Pos) {
    if let Some(OpenKind::Map { key, seen }) = open.last_mut().map(|o| &mut o.kind) {
        if let Some(first) = seen.get(&name) {
            doc.duplicate_keys.push(DuplicateKey {
                path: path.to_vec(),
                key: name.clone(),
                pos,
                first: *first,
            });
        } else {
            seen.insert(name.clone(), pos);
        }
        *key = Some(Seg::Key(name));
    }
}

/// `spec.members[1]` for a path.
pub(super) fn dotted(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(key) if out.is_empty() => out.push_str(key),
            Seg::Key(key) => {
                out.push('.');
                out.push_str(key);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Records a node in the innermost open collection at `seg` (`None`: the document's root),
/// and returns its index.
fn record(
    doc: &mut DocMarks,
    open: &[Open],
    seg: Option<Seg>,
    pos: Pos,
    scalar: Option<String>,
) -> usize {
    let at = seg.and_then(|seg| Some((open.last()?.node, seg)));
    doc.add(at, pos, scalar)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nodes_by_path_in_each_document() {
        let text =
            "a: 1\n---\n# c\nspec:\n  members:\n    - x\n    - {label: y}\n  key: {kid: k}\n";
        let docs = index_documents(text).unwrap().docs;
        assert_eq!(docs.len(), 2);
        let spec = |rest: &[Seg]| {
            let mut path = vec![Seg::from("spec")];
            path.extend_from_slice(rest);
            path
        };
        let second = &docs[1];
        assert_eq!(second.pos(&spec(&["members".into(), 0.into()])), (6, 7));
        assert_eq!(second.pos(&spec(&["members".into(), 1.into()])), (7, 7));
        assert_eq!(
            second.pos(&spec(&["members".into(), 1.into(), "label".into()])),
            (7, 15)
        );
        assert_eq!(
            second.scalar(&spec(&["key".into(), "kid".into()])),
            Some("k")
        );
        // A path that is not there falls back to its nearest ancestor.
        assert_eq!(
            second.pos(&spec(&["key".into(), "rotateAfter".into()])),
            (8, 8)
        );
        assert_eq!(docs[0].scalar(&["a".into()]), Some("1"));
        assert_eq!(
            dotted(&spec(&["members".into(), 1.into()])),
            "spec.members[1]"
        );
    }

    #[test]
    fn notes_keys_written_twice() {
        let docs = index_documents("a: 1\nb:\n  c: 1\n  c: 2\na: 3\n")
            .unwrap()
            .docs;
        let found: Vec<(String, String, Pos, Pos)> = docs[0]
            .duplicate_keys
            .iter()
            .map(|d| (dotted(&d.path), d.key.clone(), d.pos, d.first))
            .collect();
        assert_eq!(
            found,
            [
                ("b".to_owned(), "c".to_owned(), (4, 3), (3, 3)),
                (String::new(), "a".to_owned(), (5, 1), (1, 1)),
            ]
        );
    }

    #[test]
    fn refuses_nesting_past_the_bound_where_it_starts() {
        let at_bound = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(index_documents(&at_bound).is_ok());
        let past = format!("a:\n  {}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(
            index_documents(&past).unwrap_err(),
            TooDeep {
                pos: (2, 3 + MAX_DEPTH - 1)
            }
        );
    }
}
