//! The library index on disk: opened or created (rebuilt when the schema version changed), and
//! books added, replaced or deleted one at a time, each change committed whole or not at all.

use crate::analyzers::{self, FieldKind};
use crate::schema::{self, Fields, SCHEMA_VERSION};
use crate::{Error, Result, langid};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tantivy::columnar::StrColumn;
use tantivy::schema::Facet;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

const VERSION_FILE: &str = "kitep-index.json";
/// Where an index is rebuilt in the current schema before it replaces the old one.
const REBUILD_DIR: &str = ".kitep-rebuild";
/// Written into [`REBUILD_DIR`] once the rebuilt index is committed: from then on it is the index.
const REBUILD_COMPLETE: &str = "complete";
const WRITER_MEMORY: usize = 64 * 1024 * 1024;

/// One passage as `kitep build` writes it in `passages.jsonl`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct PassageRecord {
    pub book: String,
    #[serde(default)]
    pub work: Option<String>,
    #[serde(default)]
    pub edition: Option<String>,
    pub chapter: String,
    #[serde(default)]
    pub chapter_index: usize,
    #[serde(default)]
    pub chapter_title: String,
    #[serde(default)]
    pub anchor: String,
    #[serde(default)]
    pub heading_path: Vec<String>,
    #[serde(default)]
    pub lang: String,
    pub text: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct GlossaryRecord {
    pub term: String,
    pub lang: String,
    #[serde(default)]
    pub equivalents: Vec<(String, String)>,
}

/// A book's metadata as `kitep build` writes it in `book.json` (unknown keys are ignored).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct BookRecord {
    pub slug: String,
    pub title: String,
    pub subtitle: Option<String>,
    pub language: String,
    pub work: Option<String>,
    pub edition: Option<String>,
    pub description: Option<String>,
    pub keywords: Vec<String>,
    pub grades: Vec<u8>,
    pub subject: Option<String>,
    pub material: Option<String>,
    pub license: Option<String>,
    pub publisher: Option<String>,
    pub year: Option<i32>,
    pub contributors: Vec<serde_json::Value>,
    pub cover: Option<String>,
    pub collections: Vec<String>,
    pub glossary: Vec<GlossaryRecord>,
    /// The published version (set by the portal; absent in `kitep build` output).
    pub version: Option<String>,
}

impl BookRecord {
    pub fn authors(&self) -> Vec<String> {
        self.contributors
            .iter()
            .filter(|c| c.get("role").and_then(|r| r.as_str()) == Some("author"))
            .filter_map(|c| c.get("name").and_then(|n| n.as_str()).map(str::to_string))
            .collect()
    }

    /// Facet name and value pairs: `lang ky`, `grade 5`, `subject …`, `material …`,
    /// `license …`, `collection …`, each once.
    pub fn facet_pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![("lang", self.language.clone())];
        for g in &self.grades {
            out.push(("grade", g.to_string()));
        }
        for (name, v) in [
            ("subject", &self.subject),
            ("material", &self.material),
            ("license", &self.license),
        ] {
            if let Some(v) = v {
                out.push((name, v.clone()));
            }
        }
        for c in &self.collections {
            out.push(("collection", c.clone()));
        }
        let mut seen = std::collections::HashSet::new();
        out.retain(|p| seen.insert(p.clone()));
        out
    }

    /// Facets: `/lang/ky`, `/grade/5`, `/subject/…`, `/material/…`, `/license/…`, `/collection/…`.
    pub fn facets(&self) -> Vec<Facet> {
        self.facet_pairs()
            .iter()
            .map(|(name, value)| Facet::from_path([*name, value.as_str()]))
            .collect()
    }
}

/// A built book read back from a `kitep build` output folder.
#[derive(Debug, Clone)]
pub struct BuiltBook {
    pub record: BookRecord,
    pub passages: Vec<PassageRecord>,
}

impl BuiltBook {
    pub fn load(dir: &Path) -> Result<BuiltBook> {
        let read = |name: &str| {
            let p = dir.join(name);
            std::fs::read_to_string(&p).map_err(|e| {
                Error::Input(format!(
                    "{}: {e} (is this a `kitep build` output folder?)",
                    p.display()
                ))
            })
        };
        let record: BookRecord = serde_json::from_str(&read("book.json")?)
            .map_err(|e| Error::Input(format!("{}: {e}", dir.join("book.json").display())))?;
        let mut passages = Vec::new();
        for (i, line) in read("passages.jsonl")?.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let p: PassageRecord = serde_json::from_str(line).map_err(|e| {
                Error::Input(format!(
                    "{}:{}: {e}",
                    dir.join("passages.jsonl").display(),
                    i + 1
                ))
            })?;
            passages.push(p);
        }
        Ok(BuiltBook { record, passages })
    }
}

