//! The sync feed school servers read (`kitep sync --from URL`): the portal's public key, its
//! signed log of publishes and withdrawals, and the books' source files by SHA-256 (with ranges,
//! so a cut download resumes).

use crate::library::state::Shared;
use crate::offline::sync::source::{Changes, Event};
use crate::offline::sync::{self, FORMAT};
use crate::web::extract::Params;
use crate::web::files::{self, Caching};
use crate::web::respond::json_error;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

pub async fn key(State(state): State<Shared>) -> Response {
    match sync::signer(&state) {
        Ok(k) => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            k.public().to_file(),
        )
            .into_response(),
        Err(e) => {
            tracing::error!("the sync key: {e:#}");
            json_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the sync key is not available",
            )
        }
    }
}

pub async fn changes(State(state): State<Shared>, params: Params) -> Response {
    let number = |k: &str, default: i64| -> Option<i64> {
        match params.get(k) {
            None => Some(default),
            Some(v) => v.parse::<i64>().ok().filter(|n| *n >= 0),
        }
    };
    let (Some(since), Some(limit)) = (number("since", 0), number("limit", 500)) else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "since and limit are whole numbers, 0 or more",
        );
    };
    let limit = limit.clamp(1, 1000);
    let events = match state.db.sync_events_since(since, limit).await {
        Ok(e) => e,
        Err(e) => {
            tracing::error!("the sync log: {e:#}");
            return json_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the sync log cannot be read",
            );
        }
    };
    let last = state.db.last_sync_seq().await.unwrap_or(0);
    let more = events.last().is_some_and(|e| e.seq < last);
    let body = Changes {
        kitep_sync: FORMAT,
        last,
        more,
        events: events.into_iter().map(Event::from).collect(),
    };
    (
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_string(&body).unwrap_or_default(),
    )
        .into_response()
}

pub async fn file(
    State(state): State<Shared>,
    Path(hash): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !sync::is_hash(&hash) {
        return json_error(StatusCode::NOT_FOUND, "no such file");
    }
    let found = match state.db.sync_file(&hash.to_ascii_lowercase()).await {
        Ok(f) => f,
        Err(e) => {
            tracing::error!("the sync files: {e:#}");
            return json_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the sync files cannot be read",
            );
        }
    };
    let Some(f) = found else {
        return json_error(StatusCode::NOT_FOUND, "no such file");
    };
    // Source paths may hold spaces and any script (checked as the school checks them).
    let path = match (
        sync::check_path(&f.path),
        state.store.local_dir(&f.slug, &f.version),
    ) {
        (Ok(()), Some(dir)) => dir.join("source").join(&f.path),
        _ => return json_error(StatusCode::NOT_FOUND, "no such file"),
    };
    let opened = std::fs::symlink_metadata(&path)
        .ok()
        .filter(|m| m.is_file())
        .and_then(|m| std::fs::File::open(&path).ok().map(|f| (f, m.len())));
    match opened {
        Some((file, len)) => files::serve(
            &headers,
            files::Content::File(file, len),
            "application/octet-stream",
            format!("\"{hash}\""),
            Caching::Immutable,
            None,
        ),
        _ => json_error(StatusCode::NOT_FOUND, "no such file"),
    }
}

pub fn routes() -> axum::Router<Shared> {
    use axum::routing::get;
    axum::Router::new()
        .route("/sync/v1/key.pub", get(key))
        .route("/sync/v1/changes", get(changes))
        .route("/sync/v1/files/{hash}", get(file))
}
