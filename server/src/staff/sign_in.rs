//! Signing in and out. The sign-in form carries a signed token (no cookie is set before sign-in);
//! a new session id is made at every sign-in; refusals never say whether an address has an account.

use crate::accounts::secrets;
use crate::accounts::sessions::{self, Refusal};
use crate::library::state::Shared;
use crate::web::extract::Params;
use crate::web::i18n::{M, t, tf};
use crate::web::lang::Ui;
use crate::web::respond::{internal_error, redirect_to};
use crate::web::staff::{
    SESSION_COOKIE, SignedIn, clear_session_cookie, cookie, field, form_expired, form_fields,
    form_key, safe_next, session_cookie, staff_page,
};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::Response;
use maud::html;

const PURPOSE: &str = "sign-in";
/// How long a sign-in form stays valid (seconds).
const FORM_MAX_AGE: i64 = 2 * 60 * 60;

/// The form, with an optional message (already in the interface's language).
async fn form(
    state: &Shared,
    ui: &Ui,
    status: StatusCode,
    email: &str,
    next: &str,
    message: Option<&str>,
) -> Response {
    let l = ui.lang;
    let key = match form_key(state).await {
        Ok(k) => k,
        Err(e) => return internal_error(l, &e),
    };
    let token = secrets::form_token(&key, PURPOSE, catalog::now());
    let body = html! {
        h1 { (t(l, M::SignInTitle)) }
        p { (t(l, M::SignInIntro)) }
        @if let Some(m) = message {
            p.notice role="alert" { (m) }
        }
        form.staff-form method="post" action="/staff/sign-in" {
            input type="hidden" name="form" value=(token);
            input type="hidden" name="next" value=(next);
            label for="email" { (t(l, M::Email)) }
            input #email type="email" name="email" value=(email) autocomplete="email" required;
            label for="password" { (t(l, M::Password)) }
            input #password type="password" name="password" autocomplete="current-password" required;
            button type="submit" { (t(l, M::SignInButton)) }
        }
    };
    staff_page(ui, status, t(l, M::SignInTitle), None, body)
}

pub async fn show(State(state): State<Shared>, ui: Ui, params: Params) -> Response {
    let next = safe_next(params.get("next")).to_string();
    let expired = params.get("expired").is_some();
    let message = expired.then(|| t(ui.lang, M::SessionExpired));
    form(&state, &ui, StatusCode::OK, "", &next, message).await
}

pub async fn submit(State(state): State<Shared>, ui: Ui, body: Bytes) -> Response {
    let l = ui.lang;
    let f = form_fields(&body);
    let email = field(&f, "email").unwrap_or("").trim().to_string();
    let next = safe_next(field(&f, "next")).to_string();
    let key = match form_key(&state).await {
        Ok(k) => k,
        Err(e) => return internal_error(l, &e),
    };
    let now = catalog::now();
    if !field(&f, "form")
        .is_some_and(|tok| secrets::check_form_token(&key, PURPOSE, tok, now, FORM_MAX_AGE))
    {
        return form_expired(&ui);
    }
    let password = field(&f, "password").unwrap_or("");
    let staff = match sessions::sign_in(&state.db, &email, password, now).await {
        Ok(Ok(staff)) => staff,
        Ok(Err(refusal)) => {
            let (status, message) = match refusal {
                Refusal::Wrong => (StatusCode::UNAUTHORIZED, t(l, M::SignInWrong).to_string()),
                Refusal::Locked(secs) => (
                    StatusCode::TOO_MANY_REQUESTS,
                    tf(
                        l,
                        M::SignInLocked,
                        &[("minutes", &(secs.max(1) + 59).div_euclid(60).to_string())],
                    ),
                ),
                Refusal::Disabled => (StatusCode::FORBIDDEN, t(l, M::SignInDisabled).to_string()),
            };
            return form(&state, &ui, status, &email, &next, Some(&message)).await;
        }
        Err(e) => return internal_error(l, &e),
    };
    // Whatever session cookie came with the request is ended: a fresh id for the new session.
    if let Some(old) = cookie(&ui.headers, SESSION_COOKIE)
        && let Ok(Some(s)) = sessions::resolve(&state.db, old, now).await
    {
        let _ = state.db.delete_session(&s.id_hash).await;
    }
    let id = match sessions::start(&state.db, &staff).await {
        Ok(id) => id,
        Err(e) => return internal_error(l, &e),
    };
    let to = if staff.password_temporary {
        "/staff/password"
    } else {
        &next
    };
    let mut r = redirect_to(to);
    r.headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&state, &id));
    r
}

pub async fn sign_out(State(state): State<Shared>, who: SignedIn, body: Bytes) -> Response {
    let _f = match who.form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    if let Err(e) = sessions::sign_out(&state.db, &who.session).await {
        return internal_error(who.ui.lang, &e);
    }
    let mut r = redirect_to("/staff/sign-in");
    r.headers_mut()
        .insert(header::SET_COOKIE, clear_session_cookie(&state));
    r
}

pub async fn sign_out_everywhere(
    State(state): State<Shared>,
    who: SignedIn,
    body: Bytes,
) -> Response {
    let _f = match who.form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    if let Err(e) = sessions::sign_out_everywhere(&state.db, &who.session.staff).await {
        return internal_error(who.ui.lang, &e);
    }
    let mut r = redirect_to("/staff/sign-in");
    r.headers_mut()
        .insert(header::SET_COOKIE, clear_session_cookie(&state));
    r
}
