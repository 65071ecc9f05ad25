//! One logical request to Okta: admission to the rate-limit budget and the in-flight cap,
//! credentials, sending, and the retry loop, inside one `tracing` span.
//!
//! This is the only place that sends requests to Okta, the token endpoint's included, so that
//! every request draws from its bucket's budget and follows one retry policy. It must never log
//! a header value or a body: the span carries the method, the route template, the bucket, the
//! attempt, the status and the bucket's remaining count, nothing else.

use std::time::Duration;

use reqwest::Method;
use reqwest::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap};
use tokio::time::Instant;
use tracing::{Instrument, Span, field};
use url::Url;

use super::Inner;
use super::body::{self, BodyError};
use super::budget::{InFlight, RateHeaders};
use super::failure::{self, RequestLabel};
use super::retry::{self, Attempt, Next, Repeat};
use super::route::{Bucket, Route};
use super::stats::Event;
use crate::okta::ApiError;

/// A request to make.
#[derive(Debug)]
pub struct Call {
    pub method: Method,
    pub url: Url,
    pub route: Route,
    /// A JSON body (PUT); `None` sends `Content-Length: 0` on writes, as Okta requires.
    pub json: Option<Vec<u8>>,
    /// The media type to ask for.
    pub accept: &'static str,
    /// Whether the request may be sent again after it may have reached Okta.
    pub repeat: Repeat,
}

/// Bucket 429s (not concurrency ones) that one request may get before it fails. Each comes
/// after waiting for the bucket's reset, and Okta's windows are a minute long, so the default
/// `max_rate_limit_wait` of 5 minutes allows about six; more means the server answers 429
/// whatever the window, and asking again would never end.
const MAX_RATE_LIMITED: u32 = 12;

/// A success answer (2xx).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// What came back from one attempt: status, headers and body, or no answer.
pub type Received = Result<(u16, HeaderMap, Vec<u8>), reqwest::Error>;

/// Puts credentials on a request before each attempt.
#[derive(Clone, Copy)]
pub enum Signing<'a> {
    /// The client's credentials: the API token, or an access token from the token source.
    /// An answer 401 gets the request one more try with a new access token.
    Client,
    /// The request carries its own credentials, made again for each attempt because each may
    /// be used once (a token request's client assertion and DPoP proof); the function adds
    /// them and the body. A refusal is never answered by renewing the client's credentials.
    PerAttempt(
        &'a (dyn Fn(reqwest::RequestBuilder) -> Result<reqwest::RequestBuilder, ApiError> + Sync),
    ),
}

/// How a request signed [`Signing::PerAttempt`] ended when it did not fail locally.
#[derive(Debug)]
pub enum Reply {
    /// A success answer.
    Success(Answer),
    /// The last attempt's refusal or transport failure, once no further attempt was allowed;
    /// the caller reads it, since only it knows the endpoint's error format.
    Failed(Received),
}

impl Call {
    /// A `GET` of JSON.
    pub fn get(url: Url, route: Route) -> Self {
        Self {
            method: Method::GET,
            url,
            route,
            json: None,
            accept: "application/json",
            repeat: Repeat::Harmless,
        }
    }

    /// How the request appears in errors: method and path with query.
    pub fn label(&self) -> RequestLabel {
        let mut path = self.url.path().to_owned();
        if let Some(query) = self.url.query() {
            path.push('?');
            path.push_str(query);
        }
        RequestLabel {
            method: method_name(&self.method),
            path,
        }
    }
}

/// `&'static` method names for error values.
fn method_name(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::PUT => "PUT",
        Method::POST => "POST",
        Method::DELETE => "DELETE",
        _ => "HTTP",
    }
}

impl Inner {
    /// Sends `call` with the client's credentials until it succeeds or fails for good, and
    /// returns its success answer.
    pub async fn execute(&self, call: &Call) -> Result<Answer, ApiError> {
        match self.exchange(call, Signing::Client).await? {
            Reply::Success(answer) => Ok(answer),
            Reply::Failed(received) => Err(self.failure(&call.label(), received)),
        }
    }

