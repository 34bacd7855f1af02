//! OPDS catalogs for e-reader apps (KOReader, Thorium, Aldiko): OPDS 1.2 (Atom) under `/opds/`
//! and OPDS 2.0 (JSON) under `/opds/v2/`, with the same feeds: new books, all books, collections,
//! grades, subjects, languages, and search (OpenSearch description at `/opds/opensearch.xml`).

use crate::library::state::Shared;
use crate::library::state::{Book, Snapshot};
use crate::web::extract::{Params, Segs};
use crate::web::i18n::Lang;
use crate::web::i18n::M;
use crate::web::i18n::books_count;
use crate::web::i18n::language_name;
use crate::web::i18n::t;
use crate::web::i18n::term_name;
use crate::web::i18n::tf;
use crate::web::lang::Ui;
use crate::web::layout::{tf_q, url_encode};
use crate::web::respond::{json_error, json_search_failed, not_found, redirect_to, search_failed};
use crate::web::search::{SearchInput, run_search};
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use formats::doc::escaped as esc;
use serde_json::{Value, json};
use std::fmt::Write;
use std::sync::Arc;

const NAV: &str = "application/atom+xml;profile=opds-catalog;kind=navigation";
const ACQ: &str = "application/atom+xml;profile=opds-catalog;kind=acquisition";
const OPDS2: &str = "application/opds+json";
const OPEN_ACCESS: &str = "http://opds-spec.org/acquisition/open-access";

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/opds", get(|| async { redirect_to("/opds/") }))
        .route("/opds/", get(atom_root))
        .route("/opds/opensearch.xml", get(opensearch))
        .route("/opds/search", get(atom_search))
        .route("/opds/v2", get(|| async { redirect_to("/opds/v2/") }))
        .route("/opds/v2/", get(json_root))
        .route("/opds/v2/search", get(json_search))
        .route("/opds/v2/publications/{slug}", get(json_publication))
        .route("/opds/v2/{*rest}", get(json_feed))
        .route("/opds/{*rest}", get(atom_feed))
}

struct NavEntry {
    id: String,
    title: String,
    summary: String,
    /// Path under the feed root (`new`, `grades/5`).
    path: String,
    acquisition: bool,
}

enum Feed {
    Navigation(Vec<NavEntry>),
    Books(Vec<Arc<Book>>),
}

struct FeedDoc {
    id: String,
    title: String,
    path: String,
    feed: Feed,
    /// 1-based page of an acquisition feed, and how many books the whole feed has.
    page: usize,
    total: usize,
}

/// Books per page of an acquisition feed.
const FEED_PAGE: usize = 50;

impl FeedDoc {
    /// Keeps one page of the books; `None` past the end.
    fn paged(mut self, page: usize) -> Option<FeedDoc> {
        if let Feed::Books(list) = &mut self.feed {
            self.total = list.len();
            if page > 1 && (page - 1) * FEED_PAGE >= list.len() {
                return None;
            }
            *list = list
                .iter()
                .skip((page - 1) * FEED_PAGE)
                .take(FEED_PAGE)
                .cloned()
                .collect();
            self.page = page;
        }
        Some(self)
    }

    fn pages(&self) -> usize {
        self.total.div_ceil(FEED_PAGE).max(1)
    }

    /// The feed's path for another page, under `root` (`/opds/` or `/opds/v2/`).
    fn href(&self, root: &str, page: usize) -> String {
        let base = format!("{root}{}", self.path);
        if page <= 1 {
            base
        } else if base.contains('?') {
            format!("{base}&page={page}")
        } else {
            format!("{base}?page={page}")
        }
    }
}

/// The `page` parameter of a feed request: 1 when absent, `None` when not a sensible number.
fn feed_page(params: &Params) -> Option<usize> {
    match params.get("page") {
        None | Some("") => Some(1),
        Some(p) => p
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=100_000).contains(n)),
    }
}

