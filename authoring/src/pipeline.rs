//! The build pipeline: load the book, compile it, process images, render the outputs, and move
//! them into place.
//!
//! One rule for problems: errors in the content (a missing image, a broken link, bad math) are
//! mended and reported, the outputs are written so the author can look, and the report counts
//! the errors (`kitep build` exits 1). Errors that leave no book to write (an unusable
//! `book.toml`, a chapter that cannot be read or is refused by a limit) write nothing and keep
//! the previous output. With `strict`, warnings count as errors and any problem writes nothing.

use corpus::{BookProject, Diagnostic, source};
use formats::assets::{self, AssetSet, ImageCache, ImageStats};
use formats::{CompiledBook, epub, passages, reader};
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Images larger than this on disk are refused before decoding.
const MAX_IMAGE_FILE_BYTES: u64 = 20 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Formats {
    pub epub: bool,
    pub html: bool,
    pub passages: bool,
    /// The print edition, `OUT/<slug>.pdf`: typeset by the caller (the `print` crate, through
    /// [`build_with`]'s extra output), so this crate stays free of the typesetter.
    pub pdf: bool,
}

impl Default for Formats {
    fn default() -> Self {
        Formats {
            epub: true,
            html: true,
            passages: true,
            pdf: false,
        }
    }
}

impl Formats {
    /// Parses `epub,html,passages,pdf` (any subset).
    pub fn parse(list: &str) -> Result<Formats, String> {
        let mut f = Formats {
            epub: false,
            html: false,
            passages: false,
            pdf: false,
        };
        for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part {
                "epub" => f.epub = true,
                "html" => f.html = true,
                "passages" => f.passages = true,
                "pdf" => f.pdf = true,
                other => {
                    return Err(format!(
                        "unknown format '{other}' (choose from epub, html, passages, pdf)"
                    ));
                }
            }
        }
        if !(f.epub || f.html || f.passages || f.pdf) {
            return Err("no format chosen (choose from epub, html, passages, pdf)".into());
        }
        Ok(f)
    }
}

#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    pub formats: Formats,
    pub max_image_width: Option<u32>,
    /// Write nothing when the book has any problem, warnings included (for publishing gates).
    pub strict: bool,
    /// A folder for processed images kept between builds (`kitep build` uses
    /// `OUT/.kitep-cache/images`); `None` processes every image every time.
    pub image_cache: Option<PathBuf>,
    /// Chapters compiled by earlier builds in this process (`kitep preview`): unchanged ones are
    /// not compiled again.
    pub chapter_memo: Option<std::sync::Arc<formats::ChapterMemo>>,
}

#[derive(Debug)]
pub enum BuildError {
    /// The book has problems that stop the build; each names its file and line.
    Book(Vec<Diagnostic>),
    /// `strict` and the book has problems (warnings among them, shown as errors); nothing written.
    Strict(Vec<Diagnostic>),
    /// Writing the output failed.
    Output(String),
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuildError::Book(d) | BuildError::Strict(d) => {
                for x in d {
                    writeln!(f, "{x}")?;
                }
                Ok(())
            }
            BuildError::Output(m) => write!(f, "{m}"),
        }
    }
}

/// What a build produced, for the summary line and for tools.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct BuildReport {
    pub slug: String,
    pub title: String,
    pub chapters: usize,
    pub words: usize,
    pub images: usize,
    pub image_bytes: usize,
    /// What was done to each source image (copied, stripped, re-encoded, sanitised, from the cache).
    pub image_work: ImageStats,
    pub epub_path: Option<PathBuf>,
    pub epub_bytes: usize,
    pub html_pages: usize,
    pub html_bytes: usize,
    /// The heaviest reader page: (name, bytes, gzip bytes).
    pub largest_page: Option<(String, usize, usize)>,
    pub passages: usize,
    pub errors: usize,
    pub warnings: usize,
    #[serde(skip)]
    pub diagnostics: Vec<Diagnostic>,
    pub elapsed_ms: u128,
}

/// Progress as the build goes: (done, total) chapters or steps.
pub type Progress<'a> = &'a dyn Fn(usize, usize, &str);

/// Loads and compiles a book, and processes its images: everything but writing.
pub fn compile_book(
    book_dir: &Path,
    max_image_width: Option<u32>,
) -> Result<(CompiledBook, AssetSet), BuildError> {
    compile_book_cached(book_dir, max_image_width, &assets::NoCache)
}

