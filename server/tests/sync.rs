//! School servers that sync from the national portal: two portals on loopback, a proxy that cuts
//! the connection every few kilobytes, a USB folder, and sources that lie. The national portal
//! runs in this process (so the test can publish and withdraw on it); the school side is the
//! `kitep sync` command, as schools run it, and the school's portal is a `kitep serve` process
//! that must notice what the command published.

mod common;

use common::copy_dir;
use server::library::publish::{self, Outcome};
use server::offline::sign::SecretKey;
use server::{AppState, Config};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

fn kitep() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kitep"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A small Kyrgyz book whose chapter is `words` long, with a word that tells its version.
fn write_book(dir: &Path, slug: &str, marker: &str, kb: usize) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("book.toml"),
        format!(
            "[book]\ntitle = \"Синхрондоо {slug}\"\nlanguage = \"ky\"\nauthors = [\"Тест\"]\nslug = \"{slug}\"\ngrades = [6]\nchapters = [\"01.md\"]\n"
        ),
    )
    .unwrap();
    let mut body = format!("# Тоолор жана {marker}\n\n");
    let sentence = "Кыргызстандын тоолорунда мөңгүлөр көп, алардан суу агып түшөт. ";
    while body.len() < kb * 1024 {
        body.push_str(sentence);
        body.push_str("\n\n");
    }
    std::fs::write(dir.join("src/01.md"), body).unwrap();
    // Authors name files with spaces and in Cyrillic: they travel too.
    std::fs::write(dir.join("src/мугалим үчүн эскертме.txt"), "Эскертме.\n").unwrap();
}

struct National {
    state: Arc<AppState>,
    url: String,
    _dir: tempfile::TempDir,
}

async fn national(books: Vec<PathBuf>) -> National {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        data_dir: dir.path().join("data"),
        addr: "127.0.0.1:0".into(),
        database_url: format!("sqlite://{}", dir.path().join("catalog.db").display()),
        books,
        public_url: "http://national.test".into(),
        header_timeout: Duration::from_secs(10),
    };
    let state = server::open(config).await.expect("national portal opens");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(server::run(state.clone(), listener, std::future::pending()));
    National {
        state,
        url,
        _dir: dir,
    }
}

async fn publish_folder(state: &Arc<AppState>, dir: &Path) {
    let members = publish::memberships(state).await.unwrap();
    let o = publish::publish_book_from(state, dir, &members, publish::Source::Portal)
        .await
        .unwrap();
    assert!(matches!(o, Outcome::Published { .. }), "{o:?}");
}

async fn withdraw(state: &Arc<AppState>, slug: &str, reason: &str) {
    assert!(
        state
            .db
            .set_withdrawn(slug, Some(reason), None, "test")
            .await
            .unwrap()
    );
    server::offline::sync::record_withdrawal(state, slug, Some(reason))
        .await
        .unwrap();
}

/// `kitep sync` in a thread (the test's runtime keeps serving the national portal meanwhile).
async fn sync(data: &Path, args: &[&str]) -> Output {
    let mut cmd = kitep();
    cmd.args(["sync", "--data"]).arg(data).args(args);
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn school_serve(data: &Path, port: u16, books: &Path) -> std::process::Child {
    kitep()
        .args(["serve", "--data"])
        .arg(data)
        .args(["--addr", &format!("127.0.0.1:{port}"), "--books"])
        .arg(books)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn http_get(url: &str) -> Option<(u16, String)> {
    let url = url.to_string();
    tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut r = agent.get(&url).call().ok()?;
        let status = r.status().as_u16();
        Some((status, r.body_mut().read_to_string().unwrap_or_default()))
    })
    .await
    .unwrap()
}

