//! What every staff page shares: the signed-in person (`SignedIn`, an extractor that sends anyone
//! else to the sign-in page), the session cookie (set only for staff: readers get none), CSRF
//! checks, form bodies, and the staff page frame written with maud (escaped by default).

use crate::accounts::policy::{self, Action, Actor, Decision};
use crate::accounts::secrets;
use crate::accounts::sessions::{self, Session};
use crate::library::state::{AppState, Shared};
use crate::web::i18n::{Lang, M, t, tf};
use crate::web::lang::Ui;
use crate::web::layout::{Page, layout};
use crate::web::respond::{html_response, internal_error, redirect_to};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use catalog::Role;
use maud::{Markup, html};

/// The staff session cookie. Readers never get it: it is set only by signing in.
pub const SESSION_COOKIE: &str = "kitep_session";

/// The value of a cookie in the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn secure(state: &AppState) -> &'static str {
    if state.config.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    }
}

/// `Set-Cookie` for a new session: HttpOnly, SameSite=Lax, Secure when the portal is served
/// over https; no Max-Age (the server ends sessions; the browser forgets it when closed).
pub fn session_cookie(state: &AppState, value: &str) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax{}",
        secure(state)
    ))
    .unwrap_or(HeaderValue::from_static("kitep_session=; Path=/"))
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_session_cookie(state: &AppState) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        secure(state)
    ))
    .unwrap_or(HeaderValue::from_static(
        "kitep_session=; Path=/; Max-Age=0",
    ))
}

/// A staff member with a live session, and the page's language.
pub struct SignedIn {
    pub session: Session,
    pub ui: Ui,
}

impl SignedIn {
    pub fn actor(&self) -> Actor<'_> {
        Actor {
            id: &self.session.staff.id,
            roles: &self.session.staff.roles,
            organisations: &self.session.staff.organisations,
        }
    }

    /// The refusal (403, or 404 for what the person may not know of) unless the person may do
    /// `action` (an action on no draft); `None` when they may.
    pub fn refusal(&self, action: Action) -> Option<Response> {
        match policy::decide(&self.actor(), action, None) {
            Decision::Allow => None,
            Decision::Forbidden => Some(forbidden(&self.ui)),
            Decision::Hidden => Some(crate::web::respond::not_found(&self.ui)),
        }
    }

    /// A submitted form's fields when it carries this session's CSRF token; otherwise the 403
    /// answer (and nothing is done).
    // The error is the answer a handler returns as it is; boxing it would only add a step.
    #[allow(clippy::result_large_err)]
    pub fn form(&self, body: &[u8]) -> Result<Vec<(String, String)>, Response> {
        let f = form_fields(body);
        if self.csrf_ok(&f) {
            Ok(f)
        } else {
            Err(form_expired(&self.ui))
        }
    }

    /// Whether a submitted form carries this session's CSRF token.
    pub fn csrf_ok(&self, form: &[(String, String)]) -> bool {
        field(form, "csrf")
            .is_some_and(|v| secrets::same(v.as_bytes(), self.session.csrf.as_bytes()))
    }
}

/// Paths a person with a one-time password may still open.
const ALLOWED_WITH_TEMPORARY_PASSWORD: [&str; 3] = [
    "/staff/password",
    "/staff/sign-out",
    "/staff/sign-out-everywhere",
];

impl FromRequestParts<Shared> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> Result<Self, Response> {
        let ui = Ui::from_request_parts(parts, state)
            .await
            .unwrap_or_else(|e| match e {});
        let path = parts.uri.path().to_string();
        let back = || {
            let next: String = form_urlencoded::byte_serialize(ui.here.as_bytes()).collect();
            redirect_to(&format!("/staff/sign-in?next={next}"))
        };
        let Some(value) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(back());
        };
        let session = match sessions::resolve(&state.db, value, catalog::now()).await {
            Ok(Some(s)) => s,
            Ok(None) => {
                // A cookie that names no live session: gone, and said so on the sign-in page.
                let mut r = redirect_to("/staff/sign-in?expired=1");
                r.headers_mut()
                    .insert(header::SET_COOKIE, clear_session_cookie(state));
                return Err(r);
            }
            Err(e) => return Err(internal_error(ui.lang, &e)),
        };
        if session.staff.password_temporary
            && !ALLOWED_WITH_TEMPORARY_PASSWORD.contains(&path.as_str())
        {
            return Err(redirect_to("/staff/password"));
        }
        Ok(SignedIn { session, ui })
    }
}

/// The fields of a form body (`application/x-www-form-urlencoded`).
pub fn form_fields(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .take(64)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The name of a role in the interface's language.
pub fn role_name(l: Lang, r: Role) -> &'static str {
    t(
        l,
        match r {
            Role::Author => M::RoleAuthor,
            Role::Reviewer => M::RoleReviewer,
            Role::Librarian => M::RoleLibrarian,
            Role::Admin => M::RoleAdmin,
        },
    )
}

/// A staff page: the portal's frame (not indexed, no header search), the signed-in person's bar
/// with sign-out, then `body`. Never cached: it shows one person's data.
pub fn staff_page(
    ui: &Ui,
    status: StatusCode,
    title: &str,
    who: Option<&Session>,
    body: Markup,
) -> Response {
    let l = ui.lang;
    let main = html! {
        @if let Some(s) = who {
            nav.staff-bar aria-label=(t(l, M::StaffArea)) {
                a href="/staff" { (t(l, M::StaffArea)) }
                " · "
                span { (tf(l, M::SignedInAs, &[("email", &s.staff.email)])) }
                form.inline method="post" action="/staff/sign-out" {
                    input type="hidden" name="csrf" value=(s.csrf);
                    button type="submit" { (t(l, M::SignOut)) }
                }
            }
        }
        (body)
    };
    let mut page = Page::new(title, main.into_string());
    page.noindex = true;
    page.header_search = false;
    let mut r = html_response(ui, status, layout(ui, page));
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.remove(header::ETAG);
    r
}

