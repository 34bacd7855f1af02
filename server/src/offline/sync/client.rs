//! The school's side: `kitep sync --from URL|DIR`.
//!
//! Every event of the log is checked against the trusted key before anything is applied; a
//! book's files are downloaded into `DATA/sync/partial/` (resumed where a cut left them), checked
//! against their SHA-256 and only then moved into `DATA/sync/blobs/`; the book is assembled from
//! blobs and published through the portal's own atomic publish. A sync that is cut leaves the
//! books it applied and none half-applied; the log position advances only past what was done.

use super::source::{self, RateLimit, Refused, Source};
use super::{EventDoc, FileRef, check_doc, hex};
use crate::library::publish::{self, Outcome};
use crate::library::state::AppState;
use crate::offline::sign::PublicKey;
use anyhow::{Context, Result, anyhow, bail};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Pages of the log read in one run at most (a log that never ends is cut there; the next run
/// goes on from where this one stopped).
const MAX_PAGES: usize = 200;
/// Attempts per file; waits double from [`FIRST_WAIT`] up to [`LONGEST_WAIT`].
const ATTEMPTS: u32 = 12;
const FIRST_WAIT: Duration = Duration::from_millis(100);
const LONGEST_WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Default)]
pub struct SyncOptions {
    /// A portal's address or an export folder.
    pub from: String,
    pub collections: Vec<String>,
    pub languages: Vec<String>,
    /// Lowest and highest grade.
    pub grades: Option<(u8, u8)>,
    /// The portal's public key (a key file's text or its base64 line); otherwise the key trusted
    /// at the first sync from this source.
    pub key: Option<String>,
    /// Bytes per second at most.
    pub max_rate: Option<u64>,
}

#[derive(Debug, Default)]
pub struct SyncReport {
    pub source: String,
    pub published: Vec<String>,
    pub unchanged: Vec<String>,
    pub withdrawn: Vec<String>,
    pub restored: Vec<String>,
    /// Books of the log outside the chosen selection.
    pub not_selected: usize,
    pub failures: Vec<String>,
    /// Bytes received for files, and files taken from earlier syncs instead.
    pub bytes: u64,
    pub files_fetched: usize,
    pub files_reused: usize,
    /// The log position now applied.
    pub position: i64,
    /// Set when the key was trusted on this first sync.
    pub new_key: Option<String>,
}

pub fn open_source(from: &str) -> Result<Box<dyn Source>> {
    if from.starts_with("http://") || from.starts_with("https://") {
        Ok(Box::new(source::Http::new(from)?))
    } else {
        Ok(Box::new(source::Dir::new(Path::new(from))?))
    }
}

fn matches(doc: &EventDoc, o: &SyncOptions) -> bool {
    let lang = indexer::analyzers::primary(&doc.language);
    (o.languages.is_empty()
        || o.languages
            .iter()
            .any(|l| indexer::analyzers::primary(l) == lang))
        && o.grades
            .is_none_or(|(lo, hi)| doc.grades.iter().any(|g| (lo..=hi).contains(g)))
        && (o.collections.is_empty() || doc.collections.iter().any(|c| o.collections.contains(c)))
}

struct Dirs {
    blobs: PathBuf,
    partial: PathBuf,
    staging: PathBuf,
}

fn dirs(state: &AppState) -> Result<Dirs> {
    let root = state.config.data_dir.join("sync");
    let d = Dirs {
        blobs: root.join("blobs"),
        partial: root.join("partial"),
        staging: root.join("staging"),
    };
    for p in [&d.blobs, &d.partial, &d.staging] {
        std::fs::create_dir_all(p).with_context(|| format!("creating {}", p.display()))?;
    }
    Ok(d)
}

fn sha256_of(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h)?;
    Ok(hex(&h.finalize()))
}

