//! DPoP proofs (RFC 9449, docs/okta-api.md §9): a JWT signed with the key in its own `jwk` header,
//! typed `dpop+jwt`, whose `htm`/`htu` name the request, whose `iat` is recent and, for
//! resource requests, whose `ath` is the SHA-256 of the access token.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::ThumbprintHash;
use jsonwebtoken::{DecodingKey, Validation};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::time::epoch_seconds;

/// How far a proof's `iat` may be from now.
const MAX_SKEW_SECONDS: u64 = 300;

/// What a valid proof tells.
pub struct Proof {
    /// SHA-256 JWK thumbprint of the proof's key.
    pub jkt: String,
    /// The nonce it carried.
    pub nonce: Option<String>,
}

#[derive(Deserialize)]
struct ProofClaims {
    htm: String,
    htu: String,
    iat: u64,
    #[serde(default)]
    ath: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
}

/// Verifies a proof for `method` on `url`, bound to `access_token` when given.
pub fn verify(
    proof: &str,
    method: &str,
    url: &str,
    access_token: Option<&str>,
) -> Result<Proof, String> {
    let header = jsonwebtoken::decode_header(proof)
        .map_err(|_| "The DPoP proof is not a JWT.".to_owned())?;
    if header.typ.as_deref() != Some("dpop+jwt") {
        return Err("The DPoP proof typ must be dpop+jwt.".into());
    }
    let jwk = header.jwk.ok_or("The DPoP proof header has no jwk.")?;
    let key = DecodingKey::from_jwk(&jwk)
        .map_err(|_| "The DPoP proof jwk is not a public key.".to_owned())?;
    let mut validation = Validation::new(header.alg);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.set_required_spec_claims::<&str>(&[]);
    let claims = jsonwebtoken::decode::<ProofClaims>(proof, &key, &validation)
        .map_err(|e| format!("The DPoP proof signature or claims are invalid: {e}."))?
        .claims;
    if !claims.htm.eq_ignore_ascii_case(method) {
        return Err(format!("The DPoP proof htm must be {method}."));
    }
    if claims.htu.split(['?', '#']).next() != Some(url) {
        return Err(format!("The DPoP proof htu must be {url}."));
    }
    if epoch_seconds(std::time::SystemTime::now()).abs_diff(claims.iat) > MAX_SKEW_SECONDS {
        return Err("The DPoP proof iat is not recent.".into());
    }
    if let Some(token) = access_token {
        let expected = URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()));
        if claims.ath.as_deref() != Some(expected.as_str()) {
            return Err("The DPoP proof ath does not match the access token.".into());
        }
    }
    let jkt = jwk
        .thumbprint(ThumbprintHash::SHA256)
        .map_err(|_| "The DPoP proof jwk has no thumbprint.".to_owned())?;
    Ok(Proof {
        jkt,
        nonce: claims.nonce,
    })
}
