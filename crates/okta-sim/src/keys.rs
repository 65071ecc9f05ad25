//! Signing keys: RSA-2048 key pairs and Okta-profile self-signed certificates, rendered as
//! JsonWebKeys whose `x5c`, `x5t#S256`, `n` and `e` all come from the same certificate.
//!
//! Certificates follow docs/okta-api.md §5.1: subject = issuer = Okta's DN with `CN=<org>`, serial =
//! creation time in epoch milliseconds, notBefore = created − 60 s, notAfter = expiresAt, and
//! no extensions. A certificate is built the first time it is needed and then kept, so an org
//! of 10,000 seeded keys starts without signing 10,000 certificates (the output is the same
//! either way: the inputs are fixed at creation and RSA PKCS#1 v1.5 signing is deterministic).
//! This module never hands out private key material.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jiff::Timestamp;
use rcgen::{CertificateParams, DistinguishedName, DnType, DnValue, KeyPair, PKCS_RSA_SHA256};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::SimError;
use super::der::rsa_numbers_from_spki;
use super::time;

/// How many distinct RSA key pairs seeded and synthetic keys share (see docs/simulator.md).
pub const POOL_SIZE: usize = 8;

/// Makes a fresh RSA-2048 key pair. Takes ~0.1 s: call it off the async runtime.
pub fn fresh_key_pair() -> Result<Arc<KeyPair>, SimError> {
    KeyPair::generate_for(&PKCS_RSA_SHA256)
        .map(Arc::new)
        .map_err(|e| SimError::Crypto(e.to_string()))
}

/// A fixed set of key pairs, generated once, handed out round-robin to seeded and synthetic
/// keys so that a large org starts fast. Keys made by `generate` never come from here.
pub struct KeyPool {
    pairs: Vec<Arc<KeyPair>>,
}

impl KeyPool {
    /// Generates `size` key pairs, in parallel on the available cores.
    pub fn generate(size: usize) -> Result<Self, SimError> {
        let pairs = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..size).map(|_| scope.spawn(fresh_key_pair)).collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(SimError::Crypto("key generation panicked".into())))
                })
                .collect::<Result<Vec<_>, _>>()
        })?;
        Ok(Self { pairs })
    }

    /// The process-wide pool, generated on first use. Concurrent first callers wait for one
    /// generation rather than each making their own.
    pub fn shared() -> Result<&'static KeyPool, SimError> {
        static POOL: OnceLock<Result<KeyPool, String>> = OnceLock::new();
        POOL.get_or_init(|| KeyPool::generate(POOL_SIZE).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| SimError::Crypto(e.clone()))
    }

    /// The `index`-th pair, wrapping around.
    pub fn pair(&self, index: usize) -> Arc<KeyPair> {
        Arc::clone(&self.pairs[index % self.pairs.len()])
    }
}

/// One key credential: the same object (same kid, same certificate, same expiry) sits on every
/// app it was cloned to. Each app's copy has dates of its own: see [`KeyCopy`].
pub struct KeyCredential {
    /// The opaque kid.
    pub kid: String,
    /// When the key was generated (or published): the certificate's serial and notBefore.
    pub created: Timestamp,
    /// End of validity (= certificate notAfter).
    pub expires_at: Timestamp,
    origin: Origin,
    cert: OnceLock<Result<Certificate, String>>,
}

/// Where a key's certificate comes from.
enum Origin {
    /// Okta made the key: a self-signed certificate with `CN=<org>`, built on first use.
    SelfSigned {
        org_subdomain: Arc<str>,
        pair: Arc<KeyPair>,
    },
    /// A CA-signed certificate published for a CSR; set at creation.
    Published,
}

/// The rendered certificate and the JWK members derived from it.
pub struct Certificate {
    /// DER bytes.
    pub der: Vec<u8>,
    x5t_s256: String,
    n: String,
    e: String,
}

impl KeyCredential {
    /// A key over `pair`, for the org whose subdomain becomes the certificate's CN.
    pub fn new(
        kid: String,
        created: Timestamp,
        expires_at: Timestamp,
        org_subdomain: Arc<str>,
        pair: Arc<KeyPair>,
    ) -> Self {
        Self {
            kid,
            created: time::truncate(created),
            expires_at: time::truncate(expires_at),
            origin: Origin::SelfSigned {
                org_subdomain,
                pair,
            },
            cert: OnceLock::new(),
        }
    }

    /// A key whose certificate was published for a CSR; it expires with the certificate.
    pub fn published(kid: String, created: Timestamp, der: Vec<u8>) -> Result<Self, String> {
        let (_, parsed) = x509_parser::parse_x509_certificate(&der)
            .map_err(|e| format!("not an X.509 certificate: {e}"))?;
        let not_after = parsed.validity().not_after.timestamp();
        let expires_at = Timestamp::from_second(not_after).map_err(|e| e.to_string())?;
        let spki = parsed.public_key().raw.to_vec();
        let cert = Certificate::from_parts(der, &spki)?;
        Ok(Self {
            kid,
            created: time::truncate(created),
            expires_at,
            origin: Origin::Published,
            cert: OnceLock::from(Ok(cert)),
        })
    }

