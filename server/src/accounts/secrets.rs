//! Random secrets and their stored form. A secret is shown once; the catalog keeps its SHA-256
//! (tokens are 256 random bits, so a fast hash is enough: there is nothing to guess).

use anyhow::{Result, anyhow};
use sha2::{Digest, Sha256};

/// The prefix of every API token, so a leaked one is recognisable (and secret scanners can
/// find it).
pub const TOKEN_PREFIX: &str = "kitep_";

fn random<const N: usize>() -> Result<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| anyhow!("no randomness from the system: {e}"))?;
    Ok(b)
}

/// 32 random bytes as URL-safe text: session ids, invitation links, CSRF tokens.
pub fn random_token() -> Result<String> {
    Ok(base32(&random::<32>()?))
}

/// A new API token: the prefix and 32 random bytes.
pub fn api_token() -> Result<String> {
    Ok(format!("{TOKEN_PREFIX}{}", random_token()?))
}

/// Whether `s` has the shape of an API token (checked before any lookup).
pub fn looks_like_token(s: &str) -> bool {
    s.strip_prefix(TOKEN_PREFIX)
        .is_some_and(|rest| rest.len() == 52 && rest.bytes().all(|b| ALPHABET.contains(&b)))
}

/// The stored form of a token: SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A one-time password: 20 characters from an alphabet without look-alikes (no 0/O, 1/l/I), in
/// groups of five, easy to read aloud or copy from a terminal: about 100 bits.
pub fn one_time_password() -> Result<String> {
    const READABLE: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let bytes = random::<20>()?;
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| READABLE[usize::from(*b) % READABLE.len()] as char)
        .collect();
    Ok(chars
        .chunks(5)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-"))
}

const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// RFC 4648 base32, lower case, without padding.
fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let (mut buf, mut bits) = (0u32, 0u32);
    for b in bytes {
        buf = (buf << 8) | u32::from(*b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buf >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buf << (5 - bits)) & 31) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_distinct_well_formed_and_stored_hashed() {
        let a = api_token().unwrap();
        let b = api_token().unwrap();
        assert_ne!(a, b);
        assert!(looks_like_token(&a), "{a}");
        assert!(!looks_like_token("kitep_short"));
        assert!(!looks_like_token(&a.replace("kitep_", "other_")));
        assert_eq!(token_hash(&a).len(), 64);
        assert!(!token_hash(&a).contains(&a[6..]));
    }

    #[test]
    fn base32_of_known_bytes() {
        assert_eq!(base32(b"f"), "my");
        assert_eq!(base32(b"foobar"), "mzxw6ytboi");
    }

    #[test]
    fn one_time_passwords_read_well() {
        let p = one_time_password().unwrap();
        assert_eq!(p.len(), 23);
        assert!(!p.contains(['0', 'o', '1', 'l']), "{p}");
    }
}