/// Waits until the school portal's search for `word` does (or does not) list `slug`.
async fn search_lists(base: &str, word: &str, slug: &str, want: bool) -> bool {
    for _ in 0..100 {
        if let Some((200, body)) = http_get(&format!("{base}/api/search?q={word}")).await
            && body.contains(&format!("\"{slug}\"")) == want
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    false
}

/// A proxy that closes each connection after `cut` bytes from the server, and counts them.
fn cutting_proxy(upstream: String, cut: u64, sent: Arc<AtomicU64>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let upstream = upstream.clone();
            let sent = sent.clone();
            std::thread::spawn(move || {
                let Ok(server) = TcpStream::connect(upstream.trim_start_matches("http://")) else {
                    return;
                };
                let (mut c_read, mut s_write) =
                    (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut c_read, &mut s_write);
                });
                let (mut s_read, mut c_write) = (server, client);
                let mut buf = [0u8; 4096];
                let mut passed = 0u64;
                while let Ok(n) = s_read.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    let n = (n as u64).min(cut - passed) as usize;
                    if c_write.write_all(&buf[..n]).is_err() {
                        break;
                    }
                    passed += n as u64;
                    sent.fetch_add(n as u64, Ordering::Relaxed);
                    if passed >= cut {
                        break;
                    }
                }
                let _ = c_write.shutdown(std::net::Shutdown::Both);
                let _ = s_read.shutdown(std::net::Shutdown::Both);
            });
        }
    });
    format!("http://{addr}")
}

