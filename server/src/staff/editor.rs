//! The web editor, as plain forms: the project's files, a chapter or book.toml in a text box,
//! a new chapter, an image added or replaced. Each save is a new revision, built like an upload;
//! the draft's page then shows the build, its diagnostics and the rendered book. Two people
//! saving from the same revision: the second is told, and sees both texts.

use crate::accounts::policy::{self, Action, Decision, Subject};
use crate::library::state::Shared;
use crate::web::extract::Segs;
use crate::web::i18n::{Lang, M, t};
use crate::web::respond::{internal_error, not_found, redirect_to};
use crate::web::staff::{SignedIn, csrf_field, field, forbidden, form_expired, staff_page};
use crate::workflow::edit::{self, Change, Problem};
use crate::workflow::upload::tree;
use axum::body::Bytes;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use catalog::DraftRow;
use maud::{Markup, html};

/// The draft, if this person may edit it now.
async fn editable(state: &Shared, who: &SignedIn, id: &str) -> Result<DraftRow, Response> {
    let d = match state.db.draft(id).await {
        Ok(Some(d)) => d,
        Ok(None) => return Err(not_found(&who.ui)),
        Err(e) => return Err(internal_error(who.ui.lang, &e)),
    };
    let subject = Subject {
        organisation: &d.organisation,
        authors: &d.authors,
        stage: d.stage,
    };
    match policy::decide(&who.actor(), Action::EditDraft, Some(&subject)) {
        Decision::Allow => Ok(d),
        Decision::Forbidden => Err(forbidden(&who.ui)),
        Decision::Hidden => Err(not_found(&who.ui)),
    }
}

fn problem_text(l: Lang, p: &Problem) -> &'static str {
    t(
        l,
        match p {
            Problem::Conflict { .. } => M::EditConflict,
            Problem::BadPath => M::BadFilePath,
            Problem::NotAnImage => M::NotAnImage,
            Problem::TooLarge => M::FileTooLarge,
            Problem::Exists => M::ChapterExists,
            Problem::NoChapterList => M::NoChapterList,
            Problem::NoRevision => M::NoDrafts,
        },
    )
}

fn files_page(
    who: &SignedIn,
    d: &DraftRow,
    files: &[String],
    status: StatusCode,
    notice: Option<&str>,
) -> Response {
    let l = who.ui.lang;
    let s = &who.session;
    let body: Markup = html! {
        h1 { (t(l, M::EditTitle)) ": " (d.title) }
        @if let Some(n) = notice { p.notice role="alert" { (n) } }
        h2 { (t(l, M::ProjectFiles)) }
        ul.files {
            @for f in files {
                li {
                    @if edit::is_text(f) {
                        a href={ "/staff/drafts/" (d.id) "/edit/" (f) } { code { (f) } }
                    } @else {
                        code { (f) }
                    }
                }
            }
        }
        h2 { (t(l, M::AddChapter)) }
        form.staff-form method="post" action={ "/staff/drafts/" (d.id) "/chapter" } {
            (csrf_field(s))
            label for="title" { (t(l, M::ChapterTitle)) }
            input #title type="text" name="title" required;
            label for="name" { (t(l, M::ChapterFile)) }
            input #name type="text" name="name" placeholder="04-refraction.md" required;
            button type="submit" { (t(l, M::AddChapter)) }
        }
        h2 { (t(l, M::AddImage)) }
        form.staff-form method="post" action={ "/staff/drafts/" (d.id) "/image" } enctype="multipart/form-data" {
            (csrf_field(s))
            label for="path" { (t(l, M::ImagePath)) }
            input #path type="text" name="path" required;
            label for="image" { (t(l, M::File)) }
            input #image type="file" name="file" accept="image/*" required;
            button type="submit" { (t(l, M::Save)) }
        }
        p { a href={ "/staff/drafts/" (d.id) } { (d.title) } }
    };
    staff_page(&who.ui, status, t(l, M::EditTitle), Some(s), body)
}

async fn project_files(
    state: &Shared,
    d: &DraftRow,
) -> anyhow::Result<Option<(String, std::path::PathBuf, Vec<String>)>> {
    let Some((rev, root)) = edit::latest(state, d).await? else {
        return Ok(None);
    };
    let files = tree(&root)?.into_iter().map(|(rel, _)| rel).collect();
    Ok(Some((rev, root, files)))
}

pub async fn files(State(state): State<Shared>, who: SignedIn, segs: Segs) -> Response {
    let id = segs.0.first().cloned().unwrap_or_default();
    let d = match editable(&state, &who, &id).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    match project_files(&state, &d).await {
        Ok(Some((_, _, files))) => files_page(&who, &d, &files, StatusCode::OK, None),
        Ok(None) => not_found(&who.ui),
        Err(e) => internal_error(who.ui.lang, &e),
    }
}

/// The files page again, with what went wrong.
async fn refused(
    state: &Shared,
    who: &SignedIn,
    d: &DraftRow,
    status: StatusCode,
    text: &str,
) -> Response {
    let files = project_files(state, d)
        .await
        .ok()
        .flatten()
        .map(|x| x.2)
        .unwrap_or_default();
    files_page(who, d, &files, status, Some(text))
}

