//! Publishing: a book folder becomes a new version in the artifact store, the search index and the
//! catalog, and then, all at once, what the portal serves. The order makes a crash harmless:
//! files first (unreferenced until the catalog names them), then the index, then the catalog in one
//! transaction; at start-up `reconcile` puts the index back in line with the catalog, and files of
//! versions the catalog does not name are removed.

use crate::library::state::AppState;
use anyhow::{Context, Result, anyhow, bail};
use authoring::pipeline;
use authoring::pipeline::{BuildOptions, Formats};
use catalog::{CollectionRow, NewVersion, PassageRow};
use formats::assets::AssetSet;
use formats::doc::LinkResolver;
use formats::{CompiledBook, reader};
use indexer::BuiltBook;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering;

/// `library.toml` beside the books of a library folder: the librarian's collections.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LibraryFile {
    #[serde(default, rename = "collection")]
    pub collections: Vec<CollectionDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectionDef {
    pub slug: String,
    pub title: BTreeMap<String, String>,
    #[serde(default)]
    pub description: BTreeMap<String, String>,
    #[serde(default)]
    pub books: Vec<String>,
}

impl LibraryFile {
    pub fn load(path: &Path) -> Result<LibraryFile> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let file: LibraryFile =
            toml::from_str(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
        for c in &file.collections {
            if !crate::library::artifacts::is_safe_name(&c.slug) {
                bail!(
                    "{}: collection slug '{}' must be letters, digits and '-'",
                    path.display(),
                    c.slug
                );
            }
        }
        Ok(file)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Published { slug: String, version: String },
    Unchanged { slug: String },
}

/// A folder named by `--books`: a folder with `book.toml` is one book; any other folder is a
/// library whose sub-folders with `book.toml` are books, with an optional `library.toml`.
pub fn expand(d: &Path) -> Result<(Vec<PathBuf>, Vec<CollectionDef>)> {
    if d.join("book.toml").is_file() {
        return Ok((vec![d.to_path_buf()], Vec::new()));
    }
    let entries = std::fs::read_dir(d)
        .with_context(|| format!("--books {}: not a book or library folder", d.display()))?;
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("book.toml").is_file())
        .collect();
    found.sort();
    if found.is_empty() {
        bail!(
            "--books {}: no book.toml there nor in its sub-folders",
            d.display()
        );
    }
    let lib = d.join("library.toml");
    let collections = if lib.is_file() {
        LibraryFile::load(&lib)?.collections
    } else {
        Vec::new()
    };
    Ok((found, collections))
}

pub fn collection_rows(defs: &[CollectionDef]) -> Vec<CollectionRow> {
    defs.iter()
        .map(|c| CollectionRow {
            slug: c.slug.clone(),
            titles: serde_json::to_string(&c.title).unwrap_or_default(),
            descriptions: serde_json::to_string(&c.description).unwrap_or_default(),
            books: c.books.clone(),
            featured: false,
        })
        .collect()
}

/// Each book's collections, from the stored collections.
pub async fn memberships(state: &Arc<AppState>) -> Result<HashMap<String, Vec<String>>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for c in state.db.collections().await? {
        for b in c.books {
            out.entry(b).or_default().push(c.slug.clone());
        }
    }
    Ok(out)
}

/// What publishing a set of folders did.
#[derive(Debug, Default)]
pub struct PublishReport {
    /// One per book that could be built: published, or unchanged.
    pub outcomes: Vec<Outcome>,
    /// What could not be published, each naming the folder and saying why.
    pub failures: Vec<String>,
    /// The folders gone through to the end (each book published, unchanged or failed).
    pub finished: Vec<PathBuf>,
}

impl PublishReport {
    pub fn published(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| matches!(o, Outcome::Published { .. }))
            .count()
    }
}

