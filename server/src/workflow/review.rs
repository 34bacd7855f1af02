//! Review and publishing: submit, comment (on the book or a chapter's line), approve or ask for
//! changes, publish an approved revision through the atomic publish with a changelog, withdraw
//! and restore. Who may do each is `accounts::policy`'s decision, taken by the caller; here each
//! step checks the draft's stage in the same transaction that changes it, so two people acting at
//! once (or a double submit) cannot both succeed.

use crate::library::publish::{self, Outcome};
use crate::library::state::Shared;
use crate::workflow::jobs::revision_dir;
use crate::workflow::upload::find_book;
use anyhow::{Result, bail};
use catalog::{DraftRow, StaffRow, Stage};
use similar::{ChangeTag, TextDiff};
use std::path::{Path, PathBuf};

/// What a review step did.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    Done,
    /// The draft was no longer where the step starts (someone acted first).
    Stale,
    /// Publishing needs a build without errors.
    HasErrors,
}

pub async fn submit(state: &Shared, d: &DraftRow, who: &StaffRow) -> Result<Step> {
    let rev = latest_revision(state, d).await?;
    let moved = state
        .db
        .draft_event(
            &d.id,
            rev.as_deref(),
            &who.id,
            &who.email,
            "submit",
            None,
            None,
            "",
            &[Stage::Draft, Stage::ChangesRequested],
            Some(Stage::InReview),
        )
        .await?;
    Ok(if moved { Step::Done } else { Step::Stale })
}

/// A comment (kind `comment`), or a decision (`approve`, `request_changes`) with its comment.
pub async fn review(
    state: &Shared,
    d: &DraftRow,
    who: &StaffRow,
    kind: &str,
    file: Option<&str>,
    line: Option<i64>,
    body: &str,
) -> Result<Step> {
    let rev = latest_revision(state, d).await?;
    let (from, to): (&[Stage], Option<Stage>) = match kind {
        "approve" => (&[Stage::InReview], Some(Stage::Approved)),
        "request_changes" => (&[Stage::InReview], Some(Stage::ChangesRequested)),
        "comment" => (&[], None),
        other => bail!("unknown review step {other}"),
    };
    let moved = state
        .db
        .draft_event(
            &d.id,
            rev.as_deref(),
            &who.id,
            &who.email,
            kind,
            file,
            line,
            body,
            from,
            to,
        )
        .await?;
    Ok(if moved { Step::Done } else { Step::Stale })
}

/// Publishes the approved revision (built without errors) through the atomic publish, with a
/// changelog line; the readers see the new version as soon as it returns.
pub async fn publish_draft(
    state: &Shared,
    d: &DraftRow,
    who: &StaffRow,
    changelog: &str,
) -> Result<Step> {
    if d.stage != Stage::Approved {
        return Ok(Step::Stale);
    }
    let (approved, _) = state.db.draft_revisions_of_note(&d.id).await?;
    let Some(rev) = approved else {
        return Ok(Step::Stale);
    };
    match state.db.job_of(&rev).await? {
        Some(j) if j.state == "done" && j.errors == 0 => {}
        _ => return Ok(Step::HasErrors),
    }
    let Some(root) = revision_dir(state, &rev).and_then(|d| find_book(&d.join("src"))) else {
        bail!("the approved revision's files are missing");
    };
    let members = publish::memberships(state).await?;
    let version =
        match publish::publish_book_from(state, &root, &members, publish::Source::Portal).await? {
            Outcome::Published { version, .. } => Some(version),
            _ => None,
        };
    state
        .db
        .mark_published(
            &d.id,
            &rev,
            version.as_deref(),
            &who.id,
            &who.email,
            changelog,
        )
        .await?;
    Ok(Step::Done)
}

/// Withdraws a published book (it leaves search, feeds, the API and the sitemap; its pages answer
/// 410 with the reason; its files stay), or restores it (`reason` None).
pub async fn set_withdrawn(
    state: &Shared,
    slug: &str,
    reason: Option<&str>,
    who: &StaffRow,
) -> Result<bool> {
    let changed = state
        .db
        .set_withdrawn(slug, reason, Some(&who.id), &who.email)
        .await?;
    if changed {
        let _one_at_a_time = state.publish_lock.lock().await;
        publish::reconcile(state).await?;
        state.refresh().await?;
        if let Err(e) = crate::offline::sync::record_withdrawal(state, slug, reason).await {
            tracing::warn!(book = %slug, "logging the withdrawal for school servers: {e:#}");
        }
    }
    Ok(changed)
}

