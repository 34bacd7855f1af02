//! Drafts: the list of those the person may see, uploading a book project (`.zip`), and a draft's
//! page: its revisions, the build's progress and every diagnostic with the offending line, the
//! draft's reader and EPUB. Drafts stay invisible to readers: nothing here is public.

use crate::accounts::policy::{self, Action, Decision, Subject};
use crate::library::state::Shared;
use crate::web::extract::Segs;
use crate::web::files::{self, Caching};
use crate::web::i18n::{Lang, M, t, tf};
use crate::web::respond::{internal_error, not_found, redirect_to};
use crate::web::staff::{
    SignedIn, csrf_field, field, forbidden, form_expired, form_fields, staff_page,
};
use crate::web::staff::{problem_text, refused_text, when};
use crate::workflow::drafts::{UploadProblem, accept_upload};
use crate::workflow::jobs::{Finding, revision_dir};
use crate::workflow::review::{self, Step};
use crate::workflow::upload::{Limits, Refused, find_book};
use axum::body::Bytes;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use catalog::{DraftRow, Stage};
use maud::{Markup, html};

pub fn stage_name(l: Lang, s: Stage) -> &'static str {
    t(
        l,
        match s {
            Stage::Draft => M::StageDraft,
            Stage::InReview => M::StageInReview,
            Stage::ChangesRequested => M::StageChangesRequested,
            Stage::Approved => M::StageApproved,
            Stage::Published => M::StagePublished,
        },
    )
}

fn subject(d: &DraftRow) -> Subject<'_> {
    Subject {
        organisation: &d.organisation,
        authors: &d.authors,
        stage: d.stage,
    }
}

fn upload_form(who: &SignedIn, message: Option<&str>) -> Markup {
    let l = who.ui.lang;
    let mb = Limits::from_env().max_upload / (1024 * 1024);
    let orgs = &who.session.staff.organisations;
    html! {
        h2 #upload { (t(l, M::UploadTitle)) }
        @if let Some(m) = message { p.notice role="alert" { (m) } }
        @if orgs.is_empty() {
            p.notice { (t(l, M::NoOrganisation)) }
        } @else {
            form.staff-form method="post" action="/staff/drafts" enctype="multipart/form-data" {
                (csrf_field(&who.session))
                @if orgs.len() > 1 {
                    label for="organisation" { (t(l, M::Organisation)) }
                    select #organisation name="organisation" {
                        @for o in orgs { option value=(o) { (o) } }
                    }
                } @else {
                    input type="hidden" name="organisation" value=(orgs[0]);
                }
                label for="file" { (t(l, M::File)) }
                input #file type="file" name="file" accept=".zip,application/zip" required aria-describedby="upload-hint";
                p #upload-hint .hint { (tf(l, M::UploadHint, &[("mb", &mb.to_string())])) }
                button type="submit" { (t(l, M::UploadButton)) }
            }
        }
    }
}

fn list_page(
    who: &SignedIn,
    drafts: &[DraftRow],
    status: StatusCode,
    message: Option<&str>,
) -> Response {
    let l = who.ui.lang;
    let may_upload = policy::decide(&who.actor(), Action::UploadDraft, None) == Decision::Allow;
    let body = html! {
        h1 { (t(l, M::Drafts)) }
        @if drafts.is_empty() {
            p { (t(l, M::NoDrafts)) }
        } @else {
            ul.drafts {
                @for d in drafts {
                    li {
                        a href={ "/staff/drafts/" (d.id) } { (d.title) }
                        " — " (d.organisation) " · " (stage_name(l, d.stage)) " · " (when(d.updated_at))
                    }
                }
            }
        }
        @if may_upload { (upload_form(who, message)) }
    };
    staff_page(&who.ui, status, t(l, M::Drafts), Some(&who.session), body)
}

/// The drafts this person may see.
async fn visible(state: &Shared, who: &SignedIn) -> anyhow::Result<Vec<DraftRow>> {
    Ok(state
        .db
        .drafts()
        .await?
        .into_iter()
        .filter(|d| {
            policy::decide(&who.actor(), Action::ViewDraft, Some(&subject(d))) == Decision::Allow
        })
        .collect())
}

