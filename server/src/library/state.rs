//! What the portal serves from: the catalog database, the search index, the artifact store, and an
//! in-memory snapshot of the published library that is swapped whole after each publish (readers
//! see the old library or the new one, never half of each).

use crate::library::artifacts::ArtifactStore;
use catalog::{Db, StoredVersion};
use indexer::Library;
use indexer::library::BookRecord;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub addr: String,
    pub database_url: String,
    /// Book folders or library folders (folders of books, with an optional `library.toml`).
    pub books: Vec<PathBuf>,
    /// The portal's address as others see it (sitemap, robots.txt, OPDS search template).
    pub public_url: String,
    /// A client must send its request headers within this time.
    pub header_timeout: std::time::Duration,
}

/// `book.json` as the build writes it (the parts the portal uses).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Manifest {
    pub chapters: Vec<ChapterInfo>,
    pub words: usize,
    pub cover: Option<String>,
    pub cover_thumbnail: Option<String>,
    /// PNG renderings of an SVG cover, made at publish (e-reader apps need a raster image).
    pub cover_raster: Option<String>,
    pub cover_thumbnail_raster: Option<String>,
    pub identifier: String,
    pub isbn: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ChapterInfo {
    pub name: String,
    pub title: String,
    pub lang: Option<String>,
    pub words: usize,
    pub headings: Vec<HeadingInfo>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct HeadingInfo {
    pub level: u8,
    pub id: String,
    pub text: String,
}

/// One published edition, at its current version.
#[derive(Debug, Clone)]
pub struct Book {
    pub slug: String,
    pub version: String,
    pub published_at: i64,
    pub record: BookRecord,
    pub manifest: Manifest,
    pub epub_file: Option<String>,
    pub epub_bytes: i64,
}

impl Book {
    pub fn from_stored(v: &StoredVersion) -> Option<Book> {
        let record: BookRecord = serde_json::from_str(&v.record).ok()?;
        let manifest: Manifest = serde_json::from_str(&v.manifest).ok()?;
        Some(Book {
            slug: v.slug.clone(),
            version: v.id.clone(),
            published_at: v.published_at,
            record,
            manifest,
            epub_file: v.epub_file.clone(),
            epub_bytes: v.epub_bytes,
        })
    }

    pub fn chapter(&self, name: &str) -> Option<(usize, &ChapterInfo)> {
        self.manifest
            .chapters
            .iter()
            .enumerate()
            .find(|(_, c)| c.name == name)
    }

    /// The cover thumbnail's URL (versioned, so cached for good).
    pub fn thumbnail_url(&self) -> Option<String> {
        self.manifest
            .cover_thumbnail
            .as_deref()
            .map(|p| self.reader_file_url(p))
    }

    /// The cover as a raster image (PNG or JPEG), for apps that cannot show SVG.
    pub fn raster_cover_url(&self) -> Option<String> {
        self.manifest
            .cover_raster
            .as_deref()
            .or(self.manifest.cover.as_deref().filter(|c| !is_svg(c)))
            .map(|p| self.reader_file_url(p))
    }

    pub fn raster_thumbnail_url(&self) -> Option<String> {
        self.manifest
            .cover_thumbnail_raster
            .as_deref()
            .or(self
                .manifest
                .cover_thumbnail
                .as_deref()
                .filter(|c| !is_svg(c)))
            .map(|p| self.reader_file_url(p))
    }

    pub fn cover_url(&self) -> Option<String> {
        self.manifest
            .cover
            .as_deref()
            .map(|p| self.reader_file_url(p))
    }

    /// A file of this version's web reader (images), by its path in the reader folder.
    fn reader_file_url(&self, rel: &str) -> String {
        format!("/files/{}/{}/html/{rel}", self.slug, self.version)
    }

    pub fn work(&self) -> &str {
        self.record.work.as_deref().unwrap_or(&self.slug)
    }
}

fn is_svg(path: &str) -> bool {
    path.to_ascii_lowercase().ends_with(".svg")
}

#[derive(Debug, Clone, Default)]
pub struct Collection {
    pub slug: String,
    pub titles: BTreeMap<String, String>,
    pub descriptions: BTreeMap<String, String>,
    pub books: Vec<String>,
    /// Shown on the home page (when none is, all are).
    pub featured: bool,
}

/// Text in the reader's language, else English, Kyrgyz, Russian, else any.
pub fn pick<'a>(texts: &'a BTreeMap<String, String>, lang: &str, fallback: &'a str) -> &'a str {
    [lang, "en", "ky", "ru"]
        .iter()
        .find_map(|l| texts.get(*l))
        .or_else(|| texts.values().next())
        .map(String::as_str)
        .unwrap_or(fallback)
}

impl Collection {
    pub fn title(&self, lang: &str) -> &str {
        pick(&self.titles, lang, &self.slug)
    }
    pub fn description(&self, lang: &str) -> &str {
        pick(&self.descriptions, lang, "")
    }
}

/// The published library at one moment.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Newest first.
    pub books: Vec<Arc<Book>>,
    pub by_slug: HashMap<String, Arc<Book>>,
    pub collections: Vec<Collection>,
    /// Changes whenever anything published changes (ETags of pages that list books).
    pub generation: u64,
    /// Withdrawn editions and why: their pages answer 410 with the reason.
    pub withdrawn: HashMap<String, String>,
}

