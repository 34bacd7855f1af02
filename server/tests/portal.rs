//! The portal end to end: the router with a real catalog (SQLite here, PostgreSQL when
//! `KITEP_TEST_POSTGRES_URL` names a server), publishing, pages, feeds, API and hostile requests;
//! and over real HTTP for what only a socket shows (header timeout, compression).

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use catalog::Role;
use common::{PgDatabase, copy_dir, postgres_url};
use server::library::publish::{self, Outcome};
use server::{AppState, Config};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

struct Portal {
    _dir: tempfile::TempDir,
    state: Arc<AppState>,
    app: Router,
    _pg: Option<PgDatabase>,
}

struct Resp {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Resp {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).to_string()
    }
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

fn books_dir() -> PathBuf {
    corpus::sample_books_dir()
}

/// A small library folder: the two editions of the fractions book, the Kyrgyz reader, and a
/// library.toml with a collection.
fn small_library(root: &Path) -> PathBuf {
    let lib = root.join("library");
    for b in ["fractions-5-ky", "fractions-5-ru", "ky-reader-3"] {
        copy_dir(&books_dir().join(b), &lib.join(b));
    }
    std::fs::write(
        lib.join("library.toml"),
        r#"[[collection]]
slug = "maths"
title = { ky = "Математика", ru = "Математика", en = "Mathematics" }
books = ["fractions-5-ky", "fractions-5-ru"]
"#,
    )
    .unwrap();
    lib
}

#[derive(Clone, Copy, PartialEq)]
enum Backend {
    Sqlite,
    Postgres,
}

async fn portal_on(backend: Backend, books: Vec<PathBuf>) -> Portal {
    let dir = tempfile::tempdir().unwrap();
    let pg = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(PgDatabase::create(&postgres_url().unwrap()).await),
    };
    let database_url = match &pg {
        Some(p) => p.url.clone(),
        None => format!("sqlite://{}", dir.path().join("catalog.db").display()),
    };
    let books = if books.is_empty() {
        vec![small_library(dir.path())]
    } else {
        books
    };
    let config = Config {
        data_dir: dir.path().join("data"),
        addr: "127.0.0.1:0".into(),
        database_url,
        books,
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
    portal_on(Backend::Sqlite, Vec::new()).await
}

async fn request(app: &Router, req: Request<Body>) -> Resp {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = axum::body::to_bytes(res.into_body(), 64 * 1024 * 1024)
        .await
        .unwrap()
        .to_vec();
    Resp {
        status,
        headers,
        body,
    }
}

