//! School servers that keep themselves current from the national portal.
//!
//! The portal keeps, for each published version, its sources (`source/` beside the built files)
//! and a log of events (publish, withdraw, restore), each a small JSON document signed with the
//! portal's key (minisign format). A school reads the log from where it stopped, checks each
//! document against the key it trusts, downloads the files it does not have by their SHA-256
//! (resuming cut downloads), checks each, and publishes the book through its own atomic publish:
//! it builds and indexes the books itself. The same files can travel on a USB stick
//! (`kitep sync --export DIR`, `kitep sync --from DIR`).

pub mod client;
pub mod export;
pub mod source;

use crate::library::state::AppState;
use crate::offline::sign::SecretKey;
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Arc;

/// The version of the documents and of the `/sync/v1/` layout.
pub const FORMAT: u32 = 1;
/// At most this many files in a book's sources, and bytes in one file and in all of them.
pub const MAX_FILES: usize = 5_000;
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;
pub const MAX_BOOK_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// One source file of a version.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileRef {
    pub path: String,
    pub sha256: String,
    pub size: u64,
}

/// What a signed event says.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventDoc {
    pub kitep_sync: u32,
    /// publish, withdraw or restore.
    pub kind: String,
    pub slug: String,
    /// When it happened on the portal (milliseconds): a school never goes back to an older event
    /// of a book, so an old signed document replayed changes nothing.
    pub at: i64,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub language: String,
    #[serde(default)]
    pub grades: Vec<u8>,
    #[serde(default)]
    pub collections: Vec<String>,
    #[serde(default)]
    pub files: Vec<FileRef>,
}

