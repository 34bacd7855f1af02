//! The web reader: one chapter per page, optionally side by side with a translation.

use crate::library::state::Shared;
use crate::library::state::{AppState, Book};
use crate::web::extract::{Params, Segs};
use crate::web::i18n::{Lang, M, language_name, t};
use crate::web::lang::Ui;
use crate::web::layout::{Page, chapter_items, layout, search_form, url_encode};
use crate::web::respond::{html_response, not_found, not_found_or_withdrawn, redirect_to};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use formats::doc::escaped as esc;
use std::fmt::Write;

pub async fn read_start(State(state): State<Shared>, ui: Ui, segs: Segs) -> Response {
    let snap = state.snapshot();
    let Some(b) = segs.0.first().and_then(|s| snap.book(s)) else {
        return not_found_or_withdrawn(&ui, &snap, segs.0.first());
    };
    match b.manifest.chapters.first() {
        Some(c) => redirect_to(&format!("/read/{}/{}", b.slug, url_encode(&c.name))),
        None => redirect_to(&format!("/books/{}", b.slug)),
    }
}

/// Makes the ids of a chapter's markup unique when two chapters share a page. Only attributes
/// inside tags are rewritten: text that happens to read ` id="` stays as written.
fn prefix_ids(html: &str, prefix: &str) -> String {
    const ATTRS: [&str; 5] = [
        " id=\"",
        " href=\"#",
        " aria-labelledby=\"",
        " aria-describedby=\"",
        " for=\"",
    ];
    let mut out = String::with_capacity(html.len() + html.len() / 16);
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        rest = &rest[open..];
        // The tag ends at the first '>' outside a quoted value (quotes inside values are escaped).
        let mut in_quote = false;
        let end = rest
            .char_indices()
            .find(|&(_, c)| {
                if c == '"' {
                    in_quote = !in_quote;
                }
                c == '>' && !in_quote
            })
            .map_or(rest.len(), |(i, _)| i + 1);
        let mut tag = &rest[..end];
        while !tag.is_empty() {
            match ATTRS
                .iter()
                .filter_map(|a| tag.find(a).map(|i| (i, a.len())))
                .min()
            {
                Some((i, len)) => {
                    out.push_str(&tag[..i + len]);
                    out.push_str(prefix);
                    tag = &tag[i + len..];
                }
                None => {
                    out.push_str(tag);
                    tag = "";
                }
            }
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn chapter_html(state: &AppState, b: &Book, name: &str) -> Option<String> {
    let bytes = state
        .store
        .read(&b.slug, &b.version, &format!("portal/{name}.html"))
        .ok()
        .flatten()?;
    String::from_utf8(bytes).ok()
}

pub async fn read(State(state): State<Shared>, ui: Ui, segs: Segs, params: Params) -> Response {
    let l = ui.lang;
    let snap = state.snapshot();
    let (Some(slug), Some(name)) = (segs.0.first(), segs.0.get(1)) else {
        return not_found(&ui);
    };
    let Some(b) = snap.book(slug).cloned() else {
        return not_found_or_withdrawn(&ui, &snap, Some(slug));
    };
    let Some((idx, ch)) = b.chapter(name) else {
        return not_found(&ui);
    };
    let Some(content) = chapter_html(&state, &b, name) else {
        return not_found(&ui);
    };
    let other = params
        .get("with")
        .and_then(|w| snap.book(w))
        .filter(|o| o.slug != b.slug && o.work() == b.work())
        .cloned();
    let bl = esc(ch.lang.as_deref().unwrap_or(&b.record.language));
    let mut m = String::new();
    let _ = write!(
        m,
        "<p class=\"crumbs\"><a href=\"/books/{}\" lang=\"{}\">{}</a></p>",
        esc(&b.slug),
        esc(&b.record.language),
        esc(&b.record.title)
    );
    let pager = chapter_pager(l, &b, idx, other.as_ref().map(|o| o.slug.as_str()));
    match &other {
        Some(o) => {
            let counterpart = o.manifest.chapters.get(idx);
            let right = counterpart
                .and_then(|c| chapter_html(&state, o, &c.name))
                .map(|h| prefix_ids(&h, "p2-"))
                .unwrap_or_else(|| format!("<p>{}</p>", esc(t(l, M::NoCounterpart))));
            let ol = esc(counterpart
                .and_then(|c| c.lang.as_deref())
                .unwrap_or(&o.record.language));
            let _ = write!(
                m,
                "<p><a href=\"/read/{}/{}\">{}</a></p><div class=\"parallel\"><article lang=\"{bl}\" class=\"chapter\" aria-label=\"{}\">{content}</article><article lang=\"{ol}\" class=\"chapter\" aria-label=\"{}\">{right}</article></div>",
                esc(&b.slug),
                esc(name),
                esc(t(l, M::CloseSideBySide)),
                esc(&language_name(l, &b.record.language)),
                esc(&language_name(l, &o.record.language)),
            );
        }
        None => {
            let _ = write!(
                m,
                "<article class=\"chapter\" lang=\"{bl}\">{content}</article>"
            );
        }
    }
    m.push_str(&pager);
    // Contents, side-by-side choices and search in this book.
    let _ = write!(
        m,
        "<details class=\"book-toc\"><summary>{}</summary><ol lang=\"{}\">",
        esc(t(l, M::Contents)),
        esc(&b.record.language)
    );
    chapter_items(&mut m, &b, Some(&ch.name));
    m.push_str("</ol></details>");
    let editions = snap.editions_of(&b);
    if other.is_none() && !editions.is_empty() {
        let _ = write!(
            m,
            "<p class=\"side-by-side\">{}: ",
            esc(t(l, M::SideBySide))
        );
        for (i, e) in editions.iter().enumerate() {
            if i > 0 {
                m.push_str(", ");
            }
            let _ = write!(
                m,
                "<a href=\"/read/{}/{}?with={}\">{}</a>",
                esc(&b.slug),
                esc(name),
                esc(&e.slug),
                esc(&language_name(l, &e.record.language))
            );
        }
        m.push_str("</p>");
    }
    m.push_str(&search_form(l, "", Some((&b.slug, "")), "book-search"));
    let mut page = Page::new(format!("{} — {}", ch.title, b.record.title), m);
    page.wide = other.is_some();
    if other.is_some() {
        page.noindex = true;
    }
    html_response(&ui, StatusCode::OK, layout(&ui, page))
}

fn chapter_pager(l: Lang, b: &Book, idx: usize, with: Option<&str>) -> String {
    let suffix = with
        .map(|w| format!("?with={}", url_encode(w)))
        .unwrap_or_default();
    let mut s = format!(
        "<nav class=\"pager\" aria-label=\"{}\">",
        esc(t(l, M::ChapterNav))
    );
    let prev = idx.checked_sub(1).and_then(|i| b.manifest.chapters.get(i));
    let next = b.manifest.chapters.get(idx + 1);
    for (ch, rel, label) in [
        (prev, "prev", format!("← {}", t(l, M::PreviousChapter))),
        (next, "next", format!("{} →", t(l, M::NextChapter))),
    ] {
        if let Some(ch) = ch {
            let _ = write!(
                s,
                "<a href=\"/read/{}/{}{}\" rel=\"{rel}\"><span class=\"pager-label\">{}</span><span lang=\"{}\">{}</span></a>",
                esc(&b.slug),
                esc(&ch.name),
                esc(&suffix),
                esc(&label),
                esc(&b.record.language),
                esc(&ch.title)
            );
        }
    }
    s.push_str("</nav>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn side_by_side_ids_are_prefixed_in_tags_only() {
        let html = "<p id=\"a\">Write <code> id=\"x\"</code> and <a href=\"#a\">see</a></p>";
        assert_eq!(
            prefix_ids(html, "ru-"),
            "<p id=\"ru-a\">Write <code> id=\"x\"</code> and <a href=\"#ru-a\">see</a></p>"
        );
    }
}
