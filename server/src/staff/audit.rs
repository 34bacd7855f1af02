//! The audit log of staff actions, for admins: who, what, when, on what.

use crate::accounts::policy::Action;
use crate::library::state::Shared;
use crate::web::i18n::{M, t};
use crate::web::respond::internal_error;
use crate::web::staff::{SignedIn, staff_page, when};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

/// Entries shown, newest first.
const SHOWN: i64 = 200;

pub async fn show(State(state): State<Shared>, who: SignedIn) -> Response {
    if let Some(r) = who.refusal(Action::ReadAuditLog) {
        return r;
    }
    let l = who.ui.lang;
    let entries = match state.db.audit_log(SHOWN).await {
        Ok(e) => e,
        Err(e) => return internal_error(l, &e),
    };
    let body = html! {
        h1 { (t(l, M::AuditLog)) }
        div.table-wrap tabindex="0" role="region" aria-label=(t(l, M::AuditLog)) {
            table {
                thead { tr {
                    th scope="col" { (t(l, M::AuditWhen)) }
                    th scope="col" { (t(l, M::AuditWho)) }
                    th scope="col" { (t(l, M::AuditWhat)) }
                    th scope="col" { (t(l, M::AuditTarget)) }
                    th scope="col" { (t(l, M::AuditDetail)) }
                } }
                tbody {
                    @for e in &entries {
                        tr {
                            td { (when(e.at)) }
                            td { (e.actor) }
                            td { code { (e.action) } }
                            td { (e.target) }
                            td { (e.detail) }
                        }
                    }
                }
            }
        }
    };
    staff_page(
        &who.ui,
        StatusCode::OK,
        t(l, M::AuditLog),
        Some(&who.session),
        body,
    )
}
