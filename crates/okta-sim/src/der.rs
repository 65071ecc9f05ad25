//! A tiny DER reader: just enough to pull the RSA modulus and exponent out of a
//! SubjectPublicKeyInfo, so that a JWK's `n` and `e` come from the very bytes that sit in the
//! certificate. It must never be used to parse anything else.

/// The RSA public numbers, big-endian, without DER's sign-padding zero byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsaPublicNumbers {
    /// The modulus.
    pub n: Vec<u8>,
    /// The public exponent.
    pub e: Vec<u8>,
}

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;

/// Reads `SEQUENCE { AlgorithmIdentifier, BIT STRING { RSAPublicKey } }`.
pub fn rsa_numbers_from_spki(spki: &[u8]) -> Option<RsaPublicNumbers> {
    let (body, _) = element(spki, SEQUENCE)?;
    let (_algorithm, rest) = element(body, SEQUENCE)?;
    let (bits, _) = element(rest, BIT_STRING)?;
    // The first content byte of a BIT STRING counts the unused bits; a key has none.
    let (&0, rsa_public_key) = bits.split_first()? else {
        return None;
    };
    let (numbers, _) = element(rsa_public_key, SEQUENCE)?;
    let (n, rest) = element(numbers, INTEGER)?;
    let (e, _) = element(rest, INTEGER)?;
    Some(RsaPublicNumbers {
        n: strip_sign_byte(n).to_vec(),
        e: strip_sign_byte(e).to_vec(),
    })
}

/// Splits one element with the expected tag off the front: (contents, what follows).
fn element(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&found, rest) = input.split_first()?;
    if found != tag {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let (len_bytes, rest) = rest.split_at(count);
        let len = len_bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, rest)
    };
    (rest.len() >= len).then(|| rest.split_at(len))
}

fn strip_sign_byte(integer: &[u8]) -> &[u8] {
    match integer {
        [0, rest @ ..] if !rest.is_empty() => rest,
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_hand_built_spki() {
        // SEQUENCE { SEQUENCE { NULL }, BIT STRING { 00, SEQUENCE { INTEGER 00 C1, INTEGER 03 } } }
        let spki = [
            0x30, 0x10, 0x30, 0x02, 0x05, 0x00, 0x03, 0x0a, 0x00, 0x30, 0x07, 0x02, 0x02, 0x00,
            0xc1, 0x02, 0x01, 0x03,
        ];
        let numbers = rsa_numbers_from_spki(&spki).expect("valid SPKI");
        assert_eq!(numbers.n, vec![0xc1]);
        assert_eq!(numbers.e, vec![0x03]);
    }

    #[test]
    fn rejects_truncated_input() {
        assert_eq!(rsa_numbers_from_spki(&[0x30, 0x10, 0x30]), None);
        assert_eq!(rsa_numbers_from_spki(&[]), None);
    }
}
