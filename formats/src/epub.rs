//! EPUB 3 packaging (our own: zip + templates), with navigation, landmarks, cover, Dublin Core and
//! EPUB Accessibility 1.1 metadata, MathML declared where used. No scripts, no remote resources.

use crate::assets::AssetSet;
use crate::book::CompiledBook;
use crate::doc::{Element, Flavor, LinkResolver, Node, escaped, write_nodes};
use crate::labels::{Label, label};
use crate::toc::{self, NavItem};
use std::io::Write;
use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

pub const BOOK_CSS: &str = include_str!("../assets/book.css");

/// Everything the package needs besides the book.
pub struct EpubOptions<'a> {
    /// `dcterms:modified`, as `YYYY-MM-DDThh:mm:ssZ`.
    pub modified: &'a str,
}

struct EpubLinks<'a> {
    book: &'a CompiledBook,
    assets: &'a AssetSet,
    /// Prefix from the current document to the package root (`../` for chapters).
    up: &'a str,
}

impl LinkResolver for EpubLinks<'_> {
    fn chapter(&self, index: usize, fragment: &str) -> String {
        let name = self
            .book
            .names
            .get(index)
            .map(String::as_str)
            .unwrap_or("index");
        let base = if self.up.is_empty() {
            format!("text/{name}.xhtml")
        } else {
            format!("{name}.xhtml")
        };
        if fragment.is_empty() {
            base
        } else {
            format!("{base}#{}", crate::url::encode_href(fragment))
        }
    }

    fn asset(&self, path: &str) -> String {
        format!("{}{}", self.up, self.assets.path_of(path))
    }
}

fn xhtml_page(lang: &str, title: &str, css_href: &str, body_attrs: &str, body: &str) -> String {
    let lang = escaped(lang);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" xmlns:epub=\"http://www.idpf.org/2007/ops\" lang=\"{lang}\" xml:lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>{}</title>\n<link rel=\"stylesheet\" type=\"text/css\" href=\"{css_href}\"/>\n</head>\n<body{body_attrs}>\n{body}\n</body>\n</html>\n",
        escaped(title)
    )
}

/// A chapter's XHTML document.
pub fn chapter_xhtml(book: &CompiledBook, assets: &AssetSet, index: usize) -> String {
    let ch = &book.chapters[index];
    let links = EpubLinks {
        book,
        assets,
        up: "../",
    };
    let mut body = String::with_capacity(ch.body.len() * 64);
    let kind = if ch.path.is_empty() {
        "backmatter"
    } else {
        "chapter"
    };
    let labelled = ch
        .headings
        .first()
        .map(|h| format!(" aria-labelledby=\"{}\"", escaped(&h.id)))
        .unwrap_or_default();
    body.push_str(&format!(
        "<section epub:type=\"{kind}\" role=\"doc-{}\"{labelled}>\n",
        if kind == "chapter" {
            "chapter"
        } else {
            "appendix"
        }
    ));
    if ch.headings.is_empty() {
        let h1 = Element::new("h1").with_text(ch.title.clone());
        write_nodes(&mut body, &[h1.into()], Flavor::Xhtml, &links);
    }
    write_nodes(&mut body, &ch.body, Flavor::Xhtml, &links);
    body.push_str("\n</section>");
    xhtml_page(&ch.lang, &ch.title, "../css/book.css", "", &body)
}

fn nav_xhtml(book: &CompiledBook, assets: &AssetSet) -> String {
    let links = EpubLinks {
        book,
        assets,
        up: "",
    };
    let contents = label(&book.lang, Label::Contents);
    let mut body = format!(
        "<nav epub:type=\"toc\" id=\"toc\" role=\"doc-toc\" aria-labelledby=\"toc-title\">\n<h1 id=\"toc-title\">{}</h1>\n",
        escaped(contents)
    );
    let items = toc::nav_items(book, true);
    write_nav_list(&mut body, &items, &links);
    body.push_str("</nav>\n");
    let first = book
        .chapters
        .first()
        .map(|_| links.chapter(0, ""))
        .unwrap_or_else(|| "nav.xhtml".into());
    body.push_str(&format!(
        "<nav epub:type=\"landmarks\" id=\"landmarks\" hidden=\"hidden\" aria-labelledby=\"landmarks-title\">\n<h2 id=\"landmarks-title\">{}</h2>\n<ol>\n<li><a epub:type=\"cover\" href=\"cover.xhtml\">{}</a></li>\n<li><a epub:type=\"toc\" href=\"nav.xhtml#toc\">{}</a></li>\n<li><a epub:type=\"bodymatter\" href=\"{}\">{}</a></li>\n</ol>\n</nav>",
        escaped(label(&book.lang, Label::Landmarks)),
        escaped(label(&book.lang, Label::Cover)),
        escaped(contents),
        escaped(&first),
        escaped(label(&book.lang, Label::Start)),
    ));
    xhtml_page(&book.lang, contents, "css/book.css", "", &body)
}

