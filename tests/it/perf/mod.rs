//! Request counts that keep keyshare cheap: the key cache and fetch strategy.

mod cache;
mod fetch;
