//! `keyshare watch`: reconciling, self-healing, event hooks, the lock, metadata, metrics and
//! shutdown, run as a process against a simulator process.

mod event_hook;
mod heal;
mod informer;
mod key_cache;
mod lock;
mod metadata;
mod metrics;
mod shutdown;
mod watch;
