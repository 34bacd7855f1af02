//! The JSON API for other software, described by an OpenAPI document at `/api/openapi.json`;
//! and, with an API token, drafts for staff programs (`drafts`).

pub mod drafts;

use crate::library::state::Shared;
use crate::library::state::{Book, Snapshot};
use crate::web::extract::{Params, Segs};
use crate::web::i18n::Lang;
use crate::web::i18n::M;
use crate::web::i18n::t;
use crate::web::i18n::tf;
use crate::web::lang::Ui;
use crate::web::layout::url_encode;
use crate::web::respond::{json_error, redirect_to, search_failed, simple_page};
use crate::web::search::{MAX_PAGE, run_search, search_input};
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use indexer::search::MAX_PER_PAGE;
use serde_json::{Value, json};

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/api", get(|| async { redirect_to("/api/") }))
        .route("/api/", get(index))
        .route("/api/openapi.json", get(openapi))
        .route("/api/search", get(search))
        .route("/api/suggest", get(suggest))
        .route("/api/books", get(books))
        .route("/api/books/{slug}", get(book))
        .route("/api/collections", get(collections))
        .route("/api/collections/{slug}", get(collection))
        .route(
            "/api/drafts",
            axum::routing::post(drafts::upload).layer(axum::extract::DefaultBodyLimit::max(
                crate::workflow::upload::Limits::from_env().body_limit(),
            )),
        )
        .route("/api/drafts/{id}", get(drafts::status))
}

fn ok(v: Value) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "public, no-cache"),
        ],
        v.to_string(),
    )
        .into_response()
}

fn summary(b: &Book) -> Value {
    let r = &b.record;
    json!({
        "slug": b.slug,
        "title": r.title,
        "subtitle": r.subtitle,
        "language": r.language,
        "work": b.work(),
        "authors": r.authors(),
        "grades": r.grades,
        "subject": r.subject,
        "material": r.material,
        "license": r.license,
        "publisher": r.publisher,
        "year": r.year,
        "version": b.version,
        "published_at": authoring::pipeline::format_utc(b.published_at.max(0) as u64),
        "links": {
            "self": format!("/api/books/{}", url_encode(&b.slug)),
            "html": format!("/books/{}", url_encode(&b.slug)),
            "epub": b.epub_file.as_ref().map(|_| format!("/books/{}/download", url_encode(&b.slug))),
            "cover": b.cover_url(),
            "thumbnail": b.thumbnail_url(),
        },
    })
}

fn detail(snap: &Snapshot, b: &Book) -> Value {
    let mut v = summary(b);
    let r = &b.record;
    v["description"] = json!(r.description);
    v["keywords"] = json!(r.keywords);
    v["contributors"] = json!(r.contributors);
    v["words"] = json!(b.manifest.words);
    v["epub_bytes"] = json!(b.epub_bytes);
    v["chapters"] = b
        .manifest
        .chapters
        .iter()
        .map(|c| {
            json!({
                "name": c.name,
                "title": c.title,
                "words": c.words,
                "read": format!("/read/{}/{}", url_encode(&b.slug), url_encode(&c.name)),
            })
        })
        .collect();
    v["editions"] = snap
        .editions_of(b)
        .iter()
        .map(|e| json!({"slug": e.slug, "language": e.record.language, "title": e.record.title, "self": format!("/api/books/{}", url_encode(&e.slug))}))
        .collect();
    v["collections"] = snap
        .collections_of(&b.slug)
        .iter()
        .map(|c| json!(c.slug))
        .collect();
    v
}

/// The filters `/api/books` takes; an empty value is no filter.
const BOOK_FILTERS: [&str; 4] = ["grade", "subject", "lang", "collection"];
/// The parameters `/api/search` takes.
const SEARCH_PARAMS: [&str; 12] = [
    "q",
    "page",
    "per_page",
    "qlang",
    "sort",
    "lang",
    "grade",
    "subject",
    "material",
    "license",
    "collection",
    "book",
];

/// A 400 answer naming the parameter and the allowed ones, in the user's language.
fn bad_parameter(l: Lang, name: &str, allowed: &[&str]) -> Response {
    json_error(
        StatusCode::BAD_REQUEST,
        &tf(
            l,
            M::BadParameter,
            &[("name", name), ("allowed", &allowed.join(", "))],
        ),
    )
}

