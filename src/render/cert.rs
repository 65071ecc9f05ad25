//! A key's X.509 certificate as a service provider's admin needs it: the SHA-256 fingerprint
//! and the PEM text. Both are public; nothing here touches a private key.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use crate::okta::JsonWebKey;

/// A DER certificate taken from a key's `x5c`.
pub(super) struct Certificate {
    der: Vec<u8>,
}

impl Certificate {
    /// The key's first `x5c` entry, when there is one and it is base64.
    pub(super) fn of(key: &JsonWebKey) -> Option<Self> {
        let der = STANDARD.decode(key.certificate_der_base64()?).ok()?;
        (!der.is_empty()).then_some(Self { der })
    }

    /// `AB:CD:…`, as `openssl x509 -fingerprint -sha256` prints it.
    pub(super) fn sha256_fingerprint(&self) -> String {
        let digest = Sha256::digest(&self.der);
        let hex: Vec<String> = digest.iter().map(|b| format!("{b:02X}")).collect();
        hex.join(":")
    }

    /// The PEM text, 64 characters a line.
    pub(super) fn pem(&self) -> String {
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
