//! The library as a static site: a home page, a page per book, each book's web reader and EPUB,
//! and a search page whose index is script files (`indexer::static_index`). The USB pack writes
//! it to a folder, the ZIM writer into one file; both open with no server and no network.

use crate::library::state::{AppState, Book, Snapshot};
use anyhow::{Context, Result, anyhow, bail};
use indexer::static_index::{self, StaticBook, StaticPassage};
use maud::{DOCTYPE, Markup, html};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The browser side of the search (normalising, Latin letters, lookup, BM25).
pub const SEARCH_JS: &str = include_str!("../../assets/pack/search.js");
/// The search page: reads `?q=`, runs the search, lists the passages.
pub const PAGE_JS: &str = include_str!("../../assets/pack/page.js");
/// Reader pages: marks the words searched for in the passage opened.
pub const HIGHLIGHT_JS: &str = include_str!("../../assets/pack/highlight.js");
/// Runs the search in Node (`kitep eval retrieval --pack`).
pub const RUN_NODE_JS: &str = include_str!("../../assets/pack/run-node.js");
pub const SITE_CSS: &str = include_str!("../../assets/pack/site.css");

pub enum Content {
    Bytes(Vec<u8>),
    /// A stored file, copied (or read) when written.
    File(PathBuf),
}

pub struct Entry {
    /// Relative to the site's root, `/`-separated.
    pub path: String,
    pub content: Content,
    /// A page's title (ZIM entries have one); empty for other files.
    pub title: String,
}

