//! What handlers read from a request beyond axum's extractors: the base URL the client
//! addressed (for links) and the query string as ordered pairs. Shared by the router and every
//! handler module, so that handlers never import the router.

use axum::http::{HeaderMap, header};
use url::form_urlencoded;

/// `http://HOST` as the client addressed the simulator, for links.
pub fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// The query string as name/value pairs, in order.
pub fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}
