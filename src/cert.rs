//! A key's X.509 certificate as a service provider's admin needs it: the SHA-256 and SHA-1
//! fingerprints and the PEM text. All are public; nothing here touches a private key.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;
use sha2::{Digest, Sha256};

use crate::okta::JsonWebKey;

/// What a service provider's console shows of a certificate besides its fingerprints.
pub(crate) struct CertificateDetails {
    pub subject: String,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
}

/// A DER certificate taken from a key's `x5c`.
pub(crate) struct Certificate {
    der: Vec<u8>,
}

impl Certificate {
    /// The key's first `x5c` entry, when there is one and it is base64.
    pub(crate) fn of(key: &JsonWebKey) -> Option<Self> {
        Self::from_base64(key.certificate_der_base64()?)
    }

    /// A certificate from standard base64 DER, as in `x5c` or SAML metadata's
    /// `<ds:X509Certificate>`; whitespace inside is ignored.
    pub(crate) fn from_base64(text: &str) -> Option<Self> {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let der = STANDARD.decode(compact).ok()?;
        (!der.is_empty()).then_some(Self { der })
    }

    /// The DER bytes.
    pub(crate) fn der(&self) -> &[u8] {
        &self.der
    }

    /// `AB:CD:…`, as `openssl x509 -fingerprint -sha256` prints it.
    pub(crate) fn sha256_fingerprint(&self) -> String {
        let digest = Sha256::digest(&self.der);
        let hex: Vec<String> = digest.iter().map(|b| format!("{b:02X}")).collect();
        hex.join(":")
    }

    /// `AB:CD:…` over SHA-1, as older service-provider consoles (ADFS, Salesforce) show it.
    pub(crate) fn sha1_fingerprint(&self) -> String {
        let digest =
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, &self.der);
        let hex: Vec<String> = digest.as_ref().iter().map(|b| format!("{b:02X}")).collect();
        hex.join(":")
    }

    /// The subject (`CN=…, O=…`) and validity, when the DER parses as X.509.
    pub(crate) fn details(&self) -> Option<CertificateDetails> {
        let (_, cert) = x509_parser::parse_x509_certificate(&self.der).ok()?;
        let instant = |t: x509_parser::time::ASN1Time| Timestamp::from_second(t.timestamp()).ok();
        Some(CertificateDetails {
            subject: cert.subject().to_string(),
            not_before: instant(cert.validity().not_before)?,
            not_after: instant(cert.validity().not_after)?,
        })
    }

    /// The PEM text, 64 characters a line.
    pub(crate) fn pem(&self) -> String {
        let body = STANDARD.encode(&self.der);
        let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
        for line in body.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
        pem
    }
}