fn book_bytes(dir: &Path) -> u64 {
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.file_type().unwrap().is_dir() {
            n += book_bytes(&e.path());
        } else {
            n += e.metadata().unwrap().len();
        }
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_school_follows_the_national_portal_through_a_cutting_link() {
    let tmp = tempfile::tempdir().unwrap();
    let book = tmp.path().join("mountains");
    write_book(&book, "mountains", "мөңгүлөр", 300);
    let nat = national(vec![book.clone()]).await;

    // The school's own portal, serving a book of its own, runs all along.
    let local = tmp.path().join("local");
    copy_dir(
        &corpus::sample_books_dir().join("ky-reader-3"),
        &local.join("ky-reader-3"),
    );
    let school = tmp.path().join("school");
    let port = free_port();
    let mut serve = school_serve(&school, port, &local);
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..300 {
        if http_get(&format!("{base}/health"))
            .await
            .is_some_and(|(s, _)| s == 200)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Through a link that drops every connection after 64 KB.
    let sent = Arc::new(AtomicU64::new(0));
    let proxy = cutting_proxy(nat.url.clone(), 64 * 1024, sent.clone());
    let run = sync(&school, &["--from", &proxy]).await;
    let out = text(&run.stdout);
    assert!(run.status.success(), "{out}\n{}", text(&run.stderr));
    assert!(out.contains("Published: mountains"), "{out}");
    let files = book_bytes(&book) as f64;
    let ratio = sent.load(Ordering::Relaxed) as f64 / files;
    assert!(
        ratio < 1.2,
        "{ratio:.2}× the book's files went over the link"
    );
    eprintln!("cut link: {ratio:.3}× the files' size sent");
    // Every file came, the one named with spaces in Cyrillic too.
    let versions: Vec<PathBuf> = std::fs::read_dir(school.join("books/mountains"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(
        versions
            .iter()
            .any(|v| v.join("source/src/мугалим үчүн эскертме.txt").is_file()),
        "{versions:?}"
    );
    // The running school portal finds it (typed without ө ү ң).
    assert!(
        search_lists(&base, "монгулор", "mountains", true).await,
        "not searchable on the school portal"
    );

    // A new version replaces it; only its changed file travels.
    write_book(&book, "mountains", "тоо-кендер", 300);
    std::fs::write(book.join("src/02.md"), "# Жаңы бөлүм\n\nКөлдөр жөнүндө.\n").unwrap();
    std::fs::write(
        book.join("book.toml"),
        std::fs::read_to_string(book.join("book.toml"))
            .unwrap()
            .replace("[\"01.md\"]", "[\"01.md\", \"02.md\"]"),
    )
    .unwrap();
    publish_folder(&nat.state, &book).await;
    let run = sync(&school, &["--from", &nat.url]).await;
    let out = text(&run.stdout);
    assert!(
        run.status.success() && out.contains("Published: mountains"),
        "{out}"
    );
    assert!(
        search_lists(&base, "колдор", "mountains", true).await,
        "the new version is not served"
    );

    // A withdrawal removes it.
    withdraw(&nat.state, "mountains", "a mistake in the map").await;
    let run = sync(&school, &["--from", &nat.url]).await;
    let out = text(&run.stdout);
    assert!(
        run.status.success() && out.contains("Withdrawn: mountains"),
        "{out}"
    );
    assert!(
        search_lists(&base, "монгулор", "mountains", false).await,
        "still found after withdrawal"
    );
    // The school's own book was never touched.
    assert!(search_lists(&base, "китеп", "ky-reader-3", true).await);
    let _ = serve.kill();
    let _ = serve.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_usb_export_syncs_and_damage_or_forgery_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let book = tmp.path().join("lakes");
    write_book(&book, "lakes", "көлдөр", 20);
    let nat = national(vec![book.clone()]).await;
    let usb = tmp.path().join("usb");
    let nat_data = nat.state.config.data_dir.clone();
    let run = kitep()
        .args(["sync", "--data"])
        .arg(&nat_data)
        .args(["--database-url", &nat.state.config.database_url])
        .arg("--export")
        .arg(&usb)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", text(&run.stderr));
    let school = tmp.path().join("school");
    let usb_s = usb.to_string_lossy().to_string();

    // A damaged file on the stick: refused, nothing published.
    let files = usb.join("kitep-sync/v1/files");
    let victim = std::fs::read_dir(&files)
        .unwrap()
        .flatten()
        .find(|e| e.metadata().unwrap().len() > 1000)
        .unwrap()
        .path();
    let original = std::fs::read(&victim).unwrap();
    let mut broken = original.clone();
    broken[10] ^= 0x20;
    std::fs::write(&victim, &broken).unwrap();
    let run = sync(&school, &["--from", &usb_s]).await;
    assert!(!run.status.success(), "{}", text(&run.stdout));
    let err = text(&run.stderr);
    assert!(err.contains("damaged") && err.contains("SHA-256"), "{err}");
    let listed = |data: &Path| -> String {
        std::fs::read_dir(data.join("books"))
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default()
    };
    assert!(
        !listed(&school).contains("lakes"),
        "a damaged book was published"
    );
    std::fs::write(&victim, &original).unwrap();

    // A document changed after signing: refused before anything is fetched.
    let log = usb.join("kitep-sync/v1/changes.json");
    let good = std::fs::read_to_string(&log).unwrap();
    let tampered = good.replace("Синхрондоо lakes", "Синхрондоо LAKES");
    assert_ne!(tampered, good);
    std::fs::write(&log, tampered).unwrap();
    let run = sync(&school, &["--from", &usb_s]).await;
    assert!(!run.status.success(), "{}", text(&run.stdout));
    let err = text(&run.stderr);
    assert!(
        err.contains("not signed by the trusted key") && err.contains("nothing was applied"),
        "{err}"
    );
    assert!(!listed(&school).contains("lakes"));
    std::fs::write(&log, &good).unwrap();

    // The stick as it was written: the book comes in.
    let run = sync(&school, &["--from", &usb_s]).await;
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(
        text(&run.stdout).contains("Published: lakes"),
        "{}",
        text(&run.stdout)
    );

    // A document signed with the portal's own key but naming a path outside the book.
    let key = SecretKey::load_or_create(&nat_data.join("sync")).unwrap();
    let mut changes: serde_json::Value = serde_json::from_str(&good).unwrap();
    let doc = changes["events"][0]["doc"].as_str().unwrap().to_string();
    let mut d: serde_json::Value = serde_json::from_str(&doc).unwrap();
    d["files"][0]["path"] = "../../../etc/cron.d/evil".into();
    d["at"] = (d["at"].as_i64().unwrap() + 1000).into();
    let forged = d.to_string();
    changes["events"][0]["doc"] = forged.clone().into();
    changes["events"][0]["signature"] = key.sign(forged.as_bytes(), "forged").into();
    changes["events"][0]["seq"] = 99.into();
    std::fs::write(&log, changes.to_string()).unwrap();
    let run = sync(&school, &["--from", &usb_s]).await;
    assert!(!run.status.success());
    let err = text(&run.stderr);
    assert!(err.contains("leaves the book's folder"), "{err}");
    assert!(!tmp.path().join("etc").exists() && !school.join("etc").exists());
}

/// A tiny HTTP server answering every request with `answer(path)`.
fn fake_server(answer: impl Fn(&str, &mut TcpStream) + Send + Sync + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let answer = Arc::new(answer);
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            let answer = answer.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let n = s.read(&mut buf).unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]).to_string();
                let path = req.split_whitespace().nth(1).unwrap_or("/").to_string();
                answer(&path, &mut s);
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lying_sources_get_clear_errors_and_change_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let school = tmp.path().join("school");

    // Not a Kitepkana portal at all.
    let web = fake_server(|_, s| {
        let _ = s.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot here!",
        );
    });
    let run = sync(&school, &["--from", &web]).await;
    assert!(!run.status.success());
    assert!(
        text(&run.stderr).contains("Kitepkana portal"),
        "{}",
        text(&run.stderr)
    );

    // A real key, then a log that never ends.
    let key = SecretKey::generate().unwrap();
    let pubkey = key.public().to_file();
    let endless = fake_server(move |path, s| {
        if path.starts_with("/sync/v1/key.pub") {
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{pubkey}",
                pubkey.len()
            );
        } else {
            let _ = s.write_all(
                b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{\"kitep_sync\":1,\"events\":[",
            );
            let chunk = vec![b' '; 64 * 1024];
            while s.write_all(&chunk).is_ok() {}
        }
    });
    let run = sync(&school, &["--from", &endless]).await;
    assert!(!run.status.success());
    assert!(
        text(&run.stderr).contains("larger than"),
        "{}",
        text(&run.stderr)
    );

    // A file announced as 10 KB that never stops coming.
    let key = SecretKey::generate().unwrap();
    let pubkey = key.public().to_file();
    let doc = serde_json::json!({
        "kitep_sync": 1, "kind": "publish", "slug": "huge", "at": 1, "version": "v1",
        "title": "Huge", "language": "ky", "grades": [], "collections": [],
        "files": [{"path": "book.toml", "sha256": "0".repeat(64), "size": 10240}]
    })
    .to_string();
    let sig = key.sign(doc.as_bytes(), "test");
    let log = serde_json::json!({"kitep_sync": 1, "last": 1, "more": false, "events": [{"seq": 1, "doc": doc, "signature": sig}]}).to_string();
    let flood = fake_server(move |path, s| {
        if path.starts_with("/sync/v1/key.pub") {
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{pubkey}",
                pubkey.len()
            );
        } else if path.starts_with("/sync/v1/changes") {
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{log}",
                log.len()
            );
        } else {
            let _ = s.write_all(b"HTTP/1.1 206 Partial Content\r\nConnection: close\r\n\r\n");
            let chunk = vec![b'x'; 64 * 1024];
            while s.write_all(&chunk).is_ok() {}
        }
    });
    let run = sync(&school, &["--from", &flood]).await;
    assert!(!run.status.success());
    let err = text(&run.stderr);
    assert!(err.contains("longer than the 10240 bytes"), "{err}");
    // Nothing of it was kept.
    let partial = school.join("sync/partial");
    let left: u64 = std::fs::read_dir(&partial)
        .map(|d| d.flatten().map(|e| e.metadata().unwrap().len()).sum())
        .unwrap_or(0);
    assert!(left <= 10240, "{left} bytes kept");
    assert!(!school.join("books/huge").exists());
}

