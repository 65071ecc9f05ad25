//! Where each node of a YAML file starts, found by its path (`spec.members[1]`).
//!
//! serde_yaml reports positions only for its own errors; the semantic checks (a duplicate group
//! name, an app in two groups…) find the offending value here. The index is built from the
//! events of a second, span-reporting parser over the same text. It must never decide whether a
//! file is valid: serde_yaml does; a file this parser cannot read simply has fewer positions.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser};

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

/// A node: where it starts and, for a scalar, its text.
#[derive(Debug, Clone)]
struct Node {
    pos: Pos,
    scalar: Option<String>,
}

/// The nodes of one document.
#[derive(Debug, Default)]
pub(super) struct DocMarks {
    nodes: HashMap<Vec<Seg>, Node>,
}

impl DocMarks {
    /// Where the node at `path` starts, or where its nearest indexed ancestor does.
    pub(super) fn pos(&self, path: &[Seg]) -> Pos {
        (0..=path.len())
            .rev()
            .find_map(|n| self.nodes.get(&path[..n]))
            .map_or((1, 1), |node| node.pos)
    }

    /// The text of the scalar at `path`, if there is one.
    pub(super) fn scalar(&self, path: &[Seg]) -> Option<&str> {
        self.nodes.get(path)?.scalar.as_deref()
    }
}

/// An open collection while walking events.
enum Open {
    Seq {
        next: usize,
    },
    /// The key whose value comes next; `None` while a key is expected.
    Map {
        key: Option<Seg>,
    },
}

/// What the node that starts now is.
enum Role {
    Root,
    Value(Seg),
    Key,
}

/// Indexes every document of `text`. On a syntax error the documents read so far are kept.
pub(super) fn index_documents(text: &str) -> Vec<DocMarks> {
    let mut docs = Vec::new();
    let mut doc = DocMarks::default();
    let mut path: Vec<Seg> = Vec::new();
    let mut open: Vec<Open> = Vec::new();
    for event in Parser::new_from_str(text) {
        let Ok((event, span)) = event else { break };
        let pos = (span.start.line(), span.start.col() + 1);
        match event {
            Event::DocumentStart(_) => {
                doc = DocMarks::default();
                path.clear();
                open.clear();
            }
            Event::DocumentEnd => docs.push(std::mem::take(&mut doc)),
            Event::Scalar(value, ..) => match role(&mut open) {
                Role::Key => set_key(&mut open, Seg::Key(value.into_owned())),
                role => record(&mut doc, &path, role, pos, Some(value.into_owned())),
            },
            Event::Alias(_) => match role(&mut open) {
                Role::Key => set_key(&mut open, Seg::Key(String::new())),
                role => record(&mut doc, &path, role, pos, None),
            },
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                // A collection used as a mapping key gets an empty key, which no check asks for.
                let role = match role(&mut open) {
                    Role::Key => Role::Value(Seg::Key(String::new())),
                    role => role,
                };
                if let Role::Value(seg) = &role {
                    path.push(seg.clone());
                }
                record(&mut doc, &path, Role::Root, pos, None);
                open.push(if matches!(event, Event::SequenceStart(..)) {
                    Open::Seq { next: 0 }
                } else {
                    Open::Map { key: None }
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                open.pop();
                path.pop();
            }
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
    }
    docs
}

/// Classifies the node that starts now, advancing the enclosing collection past it.
fn role(open: &mut [Open]) -> Role {
    match open.last_mut() {
        None => Role::Root,
        Some(Open::Seq { next }) => {
            *next += 1;
            Role::Value(Seg::Index(*next - 1))
        }
        Some(Open::Map { key }) => key.take().map_or(Role::Key, Role::Value),
    }
}

/// Remembers the key of a mapping whose value comes next.
fn set_key(open: &mut [Open], seg: Seg) {
    if let Some(Open::Map { key }) = open.last_mut() {
        *key = Some(seg);
    }
}

/// Records a node at `path` extended by the role's segment (`Root`: at `path` itself).
fn record(doc: &mut DocMarks, path: &[Seg], role: Role, pos: Pos, scalar: Option<String>) {
    let mut at = path.to_vec();
    if let Role::Value(seg) = role {
        at.push(seg);
    }
    doc.nodes.entry(at).or_insert(Node { pos, scalar });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nodes_by_path_in_each_document() {
        let text =
            "a: 1\n---\n# c\nspec:\n  members:\n    - x\n    - {label: y}\n  key: {kid: k}\n";
        let docs = index_documents(text);
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
    }
}
