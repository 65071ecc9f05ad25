//! Identifiers shaped like Okta's: app ids, kids, CSR ids, request ids, event uuids and error
//! ids. The org's ids come from its [`Ids`] source, random by default or drawn from a seed
//! ([`IdSource::Seeded`]) so that the same seed and the same requests, in the same order, give
//! the same ids. Credentials (access tokens, DPoP nonces, hook challenges) never come from a
//! seed: [`secret`] always draws from the operating system's randomness.

use std::sync::{Mutex, MutexGuard};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::distr::{Alphanumeric, SampleString};
use rand::rngs::StdRng;
use rand::{Rng, RngExt, SeedableRng};

/// Where the org's ids come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum IdSource {
    /// Fresh random ids, different on every run (Okta's behaviour).
    #[default]
    Random,
    /// A sequence drawn from this seed: reproducible runs and snapshots.
    Seeded(u64),
}

/// The org's id generator.
pub struct Ids {
    rng: Mutex<StdRng>,
}

impl Ids {
    /// A generator for `source`.
    pub fn new(source: IdSource) -> Self {
        let rng = match source {
            IdSource::Random => StdRng::from_rng(&mut rand::rng()),
            IdSource::Seeded(seed) => StdRng::seed_from_u64(seed),
        };
        Self {
            rng: Mutex::new(rng),
        }
    }

    fn rng(&self) -> MutexGuard<'_, StdRng> {
        // A draw is one call on the generator; a poisoned lock still holds a usable one.
        self.rng
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A 20-character app id starting with `0oa`, like `0oa8ae1t5yev2ajDs0h7`.
    pub fn app_id(&self) -> String {
        format!("0oa{}", alphanumeric(&mut *self.rng(), 17))
    }

    /// A 20-character org id starting with `00o`.
    pub fn org_id(&self) -> String {
        format!("00o{}", alphanumeric(&mut *self.rng(), 17))
    }

    /// An opaque key (or CSR) id: base64url of 32 random bytes, 43 characters.
    pub fn kid(&self) -> String {
        opaque(&mut *self.rng())
    }

    /// A version 4 UUID in its 36-character text form, as a System Log event's `uuid`.
    pub fn uuid(&self) -> String {
        let mut bytes: [u8; 16] = self.rng().random();
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
    pub fn request_id(&self) -> String {
        alphanumeric(&mut *self.rng(), 27)
    }
}

/// A credential (access token, nonce, challenge): 43 base64url characters from the operating
/// system's randomness, whatever the org's [`IdSource`].
pub fn secret() -> String {
    opaque(&mut rand::rng())
}

/// An `errorId`: `oae` followed by 22 characters. Always random: an error body is built
/// where the org is out of reach, and no client compares error ids.
pub fn error_id() -> String {
    format!("oae{}", alphanumeric(&mut rand::rng(), 22))
}

fn opaque<R: Rng + ?Sized>(rng: &mut R) -> String {
    URL_SAFE_NO_PAD.encode(rng.random::<[u8; 32]>())
}

fn alphanumeric<R: Rng + ?Sized>(rng: &mut R, len: usize) -> String {
    Alphanumeric.sample_string(rng, len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_match_okta() {
        let ids = Ids::new(IdSource::Random);
        assert_eq!(ids.app_id().len(), 20);
        assert!(ids.app_id().starts_with("0oa"));
        assert_eq!(ids.kid().len(), 43);
        assert_eq!(ids.uuid().len(), 36);
        assert!(error_id().starts_with("oae"));
        assert_eq!(error_id().len(), 25);
        assert_ne!(ids.kid(), ids.kid());
        assert_ne!(secret(), secret());
    }

    #[test]
    fn a_seed_gives_the_same_sequence_and_another_seed_another() {
        let draw = |source| {
            let ids = Ids::new(source);
            [ids.org_id(), ids.app_id(), ids.kid(), ids.uuid()]
        };
        assert_eq!(draw(IdSource::Seeded(7)), draw(IdSource::Seeded(7)));
        assert_ne!(draw(IdSource::Seeded(7)), draw(IdSource::Seeded(8)));
        assert_ne!(draw(IdSource::Random), draw(IdSource::Random));
    }
}
