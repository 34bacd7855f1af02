//! `kitep export pack -o DIR`: the static site written to a folder (a USB stick), opened from
//! `file://` in any browser. Written beside the target and renamed into place, so a pack that
//! was cut off never replaces a whole one; a folder that is not an earlier pack is never
//! overwritten.

use super::site::{Content, Site};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// Marks a folder as a pack written by kitep (an earlier pack may be replaced, nothing else).
pub const MARKER: &str = ".kitep-pack";

pub struct PackReport {
    pub files: usize,
    pub bytes: u64,
    pub index_bytes: u64,
    pub books: usize,
}

fn is_replaceable(dir: &Path) -> Result<bool> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none() || dir.join(MARKER).is_file()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e).with_context(|| format!("reading {}", dir.display())),
    }
}

pub fn write(site: &Site, out: &Path) -> Result<PackReport> {
    if !is_replaceable(out)? {
        bail!(
            "{} is not empty and is not a pack written by kitep: choose an empty or new folder",
            out.display()
        );
    }
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "pack".into());
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).with_context(|| format!("creating {}", parent.display()))?;
    let staging = super::beside(&parent.join(&name));
    let _ = std::fs::remove_dir_all(&staging);
    let written = write_into(site, &staging);
    if let Err(e) = written {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    let old = parent.join(format!(".{name}.kitep-old-{}", std::process::id()));
    let had_old = out.exists();
    if had_old {
        std::fs::rename(out, &old).with_context(|| format!("moving {} aside", out.display()))?;
    }
    if let Err(e) = std::fs::rename(&staging, out) {
        if had_old {
            let _ = std::fs::rename(&old, out);
        }
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e).with_context(|| format!("moving the pack into {}", out.display()));
    }
    if had_old {
        let _ = std::fs::remove_dir_all(&old);
    }
    Ok(PackReport {
        files: site.entries.len(),
        bytes: site.bytes(),
        index_bytes: site.index_bytes(),
        books: site.books.len(),
    })
}

fn write_into(site: &Site, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(dir.join(MARKER), "written by kitep export pack\n")?;
    for e in &site.entries {
        let target = dir.join(&e.path);
        if let Some(p) = target.parent() {
            std::fs::create_dir_all(p).with_context(|| format!("creating {}", p.display()))?;
        }
        match &e.content {
            Content::Bytes(b) => std::fs::write(&target, b),
            Content::File(src) => std::fs::copy(src, &target).map(|_| ()),
        }
        .with_context(|| format!("writing {}", target.display()))?;
    }
    Ok(())
}