/// One file into the blob store: resumed, retried with growing waits, checked by hash. An
/// attempt that brought bytes starts the waits over; only attempts that bring none count.
fn fetch_file(src: &dyn Source, f: &FileRef, d: &Dirs, rate: &mut RateLimit) -> Result<bool> {
    let blob = d.blobs.join(&f.sha256);
    if std::fs::metadata(&blob).is_ok_and(|m| m.len() == f.size) {
        return Ok(false);
    }
    let partial = d.partial.join(format!("{}.part", f.sha256));
    let mut wait = FIRST_WAIT;
    let mut idle = 0;
    let mut damaged = 0;
    loop {
        let before = std::fs::metadata(&partial).map(|m| m.len()).unwrap_or(0);
        let result = src.fetch(f, &partial, rate);
        let have = std::fs::metadata(&partial).map(|m| m.len()).unwrap_or(0);
        if let Err(e) = &result
            && e.downcast_ref::<Refused>().is_some()
        {
            let _ = std::fs::remove_file(&partial);
            return result.map(|_| false);
        }
        if have >= f.size && result.is_ok() {
            let got = sha256_of(&partial)?;
            if got == f.sha256 {
                std::fs::rename(&partial, &blob)?;
                return Ok(true);
            }
            let _ = std::fs::remove_file(&partial);
            damaged += 1;
            if damaged >= 2 {
                return Err(Refused(format!(
                    "{}: the file received is damaged (its SHA-256 is {got}, the signed document says {}): refused",
                    f.path, f.sha256
                ))
                .into());
            }
            continue;
        }
        if have > before {
            wait = FIRST_WAIT;
            idle = 0;
        } else {
            idle += 1;
            if idle >= ATTEMPTS {
                return Err(match result {
                    Err(e) => e.context(format!("{}: gave up after {ATTEMPTS} attempts", f.path)),
                    Ok(_) => anyhow!(
                        "{}: {have} of {} bytes received after {ATTEMPTS} attempts",
                        f.path,
                        f.size
                    ),
                });
            }
        }
        std::thread::sleep(wait);
        wait = (wait * 2).min(LONGEST_WAIT);
    }
}

/// The book's folder, assembled from blobs (linked where the file system allows).
fn assemble(doc: &EventDoc, d: &Dirs) -> Result<PathBuf> {
    // The folder is named after the book: a book.toml without a slug takes the folder's name.
    let dir = d
        .staging
        .join(std::process::id().to_string())
        .join(&doc.slug);
    let _ = std::fs::remove_dir_all(&dir);
    for f in &doc.files {
        super::check_path(&f.path)?;
        let target = dir.join(&f.path);
        if let Some(p) = target.parent() {
            std::fs::create_dir_all(p)?;
        }
        let blob = d.blobs.join(&f.sha256);
        if std::fs::hard_link(&blob, &target).is_err() {
            std::fs::copy(&blob, &target)?;
        }
    }
    Ok(dir)
}

/// Reads and checks the whole log after `since` (every signature before anything is applied).
fn read_log(src: &dyn Source, key: &PublicKey, since: i64) -> Result<(Vec<(i64, EventDoc)>, i64)> {
    let mut out = Vec::new();
    let mut at = since;
    for _ in 0..MAX_PAGES {
        let page = src.changes(at)?;
        for e in &page.events {
            if e.seq <= at {
                bail!(
                    "{}: the log goes backwards (event {} after {at}): refused",
                    src.name(),
                    e.seq
                );
            }
            key.verify(e.doc.as_bytes(), &e.signature).map_err(|err| {
                Refused(format!(
                    "{}: event {} is not signed by the trusted key ({err}): nothing was applied",
                    src.name(),
                    e.seq
                ))
            })?;
            let doc: EventDoc = serde_json::from_str(&e.doc).map_err(|err| {
                anyhow!(
                    "{}: event {} is not a sync document ({err})",
                    src.name(),
                    e.seq
                )
            })?;
            check_doc(&doc).map_err(|err| {
                Refused(format!(
                    "{}: event {} ({}): {err:#}: nothing was applied",
                    src.name(),
                    e.seq,
                    doc.slug
                ))
            })?;
            at = e.seq;
            out.push((e.seq, doc));
        }
        if !page.more || page.events.is_empty() {
            break;
        }
    }
    Ok((out, at))
}

