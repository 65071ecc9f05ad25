//! Verify: after executing, re-read every app of each group the plan changed and check that
//! the group converged. Every app signs with the group key, and every SAML app the plan
//! switched publishes that key's certificate in its IdP metadata (what its service provider
//! downloads). Only reads; the first app that did not converge ends the check with a
//! [`VerifyError`] that names the group and app and says what was expected and what was found.
//!
//! Reads are spent where the apply changed something: app re-reads go to the larger
//! app-by-id bucket, but metadata and keys are in the scarce apps bucket (docs/performance.md),
//! so an app that was not switched keeps the metadata it had (the apply did not touch it), and
//! a key whose certificate the plan's reads already hold is not read again (a kid's
//! certificate never changes).

use std::collections::BTreeSet;

use super::observe;
use crate::apply::ApplyReport;
use crate::cert::Certificate;
use crate::okta::{ApiError, AppId, KeyFacts, Kid, OktaApi, SignOnMode};
use crate::plan::{GroupPlan, KeyRef, LiveSnapshot, Plan, Step};

/// One group as found after the apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub group: String,
    pub kid: Kid,
    /// The key's metadata, certificate included: from the plan's reads, or read from the
    /// source after the apply when they did not hold it (a generated key).
    pub key: KeyFacts,
    /// Apps that sign with the key, as `Label (id)`.
    pub apps: Vec<String>,
    /// Switched SAML apps whose metadata publishes the key's certificate.
    pub saml_apps: usize,
    /// SHA-256 fingerprint of the certificate, when the key has one.
    pub fingerprint: Option<String>,
}

/// What a verification covers: the groups a plan changed, and the apps it switched (only a
/// switch changes what an app's metadata publishes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Check {
    groups: BTreeSet<String>,
    switched: BTreeSet<AppId>,
}

impl Check {
    /// Every group `plan` has steps for, and every app it switches.
    pub fn of(plan: &Plan) -> Self {
        Self {
            groups: plan.steps.iter().map(|s| s.group().to_owned()).collect(),
            switched: plan
                .steps
                .iter()
                .filter_map(|step| match step {
                    Step::Switch { app, .. } => Some(app.clone()),
                    Step::Generate { .. } | Step::Clone { .. } => None,
                })
                .collect(),
        }
    }

    /// This check and `other`'s together.
    pub fn and(mut self, other: Self) -> Self {
        self.groups.extend(other.groups);
        self.switched.extend(other.switched);
        self
    }

    /// Whether it covers nothing.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }
}

/// Why a group did not verify.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("group `{group}`: the apply generated no key")]
    NoKey { group: String },
    #[error("after apply, cannot read key {kid} of {app}")]
    ReadKey {
        group: String,
        app: AppId,
        kid: Kid,
        #[source]
        source: ApiError,
    },
    #[error("after apply, cannot re-read app {app}")]
    ReadApp {
        group: String,
        app: AppId,
        #[source]
        source: ApiError,
    },
    #[error(
        "after apply, {name} signs with {}, not with group `{group}`'s key {kid}; someone may be changing it right now: run plan again",
        .found.as_ref().map_or("no key", |k| k.0.as_str())
    )]
    SignsWith {
        group: String,
        app: AppId,
        /// `Label (id)`.
        name: String,
        kid: Kid,
        found: Option<Kid>,
    },
    #[error("after apply, cannot read the SAML metadata of {name}")]
    ReadMetadata {
        group: String,
        app: AppId,
        name: String,
        #[source]
        source: ApiError,
    },
    #[error(
        "after apply, the SAML metadata of {name} publishes no signing certificate; check the app in the Admin Console"
    )]
    NoCertificate {
        group: String,
        app: AppId,
        name: String,
        /// SHA-256 fingerprint of the group key's certificate, when known.
        expected: Option<String>,
    },
    #[error(
        "after apply, the SAML metadata of {name} publishes the certificate {found}, not the group key's; its service provider would see the wrong certificate: run plan again"
    )]
    WrongCertificate {
        group: String,
        app: AppId,
        name: String,
        /// SHA-256 fingerprint of the group key's certificate, when known.
        expected: Option<String>,
        /// SHA-256 fingerprint of the certificate published.
        found: String,
    },
}

impl VerifyError {
    /// The group that did not verify.
    pub fn group(&self) -> &str {
        match self {
            Self::NoKey { group }
            | Self::ReadKey { group, .. }
            | Self::ReadApp { group, .. }
            | Self::SignsWith { group, .. }
            | Self::ReadMetadata { group, .. }
            | Self::NoCertificate { group, .. }
            | Self::WrongCertificate { group, .. } => group,
        }
    }