fn root_feed(l: Lang, snap: &Snapshot) -> FeedDoc {
    let n = |id: &str, title: M, summary: String, path: &str, acquisition: bool| NavEntry {
        id: format!("urn:kitepkana:{id}"),
        title: t(l, title).to_string(),
        summary,
        path: path.to_string(),
        acquisition,
    };
    FeedDoc {
        id: "urn:kitepkana:root".into(),
        title: t(l, M::SiteName).into(),
        path: String::new(),
        feed: Feed::Navigation(vec![
            n(
                "new",
                M::RecentlyAdded,
                books_count(l, snap.books.len()),
                "new",
                true,
            ),
            n(
                "all",
                M::NavBooks,
                books_count(l, snap.books.len()),
                "all",
                true,
            ),
            n(
                "collections",
                M::NavCollections,
                snap.collections.len().to_string(),
                "collections",
                false,
            ),
            n("grades", M::BrowseByGrade, String::new(), "grades", false),
            n(
                "subjects",
                M::BrowseBySubject,
                String::new(),
                "subjects",
                false,
            ),
            n(
                "languages",
                M::BrowseByLanguage,
                String::new(),
                "languages",
                false,
            ),
        ]),
        page: 1,
        total: 0,
    }
}

/// The feed at a path under the root, if there is one.
fn feed_at(l: Lang, snap: &Snapshot, rest: &[String]) -> Option<FeedDoc> {
    let parts: Vec<&str> = rest.iter().map(String::as_str).collect();
    let nav = |id: &str, title: String, entries: Vec<NavEntry>, path: &str| FeedDoc {
        id: format!("urn:kitepkana:{id}"),
        title,
        path: path.to_string(),
        feed: Feed::Navigation(entries),
        page: 1,
        total: 0,
    };
    let books = |id: String, title: String, list: Vec<Arc<Book>>, path: String| FeedDoc {
        id: format!("urn:kitepkana:{id}"),
        title,
        path,
        feed: Feed::Books(list),
        page: 1,
        total: 0,
    };
    let entry = |kind: &str, value: &str, title: String, n: usize| NavEntry {
        id: format!("urn:kitepkana:{kind}:{value}"),
        title,
        summary: books_count(l, n),
        path: format!("{kind}/{}", url_encode(value)),
        acquisition: true,
    };
    Some(match parts.as_slice() {
        [] => root_feed(l, snap),
        ["new"] => books(
            "new".into(),
            t(l, M::RecentlyAdded).into(),
            snap.books.clone(),
            "new".into(),
        ),
        ["all"] => {
            let mut all = snap.books.clone();
            all.sort_by(|a, b| a.record.title.cmp(&b.record.title));
            books("all".into(), t(l, M::NavBooks).into(), all, "all".into())
        }
        ["collections"] => nav(
            "collections",
            t(l, M::NavCollections).into(),
            snap.collections
                .iter()
                .map(|c| {
                    entry(
                        "collections",
                        &c.slug,
                        c.title(l.code()).into(),
                        snap.books_in(c).len(),
                    )
                })
                .collect(),
            "collections",
        ),
        ["grades"] => nav(
            "grades",
            t(l, M::BrowseByGrade).into(),
            snap.grades()
                .into_iter()
                .map(|(g, n)| {
                    entry(
                        "grades",
                        &g.to_string(),
                        tf(l, M::Grade, &[("n", &g.to_string())]),
                        n,
                    )
                })
                .collect(),
            "grades",
        ),
        ["subjects"] => nav(
            "subjects",
            t(l, M::BrowseBySubject).into(),
            snap.subjects()
                .into_iter()
                .map(|(s, n)| entry("subjects", &s, term_name(l, &s), n))
                .collect(),
            "subjects",
        ),
        ["languages"] => nav(
            "languages",
            t(l, M::BrowseByLanguage).into(),
            snap.languages()
                .into_iter()
                .map(|(s, n)| entry("languages", &s, language_name(l, &s), n))
                .collect(),
            "languages",
        ),
        [kind, value] => {
            let (key, title) = match *kind {
                "collections" => (
                    "collection",
                    snap.collection(value)?.title(l.code()).to_string(),
                ),
                "grades" => ("grade", tf(l, M::Grade, &[("n", value)])),
                "subjects" => ("subject", term_name(l, value)),
                "languages" => ("lang", language_name(l, value)),
                _ => return None,
            };
            let list = snap.filter(key, value)?;
            if list.is_empty() && key != "collection" {
                return None;
            }
            books(
                format!("{kind}:{value}"),
                title,
                list,
                format!("{kind}/{}", url_encode(value)),
            )
        }
        _ => return None,
    })
}