/// Publishes every book (unchanged ones are skipped) and stores the collections. A book that
/// cannot be published is reported and skipped: the others are published all the same.
pub async fn publish_all(state: &Arc<AppState>, dirs: &[PathBuf]) -> PublishReport {
    let mut report = PublishReport::default();
    let fail = |report: &mut PublishReport, message: String| {
        tracing::error!("not published: {message}");
        report.failures.push(message);
    };
    if let Some(why) = state.condition().read_only {
        fail(&mut report, format!("{why}; publishing is off"));
        return report;
    }
    let mut books = Vec::new();
    let mut collections = Vec::new();
    let mut seen = Vec::new();
    for d in dirs {
        match expand(d) {
            Ok((b, c)) => {
                books.extend(b);
                collections.extend(c);
            }
            Err(e) => fail(&mut report, format!("{e:#}")),
        }
        seen.push(d.clone());
    }
    // library.toml seeds a fresh library's collections; after that they are the librarians'.
    let fresh = state
        .db
        .collections()
        .await
        .map(|c| c.is_empty())
        .unwrap_or(false);
    if !collections.is_empty()
        && fresh
        && let Err(e) = state
            .db
            .set_collections(&collection_rows(&collections))
            .await
    {
        fail(&mut report, format!("storing the collections: {e:#}"));
    }
    let members = match memberships(state).await {
        Ok(m) => m,
        Err(e) => {
            fail(&mut report, format!("reading the collections: {e:#}"));
            HashMap::new()
        }
    };
    for b in &books {
        match publish_book(state, b, &members).await {
            Ok(o) => report.outcomes.push(o),
            Err(e) => fail(&mut report, format!("{e:#}")),
        }
    }
    // Collections may have changed without any book changing: bring the index in line.
    if let Err(e) = reconcile(state).await {
        fail(&mut report, format!("updating the search index: {e:#}"));
    }
    if report.published() > 0 {
        // One segment instead of one per book: fewer term dictionaries to open per query.
        let st = state.clone();
        let merged = tokio::task::spawn_blocking(move || {
            let library = st.library();
            library.writer()?.merge_all()
        })
        .await;
        if let Ok(Err(e)) = merged {
            tracing::warn!("merging the index's segments: {e}");
        }
    }
    if let Err(e) = state.refresh().await {
        fail(&mut report, format!("refreshing the library: {e:#}"));
    }
    report.finished = seen;
    report
}

/// A fingerprint of everything in the book folder (paths and contents), to skip unchanged books.
pub fn source_hash(dir: &Path) -> Result<String> {
    let mut files = Vec::new();
    collect_files(dir, dir, &mut files, 0)?;
    files.sort();
    let mut h = crate::library::Fnv::default();
    for rel in files {
        h.write(rel.as_bytes());
        h.write(&[0]);
        h.write(&std::fs::read(dir.join(&rel)).with_context(|| format!("reading {rel}"))?);
    }
    Ok(format!("{:016x}", h.finish()))
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<String>, depth: usize) -> Result<()> {
    if depth > 16 {
        return Ok(());
    }
    for e in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let e = e?;
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with('.') {
            continue;
        }
        let ft = e.file_type()?;
        if ft.is_dir() {
            collect_files(root, &e.path(), out, depth + 1)?;
        } else if ft.is_file() {
            let rel = e.path();
            let rel = rel.strip_prefix(root).unwrap_or(&rel);
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

fn new_version_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    format!(
        "{ms}-{}",
        COUNTER.fetch_add(1, Ordering::Relaxed) % 1_000_000
    )
}

/// Links of chapter pages inside the portal: chapters under `/read/`, images from the version's files.
struct PortalLinks<'a> {
    book: &'a CompiledBook,
    assets: &'a AssetSet,
    version: &'a str,
}

impl LinkResolver for PortalLinks<'_> {
    fn chapter(&self, index: usize, fragment: &str) -> String {
        let name = self.book.names.get(index).map(String::as_str).unwrap_or("");
        let mut url = format!("/read/{}/{}", self.book.slug, name);
        if !fragment.is_empty() {
            url.push('#');
            url.push_str(&formats::url::encode_href(fragment));
        }
        url
    }

    fn asset(&self, path: &str) -> String {
        format!(
            "/files/{}/{}/html/{}",
            self.book.slug,
            self.version,
            self.assets.path_of(path)
        )
    }
}

