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