#[derive(Serialize, Deserialize)]
struct VersionFile {
    schema_version: u32,
}

/// Book metadata and glossaries of one index generation, loaded once and shared by searches.
#[derive(Debug, Default)]
pub struct Catalog {
    pub generation: u64,
    pub books: rustc_hash::FxHashMap<String, std::sync::Arc<BookRecord>>,
    pub glossary: Vec<GlossaryRecord>,
    /// The glossary analysed for query expansion.
    pub glossary_index: crate::query::GlossaryIndex,
    /// The primary language codes of the books (`ky`, `ru`, `uz` …).
    pub languages: std::collections::BTreeSet<String>,
    /// The editions of each work that has more than one (by work id, ordered by language).
    pub editions: rustc_hash::FxHashMap<String, Vec<std::sync::Arc<BookRecord>>>,
    /// Each book's facet pairs (by slug), for counting facets of results.
    pub facets: rustc_hash::FxHashMap<String, Vec<(&'static str, String)>>,
    /// Per segment: the `kind` and `book` fast fields.
    pub segments: rustc_hash::FxHashMap<tantivy::index::SegmentId, std::sync::Arc<SegmentNames>>,
}

/// The `kind` and `book` fast fields of one segment, with their values by ordinal, so grouping
/// results reads no term dictionary.
#[derive(Default)]
pub struct SegmentNames {
    kind: Option<StrColumn>,
    book: Option<StrColumn>,
    kinds: Vec<String>,
    books: Vec<String>,
}

impl std::fmt::Debug for SegmentNames {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SegmentNames({} books)", self.books.len())
    }
}

impl SegmentNames {
    fn load(segment: &tantivy::SegmentReader) -> Result<SegmentNames> {
        let kind = segment.fast_fields().str("kind")?;
        let book = segment.fast_fields().str("book")?;
        Ok(SegmentNames {
            kinds: column_values(kind.as_ref())?,
            books: column_values(book.as_ref())?,
            kind,
            book,
        })
    }

    /// `passage`, `book` or `glossary`.
    pub fn kind(&self, doc: u32) -> &str {
        self.kind
            .as_ref()
            .and_then(|c| c.term_ords(doc).next())
            .and_then(|ord| self.kinds.get(ord as usize))
            .map_or("", String::as_str)
    }

    /// The book's slug.
    pub fn book(&self, doc: u32) -> &str {
        self.book_ord(doc).map_or("", |ord| self.book_name(ord))
    }

    /// The ordinal of the document's book in this segment.
    pub fn book_ord(&self, doc: u32) -> Option<u64> {
        self.book.as_ref().and_then(|c| c.term_ords(doc).next())
    }

    /// How many books this segment has documents of (their ordinals are `0..book_count()`).
    pub fn book_count(&self) -> usize {
        self.books.len()
    }

    /// The slug of a book ordinal of this segment.
    pub fn book_name(&self, ord: u64) -> &str {
        self.books.get(ord as usize).map_or("", String::as_str)
    }
}

/// Every value of a string fast field, in ordinal order.
fn column_values(column: Option<&StrColumn>) -> Result<Vec<String>> {
    let mut out = Vec::new();
    if let Some(col) = column {
        let mut stream = col.dictionary().stream()?;
        while stream.advance() {
            out.push(String::from_utf8_lossy(stream.key()).into_owned());
        }
    }
    Ok(out)
}

/// Small document-store blocks: a result page reads about 30 passages from all over the index,
/// and each read decompresses a whole block (tantivy's default is 16 KB).
fn index_settings() -> tantivy::IndexSettings {
    tantivy::IndexSettings {
        docstore_blocksize: 4096,
        ..Default::default()
    }
}

/// The schema version recorded beside the index in `dir`, if readable.
fn stored_version(dir: &Path) -> Option<u32> {
    let text = std::fs::read_to_string(dir.join(VERSION_FILE)).ok()?;
    serde_json::from_str::<VersionFile>(&text)
        .ok()
        .map(|v| v.schema_version)
}

