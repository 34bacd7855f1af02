//! Build jobs: each draft revision is checked and built in the background, one at a time, from
//! the queue in the catalog. The portal keeps serving meanwhile. A job whose portal stopped is
//! taken up again (by this portal after a restart, or by another replica once its heartbeat is
//! stale); after three attempts it fails with the reason.

use crate::library::state::{AppState, Shared};
use catalog::JobRow;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Where a revision's files live: `DATA/revisions/<id>/src` (the project as uploaded) and
/// `…/out` (what its build wrote).
pub fn revision_dir(state: &AppState, revision_id: &str) -> Option<PathBuf> {
    let ok = !revision_id.is_empty() && revision_id.bytes().all(|b| b.is_ascii_hexdigit());
    ok.then(|| state.config.data_dir.join("revisions").join(revision_id))
}

/// This data folder's worker name, made once and kept in `DATA/worker-id`.
fn worker_id(data: &Path) -> String {
    let path = data.join("worker-id");
    if let Ok(s) = std::fs::read_to_string(&path) {
        let s = s.trim().to_string();
        if !s.is_empty() {
            return s;
        }
    }
    let id = catalog::new_id().unwrap_or_else(|_| "worker".into());
    let _ = std::fs::write(&path, &id);
    id
}

/// One diagnostic of a build, with the line of source it points at.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Finding {
    pub severity: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// The offending line of the source file, when there is one.
    pub source: Option<String>,
}

fn findings(root: &Path, diags: &[corpus::Diagnostic]) -> Vec<Finding> {
    let mut files: std::collections::HashMap<String, Option<Vec<String>>> = Default::default();
    diags
        .iter()
        .map(|d| {
            let source = (d.line > 0)
                .then(|| {
                    let lines = files.entry(d.file.clone()).or_insert_with(|| {
                        corpus::source::checked_join(root, &d.file)
                            .ok()
                            .and_then(|p| std::fs::read_to_string(p).ok())
                            .map(|t| t.lines().map(str::to_string).collect())
                    });
                    lines
                        .as_ref()
                        .and_then(|l| l.get(d.line - 1))
                        .map(|l| l.chars().take(300).collect())
                })
                .flatten();
            Finding {
                severity: if d.is_error() { "error" } else { "warning" }.into(),
                file: d.file.clone(),
                line: d.line,
                column: d.column,
                message: d.message.clone(),
                source,
            }
        })
        .collect()
}

/// Starts the worker: requeues what this data folder's previous process left running, then
/// takes jobs one at a time.
pub fn start(state: &Shared) {
    let state = state.clone();
    tokio::spawn(async move {
        let worker = worker_id(&state.config.data_dir);
        match state.db.requeue_jobs_of(&worker).await {
            Ok(n) if n > 0 => {
                tracing::warn!("{n} build job(s) left running by the last start are queued again")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("requeueing build jobs: {e:#}"),
        }
        loop {
            match state.db.claim_job(&worker).await {
                Ok(Some(job)) => run(&state, job, &worker).await,
                Ok(None) => {
                    tokio::select! {
                        _ = state.jobs_queued.notified() => {}
                        _ = tokio::time::sleep(Duration::from_secs(3)) => {}
                    }
                }
                Err(e) => {
                    tracing::warn!("the build queue cannot be read: {e:#}");
                    tokio::time::sleep(Duration::from_secs(5)).await;
                }
            }
        }
    });
}

async fn run(state: &Shared, job: JobRow, worker: &str) {
    let Some(dir) = revision_dir(state, &job.revision_id) else {
        let _ = state
            .db
            .finish_job(
                &job.id,
                worker,
                false,
                0,
                0,
                "[]",
                "the revision's id is not valid",
            )
            .await;
        return;
    };
    let Some(root) = crate::workflow::upload::find_book(&dir.join("src")) else {
        let _ = state
            .db
            .finish_job(
                &job.id,
                worker,
                false,
                0,
                0,
                "[]",
                "the revision's files are missing (the upload did not finish); upload it again",
            )
            .await;
        return;
    };
    let progress = Arc::new(Mutex::new(String::from("compiling")));
    // A heartbeat while the build runs: the job stays this worker's, and the page shows the step.
    let beat = {
        let (state, id, worker, progress) = (
            state.clone(),
            job.id.clone(),
            worker.to_string(),
            progress.clone(),
        );
        tokio::spawn(async move {
            loop {
                let p = progress.lock().map(|p| p.clone()).unwrap_or_default();
                let _ = state.db.job_progress(&id, &worker, &p).await;
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        })
    };
    let out = dir.join("out");
    let cache = dir.join("cache");
    let (root2, progress2) = (root.clone(), progress.clone());
    let result = tokio::task::spawn_blocking(move || {
        let opts = authoring::BuildOptions {
            image_cache: Some(cache),
            ..Default::default()
        };
        authoring::build(&root2, &out, &opts, &|_, _, step| {
            if let Ok(mut p) = progress2.lock() {
                *p = step.to_string();
            }
        })
    })
    .await;
    beat.abort();
    let (done, errors, warnings, diags, message) = match result {
        Ok(Ok(report)) => {
            let f = findings(&root, &report.diagnostics);
            (true, report.errors, report.warnings, f, String::new())
        }
        Ok(Err(authoring::BuildError::Book(d))) | Ok(Err(authoring::BuildError::Strict(d))) => {
            let f = findings(&root, &d);
            let errors = d.iter().filter(|x| x.is_error()).count();
            (
                true,
                errors,
                d.len() - errors,
                f,
                "the book could not be read: nothing was built".into(),
            )
        }
        Ok(Err(authoring::BuildError::Output(m))) => (
            false,
            0,
            0,
            Vec::new(),
            format!("writing the build failed: {m}"),
        ),
        Err(e) => (false, 0, 0, Vec::new(), format!("the build stopped: {e}")),
    };
    let json = serde_json::to_string(&diags).unwrap_or_else(|_| "[]".into());
    if let Err(e) = state
        .db
        .finish_job(
            &job.id,
            worker,
            done,
            errors as i64,
            warnings as i64,
            &json,
            &message,
        )
        .await
    {
        tracing::warn!("recording the end of build job {}: {e:#}", job.id);
    }
}
