//! Writing a `SigningKeyGroup` document: the inverse of the loader, for `keyshare import`.
//!
//! Pure: a [`GroupDocument`] in, YAML text out; no clock, no I/O. Text from Okta is escaped
//! for where it goes: scalars by the YAML serializer, comments by
//! [`yaml_comment`](crate::escape::yaml_comment), so that no label can end its comment and
//! add YAML of its own. What it writes must load (through [`super::load_dir`]) to the group it
//! describes; the tests below hold it to that.

use std::fmt::Write as _;

use jiff::Timestamp;

use crate::escape::yaml_comment;

/// One group as `keyshare import` found it in the org.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDocument {
    /// `metadata.name`.
    pub name: String,
    /// The app the key lives on.
    pub source: AppEntry,
    pub members: Vec<AppEntry>,
    /// `spec.key.validityYears`.
    pub validity_years: u8,
    /// Where the group was read, for the header comment.
    pub origin: Origin,
}

/// An app by id, with its label as a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppEntry {
    pub id: String,
    pub label: String,
}

/// What the comments say about where a document came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The org's URL.
    pub org: String,
    /// When the org was read.
    pub read_at: Timestamp,
    /// The kid the apps share.
    pub kid: String,
    /// When the shared key expires.
    pub key_expires_at: Timestamp,
}

/// The group's YAML document, with comments naming each app.
pub fn group_yaml(group: &GroupDocument) -> String {
    let origin = &group.origin;
    let mut out = format!(
        "# Imported by `keyshare import` from {} at {}.\n# These apps already sign with one shared key, {}.\napiVersion: keyshare/v1\nkind: SigningKeyGroup\nmetadata:\n  name: {}\nspec:\n  source: {}   # {}\n  members:\n",
        yaml_comment(&origin.org),
        origin.read_at,
        yaml_comment(&origin.kid),
        quote(&group.name),
        quote(&group.source.id),
        yaml_comment(&group.source.label),
    );
    for member in &group.members {
        let _ = writeln!(
            out,
            "    - {}   # {}",
            quote(&member.id),
            yaml_comment(&member.label)
        );
    }
    let _ = write!(
        out,
        "  key:\n    validityYears: {}\n    # The shared key expires at {}. Uncomment to let keyshare replace it in time:\n    # rotateBefore: 30d\n",
        group.validity_years, origin.key_expires_at
    );
    out
}

