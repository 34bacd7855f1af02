//! The portal's application: every route, and the layers around them.

use crate::library::state::Shared;
use crate::web::middleware::{Compressible, MAX_BODY, access_log, refuse_bodies, security_headers};
use crate::{pages, staff};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Router, middleware};

pub fn router(state: Shared) -> Router {
    Router::new()
        .route("/", get(pages::home::home))
        .route("/health", get(health))
        .route("/search", get(pages::search::search))
        .route("/books", get(pages::books::books))
        .route("/books/{slug}", get(pages::book::book))
        .route("/books/{slug}/download", get(pages::book::download))
        .route("/read/{slug}", get(pages::reader::read_start))
        .route("/read/{slug}/{chapter}", get(pages::reader::read))
        .route("/collections", get(pages::collections::collections))
        .route("/collections/{slug}", get(pages::collections::collection))
        .route("/about", get(pages::about::about))
        .route("/lang/{code}", get(pages::site::switch_language))
        .route("/files/{slug}/{version}/{*rel}", get(pages::site::file))
        .route("/static/{name}", get(pages::site::static_file))
        .route("/robots.txt", get(pages::site::robots))
        .route("/sitemap.xml", get(pages::site::sitemap))
        .route("/staff", get(staff::home::show))
        .route(
            "/staff/sign-in",
            get(staff::sign_in::show).post(staff::sign_in::submit),
        )
        .route("/staff/sign-out", post(staff::sign_in::sign_out))
        .route(
            "/staff/sign-out-everywhere",
            post(staff::sign_in::sign_out_everywhere),
        )
        .route(
            "/staff/password",
            get(staff::password::show).post(staff::password::submit),
        )
        .route("/staff/audit", get(staff::audit::show))
        .route(
            "/staff/drafts",
            get(staff::drafts::list).post(staff::drafts::upload).layer(
                axum::extract::DefaultBodyLimit::max(
                    crate::workflow::upload::Limits::from_env().body_limit(),
                ),
            ),
        )
        .route("/staff/drafts/{id}", get(staff::drafts::show))
        .route("/staff/drafts/{id}/submit", post(staff::drafts::submit))
        .route(
            "/staff/drafts/{id}/review",
            post(staff::drafts::review_step),
        )
        .route("/staff/drafts/{id}/publish", post(staff::drafts::publish))
        .route("/staff/drafts/{id}/changes", get(staff::drafts::changes))
        .route("/staff/drafts/{id}/edit", get(staff::editor::files))
        .route(
            "/staff/drafts/{id}/edit/{*path}",
            get(staff::editor::open).post(staff::editor::save).layer(
                axum::extract::DefaultBodyLimit::max(crate::web::middleware::editor_body_limit()),
            ),
        )
        .route(
            "/staff/drafts/{id}/chapter",
            post(staff::editor::add_chapter),
        )
        .route(
            "/staff/drafts/{id}/image",
            post(staff::editor::add_image).layer(axum::extract::DefaultBodyLimit::max(
                crate::web::middleware::editor_body_limit(),
            )),
        )
        .route(
            "/staff/drafts/{id}/files/{rev}/{*rel}",
            get(staff::drafts::file),
        )
        .route("/staff/books", get(staff::books::list))
        .route("/staff/books/{name}", get(staff::books::catalogue))
        .route("/staff/books/{slug}/withdraw", post(staff::books::withdraw))
        .route("/staff/books/{slug}/restore", post(staff::books::restore))
        .route(
            "/staff/collections",
            get(staff::collections::list).post(staff::collections::create),
        )
        .route(
            "/staff/collections/{slug}",
            get(staff::collections::show).post(staff::collections::change),
        )
        .route(
            "/staff/collections/{slug}/{what}",
            post(staff::collections::change),
        )
        .route(
            "/staff/tokens",
            get(staff::tokens::list).post(staff::tokens::create),
        )
        .route("/staff/tokens/{id}/revoke", post(staff::tokens::revoke))
        .route("/staff/people", get(staff::people::list))
        .route(
            "/staff/people/{id}",
            get(staff::people::show).post(staff::people::save),
        )
        .route(
            "/staff/people/{id}/password",
            post(staff::people::reset_password),
        )
        .route(
            "/staff/invite",
            get(staff::invite::show).post(staff::invite::submit),
        )
        .route(
            "/staff/join/{token}",
            get(staff::join::show).post(staff::join::submit),
        )
        .merge(crate::feeds::opds::routes())
        .merge(crate::feeds::sync::routes())
        .merge(crate::feeds::oai::routes())
        .merge(crate::api::routes())
        .fallback(pages::site::not_found_page)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn(refuse_bodies))
        .layer(
            tower_http::compression::CompressionLayer::new()
                .br(true)
                .gzip(true)
                .quality(tower_http::CompressionLevel::Fastest)
                .compress_when(Compressible),
        )
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn(access_log))
        .with_state(state)
}

/// The portal's health, truthfully: 200 and `ok` when everything works; 503 and `degraded` when
/// the data folder cannot be written or the search index is being rebuilt, with the reasons.
async fn health(State(state): State<Shared>) -> Response {
    let snap = state.snapshot();
    let c = state.condition();
    let status = if c.healthy() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let search = if c.index_rebuilding.is_some() {
        "rebuilding"
    } else if c.index_checking {
        "checking"
    } else {
        "ok"
    };
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(serde_json::json!({
            "status": if c.healthy() { "ok" } else { "degraded" },
            "books": snap.books.len(),
            "database": state.db.backend(),
            "search": search,
            "writable": c.read_only.is_none(),
            "problems": c.read_only.iter().chain(c.index_rebuilding.iter()).collect::<Vec<_>>(),
            "publish_failures": c.publish_failures,
        })),
    )
        .into_response()
}
