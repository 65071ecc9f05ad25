//! The YAML as written: serde structs shaped like a `SigningKeyGroup` document.
//!
//! These types check shape only (field names, types); every rule about values lives in
//! `resolve`. Nothing outside `config` sees them.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, Visitor};

/// The `apiVersion` keyshare reads.
pub(super) const API_VERSION: &str = "keyshare/v1";
/// The `kind` keyshare reads.
pub(super) const KIND: &str = "SigningKeyGroup";

/// One document.
#[derive(Debug, Deserialize)]
#[serde(
    expecting = "a SigningKeyGroup document (a mapping)",
    deny_unknown_fields,
    rename_all = "camelCase"
)]
pub(super) struct RawGroup {
    pub api_version: String,
    pub kind: String,
    pub metadata: RawMetadata,
    pub spec: RawSpec,
}

/// A document read for some of its parts only, the others skipped unchecked: the
/// deserializer stops at a document's first wrong value, so after it did, each part is read
/// again on its own and a wrong value in one part no longer hides one in another. Field names,
/// `expecting` and unknown-field checks are [`RawGroup`]'s, so that messages read the same.
#[derive(Debug, Deserialize)]
#[serde(
    expecting = "a SigningKeyGroup document (a mapping)",
    deny_unknown_fields,
    rename_all = "camelCase"
)]
#[expect(dead_code, reason = "read for its errors only")]
pub(super) struct DocProbe<M, S> {
    api_version: IgnoredAny,
    kind: IgnoredAny,
    metadata: M,
    spec: S,
}

/// [`RawSpec`] read for some of its parts only (see [`DocProbe`]).
#[derive(Debug, Deserialize)]
#[serde(
    expecting = "a mapping with `source`, `members`, `key`",
    deny_unknown_fields
)]
#[expect(dead_code, reason = "read for its errors only")]
pub(super) struct SpecProbe<A, B, C> {
    source: A,
    members: B,
    key: C,
}

/// The probes, one per part: the document's and spec's shape with the metadata, the source,
/// the members, the key.
pub(super) type ShapeProbe = DocProbe<RawMetadata, SpecProbe<IgnoredAny, IgnoredAny, IgnoredAny>>;
pub(super) type SourceProbe = DocProbe<IgnoredAny, SpecProbe<RawAppRef, IgnoredAny, IgnoredAny>>;
pub(super) type MembersProbe =
    DocProbe<IgnoredAny, SpecProbe<IgnoredAny, Vec<RawAppRef>, IgnoredAny>>;
pub(super) type KeyProbe = DocProbe<IgnoredAny, SpecProbe<IgnoredAny, IgnoredAny, RawKey>>;

#[derive(Debug, Deserialize)]
#[serde(
    expecting = "a mapping with `name` and, optionally, `annotations`",
    deny_unknown_fields
)]
pub(super) struct RawMetadata {
    pub name: String,
    /// Kubernetes-style annotations: keyshare reads its own (`keyshare.io/…`) and leaves the
    /// rest to other tools.
    #[serde(default)]
    pub annotations: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(
    expecting = "a mapping with `source`, `members`, `key`",
    deny_unknown_fields
)]
pub(super) struct RawSpec {
    pub source: RawAppRef,
    pub members: Vec<RawAppRef>,
    pub key: RawKey,
}

#[derive(Debug, Deserialize)]
#[serde(
    expecting = "a mapping with `validityYears` and optional `rotateBefore`, `stageBefore`, `switch`, `rotateAfter`, `kid`",
    deny_unknown_fields,
    rename_all = "camelCase"
)]
pub(super) struct RawKey {
    /// Wider than the valid range so that `resolve` can say what is allowed.
    #[serde(deserialize_with = "whole_number")]
    pub validity_years: i128,
    pub rotate_before: Option<String>,
    pub stage_before: Option<String>,
    pub switch: Option<String>,
    pub rotate_after: Option<String>,
    pub kid: Option<String>,
}

/// An app reference: a bare app id, or a mapping with (exactly one of) id, label, name.
#[derive(Debug)]
pub(super) enum RawAppRef {
    Id(String),
    Selector(RawSelector),
}

#[derive(Debug, Deserialize)]
#[serde(
    expecting = "a mapping with one of `id`, `label`, `name`",
    deny_unknown_fields
)]
pub(super) struct RawSelector {
    pub id: Option<String>,
    pub label: Option<String>,
    pub name: Option<String>,
}

impl<'de> Deserialize<'de> for RawAppRef {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Hand-written instead of `#[serde(untagged)]`, whose error ("data did not match any
        // variant") would hide which field of the mapping is wrong.
        struct RefVisitor;

        impl<'de> Visitor<'de> for RefVisitor {
            type Value = RawAppRef;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an app id, or a mapping with one of `id`, `label`, `name`")
            }

            fn visit_str<E: de::Error>(self, id: &str) -> Result<RawAppRef, E> {
                Ok(RawAppRef::Id(id.to_owned()))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawAppRef, A::Error> {
                RawSelector::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(RawAppRef::Selector)
            }
        }

        deserializer.deserialize_any(RefVisitor)
    }
}

/// Any integer YAML can write, `!!int "2"` included, saturated to `i128`. serde's own `i64`
/// refuses both a tagged integer and one past `i64` with "invalid type: integer", which reads
/// as if the value were not a number at all.
fn whole_number<'de, D: de::Deserializer<'de>>(deserializer: D) -> Result<i128, D::Error> {
    struct WholeNumber;

    impl Visitor<'_> for WholeNumber {
        type Value = i128;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a whole number, unquoted")
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<i128, E> {
            Ok(v.into())
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<i128, E> {
            Ok(v.into())
        }

        fn visit_i128<E: de::Error>(self, v: i128) -> Result<i128, E> {
            Ok(v)
        }

        fn visit_u128<E: de::Error>(self, v: u128) -> Result<i128, E> {
            Ok(i128::try_from(v).unwrap_or(i128::MAX))
        }

        /// Digits past `u128` arrive as a float; whole, it is still a whole number.
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<i128, E> {
            if v.fract() == 0.0 {
                // `as` saturates, and any such number is out of range anyway.
                Ok(v as i128)
            } else {
                Err(E::invalid_type(de::Unexpected::Float(v), &self))
            }
        }
    }

    deserializer.deserialize_any(WholeNumber)
}
