//! The school library portal (`kitep serve`): catalog database, artifact store, publishing, and the
//! axum application with its pages, OPDS catalogs and JSON API.

pub mod api;
pub mod artifacts;
pub mod covers;
pub mod db;
pub mod files;
pub mod i18n;
pub mod opds;
pub mod pages;
pub mod publish;
pub mod reindex;
pub mod serve;
pub mod state;
pub mod web;

pub use serve::{open, run};
pub use state::{AppState, Config};