/// Whether a file name is one tantivy or kitep writes in an index folder: `meta.json`, the
/// managed-files list, lock files, the version file and segment files (`<32 hex digits>.<ext>`,
/// or `<hex>.<opstamp>.del`).
fn is_index_file(name: &str) -> bool {
    if matches!(name, "meta.json" | ".managed.json" | VERSION_FILE) || name.starts_with(".tantivy-")
    {
        return true;
    }
    let Some((stem, _)) = name.split_once('.') else {
        return false;
    };
    stem.len() == 32 && stem.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A file error, naming the file.
fn io(path: &Path, e: std::io::Error) -> Error {
    Error::Input(format!("{}: {e}", path.display()))
}

/// Builds, in `staging`, an index of the current schema holding every book of the old-schema
/// index in `dir`, read back from its stored documents (book records, and passages with their
/// chapters, anchors, headings, languages and text), one book at a time. Returns the number of
/// books. An old index that cannot be read gives an empty new one.
fn rebuild_from_stored(dir: &Path, staging: &Path) -> Result<usize> {
    std::fs::create_dir_all(staging).map_err(|e| io(staging, e))?;
    let new = Library::open_or_create(staging)?;
    let mut writer = new.writer()?;
    let mut books = 0;
    if let Ok(old) = Index::open_in_dir(dir) {
        let reader = old.reader()?;
        let searcher = reader.searcher();
        let schema = old.schema();
        let field = |name: &str| schema.get_field(name).ok();
        let (Some(kind), Some(book_field), Some(_)) = (field("kind"), field("book"), field("meta"))
        else {
            // Not one of ours: nothing to carry over.
            writer.commit_unseen()?;
            return finish_staging(staging, 0);
        };
        let chapter_index = field("chapter_index");
        let str_of = |doc: &TantivyDocument, name: &str| -> String {
            field(name)
                .and_then(|f| doc.get_first(f))
                .and_then(|v| tantivy::schema::Value::as_str(&v).map(str::to_string))
                .unwrap_or_default()
        };
        let addresses = |term: Term| -> Result<Vec<tantivy::DocAddress>> {
            let q = tantivy::query::TermQuery::new(term, tantivy::schema::IndexRecordOption::Basic);
            let mut v: Vec<_> = searcher
                .search(&q, &tantivy::collector::DocSetCollector)?
                .into_iter()
                .collect();
            // Segment and document order is the order the passages were added in.
            v.sort();
            Ok(v)
        };
        for addr in addresses(Term::from_field_text(kind, "book"))? {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let Ok(record) = serde_json::from_str::<BookRecord>(&str_of(&doc, "meta")) else {
                continue;
            };
            let mut passages = Vec::new();
            for addr in addresses(Term::from_field_text(book_field, &record.slug))? {
                let doc: TantivyDocument = searcher.doc(addr)?;
                if str_of(&doc, "kind") != "passage" {
                    continue;
                }
                let heading = str_of(&doc, "heading");
                passages.push(PassageRecord {
                    book: record.slug.clone(),
                    work: record.work.clone(),
                    edition: record.edition.clone(),
                    chapter: str_of(&doc, "chapter"),
                    chapter_index: chapter_index
                        .and_then(|f| doc.get_first(f))
                        .and_then(|v| tantivy::schema::Value::as_u64(&v))
                        .unwrap_or(0) as usize,
                    chapter_title: str_of(&doc, "chapter_title"),
                    anchor: str_of(&doc, "anchor"),
                    heading_path: if heading.is_empty() {
                        Vec::new()
                    } else {
                        heading.split(" › ").map(str::to_string).collect()
                    },
                    lang: str_of(&doc, "lang"),
                    text: str_of(&doc, "text"),
                });
            }
            writer.replace_book(&BuiltBook { record, passages })?;
            books += 1;
        }
    }
    writer.commit_unseen()?;
    drop(new);
    finish_staging(staging, books)
}

/// Marks the staged index complete (from now on it replaces the old one, even after a crash):
/// the marker lists the staged index files.
fn finish_staging(staging: &Path, books: usize) -> Result<usize> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(staging)
        .map_err(|e| io(staging, e))?
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_file() && is_index_file(&name) {
            names.push(name);
        }
    }
    let done = staging.join(REBUILD_COMPLETE);
    std::fs::write(&done, names.join("\n")).map_err(|e| io(&done, e))?;
    Ok(books)
}

/// Replaces the index files of `dir` with the complete index in `staging`, then removes
/// `staging`. Safe to run again after an interruption at any point: files named in the marker
/// are the new index's (moved already, or to be moved over the old ones), every other index
/// file of `dir` is the old index's; the marker goes last.
fn swap_in(dir: &Path, staging: &Path) -> Result<()> {
    let marker = staging.join(REBUILD_COMPLETE);
    let listed = std::fs::read_to_string(&marker).map_err(|e| io(&marker, e))?;
    let new: std::collections::HashSet<&str> = listed.lines().filter(|l| !l.is_empty()).collect();
    for entry in std::fs::read_dir(dir).map_err(|e| io(dir, e))?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let p = entry.path();
        if p.is_file() && is_index_file(&name) && !new.contains(name.as_str()) {
            std::fs::remove_file(&p).map_err(|e| io(&p, e))?;
        }
    }
    // meta.json and the version file last, so that a half-moved index is never taken as whole.
    let mut names: Vec<&str> = new.into_iter().collect();
    names.sort_by_key(|n| {
        (
            *n == "meta.json" || *n == VERSION_FILE,
            *n == VERSION_FILE,
            *n,
        )
    });
    for name in names {
        let from = staging.join(name);
        if from.exists() {
            std::fs::rename(&from, dir.join(name)).map_err(|e| io(&from, e))?;
        }
    }
    std::fs::remove_dir_all(staging).map_err(|e| io(staging, e))
}

