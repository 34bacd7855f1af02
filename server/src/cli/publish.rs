//! `kitep publish BOOK --to URL`: packs a book's folder as a `.zip` and sends it to a portal as a
//! new draft revision, with a staff member's API token; `--wait` follows the build and prints its
//! diagnostics (exit 1 when the book has errors), so a publisher's CI can gate on it.

use anyhow::{Context, Result, bail};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Folders never packed: version control, dependencies, and `kitep build` outputs.
fn skipped(dir: &Path) -> bool {
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.starts_with('.')
        || name == "node_modules"
        || name == "target"
        || (dir.join("book.json").is_file() && dir.join("passages.jsonl").is_file())
}

/// The book's folder as a .zip in memory (regular files only; links are left out and said).
pub fn pack(book: &Path) -> Result<Vec<u8>> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(false);
    let mut stack = vec![book.to_path_buf()];
    let mut files = 0usize;
    while let Some(dir) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .flatten()
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let path = e.path();
            let kind = e.file_type()?;
            if kind.is_symlink() {
                eprintln!(
                    "{}: a symbolic link, left out (put the file itself in the folder)",
                    path.display()
                );
            } else if kind.is_dir() {
                if !skipped(&path) {
                    stack.push(path);
                }
            } else if kind.is_file() {
                let rel = path.strip_prefix(book).unwrap_or(&path);
                let name = rel
                    .to_str()
                    .with_context(|| {
                        format!("{}: the file name is not UTF-8; rename it", path.display())
                    })?
                    .replace('\\', "/");
                w.start_file(name, opts)?;
                let bytes =
                    std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
                w.write_all(&bytes)?;
                files += 1;
            }
        }
    }
    if files == 0 {
        bail!("{}: no files to send", book.display());
    }
    Ok(w.finish()?.into_inner())
}

/// The portal's address, checked: `http://` or `https://`, without a trailing slash.
fn parse_url(url: &str) -> Result<String> {
    let u = url.trim().trim_end_matches('/');
    let rest = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"))
        .with_context(|| {
            format!("{url}: give the portal's address as https://HOST or http://HOST[:PORT]")
        })?;
    if rest.is_empty() || rest.starts_with('/') {
        bail!("{url}: no host");
    }
    Ok(u.to_string())
}

/// One exchange with the portal; returns the status and the body (any status: the caller says).
fn exchange(
    agent: &ureq::Agent,
    url: &str,
    token: &str,
    body: Option<&[u8]>,
) -> Result<(u16, Vec<u8>)> {
    let auth = format!("Bearer {token}");
    let ua = format!("kitep/{}", env!("CARGO_PKG_VERSION"));
    let res = match body {
        Some(b) => agent
            .post(url)
            .header("Authorization", &auth)
            .header("User-Agent", &ua)
            .header("Content-Type", "application/zip")
            .send(b),
        None => agent
            .get(url)
            .header("Authorization", &auth)
            .header("User-Agent", &ua)
            .call(),
    };
    let mut res = res.with_context(|| format!("reaching {url} (is the portal running there?)"))?;
    let status = res.status().as_u16();
    let body = res
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_vec()
        .context("reading the portal's answer")?;
    Ok((status, body))
}

fn error_message(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
        .unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(300).collect())
}

pub fn publish(
    book: &Path,
    to: &str,
    token: &str,
    organisation: Option<&str>,
    wait: bool,
) -> Result<ExitCode> {
    if token.trim().is_empty() {
        bail!(
            "no API token: give --token or set KITEP_TOKEN (an admin prints one with `kitep admin token`)"
        );
    }
    corpus::BookProject::load(book).map_err(|e| match e {
        corpus::Error::Invalid(d) => anyhow::anyhow!("{}: {d}", book.display()),
        other => anyhow::anyhow!("{}: {other}", book.display()),
    })?;
    let portal = parse_url(to)?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(600)))
        .build()
        .into();
    let zip = pack(book)?;
    let mut path = format!("{portal}/api/drafts");
    if let Some(o) = organisation {
        path.push_str("?organisation=");
        path.extend(form_urlencoded::byte_serialize(o.as_bytes()));
    }
    let (status, body) = exchange(&agent, &path, token.trim(), Some(&zip))?;
    if status != 201 {
        eprintln!(
            "the portal refused the upload ({status}): {}",
            error_message(&body)
        );
        return Ok(ExitCode::FAILURE);
    }
    let v: serde_json::Value =
        serde_json::from_slice(&body).context("the portal's answer is not JSON")?;
    let draft = v["draft"].as_str().unwrap_or("").to_string();
    println!(
        "Sent {} ({} KB) as a new revision of draft {draft}.",
        book.display(),
        zip.len() / 1024
    );
    println!("Its page: {}", v["page"].as_str().unwrap_or(""));
    if !wait {
        return Ok(ExitCode::SUCCESS);
    }
    let started = Instant::now();
    loop {
        let (status, body) = exchange(
            &agent,
            &format!("{portal}/api/drafts/{draft}"),
            token.trim(),
            None,
        )?;
        if status != 200 {
            eprintln!(
                "following the build failed ({status}): {}",
                error_message(&body)
            );
            return Ok(ExitCode::FAILURE);
        }
        let v: serde_json::Value = serde_json::from_slice(&body)?;
        let b = &v["build"];
        match b["state"].as_str().unwrap_or("") {
            "done" | "failed" => {
                for d in b["diagnostics"].as_array().into_iter().flatten() {
                    println!(
                        "{}:{}:{}: {}: {}",
                        d["file"].as_str().unwrap_or(""),
                        d["line"],
                        d["column"],
                        d["severity"].as_str().unwrap_or(""),
                        d["message"].as_str().unwrap_or("")
                    );
                }
                let errors = b["errors"].as_i64().unwrap_or(0);
                let warnings = b["warnings"].as_i64().unwrap_or(0);
                if b["state"] == "failed" {
                    eprintln!("the build failed: {}", b["message"].as_str().unwrap_or(""));
                    return Ok(ExitCode::FAILURE);
                }
                println!("Built: {errors} error(s), {warnings} warning(s).");
                return Ok(if errors > 0 {
                    ExitCode::FAILURE
                } else {
                    ExitCode::SUCCESS
                });
            }
            _ => {
                if started.elapsed() > Duration::from_secs(600) {
                    eprintln!("the build did not end within 10 minutes; follow it on its page");
                    return Ok(ExitCode::FAILURE);
                }
                std::thread::sleep(Duration::from_millis(500));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(
            parse_url("https://kitep.edu.kg/").unwrap(),
            "https://kitep.edu.kg"
        );
        assert_eq!(
            parse_url("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert!(parse_url("ftp://x").is_err());
        assert!(parse_url("https://").is_err());
    }
}
