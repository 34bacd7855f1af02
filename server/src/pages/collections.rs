//! The collections and each collection's books.

use crate::library::state::Shared;
use crate::web::extract::Segs;
use crate::web::i18n::{M, books_count, t};
use crate::web::lang::Ui;
use crate::web::layout::{Page, book_cards, layout};
use crate::web::respond::{html_response, not_found};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use formats::doc::escaped as esc;
use std::fmt::Write;

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