/// An open library index.
pub struct Library {
    pub index: Index,
    pub fields: Fields,
    pub reader: IndexReader,
    pub dir: Option<PathBuf>,
    /// Whether opening found an old schema and rebuilt the index in the current one.
    pub rebuilt: bool,
    /// The books that rebuild carried over from the old index's stored documents.
    pub carried_over: usize,
    catalog: std::sync::Mutex<Option<std::sync::Arc<Catalog>>>,
}

impl Library {
    /// Opens the index in `dir`, creating it if needed. An index written with another schema
    /// version is rebuilt in the current one from its own stored documents: every book it held
    /// is indexed again from its stored passages and record (`rebuilt` is set and `carried_over`
    /// counts them), so opening it to add one book loses none of the others. The new index is
    /// written beside the old one and swapped in only when complete: a crash before the swap
    /// leaves the old index, a crash during it is finished on the next open. Only the index's
    /// own files are touched: anything else in the folder is left alone.
    pub fn open(dir: &Path) -> Result<Library> {
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let staging = dir.join(REBUILD_DIR);
        if staging.join(REBUILD_COMPLETE).exists() {
            swap_in(dir, &staging)?;
        } else if staging.exists() {
            // A rebuild that did not finish: the old index is still whole; start it again.
            std::fs::remove_dir_all(&staging).map_err(|e| io(&staging, e))?;
        }
        let mut rebuilt = false;
        let mut carried_over = 0;
        if dir.join("meta.json").exists() && stored_version(dir) != Some(SCHEMA_VERSION) {
            carried_over = rebuild_from_stored(dir, &staging)?;
            swap_in(dir, &staging)?;
            rebuilt = true;
        }
        let mut library = Self::open_or_create(dir)?;
        library.rebuilt = rebuilt;
        library.carried_over = carried_over;
        Ok(library)
    }

    /// Opens the current-schema index in `dir`, or creates an empty one.
    fn open_or_create(dir: &Path) -> Result<Library> {
        let version_path = dir.join(VERSION_FILE);
        let (schema, fields) = schema::build();
        let index = if dir.join("meta.json").exists() {
            Index::open_in_dir(dir)?
        } else {
            let index = Index::builder()
                .schema(schema)
                .settings(index_settings())
                .create_in_dir(dir)?;
            std::fs::write(
                &version_path,
                serde_json::to_string(&VersionFile {
                    schema_version: SCHEMA_VERSION,
                })
                .expect("serialises"),
            )
            .map_err(|e| io(&version_path, e))?;
            index
        };
        Self::finish(index, fields, Some(dir.to_path_buf()), false)
    }

    /// Opens an existing index for reading (search, suggestions) without changing anything on
    /// disk: no index, or one written with another schema version, is a clear error.
    pub fn open_existing(dir: &Path) -> Result<Library> {
        if !dir.join("meta.json").exists() {
            return Err(Error::Input(format!(
                "{} is not an index (create one with `kitep index BUILD_DIR... --index {}`)",
                dir.display(),
                dir.display()
            )));
        }
        match stored_version(dir) {
            Some(SCHEMA_VERSION) => {}
            found => {
                let found =
                    found.map_or_else(|| "an unknown".to_string(), |v| format!("version {v}"));
                return Err(Error::Input(format!(
                    "{} holds an index with {found} schema; this kitep reads version \
                     {SCHEMA_VERSION}. Rebuild it with `kitep index BUILD_DIR... --index {}` \
                     (the portal rebuilds its own index at start-up)",
                    dir.display(),
                    dir.display()
                )));
            }
        }
        let (_, fields) = schema::build();
        let index = Index::open_in_dir(dir)?;
        Self::finish(index, fields, Some(dir.to_path_buf()), false)
    }

    /// Opens an existing index on a file system that cannot be written (a full disk, read-only
    /// media): like `open_existing`, but taking no lock files, which cannot be created there.
    /// Only for when nothing else writes the index.
    pub fn open_read_only(dir: &Path) -> Result<Library> {
        let existing = Self::open_existing(dir);
        if existing.is_ok() {
            return existing;
        }
        let (_, fields) = schema::build();
        let mmap = tantivy::directory::MmapDirectory::open(dir)
            .map_err(|e| Error::Input(format!("{}: {e}", dir.display())))?;
        let index = Index::open(ReadOnlyDirectory(mmap))?;
        Self::finish(index, fields, Some(dir.to_path_buf()), false)
    }

    /// An index in memory (evaluations, tests).
    pub fn in_memory() -> Result<Library> {
        let (schema, fields) = schema::build();
        let index = Index::builder()
            .schema(schema)
            .settings(index_settings())
            .create_in_ram()?;
        Self::finish(index, fields, None, false)
    }

