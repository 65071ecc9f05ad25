//! One logical request to Okta: credentials, sending, and turning the answer or the failure
//! into an [`Answer`] or an [`ApiError`], inside one `tracing` span.
//!
//! This is the only place that sends API requests. It must never log a header value or a body:
//! the span carries the method, the route template, the bucket, the attempt, the status and
//! the bucket's remaining count, nothing else.

use reqwest::Method;
use reqwest::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap};
use tracing::{Instrument, field};
use url::Url;

use super::Inner;
use super::failure::{self, RequestLabel};
use super::route::Route;
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
}

/// A success answer (2xx).
#[derive(Debug)]
pub struct Answer {
    pub headers: HeaderMap,
    pub body: Vec<u8>,
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
    /// Sends `call` and returns its success answer, or the error that ended it.
    pub async fn execute(&self, call: &Call) -> Result<Answer, ApiError> {
        let bucket = call.route.bucket();
        let span = tracing::info_span!(
            "okta_request",
            method = %call.method,
            route = call.route.template(),
            bucket = bucket.as_str(),
            attempt = field::Empty,
            status = field::Empty,
            remaining = field::Empty,
        );
        async {
            span.record("attempt", 1);
            self.stats.record(bucket, Event::Sent { retry: false });
            let label = call.label();
            let response = self
                .request(call)
                .send()
                .await
                .map_err(|e| failure::transport(&label, &self.host, &e))?;
            let status = response.status();
            span.record("status", status.as_u16());
            let headers = response.headers().clone();
            if let Some(remaining) = headers
                .get("x-rate-limit-remaining")
                .and_then(|v| v.to_str().ok())
            {
                span.record("remaining", remaining);
            }
            let body = response
                .bytes()
                .await
                .map_err(|e| failure::transport(&label, &self.host, &e))?
                .to_vec();
            tracing::debug!(status = status.as_u16(), "answered");
            if status.is_success() {
                Ok(Answer { headers, body })
            } else {
                Err(failure::from_status(
                    &label,
                    status.as_u16(),
                    &body,
                    self.credentials.kind(),
                ))
            }
        }
        .instrument(span.clone())
        .await
    }

    /// The request on the wire, with credentials.
    fn request(&self, call: &Call) -> reqwest::RequestBuilder {
        let request = self
            .http
            .request(call.method.clone(), call.url.clone())
            .header(ACCEPT, call.accept);
        let request = match &call.json {
            Some(json) => request
                .header(CONTENT_TYPE, "application/json")
                .body(json.clone()),
            None if call.method != Method::GET => {
                request.header(CONTENT_LENGTH, 0).body(Vec::new())
            }
            None => request,
        };
        self.credentials.authorize(request)
    }
}
