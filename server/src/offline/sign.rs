//! Signatures a school server can check before it takes anything from the national portal,
//! written in minisign's formats so that `minisign -V` checks them too: Ed25519 over the
//! BLAKE2b-512 hash of the file (algorithm `ED`), and a global signature over that signature and
//! the trusted comment. The portal makes its key pair at first start (`DATA/sync/`); schools
//! keep the public key they trust.

use anyhow::{Context, Result, anyhow, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use blake2::{Blake2b512, Digest};
use ed25519_dalek::{Signer, SigningKey, Verifier, VerifyingKey};
use std::path::Path;

const KEY_ALG: &[u8; 2] = b"Ed";
const SIG_ALG: &[u8; 2] = b"ED";
/// Our own secret key file (not minisign's encrypted one: the portal must sign unattended).
const SECRET_HEADER: &str = "kitep sync secret key (keep private)";

pub struct SecretKey {
    id: [u8; 8],
    key: SigningKey,
}

#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    id: [u8; 8],
    key: VerifyingKey,
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({})", self.id_hex())
    }
}

fn random<const N: usize>() -> Result<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| anyhow!("random bytes: {e}"))?;
    Ok(b)
}

impl SecretKey {
    pub fn generate() -> Result<SecretKey> {
        Ok(SecretKey {
            id: random()?,
            key: SigningKey::from_bytes(&random()?),
        })
    }

    pub fn public(&self) -> PublicKey {
        PublicKey {
            id: self.id,
            key: self.key.verifying_key(),
        }
    }

    fn to_file(&self) -> String {
        let mut b = self.id.to_vec();
        b.extend(self.key.to_bytes());
        format!("{SECRET_HEADER}\n{}\n", B64.encode(b))
    }

    fn from_file(text: &str) -> Result<SecretKey> {
        let line = text
            .lines()
            .find(|l| !l.is_empty() && !l.starts_with("kitep"))
            .ok_or_else(|| anyhow!("no key in the file"))?;
        let b = B64.decode(line.trim()).context("the key is not base64")?;
        if b.len() != 40 {
            bail!("the key has {} bytes, not 40", b.len());
        }
        let mut id = [0u8; 8];
        id.copy_from_slice(&b[..8]);
        let mut k = [0u8; 32];
        k.copy_from_slice(&b[8..]);
        Ok(SecretKey {
            id,
            key: SigningKey::from_bytes(&k),
        })
    }

    /// The portal's key pair in `dir` (`minisign.key`, readable by its owner only, and
    /// `minisign.pub`), made on first use.
    pub fn load_or_create(dir: &Path) -> Result<SecretKey> {
        let secret = dir.join("minisign.key");
        match std::fs::read_to_string(&secret) {
            Ok(text) => {
                return SecretKey::from_file(&text)
                    .with_context(|| format!("reading the signing key {}", secret.display()));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("reading {}", secret.display())),
        }
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let key = SecretKey::generate()?;
        let tmp = dir.join(format!(".minisign.key.{}", std::process::id()));
        write_private(&tmp, key.to_file().as_bytes())?;
        std::fs::write(dir.join("minisign.pub"), key.public().to_file())?;
        std::fs::rename(&tmp, &secret)?;
        Ok(key)
    }

    /// A minisign signature file for `data`.
    pub fn sign(&self, data: &[u8], trusted_comment: &str) -> String {
        let hash = Blake2b512::digest(data);
        let sig = self.key.sign(&hash).to_bytes();
        let mut line = SIG_ALG.to_vec();
        line.extend(self.id);
        line.extend(sig);
        let comment = trusted_comment.replace(['\r', '\n'], " ");
        let mut global = sig.to_vec();
        global.extend(comment.as_bytes());
        let global = self.key.sign(&global).to_bytes();
        format!(
            "untrusted comment: signature from kitep secret key\n{}\ntrusted comment: {comment}\n{}\n",
            B64.encode(line),
            B64.encode(global)
        )
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("creating {}", path.display()))
}

impl PublicKey {
    /// The key id as minisign prints it.
    pub fn id_hex(&self) -> String {
        format!("{:016X}", u64::from_le_bytes(self.id))
    }

    /// The key alone, as one base64 line (`minisign -P`).
    pub fn to_base64(&self) -> String {
        let mut b = KEY_ALG.to_vec();
        b.extend(self.id);
        b.extend(self.key.to_bytes());
        B64.encode(b)
    }

    /// A minisign public key file.
    pub fn to_file(&self) -> String {
        format!(
            "untrusted comment: minisign public key {}\n{}\n",
            self.id_hex(),
            self.to_base64()
        )
    }