impl Snapshot {
    pub fn build(versions: &[StoredVersion], collections: Vec<Collection>) -> Snapshot {
        let books: Vec<Arc<Book>> = versions
            .iter()
            .filter_map(Book::from_stored)
            .map(Arc::new)
            .collect();
        let by_slug = books.iter().map(|b| (b.slug.clone(), b.clone())).collect();
        let mut h = crate::library::Fnv::default();
        for b in &books {
            h.write(b.version.as_bytes());
        }
        for c in &collections {
            h.write(c.slug.as_bytes());
            for b in &c.books {
                h.write(b.as_bytes());
            }
            for t in c.titles.values().chain(c.descriptions.values()) {
                h.write(t.as_bytes());
            }
        }
        Snapshot {
            books,
            by_slug,
            collections,
            generation: h.finish(),
            withdrawn: HashMap::new(),
        }
    }

    pub fn book(&self, slug: &str) -> Option<&Arc<Book>> {
        self.by_slug.get(slug)
    }

    /// The other language editions of the same work.
    pub fn editions_of(&self, book: &Book) -> Vec<Arc<Book>> {
        let mut out: Vec<Arc<Book>> = self
            .books
            .iter()
            .filter(|b| b.slug != book.slug && b.work() == book.work())
            .cloned()
            .collect();
        out.sort_by(|a, b| a.record.language.cmp(&b.record.language));
        out
    }

    pub fn collection(&self, slug: &str) -> Option<&Collection> {
        self.collections.iter().find(|c| c.slug == slug)
    }

    pub fn collections_of(&self, slug: &str) -> Vec<&Collection> {
        self.collections
            .iter()
            .filter(|c| c.books.iter().any(|b| b == slug))
            .collect()
    }

    /// The books of a collection that are published, in the curator's order.
    pub fn books_in(&self, c: &Collection) -> Vec<Arc<Book>> {
        c.books
            .iter()
            .filter_map(|s| self.by_slug.get(s).cloned())
            .collect()
    }

    /// Distinct values with their book counts, for browsing: grades, subjects, languages.
    pub fn grades(&self) -> Vec<(u8, usize)> {
        let mut m: BTreeMap<u8, usize> = BTreeMap::new();
        for b in &self.books {
            for g in &b.record.grades {
                *m.entry(*g).or_default() += 1;
            }
        }
        m.into_iter().collect()
    }

    pub fn subjects(&self) -> Vec<(String, usize)> {
        count(self.books.iter().filter_map(|b| b.record.subject.clone()))
    }

    pub fn languages(&self) -> Vec<(String, usize)> {
        count(self.books.iter().map(|b| b.record.language.clone()))
    }

    /// Books matching a browse filter: `grade`, `subject`, `lang`, `collection`.
    pub fn filter(&self, key: &str, value: &str) -> Option<Vec<Arc<Book>>> {
        let keep: &dyn Fn(&Book) -> bool = match key {
            "collection" => return self.collection(value).map(|c| self.books_in(c)),
            "grade" => &|b| {
                value
                    .parse::<u8>()
                    .is_ok_and(|g| b.record.grades.contains(&g))
            },
            "subject" => &|b| b.record.subject.as_deref() == Some(value),
            "lang" => &|b| b.record.language == value,
            _ => return None,
        };
        Some(self.books.iter().filter(|b| keep(b)).cloned().collect())
    }
}

fn count(values: impl Iterator<Item = String>) -> Vec<(String, usize)> {
    let mut m: BTreeMap<String, usize> = BTreeMap::new();
    for v in values {
        *m.entry(v).or_default() += 1;
    }
    m.into_iter().collect()
}

