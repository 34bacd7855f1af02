//! The portal's HTML pages: home, search, book lists, book, reader (with side-by-side editions),
//! collections, about, errors. Server-rendered, small, no JavaScript, accessible.

use crate::files::{self, Caching};
use crate::i18n::{Lang, M, books_count, books_count_found, language_name, t, term_name, tf};
use crate::state::{AppState, Book, Snapshot};
use crate::web::{LANG_COOKIE, Params, Segs, Shared, Ui, html_response, stored_file, tf_q};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use formats::doc::escaped as esc;
use std::fmt::Write;
use std::sync::{Arc, LazyLock};

pub const PORTAL_CSS: &str = include_str!("../assets/portal.css");
pub const ICON_SVG: &str = include_str!("../assets/icon.svg");

/// The stylesheet (the reader's styles for book content, then the portal's), under a URL that
/// changes with its content so it can be cached for good.
pub static CSS: LazyLock<(String, String)> = LazyLock::new(|| {
    let css = format!("{}\n{}", formats::reader::READER_CSS, PORTAL_CSS);
    let mut h = files::Fnv::default();
    h.write(css.as_bytes());
    (format!("/static/portal-{:08x}.css", h.finish() as u32), css)
});

/// Results per page, and the deepest page offered.
pub const PER_PAGE: usize = 10;
pub use indexer::search::MAX_PAGE;

struct Page<'a> {
    title: String,
    main: String,
    /// The search box's current text.
    query: &'a str,
    noindex: bool,
    wide: bool,
    /// The search box in the header (the home page has its own, larger one).
    header_search: bool,
    /// Extra `<link>`s (alternate editions, feeds).
    head: String,
}

