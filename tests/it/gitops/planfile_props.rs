//! The plan-file reader never panics, and never reads a changed plan as if it were intact.
//!
//! Two real plan files, written by `keyshare plan --out` against a `keyshare sim` process, are
//! fed to [`PlanFile::parse`] whole (it must read them), cut short at every byte, with bytes
//! flipped, and with one JSON member deleted, duplicated or replaced by another string, a
//! changed, huge or fractional number, a deeply nested value or bytes that are not UTF-8.
//! Arbitrary bytes and arbitrary JSON that passes the kind and version checks are fed too.
//!
//! The checksum covers the whole content, so the property for a mutated file is: the reader
//! refuses it with an error naming the file, or what it reads is exactly the plan that was
//! written (a change only to whitespace, or the removal of a member that was `null`, which
//! reads the same). Files whose checksum is made afresh after the change (as another writer
//! would) may be read, but the reader still must not panic.

use std::path::Path;
use std::sync::LazyLock;

use keyshare::okta::model::canonical_json;
use keyshare::planfile::{FORMAT_VERSION, KIND, PlanFile, PlanFileError};
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::gitops::{finance_yaml, shared_seed};
use crate::support::{EXAMPLE, SimProcess};

/// The name the reader is given for every file; every refusal must name it.
const PATH: &str = "/plans/saved-plan.json";

/// Stands in for a mutated member while the rest of the file is serialized.
const MARK: &str = "@@keyshare-mutation@@";

/// Two real plan files: the guide's first rotation (a generate because the source has no
/// active key the group knows), and a rotation because a shared key expires within
/// `rotateBefore` (timestamps and a duration in the reason).
static PLANS: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    let dir = tempfile::tempdir().unwrap();
    let guide = SimProcess::start(&[]);
    let first = plan_out(&guide, EXAMPLE, &dir.path().join("guide.json"));
    drop(guide);
    let desired = dir.path().join("desired");
    crate::support::write_files(&desired, &[("finance.yaml", &finance_yaml(true))]);
    let expiring = SimProcess::with_seed(&shared_seed(), &[]);
    let second = plan_out(
        &expiring,
        desired.to_str().unwrap(),
        &dir.path().join("rotate.json"),
    );
    vec![first, second]
});

fn plan_out(sim: &SimProcess, desired: &str, out: &Path) -> Vec<u8> {
    sim.keyshare()
        .args(["plan", desired, "--out"])
        .arg(out)
        .assert()
        .code(2);
    std::fs::read(out).unwrap()
}

fn original(which: &Index) -> (&'static [u8], PlanFile) {
    let bytes = which.get(&PLANS).as_slice();
    let file = PlanFile::parse(Path::new(PATH), bytes).expect("the plan keyshare wrote reads");
    (bytes, file)
}

/// Parses `bytes`; on refusal, checks that the message names the file.
fn parse(bytes: &[u8]) -> Result<PlanFile, PlanFileError> {
    let read = PlanFile::parse(Path::new(PATH), bytes);
    if let Err(err) = &read {
        assert!(err.to_string().contains(PATH), "no file named: {err}");
    }
    read
}

/// The property of a file changed after keyshare wrote it.
fn refused_or_unchanged(mutated: &[u8], original: &PlanFile) -> Result<(), TestCaseError> {
    if let Ok(read) = parse(mutated) {
        prop_assert_eq!(
            &read,
            original,
            "a changed plan was read as another plan:\n{}",
            String::from_utf8_lossy(mutated)
        );
    }
    Ok(())
}

/// Every member (object field or array element) of `value`, as a JSON pointer.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    let children: Vec<(String, &Value)> = match value {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| (k.replace('~', "~0").replace('/', "~1"), v))
            .collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect(),
        _ => return,
    };
    for (key, child) in children {
        let pointer = format!("{at}/{key}");
        out.push(pointer.clone());
        pointers(child, pointer, out);
    }
}

