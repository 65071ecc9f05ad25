//! Writing to standard output and standard error without panicking when the reader is gone
//! (`keyshare plan | head -1`, `keyshare watch 2>&1 | head -2`).
//!
//! Rust ignores SIGPIPE, so a write to a closed pipe fails with `BrokenPipe`, and `print!`
//! and `eprint!` panic on any failed write (exit 101). Nothing in the command line may use
//! them. Commands write through the printer (`printer.rs`), which uses the functions here:
//!
//! - [`stdout`] returns the write's `io::Result`; a command passes the error up with `?`,
//!   and [`super::main`] ends quietly on a broken pipe.
//! - [`stderr`] writes diagnostics and drops what cannot be written: with standard error gone
//!   there is nowhere left to report it. [`diagln!`] is the same for the one message written
//!   before any settings exist (a usage error, in [`super::main`]).
//! - [`Logs`] is the same policy for `tracing`'s log lines.

use std::fmt;
use std::io::{self, Write};

/// `eprintln!` that never panics.
macro_rules! diagln {
    ($($arg:tt)*) => {
        $crate::cli::console::stderr(format_args!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use diagln;

/// Writes to standard output.
pub fn stdout(args: fmt::Arguments<'_>) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_fmt(args)?;
    // Flushed now, so that a closed pipe is reported here, to the command, rather than at
    // exit, where it would be lost.
    out.flush()
}

/// Writes to standard error, dropping what cannot be written.
pub fn stderr(args: fmt::Arguments<'_>) {
    let _ = io::stderr().lock().write_fmt(args);
}

/// The writer of log lines: standard error, where a failed write is dropped. Given to
/// `tracing_subscriber`, which would otherwise report the failure with `eprintln!` on the
/// same closed stream, and panic.
#[derive(Debug, Clone, Copy, Default)]
pub struct Logs;

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let _ = io::stderr().write_all(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let _ = io::stderr().flush();
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Self;

    fn make_writer(&'a self) -> Self::Writer {
        *self
    }
}