/// Checks the parameters the OpenAPI document types: unknown names, integers, the sort order.
/// Absent is fine; present must match the contract (an empty `page` is not an integer). Returns
/// the 400 answer for the first parameter that does not.
fn refuse_bad_params(l: Lang, params: &Params, allowed: &[&str]) -> Option<Response> {
    for (k, v) in &params.0 {
        if !allowed.contains(&k.as_str()) {
            return Some(bad_parameter(l, k, allowed));
        }
        let int = |max: usize| v.parse::<usize>().ok().filter(|n| (1..=max).contains(n));
        match k.as_str() {
            "page" if int(MAX_PAGE).is_none() => {
                return Some(json_error(
                    StatusCode::BAD_REQUEST,
                    &tf(l, M::BadPage, &[("max", &MAX_PAGE.to_string())]),
                ));
            }
            "per_page" if int(MAX_PER_PAGE).is_none() => {
                return Some(json_error(
                    StatusCode::BAD_REQUEST,
                    &tf(l, M::BadPerPage, &[("max", &MAX_PER_PAGE.to_string())]),
                ));
            }
            "grade" if int(12).is_none() => {
                return Some(json_error(StatusCode::BAD_REQUEST, t(l, M::BadGrade)));
            }
            "sort" if !indexer::Sort::NAMES.contains(&v.as_str()) => {
                return Some(json_error(StatusCode::BAD_REQUEST, t(l, M::BadSort)));
            }
            _ => {}
        }
    }
    None
}

async fn books(State(state): State<Shared>, ui: Ui, params: Params) -> Response {
    if let Some(r) = refuse_bad_params(ui.lang, &params, &BOOK_FILTERS) {
        return r;
    }
    let snap = state.snapshot();
    // Every filter given applies; a value no book has (an unknown collection) finds none.
    let mut list = snap.books.clone();
    for (k, v) in params.0.iter().filter(|(_, v)| !v.is_empty()) {
        let matching = snap.filter(k, v).unwrap_or_default();
        list.retain(|b| matching.iter().any(|m| std::sync::Arc::ptr_eq(m, b)));
    }
    ok(json!({"total": list.len(), "books": list.iter().map(|b| summary(b)).collect::<Vec<_>>()}))
}

async fn book(State(state): State<Shared>, ui: Ui, segs: Segs) -> Response {
    let snap = state.snapshot();
    match segs.0.first().and_then(|s| snap.book(s)) {
        Some(b) => ok(detail(&snap, b)),
        None => match segs.0.first().and_then(|s| snap.withdrawn.get(s)) {
            Some(reason) => json_error(
                StatusCode::GONE,
                &tf(ui.lang, M::WithdrawnReason, &[("reason", reason)]),
            ),
            None => json_error(StatusCode::NOT_FOUND, t(ui.lang, M::NotFoundTitle)),
        },
    }
}

fn collection_json(
    snap: &Snapshot,
    c: &crate::library::state::Collection,
    with_books: bool,
) -> Value {
    let mut v = json!({
        "slug": c.slug,
        "titles": c.titles,
        "descriptions": c.descriptions,
        "books": snap.books_in(c).iter().map(|b| b.slug.clone()).collect::<Vec<_>>(),
        "links": {"self": format!("/api/collections/{}", url_encode(&c.slug)), "html": format!("/collections/{}", url_encode(&c.slug))},
    });
    if with_books {
        v["books"] = snap.books_in(c).iter().map(|b| summary(b)).collect();
    }
    v
}

async fn collections(State(state): State<Shared>) -> Response {
    let snap = state.snapshot();
    ok(
        json!({"collections": snap.collections.iter().map(|c| collection_json(&snap, c, false)).collect::<Vec<_>>()}),
    )
}

async fn collection(State(state): State<Shared>, ui: Ui, segs: Segs) -> Response {
    let snap = state.snapshot();
    match segs.0.first().and_then(|s| snap.collection(s)) {
        Some(c) => ok(collection_json(&snap, c, true)),
        None => json_error(StatusCode::NOT_FOUND, t(ui.lang, M::NotFoundTitle)),
    }
}