/// The portal's chapter fragments: `portal/<chapter>.html`, the compiler's chapter content with
/// links into the portal.
fn write_portal_pages(
    book: &CompiledBook,
    assets: &AssetSet,
    dir: &Path,
    version: &str,
) -> Result<(), String> {
    let out = dir.join("portal");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let links = PortalLinks {
        book,
        assets,
        version,
    };
    for (i, name) in book.names.iter().enumerate().take(book.chapters.len()) {
        let html = reader::chapter_content(book, i, &links);
        let p = out.join(format!("{name}.html"));
        std::fs::write(&p, html).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    Ok(())
}

/// Publishes one book folder as a new version, unless its sources are unchanged.
/// How a book comes to be published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A folder given at start-up (`--books`): skipped when this very source was ever published
    /// (so a restart never puts a folder's old text over a version published from the portal).
    Folder,
    /// An approved revision published from the portal: skipped only when it is the current one.
    Portal,
}

pub async fn publish_book(
    state: &Arc<AppState>,
    dir: &Path,
    members: &HashMap<String, Vec<String>>,
) -> Result<Outcome> {
    publish_book_from(state, dir, members, Source::Folder).await
}

pub async fn publish_book_from(
    state: &Arc<AppState>,
    dir: &Path,
    members: &HashMap<String, Vec<String>>,
    source: Source,
) -> Result<Outcome> {
    let d = dir.to_path_buf();
    let (slug, hash) = tokio::task::spawn_blocking(move || -> Result<(String, String)> {
        let project = corpus::BookProject::load(&d).map_err(|e| anyhow!("{}: {e}", d.display()))?;
        Ok((project.slug.clone(), source_hash(&d)?))
    })
    .await??;
    let _one_at_a_time = state.publish_lock.lock().await;
    let unchanged = match source {
        Source::Folder => state.db.ever_published(&slug, &hash).await?,
        Source::Portal => {
            state.db.current_source_hash(&slug).await?.as_deref() == Some(hash.as_str())
        }
    };
    if unchanged {
        keep_sources_of_current(state, dir, &slug, &hash).await;
        return Ok(Outcome::Unchanged { slug });
    }
    let version = new_version_id();
    let staging = state.store.staging(&version)?;
    let (d, st, v) = (dir.to_path_buf(), staging.clone(), version.clone());
    let built = tokio::task::spawn_blocking(move || -> Result<BuiltBook> {
        let opts = BuildOptions {
            formats: Formats::parse("epub,html,passages").map_err(|e| anyhow!(e))?,
            ..Default::default()
        };
        let extra = |b: &CompiledBook, a: &AssetSet, out: &Path| write_portal_pages(b, a, out, &v);
        pipeline::build_with(&d, &st, &opts, &|_, _, _| {}, &extra)
            .map_err(|e| anyhow!("{}: {e}", d.display()))?;
        crate::library::covers::add_raster_cover(&st);
        Ok(BuiltBook::load(&st)?)
    })
    .await?;
    let mut built = match built {
        Ok(b) => b,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    if built.record.slug != slug {
        let _ = std::fs::remove_dir_all(&staging);
        bail!(
            "{}: the build's slug {} differs from the book's {slug}",
            dir.display(),
            built.record.slug
        );
    }
    built.record.version = Some(version.clone());
    built.record.collections = members.get(&slug).cloned().unwrap_or_default();
    // The sources travel with the version: school servers sync them and build the book there.
    let sources = match crate::offline::sync::copy_sources(dir, &staging.join("source")) {
        Ok(f) => f,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e.context(format!("{}: keeping the sources", dir.display())));
        }
    };
    let manifest = std::fs::read_to_string(staging.join("book.json"))?;
    let new = new_version(&built, &version, &hash, &manifest, &staging);
    state.store.commit(&staging, &slug, &version)?;

    let (b, st) = (built.clone(), state.clone());
    let indexed = tokio::task::spawn_blocking(move || -> Result<()> {
        let library = st.library();
        let mut w = library.writer()?;
        w.replace_book(&b)?;
        // Searches keep the previous version until the catalog commits and the snapshot swaps.
        w.commit_unseen()?;
        Ok(())
    })
    .await?;
    if let Err(e) = indexed {
        let _ = state.store.remove(&slug, &version);
        return Err(e.context(format!("indexing {slug}")));
    }
    if let Err(e) = state.db.publish(&new).await {
        // The index has the new version but the catalog does not: put the old one back.
        let _ = state.store.remove(&slug, &version);
        let _ = reconcile(state).await;
        return Err(e.context(format!("storing {slug} in the catalog")));
    }
    // The sync log: a failure here is repaired at the next start (`sync::backfill`).
    if let Err(e) =
        crate::offline::sync::record_publish(state, &built.record, &version, &sources).await
    {
        tracing::warn!(book = %slug, "logging the publish for school servers: {e:#}");
    }
    state.refresh().await?;
    remove_old_versions(state, &slug).await;
    tracing::info!(book = %slug, %version, passages = built.passages.len(), "published");
    Ok(Outcome::Published { slug, version })
}

