//! The HTML web reader: a contents page and one small page per chapter, readable on a phone,
//! printable, accessible, and working without JavaScript, web fonts or frameworks.

use crate::assets::AssetSet;
use crate::book::CompiledBook;
use crate::doc::{Element, Flavor, LinkResolver, Node, escaped, write_nodes};
use crate::labels::{Label, label};
use crate::toc::{self, NavItem};

pub const READER_CSS: &str = include_str!("../assets/reader.css");

pub struct ReaderPage {
    /// Path inside the reader folder (`index.html`, `01-intro.html`).
    pub path: String,
    pub html: String,
}

/// Links as the reader's pages see them: chapters side by side, images under `images/`.
pub struct ReaderLinks<'a> {
    pub book: &'a CompiledBook,
    pub assets: &'a AssetSet,
}

impl LinkResolver for ReaderLinks<'_> {
    fn chapter(&self, index: usize, fragment: &str) -> String {
        let name = self
            .book
            .names
            .get(index)
            .map(String::as_str)
            .unwrap_or("index");
        if fragment.is_empty() {
            format!("{name}.html")
        } else {
            format!("{name}.html#{}", crate::url::encode_href(fragment))
        }
    }

    fn asset(&self, path: &str) -> String {
        self.assets.path_of(path).to_string()
    }
}

/// The chapter's content alone (no page around it), for embedding in other pages such as the portal.
pub fn chapter_content(book: &CompiledBook, index: usize, links: &dyn LinkResolver) -> String {
    let ch = &book.chapters[index];
    let mut out = String::with_capacity(ch.body.len() * 64);
    if ch.headings.is_empty() {
        write_nodes(
            &mut out,
            &[Element::new("h1").with_text(ch.title.clone()).into()],
            Flavor::Html,
            links,
        );
    }
    write_nodes(&mut out, &ch.body, Flavor::Html, links);
    out
}

fn page(book: &CompiledBook, title: &str, body: &str) -> String {
    let dir = if corpus::language::is_rtl(&book.lang) {
        "rtl"
    } else {
        "ltr"
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\" dir=\"{dir}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<link rel=\"stylesheet\" href=\"style.css\">\n</head>\n<body>\n<a class=\"skip-link\" href=\"#main\">{}</a>\n{body}\n</body>\n</html>\n",
        escaped(&book.lang),
        escaped(title),
        escaped(label(&book.lang, Label::SkipToContent)),
    )
}

fn header(book: &CompiledBook) -> String {
    format!(
        "<header class=\"site-header\">\n<a class=\"book-title\" href=\"index.html\">{}</a>\n</header>",
        escaped(&book.title)
    )
}

fn footer(book: &CompiledBook) -> String {
    let mut parts = Vec::new();
    if !book.config.authors.is_empty() {
        parts.push(escaped(&book.config.authors.join(", ")));
    }
    if let Some(y) = book.config.year {
        parts.push(y.to_string());
    }
    if let Some(l) = &book.config.license {
        parts.push(escaped(l));
    }
    format!(
        "<footer class=\"site-footer\">\n<p>{}</p>\n</footer>",
        parts.join(" · ")
    )
}

/// Renders every page of the reader. `epub_href` links the download, relative to the reader folder.
pub fn render(book: &CompiledBook, assets: &AssetSet, epub_href: Option<&str>) -> Vec<ReaderPage> {
    (0..=book.chapters.len())
        .map(|i| render_page(book, assets, epub_href, i))
        .collect()
}

/// One page: 0 is the contents page (`index.html`), `i` is chapter `i - 1`. Rendering page by page
/// lets a writer keep only one page in memory.
pub fn render_page(
    book: &CompiledBook,
    assets: &AssetSet,
    epub_href: Option<&str>,
    page_index: usize,
) -> ReaderPage {
    let links = ReaderLinks { book, assets };
    let Some(i) = page_index.checked_sub(1) else {
        return ReaderPage {
            path: "index.html".into(),
            html: index_page(book, assets, epub_href, &links),
        };
    };
    let ch = &book.chapters[i];
    let mut body = header(book);
    body.push_str("\n<main id=\"main\">\n<article class=\"chapter\">\n");
    body.push_str(&chapter_content(book, i, &links));
    body.push_str("\n</article>\n</main>\n");
    body.push_str(&pager(book, i, &links));
    body.push_str(&footer(book));
    let title = format!("{} — {}", ch.title, book.title);
    let mut html = page(book, &title, &body);
    if ch.lang != book.lang {
        html = html.replacen(
            &format!("lang=\"{}\"", escaped(&book.lang)),
            &format!("lang=\"{}\"", escaped(&ch.lang)),
            1,
        );
    }
    ReaderPage {
        path: format!("{}.html", book.names[i]),
        html,
    }
}