async fn search(State(state): State<Shared>, ui: Ui, params: Params) -> Response {
    if let Some(r) = refuse_bad_params(ui.lang, &params, &SEARCH_PARAMS) {
        return r;
    }
    if params.get("q").is_none() {
        return json_error(StatusCode::BAD_REQUEST, t(ui.lang, M::MissingQuery));
    }
    let input = match search_input(&params) {
        Ok(i) => i,
        Err(max) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                &tf(ui.lang, M::BadPage, &[("max", &max)]),
            );
        }
    };
    let per_page = params
        .get("per_page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(10);
    if input.q.trim().is_empty() {
        return json_error(StatusCode::BAD_REQUEST, t(ui.lang, M::EmptyQuery));
    }
    match run_search(&state, &input, per_page).await {
        Ok(r) => {
            let mut v = serde_json::to_value(&r).unwrap_or(Value::Null);
            // Deep links into the reader for each passage.
            if let Some(books) = v.get_mut("books").and_then(Value::as_array_mut) {
                for b in books {
                    let slug = b["book"]["slug"].as_str().unwrap_or("").to_string();
                    // A book found through another edition of its work: the passages are that
                    // edition's, opened side by side with this one.
                    let (at, with) = match b["edition_of"]["slug"].as_str() {
                        Some(e) => (e.to_string(), format!("?with={}", url_encode(&slug))),
                        None => (slug.clone(), String::new()),
                    };
                    if let Some(ps) = b.get_mut("passages").and_then(Value::as_array_mut) {
                        for p in ps {
                            let link = format!(
                                "/read/{}/{}{with}#{}",
                                url_encode(&at),
                                url_encode(p["chapter"].as_str().unwrap_or("")),
                                formats::url::encode_href(p["anchor"].as_str().unwrap_or(""))
                            );
                            p["link"] = json!(link);
                        }
                    }
                }
            }
            ok(v)
        }
        Err(e) => search_failed(&state, ui.lang, &e),
    }
}

async fn suggest(State(state): State<Shared>, ui: Ui, params: Params) -> Response {
    if let Some(r) = refuse_bad_params(ui.lang, &params, &["q"]) {
        return r;
    }
    let Some(q) = params.get("q") else {
        return json_error(StatusCode::BAD_REQUEST, t(ui.lang, M::MissingQuery));
    };
    let q: String = q
        .chars()
        .take(indexer::vocabulary::MAX_PREFIX_CHARS)
        .collect();
    let list = state
        .cpu(move |s| indexer::vocabulary::suggest(&s.library(), &q, 10).unwrap_or_default())
        .await
        .unwrap_or_default();
    ok(json!({"suggestions": list}))
}

async fn index(ui: Ui) -> Response {
    let rows = [
        (
            "/api/search?q=…",
            "search: books with their best passages, facets, did-you-mean",
        ),
        ("/api/suggest?q=…", "completions for a search box"),
        (
            "/api/books",
            "all books (filters: grade, subject, lang, collection)",
        ),
        (
            "/api/books/{slug}",
            "one book: metadata, chapters, other language editions",
        ),
        ("/api/collections", "collections"),
        ("/api/collections/{slug}", "one collection and its books"),
        ("/opds/", "OPDS 1.2 catalog (Atom)"),
        ("/opds/v2/", "OPDS 2.0 catalog (JSON)"),
    ];
    let mut m = String::from(
        "<h1>API</h1><p><a href=\"/api/openapi.json\">OpenAPI 3.1</a></p><table><thead><tr><th scope=\"col\">GET</th><th scope=\"col\">…</th></tr></thead><tbody>",
    );
    for (path, what) in rows {
        m.push_str(&format!(
            "<tr><td><code>{}</code></td><td lang=\"en\">{}</td></tr>",
            formats::doc::escaped(path),
            formats::doc::escaped(what)
        ));
    }
    m.push_str("</tbody></table>");
    simple_page(&ui, "API", m)
}

async fn openapi(State(state): State<Shared>) -> Response {
    ok(openapi_doc(&state.config.public_url))
}

