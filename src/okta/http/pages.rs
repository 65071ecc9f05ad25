//! Reads every page of a list by following `Link: rel="next"` verbatim.
//!
//! Guards: a next link must stay on the org's origin (it is sent with credentials), must not
//! repeat a page already read (a server bug would otherwise loop forever), and the page count
//! is bounded.

use std::collections::HashSet;

use serde_json::Value;
use url::Url;

use super::Inner;
use super::exchange::Call;
use super::failure::{invalid, invalid_body};
use super::link::next_link;
use crate::okta::ApiError;

impl Inner {
    /// Every element of every page of the JSON-array list that `first` starts, each turned
    /// into a `T` by `item` as its page arrives, so that only one page is ever held as parsed
    /// JSON (an org-wide listing of 10,000 apps would otherwise peak at hundreds of MB).
    pub async fn all_pages<T>(
        &self,
        first: Call,
        item: impl Fn(Value) -> Result<T, ApiError>,
    ) -> Result<Vec<T>, ApiError> {
        let mut items = Vec::new();
        let mut seen: HashSet<Url> = HashSet::from([first.url.clone()]);
        let mut call = first;
        for _ in 0..self.max_pages {
            let answer = self.execute(&call).await?;
            let page: Vec<Value> = serde_json::from_slice(&answer.body)
                .map_err(|e| invalid_body(&call.label(), "JSON array", e, &answer.body))?;
            for value in page {
                items.push(item(value)?);
            }
            let next = next_link(&answer.headers, &call.url)
                .map_err(|e| invalid(&call.label(), "Link header", e))?;
            let Some(next) = next else {
                return Ok(items);
            };
            if next.origin() != self.org.origin() {
                let detail = format!("the next link leaves the org: {next}");
                return Err(invalid(&call.label(), "next link", detail));
            }
            if !seen.insert(next.clone()) {
                let detail = format!("the next link repeats an earlier page: {next}");
                return Err(invalid(&call.label(), "next link", detail));
            }
            call = Call::get(next, call.route);
        }
        let detail = format!(
            "more than {} pages; stopping in case of a loop",
            self.max_pages
        );
        Err(invalid(&call.label(), "list", detail))
    }
}
