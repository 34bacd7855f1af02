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
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// A client must send its request headers within this time (default).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Open connections at most; more wait in the kernel's backlog.
pub const MAX_CONNECTIONS: usize = 1024;

/// Opens (or creates) everything under the data folder and publishes the books to serve: the
/// `--books` folders (changed books only), publishing that an earlier start did not finish, or
/// the sample library on first start. What cannot be done is said and the rest still served: a
/// bad book is reported and skipped, a data folder that cannot be written is served read-only,
/// a damaged index is rebuilt from the catalog in the background.
pub async fn open(config: Config) -> Result<Arc<AppState>> {
    // Build the language-identification model now, not on the first search.
    let warm = tokio::task::spawn_blocking(indexer::langid::warm_up);
    std::fs::create_dir_all(&config.data_dir).with_context(|| {
        format!(
            "creating the data folder {} (choose another with --data)",
            config.data_dir.display()
        )
    })?;
    let read_only = write_check(&config.data_dir).err();
    let db = match &read_only {
        None => {
            let db = Db::connect(&config.database_url).await?;
            db.migrate().await.context("migrating the catalog")?;
            db
        }
        Some(why) => {
            tracing::warn!("{why}: serving read-only; publishing is off until it can be written");
            let db = Db::connect_read_only(&config.database_url)
                .await
                .with_context(|| format!("{why}, and the catalog cannot be read"))?;
            if !db.is_current().await.unwrap_or(false) {
                anyhow::bail!(
                    "{why}, and the catalog there was written by an older kitep and needs                      migrating: free some space (or make the folder writable) and start again"
                );
            }
            db
        }
    };
    let index_dir = config.data_dir.join("index");
    let (library, damaged) = if read_only.is_some() {
        match Library::open_read_only(&index_dir) {
            Ok(l) => (l, None),
            Err(e) => (
                Library::in_memory().map_err(|e| anyhow::anyhow!("{e}"))?,
                Some(format!(
                    "the search index cannot be read ({e}) and the data folder cannot be written"
                )),
            ),
        }
    } else {
        crate::reindex::open_index(&index_dir)?
    };
    let store = LocalStore::open(&config.data_dir.join("books"))
        .with_context(|| format!("opening {}", config.data_dir.join("books").display()))?;
    let state = Arc::new(AppState::new(config, db, library, Box::new(store)));
    warm.await?;
    state.update_condition(|c| c.read_only = read_only.clone());
    if read_only.is_some() {
        state.update_condition(|c| c.index_rebuilding = damaged);
        state.refresh().await?;
        return Ok(state);
    }
    let rebuilding = damaged.is_some();
    match damaged {
        Some(reason) => crate::reindex::start_rebuild(&state, reason),
        None => {
            publish::reconcile(&state).await?;
        }
    }
    state.refresh().await?;
    let sources = sources_to_publish(&state).await?;
    if !sources.is_empty() {
        if rebuilding {
            // Publishing waits for the rebuild; the portal serves meanwhile.
            let st = state.clone();
            tokio::spawn(async move { publish_sources(&st, &sources).await });
        } else {
            publish_sources(&state, &sources).await;
        }
    }
    if !rebuilding {
        crate::reindex::check(&state);
    }
    Ok(state)
}

/// What to publish at this start: the `--books` folders, folders whose publishing an earlier
/// start began and did not finish, and the sample library on a first start. Each is recorded
/// before publishing begins, so a crash part-way is resumed on the next start.
async fn sources_to_publish(state: &Arc<AppState>) -> Result<Vec<PathBuf>> {
    let mut sources: Vec<PathBuf> = state.config.books.clone();
    for s in state.db.unfinished_publishes().await? {
        let p = PathBuf::from(&s);
        if !sources.contains(&p) {
            if p.is_dir() {
                tracing::info!(
                    "resuming the publishing of {s}, which an earlier start did not finish"
                );
                sources.push(p);
            } else {
                tracing::warn!("{s} was to be published but is gone; skipped");
                state.db.finish_publish(&s).await?;
            }
        }
    }
    if state.config.books.is_empty() && sources.is_empty() && state.snapshot().books.is_empty() {
        let sample = corpus::sample_books_dir();
        if sample.is_dir() {
            tracing::info!(
                "first start: publishing the sample library from {}",
                sample.display()
            );
            sources.push(sample);
        }
    }
    for s in &sources {
        state.db.request_publish(&s.to_string_lossy()).await?;
    }
    Ok(sources)
}

/// Publishes the sources; a book that fails is reported (log and /health) and the others go on.
async fn publish_sources(state: &Arc<AppState>, sources: &[PathBuf]) {
    let report = publish::publish_all(state, sources).await;
    for s in &report.finished {
        if let Err(e) = state.db.finish_publish(&s.to_string_lossy()).await {
            tracing::error!("recording that {} is published: {e:#}", s.display());
        }
    }
    let published = report
        .outcomes
        .iter()
        .filter(|o| matches!(o, publish::Outcome::Published { .. }))
        .count();
    tracing::info!(
        published,
        unchanged = report.outcomes.len() - published,
        failed = report.failures.len(),
        "library up to date"
    );
    state.update_condition(|c| c.publish_failures = report.failures.clone());
}

/// Whether the data folder can be written: writes, syncs and removes a small file. A full disk
/// or a read-only mount is the error, in words an operator can act on.
fn write_check(dir: &std::path::Path) -> std::result::Result<(), String> {
    use std::io::Write;
    let probe = dir.join(".kitep-write-check");
    let result = std::fs::File::create(&probe).and_then(|mut f| {
        f.write_all(&[0u8; 64 * 1024])?;
        f.sync_all()
    });
    let _ = std::fs::remove_file(&probe);
    result.map_err(|e| {
        let what = match e.raw_os_error() {
            Some(28) => "the disk is full",
            Some(30) => "the file system is read-only",
            Some(13) | Some(1) => "permission is denied",
            _ => "it cannot be written",
        };
        format!(
            "the data folder {} cannot be written: {what} ({e})",
            dir.display()
        )
    })
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