    fn finish(
        index: Index,
        fields: Fields,
        dir: Option<PathBuf>,
        rebuilt: bool,
    ) -> Result<Library> {
        analyzers::register(&index);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .doc_store_cache_num_blocks(256)
            .try_into()?;
        Ok(Library {
            index,
            fields,
            reader,
            dir,
            rebuilt,
            carried_over: 0,
            catalog: std::sync::Mutex::new(None),
        })
    }

    /// The one writer of this index. A second process gets a clear "locked" error.
    pub fn writer(&self) -> Result<LibraryWriter<'_>> {
        let writer = self
            .index
            .writer_with_num_threads(1, WRITER_MEMORY)
            .map_err(|e| match e {
                tantivy::TantivyError::LockFailure(..) => Error::Locked,
                other => Error::Tantivy(other),
            })?;
        Ok(LibraryWriter {
            library: self,
            writer,
        })
    }

    /// The books and glossaries of the searcher's generation (reloaded after each commit).
    pub fn catalog(&self, searcher: &tantivy::Searcher) -> Result<std::sync::Arc<Catalog>> {
        let generation = searcher.generation().generation_id();
        let mut slot = self.catalog.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = slot.as_ref()
            && c.generation == generation
        {
            return Ok(c.clone());
        }
        let f = &self.fields;
        let mut catalog = Catalog {
            generation,
            ..Default::default()
        };
        for kind in ["book", "glossary"] {
            let q = tantivy::query::TermQuery::new(
                Term::from_field_text(f.kind, kind),
                tantivy::schema::IndexRecordOption::Basic,
            );
            for addr in searcher.search(&q, &tantivy::collector::DocSetCollector)? {
                let doc: TantivyDocument = searcher.doc(addr)?;
                let meta = doc
                    .get_first(f.meta)
                    .and_then(|v| tantivy::schema::Value::as_str(&v))
                    .unwrap_or("");
                if kind == "book" {
                    if let Ok(b) = serde_json::from_str::<BookRecord>(meta) {
                        catalog.facets.insert(b.slug.clone(), b.facet_pairs());
                        catalog.books.insert(b.slug.clone(), std::sync::Arc::new(b));
                    }
                } else if let Ok(g) = serde_json::from_str::<GlossaryRecord>(meta) {
                    catalog.glossary.push(g);
                }
            }
        }
        for b in catalog.books.values() {
            catalog
                .languages
                .insert(crate::analyzers::primary(&b.language).to_string());
            if let Some(w) = &b.work {
                catalog
                    .editions
                    .entry(w.clone())
                    .or_default()
                    .push(b.clone());
            }
        }
        catalog.editions.retain(|_, v| v.len() > 1);
        for v in catalog.editions.values_mut() {
            v.sort_by(|a, b| {
                a.language
                    .cmp(&b.language)
                    .then_with(|| a.slug.cmp(&b.slug))
            });
        }
        catalog.glossary_index = crate::query::GlossaryIndex::new(&catalog.glossary);
        for segment in searcher.segment_readers() {
            catalog.segments.insert(
                segment.segment_id(),
                std::sync::Arc::new(SegmentNames::load(segment)?),
            );
        }
        let catalog = std::sync::Arc::new(catalog);
        *slot = Some(catalog.clone());
        Ok(catalog)
    }

    pub fn reload(&self) -> Result<()> {
        self.reader.reload()?;
        Ok(())
    }
}

pub struct LibraryWriter<'a> {
    library: &'a Library,
    writer: IndexWriter,
}