impl<'a> Page<'a> {
    fn new(title: impl Into<String>, main: String) -> Self {
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

fn layout(ui: &Ui, p: Page<'_>) -> String {
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
fn back_param(here: &str) -> String {
    url_encode(if here.starts_with('/') { here } else { "/" })
}

pub fn url_encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn search_form(l: Lang, q: &str, book: Option<(&str, &str)>, class: &str) -> String {
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

fn grade_label(l: Lang, g: u8) -> String {
    tf(l, M::Grade, &[("n", &g.to_string())])
}

/// Short facts under a title: language, grades, subject.
fn book_meta(l: Lang, b: &Book) -> String {
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

fn book_cards(l: Lang, books: &[Arc<Book>]) -> String {
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

pub async fn home(State(state): State<Shared>, ui: Ui) -> Response {
    let l = ui.lang;
    let snap = state.snapshot();
    let mut m = String::new();
    let _ = write!(
        m,
        "<h1>{}</h1>\n<p class=\"lead\">{}</p>\n{}",
        esc(t(l, M::Tagline)),
        esc(t(l, M::HomeIntro)),
        search_form(l, "", None, "home-search")
    );
    let _ = write!(m, "<p class=\"hint\">{}</p>", esc(t(l, M::SearchHint)));
    if !snap.collections.is_empty() {
        let _ = write!(
            m,
            "<section aria-labelledby=\"h-collections\"><h2 id=\"h-collections\">{}</h2><ul class=\"collections\">",
            esc(t(l, M::NavCollections))
        );
        for c in &snap.collections {
            let n = snap.books_in(c).len();
            let _ = write!(
                m,
                "<li><a href=\"/collections/{}\">{}</a> <span class=\"meta\">({})</span><p>{}</p></li>",
                esc(&c.slug),
                esc(c.title(l.code())),
                esc(&books_count(l, n)),
                esc(c.description(l.code())),
            );
        }
        m.push_str("</ul></section>\n");
    }
    let recent: Vec<Arc<Book>> = snap.books.iter().take(6).cloned().collect();
    let _ = writeln!(
        m,
        "<section aria-labelledby=\"h-recent\"><h2 id=\"h-recent\">{}</h2>{}</section>",
        esc(t(l, M::RecentlyAdded)),
        book_cards(l, &recent)
    );
    m.push_str("<div class=\"browse\">");
    browse_list(
        &mut m,
        "h-grade",
        t(l, M::BrowseByGrade),
        snap.grades()
            .into_iter()
            .map(|(g, n)| (format!("grade={g}"), grade_label(l, g), n)),
        l,
    );
    browse_list(
        &mut m,
        "h-subject",
        t(l, M::BrowseBySubject),
        snap.subjects()
            .into_iter()
            .map(|(s, n)| (format!("subject={}", url_encode(&s)), term_name(l, &s), n)),
        l,
    );
    browse_list(
        &mut m,
        "h-language",
        t(l, M::BrowseByLanguage),
        snap.languages()
            .into_iter()
            .map(|(s, n)| (format!("lang={}", url_encode(&s)), language_name(l, &s), n)),
        l,
    );
    m.push_str("</div>");
    let mut page = Page::new("", m);
    page.wide = true;
    page.header_search = false;
    html_response(&ui, StatusCode::OK, layout(&ui, page))
}

fn browse_list(
    m: &mut String,
    id: &str,
    title: &str,
    items: impl Iterator<Item = (String, String, usize)>,
    l: Lang,
) {
    let _ = write!(
        m,
        "<section aria-labelledby=\"{id}\"><h2 id=\"{id}\">{}</h2><ul>",
        esc(title)
    );
    for (q, label, n) in items {
        let _ = write!(
            m,
            "<li><a href=\"/books?{q}\">{}</a> <span class=\"meta\">({})</span></li>",
            esc(&label),
            esc(&books_count(l, n))
        );
    }
    m.push_str("</ul></section>");
}

/// Previous / "page N of M" / next links.
fn pager(l: Lang, page: usize, pages: usize, href: impl Fn(usize) -> String) -> String {
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

/// Book cards per page of `/books`.
const BOOKS_PER_PAGE: usize = 48;

/// `/books?grade=5` (or subject, lang, collection; `page=N`): a list of books.
pub async fn books(State(state): State<Shared>, ui: Ui, params: Params) -> Response {
    let l = ui.lang;
    let snap = state.snapshot();
    let page = match params.get("page") {
        None | Some("") => 1,
        Some(p) => match p.trim().parse::<usize>() {
            Ok(n) if n >= 1 => n,
            _ => {
                return error_page(
                    l,
                    StatusCode::BAD_REQUEST,
                    M::BadRequestTitle,
                    &tf(l, M::BadPage, &[("max", &MAX_PAGE.to_string())]),
                );
            }
        },
    };
    let filter = params.0.iter().find(|(k, _)| k != "page");
    let (title, list) = match filter {
        None => (t(l, M::NavBooks).to_string(), snap.books.clone()),
        Some((k, v)) => match snap.filter(k, v) {
            Some(list) => (facet_label(l, &snap, k, v), list),
            None => return not_found(&ui),
        },
    };
    let pages = list.len().div_ceil(BOOKS_PER_PAGE).max(1);
    if page > pages {
        return not_found(&ui);
    }
    let shown: Vec<Arc<Book>> = list
        .iter()
        .skip((page - 1) * BOOKS_PER_PAGE)
        .take(BOOKS_PER_PAGE)
        .cloned()
        .collect();
    let mut m = format!(
        "<h1>{}</h1><p class=\"meta\">{}</p>{}",
        esc(&title),
        esc(&books_count(l, list.len())),
        book_cards(l, &shown)
    );
    if pages > 1 {
        let href = |n: usize| {
            let mut p: Vec<(String, String)> = filter.into_iter().cloned().collect();
            p.push(("page".into(), n.to_string()));
            let query: Vec<String> = p
                .iter()
                .map(|(k, v)| format!("{}={}", url_encode(k), url_encode(v)))
                .collect();
            format!("/books?{}", query.join("&"))
        };
        m.push_str(&pager(l, page, pages, href));
    }
    html_response(&ui, StatusCode::OK, layout(&ui, Page::new(title, m)))
}

/// The filters the search page offers, in order.
const FACETS: [(&str, M); 6] = [
    ("lang", M::Language),
    ("grade", M::Grades),
    ("subject", M::Subject),
    ("material", M::Material),
    ("collection", M::Collection),
    ("license", M::Licence),
];

fn facet_label(l: Lang, snap: &Snapshot, key: &str, value: &str) -> String {
    match key {
        "lang" => language_name(l, value),
        "grade" => value
            .parse::<u8>()
            .map(|g| grade_label(l, g))
            .unwrap_or_else(|_| value.to_string()),
        "collection" => snap
            .collection(value)
            .map(|c| c.title(l.code()).to_string())
            .unwrap_or_else(|| value.to_string()),
        "subject" | "material" => term_name(l, value),
        _ => value.to_string(),
    }
}

/// A search URL with these parameters.
fn search_url(params: &[(String, String)]) -> String {
    let mut s = String::from("/search?");
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            s.push('&');
        }
        s.push_str(&url_encode(k));
        s.push('=');
        s.push_str(&url_encode(v));
    }
    s
}

pub struct SearchInput {
    pub q: String,
    pub filters: Vec<(String, String)>,
    pub page: usize,
    pub lang: Option<String>,
    /// `sort=title|date`; anything else is relevance.
    pub sort: indexer::Sort,
}

/// Reads `q`, `page`, `qlang`, `sort` and the facet filters; an absurd page is an error.
pub fn search_input(params: &Params) -> Result<SearchInput, String> {
    let q: String = params.get("q").unwrap_or("").chars().take(2000).collect();
    let page = match params.get("page") {
        None | Some("") => 1,
        Some(p) => match p.trim().parse::<usize>() {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => n,
            _ => return Err(MAX_PAGE.to_string()),
        },
    };
    let filters = params
        .0
        .iter()
        .filter(|(k, v)| !v.is_empty() && (FACETS.iter().any(|(f, _)| f == k) || k == "book"))
        .take(16)
        .cloned()
        .collect();
    let lang = params
        .get("qlang")
        .filter(|v| !v.is_empty() && v.len() <= 12)
        .map(str::to_string);
    let sort = params
        .get("sort")
        .and_then(indexer::Sort::parse)
        .unwrap_or_default();
    Ok(SearchInput {
        q,
        filters,
        page,
        lang,
        sort,
    })
}

fn sort_param(sort: indexer::Sort) -> &'static str {
    match sort {
        indexer::Sort::Relevance => "relevance",
        indexer::Sort::Title => "title",
        indexer::Sort::Date => "date",
    }
}

pub async fn run_search(
    state: &Shared,
    input: &SearchInput,
    per_page: usize,
) -> anyhow::Result<indexer::SearchResults> {
    let st = state.clone();
    let req = indexer::SearchRequest {
        query: input.q.clone(),
        lang: input.lang.clone(),
        filters: input.filters.clone(),
        page: input.page,
        per_page,
        sort: input.sort,
    };
    Ok(st
        .cpu(move |s| indexer::search(&s.library(), &req))
        .await??)
}

pub async fn search(State(state): State<Shared>, ui: Ui, params: Params) -> Response {
    let l = ui.lang;
    let input = match search_input(&params) {
        Ok(i) => i,
        Err(max) => {
            return error_page(
                l,
                StatusCode::BAD_REQUEST,
                M::BadRequestTitle,
                &tf(l, M::BadPage, &[("max", &max)]),
            );
        }
    };
    let snap = state.snapshot();
    let book_scope = input
        .filters
        .iter()
        .find(|(k, _)| k == "book")
        .and_then(|(_, v)| snap.book(v).cloned());
    let mut m = String::new();
    if input.q.trim().is_empty() {
        let _ = write!(
            m,
            "<h1>{}</h1>{}<p>{}</p><p class=\"hint\">{}</p>",
            esc(t(l, M::SearchTitle)),
            search_form(
                l,
                "",
                book_scope.as_ref().map(|b| (b.slug.as_str(), "")),
                "page-search"
            ),
            esc(t(l, M::EmptyQuery)),
            esc(t(l, M::SearchHint))
        );
        let mut page = Page::new(t(l, M::SearchTitle), m);
        page.noindex = true;
        return html_response(&ui, StatusCode::OK, layout(&ui, page));
    }
    let results = match run_search(&state, &input, PER_PAGE).await {
        Ok(r) => r,
        Err(e) => return search_failed(&state, l, &e),
    };
    let mut base: Vec<(String, String)> = vec![("q".into(), input.q.clone())];
    base.extend(input.filters.iter().cloned());
    if input.sort != indexer::Sort::Relevance {
        base.push(("sort".into(), sort_param(input.sort).into()));
    }
    if let Some(b) = &book_scope {
        let _ = write!(
            m,
            "<p class=\"crumbs\"><a href=\"/books/{}\" lang=\"{}\">{}</a></p>",
            esc(&b.slug),
            esc(&b.record.language),
            esc(&b.record.title)
        );
    }
    let heading = if results.total_books == 0 {
        tf_q(l, M::NothingFound, &input.q)
    } else {
        tf_q(l, M::ResultsFor, &input.q)
    };
    let _ = write!(m, "<h1>{}</h1>", esc(&heading));
    if state.condition().index_rebuilding.is_some() {
        let _ = write!(
            m,
            "<p class=\"notice\" role=\"status\">{}</p>",
            esc(t(l, M::SearchRebuilding))
        );
    }
    if results.phrases_loosened {
        let _ = write!(
            m,
            "<p class=\"did-you-mean\">{}</p>",
            esc(t(l, M::PhrasesLoosened))
        );
    }
    // Results for a corrected query: say so, and name the correction (searching it again
    // gives the same page; the words as typed found nothing).
    if let Some(dym) = &results.did_you_mean {
        let _ = write!(
            m,
            "<p class=\"did-you-mean\">{} <strong>{}</strong></p>",
            esc(t(l, M::ShowingInstead)),
            esc(dym)
        );
    }
    // Results for the query as typed, but a word of it matched nothing: offer the correction.
    if let Some(s) = &results.suggestion {
        let mut p = base.clone();
        p[0].1 = s.clone();
        let _ = write!(
            m,
            "<p class=\"did-you-mean\">{} <a href=\"{}\">{}</a></p>",
            esc(t(l, M::DidYouMean)),
            esc(&search_url(&p)),
            esc(s)
        );
    }
    // Active filters, each removable.
    let active: Vec<&(String, String)> =
        input.filters.iter().filter(|(k, _)| k != "book").collect();
    if !active.is_empty() {
        let _ = write!(
            m,
            "<ul class=\"active-filters\" aria-label=\"{}\">",
            esc(t(l, M::ActiveFilters))
        );
        for f in &active {
            let p: Vec<(String, String)> = base.iter().filter(|x| x != f).cloned().collect();
            let _ = write!(
                m,
                "<li><a href=\"{}\" title=\"{}\">{} ✕</a></li>",
                esc(&search_url(&p)),
                esc(t(l, M::RemoveFilter)),
                esc(&facet_label(l, &snap, &f.0, &f.1))
            );
        }
        m.push_str("</ul>");
    }
    m.push_str("<div class=\"results-layout\">");
    // Facets with counts.
    let mut facets = String::new();
    for (key, label) in FACETS {
        let Some(values) = results.facets.get(key) else {
            continue;
        };
        let values: Vec<&(String, usize)> = values
            .iter()
            .filter(|(v, _)| !input.filters.iter().any(|(k, x)| k == key && x == v))
            .collect();
        if values.is_empty() {
            continue;
        }
        let _ = write!(facets, "<h3>{}</h3><ul>", esc(t(l, label)));
        for (v, n) in values {
            let mut p = base.clone();
            p.push((key.to_string(), v.clone()));
            let _ = write!(
                facets,
                "<li><a href=\"{}\">{}</a> <span class=\"meta\">({n})</span></li>",
                esc(&search_url(&p)),
                esc(&facet_label(l, &snap, key, v))
            );
        }
        facets.push_str("</ul>");
    }
    // The filters follow the results in the page, so on a phone the first result is on the first
    // screen; a wide screen draws them in a column on the left (portal.css).
    let facets = if !facets.is_empty() && results.total_books > 0 {
        format!(
            "<nav class=\"facets\" aria-labelledby=\"h-refine\"><h2 id=\"h-refine\">{}</h2>{facets}</nav>",
            esc(t(l, M::Refine))
        )
    } else {
        String::new()
    };
    m.push_str("<div class=\"results\">");
    if results.total_books == 0 {
        let _ = write!(
            m,
            "<ul class=\"help\"><li>{}</li><li>{}</li><li>{}</li><li>{}</li></ul>",
            esc(t(l, M::SearchHint)),
            esc(t(l, M::NothingFoundHelp1)),
            esc(t(l, M::NothingFoundHelp2)),
            esc(t(l, M::NothingFoundHelp3)),
        );
        let last = input.q.split_whitespace().last().unwrap_or("").to_string();
        let suggestions = state
            .cpu(move |s| indexer::vocabulary::suggest(&s.library(), &last, 5).unwrap_or_default())
            .await
            .unwrap_or_default();
        if !suggestions.is_empty() {
            let _ = write!(m, "<p>{} ", esc(t(l, M::TryAlso)));
            for (i, s) in suggestions.iter().enumerate() {
                if i > 0 {
                    m.push_str(", ");
                }
                let mut p = base.clone();
                p[0].1 = s.clone();
                let _ = write!(m, "<a href=\"{}\">{}</a>", esc(&search_url(&p)), esc(s));
            }
            m.push_str("</p>");
        }
        m.push_str(&search_form(
            l,
            &input.q,
            book_scope.as_ref().map(|b| (b.slug.as_str(), "")),
            "page-search",
        ));
    } else {
        let _ = write!(
            m,
            "<p class=\"meta\">{}</p>",
            esc(&books_count_found(
                l,
                results.total_books,
                results.totals_exact
            ))
        );
        // The order of the books, as links (no script needed); the current one is not a link.
        if results.total_books > 1 {
            let _ = write!(
                m,
                "<nav class=\"sort\" aria-label=\"{0}\"><span>{0}:</span> ",
                esc(t(l, M::SortBy))
            );
            for (i, (sort, label)) in [
                (indexer::Sort::Relevance, M::SortRelevance),
                (indexer::Sort::Title, M::SortTitle),
                (indexer::Sort::Date, M::SortDate),
            ]
            .into_iter()
            .enumerate()
            {
                if i > 0 {
                    m.push_str(" · ");
                }
                if sort == input.sort {
                    let _ = write!(
                        m,
                        "<strong aria-current=\"true\">{}</strong>",
                        esc(t(l, label))
                    );
                } else {
                    let mut p: Vec<(String, String)> =
                        base.iter().filter(|(k, _)| k != "sort").cloned().collect();
                    if sort != indexer::Sort::Relevance {
                        p.push(("sort".into(), sort_param(sort).into()));
                    }
                    let _ = write!(
                        m,
                        "<a href=\"{}\">{}</a>",
                        esc(&search_url(&p)),
                        esc(t(l, label))
                    );
                }
            }
            m.push_str("</nav>");
        }
        m.push_str("<ol class=\"hits\">");
        for hit in &results.books {
            let b = &hit.book;
            let lang = esc(&b.language);
            let _ = write!(
                m,
                "<li class=\"hit\"><h2><a href=\"/books/{}\" lang=\"{lang}\">{}</a></h2>",
                esc(&b.slug),
                esc(&b.title)
            );
            if let Some(book) = snap.book(&b.slug) {
                let _ = write!(m, "<p class=\"meta\">{}</p>", book_meta(l, book));
            }
            // Found through another language edition of the same work: its passages, opened
            // side by side with this edition.
            let (passage_book, with, plang) = match &hit.edition_of {
                Some(e) => {
                    let _ = write!(
                        m,
                        "<p class=\"edition-of\">{}</p>",
                        esc(&tf(
                            l,
                            M::OtherEditionOf,
                            &[
                                ("title", &e.title),
                                ("lang", &language_name(l, &e.language))
                            ]
                        ))
                    );
                    (
                        e.slug.as_str(),
                        format!("?with={}", url_encode(&b.slug)),
                        esc(&e.language),
                    )
                }
                None => (b.slug.as_str(), String::new(), lang.clone()),
            };
            m.push_str("<ul class=\"passages\">");
            for p in &hit.passages {
                let place = if p.heading.is_empty() || p.heading.starts_with(&p.chapter_title) {
                    if p.heading.is_empty() {
                        p.chapter_title.clone()
                    } else {
                        p.heading.clone()
                    }
                } else {
                    format!("{} › {}", p.chapter_title, p.heading)
                };
                let _ = write!(
                    m,
                    "<li><a href=\"/read/{}/{}{}#{}\" lang=\"{plang}\">{}</a><p class=\"snippet\" lang=\"{plang}\">{}</p></li>",
                    esc(passage_book),
                    esc(&p.chapter),
                    esc(&with),
                    esc(&formats::url::encode_href(&p.anchor)),
                    esc(&place),
                    p.snippet,
                );
            }
            m.push_str("</ul></li>");
        }
        m.push_str("</ol>");
        let pages = results.total_books.div_ceil(PER_PAGE).min(MAX_PAGE);
        if pages > 1 {
            let href = |n: usize| {
                let mut p = base.clone();
                p.push(("page".into(), n.to_string()));
                search_url(&p)
            };
            m.push_str(&pager(l, results.page, pages, href));
        }
    }
    m.push_str("</div>");
    m.push_str(&facets);
    m.push_str("</div>");
    let mut page = Page::new(heading, m);
    page.query = &input.q;
    page.noindex = true;
    page.wide = true;
    html_response(&ui, StatusCode::OK, layout(&ui, page))
}

fn licence_url(code: &str) -> Option<String> {
    let c = code.to_ascii_uppercase();
    // SPDX writes the public-domain dedication `CC0-1.0`, with no dash after CC.
    if c == "CC0-1.0" {
        return Some("https://creativecommons.org/publicdomain/zero/1.0/".into());
    }
    let rest = c.strip_prefix("CC-")?;
    let (kind, version) = rest.rsplit_once('-')?;
    if !kind.chars().all(|ch| ch.is_ascii_alphabetic() || ch == '-')
        || !version.chars().all(|ch| ch.is_ascii_digit() || ch == '.')
    {
        return None;
    }
    Some(format!(
        "https://creativecommons.org/licenses/{}/{}/",
        kind.to_ascii_lowercase(),
        version
    ))
}

fn human_bytes(n: i64) -> String {
    if n >= 1024 * 1024 {
        format!("{:.1} MB", n as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", (n + 1023) / 1024)
    }
}

pub async fn book(State(state): State<Shared>, ui: Ui, segs: Segs) -> Response {
    let l = ui.lang;
    let snap = state.snapshot();
    let Some(b) = segs.0.first().and_then(|s| snap.book(s)).cloned() else {
        return not_found(&ui);
    };
    let r = &b.record;
    let bl = esc(&r.language);
    let mut m = String::new();
    m.push_str("<div class=\"book-head\">");
    if let Some(cover) = b.cover_url() {
        let _ = write!(
            m,
            "<img class=\"cover\" src=\"{}\" alt=\"{}\" width=\"160\" height=\"220\">",
            esc(&cover),
            esc(&tf(l, M::BookCover, &[("title", &r.title)]))
        );
    }
    let _ = write!(m, "<div><h1 lang=\"{bl}\">{}</h1>", esc(&r.title));
    if let Some(sub) = &r.subtitle {
        let _ = write!(m, "<p class=\"subtitle\" lang=\"{bl}\">{}</p>", esc(sub));
    }
    let authors = r.authors();
    if !authors.is_empty() {
        let _ = write!(
            m,
            "<p class=\"authors\"><span class=\"label\">{}:</span> <span lang=\"{bl}\">{}</span></p>",
            esc(t(l, M::Authors)),
            esc(&authors.join(", "))
        );
    }
    m.push_str("<p class=\"actions\">");
    if let Some(first) = b.manifest.chapters.first() {
        let _ = write!(
            m,
            "<a class=\"button\" href=\"/read/{}/{}\">{}</a> ",
            esc(&b.slug),
            esc(&first.name),
            esc(t(l, M::ReadOnline))
        );
    }
    if b.epub_file.is_some() {
        let _ = write!(
            m,
            "<a class=\"button secondary\" href=\"/books/{}/download\" type=\"application/epub+zip\">{} <span class=\"meta\">({})</span></a>",
            esc(&b.slug),
            esc(t(l, M::DownloadEpub)),
            human_bytes(b.epub_bytes)
        );
    }
    m.push_str("</p></div></div>");
    if let Some(d) = &r.description {
        let _ = write!(m, "<p class=\"description\" lang=\"{bl}\">{}</p>", esc(d));
    }
    m.push_str("<dl class=\"facts\">");
    let mut fact = |k: M, v: String| {
        let _ = write!(m, "<dt>{}</dt><dd>{}</dd>", esc(t(l, k)), v);
    };
    fact(M::Language, esc(&language_name(l, &r.language)));
    if !r.grades.is_empty() {
        fact(
            M::Grades,
            r.grades
                .iter()
                .map(|g| {
                    format!(
                        "<a href=\"/books?grade={g}\">{}</a>",
                        esc(&grade_label(l, *g))
                    )
                })
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    if let Some(s) = &r.subject {
        fact(
            M::Subject,
            format!(
                "<a href=\"/books?subject={}\">{}</a>",
                esc(&url_encode(s)),
                esc(&term_name(l, s))
            ),
        );
    }
    if let Some(s) = &r.material {
        fact(M::Material, esc(&term_name(l, s)));
    }
    if let Some(lic) = &r.license {
        fact(
            M::Licence,
            match licence_url(lic) {
                Some(u) => format!("<a href=\"{}\" rel=\"license\">{}</a>", esc(&u), esc(lic)),
                None => esc(lic),
            },
        );
    }
    if let Some(p) = &r.publisher {
        fact(
            M::Publisher,
            format!("<span lang=\"{bl}\">{}</span>", esc(p)),
        );
    }
    if let Some(y) = r.year {
        fact(M::Year, y.to_string());
    }
    fact(
        M::Version,
        authoring::pipeline::format_utc(b.published_at.max(0) as u64)
            .get(..10)
            .unwrap_or("")
            .to_string(),
    );
    m.push_str("</dl>");

    let editions = snap.editions_of(&b);
    if !editions.is_empty() {
        let _ = write!(
            m,
            "<section aria-labelledby=\"h-editions\"><h2 id=\"h-editions\">{}</h2><ul>",
            esc(t(l, M::OtherEditions))
        );
        for e in &editions {
            let first = b
                .manifest
                .chapters
                .first()
                .map(|c| c.name.as_str())
                .unwrap_or("");
            let _ = write!(
                m,
                "<li><a href=\"/books/{0}\" lang=\"{1}\" hreflang=\"{1}\">{2}</a> <span class=\"meta\">({3})</span> — <a href=\"/read/{4}/{5}?with={0}\">{6}</a></li>",
                esc(&e.slug),
                esc(&e.record.language),
                esc(&e.record.title),
                esc(&language_name(l, &e.record.language)),
                esc(&b.slug),
                esc(first),
                esc(&tf(
                    l,
                    M::SideBySideWith,
                    &[("lang", &language_name(l, &e.record.language))]
                )),
            );
        }
        m.push_str("</ul></section>");
    }
    let cols = snap.collections_of(&b.slug);
    if !cols.is_empty() {
        let _ = write!(m, "<p>{}: ", esc(t(l, M::InCollections)));
        for (i, c) in cols.iter().enumerate() {
            if i > 0 {
                m.push_str(", ");
            }
            let _ = write!(
                m,
                "<a href=\"/collections/{}\">{}</a>",
                esc(&c.slug),
                esc(c.title(l.code()))
            );
        }
        m.push_str("</p>");
    }
    let _ = write!(
        m,
        "<section aria-labelledby=\"h-contents\"><h2 id=\"h-contents\">{}</h2><ol class=\"toc\" lang=\"{bl}\">",
        esc(t(l, M::Contents))
    );
    chapter_items(&mut m, &b, None);
    m.push_str("</ol></section>");
    m.push_str(&search_form(l, "", Some((&b.slug, "")), "book-search"));
    // How to cite: authors (year). Title. Publisher. URL.
    let mut cite = String::new();
    if !authors.is_empty() {
        cite.push_str(&esc(&authors.join(", ")));
        cite.push(' ');
    }
    if let Some(y) = r.year {
        let _ = write!(cite, "({y}). ");
    }
    let _ = write!(cite, "<cite>{}</cite>.", esc(&r.title));
    if let Some(p) = &r.publisher {
        let _ = write!(cite, " {}.", esc(p));
    }
    let _ = write!(
        cite,
        " {}/books/{}",
        esc(&state.config.public_url),
        esc(&b.slug)
    );
    let _ = write!(
        m,
        "<section aria-labelledby=\"h-cite\"><h2 id=\"h-cite\">{}</h2><p class=\"cite\" lang=\"{bl}\">{cite}</p></section>",
        esc(t(l, M::HowToCite))
    );
    let mut page = Page::new(r.title.clone(), m);
    for e in &editions {
        let _ = writeln!(
            page.head,
            "<link rel=\"alternate\" hreflang=\"{}\" href=\"/books/{}\">",
            esc(&e.record.language),
            esc(&e.slug)
        );
    }
    html_response(&ui, StatusCode::OK, layout(&ui, page))
}

/// The current EPUB of a book (stable URL; the ETag changes with each version).
pub async fn download(
    State(state): State<Shared>,
    ui: Ui,
    segs: Segs,
    headers: HeaderMap,
) -> Response {
    let snap = state.snapshot();
    let Some(b) = segs.0.first().and_then(|s| snap.book(s)).cloned() else {
        return not_found(&ui);
    };
    let Some(file) = &b.epub_file else {
        return not_found(&ui);
    };
    match state.store.open(&b.slug, &b.version, file) {
        Ok(Some((f, len))) => files::serve(
            &headers,
            files::Content::File(f, len),
            "application/epub+zip",
            format!("\"{}\"", b.version),
            Caching::Revalidate,
            Some(file),
        ),
        Ok(None) => not_found(&ui),
        Err(e) => internal_error(ui.lang, &e.into()),
    }
}

pub async fn read_start(State(state): State<Shared>, ui: Ui, segs: Segs) -> Response {
    let snap = state.snapshot();
    let Some(b) = segs.0.first().and_then(|s| snap.book(s)) else {
        return not_found(&ui);
    };
    match b.manifest.chapters.first() {
        Some(c) => redirect_to(&format!("/read/{}/{}", b.slug, url_encode(&c.name))),
        None => redirect_to(&format!("/books/{}", b.slug)),
    }
}

pub fn redirect_to(to: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, files::header_value(to))
        .body(Body::empty())
        .unwrap_or_default()
}

/// Makes the ids of a chapter's markup unique when two chapters share a page. Only attributes
/// inside tags are rewritten: text that happens to read ` id="` stays as written.
fn prefix_ids(html: &str, prefix: &str) -> String {
    const ATTRS: [&str; 5] = [
        " id=\"",
        " href=\"#",
        " aria-labelledby=\"",
        " aria-describedby=\"",
        " for=\"",
    ];
    let mut out = String::with_capacity(html.len() + html.len() / 16);
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        rest = &rest[open..];
        // The tag ends at the first '>' outside a quoted value (quotes inside values are escaped).
        let mut in_quote = false;
        let end = rest
            .char_indices()
            .find(|&(_, c)| {
                if c == '"' {
                    in_quote = !in_quote;
                }
                c == '>' && !in_quote
            })
            .map_or(rest.len(), |(i, _)| i + 1);
        let mut tag = &rest[..end];
        while !tag.is_empty() {
            match ATTRS
                .iter()
                .filter_map(|a| tag.find(a).map(|i| (i, a.len())))
                .min()
            {
                Some((i, len)) => {
                    out.push_str(&tag[..i + len]);
                    out.push_str(prefix);
                    tag = &tag[i + len..];
                }
                None => {
                    out.push_str(tag);
                    tag = "";
                }
            }
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn chapter_html(state: &AppState, b: &Book, name: &str) -> Option<String> {
    let bytes = state
        .store
        .read(&b.slug, &b.version, &format!("portal/{name}.html"))
        .ok()
        .flatten()?;
    String::from_utf8(bytes).ok()
}

pub async fn read(State(state): State<Shared>, ui: Ui, segs: Segs, params: Params) -> Response {
    let l = ui.lang;
    let snap = state.snapshot();
    let (Some(slug), Some(name)) = (segs.0.first(), segs.0.get(1)) else {
        return not_found(&ui);
    };
    let Some(b) = snap.book(slug).cloned() else {
        return not_found(&ui);
    };
    let Some((idx, ch)) = b.chapter(name) else {
        return not_found(&ui);
    };
    let Some(content) = chapter_html(&state, &b, name) else {
        return not_found(&ui);
    };
    let other = params
        .get("with")
        .and_then(|w| snap.book(w))
        .filter(|o| o.slug != b.slug && o.work() == b.work())
        .cloned();
    let bl = esc(ch.lang.as_deref().unwrap_or(&b.record.language));
    let mut m = String::new();
    let _ = write!(
        m,
        "<p class=\"crumbs\"><a href=\"/books/{}\" lang=\"{}\">{}</a></p>",
        esc(&b.slug),
        esc(&b.record.language),
        esc(&b.record.title)
    );
    let pager = chapter_pager(l, &b, idx, other.as_ref().map(|o| o.slug.as_str()));
    match &other {
        Some(o) => {
            let counterpart = o.manifest.chapters.get(idx);
            let right = counterpart
                .and_then(|c| chapter_html(&state, o, &c.name))
                .map(|h| prefix_ids(&h, "p2-"))
                .unwrap_or_else(|| format!("<p>{}</p>", esc(t(l, M::NoCounterpart))));
            let ol = esc(counterpart
                .and_then(|c| c.lang.as_deref())
                .unwrap_or(&o.record.language));
            let _ = write!(
                m,
                "<p><a href=\"/read/{}/{}\">{}</a></p><div class=\"parallel\"><article lang=\"{bl}\" class=\"chapter\" aria-label=\"{}\">{content}</article><article lang=\"{ol}\" class=\"chapter\" aria-label=\"{}\">{right}</article></div>",
                esc(&b.slug),
                esc(name),
                esc(t(l, M::CloseSideBySide)),
                esc(&language_name(l, &b.record.language)),
                esc(&language_name(l, &o.record.language)),
            );
        }
        None => {
            let _ = write!(
                m,
                "<article class=\"chapter\" lang=\"{bl}\">{content}</article>"
            );
        }
    }
    m.push_str(&pager);
    // Contents, side-by-side choices and search in this book.
    let _ = write!(
        m,
        "<details class=\"book-toc\"><summary>{}</summary><ol lang=\"{}\">",
        esc(t(l, M::Contents)),
        esc(&b.record.language)
    );
    chapter_items(&mut m, &b, Some(&ch.name));
    m.push_str("</ol></details>");
    let editions = snap.editions_of(&b);
    if other.is_none() && !editions.is_empty() {
        let _ = write!(
            m,
            "<p class=\"side-by-side\">{}: ",
            esc(t(l, M::SideBySide))
        );
        for (i, e) in editions.iter().enumerate() {
            if i > 0 {
                m.push_str(", ");
            }
            let _ = write!(
                m,
                "<a href=\"/read/{}/{}?with={}\">{}</a>",
                esc(&b.slug),
                esc(name),
                esc(&e.slug),
                esc(&language_name(l, &e.record.language))
            );
        }
        m.push_str("</p>");
    }
    m.push_str(&search_form(l, "", Some((&b.slug, "")), "book-search"));
    let mut page = Page::new(format!("{} — {}", ch.title, b.record.title), m);
    page.wide = other.is_some();
    if other.is_some() {
        page.noindex = true;
    }
    html_response(&ui, StatusCode::OK, layout(&ui, page))
}

/// The book's chapters as list items linking into the reader; the current one marked.
fn chapter_items(m: &mut String, b: &Book, current: Option<&str>) {
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

fn chapter_pager(l: Lang, b: &Book, idx: usize, with: Option<&str>) -> String {
    let suffix = with
        .map(|w| format!("?with={}", url_encode(w)))
        .unwrap_or_default();
    let mut s = format!(
        "<nav class=\"pager\" aria-label=\"{}\">",
        esc(t(l, M::ChapterNav))
    );
    let prev = idx.checked_sub(1).and_then(|i| b.manifest.chapters.get(i));
    let next = b.manifest.chapters.get(idx + 1);
    for (ch, rel, label) in [
        (prev, "prev", format!("← {}", t(l, M::PreviousChapter))),
        (next, "next", format!("{} →", t(l, M::NextChapter))),
    ] {
        if let Some(ch) = ch {
            let _ = write!(
                s,
                "<a href=\"/read/{}/{}{}\" rel=\"{rel}\"><span class=\"pager-label\">{}</span><span lang=\"{}\">{}</span></a>",
                esc(&b.slug),
                esc(&ch.name),
                esc(&suffix),
                esc(&label),
                esc(&b.record.language),
                esc(&ch.title)
            );
        }
    }
    s.push_str("</nav>");
    s
}

pub async fn collections(State(state): State<Shared>, ui: Ui) -> Response {
    let l = ui.lang;
    let snap = state.snapshot();
    let mut m = format!(
        "<h1>{}</h1><ul class=\"collections\">",
        esc(t(l, M::NavCollections))
    );
    for c in &snap.collections {
        let _ = write!(
            m,
            "<li><a href=\"/collections/{}\">{}</a> <span class=\"meta\">({})</span><p>{}</p></li>",
            esc(&c.slug),
            esc(c.title(l.code())),
            esc(&books_count(l, snap.books_in(c).len())),
            esc(c.description(l.code()))
        );
    }
    m.push_str("</ul>");
    html_response(
        &ui,
        StatusCode::OK,
        layout(&ui, Page::new(t(l, M::NavCollections), m)),
    )
}

pub async fn collection(State(state): State<Shared>, ui: Ui, segs: Segs) -> Response {
    let l = ui.lang;
    let snap = state.snapshot();
    let Some(c) = segs.0.first().and_then(|s| snap.collection(s)) else {
        return not_found(&ui);
    };
    let books = snap.books_in(c);
    let m = format!(
        "<p class=\"crumbs\"><a href=\"/collections\">{}</a></p><h1>{}</h1><p>{}</p>{}<p><a href=\"/opds/collections/{}\">OPDS</a></p>",
        esc(t(l, M::AllCollections)),
        esc(c.title(l.code())),
        esc(c.description(l.code())),
        book_cards(l, &books),
        esc(&c.slug)
    );
    html_response(
        &ui,
        StatusCode::OK,
        layout(&ui, Page::new(c.title(l.code()).to_string(), m)),
    )
}

pub async fn about(State(state): State<Shared>, ui: Ui) -> Response {
    let l = ui.lang;
    let opds = format!("{}/opds/", state.config.public_url);
    let m = format!(
        "<h1>{}</h1><p>{}</p><p>{}</p><p>{}</p><p>{}</p>",
        esc(t(l, M::AboutTitle)),
        esc(t(l, M::About1)),
        esc(t(l, M::About2)),
        esc(t(l, M::About3)),
        esc(&tf(l, M::About4, &[("url", &opds)])),
    );
    html_response(
        &ui,
        StatusCode::OK,
        layout(&ui, Page::new(t(l, M::AboutTitle), m)),
    )
}

/// `/lang/ru?back=/path`: remembers the choice in a cookie and goes back to the page.
pub async fn switch_language(ui: Ui, segs: Segs, params: Params) -> Response {
    let Some(lang) = segs.0.first().and_then(|c| Lang::from_code(c)) else {
        return not_found(&ui);
    };
    let back = params
        .get("back")
        .filter(|b| b.starts_with('/') && !b.starts_with("//") && !b.starts_with("/\\"))
        .filter(|b| !b.chars().any(|c| c.is_control()))
        .unwrap_or("/");
    let mut r = redirect_to(back);
    r.headers_mut().insert(
        header::SET_COOKIE,
        files::header_value(&format!(
            "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly",
            lang.code()
        )),
    );
    r
}

/// `/files/<slug>/<version>/<path>`: a published version's files (images, EPUB), cached for good.
pub async fn file(State(state): State<Shared>, ui: Ui, segs: Segs, headers: HeaderMap) -> Response {
    let (Some(slug), Some(version), Some(rel)) = (segs.0.first(), segs.0.get(1), segs.0.get(2))
    else {
        return not_found(&ui);
    };
    // Only what readers need: the web reader's images and the EPUB; not sources or fragments.
    let allowed = rel.starts_with("html/images/") || rel.ends_with(".epub");
    if !allowed || !crate::artifacts::is_safe_rel(rel) {
        return not_found(&ui);
    }
    let download = rel.ends_with(".epub").then_some(rel.as_str());
    stored_file(&state, &headers, slug, version, rel, download).unwrap_or_else(|| not_found(&ui))
}

pub async fn static_file(ui: Ui, segs: Segs, headers: HeaderMap) -> Response {
    let name = segs.0.first().map(String::as_str).unwrap_or("");
    if format!("/static/{name}") == CSS.0 {
        return files::serve_bytes(
            &headers,
            CSS.1.clone().into_bytes(),
            "text/css; charset=utf-8",
            files::etag_of(CSS.1.as_bytes()),
            Caching::Immutable,
            None,
        );
    }
    if name == "icon.svg" {
        return files::serve_bytes(
            &headers,
            ICON_SVG.as_bytes().to_vec(),
            "image/svg+xml",
            files::etag_of(ICON_SVG.as_bytes()),
            Caching::Revalidate,
            None,
        );
    }
    not_found(&ui)
}

pub async fn robots(State(state): State<Shared>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!(
            "User-agent: *\nDisallow: /search\nDisallow: /api/\nDisallow: /lang/\nAllow: /\n\nSitemap: {}/sitemap.xml\n",
            state.config.public_url
        ),
    )
        .into_response()
}

pub async fn sitemap(State(state): State<Shared>) -> Response {
    let snap = state.snapshot();
    let base = &state.config.public_url;
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    let mut url = |path: &str| {
        let _ = writeln!(s, "<url><loc>{}{}</loc></url>", esc(base), esc(path));
    };
    for p in ["/", "/books", "/collections", "/about"] {
        url(p);
    }
    for c in &snap.collections {
        url(&format!("/collections/{}", url_encode(&c.slug)));
    }
    for b in &snap.books {
        url(&format!("/books/{}", url_encode(&b.slug)));
        for c in &b.manifest.chapters {
            url(&format!(
                "/read/{}/{}",
                url_encode(&b.slug),
                url_encode(&c.name)
            ));
        }
    }
    s.push_str("</urlset>\n");
    (
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
        s,
    )
        .into_response()
}

pub async fn not_found_page(ui: Ui) -> Response {
    not_found(&ui)
}

pub fn not_found(ui: &Ui) -> Response {
    if ui.here.starts_with("/api/") || ui.here.starts_with("/opds/v2") {
        return crate::api::json_error(StatusCode::NOT_FOUND, t(ui.lang, M::NotFoundTitle));
    }
    error_page(
        ui.lang,
        StatusCode::NOT_FOUND,
        M::NotFoundTitle,
        t(ui.lang, M::NotFoundBody),
    )
}

/// A search that failed, as a page: try again shortly (see `web::search_unavailable`).
pub fn search_failed(state: &Shared, l: Lang, e: &anyhow::Error) -> Response {
    let page = error_page(
        l,
        StatusCode::SERVICE_UNAVAILABLE,
        M::ServerErrorTitle,
        t(l, M::SearchUnavailable),
    );
    crate::web::search_unavailable(state, e, page)
}

pub fn internal_error(l: Lang, e: &anyhow::Error) -> Response {
    tracing::error!("{e:#}");
    error_page(
        l,
        StatusCode::INTERNAL_SERVER_ERROR,
        M::ServerErrorTitle,
        t(l, M::ServerErrorBody),
    )
}

/// A small error page in the reader's language (no query text echoed back).
pub fn error_page(l: Lang, status: StatusCode, title: M, body: &str) -> Response {
    let ui = Ui {
        lang: l,
        here: "/".into(),
        headers: HeaderMap::new(),
    };
    let m = format!(
        "<h1>{}</h1><p>{}</p><p><a href=\"/\">{}</a></p>",
        esc(t(l, title)),
        esc(body),
        esc(t(l, M::NavHome))
    );
    let mut page = Page::new(t(l, title), m);
    page.noindex = true;
    html_response(&ui, status, layout(&ui, page))
}

/// A plain page in the portal's layout.
pub fn simple_page(ui: &Ui, title: &str, main: String) -> Response {
    html_response(ui, StatusCode::OK, layout(ui, Page::new(title, main)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn side_by_side_ids_are_prefixed_in_tags_only() {
        let html = "<p id=\"a\">Write <code> id=\"x\"</code> and <a href=\"#a\">see</a></p>";
        assert_eq!(
            prefix_ids(html, "ru-"),
            "<p id=\"ru-a\">Write <code> id=\"x\"</code> and <a href=\"#ru-a\">see</a></p>"
        );
    }

    #[test]
    fn cc0_books_link_their_licence() {
        assert_eq!(
            licence_url("CC0-1.0").as_deref(),
            Some("https://creativecommons.org/publicdomain/zero/1.0/")
        );
        assert_eq!(
            licence_url("CC-BY-SA-4.0").as_deref(),
            Some("https://creativecommons.org/licenses/by-sa/4.0/")
        );
    }
}