async fn get_with(app: &Router, uri: &str, headers: &[(&str, &str)]) -> Resp {
    let mut b = Request::builder().uri(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    request(app, b.body(Body::empty()).unwrap()).await
}

async fn get(app: &Router, uri: &str) -> Resp {
    get_with(app, uri, &[]).await
}

/// Percent-encodes a query value here in the test, not with the portal's own encoder (a space as
/// `+`, every other byte outside A-Z a-z 0-9 - . _ ~ as %XX), so the portal's decoding is tested
/// against another's.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else if b == b' ' {
                "+".to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The first `/read/…#anchor` link of a results page.
fn first_passage_link(html: &str) -> String {
    let start = html.find("href=\"/read/").expect("a passage link") + 6;
    let end = start + html[start..].find('"').unwrap();
    html[start..end].replace("&amp;", "&")
}

async fn publishes_searches_and_reads(backend: Backend) {
    let p = portal_on(backend, Vec::new()).await;
    let app = &p.app;
    let health = get(app, "/health").await;
    assert_eq!(health.status, StatusCode::OK);
    assert!(health.text().contains("\"books\":3"), "{}", health.text());

    // A Kyrgyz word typed with о у н for ө ү ң finds the fractions book, with a highlight and a
    // deep link that lands on an existing anchor of a chapter page.
    let r = get(app, &format!("/search?q={}", enc("болчоктор"))).await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(html.contains("class=\"hit\""), "no results: {html}");
    assert!(html.contains("<mark>"), "no highlight");
    let link = first_passage_link(&html);
    assert!(link.starts_with("/read/fractions-5-"), "{link}");
    let (path, anchor) = link.split_once('#').expect("deep link has an anchor");
    let page = get(app, path).await;
    assert_eq!(page.status, StatusCode::OK);
    let anchor = anchor.replace("%20", " ");
    assert!(
        page.text().contains(&format!("id=\"{anchor}\"")),
        "anchor {anchor} missing on {path}"
    );

    // Facets with counts, and a filter that narrows.
    let r = get(app, &format!("/search?q={}", enc("тамак"))).await;
    let html = r.text();
    let facets = &html[html.find("<nav class=\"facets\"").expect("facets")..];
    let facets = &facets[..facets.find("</nav>").unwrap()];
    assert!(
        facets.contains("lang=ru\">") && facets.contains("<span class=\"meta\">(1)</span>"),
        "a language facet with its count: {facets}"
    );
    assert!(facets.contains("grade=5"), "a grade facet: {facets}");
    let r = get(app, &format!("/search?q={}&lang=ru", enc("дроби"))).await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(
        html.contains("<h2><a href=\"/books/fractions-5-ru\""),
        "{html}"
    );
    assert!(!html.contains("href=\"/books/fractions-5-ky\""));
    assert!(
        html.contains("class=\"active-filters\""),
        "the filter is shown, removable"
    );

    // Cross-language: a word only the Kyrgyz edition has also lists the Russian edition of the
    // work, whose passage links open the Kyrgyz match side by side with it.
    let r = get(app, &format!("/search?q={}", enc("тамак"))).await;
    let html = r.text();
    assert!(html.contains("href=\"/books/fractions-5-ru\""), "{html}");
    assert!(html.contains("class=\"edition-of\""), "{html}");
    assert!(
        html.contains("/read/fractions-5-ky/02-comparing?with=fractions-5-ru#"),
        "{html}"
    );
    let r = get(app, &format!("/api/search?q={}", enc("тамак"))).await;
    let json: serde_json::Value = serde_json::from_str(&r.text()).unwrap();
    let ru = json["books"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["book"]["slug"] == "fractions-5-ru")
        .expect("the Russian edition");
    assert_eq!(ru["edition_of"]["slug"], "fractions-5-ky", "{json:#}");
    let link = ru["passages"][0]["link"].as_str().unwrap();
    assert!(link.starts_with("/read/fractions-5-ky/"), "{link}");
    assert!(link.contains("?with=fractions-5-ru#"), "{link}");

    // A misspelt word beside a right one: results as typed, and the correction offered as a link.
    let r = get(app, &format!("/search?q={}", enc("бөлчөк алымдарр"))).await;
    let html = r.text();
    assert!(html.contains("class=\"hit\""), "{html}");
    let dym = &html[html
        .find("<p class=\"did-you-mean\">")
        .expect("a correction")..];
    let href = &dym[dym.find("href=\"/search?").unwrap() + 14..];
    let href = href[..href.find('"').unwrap()].replace("&amp;", "&");
    let q: Vec<(String, String)> = form_urlencoded::parse(href.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(q, vec![("q".to_string(), "бөлчөк алымдары".to_string())]);

    // Ordered by title instead, in alphabet order, from a link on the results page.
    let r = get(app, &format!("/search?q={}", enc("тамак"))).await;
    assert!(r.text().contains("sort=title"), "a link to order by title");
    let r = get(app, &format!("/search?q={}&sort=title", enc("тамак"))).await;
    let html = r.text();
    let at = |slug: &str| {
        html.find(&format!("<h2><a href=\"/books/{slug}\""))
            .unwrap()
    };
    assert!(
        at("fractions-5-ky") < at("fractions-5-ru") && at("fractions-5-ru") < at("ky-reader-3")
    );
    assert!(
        html.contains("<strong aria-current=\"true\">"),
        "the current order is marked"
    );

    // Book page: the other edition, download, contents, how to cite.
    let r = get(app, "/books/fractions-5-ky").await;
    let html = r.text();
    assert!(
        html.contains("href=\"/books/fractions-5-ru\""),
        "other edition"
    );
    assert!(html.contains("/books/fractions-5-ky/download"));
    assert!(html.contains("?with=fractions-5-ru"), "side-by-side link");
    assert!(
        html.contains("http://portal.test/books/fractions-5-ky"),
        "citation"
    );

    // Side by side: both editions' chapter, each with its language.
    let r = get(app, "/read/fractions-5-ky/01-fraction?with=fractions-5-ru").await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(html.contains("<article lang=\"ky\""), "ky column");
    assert!(html.contains("<article lang=\"ru\""), "ru column");
    // No id appears twice on the page.
    let mut ids: Vec<&str> = html
        .split(" id=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "duplicate ids in the side-by-side page");

    // Search within one book.
    let r = get(app, &format!("/search?q={}&book=ky-reader-3", enc("бала"))).await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(
        html.contains("<h2><a href=\"/books/ky-reader-3\""),
        "{html}"
    );
    assert!(!html.contains("href=\"/books/fractions-5-ky\""));

    // Collections from library.toml.
    let r = get(app, "/collections/maths").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("/books/fractions-5-ru"));
    let r = get(
        app,
        &format!("/search?q={}&collection=maths", enc("бөлчөк")),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(
        html.contains("<h2><a href=\"/books/fractions-5-ky\""),
        "{html}"
    );
    assert!(!html.contains("href=\"/books/ky-reader-3\""));

    // Republishing unchanged books does nothing.
    let dirs = p.state.config.books.clone();
    let report = publish::publish_all(&p.state, &dirs).await;
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    let outcomes = report.outcomes;
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, Outcome::Unchanged { .. })),
        "{outcomes:?}"
    );
}

