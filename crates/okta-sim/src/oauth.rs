//! OAuth 2.0 for service apps (docs/okta-api.md §9): `POST /oauth2/v1/token` with
//! `client_credentials` and a `private_key_jwt` client assertion, checked against the client's
//! registered public key; access tokens valid one hour, carrying the granted scopes;
//! DPoP-bound tokens for clients that require DPoP. Never logs or echoes an assertion or token.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::json;
use url::form_urlencoded;

use super::config::OAuthClientSeed;
use super::error::SimError;
use super::request::base_url;
use super::time::epoch_seconds;
use super::{Simulator, dpop, ids};

/// The scope that reads apps and keys.
pub const READ: &str = "okta.apps.read";
/// The scope that changes apps and keys.
pub const MANAGE: &str = "okta.apps.manage";
/// The scope that reads the System Log.
pub const LOGS_READ: &str = "okta.logs.read";
/// Access-token lifetime (fixed at one hour in Okta).
const TOKEN_LIFETIME: Duration = Duration::from_secs(3600);
/// How far ahead an assertion's `exp` may lie: one hour, plus a minute of clock skew.
const MAX_ASSERTION_LIFETIME: u64 = 3600 + 60;

/// A registered service app.
struct Client {
    key: DecodingKey,
    algorithms: Vec<Algorithm>,
    scopes: Vec<String>,
    dpop: bool,
}

/// An access token the simulator issued.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// When it stops working.
    pub expires: SystemTime,
    /// For DPoP-bound tokens, the SHA-256 thumbprint of the client's DPoP key.
    pub dpop_jkt: Option<String>,
}

/// Registered clients, issued tokens, used assertion ids and the DPoP nonce.
pub struct OAuth {
    clients: HashMap<String, Client>,
    tokens: Mutex<HashMap<String, IssuedToken>>,
    used_jtis: Mutex<HashMap<String, u64>>,
    nonce: String,
}

impl OAuth {
    /// Parses every client's public key (PEM or JWK).
    pub fn new(seeds: &[OAuthClientSeed]) -> Result<Self, SimError> {
        let clients = seeds
            .iter()
            .map(|seed| Ok((seed.client_id.clone(), Client::new(seed)?)))
            .collect::<Result<_, SimError>>()?;
        Ok(Self {
            clients,
            tokens: Mutex::new(HashMap::new()),
            used_jtis: Mutex::new(HashMap::new()),
            nonce: ids::secret(),
        })
    }

    /// The token, if the simulator issued it and it has not expired.
    pub fn token(&self, access_token: &str) -> Option<IssuedToken> {
        let tokens = self
            .tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        tokens
            .get(access_token)
            .filter(|t| t.expires > SystemTime::now())
            .cloned()
    }

    fn issue(&self, token: IssuedToken) -> String {
        let access_token = ids::secret();
        let mut tokens = self
            .tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = SystemTime::now();
        tokens.retain(|_, t| t.expires > now);
        tokens.insert(access_token.clone(), token);
        access_token
    }

    /// Records an assertion's `jti`; false when it was used before (a replay).
    fn first_use(&self, jti: &str, exp: u64) -> bool {
        let mut used = self
            .used_jtis
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = epoch_seconds(SystemTime::now());
        used.retain(|_, until| *until + 60 >= now);
        used.insert(jti.to_owned(), exp).is_none()
    }
}

impl Client {
    fn new(seed: &OAuthClientSeed) -> Result<Self, SimError> {
        let bad =
            |detail: String| SimError::Config(format!("OAuth client {}: {detail}", seed.client_id));
        let text = seed.public_key.trim();
        let (key, algorithms) = if text.starts_with('{') {
            let jwk: Jwk = serde_json::from_str(text)
                .map_err(|e| bad(format!("the public key is not a JWK: {e}")))?;
            let key = DecodingKey::from_jwk(&jwk)
                .map_err(|e| bad(format!("the JWK is not a usable public key: {e}")))?;
            let algorithms = algorithms_for(&key);
            (key, algorithms)
        } else if let Ok(key) = DecodingKey::from_rsa_pem(text.as_bytes()) {
            (
                key,
                vec![Algorithm::RS256, Algorithm::RS384, Algorithm::RS512],
            )
        } else {
            let key = DecodingKey::from_ec_pem(text.as_bytes()).map_err(|_| {
                bad("the public key is neither an RSA or EC PEM public key (as `openssl rsa -pubout` writes it) nor a JWK".into())
            })?;
            (key, vec![Algorithm::ES256, Algorithm::ES384])
        };
        if algorithms.is_empty() {
            return Err(bad("the key must be an RSA or EC public key".into()));
        }
        Ok(Self {
            key,
            algorithms,
            scopes: seed.scopes.clone(),
            dpop: seed.dpop,
        })
    }
}

