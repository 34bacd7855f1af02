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
