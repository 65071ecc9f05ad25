//! Keyshare against shapes recorded from real Okta orgs, served by a loopback server of the
//! tests' own (see docs/simulator.md, "The real-data check").

mod listing;
mod okta;