/// A book published before versions kept their sources: its unchanged folder, published again
/// at a start, gives its sources and a log entry, so schools can sync it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_published_before_the_log_is_offered_after_the_next_start() {
    let tmp = tempfile::tempdir().unwrap();
    let book = tmp.path().join("rivers");
    write_book(&book, "rivers", "дарыялар", 5);
    let nat = national(vec![book.clone()]).await;
    let version = nat.state.snapshot().book("rivers").unwrap().version.clone();
    let vdir = nat.state.store.local_dir("rivers", &version).unwrap();
    // As an older kitep left it: no sources, nothing in the log.
    std::fs::remove_dir_all(vdir.join("source")).unwrap();
    let url = nat.state.config.database_url.clone();
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query("DELETE FROM sync_events")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(nat.state.db.last_sync_seq().await.unwrap(), 0);

    let members = publish::memberships(&nat.state).await.unwrap();
    let o = publish::publish_book(&nat.state, &book, &members)
        .await
        .unwrap();
    assert!(matches!(o, Outcome::Unchanged { .. }), "{o:?}");
    assert!(
        vdir.join("source/src/01.md").is_file(),
        "the sources were not kept"
    );
    let events = nat.state.db.sync_events_since(0, 10).await.unwrap();
    assert_eq!(events.len(), 1);
    assert!(events[0].doc.contains(&version), "{}", events[0].doc);
}

