//! The [`OktaApi`] operations, each one route: build the URL, send, decode.
//!
//! Decoding keeps every field of an application (`Application::from_json`), so that a PUT can
//! send back exactly what was read. A listing never fails for one element: an element that is
//! no app at all is skipped with a warning.

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::exchange::{Answer, Call};
use super::failure::{invalid, invalid_body};
use super::link::next_link;
use super::retry::Repeat;
use super::route::Route;
use super::{HttpClient, Inner};
use crate::okta::{
    ApiError, AppId, AppQuery, Application, JsonWebKey, Kid, LogEvent, LogQuery, LogRead, OktaApi,
};

/// Page size when the caller sets none: Okta's maximum, for the fewest calls.
const DEFAULT_PAGE_SIZE: u32 = 200;

impl OktaApi for HttpClient {
    async fn list_apps(&self, query: &AppQuery) -> Result<Vec<Application>, ApiError> {
        let inner = &self.inner;
        let mut url = inner.apps_url(&[]);
        {
            let mut pairs = url.query_pairs_mut();
            if let Some(q) = &query.q {
                pairs.append_pair("q", q);
            }
            if let Some(filter) = &query.filter {
                pairs.append_pair("filter", filter);
            }
            pairs.append_pair(
                "limit",
                &query.limit.unwrap_or(DEFAULT_PAGE_SIZE).to_string(),
            );
        }
        let call = Call::get(url, Route::ListApps);
        let label = call.label();
        // One element that is not an app would otherwise cost the whole org: it is skipped,
        // and an app the desired state names that it hid is then read by id, strictly.
        let apps = inner
            .all_pages(call, |v| match Application::from_json(v) {
                Ok(app) => Ok(Some(app)),
                Err(error) => {
                    tracing::warn!(path = %label.path, %error, "skipping a listed element that is not an app");
                    Ok(None)
                }
            })
            .await?;
        Ok(apps.into_iter().flatten().collect())
    }

    async fn get_app(&self, id: &AppId) -> Result<Application, ApiError> {
        let call = Call::get(self.inner.apps_url(&[&id.0]), Route::App);
        self.inner.application(&call).await
    }

    async fn replace_app(
        &self,
        id: &AppId,
        body: &Map<String, Value>,
    ) -> Result<Application, ApiError> {
        let json = serde_json::to_vec(body).expect("a JSON map always serializes");
        let call = Call {
            method: Method::PUT,
            json: Some(json),
            ..Call::get(self.inner.apps_url(&[&id.0]), Route::App)
        };
        self.inner.application(&call).await
    }

    async fn list_keys(&self, id: &AppId) -> Result<Vec<JsonWebKey>, ApiError> {
        let url = self.inner.apps_url(&[&id.0, "credentials", "keys"]);
        let call = Call::get(url, Route::Keys);
        self.inner.decoded(&call, "list of keys").await
    }

    async fn get_key(&self, id: &AppId, kid: &Kid) -> Result<JsonWebKey, ApiError> {
        let url = self.inner.apps_url(&[&id.0, "credentials", "keys", &kid.0]);
        let call = Call::get(url, Route::Key);
        self.inner.decoded(&call, "key").await
    }

    async fn generate_key(&self, id: &AppId, validity_years: u8) -> Result<JsonWebKey, ApiError> {
        let mut url = self
            .inner
            .apps_url(&[&id.0, "credentials", "keys", "generate"]);
        url.query_pairs_mut()
            .append_pair("validityYears", &validity_years.to_string());
        let call = Call {
            method: Method::POST,
            repeat: Repeat::OnlyIfUnsent,
            ..Call::get(url, Route::GenerateKey)
        };
        self.inner.decoded(&call, "key").await
    }

    async fn clone_key(
        &self,
        holder: &AppId,
        kid: &Kid,
        target: &AppId,
    ) -> Result<JsonWebKey, ApiError> {
        let mut url = self
            .inner
            .apps_url(&[&holder.0, "credentials", "keys", &kid.0, "clone"]);
        url.query_pairs_mut().append_pair("targetAid", &target.0);
        let call = Call {
            method: Method::POST,
            ..Call::get(url, Route::CloneKey)
        };
        self.inner.decoded(&call, "key").await
    }

    async fn system_log(&self, query: &LogQuery) -> Result<LogRead, ApiError> {
        let inner = &self.inner;
        let mut url = inner.api_url("logs");
        {
            let mut pairs = url.query_pairs_mut();
            pairs.append_pair(
                "since",
                &query.since.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            );
            if let Some(filter) = &query.filter {
                pairs.append_pair("filter", filter);
            }
            pairs.append_pair("limit", &query.limit.to_string());
        }
        let mut read = LogRead::default();
        let mut call = Call::get(url, Route::SystemLog);
        while read.pages < query.max_pages {
            let answer = inner.execute(&call).await?;
            read.pages += 1;
            let page: Vec<LogEvent> = serde_json::from_slice(&answer.body)
                .map_err(|e| invalid_body(&call.label(), "list of log events", e, &answer.body))?;
            let short = page.len() < query.limit as usize;
            read.events.extend(page);
            if short {
                read.caught_up = true;
                break;
            }
            let next = next_link(&answer.headers, &call.url)
                .map_err(|e| invalid(&call.label(), "Link header", e))?;
            // A full page without a next link ends a bounded listing; a poll never sees one.
            let Some(next) = next else {
                read.caught_up = true;
                break;
            };
            // The link is sent with credentials: it must stay on the org.
            if next.origin() != inner.org.origin() || next == call.url {
                let detail = format!("the next link leaves the org or repeats the page: {next}");
                return Err(invalid(&call.label(), "next link", detail));
            }
            call = Call::get(next, Route::SystemLog);
        }
        Ok(read)
    }

    async fn saml_metadata(&self, id: &AppId, kid: Option<&Kid>) -> Result<String, ApiError> {
        let mut url = self.inner.apps_url(&[&id.0, "sso", "saml", "metadata"]);
        if let Some(kid) = kid {
            url.query_pairs_mut().append_pair("kid", &kid.0);
        }
        let call = Call {
            accept: "application/xml",
            ..Call::get(url, Route::SamlMetadata)
        };
        let Answer { body, .. } = self.inner.execute(&call).await?;
        String::from_utf8(body)
            .map_err(|e| invalid_body(&call.label(), "UTF-8 XML", &e, e.as_bytes()))
    }
}

impl Inner {
    /// Sends `call` and decodes its JSON answer.
    async fn decoded<T: DeserializeOwned>(
        &self,
        call: &Call,
        expected: &'static str,
    ) -> Result<T, ApiError> {
        let answer = self.execute(call).await?;
        serde_json::from_slice(&answer.body)
            .map_err(|e| invalid_body(&call.label(), expected, e, &answer.body))
    }

    /// Sends `call` and reads its answer as an application, every field kept.
    async fn application(&self, call: &Call) -> Result<Application, ApiError> {
        let value: Value = self.decoded(call, "application").await?;
        Application::from_json(value)
            .map_err(|e| invalid(&call.label(), "application", e.to_string()))
    }
}