fn rfc3339(secs: i64) -> String {
    authoring::pipeline::format_utc(secs.max(0) as u64)
}

fn updated(snap: &Snapshot) -> String {
    rfc3339(snap.books.iter().map(|b| b.published_at).max().unwrap_or(0))
}

fn image_type(url: &str) -> &'static str {
    crate::web::files::content_type(url)
}

// ---------- OPDS 1.2 (Atom) ----------

fn atom_head(s: &mut String, id: &str, title: &str, self_href: &str, kind: &str, updated: &str) {
    let _ = write!(
        s,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xmlns:dc=\"http://purl.org/dc/terms/\" xmlns:opds=\"http://opds-spec.org/2010/catalog\" xmlns:opensearch=\"http://a9.com/-/spec/opensearch/1.1/\">\n<id>{}</id>\n<title>{}</title>\n<updated>{updated}</updated>\n<author><name>Kitepkana</name></author>\n<link rel=\"self\" href=\"{}\" type=\"{kind}\"/>\n<link rel=\"start\" href=\"/opds/\" type=\"{NAV}\"/>\n<link rel=\"up\" href=\"/opds/\" type=\"{NAV}\"/>\n<link rel=\"search\" href=\"/opds/opensearch.xml\" type=\"application/opensearchdescription+xml\"/>\n",
        esc(id),
        esc(title),
        esc(self_href),
    );
}

fn atom_book(s: &mut String, l: Lang, b: &Book) {
    let r = &b.record;
    let _ = write!(
        s,
        "<entry>\n<title>{}</title>\n<id>urn:kitepkana:book:{}</id>\n<updated>{}</updated>\n",
        esc(&r.title),
        esc(&b.slug),
        rfc3339(b.published_at)
    );
    for a in r.authors() {
        let _ = writeln!(s, "<author><name>{}</name></author>", esc(&a));
    }
    let _ = writeln!(s, "<dc:language>{}</dc:language>", esc(&r.language));
    if let Some(p) = &r.publisher {
        let _ = writeln!(s, "<dc:publisher>{}</dc:publisher>", esc(p));
    }
    if let Some(y) = r.year {
        let _ = writeln!(s, "<dc:issued>{y}</dc:issued>");
    }
    if let Some(lic) = &r.license {
        let _ = writeln!(s, "<dc:rights>{}</dc:rights>", esc(lic));
    }
    if let Some(sub) = &r.subject {
        let _ = writeln!(
            s,
            "<category term=\"{}\" label=\"{}\"/>",
            esc(sub),
            esc(&term_name(l, sub))
        );
    }
    for g in &r.grades {
        let _ = writeln!(
            s,
            "<category scheme=\"urn:kitepkana:grade\" term=\"{g}\" label=\"{}\"/>",
            esc(&tf(l, M::Grade, &[("n", &g.to_string())]))
        );
    }
    if let Some(d) = &r.description {
        let _ = writeln!(s, "<summary type=\"text\">{}</summary>", esc(d));
    }
    for (c, rel) in cover_images(b) {
        let _ = writeln!(
            s,
            "<link rel=\"{}\" href=\"{}\" type=\"{}\"/>",
            rel.unwrap_or("http://opds-spec.org/image"),
            esc(&c),
            image_type(&c)
        );
    }
    if b.epub_file.is_some() {
        let _ = writeln!(
            s,
            "<link rel=\"{OPEN_ACCESS}\" href=\"/books/{}/download\" type=\"application/epub+zip\" length=\"{}\"/>",
            esc(&url_encode(&b.slug)),
            b.epub_bytes
        );
    }
    let _ = writeln!(
        s,
        "<link rel=\"alternate\" href=\"/books/{}\" type=\"text/html\"/>\n</entry>",
        esc(&url_encode(&b.slug))
    );
}