/// What one member becomes. `Raw` text goes into the file as it is (it may be invalid JSON).
#[derive(Debug, Clone)]
enum Replacement {
    Delete,
    Duplicate,
    Value(Value),
    Raw(Vec<u8>),
}

fn replacement() -> impl Strategy<Value = Replacement> {
    let raw = |s: &str| Replacement::Raw(s.as_bytes().to_vec());
    prop_oneof![
        Just(Replacement::Delete),
        Just(Replacement::Duplicate),
        any::<i64>().prop_map(|n| Replacement::Value(n.into())),
        any::<f64>().prop_map(|n| Replacement::Value(n.into())),
        "[ -~é✓]{0,40}".prop_map(|s| Replacement::Value(s.into())),
        Just(Replacement::Value(Value::Null)),
        Just(Replacement::Value(true.into())),
        Just(Replacement::Value(serde_json::json!({}))),
        Just(Replacement::Value(serde_json::json!([]))),
        Just(raw("18446744073709551616")),
        Just(raw("-99999999999999999999999999999999")),
        Just(raw("1e400")),
        Just(raw("1.5")),
        Just(raw("0x10")),
        (1usize..100_000).prop_map(|depth| {
            Replacement::Raw(["[".repeat(depth), "]".repeat(depth)].concat().into_bytes())
        }),
        (1usize..100_000).prop_map(|depth| {
            Replacement::Raw(
                ["{\"a\":".repeat(depth), "}".repeat(depth)]
                    .concat()
                    .into_bytes(),
            )
        }),
        proptest::collection::vec(0x80u8..=0xff, 1..8)
            .prop_map(|bytes| Replacement::Raw([&b"\""[..], &bytes, b"\""].concat())),
    ]
}

/// The object key a JSON pointer's last token names.
fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// Replaces the member at `pointer` of `value` and serializes the result as keyshare does.
fn mutate(value: &Value, pointer: &str, with: &Replacement) -> Vec<u8> {
    let mut value = value.clone();
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let raw = match with {
        Replacement::Delete => {
            match value.pointer_mut(parent).unwrap() {
                Value::Object(map) => {
                    map.shift_remove(&unescape(key));
                }
                Value::Array(items) => {
                    items.remove(key.parse::<usize>().unwrap());
                }
                _ => unreachable!("a member's parent is an object or an array"),
            }
            return serde_json::to_vec_pretty(&value).unwrap();
        }
        Replacement::Value(new) => {
            *value.pointer_mut(pointer).unwrap() = new.clone();
            return serde_json::to_vec_pretty(&value).unwrap();
        }
        // The member is written twice: `"key": old, "key": old` in an object.
        Replacement::Duplicate => {
            let old = serde_json::to_string(value.pointer(pointer).unwrap()).unwrap();
            let repeated = match value.pointer(parent).unwrap() {
                Value::Object(_) => format!("{old}, {}: {old}", Value::from(unescape(key))),
                _ => format!("{old}, {old}"),
            };
            repeated.into_bytes()
        }
        Replacement::Raw(raw) => raw.clone(),
    };
    *value.pointer_mut(pointer).unwrap() = Value::from(MARK);
    let text = serde_json::to_vec_pretty(&value).unwrap();
    let mark = serde_json::to_vec(&Value::from(MARK)).unwrap();
    let at = text
        .windows(mark.len())
        .position(|w| w == mark)
        .expect("the mark is in the file");
    [&text[..at], &raw, &text[at + mark.len()..]].concat()
}

/// `value` with its checksum made afresh, as keyshare computes it.
fn with_fresh_checksum(mut value: Value) -> Vec<u8> {
    if let Some(object) = value.as_object_mut() {
        object.shift_remove("checksum");
    }
    let checksum = hex::encode(Sha256::digest(canonical_json(&value).as_bytes()));
    if let Some(object) = value.as_object_mut() {
        object.insert("checksum".into(), checksum.into());
    }
    serde_json::to_vec(&value).unwrap()
}

