//! The list of all books, filtered by one facet.

use crate::library::state::Book;
use crate::library::state::Shared;
use crate::web::extract::Params;
use crate::web::i18n::{M, books_count, t, tf};
use crate::web::lang::Ui;
use crate::web::layout::{Page, book_cards, layout, pager, url_encode};
use crate::web::respond::{error_page, html_response, not_found};
use crate::web::search::{MAX_PAGE, facet_label};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use formats::doc::escaped as esc;
use std::sync::Arc;

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