fn pager(book: &CompiledBook, i: usize, links: &dyn LinkResolver) -> String {
    let lang = &book.lang;
    let mut s = format!(
        "<nav class=\"pager\" aria-label=\"{}\">\n",
        escaped(label(lang, Label::Chapters))
    );
    if i > 0 {
        s.push_str(&format!(
            "<a class=\"prev\" rel=\"prev\" href=\"{}\"><span class=\"pager-label\">← {}</span> {}</a>\n",
            escaped(&links.chapter(i - 1, "")),
            escaped(label(lang, Label::Previous)),
            escaped(&book.chapters[i - 1].title)
        ));
    }
    s.push_str(&format!(
        "<a class=\"up\" href=\"index.html\">{}</a>\n",
        escaped(label(lang, Label::Contents))
    ));
    if i + 1 < book.chapters.len() {
        s.push_str(&format!(
            "<a class=\"next\" rel=\"next\" href=\"{}\"><span class=\"pager-label\">{} →</span> {}</a>\n",
            escaped(&links.chapter(i + 1, "")),
            escaped(label(lang, Label::Next)),
            escaped(&book.chapters[i + 1].title)
        ));
    }
    s.push_str("</nav>\n");
    s
}

fn index_page(
    book: &CompiledBook,
    assets: &AssetSet,
    epub_href: Option<&str>,
    links: &dyn LinkResolver,
) -> String {
    let c = &book.config;
    let lang = &book.lang;
    let mut body = String::from("<main id=\"main\">\n<div class=\"book-head\">\n");
    let cover = assets.cover();
    body.push_str(&format!(
        "<img class=\"cover\" src=\"{}\" alt=\"{}\" width=\"{}\" height=\"{}\">\n<div>\n<h1>{}</h1>\n",
        escaped(&cover.path),
        escaped(&format!("{}: {}", label(lang, Label::Cover), book.title)),
        200,
        if cover.width > 0 { 200 * cover.height.max(1) / cover.width.max(1) } else { 300 },
        escaped(&book.title)
    ));
    if let Some(sub) = &c.subtitle {
        body.push_str(&format!("<p class=\"subtitle\">{}</p>\n", escaped(sub)));
    }
    if !c.authors.is_empty() {
        body.push_str(&format!(
            "<p class=\"authors\">{}</p>\n",
            escaped(&c.authors.join(", "))
        ));
    }
    if let Some(d) = &c.description {
        body.push_str(&format!("<p class=\"description\">{}</p>\n", escaped(d)));
    }
    if let Some(href) = epub_href {
        body.push_str(&format!(
            "<p><a class=\"download\" href=\"{}\" download>EPUB</a></p>\n",
            escaped(href)
        ));
    }
    body.push_str("</div>\n</div>\n");
    body.push_str(&format!(
        "<nav class=\"toc\" aria-labelledby=\"toc-title\">\n<h2 id=\"toc-title\">{}</h2>\n",
        escaped(label(lang, Label::Contents))
    ));
    write_toc(&mut body, &toc::nav_items(book, true), links);
    body.push_str("</nav>\n</main>\n");
    body.push_str(&footer(book));
    page(book, &book.title, &body)
}

fn write_toc(out: &mut String, items: &[NavItem], links: &dyn LinkResolver) {
    out.push_str("<ol>\n");
    for item in items {
        out.push_str("<li>");
        let node: Node = match &item.target {
            Some((ch, frag)) => Element::new("a")
                .with_attr("href", links.chapter(*ch, frag))
                .with_text(item.title.clone())
                .into(),
            None => Element::new("span")
                .with_attr("class", "part")
                .with_text(item.title.clone())
                .into(),
        };
        write_nodes(out, &[node], Flavor::Html, links);
        if !item.children.is_empty() {
            write_toc(out, &item.children, links);
        }
        out.push_str("</li>\n");
    }
    out.push_str("</ol>\n");
}
