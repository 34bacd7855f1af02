//! `kitep sync --export DIR`: the portal's log, key and the files of its current books written to
//! a folder (a USB stick), in the layout `kitep sync --from DIR` reads (`kitep-sync/v1/`). Files
//! already on the stick (same hash) are not copied again; the log is written last, so an export
//! that was cut is never read as a whole one.

use super::source::{Changes, DIR_PREFIX, Event};
use super::{EventDoc, FORMAT};
use crate::library::state::AppState;
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Default)]
pub struct ExportReport {
    pub events: usize,
    pub books: usize,
    pub files_written: usize,
    pub bytes_written: u64,
}

pub async fn export(state: &AppState, dir: &Path) -> Result<ExportReport> {
    let root = dir.join(DIR_PREFIX);
    let files_dir = root.join("files");
    std::fs::create_dir_all(&files_dir)
        .with_context(|| format!("creating {}", files_dir.display()))?;
    let key = super::signer(state)?;
    let mut events = Vec::new();
    let mut since = 0;
    loop {
        let page = state.db.sync_events_since(since, 5_000).await?;
        if page.is_empty() {
            break;
        }
        since = page.last().map(|e| e.seq).unwrap_or(since);
        events.extend(page);
    }
    // The files of each book's last publish, when it is still the book's last event.
    let mut last: BTreeMap<&str, &catalog::SyncEvent> = BTreeMap::new();
    for e in &events {
        last.insert(&e.slug, e);
    }
    let mut report = ExportReport {
        events: events.len(),
        ..Default::default()
    };
    for e in last.values().filter(|e| e.kind == "publish") {
        let doc: EventDoc = serde_json::from_str(&e.doc)?;
        let (Some(version), Some(vdir)) = (
            doc.version.as_deref(),
            doc.version
                .as_deref()
                .and_then(|v| state.store.local_dir(&doc.slug, v)),
        ) else {
            continue;
        };
        let _ = version;
        report.books += 1;
        for f in &doc.files {
            super::check_path(&f.path)?;
            let target = files_dir.join(&f.sha256);
            if std::fs::metadata(&target).is_ok_and(|m| m.len() == f.size) {
                continue;
            }
            let tmp = files_dir.join(format!(".{}.part", f.sha256));
            let from = vdir.join("source").join(&f.path);
            let n = std::fs::copy(&from, &tmp)
                .with_context(|| format!("copying {}", from.display()))?;
            std::fs::rename(&tmp, &target)?;
            report.files_written += 1;
            report.bytes_written += n;
        }
    }
    std::fs::write(root.join("key.pub"), key.public().to_file())?;
    let changes = Changes {
        kitep_sync: FORMAT,
        last: since,
        more: false,
        events: events.into_iter().map(Event::from).collect(),
    };
    let tmp = root.join(".changes.json.part");
    std::fs::write(&tmp, serde_json::to_vec(&changes)?)?;
    std::fs::rename(&tmp, root.join("changes.json"))?;
    Ok(report)
}
