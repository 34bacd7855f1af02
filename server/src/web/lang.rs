//! The reader's interface language: from the language cookie, else the browser's
//! `Accept-Language`, else Kyrgyz; and where the request came from, for links back.

use crate::web::i18n::Lang;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use std::convert::Infallible;

/// The language cookie: the one cookie the portal sets.
pub const LANG_COOKIE: &str = "kitep_lang";

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