pub fn openapi_doc(base: &str) -> Value {
    let q = |name: &str, desc: &str, required: bool| json!({"name": name, "in": "query", "required": required, "description": desc, "schema": {"type": "string"}});
    let int = |name: &str, desc: &str, max: usize| json!({"name": name, "in": "query", "required": false, "description": desc, "schema": {"type": "integer", "minimum": 1, "maximum": max}});
    let slug =
        json!({"name": "slug", "in": "path", "required": true, "schema": {"type": "string"}});
    let err = json!({"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Kitepkana portal API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Search and browse a Kitepkana school library. Read-only; no authentication; no personal data.",
            "license": {"name": "MIT OR Apache-2.0", "identifier": "MIT OR Apache-2.0"},
        },
        "servers": [{"url": base}],
        "paths": {
            "/api/search": {"get": {
                "summary": "Search passages, grouped by book",
                "parameters": [
                    {"name": "q", "in": "query", "required": true, "description": "the query: words, \"phrases\", -excluded", "schema": {"type": "string", "pattern": "\\S"}},
                    int("page", "1-based page", MAX_PAGE),
                    int("per_page", "books per page", MAX_PER_PAGE),
                    q("qlang", "the query's language (detected when absent)", false),
                    {"name": "sort", "in": "query", "required": false, "description": "relevance (default), title, or date (newest first)", "schema": {"type": "string", "enum": indexer::Sort::NAMES}},
                    q("lang", "filter: book language; other language editions of matching works are included", false),
                    int("grade", "filter: grade", 12),
                    q("subject", "filter: subject", false),
                    q("material", "filter: material type", false),
                    q("license", "filter: licence", false),
                    q("collection", "filter: collection slug", false),
                    q("book", "search within one book (slug)", false),
                ],
                "responses": {"200": {"description": "results", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SearchResults"}}}}, "400": err},
            }},
            "/api/suggest": {"get": {
                "summary": "Word completions for a prefix",
                "parameters": [q("q", "prefix (its first 100 characters are used)", true)],
                "responses": {"200": {"description": "suggestions", "content": {"application/json": {"schema": {"type": "object", "properties": {"suggestions": {"type": "array", "items": {"type": "string"}}}}}}}, "400": err},
            }},
            "/api/books": {"get": {
                "summary": "Books, filtered by any of grade, subject, lang, collection (an empty value is no filter)",
                "parameters": [int("grade", "filter: grade", 12), q("subject", "filter: subject", false), q("lang", "filter: language", false), q("collection", "filter: collection slug", false)],
                "responses": {"200": {"description": "books", "content": {"application/json": {"schema": {"type": "object", "properties": {"total": {"type": "integer"}, "books": {"type": "array", "items": {"$ref": "#/components/schemas/Book"}}}}}}}, "400": err},
            }},
            "/api/books/{slug}": {"get": {
                "summary": "One book with chapters and other language editions",
                "parameters": [slug],
                "responses": {"200": {"description": "book", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Book"}}}}, "404": err, "410": err},
            }},
            "/api/collections": {"get": {
                "summary": "Collections",
                "responses": {"200": {"description": "collections", "content": {"application/json": {"schema": {"type": "object"}}}}},
            }},
            "/api/collections/{slug}": {"get": {
                "summary": "One collection with its books",
                "parameters": [slug],
                "responses": {"200": {"description": "collection", "content": {"application/json": {"schema": {"type": "object"}}}}, "404": err},
            }},
        },
        "components": {"schemas": {
            "Error": {"type": "object", "properties": {"error": {"type": "object", "properties": {"status": {"type": "integer"}, "message": {"type": "string"}}}}},
            "Book": {"type": "object", "properties": {
                "slug": {"type": "string"}, "title": {"type": "string"}, "language": {"type": "string"},
                "work": {"type": "string"}, "authors": {"type": "array", "items": {"type": "string"}},
                "grades": {"type": "array", "items": {"type": "integer"}}, "subject": {"type": ["string", "null"]},
                "license": {"type": ["string", "null"]}, "version": {"type": "string"}, "links": {"type": "object"},
            }},
            "SearchResults": {"type": "object", "properties": {
                "query": {"type": "string"}, "total_books": {"type": "integer"},
                "totals_exact": {"type": "boolean", "description": "false when total_books and the facet counts are a lower bound (a very large library)"},
                "page": {"type": "integer"},
                "per_page": {"type": "integer"}, "did_you_mean": {"type": ["string", "null"]}, "suggestion": {"type": "string"},
                "facets": {"type": "object"},
                "books": {"type": "array", "items": {"type": "object", "properties": {
                    "book": {"type": "object"}, "score": {"type": "number"},
                    "passages": {"type": "array", "items": {"type": "object", "properties": {
                        "chapter": {"type": "string"}, "anchor": {"type": "string"}, "heading": {"type": "string"},
                        "snippet": {"type": "string", "description": "HTML: escaped text with <mark> around matches"},
                        "link": {"type": "string"},
                    }}},
                }}},
            }},
        }},
        "x-max-page": MAX_PAGE,
    })
}