    /// Sends `call`, signed by `signing`, until it succeeds or no further attempt is allowed.
    /// The error is one that ended the request before an answer could be judged: the budget's
    /// wait, an answer too large, or credentials that could not be made.
    pub async fn exchange(&self, call: &Call, signing: Signing<'_>) -> Result<Reply, ApiError> {
        let span = tracing::info_span!(
            "okta_request",
            method = %call.method,
            route = call.route.template(),
            bucket = call.route.bucket().as_str(),
            attempt = field::Empty,
            status = field::Empty,
            remaining = field::Empty,
        );
        self.retry_loop(call, signing, &span)
            .instrument(span.clone())
            .await
    }

    async fn retry_loop(
        &self,
        call: &Call,
        signing: Signing<'_>,
        span: &Span,
    ) -> Result<Reply, ApiError> {
        let bucket = call.route.bucket();
        let label = call.label();
        let mut delays = retry::backoff(self.retry);
        let mut rate_waited = Duration::ZERO;
        let mut rate_limited = 0_u32;
        let mut renewed_credentials = false;
        let mut attempt = 0_u32;
        loop {
            attempt += 1;
            span.record("attempt", attempt);
            let received = self
                .attempt(call, signing, attempt > 1, span, &mut rate_waited)
                .await?;
            let outcome = match &received {
                Ok((status, headers, _)) => Attempt::Answered {
                    status: *status,
                    rate: RateHeaders::from_headers(headers),
                },
                Err(e) => Attempt::NoAnswer {
                    maybe_sent: failure::may_have_been_sent(e),
                },
            };
            let pause = match retry::next_step(outcome, call.repeat) {
                Next::Done => {
                    let (status, headers, body) = received.expect("Done follows an answer");
                    return Ok(Reply::Success(Answer {
                        status,
                        headers,
                        body,
                    }));
                }
                Next::Fail
                    if !renewed_credentials
                        && matches!(signing, Signing::Client)
                        && matches!(outcome, Attempt::Answered { status: 401, .. })
                        && self.credentials.renewable() =>
                {
                    // An access token can be revoked or expire early; get a new one once.
                    renewed_credentials = true;
                    self.credentials.forget_token().await;
                    Duration::ZERO
                }
                Next::Fail => return Ok(Reply::Failed(received)),
                Next::WaitForReset => {
                    self.stats.record(bucket, Event::RateLimited);
                    rate_limited += 1;
                    if rate_limited > MAX_RATE_LIMITED {
                        return Err(ApiError::RateLimitedRepeatedly {
                            method: label.method,
                            path: label.path.clone(),
                            bucket: bucket.as_str().to_owned(),
                            answers: rate_limited,
                        });
                    }
                    let wait = self
                        .budget
                        .blocked_for(bucket, Instant::now())
                        .unwrap_or_default();
                    // Fail now rather than after a wait that cannot end in time; the budget
                    // holds the next attempt back until the reset, and that wait is counted
                    // when it is over.
                    self.check_rate_wait(&label, bucket, rate_waited, wait)?;
                    tracing::info!(wait_ms = wait.as_millis(), "rate limited; waiting");
                    Duration::ZERO
                }
                Next::PauseForConcurrency => {
                    self.stats.record(bucket, Event::RateLimited);
                    let wait = retry::concurrency_pause();
                    self.check_rate_wait(&label, bucket, rate_waited, wait)?;
                    tracing::info!(wait_ms = wait.as_millis(), "concurrency limited; pausing");
                    rate_waited += wait;
                    wait
                }
                Next::Backoff => match delays.next() {
                    Some(delay) => {
                        tracing::info!(delay_ms = delay.as_millis(), "transient failure; retrying");
                        delay
                    }
                    None => return Ok(Reply::Failed(received)),
                },
            };
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
                self.stats.record(bucket, Event::Waited(pause));
            }
        }
    }

    /// Fails when waiting `wait` more would take the operation past `max_rate_limit_wait`.
    fn check_rate_wait(
        &self,
        label: &RequestLabel,
        bucket: Bucket,
        waited: Duration,
        wait: Duration,
    ) -> Result<(), ApiError> {
        if waited + wait > self.max_rate_limit_wait {
            return Err(self.rate_limited(label, bucket, waited, wait));
        }
        Ok(())
    }

    fn rate_limited(
        &self,
        label: &RequestLabel,
        bucket: Bucket,
        waited: Duration,
        reset_in: Duration,
    ) -> ApiError {
        ApiError::RateLimited {
            method: label.method,
            path: label.path.clone(),
            bucket: bucket.as_str().to_owned(),
            waited_secs: waited.as_secs(),
            reset_in_secs: reset_in.as_secs(),
            allowed_secs: self.max_rate_limit_wait.as_secs(),
        }
    }

    /// One attempt: wait for the budget, sign, wait for a free slot, send, read the whole
    /// answer. The wait for the budget counts towards the operation's `max_rate_limit_wait`,
    /// kept in `rate_waited`. The outer error is one no resend can fix: a credentials failure,
    /// an answer too large to read, or a bucket whose reset lies beyond the wait left.
    async fn attempt(
        &self,
        call: &Call,
        signing: Signing<'_>,
        retry: bool,
        span: &Span,
        rate_waited: &mut Duration,
    ) -> Result<Received, ApiError> {
        let bucket = call.route.bucket();
        let allowed = self.max_rate_limit_wait.saturating_sub(*rate_waited);
        let (ticket, waited) = match self.budget.admit(bucket, allowed).await {
            Ok(admitted) => admitted,
            Err(held) => {
                let waited = *rate_waited + held.waited;
                return Err(self.rate_limited(&call.label(), bucket, waited, held.reset_in));
            }
        };
        *rate_waited += waited;
        if !waited.is_zero() {
            self.stats.record(bucket, Event::Waited(waited));
        }
        // Signed before taking a slot: signing may fetch an access token, and that request
        // needs a slot of its own.
        let request = self.request(call, signing).await?;
        let _slot = self
            .in_flight
            .acquire()
            .await
            .expect("the in-flight semaphore is never closed");
        self.stats.record(bucket, Event::Sent { retry });
        let received = async {
            let sent_at = Instant::now();
            let response = request.send().await.map_err(BodyError::Transport)?;
            let in_flight = InFlight {
                sent: sent_at,
                received: Instant::now(),
            };
            let status = response.status().as_u16();
            span.record("status", status);
            self.stats.record(bucket, Event::Answered { status });
            let headers = response.headers().clone();
            self.learn_limits(bucket, status, &headers, in_flight, span);
            let body = body::read(response).await?;
            tracing::debug!(status, "okta answered");
            Ok((status, headers, body))
        }
        .await;
        drop(ticket);
        match received {
            Ok(answer) => Ok(Ok(answer)),
            Err(BodyError::Transport(e)) => {
                tracing::debug!(maybe_sent = failure::may_have_been_sent(&e), "no answer");
                Ok(Err(e))
            }
            Err(BodyError::TooLarge) => {
                let RequestLabel { method, path } = call.label();
                Err(ApiError::TooLarge {
                    method,
                    path,
                    host: self.host.clone(),
                    limit_mib: body::MAX_BODY_BYTES >> 20,
                })
            }
        }
    }

    /// Feeds an answer's rate-limit headers to the budget, the span and the statistics.
    fn learn_limits(
        &self,
        bucket: Bucket,
        status: u16,
        headers: &HeaderMap,
        in_flight: InFlight,
        span: &Span,
    ) {
        match RateHeaders::from_headers(headers) {
            Some(rate) => {
                span.record("remaining", rate.remaining);
                self.budget.observe(bucket, &rate, in_flight);
                if !rate.is_concurrency_limit() {
                    let (limit, remaining) = (rate.limit, rate.remaining);
                    self.stats
                        .record(bucket, Event::Observed { limit, remaining });
                }
            }
            None if (200..300).contains(&status) => self.budget.observe_unmetered(bucket),
            None => {}
        }
    }

    /// The request on the wire, with credentials.
    async fn request(
        &self,
        call: &Call,
        signing: Signing<'_>,
    ) -> Result<reqwest::RequestBuilder, ApiError> {
        let request = self
            .http
            .request(call.method.clone(), call.url.clone())
            .header(ACCEPT, call.accept);
        if let Signing::PerAttempt(sign) = signing {
            return sign(request);
        }
        let request = match &call.json {
            Some(json) => request
                .header(CONTENT_TYPE, "application/json")
                .body(json.clone()),
            None if call.method != Method::GET => {
                request.header(CONTENT_LENGTH, 0).body(Vec::new())
            }
            None => request,
        };
        self.credentials
            .authorize(self, request, &call.method, &call.url)
            .await
    }

    /// The error that ends a request.
    fn failure(&self, label: &RequestLabel, received: Received) -> ApiError {
        match received {
            Ok((status, _, body)) => {
                failure::from_status(label, status, &body, self.credentials.kind())
            }
            Err(e) => failure::transport(label, &self.host, e),
        }
    }
}