pub async fn list(State(state): State<Shared>, who: SignedIn) -> Response {
    match visible(&state, &who).await {
        Ok(d) => list_page(&who, &d, StatusCode::OK, None),
        Err(e) => internal_error(who.ui.lang, &e),
    }
}

/// A form's fields and its one file, read within the upload limit.
async fn read_upload(
    mut form: Multipart,
    limit: u64,
) -> Result<(Vec<(String, String)>, Option<Vec<u8>>), Refused> {
    let mut fields = Vec::new();
    let mut file = None;
    loop {
        let next = form.next_field().await;
        let Ok(Some(mut f)) = next else {
            if let Err(e) = next {
                return Err(if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    Refused::TooLarge { limit }
                } else {
                    Refused::Damaged(e.body_text())
                });
            }
            break;
        };
        let name = f.name().unwrap_or("").to_string();
        if name == "file" {
            let mut bytes = Vec::new();
            loop {
                match f.chunk().await {
                    Ok(Some(c)) => {
                        bytes.extend_from_slice(&c);
                        if bytes.len() as u64 > limit {
                            return Err(Refused::TooLarge { limit });
                        }
                    }
                    Ok(None) => break,
                    Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                        return Err(Refused::TooLarge { limit });
                    }
                    Err(e) => return Err(Refused::Damaged(e.body_text())),
                }
            }
            file = Some(bytes);
        } else if fields.len() < 16 {
            let text = f.text().await.unwrap_or_default();
            fields.push((name, text.chars().take(1000).collect()));
        }
    }
    Ok((fields, file))
}

pub async fn upload(State(state): State<Shared>, who: SignedIn, form: Multipart) -> Response {
    let l = who.ui.lang;
    if let Some(r) = who.refusal(Action::UploadDraft) {
        return r;
    }
    let limits = Limits::from_env();
    let refused = |state: Shared, who: SignedIn, status: StatusCode, text: String| async move {
        match visible(&state, &who).await {
            Ok(d) => list_page(&who, &d, status, Some(&text)),
            Err(e) => internal_error(who.ui.lang, &e),
        }
    };
    let (fields, file) = match read_upload(form, limits.max_upload).await {
        Ok(x) => x,
        Err(r) => {
            let status = if matches!(r, Refused::TooLarge { .. }) {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::BAD_REQUEST
            };
            return refused(
                state,
                who,
                status,
                tf(l, M::UploadRefused, &[("why", &refused_text(l, &r))]),
            )
            .await;
        }
    };
    if !who.csrf_ok(&fields) {
        return form_expired(&who.ui);
    }
    let Some(file) = file else {
        return refused(
            state,
            who,
            StatusCode::BAD_REQUEST,
            tf(
                l,
                M::UploadRefused,
                &[("why", &refused_text(l, &Refused::NotZip))],
            ),
        )
        .await;
    };
    let org = fields
        .iter()
        .find(|(k, _)| k == "organisation")
        .map(|(_, v)| v.as_str());
    match accept_upload(&state, &who.session.staff, org, file, "upload").await {
        Ok(Ok(draft_id)) => redirect_to(&format!("/staff/drafts/{draft_id}")),
        Ok(Err(p)) => {
            let status = match &p {
                UploadProblem::Refused(Refused::TooLarge { .. }) => StatusCode::PAYLOAD_TOO_LARGE,
                UploadProblem::NotYourOrganisation | UploadProblem::NoOrganisation => {
                    StatusCode::FORBIDDEN
                }
                _ => StatusCode::BAD_REQUEST,
            };
            let text = problem_text(l, &p);
            refused(state, who, status, text).await
        }
        Err(e) => internal_error(l, &e),
    }
}