/// Applies the log of `opts.from` to this library.
pub async fn sync(state: &Arc<AppState>, opts: &SyncOptions) -> Result<SyncReport> {
    if let Some(why) = state.condition().read_only {
        bail!("{why}: cannot sync into a library that cannot be written");
    }
    let src: Arc<dyn Source> = Arc::from(open_source(&opts.from)?);
    let name = src.name();
    let mut report = SyncReport {
        source: name.clone(),
        ..Default::default()
    };
    let s = src.clone();
    let offered = tokio::task::spawn_blocking(move || s.key()).await??;
    let offered = PublicKey::parse(&offered)
        .with_context(|| format!("{name}: its sync key is not a minisign public key"))?;
    let stored = state.db.sync_source(&name).await?;
    let trusted = match (&opts.key, &stored) {
        (Some(k), _) => {
            let text = if Path::new(k).is_file() {
                std::fs::read_to_string(k).with_context(|| format!("reading the key {k}"))?
            } else {
                k.clone()
            };
            PublicKey::parse(&text).context("--key")?
        }
        (None, Some((k, _))) => PublicKey::parse(k).context("the key trusted at the first sync")?,
        (None, None) => {
            report.new_key = Some(offered.id_hex());
            offered.clone()
        }
    };
    if offered != trusted {
        bail!(
            "{name} signs with key {}, not the trusted key {}: nothing was applied (if the portal's key really changed, give the new one with --key)",
            offered.id_hex(),
            trusted.id_hex()
        );
    }
    let since = stored.as_ref().map(|s| s.1).unwrap_or(0);
    let (s, k) = (src.clone(), trusted.clone());
    let (events, end) = tokio::task::spawn_blocking(move || read_log(&*s, &k, since)).await??;
    // The last event of each book is what counts; books in the order of their last events. The
    // last publish is kept too: a book published, withdrawn and restored before this school's
    // first sync comes in through it.
    let mut last: BTreeMap<String, (i64, EventDoc)> = BTreeMap::new();
    let mut published: BTreeMap<String, EventDoc> = BTreeMap::new();
    for (seq, doc) in events {
        if doc.kind == "publish" {
            published.insert(doc.slug.clone(), doc.clone());
        }
        last.insert(doc.slug.clone(), (seq, doc));
    }
    let mut todo: Vec<(i64, EventDoc)> = last.into_values().collect();
    todo.sort_by_key(|(seq, _)| *seq);
    let d = Arc::new(dirs(state)?);
    let members = publish::memberships(state).await?;
    let rate = Arc::new(std::sync::Mutex::new(RateLimit::new(opts.max_rate)));
    let mut first_failed: Option<i64> = None;
    for (seq, doc) in todo {
        let had = state.db.synced_book(&doc.slug).await?;
        if had.as_ref().is_some_and(|h| h.at >= doc.at) {
            continue; // applied already (or a replayed older document)
        }
        // What to apply: the event, or for a restored book new here, its last publish.
        let applied = match (doc.kind.as_str(), &had) {
            ("restore", None) => match published.get(&doc.slug) {
                Some(p) => p,
                None => continue,
            },
            _ => &doc,
        };
        let outcome = match applied.kind.as_str() {
            "publish" if !matches(applied, opts) => {
                report.not_selected += 1;
                continue;
            }
            "publish" => {
                apply_publish(state, &src, applied, &d, &rate, &members, &mut report).await
            }
            _ if had.is_none() => continue, // not a book this school took from here
            _ => apply_withdrawal(state, applied, &mut report).await,
        };
        match outcome {
            Ok(()) => {
                let files = serde_json::to_string(&applied.files)?;
                state
                    .db
                    .set_synced_book(
                        &doc.slug,
                        &catalog::SyncedBook {
                            source: name.clone(),
                            at: doc.at,
                            kind: applied.kind.clone(),
                            files,
                        },
                    )
                    .await?;
            }
            Err(e) => {
                first_failed.get_or_insert(seq);
                report.failures.push(format!("{}: {e:#}", doc.slug));
            }
        }
    }
    report.bytes = rate.lock().map(|r| r.total()).unwrap_or(0);
    // The log is applied up to the first book that failed; the next sync tries it again.
    report.position = match first_failed {
        Some(seq) => (seq - 1).max(since),
        None => end,
    };
    state
        .db
        .set_sync_source(&name, &trusted.to_file(), report.position)
        .await?;
    remove_unused_blobs(state, &d).await;
    Ok(report)
}