fn atom(l: Lang, snap: &Snapshot, doc: &FeedDoc) -> String {
    let mut s = String::new();
    let kind = match doc.feed {
        Feed::Navigation(_) => NAV,
        Feed::Books(_) => ACQ,
    };
    let updated = updated(snap);
    atom_head(
        &mut s,
        &doc.id,
        &doc.title,
        &doc.href("/opds/", doc.page),
        kind,
        &updated,
    );
    if matches!(doc.feed, Feed::Books(_)) {
        let _ = writeln!(
            s,
            "<opensearch:totalResults>{}</opensearch:totalResults>\n<opensearch:itemsPerPage>{FEED_PAGE}</opensearch:itemsPerPage>\n<opensearch:startIndex>{}</opensearch:startIndex>",
            doc.total,
            (doc.page - 1) * FEED_PAGE + 1
        );
        if doc.page > 1 {
            let _ = writeln!(
                s,
                "<link rel=\"previous\" href=\"{}\" type=\"{ACQ}\"/>",
                esc(&doc.href("/opds/", doc.page - 1))
            );
        }
        if doc.page < doc.pages() {
            let _ = writeln!(
                s,
                "<link rel=\"next\" href=\"{}\" type=\"{ACQ}\"/>",
                esc(&doc.href("/opds/", doc.page + 1))
            );
        }
    }
    match &doc.feed {
        Feed::Navigation(entries) => {
            for e in entries {
                let rel = if e.path == "new" {
                    "http://opds-spec.org/sort/new"
                } else {
                    "subsection"
                };
                let _ = write!(
                    s,
                    "<entry>\n<title>{}</title>\n<id>{}</id>\n<updated>{}</updated>\n<content type=\"text\">{}</content>\n<link rel=\"{rel}\" href=\"/opds/{}\" type=\"{}\"/>\n</entry>\n",
                    esc(&e.title),
                    esc(&e.id),
                    updated,
                    esc(&e.summary),
                    esc(&e.path),
                    if e.acquisition { ACQ } else { NAV },
                );
            }
        }
        Feed::Books(list) => {
            for b in list {
                atom_book(&mut s, l, b);
            }
        }
    }
    s.push_str("</feed>\n");
    s
}

/// A feed document (Atom XML or OPDS JSON) with its media type, revalidated on each use.
fn feed_response(body: String, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, no-cache"),
        ],
        body,
    )
        .into_response()
}

async fn atom_root(State(state): State<Shared>, ui: Ui) -> Response {
    let snap = state.snapshot();
    let doc = root_feed(ui.lang, &snap);
    feed_response(atom(ui.lang, &snap, &doc), NAV)
}

async fn atom_feed(State(state): State<Shared>, ui: Ui, segs: Segs, params: Params) -> Response {
    let snap = state.snapshot();
    let rest = split_rest(&segs);
    let doc = feed_page(&params)
        .and_then(|page| feed_at(ui.lang, &snap, &rest).and_then(|d| d.paged(page)));
    match doc {
        Some(doc) => {
            let kind = if matches!(doc.feed, Feed::Books(_)) {
                ACQ
            } else {
                NAV
            };
            feed_response(atom(ui.lang, &snap, &doc), kind)
        }
        None => not_found(&ui),
    }
}