#[tokio::test]
async fn sqlite_catalog_publishes_searches_and_reads() {
    publishes_searches_and_reads(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_catalog_publishes_searches_and_reads() {
    if postgres_url().is_some() {
        publishes_searches_and_reads(Backend::Postgres).await;
    }
}

async fn new_versions_replace_old_ones_atomically(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("fractions-5-ky");
    copy_dir(&books_dir().join("fractions-5-ky"), &book);
    let p = portal_on(backend, vec![book.clone()]).await;
    let app = &p.app;
    let v1 = p
        .state
        .snapshot()
        .book("fractions-5-ky")
        .unwrap()
        .version
        .clone();
    let word = "жылдызкурт";
    let r = get(app, &format!("/search?q={word}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.text().contains("class=\"hit\""));
    assert!(
        r.text().contains("class=\"help\""),
        "the nothing-found page"
    );

    // A broken new version fails to publish and changes nothing.
    let toml = std::fs::read_to_string(book.join("book.toml")).unwrap();
    std::fs::write(
        book.join("book.toml"),
        format!("{toml}\nnot valid = = toml\n"),
    )
    .unwrap();
    let report = publish::publish_all(&p.state, std::slice::from_ref(&book)).await;
    assert!(report.outcomes.is_empty());
    assert_eq!(report.failures.len(), 1);
    assert!(
        report.failures[0].contains("book.toml"),
        "{:?}",
        report.failures
    );
    assert_eq!(
        p.state.snapshot().book("fractions-5-ky").unwrap().version,
        v1
    );
    assert_eq!(
        get(app, "/books/fractions-5-ky/download").await.status,
        StatusCode::OK
    );

    // A good new version: searchable, served, and the previous version's files kept.
    std::fs::write(book.join("book.toml"), &toml).unwrap();
    let ch = book.join("src/01-fraction.md");
    let text = std::fs::read_to_string(&ch).unwrap();
    std::fs::write(
        &ch,
        format!("{text}\n\nБүгүн биз {word} жөнүндө окуйбуз.\n"),
    )
    .unwrap();
    let out = publish::publish_all(&p.state, std::slice::from_ref(&book))
        .await
        .outcomes;
    assert!(matches!(out[0], Outcome::Published { .. }));
    let v2 = p
        .state
        .snapshot()
        .book("fractions-5-ky")
        .unwrap()
        .version
        .clone();
    assert_ne!(v1, v2);
    let r = get(app, &format!("/search?q={word}")).await;
    assert!(r.text().contains("class=\"hit\""), "new text searchable");
    assert_eq!(
        p.state.store.versions("fractions-5-ky").unwrap().len(),
        2,
        "current and previous versions kept"
    );
    let old_epub = format!("/files/fractions-5-ky/{v1}/fractions-5-ky.epub");
    assert_eq!(get(app, &old_epub).await.status, StatusCode::OK);

    // A crash after the index commit but before the catalog's: the index has a version the
    // catalog never committed, and its files are there. Start-up reconciliation restores both.
    let built =
        indexer::BuiltBook::load(&p.state.store.local_dir("fractions-5-ky", &v1).unwrap()).unwrap();
    let mut ghost = built.clone();
    ghost.record.version = Some("ghost".into());
    {
        let library = p.state.library();
        let mut w = library.writer().unwrap();
        w.replace_book(&ghost).unwrap();
        w.commit().unwrap();
    }
    let staged = p.state.store.staging("ghost").unwrap();
    std::fs::write(staged.join("x"), "half").unwrap();
    p.state
        .store
        .commit(&staged, "fractions-5-ky", "ghost")
        .unwrap();
    let fixed = publish::reconcile(&p.state).await.unwrap();
    assert_eq!(fixed, 1);
    p.state.refresh().await.unwrap();
    let r = get(app, &format!("/search?q={word}")).await;
    assert!(
        r.text().contains("class=\"hit\""),
        "index back to the catalog's version"
    );
    assert!(
        !p.state
            .store
            .versions("fractions-5-ky")
            .unwrap()
            .contains(&"ghost".to_string()),
        "files of the uncommitted version removed"
    );
}

#[tokio::test]
async fn sqlite_new_versions_replace_old_ones_atomically() {
    new_versions_replace_old_ones_atomically(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_new_versions_replace_old_ones_atomically() {
    if postgres_url().is_some() {
        new_versions_replace_old_ones_atomically(Backend::Postgres).await;
    }
}

#[tokio::test]
async fn interface_language_from_browser_cookie_and_switcher() {
    let p = portal().await;
    let app = &p.app;
    let r = get_with(app, "/", &[("accept-language", "ru-RU,ru;q=0.9,en;q=0.5")]).await;
    assert!(r.text().contains("<html lang=\"ru\""));
    assert!(r.text().contains("Недавно добавленные"));
    assert_eq!(r.header("set-cookie"), "", "no cookie unless asked");
    let r = get_with(app, "/", &[("accept-language", "en")]).await;
    assert!(r.text().contains("<html lang=\"en\""));
    let r = get(app, "/").await;
    assert!(r.text().contains("<html lang=\"ky\""), "Kyrgyz by default");

    let r = get(app, &format!("/lang/en?back={}", enc("/books?grade=5"))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.header("location"), "/books?grade=5");
    let cookie = r.header("set-cookie").to_string();
    assert!(cookie.starts_with("kitep_lang=en;"), "{cookie}");
    let r = get_with(
        app,
        "/about",
        &[("cookie", "kitep_lang=en"), ("accept-language", "ru")],
    )
    .await;
    assert!(r.text().contains("<html lang=\"en\""), "cookie wins");
    // The switcher never sends anyone to another site.
    for back in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
    ] {
        let r = get(app, &format!("/lang/ru?back={}", enc(back))).await;
        assert_eq!(r.header("location"), "/", "{back}");
    }
    // Errors in the reader's language.
    let r = get_with(app, "/no/such/page", &[("accept-language", "ru")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.text().contains("Страница не найдена"));
}

#[tokio::test]
async fn hostile_requests_get_clear_errors_never_500() {
    let p = portal().await;
    let app = &p.app;
    let long = "китеп ".repeat(2000);
    let cases: Vec<(String, u16)> = vec![
        ("/search?q=%ff%fe".into(), 400),
        ("/search?q=%zz".into(), 400),
        ("/search?q=%".into(), 400),
        ("/books/%ff%fe".into(), 400),
        ("/read/fractions-5-ky/%c3%28".into(), 400),
        ("/search?q=x&page=0".into(), 400),
        ("/search?q=x&page=-1".into(), 400),
        ("/search?q=x&page=99999999999999999999999".into(), 400),
        ("/search?q=x&page=1e9".into(), 400),
        ("/api/search?q=x&page=100000".into(), 400),
        ("/api/search?q=x&per_page=100000".into(), 400),
        ("/api/search?q=%ff".into(), 400),
        ("/api/books/nope".into(), 404),
        ("/opds/v2/nope".into(), 404),
        ("/opds/nope/deeper/still".into(), 404),
        ("/books/nope".into(), 404),
        ("/read/fractions-5-ky/nope".into(), 404),
        ("/files/fractions-5-ky/x/..%2F..%2Fcatalog.db".into(), 404),
        ("/files/..%2F..%2F/x/y".into(), 404),
        ("/static/..%2FCargo.toml".into(), 404),
        (format!("/search?q={}", enc(&long)), 200),
        ("/search?q=x&sort=%ff%fe".into(), 400),
        ("/search?q=kitep&sort=zzz&sort=title".into(), 200),
        (
            "/api/search?q=kitep&sort=date&lang=ru&lang=xx&grade=5".into(),
            200,
        ),
        // The OpenAPI document types these: a value outside the contract is refused, in the
        // user's language, and an empty filter is no filter.
        ("/api/search?q=kitep&grade=99".into(), 400),
        ("/api/search?q=kitep&page=".into(), 400),
        ("/api/search?q=kitep&per_page=0".into(), 400),
        ("/api/search?q=kitep&sort=zzz".into(), 400),
        ("/api/search?q=kitep&sort=".into(), 400),
        ("/api/search?page=1".into(), 400),
        ("/api/suggest".into(), 400),
        ("/api/suggest?q=".into(), 200),
        ("/api/books?collection=".into(), 200),
        ("/api/books?collection=no-such-collection".into(), 200),
        ("/api/books?grade=x".into(), 400),
        ("/books?page=-1".into(), 400),
        ("/books?page=2".into(), 404),
        (format!("/search?q={}", enc("«'ʻ„ \"‘’")), 200),
        (
            format!("/search?q={}", enc("\"unbalanced (( a:(^ - * field:secret")),
            200,
        ),
        (format!("/search?q={}", enc("!!! ??? ...")), 200),
        (format!("/search?q={}", enc(&"a OR ".repeat(3000))), 200),
        (format!("/api/search?q={}", enc("китеп kitep книга")), 200),
        ("/search?q=".into(), 200),
    ];
    for (uri, want) in &cases {
        let r = get(app, uri).await;
        assert_eq!(r.status.as_u16(), *want, "{uri}: {}", r.text());
        if uri.starts_with("/api/") || uri.starts_with("/opds/v2") {
            let v: serde_json::Value = serde_json::from_slice(&r.body)
                .unwrap_or_else(|e| panic!("{uri}: JSON error body: {e}"));
            if *want >= 400 {
                assert!(v["error"]["message"].is_string(), "{uri}");
            }
        }
    }
    // Reflected markup is escaped.
    let r = get(
        app,
        &format!(
            "/search?q={}",
            enc("<script>alert(1)</script>\"><img src=x>")
        ),
    )
    .await;
    let html = r.text();
    assert!(!html.contains("<script>alert"), "reflected script");
    assert!(!html.contains("<img src=x>"));
    assert!(html.contains("&lt;script&gt;"));
    // Bodies are refused, methods other than GET/HEAD too.
    for (method, uri, length, want) in [
        (
            "POST",
            "/search",
            Some("10000000"),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            "DELETE",
            "/books/fractions-5-ky",
            None,
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        ("HEAD", "/books/fractions-5-ky", None, StatusCode::OK),
    ] {
        let mut b = Request::builder().method(method).uri(uri);
        if let Some(n) = length {
            b = b.header("content-length", n);
        }
        let body = if length.is_some() {
            Body::from(vec![b'a'; 100])
        } else {
            Body::empty()
        };
        let r = request(app, b.body(body).unwrap()).await;
        assert_eq!(r.status, want, "{method} {uri}");
    }
}

#[tokio::test]
async fn every_response_has_security_headers_and_no_tracking() {
    let p = portal().await;
    for uri in [
        "/",
        "/search?q=китеп",
        "/books/fractions-5-ky",
        "/read/fractions-5-ky/01-fraction",
        "/api/books",
        "/opds/",
        "/nope",
        "/books/fractions-5-ky/download",
    ] {
        let r = get(&p.app, uri).await;
        let csp = r.header("content-security-policy");
        assert!(csp.contains("default-src 'none'"), "{uri}: {csp}");
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("script-src"),
            "{uri}"
        );
        assert_eq!(r.header("x-content-type-options"), "nosniff", "{uri}");
        assert_eq!(r.header("referrer-policy"), "no-referrer", "{uri}");
        assert_eq!(r.header("set-cookie"), "", "{uri} sets a cookie");
        if r.header("content-type").starts_with("text/html") {
            let html = r.text();
            assert!(!html.contains("<script"), "{uri} has a script");
            // Nothing is loaded from another site.
            for attr in ["src=\"http", "href=\"//", "src=\"//"] {
                assert!(!html.contains(attr), "{uri}: {attr}");
            }
            assert!(
                !html.contains("<link rel=\"stylesheet\" href=\"http"),
                "{uri}"
            );
        }
    }
}

#[tokio::test]
async fn downloads_have_etags_and_ranges() {
    let p = portal().await;
    let app = &p.app;
    let r = get(app, "/books/fractions-5-ky/download").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), "application/epub+zip");
    assert!(&r.body[..2] == b"PK");
    assert!(
        r.header("content-disposition")
            .contains("fractions-5-ky.epub")
    );
    let etag = r.header("etag").to_string();
    assert!(!etag.is_empty());
    let r = get_with(
        app,
        "/books/fractions-5-ky/download",
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    let r = get_with(
        app,
        "/books/fractions-5-ky/download",
        &[("range", "bytes=0-1")],
    )
    .await;
    assert_eq!(r.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.body, b"PK");
    assert!(r.header("content-range").starts_with("bytes 0-1/"));
    let r = get_with(
        app,
        "/books/fractions-5-ky/download",
        &[("range", "bytes=999999999-")],
    )
    .await;
    assert_eq!(r.status, StatusCode::RANGE_NOT_SATISFIABLE);
    // Pages revalidate cheaply with their ETag.
    let r = get(app, "/books/fractions-5-ky").await;
    let etag = r.header("etag").to_string();
    let r = get_with(app, "/books/fractions-5-ky", &[("if-none-match", &etag)]).await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    // The stylesheet is cached for good under a versioned name.
    let css = server::web::layout::CSS.0.clone();
    let r = get(app, &css).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("cache-control").contains("immutable"));
}

fn gzip_len(bytes: &[u8]) -> usize {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap().len()
}

#[tokio::test]
async fn pages_are_small_on_the_wire() {
    let p = portal().await;
    let r = get(&p.app, &format!("/search?q={}", enc("бөлчөк"))).await;
    let n = gzip_len(&r.body);
    assert!(n <= 20 * 1024, "search results page is {n} bytes gzipped");
    for ch in [
        "01-fraction",
        "02-comparing",
        "03-adding",
        "04-mixed-numbers",
    ] {
        let r = get(&p.app, &format!("/read/fractions-5-ky/{ch}")).await;
        let n = gzip_len(&r.body);
        assert!(n <= 40 * 1024, "reader page {ch} is {n} bytes gzipped");
    }
}

/// Every XML event parses (quick-xml checks well-formedness as it reads).
fn assert_xml(uri: &str, text: &str) {
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("{uri}: not well-formed XML: {e}\n{text}"),
        }
    }
}

