//! The school library portal (`kitep serve`): what is published (`library`), the HTTP side shared by
//! every part (`web`), the public pages, the JSON API and the feeds, and the application that routes
//! to them (`app`). The catalog database is its own crate (`catalog`), which knows no HTTP.

pub mod accounts;
pub mod api;
pub mod app;
pub mod feeds;
pub mod library;
pub mod offline;
pub mod pages;
pub mod serve;
pub mod staff;
pub mod web;
pub mod workflow;

pub use library::state::{AppState, Config};
pub use serve::{open, run};
