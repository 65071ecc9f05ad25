//! The simulator's integration tests, one binary: each module is one area of the API, checked
//! over real HTTP against docs/okta-api.md; `support` starts simulators and talks to them.

mod api;
mod bench;
mod clock;
mod csr;
mod faults;
mod limits;
mod list;
mod oauth;
mod readme;
mod recorded;
mod seed;
mod support;
mod traffic;
