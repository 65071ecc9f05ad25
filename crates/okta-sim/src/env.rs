//! What the environment may say about simulators started in-process: where to record their
//! traffic. For test suites and programs that embed the simulator and want to honour the same
//! variable as the command line (`.ci/run` sets it for `cargo test`, and
//! scripts/python-checks.sh checks every recorded exchange; docs/conformance.md).
//!
//! Like the command line (`cli.rs`), an edge: the rest of the crate never reads the environment, and takes
//! everything from [`SimConfig`].

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::{RunningSim, SimConfig, SimError};

/// The variable naming the directory to record every exchange into (one file per server).
pub const TRAFFIC_DIR_VAR: &str = "KEYSHARE_SIM_TRAFFIC_DIR";

/// The directory [`TRAFFIC_DIR_VAR`] names, if set and not empty; read once per process.
pub fn traffic_dir() -> Option<&'static Path> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        std::env::var_os(TRAFFIC_DIR_VAR)
            .filter(|dir| !dir.is_empty())
            .map(PathBuf::from)
    })
    .as_deref()
}

/// `config`, recording into [`traffic_dir`] unless it already records somewhere.
pub fn with_recording(config: SimConfig) -> SimConfig {
    match traffic_dir() {
        Some(dir) if config.record_traffic.is_none() => config.with_traffic_recording(dir),
        _ => config,
    }
}

/// [`crate::start`] with [`with_recording`]: what a test suite calls to start a simulator.
pub async fn start(config: SimConfig) -> Result<RunningSim, SimError> {
    crate::start(with_recording(config)).await
}