#[tokio::test]
async fn feeds_and_api_parse_even_with_hostile_titles() {
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("hostile");
    copy_dir(&books_dir().join("water-cycle-en"), &book);
    let toml = std::fs::read_to_string(book.join("book.toml")).unwrap();
    let mut out = String::new();
    for line in toml.lines() {
        if line.starts_with("title =") {
            out.push_str(
                "title = \"Tom & Jerry <b>bold</b> \\\"quoted\\\" \\u0007bell ]]> &amp;\"\n",
            );
        } else if line.starts_with("description =") {
            out.push_str("description = \"x < y && \\u0001 ctrl\"\n");
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    std::fs::write(book.join("book.toml"), out).unwrap();
    let p = portal_on(Backend::Sqlite, vec![book]).await;
    let app = &p.app;
    let slug = p.state.snapshot().books[0].slug.clone();
    for uri in [
        "/opds/".to_string(),
        "/opds/new".into(),
        "/opds/all".into(),
        "/opds/languages".into(),
        "/opds/languages/en".into(),
        "/opds/grades".into(),
        "/opds/subjects".into(),
        format!("/opds/search?q={}", enc("water")),
        "/opds/opensearch.xml".into(),
        "/sitemap.xml".into(),
    ] {
        let r = get(app, &uri).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        assert_xml(&uri, &r.text());
    }
    let r = get(app, "/opds/new").await;
    assert!(r.text().contains("Tom &amp; Jerry &lt;b&gt;"));
    assert!(
        r.text()
            .contains("<opensearch:totalResults>1</opensearch:totalResults>")
    );
    assert!(!r.text().contains("rel=\"next\""), "one page only");
    for past_the_end in [
        "/opds/new?page=2",
        "/opds/v2/all?page=0",
        "/opds/all?page=x",
    ] {
        assert_eq!(
            get(app, past_the_end).await.status,
            StatusCode::NOT_FOUND,
            "{past_the_end}"
        );
    }
    assert!(
        r.text()
            .contains("http://opds-spec.org/acquisition/open-access")
    );
    for uri in [
        "/opds/v2/".to_string(),
        "/opds/v2/new".into(),
        "/opds/v2/collections".into(),
        format!("/opds/v2/search?query={}", enc("water")),
        "/api/books".into(),
        format!("/api/books/{slug}"),
        "/api/collections".into(),
        "/api/openapi.json".into(),
        format!("/api/search?q={}", enc("water")),
        format!("/api/suggest?q={}", enc("wat")),
    ] {
        let r = get(app, &uri).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        let v: serde_json::Value =
            serde_json::from_slice(&r.body).unwrap_or_else(|e| panic!("{uri}: {e}: {}", r.text()));
        assert!(v.is_object(), "{uri}");
    }
    let v: serde_json::Value =
        serde_json::from_slice(&get(app, "/opds/v2/new").await.body).unwrap();
    let title = v["publications"][0]["metadata"]["title"].as_str().unwrap();
    assert!(title.starts_with("Tom & Jerry <b>bold</b>"), "{title}");
    let links = v["publications"][0]["links"].as_array().unwrap();
    let link = links
        .iter()
        .find(|l| l["type"] == "application/epub+zip")
        .unwrap();
    // The acquisition link downloads the EPUB.
    let href = link["href"].as_str().unwrap();
    assert_eq!(get(app, href).await.status, StatusCode::OK);
    // E-reader apps need a raster cover: the generated SVG cover is also served as a PNG, with a
    // PNG thumbnail.
    let images = v["publications"][0]["images"].as_array().unwrap();
    for rel in [None, Some("http://opds-spec.org/image/thumbnail")] {
        let png = images
            .iter()
            .find(|i| i["type"] == "image/png" && i["rel"].as_str() == rel)
            .unwrap_or_else(|| panic!("a PNG image with rel {rel:?}: {images:?}"));
        let r = get(app, png["href"].as_str().unwrap()).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.starts_with(b"\x89PNG\r\n\x1a\n"));
    }
    // A feed entry links its standalone publication document, which apps follow.
    let own = links.iter().find(|l| l["rel"] == "self").unwrap();
    assert_eq!(own["type"], "application/opds-publication+json");
    let r = get(app, own["href"].as_str().unwrap()).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.headers[header::CONTENT_TYPE],
        "application/opds-publication+json"
    );
    let doc: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(doc["metadata"]["title"].as_str(), Some(title));
    // `published` is a date, as the schema requires, not a bare year.
    if let Some(p) = doc["metadata"]["published"].as_str() {
        assert!(
            p.len() == 10 && p.as_bytes()[4] == b'-' && p.as_bytes()[7] == b'-',
            "{p}"
        );
    }
    // A search that finds nothing answers a valid feed that leads back to the catalogue (the
    // schema forbids an empty list of publications).
    let v: serde_json::Value =
        serde_json::from_slice(&get(app, "/opds/v2/search?query=zzqqxxw").await.body).unwrap();
    assert!(v.get("publications").is_none(), "{v}");
    assert_eq!(v["navigation"][0]["href"], "/opds/v2/");
    // The search results carry deep links into the reader.
    let v: serde_json::Value = serde_json::from_slice(
        &get(app, &format!("/api/search?q={}", enc("water")))
            .await
            .body,
    )
    .unwrap();
    let link = v["books"][0]["passages"][0]["link"].as_str().unwrap();
    assert!(
        link.starts_with(&format!("/read/{slug}/")) && link.contains('#'),
        "{link}"
    );
    // The HTML page escapes the title, control characters dropped.
    let html = get(app, &format!("/books/{slug}")).await.text();
    assert!(html.contains("Tom &amp; Jerry &lt;b&gt;bold&lt;/b&gt;"));
    assert!(!html.contains('\u{7}') && !html.contains('\u{1}'));
}