impl LibraryWriter<'_> {
    /// Replaces everything indexed for this book (a new version) with these passages.
    pub fn replace_book(&mut self, book: &BuiltBook) -> Result<usize> {
        let f = &self.library.fields;
        let slug = &book.record.slug;
        if slug.is_empty() {
            return Err(Error::Input("book.json has no slug".into()));
        }
        self.delete_book(slug);
        let facets = book.record.facets();
        let year = book.record.year.unwrap_or(0).max(0) as u64;
        let title_key = book.record.title.to_lowercase();
        let common = |doc: &mut TantivyDocument, kind: &str| {
            doc.add_text(f.kind, kind);
            doc.add_text(f.book, slug);
            if let Some(w) = &book.record.work {
                doc.add_text(f.work, w);
            }
            for facet in &facets {
                doc.add_facet(f.facets, facet.clone());
            }
            doc.add_u64(f.year, year);
            doc.add_text(f.title_key, &title_key);
        };
        // The book itself: title, subtitle, authors, keywords and description are searchable.
        let mut doc = TantivyDocument::default();
        common(&mut doc, "book");
        doc.add_text(f.lang, &book.record.language);
        doc.add_text(
            f.meta,
            serde_json::to_string(&book.record).expect("serialises"),
        );
        let mut meta_text = vec![book.record.title.clone()];
        meta_text.extend(book.record.subtitle.iter().cloned());
        meta_text.extend(book.record.authors());
        meta_text.extend(book.record.keywords.iter().cloned());
        meta_text.extend(book.record.description.iter().cloned());
        let meta_text = meta_text.join("\n");
        add_analyzed(&mut doc, f, &book.record.language, &meta_text);
        doc.add_text(f.text, &meta_text);
        self.writer.add_document(doc)?;
        for p in &book.passages {
            let mut doc = TantivyDocument::default();
            common(&mut doc, "passage");
            let lang = passage_language(p, &book.record.language);
            doc.add_text(f.lang, &lang);
            doc.add_text(f.chapter, &p.chapter);
            doc.add_u64(f.chapter_index, p.chapter_index as u64);
            doc.add_text(f.chapter_title, &p.chapter_title);
            doc.add_text(f.anchor, &p.anchor);
            doc.add_text(f.heading, p.heading_path.join(" › "));
            doc.add_text(f.text, &p.text);
            add_analyzed(&mut doc, f, &lang, &p.text);
            self.writer.add_document(doc)?;
        }
        for g in &book.record.glossary {
            let mut doc = TantivyDocument::default();
            doc.add_text(f.kind, "glossary");
            doc.add_text(f.book, slug);
            doc.add_text(f.meta, serde_json::to_string(g).expect("serialises"));
            self.writer.add_document(doc)?;
        }
        Ok(book.passages.len())
    }

    pub fn delete_book(&mut self, slug: &str) {
        self.writer
            .delete_term(Term::from_field_text(self.library.fields.book, slug));
    }

    /// Makes every change since the last commit visible at once; before it, readers see the old index.
    pub fn commit(self) -> Result<()> {
        let library = self.library;
        self.commit_unseen()?;
        library.reload()
    }

    /// Commits to disk without reloading the library's reader: searches keep seeing the previous
    /// commit until [`Library::reload`] (the portal reloads together with its catalog).
    pub fn commit_unseen(mut self) -> Result<()> {
        self.writer.commit()?;
        let _ = self.writer.garbage_collect_files().wait();
        self.writer.wait_merging_threads()?;
        Ok(())
    }

    /// Merges every committed segment into one (fewer segments, faster queries; for small
    /// libraries after a batch of changes). The reader is not reloaded.
    pub fn merge_all(mut self) -> Result<()> {
        let ids = self.library.index.searchable_segment_ids()?;
        if ids.len() > 1 {
            self.writer.merge(&ids).wait()?;
        }
        let _ = self.writer.garbage_collect_files().wait();
        self.writer.wait_merging_threads()?;
        Ok(())
    }

    /// Adds a bare passage (evaluation collections: one sentence a passage).
    pub fn add_plain(&mut self, book: &str, id: &str, lang: &str, text: &str) -> Result<()> {
        let f = &self.library.fields;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.kind, "passage");
        doc.add_text(f.book, book);
        doc.add_text(f.anchor, id);
        doc.add_text(f.lang, lang);
        doc.add_text(f.text, text);
        add_analyzed(&mut doc, f, lang, text);
        self.writer.add_document(doc)?;
        Ok(())
    }
}

/// Analysed here, once per normalisation and with the word cache, and handed to tantivy
/// encoded (see [`analyzers::encoded_for`]): the analysis runs beside tantivy's indexing thread
/// instead of inside it.
fn add_analyzed(doc: &mut TantivyDocument, f: &Fields, lang: &str, text: &str) {
    let kinds = FieldKind::for_language(lang);
    for (kind, encoded) in kinds.iter().zip(analyzers::encoded_for(kinds, text)) {
        doc.add_text(f.analyzed(*kind), encoded);
    }
}

