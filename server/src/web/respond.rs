//! The shared answers: HTML pages with their headers, stored files, redirects and the error pages
//! (HTML and JSON) that every part of the portal gives the same way.

use crate::library::state::AppState;
use crate::library::state::Shared;
use crate::web::files::{self, Caching};
use crate::web::i18n::{Lang, M, t};
use crate::web::lang::Ui;
use crate::web::layout::{Page, layout};
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use formats::doc::escaped as esc;
use serde_json::json;

/// An HTML page response: ETag from its bytes (304 when unchanged), language headers, no caching
/// across languages.
pub fn html_response(ui: &Ui, status: StatusCode, body: String) -> Response {
    let etag = files::etag_of(body.as_bytes());
    let mut b = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .header(header::CONTENT_LANGUAGE, ui.lang.code())
        .header(header::VARY, "Accept-Language, Cookie, Accept-Encoding")
        .header(header::CACHE_CONTROL, "no-cache");
    if status == StatusCode::OK {
        b = b.header(header::ETAG, &etag);
        if files::not_modified(&ui.headers, &etag) {
            return b
                .status(StatusCode::NOT_MODIFIED)
                .body(Body::empty())
                .unwrap_or_default();
        }
    }
    b.body(Body::from(body)).unwrap_or_default()
}

/// The answer to a search that failed: the index may be damaged, so its files are checked (and
/// rebuilt from the catalog if they are); `answer` (an HTML page or JSON error, status 503) gets
/// a Retry-After.
pub fn search_unavailable(state: &Shared, e: &anyhow::Error, mut answer: Response) -> Response {
    tracing::error!("search failed: {e:#}");
    crate::library::reindex::check(state);
    answer
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
    answer
}

/// Serves bytes of a stored file of a published version.
pub fn stored_file(
    state: &AppState,
    headers: &HeaderMap,
    slug: &str,
    version: &str,
    rel: &str,
    download: Option<&str>,
) -> Option<Response> {
    let (file, len) = state.store.open(slug, version, rel).ok().flatten()?;
    // Versioned content never changes: the ETag is the version and the path.
    let etag = format!("\"{version}-{:x}\"", {
        let mut h = crate::library::Fnv::default();
        h.write(rel.as_bytes());
        h.finish()
    });
    Some(files::serve(
        headers,
        files::Content::File(file, len),
        files::content_type(rel),
        etag,
        Caching::Immutable,
        download,
    ))
}

pub fn redirect_to(to: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, files::header_value(to))
        .body(Body::empty())
        .unwrap_or_default()
}

/// 410 with the reason for a withdrawn book; 404 for anything else.
pub fn not_found_or_withdrawn(
    ui: &Ui,
    snap: &crate::library::state::Snapshot,
    slug: Option<&String>,
) -> Response {
    match slug.and_then(|s| snap.withdrawn.get(s)) {
        Some(reason) => error_page(
            ui.lang,
            StatusCode::GONE,
            M::WithdrawnTitle,
            &crate::web::i18n::tf(ui.lang, M::WithdrawnReason, &[("reason", reason)]),
        ),
        None => not_found(ui),
    }
}

pub fn not_found(ui: &Ui) -> Response {
    if ui.here.starts_with("/api/") || ui.here.starts_with("/opds/v2") {
        return json_error(StatusCode::NOT_FOUND, t(ui.lang, M::NotFoundTitle));
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
    search_unavailable(state, e, page)
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

pub fn json_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        json!({"error": {"status": status.as_u16(), "message": message}}).to_string(),
    )
        .into_response()
}

/// A search that failed, as JSON: try again shortly (see `web::search_unavailable`).
pub fn json_search_failed(state: &Shared, l: Lang, e: &anyhow::Error) -> Response {
    let answer = json_error(StatusCode::SERVICE_UNAVAILABLE, t(l, M::SearchUnavailable));
    search_unavailable(state, e, answer)
}
