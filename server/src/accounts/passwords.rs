//! Staff passwords: Argon2id (the PHC string is all that is stored), a minimum length, and a
//! refusal of passwords that guessers try first.

use anyhow::{Result, anyhow};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Characters, not bytes: a Kyrgyz passphrase counts as many as it shows.
pub const MIN_LENGTH: usize = 10;
/// Longer inputs are refused before hashing (hashing is the expensive part of a sign-in).
pub const MAX_LENGTH: usize = 256;

/// Argon2id with 19 MiB, 2 passes, 1 lane: OWASP's first recommended setting, about 30 ms here.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("fixed Argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| anyhow!("no randomness from the system: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow!("salt: {e}"))?;
    Ok(hasher()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow!("hashing the password: {e}"))?
        .to_string())
}

/// Whether `password` matches the stored hash. A stored value that is not a valid hash never
/// matches.
pub fn verify(password: &str, stored: &str) -> bool {
    if password.chars().count() > MAX_LENGTH {
        return false;
    }
    PasswordHash::new(stored)
        .is_ok_and(|h| hasher().verify_password(password.as_bytes(), &h).is_ok())
}

/// Why a new password is refused, in words for the person choosing it; `None` when it is fine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weakness {
    TooShort,
    TooLong,
    Common,
    ContainsName,
}

/// Words and sequences that guessers try first, in the region's languages and keyboard layouts.
/// A password made only of these (and digits) is refused. Written for Kitepkana.
const COMMON: &[&str] = &[
    "password",
    "passw0rd",
    "qwerty",
    "qwertyuiop",
    "asdfgh",
    "asdfghjkl",
    "zxcvbn",
    "zxcvbnm",
    "йцукен",
    "йцукенгшщз",
    "фывапр",
    "фывапролдж",
    "ячсмить",
    "пароль",
    "parol",
    "admin",
    "administrator",
    "админ",
    "welcome",
    "letmein",
    "iloveyou",
    "monkey",
    "dragon",
    "football",
    "kitep",
    "kitepkana",
    "китеп",
    "китепкана",
    "library",
    "китепкана",
    "mektep",
    "мектеп",
    "школа",
    "shkola",
    "school",
    "teacher",
    "мугалим",
    "mugalim",
    "кыргызстан",
    "kyrgyzstan",
    "бишкек",
    "bishkek",
    "manas",
    "манас",
    "ош",
    "osh",
    "test",
    "тест",
    "user",
    "guest",
    "secret",
    "abc",
    "abcdef",
    "abcdefghij",
    "abcd",
    "love",
    "sunshine",
    "princess",
    "master",
    "shadow",
];

/// Checks a new password against the rules; `email` is the account's address (its name part
/// must not be the password's core).
pub fn weakness(password: &str, email: &str) -> Option<Weakness> {
    let n = password.chars().count();
    if n < MIN_LENGTH {
        return Some(Weakness::TooShort);
    }
    if n > MAX_LENGTH {
        return Some(Weakness::TooLong);
    }
    let lower = password.to_lowercase();
    let local = email.split('@').next().unwrap_or("").to_lowercase();
    if local.chars().count() >= 3 && lower.contains(&local) {
        return Some(Weakness::ContainsName);
    }
    // Strip what guessers add around a word: digits, punctuation, repeats.
    let core: String = lower.chars().filter(|c| c.is_alphabetic()).collect();
    let distinct = {
        let mut cs: Vec<char> = lower.chars().collect();
        cs.sort_unstable();
        cs.dedup();
        cs.len()
    };
    let only_common = !core.is_empty() && made_of(&core, COMMON);
    let digits_only = core.is_empty();
    let sequence = is_sequence(&lower);
    // Digits alone are dates and phone numbers: the first thing guessed.
    if distinct <= 3 || only_common || digits_only || sequence {
        return Some(Weakness::Common);
    }
    None
}

/// Whether `s` is a concatenation of words from `words` (repeats allowed).
fn made_of(s: &str, words: &[&str]) -> bool {
    let chars: Vec<char> = s.chars().collect();
    let mut ok = vec![false; chars.len() + 1];
    ok[0] = true;
    for i in 0..chars.len() {
        if !ok[i] {
            continue;
        }
        for w in words {
            let wc: Vec<char> = w.chars().collect();
            if chars[i..].starts_with(&wc) {
                ok[i + wc.len()] = true;
            }
        }
    }
    ok[chars.len()]
}

/// Runs of consecutive characters up or down ("1234567890", "abcdefghij", "9876543210").
fn is_sequence(s: &str) -> bool {
    let cs: Vec<u32> = s.chars().map(u32::from).collect();
    cs.len() >= 2
        && (cs.windows(2).all(|w| w[1] == w[0] + 1) || cs.windows(2).all(|w| w[0] == w[1] + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_are_salted() {
        let a = hash("жаңы сырсөз 2026").unwrap();
        let b = hash("жаңы сырсөз 2026").unwrap();
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b);
        assert!(verify("жаңы сырсөз 2026", &a));
        assert!(!verify("жаңы сырсөз 2025", &a));
        assert!(!verify("anything", "not a hash"));
    }

    #[test]
    fn weak_passwords_are_named() {
        let e = "aigul.asanova@school.kg";
        assert_eq!(weakness("short1", e), Some(Weakness::TooShort));
        assert_eq!(weakness("1234567890", e), Some(Weakness::Common));
        assert_eq!(weakness("0987654321", e), Some(Weakness::Common));
        assert_eq!(weakness("qwerty123456", e), Some(Weakness::Common));
        assert_eq!(weakness("Пароль2026!!", e), Some(Weakness::Common));
        assert_eq!(weakness("kitepkana2026", e), Some(Weakness::Common));
        assert_eq!(weakness("aaaaaaaaaaaa", e), Some(Weakness::Common));
        assert_eq!(weakness("Aigul.Asanova99", e), Some(Weakness::ContainsName));
        assert_eq!(weakness(&"x".repeat(300), e), Some(Weakness::TooLong));
        assert_eq!(weakness("тоо көлү жашыл", e), None);
        assert_eq!(weakness("correct horse battery", e), None);
    }
}