/// The draft by id, if this person may see it (others get 404: they do not learn it exists).
async fn draft_for(state: &Shared, who: &SignedIn, id: &str) -> Result<DraftRow, Response> {
    match state.db.draft(id).await {
        Ok(Some(d)) => match policy::decide(&who.actor(), Action::ViewDraft, Some(&subject(&d))) {
            Decision::Allow => Ok(d),
            Decision::Hidden => Err(not_found(&who.ui)),
            Decision::Forbidden => Err(forbidden(&who.ui)),
        },
        Ok(None) => Err(not_found(&who.ui)),
        Err(e) => Err(internal_error(who.ui.lang, &e)),
    }
}

pub async fn show(State(state): State<Shared>, who: SignedIn, segs: Segs) -> Response {
    let id = segs.0.first().cloned().unwrap_or_default();
    let d = match draft_for(&state, &who, &id).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    render(&state, &who, &d, StatusCode::OK, None, "").await
}

fn event_text(l: Lang, kind: &str) -> &'static str {
    t(
        l,
        match kind {
            "submit" => M::EventSubmit,
            "approve" => M::EventApprove,
            "request_changes" => M::EventRequestChanges,
            "publish" => M::EventPublish,
            _ => M::EventComment,
        },
    )
}

/// The draft's page; `notice` on top of the actions, `typed` kept in the comment box (after a
/// refused step, nothing the person wrote is lost).
async fn render(
    state: &Shared,
    who: &SignedIn,
    d: &DraftRow,
    status: StatusCode,
    notice: Option<&str>,
    typed: &str,
) -> Response {
    let l = who.ui.lang;
    let may = |a| policy::decide(&who.actor(), a, Some(&subject(d))) == Decision::Allow;
    let events = match state.db.draft_events(&d.id).await {
        Ok(e) => e,
        Err(e) => return internal_error(l, &e),
    };
    let revisions = match state.db.revisions(&d.id).await {
        Ok(r) => r,
        Err(e) => return internal_error(l, &e),
    };
    let latest = revisions.first();
    let job = match latest {
        Some(r) => match state.db.job_of(&r.id).await {
            Ok(j) => j,
            Err(e) => return internal_error(l, &e),
        },
        None => None,
    };
    let building = job
        .as_ref()
        .is_some_and(|j| j.state == "queued" || j.state == "running");
    let findings: Vec<Finding> = job
        .as_ref()
        .and_then(|j| serde_json::from_str(&j.diagnostics).ok())
        .unwrap_or_default();
    let built = job.as_ref().is_some_and(|j| j.state == "done")
        && latest
            .and_then(|r| revision_dir(state, &r.id))
            .is_some_and(|dir| dir.join("out/html/index.html").is_file());
    let body = html! {
        h1 { (d.title) }
        p { (d.organisation) " · " (stage_name(l, d.stage)) " · " code { (d.slug) } }
        @if let (Some(r), Some(j)) = (latest, &job) {
            h2 { (tf(l, M::RevisionN, &[("n", &r.number.to_string())])) }
            @match j.state.as_str() {
                "queued" => { p.notice role="status" { (t(l, M::BuildQueued)) } }
                "running" => { p.notice role="status" { (tf(l, M::BuildRunning, &[("step", &j.progress)])) } }
                "failed" => { p.notice role="alert" { (tf(l, M::BuildFailed, &[("why", &j.message)])) } }
                _ => {
                    p role="status" { (tf(l, M::BuildDone, &[("errors", &j.errors.to_string()), ("warnings", &j.warnings.to_string())])) }
                    @if !j.message.is_empty() { p.notice { (j.message) } }
                }
            }
            @if built {
                p {
                    a.button href={ "/staff/drafts/" (d.id) "/files/" (r.id) "/html/index.html" } { (t(l, M::ReadDraft)) }
                    " "
                    a href={ "/staff/drafts/" (d.id) "/files/" (r.id) "/" (d.slug) ".epub" } { (t(l, M::DownloadEpub)) }
                }
            }
            @if !findings.is_empty() {
                h2 { (t(l, M::Problems)) }
                ol.findings {
                    @for f in &findings {
                        li class=(f.severity) {
                            code { (f.file) ":" (f.line) ":" (f.column) } ": "
                            strong { (f.severity) } ": " (f.message)
                            @if let Some(src) = &f.source { pre { code { (src) } } }
                        }
                    }
                }
            }
        }
        h2 { (t(l, M::Revisions)) }
        ul {
            @for r in &revisions {
                li { (tf(l, M::RevisionN, &[("n", &r.number.to_string())])) " · " (r.author_email.as_deref().unwrap_or("-")) " · " (when(r.created_at)) " · " (r.origin) }
            }
        }
        @if latest.is_some() {
            p { a href={ "/staff/drafts/" (d.id) "/changes" } { (t(l, M::ChangesTitle)) } }
        }
        @if !events.is_empty() {
            h2 { (t(l, M::History)) }
            ol.history {
                @for e in &events {
                    li {
                        (when(e.created_at)) " · " (e.staff_email.as_deref().unwrap_or("-")) " " (event_text(l, &e.kind))
                        @if let Some(n) = e.revision_number { " (" (tf(l, M::RevisionN, &[("n", &n.to_string())])) ")" }
                        @if let (Some(f), Some(line)) = (&e.file, e.line) { " · " code { (f) ":" (line) } }
                        @if !e.body.is_empty() { blockquote { (e.body) } }
                    }
                }
            }
        }
        @if let Some(n) = notice { p.notice role="alert" { (n) } }
        @if may(Action::EditDraft) && latest.is_some() {
            p { a.button href={ "/staff/drafts/" (d.id) "/edit" } { (t(l, M::EditTitle)) } }
        }
        @if may(Action::SubmitDraft) && latest.is_some() {
            form method="post" action={ "/staff/drafts/" (d.id) "/submit" } {
                (csrf_field(&who.session))
                button type="submit" { (t(l, M::SubmitForReview)) }
            }
        }
        @if may(Action::ViewDraft) {
            form.staff-form method="post" action={ "/staff/drafts/" (d.id) "/review" } {
                (csrf_field(&who.session))
                label for="body" { (t(l, M::Comment)) }
                textarea #body name="body" rows="4" { (typed) }
                label for="file" { (t(l, M::ChapterOptional)) }
                input #file type="text" name="file" placeholder="src/chapter.md";
                label for="line" { (t(l, M::LineOptional)) }
                input #line type="number" name="line" min="1" inputmode="numeric";
                div.buttons {
                    button type="submit" name="decision" value="comment" { (t(l, M::CommentButton)) }
                    @if may(Action::ReviewDraft) {
                        " " button type="submit" name="decision" value="request_changes" { (t(l, M::RequestChanges)) }
                        " " button type="submit" name="decision" value="approve" { (t(l, M::Approve)) }
                    }
                }
            }
        }
        @if may(Action::Publish) {
            form.staff-form method="post" action={ "/staff/drafts/" (d.id) "/publish" } {
                (csrf_field(&who.session))
                label for="changelog" { (t(l, M::Changelog)) }
                input #changelog type="text" name="changelog" maxlength="300" required;
                button type="submit" { (t(l, M::PublishButton)) }
            }
        }
        p { a href="/staff/drafts" { (t(l, M::Drafts)) } }
    };
    let mut r = staff_page(&who.ui, status, &d.title, Some(&who.session), body);
    if building {
        // No script: the page reloads itself while the build runs.
        r.headers_mut()
            .insert("refresh", axum::http::HeaderValue::from_static("2"));
    }
    r
}

