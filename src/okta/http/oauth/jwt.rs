//! The two JWTs keyshare signs: the `private_key_jwt` client assertion that asks for an
//! access token, and the DPoP proof that binds a request to the DPoP key (docs/okta-api.md §9).
//!
//! Both come out as [`Secret`]s: a client assertion is a credential for its lifetime.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, Header};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use url::Url;

use super::key::SigningKey;
use crate::okta::http::secret::Secret;

/// How long a client assertion is valid; Okta accepts at most one hour.
pub const ASSERTION_LIFETIME_SECS: i64 = 300;

/// Claims of a client assertion.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AssertionClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
}

/// Claims of a DPoP proof (RFC 9449 §4.2).
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct DpopClaims {
    pub htm: String,
    pub htu: String,
    pub iat: i64,
    pub jti: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ath: Option<String>,
}

/// A client assertion for `client_id` at `token_url`, issued at `now` (epoch seconds).
pub fn client_assertion(
    key: &SigningKey,
    client_id: &str,
    token_url: &Url,
    now: i64,
) -> Result<Secret, jsonwebtoken::errors::Error> {
    let mut header = Header::new(Algorithm::RS256);
    header.kid.clone_from(&key.kid);
    let claims = AssertionClaims {
        iss: client_id.to_owned(),
        sub: client_id.to_owned(),
        aud: token_url.to_string(),
        iat: now,
        exp: now + ASSERTION_LIFETIME_SECS,
        jti: random_id(),
    };
    key.sign(&header, &claims)
}

/// A DPoP proof for `method url`, with the server's `nonce` if it asked for one and the
/// access token's hash (`ath`) on resource requests.
pub fn dpop_proof(
    key: &SigningKey,
    public: &Jwk,
    method: &str,
    url: &Url,
    nonce: Option<&str>,
    access_token: Option<&Secret>,
    now: i64,
) -> Result<Secret, jsonwebtoken::errors::Error> {
    let mut header = Header::new(Algorithm::RS256);
    header.typ = Some("dpop+jwt".to_owned());
    header.jwk = Some(public.clone());
    // htu is the target URI without query and fragment (RFC 9449 §4.2).
    let mut htu = url.clone();
    htu.set_query(None);
    htu.set_fragment(None);
    let claims = DpopClaims {
        htm: method.to_owned(),
        htu: htu.to_string(),
        iat: now,
        jti: random_id(),
        nonce: nonce.map(str::to_owned),
        ath: access_token.map(|t| URL_SAFE_NO_PAD.encode(Sha256::digest(t.expose().as_bytes()))),
    };
    key.sign(&header, &claims)
}

/// 128 random bits, base64url: a `jti` that is never reused.
fn random_id() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::okta::http::oauth::key::tests::test_key;
    use jsonwebtoken::{DecodingKey, Validation};

    #[test]
    fn client_assertion_claims_verify_with_the_public_key() {
        let key = test_key();
        let signing =
            SigningKey::load(&Secret::new(key.pkcs8_pem.clone()), Some("kid-1".into())).unwrap();
        let token_url = Url::parse("https://dev-1.okta.com/oauth2/v1/token").unwrap();
        let now = jsonwebtoken::get_current_timestamp() as i64;
        let assertion = client_assertion(&signing, "0oaclient", &token_url, now).unwrap();
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&["https://dev-1.okta.com/oauth2/v1/token"]);
        validation.set_issuer(&["0oaclient"]);
        let data =
            jsonwebtoken::decode::<AssertionClaims>(assertion.expose(), &key.decoding, &validation)
                .unwrap();
        assert_eq!(data.header.kid.as_deref(), Some("kid-1"));
        assert_eq!(data.claims.sub, "0oaclient");
        assert!(data.claims.exp - data.claims.iat <= 3600);
        assert_eq!(data.claims.jti.len(), 22);
        let again = client_assertion(&signing, "0oaclient", &token_url, now).unwrap();
        let jti2 =
            jsonwebtoken::decode::<AssertionClaims>(again.expose(), &key.decoding, &validation)
                .unwrap()
                .claims
                .jti;
        assert_ne!(data.claims.jti, jti2, "every assertion has a fresh jti");
    }

    #[test]
    fn dpop_proof_carries_method_uri_and_token_hash() {
        let (signing, public) = SigningKey::generate().unwrap();
        let url = Url::parse("https://dev-1.okta.com/api/v1/apps?limit=200").unwrap();
        let token = Secret::new("access-token");
        let proof = dpop_proof(
            &signing,
            &public,
            "GET",
            &url,
            Some("n-1"),
            Some(&token),
            1000,
        )
        .unwrap();
        let header = jsonwebtoken::decode_header(proof.expose()).unwrap();
        assert_eq!(header.typ.as_deref(), Some("dpop+jwt"));
        let embedded = header.jwk.expect("the proof embeds its public key");
        let mut validation = Validation::new(Algorithm::RS256);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        let claims = jsonwebtoken::decode::<DpopClaims>(
            proof.expose(),
            &DecodingKey::from_jwk(&embedded).unwrap(),
            &validation,
        )
        .unwrap()
        .claims;
        assert_eq!(claims.htm, "GET");
        assert_eq!(claims.htu, "https://dev-1.okta.com/api/v1/apps");
        assert_eq!(claims.nonce.as_deref(), Some("n-1"));
        assert_eq!(
            claims.ath.as_deref(),
            Some(
                URL_SAFE_NO_PAD
                    .encode(Sha256::digest(b"access-token"))
                    .as_str()
            )
        );
    }
}
