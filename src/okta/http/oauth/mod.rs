//! OAuth 2.0 client credentials with `private_key_jwt`, for Okta service apps (docs/okta-api.md §9).
//!
//! [`TokenSource`] signs a client assertion, trades it for an access token at the org
//! authorization server (`{org}/oauth2/v1/token`), keeps the token until shortly before it
//! expires, and refreshes it one caller at a time. When the token endpoint demands DPoP it
//! switches to DPoP-bound tokens: a throwaway key, the server's nonce, and a proof per request.
//!
//! Token requests go through `exchange` like every other request, in the token endpoint's own
//! bucket, so they share the rate-limit budget and the retry policy; this module only signs
//! each attempt and reads the token endpoint's answers, and must never send a request itself.
//!
//! Nothing here logs or returns a token, an assertion, a proof or key material; token endpoint
//! bodies are never quoted in errors because a success body holds the access token.

mod dpop;
mod jwt;
pub mod key;

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::Method;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use serde::Deserialize;
use tokio::time::Instant;
use tracing::Instrument;
use url::Url;

use self::dpop::Dpop;
use self::key::SigningKey;
use super::Inner;
use super::body::MAX_BODY_BYTES;
use super::exchange::{Call, Reply, Signing};
use super::failure;
use super::retry::Repeat;
use super::route::{Bucket, Route};
use super::secret::{Secret, sensitive_header};
use crate::okta::error::{ApiError, SettingsError};

/// Renew a token this long before it expires, at most (a quarter of a short lifetime).
const RENEW_MARGIN: Duration = Duration::from_secs(300);

/// Rounds of the DPoP handshake (switch to DPoP, then send the nonce) before giving up.
const DPOP_ROUNDS: u32 = 2;

/// Issues access tokens for one service app.
#[derive(Debug)]
pub struct TokenSource {
    client_id: String,
    scope: String,
    key: SigningKey,
    token_url: Url,
    /// Held while refreshing, so that only one refresh runs at a time.
    cache: tokio::sync::Mutex<Option<AccessToken>>,
    dpop: Dpop,
}

#[derive(Debug, Clone)]
struct AccessToken {
    value: Secret,
    dpop: bool,
    renew_at: Instant,
}

/// A token endpoint success answer.
#[derive(Deserialize)]
struct TokenAnswer {
    token_type: String,
    expires_in: u64,
    access_token: String,
}

/// A token endpoint error answer (RFC 6749 §5.2).
#[derive(Deserialize)]
struct TokenError {
    error: String,
    #[serde(default)]
    error_description: String,
}

impl TokenSource {
    /// A token source for `client_id`, signing with `key`, at `org`'s token endpoint.
    pub fn new(
        org: &Url,
        client_id: &str,
        scopes: &[String],
        key: SigningKey,
    ) -> Result<Self, SettingsError> {
        let token_url = org
            .join("/oauth2/v1/token")
            .map_err(|e| SettingsError::BadOrgUrl {
                url: org.to_string(),
                detail: e.to_string(),
            })?;
        Ok(Self {
            client_id: client_id.to_owned(),
            scope: scopes.join(" "),
            key,
            token_url,
            cache: tokio::sync::Mutex::new(None),
            dpop: Dpop::default(),
        })
    }

    /// Adds `Authorization` (and a `DPoP` proof when the token is DPoP-bound) to `request`.
    pub async fn authorize(
        &self,
        inner: &Inner,
        request: reqwest::RequestBuilder,
        method: &str,
        url: &Url,
    ) -> Result<reqwest::RequestBuilder, ApiError> {
        let token = self.token(inner).await?;
        if !token.dpop {
            let value = self.header(&format!("Bearer {}", token.value.expose()))?;
            return Ok(request.header(AUTHORIZATION, value));
        }
        let proof = self.proof(method, url, Some(&token.value))?;
        let value = self.header(&format!("DPoP {}", token.value.expose()))?;
        Ok(request
            .header(AUTHORIZATION, value)
            .header("DPoP", self.header(proof.expose())?))
    }

    /// Drops the cached token, so that the next request fetches a new one.
    pub async fn forget(&self) {
        *self.cache.lock().await = None;
    }

    /// The cached token, or a new one when it is missing or near expiry.
    async fn token(&self, inner: &Inner) -> Result<AccessToken, ApiError> {
        let mut cache = self.cache.lock().await;
        if let Some(token) = cache.as_ref().filter(|t| Instant::now() < t.renew_at) {
            return Ok(token.clone());
        }
        let span = tracing::info_span!(
            "okta_token_request",
            method = "POST",
            route = "/oauth2/v1/token",
            bucket = Bucket::Token.as_str(),
        );
        let token = self.fetch(inner).instrument(span).await?;
        *cache = Some(token.clone());
        Ok(token)
    }

