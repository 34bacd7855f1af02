//! `kitep export pack`: the library written as a static site.

use anyhow::{Context, Result};
use server::offline::{self, pack, site};
use std::path::Path;
use std::process::ExitCode;

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")
}

/// Sizes as people read them: 1.2 MB, 850 KB.
pub fn human(bytes: u64) -> String {
    match bytes {
        b if b >= 1_000_000 => format!("{:.1} MB", b as f64 / 1e6),
        b if b >= 1_000 => format!("{:.0} KB", b as f64 / 1e3),
        b => format!("{b} bytes"),
    }
}

pub fn pack(
    config: server::Config,
    collections: &[String],
    lang: &str,
    out: &Path,
) -> Result<ExitCode> {
    let rt = runtime()?;
    let state = rt.block_on(offline::open_published(config))?;
    let snapshot = state.snapshot();
    let books = site::select(&snapshot, collections)?;
    if books.is_empty() {
        anyhow::bail!(
            "there are no published books to export (publish some with `kitep serve --books DIR`)"
        );
    }
    let site = site::build(&state, books, lang)?;
    let report = pack::write(&site, out)?;
    println!(
        "Wrote {} with {} books: {} in {} files; the search index is {} ({:.1} % of the pack).",
        out.display(),
        report.books,
        human(report.bytes),
        report.files,
        human(report.index_bytes),
        100.0 * report.index_bytes as f64 / report.bytes.max(1) as f64
    );
    println!("Open {} in a browser.", out.join("index.html").display());
    Ok(ExitCode::SUCCESS)
}