impl Entry {
    pub fn bytes(&self) -> std::io::Result<std::borrow::Cow<'_, [u8]>> {
        match &self.content {
            Content::Bytes(b) => Ok(std::borrow::Cow::Borrowed(b)),
            Content::File(p) => std::fs::read(p).map(std::borrow::Cow::Owned),
        }
    }

    pub fn len(&self) -> u64 {
        match &self.content {
            Content::Bytes(b) => b.len() as u64,
            Content::File(p) => std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

pub struct Site {
    pub entries: Vec<Entry>,
    /// The books in it, in the order of the home page.
    pub books: Vec<Arc<Book>>,
    /// The interface's language (ky, ru or en).
    pub lang: String,
    pub title: String,
}

impl Site {
    pub fn bytes(&self) -> u64 {
        self.entries.iter().map(Entry::len).sum()
    }

    /// What the search index takes (its data files; the scripts aside).
    pub fn index_bytes(&self) -> u64 {
        self.entries
            .iter()
            .filter(|e| e.path.starts_with("search/") && e.path.matches('/').count() >= 2)
            .map(Entry::len)
            .sum()
    }
}

/// The interface's words.
pub struct Words {
    pub library: &'static str,
    pub search: &'static str,
    pub books: &'static str,
    pub read: &'static str,
    pub download: &'static str,
    pub contents: &'static str,
    pub needs_js: &'static str,
    pub searching: &'static str,
    pub none: &'static str,
    pub found: &'static str,
    pub home: &'static str,
    pub grade: &'static str,
    pub offline: &'static str,
}

pub fn words(lang: &str) -> Words {
    match lang {
        "ru" => Words {
            library: "Библиотека Китепкана",
            search: "Поиск",
            books: "Книги",
            read: "Читать",
            download: "Скачать EPUB",
            contents: "Содержание",
            needs_js: "Для поиска нужен JavaScript. Книги открываются и без него.",
            searching: "Идёт поиск…",
            none: "Ничего не найдено.",
            found: "Найдено отрывков:",
            home: "Все книги",
            grade: "класс",
            offline: "Копия библиотеки для работы без интернета.",
        },
        "en" => Words {
            library: "Kitepkana library",
            search: "Search",
            books: "Books",
            read: "Read",
            download: "Download EPUB",
            contents: "Contents",
            needs_js: "Search needs JavaScript. The books open without it.",
            searching: "Searching…",
            none: "Nothing found.",
            found: "Passages found:",
            home: "All books",
            grade: "grade",
            offline: "A copy of the library that works without the internet.",
        },
        _ => Words {
            library: "Китепкана",
            search: "Издөө",
            books: "Китептер",
            read: "Окуу",
            download: "EPUB жүктөө",
            contents: "Мазмуну",
            needs_js: "Издөө үчүн JavaScript керек. Китептер ансыз да ачылат.",
            searching: "Изделүүдө…",
            none: "Эч нерсе табылган жок.",
            found: "Табылган үзүндүлөр:",
            home: "Бардык китептер",
            grade: "класс",
            offline: "Интернетсиз иштеген китепкана көчүрмөсү.",
        },
    }
}

/// The books of the chosen collections (all books when none is named), in the library's order.
pub fn select(snapshot: &Snapshot, collections: &[String]) -> Result<Vec<Arc<Book>>> {
    if collections.is_empty() {
        return Ok(snapshot.books.clone());
    }
    let mut wanted = std::collections::HashSet::new();
    for slug in collections {
        let Some(c) = snapshot.collection(slug) else {
            let known: Vec<&str> = snapshot
                .collections
                .iter()
                .map(|c| c.slug.as_str())
                .collect();
            bail!(
                "there is no collection '{slug}' in this library (its collections: {})",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            );
        };
        wanted.extend(c.books.iter().cloned());
    }
    Ok(snapshot
        .books
        .iter()
        .filter(|b| wanted.contains(&b.slug))
        .cloned()
        .collect())
}

fn page(lang: &str, title: &str, root: &str, body: Markup) -> Vec<u8> {
    let w = words(lang);
    html! {
        (DOCTYPE)
        html lang=(lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                link rel="stylesheet" href={ (root) "site.css" };
            }
            body {
                header.site {
                    a.home href={ (root) "index.html" } { (w.library) }
                    form.search action={ (root) "search.html" } method="get" role="search" {
                        label for="q" class="visually-hidden" { (w.search) }
                        input #q type="search" name="q" required;
                        button type="submit" { (w.search) }
                    }
                }
                main #main { (body) }
            }
        }
    }
    .into_string()
    .into_bytes()
}

fn book_meta(b: &Book, lang: &str) -> String {
    let w = words(lang);
    let mut parts = vec![b.record.language.clone()];
    if !b.record.grades.is_empty() {
        let g: Vec<String> = b.record.grades.iter().map(u8::to_string).collect();
        parts.push(format!("{}: {}", w.grade, g.join(", ")));
    }
    if let Some(y) = b.record.year {
        parts.push(y.to_string());
    }
    parts.join(" · ")
}

fn thumbnail(b: &Book) -> Option<String> {
    b.manifest
        .cover_thumbnail_raster
        .clone()
        .or_else(|| b.manifest.cover_thumbnail.clone())
}

fn home(site_books: &[Arc<Book>], lang: &str, title: &str) -> Vec<u8> {
    let w = words(lang);
    page(
        lang,
        title,
        "",
        html! {
            h1 { (title) }
            p { (w.offline) }
            h2 { (w.books) }
            ul.books {
                @for b in site_books {
                    li {
                        @if let Some(t) = thumbnail(b) {
                            img src={ "books/" (b.slug) "/html/" (t) } alt="" width="80";
                        }
                        div {
                            a href={ "books/" (b.slug) "/index.html" } lang=(b.record.language) { (b.record.title) }
                            @if let Some(s) = &b.record.subtitle { br; span lang=(b.record.language) { (s) } }
                            br; small { (book_meta(b, lang)) }
                        }
                    }
                }
            }
        },
    )
}

fn book_page(b: &Book, lang: &str) -> Vec<u8> {
    let w = words(lang);
    let r = &b.record;
    page(
        lang,
        &r.title,
        "../../",
        html! {
            p { a href="../../index.html" { (w.home) } }
            div.book lang=(r.language) {
                @if let Some(t) = thumbnail(b) {
                    img src={ "html/" (t) } alt="" width="160";
                }
                div {
                    h1 { (r.title) }
                    @if let Some(s) = &r.subtitle { p.subtitle { (s) } }
                    @let authors = r.authors();
                    @if !authors.is_empty() { p { (authors.join(", ")) } }
                    @if let Some(d) = &r.description { p { (d) } }
                    p lang=(lang) { small { (book_meta(b, lang)) } }
                    p lang=(lang) {
                        a.button href="html/index.html" { (w.read) }
                        @if let Some(f) = &b.epub_file {
                            " " a.button href=(f) download { (w.download) }
                        }
                    }
                }
            }
            h2 lang=(lang) { (w.contents) }
            ol lang=(r.language) {
                @for c in &b.manifest.chapters {
                    li { a href={ "html/" (c.name) ".html" } { (c.title) } }
                }
            }
        },
    )
}

fn search_page(lang: &str) -> Vec<u8> {
    let w = words(lang);
    page(
        lang,
        w.search,
        "",
        html! {
            h1 { (w.search) }
            noscript { p { (w.needs_js) } }
            p #status role="status" aria-live="polite"
                data-searching=(w.searching) data-none=(w.none) data-found=(w.found) {}
            ol #results {}
            script src="search/search.js" {}
            script src="search/page.js" {}
        },
    )
}

/// A reader page with the highlighting script, which marks the searched words (`?hl=`).
fn with_highlight(html: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(html);
    let tag = "<script src=\"../../../search/highlight.js\"></script>\n";
    match text.rfind("</body>") {
        Some(at) => format!("{}{tag}{}", &text[..at], &text[at..]).into_bytes(),
        None => html.to_vec(),
    }
}

fn add_tree(entries: &mut Vec<Entry>, dir: &Path, prefix: &str, depth: usize) -> Result<()> {
    if depth > 8 {
        return Ok(());
    }
    let mut list: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .flatten()
        .collect();
    list.sort_by_key(|e| e.file_name());
    for e in list {
        let name = e.file_name().to_string_lossy().to_string();
        if !crate::library::artifacts::is_safe_name(&name) {
            continue;
        }
        let path = format!("{prefix}/{name}");
        let ft = e.file_type()?;
        if ft.is_dir() {
            add_tree(entries, &e.path(), &path, depth + 1)?;
        } else if ft.is_file() {
            let content = if name.ends_with(".html") {
                Content::Bytes(with_highlight(&std::fs::read(e.path())?))
            } else {
                Content::File(e.path())
            };
            entries.push(Entry {
                path,
                content,
                title: String::new(),
            });
        }
    }
    Ok(())
}

/// The passages of a stored version (`passages.jsonl`), as the search index takes them.
fn passages_of(
    state: &AppState,
    b: &Book,
    book: usize,
    out: &mut Vec<StaticPassage>,
) -> Result<()> {
    let Some(bytes) = state.store.read(&b.slug, &b.version, "passages.jsonl")? else {
        return Ok(());
    };
    for line in String::from_utf8_lossy(&bytes).lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let s = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
        let heading = v
            .get("heading_path")
            .and_then(|h| h.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str())
                    .collect::<Vec<_>>()
                    .join(" › ")
            })
            .unwrap_or_default();
        let lang = match s("lang") {
            l if l.is_empty() => b.record.language.clone(),
            l => l,
        };
        out.push(StaticPassage {
            book,
            href: format!(
                "books/{}/html/{}.html#{}",
                b.slug,
                s("chapter"),
                s("anchor")
            ),
            heading,
            lang,
            text: s("text"),
        });
    }
    Ok(())
}

