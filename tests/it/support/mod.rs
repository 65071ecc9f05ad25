//! What the test areas share.

pub mod apply;
pub mod cli;
pub mod controller;
pub mod gitops;
pub mod plan;
pub mod real_okta;
pub mod reliability;