fn write_nav_list(out: &mut String, items: &[NavItem], links: &dyn LinkResolver) {
    out.push_str("<ol>\n");
    for item in items {
        out.push_str("<li>");
        match item.target {
            Some((chapter, ref frag)) => {
                let a = Element::new("a")
                    .with_attr("href", links.chapter(chapter, frag))
                    .with_text(item.title.clone());
                write_nodes(out, &[Node::Element(a)], Flavor::Xhtml, links);
            }
            None => {
                let span = Element::new("span").with_text(item.title.clone());
                write_nodes(out, &[Node::Element(span)], Flavor::Xhtml, links);
            }
        }
        if !item.children.is_empty() {
            out.push('\n');
            write_nav_list(out, &item.children, links);
        }
        out.push_str("</li>\n");
    }
    out.push_str("</ol>\n");
}

fn cover_xhtml(book: &CompiledBook, assets: &AssetSet) -> String {
    let cover = assets.cover();
    let alt = format!("{}: {}", label(&book.lang, Label::Cover), book.title);
    let body = format!(
        "<section epub:type=\"cover\" class=\"cover\">\n<img role=\"doc-cover\" src=\"{}\" alt=\"{}\"/>\n</section>",
        escaped(&cover.path),
        escaped(&alt)
    );
    xhtml_page(
        &book.lang,
        &book.title,
        "css/book.css",
        " epub:type=\"frontmatter\"",
        &body,
    )
}