/// [`compile_book`], with processed images taken from and added to `cache`.
pub fn compile_book_cached(
    book_dir: &Path,
    max_image_width: Option<u32>,
    cache: &dyn ImageCache,
) -> Result<(CompiledBook, AssetSet), BuildError> {
    compile_inner(book_dir, max_image_width, cache, None)
}

fn compile_inner(
    book_dir: &Path,
    max_image_width: Option<u32>,
    cache: &dyn ImageCache,
    memo: Option<&formats::ChapterMemo>,
) -> Result<(CompiledBook, AssetSet), BuildError> {
    let project = BookProject::load(book_dir).map_err(|e| match e {
        corpus::Error::Invalid(d) => BuildError::Book(vec![d]),
        other => BuildError::Book(vec![Diagnostic::error("book.toml", 0, other.to_string())]),
    })?;
    let root = project.root.clone();
    let exists = |rel: &str| {
        source::checked_join(&root, rel)
            .map(|p| p.is_file())
            .unwrap_or(false)
    };
    let mut book = formats::compile_memo(&project, &exists, memo).map_err(|f| {
        let mut d = f.0;
        // Errors first: they are why the build stopped.
        d.sort_by_key(|x| !x.is_error());
        BuildError::Book(d)
    })?;
    let read = |rel: &str| -> Result<Vec<u8>, String> {
        let p = source::checked_join(&root, rel)?;
        let meta = std::fs::metadata(&p).map_err(|e| e.to_string())?;
        if meta.len() > MAX_IMAGE_FILE_BYTES {
            return Err(format!(
                "file is {} bytes (at most {MAX_IMAGE_FILE_BYTES})",
                meta.len()
            ));
        }
        std::fs::read(&p).map_err(|e| e.to_string())
    };
    let (assets, diags) = assets::prepare_cached(&book, &read, max_image_width, cache);
    book.diagnostics.extend(diags);
    sort_diagnostics(&mut book.diagnostics);
    Ok((book, assets))
}

/// By file, line and column, each once: the order `kitep check` and `kitep build` print.
pub fn sort_diagnostics(diags: &mut Vec<Diagnostic>) {
    diags.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    diags.dedup();
}

/// `kitep build BOOK -o OUT`: writes `OUT/<slug>.epub`, `OUT/html/`, `OUT/passages.jsonl` and
/// `OUT/book.json`.
pub fn build(
    book_dir: &Path,
    out_dir: &Path,
    opts: &BuildOptions,
    progress: Progress<'_>,
) -> Result<BuildReport, BuildError> {
    build_with(book_dir, out_dir, opts, progress, &|_, _, _| Ok(()))
}

/// More output written beside the standard one, in the same staging folder (the portal's pages).
pub type ExtraOutput<'a> =
    &'a (dyn Fn(&CompiledBook, &AssetSet, &Path) -> Result<(), String> + Sync);

