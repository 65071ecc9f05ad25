//! RSA signing keys for JWTs: the service app's private key (PEM PKCS#1/PKCS#8 or JWK) and
//! the throwaway DPoP key.
//!
//! Key material stays inside [`SigningKey`], whose `Debug` prints no part of it; signed tokens
//! come out as [`Secret`]s.

use std::fmt;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeyPairComponents, KeySize, PublicKeyComponents};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::jwk::{AlgorithmParameters, CommonParameters, Jwk, RSAKeyParameters, RSAKeyType};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};

use crate::okta::error::SettingsError;
use crate::okta::http::secret::Secret;

/// An RSA private key that signs RS256 JWTs.
pub struct SigningKey {
    encoding: EncodingKey,
    /// The key's id for the JWT header, when known.
    pub kid: Option<String>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("key", &"[redacted]")
            .field("kid", &self.kid)
            .finish()
    }
}

/// The private members of an RSA JWK (RFC 7518 §6.3).
#[derive(Deserialize)]
struct PrivateRsaJwk {
    kty: String,
    n: String,
    e: String,
    d: Option<String>,
    p: Option<String>,
    q: Option<String>,
    dp: Option<String>,
    dq: Option<String>,
    qi: Option<String>,
    kid: Option<String>,
}

impl SigningKey {
    /// Reads a PEM (PKCS#1 or PKCS#8) or JWK private key. An explicit `kid` wins over the
    /// JWK's own. The key is tried once here, so that a bad key fails at start-up.
    pub fn load(text: &Secret, kid: Option<String>) -> Result<Self, SettingsError> {
        let (encoding, jwk_kid) = if text.expose().trim_start().starts_with('{') {
            from_jwk(text.expose())?
        } else {
            let key = EncodingKey::from_rsa_pem(text.expose().as_bytes())
                .map_err(|e| SettingsError::BadPrivateKey(format!("not an RSA PEM key ({e})")))?;
            (key, None)
        };
        let key = Self {
            encoding,
            kid: kid.or(jwk_kid),
        };
        key.sign(&Header::new(Algorithm::RS256), &serde_json::json!({}))
            .map_err(|e| SettingsError::BadPrivateKey(format!("it cannot sign ({e})")))?;
        Ok(key)
    }

    /// A fresh RSA-2048 key and its public JWK, for DPoP proofs.
    pub fn generate() -> Result<(Self, Jwk), String> {
        let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|e| e.to_string())?;
        let jwk = public_jwk(&pair);
        let encoding = pkcs8_encoding_key(&pair)?;
        Ok((
            Self {
                encoding,
                kid: None,
            },
            jwk,
        ))
    }

    /// Signs `claims` under `header` (whose `alg` must be RS256).
    pub fn sign(
        &self,
        header: &Header,
        claims: &impl Serialize,
    ) -> Result<Secret, jsonwebtoken::errors::Error> {
        jsonwebtoken::encode(header, claims, &self.encoding).map(Secret::from)
    }
}

fn from_jwk(text: &str) -> Result<(EncodingKey, Option<String>), SettingsError> {
    let bad = |detail: &str| SettingsError::BadPrivateKey(format!("as a JWK, {detail}"));
    let jwk: PrivateRsaJwk =
        serde_json::from_str(text).map_err(|_| bad("it is not a JSON RSA key"))?;
    if jwk.kty != "RSA" {
        return Err(bad("only `kty: RSA` keys are supported"));
    }
    let decode = |member: &Option<String>| -> Result<Vec<u8>, SettingsError> {
        let value = member
            .as_deref()
            .ok_or_else(|| bad("it lacks the private members d, p, q, dp, dq and qi"))?;
        URL_SAFE_NO_PAD
            .decode(value.trim_end_matches('='))
            .map_err(|_| bad("a member is not base64url"))
    };
    let components = KeyPairComponents {
        public_key: PublicKeyComponents {
            n: decode(&Some(jwk.n.clone()))?,
            e: decode(&Some(jwk.e.clone()))?,
        },
        d: decode(&jwk.d)?,
        p: decode(&jwk.p)?,
        q: decode(&jwk.q)?,
        dP: decode(&jwk.dp)?,
        dQ: decode(&jwk.dq)?,
        qInv: decode(&jwk.qi)?,
    };
    let pair = KeyPair::from_components(&components)
        .map_err(|_| bad("its members do not form a valid RSA key"))?;
    let key = pkcs8_encoding_key(&pair).map_err(|e| bad(&e))?;
    Ok((key, jwk.kid))
}

/// jsonwebtoken takes RSA keys as PEM or PKCS#1 DER; aws-lc writes PKCS#8, so wrap it in PEM.
fn pkcs8_encoding_key(pair: &KeyPair) -> Result<EncodingKey, String> {
    let der = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(pair).map_err(|e| e.to_string())?;
    let pem = Secret::new(format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        STANDARD.encode(der.as_ref())
    ));
    EncodingKey::from_rsa_pem(pem.expose().as_bytes()).map_err(|e| e.to_string())
}

