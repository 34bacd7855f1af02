//! The search page: results with snippets, filters, suggestions when nothing is found.

use crate::library::state::Shared;
use crate::web::extract::Params;
use crate::web::i18n::{M, books_count_found, language_name, t, tf};
use crate::web::lang::Ui;
use crate::web::layout::{Page, book_meta, layout, pager, search_form, tf_q, url_encode};
use crate::web::respond::{error_page, html_response, search_failed};
use crate::web::search::{
    FACETS, MAX_PAGE, PER_PAGE, facet_label, run_search, search_input, sort_param,
};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use formats::doc::escaped as esc;
use std::fmt::Write;

/// A search URL with these parameters.
fn search_url(params: &[(String, String)]) -> String {
    let mut s = String::from("/search?");
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            s.push('&');
        }
        s.push_str(&url_encode(k));
        s.push('=');
        s.push_str(&url_encode(v));
    }
    s
}

pub async fn search(State(state): State<Shared>, ui: Ui, params: Params) -> Response {
    let l = ui.lang;
    let input = match search_input(&params) {
        Ok(i) => i,
        Err(max) => {
            return error_page(
                l,
                StatusCode::BAD_REQUEST,
                M::BadRequestTitle,
                &tf(l, M::BadPage, &[("max", &max)]),
            );
        }
    };
    let snap = state.snapshot();
    let book_scope = input
        .filters
        .iter()
        .find(|(k, _)| k == "book")
        .and_then(|(_, v)| snap.book(v).cloned());
    let mut m = String::new();
    if input.q.trim().is_empty() {
        let _ = write!(
            m,
            "<h1>{}</h1>{}<p>{}</p><p class=\"hint\">{}</p>",
            esc(t(l, M::SearchTitle)),
            search_form(
                l,
                "",
                book_scope.as_ref().map(|b| (b.slug.as_str(), "")),
                "page-search"
            ),
            esc(t(l, M::EmptyQuery)),
            esc(t(l, M::SearchHint))
        );
        let mut page = Page::new(t(l, M::SearchTitle), m);
        page.noindex = true;
        return html_response(&ui, StatusCode::OK, layout(&ui, page));
    }
    let results = match run_search(&state, &input, PER_PAGE).await {
        Ok(r) => r,
        Err(e) => return search_failed(&state, l, &e),
    };
    let mut base: Vec<(String, String)> = vec![("q".into(), input.q.clone())];
    base.extend(input.filters.iter().cloned());
    if input.sort != indexer::Sort::Relevance {
        base.push(("sort".into(), sort_param(input.sort).into()));
    }
    if let Some(b) = &book_scope {
        let _ = write!(
            m,
            "<p class=\"crumbs\"><a href=\"/books/{}\" lang=\"{}\">{}</a></p>",
            esc(&b.slug),
            esc(&b.record.language),
            esc(&b.record.title)
        );
    }
    let heading = if results.total_books == 0 {
        tf_q(l, M::NothingFound, &input.q)
    } else {
        tf_q(l, M::ResultsFor, &input.q)
    };
    let _ = write!(m, "<h1>{}</h1>", esc(&heading));
    if state.condition().index_rebuilding.is_some() {
        let _ = write!(
            m,
            "<p class=\"notice\" role=\"status\">{}</p>",
            esc(t(l, M::SearchRebuilding))
        );
    }
    if results.phrases_loosened {
        let _ = write!(
            m,
            "<p class=\"did-you-mean\">{}</p>",
            esc(t(l, M::PhrasesLoosened))
        );
    }
    // Results for a corrected query: say so, and name the correction (searching it again
    // gives the same page; the words as typed found nothing).
    if let Some(dym) = &results.did_you_mean {
        let _ = write!(
            m,
            "<p class=\"did-you-mean\">{} <strong>{}</strong></p>",
            esc(t(l, M::ShowingInstead)),
            esc(dym)
        );
    }
    // Results for the query as typed, but a word of it matched nothing: offer the correction.
    if let Some(s) = &results.suggestion {
        let mut p = base.clone();
        p[0].1 = s.clone();
        let _ = write!(
            m,
            "<p class=\"did-you-mean\">{} <a href=\"{}\">{}</a></p>",
            esc(t(l, M::DidYouMean)),
            esc(&search_url(&p)),
            esc(s)
        );
    }
    // Active filters, each removable.
    let active: Vec<&(String, String)> =
        input.filters.iter().filter(|(k, _)| k != "book").collect();
    if !active.is_empty() {
        let _ = write!(
            m,
            "<ul class=\"active-filters\" aria-label=\"{}\">",
            esc(t(l, M::ActiveFilters))
        );
        for f in &active {
            let p: Vec<(String, String)> = base.iter().filter(|x| x != f).cloned().collect();
            let _ = write!(
                m,
                "<li><a href=\"{}\" title=\"{}\">{} ✕</a></li>",
                esc(&search_url(&p)),
                esc(t(l, M::RemoveFilter)),
                esc(&facet_label(l, &snap, &f.0, &f.1))
            );
        }
        m.push_str("</ul>");
    }
    m.push_str("<div class=\"results-layout\">");
    // Facets with counts.
    let mut facets = String::new();
    for (key, label) in FACETS {
        let Some(values) = results.facets.get(key) else {
            continue;
        };
        let values: Vec<&(String, usize)> = values
            .iter()
            .filter(|(v, _)| !input.filters.iter().any(|(k, x)| k == key && x == v))
            .collect();
        if values.is_empty() {
            continue;
        }
        let _ = write!(facets, "<h3>{}</h3><ul>", esc(t(l, label)));
        for (v, n) in values {
            let mut p = base.clone();
            p.push((key.to_string(), v.clone()));
            let _ = write!(
                facets,
                "<li><a href=\"{}\">{}</a> <span class=\"meta\">({n})</span></li>",
                esc(&search_url(&p)),
                esc(&facet_label(l, &snap, key, v))
            );
        }
        facets.push_str("</ul>");
    }
    // The filters follow the results in the page, so on a phone the first result is on the first
    // screen; a wide screen draws them in a column on the left (portal.css).
    let facets = if !facets.is_empty() && results.total_books > 0 {
        format!(
            "<nav class=\"facets\" aria-labelledby=\"h-refine\"><h2 id=\"h-refine\">{}</h2>{facets}</nav>",
            esc(t(l, M::Refine))
        )
    } else {
        String::new()
    };
    m.push_str("<div class=\"results\">");
    if results.total_books == 0 {
        let _ = write!(
            m,
            "<ul class=\"help\"><li>{}</li><li>{}</li><li>{}</li><li>{}</li></ul>",
            esc(t(l, M::SearchHint)),
            esc(t(l, M::NothingFoundHelp1)),
            esc(t(l, M::NothingFoundHelp2)),
            esc(t(l, M::NothingFoundHelp3)),
        );
        let last = input.q.split_whitespace().last().unwrap_or("").to_string();
        let suggestions = state
            .cpu(move |s| indexer::vocabulary::suggest(&s.library(), &last, 5).unwrap_or_default())
            .await
            .unwrap_or_default();
        if !suggestions.is_empty() {
            let _ = write!(m, "<p>{} ", esc(t(l, M::TryAlso)));
            for (i, s) in suggestions.iter().enumerate() {
                if i > 0 {
                    m.push_str(", ");
                }
                let mut p = base.clone();
                p[0].1 = s.clone();
                let _ = write!(m, "<a href=\"{}\">{}</a>", esc(&search_url(&p)), esc(s));
            }
            m.push_str("</p>");
        }
        m.push_str(&search_form(
            l,
            &input.q,
            book_scope.as_ref().map(|b| (b.slug.as_str(), "")),
            "page-search",
        ));
    } else {
        let _ = write!(
            m,
            "<p class=\"meta\">{}</p>",
            esc(&books_count_found(
                l,
                results.total_books,
                results.totals_exact
            ))
        );
        // The order of the books, as links (no script needed); the current one is not a link.
        if results.total_books > 1 {
            let _ = write!(
                m,
                "<nav class=\"sort\" aria-label=\"{0}\"><span>{0}:</span> ",
                esc(t(l, M::SortBy))
            );
            for (i, (sort, label)) in [
                (indexer::Sort::Relevance, M::SortRelevance),
                (indexer::Sort::Title, M::SortTitle),
                (indexer::Sort::Date, M::SortDate),
            ]
            .into_iter()
            .enumerate()
            {
                if i > 0 {
                    m.push_str(" · ");
                }
                if sort == input.sort {
                    let _ = write!(
                        m,
                        "<strong aria-current=\"true\">{}</strong>",
                        esc(t(l, label))
                    );
                } else {
                    let mut p: Vec<(String, String)> =
                        base.iter().filter(|(k, _)| k != "sort").cloned().collect();
                    if sort != indexer::Sort::Relevance {
                        p.push(("sort".into(), sort_param(sort).into()));
                    }
                    let _ = write!(
                        m,
                        "<a href=\"{}\">{}</a>",
                        esc(&search_url(&p)),
                        esc(t(l, label))
                    );
                }
            }
            m.push_str("</nav>");
        }
        m.push_str("<ol class=\"hits\">");
        for hit in &results.books {
            let b = &hit.book;
            let lang = esc(&b.language);
            let _ = write!(
                m,
                "<li class=\"hit\"><h2><a href=\"/books/{}\" lang=\"{lang}\">{}</a></h2>",
                esc(&b.slug),
                esc(&b.title)
            );
            if let Some(book) = snap.book(&b.slug) {
                let _ = write!(m, "<p class=\"meta\">{}</p>", book_meta(l, book));
            }
            // Found through another language edition of the same work: its passages, opened
            // side by side with this edition.
            let (passage_book, with, plang) = match &hit.edition_of {
                Some(e) => {
                    let _ = write!(
                        m,
                        "<p class=\"edition-of\">{}</p>",
                        esc(&tf(
                            l,
                            M::OtherEditionOf,
                            &[
                                ("title", &e.title),
                                ("lang", &language_name(l, &e.language))
                            ]
                        ))
                    );
                    (
                        e.slug.as_str(),
                        format!("?with={}", url_encode(&b.slug)),
                        esc(&e.language),
                    )
                }
                None => (b.slug.as_str(), String::new(), lang.clone()),
            };
            m.push_str("<ul class=\"passages\">");
            for p in &hit.passages {
                let place = if p.heading.is_empty() || p.heading.starts_with(&p.chapter_title) {
                    if p.heading.is_empty() {
                        p.chapter_title.clone()
                    } else {
                        p.heading.clone()
                    }
                } else {
                    format!("{} › {}", p.chapter_title, p.heading)
                };
                let _ = write!(
                    m,
                    "<li><a href=\"/read/{}/{}{}#{}\" lang=\"{plang}\">{}</a><p class=\"snippet\" lang=\"{plang}\">{}</p></li>",
                    esc(passage_book),
                    esc(&p.chapter),
                    esc(&with),
                    esc(&formats::url::encode_href(&p.anchor)),
                    esc(&place),
                    p.snippet,
                );
            }
            m.push_str("</ul></li>");
        }
        m.push_str("</ol>");
        let pages = results.total_books.div_ceil(PER_PAGE).min(MAX_PAGE);
        if pages > 1 {
            let href = |n: usize| {
                let mut p = base.clone();
                p.push(("page".into(), n.to_string()));
                search_url(&p)
            };
            m.push_str(&pager(l, results.page, pages, href));
        }
    }
    m.push_str("</div>");
    m.push_str(&facets);
    m.push_str("</div>");
    let mut page = Page::new(heading, m);
    page.query = &input.q;
    page.noindex = true;
    page.wide = true;
    html_response(&ui, StatusCode::OK, layout(&ui, page))
}
