//! DPoP state of one service app: off until the token endpoint asks for it, then a throwaway
//! key and the server's latest nonce (docs/okta-api.md §9, RFC 9449).

use std::sync::{Arc, Mutex, MutexGuard};

use jsonwebtoken::jwk::Jwk;
use reqwest::header::HeaderMap;
use url::Url;

use super::jwt;
use super::key::SigningKey;
use crate::okta::http::secret::Secret;

/// What the token endpoint has told us about DPoP.
#[derive(Debug, Default)]
pub struct Dpop(Mutex<State>);

#[derive(Debug, Default)]
struct State {
    key: Option<Arc<(SigningKey, Jwk)>>,
    nonce: Option<String>,
}

impl Dpop {
    /// Whether requests carry DPoP proofs.
    pub fn is_on(&self) -> bool {
        self.state().key.is_some()
    }

    /// Turns DPoP on (making the key once) and keeps the server's nonce, if it sent one.
    pub fn start(&self, headers: &HeaderMap) -> Result<(), String> {
        let mut state = self.state();
        if state.key.is_none() {
            let key =
                SigningKey::generate().map_err(|e| format!("could not make a DPoP key: {e}"))?;
            state.key = Some(Arc::new(key));
        }
        if let Some(nonce) = headers.get("dpop-nonce").and_then(|v| v.to_str().ok()) {
            state.nonce = Some(nonce.to_owned());
        }
        Ok(())
    }

    /// A proof for `method url` at `now`: token requests (no access token) carry the nonce,
    /// API requests the access token's hash.
    pub fn proof(
        &self,
        method: &str,
        url: &Url,
        access_token: Option<&Secret>,
        now: i64,
    ) -> Result<Secret, String> {
        let (key, nonce) = {
            let state = self.state();
            let key = state.key.clone().ok_or("DPoP is not set up")?;
            let nonce = state.nonce.clone().filter(|_| access_token.is_none());
            (key, nonce)
        };
        let (signing, public) = &*key;
        jwt::dpop_proof(
            signing,
            public,
            method,
            url,
            nonce.as_deref(),
            access_token,
            now,
        )
        .map_err(|e| format!("could not sign a DPoP proof: {e}"))
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}