/// The hidden CSRF field of a signed-in person's form.
pub fn csrf_field(s: &Session) -> Markup {
    html! { input type="hidden" name="csrf" value=(s.csrf); }
}

pub fn forbidden(ui: &Ui) -> Response {
    let l = ui.lang;
    staff_page(
        ui,
        StatusCode::FORBIDDEN,
        t(l, M::ForbiddenTitle),
        None,
        html! { h1 { (t(l, M::ForbiddenTitle)) } p { (t(l, M::ForbiddenBody)) } p { a href="/staff" { (t(l, M::StaffArea)) } } },
    )
}

/// The answer to a form without a valid CSRF token: 403, and nothing done.
pub fn form_expired(ui: &Ui) -> Response {
    let l = ui.lang;
    staff_page(
        ui,
        StatusCode::FORBIDDEN,
        t(l, M::ForbiddenTitle),
        None,
        html! { h1 { (t(l, M::ForbiddenTitle)) } p { (t(l, M::FormExpired)) } },
    )
}

/// Where to go after signing in: a staff path of this portal only (never another site).
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if n.starts_with("/staff")
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control) =>
        {
            n
        }
        _ => "/staff",
    }
}

/// A catalog time (Unix seconds) as staff pages show it: `YYYY-MM-DD hh:mm:ss`, UTC.
pub fn when(at: i64) -> String {
    authoring::pipeline::format_utc(at.max(0) as u64)
        .replace('T', " ")
        .trim_end_matches('Z')
        .to_string()
}

/// The key that signs forms shown before sign-in (made at first use, shared by replicas).
pub async fn form_key(state: &AppState) -> anyhow::Result<String> {
    state
        .db
        .portal_key("form", || secrets::random_token().unwrap_or_default())
        .await
}

/// Why a new password is refused, in the interface's language.
pub fn weakness_text(l: Lang, w: crate::accounts::passwords::Weakness) -> String {
    use crate::accounts::passwords::{MAX_LENGTH, MIN_LENGTH, Weakness};
    match w {
        Weakness::TooShort => tf(l, M::PasswordTooShort, &[("min", &MIN_LENGTH.to_string())]),
        Weakness::TooLong => tf(l, M::PasswordTooLong, &[("max", &MAX_LENGTH.to_string())]),
        Weakness::Common => t(l, M::PasswordCommon).to_string(),
        Weakness::ContainsName => t(l, M::PasswordHasName).to_string(),
    }
}

/// Why an upload was refused, in the interface's language.
pub fn refused_text(l: Lang, r: &crate::workflow::upload::Refused) -> String {
    use crate::workflow::upload::Refused;
    let mb = |n: u64| (n / (1024 * 1024)).to_string();
    match r {
        Refused::NotZip => t(l, M::RefusedNotZip).to_string(),
        Refused::TooLarge { limit } => tf(l, M::RefusedTooLarge, &[("mb", &mb(*limit))]),
        Refused::Damaged(why) => tf(l, M::RefusedDamaged, &[("why", why)]),
        Refused::UnsafePath { name } => tf(l, M::RefusedUnsafePath, &[("name", name)]),
        Refused::Symlink { name } => tf(l, M::RefusedSymlink, &[("name", name)]),
        Refused::NestedArchive { name } => tf(l, M::RefusedNested, &[("name", name)]),
        Refused::NotUtf8 { name } => tf(l, M::RefusedNotUtf8, &[("name", name)]),
        Refused::TooManyFiles { limit } => {
            tf(l, M::RefusedTooManyFiles, &[("limit", &limit.to_string())])
        }
        Refused::TooMuchUnpacked { limit } => {
            tf(l, M::RefusedTooMuchUnpacked, &[("mb", &mb(*limit))])
        }
        Refused::Bomb { name } => tf(l, M::RefusedBomb, &[("name", name)]),
        Refused::NoBook => t(l, M::RefusedNoBook).to_string(),
    }
}

/// What went wrong with an upload, in the interface's language (the form and the API).
pub fn problem_text(l: Lang, p: &crate::workflow::drafts::UploadProblem) -> String {
    use crate::workflow::drafts::UploadProblem;
    match p {
        UploadProblem::Refused(r) => tf(l, M::UploadRefused, &[("why", &refused_text(l, r))]),
        UploadProblem::Book(d) => tf(l, M::UploadRefused, &[("why", d)]),
        UploadProblem::NoOrganisation | UploadProblem::NotYourOrganisation => {
            t(l, M::NoOrganisation).to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_refusals_speak_the_interface_language() {
        use crate::workflow::upload::Refused;
        let name = "../x".to_string();
        let unsafe_path = Refused::UnsafePath { name };
        assert!(refused_text(Lang::Ru, &Refused::NotZip).contains("не архив .zip"));
        assert!(refused_text(Lang::Ky, &unsafe_path).contains("«../x»"));
        assert!(
            refused_text(
                Lang::En,
                &Refused::TooLarge {
                    limit: 100 * 1024 * 1024
                }
            )
            .contains("100 MB")
        );
    }

    #[test]
    fn next_stays_on_staff_pages_of_this_portal() {
        assert_eq!(safe_next(Some("/staff/audit")), "/staff/audit");
        for bad in [
            "//evil.example/staff",
            "https://evil.example",
            "/books",
            "/staff\\@evil",
            "/staff\r\nSet-Cookie: x",
        ] {
            assert_eq!(safe_next(Some(bad)), "/staff", "{bad}");
        }
        assert_eq!(safe_next(None), "/staff");
    }
}
