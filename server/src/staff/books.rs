//! Published books, for librarians: withdraw one (with a reason) or restore it.

use crate::accounts::policy::Action;
use crate::library::state::Shared;
use crate::web::extract::Segs;
use crate::web::i18n::{M, t};
use crate::web::respond::{internal_error, redirect_to};
use crate::web::staff::{SignedIn, csrf_field, field, staff_page};
use crate::workflow::review;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

pub async fn list(State(state): State<Shared>, who: SignedIn) -> Response {
    if let Some(r) = who.refusal(Action::Withdraw) {
        return r;
    }
    let l = who.ui.lang;
    let editions = match state.db.editions().await {
        Ok(e) => e,
        Err(e) => return internal_error(l, &e),
    };
    let body = html! {
        h1 { (t(l, M::PublishedBooks)) }
        h2 { (t(l, M::CatalogueDownloads)) }
        ul {
            li { a href="/staff/books/catalogue.mrc" download { (t(l, M::MarcIso)) } }
            li { a href="/staff/books/catalogue.xml" download { (t(l, M::MarcXml)) } }
            li { a href="/staff/books/catalogue.json" download { (t(l, M::CatalogueJson)) } }
        }
        ul.editions {
            @for e in &editions {
                li {
                    a href={ "/books/" (e.slug) } { (e.title) } " " code { (e.slug) }
                    @if let Some((_, reason)) = &e.withdrawn {
                        " · " strong { (t(l, M::WithdrawnTitle)) } ": " (reason)
                        form.inline method="post" action={ "/staff/books/" (e.slug) "/restore" } {
                            (csrf_field(&who.session))
                            button type="submit" { (t(l, M::Restore)) }
                        }
                    } @else {
                        form.staff-form method="post" action={ "/staff/books/" (e.slug) "/withdraw" } {
                            (csrf_field(&who.session))
                            label for={ "reason-" (e.slug) } { (t(l, M::Reason)) }
                            input id={ "reason-" (e.slug) } type="text" name="reason" maxlength="300" required;
                            button type="submit" { (t(l, M::Withdraw)) }
                        }
                    }
                }
            }
        }
    };
    staff_page(
        &who.ui,
        StatusCode::OK,
        t(l, M::PublishedBooks),
        Some(&who.session),
        body,
    )
}

async fn change(state: Shared, who: SignedIn, segs: Segs, body: Bytes, withdraw: bool) -> Response {
    if let Some(r) = who.refusal(Action::Withdraw) {
        return r;
    }
    let l = who.ui.lang;
    let f = match who.form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let slug = segs.0.first().cloned().unwrap_or_default();
    let reason: String = field(&f, "reason")
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(300)
        .collect();
    if withdraw && reason.is_empty() {
        return redirect_to("/staff/books");
    }
    let reason = withdraw.then_some(reason.as_str());
    match review::set_withdrawn(&state, &slug, reason, &who.session.staff).await {
        Ok(_) => redirect_to("/staff/books"),
        Err(e) => internal_error(l, &e),
    }
}

pub async fn withdraw(
    State(state): State<Shared>,
    who: SignedIn,
    segs: Segs,
    body: Bytes,
) -> Response {
    change(state, who, segs, body, true).await
}

pub async fn restore(
    State(state): State<Shared>,
    who: SignedIn,
    segs: Segs,
    body: Bytes,
) -> Response {
    change(state, who, segs, body, false).await
}

/// The published catalogue as MARC 21 (ISO 2709 or MARCXML) or JSON, for librarians to load
/// into a library system (the same records as `kitep export marc` and `kitep export catalogue`).
pub async fn catalogue(State(state): State<Shared>, who: SignedIn, segs: Segs) -> Response {
    if let Some(r) = who.refusal(Action::Withdraw) {
        return r;
    }
    let name = segs.0.first().map(String::as_str).unwrap_or("");
    let snapshot = state.snapshot();
    let base = state.config.public_url.as_str();
    let (bytes, content_type) = match name {
        "catalogue.mrc" => (
            snapshot
                .books
                .iter()
                .flat_map(|b| {
                    crate::feeds::marc::to_iso2709(&crate::feeds::marc::record(
                        b,
                        &snapshot.editions_of(b),
                        base,
                    ))
                })
                .collect::<Vec<u8>>(),
            "application/marc",
        ),
        "catalogue.xml" => {
            let records: Vec<_> = snapshot
                .books
                .iter()
                .map(|b| crate::feeds::marc::record(b, &snapshot.editions_of(b), base))
                .collect();
            (
                crate::feeds::marc::to_marcxml(&records).into_bytes(),
                "application/marcxml+xml",
            )
        }
        "catalogue.json" => (
            serde_json::to_vec_pretty(&crate::feeds::catalogue::document(
                &snapshot,
                &snapshot.books,
                base,
            ))
            .unwrap_or_default(),
            "application/json",
        ),
        _ => return crate::web::respond::not_found(&who.ui),
    };
    Response::builder()
        .header(axum::http::header::CONTENT_TYPE, content_type)
        .header(
            axum::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"kitepkana-{name}\""),
        )
        .header(axum::http::header::CACHE_CONTROL, "no-store")
        .body(axum::body::Body::from(bytes))
        .unwrap_or_else(|_| internal_error(who.ui.lang, &anyhow::anyhow!("building the answer")))
}
