//! A book project uploaded as a `.zip`, unpacked only when every entry is safe: no path out of
//! the folder (`../`, absolute paths, drive letters, backslashes), no symbolic links, no nested
//! archives, names in UTF-8, bounded file count, unpacked size and compression ratio (measured
//! while unpacking, never trusted from the headers). Whatever is refused leaves nothing behind.

use sha2::{Digest, Sha256};
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The upload itself (bytes).
    pub max_upload: u64,
    /// All files unpacked (bytes).
    pub max_unpacked: u64,
    pub max_files: usize,
    /// Unpacked size over compressed size, per file (a zip bomb compresses zeros a thousandfold).
    pub max_ratio: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_upload: 100 * 1024 * 1024,
            max_unpacked: 500 * 1024 * 1024,
            max_files: 10_000,
            max_ratio: 200,
        }
    }
}

impl Limits {
    /// The defaults, with `KITEP_MAX_UPLOAD_MB` for the upload's size.
    pub fn from_env() -> Limits {
        let mut l = Limits::default();
        if let Some(mb) = std::env::var("KITEP_MAX_UPLOAD_MB")
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|mb| *mb > 0)
        {
            l.max_upload = mb * 1024 * 1024;
            l.max_unpacked = l.max_unpacked.max(l.max_upload * 5);
        }
        l
    }

    /// The largest request body an upload route takes: the upload and room for the form.
    pub fn body_limit(&self) -> usize {
        self.max_upload as usize + 64 * 1024
    }
}

/// Why an upload was refused; each names the problem and, where there is one, the entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    NotZip,
    TooLarge { limit: u64 },
    Damaged(String),
    UnsafePath { name: String },
    Symlink { name: String },
    NestedArchive { name: String },
    NotUtf8 { name: String },
    TooManyFiles { limit: usize },
    TooMuchUnpacked { limit: u64 },
    Bomb { name: String },
    NoBook,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::NotZip => write!(
                f,
                "the file is not a .zip archive: pack the book's folder as a .zip and upload that"
            ),
            Refused::TooLarge { limit } => write!(
                f,
                "the upload is larger than the portal accepts ({} MB); make the images smaller or ask the administrator to raise KITEP_MAX_UPLOAD_MB",
                limit / (1024 * 1024)
            ),
            Refused::Damaged(m) => write!(
                f,
                "the .zip archive is damaged ({m}); pack the folder again"
            ),
            Refused::UnsafePath { name } => write!(
                f,
                "'{name}': a path that leads out of the book's folder (.., an absolute path or a drive letter); pack the folder itself"
            ),
            Refused::Symlink { name } => write!(
                f,
                "'{name}' is a symbolic link; put the file itself in the archive"
            ),
            Refused::NestedArchive { name } => write!(
                f,
                "'{name}' is an archive inside the archive; unpack it into the folder first"
            ),
            Refused::NotUtf8 { name } => write!(
                f,
                "the file name '{name}' is not in UTF-8; rename it (or pack with a tool that writes UTF-8 names)"
            ),
            Refused::TooManyFiles { limit } => write!(
                f,
                "the archive holds more than {limit} files; a book needs far fewer"
            ),
            Refused::TooMuchUnpacked { limit } => write!(
                f,
                "unpacked, the archive is larger than {} MB",
                limit / (1024 * 1024)
            ),
            Refused::Bomb { name } => write!(
                f,
                "'{name}' unpacks to far more than it should (a zip bomb?)"
            ),
            Refused::NoBook => write!(
                f,
                "no book.toml at the top of the archive (or of its one top-level folder); pack the book's folder, the one with book.toml"
            ),
        }
    }
}

/// What was unpacked.
#[derive(Debug, Clone)]
pub struct Unpacked {
    /// The folder with `book.toml` (inside the destination).
    pub root: PathBuf,
    pub files: usize,
    pub bytes: u64,
    /// SHA-256 over the files' paths and bytes, in path order.
    pub source_hash: String,
}

