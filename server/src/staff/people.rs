//! People (admins): the staff list, one person's roles, organisations and status, and a new
//! one-time password for someone who lost theirs.

use crate::accounts::policy::Action;
use crate::accounts::{passwords, secrets};
use crate::library::state::Shared;
use crate::web::extract::Segs;
use crate::web::i18n::{M, t, tf};
use crate::web::respond::{internal_error, not_found, redirect_to};
use crate::web::staff::{SignedIn, csrf_field, field, role_name, staff_page};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use catalog::{Role, StaffRow};
use maud::{Markup, html};

fn roles_text(l: crate::web::i18n::Lang, roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| role_name(l, *r))
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn list(State(state): State<Shared>, who: SignedIn) -> Response {
    if let Some(r) = who.refusal(Action::ManageStaff) {
        return r;
    }
    let l = who.ui.lang;
    let people = match state.db.list_staff().await {
        Ok(p) => p,
        Err(e) => return internal_error(l, &e),
    };
    let body = html! {
        h1 { (t(l, M::People)) }
        p { a.button href="/staff/invite" { (t(l, M::Invite)) } }
        div.table-wrap tabindex="0" role="region" aria-label=(t(l, M::People)) { table {
            thead { tr {
                th scope="col" { (t(l, M::Email)) }
                th scope="col" { (t(l, M::Roles)) }
                th scope="col" { (t(l, M::Organisations)) }
                th scope="col" { (t(l, M::Status)) }
            } }
            tbody { @for p in &people { tr {
                td { a href={ "/staff/people/" (p.id) } { (p.email) } }
                td { (roles_text(l, &p.roles)) }
                td { (p.organisations.join(", ")) }
                td { (if p.disabled { t(l, M::Disabled) } else { t(l, M::Active) }) }
            } } }
        } }
    };
    staff_page(
        &who.ui,
        StatusCode::OK,
        t(l, M::People),
        Some(&who.session),
        body,
    )
}

fn edit_page(who: &SignedIn, p: &StaffRow, status: StatusCode, notice: Option<Markup>) -> Response {
    let l = who.ui.lang;
    let s = &who.session;
    let body = html! {
        h1 { (p.email) }
        @if let Some(n) = notice { (n) }
        form.staff-form method="post" action={ "/staff/people/" (p.id) } {
            (csrf_field(s))
            fieldset {
                legend { (t(l, M::Roles)) }
                @for r in Role::ALL {
                    label.check {
                        input type="checkbox" name="role" value=(r.as_str()) checked[p.roles.contains(&r)];
                        " " (role_name(l, r))
                    }
                }
            }
            label for="organisations" { (t(l, M::Organisations)) }
            input #organisations type="text" name="organisations" value=(p.organisations.join(", ")) aria-describedby="org-hint";
            p #org-hint .hint { (t(l, M::OrganisationsHint)) }
            label.check {
                input type="checkbox" name="disabled" value="1" checked[p.disabled];
                " " (t(l, M::DisableAccount))
            }
            button type="submit" { (t(l, M::Save)) }
        }
        form method="post" action={ "/staff/people/" (p.id) "/password" } {
            (csrf_field(s))
            button type="submit" { (t(l, M::ResetPassword)) }
        }
        p { a href="/staff/people" { (t(l, M::People)) } }
    };
    staff_page(&who.ui, status, &p.email, Some(s), body)
}

async fn person(state: &Shared, who: &SignedIn, segs: &Segs) -> Result<StaffRow, Response> {
    if let Some(r) = who.refusal(Action::ManageStaff) {
        return Err(r);
    }
    let id = segs.0.first().map(String::as_str).unwrap_or("");
    match state.db.staff_by_id(id).await {
        Ok(Some(p)) => Ok(p),
        Ok(None) => Err(not_found(&who.ui)),
        Err(e) => Err(internal_error(who.ui.lang, &e)),
    }
}

pub async fn show(State(state): State<Shared>, who: SignedIn, segs: Segs) -> Response {
    match person(&state, &who, &segs).await {
        Ok(p) => edit_page(&who, &p, StatusCode::OK, None),
        Err(r) => r,
    }
}

pub async fn save(State(state): State<Shared>, who: SignedIn, segs: Segs, body: Bytes) -> Response {
    let l = who.ui.lang;
    let p = match person(&state, &who, &segs).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let f = match who.form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let mut roles: Vec<Role> = f
        .iter()
        .filter(|(k, _)| k == "role")
        .filter_map(|(_, v)| Role::parse(v))
        .collect();
    roles.sort();
    roles.dedup();
    let organisations: Vec<String> = field(&f, "organisations")
        .unwrap_or("")
        .split(',')
        .map(|o| o.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|o| !o.is_empty())
        .map(|o| o.chars().take(200).collect())
        .take(20)
        .collect();
    let mut disabled = field(&f, "disabled").is_some();
    // An admin cannot lock themselves out: their own admin role and account stay.
    if p.id == who.session.staff.id {
        if !roles.contains(&Role::Admin) {
            roles.push(Role::Admin);
        }
        disabled = false;
    }
    let s = &who.session.staff;
    if let Err(e) = state
        .db
        .update_staff(&p.id, &roles, &organisations, disabled, &s.id, &s.email)
        .await
    {
        return internal_error(l, &e);
    }
    redirect_to(&format!("/staff/people/{}?saved=1", p.id))
}

pub async fn reset_password(
    State(state): State<Shared>,
    who: SignedIn,
    segs: Segs,
    body: Bytes,
) -> Response {
    let l = who.ui.lang;
    let p = match person(&state, &who, &segs).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let _f = match who.form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let one_time = match secrets::one_time_password().and_then(|pw| Ok((passwords::hash(&pw)?, pw)))
    {
        Ok(x) => x,
        Err(e) => return internal_error(l, &e),
    };
    let s = &who.session.staff;
    let result = async {
        state.db.set_password(&p.id, &one_time.0, true).await?;
        state.db.delete_sessions_of(&p.id).await?;
        state
            .db
            .audit(Some(&s.id), &s.email, "staff.reset_password", &p.email, "")
            .await
    }
    .await;
    if let Err(e) = result {
        return internal_error(l, &e);
    }
    let notice = html! {
        div.notice role="status" {
            p { (tf(l, M::NewOneTimePassword, &[("email", &p.email)])) }
            p { code.secret { (one_time.1) } }
        }
    };
    edit_page(&who, &p, StatusCode::OK, Some(notice))
}
