//! The portal's router: pages (server-rendered HTML, no JavaScript), files, and the middleware
//! every response passes through (security headers, compression, access log without personal
//! data).

use crate::files::{self, Caching};
use crate::i18n::{Lang, M, t, tf};
use crate::pages;
use crate::state::AppState;
use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;

pub type Shared = Arc<AppState>;

/// The language cookie: the one cookie the portal sets.
pub const LANG_COOKIE: &str = "kitep_lang";

/// Requests bodies are never needed (every route is GET): anything larger is refused.
const MAX_BODY: usize = 16 * 1024;

pub fn router(state: Shared) -> Router {
    Router::new()
        .route("/", get(pages::home))
        .route("/health", get(health))
        .route("/search", get(pages::search))
        .route("/books", get(pages::books))
        .route("/books/{slug}", get(pages::book))
        .route("/books/{slug}/download", get(pages::download))
        .route("/read/{slug}", get(pages::read_start))
        .route("/read/{slug}/{chapter}", get(pages::read))
        .route("/collections", get(pages::collections))
        .route("/collections/{slug}", get(pages::collection))
        .route("/about", get(pages::about))
        .route("/lang/{code}", get(pages::switch_language))
        .route("/files/{slug}/{version}/{*rel}", get(pages::file))
        .route("/static/{name}", get(pages::static_file))
        .route("/robots.txt", get(pages::robots))
        .route("/sitemap.xml", get(pages::sitemap))
        .merge(crate::opds::routes())
        .merge(crate::api::routes())
        .fallback(pages::not_found_page)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn(refuse_bodies))
        .layer(
            tower_http::compression::CompressionLayer::new()
                .br(true)
                .gzip(true)
                .quality(tower_http::CompressionLevel::Fastest)
                .compress_when(Compressible),
        )
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn(access_log))
        .with_state(state)
}

/// The portal's health, truthfully: 200 and `ok` when everything works; 503 and `degraded` when
/// the data folder cannot be written or the search index is being rebuilt, with the reasons.
async fn health(State(state): State<Shared>) -> Response {
    let snap = state.snapshot();
    let c = state.condition();
    let status = if c.healthy() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let search = if c.index_rebuilding.is_some() {
        "rebuilding"
    } else if c.index_checking {
        "checking"
    } else {
        "ok"
    };
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(serde_json::json!({
            "status": if c.healthy() { "ok" } else { "degraded" },
            "books": snap.books.len(),
            "database": state.db.backend(),
            "search": search,
            "writable": c.read_only.is_none(),
            "problems": c.read_only.iter().chain(c.index_rebuilding.iter()).collect::<Vec<_>>(),
            "publish_failures": c.publish_failures,
        })),
    )
        .into_response()
}

/// Compress text, never ranges, EPUBs or images that are compressed already.
#[derive(Clone, Copy)]
struct Compressible;

impl tower_http::compression::Predicate for Compressible {
    fn should_compress<B>(&self, response: &axum::http::Response<B>) -> bool
    where
        B: axum::body::HttpBody,
    {
        let h = response.headers();
        if h.contains_key(header::CONTENT_RANGE) {
            return false;
        }
        let ct = h
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let texty = ct.starts_with("text/")
            || ct.contains("json")
            || ct.contains("xml")
            || ct.starts_with("image/svg");
        let big_enough = axum::body::HttpBody::size_hint(response.body())
            .exact()
            .is_none_or(|n| n >= 512);
        texty && big_enough
    }
}

/// A body on a portal request is refused before anything reads it (every route is GET/HEAD).
async fn refuse_bodies(req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        let lang = lang_of(req.headers());
        return pages::error_page(
            lang,
            StatusCode::PAYLOAD_TOO_LARGE,
            M::BadRequestTitle,
            t(lang, M::PayloadTooLarge),
        );
    }
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        let lang = lang_of(req.headers());
        let mut r = pages::error_page(
            lang,
            StatusCode::METHOD_NOT_ALLOWED,
            M::BadRequestTitle,
            t(lang, M::MethodNotAllowed),
        );
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    next.run(req).await
}

