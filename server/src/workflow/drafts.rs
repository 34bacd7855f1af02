//! Drafts and their revisions: a book project received (from the upload form, the API or the
//! editor) becomes a new revision of its organisation's draft, and its build is queued.

use crate::library::state::Shared;
use crate::workflow::jobs::revision_dir;
use crate::workflow::upload::{self, Limits, Refused};

/// What went wrong with an upload, for the person who sent it.
pub enum UploadProblem {
    Refused(Refused),
    /// book.toml cannot be read: its diagnostic (file:line: message).
    Book(String),
    NoOrganisation,
    NotYourOrganisation,
}

/// Stores an uploaded project as a new revision of its draft and queues its build. Shared by the
/// upload form and the API (`kitep publish`).
pub async fn accept_upload(
    state: &Shared,
    who: &catalog::StaffRow,
    organisation: Option<&str>,
    zip: Vec<u8>,
    origin: &str,
) -> anyhow::Result<Result<String, UploadProblem>> {
    let organisation = match (organisation, who.organisations.as_slice()) {
        (_, []) => return Ok(Err(UploadProblem::NoOrganisation)),
        (Some(o), orgs) if orgs.iter().any(|x| x == o) => o.to_string(),
        (Some(_), _) => return Ok(Err(UploadProblem::NotYourOrganisation)),
        (None, [one]) => one.clone(),
        (None, [first, ..]) => first.clone(),
    };
    let revision_id = catalog::new_id()?;
    let Some(dir) = revision_dir(state, &revision_id) else {
        anyhow::bail!("bad revision id");
    };
    let limits = Limits::from_env();
    let src = dir.join("src");
    let unpacked = tokio::task::spawn_blocking(move || upload::unpack(&zip, &src, &limits)).await?;
    let unpacked = match unpacked {
        Ok(u) => u,
        Err(r) => return Ok(Err(UploadProblem::Refused(r))),
    };
    let project = match corpus::BookProject::load(&unpacked.root) {
        Ok(p) => p,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&dir);
            let text = match e {
                corpus::Error::Invalid(d) => d.to_string(),
                other => other.to_string(),
            };
            return Ok(Err(UploadProblem::Book(text)));
        }
    };
    let stored = state
        .db
        .add_revision(
            &organisation,
            &project.slug,
            project.config.title.as_deref().unwrap_or(&project.slug),
            &who.id,
            &who.email,
            &revision_id,
            &unpacked.source_hash,
            origin,
        )
        .await;
    match stored {
        Ok((draft_id, _, _)) => {
            state.jobs_queued.notify_one();
            Ok(Ok(draft_id))
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&dir);
            Err(e)
        }
    }
}
