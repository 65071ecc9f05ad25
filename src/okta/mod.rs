//! The API layer: what keyshare knows of Okta's Management API.
//!
//! [`model`] holds the objects as Okta shapes them, [`OktaApi`] the operations keyshare uses,
//! and [`http`] the one production implementation over reqwest. Nothing here decides *what* to
//! change; that is the planner's job. Nothing here may log or return a secret.

mod api;
pub mod error;
pub mod http;
pub mod model;

pub use api::{AppQuery, LogQuery, LogRead, OktaApi};
pub use error::{ApiError, OktaErrorBody, SettingsError};
pub use model::{
    AppId, AppStatus, Application, JsonWebKey, KeyFacts, Kid, LogEvent, LogTarget, ModelError,
    SignOnMode,
};
