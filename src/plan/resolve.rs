//! Step 1 of planning: app references (id, label, name) resolved against the live snapshot.
//!
//! Every reference must match exactly one app whose sign-on mode has a shareable signing key
//! and whose answer has the shape the spec promises (any app may be odd in a listing; an app
//! the desired state names may not), and an app may appear once in the whole desired state. Resolution never guesses: a label
//! that matches two apps is an error, not the first of them.
#![allow(
    clippy::result_large_err,
    reason = "a PlanError is rare and ends up in a Vec; boxing it would only add noise"
)]

use std::cell::OnceCell;
use std::collections::HashMap;

use super::{LiveSnapshot, PlanError};
use crate::config::{AppRef, AppSelector, Location, SigningKeyGroup};
use crate::okta::{AppId, AppStatus, Application};

/// A group whose references all resolved.
pub(super) struct ResolvedGroup<'a> {
    pub spec: &'a SigningKeyGroup,
    pub source: &'a Application,
    /// In the order the YAML lists them.
    pub members: Vec<&'a Application>,
}

impl<'a> ResolvedGroup<'a> {
    /// The source, then the members.
    pub fn apps(&self) -> impl Iterator<Item = &'a Application> + '_ {
        std::iter::once(self.source).chain(self.members.iter().copied())
    }
}

/// Resolves the groups of a desired state one after the other, remembering which group
/// claimed which app.
pub(super) struct Resolver<'a> {
    live: &'a LiveSnapshot,
    /// Built on the first label or name reference: most desired states use ids only.
    by_label: OnceCell<Index<'a>>,
    by_name: OnceCell<Index<'a>>,
    claimed: HashMap<&'a AppId, &'a str>,
}

/// Apps sorted by one text field, for exact lookups without a map entry per app.
struct Index<'a>(Vec<(&'a str, &'a Application)>);

impl<'a> Index<'a> {
    fn new(live: &'a LiveSnapshot, field: impl Fn(&'a Application) -> Option<&'a str>) -> Self {
        let mut entries: Vec<_> = live
            .apps
            .values()
            .filter_map(|app| Some((field(app)?, app)))
            .collect();
        // Stable, so that apps sharing a text stay in id order.
        entries.sort_by(|a, b| a.0.cmp(b.0));
        Self(entries)
    }

    fn get(&self, text: &str) -> Vec<&'a Application> {
        let start = self.0.partition_point(|(t, _)| *t < text);
        self.0[start..]
            .iter()
            .take_while(|(t, _)| *t == text)
            .map(|(_, app)| *app)
            .collect()
    }
}

impl<'a> Resolver<'a> {
    pub fn new(live: &'a LiveSnapshot) -> Self {
        Self {
            live,
            by_label: OnceCell::new(),
            by_name: OnceCell::new(),
            claimed: HashMap::new(),
        }
    }

