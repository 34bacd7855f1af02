//! A person's own API tokens (for `kitep publish` and a publisher's CI): create one (shown once,
//! stored hashed, scoped to what the person's roles allow) and revoke it.

use crate::accounts::policy::Action;
use crate::library::state::Shared;
use crate::web::extract::Segs;
use crate::web::i18n::{M, t};
use crate::web::respond::{internal_error, not_found, redirect_to};
use crate::web::staff::{SignedIn, csrf_field, field, staff_page, when};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};

fn date(at: i64) -> String {
    when(at)[..10].to_string()
}

async fn page(
    state: &Shared,
    who: &SignedIn,
    status: StatusCode,
    shown: Option<Markup>,
) -> Response {
    let l = who.ui.lang;
    let tokens = match state.db.tokens_of(&who.session.staff.id).await {
        Ok(t) => t,
        Err(e) => return internal_error(l, &e),
    };
    let body = html! {
        h1 { (t(l, M::ApiTokens)) }
        @if let Some(s) = shown { (s) }
        ul.tokens {
            @for (id, name, created, used, revoked) in &tokens {
                li {
                    strong { (name) } " · " (date(*created))
                    @if let Some(u) = used { " · " (t(l, M::LastUsed)) ": " (date(*u)) }
                    @if revoked.is_some() {
                        " · " (t(l, M::Revoked))
                    } @else {
                        form.inline method="post" action={ "/staff/tokens/" (id) "/revoke" } {
                            (csrf_field(&who.session))
                            button type="submit" { (t(l, M::Revoke)) }
                        }
                    }
                }
            }
        }
        h2 { (t(l, M::NewToken)) }
        form.staff-form method="post" action="/staff/tokens" {
            (csrf_field(&who.session))
            label for="name" { (t(l, M::TokenName)) }
            input #name type="text" name="name" maxlength="100" required;
            button type="submit" { (t(l, M::NewToken)) }
        }
    };
    staff_page(
        &who.ui,
        status,
        t(l, M::ApiTokens),
        Some(&who.session),
        body,
    )
}

pub async fn list(State(state): State<Shared>, who: SignedIn) -> Response {
    if let Some(r) = who.refusal(Action::ManageOwnTokens) {
        return r;
    }
    page(&state, &who, StatusCode::OK, None).await
}

pub async fn create(State(state): State<Shared>, who: SignedIn, body: Bytes) -> Response {
    if let Some(r) = who.refusal(Action::ManageOwnTokens) {
        return r;
    }
    let l = who.ui.lang;
    let f = match who.form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let name: String = field(&f, "name")
        .unwrap_or("")
        .trim()
        .chars()
        .take(100)
        .collect();
    let name = if name.is_empty() {
        "token".to_string()
    } else {
        name
    };
    let s = &who.session.staff;
    match crate::accounts::issue_token(&state.db, &s.email, &name, &s.email).await {
        Ok(token) => {
            let shown = html! {
                div.notice role="status" {
                    p { (t(l, M::TokenShown)) }
                    p { code.secret { (token) } }
                }
            };
            page(&state, &who, StatusCode::OK, Some(shown)).await
        }
        Err(e) => internal_error(l, &e),
    }
}

pub async fn revoke(
    State(state): State<Shared>,
    who: SignedIn,
    segs: Segs,
    body: Bytes,
) -> Response {
    let l = who.ui.lang;
    let _f = match who.form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let id = segs.0.first().cloned().unwrap_or_default();
    // Only one's own tokens; others' do not exist for this person.
    match state.db.token_staff(&id).await {
        Ok(Some(owner)) if owner == who.session.staff.id => {}
        Ok(_) => return not_found(&who.ui),
        Err(e) => return internal_error(l, &e),
    }
    match state.db.revoke_token(&id, &who.session.staff.email).await {
        Ok(_) => redirect_to("/staff/tokens"),
        Err(e) => internal_error(l, &e),
    }
}
