//! What wraps every answer: bodies refused where none is expected, security headers, compression
//! and the access log.

use crate::web::i18n::{M, t};
use crate::web::lang::lang_of;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;

/// Request bodies are small forms at most (staff pages): anything larger is refused.
pub const MAX_BODY: usize = 16 * 1024;

/// Routes that take a book project (a `.zip`): their bodies may be as large as the upload limit.
pub const UPLOAD_PATHS: [&str; 2] = ["/staff/drafts", "/api/drafts"];

/// The largest body a request may declare: a book project for the upload routes, a chapter or
/// an image for the editor's forms (URL-encoded text takes up to three times its size), a small
/// form elsewhere.
pub fn body_limit(method: &Method, path: &str) -> usize {
    if *method != Method::POST {
        MAX_BODY
    } else if UPLOAD_PATHS.contains(&path) {
        crate::workflow::upload::Limits::from_env().body_limit()
    } else if path.starts_with("/staff/drafts/") {
        editor_body_limit()
    } else {
        MAX_BODY
    }
}

/// A chapter saved from the editor, URL-encoded, or an image.
pub fn editor_body_limit() -> usize {
    3 * crate::workflow::edit::MAX_FILE + 64 * 1024
}

/// Compress text, never ranges, EPUBs or images that are compressed already.
#[derive(Clone, Copy)]
pub struct Compressible;

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

/// A body on a portal request is refused before anything reads it: public routes are GET/HEAD;
/// only staff pages (`/staff/…`) take forms.
pub async fn refuse_bodies(req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let limit = body_limit(req.method(), req.uri().path()) as u64;
    if declared.is_some_and(|n| n > limit) {
        let lang = lang_of(req.headers());
        return crate::web::respond::error_page(
            lang,
            StatusCode::PAYLOAD_TOO_LARGE,
            M::BadRequestTitle,
            t(lang, M::PayloadTooLarge),
        );
    }
    // OAI-PMH harvesters may ask by POST (a form body), as the protocol allows.
    let staff_form = *req.method() == Method::POST
        && (req.uri().path().starts_with("/staff/")
            || UPLOAD_PATHS.contains(&req.uri().path())
            || req.uri().path() == "/oai");
    if !matches!(*req.method(), Method::GET | Method::HEAD) && !staff_form {
        let lang = lang_of(req.headers());
        let mut r = crate::web::respond::error_page(
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
pub async fn security_headers(req: Request, next: Next) -> Response {
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
pub async fn access_log(req: Request, next: Next) -> Response {
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