/// Over HTTP as through a folder: a file damaged on the portal's disk, and a log whose documents
/// are signed by another key than the one trusted, are refused and change nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_http_a_damaged_file_or_a_foreign_signature_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let book = tmp.path().join("forests");
    write_book(&book, "forests", "токойлор", 8);
    let nat = national(vec![book.clone()]).await;
    let school = tmp.path().join("school");
    let version = nat
        .state
        .snapshot()
        .book("forests")
        .unwrap()
        .version
        .clone();
    let stored = nat
        .state
        .store
        .local_dir("forests", &version)
        .unwrap()
        .join("source/src/01.md");
    let original = std::fs::read(&stored).unwrap();
    let mut damaged = original.clone();
    damaged[5] ^= 0x01;
    std::fs::write(&stored, &damaged).unwrap();
    let run = sync(&school, &["--from", &nat.url]).await;
    assert!(!run.status.success(), "{}", text(&run.stdout));
    let err = text(&run.stderr);
    assert!(err.contains("damaged") && err.contains("forests"), "{err}");
    assert!(
        !school.join("books/forests").exists(),
        "a damaged book was published"
    );
    std::fs::write(&stored, &original).unwrap();

    // The portal's log, re-signed by someone else and served beside the portal's own key.
    let log = http_get(&format!("{}/sync/v1/changes", nat.url))
        .await
        .unwrap()
        .1;
    let mut changes: serde_json::Value = serde_json::from_str(&log).unwrap();
    let other = SecretKey::generate().unwrap();
    for e in changes["events"].as_array_mut().unwrap() {
        let doc = e["doc"].as_str().unwrap().to_string();
        e["signature"] = other.sign(doc.as_bytes(), "not the portal").into();
    }
    let forged = changes.to_string();
    let key = http_get(&format!("{}/sync/v1/key.pub", nat.url))
        .await
        .unwrap()
        .1;
    let fake = fake_server(move |path, s| {
        let body = if path.starts_with("/sync/v1/key.pub") {
            &key
        } else {
            &forged
        };
        let _ = write!(
            s,
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
    });
    let other_school = tmp.path().join("school2");
    let run = sync(&other_school, &["--from", &fake]).await;
    assert!(!run.status.success());
    let err = text(&run.stderr);
    assert!(
        err.contains("another key") && err.contains("nothing was applied"),
        "{err}"
    );
    assert!(!other_school.join("books/forests").exists());
}

/// A book withdrawn and restored on the portal before a school's first sync still comes in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_book_restored_before_the_first_sync_comes_in() {
    let tmp = tempfile::tempdir().unwrap();
    let book = tmp.path().join("valleys");
    write_book(&book, "valleys", "өрөөндөр", 4);
    let nat = national(vec![book.clone()]).await;
    withdraw(&nat.state, "valleys", "checking a fact").await;
    assert!(
        nat.state
            .db
            .set_withdrawn("valleys", None, None, "test")
            .await
            .unwrap()
    );
    server::offline::sync::record_withdrawal(&nat.state, "valleys", None)
        .await
        .unwrap();
    let school = tmp.path().join("school");
    let run = sync(&school, &["--from", &nat.url]).await;
    let out = text(&run.stdout);
    assert!(
        run.status.success() && out.contains("Published: valleys"),
        "{out}\n{}",
        text(&run.stderr)
    );
}

/// A school portal that syncs by itself (`kitep serve --sync-from URL`) has the national books
/// without anyone running `kitep sync`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_school_portal_syncs_on_its_own_schedule() {
    let tmp = tempfile::tempdir().unwrap();
    let book = tmp.path().join("steppes");
    write_book(&book, "steppes", "талаалар", 4);
    let nat = national(vec![book.clone()]).await;
    let local = tmp.path().join("local");
    copy_dir(
        &corpus::sample_books_dir().join("water-cycle-en"),
        &local.join("water-cycle-en"),
    );
    let port = free_port();
    let mut serve = kitep()
        .args(["serve", "--data"])
        .arg(tmp.path().join("school"))
        .args(["--addr", &format!("127.0.0.1:{port}"), "--books"])
        .arg(&local)
        .args(["--sync-from", &nat.url, "--sync-every", "10s"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let found = search_lists(&base, "талаалар", "steppes", true).await;
    let _ = serve.kill();
    let _ = serve.wait();
    assert!(found, "the scheduled sync did not bring the national book");
}
