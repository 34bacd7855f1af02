//! Drafts, their revisions, and the jobs that check and build them, as stored.

use super::{BeginWrite, Db, new_id, now};
use anyhow::Result;
use sqlx::Row;

/// Where a draft stands on its way to readers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Draft,
    InReview,
    ChangesRequested,
    Approved,
    Published,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Draft => "draft",
            Stage::InReview => "in_review",
            Stage::ChangesRequested => "changes_requested",
            Stage::Approved => "approved",
            Stage::Published => "published",
        }
    }

    pub fn parse(s: &str) -> Option<Stage> {
        [
            Stage::Draft,
            Stage::InReview,
            Stage::ChangesRequested,
            Stage::Approved,
            Stage::Published,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone)]
pub struct DraftRow {
    pub id: String,
    pub slug: String,
    pub organisation: String,
    pub title: String,
    pub stage: Stage,
    pub created_at: i64,
    pub updated_at: i64,
    /// Everyone who wrote one of its revisions.
    pub authors: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct RevisionRow {
    pub id: String,
    pub draft_id: String,
    pub number: i64,
    pub author_id: Option<String>,
    pub author_email: Option<String>,
    pub created_at: i64,
    pub source_hash: String,
    pub origin: String,
}

#[derive(Debug, Clone)]
pub struct JobRow {
    pub id: String,
    pub revision_id: String,
    pub state: String,
    pub queued_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub attempts: i64,
    pub progress: String,
    pub errors: i64,
    pub warnings: i64,
    pub diagnostics: String,
    pub message: String,
}

/// A job left `running` by a process that stopped saying it is alive this long ago (seconds) is
/// taken up again.
pub const STALE_AFTER: i64 = 60;
/// A job is tried this many times; then it fails with its last message.
pub const MAX_ATTEMPTS: i64 = 3;

impl Db {
    /// Stores a new revision of the organisation's draft of `slug` (creating the draft the first
    /// time) and queues its build, in one transaction. Returns (draft id, revision id, job id).
    #[allow(clippy::too_many_arguments)]
    pub async fn add_revision(
        &self,
        organisation: &str,
        slug: &str,
        title: &str,
        author_id: &str,
        author_email: &str,
        revision_id: &str,
        source_hash: &str,
        origin: &str,
    ) -> Result<(String, String, String)> {
        let at = now();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("INSERT INTO organisations (name) VALUES ($1) ON CONFLICT DO NOTHING")
                .bind(organisation).execute(&mut *tx).await?;
            let existing: Option<(String, String)> = sqlx::query("SELECT id, stage FROM drafts WHERE organisation = $1 AND slug = $2")
                .bind(organisation).bind(slug)
                .fetch_optional(&mut *tx).await?
                .map(|r| -> Result<(String, String)> { Ok((r.try_get("id")?, r.try_get("stage")?)) })
                .transpose()?;
            let draft_id = match existing {
                Some((id, stage)) => {
                    // A new revision of a draft in review, approved or published starts it over.
                    let stage = match Stage::parse(&stage) {
                        Some(Stage::ChangesRequested) | Some(Stage::Draft) => stage,
                        _ => Stage::Draft.as_str().to_string(),
                    };
                    sqlx::query("UPDATE drafts SET title = $1, stage = $2, updated_at = $3 WHERE id = $4")
                        .bind(title).bind(&stage).bind(at).bind(&id)
                        .execute(&mut *tx).await?;
                    id
                }
                None => {
                    let id = new_id()?;
                    sqlx::query("INSERT INTO drafts (id, slug, organisation, title, stage, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, 'draft', $5, $6, $6)")
                        .bind(&id).bind(slug).bind(organisation).bind(title).bind(author_id).bind(at)
                        .execute(&mut *tx).await?;
                    id
                }
            };
            let number: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(number), 0) + 1 FROM revisions WHERE draft_id = $1")
                .bind(&draft_id).fetch_one(&mut *tx).await?;
            sqlx::query("INSERT INTO revisions (id, draft_id, number, author_id, created_at, source_hash, origin) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(revision_id).bind(&draft_id).bind(number).bind(author_id).bind(at).bind(source_hash).bind(origin)
                .execute(&mut *tx).await?;
            let job_id = new_id()?;
            sqlx::query("INSERT INTO jobs (id, kind, revision_id, state, queued_at) VALUES ($1, 'build', $2, 'queued', $3)")
                .bind(&job_id).bind(revision_id).bind(at)
                .execute(&mut *tx).await?;
            audit!(&mut *tx, at = at, staff = author_id, actor = author_email, action = "draft.revision", target = format!("{organisation}/{slug}"), detail = format!("revision {number} ({origin})"));
            tx.commit().await?;
            Ok((draft_id, revision_id.to_string(), job_id))
        })
    }

    pub async fn draft(&self, id: &str) -> Result<Option<DraftRow>> {
        let rows = self.drafts_where("d.id = $1", Some(id)).await?;
        Ok(rows.into_iter().next())
    }

    /// Every draft, newest change first (the caller filters by what the person may see).
    pub async fn drafts(&self) -> Result<Vec<DraftRow>> {
        self.drafts_where("1 = 1", None).await
    }

    async fn drafts_where(&self, cond: &str, arg: Option<&str>) -> Result<Vec<DraftRow>> {
        let sql = format!(
            "SELECT d.id, d.slug, d.organisation, d.title, d.stage, d.created_at, d.updated_at FROM drafts d WHERE {cond} ORDER BY d.updated_at DESC, d.id"
        );
        let mut out = Vec::new();
        on_pool!(self, pool => {
            let mut q = sqlx::query(&sql);
            if let Some(a) = arg {
                q = q.bind(a);
            }
            for r in q.fetch_all(pool).await? {
                let id: String = r.try_get("id")?;
                let authors: Vec<String> = sqlx::query_scalar("SELECT DISTINCT author_id FROM revisions WHERE draft_id = $1 AND author_id IS NOT NULL")
                    .bind(&id).fetch_all(pool).await?;
                let stage: String = r.try_get("stage")?;
                out.push(DraftRow {
                    id,
                    slug: r.try_get("slug")?,
                    organisation: r.try_get("organisation")?,
                    title: r.try_get("title")?,
                    stage: Stage::parse(&stage).unwrap_or(Stage::Draft),
                    created_at: r.try_get("created_at")?,
                    updated_at: r.try_get("updated_at")?,
                    authors,
                });
            }
        });
        Ok(out)
    }

    /// A draft's revisions, newest first, with their authors' addresses.
    pub async fn revisions(&self, draft_id: &str) -> Result<Vec<RevisionRow>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT r.id, r.draft_id, r.number, r.author_id, s.email, r.created_at, r.source_hash, r.origin FROM revisions r LEFT JOIN staff s ON s.id = r.author_id WHERE r.draft_id = $1 ORDER BY r.number DESC")
                .bind(draft_id).fetch_all(pool).await?;
            rows.iter().map(|r| Ok(RevisionRow {
                id: r.try_get("id")?,
                draft_id: r.try_get("draft_id")?,
                number: r.try_get("number")?,
                author_id: r.try_get("author_id")?,
                author_email: r.try_get("email")?,
                created_at: r.try_get("created_at")?,
                source_hash: r.try_get("source_hash")?,
                origin: r.try_get("origin")?,
            })).collect()
        })
    }

    /// The newest job of a revision.
    pub async fn job_of(&self, revision_id: &str) -> Result<Option<JobRow>> {
        self.jobs_where(
            "revision_id = $1 ORDER BY queued_at DESC, id LIMIT 1",
            revision_id,
        )
        .await
        .map(|v| v.into_iter().next())
    }

    pub async fn job(&self, id: &str) -> Result<Option<JobRow>> {
        self.jobs_where("id = $1", id)
            .await
            .map(|v| v.into_iter().next())
    }

    async fn jobs_where(&self, cond: &str, arg: &str) -> Result<Vec<JobRow>> {
        let sql = format!(
            "SELECT id, revision_id, state, queued_at, started_at, finished_at, attempts, progress, errors, warnings, diagnostics, message FROM jobs WHERE {cond}"
        );
        on_pool!(self, pool => {
            let rows = sqlx::query(&sql).bind(arg).fetch_all(pool).await?;
            rows.iter().map(|r| Ok(JobRow {
                id: r.try_get("id")?,
                revision_id: r.try_get("revision_id")?,
                state: r.try_get("state")?,
                queued_at: r.try_get("queued_at")?,
                started_at: r.try_get("started_at")?,
                finished_at: r.try_get("finished_at")?,
                attempts: r.try_get("attempts")?,
                progress: r.try_get("progress")?,
                errors: r.try_get("errors")?,
                warnings: r.try_get("warnings")?,
                diagnostics: r.try_get("diagnostics")?,
                message: r.try_get("message")?,
            })).collect()
        })
    }

    /// Takes the oldest queued job (or one whose worker went silent) for `worker`; `None` when
    /// there is none. Of two workers asking at once, one gets it.
    pub async fn claim_job(&self, worker: &str) -> Result<Option<JobRow>> {
        let at = now();
        let candidate: Option<String> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT id FROM jobs WHERE state = 'queued' OR (state = 'running' AND heartbeat_at < $1) ORDER BY queued_at, id LIMIT 1")
                .bind(at - STALE_AFTER)
                .fetch_optional(pool)
                .await?
        });
        let Some(id) = candidate else { return Ok(None) };
        let claimed = on_pool!(self, pool => {
            sqlx::query("UPDATE jobs SET state = 'running', worker = $1, started_at = $2, heartbeat_at = $2, attempts = attempts + 1, progress = '' WHERE id = $3 AND (state = 'queued' OR (state = 'running' AND heartbeat_at < $4))")
                .bind(worker).bind(at).bind(&id).bind(at - STALE_AFTER)
                .execute(pool).await?.rows_affected()
        });
        if claimed == 0 {
            return Ok(None);
        }
        let job = self.job(&id).await?;
        if let Some(j) = &job
            && j.attempts > MAX_ATTEMPTS
        {
            self.finish_job(
                &j.id,
                worker,
                false,
                0,
                0,
                "[]",
                &format!("stopped after {MAX_ATTEMPTS} attempts: each ended without finishing (the portal stopped or ran out of memory while building)"),
            )
            .await?;
            return Ok(None);
        }
        Ok(job)
    }

    /// Says the job is alive and how far it is; false when it is no longer this worker's.
    pub async fn job_progress(&self, id: &str, worker: &str, progress: &str) -> Result<bool> {
        Ok(on_pool!(self, pool => {
            sqlx::query("UPDATE jobs SET heartbeat_at = $1, progress = $2 WHERE id = $3 AND worker = $4 AND state = 'running'")
                .bind(now()).bind(progress).bind(id).bind(worker)
                .execute(pool).await?.rows_affected()
        }) > 0)
    }

    /// Records how a job ended (only by the worker that holds it).
    #[allow(clippy::too_many_arguments)]
    pub async fn finish_job(
        &self,
        id: &str,
        worker: &str,
        done: bool,
        errors: i64,
        warnings: i64,
        diagnostics: &str,
        message: &str,
    ) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE jobs SET state = $1, finished_at = $2, errors = $3, warnings = $4, diagnostics = $5, message = $6, progress = '' WHERE id = $7 AND worker = $8")
                .bind(if done { "done" } else { "failed" })
                .bind(now()).bind(errors).bind(warnings).bind(diagnostics).bind(message).bind(id).bind(worker)
                .execute(pool).await?;
        });
        Ok(())
    }

    /// Jobs left `running` by a worker of this name (this process before a restart): queued
    /// again at start, so they are resumed.
    pub async fn requeue_jobs_of(&self, worker: &str) -> Result<u64> {
        Ok(on_pool!(self, pool => {
            sqlx::query("UPDATE jobs SET state = 'queued', worker = NULL, progress = '' WHERE state = 'running' AND worker = $1")
                .bind(worker).execute(pool).await?.rows_affected()
        }))
    }
}

