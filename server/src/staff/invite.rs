//! Invitations (admins): a single-use link with an expiry, for a person to choose their own
//! password and join with the roles and organisation given here. No mail server is needed: the
//! admin sends the link.

use crate::accounts::policy::Action;
use crate::accounts::{check_email, secrets};
use crate::library::state::Shared;
use crate::web::i18n::{M, t, tf};
use crate::web::respond::internal_error;
use crate::web::staff::{SignedIn, csrf_field, field, role_name, staff_page};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use catalog::Role;
use maud::{Markup, html};

/// How long an invitation link works.
pub const VALID_DAYS: i64 = 7;

fn page(who: &SignedIn, status: StatusCode, email: &str, notice: Option<Markup>) -> Response {
    let l = who.ui.lang;
    let body = html! {
        h1 { (t(l, M::InviteTitle)) }
        p { (tf(l, M::InviteIntro, &[("days", &VALID_DAYS.to_string())])) }
        @if let Some(n) = notice { (n) }
        form.staff-form method="post" action="/staff/invite" {
            (csrf_field(&who.session))
            label for="email" { (t(l, M::Email)) }
            input #email type="email" name="email" value=(email) required;
            fieldset {
                legend { (t(l, M::ChooseRoles)) }
                @for r in Role::ALL {
                    label.check { input type="checkbox" name="role" value=(r.as_str()); " " (role_name(l, r)) }
                }
            }
            label for="organisation" { (t(l, M::Organisation)) }
            input #organisation type="text" name="organisation" aria-describedby="org-hint";
            p #org-hint .hint { (t(l, M::OrganisationsHint)) }
            button type="submit" { (t(l, M::Invite)) }
        }
    };
    staff_page(
        &who.ui,
        status,
        t(l, M::InviteTitle),
        Some(&who.session),
        body,
    )
}

pub async fn show(who: SignedIn) -> Response {
    if let Some(r) = who.refusal(Action::ManageStaff) {
        return r;
    }
    page(&who, StatusCode::OK, "", None)
}

pub async fn submit(State(state): State<Shared>, who: SignedIn, body: Bytes) -> Response {
    if let Some(r) = who.refusal(Action::ManageStaff) {
        return r;
    }
    let l = who.ui.lang;
    let f = match who.form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let email = catalog::normalise_email(field(&f, "email").unwrap_or(""));
    let problem = |m: M| Some(html! { p.notice role="alert" { (t(l, m)) } });
    if check_email(&email).is_err() {
        return page(&who, StatusCode::BAD_REQUEST, &email, problem(M::BadEmail));
    }
    let mut roles: Vec<Role> = f
        .iter()
        .filter(|(k, _)| k == "role")
        .filter_map(|(_, v)| Role::parse(v))
        .collect();
    roles.sort();
    roles.dedup();
    if roles.is_empty() {
        return page(
            &who,
            StatusCode::BAD_REQUEST,
            &email,
            problem(M::NoRoleChosen),
        );
    }
    let organisation: String = field(&f, "organisation")
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(200)
        .collect();
    let organisation = (!organisation.is_empty()).then_some(organisation);
    let token = match secrets::random_token() {
        Ok(t) => t,
        Err(e) => return internal_error(l, &e),
    };
    let expires = catalog::now() + VALID_DAYS * 86_400;
    let s = &who.session.staff;
    if let Err(e) = state
        .db
        .create_invitation(
            &secrets::token_hash(&token),
            &email,
            &roles,
            organisation.as_deref(),
            expires,
            &s.id,
            &s.email,
        )
        .await
    {
        return internal_error(l, &e);
    }
    let link = format!("{}/staff/join/{token}", state.config.public_url);
    let date = authoring::pipeline::format_utc(expires as u64);
    let notice = html! {
        div.notice role="status" {
            p { (tf(l, M::InviteLink, &[("email", &email), ("date", &date[..10])])) }
            p { code.secret { (link) } }
        }
    };
    page(&who, StatusCode::OK, "", Some(notice))
}