fn is_archive(name: &str, head: &[u8]) -> bool {
    let lower = name.to_lowercase();
    let by_name = [
        ".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".zst",
    ]
    .iter()
    .any(|e| lower.ends_with(e));
    let by_content = head.starts_with(b"PK\x03\x04")
        || head.starts_with(&[0x1f, 0x8b])
        || head.starts_with(b"7z\xbc\xaf\x27\x1c")
        || head.starts_with(b"Rar!")
        || head.starts_with(b"BZh")
        || head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0])
        || head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]);
    by_name || by_content
}

/// The entry's path as safe components, or why not.
fn safe_components(name: &str) -> Option<Vec<&str>> {
    if name.starts_with('/') || name.contains('\\') || name.contains('\0') {
        return None;
    }
    let b = name.as_bytes();
    if b.len() >= 2 && b[1] == b':' && b[0].is_ascii_alphabetic() {
        return None;
    }
    let parts: Vec<&str> = name
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    if parts.iter().any(|p| *p == ".." || p.contains(':')) {
        return None;
    }
    Some(parts)
}

/// Unpacks `zip` into `dest` (which must not exist yet), through a staging folder beside it:
/// on success `dest` holds the files; on refusal neither exists.
pub fn unpack(zip: &[u8], dest: &Path, limits: &Limits) -> Result<Unpacked, Refused> {
    if zip.len() as u64 > limits.max_upload {
        return Err(Refused::TooLarge {
            limit: limits.max_upload,
        });
    }
    if !(zip.starts_with(b"PK\x03\x04") || zip.starts_with(b"PK\x05\x06")) {
        return Err(Refused::NotZip);
    }
    let staging = dest.with_file_name(format!(
        ".{}.unpacking-{}",
        dest.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("upload"),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&staging);
    let result = unpack_into(zip, &staging, limits).and_then(|u| {
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Refused::Damaged(e.to_string()))?;
        }
        std::fs::rename(&staging, dest).map_err(|e| Refused::Damaged(e.to_string()))?;
        let rel = u
            .root
            .strip_prefix(&staging)
            .unwrap_or(Path::new(""))
            .to_path_buf();
        Ok(Unpacked {
            root: dest.join(rel),
            ..u
        })
    });
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

