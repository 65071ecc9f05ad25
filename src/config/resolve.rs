//! From the YAML as written to the domain model: every rule about a value, with the place
//! of the value in the message.
//!
//! Rules that need one document are checked in [`resolve`]; rules across documents (unique
//! names, an app in one group only) in [`check_across`]. Every problem of a document is
//! reported, not just the first.

use std::collections::HashMap;
use std::path::Path;

use jiff::fmt::temporal::Pieces;
use jiff::{SignedDuration, Timestamp};

use super::error::Problem;
use super::marks::{DocMarks, Pos, Seg, dotted};
use super::raw::{API_VERSION, KIND, RawAppRef, RawGroup, RawKey, RawSelector};
use super::{
    AppRef, AppSelector, KeyPolicy, Location, MINIMUM_SOAK, SigningKeyGroup, Staging, SwitchWhen,
};
use crate::okta::{AppId, Kid};

/// Okta's bounds for `validityYears` (docs/okta-api.md §5.2).
const VALIDITY_YEARS: std::ops::RangeInclusive<i128> = 2..=10;

/// Finds places in one document of one file.
pub(super) struct DocPlace<'a> {
    pub file: &'a Path,
    pub marks: &'a DocMarks,
}

impl DocPlace<'_> {
    /// The location of the node at `path`.
    pub(super) fn at(&self, path: &[Seg]) -> Location {
        self.at_pos(self.marks.pos(path))
    }

    /// The location of a line and column of this file.
    pub(super) fn at_pos(&self, (line, column): Pos) -> Location {
        Location {
            file: self.file.to_path_buf(),
            line,
            column,
        }
    }
}

/// Builds a path of mapping keys.
fn keys(names: &[&str]) -> Vec<Seg> {
    names.iter().map(|name| Seg::from(*name)).collect()
}

/// Checks `apiVersion` and `kind`, given as far as they are known.
pub(super) fn check_header(
    place: &DocPlace<'_>,
    api_version: Option<&str>,
    kind: Option<&str>,
) -> Vec<Problem> {
    if let Some(kind) = kind.filter(|k| *k != KIND) {
        // A foreign document: its apiVersion is right for its own kind, so only the kind counts.
        return vec![Problem::at(
            place.at(&keys(&["kind"])),
            format!(
                "kind `{kind}` is not `{KIND}`; keyshare reads only {KIND} documents, so move this document out of the directory"
            ),
        )];
    }
    let mut problems = Vec::new();
    if let Some(api_version) = api_version.filter(|v| *v != API_VERSION) {
        problems.push(Problem::at(
            place.at(&keys(&["apiVersion"])),
            format!(
                "apiVersion `{api_version}` is not supported; write `apiVersion: {API_VERSION}`"
            ),
        ));
    }
    problems
}

/// Turns one document into a group, or says everything that is wrong with it.
/// What a group document claims across the directory, its name and its apps, as far as they
/// could be read: kept also when another of its values is wrong, so that a name or app used
/// twice is reported beside that value's problem instead of on the next run.
pub(super) struct Claims {
    name: String,
    location: Location,
    apps: Vec<AppRef>,
}

/// Checks one document's values: the group, or every problem found in it; and its claims.
pub(super) fn resolve(
    raw: RawGroup,
    place: &DocPlace<'_>,
) -> (Result<SigningKeyGroup, Vec<Problem>>, Claims) {
    let mut problems = check_header(place, Some(&raw.api_version), Some(&raw.kind));
    let name = raw.metadata.name;
    if name.trim().is_empty() {
        problems.push(Problem::at(
            place.at(&keys(&["metadata", "name"])),
            "metadata.name is empty; give the group a name that is unique across the directory",
        ));
    }
    let source = resolve_ref(
        raw.spec.source,
        keys(&["spec", "source"]),
        place,
        &mut problems,
    );
    let members = resolve_members(
        raw.spec.members,
        source.as_ref(),
        &name,
        place,
        &mut problems,
    );
    let key = resolve_key(raw.spec.key, place, &mut problems);
    let suspended = resolve_annotations(&raw.metadata.annotations, place, &mut problems);
    let location = place.at(&keys(&["metadata", "name"]));
    let claims = Claims {
        name: name.clone(),
        location: location.clone(),
        apps: source.iter().chain(&members).cloned().collect(),
    };
    let group = match (source, key) {
        (Some(source), Some(key)) if problems.is_empty() => Ok(SigningKeyGroup {
            name,
            source,
            members,
            key,
            suspended,
            location,
        }),
        _ => Err(problems),
    };
    (group, claims)
}