/// Declared metadata wins; a passage without a language gets one from the identifier.
fn passage_language(p: &PassageRecord, book_lang: &str) -> String {
    let declared = if p.lang.is_empty() {
        book_lang
    } else {
        p.lang.as_str()
    };
    if !declared.is_empty() && declared != langid::UNDETERMINED {
        return declared.to_string();
    }
    langid::detect(&p.text).lang.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_books() -> Vec<BuiltBook> {
        let passage = |book: &str, i: usize, text: &str| PassageRecord {
            book: book.into(),
            work: None,
            edition: None,
            chapter: format!("ch{}", i / 2),
            chapter_index: i / 2,
            chapter_title: format!("Бөлүм {}", i / 2),
            anchor: format!("p{i}"),
            heading_path: vec!["Бөлүм".into(), format!("Сабак {i}")],
            lang: String::new(),
            text: text.into(),
        };
        let book = |slug: &str, lang: &str, texts: &[&str]| BuiltBook {
            record: BookRecord {
                slug: slug.into(),
                title: format!("Китеп {slug}"),
                language: lang.into(),
                grades: vec![5],
                glossary: vec![GlossaryRecord {
                    term: "бөлчөк".into(),
                    lang: "ky".into(),
                    equivalents: vec![("ru".into(), "дробь".into())],
                }],
                ..Default::default()
            },
            passages: texts
                .iter()
                .enumerate()
                .map(|(i, t)| passage(slug, i, t))
                .collect(),
        };
        vec![
            book(
                "ky-math",
                "ky",
                &["Бөлчөктөрдү кошуу.", "Окуучулар китеп окушат.", "Сандар."],
            ),
            book("ru-math", "ru", &["Сложение дробей.", "Ученики читают."]),
        ]
    }

    /// What a reader of the index sees of its books: each book's record and its passages'
    /// anchor, heading, language and text, in order.
    type Contents = Vec<(BookRecord, Vec<(String, String, String, String)>)>;

    fn contents(lib: &Library) -> Contents {
        let searcher = lib.reader.searcher();
        let catalog = lib.catalog(&searcher).unwrap();
        let mut out = Vec::new();
        let mut slugs: Vec<&String> = catalog.books.keys().collect();
        slugs.sort();
        for slug in slugs {
            let q = tantivy::query::TermQuery::new(
                Term::from_field_text(lib.fields.book, slug),
                tantivy::schema::IndexRecordOption::Basic,
            );
            let mut addrs: Vec<_> = searcher
                .search(&q, &tantivy::collector::DocSetCollector)
                .unwrap()
                .into_iter()
                .collect();
            addrs.sort();
            let mut passages = Vec::new();
            for a in addrs {
                let d: TantivyDocument = searcher.doc(a).unwrap();
                let get = |f| {
                    d.get_first(f)
                        .and_then(|v| tantivy::schema::Value::as_str(&v).map(str::to_string))
                        .unwrap_or_default()
                };
                if get(lib.fields.kind) == "passage" {
                    passages.push((
                        get(lib.fields.anchor),
                        get(lib.fields.heading),
                        get(lib.fields.lang),
                        get(lib.fields.text),
                    ));
                }
            }
            out.push(((*catalog.books[slug]).clone(), passages));
        }
        out
    }

    /// An index of the two books in `dir`, marked as written by kitep with schema version 1.
    fn old_index(dir: &Path) -> Contents {
        let lib = Library::open(dir).unwrap();
        let mut w = lib.writer().unwrap();
        for b in two_books() {
            w.replace_book(&b).unwrap();
        }
        w.commit().unwrap();
        let before = contents(&lib);
        assert_eq!(before.len(), 2);
        drop(lib);
        std::fs::write(dir.join(VERSION_FILE), r#"{"schema_version":1}"#).unwrap();
        before
    }

    fn finds(lib: &Library, query: &str) -> Vec<String> {
        let r = crate::search(
            lib,
            &crate::SearchRequest {
                query: query.into(),
                per_page: 10,
                ..Default::default()
            },
        )
        .unwrap();
        r.books.iter().map(|b| b.book.slug.clone()).collect()
    }

    #[test]
    fn an_old_schema_is_rebuilt_with_its_books_on_open_and_refused_for_reading() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let before = old_index(dir);
        // The librarian keeps notes in the same folder.
        std::fs::write(dir.join("my-notes.txt"), "do not lose me").unwrap();
        std::fs::create_dir(dir.join("backups")).unwrap();

        // Reading refuses, says what to do, and changes nothing.
        let err = Library::open_existing(dir)
            .err()
            .expect("old schema refused");
        let msg = err.to_string();
        assert!(
            msg.contains("version 1") && msg.contains("kitep index"),
            "{msg}"
        );
        assert_eq!(
            std::fs::read_to_string(dir.join(VERSION_FILE)).unwrap(),
            r#"{"schema_version":1}"#
        );

        // Opening for writing rebuilds the index in the current schema with every book it held,
        // and keeps what is not the index's.
        let lib = Library::open(dir).unwrap();
        assert!(lib.rebuilt);
        assert_eq!(lib.carried_over, 2);
        assert_eq!(contents(&lib), before);
        assert_eq!(finds(&lib, "окуучу"), ["ky-math"]);
        let mut by_glossary = finds(&lib, "дробь");
        by_glossary.sort();
        assert_eq!(by_glossary, ["ky-math", "ru-math"], "the glossary too");
        assert_eq!(
            std::fs::read_to_string(dir.join("my-notes.txt")).unwrap(),
            "do not lose me"
        );
        assert!(dir.join("backups").is_dir());
        assert!(!dir.join(REBUILD_DIR).exists());
        assert_eq!(stored_version(dir), Some(SCHEMA_VERSION));
        drop(lib);
        let lib = Library::open(dir).unwrap();
        assert!(!lib.rebuilt, "rebuilt once");
        drop(lib);
        assert!(Library::open_existing(dir).is_ok());
        let missing = Library::open_existing(&dir.join("nowhere")).err().unwrap();
        assert!(missing.to_string().contains("is not an index"), "{missing}");
        assert!(!dir.join("nowhere").exists());
    }

    #[test]
    fn a_rebuild_interrupted_at_any_point_loses_no_book() {
        // Before the rebuilt index was complete: the old index is whole and is rebuilt again.
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let before = old_index(dir);
        let staging = dir.join(REBUILD_DIR);
        std::fs::create_dir_all(&staging).unwrap();
        std::fs::write(staging.join("meta.json"), "half written").unwrap();
        let lib = Library::open(dir).unwrap();
        assert_eq!((lib.rebuilt, lib.carried_over), (true, 2));
        assert_eq!(contents(&lib), before);
        drop(lib);

        // Complete but swapped in only in part: old files deleted, some new ones moved.
        for moved in [0, 1, 3, usize::MAX] {
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path();
            let before = old_index(dir);
            let staging = dir.join(REBUILD_DIR);
            assert_eq!(rebuild_from_stored(dir, &staging).unwrap(), 2);
            let listed = std::fs::read_to_string(staging.join(REBUILD_COMPLETE)).unwrap();
            let mut names: Vec<&str> = listed.lines().collect();
            names.sort_by_key(|n| (*n == "meta.json" || *n == VERSION_FILE, *n));
            if moved > 0 {
                for e in std::fs::read_dir(dir).unwrap().flatten() {
                    let n = e.file_name().to_string_lossy().into_owned();
                    if e.path().is_file() && is_index_file(&n) && !names.contains(&n.as_str()) {
                        std::fs::remove_file(e.path()).unwrap();
                    }
                }
            }
            for n in names.iter().take(moved) {
                std::fs::rename(staging.join(n), dir.join(n)).unwrap();
            }
            let lib = Library::open(dir).unwrap();
            assert_eq!(
                contents(&lib),
                before,
                "{moved} files moved before the crash"
            );
            assert!(!staging.exists());
        }
    }

    #[test]
    fn index_files_are_told_from_other_files() {
        for name in [
            "meta.json",
            ".managed.json",
            ".tantivy-writer.lock",
            "kitep-index.json",
            "0123456789abcdef0123456789abcdef.idx",
            "0123456789abcdef0123456789abcdef.12.del",
        ] {
            assert!(is_index_file(name), "{name}");
        }
        for name in ["my-notes.txt", "meta.json.bak", "README", "abc.idx"] {
            assert!(!is_index_file(name), "{name}");
        }
    }
}

