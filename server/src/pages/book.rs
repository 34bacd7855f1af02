//! A book's page (metadata, contents, versions) and its EPUB download.

use crate::library::licence_url;
use crate::library::state::Shared;
use crate::web::extract::Segs;
use crate::web::files::{self, Caching};
use crate::web::i18n::{M, language_name, t, term_name, tf};
use crate::web::lang::Ui;
use crate::web::layout::{Page, chapter_items, grade_label, layout, search_form, url_encode};
use crate::web::respond::{html_response, internal_error, not_found, not_found_or_withdrawn};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use formats::doc::escaped as esc;
use std::fmt::Write;

fn human_bytes(n: i64) -> String {
    if n >= 1024 * 1024 {
        format!("{:.1} MB", n as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", (n + 1023) / 1024)
    }
}

pub async fn book(State(state): State<Shared>, ui: Ui, segs: Segs) -> Response {
    let l = ui.lang;
    let snap = state.snapshot();
    let Some(b) = segs.0.first().and_then(|s| snap.book(s)).cloned() else {
        return not_found_or_withdrawn(&ui, &snap, segs.0.first());
    };
    let r = &b.record;
    let bl = esc(&r.language);
    let mut m = String::new();
    m.push_str("<div class=\"book-head\">");
    if let Some(cover) = b.cover_url() {
        let _ = write!(
            m,
            "<img class=\"cover\" src=\"{}\" alt=\"{}\" width=\"160\" height=\"220\">",
            esc(&cover),
            esc(&tf(l, M::BookCover, &[("title", &r.title)]))
        );
    }
    let _ = write!(m, "<div><h1 lang=\"{bl}\">{}</h1>", esc(&r.title));
    if let Some(sub) = &r.subtitle {
        let _ = write!(m, "<p class=\"subtitle\" lang=\"{bl}\">{}</p>", esc(sub));
    }
    let authors = r.authors();
    if !authors.is_empty() {
        let _ = write!(
            m,
            "<p class=\"authors\"><span class=\"label\">{}:</span> <span lang=\"{bl}\">{}</span></p>",
            esc(t(l, M::Authors)),
            esc(&authors.join(", "))
        );
    }
    m.push_str("<p class=\"actions\">");
    if let Some(first) = b.manifest.chapters.first() {
        let _ = write!(
            m,
            "<a class=\"button\" href=\"/read/{}/{}\">{}</a> ",
            esc(&b.slug),
            esc(&first.name),
            esc(t(l, M::ReadOnline))
        );
    }
    if b.epub_file.is_some() {
        let _ = write!(
            m,
            "<a class=\"button secondary\" href=\"/books/{}/download\" type=\"application/epub+zip\">{} <span class=\"meta\">({})</span></a>",
            esc(&b.slug),
            esc(t(l, M::DownloadEpub)),
            human_bytes(b.epub_bytes)
        );
    }
    m.push_str("</p></div></div>");
    if let Some(d) = &r.description {
        let _ = write!(m, "<p class=\"description\" lang=\"{bl}\">{}</p>", esc(d));
    }
    m.push_str("<dl class=\"facts\">");
    let mut fact = |k: M, v: String| {
        let _ = write!(m, "<dt>{}</dt><dd>{}</dd>", esc(t(l, k)), v);
    };
    fact(M::Language, esc(&language_name(l, &r.language)));
    if !r.grades.is_empty() {
        fact(
            M::Grades,
            r.grades
                .iter()
                .map(|g| {
                    format!(
                        "<a href=\"/books?grade={g}\">{}</a>",
                        esc(&grade_label(l, *g))
                    )
                })
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    if let Some(s) = &r.subject {
        fact(
            M::Subject,
            format!(
                "<a href=\"/books?subject={}\">{}</a>",
                esc(&url_encode(s)),
                esc(&term_name(l, s))
            ),
        );
    }
    if let Some(s) = &r.material {
        fact(M::Material, esc(&term_name(l, s)));
    }
    if let Some(lic) = &r.license {
        fact(
            M::Licence,
            match licence_url(lic) {
                Some(u) => format!("<a href=\"{}\" rel=\"license\">{}</a>", esc(&u), esc(lic)),
                None => esc(lic),
            },
        );
    }
    if let Some(p) = &r.publisher {
        fact(
            M::Publisher,
            format!("<span lang=\"{bl}\">{}</span>", esc(p)),
        );
    }
    if let Some(y) = r.year {
        fact(M::Year, y.to_string());
    }
    fact(
        M::Version,
        authoring::pipeline::format_utc(b.published_at.max(0) as u64)
            .get(..10)
            .unwrap_or("")
            .to_string(),
    );
    m.push_str("</dl>");

    let editions = snap.editions_of(&b);
    if !editions.is_empty() {
        let _ = write!(
            m,
            "<section aria-labelledby=\"h-editions\"><h2 id=\"h-editions\">{}</h2><ul>",
            esc(t(l, M::OtherEditions))
        );
        for e in &editions {
            let first = b
                .manifest
                .chapters
                .first()
                .map(|c| c.name.as_str())
                .unwrap_or("");
            let _ = write!(
                m,
                "<li><a href=\"/books/{0}\" lang=\"{1}\" hreflang=\"{1}\">{2}</a> <span class=\"meta\">({3})</span> — <a href=\"/read/{4}/{5}?with={0}\">{6}</a></li>",
                esc(&e.slug),
                esc(&e.record.language),
                esc(&e.record.title),
                esc(&language_name(l, &e.record.language)),
                esc(&b.slug),
                esc(first),
                esc(&tf(
                    l,
                    M::SideBySideWith,
                    &[("lang", &language_name(l, &e.record.language))]
                )),
            );
        }
        m.push_str("</ul></section>");
    }
    let cols = snap.collections_of(&b.slug);
    if !cols.is_empty() {
        let _ = write!(m, "<p>{}: ", esc(t(l, M::InCollections)));
        for (i, c) in cols.iter().enumerate() {
            if i > 0 {
                m.push_str(", ");
            }
            let _ = write!(
                m,
                "<a href=\"/collections/{}\">{}</a>",
                esc(&c.slug),
                esc(c.title(l.code()))
            );
        }
        m.push_str("</p>");
    }
    let _ = write!(
        m,
        "<section aria-labelledby=\"h-contents\"><h2 id=\"h-contents\">{}</h2><ol class=\"toc\" lang=\"{bl}\">",
        esc(t(l, M::Contents))
    );
    chapter_items(&mut m, &b, None);
    m.push_str("</ol></section>");
    m.push_str(&search_form(l, "", Some((&b.slug, "")), "book-search"));
    // How to cite: authors (year). Title. Publisher. URL.
    let mut cite = String::new();
    if !authors.is_empty() {
        cite.push_str(&esc(&authors.join(", ")));
        cite.push(' ');
    }
    if let Some(y) = r.year {
        let _ = write!(cite, "({y}). ");
    }
    let _ = write!(cite, "<cite>{}</cite>.", esc(&r.title));
    if let Some(p) = &r.publisher {
        let _ = write!(cite, " {}.", esc(p));
    }
    let _ = write!(
        cite,
        " {}/books/{}",
        esc(&state.config.public_url),
        esc(&b.slug)
    );
    let _ = write!(
        m,
        "<section aria-labelledby=\"h-cite\"><h2 id=\"h-cite\">{}</h2><p class=\"cite\" lang=\"{bl}\">{cite}</p></section>",
        esc(t(l, M::HowToCite))
    );
    // The versions published through the portal say what was new in each.
    let history = state.db.version_history(&b.slug).await.unwrap_or_default();
    if history.iter().any(|(_, _, c)| !c.is_empty()) {
        let _ = write!(
            m,
            "<section aria-labelledby=\"h-versions\"><h2 id=\"h-versions\">{}</h2><ul class=\"versions\">",
            esc(t(l, M::VersionHistory))
        );
        for (_, at, changelog) in &history {
            let day = authoring::pipeline::format_utc((*at).max(0) as u64);
            let _ = write!(
                m,
                "<li><time datetime=\"{}\">{}</time>{}{}</li>",
                esc(&day),
                esc(&day[..10]),
                if changelog.is_empty() { "" } else { ": " },
                esc(changelog)
            );
        }
        m.push_str("</ul></section>");
    }
    let mut page = Page::new(r.title.clone(), m);
    for e in &editions {
        let _ = writeln!(
            page.head,
            "<link rel=\"alternate\" hreflang=\"{}\" href=\"/books/{}\">",
            esc(&e.record.language),
            esc(&e.slug)
        );
    }
    html_response(&ui, StatusCode::OK, layout(&ui, page))
}

/// The current EPUB of a book (stable URL; the ETag changes with each version).
pub async fn download(
    State(state): State<Shared>,
    ui: Ui,
    segs: Segs,
    headers: HeaderMap,
) -> Response {
    let snap = state.snapshot();
    let Some(b) = segs.0.first().and_then(|s| snap.book(s)).cloned() else {
        return not_found_or_withdrawn(&ui, &snap, segs.0.first());
    };
    let Some(file) = &b.epub_file else {
        return not_found(&ui);
    };
    match state.store.open(&b.slug, &b.version, file) {
        Ok(Some((f, len))) => files::serve(
            &headers,
            files::Content::File(f, len),
            "application/epub+zip",
            format!("\"{}\"", b.version),
            Caching::Revalidate,
            Some(file),
        ),
        Ok(None) => not_found(&ui),
        Err(e) => internal_error(ui.lang, &e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cc0_books_link_their_licence() {
        assert_eq!(
            licence_url("CC0-1.0").as_deref(),
            Some("https://creativecommons.org/publicdomain/zero/1.0/")
        );
        assert_eq!(
            licence_url("CC-BY-SA-4.0").as_deref(),
            Some("https://creativecommons.org/licenses/by-sa/4.0/")
        );
    }
}
