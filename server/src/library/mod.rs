//! What is published: the artifact store, publishing (build, files, index, catalog, snapshot),
//! covers, the index's repair, and the in-memory snapshot the portal serves from. No HTTP here.

pub mod artifacts;
pub mod covers;
pub mod publish;
pub mod reindex;
pub mod state;

/// FNV-1a, 64 bits: a fast, stable fingerprint for ETags and change detection (not for security).
#[derive(Debug, Clone, Copy)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    pub fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
    pub fn finish(&self) -> u64 {
        self.0
    }
}

/// The web page of a Creative Commons licence named in SPDX (`CC-BY-SA-4.0`, `CC0-1.0`).
pub fn licence_url(code: &str) -> Option<String> {
    let c = code.to_ascii_uppercase();
    // SPDX writes the public-domain dedication `CC0-1.0`, with no dash after CC.
    if c == "CC0-1.0" {
        return Some("https://creativecommons.org/publicdomain/zero/1.0/".into());
    }
    let rest = c.strip_prefix("CC-")?;
    let (kind, version) = rest.rsplit_once('-')?;
    if !kind.chars().all(|ch| ch.is_ascii_alphabetic() || ch == '-')
        || !version.chars().all(|ch| ch.is_ascii_digit() || ch == '.')
    {
        return None;
    }
    Some(format!(
        "https://creativecommons.org/licenses/{}/{}/",
        kind.to_ascii_lowercase(),
        version
    ))
}