/// Arbitrary JSON, a few levels deep.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        "[ -~]{0,12}".prop_map(Value::from),
        "20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            proptest::collection::btree_map(
                "[a-z_]{1,14}|action|choice|cause|kind|existing|generated_for",
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[test]
fn the_plans_keyshare_wrote_read_back() {
    for bytes in PLANS.iter() {
        let file = PlanFile::parse(Path::new(PATH), bytes).expect("an intact plan reads");
        assert!(!file.to_plan().steps.is_empty());
    }
}

#[test]
fn a_plan_cut_short_at_any_byte_is_refused() {
    let cuts: usize = PLANS.iter().map(Vec::len).sum();
    eprintln!("plan files cut short: {cuts}");
    for bytes in PLANS.iter() {
        let intact = PlanFile::parse(Path::new(PATH), bytes).unwrap();
        for len in 0..bytes.len() {
            match parse(&bytes[..len]) {
                // Only the final newline may go.
                Ok(read) => assert!(len == bytes.len() - 1 && read == intact, "{len}"),
                Err(PlanFileError::Malformed { .. }) => {}
                Err(other) => panic!("cut at {len}: {other}"),
            }
        }
    }
}

#[test]
fn another_keyshare_version_is_named_even_when_the_shape_differs() {
    let mut value: Value = serde_json::from_slice(&PLANS[0]).unwrap();
    value["keyshare_version"] = Value::from("9.9.9");
    value["written_by_a_newer_keyshare"] = Value::from(true);
    let error = parse(&with_fresh_checksum(value)).unwrap_err();
    assert!(
        matches!(&error, PlanFileError::OtherKeyshare { found, .. } if found == "9.9.9"),
        "{error}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_are_refused(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        prop_assert!(parse(&bytes).is_err());
    }

    #[test]
    fn arbitrary_json_of_this_kind_and_version_is_refused(
        mut members in proptest::collection::btree_map(
            "kind|format_version|keyshare_version|created_at|org_url|desired_digest|fingerprint|plan|checksum|[a-z]{1,6}",
            json(),
            0..10,
        ),
    ) {
        members.insert("kind".into(), KIND.into());
        members.insert("format_version".into(), FORMAT_VERSION.into());
        let value = Value::Object(members.into_iter().collect());
        prop_assert!(parse(&serde_json::to_vec(&value).unwrap()).is_err());
        let _ = parse(&with_fresh_checksum(value));
    }

    #[test]
    fn a_flipped_byte_is_refused_or_changes_nothing(
        which in any::<Index>(),
        at in any::<Index>(),
        mask in 1u8..=255,
    ) {
        let (bytes, intact) = original(&which);
        let mut flipped = bytes.to_vec();
        flipped[at.index(bytes.len())] ^= mask;
        refused_or_unchanged(&flipped, &intact)?;
    }

    #[test]
    fn a_changed_member_is_refused_or_changes_nothing(
        which in any::<Index>(),
        member in any::<Index>(),
        with in replacement(),
    ) {
        let (bytes, intact) = original(&which);
        let value: Value = serde_json::from_slice(bytes).unwrap();
        let mut all = Vec::new();
        pointers(&value, String::new(), &mut all);
        let pointer = member.get(&all);
        let mutated = mutate(&value, pointer, &with);
        if matches!(with, Replacement::Duplicate) {
            // keyshare never writes a member twice; a reader of the file could take either.
            prop_assert!(parse(&mutated).is_err(), "{}", String::from_utf8_lossy(&mutated));
        }
        refused_or_unchanged(&mutated, &intact)?;
    }

    #[test]
    fn a_changed_member_with_a_fresh_checksum_never_panics(
        which in any::<Index>(),
        member in any::<Index>(),
        new in json(),
    ) {
        let (bytes, _) = original(&which);
        let value: Value = serde_json::from_slice(bytes).unwrap();
        let mut all = Vec::new();
        pointers(&value, String::new(), &mut all);
        let pointer = member.get(&all);
        let mut changed = value.clone();
        *changed.pointer_mut(pointer).unwrap() = new;
        if let Ok(read) = parse(&with_fresh_checksum(changed)) {
            let _ = read.to_plan();
        }
    }
}
