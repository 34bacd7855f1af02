//! Staff sign-in, sessions and who may open which staff page, through the portal's router on a
//! real catalog (SQLite, and PostgreSQL where CI provides it), as a browser without JavaScript
//! would: forms, cookies, redirects.

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use catalog::Role;
use common::{PgDatabase, copy_dir, postgres_url};
use server::Config;
use server::library::state::Shared;
use std::time::Duration;
use tower::ServiceExt;

struct Portal {
    _dir: tempfile::TempDir,
    state: Shared,
    app: Router,
    _pg: Option<PgDatabase>,
}

/// A portal with an empty library (staff pages need no books).
async fn portal_on(pg: Option<PgDatabase>) -> Portal {
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("library");
    std::fs::create_dir(&library).unwrap();
    let database_url = match &pg {
        Some(p) => p.url.clone(),
        None => format!("sqlite://{}", dir.path().join("catalog.db").display()),
    };
    let config = Config {
        data_dir: dir.path().join("data"),
        addr: "127.0.0.1:0".into(),
        database_url,
        books: vec![library],
        public_url: "http://portal.test".into(),
        header_timeout: Duration::from_millis(800),
    };
    let state = server::open(config).await.expect("portal opens");
    let app = server::app::router(state.clone());
    Portal {
        _dir: dir,
        state,
        app,
        _pg: pg,
    }
}

async fn portal() -> Portal {
    portal_on(None).await
}

/// A test that runs on SQLite, and on PostgreSQL where `KITEP_TEST_POSTGRES_URL` names one (CI).
macro_rules! on_sqlite_and_postgres {
    ($name:ident, $body:ident) => {
        on_sqlite_and_postgres!($name, $body, portal_on);
    };
    ($name:ident, $body:ident, $make:ident) => {
        #[tokio::test]
        async fn $name() {
            $body($make(None).await).await;
            if let Some(admin) = postgres_url() {
                $body($make(Some(PgDatabase::create(&admin).await)).await).await;
            }
        }
    };
}