/// [`set_withdrawn`] by someone without a staff account here (the command line, a sync from the
/// national portal); `actor` names them in the audit log.
pub async fn withdraw_as(
    state: &Shared,
    slug: &str,
    reason: Option<&str>,
    actor: &str,
) -> Result<bool> {
    let changed = state.db.set_withdrawn(slug, reason, None, actor).await?;
    if changed {
        let _one_at_a_time = state.publish_lock.lock().await;
        publish::reconcile(state).await?;
        state.refresh().await?;
        crate::offline::sync::record_withdrawal(state, slug, reason).await?;
    }
    Ok(changed)
}

async fn latest_revision(state: &Shared, d: &DraftRow) -> Result<Option<String>> {
    Ok(state
        .db
        .revisions(&d.id)
        .await?
        .first()
        .map(|r| r.id.clone()))
}

/// One chapter's changes: its path and the diff's lines (tag, old line number, new line number,
/// text).
pub struct ChapterChanges {
    pub file: String,
    pub lines: Vec<(char, Option<usize>, Option<usize>, String)>,
}

/// The Markdown files of a project, relative to its root, sorted.
fn markdown_files(root: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let p = e.path();
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "md" || x == "toml") {
                let rel = p
                    .strip_prefix(root)
                    .unwrap_or(&p)
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, p));
            }
        }
    }
    out.sort();
    out
}

/// What changed from `old` (a revision's project root, or none) to `new`, chapter by chapter,
/// with `context` unchanged lines around each change. Files that did not change are left out.
pub fn changes(old: Option<&Path>, new: &Path, context: usize) -> Vec<ChapterChanges> {
    let old_files = old.map(markdown_files).unwrap_or_default();
    let new_files = markdown_files(new);
    let mut names: Vec<&String> = old_files
        .iter()
        .chain(new_files.iter())
        .map(|(n, _)| n)
        .collect();
    names.sort();
    names.dedup();
    let read = |files: &[(String, PathBuf)], n: &str| {
        files
            .iter()
            .find(|(f, _)| f == n)
            .and_then(|(_, p)| std::fs::read_to_string(p).ok())
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    for n in names {
        let (a, b) = (read(&old_files, n), read(&new_files, n));
        if a == b {
            continue;
        }
        let diff = TextDiff::from_lines(&a, &b);
        let mut lines = Vec::new();
        for group in diff.grouped_ops(context) {
            for op in group {
                for change in diff.iter_changes(&op) {
                    let tag = match change.tag() {
                        ChangeTag::Delete => '-',
                        ChangeTag::Insert => '+',
                        ChangeTag::Equal => ' ',
                    };
                    lines.push((
                        tag,
                        change.old_index().map(|i| i + 1),
                        change.new_index().map(|i| i + 1),
                        change.value().trim_end_matches(['\n', '\r']).to_string(),
                    ));
                }
            }
            lines.push(('…', None, None, String::new()));
        }
        lines.pop();
        out.push(ChapterChanges {
            file: n.clone(),
            lines,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_listed_by_chapter_with_line_numbers() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(a.path().join("src")).unwrap();
        std::fs::create_dir_all(b.path().join("src")).unwrap();
        std::fs::write(
            a.path().join("src/one.md"),
            "# Бир\n\nЭски сап.\nОшол бойдон.\n",
        )
        .unwrap();
        std::fs::write(
            b.path().join("src/one.md"),
            "# Бир\n\nЖаңы сап.\nОшол бойдон.\n",
        )
        .unwrap();
        std::fs::write(a.path().join("src/two.md"), "# Эки\n").unwrap();
        std::fs::write(b.path().join("src/two.md"), "# Эки\n").unwrap();
        std::fs::write(b.path().join("src/three.md"), "# Үч\n").unwrap();
        let c = changes(Some(a.path()), b.path(), 1);
        let files: Vec<&str> = c.iter().map(|x| x.file.as_str()).collect();
        assert_eq!(files, ["src/one.md", "src/three.md"]);
        let one = &c[0].lines;
        assert!(one.contains(&('-', Some(3), None, "Эски сап.".into())));
        assert!(one.contains(&('+', None, Some(3), "Жаңы сап.".into())));
        // With no published version, everything is new.
        let all = changes(None, b.path(), 1);
        assert_eq!(all.len(), 3);
    }
}