/// The portal's signing key (made at first use, in `DATA/sync/`).
pub fn signer(state: &AppState) -> Result<Arc<SecretKey>> {
    if let Some(k) = state.sync_key.get() {
        return Ok(k.clone());
    }
    let key = Arc::new(SecretKey::load_or_create(
        &state.config.data_dir.join("sync"),
    )?);
    Ok(state.sync_key.get_or_init(|| key).clone())
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Copies a book folder's files (hidden ones aside) to `to`; returns each with its hash and size.
pub fn copy_sources(from: &Path, to: &Path) -> Result<Vec<FileRef>> {
    let mut out = Vec::new();
    walk(from, Some(to), "", &mut out, 0)?;
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// The files of a kept `source/` folder, each with its hash and size.
fn hash_sources(dir: &Path) -> Result<Vec<FileRef>> {
    let mut out = Vec::new();
    walk(dir, None, "", &mut out, 0)?;
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Lists (and with `to`, copies) the source files under `from`.
fn walk(
    from: &Path,
    to: Option<&Path>,
    prefix: &str,
    out: &mut Vec<FileRef>,
    depth: usize,
) -> Result<()> {
    if depth > 16 {
        return Ok(());
    }
    if let Some(to) = to {
        std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    }
    for e in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let e = e?;
        let name = e.file_name().to_string_lossy().to_string();
        if !is_source_name(&name) {
            continue;
        }
        let rel = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        let ft = e.file_type()?;
        if ft.is_dir() {
            let sub = to.map(|t| t.join(&name));
            walk(&e.path(), sub.as_deref(), &rel, out, depth + 1)?;
        } else if ft.is_file() {
            let bytes = std::fs::read(e.path())
                .with_context(|| format!("reading {}", e.path().display()))?;
            if let Some(to) = to {
                std::fs::write(to.join(&name), &bytes)?;
            }
            out.push(FileRef {
                path: rel,
                sha256: hex(&Sha256::digest(&bytes)),
                size: bytes.len() as u64,
            });
        }
    }
    Ok(())
}

/// 64 hexadecimal digits.
pub fn is_hash(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Signs `doc` and appends it to the log.
async fn append(state: &AppState, doc: &EventDoc) -> Result<i64> {
    let key = signer(state)?;
    let text = serde_json::to_string(doc)?;
    let signature = key.sign(
        text.as_bytes(),
        &format!("kitep sync {} {} {}", doc.kind, doc.slug, doc.at),
    );
    state
        .db
        .append_sync_event(
            &doc.slug,
            &doc.kind,
            doc.version.as_deref(),
            doc.at,
            &text,
            &signature,
        )
        .await
}

/// Logs a publish: the version's sources are in its stored `source/` folder.
pub async fn record_publish(
    state: &AppState,
    record: &indexer::library::BookRecord,
    version: &str,
    files: &[FileRef],
) -> Result<i64> {
    let rows: Vec<(String, String, i64)> = files
        .iter()
        .map(|f| (f.path.clone(), f.sha256.clone(), f.size as i64))
        .collect();
    state.db.add_sync_files(version, &rows).await?;
    let doc = EventDoc {
        kitep_sync: FORMAT,
        kind: "publish".into(),
        slug: record.slug.clone(),
        at: now_ms(),
        version: Some(version.to_string()),
        reason: None,
        title: record.title.clone(),
        language: record.language.clone(),
        grades: record.grades.clone(),
        collections: record.collections.clone(),
        files: files.to_vec(),
    };
    append(state, &doc).await
}

/// Logs a withdrawal (`reason`) or a restore (`None`).
pub async fn record_withdrawal(state: &AppState, slug: &str, reason: Option<&str>) -> Result<i64> {
    let doc = EventDoc {
        kitep_sync: FORMAT,
        kind: if reason.is_some() {
            "withdraw"
        } else {
            "restore"
        }
        .into(),
        slug: slug.to_string(),
        at: now_ms(),
        version: None,
        reason: reason.map(str::to_string),
        title: String::new(),
        language: String::new(),
        grades: Vec::new(),
        collections: Vec::new(),
        files: Vec::new(),
    };
    append(state, &doc).await
}

/// A file or folder name a book's sources may have: not hidden, no separators, no control
/// characters, not `.`/`..` (spaces and letters of any script are fine: authors use them).
fn is_source_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('.')
        && !name
            .chars()
            .any(|c| c.is_control() || matches!(c, '/' | '\\' | ':'))
}

/// Checks a path from a document: relative, `/`-separated names that stay inside the book.
pub fn check_path(path: &str) -> Result<()> {
    if path.len() > 1000 || !path.split('/').all(is_source_name) {
        bail!("the path '{path:.120}' leaves the book's folder or is not a plain file name");
    }
    Ok(())
}

/// A document's promises checked before anything is fetched: kind, paths, counts and sizes.
pub fn check_doc(doc: &EventDoc) -> Result<()> {
    if doc.kitep_sync != FORMAT {
        bail!(
            "the document is of sync format {}, this kitep reads {FORMAT}",
            doc.kitep_sync
        );
    }
    if !crate::library::artifacts::is_safe_name(&doc.slug) {
        bail!("the book name '{:.80}' is not a plain name", doc.slug);
    }
    match doc.kind.as_str() {
        "publish" | "withdraw" | "restore" => {}
        other => bail!("unknown event '{other:.40}'"),
    }
    if doc.kind == "publish" {
        if doc.files.is_empty() || doc.files.len() > MAX_FILES {
            bail!(
                "a book has 1 to {MAX_FILES} files; this one lists {}",
                doc.files.len()
            );
        }
        let mut total = 0u64;
        for f in &doc.files {
            check_path(&f.path)?;
            if !is_hash(&f.sha256) || f.sha256.bytes().any(|b| b.is_ascii_uppercase()) {
                bail!("{}: '{:.80}' is not a SHA-256", f.path, f.sha256);
            }
            if f.size > MAX_FILE_BYTES {
                bail!(
                    "{}: {} bytes is more than a book's file may have",
                    f.path,
                    f.size
                );
            }
            total += f.size;
        }
        if total > MAX_BOOK_BYTES {
            bail!("the book's files come to {total} bytes, more than {MAX_BOOK_BYTES}");
        }
        if !doc.files.iter().any(|f| f.path == "book.toml") {
            bail!("the book has no book.toml");
        }
    }
    Ok(())
}

/// Logs the publish of every current version with stored sources that the log does not have
/// yet (a portal killed between its publish and the log, or versions published before the log
/// existed and since republished with sources). Run at start.
pub async fn backfill(state: &AppState) -> Result<usize> {
    let logged = state.db.last_sync_events().await?;
    let mut added = 0;
    for b in state.snapshot().books.iter() {
        match logged.get(&b.slug) {
            Some((kind, Some(v))) if kind == "publish" && *v == b.version => continue,
            Some((kind, _)) if kind == "withdraw" => continue,
            _ => {}
        }
        let Some(dir) = state.store.local_dir(&b.slug, &b.version) else {
            continue;
        };
        let src = dir.join("source");
        if !src.is_dir() {
            continue;
        }
        let files = hash_sources(&src)?;
        let mut record = b.record.clone();
        record.slug = b.slug.clone();
        record_publish(state, &record, &b.version, &files).await?;
        added += 1;
    }
    Ok(added)
}
