//! The page frame every public page shares (header, search form, footer, stylesheet) and the
//! small pieces several pages draw: pagers, book cards.

use crate::library::state::Book;
use crate::web::i18n::{Lang, M, language_name, t, term_name, tf};
use crate::web::lang::Ui;
use formats::doc::escaped as esc;
use std::fmt::Write;
use std::sync::{Arc, LazyLock};

pub fn tf_q(lang: Lang, m: M, q: &str) -> String {
    tf(lang, m, &[("q", q)])
}

pub const PORTAL_CSS: &str = include_str!("../../assets/portal.css");
pub const ICON_SVG: &str = include_str!("../../assets/icon.svg");

/// The stylesheet (the reader's styles for book content, then the portal's), under a URL that
/// changes with its content so it can be cached for good.
pub static CSS: LazyLock<(String, String)> = LazyLock::new(|| {
    let css = format!("{}\n{}", formats::reader::READER_CSS, PORTAL_CSS);
    let mut h = crate::library::Fnv::default();
    h.write(css.as_bytes());
    (format!("/static/portal-{:08x}.css", h.finish() as u32), css)
});

pub struct Page<'a> {
    pub title: String,
    pub main: String,
    /// The search box's current text.
    pub query: &'a str,
    pub noindex: bool,
    pub wide: bool,
    /// The search box in the header (the home page has its own, larger one).
    pub header_search: bool,
    /// Extra `<link>`s (alternate editions, feeds).
    pub head: String,
}

impl<'a> Page<'a> {
    pub fn new(title: impl Into<String>, main: String) -> Self {
        Page {
            title: title.into(),
            main,
            query: "",
            noindex: false,
            wide: false,
            header_search: true,
            head: String::new(),
        }
    }
}

pub fn layout(ui: &Ui, p: Page<'_>) -> String {
    let l = ui.lang;
    let mut s = String::with_capacity(p.main.len() + 4096);
    let site = t(l, M::SiteName);
    let title = if p.title.is_empty() {
        site.to_string()
    } else {
        format!("{} — {site}", p.title)
    };
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<link rel=\"stylesheet\" href=\"{}\">\n<link rel=\"icon\" href=\"/static/icon.svg\" type=\"image/svg+xml\">\n<link rel=\"search\" type=\"application/opensearchdescription+xml\" href=\"/opds/opensearch.xml\" title=\"{}\">\n<link rel=\"alternate\" type=\"application/atom+xml;profile=opds-catalog;kind=navigation\" href=\"/opds/\" title=\"OPDS\">\n",
        l.code(),
        esc(&title),
        CSS.0,
        esc(site),
    );
    if p.noindex {
        s.push_str("<meta name=\"robots\" content=\"noindex\">\n");
    }
    s.push_str(&p.head);
    let _ = write!(
        s,
        "</head>\n<body>\n<a class=\"skip-link\" href=\"#main\">{}</a>\n<header class=\"portal-header\">\n<div class=\"bar\">\n<a class=\"brand\" href=\"/\">{}</a>\n<nav class=\"langs\" aria-label=\"{}\"><ul>",
        esc(t(l, M::SkipToContent)),
        esc(site),
        esc(t(l, M::InterfaceLanguage)),
    );
    let back = back_param(&ui.here);
    for other in Lang::ALL {
        if other == l {
            let _ = write!(
                s,
                "<li><span aria-current=\"true\" lang=\"{0}\">{1}</span></li>",
                other.code(),
                other.native_name()
            );
        } else {
            let _ = write!(
                s,
                "<li><a href=\"/lang/{0}?back={1}\" lang=\"{0}\" hreflang=\"{0}\">{2}</a></li>",
                other.code(),
                back,
                other.native_name()
            );
        }
    }
    let _ = write!(
        s,
        "</ul></nav>\n</div>\n<nav class=\"main-nav\" aria-label=\"{}\"><ul><li><a href=\"/\">{}</a></li><li><a href=\"/books\">{}</a></li><li><a href=\"/collections\">{}</a></li><li><a href=\"/about\">{}</a></li></ul></nav>\n",
        esc(t(l, M::MainNav)),
        esc(t(l, M::NavHome)),
        esc(t(l, M::NavBooks)),
        esc(t(l, M::NavCollections)),
        esc(t(l, M::NavAbout)),
    );
    if p.header_search {
        s.push_str(&search_form(l, p.query, None, "header-search"));
    }
    let _ = write!(
        s,
        "</header>\n<main id=\"main\" class=\"{}\" tabindex=\"-1\">\n{}\n</main>\n<footer class=\"portal-footer\">\n<p>{}</p>\n<p><a href=\"/opds/\">{}</a> · <a href=\"/api/\">{}</a> · <a href=\"/about\">{}</a></p>\n</footer>\n</body>\n</html>\n",
        if p.wide { "wide" } else { "narrow" },
        p.main,
        esc(t(l, M::FooterPrivacy)),
        esc(t(l, M::FooterOpds)),
        esc(t(l, M::FooterApi)),
        esc(t(l, M::NavAbout)),
    );
    s
}