/// One thing that happened to a draft.
#[derive(Debug, Clone)]
pub struct DraftEvent {
    pub kind: String,
    pub staff_email: Option<String>,
    pub revision_number: Option<i64>,
    pub file: Option<String>,
    pub line: Option<i64>,
    pub body: String,
    pub created_at: i64,
}

/// A published edition as librarians see it: current version, its changelog, and whether it is
/// withdrawn (and why).
#[derive(Debug, Clone)]
pub struct EditionRow {
    pub slug: String,
    pub title: String,
    pub version: String,
    pub published_at: i64,
    pub withdrawn: Option<(i64, String)>,
}

impl Db {
    /// Records an event and, when `to` is given, moves the draft from one of `from` to `to` in the
    /// same transaction; false (and nothing written) when the draft was no longer in `from`
    /// (someone else acted first, or a double submit).
    #[allow(clippy::too_many_arguments)]
    pub async fn draft_event(
        &self,
        draft_id: &str,
        revision_id: Option<&str>,
        staff_id: &str,
        staff_email: &str,
        kind: &str,
        file: Option<&str>,
        line: Option<i64>,
        body: &str,
        from: &[Stage],
        to: Option<Stage>,
    ) -> Result<bool> {
        let at = now();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            if let Some(to) = to {
                let from: Vec<String> = from.iter().map(|s| format!("'{}'", s.as_str())).collect();
                let set_approved = if to == Stage::Approved { ", approved_revision = $4" } else { "" };
                let sql = format!(
                    "UPDATE drafts SET stage = $1, updated_at = $2{set_approved} WHERE id = $3 AND stage IN ({})",
                    from.join(", ")
                );
                let mut q = sqlx::query(&sql).bind(to.as_str()).bind(at).bind(draft_id);
                if to == Stage::Approved {
                    q = q.bind(revision_id);
                }
                if q.execute(&mut *tx).await?.rows_affected() == 0 {
                    tx.rollback().await?;
                    return Ok(false);
                }
            }
            sqlx::query("INSERT INTO draft_events (id, draft_id, revision_id, staff_id, kind, file, line, body, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                .bind(new_id()?).bind(draft_id).bind(revision_id).bind(staff_id).bind(kind).bind(file).bind(line).bind(body).bind(at)
                .execute(&mut *tx).await?;
            audit!(&mut *tx, at = at, staff = staff_id, actor = staff_email, action = format!("draft.{kind}"), target = draft_id, detail = body.chars().take(200).collect::<String>());
            tx.commit().await?;
            Ok(true)
        })
    }

    /// The draft's events, oldest first.
    pub async fn draft_events(&self, draft_id: &str) -> Result<Vec<DraftEvent>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT e.kind, s.email, r.number, e.file, e.line, e.body, e.created_at FROM draft_events e LEFT JOIN staff s ON s.id = e.staff_id LEFT JOIN revisions r ON r.id = e.revision_id WHERE e.draft_id = $1 ORDER BY e.created_at, e.id")
                .bind(draft_id).fetch_all(pool).await?;
            rows.iter().map(|r| Ok(DraftEvent {
                kind: r.try_get("kind")?,
                staff_email: r.try_get("email")?,
                revision_number: r.try_get("number")?,
                file: r.try_get("file")?,
                line: r.try_get("line")?,
                body: r.try_get("body")?,
                created_at: r.try_get("created_at")?,
            })).collect()
        })
    }

    /// Which revision was approved, and which was last published.
    pub async fn draft_revisions_of_note(
        &self,
        draft_id: &str,
    ) -> Result<(Option<String>, Option<String>)> {
        on_pool!(self, pool => {
            let r = sqlx::query("SELECT approved_revision, published_revision FROM drafts WHERE id = $1")
                .bind(draft_id).fetch_one(pool).await?;
            Ok((r.try_get("approved_revision")?, r.try_get("published_revision")?))
        })
    }

    /// After a publish through the portal: the draft is published with that revision; the
    /// version gets its changelog and publisher.
    pub async fn mark_published(
        &self,
        draft_id: &str,
        revision_id: &str,
        version_id: Option<&str>,
        staff_id: &str,
        staff_email: &str,
        changelog: &str,
    ) -> Result<()> {
        let at = now();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("UPDATE drafts SET stage = 'published', published_revision = $1, updated_at = $2 WHERE id = $3")
                .bind(revision_id).bind(at).bind(draft_id).execute(&mut *tx).await?;
            if let Some(v) = version_id {
                sqlx::query("UPDATE versions SET changelog = $1, published_by = $2 WHERE id = $3")
                    .bind(changelog).bind(staff_id).bind(v).execute(&mut *tx).await?;
            }
            sqlx::query("INSERT INTO draft_events (id, draft_id, revision_id, staff_id, kind, body, created_at) VALUES ($1, $2, $3, $4, 'publish', $5, $6)")
                .bind(new_id()?).bind(draft_id).bind(revision_id).bind(staff_id).bind(changelog).bind(at)
                .execute(&mut *tx).await?;
            audit!(&mut *tx, at = at, staff = staff_id, actor = staff_email, action = "book.publish", target = draft_id, detail = changelog);
            tx.commit().await?;
        });
        Ok(())
    }

    /// An edition's versions, newest first: (id, published_at, changelog).
    pub async fn version_history(&self, slug: &str) -> Result<Vec<(String, i64, String)>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT id, published_at, changelog FROM versions WHERE edition_slug = $1 ORDER BY published_at DESC, id DESC")
                .bind(slug).fetch_all(pool).await?;
            rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("published_at")?, r.try_get("changelog")?))).collect()
        })
    }

    /// Every edition with a current version, withdrawn ones too.
    pub async fn editions(&self) -> Result<Vec<EditionRow>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT e.slug, v.title, v.id, v.published_at, e.withdrawn_at, e.withdrawn_reason FROM editions e JOIN versions v ON v.id = e.current_version ORDER BY v.title, e.slug")
                .fetch_all(pool).await?;
            rows.iter().map(|r| {
                let at: Option<i64> = r.try_get("withdrawn_at")?;
                let reason: Option<String> = r.try_get("withdrawn_reason")?;
                Ok(EditionRow {
                    slug: r.try_get("slug")?,
                    title: r.try_get("title")?,
                    version: r.try_get("id")?,
                    published_at: r.try_get("published_at")?,
                    withdrawn: at.map(|a| (a, reason.unwrap_or_default())),
                })
            }).collect()
        })
    }

    /// Withdrawn editions: slug → reason.
    pub async fn withdrawn(&self) -> Result<Vec<(String, String)>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT slug, withdrawn_reason FROM editions WHERE withdrawn_at IS NOT NULL ORDER BY slug")
                .fetch_all(pool).await?;
            rows.iter().map(|r| Ok((r.try_get("slug")?, r.try_get::<Option<String>, _>("withdrawn_reason")?.unwrap_or_default()))).collect()
        })
    }

    /// Withdraws an edition (with a reason) or restores it (`reason` None); false when it was
    /// already so. Its files and versions stay.
    pub async fn set_withdrawn(
        &self,
        slug: &str,
        reason: Option<&str>,
        staff_id: Option<&str>,
        staff_email: &str,
    ) -> Result<bool> {
        let at = now();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let n = match reason {
                Some(r) => sqlx::query("UPDATE editions SET withdrawn_at = $1, withdrawn_reason = $2 WHERE slug = $3 AND withdrawn_at IS NULL")
                    .bind(at).bind(r).bind(slug).execute(&mut *tx).await?.rows_affected(),
                None => sqlx::query("UPDATE editions SET withdrawn_at = NULL, withdrawn_reason = NULL WHERE slug = $1 AND withdrawn_at IS NOT NULL")
                    .bind(slug).execute(&mut *tx).await?.rows_affected(),
            };
            if n > 0 {
                audit!(&mut *tx, at = at, staff = staff_id, actor = staff_email, action = if reason.is_some() { "book.withdraw" } else { "book.restore" }, target = slug, detail = reason.unwrap_or(""));
            }
            tx.commit().await?;
            Ok(n > 0)
        })
    }
}

