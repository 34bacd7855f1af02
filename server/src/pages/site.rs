//! Site plumbing: language switch, stored files, static assets, robots.txt, the sitemap and 404.

use crate::library::state::Shared;
use crate::web::extract::{Params, Segs};
use crate::web::files::{self, Caching};
use crate::web::i18n::Lang;
use crate::web::lang::{LANG_COOKIE, Ui};
use crate::web::layout::{CSS, ICON_SVG, url_encode};
use crate::web::respond::{not_found, not_found_or_withdrawn, redirect_to, stored_file};
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use formats::doc::escaped as esc;
use std::fmt::Write;

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
    if !allowed || !crate::library::artifacts::is_safe_rel(rel) {
        return not_found(&ui);
    }
    // A withdrawn book's files stay for the record, but are no longer served.
    let snap = state.snapshot();
    if snap.withdrawn.contains_key(slug) {
        return not_found_or_withdrawn(&ui, &snap, Some(slug));
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
            "User-agent: *\nDisallow: /search\nDisallow: /api/\nDisallow: /lang/\nDisallow: /staff\nAllow: /\n\nSitemap: {}/sitemap.xml\n",
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