/// Resolves `spec.members`: non-empty, no duplicates, not the source.
fn resolve_members(
    raw: Vec<RawAppRef>,
    source: Option<&AppRef>,
    group: &str,
    place: &DocPlace<'_>,
    problems: &mut Vec<Problem>,
) -> Vec<AppRef> {
    let members_path = keys(&["spec", "members"]);
    if raw.is_empty() {
        problems.push(Problem::at(
            place.at(&members_path),
            format!(
                "group `{group}` has no members; list under spec.members at least one app that must sign with the source's key"
            ),
        ));
    }
    let mut members: Vec<AppRef> = Vec::new();
    for (i, raw_ref) in raw.into_iter().enumerate() {
        let mut path = members_path.clone();
        path.push(Seg::Index(i));
        let Some(member) = resolve_ref(raw_ref, path, place, problems) else {
            continue;
        };
        if source.is_some_and(|s| s.selector == member.selector) {
            problems.push(Problem::at(
                member.location.clone(),
                format!(
                    "{} is the source of group `{group}`; remove it from spec.members (the source always signs with the group key)",
                    member.selector
                ),
            ));
        } else if let Some(first) = members.iter().find(|m| m.selector == member.selector) {
            problems.push(Problem::at(
                member.location.clone(),
                format!(
                    "{} is listed twice in group `{group}` (first at {}); remove one",
                    member.selector, first.location
                ),
            ));
        } else {
            members.push(member);
        }
    }
    members
}

/// Resolves an app reference: an id, or exactly one of id, label, name.
fn resolve_ref(
    raw: RawAppRef,
    path: Vec<Seg>,
    place: &DocPlace<'_>,
    problems: &mut Vec<Problem>,
) -> Option<AppRef> {
    let location = place.at(&path);
    let field = dotted(&path);
    let selector = match raw {
        RawAppRef::Id(id) => AppSelector::Id(AppId(id)),
        RawAppRef::Selector(RawSelector { id, label, name }) => {
            let given: Vec<AppSelector> = [
                id.map(|v| AppSelector::Id(AppId(v))),
                label.map(AppSelector::Label),
                name.map(AppSelector::Name),
            ]
            .into_iter()
            .flatten()
            .collect();
            let [selector] = <[AppSelector; 1]>::try_from(given).map_err(|given| {
                let found = if given.is_empty() {
                    "none".to_owned()
                } else {
                    given.iter().map(selector_field).collect::<Vec<_>>().join(" and ")
                };
                problems.push(Problem::at(
                    location.clone(),
                    format!(
                        "{field} must give exactly one of `id`, `label`, `name` (found {found}); keep the one that identifies the app"
                    ),
                ));
            }).ok()?;
            selector
        }
    };
    if selector_text(&selector).trim().is_empty() {
        problems.push(Problem::at(
            location,
            format!(
                "{field}: the app's {} is empty; write the app's id (0oa…), label or name",
                selector_field(&selector)
            ),
        ));
        return None;
    }
    Some(AppRef { selector, location })
}

fn selector_field(selector: &AppSelector) -> &'static str {
    match selector {
        AppSelector::Id(_) => "id",
        AppSelector::Label(_) => "label",
        AppSelector::Name(_) => "name",
    }
}