    /// The app that did not verify, when one did.
    pub fn app(&self) -> Option<&AppId> {
        match self {
            Self::NoKey { .. } => None,
            Self::ReadKey { app, .. }
            | Self::ReadApp { app, .. }
            | Self::SignsWith { app, .. }
            | Self::ReadMetadata { app, .. }
            | Self::NoCertificate { app, .. }
            | Self::WrongCertificate { app, .. } => Some(app),
        }
    }

    /// What was expected and what was found, in words, when the app answered but did not
    /// match (not when it could not be read).
    pub fn mismatch(&self) -> Option<(String, String)> {
        let certificate = |fingerprint: &Option<String>| {
            fingerprint.as_ref().map_or_else(
                || "the group key's certificate".to_owned(),
                |f| format!("certificate SHA-256 {f}"),
            )
        };
        match self {
            Self::SignsWith { kid, found, .. } => Some((
                format!("signing key {kid}"),
                found.as_ref().map_or_else(
                    || "no signing key".to_owned(),
                    |k| format!("signing key {k}"),
                ),
            )),
            Self::NoCertificate { expected, .. } => {
                Some((certificate(expected), "no signing certificate".to_owned()))
            }
            Self::WrongCertificate {
                expected, found, ..
            } => Some((
                certificate(expected),
                format!("certificate SHA-256 {found}"),
            )),
            Self::NoKey { .. }
            | Self::ReadKey { .. }
            | Self::ReadApp { .. }
            | Self::ReadMetadata { .. } => None,
        }
    }
}

/// Checks every group `check` covers, in the plan's order, against the snapshot `live` the
/// plan was made from and the keys `report` says the apply generated; fails naming the first
/// app that did not converge. A group `plan` no longer has is skipped.
pub async fn verify(
    api: &impl OktaApi,
    plan: &Plan,
    live: &LiveSnapshot,
    report: &ApplyReport,
    check: &Check,
) -> Result<Vec<Verified>, VerifyError> {
    let mut verified = Vec::new();
    for group in &plan.groups {
        if check.groups.contains(&group.name) {
            verified.push(verify_group(api, group, live, &check.switched, report).await?);
        }
    }
    Ok(verified)
}

async fn verify_group(
    api: &impl OktaApi,
    group: &GroupPlan,
    live: &LiveSnapshot,
    switched: &BTreeSet<AppId>,
    report: &ApplyReport,
) -> Result<Verified, VerifyError> {
    let kid = match &group.key {
        KeyRef::Existing(kid) => kid.clone(),
        KeyRef::Generated { group: name } => {
            report
                .generated
                .get(name)
                .cloned()
                .ok_or_else(|| VerifyError::NoKey {
                    group: name.clone(),
                })?
        }
    };
    let key = match live
        .key(&kid)
        .filter(|k| k.certificate_der_base64().is_some())
    {
        Some(known) => known.clone(),
        None => observe::key(api, &group.source, &kid)
            .await
            .map_err(|source| VerifyError::ReadKey {
                group: group.name.clone(),
                app: group.source.clone(),
                kid: kid.clone(),
                source,
            })?
            .facts(),
    };
    let expected = key
        .certificate_der_base64()
        .and_then(Certificate::from_base64);
    let mut verified = Verified {
        group: group.name.clone(),
        kid: kid.clone(),
        key: key.clone(),
        apps: Vec::new(),
        saml_apps: 0,
        fingerprint: expected.as_ref().map(Certificate::sha256_fingerprint),
    };
    for id in std::iter::once(&group.source).chain(&group.members) {
        let app = observe::app(api, id)
            .await
            .map_err(|source| VerifyError::ReadApp {
                group: group.name.clone(),
                app: id.clone(),
                source,
            })?;
        let name = format!("{} ({id})", app.label);
        if app.signing_kid.as_ref() != Some(&kid) {
            return Err(VerifyError::SignsWith {
                group: group.name.clone(),
                app: id.clone(),
                name,
                kid,
                found: app.signing_kid,
            });
        }
        if matches!(
            app.sign_on_mode,
            Some(SignOnMode::Saml2 | SignOnMode::Saml11)
        ) && switched.contains(id)
        {
            check_metadata(api, &group.name, id, &name, expected.as_ref()).await?;
            verified.saml_apps += 1;
        }
        verified.apps.push(name);
    }
    Ok(verified)
}

/// Fails unless the app's SAML metadata publishes `expected`.
async fn check_metadata(
    api: &impl OktaApi,
    group: &str,
    id: &AppId,
    name: &str,
    expected: Option<&Certificate>,
) -> Result<(), VerifyError> {
    let xml = observe::saml_metadata(api, id, None)
        .await
        .map_err(|source| VerifyError::ReadMetadata {
            group: group.to_owned(),
            app: id.clone(),
            name: name.to_owned(),
            source,
        })?;
    let published = signing_certificate(&xml).and_then(Certificate::from_base64);
    let expected_fingerprint = expected.map(Certificate::sha256_fingerprint);
    match (published, expected) {
        (Some(published), Some(expected)) if published.der() == expected.der() => Ok(()),
        (None, _) => Err(VerifyError::NoCertificate {
            group: group.to_owned(),
            app: id.clone(),
            name: name.to_owned(),
            expected: expected_fingerprint,
        }),
        (Some(published), _) => Err(VerifyError::WrongCertificate {
            group: group.to_owned(),
            app: id.clone(),
            name: name.to_owned(),
            expected: expected_fingerprint,
            found: published.sha256_fingerprint(),
        }),
    }
}