/// A file of a revision's build (its reader, images, EPUB), for those who may see the draft.
pub async fn file(
    State(state): State<Shared>,
    who: SignedIn,
    segs: Segs,
    headers: HeaderMap,
) -> Response {
    let (id, rev, rel) = match segs.0.as_slice() {
        [id, rev, rel] => (id.clone(), rev.clone(), rel.clone()),
        _ => return not_found(&who.ui),
    };
    let d = match draft_for(&state, &who, &id).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let belongs = match state.db.revisions(&d.id).await {
        Ok(revs) => revs.iter().any(|r| r.id == rev),
        Err(e) => return internal_error(who.ui.lang, &e),
    };
    let Some(dir) = revision_dir(&state, &rev).filter(|_| belongs) else {
        return not_found(&who.ui);
    };
    let Ok(path) = corpus::source::checked_join(&dir.join("out"), &rel) else {
        return not_found(&who.ui);
    };
    let Ok(bytes) = std::fs::read(&path) else {
        return not_found(&who.ui);
    };
    let download = rel
        .ends_with(".epub")
        .then(|| rel.rsplit('/').next().unwrap_or("book.epub").to_string());
    let etag = files::etag_of(&bytes);
    let mut r = files::serve_bytes(
        &headers,
        bytes,
        files::content_type(&rel),
        etag,
        Caching::Revalidate,
        download.as_deref(),
    );
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("private, no-store"),
    );
    r
}

