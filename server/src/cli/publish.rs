//! `kitep publish BOOK --to URL`: packs a book's folder as a `.zip` and sends it to a portal as a
//! new draft revision, with a staff member's API token; `--wait` follows the build and prints its
//! diagnostics (exit 1 when the book has errors), so a publisher's CI can gate on it.

use anyhow::{Context, Result, bail};
use std::io::{Read, Write};
use std::net::TcpStream;
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

/// An `http://host[:port][/prefix]` address.
#[derive(Debug)]
struct Portal {
    host: String,
    port: u16,
    prefix: String,
}

fn parse_url(url: &str) -> Result<Portal> {
    if url.starts_with("https://") {
        bail!(
            "{url}: this kitep speaks plain HTTP only; send to the portal's http:// address inside your network (or through an SSH tunnel)"
        );
    }
    let rest = url
        .strip_prefix("http://")
        .with_context(|| format!("{url}: give the portal's address as http://HOST[:PORT]"))?;
    let (authority, prefix) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (
            h,
            p.parse::<u16>()
                .with_context(|| format!("{url}: the port is not a number"))?,
        ),
        None => (authority, 80),
    };
    if host.is_empty() {
        bail!("{url}: no host");
    }
    Ok(Portal {
        host: host.to_string(),
        port,
        prefix: if prefix.is_empty() {
            String::new()
        } else {
            format!("/{}", prefix.trim_end_matches('/'))
        },
    })
}

/// One HTTP/1.1 exchange; returns the status and the body.
fn exchange(
    p: &Portal,
    method: &str,
    path: &str,
    token: &str,
    body: Option<&[u8]>,
) -> Result<(u16, Vec<u8>)> {
    let mut s = TcpStream::connect((p.host.as_str(), p.port)).with_context(|| {
        format!(
            "connecting to {}:{} (is the portal running there?)",
            p.host, p.port
        )
    })?;
    s.set_read_timeout(Some(Duration::from_secs(300)))?;
    let mut head = format!(
        "{method} {}{path} HTTP/1.1\r\nHost: {}:{}\r\nAuthorization: Bearer {token}\r\nAccept: application/json\r\nConnection: close\r\nUser-Agent: kitep/{}\r\n",
        p.prefix,
        p.host,
        p.port,
        env!("CARGO_PKG_VERSION")
    );
    if let Some(b) = body {
        head.push_str(&format!(
            "Content-Type: application/zip\r\nContent-Length: {}\r\n",
            b.len()
        ));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes())?;
    if let Some(b) = body {
        s.write_all(b)?;
    }
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)
        .context("reading the portal's answer")?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("the portal's answer is not HTTP")?;
    let headers = String::from_utf8_lossy(&raw[..split]).to_string();
    let status: u16 = headers
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .context("the portal's answer has no status")?;
    let mut body = raw[split + 4..].to_vec();
    if headers
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    Ok((status, body))
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = b.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(
            String::from_utf8_lossy(&b[..end])
                .split(';')
                .next()
                .unwrap_or("")
                .trim(),
            16,
        )
        .unwrap_or(0);
        if size == 0 || end + 2 + size > b.len() {
            break;
        }
        out.extend_from_slice(&b[end + 2..end + 2 + size]);
        b = &b[(end + 4 + size).min(b.len())..];
    }
    out
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
    let zip = pack(book)?;
    let mut path = "/api/drafts".to_string();
    if let Some(o) = organisation {
        path.push_str("?organisation=");
        path.extend(form_urlencoded::byte_serialize(o.as_bytes()));
    }
    let (status, body) = exchange(&portal, "POST", &path, token.trim(), Some(&zip))?;
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
            &portal,
            "GET",
            &format!("/api/drafts/{draft}"),
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
        let p = parse_url("http://portal.school.kg:8080/kitep/").unwrap();
        assert_eq!(
            (p.host.as_str(), p.port, p.prefix.as_str()),
            ("portal.school.kg", 8080, "/kitep")
        );
        let p = parse_url("http://127.0.0.1").unwrap();
        assert_eq!((p.port, p.prefix.as_str()), (80, ""));
        assert!(parse_url("ftp://x").is_err());
        assert!(
            parse_url("https://x")
                .unwrap_err()
                .to_string()
                .contains("plain HTTP")
        );
    }

    #[test]
    fn chunked_bodies() {
        assert_eq!(
            dechunk(b"4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n"),
            b"Wikipedia"
        );
    }
}