/// The `back=` value for the language switcher: this page's path and query, percent-encoded.
pub fn back_param(here: &str) -> String {
    url_encode(if here.starts_with('/') { here } else { "/" })
}

pub fn url_encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub fn search_form(l: Lang, q: &str, book: Option<(&str, &str)>, class: &str) -> String {
    let id = format!("q-{class}");
    let (label, hidden) = match book {
        Some((slug, _)) => (
            t(l, M::SearchInBook),
            format!(
                "<input type=\"hidden\" name=\"book\" value=\"{}\">",
                esc(slug)
            ),
        ),
        None => (t(l, M::SearchLabel), String::new()),
    };
    format!(
        "<form class=\"search {class}\" role=\"search\" action=\"/search\" method=\"get\">{hidden}<label for=\"{id}\">{}</label><span class=\"row\"><input id=\"{id}\" type=\"search\" name=\"q\" value=\"{}\" maxlength=\"500\" autocomplete=\"off\" spellcheck=\"false\"><button type=\"submit\">{}</button></span></form>\n",
        esc(label),
        esc(q),
        esc(t(l, M::SearchButton)),
    )
}

pub fn grade_label(l: Lang, g: u8) -> String {
    tf(l, M::Grade, &[("n", &g.to_string())])
}

/// Short facts under a title: language, grades, subject.
pub fn book_meta(l: Lang, b: &Book) -> String {
    let r = &b.record;
    let mut parts = vec![esc(&language_name(l, &r.language))];
    if !r.grades.is_empty() {
        parts.push(esc(&r
            .grades
            .iter()
            .map(|g| grade_label(l, *g))
            .collect::<Vec<_>>()
            .join(", ")));
    }
    if let Some(s) = &r.subject {
        parts.push(esc(&term_name(l, s)));
    }
    parts.join(" · ")
}

pub fn book_cards(l: Lang, books: &[Arc<Book>]) -> String {
    if books.is_empty() {
        return format!("<p>{}</p>", esc(t(l, M::NoBooks)));
    }
    let mut s = String::from("<ul class=\"cards\">");
    for b in books {
        let thumb = b
            .thumbnail_url()
            .map(|u| {
                format!(
                    "<img src=\"{}\" alt=\"\" width=\"80\" height=\"110\" loading=\"lazy\">",
                    esc(&u)
                )
            })
            .unwrap_or_default();
        let _ = write!(
            s,
            "<li class=\"card\">{thumb}<div><a class=\"card-title\" href=\"/books/{}\" lang=\"{}\">{}</a><p class=\"meta\">{}</p></div></li>",
            esc(&b.slug),
            esc(&b.record.language),
            esc(&b.record.title),
            book_meta(l, b),
        );
    }
    s.push_str("</ul>");
    s
}

/// Previous / "page N of M" / next links.
pub fn pager(l: Lang, page: usize, pages: usize, href: impl Fn(usize) -> String) -> String {
    let mut m = format!(
        "<nav class=\"pager\" aria-label=\"{}\">",
        esc(t(l, M::Pagination))
    );
    if page > 1 {
        let _ = write!(
            m,
            "<a href=\"{}\" rel=\"prev\">← {}</a>",
            esc(&href(page - 1)),
            esc(t(l, M::Previous))
        );
    }
    let _ = write!(
        m,
        "<span>{}</span>",
        esc(&tf(
            l,
            M::PageOf,
            &[("n", &page.to_string()), ("m", &pages.to_string())]
        ))
    );
    if page < pages {
        let _ = write!(
            m,
            "<a href=\"{}\" rel=\"next\">{} →</a>",
            esc(&href(page + 1)),
            esc(t(l, M::Next))
        );
    }
    m.push_str("</nav>");
    m
}

/// The book's chapters as list items linking into the reader; the current one marked.
pub fn chapter_items(m: &mut String, b: &Book, current: Option<&str>) {
    for c in &b.manifest.chapters {
        let mark = if Some(c.name.as_str()) == current {
            " aria-current=\"page\""
        } else {
            ""
        };
        let _ = write!(
            m,
            "<li><a href=\"/read/{}/{}\"{mark}>{}</a></li>",
            esc(&b.slug),
            esc(&c.name),
            esc(&c.title)
        );
    }
}