fn split_rest(segs: &Segs) -> Vec<String> {
    segs.0
        .first()
        .map(|r| {
            r.split('/')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Search results as books, in result order.
async fn search_books(state: &Shared, q: &str) -> anyhow::Result<Vec<Arc<Book>>> {
    if q.trim().is_empty() {
        return Ok(Vec::new());
    }
    let input = SearchInput {
        q: q.chars().take(500).collect(),
        filters: Vec::new(),
        page: 1,
        lang: None,
        sort: indexer::Sort::Relevance,
    };
    let results = run_search(state, &input, 50).await?;
    let snap = state.snapshot();
    Ok(results
        .books
        .iter()
        .filter_map(|h| snap.book(&h.book.slug).cloned())
        .collect())
}

async fn atom_search(State(state): State<Shared>, ui: Ui, params: Params) -> Response {
    let q = params
        .get("q")
        .or_else(|| params.get("query"))
        .unwrap_or("")
        .to_string();
    let list = match search_books(&state, &q).await {
        Ok(l) => l,
        Err(e) => return search_failed(&state, ui.lang, &e),
    };
    let snap = state.snapshot();
    let doc = search_doc(ui.lang, "q", &q, list);
    feed_response(atom(ui.lang, &snap, &doc), ACQ)
}

/// Search results as an acquisition feed (one page: the best 50 books).
fn search_doc(l: Lang, param: &str, q: &str, list: Vec<Arc<Book>>) -> FeedDoc {
    FeedDoc {
        id: "urn:kitepkana:search".into(),
        title: tf_q(l, M::ResultsFor, q),
        path: format!("search?{param}={}", url_encode(q)),
        feed: Feed::Books(list),
        page: 1,
        total: 0,
    }
    .paged(1)
    .expect("the first page always exists")
}

async fn opensearch(State(state): State<Shared>, ui: Ui) -> Response {
    let base = esc(&state.config.public_url);
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<OpenSearchDescription xmlns=\"http://a9.com/-/spec/opensearch/1.1/\">\n<ShortName>{}</ShortName>\n<Description>{}</Description>\n<InputEncoding>UTF-8</InputEncoding>\n<OutputEncoding>UTF-8</OutputEncoding>\n<Url type=\"{ACQ}\" template=\"{base}/opds/search?q={{searchTerms}}\"/>\n<Url type=\"text/html\" template=\"{base}/search?q={{searchTerms}}\"/>\n</OpenSearchDescription>\n",
        esc(t(ui.lang, M::SiteName)),
        esc(t(ui.lang, M::SearchLabel)),
    );
    feed_response(body, "application/opensearchdescription+xml")
}

// ---------- OPDS 2.0 (JSON) ----------

const OPDS2_PUBLICATION: &str = "application/opds-publication+json";

/// A book's cover images for OPDS: the raster ones first (apps need PNG or JPEG), then the SVG.
fn cover_images(b: &Book) -> Vec<(String, Option<&'static str>)> {
    let mut out = Vec::new();
    let thumb = Some("http://opds-spec.org/image/thumbnail");
    let mut push = |url: Option<String>, rel: Option<&'static str>| {
        if let Some(u) = url
            && !out.iter().any(|(x, _)| x == &u)
        {
            out.push((u, rel));
        }
    };
    push(b.raster_cover_url(), None);
    push(b.raster_thumbnail_url(), thumb);
    push(b.cover_url(), None);
    push(b.thumbnail_url(), thumb);
    out
}

pub fn publication(l: Lang, b: &Book) -> Value {
    let r = &b.record;
    let images: Vec<Value> = cover_images(b)
        .into_iter()
        .map(|(href, rel)| {
            let mut v = json!({"href": href, "type": image_type(&href)});
            if let Some(rel) = rel {
                v["rel"] = json!(rel);
            }
            v
        })
        .collect();
    let mut links = vec![
        json!({"rel": "self", "href": format!("/opds/v2/publications/{}", url_encode(&b.slug)), "type": OPDS2_PUBLICATION}),
        json!({"rel": "alternate", "href": format!("/books/{}", url_encode(&b.slug)), "type": "text/html"}),
    ];
    if b.epub_file.is_some() {
        links.push(json!({"rel": OPEN_ACCESS, "href": format!("/books/{}/download", url_encode(&b.slug)), "type": "application/epub+zip", "length": b.epub_bytes}));
    }
    let mut metadata = json!({
        "@type": "http://schema.org/Book",
        "identifier": format!("urn:kitepkana:book:{}", b.slug),
        "title": r.title,
        "language": r.language,
        "modified": rfc3339(b.published_at),
        "author": r.authors().into_iter().map(|a| json!({"name": a})).collect::<Vec<_>>(),
    });
    let m = metadata.as_object_mut().expect("object");
    if let Some(s) = &r.subtitle {
        m.insert("subtitle".into(), json!(s));
    }
    if let Some(d) = &r.description {
        m.insert("description".into(), json!(d));
    }
    if let Some(p) = &r.publisher {
        m.insert("publisher".into(), json!(p));
    }
    if let Some(y) = r.year.filter(|y| (1..=9999).contains(y)) {
        // The schema wants a date; the book gives only its year.
        m.insert("published".into(), json!(format!("{y:04}-01-01")));
    }
    if let Some(s) = &r.subject {
        m.insert(
            "subject".into(),
            json!([{"name": term_name(l, s), "code": s, "scheme": "urn:kitepkana:subject"}]),
        );
    }
    json!({"metadata": metadata, "links": links, "images": images})
}

fn opds2(l: Lang, snap: &Snapshot, doc: &FeedDoc) -> Value {
    let mut out = json!({
        "metadata": {"title": doc.title, "identifier": doc.id, "modified": updated(snap)},
        "links": [
            {"rel": "self", "href": doc.href("/opds/v2/", doc.page), "type": OPDS2},
            {"rel": "start", "href": "/opds/v2/", "type": OPDS2},
            {"rel": "search", "href": "/opds/v2/search{?query}", "type": OPDS2, "templated": true},
        ],
    });
    match &doc.feed {
        Feed::Navigation(entries) => {
            out["navigation"] = entries
                .iter()
                .map(|e| {
                    json!({
                        "href": format!("/opds/v2/{}", e.path),
                        "title": e.title,
                        "type": OPDS2,
                        "rel": if e.path == "new" { "http://opds-spec.org/sort/new" } else { "subsection" },
                    })
                })
                .collect();
        }
        Feed::Books(list) => {
            out["metadata"]["numberOfItems"] = json!(doc.total);
            out["metadata"]["itemsPerPage"] = json!(FEED_PAGE);
            out["metadata"]["currentPage"] = json!(doc.page);
            let links = out["links"].as_array_mut().expect("links");
            if doc.page > 1 {
                links.push(json!({"rel": "previous", "href": doc.href("/opds/v2/", doc.page - 1), "type": OPDS2}));
            }
            if doc.page < doc.pages() {
                links.push(json!({"rel": "next", "href": doc.href("/opds/v2/", doc.page + 1), "type": OPDS2}));
            }
            if list.is_empty() {
                // A feed needs at least one publication, navigation link or group: an empty
                // result (a search that found nothing) leads back to the catalogue.
                out["navigation"] = json!([{
                    "href": "/opds/v2/",
                    "title": t(l, M::BrowseCatalog),
                    "type": OPDS2,
                    "rel": "start",
                }]);
            } else {
                out["publications"] = list.iter().map(|b| publication(l, b)).collect();
            }
        }
    }
    out
}

/// `/opds/v2/publications/SLUG`: one book as an OPDS 2.0 publication document.
async fn json_publication(State(state): State<Shared>, ui: Ui, segs: Segs) -> Response {
    let snap = state.snapshot();
    match segs.0.first().and_then(|s| snap.book(s)) {
        Some(b) => feed_response(publication(ui.lang, b).to_string(), OPDS2_PUBLICATION),
        None => json_error(StatusCode::NOT_FOUND, t(ui.lang, M::NotFoundTitle)),
    }
}

fn json_response(v: &Value) -> Response {
    feed_response(v.to_string(), OPDS2)
}

async fn json_root(State(state): State<Shared>, ui: Ui) -> Response {
    let snap = state.snapshot();
    json_response(&opds2(ui.lang, &snap, &root_feed(ui.lang, &snap)))
}

async fn json_feed(State(state): State<Shared>, ui: Ui, segs: Segs, params: Params) -> Response {
    let snap = state.snapshot();
    let doc = feed_page(&params)
        .and_then(|page| feed_at(ui.lang, &snap, &split_rest(&segs)).and_then(|d| d.paged(page)));
    match doc {
        Some(doc) => json_response(&opds2(ui.lang, &snap, &doc)),
        None => json_error(StatusCode::NOT_FOUND, t(ui.lang, M::NotFoundTitle)),
    }
}

async fn json_search(State(state): State<Shared>, ui: Ui, params: Params) -> Response {
    let q = params
        .get("query")
        .or_else(|| params.get("q"))
        .unwrap_or("")
        .to_string();
    let list = match search_books(&state, &q).await {
        Ok(l) => l,
        Err(e) => return json_search_failed(&state, ui.lang, &e),
    };
    let snap = state.snapshot();
    let doc = search_doc(ui.lang, "query", &q, list);
    json_response(&opds2(ui.lang, &snap, &doc))
}