/// An index folder that cannot be written: reads go to the files, lock files are not created.
#[derive(Debug, Clone)]
struct ReadOnlyDirectory(tantivy::directory::MmapDirectory);

impl tantivy::Directory for ReadOnlyDirectory {
    fn get_file_handle(
        &self,
        path: &Path,
    ) -> std::result::Result<
        std::sync::Arc<dyn tantivy::directory::FileHandle>,
        tantivy::directory::error::OpenReadError,
    > {
        self.0.get_file_handle(path)
    }
    fn delete(
        &self,
        path: &Path,
    ) -> std::result::Result<(), tantivy::directory::error::DeleteError> {
        self.0.delete(path)
    }
    fn exists(
        &self,
        path: &Path,
    ) -> std::result::Result<bool, tantivy::directory::error::OpenReadError> {
        self.0.exists(path)
    }
    fn open_write(
        &self,
        path: &Path,
    ) -> std::result::Result<tantivy::directory::WritePtr, tantivy::directory::error::OpenWriteError>
    {
        self.0.open_write(path)
    }
    fn atomic_read(
        &self,
        path: &Path,
    ) -> std::result::Result<Vec<u8>, tantivy::directory::error::OpenReadError> {
        self.0.atomic_read(path)
    }
    fn atomic_write(&self, path: &Path, data: &[u8]) -> std::io::Result<()> {
        self.0.atomic_write(path, data)
    }
    fn sync_directory(&self) -> std::io::Result<()> {
        Ok(())
    }
    fn acquire_lock(
        &self,
        _lock: &tantivy::directory::Lock,
    ) -> std::result::Result<tantivy::directory::DirectoryLock, tantivy::directory::error::LockError>
    {
        // Nothing writes here, so nothing can delete files under a reader.
        Ok(tantivy::directory::DirectoryLock::from(Box::new(())))
    }
    fn watch(
        &self,
        callback: tantivy::directory::WatchCallback,
    ) -> tantivy::Result<tantivy::directory::WatchHandle> {
        self.0.watch(callback)
    }
}
