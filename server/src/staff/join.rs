//! Joining by an invitation link: the invited person chooses a password and is signed in.

use crate::accounts::passwords::{self, MIN_LENGTH};
use crate::accounts::{secrets, sessions};
use crate::library::state::Shared;
use crate::web::extract::Segs;
use crate::web::i18n::{Lang, M, t, tf};
use crate::web::lang::Ui;
use crate::web::respond::{internal_error, redirect_to};
use crate::web::staff::{
    field, form_expired, form_fields, form_key, role_name, session_cookie, staff_page,
    weakness_text,
};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::Response;
use catalog::{InvitationProblem, InvitationRow};
use maud::html;

const PURPOSE: &str = "join";

fn problem_page(ui: &Ui, p: InvitationProblem) -> Response {
    let l = ui.lang;
    let (status, m) = match p {
        InvitationProblem::Unknown => (StatusCode::NOT_FOUND, M::InvitationUnknown),
        InvitationProblem::Used => (StatusCode::GONE, M::InvitationUsed),
        InvitationProblem::Expired => (StatusCode::GONE, M::InvitationExpired),
        InvitationProblem::AccountExists => (StatusCode::CONFLICT, M::AccountExists),
    };
    staff_page(
        ui,
        status,
        t(l, M::JoinTitle),
        None,
        html! { h1 { (t(l, M::JoinTitle)) } p { (t(l, m)) } p { a href="/staff/sign-in" { (t(l, M::SignInTitle)) } } },
    )
}

/// The invitation behind a link, if it can still be used.
async fn invitation(
    state: &Shared,
    token: &str,
) -> anyhow::Result<Result<InvitationRow, InvitationProblem>> {
    let Some(inv) = state.db.invitation(&secrets::token_hash(token)).await? else {
        return Ok(Err(InvitationProblem::Unknown));
    };
    if inv.used {
        return Ok(Err(InvitationProblem::Used));
    }
    if inv.expires_at <= catalog::now() {
        return Ok(Err(InvitationProblem::Expired));
    }
    Ok(Ok(inv))
}

async fn page(
    state: &Shared,
    ui: &Ui,
    status: StatusCode,
    token: &str,
    inv: &InvitationRow,
    message: Option<&str>,
) -> Response {
    let l: Lang = ui.lang;
    let key = match form_key(state).await {
        Ok(k) => k,
        Err(e) => return internal_error(l, &e),
    };
    let form_token = secrets::form_token(&key, PURPOSE, catalog::now());
    let roles: Vec<&str> = inv.roles.iter().map(|r| role_name(l, *r)).collect();
    let body = html! {
        h1 { (t(l, M::JoinTitle)) }
        p { (tf(l, M::JoinIntro, &[("email", &inv.email), ("roles", &roles.join(", "))])) }
        @if let Some(m) = message { p.notice role="alert" { (m) } }
        form.staff-form method="post" action={ "/staff/join/" (token) } {
            input type="hidden" name="form" value=(form_token);
            label for="new" { (t(l, M::NewPassword)) }
            input #new type="password" name="new" autocomplete="new-password" minlength=(MIN_LENGTH) required aria-describedby="rules";
            p #rules .hint { (tf(l, M::PasswordRules, &[("min", &MIN_LENGTH.to_string())])) }
            label for="repeat" { (t(l, M::RepeatPassword)) }
            input #repeat type="password" name="repeat" autocomplete="new-password" required;
            button type="submit" { (t(l, M::JoinTitle)) }
        }
    };
    staff_page(ui, status, t(l, M::JoinTitle), None, body)
}

pub async fn show(State(state): State<Shared>, ui: Ui, segs: Segs) -> Response {
    let token = segs.0.first().cloned().unwrap_or_default();
    match invitation(&state, &token).await {
        Ok(Ok(inv)) => page(&state, &ui, StatusCode::OK, &token, &inv, None).await,
        Ok(Err(p)) => problem_page(&ui, p),
        Err(e) => internal_error(ui.lang, &e),
    }
}

pub async fn submit(State(state): State<Shared>, ui: Ui, segs: Segs, body: Bytes) -> Response {
    let l = ui.lang;
    let token = segs.0.first().cloned().unwrap_or_default();
    let inv = match invitation(&state, &token).await {
        Ok(Ok(inv)) => inv,
        Ok(Err(p)) => return problem_page(&ui, p),
        Err(e) => return internal_error(l, &e),
    };
    let f = form_fields(&body);
    let key = match form_key(&state).await {
        Ok(k) => k,
        Err(e) => return internal_error(l, &e),
    };
    let now = catalog::now();
    if !field(&f, "form")
        .is_some_and(|tok| secrets::check_form_token(&key, PURPOSE, tok, now, 2 * 60 * 60))
    {
        return form_expired(&ui);
    }
    let new = field(&f, "new").unwrap_or("");
    if new != field(&f, "repeat").unwrap_or("") {
        return page(
            &state,
            &ui,
            StatusCode::BAD_REQUEST,
            &token,
            &inv,
            Some(t(l, M::PasswordsDiffer)),
        )
        .await;
    }
    if let Some(w) = passwords::weakness(new, &inv.email) {
        let text = weakness_text(l, w);
        return page(
            &state,
            &ui,
            StatusCode::BAD_REQUEST,
            &token,
            &inv,
            Some(&text),
        )
        .await;
    }
    let hash = match passwords::hash(new) {
        Ok(h) => h,
        Err(e) => return internal_error(l, &e),
    };
    let staff = match state
        .db
        .accept_invitation(&secrets::token_hash(&token), &hash, now)
        .await
    {
        Ok(Ok(s)) => s,
        Ok(Err(p)) => return problem_page(&ui, p),
        Err(e) => return internal_error(l, &e),
    };
    let id = match sessions::start(&state.db, &staff).await {
        Ok(id) => id,
        Err(e) => return internal_error(l, &e),
    };
    let mut r = redirect_to("/staff");
    r.headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&state, &id));
    r
}