    /// A public key file's text, or the key's base64 line alone.
    pub fn parse(text: &str) -> Result<PublicKey> {
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with("untrusted comment:"))
            .ok_or_else(|| anyhow!("no public key in the text"))?;
        let b = B64
            .decode(line)
            .map_err(|_| anyhow!("the public key is not base64: {line:.60}"))?;
        if b.len() != 42 || &b[..2] != KEY_ALG {
            bail!("not a minisign Ed25519 public key ({} bytes)", b.len());
        }
        let mut id = [0u8; 8];
        id.copy_from_slice(&b[2..10]);
        let mut k = [0u8; 32];
        k.copy_from_slice(&b[10..]);
        let key = VerifyingKey::from_bytes(&k)
            .map_err(|_| anyhow!("the public key is not a valid Ed25519 key"))?;
        Ok(PublicKey { id, key })
    }

    /// Checks a minisign signature file for `data`; returns its trusted comment.
    pub fn verify(&self, data: &[u8], signature: &str) -> Result<String> {
        let mut lines = signature.lines().filter(|l| !l.trim().is_empty());
        let _untrusted = lines.next();
        let sig_line = lines
            .next()
            .ok_or_else(|| anyhow!("the signature file is cut short"))?;
        let trusted = lines
            .next()
            .and_then(|l| l.strip_prefix("trusted comment: "))
            .ok_or_else(|| anyhow!("the signature file has no trusted comment"))?;
        let global_line = lines
            .next()
            .ok_or_else(|| anyhow!("the signature file is cut short"))?;
        let sig = B64
            .decode(sig_line.trim())
            .map_err(|_| anyhow!("the signature is not base64"))?;
        if sig.len() != 74 {
            bail!("the signature has {} bytes, not 74", sig.len());
        }
        if &sig[..2] != SIG_ALG {
            bail!("the signature is not of the prehashed Ed25519 kind (ED)");
        }
        if sig[2..10] != self.id {
            bail!(
                "signed with another key (key id {:016X}; the trusted key is {})",
                u64::from_le_bytes(sig[2..10].try_into().unwrap_or_default()),
                self.id_hex()
            );
        }
        let s = ed25519_dalek::Signature::from_slice(&sig[10..])
            .map_err(|_| anyhow!("the signature is malformed"))?;
        self.key
            .verify(&Blake2b512::digest(data), &s)
            .map_err(|_| anyhow!("the signature does not match the content"))?;
        let global = B64
            .decode(global_line.trim())
            .map_err(|_| anyhow!("the global signature is not base64"))?;
        let g = ed25519_dalek::Signature::from_slice(&global)
            .map_err(|_| anyhow!("the global signature is malformed"))?;
        let mut signed = sig[10..].to_vec();
        signed.extend(trusted.as_bytes());
        self.key
            .verify(&signed, &g)
            .map_err(|_| anyhow!("the trusted comment was changed"))?;
        Ok(trusted.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_and_refuses_changes_and_other_keys() {
        let dir = tempfile::tempdir().unwrap();
        let key = SecretKey::load_or_create(dir.path()).unwrap();
        let again = SecretKey::load_or_create(dir.path()).unwrap();
        assert_eq!(key.public(), again.public(), "the key pair is kept");
        let public =
            PublicKey::parse(&std::fs::read_to_string(dir.path().join("minisign.pub")).unwrap())
                .unwrap();
        assert_eq!(public, key.public());
        let sig = key.sign(b"book manifest", "seq:1");
        assert_eq!(public.verify(b"book manifest", &sig).unwrap(), "seq:1");
        let e = public
            .verify(b"book manifesto", &sig)
            .unwrap_err()
            .to_string();
        assert!(e.contains("does not match"), "{e}");
        let forged = sig.replace("trusted comment: seq:1", "trusted comment: seq:2");
        assert!(
            public
                .verify(b"book manifest", &forged)
                .unwrap_err()
                .to_string()
                .contains("trusted comment")
        );
        let other = SecretKey::generate().unwrap();
        let e = public
            .verify(b"book manifest", &other.sign(b"book manifest", "x"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("another key"), "{e}");
        assert!(PublicKey::parse("not a key").is_err());
    }

    /// minisign itself (Debian's) accepts our signatures, when it is installed.
    #[test]
    fn minisign_verifies_our_signatures() {
        if std::process::Command::new("minisign")
            .arg("-v")
            .output()
            .is_err()
        {
            eprintln!("minisign is not installed: skipped");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let key = SecretKey::load_or_create(dir.path()).unwrap();
        let file = dir.path().join("manifest.json");
        std::fs::write(&file, b"{\"seq\":1}").unwrap();
        std::fs::write(
            dir.path().join("manifest.json.minisig"),
            key.sign(b"{\"seq\":1}", "seq:1"),
        )
        .unwrap();
        let out = std::process::Command::new("minisign")
            .args(["-V", "-p"])
            .arg(dir.path().join("minisign.pub"))
            .arg("-m")
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
