//! Changing one's password (required after signing in with a one-time password).

use crate::accounts::passwords::{self, MIN_LENGTH};
use crate::accounts::sessions;
use crate::library::state::Shared;
use crate::web::i18n::{M, t, tf};
use crate::web::respond::{internal_error, redirect_to};
use crate::web::staff::{SignedIn, csrf_field, field, staff_page, weakness_text};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

fn page(who: &SignedIn, status: StatusCode, message: Option<&str>) -> Response {
    let l = who.ui.lang;
    let s = &who.session;
    let body = html! {
        h1 { (t(l, M::ChangePassword)) }
        @if s.staff.password_temporary {
            p.notice { (t(l, M::MustChangePassword)) }
        }
        @if let Some(m) = message {
            p.notice role="alert" { (m) }
        }
        form.staff-form method="post" action="/staff/password" {
            (csrf_field(s))
            label for="current" { (t(l, M::CurrentPassword)) }
            input #current type="password" name="current" autocomplete="current-password" required;
            label for="new" { (t(l, M::NewPassword)) }
            input #new type="password" name="new" autocomplete="new-password" minlength=(MIN_LENGTH) required aria-describedby="rules";
            p #rules .hint { (tf(l, M::PasswordRules, &[("min", &MIN_LENGTH.to_string())])) }
            label for="repeat" { (t(l, M::RepeatPassword)) }
            input #repeat type="password" name="repeat" autocomplete="new-password" required;
            button type="submit" { (t(l, M::Save)) }
        }
    };
    staff_page(&who.ui, status, t(l, M::ChangePassword), Some(s), body)
}

pub async fn show(who: SignedIn) -> Response {
    page(&who, StatusCode::OK, None)
}

pub async fn submit(State(state): State<Shared>, who: SignedIn, body: Bytes) -> Response {
    let l = who.ui.lang;
    let f = match who.form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let current = field(&f, "current").unwrap_or("");
    let new = field(&f, "new").unwrap_or("");
    let repeat = field(&f, "repeat").unwrap_or("");
    let hash = who.session.staff.password_hash.as_deref().unwrap_or("");
    if !passwords::verify(current, hash) {
        return page(
            &who,
            StatusCode::BAD_REQUEST,
            Some(t(l, M::CurrentPasswordWrong)),
        );
    }
    if new != repeat {
        return page(
            &who,
            StatusCode::BAD_REQUEST,
            Some(t(l, M::PasswordsDiffer)),
        );
    }
    match sessions::change_password(&state.db, &who.session, new).await {
        Ok(Ok(())) => redirect_to("/staff?changed=1"),
        Ok(Err(w)) => page(&who, StatusCode::BAD_REQUEST, Some(&weakness_text(l, w))),
        Err(e) => internal_error(l, &e),
    }
}