fn unpack_into(zip: &[u8], dir: &Path, limits: &Limits) -> Result<Unpacked, Refused> {
    let mut archive =
        zip::ZipArchive::new(Cursor::new(zip)).map_err(|e| Refused::Damaged(e.to_string()))?;
    if archive.len() > limits.max_files {
        return Err(Refused::TooManyFiles {
            limit: limits.max_files,
        });
    }
    // Every name is checked before anything is written.
    let mut entries: Vec<(usize, String, bool)> = Vec::with_capacity(archive.len());
    let mut declared: u64 = 0;
    for i in 0..archive.len() {
        let e = archive
            .by_index_raw(i)
            .map_err(|e| Refused::Damaged(e.to_string()))?;
        let raw = e.name_raw();
        let Ok(name) = std::str::from_utf8(raw) else {
            return Err(Refused::NotUtf8 {
                name: String::from_utf8_lossy(raw).into_owned(),
            });
        };
        let name = name.to_string();
        if safe_components(&name).is_none() {
            return Err(Refused::UnsafePath { name });
        }
        if e.unix_mode().is_some_and(|m| m & 0o170000 == 0o120000) {
            return Err(Refused::Symlink { name });
        }
        declared = declared.saturating_add(e.size());
        if declared > limits.max_unpacked {
            return Err(Refused::TooMuchUnpacked {
                limit: limits.max_unpacked,
            });
        }
        let is_dir = e.is_dir();
        if !is_dir && is_archive(&name, &[]) {
            return Err(Refused::NestedArchive { name });
        }
        entries.push((i, name, is_dir));
    }
    std::fs::create_dir_all(dir).map_err(|e| Refused::Damaged(e.to_string()))?;
    let mut written: u64 = 0;
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for (i, name, is_dir) in entries {
        let parts = safe_components(&name).unwrap_or_default();
        if parts.is_empty() {
            continue;
        }
        let path = parts.iter().fold(dir.to_path_buf(), |p, c| p.join(c));
        if is_dir {
            std::fs::create_dir_all(&path).map_err(|e| Refused::Damaged(e.to_string()))?;
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Refused::Damaged(e.to_string()))?;
        }
        let mut e = archive
            .by_index(i)
            .map_err(|e| Refused::Damaged(e.to_string()))?;
        let compressed = e.compressed_size().max(1);
        // What the entry may unpack to: the ratio's bound and what is left of the total.
        let allowed = (compressed.saturating_mul(limits.max_ratio))
            .max(64 * 1024)
            .min(limits.max_unpacked - written);
        let mut out = std::fs::File::create(&path).map_err(|e| Refused::Damaged(e.to_string()))?;
        let mut buf = vec![0u8; 64 * 1024];
        let mut n_total: u64 = 0;
        let mut head = Vec::new();
        loop {
            let n = e
                .read(&mut buf)
                .map_err(|e| Refused::Damaged(e.to_string()))?;
            if n == 0 {
                break;
            }
            if head.len() < 8 {
                head.extend_from_slice(&buf[..n.min(8 - head.len())]);
            }
            n_total += n as u64;
            if n_total > allowed {
                return Err(if written + n_total > limits.max_unpacked {
                    Refused::TooMuchUnpacked {
                        limit: limits.max_unpacked,
                    }
                } else {
                    Refused::Bomb { name }
                });
            }
            out.write_all(&buf[..n])
                .map_err(|e| Refused::Damaged(e.to_string()))?;
        }
        if is_archive(&name, &head) {
            return Err(Refused::NestedArchive { name });
        }
        written += n_total;
        files.push((parts.join("/"), path));
    }
    let root = find_book(dir).ok_or(Refused::NoBook)?;
    let source_hash = hash_files(&mut files).map_err(|e| Refused::Damaged(e.to_string()))?;
    Ok(Unpacked {
        root,
        files: files.len(),
        bytes: written,
        source_hash,
    })
}

/// SHA-256 over files' relative paths and bytes, in path order: a revision's fingerprint.
pub fn hash_files(files: &mut [(String, PathBuf)]) -> std::io::Result<String> {
    files.sort();
    let mut h = Sha256::new();
    for (rel, path) in files.iter() {
        h.update(rel.as_bytes());
        h.update([0]);
        let bytes = std::fs::read(path)?;
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(&bytes);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Every regular file under `dir`, as (path relative to `dir` with `/`, path).
pub fn tree(dir: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)? {
            let e = e?;
            let t = e.file_type()?;
            if t.is_dir() {
                stack.push(e.path());
            } else if t.is_file() {
                let rel = e
                    .path()
                    .strip_prefix(dir)
                    .unwrap_or(&e.path())
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, e.path()));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// `book.toml` at the top, or in the one folder at the top (how most tools pack a folder).
pub fn find_book(dir: &Path) -> Option<PathBuf> {
    if dir.join("book.toml").is_file() {
        return Some(dir.to_path_buf());
    }
    let entries: Vec<_> = std::fs::read_dir(dir).ok()?.flatten().collect();
    let folders: Vec<_> = entries
        .iter()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| e.file_name() != "__MACOSX")
        .collect();
    match folders.as_slice() {
        [one] if one.path().join("book.toml").is_file() => Some(one.path()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_paths() {
        for bad in [
            "../x",
            "a/../../x",
            "/etc/passwd",
            "C:/x",
            "c:x",
            "a\\..\\x",
            "a/b:c",
        ] {
            assert!(safe_components(bad).is_none(), "{bad}");
        }
        assert_eq!(
            safe_components("./book/src/a.md").unwrap(),
            vec!["book", "src", "a.md"]
        );
    }
}