/// Over a real socket: the header-read timeout closes slow clients; compression is negotiated.
#[tokio::test]
async fn over_http_slow_clients_are_cut_off_and_pages_compressed() {
    let p = portal().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(server::run(p.state.clone(), listener, async {
        let _ = rx.await;
    }));

    let result = tokio::task::spawn_blocking(move || {
        // A client that never finishes its headers is disconnected after the timeout (0.8 s).
        let mut slow = std::net::TcpStream::connect(addr).unwrap();
        slow.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap();
        let started = std::time::Instant::now();
        let mut buf = [0u8; 1024];
        let n = slow.read(&mut buf).unwrap_or(0);
        let cut_after = started.elapsed();
        let closed_text = String::from_utf8_lossy(&buf[..n]).to_string();

        // A normal client gets a compressed page.
        let mut ok = std::net::TcpStream::connect(addr).unwrap();
        ok.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        ok.write_all(
            "GET /search?q=%D0%BA%D0%B8%D1%82%D0%B5%D0%BF HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n"
                .as_bytes(),
        )
        .unwrap();
        let mut resp = Vec::new();
        let _ = ok.read_to_end(&mut resp);
        // Raw invalid bytes in the request line: 400 from the HTTP layer, not a crash.
        let mut bad = std::net::TcpStream::connect(addr).unwrap();
        bad.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        bad.write_all(b"GET /search?q=\xff\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut bad_resp = Vec::new();
        let _ = bad.read_to_end(&mut bad_resp);
        (cut_after, closed_text, resp, bad_resp)
    })
    .await
    .unwrap();
    let (cut_after, closed_text, resp, bad_resp) = result;
    assert!(
        cut_after < Duration::from_secs(4),
        "slow client held for {cut_after:?}"
    );
    assert!(!closed_text.contains("200 OK"), "{closed_text}");
    let head = String::from_utf8_lossy(&resp[..resp.len().min(2000)]).to_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("content-encoding: gzip"), "{head}");
    let bad_head = String::from_utf8_lossy(&bad_resp).to_string();
    assert!(
        bad_head.is_empty() || bad_head.starts_with("HTTP/1.1 400"),
        "{bad_head}"
    );
    let _ = tx.send(());
    server.await.unwrap().unwrap();
}

