//! A string that must never be printed: API tokens, private keys, client assertions, access
//! tokens and DPoP proofs.
//!
//! [`Secret`] has no `Display`, its `Debug` prints `[redacted]`, and it does not implement
//! `Serialize`, so it cannot reach a log line, an error message or a plan file by accident.
//! The only way to the text is [`Secret::expose`], which callers use at the moment they put the
//! value on the wire, through [`sensitive_header`] when it goes in a header.

use std::fmt;

use reqwest::header::HeaderValue;

/// A secret string whose `Debug` output is `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret text, for putting it on the wire. Never log or format the result.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

/// A header value marked sensitive, so that `Debug` of a request or header map hides it.
pub(super) fn sensitive_header(text: &str) -> Result<HeaderValue, ()> {
    let mut value = HeaderValue::from_str(text).map_err(|_| ())?;
    value.set_sensitive(true);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Secret::new("00abc-very-secret");
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(format!("{:?}", Some(&secret)), "Some([redacted])");
        assert_eq!(secret.expose(), "00abc-very-secret");
    }
}