/// The text box; `theirs` is the newer revision's text after a conflict.
fn text_page(
    who: &SignedIn,
    d: &DraftRow,
    path: &str,
    base: &str,
    text: &str,
    theirs: Option<&str>,
    status: StatusCode,
) -> Response {
    let l = who.ui.lang;
    let body = html! {
        h1 { code { (path) } }
        @if theirs.is_some() { p.notice role="alert" { (t(l, M::EditConflict)) } }
        form.staff-form method="post" action={ "/staff/drafts/" (d.id) "/edit/" (path) } {
            (csrf_field(&who.session))
            input type="hidden" name="base" value=(base);
            label for="content" { (path) }
            textarea #content name="content" rows="24" spellcheck="true" { (text) }
            button type="submit" { (t(l, M::Save)) }
        }
        @if let Some(th) = theirs {
            h2 { (t(l, M::TheirVersion)) }
            pre.theirs { code { (th) } }
        }
        p { a href={ "/staff/drafts/" (d.id) "/edit" } { (t(l, M::ProjectFiles)) } }
    };
    staff_page(&who.ui, status, path, Some(&who.session), body)
}

pub async fn open(State(state): State<Shared>, who: SignedIn, segs: Segs) -> Response {
    let (id, path) = match segs.0.as_slice() {
        [id, path] => (id.clone(), path.clone()),
        _ => return not_found(&who.ui),
    };
    let d = match editable(&state, &who, &id).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let Ok(Some((rev, root, files))) = project_files(&state, &d).await else {
        return not_found(&who.ui);
    };
    if !files.contains(&path) || !edit::is_text(&path) {
        return not_found(&who.ui);
    }
    let text = std::fs::read(root.join(&path))
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    text_page(&who, &d, &path, &rev, &text, None, StatusCode::OK)
}

pub async fn save(State(state): State<Shared>, who: SignedIn, segs: Segs, body: Bytes) -> Response {
    let l = who.ui.lang;
    let (id, path) = match segs.0.as_slice() {
        [id, path] => (id.clone(), path.clone()),
        _ => return not_found(&who.ui),
    };
    let d = match editable(&state, &who, &id).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let f = match who.form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let base = field(&f, "base").unwrap_or("").to_string();
    let content = field(&f, "content").unwrap_or("").to_string();
    let change = Change::Text {
        path: path.clone(),
        content: content.clone(),
    };
    match edit::apply(&state, &d, &who.session.staff, &base, change).await {
        Ok(Ok(_)) => redirect_to(&format!("/staff/drafts/{}", d.id)),
        Ok(Err(Problem::Conflict { latest })) => {
            let theirs = edit::latest(&state, &d)
                .await
                .ok()
                .flatten()
                .and_then(|(_, root)| std::fs::read(root.join(&path)).ok())
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            text_page(
                &who,
                &d,
                &path,
                &latest,
                &content,
                Some(&theirs),
                StatusCode::CONFLICT,
            )
        }
        Ok(Err(p)) => {
            refused(
                &state,
                &who,
                &d,
                StatusCode::BAD_REQUEST,
                problem_text(l, &p),
            )
            .await
        }
        Err(e) => internal_error(l, &e),
    }
}

pub async fn add_chapter(
    State(state): State<Shared>,
    who: SignedIn,
    segs: Segs,
    body: Bytes,
) -> Response {
    let l = who.ui.lang;
    let id = segs.0.first().cloned().unwrap_or_default();
    let d = match editable(&state, &who, &id).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let f = match who.form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Ok(Some((base, _, _))) = project_files(&state, &d).await else {
        return not_found(&who.ui);
    };
    let change = Change::Chapter {
        name: field(&f, "name").unwrap_or("").to_string(),
        title: field(&f, "title").unwrap_or("").chars().take(200).collect(),
    };
    match edit::apply(&state, &d, &who.session.staff, &base, change).await {
        Ok(Ok(_)) => redirect_to(&format!("/staff/drafts/{}", d.id)),
        Ok(Err(p)) => {
            refused(
                &state,
                &who,
                &d,
                StatusCode::BAD_REQUEST,
                problem_text(l, &p),
            )
            .await
        }
        Err(e) => internal_error(l, &e),
    }
}

pub async fn add_image(
    State(state): State<Shared>,
    who: SignedIn,
    segs: Segs,
    mut form: Multipart,
) -> Response {
    let l = who.ui.lang;
    let id = segs.0.first().cloned().unwrap_or_default();
    let d = match editable(&state, &who, &id).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let mut fields = Vec::new();
    let mut bytes = None;
    while let Ok(Some(f)) = form.next_field().await {
        let name = f.name().unwrap_or("").to_string();
        if name == "file" {
            match f.bytes().await {
                Ok(b) if b.len() <= edit::MAX_FILE => bytes = Some(b.to_vec()),
                _ => {
                    return refused(
                        &state,
                        &who,
                        &d,
                        StatusCode::PAYLOAD_TOO_LARGE,
                        t(l, M::FileTooLarge),
                    )
                    .await;
                }
            }
        } else if fields.len() < 8 {
            fields.push((name, f.text().await.unwrap_or_default()));
        }
    }
    if !who.csrf_ok(&fields) {
        return form_expired(&who.ui);
    }
    let Ok(Some((base, _, files))) = project_files(&state, &d).await else {
        return not_found(&who.ui);
    };
    let change = Change::Image {
        path: field(&fields, "path").unwrap_or("").to_string(),
        bytes: bytes.unwrap_or_default(),
    };
    match edit::apply(&state, &d, &who.session.staff, &base, change).await {
        Ok(Ok(_)) => redirect_to(&format!("/staff/drafts/{}", d.id)),
        Ok(Err(p)) => files_page(
            &who,
            &d,
            &files,
            StatusCode::BAD_REQUEST,
            Some(problem_text(l, &p)),
        ),
        Err(e) => internal_error(l, &e),
    }
}
