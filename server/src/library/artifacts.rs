//! Built artifacts (EPUB, web-reader pages, images) of each published version, behind an
//! interface an object store can implement later. The local store keeps
//! `ROOT/<slug>/<version>/…`; a version is written in a staging folder and renamed into place, so
//! it is either all there or not there at all.

use std::io;
use std::path::{Path, PathBuf};

pub trait ArtifactStore: Send + Sync {
    /// A fresh local folder to build a version into.
    fn staging(&self, name: &str) -> io::Result<PathBuf>;
    /// Makes a staged folder the stored files of `slug`/`version`, all at once.
    fn commit(&self, staged: &Path, slug: &str, version: &str) -> io::Result<()>;
    /// A stored file's bytes; `None` if there is no such file.
    fn read(&self, slug: &str, version: &str, rel: &str) -> io::Result<Option<Vec<u8>>>;
    /// A stored file opened for streaming, with its length (downloads are never held whole in
    /// memory).
    fn open(
        &self,
        slug: &str,
        version: &str,
        rel: &str,
    ) -> io::Result<Option<(std::fs::File, u64)>>;
    /// The versions stored for a book.
    fn versions(&self, slug: &str) -> io::Result<Vec<String>>;
    /// Every book with stored versions.
    fn slugs(&self) -> io::Result<Vec<String>>;
    fn remove(&self, slug: &str, version: &str) -> io::Result<()>;
    /// Where a version lives on local disk, when the store is local (re-indexing reads it).
    fn local_dir(&self, slug: &str, version: &str) -> Option<PathBuf>;
}

pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    pub fn open(root: &Path) -> io::Result<LocalStore> {
        std::fs::create_dir_all(root.join(".staging"))?;
        // Leftovers of a publish that was killed: never part of the library.
        for e in std::fs::read_dir(root.join(".staging"))?.flatten() {
            let _ = std::fs::remove_dir_all(e.path());
        }
        Ok(LocalStore {
            root: root.to_path_buf(),
        })
    }

    /// The store as it is, for reading while another process may be publishing into it (no
    /// clean-up of its staging folder).
    pub fn existing(root: &Path) -> LocalStore {
        LocalStore {
            root: root.to_path_buf(),
        }
    }

    fn version_dir(&self, slug: &str, version: &str) -> io::Result<PathBuf> {
        if !is_safe_name(slug) || !is_safe_name(version) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "bad name"));
        }
        Ok(self.root.join(slug).join(version))
    }
}

/// A single path component we create ourselves: letters, digits, `-`, `_`, `.`, not starting with `.`.
pub fn is_safe_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 200
        && !s.starts_with('.')
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// A relative path inside a version: components that are safe names, joined by `/`.
pub fn is_safe_rel(rel: &str) -> bool {
    !rel.is_empty() && rel.len() <= 1000 && rel.split('/').all(is_safe_name)
}

impl ArtifactStore for LocalStore {
    fn staging(&self, name: &str) -> io::Result<PathBuf> {
        let p = self.root.join(".staging").join(name);
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p)?;
        Ok(p)
    }

    fn commit(&self, staged: &Path, slug: &str, version: &str) -> io::Result<()> {
        let target = self.version_dir(slug, version)?;
        std::fs::create_dir_all(target.parent().unwrap_or(&self.root))?;
        std::fs::rename(staged, &target)
    }

    fn open(
        &self,
        slug: &str,
        version: &str,
        rel: &str,
    ) -> io::Result<Option<(std::fs::File, u64)>> {
        if !is_safe_rel(rel) {
            return Ok(None);
        }
        let p = self.version_dir(slug, version)?.join(rel);
        match std::fs::File::open(&p) {
            Ok(f) => {
                let meta = f.metadata()?;
                if !meta.is_file() {
                    return Ok(None);
                }
                Ok(Some((f, meta.len())))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn read(&self, slug: &str, version: &str, rel: &str) -> io::Result<Option<Vec<u8>>> {
        if !is_safe_rel(rel) {
            return Ok(None);
        }
        let p = self.version_dir(slug, version)?.join(rel);
        match std::fs::read(&p) {
            Ok(b) => Ok(Some(b)),
            Err(e)
                if e.kind() == io::ErrorKind::NotFound
                    || e.kind() == io::ErrorKind::IsADirectory =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    fn versions(&self, slug: &str) -> io::Result<Vec<String>> {
        if !is_safe_name(slug) {
            return Ok(Vec::new());
        }
        list_dirs(&self.root.join(slug))
    }

    fn slugs(&self) -> io::Result<Vec<String>> {
        list_dirs(&self.root)
    }

    fn remove(&self, slug: &str, version: &str) -> io::Result<()> {
        std::fs::remove_dir_all(self.version_dir(slug, version)?)
    }

    fn local_dir(&self, slug: &str, version: &str) -> Option<PathBuf> {
        self.version_dir(slug, version).ok()
    }
}

fn list_dirs(dir: &Path) -> io::Result<Vec<String>> {
    let mut out = Vec::new();
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().to_string();
                if e.path().is_dir() && is_safe_name(&name) {
                    out.push(name);
                }
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_cannot_leave_the_store() {
        for bad in [
            "../x",
            "a/../../b",
            "/etc/passwd",
            ".hidden",
            "a//b",
            "a\\b",
            "",
        ] {
            assert!(!is_safe_rel(bad), "{bad}");
        }
        assert!(is_safe_rel("html/images/fig-1.png"));
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(dir.path()).unwrap();
        let staged = store.staging("v1").unwrap();
        std::fs::write(staged.join("a.txt"), "hello").unwrap();
        store.commit(&staged, "book", "v1").unwrap();
        assert_eq!(
            store.read("book", "v1", "a.txt").unwrap().unwrap(),
            b"hello"
        );
        assert_eq!(store.read("book", "v1", "../v1/a.txt").unwrap(), None);
        assert_eq!(store.versions("book").unwrap(), vec!["v1"]);
    }
}
