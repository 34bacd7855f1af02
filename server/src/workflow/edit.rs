//! The web editor's changes: each save makes a new revision from the latest one (its files
//! linked, never changed in place, with the one change applied) and queues its build. A save
//! based on a revision that is no longer the latest is refused as a conflict, so two people
//! editing at once lose nothing: the second sees both texts.

use crate::library::state::Shared;
use crate::workflow::jobs::revision_dir;
use crate::workflow::upload::{find_book, hash_files, tree};
use anyhow::{Context, Result};
use catalog::{DraftRow, StaffRow};
use std::path::{Path, PathBuf};

/// Files the editor shows as text (the rest: images and other assets, replaced whole).
pub fn is_text(rel: &str) -> bool {
    let lower = rel.to_lowercase();
    [".md", ".toml", ".txt", ".css", ".svg"]
        .iter()
        .any(|e| lower.ends_with(e))
}

/// Largest file the editor takes (a chapter or an image).
pub const MAX_FILE: usize = 16 * 1024 * 1024;

pub enum Change {
    /// A text file's new content (created if new).
    Text { path: String, content: String },
    /// An image, added or replaced.
    Image { path: String, bytes: Vec<u8> },
    /// A new chapter file with its first heading, listed at the end of the book.
    Chapter { name: String, title: String },
}

#[derive(Debug, PartialEq, Eq)]
pub enum Problem {
    /// The draft has a newer revision than the one the edit started from.
    Conflict {
        latest: String,
    },
    /// A path that is not a safe relative path inside the project.
    BadPath,
    NotAnImage,
    TooLarge,
    /// A chapter with that file name exists.
    Exists,
    /// Neither a SUMMARY.md nor a `chapters` list in book.toml to add the chapter to.
    NoChapterList,
    NoRevision,
}

/// The latest revision's id and its project root.
pub async fn latest(state: &Shared, d: &DraftRow) -> Result<Option<(String, PathBuf)>> {
    let revs = state.db.revisions(&d.id).await?;
    Ok(revs.first().and_then(|r| {
        let root = revision_dir(state, &r.id).and_then(|dir| find_book(&dir.join("src")))?;
        Some((r.id.clone(), root))
    }))
}

/// A safe path inside the project: relative, no `..`, ordinary characters.
fn safe(rel: &str) -> Option<String> {
    let rel = rel.trim().trim_start_matches("./");
    let ok = !rel.is_empty()
        && rel.len() <= 300
        && !rel.starts_with('/')
        && !rel.contains('\\')
        && !rel.contains("//")
        && rel
            .split('/')
            .all(|p| !p.is_empty() && p != "." && p != ".." && !p.starts_with('.'))
        && !rel
            .chars()
            .any(|c| c.is_control() || "<>:\"|?*".contains(c));
    ok.then(|| rel.to_string())
}

/// Adds `name` at the end of the book's chapter list: SUMMARY.md's, else book.toml's
/// `chapters = [...]`. Returns the file changed and its new text.
fn list_chapter(root: &Path, name: &str, title: &str) -> Option<(String, String)> {
    let project = corpus::BookProject::load(root).ok()?;
    let src = if project.src_dir.is_empty() {
        String::new()
    } else {
        format!("{}/", project.src_dir)
    };
    let summary = root.join(&src).join("SUMMARY.md");
    if let Ok(text) = std::fs::read_to_string(&summary) {
        let mut t = text.trim_end().to_string();
        t.push_str(&format!(
            "\n- [{}]({name})\n",
            title.replace(['[', ']'], "")
        ));
        return Some((format!("{src}SUMMARY.md"), t));
    }
    let toml = std::fs::read_to_string(root.join("book.toml")).ok()?;
    // The closing bracket of the `chapters = [...]` array (strings in it hold no `]`: file names).
    let start = toml.find("chapters")?;
    let open = start + toml[start..].find('[')?;
    let close = open + toml[open..].find(']')?;
    let inside = toml[open + 1..close].trim_end();
    let sep = if inside.trim().is_empty() {
        ""
    } else if inside.ends_with(',') {
        " "
    } else {
        ", "
    };
    let new = format!(
        "{}{sep}\"{name}\"{}",
        &toml[..open + 1 + inside.len()],
        &toml[close..]
    );
    Some(("book.toml".into(), new))
}