/// The whole site for `books`.
pub fn build(state: &AppState, books: Vec<Arc<Book>>, lang: &str) -> Result<Site> {
    let w = words(lang);
    let title = w.library.to_string();
    let mut entries = vec![
        Entry {
            path: "index.html".into(),
            content: Content::Bytes(home(&books, lang, &title)),
            title: title.clone(),
        },
        Entry {
            path: "search.html".into(),
            content: Content::Bytes(search_page(lang)),
            title: w.search.into(),
        },
        Entry {
            path: "site.css".into(),
            content: Content::Bytes(SITE_CSS.as_bytes().to_vec()),
            title: String::new(),
        },
    ];
    for (path, text) in [
        ("search/search.js", SEARCH_JS),
        ("search/page.js", PAGE_JS),
        ("search/highlight.js", HIGHLIGHT_JS),
    ] {
        entries.push(Entry {
            path: path.into(),
            content: Content::Bytes(text.as_bytes().to_vec()),
            title: String::new(),
        });
    }
    let mut static_books = Vec::new();
    let mut passages = Vec::new();
    for b in &books {
        let dir = state
            .store
            .local_dir(&b.slug, &b.version)
            .ok_or_else(|| anyhow!("{}: the book's files are not on this machine", b.slug))?;
        entries.push(Entry {
            path: format!("books/{}/index.html", b.slug),
            content: Content::Bytes(book_page(b, lang)),
            title: b.record.title.clone(),
        });
        if let Some(f) = &b.epub_file {
            entries.push(Entry {
                path: format!("books/{}/{f}", b.slug),
                content: Content::File(dir.join(f)),
                title: String::new(),
            });
        }
        add_tree(
            &mut entries,
            &dir.join("html"),
            &format!("books/{}/html", b.slug),
            0,
        )?;
        passages_of(state, b, static_books.len(), &mut passages)?;
        static_books.push(StaticBook {
            slug: b.slug.clone(),
            title: b.record.title.clone(),
            href: format!("books/{}/index.html", b.slug),
        });
    }
    for (path, text) in static_index::build(&static_books, &passages)? {
        entries.push(Entry {
            path: format!("search/{path}"),
            content: Content::Bytes(text.into_bytes()),
            title: String::new(),
        });
    }
    Ok(Site {
        entries,
        books,
        lang: lang.to_string(),
        title,
    })
}
