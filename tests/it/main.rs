//! keyshare's integration tests, in one test binary: linking tokio, axum, reqwest and
//! aws-lc-rs once instead of once per file keeps `cargo test` fast and small.
//!
//! One module per area, one file per subject; everything the areas share (the simulator, the
//! real binary, desired-state directories, the token) lives in [`support`]. Tests run in
//! parallel threads of one process, so no test may change process-wide state (environment,
//! current directory, global tracing subscriber, resource limits): pass it to the spawned
//! binary or scope it to the test instead.
//!
//! Run one area with `cargo test --test it plan::`, one file with `cargo test --test it
//! plan::stage::`.

mod support;

mod apply;
mod architecture;
mod cli;
mod client;
mod config;
mod controller;
mod deploy;
mod gitops;
mod hostile;
mod perf;
mod plan;
mod real;
mod reliability;
mod render;