fn selector_text(selector: &AppSelector) -> &str {
    match selector {
        AppSelector::Id(id) => &id.0,
        AppSelector::Label(text) | AppSelector::Name(text) => text,
    }
}

/// Resolves `spec.key`.
fn resolve_key(
    raw: RawKey,
    place: &DocPlace<'_>,
    problems: &mut Vec<Problem>,
) -> Option<KeyPolicy> {
    let at = |field: &str| place.at(&keys(&["spec", "key", field]));
    let before = problems.len();
    let validity_years = u8::try_from(raw.validity_years)
        .ok()
        .filter(|_| VALIDITY_YEARS.contains(&raw.validity_years));
    if validity_years.is_none() {
        // As written: a number too large for any integer type was saturated on the way here.
        let written = place
            .marks
            .scalar(&keys(&["spec", "key", "validityYears"]))
            .map_or_else(|| raw.validity_years.to_string(), str::to_owned);
        problems.push(Problem::at(
            at("validityYears"),
            format!(
                "spec.key.validityYears: {written} is outside Okta's range 2..10; choose a whole number of years from 2 to 10"
            ),
        ));
    }
    let rotate_before = raw.rotate_before.and_then(|text| match parse_duration(&text) {
        Ok(d) => Some((d, text)),
        Err(why) => {
            problems.push(Problem::at(
                at("rotateBefore"),
                format!(
                    "spec.key.rotateBefore: `{text}` {why}; write a whole number and a unit: `12h`, `30d` or `2w`"
                ),
            ));
            None
        }
    });
    let stage_before = raw.stage_before.and_then(|text| match parse_duration(&text) {
        Ok(d) => Some((d, text)),
        Err(why) => {
            problems.push(Problem::at(
                at("stageBefore"),
                format!(
                    "spec.key.stageBefore: `{text}` {why}; write a whole number and a unit, such as `60d`"
                ),
            ));
            None
        }
    });
    let switch = raw.switch.and_then(|text| match text.as_str() {
        "afterSoak" => Some(SwitchWhen::AfterSoak),
        "immediately" => Some(SwitchWhen::Immediately),
        _ => {
            problems.push(Problem::at(
                at("switch"),
                format!(
                    "spec.key.switch: `{text}` is neither `afterSoak` nor `immediately`; leave it out to switch after the soak, or write `immediately` to replace a compromised key in one apply"
                ),
            ));
            None
        }
    });
    let now = Timestamp::now();
    let rotate_after = raw.rotate_after.and_then(|text| match text.parse::<Timestamp>() {
        // Every key made before a future instant would be replaced again at every run until
        // it comes: refused, not planned from.
        Ok(t) if t > now => {
            problems.push(Problem::at(
                at("rotateAfter"),
                format!(
                    "spec.key.rotateAfter: `{text}` is in the future; rotateAfter means \"replace keys created before this instant\", so it must be an instant that has passed: write the moment you decided to rotate, such as `{}`, or use rotateBefore to rotate ahead of expiry",
                    now.round(jiff::Unit::Second).unwrap_or(now)
                ),
            ));
            None
        }
        Ok(t) => Some(t),
        Err(_) => {
            problems.push(Problem::at(
                at("rotateAfter"),
                format!("spec.key.rotateAfter: `{text}` {}", instant_problem(&text)),
            ));
            None
        }
    });
    let kid = raw.kid.and_then(|kid| {
        if kid.trim().is_empty() {
            problems.push(Problem::at(
                at("kid"),
                "spec.key.kid is empty; write the kid of the key to pin, or remove the field",
            ));
            None
        } else {
            Some(Kid(kid))
        }
    });
    if kid.is_some() && rotate_after.is_some() {
        problems.push(Problem::at(
            at("rotateAfter"),
            "spec.key.rotateAfter cannot be used with spec.key.kid: a pinned key is never replaced; remove one of the two",
        ));
    }
    if let (Some(years), Some((window, text))) = (validity_years, &rotate_before) {
        let lifetime = SignedDuration::from_hours(i64::from(years) * 365 * 24);
        if *window >= lifetime {
            problems.push(Problem::at(
                at("rotateBefore"),
                format!(
                    "spec.key.rotateBefore: `{text}` is not shorter than validityYears ({years} years = {} days), so every new key would be due for rotation at once; choose a shorter window",
                    i64::from(years) * 365
                ),
            ));
        }
    }
    if let Some((stage, text)) = &stage_before {
        check_stage(
            *stage,
            text,
            validity_years,
            rotate_before.as_ref(),
            &at,
            problems,
        );
    }
    if switch.is_some() && stage_before.is_none() {
        problems.push(Problem::at(
            at("switch"),
            "spec.key.switch says when to switch to a staged key, and this group stages none; add stageBefore or remove switch",
        ));
    }
    (problems.len() == before).then(|| KeyPolicy {
        validity_years: validity_years.expect("checked above"),
        rotate_before: rotate_before.map(|(d, _)| d),
        stage: stage_before.map(|(before, _)| Staging {
            before,
            switch: switch.unwrap_or(SwitchWhen::AfterSoak),
            location: at("stageBefore"),
        }),
        rotate_after,
        kid,
    })
}