/// On every response: no scripts, no framing, no sniffing, no referrers, nothing from elsewhere.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let set = |h: &mut HeaderMap, k: header::HeaderName, v: &'static str| {
        h.entry(k).or_insert(HeaderValue::from_static(v));
    };
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    );
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::REFERRER_POLICY, "no-referrer");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(
        h,
        header::HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        h,
        header::HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    );
    res
}

/// One line per request: method, path (never the query, which holds search words), status, time.
/// No IP address, no user agent, no cookie.
async fn access_log(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().chars().take(200).collect::<String>();
    let res = next.run(req).await;
    tracing::info!(
        target: "kitep::access",
        %method,
        path = %path,
        status = res.status().as_u16(),
        ms = started.elapsed().as_secs_f64() * 1000.0,
    );
    res
}

/// The interface language: the cookie if set, else the browser's Accept-Language, else Kyrgyz.
pub fn lang_of(headers: &HeaderMap) -> Lang {
    let from_cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == LANG_COOKIE)
        .and_then(|(_, v)| Lang::from_code(v));
    from_cookie
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::negotiate)
        })
        .unwrap_or(Lang::Ky)
}

/// What a page needs to know about the request: the interface language and where it is.
#[derive(Debug, Clone)]
pub struct Ui {
    pub lang: Lang,
    /// Path and query of this page (for the language switcher to come back to).
    pub here: String,
    pub headers: HeaderMap,
}

impl<S: Send + Sync> FromRequestParts<S> for Ui {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Ui {
            lang: lang_of(&parts.headers),
            here: parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| "/".into()),
            headers: parts.headers.clone(),
        })
    }
}

/// The query string, decoded strictly: malformed `%` escapes or bytes that are not UTF-8 are a
/// 400 with a clear page, not a guess.
#[derive(Debug, Clone, Default)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let raw = parts.uri.query().unwrap_or("");
        parse_query(raw).map(Params).map_err(|_| {
            let lang = lang_of(&parts.headers);
            bad_request_for(parts, lang, t(lang, M::BadAddress))
        })
    }
}

/// Path segments, percent-decoded; invalid escapes or UTF-8 give a 400 page.
#[derive(Debug, Clone)]
pub struct Segs(pub Vec<String>);

impl<S: Send + Sync> FromRequestParts<S> for Segs {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<Vec<(String, String)>>::from_request_parts(parts, s).await {
            Ok(p) => Ok(Segs(p.0.into_iter().map(|(_, v)| v).collect())),
            Err(_) => {
                let lang = lang_of(&parts.headers);
                Err(bad_request_for(parts, lang, t(lang, M::BadAddress)))
            }
        }
    }
}

fn bad_request_for(parts: &Parts, lang: Lang, msg: &str) -> Response {
    let path = parts.uri.path();
    if path.starts_with("/api/") || path.starts_with("/opds/v2") {
        crate::api::json_error(StatusCode::BAD_REQUEST, msg)
    } else {
        pages::error_page(lang, StatusCode::BAD_REQUEST, M::BadRequestTitle, msg)
    }
}

/// A query string that is not valid percent-encoded UTF-8.
#[derive(Debug)]
pub struct BadQuery;

pub fn parse_query(raw: &str) -> Result<Vec<(String, String)>, BadQuery> {
    let mut out = Vec::new();
    for pair in raw.split('&').take(64) {
        if pair.is_empty() {
            continue;
        }
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.push((decode(k)?, decode(v)?));
    }
    Ok(out)
}

fn decode(s: &str) -> Result<String, BadQuery> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = |c: u8| (c as char).to_digit(16);
                let (Some(h), Some(l)) = (
                    b.get(i + 1).copied().and_then(hex),
                    b.get(i + 2).copied().and_then(hex),
                ) else {
                    return Err(BadQuery);
                };
                out.push((h * 16 + l) as u8);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| BadQuery)
}

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
    crate::reindex::check(state);
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
        let mut h = files::Fnv::default();
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

pub fn tf_q(lang: Lang, m: M, q: &str) -> String {
    tf(lang, m, &[("q", q)])
}
