//! The staff home page: who is signed in, their roles, and their tools.

use crate::accounts::policy::{self, Action, Decision};
use crate::web::i18n::{M, t, tf};
use crate::web::staff::{SignedIn, csrf_field, role_name, staff_page};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

pub async fn show(who: SignedIn) -> Response {
    let l = who.ui.lang;
    let s = &who.session;
    let may = |a| policy::decide(&who.actor(), a, None) == Decision::Allow;
    let body = html! {
        h1 { (t(l, M::StaffArea)) }
        p { (tf(l, M::SignedInAs, &[("email", &s.staff.email)])) }
        h2 { (t(l, M::Roles)) }
        ul {
            @for r in &s.staff.roles { li { (role_name(l, *r)) } }
        }
        ul.staff-tools {
            @if may(Action::UploadDraft) || may(Action::ViewDraft) {
                li { a href="/staff/drafts" { (t(l, M::Drafts)) } }
            }
            @if may(Action::Withdraw) {
                li { a href="/staff/books" { (t(l, M::PublishedBooks)) } }
            }
            @if may(Action::CurateCollections) {
                li { a href="/staff/collections" { (t(l, M::NavCollections)) } }
            }
            li { a href="/staff/tokens" { (t(l, M::ApiTokens)) } }
            li { a href="/staff/password" { (t(l, M::ChangePassword)) } }
            @if may(Action::ManageStaff) {
                li { a href="/staff/people" { (t(l, M::People)) } }
                li { a href="/staff/invite" { (t(l, M::Invite)) } }
            }
            @if may(Action::ReadAuditLog) {
                li { a href="/staff/audit" { (t(l, M::AuditLog)) } }
            }
        }
        form method="post" action="/staff/sign-out-everywhere" {
            (csrf_field(s))
            button type="submit" { (t(l, M::SignOutEverywhere)) }
        }
    };
    staff_page(&who.ui, StatusCode::OK, t(l, M::StaffArea), Some(s), body)
}
