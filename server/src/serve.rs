//! Start-up and the HTTP server: opens the catalog, index and files, publishes the configured
//! books, and serves HTTP/1.1 with a header-read timeout and a connection limit (axum's own
//! `serve` sets no header timeout, so a slow client could hold a connection for ever).

use crate::library::artifacts::LocalStore;
use crate::library::publish;
use crate::library::state::{AppState, Config};
use anyhow::{Context, Result};
use catalog::Db;
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
            if !db
                .is_current()
                .await
                .with_context(|| format!("{why}, and the catalog cannot be read"))?
            {
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
        crate::library::reindex::open_index(&index_dir)?
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
        Some(reason) => crate::library::reindex::start_rebuild(&state, reason),
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
    if let Err(e) = crate::offline::sync::backfill(&state).await {
        tracing::warn!("the sync log: {e:#}");
    }
    if !rebuilding {
        crate::library::reindex::check(&state);
    }
    crate::offline::watch_changes(&state);
    // Draft builds need to write; a read-only portal leaves its queue for later (or a replica).
    if state.condition().read_only.is_none() {
        crate::workflow::jobs::start(&state);
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
    let published = report.published();
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
///
/// Slow and silent clients cannot take the portal from everyone else:
/// - a client must send its request headers within the header timeout, and when more than
///   three quarters of the connection slots are taken, new connections get a short one;
/// - a response the client does not read makes no progress: after the stall timeout (short
///   under pressure) the connection is dropped, and files are streamed, never held whole;
/// - one address may hold at most a quarter of the slots (a school shares one address, so the
///   share is large; what is over it is closed at once).
pub async fn run(
    state: Arc<AppState>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    let header_timeout = state.config.header_timeout;
    let app = crate::app::router(state);
    let limits = Arc::new(Limits::new(MAX_CONNECTIONS));
    let mut accept_errors = AcceptErrors::default();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = limits.slots.clone().acquire_owned() => p?,
            _ = &mut shutdown => break,
        };
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = &mut shutdown => break,
        };
        let (stream, addr) = match accepted {
            Ok(x) => {
                accept_errors.clear();
                x
            }
            Err(e) => {
                // Out of file descriptors and the like: back off, and say so once in a while.
                let pause = accept_errors.note(&e);
                tokio::time::sleep(pause).await;
                continue;
            }
        };
        let Some(client) = limits.admit(addr.ip()) else {
            // Over this address's share: closed at once, no slot kept.
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let pressed = limits.pressed();
        let (headers_within, stall) = if pressed {
            (
                header_timeout.min(PRESSED_HEADER_TIMEOUT),
                PRESSED_STALL_TIMEOUT,
            )
        } else {
            (header_timeout, STALL_TIMEOUT)
        };
        let service = TowerToHyperService::new(app.clone());
        let limits = limits.clone();
        tokio::spawn(async move {
            let io = StallGuard::new(stream, stall, limits.clone());
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(headers_within)
                .max_buf_size(64 * 1024)
                .serve_connection(TokioIo::new(io), service);
            let _ = conn.await;
            drop(client);
            drop(permit);
        });
    }
    Ok(())
}

/// A response that makes no progress for this long is dropped (the client does not read).
pub const STALL_TIMEOUT: Duration = Duration::from_secs(20);
/// The same when slots run short.
const PRESSED_STALL_TIMEOUT: Duration = Duration::from_secs(4);
/// The header timeout when slots run short.
const PRESSED_HEADER_TIMEOUT: Duration = Duration::from_secs(2);

/// Connection slots, and each address's share of them.
struct Limits {
    slots: Arc<Semaphore>,
    total: usize,
    per_client: usize,
    clients: std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>,
}

impl Limits {
    fn new(total: usize) -> Limits {
        let per_client = std::env::var("KITEP_MAX_CONNECTIONS_PER_CLIENT")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(total / 4)
            .max(1);
        Limits {
            slots: Arc::new(Semaphore::new(total)),
            total,
            per_client,
            clients: Default::default(),
        }
    }

    /// Whether more than three quarters of the slots are taken.
    fn pressed(&self) -> bool {
        self.slots.available_permits() < self.total / 4
    }

    /// Counts a connection from `ip`, unless it is over its share.
    fn admit(self: &Arc<Self>, ip: std::net::IpAddr) -> Option<ClientSlot> {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        let n = clients.entry(ip).or_insert(0);
        if *n >= self.per_client {
            return None;
        }
        *n += 1;
        Some(ClientSlot {
            limits: self.clone(),
            ip,
        })
    }
}

