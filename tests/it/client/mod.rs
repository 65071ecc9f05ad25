//! Keyshare's Okta HTTP client against the simulator and local servers: paging, rate limits,
//! OAuth, TLS and redaction of secrets.

mod http;
mod limits;
mod oauth;
mod redaction;
mod tls;