/// A stable identifier: the ISBN when there is one, otherwise a UUID derived from the book's names.
pub fn identifier(book: &CompiledBook) -> String {
    if let Some(isbn) = &book.config.isbn
        && corpus::config::isbn_is_valid(isbn)
    {
        return format!("urn:isbn:{}", isbn.replace(['-', ' '], ""));
    }
    let seed = format!(
        "{}|{}|{}|{}",
        book.config.work.as_deref().unwrap_or(&book.slug),
        book.lang,
        book.slug,
        book.config.edition.as_deref().unwrap_or("")
    );
    let a = fnv64(seed.as_bytes(), 0xcbf2_9ce4_8422_2325);
    let b = fnv64(seed.as_bytes(), 0x8422_2325_cbf2_9ce4);
    let v = ((a as u128) << 64) | b as u128;
    let hex = format!("{v:032x}");
    // Version 4 and variant bits set, so readers see a well-formed UUID.
    format!(
        "urn:uuid:{}-{}-4{}-a{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

fn fnv64(bytes: &[u8], seed: u64) -> u64 {
    bytes.iter().fold(seed, |h, b| {
        (h ^ *b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn opf(book: &CompiledBook, assets: &AssetSet, opts: &EpubOptions<'_>) -> String {
    let c = &book.config;
    let mut m = String::new();
    let lang = escaped(&book.lang);
    m.push_str(&format!(
        "<dc:identifier id=\"book-id\">{}</dc:identifier>\n",
        escaped(&identifier(book))
    ));
    m.push_str(&format!("<dc:title id=\"title\">{}</dc:title>\n<meta refines=\"#title\" property=\"title-type\">main</meta>\n", escaped(&book.title)));
    if let Some(sub) = &c.subtitle {
        m.push_str(&format!("<dc:title id=\"subtitle\">{}</dc:title>\n<meta refines=\"#subtitle\" property=\"title-type\">subtitle</meta>\n", escaped(sub)));
    }
    m.push_str(&format!("<dc:language>{lang}</dc:language>\n"));
    for (i, person) in c.all_contributors().iter().enumerate() {
        let tag = if person.role == corpus::ContributorRole::Author {
            "dc:creator"
        } else {
            "dc:contributor"
        };
        m.push_str(&format!(
            "<{tag} id=\"contributor-{i}\">{}</{tag}>\n<meta refines=\"#contributor-{i}\" property=\"role\" scheme=\"marc:relators\">{}</meta>\n",
            escaped(&person.name),
            person.role.marc_relator()
        ));
    }
    if let Some(p) = &c.publisher {
        m.push_str(&format!("<dc:publisher>{}</dc:publisher>\n", escaped(p)));
    }
    if let Some(y) = c.year {
        m.push_str(&format!("<dc:date>{y}</dc:date>\n"));
    }
    if let Some(d) = &c.description {
        m.push_str(&format!(
            "<dc:description>{}</dc:description>\n",
            escaped(d)
        ));
    }
    for s in c.subject.iter().chain(c.keywords.iter()) {
        m.push_str(&format!("<dc:subject>{}</dc:subject>\n", escaped(s)));
    }
    if let Some(l) = &c.license {
        m.push_str(&format!("<dc:rights>{}</dc:rights>\n", escaped(l)));
    }
    m.push_str(&format!(
        "<meta property=\"dcterms:modified\">{}</meta>\n",
        escaped(opts.modified)
    ));
    if let Some(e) = &c.edition {
        m.push_str(&format!(
            "<meta property=\"schema:version\">{}</meta>\n",
            escaped(e)
        ));
    }
    if let Some(w) = &c.work {
        m.push_str(&format!(
            "<meta property=\"kitep:work\">{}</meta>\n",
            escaped(w)
        ));
    }
    for g in &c.grades {
        m.push_str(&format!(
            "<meta property=\"schema:educationalLevel\">{g}</meta>\n"
        ));
    }
    m.push_str(&format!(
        "<meta property=\"schema:learningResourceType\">{}</meta>\n",
        c.material().as_str()
    ));

    // EPUB Accessibility 1.1.
    let has_images = assets.items.iter().any(|a| !a.source.starts_with("kitep:"));
    m.push_str("<meta property=\"schema:accessMode\">textual</meta>\n");
    if has_images {
        m.push_str("<meta property=\"schema:accessMode\">visual</meta>\n");
        m.push_str("<meta property=\"schema:accessModeSufficient\">textual,visual</meta>\n");
    }
    m.push_str("<meta property=\"schema:accessModeSufficient\">textual</meta>\n");
    let mut features = vec![
        "structuralNavigation",
        "tableOfContents",
        "readingOrder",
        "displayTransformability",
    ];
    if has_images {
        features.push("alternativeText");
    }
    if book.has_math() {
        features.push("MathML");
        features.push("describedMath");
    }
    for f in features {
        m.push_str(&format!(
            "<meta property=\"schema:accessibilityFeature\">{f}</meta>\n"
        ));
    }
    m.push_str("<meta property=\"schema:accessibilityHazard\">none</meta>\n");
    let summary = format!(
        "This publication has a navigable table of contents, headings in order, a logical reading order and text that can be resized.{}{} It contains no flashing content, sound or motion.",
        if has_images {
            " Images have text alternatives."
        } else {
            ""
        },
        if book.has_math() {
            " Mathematics is written as MathML with a text alternative (the LaTeX source)."
        } else {
            ""
        }
    );
    m.push_str(&format!(
        "<meta property=\"schema:accessibilitySummary\" xml:lang=\"en\">{}</meta>\n",
        escaped(&summary)
    ));
    m.push_str(
        "<meta property=\"dcterms:conformsTo\">EPUB Accessibility 1.1 - WCAG 2.1 Level AA</meta>\n",
    );
    m.push_str(&format!(
        "<meta property=\"a11y:certifiedBy\">{}</meta>\n",
        escaped(c.publisher.as_deref().unwrap_or("Kitepkana"))
    ));
    m.push_str("<meta name=\"cover\" content=\"cover-image\"/>\n");

    let mut manifest = String::new();
    manifest.push_str("<item id=\"nav\" href=\"nav.xhtml\" media-type=\"application/xhtml+xml\" properties=\"nav\"/>\n");
    manifest.push_str(
        "<item id=\"cover\" href=\"cover.xhtml\" media-type=\"application/xhtml+xml\"/>\n",
    );
    manifest.push_str("<item id=\"css\" href=\"css/book.css\" media-type=\"text/css\"/>\n");
    for (i, ch) in book.chapters.iter().enumerate() {
        let props = if ch.has_math {
            " properties=\"mathml\""
        } else {
            ""
        };
        manifest.push_str(&format!(
            "<item id=\"chapter-{i}\" href=\"text/{}.xhtml\" media-type=\"application/xhtml+xml\"{props}/>\n",
            escaped(&book.names[i])
        ));
    }
    for (i, a) in assets.items.iter().enumerate() {
        let (id, props) = if i == assets.cover {
            ("cover-image".to_string(), " properties=\"cover-image\"")
        } else {
            (format!("image-{i}"), "")
        };
        manifest.push_str(&format!(
            "<item id=\"{id}\" href=\"{}\" media-type=\"{}\"{props}/>\n",
            escaped(&a.path),
            a.media_type
        ));
    }
    let mut spine =
        String::from("<itemref idref=\"cover\" linear=\"no\"/>\n<itemref idref=\"nav\"/>\n");
    for i in 0..book.chapters.len() {
        spine.push_str(&format!("<itemref idref=\"chapter-{i}\"/>\n"));
    }
    let dir = if corpus::language::is_rtl(&book.lang)
        || book.config.text_direction.as_deref() == Some("rtl")
    {
        "rtl"
    } else {
        "ltr"
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<package xmlns=\"http://www.idpf.org/2007/opf\" version=\"3.0\" unique-identifier=\"book-id\" xml:lang=\"{lang}\" dir=\"{dir}\" prefix=\"kitep: https://kitepkana.org/vocab#\">\n<metadata xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n{m}</metadata>\n<manifest>\n{manifest}</manifest>\n<spine page-progression-direction=\"{dir}\">\n{spine}</spine>\n</package>\n"
    )
}

const CONTAINER: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<container version=\"1.0\" xmlns=\"urn:oasis:names:tc:opendocument:xmlns:container\">\n<rootfiles>\n<rootfile full-path=\"EPUB/package.opf\" media-type=\"application/oebps-package+xml\"/>\n</rootfiles>\n</container>\n";

/// Writes the EPUB to `out`.
pub fn write_epub<W: Write + std::io::Seek>(
    book: &CompiledBook,
    assets: &AssetSet,
    opts: &EpubOptions<'_>,
    out: W,
) -> Result<(), String> {
    let mut zip = zip::ZipWriter::new(out);
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let deflated = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let err = |e: &dyn std::fmt::Display| format!("writing the EPUB: {e}");
    let put = |zip: &mut zip::ZipWriter<W>,
               name: &str,
               bytes: &[u8],
               compress: bool|
     -> Result<(), String> {
        zip.start_file(name, if compress { deflated } else { stored })
            .map_err(|e| err(&e))?;
        zip.write_all(bytes).map_err(|e| err(&e))
    };
    // The mimetype entry comes first and uncompressed, so readers can sniff the file.
    put(&mut zip, "mimetype", b"application/epub+zip", false)?;
    put(
        &mut zip,
        "META-INF/container.xml",
        CONTAINER.as_bytes(),
        true,
    )?;
    put(
        &mut zip,
        "EPUB/package.opf",
        opf(book, assets, opts).as_bytes(),
        true,
    )?;
    put(
        &mut zip,
        "EPUB/nav.xhtml",
        nav_xhtml(book, assets).as_bytes(),
        true,
    )?;
    put(
        &mut zip,
        "EPUB/cover.xhtml",
        cover_xhtml(book, assets).as_bytes(),
        true,
    )?;
    put(&mut zip, "EPUB/css/book.css", BOOK_CSS.as_bytes(), true)?;
    for i in 0..book.chapters.len() {
        put(
            &mut zip,
            &format!("EPUB/text/{}.xhtml", book.names[i]),
            chapter_xhtml(book, assets, i).as_bytes(),
            true,
        )?;
    }
    for a in &assets.items {
        // Already-compressed formats gain nothing from deflate.
        let compress = a.media_type == "image/svg+xml";
        put(&mut zip, &format!("EPUB/{}", a.path), &a.bytes, compress)?;
    }
    zip.finish().map_err(|e| err(&e))?;
    Ok(())
}
