//! `kitep sync`: a school server's library kept current from the national portal or a USB stick.

use super::export::human;
use anyhow::{Context, Result};
use server::offline::{self, sync::client, sync::export as usb};
use std::path::Path;
use std::process::ExitCode;

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the runtime")
}

pub fn export(config: server::Config, dir: &Path) -> Result<ExitCode> {
    let rt = runtime()?;
    let report = rt.block_on(async {
        let state = offline::open_published(config).await?;
        usb::export(&state, dir).await
    })?;
    println!(
        "Wrote {} events and the files of {} books to {} ({} files, {} new).",
        report.events,
        report.books,
        dir.display(),
        report.files_written,
        human(report.bytes_written)
    );
    println!("On the school server: kitep sync --from {}", dir.display());
    Ok(ExitCode::SUCCESS)
}

fn print(r: &client::SyncReport) {
    if let Some(id) = &r.new_key {
        println!(
            "First sync from {}: its key {id} is now trusted (compare it with the one the portal's administrators give).",
            r.source
        );
    }
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    println!("Published: {}", list(&r.published));
    if !r.unchanged.is_empty() {
        println!("Unchanged: {}", list(&r.unchanged));
    }
    if !r.withdrawn.is_empty() {
        println!("Withdrawn: {}", list(&r.withdrawn));
    }
    if !r.restored.is_empty() {
        println!("Restored: {}", list(&r.restored));
    }
    if r.not_selected > 0 {
        println!("Outside the chosen selection: {} books", r.not_selected);
    }
    println!(
        "Received {} in {} files; {} files were here already. Log position {}.",
        human(r.bytes),
        r.files_fetched,
        r.files_reused,
        r.position
    );
    for f in &r.failures {
        eprintln!("not synced: {f}");
    }
}

pub fn sync(
    config: server::Config,
    opts: client::SyncOptions,
    every: Option<std::time::Duration>,
) -> Result<ExitCode> {
    let rt = runtime()?;
    rt.block_on(async {
        let state = offline::open_for_writing(config).await?;
        loop {
            let outcome = client::sync(&state, &opts).await;
            match &outcome {
                Ok(r) => print(r),
                Err(e) => eprintln!("error: {e:#}"),
            }
            let Some(wait) = every else {
                return match outcome {
                    Ok(r) if r.failures.is_empty() => Ok(ExitCode::SUCCESS),
                    Ok(_) => Ok(ExitCode::FAILURE),
                    Err(e) => Err(e),
                };
            };
            tokio::time::sleep(wait).await;
        }
    })
}
