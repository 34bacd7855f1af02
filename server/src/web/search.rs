//! The search service behind the search page, the JSON API and the OPDS feeds: one reading of the
//! query and its filters, one call into the index.

use crate::library::state::Shared;
use crate::library::state::Snapshot;
use crate::web::extract::Params;
use crate::web::i18n::{Lang, M, language_name, term_name};
use crate::web::layout::grade_label;

/// Results per page, and the deepest page offered.
pub const PER_PAGE: usize = 10;
pub use indexer::search::MAX_PAGE;

/// The filters the search page offers, in order.
pub const FACETS: [(&str, M); 6] = [
    ("lang", M::Language),
    ("grade", M::Grades),
    ("subject", M::Subject),
    ("material", M::Material),
    ("collection", M::Collection),
    ("license", M::Licence),
];

pub fn facet_label(l: Lang, snap: &Snapshot, key: &str, value: &str) -> String {
    match key {
        "lang" => language_name(l, value),
        "grade" => value
            .parse::<u8>()
            .map(|g| grade_label(l, g))
            .unwrap_or_else(|_| value.to_string()),
        "collection" => snap
            .collection(value)
            .map(|c| c.title(l.code()).to_string())
            .unwrap_or_else(|| value.to_string()),
        "subject" | "material" => term_name(l, value),
        _ => value.to_string(),
    }
}

pub struct SearchInput {
    pub q: String,
    pub filters: Vec<(String, String)>,
    pub page: usize,
    pub lang: Option<String>,
    /// `sort=title|date`; anything else is relevance.
    pub sort: indexer::Sort,
}

/// Reads `q`, `page`, `qlang`, `sort` and the facet filters; an absurd page is an error.
pub fn search_input(params: &Params) -> Result<SearchInput, String> {
    let q: String = params.get("q").unwrap_or("").chars().take(2000).collect();
    let page = match params.get("page") {
        None | Some("") => 1,
        Some(p) => match p.trim().parse::<usize>() {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => n,
            _ => return Err(MAX_PAGE.to_string()),
        },
    };
    let filters = params
        .0
        .iter()
        .filter(|(k, v)| !v.is_empty() && (FACETS.iter().any(|(f, _)| f == k) || k == "book"))
        .take(16)
        .cloned()
        .collect();
    let lang = params
        .get("qlang")
        .filter(|v| !v.is_empty() && v.len() <= 12)
        .map(str::to_string);
    let sort = params
        .get("sort")
        .and_then(indexer::Sort::parse)
        .unwrap_or_default();
    Ok(SearchInput {
        q,
        filters,
        page,
        lang,
        sort,
    })
}

pub fn sort_param(sort: indexer::Sort) -> &'static str {
    match sort {
        indexer::Sort::Relevance => "relevance",
        indexer::Sort::Title => "title",
        indexer::Sort::Date => "date",
    }
}

pub async fn run_search(
    state: &Shared,
    input: &SearchInput,
    per_page: usize,
) -> anyhow::Result<indexer::SearchResults> {
    let st = state.clone();
    let req = indexer::SearchRequest {
        query: input.q.clone(),
        lang: input.lang.clone(),
        filters: input.filters.clone(),
        page: input.page,
        per_page,
        sort: input.sort,
    };
    Ok(st
        .cpu(move |s| indexer::search(&s.library(), &req))
        .await??)
}
