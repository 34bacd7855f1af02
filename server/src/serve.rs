//! Start-up and the HTTP server: opens the catalog, index and files, publishes the configured
//! books, and serves HTTP/1.1 with a header-read timeout and a connection limit (axum's own
//! `serve` sets no header timeout, so a slow client could hold a connection for ever).

use crate::artifacts::LocalStore;
use crate::db::Db;
use crate::publish;
use crate::state::{AppState, Config};
use anyhow::{Context, Result};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use indexer::Library;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// A client must send its request headers within this time (default).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Open connections at most; more wait in the kernel's backlog.
pub const MAX_CONNECTIONS: usize = 1024;

/// Opens (or creates) everything under the data folder and publishes the books to serve: the
/// `--books` folders (changed books only), or the sample library on first start.
pub async fn open(config: Config) -> Result<Arc<AppState>> {
    // Build the language-identification model now, not on the first search.
    let warm = tokio::task::spawn_blocking(indexer::langid::warm_up);
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating the data folder {}", config.data_dir.display()))?;
    let db = Db::connect(&config.database_url).await?;
    db.migrate().await.context("migrating the catalog")?;
    let index_dir = config.data_dir.join("index");
    let library = Library::open(&index_dir)
        .map_err(|e| anyhow::anyhow!("opening the index {}: {e}", index_dir.display()))?;
    let store = LocalStore::open(&config.data_dir.join("books"))
        .with_context(|| format!("opening {}", config.data_dir.join("books").display()))?;
    let state = Arc::new(AppState::new(config, db, library, Box::new(store)));
    warm.await?;
    publish::reconcile(&state).await?;
    state.refresh().await?;
    let dirs = if state.config.books.is_empty() {
        let sample = corpus::sample_books_dir();
        if state.snapshot().books.is_empty() && sample.is_dir() {
            tracing::info!(
                "first start: publishing the sample library from {}",
                sample.display()
            );
            vec![sample]
        } else {
            Vec::new()
        }
    } else {
        state.config.books.clone()
    };
    if !dirs.is_empty() {
        let outcomes = publish::publish_all(&state, &dirs).await?;
        let published = outcomes
            .iter()
            .filter(|o| matches!(o, publish::Outcome::Published { .. }))
            .count();
        tracing::info!(
            published,
            unchanged = outcomes.len() - published,
            "library up to date"
        );
    }
    Ok(state)
}

/// Serves the portal on `listener` until `shutdown` completes.
pub async fn run(
    state: Arc<AppState>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    let header_timeout = state.config.header_timeout;
    let app = crate::web::router(state);
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => p?,
            _ = &mut shutdown => break,
        };
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = &mut shutdown => break,
        };
        let stream = match accepted {
            Ok((s, _addr)) => s,
            Err(e) => {
                // Out of file descriptors and the like: wait a little rather than spin.
                tracing::warn!("accept: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .max_buf_size(64 * 1024)
                .serve_connection(TokioIo::new(stream), service);
            let _ = conn.await;
            drop(permit);
        });
    }
    Ok(())
}
