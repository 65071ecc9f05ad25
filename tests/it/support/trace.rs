//! Every tracing event of one test, at trace level and from every crate (reqwest, hyper, …),
//! captured as text so that a test can search it for secrets.
//!
//! The subscriber is the test thread's default, never the global one: all tests share one
//! process, and a global subscriber would capture (and slow down) every other test. So the
//! code under test must run on the test's thread, as it does under `#[tokio::test]`'s
//! current-thread runtime.

use std::io::Write;
use std::sync::{Arc, Mutex};

use tracing::subscriber::DefaultGuard;

/// The capture of the current thread's events until it is dropped.
pub struct Capture {
    written: Arc<Mutex<Vec<u8>>>,
    _default: DefaultGuard,
}

impl Capture {
    /// Everything captured so far.
    pub fn text(&self) -> String {
        String::from_utf8(self.written.lock().unwrap().clone()).expect("UTF-8 trace output")
    }
}

/// Starts capturing this thread's events.
pub fn capture() -> Capture {
    let written = Arc::new(Mutex::new(Vec::new()));
    let writer = Writer(written.clone());
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let default = tracing::subscriber::set_default(subscriber);
    // Other tests of this process may have run first with no subscriber, and tracing caches
    // each callsite's "never interested" verdict; without a rebuild this subscriber could
    // miss events and a search of the capture would prove nothing.
    tracing::callsite::rebuild_interest_cache();
    Capture {
        written,
        _default: default,
    }
}

#[derive(Clone)]
struct Writer(Arc<Mutex<Vec<u8>>>);

impl Write for Writer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