/// A version published before versions kept their sources (or whose sources were lost) gets
/// them from its unchanged folder, and the sync log its publish: school servers can sync it.
async fn keep_sources_of_current(state: &Arc<AppState>, dir: &Path, slug: &str, hash: &str) {
    let Some(book) = state.snapshot().book(slug).cloned() else {
        return;
    };
    let Some(vdir) = state.store.local_dir(slug, &book.version) else {
        return;
    };
    if vdir.join("source").exists() {
        return;
    }
    // Only the folder the current version was built from (not an older text published once).
    let current = state.db.current_source_hash(slug).await.ok().flatten();
    if current.as_deref() != Some(hash) {
        return;
    }
    let tmp = vdir.join(format!(".source-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let kept = crate::offline::sync::copy_sources(dir, &tmp)
        .and_then(|files| Ok((std::fs::rename(&tmp, vdir.join("source"))?, files)));
    match kept {
        Ok(((), files)) => {
            let mut record = book.record.clone();
            record.slug = slug.to_string();
            if let Err(e) =
                crate::offline::sync::record_publish(state, &record, &book.version, &files).await
            {
                tracing::warn!(book = %slug, "logging the publish for school servers: {e:#}");
            }
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            tracing::warn!(book = %slug, "keeping the sources for school servers: {e:#}");
        }
    }
}

fn new_version(
    built: &BuiltBook,
    version: &str,
    hash: &str,
    manifest: &str,
    dir: &Path,
) -> NewVersion {
    let r = &built.record;
    let m: crate::library::state::Manifest = serde_json::from_str(manifest).unwrap_or_default();
    let epub_file = format!("{}.epub", r.slug);
    let epub_bytes = std::fs::metadata(dir.join(&epub_file))
        .map(|m| m.len() as i64)
        .unwrap_or(0);
    let mut assets = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir.join("html/images")) {
        for e in entries.flatten() {
            let bytes = e.metadata().map(|m| m.len() as i64).unwrap_or(0);
            assets.push((
                format!("html/images/{}", e.file_name().to_string_lossy()),
                bytes,
            ));
        }
    }
    assets.sort();
    NewVersion {
        id: version.to_string(),
        slug: r.slug.clone(),
        work: r.work.clone().unwrap_or_else(|| r.slug.clone()),
        language: r.language.clone(),
        published_at: catalog::now(),
        source_hash: hash.to_string(),
        title: r.title.clone(),
        subtitle: r.subtitle.clone(),
        subject: r.subject.clone(),
        material: r.material.clone(),
        licence: r.license.clone(),
        organisation: r.publisher.clone(),
        year: r.year.map(i64::from),
        words: m.words as i64,
        epub_file: (epub_bytes > 0).then_some(epub_file),
        epub_bytes,
        grades: r.grades.iter().map(|g| i64::from(*g)).collect(),
        chapters: m
            .chapters
            .iter()
            .map(|c| (c.name.clone(), c.title.clone()))
            .collect(),
        passages: built
            .passages
            .iter()
            .map(|p| PassageRow {
                chapter_position: p.chapter_index as i64,
                anchor: p.anchor.clone(),
                heading: p.heading_path.join(" › "),
                language: p.lang.clone(),
                body: p.text.clone(),
            })
            .collect(),
        assets,
        record: serde_json::to_string(r).unwrap_or_default(),
        manifest: manifest.to_string(),
        changelog: String::new(),
        published_by: None,
    }
}

/// Keeps the current and the previous version's files (a download that started before a publish
/// can finish); older ones go.
async fn remove_old_versions(state: &Arc<AppState>, slug: &str) {
    let Ok(known) = state.db.versions_of(slug).await else {
        return;
    };
    let keep: Vec<&String> = known.iter().take(2).map(|(id, _)| id).collect();
    if let Ok(stored) = state.store.versions(slug) {
        for v in stored {
            if !keep.contains(&&v) {
                let _ = state.store.remove(slug, &v);
            }
        }
    }
}

/// Brings the index and the files in line with the catalog: each current version indexed with
/// its collections (re-indexed from its stored files if not), books the catalog does not have
/// removed from the index, and files of versions the catalog never committed removed.
pub async fn reconcile(state: &Arc<AppState>) -> Result<usize> {
    let current = state.db.current_versions().await?;
    let members = memberships(state).await?;
    // What the index holds now (its last commit), read through the library's own reader so the
    // cached catalog matches the generation.
    let library = state.library();
    library.reload()?;
    let searcher = library.reader.searcher();
    let indexed = library.catalog(&searcher)?;
    let mut todo = Vec::new();
    for v in &current {
        let want_cols = members.get(&v.slug).cloned().unwrap_or_default();
        let ok = indexed.books.get(&v.slug).is_some_and(|r| {
            r.version.as_deref() == Some(v.id.as_str()) && r.collections == want_cols
        });
        if !ok {
            todo.push((v.clone(), want_cols));
        }
    }
    let stale: Vec<String> = indexed
        .books
        .keys()
        .filter(|s| !current.iter().any(|v| &v.slug == *s))
        .cloned()
        .collect();
    let fixed = todo.len() + stale.len();
    if fixed > 0 {
        let mut books = Vec::new();
        for (v, cols) in todo {
            let Some(dir) = state.store.local_dir(&v.slug, &v.id) else {
                continue;
            };
            match BuiltBook::load(&dir) {
                Ok(mut b) => {
                    b.record.version = Some(v.id.clone());
                    b.record.collections = cols;
                    books.push(b);
                }
                Err(e) => tracing::error!(book = %v.slug, "cannot re-index: {e}"),
            }
        }
        let st = state.clone();
        let n = books.len();
        tokio::task::spawn_blocking(move || -> Result<()> {
            let library = st.library();
            let mut w = library.writer()?;
            for b in &books {
                w.replace_book(b)?;
            }
            for s in &stale {
                w.delete_book(s);
            }
            w.commit_unseen()?;
            Ok(())
        })
        .await??;
        tracing::info!(reindexed = n, "index brought in line with the catalog");
    }
    // Files of versions the catalog does not know (a publish that died before its commit).
    for slug in state.store.slugs().unwrap_or_default() {
        let known: Vec<String> = state
            .db
            .versions_of(&slug)
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        for v in state.store.versions(&slug).unwrap_or_default() {
            if !known.contains(&v) {
                let _ = state.store.remove(&slug, &v);
            }
        }
    }
    // Make the commit visible to searches (refresh swaps the snapshot with it).
    Ok(fixed)
}
