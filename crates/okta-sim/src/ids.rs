//! Random identifiers shaped like Okta's: app ids, kids, request ids and error ids.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::distr::{Alphanumeric, SampleString};

/// A 20-character app id starting with `0oa`, like `0oa8ae1t5yev2ajDs0h7`.
pub fn app_id() -> String {
    format!("0oa{}", alphanumeric(17))
}

/// A 20-character org id starting with `00o`.
pub fn org_id() -> String {
    format!("00o{}", alphanumeric(17))
}

/// An opaque key id: base64url of 32 random bytes, 43 characters.
pub fn kid() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// A random (version 4) UUID in its 36-character text form, as a System Log event's `uuid`.
pub fn uuid() -> String {
    let mut bytes = rand::random::<[u8; 16]>();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// The value of `X-Okta-Request-Id`.
pub fn request_id() -> String {
    alphanumeric(27)
}

/// An `errorId`: `oae` followed by 22 characters.
pub fn error_id() -> String {
    format!("oae{}", alphanumeric(22))
}

fn alphanumeric(len: usize) -> String {
    Alphanumeric.sample_string(&mut rand::rng(), len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_match_okta() {
        assert_eq!(app_id().len(), 20);
        assert!(app_id().starts_with("0oa"));
        assert_eq!(kid().len(), 43);
        assert!(error_id().starts_with("oae"));
        assert_eq!(error_id().len(), 25);
        assert_ne!(kid(), kid());
    }
}
