//! Step 1 of planning: app references (id, label, name) resolved against the live snapshot.
//!
//! Every reference must match exactly one app whose sign-on mode has a shareable signing key,
//! and an app may appear once in the whole desired state. Resolution never guesses: a label
//! that matches two apps is an error, not the first of them.
#![allow(
    clippy::result_large_err,
    reason = "a PlanError is rare and ends up in a Vec; boxing it would only add noise"
)]

use std::collections::HashMap;

use super::{LiveSnapshot, PlanError};
use crate::config::{AppRef, AppSelector, Location, SigningKeyGroup};
use crate::okta::{AppId, Application};

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
    by_label: HashMap<&'a str, Vec<&'a Application>>,
    by_name: HashMap<&'a str, Vec<&'a Application>>,
    claimed: HashMap<&'a AppId, &'a str>,
}

impl<'a> Resolver<'a> {
    /// Indexes the snapshot's apps by label and name once, so that resolving is linear in the
    /// number of references rather than references × apps.
    pub fn new(live: &'a LiveSnapshot) -> Self {
        let mut by_label: HashMap<&str, Vec<&Application>> = HashMap::new();
        let mut by_name: HashMap<&str, Vec<&Application>> = HashMap::new();
        for app in live.apps.values() {
            by_label.entry(app.label.as_str()).or_default().push(app);
            if let Some(name) = &app.name {
                by_name.entry(name.as_str()).or_default().push(app);
            }
        }
        Self {
            live,
            by_label,
            by_name,
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
        if !app.sign_on_mode.has_shareable_signing_key() {
            return Err(PlanError::NoSigningKey {
                group: group.name.clone(),
                app: app.id.clone(),
                label: app.label.clone(),
                mode: app.sign_on_mode.to_string(),
                location: r.location.clone(),
            });
        }
        self.claim(group, r, app)?;
        Ok(app)
    }

    /// The one app a reference matches.
    fn find(&self, group: &SigningKeyGroup, r: &AppRef) -> Result<&'a Application, PlanError> {
        let matches: Vec<&Application> = match &r.selector {
            AppSelector::Id(id) => self.live.apps.get(id).into_iter().collect(),
            AppSelector::Label(label) => self.lookup(&self.by_label, label),
            AppSelector::Name(name) => self.lookup(&self.by_name, name),
        };
        match matches.as_slice() {
            [app] => Ok(app),
            [] => Err(PlanError::UnknownApp {
                group: group.name.clone(),
                selector: r.selector.to_string(),
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

    fn lookup(
        &self,
        index: &HashMap<&'a str, Vec<&'a Application>>,
        key: &str,
    ) -> Vec<&'a Application> {
        index.get(key).cloned().unwrap_or_default()
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
