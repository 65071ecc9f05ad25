//! The instant `plan`, `drift`, `apply` and `keys` judge keys at: now, or the instant in
//! `KEYSHARE_NOW`.
//!
//! A staged rotation has dates weeks apart (stage, then switch after the soak). Tests and
//! rehearsals run keyshare at a chosen instant instead of waiting for them; Okta's own dates
//! (a key's `created`, `expiresAt`) are never touched. The variable is for that use only: in
//! production it would make keyshare rotate early or late, so every use of it is logged at
//! warn level.

use anyhow::Context;
use jiff::Timestamp;

/// The environment variable that sets keyshare's idea of now.
pub const NOW_VAR: &str = "KEYSHARE_NOW";

/// Now, or `KEYSHARE_NOW` when it is set.
pub fn now() -> anyhow::Result<Timestamp> {
    let Some(text) = std::env::var_os(NOW_VAR) else {
        return Ok(Timestamp::now());
    };
    let text = text.to_string_lossy();
    let at = text.parse::<Timestamp>().with_context(|| {
        format!(
            "{NOW_VAR}=`{text}` is not an RFC 3339 instant; unset it, or write one with a time zone such as `2027-01-01T00:00:00Z`"
        )
    })?;
    tracing::warn!(%at, "{NOW_VAR} is set: keys are judged at this instant, not now");
    Ok(at)
}