struct Resp {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Resp {
    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
    fn set_cookie(&self) -> Option<&str> {
        self.headers
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
    }
    /// The session id a successful sign-in set.
    fn session(&self) -> String {
        let c = self.set_cookie().expect("a Set-Cookie");
        c.strip_prefix("kitep_session=")
            .and_then(|v| v.split(';').next())
            .expect("the session cookie")
            .to_string()
    }
}

async fn send(app: &Router, req: Request<Body>) -> Resp {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    Resp {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

async fn get(app: &Router, uri: &str, session: Option<&str>) -> Resp {
    let mut b = Request::builder().uri(uri).header("accept-language", "en");
    if let Some(s) = session {
        b = b.header(header::COOKIE, format!("kitep_session={s}"));
    }
    send(app, b.body(Body::empty()).unwrap()).await
}

/// Percent-encoding written here, not the portal's.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn post(app: &Router, uri: &str, session: Option<&str>, fields: &[(&str, &str)]) -> Resp {
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect();
    let mut b = Request::builder()
        .method("POST")
        .uri(uri)
        .header("accept-language", "en")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(s) = session {
        b = b.header(header::COOKIE, format!("kitep_session={s}"));
    }
    send(app, b.body(Body::from(body.join("&"))).unwrap()).await
}

/// A hidden field's value in a page.
fn hidden(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no field {name} in {html}"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_string()
}

/// Signs in through the form; returns the response to the form's submission.
async fn sign_in(app: &Router, email: &str, password: &str, cookie: Option<&str>) -> Resp {
    let form = get(app, "/staff/sign-in", None).await;
    assert_eq!(form.status, StatusCode::OK);
    let token = hidden(&form.body, "form");
    post(
        app,
        "/staff/sign-in",
        cookie,
        &[
            ("form", &token),
            ("next", "/staff"),
            ("email", email),
            ("password", password),
        ],
    )
    .await
}

/// A staff member with a chosen password (not a one-time one), signed in: the session id.
async fn staff(p: &Portal, email: &str, roles: &[Role]) -> String {
    let added = server::accounts::add_user(&p.state.db, email, roles, "test")
        .await
        .unwrap();
    let hash = server::accounts::passwords::hash("тоо көлү жашыл").unwrap();
    p.state
        .db
        .set_password(&added.staff.id, &hash, false)
        .await
        .unwrap();
    let r = sign_in(&p.app, email, "тоо көлү жашыл", None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    r.session()
}

#[tokio::test]
async fn readers_get_no_cookie_and_staff_get_an_httponly_session_cookie() {
    let p = portal().await;
    for path in ["/", "/staff/sign-in", "/books", "/search?q=x", "/about"] {
        let r = get(&p.app, path, None).await;
        assert!(r.set_cookie().is_none(), "{path} sets a cookie");
    }
    // Staff pages send anyone not signed in to the sign-in page, coming back after.
    let r = get(&p.app, "/staff/audit", None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/staff/sign-in?next=%2Fstaff%2Faudit");
    let added = server::accounts::add_user(&p.state.db, "aigul@school.kg", &[Role::Admin], "test")
        .await
        .unwrap();
    let r = sign_in(&p.app, "aigul@school.kg", &added.one_time_password, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let cookie = r.set_cookie().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "http portal: {cookie}");
    // A one-time password must be replaced before anything else.
    assert_eq!(r.location(), "/staff/password");
    let s = r.session();
    let home = get(&p.app, "/staff", Some(&s)).await;
    assert_eq!(home.location(), "/staff/password");
    let page = get(&p.app, "/staff/password", Some(&s)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
    let csrf = hidden(&page.body, "csrf");
    let weak = post(
        &p.app,
        "/staff/password",
        Some(&s),
        &[
            ("csrf", &csrf),
            ("current", &added.one_time_password),
            ("new", "1234567890"),
            ("repeat", "1234567890"),
        ],
    )
    .await;
    assert_eq!(weak.status, StatusCode::BAD_REQUEST);
    assert!(weak.body.contains("guessed first"), "{}", weak.body);
    let ok = post(
        &p.app,
        "/staff/password",
        Some(&s),
        &[
            ("csrf", &csrf),
            ("current", &added.one_time_password),
            ("new", "тоо көлү жашыл"),
            ("repeat", "тоо көлү жашыл"),
        ],
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let home = get(&p.app, "/staff", Some(&s)).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Signed in as aigul@school.kg"));
    // The one-time password no longer opens the account; the new one does.
    let old = sign_in(&p.app, "aigul@school.kg", &added.one_time_password, None).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    let new = sign_in(&p.app, "aigul@school.kg", "тоо көлү жашыл", None).await;
    assert_eq!(new.location(), "/staff");
}

on_sqlite_and_postgres!(
    session_fixation_a_planted_id_is_never_the_signed_in_one,
    session_fixation_a_planted_id_is_never_the_signed_in_one_on
);

async fn session_fixation_a_planted_id_is_never_the_signed_in_one_on(p: Portal) {
    server::accounts::add_user(&p.state.db, "bolot@publisher.kg", &[Role::Author], "test")
        .await
        .unwrap();
    let planted = "a".repeat(52);
    let hash = server::accounts::passwords::hash("тоо көлү жашыл").unwrap();
    let id = p
        .state
        .db
        .staff_by_email("bolot@publisher.kg")
        .await
        .unwrap()
        .unwrap()
        .id;
    p.state.db.set_password(&id, &hash, false).await.unwrap();
    let r = sign_in(
        &p.app,
        "bolot@publisher.kg",
        "тоо көлү жашыл",
        Some(&planted),
    )
    .await;
    let s = r.session();
    assert_ne!(s, planted);
    assert_eq!(get(&p.app, "/staff", Some(&s)).await.status, StatusCode::OK);
    // The planted id opens nothing, and is cleared.
    let r = get(&p.app, "/staff", Some(&planted)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.set_cookie().unwrap().contains("Max-Age=0"));
    // Two sign-ins make two different sessions.
    let again = sign_in(&p.app, "bolot@publisher.kg", "тоо көлү жашыл", Some(&s))
        .await
        .session();
    assert_ne!(again, s);
    // Signing in again ended the session the browser sent.
    assert_eq!(
        get(&p.app, "/staff", Some(&s)).await.status,
        StatusCode::SEE_OTHER
    );
}

on_sqlite_and_postgres!(
    csrf_a_form_without_its_token_does_nothing,
    csrf_a_form_without_its_token_does_nothing_on
);

async fn csrf_a_form_without_its_token_does_nothing_on(p: Portal) {
    let s = staff(&p, "librarian@school.kg", &[Role::Librarian]).await;
    for fields in [vec![], vec![("csrf", "forged")]] {
        let r = post(&p.app, "/staff/sign-out", Some(&s), &fields).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("Reload the page"), "{}", r.body);
        // Still signed in.
        assert_eq!(get(&p.app, "/staff", Some(&s)).await.status, StatusCode::OK);
    }
    // The sign-in form's own token: forged or missing is refused before any password check.
    for token in ["", "1.forged", "99999999999.x"] {
        let r = post(
            &p.app,
            "/staff/sign-in",
            None,
            &[
                ("form", token),
                ("email", "librarian@school.kg"),
                ("password", "тоо көлү жашыл"),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{token}");
        assert!(r.set_cookie().is_none());
    }
    // With its token, sign-out works and the session is gone.
    let page = get(&p.app, "/staff", Some(&s)).await;
    let csrf = hidden(&page.body, "csrf");
    let r = post(&p.app, "/staff/sign-out", Some(&s), &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        get(&p.app, "/staff", Some(&s)).await.status,
        StatusCode::SEE_OTHER
    );
}

on_sqlite_and_postgres!(
    sign_in_is_throttled_per_account_not_per_address,
    sign_in_is_throttled_per_account_not_per_address_on
);

async fn sign_in_is_throttled_per_account_not_per_address_on(p: Portal) {
    staff(&p, "target@school.kg", &[Role::Author]).await;
    staff(&p, "colleague@school.kg", &[Role::Author]).await;
    for _ in 0..4 {
        let r = sign_in(&p.app, "target@school.kg", "wrong password!", None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.body.contains("Wrong address or password"));
    }
    let fifth = sign_in(&p.app, "target@school.kg", "wrong password!", None).await;
    assert_eq!(fifth.status, StatusCode::TOO_MANY_REQUESTS);
    // Locked: even the right password waits.
    let right = sign_in(&p.app, "target@school.kg", "тоо көлү жашыл", None).await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(right.body.contains("Try again in 1 min"), "{}", right.body);
    assert!(right.set_cookie().is_none());
    // The same school (every request here comes from one place) can still sign in others.
    let other = sign_in(&p.app, "colleague@school.kg", "тоо көлү жашыл", None).await;
    assert_eq!(other.status, StatusCode::SEE_OTHER);
    // An unknown address gets the same answer as a wrong password.
    let unknown = sign_in(&p.app, "nobody@school.kg", "тоо көлү жашыл", None).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert!(unknown.body.contains("Wrong address or password"));
}

on_sqlite_and_postgres!(
    expired_sessions_and_sign_out_everywhere_end_access,
    expired_sessions_and_sign_out_everywhere_end_access_on
);

async fn expired_sessions_and_sign_out_everywhere_end_access_on(p: Portal) {
    let a = staff(&p, "reviewer@school.kg", &[Role::Reviewer]).await;
    let b = sign_in(&p.app, "reviewer@school.kg", "тоо көлү жашыл", None)
        .await
        .session();
    // Idle too long: the session ends, and the sign-in page says why.
    let idle = catalog::now() - server::accounts::sessions::IDLE - 1;
    p.state
        .db
        .touch_session(&server::accounts::secrets::token_hash(&a), idle)
        .await
        .unwrap();
    let r = get(&p.app, "/staff", Some(&a)).await;
    assert_eq!(r.location(), "/staff/sign-in?expired=1");
    let page = get(&p.app, r.location(), None).await;
    assert!(page.body.contains("Your session has ended"));
    // Sign out everywhere from one device ends the others too.
    let c = sign_in(&p.app, "reviewer@school.kg", "тоо көлү жашыл", None)
        .await
        .session();
    let home = get(&p.app, "/staff", Some(&c)).await;
    let csrf = hidden(&home.body, "csrf");
    let r = post(
        &p.app,
        "/staff/sign-out-everywhere",
        Some(&c),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    for s in [&b, &c] {
        assert_eq!(
            get(&p.app, "/staff", Some(s)).await.status,
            StatusCode::SEE_OTHER
        );
    }
}

/// Every staff route × every role and anonymous → the status each gets.
async fn role_matrix(p: &Portal) {
    let mut sessions = vec![(None, None)];
    for role in Role::ALL {
        let s = staff(p, &format!("{}@school.kg", role.as_str()), &[role]).await;
        sessions.push((Some(role), Some(s)));
    }
    for (role, s) in &sessions {
        let s = s.as_deref();
        let signed_in = role.is_some();
        let expect = |ok: StatusCode| if signed_in { ok } else { StatusCode::SEE_OTHER };
        let admin_only = expect(if *role == Some(Role::Admin) {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        });
        let cases: [(&str, StatusCode); 5] = [
            ("/staff/people", admin_only),
            ("/staff/invite", admin_only),
            ("/staff", expect(StatusCode::OK)),
            ("/staff/password", expect(StatusCode::OK)),
            (
                "/staff/audit",
                expect(if *role == Some(Role::Admin) {
                    StatusCode::OK
                } else {
                    StatusCode::FORBIDDEN
                }),
            ),
        ];
        for (path, want) in cases {
            let r = get(&p.app, path, s).await;
            assert_eq!(r.status, want, "{role:?} GET {path}");
        }
        for path in [
            "/staff/sign-out",
            "/staff/sign-out-everywhere",
            "/staff/password",
        ] {
            // Without a CSRF token: refused for staff, sign-in for others; nothing happens.
            let r = post(&p.app, path, s, &[]).await;
            assert_eq!(
                r.status,
                expect(StatusCode::FORBIDDEN),
                "{role:?} POST {path}"
            );
        }
    }
    // The audit log shows the sign-ins, markup in names as text.
    let admin = sessions[4].1.as_deref();
    let log = get(&p.app, "/staff/audit", admin).await;
    assert!(log.body.contains("signin"));
}

#[tokio::test]
async fn role_matrix_on_sqlite_and_postgres() {
    role_matrix(&portal().await).await;
    if let Some(admin) = postgres_url() {
        let pg = PgDatabase::create(&admin).await;
        role_matrix(&portal_on(Some(pg)).await).await;
    }
}

#[tokio::test]
async fn markup_typed_into_the_sign_in_form_comes_back_as_text() {
    let p = portal().await;
    let r = sign_in(&p.app, "<script>alert(1)</script>@x.kg", "whatever", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(!r.body.contains("<script>alert(1)"));
    assert!(
        r.body
            .contains("&lt;script&gt;alert(1)&lt;/script&gt;@x.kg")
    );
}

#[tokio::test]
async fn public_pages_still_refuse_bodies_and_posts() {
    let p = portal().await;
    let r = post(&p.app, "/search", None, &[("q", "x")]).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
}

on_sqlite_and_postgres!(
    an_admin_invites_and_the_link_works_once,
    an_admin_invites_and_the_link_works_once_on
);

async fn an_admin_invites_and_the_link_works_once_on(p: Portal) {
    let admin = staff(&p, "admin@school.kg", &[Role::Admin]).await;
    let page = get(&p.app, "/staff/invite", Some(&admin)).await;
    let csrf = hidden(&page.body, "csrf");
    // No role chosen: said, nothing made.
    let r = post(
        &p.app,
        "/staff/invite",
        Some(&admin),
        &[("csrf", &csrf), ("email", "new@publisher.kg")],
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("Choose at least one role"));
    let r = post(
        &p.app,
        "/staff/invite",
        Some(&admin),
        &[
            ("csrf", &csrf),
            ("email", "New@Publisher.kg"),
            ("role", "author"),
            ("role", "reviewer"),
            ("organisation", "Publisher <b>A</b>"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let at = r
        .body
        .find("http://portal.test/staff/join/")
        .expect("the link is shown");
    let link = &r.body[at..];
    let link = &link[..link.find('<').unwrap()];
    let path = link.trim_start_matches("http://portal.test");
    // The person opens the link, without any cookie, and chooses a password.
    let join = get(&p.app, path, None).await;
    assert_eq!(join.status, StatusCode::OK);
    assert!(join.body.contains("new@publisher.kg"));
    let token = hidden(&join.body, "form");
    let weak = post(
        &p.app,
        path,
        None,
        &[
            ("form", &token),
            ("new", "qwerty12345"),
            ("repeat", "qwerty12345"),
        ],
    )
    .await;
    assert_eq!(weak.status, StatusCode::BAD_REQUEST);
    let ok = post(
        &p.app,
        path,
        None,
        &[
            ("form", &token),
            ("new", "тоо көлү жашыл"),
            ("repeat", "тоо көлү жашыл"),
        ],
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let s = ok.session();
    assert_eq!(get(&p.app, "/staff", Some(&s)).await.status, StatusCode::OK);
    let person = p
        .state
        .db
        .staff_by_email("new@publisher.kg")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(person.roles, vec![Role::Author, Role::Reviewer]);
    assert_eq!(person.organisations, vec!["Publisher <b>A</b>".to_string()]);
    // Once only: the same link again (a double submit, or someone who found it later).
    let again = post(
        &p.app,
        path,
        None,
        &[
            ("form", &token),
            ("new", "тоо көлү жашыл"),
            ("repeat", "тоо көлү жашыл"),
        ],
    )
    .await;
    assert_eq!(again.status, StatusCode::GONE);
    assert_eq!(get(&p.app, path, None).await.status, StatusCode::GONE);
    assert_eq!(
        get(&p.app, "/staff/join/nosuchinvitation", None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // The organisation's markup is text on the people page.
    let people = get(&p.app, "/staff/people", Some(&admin)).await;
    assert!(
        people.body.contains("Publisher &lt;b&gt;A&lt;/b&gt;"),
        "{}",
        people.body
    );
}

on_sqlite_and_postgres!(
    an_admin_sets_roles_disables_and_resets_but_cannot_lock_themselves_out,
    an_admin_sets_roles_disables_and_resets_but_cannot_lock_themselves_out_on
);

async fn an_admin_sets_roles_disables_and_resets_but_cannot_lock_themselves_out_on(p: Portal) {
    let admin = staff(&p, "admin@school.kg", &[Role::Admin]).await;
    let author = staff(&p, "author@publisher.kg", &[Role::Author]).await;
    let admin_id = p
        .state
        .db
        .staff_by_email("admin@school.kg")
        .await
        .unwrap()
        .unwrap()
        .id;
    let author_id = p
        .state
        .db
        .staff_by_email("author@publisher.kg")
        .await
        .unwrap()
        .unwrap()
        .id;
    let page = get(&p.app, &format!("/staff/people/{author_id}"), Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = hidden(&page.body, "csrf");
    let r = post(
        &p.app,
        &format!("/staff/people/{author_id}"),
        Some(&admin),
        &[
            ("csrf", &csrf),
            ("role", "author"),
            ("role", "librarian"),
            ("organisations", "Publisher A, School 5"),
            ("disabled", "1"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let person = p.state.db.staff_by_id(&author_id).await.unwrap().unwrap();
    assert_eq!(person.roles, vec![Role::Author, Role::Librarian]);
    assert_eq!(
        person.organisations,
        vec!["Publisher A".to_string(), "School 5".to_string()]
    );
    assert!(person.disabled);
    // Disabled: the open session is gone, and signing in says why.
    assert_eq!(
        get(&p.app, "/staff", Some(&author)).await.status,
        StatusCode::SEE_OTHER
    );
    let r = sign_in(&p.app, "author@publisher.kg", "тоо көлү жашыл", None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("disabled"));
    // A new one-time password, shown once to the admin.
    let r = post(
        &p.app,
        &format!("/staff/people/{author_id}/password"),
        Some(&admin),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("One-time password for author@publisher.kg"));
    // The admin's own page: dropping their admin role or disabling themselves does not stick.
    let r = post(
        &p.app,
        &format!("/staff/people/{admin_id}"),
        Some(&admin),
        &[("csrf", &csrf), ("role", "author"), ("disabled", "1")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let me = p.state.db.staff_by_id(&admin_id).await.unwrap().unwrap();
    assert!(me.roles.contains(&Role::Admin) && !me.disabled);
    assert_eq!(
        get(&p.app, "/staff/people", Some(&admin)).await.status,
        StatusCode::OK
    );
    // Every change is in the audit log.
    let log = p.state.db.audit_log(50).await.unwrap();
    assert!(
        log.iter()
            .any(|e| e.action == "staff.update" && e.target == "author@publisher.kg")
    );
    assert!(
        log.iter()
            .any(|e| e.action == "staff.reset_password" && e.target == "author@publisher.kg")
    );
}

/// A multipart form body written here: the CSRF token, the organisation, and a file.
async fn upload(p: &Portal, session: &str, organisation: &str, zip: &[u8]) -> Resp {
    let page = get(&p.app, "/staff/drafts", Some(session)).await;
    let csrf = hidden(&page.body, "csrf");
    let boundary = "kitepBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in [("csrf", csrf.as_str()), ("organisation", organisation)] {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"book.zip\"\r\nContent-Type: application/zip\r\n\r\n").as_bytes());
    body.extend(zip);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    let req = Request::builder()
        .method("POST")
        .uri("/staff/drafts")
        .header("accept-language", "en")
        .header(header::COOKIE, format!("kitep_session={session}"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap();
    send(&p.app, req).await
}

/// A book project as a .zip: one chapter with a unique word and a missing image.
fn draft_zip(word: &str) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    w.start_file("draft-book/book.toml", opts).unwrap();
    std::io::Write::write_all(
        &mut w,
        b"[book]\ntitle = \"Draft physics\"\nlanguage = \"ky\"\nchapters = [\"light.md\"]\n",
    )
    .unwrap();
    w.start_file("draft-book/src/light.md", opts).unwrap();
    std::io::Write::write_all(
        &mut w,
        format!("# Жарык\n\nЖарык {word} тез тарайт.\n\n![Призма](img/prism.png)\n").as_bytes(),
    )
    .unwrap();
    w.finish().unwrap().into_inner()
}

/// Waits for the draft's latest build to end; returns its page.
async fn built_draft_page(p: &Portal, session: &str, path: &str) -> Resp {
    for _ in 0..300 {
        let page = get(&p.app, path, Some(session)).await;
        if !page.headers.contains_key("refresh") {
            return page;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the build did not end within 30 s");
}

on_sqlite_and_postgres!(
    an_author_uploads_a_draft_and_sees_its_errors_with_the_offending_line,
    an_author_uploads_a_draft_and_sees_its_errors_with_the_offending_line_on
);

async fn an_author_uploads_a_draft_and_sees_its_errors_with_the_offending_line_on(p: Portal) {
    let admin = staff(&p, "admin@school.kg", &[Role::Admin]).await;
    let _ = admin;
    let author = staff(&p, "author@publisher.kg", &[Role::Author]).await;
    let other = staff(&p, "rival@other.kg", &[Role::Author]).await;
    for (email, org) in [
        ("author@publisher.kg", "Publisher A"),
        ("rival@other.kg", "Publisher B"),
    ] {
        let s = p.state.db.staff_by_email(email).await.unwrap().unwrap();
        p.state
            .db
            .update_staff(
                &s.id,
                &[Role::Author],
                &[org.to_string()],
                false,
                &s.id,
                "test",
            )
            .await
            .unwrap();
    }
    // Not a zip: said, nothing stored.
    let r = upload(&p, &author, "Publisher A", b"%PDF-1.7").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("not a .zip archive"), "{}", r.body);
    assert!(p.state.db.drafts().await.unwrap().is_empty());
    // Another organisation's name in the form: refused.
    let r = upload(&p, &author, "Publisher B", &draft_zip("x")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let word = "кызылкөкжашылдык";
    let r = upload(&p, &author, "Publisher A", &draft_zip(word)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let path = r.location().to_string();
    assert!(path.starts_with("/staff/drafts/"), "{path}");
    let page = built_draft_page(&p, &author, &path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Built: 1 errors"), "{}", page.body);
    // The error names file:line:col and shows the line.
    assert!(page.body.contains("src/light.md:5:1"), "{}", page.body);
    assert!(
        page.body.contains("![Призма](img/prism.png)"),
        "{}",
        page.body
    );
    // The draft reads in its reader (with the placeholder for the missing image), and its EPUB downloads.
    let at = page.body.find("/files/").unwrap();
    let start = page.body[..at].rfind('"').unwrap() + 1;
    let read = &page.body[start..start + page.body[start..].find('"').unwrap()];
    let chapter = get(
        &p.app,
        &read.replace("index.html", "light.html"),
        Some(&author),
    )
    .await;
    assert_eq!(chapter.status, StatusCode::OK, "{read}");
    assert!(chapter.body.contains(word));
    // Another organisation's author, and anyone not signed in, do not learn it exists.
    assert_eq!(
        get(&p.app, &path, Some(&other)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&p.app, read, Some(&other)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(get(&p.app, read, None).await.status, StatusCode::SEE_OTHER);
    let list = get(&p.app, "/staff/drafts", Some(&other)).await;
    assert!(!list.body.contains("Draft physics"));
    // Readers find nothing of it anywhere: no page of its own either.
    let slug = p.state.db.drafts().await.unwrap()[0].slug.clone();
    for page in [
        format!("/books/{slug}"),
        format!("/read/{slug}"),
        format!("/api/books/{slug}"),
    ] {
        assert_eq!(
            get(&p.app, &page, None).await.status,
            StatusCode::NOT_FOUND,
            "{page}"
        );
    }
    for public in [
        format!("/search?q={}", enc(word)),
        format!("/api/search?q={}", enc(word)),
        format!("/api/suggest?q={}", enc(&word[..8])),
        "/books".to_string(),
        "/sitemap.xml".to_string(),
        "/opds/v2/publications".to_string(),
        "/api/books".to_string(),
    ] {
        let r = get(&p.app, &public, None).await;
        // A search page repeats the query; it must not show the draft's text or title.
        let echoed = public.contains("q=") && !public.contains("suggest");
        assert!(
            (echoed || !r.body.contains(word))
                && !r.body.contains("тез тарайт")
                && !r.body.contains("Draft physics"),
            "{public} shows the draft: {}",
            r.body
        );
    }
}

/// A clean one-chapter book project as a .zip, whose chapter's third line is `sentence`.
fn book_zip(sentence: &str) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    w.start_file("optics/book.toml", opts).unwrap();
    std::io::Write::write_all(
        &mut w,
        b"[book]\ntitle = \"Optics for grade 8\"\nlanguage = \"ky\"\nchapters = [\"light.md\"]\n",
    )
    .unwrap();
    w.start_file("optics/src/light.md", opts).unwrap();
    std::io::Write::write_all(&mut w, format!("# Жарык\n\n{sentence}\n").as_bytes()).unwrap();
    w.finish().unwrap().into_inner()
}

async fn form_post(
    p: &Portal,
    session: &str,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> Resp {
    let page = get(&p.app, page, Some(session)).await;
    let csrf = hidden(&page.body, "csrf");
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    post(&p.app, action, Some(session), &all).await
}

async fn set_orgs(p: &Portal, email: &str, roles: &[Role], orgs: &[&str]) {
    let s = p.state.db.staff_by_email(email).await.unwrap().unwrap();
    let orgs: Vec<String> = orgs.iter().map(|o| o.to_string()).collect();
    p.state
        .db
        .update_staff(&s.id, roles, &orgs, false, &s.id, "test")
        .await
        .unwrap();
}

on_sqlite_and_postgres!(
    a_draft_goes_through_review_to_readers_and_is_withdrawn,
    a_draft_goes_through_review_to_readers_and_is_withdrawn_on
);

async fn a_draft_goes_through_review_to_readers_and_is_withdrawn_on(p: Portal) {
    let author = staff(&p, "author@publisher.kg", &[Role::Author]).await;
    let reviewer = staff(&p, "reviewer@ministry.kg", &[Role::Reviewer]).await;
    let librarian = staff(&p, "librarian@school.kg", &[Role::Librarian]).await;
    set_orgs(&p, "author@publisher.kg", &[Role::Author], &["Publisher A"]).await;
    set_orgs(&p, "reviewer@ministry.kg", &[Role::Reviewer], &["Ministry"]).await;
    let first = "Жарык бир секундада үч жүз миң чакырым жол басат.";
    let r = upload(&p, &author, "Publisher A", &book_zip(first)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let draft = r.location().to_string();
    let page = built_draft_page(&p, &author, &draft).await;
    assert!(page.body.contains("Built: 0 errors"), "{}", page.body);
    // Reviewers do not see work in progress.
    assert_eq!(
        get(&p.app, &draft, Some(&reviewer)).await.status,
        StatusCode::NOT_FOUND
    );
    let r = form_post(&p, &author, &draft, &format!("{draft}/submit"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // The author cannot approve their own draft.
    let r = form_post(
        &p,
        &author,
        &draft,
        &format!("{draft}/review"),
        &[("decision", "approve"), ("body", "ok")],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The reviewer asks for changes, on a line.
    let r = form_post(
        &p,
        &reviewer,
        &draft,
        &format!("{draft}/review"),
        &[
            ("decision", "request_changes"),
            ("file", "src/light.md"),
            ("line", "3"),
            ("body", "Ылдамдыкты так жазыңыз: 299 792 км/с."),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = get(&p.app, &draft, Some(&author)).await;
    assert!(page.body.contains("src/light.md:3"), "{}", page.body);
    assert!(page.body.contains("299 792 км/с"));
    // The author revises (a second upload) and the reviewer sees what changed.
    let second = "Жарык бир секундада 299 792 чакырым жол басат.";
    let r = upload(&p, &author, "Publisher A", &book_zip(second)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    built_draft_page(&p, &author, &draft).await;
    let r = form_post(&p, &author, &draft, &format!("{draft}/submit"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let changes = get(&p.app, &format!("{draft}/changes"), Some(&reviewer)).await;
    assert_eq!(changes.status, StatusCode::OK);
    assert!(changes.body.contains("src/light.md"));
    assert!(
        changes.body.contains(second) && changes.body.contains(first),
        "{}",
        changes.body
    );
    let r = form_post(
        &p,
        &reviewer,
        &draft,
        &format!("{draft}/review"),
        &[("decision", "approve"), ("body", "Туура.")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // A second approval (a double submit) changes nothing, and keeps the text typed.
    let r = form_post(
        &p,
        &reviewer,
        &draft,
        &format!("{draft}/review"),
        &[("decision", "approve"), ("body", "Кайра.")],
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "approving is over once approved"
    );
    // Authors cannot publish; the librarian can, with a changelog.
    let r = form_post(
        &p,
        &author,
        &draft,
        &format!("{draft}/publish"),
        &[("changelog", "x")],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = form_post(
        &p,
        &librarian,
        &draft,
        &format!("{draft}/publish"),
        &[("changelog", "Жарыктын ылдамдыгы тактаган")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let book = r.location().to_string();
    // A reader without any cookie finds the new sentence and reads the book.
    let found = get(
        &p.app,
        &format!("/search?q={}", enc("299 792 чакырым")),
        None,
    )
    .await;
    assert!(found.body.contains("Optics for grade 8"), "{}", found.body);
    let page = get(&p.app, &book, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Жарыктын ылдамдыгы тактаган"),
        "the changelog is on the book page"
    );
    // Withdrawn: gone from search, the page says why (410), the API too; restored: back.
    let r = form_post(
        &p,
        &librarian,
        "/staff/books",
        &format!(
            "/staff/books/{}/withdraw",
            book.trim_start_matches("/books/")
        ),
        &[("reason", "Авторлук укук талашы")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let found = get(
        &p.app,
        &format!("/search?q={}", enc("299 792 чакырым")),
        None,
    )
    .await;
    assert!(!found.body.contains("Optics for grade 8"));
    let gone = get(&p.app, &book, None).await;
    assert_eq!(gone.status, StatusCode::GONE);
    assert!(gone.body.contains("Авторлук укук талашы"));
    let api = get(&p.app, &book.replace("/books/", "/api/books/"), None).await;
    assert_eq!(api.status, StatusCode::GONE);
    for feed in ["/sitemap.xml", "/opds/v2/publications", "/api/books"] {
        assert!(
            !get(&p.app, feed, None)
                .await
                .body
                .contains("Optics for grade 8"),
            "{feed}"
        );
    }
    let r = form_post(
        &p,
        &librarian,
        "/staff/books",
        &format!(
            "/staff/books/{}/restore",
            book.trim_start_matches("/books/")
        ),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(get(&p.app, &book, None).await.status, StatusCode::OK);
    let found = get(
        &p.app,
        &format!("/search?q={}", enc("299 792 чакырым")),
        None,
    )
    .await;
    assert!(found.body.contains("Optics for grade 8"));
}

/// A tiny PNG (1 × 1, grey), written here.
fn tiny_png() -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, 1, 1);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().unwrap();
        w.write_image_data(&[128]).unwrap();
    }
    out
}

on_sqlite_and_postgres!(
    the_web_editor_fixes_a_draft_and_says_when_someone_else_saved_first,
    the_web_editor_fixes_a_draft_and_says_when_someone_else_saved_first_on
);

async fn the_web_editor_fixes_a_draft_and_says_when_someone_else_saved_first_on(p: Portal) {
    let author = staff(&p, "author@publisher.kg", &[Role::Author]).await;
    let colleague = staff(&p, "colleague@publisher.kg", &[Role::Author]).await;
    let reviewer = staff(&p, "reviewer@ministry.kg", &[Role::Reviewer]).await;
    set_orgs(&p, "author@publisher.kg", &[Role::Author], &["Publisher A"]).await;
    set_orgs(
        &p,
        "colleague@publisher.kg",
        &[Role::Author],
        &["Publisher A"],
    )
    .await;
    let r = upload(&p, &author, "Publisher A", &draft_zip("оптика")).await;
    let draft = r.location().to_string();
    let page = built_draft_page(&p, &author, &draft).await;
    assert!(page.body.contains("Built: 1 errors"), "{}", page.body);
    // Only the organisation's authors edit; a reviewer does not see the draft at all yet.
    assert_eq!(
        get(&p.app, &format!("{draft}/edit"), Some(&reviewer))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let files = get(&p.app, &format!("{draft}/edit"), Some(&author)).await;
    assert_eq!(files.status, StatusCode::OK);
    assert!(
        files.body.contains("src/light.md") && files.body.contains("book.toml"),
        "{}",
        files.body
    );
    let edit_url = format!("{draft}/edit/src/light.md");
    let mine = get(&p.app, &edit_url, Some(&author)).await;
    let theirs = get(&p.app, &edit_url, Some(&colleague)).await;
    assert!(mine.body.contains("![Призма](img/prism.png)"));
    // The author replaces the missing image by text; a long paragraph (over the small-form
    // limit, as Cyrillic is six bytes per letter once URL-encoded) goes through.
    let long = "Жарык сынат. ".repeat(3000);
    let fixed = format!("# Жарык\n\nЖарык оптика тез тарайт.\n\n{long}\n");
    let r = post(
        &p.app,
        &edit_url,
        Some(&author),
        &[
            ("csrf", &hidden(&mine.body, "csrf")),
            ("base", &hidden(&mine.body, "base")),
            ("content", &fixed),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = built_draft_page(&p, &author, &draft).await;
    assert!(page.body.contains("Built: 0 errors"), "{}", page.body);
    assert!(page.body.contains("Revision 2"));
    // The colleague saves from the revision they opened: told, and shown both texts.
    let their_text = "# Жарык\n\nБашка текст.\n";
    let r = post(
        &p.app,
        &edit_url,
        Some(&colleague),
        &[
            ("csrf", &hidden(&theirs.body, "csrf")),
            ("base", &hidden(&theirs.body, "base")),
            ("content", their_text),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("Someone else changed this draft"));
    assert!(
        r.body.contains("Башка текст.") && r.body.contains("Жарык оптика тез тарайт."),
        "both texts are on the page"
    );
    // A new chapter, listed in book.toml, and an image.
    let files = get(&p.app, &format!("{draft}/edit"), Some(&author)).await;
    let r = post(
        &p.app,
        &format!("{draft}/chapter"),
        Some(&author),
        &[
            ("csrf", &hidden(&files.body, "csrf")),
            ("title", "Линзалар"),
            ("name", "lenses.md"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = built_draft_page(&p, &author, &draft).await;
    assert!(page.body.contains("Built: 0 errors"), "{}", page.body);
    let toml = get(&p.app, &format!("{draft}/edit/book.toml"), Some(&author)).await;
    assert!(
        toml.body.contains("&quot;lenses.md&quot;") || toml.body.contains("\"lenses.md\""),
        "{}",
        toml.body
    );
    let files = get(&p.app, &format!("{draft}/edit"), Some(&author)).await;
    let boundary = "kitepImageBoundary";
    let mut body = Vec::new();
    for (name, value) in [
        ("csrf", hidden(&files.body, "csrf")),
        ("path", "src/img/prism.png".to_string()),
    ] {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"prism.png\"\r\nContent-Type: image/png\r\n\r\n").as_bytes());
    body.extend(tiny_png());
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    let req = Request::builder()
        .method("POST")
        .uri(format!("{draft}/image"))
        .header("accept-language", "en")
        .header(header::COOKIE, format!("kitep_session={author}"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap();
    let r = send(&p.app, req).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let files = get(&p.app, &format!("{draft}/edit"), Some(&author)).await;
    assert!(files.body.contains("src/img/prism.png"));
    // Paths out of the project are refused.
    let bad = get(
        &p.app,
        &format!("{draft}/edit/..%2F..%2Fetc%2Fpasswd"),
        Some(&author),
    )
    .await;
    assert_eq!(bad.status, StatusCode::NOT_FOUND);
}

/// A portal with one sample book published at start.
async fn portal_with_a_book(pg: Option<PgDatabase>) -> Portal {
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("library");
    let from = corpus::sample_books_dir().join("water-cycle-en");
    copy_dir(&from, &library.join("water-cycle-en"));
    let config = Config {
        data_dir: dir.path().join("data"),
        addr: "127.0.0.1:0".into(),
        database_url: match &pg {
            Some(p) => p.url.clone(),
            None => format!("sqlite://{}", dir.path().join("catalog.db").display()),
        },
        books: vec![library],
        public_url: "http://portal.test".into(),
        header_timeout: Duration::from_millis(800),
    };
    let state = server::open(config).await.expect("portal opens");
    let app = server::app::router(state.clone());
    Portal {
        _dir: dir,
        state,
        app,
        _pg: pg,
    }
}

on_sqlite_and_postgres!(
    librarians_curate_collections_that_readers_see_at_once,
    librarians_curate_collections_that_readers_see_at_once_on,
    portal_with_a_book
);

async fn librarians_curate_collections_that_readers_see_at_once_on(p: Portal) {
    let librarian = staff(&p, "librarian@school.kg", &[Role::Librarian]).await;
    let author = staff(&p, "author@publisher.kg", &[Role::Author]).await;
    assert_eq!(
        get(&p.app, "/staff/collections", Some(&author))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = form_post(
        &p,
        &librarian,
        "/staff/collections",
        "/staff/collections",
        &[("slug", "Bad Slug"), ("title-en", "x")],
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = form_post(
        &p,
        &librarian,
        "/staff/collections",
        "/staff/collections",
        &[
            ("slug", "nature"),
            ("title-ky", "Табият <b>китептери</b>"),
            ("title-en", "Nature"),
            ("description-en", "Water, weather, seasons."),
            ("featured", "1"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = form_post(
        &p,
        &librarian,
        "/staff/collections/nature",
        "/staff/collections/nature/add",
        &[("book", "water-cycle-en")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = form_post(
        &p,
        &librarian,
        "/staff/collections",
        "/staff/collections",
        &[("slug", "unfeatured"), ("title-en", "Hidden from home")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // The home page features the featured one; the collection filters search and the API.
    let home = get(&p.app, "/", None).await;
    assert!(home.body.contains("/collections/nature"), "{}", home.body);
    assert!(!home.body.contains("Hidden from home"));
    let ky = send(
        &p.app,
        Request::builder()
            .uri("/")
            .header("accept-language", "ky")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(
        ky.body.contains("Табият &lt;b&gt;китептери&lt;/b&gt;"),
        "markup in a title is text"
    );
    let api = get(&p.app, "/api/books?collection=nature", None).await;
    assert!(api.body.contains("water-cycle-en"), "{}", api.body);
    // Removed from it: the filter follows.
    let r = form_post(
        &p,
        &librarian,
        "/staff/collections/nature",
        "/staff/collections/nature/remove",
        &[("book", "water-cycle-en")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        !get(&p.app, "/api/books?collection=nature", None)
            .await
            .body
            .contains("water-cycle-en")
    );
    // Ordered and deleted.
    let r = form_post(
        &p,
        &librarian,
        "/staff/collections",
        "/staff/collections/unfeatured/move-up",
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let cols = p.state.db.collections().await.unwrap();
    assert_eq!(cols.first().map(|c| c.slug.as_str()), Some("unfeatured"));
    let r = form_post(
        &p,
        &librarian,
        "/staff/collections",
        "/staff/collections/unfeatured/delete",
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        get(&p.app, "/collections/unfeatured", None).await.status,
        StatusCode::NOT_FOUND
    );
}

on_sqlite_and_postgres!(
    staff_create_and_revoke_their_own_api_tokens_in_the_portal,
    staff_create_and_revoke_their_own_api_tokens_in_the_portal_on
);

async fn staff_create_and_revoke_their_own_api_tokens_in_the_portal_on(p: Portal) {
    let author = staff(&p, "author@publisher.kg", &[Role::Author]).await;
    let other = staff(&p, "other@publisher.kg", &[Role::Author]).await;
    let r = form_post(
        &p,
        &author,
        "/staff/tokens",
        "/staff/tokens",
        &[("name", "CI <script>")],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("CI &lt;script&gt;"));
    let at = r.body.find("kitep_").expect("the token is shown once");
    let token: String = r.body[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let owner = server::accounts::token_owner(&p.state.db, &token)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(owner.staff.email, "author@publisher.kg");
    // Another person cannot revoke it; its owner can.
    let revoke = format!("/staff/tokens/{}/revoke", owner.token_id);
    assert_eq!(
        form_post(&p, &other, "/staff/tokens", &revoke, &[])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert!(
        server::accounts::token_owner(&p.state.db, &token)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        form_post(&p, &author, "/staff/tokens", &revoke, &[])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert!(
        server::accounts::token_owner(&p.state.db, &token)
            .await
            .unwrap()
            .is_none()
    );
    let page = get(&p.app, "/staff/tokens", Some(&author)).await;
    assert!(page.body.contains("Revoked"));
    assert!(!page.body.contains(&token), "a token is never shown again");
}

on_sqlite_and_postgres!(
    a_restart_with_the_books_folder_keeps_the_version_published_from_the_portal,
    a_restart_with_the_books_folder_keeps_the_version_published_from_the_portal_on,
    portal_with_a_book
);

async fn a_restart_with_the_books_folder_keeps_the_version_published_from_the_portal_on(p: Portal) {
    let author = staff(&p, "author@publisher.kg", &[Role::Author]).await;
    let librarian = staff(&p, "librarian@school.kg", &[Role::Librarian]).await;
    set_orgs(&p, "author@publisher.kg", &[Role::Author], &["Publisher A"]).await;
    // The folder's book, with one more sentence, as a draft of the same edition.
    let folder = p._dir.path().join("library/water-cycle-en");
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    let mut added = false;
    let mut files: Vec<_> = walk(&folder);
    files.sort();
    for f in files {
        let rel = f
            .strip_prefix(&folder)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let mut bytes = std::fs::read(&f).unwrap();
        if !added && rel.ends_with(".md") && !rel.ends_with("SUMMARY.md") {
            bytes.extend(b"\n\nThe quillwort grows by the lake.\n");
            added = true;
        }
        w.start_file(format!("water-cycle-en/{rel}"), opts).unwrap();
        std::io::Write::write_all(&mut w, &bytes).unwrap();
    }
    let r = upload(
        &p,
        &author,
        "Publisher A",
        &w.finish().unwrap().into_inner(),
    )
    .await;
    let draft = r.location().to_string();
    built_draft_page(&p, &author, &draft).await;
    let id = draft.trim_start_matches("/staff/drafts/");
    let rev = p.state.db.revisions(id).await.unwrap()[0].id.clone();
    let lib = p
        .state
        .db
        .staff_by_email("librarian@school.kg")
        .await
        .unwrap()
        .unwrap();
    for (kind, from, to) in [
        ("submit", catalog::Stage::Draft, catalog::Stage::InReview),
        (
            "approve",
            catalog::Stage::InReview,
            catalog::Stage::Approved,
        ),
    ] {
        assert!(
            p.state
                .db
                .draft_event(
                    id,
                    Some(&rev),
                    &lib.id,
                    "test",
                    kind,
                    None,
                    None,
                    "",
                    &[from],
                    Some(to)
                )
                .await
                .unwrap()
        );
    }
    let r = form_post(
        &p,
        &librarian,
        &draft,
        &format!("{draft}/publish"),
        &[("changelog", "A plant by the lake")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let found = |p: &Portal| {
        let app = p.app.clone();
        async move {
            get(&app, "/api/search?q=quillwort", None)
                .await
                .body
                .contains("water-cycle-en")
        }
    };
    assert!(found(&p).await);
    // What a restart does with --books: the folder's (older) text was published before, so it
    // is not published again over the portal's version.
    let report =
        server::library::publish::publish_all(&p.state, &[p._dir.path().join("library")]).await;
    assert!(report.failures.is_empty());
    assert!(
        found(&p).await,
        "the folder's old text replaced the version published from the portal"
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.file_type().unwrap().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

#[tokio::test]
async fn librarians_download_the_catalogue_for_library_systems() {
    let p = portal().await;
    let book = p._dir.path().join("one").join("fractions-5-ky");
    copy_dir(&corpus::sample_books_dir().join("fractions-5-ky"), &book);
    let members = server::library::publish::memberships(&p.state)
        .await
        .unwrap();
    server::library::publish::publish_book(&p.state, &book, &members)
        .await
        .unwrap();
    let librarian = staff(&p, "kitepkanachi@mektep.kg", &[Role::Librarian]).await;
    let author = staff(&p, "avtor@mektep.kg", &[Role::Author]).await;

    let page = get(&p.app, "/staff/books", Some(&librarian)).await;
    assert!(
        page.body.contains("/staff/books/catalogue.mrc"),
        "{}",
        page.body
    );
    let mrc = get(&p.app, "/staff/books/catalogue.mrc", Some(&librarian)).await;
    assert_eq!(mrc.status, StatusCode::OK);
    assert!(
        mrc.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let length: usize = mrc.body[..5].parse().unwrap();
    assert_eq!(
        length,
        mrc.body.len(),
        "the record's length is its leader's"
    );
    assert!(mrc.body.contains("fractions-5-ky") && mrc.body.contains("Бөлчөктөр"));
    let xml = get(&p.app, "/staff/books/catalogue.xml", Some(&librarian)).await;
    assert!(
        xml.body
            .contains("<controlfield tag=\"001\">fractions-5-ky</controlfield>")
    );
    let json = get(&p.app, "/staff/books/catalogue.json", Some(&librarian)).await;
    let doc: serde_json::Value = serde_json::from_str(&json.body).unwrap();
    assert_eq!(doc["works"][0]["editions"][0]["slug"], "fractions-5-ky");

    assert_eq!(
        get(&p.app, "/staff/books/catalogue.mrc", Some(&author))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get(&p.app, "/staff/books/catalogue.mrc", None).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        get(&p.app, "/staff/books/nothing.txt", Some(&librarian))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}