/// `stageBefore` must leave a soak of at least [`MINIMUM_SOAK`] after the stage and before the
/// `rotateBefore` switch, and be shorter than a key's life, or every new key would be staged
/// over at once.
fn check_stage(
    stage: SignedDuration,
    text: &str,
    validity_years: Option<u8>,
    rotate_before: Option<&(SignedDuration, String)>,
    at: &dyn Fn(&str) -> Location,
    problems: &mut Vec<Problem>,
) {
    match rotate_before {
        None => problems.push(Problem::at(
            at("stageBefore"),
            format!(
                "spec.key.stageBefore: `{text}` needs rotateBefore, the window in which the apps switch to the staged key; add rotateBefore shorter than stageBefore by at least a day (say `rotateBefore: 30d` with `stageBefore: 60d`)"
            ),
        )),
        Some((rotate, rotate_text)) if stage - *rotate < MINIMUM_SOAK => {
            problems.push(Problem::at(
                at("stageBefore"),
                format!(
                    "spec.key.stageBefore: `{text}` is not at least a day longer than rotateBefore (`{rotate_text}`), so service providers would have no time to trust the staged certificate before the switch; make stageBefore longer, 14 days or more beyond rotateBefore"
                ),
            ));
        }
        Some(_) => {}
    }
    if let Some(years) = validity_years {
        let lifetime = SignedDuration::from_hours(i64::from(years) * 365 * 24);
        if stage >= lifetime {
            problems.push(Problem::at(
                at("stageBefore"),
                format!(
                    "spec.key.stageBefore: `{text}` is not shorter than validityYears ({years} years = {} days), so every new key would be due for staging at once; choose a shorter window",
                    i64::from(years) * 365
                ),
            ));
        }
    }
}

/// Why `text`, which is not a [`Timestamp`], is not one, and what to write instead.
fn instant_problem(text: &str) -> String {
    let example = "such as `2026-11-26T00:00:00Z`";
    match Pieces::parse(text) {
        // Well formed, with a zone: only the range is left (Timestamp ends in 9999-12-30).
        Ok(pieces) if pieces.time().is_some() && pieces.offset().is_some() => format!(
            "is past the latest instant keyshare can represent ({}); write an earlier one, {example}",
            Timestamp::MAX.strftime("%Y-%m-%dT%H:%M:%SZ")
        ),
        Ok(pieces) if pieces.time().is_some() => {
            format!("has no time zone, which an RFC 3339 instant needs; add one, {example}")
        }
        _ => format!("is not an RFC 3339 instant; write one with a time zone, {example}"),
    }
}