/// Collections, as librarians shape them.
impl Db {
    /// Creates or updates a collection's titles, descriptions (JSON: language → text) and whether
    /// the home page features it; a new one goes last.
    pub async fn save_collection(
        &self,
        slug: &str,
        titles: &str,
        descriptions: &str,
        featured: bool,
        staff_id: &str,
        staff_email: &str,
    ) -> Result<()> {
        let at = now();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let next: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(position), -1) + 1 FROM collections")
                .fetch_one(&mut *tx).await?;
            sqlx::query("INSERT INTO collections (slug, position, titles, descriptions, featured) VALUES ($1, $2, $3, $4, $5)
                         ON CONFLICT (slug) DO UPDATE SET titles = excluded.titles, descriptions = excluded.descriptions, featured = excluded.featured")
                .bind(slug).bind(next).bind(titles).bind(descriptions).bind(i64::from(featured))
                .execute(&mut *tx).await?;
            audit!(&mut *tx, at = at, staff = staff_id, actor = staff_email, action = "collection.save", target = slug, detail = titles);
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn delete_collection(
        &self,
        slug: &str,
        staff_id: &str,
        staff_email: &str,
    ) -> Result<bool> {
        let at = now();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("DELETE FROM collection_items WHERE collection_slug = $1").bind(slug).execute(&mut *tx).await?;
            let n = sqlx::query("DELETE FROM collections WHERE slug = $1").bind(slug).execute(&mut *tx).await?.rows_affected();
            if n > 0 {
                audit!(&mut *tx, at = at, staff = staff_id, actor = staff_email, action = "collection.delete", target = slug, detail = "");
            }
            tx.commit().await?;
            Ok(n > 0)
        })
    }

    /// Moves a collection one place up or down the order.
    pub async fn move_collection(&self, slug: &str, up: bool) -> Result<()> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let order: Vec<String> = sqlx::query_scalar("SELECT slug FROM collections ORDER BY position, slug")
                .fetch_all(&mut *tx).await?;
            let mut order = order;
            if let Some(i) = order.iter().position(|s| s == slug) {
                let j = if up { i.checked_sub(1) } else { Some(i + 1).filter(|j| *j < order.len()) };
                if let Some(j) = j {
                    order.swap(i, j);
                }
            }
            for (i, s) in order.iter().enumerate() {
                sqlx::query("UPDATE collections SET position = $1 WHERE slug = $2").bind(i as i64).bind(s).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Adds a book to a collection (last) or removes it.
    pub async fn set_in_collection(
        &self,
        collection: &str,
        book: &str,
        member: bool,
        staff_id: &str,
        staff_email: &str,
    ) -> Result<()> {
        let at = now();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            if member {
                let next: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(position), -1) + 1 FROM collection_items WHERE collection_slug = $1")
                    .bind(collection).fetch_one(&mut *tx).await?;
                sqlx::query("INSERT INTO collection_items (collection_slug, edition_slug, position) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                    .bind(collection).bind(book).bind(next).execute(&mut *tx).await?;
            } else {
                sqlx::query("DELETE FROM collection_items WHERE collection_slug = $1 AND edition_slug = $2")
                    .bind(collection).bind(book).execute(&mut *tx).await?;
            }
            audit!(&mut *tx, at = at, staff = staff_id, actor = staff_email, action = if member { "collection.add" } else { "collection.remove" }, target = collection, detail = book);
            tx.commit().await?;
        });
        Ok(())
    }
}
