//! keyshare: a declarative reconciler for Okta application signing keys.
//!
//! See ARCHITECTURE.md for the map, docs/design.md for the reasons, and `docs/` for the user
//! guide.
//!
//! # Layout
//! - [`config`]: the desired state: `SigningKeyGroup` YAML documents, loaded and checked with
//!   file:line:column in every error.
//! - [`okta`]: the API layer: typed models, the [`okta::OktaApi`] trait and its HTTP client.
//! - [`plan`]: pure planning: desired state + live snapshot + now → ordered steps. No I/O.
//! - [`apply`]: the executor: fetches live snapshots and runs a plan's steps through `OktaApi`.
//! - [`reconcile`]: the flow `apply`, `demo` and `watch` share: observe (every read of Okta),
//!   plan, execute, verify.
//! - [`planfile`]: saved plans (`plan --out`), and the check that one is still current.
//! - [`render`]: text, JSON and Markdown views of plans, drift and the key inventory.
//! - [`escape`]: text from Okta escaped for the terminal, JSON and YAML comments.
//! - [`cert`]: a key's certificate as a service provider's admin needs it: fingerprints, PEM,
//!   subject and validity.
//! - [`controller`]: `keyshare watch`: the reconcile loop, metrics, health and notifications.
//! - [`cli`]: the command line.
//! - [`fsio`]: file reads with a size cap and writes that replace only regular files.

pub mod apply;
pub mod cert;
pub mod cli;
pub mod config;
pub mod controller;
pub mod escape;
pub mod fsio;
pub mod okta;
pub mod plan;
pub mod planfile;
pub mod reconcile;
pub mod render;