/// The public half of `pair` as a JWK (`kty`, `n`, `e`).
fn public_jwk(pair: &KeyPair) -> Jwk {
    use aws_lc_rs::signature::KeyPair as _;
    let public = pair.public_key();
    Jwk {
        common: CommonParameters::default(),
        algorithm: AlgorithmParameters::RSA(RSAKeyParameters {
            key_type: RSAKeyType::RSA,
            n: URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero()),
            e: URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero()),
        }),
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation};

    /// A test key in every accepted form, with the decoding key to check signatures.
    pub struct TestKey {
        pub pkcs8_pem: String,
        pub pkcs1_pem: String,
        pub jwk: String,
        pub decoding: DecodingKey,
    }

    pub fn test_key() -> TestKey {
        let pair = KeyPair::generate(KeySize::Rsa2048).unwrap();
        let pkcs8 = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair).unwrap();
        let pkcs8 = pkcs8.as_ref();
        // PKCS#8 of RSA-2048: 26 bytes of header, then the PKCS#1 key as the OCTET STRING.
        assert_eq!(
            &pkcs8[22..24],
            &[0x04, 0x82],
            "PKCS#8 layout of an RSA-2048 key"
        );
        let pkcs1 = &pkcs8[26..];
        let pem = |label: &str, der: &[u8]| {
            format!(
                "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
                STANDARD.encode(der)
            )
        };
        let AlgorithmParameters::RSA(rsa) = public_jwk(&pair).algorithm else {
            unreachable!("public_jwk makes RSA keys")
        };
        TestKey {
            pkcs8_pem: pem("PRIVATE KEY", pkcs8),
            pkcs1_pem: pem("RSA PRIVATE KEY", pkcs1),
            jwk: private_jwk_json(pkcs1, &rsa),
            decoding: DecodingKey::from_rsa_components(&rsa.n, &rsa.e).unwrap(),
        }
    }

    /// The private JWK of a PKCS#1 key, read from its DER members.
    fn private_jwk_json(pkcs1: &[u8], public: &RSAKeyParameters) -> String {
        let members = der_integers(pkcs1);
        // RSAPrivateKey ::= version, n, e, d, p, q, dp, dq, qi
        let b64 = |i: usize| URL_SAFE_NO_PAD.encode(&members[i]);
        serde_json::json!({
            "kty": "RSA", "kid": "jwk-kid", "n": public.n, "e": public.e,
            "d": b64(3), "p": b64(4), "q": b64(5), "dp": b64(6), "dq": b64(7), "qi": b64(8),
        })
        .to_string()
    }

    /// The INTEGERs of a DER SEQUENCE, leading zero bytes stripped.
    fn der_integers(der: &[u8]) -> Vec<Vec<u8>> {
        fn read_len(bytes: &[u8], at: &mut usize) -> usize {
            let first = bytes[*at];
            *at += 1;
            if first < 0x80 {
                return usize::from(first);
            }
            let n = usize::from(first & 0x7f);
            let len = bytes[*at..*at + n]
                .iter()
                .fold(0, |acc, b| acc << 8 | usize::from(*b));
            *at += n;
            len
        }
        let mut at = 1;
        read_len(der, &mut at);
        let mut out = Vec::new();
        while at < der.len() {
            assert_eq!(der[at], 0x02, "an INTEGER");
            at += 1;
            let len = read_len(der, &mut at);
            let value = &der[at..at + len];
            let start = value.iter().position(|b| *b != 0).unwrap_or(value.len());
            out.push(value[start..].to_vec());
            at += len;
        }
        out
    }

    #[test]
    fn every_key_form_signs_verifiably() {
        let key = test_key();
        let forms = [
            ("PKCS#8 PEM", key.pkcs8_pem.clone(), None),
            ("PKCS#1 PEM", key.pkcs1_pem.clone(), None),
            ("JWK", key.jwk.clone(), Some("jwk-kid")),
        ];
        for (name, text, expected_kid) in forms {
            let signing = SigningKey::load(&Secret::new(text), None).expect(name);
            assert_eq!(signing.kid.as_deref(), expected_kid, "{name}");
            let token = signing
                .sign(
                    &Header::new(Algorithm::RS256),
                    &serde_json::json!({"sub": "x", "exp": 4_000_000_000_u64}),
                )
                .unwrap();
            let mut validation = Validation::new(Algorithm::RS256);
            validation.required_spec_claims.clear();
            jsonwebtoken::decode::<serde_json::Value>(token.expose(), &key.decoding, &validation)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn bad_keys_are_refused_without_echoing_them() {
        let key = test_key();
        let public_only = {
            let mut v: serde_json::Value = serde_json::from_str(&key.jwk).unwrap();
            v.as_object_mut().unwrap().remove("d");
            v.to_string()
        };
        let cases = [
            (
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".to_owned(),
                "not an RSA PEM key",
            ),
            (public_only, "lacks the private members"),
            (
                r#"{"kty":"EC","n":"x","e":"y"}"#.to_owned(),
                "only `kty: RSA`",
            ),
        ];
        for (text, expected) in cases {
            let err = SigningKey::load(&Secret::new(text.clone()), None)
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{err}");
            assert!(
                !err.contains("AAAA") && !err.contains(&key.jwk[..20]),
                "{err}"
            );
        }
        let debug = format!(
            "{:?}",
            SigningKey::load(&Secret::new(key.pkcs8_pem.clone()), None).unwrap()
        );
        assert_eq!(debug, r#"SigningKey { key: "[redacted]", kid: None }"#);
    }
}
