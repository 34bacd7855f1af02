//! The library where the internet is weak or absent: a static copy of it (`site`), written to a
//! folder that opens from `file://` (`pack`), or into a ZIM file for Kiwix readers (`zim`).

pub mod pack;
pub mod site;
pub mod zim;

use crate::library::artifacts::LocalStore;
use crate::library::state::{AppState, Config};
use anyhow::{Context, Result};
use std::sync::Arc;

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