/// What is wrong with the portal now: said by `/health`, in the log, and on the pages it affects.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Condition {
    /// Why the data folder cannot be written (a full disk, a read-only mount): the portal serves
    /// what it has, and publishing is refused.
    pub read_only: Option<String>,
    /// Why the search index is being rebuilt from the catalog; searches may miss books meanwhile.
    pub index_rebuilding: Option<String>,
    /// The index is being checked after an error (its files' checksums).
    pub index_checking: bool,
    /// Book folders that could not be published at the last start, each with the reason.
    pub publish_failures: Vec<String>,
}

impl Condition {
    pub fn healthy(&self) -> bool {
        self.read_only.is_none() && self.index_rebuilding.is_none()
    }
}

pub struct AppState {
    pub config: Config,
    pub db: Db,
    /// The search index; replaced whole when a damaged index has been rebuilt.
    library: RwLock<Arc<Library>>,
    pub store: Box<dyn ArtifactStore>,
    condition: RwLock<Condition>,
    snapshot: RwLock<Arc<Snapshot>>,
    /// One publish at a time.
    pub publish_lock: tokio::sync::Mutex<()>,
    /// Searches run on blocking threads, at most four per core at once (`KITEP_SEARCH_THREADS`);
    /// the rest wait in turn (first come, first served) instead of crowding the cores.
    search_slots: tokio::sync::Semaphore,
    /// Woken when a build job is queued (the worker also looks every few seconds, for jobs queued
    /// by another replica).
    pub jobs_queued: tokio::sync::Notify,
    /// The key the sync log is signed with (read or made at first use).
    pub sync_key: std::sync::OnceLock<Arc<crate::offline::sign::SecretKey>>,
}

impl AppState {
    pub fn new(
        config: Config,
        db: Db,
        library: Library,
        store: Box<dyn ArtifactStore>,
    ) -> AppState {
        AppState {
            config,
            db,
            library: RwLock::new(Arc::new(library)),
            store,
            condition: RwLock::new(Condition::default()),
            snapshot: RwLock::new(Arc::new(Snapshot::default())),
            publish_lock: tokio::sync::Mutex::new(()),
            search_slots: tokio::sync::Semaphore::new(
                std::env::var("KITEP_SEARCH_THREADS")
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(4 * std::thread::available_parallelism().map_or(2, |n| n.get())),
            ),
            jobs_queued: tokio::sync::Notify::new(),
            sync_key: std::sync::OnceLock::new(),
        }
    }

    /// Runs CPU-bound work (a search) off the async threads, within the search slots.
    pub async fn cpu<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&AppState) -> T + Send + 'static,
    ) -> anyhow::Result<T> {
        let _slot = self.search_slots.acquire().await?;
        let st = self.clone();
        Ok(tokio::task::spawn_blocking(move || f(&st)).await?)
    }

    /// The search index in use.
    pub fn library(&self) -> Arc<Library> {
        self.library
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Puts a rebuilt index in place of the current one.
    pub fn replace_library(&self, library: Library) {
        *self.library.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(library);
    }

    pub fn condition(&self) -> Condition {
        self.condition
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Changes the condition; returns what `change` returns.
    pub fn update_condition<T>(&self, change: impl FnOnce(&mut Condition) -> T) -> T {
        change(&mut self.condition.write().unwrap_or_else(|p| p.into_inner()))
    }

    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Reads the catalog and makes it what the portal serves, together with the index's newest
    /// commit.
    pub async fn refresh(&self) -> anyhow::Result<()> {
        let versions = self.db.current_versions().await?;
        let collections = self
            .db
            .collections()
            .await?
            .into_iter()
            .map(|c| Collection {
                slug: c.slug,
                titles: serde_json::from_str(&c.titles).unwrap_or_default(),
                descriptions: serde_json::from_str(&c.descriptions).unwrap_or_default(),
                books: c.books,
                featured: c.featured,
            })
            .collect();
        let mut snap = Snapshot::build(&versions, collections);
        snap.withdrawn = self.db.withdrawn().await?.into_iter().collect();
        let snap = Arc::new(snap);
        let mut slot = self.snapshot.write().unwrap_or_else(|p| p.into_inner());
        self.library().reload()?;
        *slot = snap;
        Ok(())
    }
}

/// The state every handler shares.
pub type Shared = Arc<AppState>;
