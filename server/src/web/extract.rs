//! What a handler takes from a request: the reader's language (`Ui`), the query (`Params`), the
//! path's segments (`Segs`), decoded strictly (a malformed query is a 400, never a guess).

use crate::web::i18n::{Lang, M, t};
use crate::web::lang::lang_of;
use crate::web::respond::json_error;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;

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

pub fn bad_request_for(parts: &Parts, lang: Lang, msg: &str) -> Response {
    let path = parts.uri.path();
    if path.starts_with("/api/") || path.starts_with("/opds/v2") {
        json_error(StatusCode::BAD_REQUEST, msg)
    } else {
        crate::web::respond::error_page(lang, StatusCode::BAD_REQUEST, M::BadRequestTitle, msg)
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

pub fn decode(s: &str) -> Result<String, BadQuery> {
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