/// Applies one change as a new revision based on `base`; returns the new revision's id.
pub async fn apply(
    state: &Shared,
    d: &DraftRow,
    who: &StaffRow,
    base: &str,
    change: Change,
) -> Result<std::result::Result<String, Problem>> {
    let Some((latest_id, root)) = latest(state, d).await? else {
        return Ok(Err(Problem::NoRevision));
    };
    if latest_id != base {
        return Ok(Err(Problem::Conflict { latest: latest_id }));
    }
    // What to write: (path relative to the project root, bytes).
    let writes: Vec<(String, Vec<u8>)> = match change {
        Change::Text { path, content } => {
            let Some(path) = safe(&path).filter(|p| is_text(p)) else {
                return Ok(Err(Problem::BadPath));
            };
            if content.len() > MAX_FILE {
                return Ok(Err(Problem::TooLarge));
            }
            // Line endings as the browser sends them (CRLF) become the project's LF.
            vec![(path, content.replace("\r\n", "\n").into_bytes())]
        }
        Change::Image { path, bytes } => {
            let Some(path) = safe(&path) else {
                return Ok(Err(Problem::BadPath));
            };
            if bytes.len() > MAX_FILE {
                return Ok(Err(Problem::TooLarge));
            }
            if formats::images::sniff(&bytes).is_none() {
                return Ok(Err(Problem::NotAnImage));
            }
            vec![(path, bytes)]
        }
        Change::Chapter { name, title } => {
            let slug = corpus::slug::slugify(name.trim_end_matches(".md"));
            if slug.is_empty() {
                return Ok(Err(Problem::BadPath));
            }
            let file = format!("{slug}.md");
            let project = corpus::BookProject::load(&root).ok();
            let src = project.map(|p| p.src_dir).unwrap_or_default();
            let rel = if src.is_empty() {
                file.clone()
            } else {
                format!("{src}/{file}")
            };
            if root.join(&rel).exists() {
                return Ok(Err(Problem::Exists));
            }
            let title = title.trim();
            let title = if title.is_empty() {
                slug.as_str()
            } else {
                title
            };
            let Some((list, text)) = list_chapter(&root, &file, title) else {
                return Ok(Err(Problem::NoChapterList));
            };
            vec![
                (rel, format!("# {title}\n").into_bytes()),
                (list, text.into_bytes()),
            ]
        }
    };
    let revision_id = catalog::new_id()?;
    let dir = revision_dir(state, &revision_id).context("bad revision id")?;
    let old_src = revision_dir(state, &latest_id)
        .context("bad revision id")?
        .join("src");
    let rel_root = root
        .strip_prefix(&old_src)
        .unwrap_or(Path::new(""))
        .to_path_buf();
    let rev_id = revision_id.clone();
    let made = tokio::task::spawn_blocking(move || -> Result<(PathBuf, String)> {
        let staging = dir.with_file_name(format!(".{revision_id}.editing"));
        let _ = std::fs::remove_dir_all(&staging);
        let result = (|| -> Result<(PathBuf, String)> {
            let src = staging.join("src");
            for (rel, path) in tree(&old_src)? {
                let to = src.join(&rel);
                std::fs::create_dir_all(to.parent().unwrap_or(&src))?;
                // Revisions never change a file in place, so linking is safe (and cheap).
                if std::fs::hard_link(&path, &to).is_err() {
                    std::fs::copy(&path, &to)?;
                }
            }
            let root = src.join(&rel_root);
            for (rel, bytes) in &writes {
                let to = root.join(rel);
                std::fs::create_dir_all(to.parent().unwrap_or(&root))?;
                let _ = std::fs::remove_file(&to);
                std::fs::write(&to, bytes)?;
            }
            let mut files = tree(&src)?;
            let hash = hash_files(&mut files)?;
            std::fs::rename(&staging, &dir)?;
            Ok((dir.join("src").join(&rel_root), hash))
        })();
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&staging);
        }
        result
    })
    .await??;
    let (new_root, hash) = made;
    let project = corpus::BookProject::load(&new_root).ok();
    let title = project
        .as_ref()
        .and_then(|p| p.config.title.clone())
        .unwrap_or_else(|| d.title.clone());
    state
        .db
        .add_revision(
            &d.organisation,
            &d.slug,
            &title,
            &who.id,
            &who.email,
            &rev_id,
            &hash,
            "editor",
        )
        .await?;
    state.jobs_queued.notify_one();
    Ok(Ok(rev_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_paths() {
        assert_eq!(safe("src/light.md").as_deref(), Some("src/light.md"));
        assert_eq!(safe("./img/a.png").as_deref(), Some("img/a.png"));
        for bad in [
            "../x.md",
            "/etc/x",
            "src/../../x",
            "a\\\\b",
            ".git/config",
            "src/.hidden.md",
            "a<b>.md",
            "",
        ] {
            assert!(safe(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_chapter_is_added_to_the_list_in_book_toml() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("book.toml"), "[book]\ntitle = \"T\"\nlanguage = \"ky\"\n# the order\nchapters = [\"a.md\", \"b.md\"]\n").unwrap();
        std::fs::write(dir.path().join("src/a.md"), "# A\n").unwrap();
        std::fs::write(dir.path().join("src/b.md"), "# B\n").unwrap();
        let (file, text) = list_chapter(dir.path(), "c.md", "C").unwrap();
        assert_eq!(file, "book.toml");
        assert!(
            text.contains("chapters = [\"a.md\", \"b.md\", \"c.md\"]"),
            "{text}"
        );
        assert!(text.contains("# the order"), "comments are kept");
    }
}