/// A form of the draft page: the draft (if the person may see it) and the form's fields, or the
/// answer to give instead.
async fn draft_form(
    state: &Shared,
    who: &SignedIn,
    segs: &Segs,
    body: &[u8],
) -> Result<(DraftRow, Vec<(String, String)>), Response> {
    let id = segs.0.first().cloned().unwrap_or_default();
    let d = draft_for(state, who, &id).await?;
    let f = form_fields(body);
    if !who.csrf_ok(&f) {
        return Err(form_expired(&who.ui));
    }
    Ok((d, f))
}

fn decided(who: &SignedIn, d: &DraftRow, action: Action) -> Option<Response> {
    match policy::decide(&who.actor(), action, Some(&subject(d))) {
        Decision::Allow => None,
        Decision::Forbidden => Some(forbidden(&who.ui)),
        Decision::Hidden => Some(not_found(&who.ui)),
    }
}

pub async fn submit(
    State(state): State<Shared>,
    who: SignedIn,
    segs: Segs,
    body: Bytes,
) -> Response {
    let (d, _) = match draft_form(&state, &who, &segs, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if let Some(r) = decided(&who, &d, Action::SubmitDraft) {
        return r;
    }
    match review::submit(&state, &d, &who.session.staff).await {
        Ok(Step::Done) => redirect_to(&format!("/staff/drafts/{}", d.id)),
        Ok(_) => {
            render(
                &state,
                &who,
                &d,
                StatusCode::CONFLICT,
                Some(t(who.ui.lang, M::StaleAction)),
                "",
            )
            .await
        }
        Err(e) => internal_error(who.ui.lang, &e),
    }
}

pub async fn review_step(
    State(state): State<Shared>,
    who: SignedIn,
    segs: Segs,
    body: Bytes,
) -> Response {
    let l = who.ui.lang;
    let (d, f) = match draft_form(&state, &who, &segs, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let kind = field(&f, "decision").unwrap_or("comment");
    let action = if kind == "comment" {
        Action::ViewDraft
    } else {
        Action::ReviewDraft
    };
    if let Some(r) = decided(&who, &d, action) {
        return r;
    }
    let text: String = field(&f, "body")
        .unwrap_or("")
        .trim()
        .chars()
        .take(10_000)
        .collect();
    if text.is_empty() && kind != "approve" {
        return render(
            &state,
            &who,
            &d,
            StatusCode::BAD_REQUEST,
            Some(t(l, M::CommentRequired)),
            "",
        )
        .await;
    }
    let file: Option<String> = field(&f, "file")
        .map(|s| s.trim().chars().take(300).collect::<String>())
        .filter(|s| !s.is_empty());
    let line = field(&f, "line")
        .and_then(|s| s.trim().parse::<i64>().ok())
        .filter(|n| *n > 0);
    match review::review(
        &state,
        &d,
        &who.session.staff,
        kind,
        file.as_deref(),
        line,
        &text,
    )
    .await
    {
        Ok(Step::Done) => redirect_to(&format!("/staff/drafts/{}", d.id)),
        Ok(_) => {
            render(
                &state,
                &who,
                &d,
                StatusCode::CONFLICT,
                Some(t(l, M::StaleAction)),
                &text,
            )
            .await
        }
        Err(e) => internal_error(l, &e),
    }
}

pub async fn publish(
    State(state): State<Shared>,
    who: SignedIn,
    segs: Segs,
    body: Bytes,
) -> Response {
    let l = who.ui.lang;
    let (d, f) = match draft_form(&state, &who, &segs, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if let Some(r) = decided(&who, &d, Action::Publish) {
        return r;
    }
    let changelog: String = field(&f, "changelog")
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(300)
        .collect();
    if changelog.is_empty() {
        return render(
            &state,
            &who,
            &d,
            StatusCode::BAD_REQUEST,
            Some(t(l, M::ChangelogRequired)),
            "",
        )
        .await;
    }
    match review::publish_draft(&state, &d, &who.session.staff, &changelog).await {
        Ok(Step::Done) => redirect_to(&format!("/books/{}", d.slug)),
        Ok(Step::HasErrors) => {
            render(
                &state,
                &who,
                &d,
                StatusCode::CONFLICT,
                Some(t(l, M::HasErrors)),
                "",
            )
            .await
        }
        Ok(Step::Stale) => {
            render(
                &state,
                &who,
                &d,
                StatusCode::CONFLICT,
                Some(t(l, M::StaleAction)),
                "",
            )
            .await
        }
        Err(e) => internal_error(l, &e),
    }
}

/// What changed in the latest revision: since the published revision, else since the previous
/// one, chapter by chapter, with line numbers (the ones line comments refer to).
pub async fn changes(State(state): State<Shared>, who: SignedIn, segs: Segs) -> Response {
    let l = who.ui.lang;
    let id = segs.0.first().cloned().unwrap_or_default();
    let d = match draft_for(&state, &who, &id).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let revisions = match state.db.revisions(&d.id).await {
        Ok(r) => r,
        Err(e) => return internal_error(l, &e),
    };
    let (_, published) = state
        .db
        .draft_revisions_of_note(&d.id)
        .await
        .unwrap_or_default();
    let root_of = |rev: &str| revision_dir(&state, rev).and_then(|dir| find_book(&dir.join("src")));
    let Some(new) = revisions.first().and_then(|r| root_of(&r.id)) else {
        return not_found(&who.ui);
    };
    let (base, intro) = match published
        .as_deref()
        .filter(|p| Some(*p) != revisions.first().map(|r| r.id.as_str()))
    {
        Some(p) => (root_of(p), M::ChangesSincePublished),
        None => match revisions.get(1) {
            Some(prev) => (root_of(&prev.id), M::ChangesSincePrevious),
            None => (None, M::ChangesAllNew),
        },
    };
    let diff = tokio::task::spawn_blocking(move || review::changes(base.as_deref(), &new, 3))
        .await
        .unwrap_or_default();
    let body = html! {
        h1 { (t(l, M::ChangesTitle)) ": " (d.title) }
        p { (t(l, intro)) }
        @if diff.is_empty() { p { (t(l, M::NoChanges)) } }
        @for c in &diff {
            h2 { code { (c.file) } }
            div.table-wrap tabindex="0" role="region" aria-label=(c.file) {
                table.diff {
                    tbody {
                        @for (tag, old, new, text) in &c.lines {
                            tr class={ @match tag { '+' => "added", '-' => "removed", '…' => "gap", _ => "same" } } {
                                td.num { (old.map(|n| n.to_string()).unwrap_or_default()) }
                                td.num { (new.map(|n| n.to_string()).unwrap_or_default()) }
                                td.tag { (tag) }
                                td { code { (text) } }
                            }
                        }
                    }
                }
            }
        }
        p { a href={ "/staff/drafts/" (d.id) } { (d.title) } }
    };
    staff_page(
        &who.ui,
        StatusCode::OK,
        t(l, M::ChangesTitle),
        Some(&who.session),
        body,
    )
}
