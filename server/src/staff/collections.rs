//! Collections, for librarians: create, edit (titles and descriptions in ky, ru, en), order,
//! delete, feature on the home page, add and remove books.

use crate::accounts::policy::Action;
use crate::library::state::Shared;
use crate::web::extract::Segs;
use crate::web::i18n::{Lang, M, t, tf};
use crate::web::respond::{internal_error, not_found, redirect_to};
use crate::web::staff::{SignedIn, csrf_field, field, staff_page};
use crate::workflow::curation;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use catalog::CollectionRow;
use maud::{Markup, html};
use std::collections::BTreeMap;

fn texts(json: &str) -> BTreeMap<String, String> {
    serde_json::from_str(json).unwrap_or_default()
}

fn editor(who: &SignedIn, c: Option<&CollectionRow>) -> Markup {
    let l = who.ui.lang;
    let (titles, descs) = c
        .map(|c| (texts(&c.titles), texts(&c.descriptions)))
        .unwrap_or_default();
    let action = match c {
        Some(c) => format!("/staff/collections/{}", c.slug),
        None => "/staff/collections".to_string(),
    };
    html! {
        form.staff-form method="post" action=(action) {
            (csrf_field(&who.session))
            @if c.is_none() {
                label for="slug" { (t(l, M::CollectionSlug)) }
                input #slug type="text" name="slug" pattern="[a-z0-9][a-z0-9\\-]{0,63}" required;
            }
            @for lang in Lang::ALL {
                label for={ "title-" (lang.code()) } { (tf(l, M::TitleIn, &[("lang", lang.native_name())])) }
                input id={ "title-" (lang.code()) } type="text" name={ "title-" (lang.code()) } lang=(lang.code())
                    value=(titles.get(lang.code()).map(String::as_str).unwrap_or(""));
                label for={ "description-" (lang.code()) } { (tf(l, M::DescriptionIn, &[("lang", lang.native_name())])) }
                textarea id={ "description-" (lang.code()) } name={ "description-" (lang.code()) } lang=(lang.code()) rows="2" {
                    (descs.get(lang.code()).map(String::as_str).unwrap_or(""))
                }
            }
            label.check {
                input type="checkbox" name="featured" value="1" checked[c.is_some_and(|c| c.featured)];
                " " (t(l, M::Featured))
            }
            button type="submit" { (t(l, M::Save)) }
        }
    }
}

fn list_page(
    who: &SignedIn,
    cols: &[CollectionRow],
    status: StatusCode,
    notice: Option<&str>,
) -> Response {
    let l = who.ui.lang;
    let s = &who.session;
    let body = html! {
        h1 { (t(l, M::NavCollections)) }
        @if let Some(n) = notice { p.notice role="alert" { (n) } }
        ol.collections-admin {
            @for c in cols {
                li {
                    a href={ "/staff/collections/" (c.slug) } { (texts(&c.titles).get(l.code()).cloned().unwrap_or_else(|| c.slug.clone())) }
                    " " code { (c.slug) }
                    @if c.featured { " · " (t(l, M::Featured)) }
                    @for (dir, label) in [("up", M::MoveUp), ("down", M::MoveDown)] {
                        form.inline method="post" action={ "/staff/collections/" (c.slug) "/move-" (dir) } {
                            (csrf_field(s))
                            button type="submit" { (t(l, label)) }
                        }
                    }
                    form.inline method="post" action={ "/staff/collections/" (c.slug) "/delete" } {
                        (csrf_field(s))
                        button type="submit" { (t(l, M::Delete)) }
                    }
                }
            }
        }
        h2 { (t(l, M::NewCollection)) }
        (editor(who, None))
    };
    staff_page(&who.ui, status, t(l, M::NavCollections), Some(s), body)
}

pub async fn list(State(state): State<Shared>, who: SignedIn) -> Response {
    if let Some(r) = who.refusal(Action::CurateCollections) {
        return r;
    }
    match state.db.collections().await {
        Ok(c) => list_page(&who, &c, StatusCode::OK, None),
        Err(e) => internal_error(who.ui.lang, &e),
    }
}

/// Titles and descriptions from the form, as JSON (language → text), non-empty ones only.
fn texts_from(f: &[(String, String)], prefix: &str) -> BTreeMap<String, String> {
    Lang::ALL
        .iter()
        .filter_map(|lang| {
            let v: String = field(f, &format!("{prefix}-{}", lang.code()))
                .unwrap_or("")
                .trim()
                .chars()
                .take(1000)
                .collect();
            (!v.is_empty()).then(|| (lang.code().to_string(), v))
        })
        .collect()
}

async fn save_from(
    state: &Shared,
    who: &SignedIn,
    slug: &str,
    f: &[(String, String)],
) -> Result<Option<M>, anyhow::Error> {
    if !curation::valid_slug(slug) {
        return Ok(Some(M::BadSlug));
    }
    let titles = texts_from(f, "title");
    if titles.is_empty() {
        return Ok(Some(M::TitleRequired));
    }
    let descriptions = texts_from(f, "description");
    let s = &who.session.staff;
    state
        .db
        .save_collection(
            slug,
            &serde_json::to_string(&titles)?,
            &serde_json::to_string(&descriptions)?,
            field(f, "featured").is_some(),
            &s.id,
            &s.email,
        )
        .await?;
    curation::apply(state).await?;
    Ok(None)
}

