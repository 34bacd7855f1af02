//! Drafts for staff programs: `POST /api/drafts` takes a book project as a `.zip` body (what
//! `kitep publish BOOK --to URL` sends) and answers where its build can be followed;
//! `GET /api/drafts/{id}` tells how the latest revision's build went, with every diagnostic.
//! Both need an API token; drafts stay invisible to readers.

use crate::accounts::policy::{self, Action, Decision, Subject};
use crate::library::state::Shared;
use crate::web::bearer::Bearer;
use crate::web::extract::{Params, Segs};
use crate::web::i18n::Lang;
use crate::web::respond::json_error;
use crate::web::staff::problem_text;
use crate::workflow::drafts::{UploadProblem, accept_upload};
use crate::workflow::jobs::Finding;
use crate::workflow::upload::Refused;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

fn answer(status: StatusCode, v: serde_json::Value) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        v.to_string(),
    )
        .into_response()
}

pub async fn upload(
    State(state): State<Shared>,
    who: Bearer,
    params: Params,
    body: Bytes,
) -> Response {
    if let Some(r) = who.refusal(Action::UploadDraft) {
        return r;
    }
    let org = params.get("organisation");
    match accept_upload(&state, &who.0.staff, org, body.to_vec(), "api").await {
        Ok(Ok(draft_id)) => answer(
            StatusCode::CREATED,
            json!({
                "draft": draft_id,
                "status": format!("/api/drafts/{draft_id}"),
                "page": format!("{}/staff/drafts/{draft_id}", state.config.public_url),
            }),
        ),
        Ok(Err(p)) => {
            let status = match &p {
                UploadProblem::Refused(Refused::TooLarge { .. }) => StatusCode::PAYLOAD_TOO_LARGE,
                UploadProblem::NoOrganisation | UploadProblem::NotYourOrganisation => {
                    StatusCode::FORBIDDEN
                }
                _ => StatusCode::BAD_REQUEST,
            };
            json_error(status, &problem_text(Lang::En, &p))
        }
        Err(e) => {
            tracing::error!("storing an uploaded draft: {e:#}");
            json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the draft could not be stored; nothing was kept, try again",
            )
        }
    }
}

pub async fn status(State(state): State<Shared>, who: Bearer, segs: Segs) -> Response {
    let id = segs.0.first().cloned().unwrap_or_default();
    let hidden = || json_error(StatusCode::NOT_FOUND, "no such draft");
    let d = match state.db.draft(&id).await {
        Ok(Some(d)) => d,
        Ok(None) => return hidden(),
        Err(e) => {
            tracing::error!("reading a draft: {e:#}");
            return json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the draft could not be read",
            );
        }
    };
    let subject = Subject {
        organisation: &d.organisation,
        authors: &d.authors,
        stage: d.stage,
    };
    let scoped = who.0.scopes.iter().any(|s| s == Action::ViewDraft.scope());
    if !scoped || policy::decide(&who.actor(), Action::ViewDraft, Some(&subject)) != Decision::Allow
    {
        return hidden();
    }
    let revisions = state.db.revisions(&d.id).await.unwrap_or_default();
    let latest = revisions.first();
    let job = match latest {
        Some(r) => state.db.job_of(&r.id).await.ok().flatten(),
        None => None,
    };
    let findings: Vec<Finding> = job
        .as_ref()
        .and_then(|j| serde_json::from_str(&j.diagnostics).ok())
        .unwrap_or_default();
    answer(
        StatusCode::OK,
        json!({
            "draft": d.id,
            "slug": d.slug,
            "title": d.title,
            "organisation": d.organisation,
            "stage": d.stage.as_str(),
            "revision": latest.map(|r| r.number),
            "build": job.as_ref().map(|j| json!({
                "state": j.state,
                "progress": j.progress,
                "errors": j.errors,
                "warnings": j.warnings,
                "message": j.message,
                "diagnostics": findings,
            })),
        }),
    )
}
