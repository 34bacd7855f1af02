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

/// HMAC-SHA256 (RFC 2104).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// Equality that takes as long whatever the inputs share.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A token for a form shown to someone not signed in (the sign-in form): the time it was made
/// and an HMAC of it and the form's purpose, so it needs no cookie and any replica can check it.
pub fn form_token(key: &str, purpose: &str, now: i64) -> String {
    let mac = hmac_sha256(key.as_bytes(), format!("{purpose}\n{now}").as_bytes());
    format!("{now}.{}", base32(&mac))
}

/// Whether `token` was made by [`form_token`] with this key and purpose, at most `max_age`
/// seconds ago.
pub fn check_form_token(key: &str, purpose: &str, token: &str, now: i64, max_age: i64) -> bool {
    let Some((ts, mac)) = token.split_once('.') else {
        return false;
    };
    let Ok(at) = ts.parse::<i64>() else {
        return false;
    };
    if at > now + 60 || now - at > max_age {
        return false;
    }
    let want = base32(&hmac_sha256(
        key.as_bytes(),
        format!("{purpose}\n{at}").as_bytes(),
    ));
    same(want.as_bytes(), mac.as_bytes())
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
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn form_tokens_expire_and_cannot_be_forged() {
        let t = form_token("key", "sign-in", 1_000);
        assert!(check_form_token("key", "sign-in", &t, 1_100, 3600));
        assert!(!check_form_token("key", "sign-in", &t, 10_000, 3600));
        assert!(!check_form_token("other key", "sign-in", &t, 1_100, 3600));
        assert!(!check_form_token("key", "invite", &t, 1_100, 3600));
        let moved = t.replacen("1000", "1001", 1);
        assert!(!check_form_token("key", "sign-in", &moved, 1_100, 3600));
        assert!(!check_form_token("key", "sign-in", "", 1_100, 3600));
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
