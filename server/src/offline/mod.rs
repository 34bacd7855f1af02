//! The library where the internet is weak or absent: a static copy of it (`site`), written to a
//! folder that opens from `file://` (`pack`), or into a ZIM file for Kiwix readers (`zim`).

pub mod pack;
pub mod sign;
pub mod site;
pub mod sync;
pub mod zim;

use crate::library::artifacts::LocalStore;
use crate::library::state::{AppState, Config};
use anyhow::{Context, Result};
use std::sync::Arc;

/// Where `out` is written before it is renamed into place (beside it, hidden, this process's): a
/// cut write never leaves half a file under the name.
pub fn beside(out: &std::path::Path) -> std::path::PathBuf {
    out.with_file_name(format!(
        ".{}.kitep-{}",
        out.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default(),
        std::process::id()
    ))
}

/// Writes `bytes` to `out` whole: beside it first, then renamed.
pub fn write_whole(out: &std::path::Path, bytes: &[u8]) -> Result<()> {
    let tmp = beside(out);
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, out).with_context(|| format!("writing {}", out.display()))
}

/// The published library of a data folder, opened to be read while a portal may be serving it:
/// the catalog is not migrated and the index is not opened. A data folder with no catalog yet is
/// set up as `kitep serve` would on its first start (the sample library is published).
pub async fn open_published(config: Config) -> Result<Arc<AppState>> {
    let fresh =
        config.database_url.starts_with("sqlite:") && !config.data_dir.join("catalog.db").exists();
    if fresh {
        return crate::serve::open(config).await;
    }
    let db = catalog::Db::connect_read_only(&config.database_url)
        .await
        .with_context(|| format!("opening the catalog {}", config.database_url))?;
    let store = LocalStore::existing(&config.data_dir.join("books"));
    let library = indexer::Library::in_memory().map_err(|e| anyhow::anyhow!("{e}"))?;
    let state = Arc::new(AppState::new(config, db, library, Box::new(store)));
    state.refresh().await?;
    Ok(state)
}

/// A data folder opened to publish into while a portal may be serving it (`kitep sync`): the
/// catalog is migrated, the index opened for writing one publish at a time, and nothing of a
/// running portal's (its staging folder, files not yet in the catalog) is cleaned up. The portal
/// notices what was published through the sync log ([`watch_changes`]).
pub async fn open_for_writing(config: Config) -> Result<Arc<AppState>> {
    std::fs::create_dir_all(&config.data_dir).with_context(|| {
        format!(
            "creating the data folder {} (choose another with --data)",
            config.data_dir.display()
        )
    })?;
    let db = catalog::Db::connect(&config.database_url).await?;
    db.migrate().await.context("migrating the catalog")?;
    let index_dir = config.data_dir.join("index");
    let library = indexer::Library::open(&index_dir).map_err(|e| {
        anyhow::anyhow!(
            "the search index {} cannot be opened ({e}): start `kitep serve` on this data folder once to rebuild it",
            index_dir.display()
        )
    })?;
    let books = config.data_dir.join("books");
    std::fs::create_dir_all(books.join(".staging"))
        .with_context(|| format!("creating {}", books.display()))?;
    let store = LocalStore::existing(&books);
    let state = Arc::new(AppState::new(config, db, library, Box::new(store)));
    state.refresh().await?;
    Ok(state)
}

/// Keeps a running portal in step with publishes made by another process on its data folder
/// (`kitep sync`, another replica): every publish, withdrawal and restore is logged, so a new
/// log entry means the catalog and the index changed.
pub fn watch_changes(state: &Arc<AppState>) {
    let st = state.clone();
    tokio::spawn(async move {
        let mut seen = st.db.last_sync_seq().await.unwrap_or(0);
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            let Ok(now) = st.db.last_sync_seq().await else {
                continue;
            };
            if now != seen {
                seen = now;
                if let Err(e) = st.refresh().await {
                    tracing::warn!("reading what another process published: {e:#}");
                }
            }
        }
    });
}
