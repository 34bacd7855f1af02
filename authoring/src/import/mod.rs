//! `kitep import docx FILE.docx -o BOOK_DIR`: a Word document becomes a book project, one chapter
//! per top-level heading, with its formatting, lists, tables, pictures, footnotes, links,
//! language spans and equations carried over. What cannot be carried over is reported with its
//! place in the document; nothing is dropped silently.

mod docx;
mod omml;
mod write;
mod xml;

use std::collections::HashSet;
use std::path::Path;

pub struct ImportOptions {
    /// Headings of this level or above start a chapter (1: one chapter per top-level heading).
    pub split_level: u8,
    /// The book's language, when the document's own language marks cannot be trusted.
    pub language: Option<String>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            split_level: 1,
            language: None,
        }
    }
}

#[derive(Debug, Default)]
pub struct ImportReport {
    pub title: String,
    pub language: String,
    pub chapters: usize,
    pub images: usize,
    pub footnotes: usize,
    pub equations: usize,
    pub tables: usize,
    pub language_spans: usize,
    /// Each with its place in the document.
    pub warnings: Vec<String>,
}

/// Imports `file` into the new book folder `out` (which must not exist or be empty).
pub fn import_docx(file: &Path, out: &Path, opts: &ImportOptions) -> Result<ImportReport, String> {
    if !(1..=6).contains(&opts.split_level) {
        return Err(format!(
            "--split-level {} is out of range: give 1 to 6 (1 makes a chapter of each top-level heading)",
            opts.split_level
        ));
    }
    if let Some(l) = &opts.language
        && !corpus::language::is_well_formed(l)
    {
        return Err(format!(
            "--language {l} is not a language tag: give one such as ky, ru, uz-Latn"
        ));
    }
    if out.exists()
        && std::fs::read_dir(out)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(format!(
            "{} already exists and is not empty: give a new folder, so nothing is overwritten",
            out.display()
        ));
    }
    let mut pkg = docx::Package::open(file)?;
    let mut warnings = Warnings::default();
    let doc = docx::read(&mut pkg, &mut warnings)?;
    let book = write::render(doc, &mut pkg, opts, &mut warnings, file)?;
    // Written into a sibling folder first and renamed, so a failure leaves no half-made book.
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    let staging = parent.join(format!(
        ".{}.importing-{}",
        out.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&staging);
    let written = write_files(&staging, &book.files).and_then(|()| {
        if out.exists() {
            std::fs::remove_dir(out).map_err(|e| format!("{}: {e}", out.display()))?;
        }
        std::fs::rename(&staging, out).map_err(|e| format!("{}: {e}", out.display()))
    });
    if let Err(e) = written {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    let mut report = book.report;
    report.warnings = warnings.list;
    Ok(report)
}

fn write_files(root: &Path, files: &[(String, Vec<u8>)]) -> Result<(), String> {
    for (rel, bytes) in files {
        let path = root.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

#[derive(Default)]
pub struct Warnings {
    list: Vec<String>,
    seen: HashSet<&'static str>,
}

impl Warnings {
    fn push(&mut self, w: String) {
        self.list.push(w);
    }

    /// A warning about the whole document, given once.
    fn once(&mut self, key: &'static str, w: String) {
        if self.seen.insert(key) {
            self.list.push(w);
        }
    }
}

#[derive(Debug, Clone)]
pub enum Block {
    Para(Para),
    Table(Table),
    /// A text box's content.
    Boxed(Vec<Block>),
}

#[derive(Debug, Clone)]
pub struct Para {
    kind: ParaKind,
    inlines: Vec<Inline>,
    /// The paragraph's number in the document, for warnings.
    place: usize,
    /// Blocks that follow it (text boxes anchored in it).
    extra: Vec<Block>,
    /// The nearest heading above, for warnings.
    heading_context: String,
    /// Text is not merged into inlines before this index (a link's or field's content starts).
    barrier: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum ParaKind {
    Normal,
    Heading(u8),
    Title,
    Subtitle,
    Caption,
    Quote,
    Code,
    ListItem(ListInfo),
}

#[derive(Debug, Clone, PartialEq)]
struct ListInfo {
    list: String,
    level: u8,
    ordered: bool,
    start: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct Fmt {
    bold: bool,
    italic: bool,
    strike: bool,
    sup: bool,
    sub: bool,
    code: bool,
}

#[derive(Debug, Clone)]
enum Inline {
    Text {
        text: String,
        fmt: Fmt,
        lang: Option<String>,
    },
    Break,
    /// A footnote (`id`) or endnote (`e` + id).
    Note(String),
    Link {
        target: LinkTarget,
        content: Vec<Inline>,
    },
    Image {
        index: usize,
        alt: String,
        /// The picture's title in Word (`wp:docPr/@title`), rarely set.
        title: String,
    },
    Math {
        latex: String,
        display: bool,
    },
    /// A bookmark: a place links can point to.
    Anchor(String),
}

#[derive(Debug, Clone)]
enum LinkTarget {
    Url(String),
    Anchor(String),
}

#[derive(Debug, Clone)]
pub struct Image {
    /// The part in the package (`word/media/image1.png`).
    part: String,
    /// Where it goes in the book (`img/image1.png`), set when written.
    file: String,
}

#[derive(Debug, Clone)]
pub struct Table {
    rows: Vec<Vec<TableCell>>,
    header_rows: usize,
}

#[derive(Debug, Clone)]
pub struct TableCell {
    blocks: Vec<Block>,
    colspan: u32,
    rowspan: u32,
    /// A cell of a vertical merge below its first cell: not written, its first cell spans it.
    merged_into_above: bool,
}

/// The book as files, and what was carried over.
struct Book {
    files: Vec<(String, Vec<u8>)>,
    report: ImportReport,
}