/// One connection counted against its address's share, until dropped.
struct ClientSlot {
    limits: Arc<Limits>,
    ip: std::net::IpAddr,
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut clients = self
            .limits
            .clients
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(n) = clients.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                clients.remove(&self.ip);
            }
        }
    }
}

/// Accept errors (out of file descriptors): a growing pause, and one warning a minute at most.
#[derive(Default)]
struct AcceptErrors {
    in_a_row: u32,
    unreported: u64,
    last_warning: Option<std::time::Instant>,
}

impl AcceptErrors {
    /// Counts one error; returns how long to pause before accepting again.
    fn note(&mut self, e: &std::io::Error) -> Duration {
        self.note_at(e, std::time::Instant::now()).0
    }

    /// The pause, and whether a warning was logged (the clock passed in, for tests).
    fn note_at(&mut self, e: &std::io::Error, now: std::time::Instant) -> (Duration, bool) {
        self.in_a_row = self.in_a_row.saturating_add(1);
        self.unreported += 1;
        let due = self
            .last_warning
            .is_none_or(|t| now.duration_since(t) >= Duration::from_secs(60));
        if due {
            tracing::warn!(
                errors = self.unreported,
                "accepting connections: {e} (out of file descriptors? raise `ulimit -n`)"
            );
            self.unreported = 0;
            self.last_warning = Some(now);
        }
        (Duration::from_millis(50u64 << self.in_a_row.min(5)), due)
    }

    fn clear(&mut self) {
        self.in_a_row = 0;
    }
}

/// A connection whose writes must make progress: a write (or flush) that stays pending for the
/// stall timeout fails, and hyper drops the connection.
struct StallGuard {
    stream: tokio::net::TcpStream,
    stall: Duration,
    limits: Arc<Limits>,
    deadline: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
}

impl StallGuard {
    fn new(stream: tokio::net::TcpStream, stall: Duration, limits: Arc<Limits>) -> StallGuard {
        StallGuard {
            stream,
            stall,
            limits,
            deadline: None,
        }
    }

    /// A write or flush polled: progress stops the clock; pending starts it, or fails when it
    /// has run out.
    fn watch<T>(
        &mut self,
        cx: &mut std::task::Context<'_>,
        polled: std::task::Poll<std::io::Result<T>>,
    ) -> std::task::Poll<std::io::Result<T>> {
        use std::task::Poll;
        if polled.is_ready() {
            self.deadline = None;
            return polled;
        }
        if self.deadline.is_none() {
            let stall = if self.limits.pressed() {
                self.stall.min(PRESSED_STALL_TIMEOUT)
            } else {
                self.stall
            };
            self.deadline = Some(Box::pin(tokio::time::sleep(stall)));
        }
        match self.deadline.as_mut().map(|d| d.as_mut().poll(cx)) {
            Some(Poll::Ready(())) => Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the client stopped reading",
            ))),
            _ => Poll::Pending,
        }
    }
}

impl tokio::io::AsyncRead for StallGuard {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for StallGuard {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let polled = std::pin::Pin::new(&mut self.stream).poll_write(cx, buf);
        self.watch(cx, polled)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let polled = std::pin::Pin::new(&mut self.stream).poll_flush(cx);
        self.watch(cx, polled)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let polled = std::pin::Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.watch(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_out_of_file_descriptors_warns_once_a_minute_and_backs_off() {
        let mut errors = AcceptErrors::default();
        let e = std::io::Error::from_raw_os_error(24);
        let start = std::time::Instant::now();
        let mut warnings = 0;
        let mut pause = Duration::ZERO;
        // A thousand failed accepts within the first minute: one warning, pauses up to 1.6 s.
        for i in 0..1000u64 {
            let (p, warned) = errors.note_at(&e, start + Duration::from_millis(i * 50));
            warnings += usize::from(warned);
            pause = p;
        }
        assert_eq!(warnings, 1);
        assert_eq!(pause, Duration::from_millis(1600));
        // A minute later, the next one is said again (with how many there were).
        assert!(errors.note_at(&e, start + Duration::from_secs(61)).1);
        errors.clear();
        assert_eq!(
            errors.note_at(&e, start + Duration::from_secs(62)).0,
            Duration::from_millis(100)
        );
    }
}
