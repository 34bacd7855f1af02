//! `kitep preview BOOK`: the book's web reader on localhost, rebuilt on every save. The open page
//! reloads itself (a small script, added only here: this is the author's tool, not the book).
//! Chapters whose text did not change are not compiled again, and unchanged pages are not
//! rewritten; problems are shown at the top of every page and printed in the terminal.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result};
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// How often the book folder is looked at for saved files.
const POLL: Duration = Duration::from_millis(40);

pub struct PreviewOptions {
    pub book: PathBuf,
    pub addr: String,
    /// Where the preview is built (a temporary folder when absent).
    pub out: Option<PathBuf>,
}

struct Shared {
    html: PathBuf,
    version: tokio::sync::watch::Sender<u64>,
    /// Problems of the last build, as `file:line:col: severity: message`.
    problems: Mutex<Vec<String>>,
}

pub fn run(opts: PreviewOptions) -> Result<()> {
    let book = opts.book.clone();
    anyhow::ensure!(
        book.join("book.toml").is_file() || book.join("src").is_dir(),
        "{}: not a book folder (no book.toml); create one with kitep new",
        book.display()
    );
    let (out, temporary) = match &opts.out {
        Some(o) => (o.clone(), false),
        None => (
            std::env::temp_dir().join(format!("kitep-preview-{}", std::process::id())),
            true,
        ),
    };
    let memo = Arc::new(formats::ChapterMemo::default());
    let build_opts = authoring::BuildOptions {
        formats: authoring::Formats::parse("html").map_err(anyhow::Error::msg)?,
        image_cache: Some(out.join(".kitep-cache").join("images")),
        chapter_memo: Some(memo.clone()),
        ..Default::default()
    };
    let (tx, _) = tokio::sync::watch::channel(0u64);
    let shared = Arc::new(Shared {
        html: out.join("html"),
        version: tx,
        problems: Mutex::new(Vec::new()),
    });
    rebuild(&book, &out, &build_opts, &memo, &shared);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let watcher = {
        let (book, out, shared) = (book.clone(), out.clone(), shared.clone());
        std::thread::spawn(move || watch(&book, &out, &build_opts, &memo, &shared))
    };
    let result = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&opts.addr)
            .await
            .with_context(|| format!("listening on {} (use --addr)", opts.addr))?;
        let addr = listener.local_addr()?;
        println!(
            "Preview of {} at http://{addr}/ : save a file and the open page reloads. Ctrl-C stops.",
            book.display()
        );
        let app = axum::Router::new()
            .route("/__kitep/wait", get(wait))
            .fallback(get(file))
            .with_state(shared.clone());
        // Ctrl-C, or a polite kill: the server stops at once (an open page's waiting request
        // would hold a graceful stop for seconds) and the temporary folder goes.
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        let terminated = async {
            match term.as_mut() {
                Some(t) => {
                    t.recv().await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            served = axum::serve(listener, app).into_future() => served.context("serving the preview"),
            _ = tokio::signal::ctrl_c() => Ok(()),
            _ = terminated => Ok(()),
        }
    });
    drop(watcher);
    if temporary {
        let _ = std::fs::remove_dir_all(&out);
    }
    result
}

/// A fingerprint of every file under the book folder (names, sizes, modification times), the
/// preview's own output and hidden folders left out.
fn fingerprint(book: &Path, out: &Path) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let mut stack = vec![book.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let path = e.path();
            let name = e.file_name();
            if name.to_string_lossy().starts_with('.') || path == out {
                continue;
            }
            let Ok(meta) = e.metadata() else { continue };
            if meta.is_dir() {
                if !matches!(name.to_str(), Some("target" | "book" | "node_modules")) {
                    stack.push(path);
                }
                continue;
            }
            name.hash(&mut h);
            meta.len().hash(&mut h);
            meta.modified()
                .ok()
                .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
                .hash(&mut h);
        }
    }
    h.finish()
}

fn watch(
    book: &Path,
    out: &Path,
    opts: &authoring::BuildOptions,
    memo: &formats::ChapterMemo,
    shared: &Shared,
) {
    let mut seen = fingerprint(book, out);
    loop {
        std::thread::sleep(POLL);
        let now = fingerprint(book, out);
        if now == seen {
            continue;
        }
        seen = now;
        rebuild(book, out, opts, memo, shared);
    }
}