/// Okta still differs from the desired state after an apply: planning again found steps.
#[derive(Debug, thiserror::Error)]
#[error(
    "apply finished, but Okta still differs from the desired state ({remaining} step(s) remain): someone may be changing these apps right now; run plan again"
)]
pub struct NotConverged {
    pub remaining: usize,
}

/// Fails unless `after`, the plan made again after an apply, has nothing left to do.
pub fn converged(after: &Plan) -> Result<(), NotConverged> {
    if after.is_empty() {
        return Ok(());
    }
    Err(NotConverged {
        remaining: after.steps.len(),
    })
}

/// The text of the first `<…X509Certificate>` element, whatever its namespace prefix.
fn signing_certificate(xml: &str) -> Option<&str> {
    let start = xml.find("X509Certificate>")? + "X509Certificate>".len();
    let end = start + xml[start..].find('<')?;
    Some(xml[start..end].trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::AppPrecondition;

    fn id(id: &str) -> AppId {
        AppId(id.to_owned())
    }

    fn switch(group: &str, app: &str) -> Step {
        Step::Switch {
            group: group.to_owned(),
            app: id(app),
            from: None,
            to: KeyRef::Existing(Kid("k1".to_owned())),
            expect: AppPrecondition {
                last_updated: None,
                signing_kid: None,
                digest: String::new(),
            },
        }
    }

    #[test]
    fn a_check_covers_the_groups_with_steps_and_the_switched_apps_only() {
        let plan = Plan {
            steps: vec![
                Step::Clone {
                    group: "finance".to_owned(),
                    key: KeyRef::Existing(Kid("k1".to_owned())),
                    from: id("0oa1"),
                    to: id("0oa2"),
                },
                switch("hr", "0oa3"),
            ],
            ..Plan::default()
        };
        let check = Check::of(&plan);
        assert_eq!(
            check.groups,
            BTreeSet::from(["finance".to_owned(), "hr".to_owned()])
        );
        assert_eq!(
            check.switched,
            BTreeSet::from([id("0oa3")]),
            "a clone switches nothing"
        );
        assert!(Check::of(&Plan::default()).is_empty());
        let both = Check::of(&Plan::default()).and(check.clone());
        assert_eq!(both, check, "an earlier failing check is kept whole");
    }

    #[test]
    fn a_mismatch_says_what_was_expected_and_what_was_found() {
        let (group, app, name) = ("finance".to_owned(), id("0oa1"), "App 1 (0oa1)".to_owned());
        let table = [
            (
                VerifyError::SignsWith {
                    group: group.clone(),
                    app: app.clone(),
                    name: name.clone(),
                    kid: Kid("new".to_owned()),
                    found: Some(Kid("old".to_owned())),
                },
                Some(("signing key new", "signing key old")),
            ),
            (
                VerifyError::WrongCertificate {
                    group: group.clone(),
                    app: app.clone(),
                    name: name.clone(),
                    expected: Some("AA:BB".to_owned()),
                    found: "CC:DD".to_owned(),
                },
                Some(("certificate SHA-256 AA:BB", "certificate SHA-256 CC:DD")),
            ),
            (
                VerifyError::NoCertificate {
                    group: group.clone(),
                    app: app.clone(),
                    name: name.clone(),
                    expected: None,
                },
                Some(("the group key's certificate", "no signing certificate")),
            ),
            (
                VerifyError::NoKey {
                    group: group.clone(),
                },
                None,
            ),
        ];
        for (error, expected) in table {
            assert_eq!(error.group(), "finance");
            let mismatch = error.mismatch();
            let mismatch = mismatch.as_ref().map(|(e, f)| (e.as_str(), f.as_str()));
            assert_eq!(mismatch, expected, "{error}");
        }
    }

    #[test]
    fn finds_the_certificate_whatever_the_prefix() {
        let table = [
            (
                "<ds:X509Certificate>MIIB</ds:X509Certificate>",
                Some("MIIB"),
            ),
            (
                "<X509Certificate>\n  MIIC\n</X509Certificate>",
                Some("MIIC"),
            ),
            ("<md:EntityDescriptor/>", None),
        ];
        for (xml, expected) in table {
            assert_eq!(signing_certificate(xml), expected, "{xml}");
        }
    }
}
