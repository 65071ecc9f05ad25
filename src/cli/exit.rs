//! How a command that did not fail ends, and the exit code that says so.
//!
//! The codes follow Terraform's `-detailed-exitcode`, always on, so that CI can branch on the
//! result without parsing output (docs/commands.md "Exit codes"):
//! - 0: done, nothing to do, or in sync;
//! - 2: `plan` found changes, `drift` found drift;
//! - 1: any error, usage errors included (never clap's default 2, which means "changes" here),
//!   and an `apply` stopped between two steps by Ctrl-C or SIGTERM; [`super::main`] maps errors
//!   to it, so this type has no variant for it;
//! - 130: an `apply` ended at once by a second signal (`steps/interrupt.rs`).
//!
//! This module must never decide an outcome; commands choose their [`ExitStatus`].

use std::process::ExitCode;

use crate::plan::Plan;

/// How a command ended, when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: done, nothing to change, or in sync.
    Success,
    /// 2: `plan` found changes, `drift` found drift.
    Changes,
}

impl ExitStatus {
    /// 2 when `plan` would change something (changes, or drift), else 0.
    pub fn of(plan: &Plan) -> Self {
        if plan.is_empty() {
            Self::Success
        } else {
            Self::Changes
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        match status {
            ExitStatus::Success => ExitCode::SUCCESS,
            ExitStatus::Changes => ExitCode::from(2),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_exit_2_and_success_exits_0() {
        assert_eq!(ExitCode::from(ExitStatus::Success), ExitCode::SUCCESS);
        assert_eq!(ExitCode::from(ExitStatus::Changes), ExitCode::from(2));
    }
}
