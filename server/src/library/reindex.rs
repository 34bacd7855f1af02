//! A damaged search index is rebuilt from the catalog while the portal serves: at start-up when
//! the index cannot be opened, and whenever its files fail their checksums (checked after start
//! and after a search fails). Meanwhile pages say that search is being rebuilt and `/health`
//! reports it; the rebuilt index replaces the damaged one whole.

use crate::library::publish::memberships;
use crate::library::state::{AppState, Book};
use anyhow::{Context, Result};
use indexer::library::PassageRecord;
use indexer::{BuiltBook, Library};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Opens the index in `dir`. One that cannot be opened (a broken `meta.json`, a truncated
/// segment) is moved aside and an empty one created in its place; the reason is returned, and the
/// caller rebuilds it from the catalog.
pub fn open_index(dir: &Path) -> Result<(Library, Option<String>)> {
    match Library::open(dir) {
        Ok(library) => Ok((library, None)),
        Err(e) => {
            let reason = format!(
                "the search index {} could not be opened: {e}",
                dir.display()
            );
            tracing::error!("{reason}; it is set aside and rebuilt from the catalog");
            let aside = set_aside(dir)?;
            let library = Library::open(dir)
                .map_err(|e| anyhow::anyhow!("creating a new index {}: {e}", dir.display()))?;
            // The damaged copy is kept only until the new index is complete.
            tracing::info!("damaged index moved to {}", aside.display());
            Ok((library, Some(reason)))
        }
    }
}

/// Renames `dir` to `dir.damaged-<time>`; returns the new name.
fn set_aside(dir: &Path) -> Result<PathBuf> {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "index".into());
    let stamp = catalog::now();
    let aside = (0..)
        .map(|n| dir.with_file_name(format!("{name}.damaged-{stamp}-{n}")))
        .find(|p| !p.exists())
        .expect("an unused name");
    std::fs::rename(dir, &aside)
        .with_context(|| format!("moving the damaged index {} aside", dir.display()))?;
    Ok(aside)
}

/// Checks the index files' checksums in the background; damage starts a rebuild. Called after
/// start-up and when a search fails. Does nothing while a check or a rebuild is under way.
pub fn check(state: &Arc<AppState>) {
    let busy = state.update_condition(|c| {
        let busy = c.index_checking || c.index_rebuilding.is_some();
        c.index_checking = true;
        busy
    });
    if busy {
        return;
    }
    let st = state.clone();
    tokio::spawn(async move {
        let library = st.library();
        let damaged = tokio::task::spawn_blocking(move || library.index.validate_checksum()).await;
        st.update_condition(|c| c.index_checking = false);
        let damaged: Vec<String> = match damaged {
            Ok(Ok(files)) => files
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect(),
            Ok(Err(e)) => vec![format!("({e})")],
            Err(e) => vec![format!("({e})")],
        };
        if !damaged.is_empty() {
            let reason = format!("the search index has damaged files: {}", damaged.join(", "));
            tracing::error!("{reason}; rebuilding it from the catalog");
            start_rebuild(&st, reason);
        }
    });
}

/// Rebuilds the index from the catalog in the background (once at a time), then swaps it in.
pub fn start_rebuild(state: &Arc<AppState>, reason: String) {
    let already = state.update_condition(|c| {
        let already = c.index_rebuilding.is_some();
        if !already {
            c.index_rebuilding = Some(reason);
        }
        already
    });
    if already {
        return;
    }
    let st = state.clone();
    tokio::spawn(async move {
        let started = std::time::Instant::now();
        match rebuild(&st).await {
            Ok(books) => {
                st.update_condition(|c| c.index_rebuilding = None);
                tracing::info!(
                    books,
                    ms = started.elapsed().as_millis() as u64,
                    "search index rebuilt from the catalog"
                );
            }
            Err(e) => {
                // /health keeps saying so, with the reason; the log too.
                tracing::error!("rebuilding the search index failed: {e:#}");
                st.update_condition(|c| {
                    c.index_rebuilding = Some(format!("rebuilding the search index failed: {e:#}"))
                });
            }
        }
    });
}

/// Builds a new index beside the current one from every current version in the catalog, then
/// puts it in the current one's place. Publishing waits meanwhile.
async fn rebuild(state: &Arc<AppState>) -> Result<usize> {
    let _no_publishing = state.publish_lock.lock().await;
    let dir = state.config.data_dir.join("index");
    let fresh = state.config.data_dir.join("index.rebuilding");
    if fresh.exists() {
        std::fs::remove_dir_all(&fresh).with_context(|| format!("removing {}", fresh.display()))?;
    }
    let members = memberships(state).await?;
    let mut books = Vec::new();
    for v in state.db.current_versions().await? {
        let Some(book) = Book::from_stored(&v) else {
            tracing::error!(book = %v.slug, "cannot re-index: its catalog record is unreadable");
            continue;
        };
        let rows = state.db.passage_rows(&v.id).await?;
        let mut record = book.record.clone();
        record.version = Some(v.id.clone());
        record.collections = members.get(&v.slug).cloned().unwrap_or_default();
        let chapters = &book.manifest.chapters;
        let passages = rows
            .into_iter()
            .map(|p| {
                let chapter = chapters.get(p.chapter_position.max(0) as usize);
                PassageRecord {
                    book: record.slug.clone(),
                    work: record.work.clone(),
                    edition: record.edition.clone(),
                    chapter: chapter.map(|c| c.name.clone()).unwrap_or_default(),
                    chapter_index: p.chapter_position.max(0) as usize,
                    chapter_title: chapter.map(|c| c.title.clone()).unwrap_or_default(),
                    anchor: p.anchor,
                    heading_path: if p.heading.is_empty() {
                        Vec::new()
                    } else {
                        p.heading.split(" › ").map(str::to_string).collect()
                    },
                    lang: p.language,
                    text: p.body,
                }
            })
            .collect();
        books.push(BuiltBook { record, passages });
    }
    let n = books.len();
    let f = fresh.clone();
    tokio::task::spawn_blocking(move || -> Result<()> {
        let library = Library::open(&f).map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
        let mut w = library.writer()?;
        for b in &books {
            w.replace_book(b)?;
        }
        w.commit()?;
        library.writer()?.merge_all()?;
        Ok(())
    })
    .await??;
    // The swap: the damaged index aside, the new one in its place, opened and served.
    let aside = if dir.exists() {
        Some(set_aside(&dir)?)
    } else {
        None
    };
    std::fs::rename(&fresh, &dir)
        .with_context(|| format!("moving {} to {}", fresh.display(), dir.display()))?;
    let library = Library::open(&dir).map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
    state.replace_library(library);
    state.refresh().await?;
    if let Some(aside) = aside {
        let _ = std::fs::remove_dir_all(&aside);
    }
    // Copies set aside at start-up are no longer needed either.
    if let Ok(entries) = std::fs::read_dir(&state.config.data_dir) {
        for e in entries.flatten() {
            if e.file_name()
                .to_string_lossy()
                .starts_with("index.damaged-")
            {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    Ok(n)
}
