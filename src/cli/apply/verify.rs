//! After an apply: re-read every app of each group the plan touched and check that the group
//! converged. Every app signs with the group key, and every SAML app the apply switched
//! publishes that key's certificate in its IdP metadata (what its service provider
//! downloads). Only reads.
//!
//! Reads are spent where the apply changed something: app re-reads go to the larger
//! app-by-id bucket, but metadata and keys are in the scarce apps bucket (docs/performance.md),
//! so an app that was not switched keeps the metadata it had (the apply did not touch it), and
//! a key whose certificate the plan's reads already hold is not read again (a kid's
//! certificate never changes).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use anyhow::{Context, bail};

use crate::apply::ApplyReport;
use crate::okta::{AppId, KeyFacts, Kid, OktaApi, SignOnMode};
use crate::plan::{GroupPlan, KeyRef, LiveSnapshot, Plan, Step};
use crate::render::cert::Certificate;
use crate::render::escape::terminal;

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

/// Checks every group that had steps, against the snapshot `live` the plan was made from;
/// fails naming the first app that did not converge.
pub async fn verify(
    api: &impl OktaApi,
    plan: &Plan,
    live: &LiveSnapshot,
    report: &ApplyReport,
) -> anyhow::Result<Vec<Verified>> {
    // Only a switch can change what an app's metadata publishes.
    let switched: BTreeSet<&AppId> = plan
        .steps
        .iter()
        .filter_map(|step| match step {
            Step::Switch { app, .. } => Some(app),
            Step::Generate { .. } | Step::Clone { .. } => None,
        })
        .collect();
    let mut verified = Vec::new();
    for group in &plan.groups {
        if plan.steps.iter().any(|s| s.group() == group.name) {
            verified.push(verify_group(api, group, live, &switched, report).await?);
        }
    }
    Ok(verified)
}

async fn verify_group(
    api: &impl OktaApi,
    group: &GroupPlan,
    live: &LiveSnapshot,
    switched: &BTreeSet<&AppId>,
    report: &ApplyReport,
) -> anyhow::Result<Verified> {
    let kid = match &group.key {
        KeyRef::Existing(kid) => kid.clone(),
        KeyRef::Generated { group: name } => report
            .generated
            .get(name)
            .cloned()
            .with_context(|| format!("group `{name}`: the apply generated no key"))?,
    };
    let key = match live
        .key(&kid)
        .filter(|k| k.certificate_der_base64().is_some())
    {
        Some(known) => known.clone(),
        None => api
            .get_key(&group.source, &kid)
            .await
            .with_context(|| format!("after apply, cannot read key {kid} of {}", group.source))?
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
        let app = api
            .get_app(id)
            .await
            .with_context(|| format!("after apply, cannot re-read app {id}"))?;
        let name = format!("{} ({id})", app.label);
        if app.signing_kid.as_ref() != Some(&kid) {
            bail!(
                "after apply, {name} signs with {}, not with group `{}`'s key {kid}; someone may be changing it right now: run plan again",
                app.signing_kid.as_ref().map_or("no key", |k| k.0.as_str()),
                group.name
            );
        }
        if matches!(
            app.sign_on_mode,
            Some(SignOnMode::Saml2 | SignOnMode::Saml11)
        ) && switched.contains(id)
        {
            check_metadata(api, id, &name, expected.as_ref()).await?;
            verified.saml_apps += 1;
        }
        verified.apps.push(name);
    }
    Ok(verified)
}

/// Fails unless the app's SAML metadata publishes `expected`.
async fn check_metadata(
    api: &impl OktaApi,
    id: &AppId,
    name: &str,
    expected: Option<&Certificate>,
) -> anyhow::Result<()> {
    let xml = api
        .saml_metadata(id, None)
        .await
        .with_context(|| format!("after apply, cannot read the SAML metadata of {name}"))?;
    let published = signing_certificate(&xml).and_then(Certificate::from_base64);
    match (published, expected) {
        (Some(published), Some(expected)) if published.der() == expected.der() => Ok(()),
        (None, _) => bail!(
            "after apply, the SAML metadata of {name} publishes no signing certificate; check the app in the Admin Console"
        ),
        (Some(published), _) => bail!(
            "after apply, the SAML metadata of {name} publishes the certificate {}, not the group key's; its service provider would see the wrong certificate: run plan again",
            published.sha256_fingerprint()
        ),
    }
}

/// The text of the first `<…X509Certificate>` element, whatever its namespace prefix.
fn signing_certificate(xml: &str) -> Option<&str> {
    let start = xml.find("X509Certificate>")? + "X509Certificate>".len();
    let end = start + xml[start..].find('<')?;
    Some(xml[start..end].trim())
}

/// One line per verified group, for text output.
pub fn describe(verified: &[Verified]) -> String {
    let mut out = String::new();
    for group in verified {
        let mut line = format!(
            "Verified group {}: {} sign with {}",
            group.group,
            group.apps.join(", "),
            group.kid
        );
        if group.saml_apps > 0 {
            let _ = write!(
                line,
                "; the SAML metadata of the {} switched app(s) publishes its certificate",
                group.saml_apps
            );
        }
        if let Some(fingerprint) = &group.fingerprint {
            let _ = write!(line, " (SHA-256 {fingerprint})");
        }
        // Labels and kids come from Okta.
        out.push_str(&terminal(&line));
        out.push_str(".\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::signing_certificate;

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