async fn apply_publish(
    state: &Arc<AppState>,
    src: &Arc<dyn Source>,
    doc: &EventDoc,
    d: &Arc<Dirs>,
    rate: &Arc<std::sync::Mutex<RateLimit>>,
    members: &std::collections::HashMap<String, Vec<String>>,
    report: &mut SyncReport,
) -> Result<()> {
    let (s, dd, r, files) = (src.clone(), d.clone(), rate.clone(), doc.files.clone());
    let (fetched, reused) = tokio::task::spawn_blocking(move || -> Result<(usize, usize)> {
        let mut rate = r.lock().map_err(|_| anyhow!("rate limit poisoned"))?;
        let (mut fetched, mut reused) = (0, 0);
        for f in &files {
            if fetch_file(&*s, f, &dd, &mut rate)? {
                fetched += 1;
            } else {
                reused += 1;
            }
        }
        Ok((fetched, reused))
    })
    .await??;
    report.files_fetched += fetched;
    report.files_reused += reused;
    let dir = assemble(doc, d)?;
    let published = publish::publish_book_from(state, &dir, members, publish::Source::Portal).await;
    let _ = std::fs::remove_dir_all(&dir);
    if let Some(parent) = dir.parent() {
        let _ = std::fs::remove_dir(parent);
    }
    match published? {
        Outcome::Published { slug, .. } => report.published.push(slug),
        Outcome::Unchanged { slug } => report.unchanged.push(slug),
    }
    // A book withdrawn here before comes back with its new version.
    if state.snapshot().withdrawn.contains_key(&doc.slug) {
        set_withdrawn(state, &doc.slug, None).await?;
    }
    Ok(())
}

async fn set_withdrawn(state: &Arc<AppState>, slug: &str, reason: Option<&str>) -> Result<bool> {
    crate::workflow::review::withdraw_as(state, slug, reason, "sync from the national portal").await
}

async fn apply_withdrawal(
    state: &Arc<AppState>,
    doc: &EventDoc,
    report: &mut SyncReport,
) -> Result<()> {
    if state.snapshot().book(&doc.slug).is_none()
        && !state.snapshot().withdrawn.contains_key(&doc.slug)
    {
        return Ok(());
    }
    match doc.kind.as_str() {
        "withdraw" => {
            let reason = doc
                .reason
                .as_deref()
                .unwrap_or("withdrawn by the national portal");
            if set_withdrawn(state, &doc.slug, Some(reason)).await? {
                report.withdrawn.push(doc.slug.clone());
            }
        }
        _ => {
            if set_withdrawn(state, &doc.slug, None).await? {
                report.restored.push(doc.slug.clone());
            }
        }
    }
    Ok(())
}

/// Blobs no synced book uses any more (older versions' files) are removed.
async fn remove_unused_blobs(state: &AppState, d: &Dirs) {
    let Ok(books) = state.db.synced_books().await else {
        return;
    };
    let mut keep = std::collections::HashSet::new();
    for (_, b) in books {
        if let Ok(files) = serde_json::from_str::<Vec<FileRef>>(&b.files) {
            keep.extend(files.into_iter().map(|f| f.sha256));
        }
    }
    if let Ok(entries) = std::fs::read_dir(&d.blobs) {
        for e in entries.flatten() {
            if !keep.contains(&*e.file_name().to_string_lossy()) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

/// Syncs inside a running portal: now, then every `every` (`kitep serve --sync-from URL`).
/// Each run is logged; a failed run is tried again at the next turn.
pub fn schedule(state: &Arc<AppState>, opts: SyncOptions, every: Duration) {
    let st = state.clone();
    tokio::spawn(async move {
        loop {
            match sync(&st, &opts).await {
                Ok(r) => tracing::info!(
                    from = %r.source,
                    published = r.published.len(),
                    withdrawn = r.withdrawn.len(),
                    failed = r.failures.len(),
                    bytes = r.bytes,
                    position = r.position,
                    "synced"
                ),
                Err(e) => tracing::error!("sync from {}: {e:#}", opts.from),
            }
            tokio::time::sleep(every).await;
        }
    });
}
