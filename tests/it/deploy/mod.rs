//! The deployment files under docs/deploy and the alerts of docs/controller.md, checked
//! against what the binary really serves.

mod alerts;
mod manifests;