// ---- What operators and attackers break: the portal says so and serves what it can ----

/// A config for a portal whose data and catalog live in `root`.
fn config_in(root: &Path, books: Vec<PathBuf>) -> Config {
    Config {
        data_dir: root.join("data"),
        addr: "127.0.0.1:0".into(),
        database_url: format!("sqlite://{}", root.join("catalog.db").display()),
        books,
        public_url: "http://portal.test".into(),
        header_timeout: Duration::from_millis(800),
    }
}

async fn health(app: &Router) -> serde_json::Value {
    serde_json::from_slice(&get(app, "/health").await.body).unwrap()
}

/// Polls until `/health` says ok (or fails the test after 60 s); every search meanwhile must be
/// answered (200, or 503 while the index is rebuilt), never with a 500.
async fn until_healthy(app: &Router) {
    for _ in 0..600 {
        let r = get(app, &format!("/search?q={}", enc("бөлчөк"))).await;
        assert!(
            r.status == StatusCode::OK || r.status == StatusCode::SERVICE_UNAVAILABLE,
            "search answered {}",
            r.status
        );
        let h = health(app).await;
        if h["status"] == "ok" && h["search"] == "ok" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never healthy: {}", health(app).await);
}

fn finds_fractions(html: &str) -> bool {
    html.contains("href=\"/books/fractions-5-ky\"") && html.contains("class=\"hit\"")
}

#[tokio::test]
async fn a_start_killed_while_publishing_finishes_on_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let lib = small_library(dir.path());
    // The first start recorded the library as asked for, published one book and was killed.
    {
        let state = server::open(config_in(dir.path(), vec![lib.join("fractions-5-ky")]))
            .await
            .unwrap();
        state
            .db
            .request_publish(&lib.to_string_lossy())
            .await
            .unwrap();
        state.db.close().await;
    }
    // Started again without --books: what was asked for and not finished is published.
    let state = server::open(config_in(dir.path(), Vec::new()))
        .await
        .unwrap();
    let slugs: Vec<String> = state
        .snapshot()
        .books
        .iter()
        .map(|b| b.slug.clone())
        .collect();
    assert_eq!(slugs.len(), 3, "{slugs:?}");
    assert!(state.db.unfinished_publishes().await.unwrap().is_empty());
}