fn algorithms_for(key: &DecodingKey) -> Vec<Algorithm> {
    use jsonwebtoken::AlgorithmFamily;
    match key.family() {
        AlgorithmFamily::Rsa => vec![Algorithm::RS256, Algorithm::RS384, Algorithm::RS512],
        AlgorithmFamily::Ec => vec![Algorithm::ES256, Algorithm::ES384],
        _ => Vec::new(),
    }
}

/// An OAuth error answer: `{"error", "error_description"}`.
struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
    nonce: Option<String>,
}

impl OAuthError {
    fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", description)
    }

    fn bad_request(error: &'static str, description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error, description)
    }

    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            error,
            description: description.into(),
            nonce: None,
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({"error": self.error, "error_description": self.description});
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response();
        if let Some(nonce) = self.nonce.and_then(|n| HeaderValue::from_str(&n).ok()) {
            response.headers_mut().insert("dpop-nonce", nonce);
        }
        response
    }
}

#[derive(Deserialize)]
struct AssertionClaims {
    iss: String,
    exp: u64,
    #[serde(default)]
    jti: Option<String>,
}

/// `POST /oauth2/v1/token`.
pub async fn token(State(sim): State<Simulator>, headers: HeaderMap, body: Bytes) -> Response {
    match issue_token(&sim, &headers, &body) {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

fn issue_token(sim: &Simulator, headers: &HeaderMap, body: &[u8]) -> Result<Response, OAuthError> {
    let form: HashMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
    let field = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    if field("grant_type") != Some("client_credentials") {
        return Err(OAuthError::bad_request(
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server. Configured grant types: [client_credentials].",
        ));
    }
    if field("client_assertion_type")
        != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    {
        return Err(OAuthError::invalid_client(
            "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer (private_key_jwt).",
        ));
    }
    let assertion = field("client_assertion")
        .ok_or_else(|| OAuthError::invalid_client("The client_assertion is missing."))?;
    let token_url = format!("{}/oauth2/v1/token", base_url(headers));
    let oauth = sim.oauth();
    let client = verify_assertion(oauth, assertion, &token_url)?;
    let scopes = granted_scopes(client, field("scope"))?;
    let dpop_jkt = if client.dpop {
        Some(check_token_request_proof(oauth, headers, &token_url)?)
    } else {
        None
    };
    let token_type = if dpop_jkt.is_some() { "DPoP" } else { "Bearer" };
    let access_token = oauth.issue(IssuedToken {
        scopes: scopes.clone(),
        expires: SystemTime::now() + TOKEN_LIFETIME,
        dpop_jkt,
    });
    let body = json!({
        "token_type": token_type,
        "expires_in": TOKEN_LIFETIME.as_secs(),
        "access_token": access_token,
        "scope": scopes.join(" "),
    });
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response())
}

/// Checks the assertion's signature and claims; returns its client.
fn verify_assertion<'a>(
    oauth: &'a OAuth,
    assertion: &str,
    token_url: &str,
) -> Result<&'a Client, OAuthError> {
    let unverified: AssertionClaims = jsonwebtoken::dangerous::insecure_decode_claims(assertion)
        .map_err(|_| {
            OAuthError::invalid_client(
                "The client_assertion is not a valid JWT with iss and exp claims.",
            )
        })?;
    let (client_id, client) = oauth
        .clients
        .get_key_value(&unverified.iss)
        .ok_or_else(|| {
            OAuthError::invalid_client("The client_assertion iss is not a registered client_id.")
        })?;
    let header = jsonwebtoken::decode_header(assertion)
        .map_err(|_| OAuthError::invalid_client("The client_assertion JWT header is invalid."))?;
    if !client.algorithms.contains(&header.alg) {
        return Err(OAuthError::invalid_client(
            "The client_assertion JWT alg does not match the client's key.",
        ));
    }
    let mut validation = Validation::new(header.alg);
    validation.set_audience(&[token_url]);
    validation.set_issuer(&[client_id.as_str()]);
    validation.sub = Some(client_id.clone());
    validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
    let claims = jsonwebtoken::decode::<AssertionClaims>(assertion, &client.key, &validation)
        .map_err(|e| OAuthError::invalid_client(format!("The client_assertion is invalid: {e}.")))?
        .claims;
    let now = epoch_seconds(SystemTime::now());
    if claims.exp > now + MAX_ASSERTION_LIFETIME {
        return Err(OAuthError::invalid_client(
            "The client_assertion token has an expiration too far into the future.",
        ));
    }
    if let Some(jti) = &claims.jti
        && !oauth.first_use(jti, claims.exp)
    {
        return Err(OAuthError::invalid_client(
            "The client_assertion token has already been used (jti replay).",
        ));
    }
    Ok(client)
}