fn rebuild(
    book: &Path,
    out: &Path,
    opts: &authoring::BuildOptions,
    memo: &formats::ChapterMemo,
    shared: &Shared,
) {
    let started = Instant::now();
    let result = authoring::build(book, out, opts, &|_, _, _| {});
    let ms = started.elapsed().as_millis();
    let problems: Vec<String> = match &result {
        Ok(report) => report
            .diagnostics
            .iter()
            .map(|d| d.from_folder(book).to_string())
            .collect(),
        Err(authoring::BuildError::Book(d) | authoring::BuildError::Strict(d)) => {
            d.iter().map(|d| d.from_folder(book).to_string()).collect()
        }
        Err(authoring::BuildError::Output(m)) => vec![format!("writing the preview: {m}")],
    };
    match &result {
        Ok(report) => println!(
            "Rebuilt in {ms} ms: {} chapters, {} compiled again; {} problem(s)",
            report.chapters,
            report.chapters.saturating_sub(memo.hits()),
            problems.len()
        ),
        Err(_) => println!(
            "The book cannot be built ({} problem(s)); the last good pages stay",
            problems.len()
        ),
    }
    for p in &problems {
        println!("  {p}");
    }
    if let Ok(mut slot) = shared.problems.lock() {
        *slot = problems;
    }
    shared.version.send_modify(|v| *v += 1);
}

#[derive(serde::Deserialize)]
struct WaitQuery {
    v: Option<u64>,
}

/// Answers with the build's version as soon as it differs from `v` (or after 25 s, so proxies
/// and browsers never see a hung request).
async fn wait(State(shared): State<Arc<Shared>>, Query(q): Query<WaitQuery>) -> Response {
    let mut rx = shared.version.subscribe();
    let known = q.v.unwrap_or(0);
    let changed = async {
        loop {
            if *rx.borrow_and_update() != known {
                return;
            }
            if rx.changed().await.is_err() {
                return;
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(25), changed).await;
    let v = *shared.version.borrow();
    (
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        v.to_string(),
    )
        .into_response()
}

async fn file(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    let path = corpus::source::percent_decode(uri.path());
    let rel = path.trim_start_matches('/');
    let rel = if rel.is_empty() || rel.ends_with('/') {
        format!("{rel}index.html")
    } else {
        rel.to_string()
    };
    if rel
        .split('/')
        .any(|c| c == ".." || c.starts_with('.') || c.contains('\\'))
    {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    let full = shared.html.join(&rel);
    let bytes = match tokio::fs::read(&full).await {
        Ok(b) => b,
        Err(_) => {
            let page = page_with_problems(&shared, None);
            return (
                StatusCode::NOT_FOUND,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                page,
            )
                .into_response();
        }
    };
    let ext = rel.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    let content_type = server::web::files::content_type(&rel);
    let body = if ext == "html" {
        page_with_problems(&shared, Some(String::from_utf8_lossy(&bytes).into_owned())).into_bytes()
    } else {
        bytes
    };
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// A page of the reader with the problems of the last build at its top and the reloading script
/// at its end; without a page (not built yet, or not found), a page of its own.
fn page_with_problems(shared: &Shared, page: Option<String>) -> String {
    let version = *shared.version.borrow();
    let problems = shared
        .problems
        .lock()
        .map(|p| p.clone())
        .unwrap_or_default();
    let mut banner = String::new();
    if !problems.is_empty() {
        banner.push_str(
            "<div id=\"kitep-preview-problems\" role=\"alert\" style=\"border:3px solid #9a3412;background:#fff7ed;color:#1a1a1a;padding:0.5rem 1rem;margin:0.5rem 0;font-size:0.9rem\"><strong>",
        );
        banner.push_str(&format!("{} problem(s) in the book:", problems.len()));
        banner.push_str("</strong><ul>");
        for p in problems.iter().take(50) {
            banner.push_str("<li>");
            banner.push_str(&escape(p));
            banner.push_str("</li>");
        }
        banner.push_str("</ul></div>");
    }
    let script = format!(
        "<script>(function(){{var v={version};function wait(){{fetch('/__kitep/wait?v='+v,{{cache:'no-store'}}).then(function(r){{return r.text()}}).then(function(t){{if(t!==String(v)){{location.reload()}}else{{wait()}}}}).catch(function(){{setTimeout(wait,1000)}})}}wait()}})();</script>"
    );
    match page {
        Some(mut html) => {
            if let Some(at) = html.find("<body") {
                let after = html[at..].find('>').map(|e| at + e + 1).unwrap_or(at);
                html.insert_str(after, &banner);
            }
            match html.rfind("</body>") {
                Some(at) => html.insert_str(at, &script),
                None => html.push_str(&script),
            }
            html
        }
        None => format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Preview</title></head><body>{banner}<p>This page is not in the book (yet). <a href=\"/\">Contents</a></p>{script}</body></html>"
        ),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