/// `text` as a YAML scalar, in the serializer's quoting.
fn quote(text: &str) -> String {
    let yaml = serde_yaml::to_string(text).expect("a string always serializes");
    yaml.trim_end_matches('\n').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AppSelector, SigningKeyGroup, load_dir};
    use crate::okta::AppId;

    fn document(name: &str, source: (&str, &str), members: &[(&str, &str)]) -> GroupDocument {
        let app = |(id, label): (&str, &str)| AppEntry {
            id: id.to_owned(),
            label: label.to_owned(),
        };
        GroupDocument {
            name: name.to_owned(),
            source: app(source),
            members: members.iter().copied().map(app).collect(),
            validity_years: 3,
            origin: Origin {
                org: "https://dev-1.okta.com/".to_owned(),
                read_at: "2026-12-07T08:00:00Z".parse().unwrap(),
                kid: "kid-1".to_owned(),
                key_expires_at: "2028-01-01T00:00:00Z".parse().unwrap(),
            },
        }
    }

    /// The groups the real loader reads back from the emitted documents, one file each.
    fn load_back(docs: &[GroupDocument]) -> Vec<SigningKeyGroup> {
        let dir = tempfile::tempdir().unwrap();
        for (n, doc) in docs.iter().enumerate() {
            std::fs::write(dir.path().join(format!("{n}.yaml")), group_yaml(doc)).unwrap();
        }
        match load_dir(dir.path()) {
            Ok(state) => state.groups,
            Err(e) => panic!(
                "the emitted YAML does not load: {e}\n{}",
                group_yaml(&docs[0])
            ),
        }
    }

    /// The loaded group's name, source, members and validity, as the document said them.
    fn reads_as(group: &SigningKeyGroup, doc: &GroupDocument) {
        let id = |s: &str| AppSelector::Id(AppId(s.to_owned()));
        assert_eq!(group.name, doc.name);
        assert_eq!(group.source.selector, id(&doc.source.id));
        let members: Vec<_> = group.members.iter().map(|m| m.selector.clone()).collect();
        let expected: Vec<_> = doc.members.iter().map(|m| id(&m.id)).collect();
        assert_eq!(members, expected);
        assert_eq!(group.key.validity_years, doc.validity_years);
        assert_eq!(group.key.rotate_before, None);
    }

    #[test]
    fn hostile_labels_stay_inside_their_comments_and_the_group_loads_as_written() {
        let labels = [
            "plain",
            "ends\nkind: Evil",
            "cr\rspec: {}",
            "nel\u{85}x: 1",
            "ls\u{2028}y: 2",
            "ps\u{2029}z: 3",
            "bom\u{feff}and bell\u{7}",
            "esc\u{1b}]0;title\u{7}",
            "rtl\u{202e}override",
            "# more: comment",
            "'quoted' \"both\" : colon",
        ];
        let members: Vec<(String, String)> = labels
            .iter()
            .enumerate()
            .map(|(n, label)| (format!("0oamember{n}"), (*label).to_owned()))
            .collect();
        let members: Vec<(&str, &str)> = members
            .iter()
            .map(|(i, l)| (i.as_str(), l.as_str()))
            .collect();
        let doc = document("finance-eu", ("0oasource", "src\nmetadata: x"), &members);
        let yaml = group_yaml(&doc);
        for line in yaml.lines() {
            let body = line.split("   # ").next().unwrap();
            assert!(
                !body.contains("Evil") && !body.contains("x: 1") && !body.contains("title"),
                "a label escaped its comment: {line:?}"
            );
        }
        let groups = load_back(std::slice::from_ref(&doc));
        assert_eq!(groups.len(), 1);
        reads_as(&groups[0], &doc);
    }

    #[test]
    fn names_and_ids_that_look_like_yaml_are_quoted() {
        let doc = document(
            "yes",
            ("0oa: 1", "x"),
            &[("null", "y"), ("- dash", "z"), ("'q'", "w")],
        );
        reads_as(&load_back(std::slice::from_ref(&doc))[0], &doc);
    }

    mod props {
        use proptest::prelude::*;

        use super::*;

        /// Any text, weighted towards what breaks YAML: line breaks of every kind, controls,
        /// quotes, `#`, `:` and leading indicators.
        fn hostile() -> impl Strategy<Value = String> {
            proptest::collection::vec(
                prop_oneof![
                    any::<char>().prop_map(String::from),
                    prop::sample::select(vec![
                        "\n", "\r", "\r\n", "\u{85}", "\u{2028}", "\u{2029}", "\u{feff}", "\u{1b}",
                        "\t", "#", ": ", "- ", "'", "\"", "{", "[", "&", "*", "!", "%", "@", "`",
                        "|", ">", "---", "...",
                    ])
                    .prop_map(str::to_owned),
                ],
                0..12,
            )
            .prop_map(|parts| parts.concat())
        }

        /// An app id: printable ASCII that neither starts nor ends with a space (the loader
        /// trims a selector and rightly refuses an empty one; Okta's ids have no spaces).
        fn id() -> impl Strategy<Value = String> {
            "[0-9A-Za-z]{1,20}|[!-~]|[!-~][ -~]{0,10}[!-~]"
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]

            #[test]
            fn whatever_the_labels_the_written_group_loads_back_the_same(
                name in "[a-z][a-z0-9-]{0,30}",
                source in (id(), hostile()),
                members in proptest::collection::vec((id(), hostile()), 1..4),
                years in 2_u8..=10,
            ) {
                let members: Vec<(&str, &str)> =
                    members.iter().map(|(i, l)| (i.as_str(), l.as_str())).collect();
                let mut doc = document(&name, (&source.0, &source.1), &members);
                doc.validity_years = years;
                let ids: std::collections::HashSet<_> = std::iter::once(&doc.source.id)
                    .chain(doc.members.iter().map(|m| &m.id))
                    .collect();
                // The loader refuses an app named twice in a group, as it should.
                prop_assume!(ids.len() == doc.members.len() + 1);
                reads_as(&load_back(std::slice::from_ref(&doc))[0], &doc);
            }
        }
    }
}