/// [`build`], plus `extra` called on the compiled book to write more files into the output before
/// it is moved into place (so they appear together or not at all).
pub fn build_with(
    book_dir: &Path,
    out_dir: &Path,
    opts: &BuildOptions,
    progress: Progress<'_>,
    extra: ExtraOutput<'_>,
) -> Result<BuildReport, BuildError> {
    let started = Instant::now();
    progress(0, 3, "compiling");
    let cache = opts.image_cache.as_deref().map(ImageCacheDir::new);
    let memo = opts.chapter_memo.as_deref();
    let (book, assets) = match &cache {
        Some(c) => compile_inner(book_dir, opts.max_image_width, c, memo)?,
        None => compile_inner(book_dir, opts.max_image_width, &assets::NoCache, memo)?,
    };
    if opts.strict && !book.diagnostics.is_empty() {
        let as_errors = book
            .diagnostics
            .iter()
            .map(|d| Diagnostic {
                severity: corpus::Severity::Error,
                ..d.clone()
            })
            .collect();
        return Err(BuildError::Strict(as_errors));
    }
    progress(1, 3, "rendering");
    let out_err = |what: &str, e: std::io::Error| BuildError::Output(format!("{what}: {e}"));
    std::fs::create_dir_all(out_dir).map_err(|e| out_err(&out_dir.display().to_string(), e))?;
    clean_stale_staging(out_dir);
    let staging = out_dir.join(format!(".kitep-staging-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(|e| out_err(&staging.display().to_string(), e))?;
    let previous = out_dir.join("html");
    let result = render_into(&book, &assets, &staging, &previous, opts, started).and_then(|r| {
        extra(&book, &assets, &staging).map_err(BuildError::Output)?;
        Ok(r)
    });
    let mut report = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    progress(2, 3, "moving into place");
    let moved = move_into_place(&staging, out_dir);
    let _ = std::fs::remove_dir_all(&staging);
    moved.map_err(|e| {
        BuildError::Output(format!("moving the output into {}: {e}", out_dir.display()))
    })?;
    if let Some(p) = &mut report.epub_path {
        *p = out_dir.join(p.file_name().unwrap_or_default());
    }
    if let Some(c) = &cache {
        c.remove_unused();
    }
    report.elapsed_ms = started.elapsed().as_millis();
    progress(3, 3, "done");
    Ok(report)
}

/// Processed images of earlier builds, one file per entry named by its key (64 hex digits).
/// `formats` checks every entry (key, SHA-256 of the image, kind) before using it, so a damaged or
/// planted file costs a re-encode, never a wrong image; files that are not regular files, or too
/// large, are not read at all.
struct ImageCacheDir {
    dir: PathBuf,
    used: Mutex<HashSet<String>>,
}

/// Larger entries are not read (a processed image is at most about an image file's size limit).
const MAX_CACHE_ENTRY_BYTES: u64 = MAX_IMAGE_FILE_BYTES + 4096;

impl ImageCacheDir {
    fn new(dir: &Path) -> ImageCacheDir {
        ImageCacheDir {
            dir: dir.to_path_buf(),
            used: Mutex::new(HashSet::new()),
        }
    }

    fn path(&self, key: &str) -> Option<PathBuf> {
        let name_ok = key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit());
        name_ok.then(|| self.dir.join(key))
    }

    fn mark_used(&self, key: &str) {
        if let Ok(mut used) = self.used.lock() {
            used.insert(key.to_string());
        }
    }

    /// Entries this build did not use belong to images that changed or left the book: removed, so
    /// the cache holds one book's images, not every version of them.
    fn remove_unused(&self) {
        let Ok(used) = self.used.lock() else { return };
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if !used.contains(&name) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

impl ImageCache for ImageCacheDir {
    fn load(&self, key: &str) -> Option<Vec<u8>> {
        let path = self.path(key)?;
        self.mark_used(key);
        let meta = std::fs::symlink_metadata(&path).ok()?;
        if !meta.is_file() || meta.len() > MAX_CACHE_ENTRY_BYTES {
            return None;
        }
        std::fs::read(&path).ok()
    }

    fn store(&self, key: &str, entry: &[u8]) {
        let Some(path) = self.path(key) else { return };
        self.mark_used(key);
        if std::fs::create_dir_all(&self.dir).is_err() {
            return;
        }
        // Written aside, then renamed: a build killed mid-write leaves no half entry under the key.
        let tmp = self.dir.join(format!(".{key}.{}.tmp", std::process::id()));
        if std::fs::write(&tmp, entry).is_ok() && std::fs::rename(&tmp, &path).is_ok() {
            return;
        }
        let _ = std::fs::remove_file(&tmp);
    }
}

fn render_into(
    book: &CompiledBook,
    assets: &AssetSet,
    dir: &Path,
    previous_html: &Path,
    opts: &BuildOptions,
    started: Instant,
) -> Result<BuildReport, BuildError> {
    let io = io_error;
    let mut report = BuildReport {
        slug: book.slug.clone(),
        title: book.title.clone(),
        chapters: book.chapters.len(),
        words: book.words(),
        images: assets.items.len(),
        image_bytes: assets.total_bytes(),
        image_work: assets.stats,
        errors: book.errors(),
        warnings: book.warnings(),
        diagnostics: book.diagnostics.clone(),
        ..Default::default()
    };
    let epub_name = format!("{}.epub", book.slug);
    // The three outputs are independent: write them side by side on the machine's cores.
    let (epub, html, passages) = std::thread::scope(|s| {
        let epub = s.spawn(|| {
            opts.formats
                .epub
                .then(|| write_epub_file(book, assets, dir, &epub_name))
                .transpose()
        });
        let passages = s.spawn(|| {
            opts.formats
                .passages
                .then(|| write_passages(book, dir))
                .transpose()
        });
        let epub_href = opts.formats.epub.then(|| format!("../{epub_name}"));
        let html = opts
            .formats
            .html
            .then(|| write_reader(book, assets, dir, previous_html, epub_href.as_deref()))
            .transpose();
        let epub = epub.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        let passages = passages
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (epub, html, passages)
    });
    if let Some((path, bytes)) = epub? {
        report.epub_bytes = bytes;
        report.epub_path = Some(path);
    }
    if let Some((pages, bytes, largest)) = html? {
        report.html_pages = pages;
        report.html_bytes = bytes;
        report.largest_page = largest;
    }
    if let Some(n) = passages? {
        report.passages = n;
    }
    let manifest = book_manifest(book, assets, opts, &epub_name);
    let p = dir.join("book.json");
    std::fs::write(
        &p,
        serde_json::to_string_pretty(&manifest).expect("manifest serialises"),
    )
    .map_err(|e| io(&p, e))?;
    report.elapsed_ms = started.elapsed().as_millis();
    Ok(report)
}

fn io_error(what: &Path, e: std::io::Error) -> BuildError {
    BuildError::Output(format!("{}: {e}", what.display()))
}

fn write_epub_file(
    book: &CompiledBook,
    assets: &AssetSet,
    dir: &Path,
    name: &str,
) -> Result<(PathBuf, usize), BuildError> {
    let path = dir.join(name);
    let file = std::fs::File::create(&path).map_err(|e| io_error(&path, e))?;
    let mut w = std::io::BufWriter::new(file);
    let modified = modified_timestamp();
    epub::write_epub(
        book,
        assets,
        &epub::EpubOptions {
            modified: &modified,
        },
        &mut w,
    )
    .map_err(BuildError::Output)?;
    w.flush().map_err(|e| io_error(&path, e))?;
    let bytes = std::fs::metadata(&path)
        .map(|m| m.len() as usize)
        .unwrap_or(0);
    Ok((path, bytes))
}

type PageWeight = Option<(String, usize, usize)>;

/// Writes `bytes` to `html_dir/rel`; when the previous build's `previous/rel` is a regular file
/// with the same bytes, it is linked instead (a rebuild then creates no new file for what did not
/// change). Files are never written in place, so the link shares nothing that changes later.
fn write_or_link(
    html_dir: &Path,
    previous: &Path,
    rel: &str,
    bytes: &[u8],
) -> Result<(), BuildError> {
    let p = html_dir.join(rel);
    let old = previous.join(rel);
    let same = std::fs::symlink_metadata(&old)
        .is_ok_and(|m| m.is_file() && m.len() == bytes.len() as u64)
        && std::fs::read(&old).is_ok_and(|b| b == bytes);
    if same && std::fs::hard_link(&old, &p).is_ok() {
        return Ok(());
    }
    std::fs::write(&p, bytes).map_err(|e| io_error(&p, e))
}

/// Writes the web reader; returns the page count, their total size and the heaviest page.
fn write_reader(
    book: &CompiledBook,
    assets: &AssetSet,
    dir: &Path,
    previous: &Path,
    epub_href: Option<&str>,
) -> Result<(usize, usize, PageWeight), BuildError> {
    let html_dir = dir.join("html");
    std::fs::create_dir_all(html_dir.join("images")).map_err(|e| io_error(&html_dir, e))?;
    let count = book.chapters.len() + 1;
    let mut total = 0;
    let mut largest: Option<reader::ReaderPage> = None;
    for i in 0..count {
        let page = reader::render_page(book, assets, epub_href, i);
        write_or_link(&html_dir, previous, &page.path, page.html.as_bytes())?;
        total += page.html.len();
        if largest
            .as_ref()
            .is_none_or(|l| page.html.len() > l.html.len())
        {
            largest = Some(page);
        }
    }
    write_or_link(
        &html_dir,
        previous,
        "style.css",
        reader::READER_CSS.as_bytes(),
    )?;
    for a in assets.items.iter().chain(assets.cover_thumbnail.iter()) {
        write_or_link(&html_dir, previous, &a.path, &a.bytes)?;
    }
    let largest = largest.map(|l| (l.path.clone(), l.html.len(), gzip_len(l.html.as_bytes())));
    Ok((count, total, largest))
}

fn write_passages(book: &CompiledBook, dir: &Path) -> Result<usize, BuildError> {
    let list = passages::passages(book);
    let p = dir.join("passages.jsonl");
    std::fs::write(&p, passages::to_jsonl(&list)).map_err(|e| io_error(&p, e))?;
    Ok(list.len())
}

/// `book.json`: the edition's metadata and outputs, read by the indexer and the portal.
fn book_manifest(
    book: &CompiledBook,
    assets: &AssetSet,
    opts: &BuildOptions,
    epub_name: &str,
) -> serde_json::Value {
    let c = &book.config;
    let chapters: Vec<serde_json::Value> = book
        .chapters
        .iter()
        .enumerate()
        .map(|(i, ch)| {
            serde_json::json!({
                "name": book.names[i],
                "title": ch.title,
                "source": ch.path,
                "lang": ch.lang,
                "words": ch.words,
                "headings": ch.headings.iter().map(|h| serde_json::json!({"level": h.level, "id": h.id, "text": h.text})).collect::<Vec<_>>(),
            })
        })
        .collect();
    serde_json::json!({
        "format": 1,
        "slug": book.slug,
        "title": book.title,
        "subtitle": c.subtitle,
        "language": book.lang,
        "work": c.work,
        "edition": c.edition,
        "description": c.description,
        "keywords": c.keywords,
        "grades": c.grades,
        "subject": c.subject,
        "material": c.material().as_str(),
        "license": c.license,
        "publisher": c.publisher,
        "isbn": c.isbn,
        "year": c.year,
        "identifier": epub::identifier(book),
        "contributors": c.all_contributors().iter().map(|p| serde_json::json!({"name": p.name, "role": p.role.as_str()})).collect::<Vec<_>>(),
        "chapters": chapters,
        "glossary": book.glossary,
        "words": book.words(),
        "cover": assets.cover().path,
        "cover_thumbnail": assets.cover_thumbnail.as_ref().map(|t| t.path.clone()),
        "outputs": {
            "epub": opts.formats.epub.then_some(epub_name),
            "html": opts.formats.html.then_some("html/index.html"),
            "passages": opts.formats.passages.then_some("passages.jsonl"),
        },
    })
}

/// Replaces each output in `out` with the staged one; the old copy is removed only afterwards.
fn move_into_place(staging: &Path, out: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(staging)? {
        let entry = entry?;
        let target = out.join(entry.file_name());
        if entry.path().is_dir() {
            let old = out.join(format!(
                ".kitep-old-{}-{}",
                std::process::id(),
                entry.file_name().to_string_lossy()
            ));
            let had_old = target.exists();
            if had_old {
                std::fs::rename(&target, &old)?;
            }
            if let Err(e) = std::fs::rename(entry.path(), &target) {
                if had_old {
                    let _ = std::fs::rename(&old, &target);
                }
                return Err(e);
            }
            if had_old {
                let _ = std::fs::remove_dir_all(&old);
            }
        } else {
            std::fs::rename(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Leftovers of builds that were killed: removed, they are never half of a real output.
fn clean_stale_staging(out: &Path) {
    if let Ok(entries) = std::fs::read_dir(out) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if name.starts_with(".kitep-staging-") || name.starts_with(".kitep-old-") {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

fn gzip_len(bytes: &[u8]) -> usize {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = enc.write_all(bytes);
    enc.finish().map(|v| v.len()).unwrap_or(0)
}

/// `SOURCE_DATE_EPOCH` when set (reproducible builds), otherwise now; as `YYYY-MM-DDThh:mm:ssZ`.
pub fn modified_timestamp() -> String {
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or(Duration::ZERO)
                .as_secs()
        });
    format_utc(secs)
}

pub fn format_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(format_utc(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn format_lists() {
        assert_eq!(
            Formats::parse("epub,html").unwrap(),
            Formats {
                epub: true,
                html: true,
                passages: false,
                pdf: false,
            }
        );
        assert!(Formats::parse("pdf").unwrap().pdf);
        assert!(Formats::parse("docx").unwrap_err().contains("pdf"));
    }
}