fn granted_scopes(client: &Client, requested: Option<&str>) -> Result<Vec<String>, OAuthError> {
    let requested = requested.ok_or_else(|| {
        OAuthError::bad_request(
            "invalid_scope",
            "The authorization server resource does not have any configured default scopes, 'scope' must be provided.",
        )
    })?;
    let scopes: Vec<String> = requested.split_whitespace().map(str::to_owned).collect();
    let refused: Vec<&str> = scopes
        .iter()
        .filter(|s| !client.scopes.contains(s))
        .map(String::as_str)
        .collect();
    if refused.is_empty() {
        Ok(scopes)
    } else {
        Err(OAuthError::bad_request(
            "invalid_scope",
            format!(
                "The following scopes are not allowed: [{}]",
                refused.join(", ")
            ),
        ))
    }
}

/// The DPoP dance of a token request (docs/okta-api.md §9): a proof is required, and the first one
/// without the server's nonce is answered `use_dpop_nonce` with the nonce in `dpop-nonce`.
fn check_token_request_proof(
    oauth: &OAuth,
    headers: &HeaderMap,
    token_url: &str,
) -> Result<String, OAuthError> {
    let proof = headers
        .get("dpop")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            OAuthError::bad_request(
                "invalid_dpop_proof",
                "The DPoP proof JWT header is missing.",
            )
        })?;
    let proof = dpop::verify(proof, "POST", token_url, None)
        .map_err(|e| OAuthError::bad_request("invalid_dpop_proof", e))?;
    if proof.nonce.as_deref() != Some(oauth.nonce.as_str()) {
        return Err(OAuthError {
            nonce: Some(oauth.nonce.clone()),
            ..OAuthError::bad_request(
                "use_dpop_nonce",
                "Authorization server requires nonce in DPoP proof.",
            )
        });
    }
    Ok(proof.jkt)
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;
    use crate::der::rsa_numbers_from_spki;
    use crate::keys::fresh_key_pair;

    fn seed(public_key: String) -> OAuthClientSeed {
        OAuthClientSeed {
            client_id: "0oaclient".into(),
            public_key,
            scopes: vec![READ.into()],
            dpop: false,
        }
    }

    #[test]
    fn public_keys_may_be_pem_or_jwk_and_nothing_else() {
        let pair = fresh_key_pair().unwrap();
        let spki = rcgen::PublicKeyData::subject_public_key_info(pair.as_ref());
        let numbers = rsa_numbers_from_spki(&spki).unwrap();
        let jwk = json!({"kty": "RSA", "n": URL_SAFE_NO_PAD.encode(&numbers.n), "e": URL_SAFE_NO_PAD.encode(&numbers.e)});
        assert!(OAuth::new(&[seed(pair.public_key_pem())]).is_ok());
        assert!(OAuth::new(&[seed(jwk.to_string())]).is_ok());
        for bad in [
            "not a key",
            "{\"kty\": \"RSA\"}",
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
        ] {
            let error = OAuth::new(&[seed(bad.into())]).err().expect("refused");
            assert!(
                error.to_string().contains("OAuth client 0oaclient"),
                "{error}"
            );
        }
    }
}
