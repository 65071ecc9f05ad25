//! The `keyshare` binary as an operator meets it: commands, output formats, help, prompts,
//! settings from flags, environment and `okta.yaml`, the key cache and redaction.

mod cache_trust;
mod demo;
mod docs;
mod guide;
mod help;
mod okta_yaml;
mod operator;
mod output;
mod pty;
mod redaction;
mod show;
mod validate;
