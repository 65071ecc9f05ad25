//! The signals that ask a command to stop: SIGINT (Ctrl-C) and SIGTERM (`kill`, Kubernetes
//! stopping a pod). `watch` stops on the first; `apply` finishes the step in flight on the first
//! and stops at once on the second.
//!
//! Listening replaces the default action (ending the process) for the rest of the process's
//! life, even once the listener is dropped: a command must listen only from the moment it
//! handles every later signal itself, never around a step it then forgets.

/// SIGINT and SIGTERM, received one at a time.
pub struct StopSignals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    /// Starts listening; a signal sent from now on is kept until [`recv`](Self::recv).
    pub fn listen() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Self {})
        }
    }

    /// Waits for the next SIGINT or SIGTERM (Ctrl-C elsewhere). Signals sent close together
    /// may arrive as one.
    pub async fn recv(&mut self) -> std::io::Result<()> {
        #[cfg(unix)]
        {
            let received = tokio::select! {
                received = self.interrupt.recv() => received,
                received = self.terminate.recv() => received,
            };
            if received.is_none() {
                // The runtime is shutting down: no signal will ever be delivered again.
                std::future::pending::<()>().await;
            }
            Ok(())
        }
        #[cfg(not(unix))]
        {
            tokio::signal::ctrl_c().await
        }
    }
}
