//! The home page: featured collections and new books.

use crate::library::state::Book;
use crate::library::state::Shared;
use crate::web::i18n::{Lang, M, books_count, language_name, t, term_name};
use crate::web::lang::Ui;
use crate::web::layout::{Page, book_cards, grade_label, layout, search_form, url_encode};
use crate::web::respond::html_response;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use formats::doc::escaped as esc;
use std::fmt::Write;
use std::sync::Arc;

pub async fn home(State(state): State<Shared>, ui: Ui) -> Response {
    let l = ui.lang;
    let snap = state.snapshot();
    let mut m = String::new();
    let _ = write!(
        m,
        "<h1>{}</h1>\n<p class=\"lead\">{}</p>\n{}",
        esc(t(l, M::Tagline)),
        esc(t(l, M::HomeIntro)),
        search_form(l, "", None, "home-search")
    );
    let _ = write!(m, "<p class=\"hint\">{}</p>", esc(t(l, M::SearchHint)));
    // The collections librarians feature; when they feature none, all of them.
    let featured: Vec<_> = snap.collections.iter().filter(|c| c.featured).collect();
    let shown: Vec<_> = if featured.is_empty() {
        snap.collections.iter().collect()
    } else {
        featured
    };
    if !shown.is_empty() {
        let _ = write!(
            m,
            "<section aria-labelledby=\"h-collections\"><h2 id=\"h-collections\">{}</h2><ul class=\"collections\">",
            esc(t(l, M::NavCollections))
        );
        for c in shown {
            let n = snap.books_in(c).len();
            let _ = write!(
                m,
                "<li><a href=\"/collections/{}\">{}</a> <span class=\"meta\">({})</span><p>{}</p></li>",
                esc(&c.slug),
                esc(c.title(l.code())),
                esc(&books_count(l, n)),
                esc(c.description(l.code())),
            );
        }
        m.push_str("</ul></section>\n");
    }
    let recent: Vec<Arc<Book>> = snap.books.iter().take(6).cloned().collect();
    let _ = writeln!(
        m,
        "<section aria-labelledby=\"h-recent\"><h2 id=\"h-recent\">{}</h2>{}</section>",
        esc(t(l, M::RecentlyAdded)),
        book_cards(l, &recent)
    );
    m.push_str("<div class=\"browse\">");
    browse_list(
        &mut m,
        "h-grade",
        t(l, M::BrowseByGrade),
        snap.grades()
            .into_iter()
            .map(|(g, n)| (format!("grade={g}"), grade_label(l, g), n)),
        l,
    );
    browse_list(
        &mut m,
        "h-subject",
        t(l, M::BrowseBySubject),
        snap.subjects()
            .into_iter()
            .map(|(s, n)| (format!("subject={}", url_encode(&s)), term_name(l, &s), n)),
        l,
    );
    browse_list(
        &mut m,
        "h-language",
        t(l, M::BrowseByLanguage),
        snap.languages()
            .into_iter()
            .map(|(s, n)| (format!("lang={}", url_encode(&s)), language_name(l, &s), n)),
        l,
    );
    m.push_str("</div>");
    let mut page = Page::new("", m);
    page.wide = true;
    page.header_search = false;
    html_response(&ui, StatusCode::OK, layout(&ui, page))
}

fn browse_list(
    m: &mut String,
    id: &str,
    title: &str,
    items: impl Iterator<Item = (String, String, usize)>,
    l: Lang,
) {
    let _ = write!(
        m,
        "<section aria-labelledby=\"{id}\"><h2 id=\"{id}\">{}</h2><ul>",
        esc(title)
    );
    for (q, label, n) in items {
        let _ = write!(
            m,
            "<li><a href=\"/books?{q}\">{}</a> <span class=\"meta\">({})</span></li>",
            esc(&label),
            esc(&books_count(l, n))
        );
    }
    m.push_str("</ul></section>");
}