/// Parses `12h`, `30d`, `2w`: a positive whole number and one unit.
fn parse_duration(text: &str) -> Result<SignedDuration, &'static str> {
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("is not a duration");
    }
    let unit_hours: i64 = match &text[digits.len()..] {
        "h" => 1,
        "d" => 24,
        "w" => 24 * 7,
        "" => return Err("has no unit"),
        _ => return Err("has an unknown unit"),
    };
    let seconds = digits
        .parse::<i64>()
        .ok()
        .and_then(|n| n.checked_mul(unit_hours * 3600))
        .ok_or("is too long")?;
    if seconds == 0 {
        return Err("is zero");
    }
    Ok(SignedDuration::from_secs(seconds))
}

/// Rules across all groups of the directory: unique names, and an app in at most one group.
/// The later of two places (in the sorted walk) gets the problem.
pub(super) fn check_across(groups: &[Claims]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut names: HashMap<&str, &Location> = HashMap::new();
    let mut apps: HashMap<&AppSelector, (&str, &Location)> = HashMap::new();
    for group in groups {
        // An empty name is reported on its own; it cannot clash.
        if group.name.trim().is_empty() {
            continue;
        }
        if let Some(first) = names.insert(&group.name, &group.location) {
            problems.push(Problem::at(
                group.location.clone(),
                format!(
                    "group `{}` is already defined at {first}; group names must be unique across the directory, so rename one",
                    group.name
                ),
            ));
            continue;
        }
        for app in &group.apps {
            if let Some((other, first)) = apps.get(&app.selector) {
                problems.push(Problem::at(
                    app.location.clone(),
                    format!(
                        "{} is already in group `{other}` (at {first}); an app belongs to at most one group, so remove it from one",
                        app.selector
                    ),
                ));
            } else {
                apps.insert(&app.selector, (&group.name, &app.location));
            }
        }
    }
    problems
}

/// The annotation that suspends a group in `keyshare watch`.
const SUSPEND_ANNOTATION: &str = "keyshare.io/suspend";

/// Whether the group is suspended. Annotations outside `keyshare.io/` belong to other tools
/// and are left alone; inside it, an unknown key or a value other than "true" or "false" is
/// a problem, so that a typo never silently leaves a group reconciled.
fn resolve_annotations(
    annotations: &std::collections::BTreeMap<String, String>,
    place: &DocPlace<'_>,
    problems: &mut Vec<Problem>,
) -> bool {
    let mut suspended = false;
    for (name, value) in annotations {
        let at = || place.at(&keys(&["metadata", "annotations", name]));
        if name == SUSPEND_ANNOTATION {
            match value.as_str() {
                "true" => suspended = true,
                "false" => {}
                other => problems.push(Problem::at(
                    at(),
                    format!(
                        "{SUSPEND_ANNOTATION} is {other:?}; write \"true\" to suspend the group in keyshare watch, or \"false\""
                    ),
                )),
            }
        } else if name.starts_with("keyshare.io/") {
            problems.push(Problem::at(
                at(),
                format!(
                    "unknown annotation {name:?}; the only keyshare.io/ annotation is {SUSPEND_ANNOTATION}"
                ),
            ));
        }
    }
    suspended
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let table: &[(&str, Result<i64, &str>)] = &[
            ("12h", Ok(12 * 3600)),
            ("30d", Ok(30 * 86400)),
            ("2w", Ok(14 * 86400)),
            ("0d", Err("is zero")),
            ("30", Err("has no unit")),
            ("30m", Err("has an unknown unit")),
            ("d", Err("is not a duration")),
            ("-3d", Err("is not a duration")),
            ("3 d", Err("is not a duration")),
            ("soon", Err("is not a duration")),
            ("99999999999999999w", Err("is too long")),
        ];
        for (text, expected) in table {
            let got = parse_duration(text).map(|d| d.as_secs());
            assert_eq!(&got, expected, "{text}");
        }
    }
}