    /// Resolves one group, collecting every error of it.
    pub fn resolve(
        &mut self,
        group: &'a SigningKeyGroup,
    ) -> Result<ResolvedGroup<'a>, Vec<PlanError>> {
        let mut errors = Vec::new();
        let mut resolve = |r: &'a AppRef| match self.resolve_ref(group, r) {
            Ok(app) => Some(app),
            Err(e) => {
                errors.push(e);
                None
            }
        };
        let source = resolve(&group.source);
        let members: Vec<_> = group.members.iter().map(&mut resolve).collect();
        match (source, members.into_iter().collect::<Option<Vec<_>>>()) {
            (Some(source), Some(members)) if errors.is_empty() => Ok(ResolvedGroup {
                spec: group,
                source,
                members,
            }),
            _ => Err(errors),
        }
    }

    fn resolve_ref(
        &mut self,
        group: &'a SigningKeyGroup,
        r: &'a AppRef,
    ) -> Result<&'a Application, PlanError> {
        let app = self.find(group, r)?;
        // The shape is judged first, so that a misread answer is reported as one rather than
        // as an app of the wrong kind.
        if let Some(problem) = app.problem() {
            return Err(PlanError::MalformedApp {
                group: group.name.clone(),
                app: app.id.clone(),
                label: app.label.clone(),
                problem: problem.to_string(),
                location: r.location.clone(),
            });
        }
        if !app.is_signing_app() {
            return Err(PlanError::NoSigningKey {
                group: group.name.clone(),
                app: app.id.clone(),
                label: app.label.clone(),
                mode: app.sign_on_mode_text().to_owned(),
                location: r.location.clone(),
            });
        }
        if let Some(problem) = malformed(app) {
            return Err(PlanError::MalformedApp {
                group: group.name.clone(),
                app: app.id.clone(),
                label: app.label.clone(),
                problem,
                location: r.location.clone(),
            });
        }
        self.claim(group, r, app)?;
        Ok(app)
    }

    /// The one app a reference matches.
    fn find(&self, group: &SigningKeyGroup, r: &AppRef) -> Result<&'a Application, PlanError> {
        let live = self.live;
        let matches: Vec<&Application> = match &r.selector {
            AppSelector::Id(id) => match live.apps.get(id) {
                Some(app) => return Ok(app),
                None => Vec::new(),
            },
            AppSelector::Label(label) => self
                .by_label
                .get_or_init(|| Index::new(live, |app| Some(app.label.as_str())))
                .get(label),
            AppSelector::Name(name) => self
                .by_name
                .get_or_init(|| Index::new(live, |app| app.name.as_deref()))
                .get(name),
        };
        match matches.as_slice() {
            [app] => Ok(app),
            [] => Err(PlanError::UnknownApp {
                group: group.name.clone(),
                selector: r.selector.to_string(),
                suggestion: closest(live, &r.selector),
                location: r.location.clone(),
            }),
            many => Err(PlanError::AmbiguousApp {
                group: group.name.clone(),
                selector: r.selector.to_string(),
                count: many.len(),
                ids: many
                    .iter()
                    .map(|a| a.id.0.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                location: r.location.clone(),
            }),
        }
    }

    /// Records that `group` uses `app`; an app may be used once in the whole desired state.
    fn claim(
        &mut self,
        group: &'a SigningKeyGroup,
        r: &AppRef,
        app: &'a Application,
    ) -> Result<(), PlanError> {
        let location: Location = r.location.clone();
        match self.claimed.get(&app.id) {
            None => {
                self.claimed.insert(&app.id, &group.name);
                Ok(())
            }
            Some(other) if *other == group.name => Err(PlanError::AppTwiceInGroup {
                group: group.name.clone(),
                selector: r.selector.to_string(),
                app: app.id.clone(),
                location,
            }),
            Some(other) => Err(PlanError::AppInTwoGroups {
                group: group.name.clone(),
                other: (*other).to_owned(),
                app: app.id.clone(),
                location,
            }),
        }
    }
}

/// What makes Okta's answer for a signing app unfit to plan from: a status outside the spec's
/// enum, or no `credentials.signing.kid` (every SAML and WS-Fed app signs with a key). Acting
/// on such an answer could generate and switch keys for an app keyshare misread.
fn malformed(app: &Application) -> Option<String> {
    if let Some(AppStatus::Other(status)) = &app.status {
        return Some(format!(
            "status {status:?} is none of ACTIVE, INACTIVE, DELETED"
        ));
    }
    if app.signing_kid.is_none() {
        return Some(
            "it has no credentials.signing.kid, which every SAML and WS-Fed app has".to_owned(),
        );
    }
    None
}

/// The read app whose id, label or name (as `selector` refers) is closest to it, written as a
/// selector and the app's id: `{label: "SharePoint"} (0oa…)`. Close means equal but for case,
/// or at most one edit per four characters of a label or name (Damerau-Levenshtein), so that a
/// typo finds its app and an unrelated one is never offered. Ids are random: only a full
/// 20-character id two edits away (a mistyped or swapped character) is offered.
fn closest(live: &LiveSnapshot, selector: &AppSelector) -> Option<String> {
    let (wanted, key): (&str, fn(&Application) -> Option<&str>) = match selector {
        AppSelector::Id(id) => (id.0.as_str(), |app| Some(app.id.0.as_str())),
        AppSelector::Label(label) => (label.as_str(), |app| Some(app.label.as_str())),
        AppSelector::Name(name) => (name.as_str(), |app| app.name.as_deref()),
    };
    let budget = match selector {
        AppSelector::Id(_) if wanted.len() >= 20 => 2,
        AppSelector::Id(_) => 0,
        _ => (wanted.chars().count() / 4).max(1),
    };
    let distance = |candidate: &str| {
        if candidate.to_lowercase() == wanted.to_lowercase() {
            0
        } else {
            strsim::damerau_levenshtein(candidate, wanted)
        }
    };
    let (app, candidate) = live
        .apps
        .values()
        .filter_map(|app| key(app).map(|candidate| (app, candidate)))
        .filter(|(_, candidate)| *candidate != wanted)
        .min_by_key(|(app, candidate)| (distance(candidate), &app.id))?;
    if distance(candidate) > budget {
        return None;
    }
    let shown = match selector {
        AppSelector::Id(_) => AppSelector::Id(app.id.clone()),
        AppSelector::Label(_) => AppSelector::Label(candidate.to_owned()),
        AppSelector::Name(_) => AppSelector::Name(candidate.to_owned()),
    };
    Some(match selector {
        AppSelector::Id(_) => shown.to_string(),
        _ => format!("{shown} ({})", app.id),
    })
}
