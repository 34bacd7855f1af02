//! The print edition: a compiled book typeset as PDF with Typst, run as a library. A4 or A5,
//! cover, contents with page numbers, running heads, page numbers, footnotes at the page foot,
//! figures, tables, formulas, code, exercises and answers, glossary. Fonts come with the program
//! (Libertinus Serif, New Computer Modern Math, DejaVu Sans Mono: Cyrillic with ң ө ү, ә ғ қ ұ
//! һ і, ҷ ӣ ӯ ҳ, Latin with oʻ gʻ) and are embedded; the PDF is tagged and carries the book's
//! title and language, and its text can be copied.

mod texmath;
mod typeset;

use std::collections::HashMap;
use std::sync::LazyLock;

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};

pub use typeset::Paper;

#[derive(Debug, Clone, Copy, Default)]
pub struct PrintOptions {
    pub paper: Paper,
}

/// The PDF of a compiled book, and the warnings about what print could not show as the screen
/// does (a formula Typst cannot take, shown as its LaTeX).
pub fn pdf(
    book: &formats::CompiledBook,
    assets: &formats::assets::AssetSet,
    opts: &PrintOptions,
) -> Result<(Vec<u8>, Vec<String>), String> {
    let doc = typeset::typeset(book, assets, opts);
    let world = BookWorld::new(doc.source, doc.files);
    let compiled = typst::compile::<typst_layout::PagedDocument>(&world);
    let document = compiled.output.map_err(|errors| {
        let mut msg = String::from("the print edition could not be typeset:");
        for e in errors.iter().take(10) {
            let at = world
                .range(e.span)
                .map(|r| {
                    let text = world.text.as_str();
                    let start = r.start.min(text.len());
                    let snippet: String = text[start..].chars().take(60).collect();
                    format!(" (at «{snippet}»)")
                })
                .unwrap_or_default();
            msg.push_str(&format!("\n  {}{at}", e.message));
        }
        msg
    })?;
    let options = typst_pdf::PdfOptions {
        ident: typst::foundations::Smart::Custom(format!("kitepkana:{}", book.slug)),
        creator: typst::foundations::Smart::Custom(Some("Kitepkana".into())),
        ..Default::default()
    };
    let bytes = typst_pdf::pdf(&document, &options).map_err(|errors| {
        let list: Vec<String> = errors.iter().map(|e| e.message.to_string()).collect();
        format!("the PDF could not be written: {}", list.join("; "))
    })?;
    Ok((bytes, doc.warnings))
}

static FONTS: LazyLock<(LazyHash<FontBook>, Vec<Font>)> = LazyLock::new(|| {
    let fonts: Vec<Font> = typst_assets::fonts()
        .flat_map(|data| Font::iter(Bytes::new(data)))
        .collect();
    (LazyHash::new(FontBook::from_fonts(&fonts)), fonts)
});

static LIBRARY: LazyLock<LazyHash<Library>> = LazyLock::new(|| LazyHash::new(Library::default()));

struct BookWorld {
    main: FileId,
    text: String,
    files: HashMap<String, Bytes>,
}

impl BookWorld {
    fn new(text: String, files: HashMap<String, Vec<u8>>) -> BookWorld {
        let main = RootedPath::new(
            VirtualRoot::Project,
            VirtualPath::new("/book.typ").expect("a valid path"),
        )
        .intern();
        BookWorld {
            main,
            text,
            files: files.into_iter().map(|(k, v)| (k, Bytes::new(v))).collect(),
        }
    }
}

impl World for BookWorld {
    fn library(&self) -> &LazyHash<Library> {
        &LIBRARY
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &FONTS.0
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main {
            Ok(Source::new(id, self.text.clone()))
        } else {
            Err(FileError::NotSource)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        let path = id.get().vpath().get_without_slash();
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| FileError::NotFound(path.into()))
    }

    fn font(&self, index: usize) -> Option<Font> {
        FONTS.1.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        // The same book gives the same PDF: no clock in it.
        Datetime::from_ymd(2026, 1, 1)
    }
}