#[tokio::test]
async fn one_bad_book_is_reported_and_the_rest_served() {
    let dir = tempfile::tempdir().unwrap();
    let lib = small_library(dir.path());
    let toml = lib.join("ky-reader-3/book.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, text.replacen("title", "titel", 1)).unwrap();
    let state = server::open(config_in(dir.path(), vec![lib]))
        .await
        .expect("a bad book does not stop the portal");
    let app = server::app::router(state.clone());
    assert_eq!(state.snapshot().books.len(), 2);
    assert_eq!(
        get(&app, "/books/fractions-5-ru").await.status,
        StatusCode::OK
    );
    let h = health(&app).await;
    let failures = h["publish_failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1, "{h}");
    let f = failures[0].as_str().unwrap();
    assert!(f.contains("ky-reader-3") && f.contains("titel"), "{f}");
}

/// The small library published into a fresh folder by a portal that then stopped.
async fn published_and_stopped() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let lib = small_library(dir.path());
    let state = server::open(config_in(dir.path(), vec![lib.clone()]))
        .await
        .unwrap();
    // Let the start-up checksum check finish: it reads the index files being damaged next.
    for _ in 0..600 {
        if !state.condition().index_checking {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    state.db.close().await;
    (dir, lib)
}

#[tokio::test]
async fn a_broken_index_is_rebuilt_from_the_catalog_while_the_portal_serves() {
    let (dir, lib) = published_and_stopped().await;
    let index = dir.path().join("data/index");
    std::fs::write(index.join("meta.json"), "{\"segments\": [tru").unwrap();
    let state = server::open(config_in(dir.path(), vec![lib.clone()]))
        .await
        .expect("a damaged index does not stop the portal");
    let app = server::app::router(state.clone());
    // The library is served meanwhile, and the index comes back whole.
    assert_eq!(
        get(&app, "/books/fractions-5-ky").await.status,
        StatusCode::OK
    );
    until_healthy(&app).await;
    let r = get(&app, &format!("/search?q={}", enc("бөлчөк"))).await;
    assert!(finds_fractions(&r.text()));
    assert_eq!(state.snapshot().books.len(), 3);
}

#[tokio::test]
async fn flipped_bytes_in_the_index_are_found_and_repaired() {
    let (dir, lib) = published_and_stopped().await;
    // Flip bytes in the middle of each document store (the passages' text).
    let index = dir.path().join("data/index");
    let mut flipped = 0;
    for e in std::fs::read_dir(&index).unwrap().flatten() {
        if e.path().extension().is_some_and(|x| x == "store") {
            // In place, as a failing disk would: the file keeps its length (rewriting it whole
            // would truncate it under any reader that still maps it).
            use std::io::{Seek, SeekFrom};
            let mut bytes = std::fs::read(e.path()).unwrap();
            let mid = bytes.len() / 2;
            for b in &mut bytes[mid..mid + 16] {
                *b ^= 0x5a;
            }
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .open(e.path())
                .unwrap();
            f.seek(SeekFrom::Start(mid as u64)).unwrap();
            f.write_all(&bytes[mid..mid + 16]).unwrap();
            flipped += 1;
        }
    }
    assert!(flipped > 0);
    let state = server::open(config_in(dir.path(), vec![lib]))
        .await
        .unwrap();
    let app = server::app::router(state.clone());
    until_healthy(&app).await;
    let r = get(&app, &format!("/search?q={}", enc("бөлчөк"))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(finds_fractions(&r.text()));
}

/// A small file system of its own (tmpfs), to fill up or make read-only; unmounted on drop. Needs
/// root (as in CI); elsewhere the test says so and passes.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(megabytes: u32) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            assert!(
                std::env::var("CI").is_err(),
                "CI runs as root and must run the full-disk tests"
            );
            eprintln!("cannot mount a tmpfs (not root?): full-disk test skipped");
            return None;
        }
        Some(SmallDisk { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn fill(&self) {
        let mut f = std::fs::File::create(self.path().join("filler")).unwrap();
        let block = vec![7u8; 1 << 20];
        while f.write_all(&block).is_ok() {}
        let _ = f.sync_all();
    }

    /// The same files seen through a read-only mount (as a data folder on read-only media).
    fn read_only_view(&self) -> PathBuf {
        let view = self.path().join("ro");
        std::fs::create_dir_all(&view).unwrap();
        let mount = |args: &[&str], target: &Path| {
            std::process::Command::new("mount")
                .args(args)
                .arg(target)
                .status()
                .is_ok_and(|s| s.success())
        };
        assert!(mount(
            &["--bind", &self.path().join("rw").to_string_lossy()],
            &view
        ));
        assert!(mount(&["-o", "remount,ro,bind"], &view));
        view
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path().join("ro"))
            .stderr(std::process::Stdio::null())
            .status();
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Publishes one book onto the small disk, stops, makes the disk unwritable, starts again: the
/// library is served, `/health` says why it is degraded, publishing says why it cannot.
async fn serves_what_it_has_when_it_cannot_write(spoil: impl Fn(&SmallDisk) -> PathBuf, why: &str) {
    let Some(disk) = SmallDisk::mount(64) else {
        return;
    };
    let src = tempfile::tempdir().unwrap();
    let book = src.path().join("fractions-5-ky");
    copy_dir(&books_dir().join("fractions-5-ky"), &book);
    let rw = disk.path().join("rw");
    {
        let state = server::open(config_in(&rw, vec![book.clone()]))
            .await
            .unwrap();
        state.db.close().await;
    }
    let root = spoil(&disk);
    let state = server::open(config_in(&root, vec![book.clone()]))
        .await
        .expect("a portal that cannot write still serves");
    let app = server::app::router(state.clone());
    assert_eq!(
        get(&app, "/books/fractions-5-ky").await.status,
        StatusCode::OK
    );
    assert_eq!(
        get(&app, "/books/fractions-5-ky/download").await.status,
        StatusCode::OK
    );
    let r = get(&app, &format!("/search?q={}", enc("бөлчөк"))).await;
    assert!(
        finds_fractions(&r.text()),
        "{}: {}",
        r.status,
        health(&app).await
    );
    let r = get(&app, "/health").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    let h: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(h["writable"], false);
    assert!(h["problems"][0].as_str().unwrap().contains(why), "{h}");
    let report = publish::publish_all(&state, &[book]).await;
    assert!(report.outcomes.is_empty());
    assert!(
        report.failures[0].contains("publishing is off"),
        "{:?}",
        report.failures
    );
}

#[tokio::test]
async fn a_full_disk_is_served_read_only() {
    serves_what_it_has_when_it_cannot_write(
        |disk| {
            disk.fill();
            disk.path().join("rw")
        },
        "the disk is full",
    )
    .await;
}

#[tokio::test]
async fn a_read_only_data_folder_is_served_and_says_why() {
    serves_what_it_has_when_it_cannot_write(
        SmallDisk::read_only_view,
        "the file system is read-only",
    )
    .await;
}

// ---- Connection floods on loopback: ordinary searches must still be answered ----

/// A connection from the attacker's own loopback address, with a tiny receive window so that a
/// response it does not read stalls the server's writes at once.
async fn attacker_connection(addr: std::net::SocketAddr) -> Option<tokio::net::TcpStream> {
    let s = tokio::net::TcpSocket::new_v4().ok()?;
    let _ = s.set_recv_buffer_size(4096);
    s.bind("127.0.0.2:0".parse().unwrap()).ok()?;
    tokio::time::timeout(Duration::from_secs(3), s.connect(addr))
        .await
        .ok()?
        .ok()
}

/// Ordinary searches, one after another from 127.0.0.1, for `how_long`: each one's time, and
/// how many failed (no answer within 5 s, or not a 200).
async fn ordinary_searches(
    addr: std::net::SocketAddr,
    how_long: Duration,
) -> (Vec<Duration>, usize) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut times = Vec::new();
    let mut failed = 0;
    let started = std::time::Instant::now();
    while started.elapsed() < how_long {
        let t = std::time::Instant::now();
        let attempt = tokio::time::timeout(Duration::from_secs(5), async {
            let mut s = tokio::net::TcpStream::connect(addr).await.ok()?;
            s.write_all(
                b"GET /search?q=%D0%B1%D3%A9%D0%BB%D1%87%D3%A9%D0%BA HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            )
            .await
            .ok()?;
            let mut resp = Vec::new();
            s.read_to_end(&mut resp).await.ok()?;
            Some(resp.starts_with(b"HTTP/1.1 200"))
        })
        .await;
        match attempt {
            Ok(Some(true)) => times.push(t.elapsed()),
            _ => failed += 1,
        }
    }
    (times, failed)
}

fn p99(times: &mut [Duration]) -> Duration {
    times.sort();
    times[(times.len() * 99 / 100).min(times.len() - 1)]
}

/// The portal on a real socket with production timeouts; returns its address and a stop switch.
async fn portal_on_socket() -> (
    Portal,
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
) {
    let mut p = portal().await;
    let mut config = p.state.config.clone();
    config.header_timeout = server::serve::HEADER_TIMEOUT;
    // The same library and catalog, with the production header timeout.
    p.state = server::open(config).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server::run(p.state.clone(), listener, async {
        let _ = rx.await;
    }));
    (p, addr, tx)
}

/// Connections the attacks open: more than the portal's slots.
const FLOOD: usize = server::serve::MAX_CONNECTIONS + 100;

/// Runs `attacker` on FLOOD connections' worth of tasks against a portal on a real socket, and
/// ordinary searches for 8 s meanwhile: none may fail, and their p99 must stay under 100 ms.
async fn searches_hold_during<A, F>(attacker: A)
where
    A: Fn(std::net::SocketAddr) -> F,
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let (_p, addr, stop) = portal_on_socket().await;
    let attackers: Vec<_> = (0..FLOOD).map(|_| tokio::spawn(attacker(addr))).collect();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (mut times, failed) = ordinary_searches(addr, Duration::from_secs(8)).await;
    for a in &attackers {
        a.abort();
    }
    let _ = stop.send(());
    assert_eq!(failed, 0, "searches failed during the attack");
    assert!(times.len() >= 10, "only {} searches in 8 s", times.len());
    let p99 = p99(&mut times);
    assert!(p99 < Duration::from_millis(100), "p99 {p99:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_never_read_their_downloads_do_not_stop_searches() {
    use tokio::io::AsyncWriteExt;
    let requests = "GET /books/fractions-5-ky/download HTTP/1.1\r\nHost: x\r\n\r\n".repeat(16);
    searches_hold_during(move |addr| {
        let requests = requests.clone();
        async move {
            if let Some(mut s) = attacker_connection(addr).await {
                // Pipelined downloads, never read.
                let _ = s.write_all(requests.as_bytes()).await;
                tokio::time::sleep(Duration::from_secs(30)).await;
                drop(s);
            }
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_reconnecting_connections_do_not_stop_searches() {
    use tokio::io::AsyncReadExt;
    searches_hold_during(|addr| async move {
        loop {
            // Connect, say nothing, wait to be dropped, come back.
            if let Some(mut s) = attacker_connection(addr).await {
                let mut buf = [0u8; 64];
                let _ = s.read(&mut buf).await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
}

/// Staff accounts, tokens and the audit log on one catalog.
async fn accounts_work_on(db: &catalog::Db) {
    db.migrate().await.unwrap();
    let added = server::accounts::add_user(db, "Librarian@School.kg", &[Role::Librarian], "test")
        .await
        .unwrap();
    assert!(added.created);
    assert_eq!(added.staff.email, "librarian@school.kg");
    let hash = added.staff.password_hash.clone().unwrap();
    assert!(server::accounts::passwords::verify(
        &added.one_time_password,
        &hash
    ));
    // The same address in another case is the same person: roles add up, no second account.
    let again = server::accounts::add_user(db, "LIBRARIAN@school.kg", &[Role::Reviewer], "test")
        .await
        .unwrap();
    assert!(!again.created);
    assert_eq!(again.staff.id, added.staff.id);
    assert_eq!(again.staff.roles, vec![Role::Reviewer, Role::Librarian]);
    let token = server::accounts::issue_token(db, "librarian@school.kg", "CI", "test")
        .await
        .unwrap();
    let owner = server::accounts::token_owner(db, &token)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(owner.staff.id, added.staff.id);
    assert!(owner.scopes.iter().any(|s| s == "books:publish"));
    assert!(db.revoke_token(&owner.token_id, "test").await.unwrap());
    assert!(!db.revoke_token(&owner.token_id, "test").await.unwrap());
    assert!(
        server::accounts::token_owner(db, &token)
            .await
            .unwrap()
            .is_none()
    );
    let log = db.audit_log(10).await.unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    for a in [
        "staff.create",
        "staff.reset_password",
        "token.create",
        "token.revoke",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
}

#[tokio::test]
async fn staff_accounts_and_tokens_work_on_sqlite_and_postgres() {
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", tmp.path().join("catalog.db").display());
    let db = catalog::Db::connect(&url).await.unwrap();
    accounts_work_on(&db).await;
    db.close().await;
    if let Some(admin) = postgres_url() {
        let pg = PgDatabase::create(&admin).await;
        let db = catalog::Db::connect(&pg.url).await.unwrap();
        accounts_work_on(&db).await;
        db.close().await;
    }
}

/// Writers at once on the embedded catalog wait their turn: none fails with "database is locked"
/// (a transaction that reads before it writes cannot wait on SQLite unless it takes the write
/// lock first).
#[tokio::test]
async fn concurrent_staff_changes_on_sqlite_all_succeed() {
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", tmp.path().join("catalog.db").display());
    let db = std::sync::Arc::new(catalog::Db::connect(&url).await.unwrap());
    db.migrate().await.unwrap();
    let mut tasks = Vec::new();
    for t in 0..8 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..10 {
                let email = format!("person{t}-{i}@school.kg");
                db.add_staff(
                    &email,
                    &[Role::Author],
                    &[format!("Org {t}")],
                    "$argon2id$x",
                    true,
                    "test",
                )
                .await
                .map_err(|e| format!("{email}: {e:#}"))?;
            }
            Ok::<_, String>(())
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(db.list_staff().await.unwrap().len(), 80);
}