    /// Asks the token endpoint for a token, following the DPoP handshake; `exchange` retries
    /// transient failures and 429s (a token request is harmless to repeat).
    ///
    /// Boxed, with its `Send` spelled out: an API request's signing awaits this, and this
    /// awaits the same `exchange`, so an `async fn` here would be a future containing itself.
    fn fetch<'a>(
        &'a self,
        inner: &'a Inner,
    ) -> Pin<Box<dyn Future<Output = Result<AccessToken, ApiError>> + Send + 'a>> {
        Box::pin(async move {
            let call = Call {
                method: Method::POST,
                repeat: Repeat::Harmless,
                ..Call::get(self.token_url.clone(), Route::Token)
            };
            let sign = |request| self.token_request(request);
            let mut dpop_rounds = 0;
            loop {
                let (status, headers, body) = match inner
                    .exchange(&call, Signing::PerAttempt(&sign))
                    .await
                {
                    Ok(Reply::Success(answer)) => (answer.status, answer.headers, answer.body),
                    Ok(Reply::Failed(Ok(answer))) => answer,
                    Ok(Reply::Failed(Err(e))) => return Err(self.transport_error(&inner.host, e)),
                    Err(ApiError::TooLarge { .. }) => return Err(self.too_large()),
                    Err(e) => return Err(e),
                };
                let received = Instant::now();
                tracing::debug!(status, "token endpoint answered");
                if status == 200 {
                    return self.read_token(status, &body, received);
                }
                let oauth_error = serde_json::from_slice::<TokenError>(&body).ok();
                let wants_dpop = oauth_error.as_ref().is_some_and(|e| {
                    e.error == "use_dpop_nonce"
                        || (e.error == "invalid_dpop_proof" && !self.dpop.is_on())
                });
                if wants_dpop && dpop_rounds < DPOP_ROUNDS {
                    dpop_rounds += 1;
                    self.dpop
                        .start(&headers)
                        .map_err(|e| self.local_error(&e))?;
                    continue;
                }
                return Err(self.refusal(status, oauth_error));
            }
        })
    }

    /// Signs one token request: a fresh client assertion and scopes in the form, and a DPoP
    /// proof once DPoP is on.
    fn token_request(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::RequestBuilder, ApiError> {
        let assertion = jwt::client_assertion(&self.key, &self.client_id, &self.token_url, now())
            .map_err(|e| {
            self.local_error(&format!("could not sign the client assertion: {e}"))
        })?;
        let form = [
            ("grant_type", "client_credentials"),
            ("scope", self.scope.as_str()),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion.expose()),
        ];
        let mut request = request.form(&form);
        if self.dpop.is_on() {
            let proof = self.proof("POST", &self.token_url, None)?;
            request = request.header("DPoP", self.header(proof.expose())?);
        }
        Ok(request)
    }

    fn read_token(
        &self,
        status: u16,
        body: &[u8],
        received: Instant,
    ) -> Result<AccessToken, ApiError> {
        let answer: TokenAnswer = serde_json::from_slice(body).map_err(|_| ApiError::Auth {
            endpoint: self.token_url.to_string(),
            status: Some(status),
            reason: "the answer is not an OAuth token response".to_owned(),
            advice: "Check that --org-url points at the Okta org itself".to_owned(),
        })?;
        let lifetime = Duration::from_secs(answer.expires_in);
        let dpop = answer.token_type.eq_ignore_ascii_case("DPoP");
        tracing::info!(
            expires_in = answer.expires_in,
            dpop,
            "obtained an OAuth access token"
        );
        Ok(AccessToken {
            value: Secret::new(answer.access_token),
            dpop,
            renew_at: renew_at(received, lifetime),
        })
    }

    /// A DPoP proof for `method url`.
    fn proof(
        &self,
        method: &str,
        url: &Url,
        access_token: Option<&Secret>,
    ) -> Result<Secret, ApiError> {
        self.dpop
            .proof(method, url, access_token, now())
            .map_err(|e| self.local_error(&e))
    }

    fn header(&self, text: &str) -> Result<HeaderValue, ApiError> {
        sensitive_header(text)
            .map_err(|()| self.local_error("a credential is not a valid header value"))
    }

    /// Okta refused to issue a token: say which setting to check.
    fn refusal(&self, status: u16, error: Option<TokenError>) -> ApiError {
        let (reason, advice) = match error {
            Some(e) => {
                let advice = advice_for(&e.error, &self.scope);
                (format!("{} ({})", e.error, e.error_description), advice)
            }
            None => (
                format!("HTTP {status} without an OAuth error"),
                "Check that --org-url points at the Okta org itself".to_owned(),
            ),
        };
        ApiError::Auth {
            endpoint: self.token_url.to_string(),
            status: Some(status),
            reason,
            advice,
        }
    }

    fn transport_error(&self, host: &str, err: reqwest::Error) -> ApiError {
        ApiError::Auth {
            endpoint: self.token_url.to_string(),
            status: None,
            reason: format!("no answer from {host}: {}", failure::error_chain(err)),
            advice: "Check the network, proxy settings and --org-url".to_owned(),
        }
    }

    /// The token endpoint's answer was too large to read: not Okta's.
    fn too_large(&self) -> ApiError {
        ApiError::Auth {
            endpoint: self.token_url.to_string(),
            status: None,
            reason: format!(
                "the answer is larger than {} MiB, the most keyshare reads of one answer",
                MAX_BODY_BYTES >> 20
            ),
            advice: "Okta's token answers are far smaller: check that --org-url / OKTA_CLIENT_ORGURL names the Okta org, and any proxy in HTTPS_PROXY".to_owned(),
        }
    }

    fn local_error(&self, reason: &str) -> ApiError {
        ApiError::Auth {
            endpoint: self.token_url.to_string(),
            status: None,
            reason: reason.to_owned(),
            advice: "Check the private key (--private-key / OKTA_CLIENT_PRIVATEKEY)".to_owned(),
        }
    }
}