pub async fn create(State(state): State<Shared>, who: SignedIn, body: Bytes) -> Response {
    if let Some(r) = who.refusal(Action::CurateCollections) {
        return r;
    }
    let f = match who.form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let slug = field(&f, "slug").unwrap_or("").trim().to_string();
    match save_from(&state, &who, &slug, &f).await {
        Ok(None) => redirect_to(&format!("/staff/collections/{slug}")),
        Ok(Some(problem)) => {
            let cols = state.db.collections().await.unwrap_or_default();
            list_page(
                &who,
                &cols,
                StatusCode::BAD_REQUEST,
                Some(t(who.ui.lang, problem)),
            )
        }
        Err(e) => internal_error(who.ui.lang, &e),
    }
}

pub async fn show(State(state): State<Shared>, who: SignedIn, segs: Segs) -> Response {
    if let Some(r) = who.refusal(Action::CurateCollections) {
        return r;
    }
    let l = who.ui.lang;
    let slug = segs.0.first().cloned().unwrap_or_default();
    let cols = match state.db.collections().await {
        Ok(c) => c,
        Err(e) => return internal_error(l, &e),
    };
    let Some(c) = cols.iter().find(|c| c.slug == slug) else {
        return not_found(&who.ui);
    };
    let snap = state.snapshot();
    let s = &who.session;
    let body = html! {
        h1 { (texts(&c.titles).get(l.code()).cloned().unwrap_or_else(|| c.slug.clone())) }
        (editor(&who, Some(c)))
        h2 { (t(l, M::BooksInCollection)) }
        ul {
            @for b in &c.books {
                li {
                    (snap.book(b).map(|x| x.record.title.clone()).unwrap_or_else(|| b.clone())) " " code { (b) }
                    form.inline method="post" action={ "/staff/collections/" (c.slug) "/remove" } {
                        (csrf_field(s))
                        input type="hidden" name="book" value=(b);
                        button type="submit" { (t(l, M::RemoveFromCollection)) }
                    }
                }
            }
        }
        form.staff-form method="post" action={ "/staff/collections/" (c.slug) "/add" } {
            (csrf_field(s))
            label for="book" { (t(l, M::AddBook)) }
            select #book name="book" {
                @for b in snap.books.iter().filter(|b| !c.books.contains(&b.slug)) {
                    option value=(b.slug) { (b.record.title) " (" (b.slug) ")" }
                }
            }
            button type="submit" { (t(l, M::AddBook)) }
        }
        p { a href="/staff/collections" { (t(l, M::NavCollections)) } }
    };
    staff_page(&who.ui, StatusCode::OK, &c.slug, Some(s), body)
}

/// Every change to one collection: save (edit), add, remove, move-up, move-down, delete.
pub async fn change(
    State(state): State<Shared>,
    who: SignedIn,
    segs: Segs,
    body: Bytes,
) -> Response {
    if let Some(r) = who.refusal(Action::CurateCollections) {
        return r;
    }
    let l = who.ui.lang;
    let f = match who.form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let (slug, what) = match segs.0.as_slice() {
        [slug] => (slug.clone(), "save".to_string()),
        [slug, what] => (slug.clone(), what.clone()),
        _ => return not_found(&who.ui),
    };
    let s = &who.session.staff;
    if what == "save" {
        return match save_from(&state, &who, &slug, &f).await {
            Ok(None) => redirect_to(&format!("/staff/collections/{slug}")),
            Ok(Some(problem)) => {
                let cols = state.db.collections().await.unwrap_or_default();
                list_page(&who, &cols, StatusCode::BAD_REQUEST, Some(t(l, problem)))
            }
            Err(e) => internal_error(l, &e),
        };
    }
    let done: anyhow::Result<Option<String>> = async {
        Ok(match what.as_str() {
            "add" | "remove" => {
                let book = field(&f, "book").unwrap_or("").to_string();
                if what == "remove" || state.snapshot().book(&book).is_some() {
                    state
                        .db
                        .set_in_collection(&slug, &book, what == "add", &s.id, &s.email)
                        .await?;
                    curation::apply(&state).await?;
                }
                Some(format!("/staff/collections/{slug}"))
            }
            "move-up" | "move-down" => {
                state.db.move_collection(&slug, what == "move-up").await?;
                curation::apply(&state).await?;
                Some("/staff/collections".into())
            }
            "delete" => {
                state.db.delete_collection(&slug, &s.id, &s.email).await?;
                curation::apply(&state).await?;
                Some("/staff/collections".into())
            }
            _ => None,
        })
    }
    .await;
    match done {
        Ok(Some(to)) => redirect_to(&to),
        Ok(None) => not_found(&who.ui),
        Err(e) => internal_error(l, &e),
    }
}
