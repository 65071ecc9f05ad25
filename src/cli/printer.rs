//! The one way a command writes its output: [`Printer`], built once in [`super::main`] from the
//! output settings that hold for the whole run (`--color`, resolved against the terminal and
//! `NO_COLOR`), and passed to each command.
//!
//! A command writes through it:
//! - its **result**, on standard output: [`Printer::result`] as is, [`Printer::result_line`]
//!   with a line break. Both return the write's `io::Result`; the command passes an error up
//!   with `?`, and [`super::main`] ends quietly with 0 when the reader is gone (a broken
//!   pipe, `keyshare plan | head`: [`reader_gone`]), with 1 on any other failure. Standard output is flushed on
//!   each write, so that a closed pipe is reported to the command rather than lost at exit.
//! - its **notices**, on standard error: warnings, the `-v` API-call summary, hints. They never
//!   fail: with standard error gone there is nowhere left to report it.
//! - [`Printer::color`] tells the renderers whether to colour the result.
//!
//! The format (`--format`) is each command's own flag, so a command passes it to the
//! renderers itself.
//!
//! Nothing here may panic on a failed write (`print!` does), and nothing here decides what a
//! command prints.

use std::fmt::Display;
use std::io;

use super::console;
use super::output::{self, ColorChoice};

/// Where a command's output goes, and how it looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Printer {
    color: bool,
}

impl Printer {
    /// The printer of a run with `--color choice`.
    pub fn new(choice: ColorChoice) -> Self {
        Self {
            color: output::color_for(choice),
        }
    }

    /// Whether the result may be coloured.
    pub fn color(&self) -> bool {
        self.color
    }

    /// Writes `text` to standard output as it is.
    pub fn result(&self, text: impl Display) -> io::Result<()> {
        console::stdout(format_args!("{text}"))
    }

    /// Writes `text` and a line break to standard output.
    pub fn result_line(&self, text: impl Display) -> io::Result<()> {
        console::stdout(format_args!("{text}\n"))
    }

    /// Writes `text` to standard error as it is, dropping what cannot be written.
    pub fn notice(&self, text: impl Display) {
        console::stderr(format_args!("{text}"));
    }

    /// Writes `text` and a line break to standard error, dropping what cannot be written.
    pub fn notice_line(&self, text: impl Display) {
        console::stderr(format_args!("{text}\n"));
    }
}

/// Whether a command ended because the reader of its output went away: the one failure that
/// is no failure, since whoever stopped reading already has what they wanted.
pub fn reader_gone(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use anyhow::Context;

    use super::*;

    #[test]
    fn only_a_closed_pipe_anywhere_in_the_chain_ends_quietly() {
        let closed = || io::Error::from(io::ErrorKind::BrokenPipe);
        assert!(reader_gone(&anyhow::Error::new(closed())));
        let wrapped: anyhow::Result<()> = Err(closed()).context("cannot print the plan");
        assert!(reader_gone(&wrapped.unwrap_err()));
        let full = anyhow::Error::new(io::Error::from(io::ErrorKind::StorageFull));
        assert!(!reader_gone(&full));
        assert!(!reader_gone(&anyhow::anyhow!("Okta said no")));
    }
}