    /// The certificate, built on first use.
    pub fn certificate(&self) -> Result<&Certificate, SimError> {
        self.cert
            .get_or_init(|| self.build_certificate())
            .as_ref()
            .map_err(|e| SimError::Crypto(e.clone()))
    }

    /// The JsonWebKey of a copy made at `copied` (its `created` and `lastUpdated`), members
    /// in Okta's order (docs/okta-api.md §5.1).
    fn to_jwk(&self, copied: Timestamp) -> Result<Value, SimError> {
        let cert = self.certificate()?;
        let created = time::okta(copied);
        Ok(json!({
            "kty": "RSA",
            "created": created,
            "lastUpdated": created,
            "expiresAt": time::okta(self.expires_at),
            "kid": self.kid,
            "use": "sig",
            "x5c": [STANDARD.encode(&cert.der)],
            "x5t#S256": cert.x5t_s256,
            "e": cert.e,
            "n": cert.n,
        }))
    }

    fn build_certificate(&self) -> Result<Certificate, String> {
        let Origin::SelfSigned {
            org_subdomain,
            pair,
        } = &self.origin
        else {
            return Err("a published key lost its certificate".into());
        };
        let mut params = CertificateParams::default();
        params.distinguished_name = okta_distinguished_name(org_subdomain);
        params.serial_number = Some(
            u64::try_from(self.created.as_millisecond())
                .unwrap_or(0)
                .into(),
        );
        set_validity(
            &mut params,
            self.created.as_second() - 60,
            self.expires_at.as_second(),
        );
        let cert = params
            .self_signed(pair.as_ref())
            .map_err(|e| e.to_string())?;
        let spki = rcgen::PublicKeyData::subject_public_key_info(pair.as_ref());
        Certificate::from_parts(cert.der().to_vec(), &spki)
    }
}

/// One app's copy of a key. Okta reports a shared kid on every app with the same `expiresAt`,
/// `x5c` and `x5t#S256` but with that app's own `created` and `lastUpdated`: a clone is dated
/// at the clone, not at the generate (recorded listings; docs/simulator.md).
#[derive(Clone)]
pub struct KeyCopy {
    /// The key, shared by every copy.
    pub key: Arc<KeyCredential>,
    /// When this app got it (`created` = `lastUpdated` of its JsonWebKey).
    pub created: Timestamp,
}

impl KeyCopy {
    /// The key's first copy: the app it was generated (or published) on.
    pub fn original(key: Arc<KeyCredential>) -> Self {
        let created = key.created;
        Self { key, created }
    }

    /// A copy of `key` made at `at`.
    pub fn cloned(key: Arc<KeyCredential>, at: Timestamp) -> Self {
        Self {
            key,
            created: time::truncate(at),
        }
    }

    /// The kid.
    pub fn kid(&self) -> &str {
        &self.key.kid
    }

    /// This copy as a JsonWebKey.
    pub fn to_jwk(&self) -> Result<Value, SimError> {
        self.key.to_jwk(self.created)
    }
}

impl Certificate {
    /// The JWK members of a certificate with DER `der` over the public key `spki`.
    fn from_parts(der: Vec<u8>, spki: &[u8]) -> Result<Self, String> {
        let numbers = rsa_numbers_from_spki(spki).ok_or("the certificate's key is not RSA")?;
        Ok(Self {
            x5t_s256: URL_SAFE_NO_PAD.encode(Sha256::digest(&der)),
            n: URL_SAFE_NO_PAD.encode(&numbers.n),
            e: URL_SAFE_NO_PAD.encode(&numbers.e),
            der,
        })
    }
}

/// `C=US, ST=California, L=San Francisco, O=Okta, OU=SSOProvider, CN=<org>, emailAddress=info@okta.com`.
fn okta_distinguished_name(org_subdomain: &str) -> DistinguishedName {
    const EMAIL_ADDRESS: &[u64] = &[1, 2, 840, 113_549, 1, 9, 1];
    let mut dn = DistinguishedName::new();
    dn.push(
        DnType::CountryName,
        DnValue::PrintableString("US".try_into().expect("ASCII")),
    );
    dn.push(DnType::StateOrProvinceName, "California");
    dn.push(DnType::LocalityName, "San Francisco");
    dn.push(DnType::OrganizationName, "Okta");
    dn.push(DnType::OrganizationalUnitName, "SSOProvider");
    dn.push(DnType::CommonName, org_subdomain);
    dn.push(
        DnType::CustomDnType(EMAIL_ADDRESS.to_vec()),
        DnValue::Ia5String("info@okta.com".try_into().expect("ASCII")),
    );
    dn
}

/// rcgen takes `time::OffsetDateTime`; derive it from rcgen's own epoch helper so the
/// simulator needs no second date-time crate.
fn set_validity(params: &mut CertificateParams, not_before: i64, not_after: i64) {
    let epoch = rcgen::date_time_ymd(1970, 1, 1);
    let since_epoch = |secs: i64| Duration::from_secs(u64::try_from(secs).unwrap_or(0));
    params.not_before = epoch + since_epoch(not_before);
    params.not_after = epoch + since_epoch(not_after);
}
