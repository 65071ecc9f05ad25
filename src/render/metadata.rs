//! IdP metadata with two signing certificates, for service providers that accept both ahead
//! of a staged switch (docs/rotation.md): Okta's metadata for an app, plus the signing
//! `KeyDescriptor` of Okta's `?kid=` preview of the staged key. `keyshare metadata` writes it
//! and `keyshare watch` serves it.
//!
//! It never edits Okta's document beyond adding the second `KeyDescriptor`, so that what an SP
//! imports is what Okta publishes, plus the next certificate. Pure: the caller reads Okta.

use crate::cert::Certificate;

/// What is wrong with Okta's metadata for adding a second signing key to it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    #[error(
        "Okta's {which} has no <KeyDescriptor use=\"signing\"> with a certificate; check the app's SAML settings in the Admin Console"
    )]
    NoSigningKey { which: &'static str },
    #[error(
        "Okta's preview carries the certificate {got}, not the staged key's {expected}; Okta may not preview inactive keys for this app: hand the service provider the PEM from keyshare keys --pem instead"
    )]
    WrongCertificate { got: String, expected: String },
}

/// `published` with the signing `KeyDescriptor` of `preview` added after its own: the metadata
/// of both the active and the staged certificate. The preview must carry `staged`.
pub fn with_staged_key(
    published: &str,
    preview: &str,
    staged: &Certificate,
) -> Result<String, MergeError> {
    let own =
        signing_descriptor(published).ok_or(MergeError::NoSigningKey { which: "metadata" })?;
    let next = signing_descriptor(preview).ok_or(MergeError::NoSigningKey {
        which: "metadata preview",
    })?;
    let descriptor = &preview[next];
    let carried = certificate_in(descriptor).and_then(Certificate::from_base64);
    match carried {
        Some(cert) if cert.der() == staged.der() => {}
        Some(cert) => {
            return Err(MergeError::WrongCertificate {
                got: cert.sha256_fingerprint(),
                expected: staged.sha256_fingerprint(),
            });
        }
        None => {
            return Err(MergeError::NoSigningKey {
                which: "metadata preview",
            });
        }
    }
    let mut xml = String::with_capacity(published.len() + descriptor.len());
    xml.push_str(&published[..own.end]);
    xml.push_str(descriptor);
    xml.push_str(&published[own.end..]);
    Ok(xml)
}

/// Where the first `<…KeyDescriptor use="signing">…</…KeyDescriptor>` element is, whatever its
/// namespace prefix.
fn signing_descriptor(xml: &str) -> Option<std::ops::Range<usize>> {
    let marker = xml.find("KeyDescriptor use=\"signing\"")?;
    let start = xml[..marker].rfind('<')?;
    let close = marker + xml[marker..].find("KeyDescriptor>")?;
    // The closing tag is `</prefix:KeyDescriptor>`; make sure this is one.
    let tag_start = xml[..close].rfind("</")?;
    (tag_start > marker).then_some(start..close + "KeyDescriptor>".len())
}

/// The text of the first `<…X509Certificate>` element.
fn certificate_in(xml: &str) -> Option<&str> {
    let start = xml.find("X509Certificate>")? + "X509Certificate>".len();
    let end = start + xml[start..].find('<')?;
    Some(xml[start..end].trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Okta's shape, with `cert` in the one signing `KeyDescriptor`.
    fn metadata(cert: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="http://www.okta.com/exk1"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://x/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>"#
        )
    }

    #[test]
    fn adds_the_staged_descriptor_after_the_active_one() {
        let staged = Certificate::from_base64("c3RhZ2Vk").unwrap();
        let xml = with_staged_key(&metadata("YWN0aXZl"), &metadata("c3RhZ2Vk"), &staged).unwrap();
        let descriptors: Vec<&str> = xml
            .match_indices("<md:KeyDescriptor use=\"signing\">")
            .map(|(_, m)| m)
            .collect();
        assert_eq!(descriptors.len(), 2);
        let active = xml.find("YWN0aXZl").unwrap();
        let next = xml.find("c3RhZ2Vk").unwrap();
        assert!(
            active < next && next < xml.find("SingleSignOnService").unwrap(),
            "{xml}"
        );
        assert!(xml.ends_with("</md:EntityDescriptor>"));
    }

    #[test]
    fn refuses_a_preview_of_another_certificate() {
        let staged = Certificate::from_base64("c3RhZ2Vk").unwrap();
        let error =
            with_staged_key(&metadata("YWN0aXZl"), &metadata("YWN0aXZl"), &staged).unwrap_err();
        assert!(
            matches!(error, MergeError::WrongCertificate { .. }),
            "{error}"
        );
    }

    #[test]
    fn refuses_metadata_without_a_signing_key() {
        let staged = Certificate::from_base64("c3RhZ2Vk").unwrap();
        let bare = metadata("c3RhZ2Vk").replace(" use=\"signing\"", "");
        assert_eq!(
            with_staged_key(&bare, &metadata("c3RhZ2Vk"), &staged),
            Err(MergeError::NoSigningKey { which: "metadata" })
        );
    }
}
