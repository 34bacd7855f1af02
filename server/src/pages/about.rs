//! The about page.

use crate::library::state::Shared;
use crate::web::i18n::{M, t, tf};
use crate::web::lang::Ui;
use crate::web::layout::{Page, layout};
use crate::web::respond::html_response;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use formats::doc::escaped as esc;

pub async fn about(State(state): State<Shared>, ui: Ui) -> Response {
    let l = ui.lang;
    let opds = format!("{}/opds/", state.config.public_url);
    let m = format!(
        "<h1>{}</h1><p>{}</p><p>{}</p><p>{}</p><p>{}</p>",
        esc(t(l, M::AboutTitle)),
        esc(t(l, M::About1)),
        esc(t(l, M::About2)),
        esc(t(l, M::About3)),
        esc(&tf(l, M::About4, &[("url", &opds)])),
    );
    html_response(
        &ui,
        StatusCode::OK,
        layout(&ui, Page::new(t(l, M::AboutTitle), m)),
    )
}