/// When to stop using a token received at `received` that lives `lifetime`: 5 minutes before
/// it expires, or a quarter of its life before when that is shorter.
fn renew_at(received: Instant, lifetime: Duration) -> Instant {
    received + lifetime - RENEW_MARGIN.min(lifetime / 4)
}

/// What to check for each OAuth error code of the token endpoint.
fn advice_for(error: &str, scope: &str) -> String {
    match error {
        "invalid_client" => "Check the client id (--client-id / OKTA_CLIENT_CLIENTID), that the private key (--private-key / OKTA_CLIENT_PRIVATEKEY) matches a public key registered on that service app, and the key id (--kid / OKTA_CLIENT_KID) when the app has several keys".to_owned(),
        "invalid_scope" => format!("Grant the service app the scopes `{scope}` on its Okta API Scopes tab, or request fewer with --scopes / OKTA_CLIENT_SCOPES"),
        "unauthorized_client" => "The app may not use the client credentials grant: use an API Services app with Client Credentials enabled".to_owned(),
        "invalid_dpop_proof" | "use_dpop_nonce" => "The token endpoint did not accept keyshare's DPoP proof; check the app's DPoP setting".to_owned(),
        _ => "Check the service app's settings in the Okta admin console".to_owned(),
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use axum::http::{HeaderMap as Headers, StatusCode};
    use axum::routing::{get, post};

    use super::*;
    use crate::okta::http::settings::{Auth, ClientSettings, PrivateKeySource};
    use crate::okta::http::{Bucket, HttpClient};
    use crate::okta::{AppQuery, OktaApi};

    /// `X-Rate-Limit-*` of a token bucket of 10 per window, `remaining` left, resetting in a
    /// second.
    fn rate(remaining: u32) -> Headers {
        let now = jiff::Timestamp::now().as_second();
        let mut headers = Headers::new();
        headers.insert("x-rate-limit-limit", 10.into());
        headers.insert("x-rate-limit-remaining", remaining.into());
        headers.insert("x-rate-limit-reset", (now + 1).into());
        headers
    }

    /// An org whose token endpoint answers its first request 429 and then a token, and
    /// whose app list is empty.
    async fn org_with_a_busy_token_endpoint() -> (Url, Arc<AtomicU32>) {
        let asked = Arc::new(AtomicU32::new(0));
        let counter = Arc::clone(&asked);
        let token = move || {
            let counter = Arc::clone(&counter);
            async move {
                if counter.fetch_add(1, Ordering::SeqCst) == 0 {
                    return (StatusCode::TOO_MANY_REQUESTS, rate(0), String::new());
                }
                let body = r#"{"token_type":"Bearer","expires_in":3600,"access_token":"at"}"#;
                (StatusCode::OK, rate(9), body.to_owned())
            }
        };
        let router = axum::Router::new()
            .route("/oauth2/v1/token", post(token))
            .route("/api/v1/apps", get(|| async { "[]" }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        (url, asked)
    }

    #[tokio::test]
    async fn a_rate_limited_token_request_waits_in_the_token_bucket_through_exchange() {
        let (org, asked) = org_with_a_busy_token_endpoint().await;
        let auth = Auth::PrivateKey {
            client_id: "0oaservice".to_owned(),
            scopes: vec!["okta.apps.read".to_owned()],
            private_key: PrivateKeySource::Inline(Secret::new(key::tests::test_key().pkcs8_pem)),
            kid: None,
        };
        let client = HttpClient::new(ClientSettings::new(org, auth)).unwrap();
        let apps = client.list_apps(&AppQuery::default()).await.unwrap();
        assert!(apps.is_empty());
        assert_eq!(asked.load(Ordering::SeqCst), 2, "the 429, then the token");
        let stats = client.stats();
        let token = stats.buckets[&Bucket::Token];
        assert_eq!(
            (token.requests, token.rate_limited, token.retries),
            (2, 1, 1)
        );
        // Only exchange feeds a bucket's budget and statistics from the rate-limit headers.
        assert_eq!((token.limit, token.remaining), (Some(10), Some(9)));
        assert_eq!(stats.buckets[&Bucket::Apps].rate_limited, 0);
    }

    #[test]
    fn tokens_are_renewed_shortly_before_they_expire() {
        let t0 = Instant::now();
        let table = [(3600, 3300), (600, 450), (60, 45), (0, 0)];
        for (lifetime, used_for) in table {
            assert_eq!(
                renew_at(t0, Duration::from_secs(lifetime)),
                t0 + Duration::from_secs(used_for),
                "a token living {lifetime} s"
            );
        }
    }
}
