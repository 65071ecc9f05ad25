//! Keyshare's Okta HTTP client against the simulator and local servers: paging, rate limits,
//! OAuth, TLS, redaction of secrets, and the System Log.

mod http;
mod limits;
mod oauth;
mod redaction;
mod system_log;
mod tls;
