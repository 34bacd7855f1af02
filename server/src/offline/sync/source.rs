//! Where a school syncs from: a portal over HTTP (`/sync/v1/…`) or a folder written by `kitep
//! sync --export` (`kitep-sync/v1/…`, the same names). Both give the portal's public key, its log
//! from a point on, and files by hash; neither is trusted: every answer is bounded in size and
//! checked by the caller.

use super::FileRef;
use anyhow::{Context, Result, anyhow, bail};
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The folder of the layout inside a USB export.
pub const DIR_PREFIX: &str = "kitep-sync/v1";
/// A public key file is a few lines.
const MAX_KEY_BYTES: u64 = 4 * 1024;
/// One page of the log.
const MAX_CHANGES_BYTES: u64 = 32 * 1024 * 1024;
/// Events asked for per page.
pub const PAGE: i64 = 500;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    pub seq: i64,
    pub doc: String,
    pub signature: String,
}

impl From<catalog::SyncEvent> for Event {
    fn from(e: catalog::SyncEvent) -> Event {
        Event {
            seq: e.seq,
            doc: e.doc,
            signature: e.signature,
        }
    }
}

/// A page of the log.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Changes {
    /// Marks the answer as a Kitepkana portal's (its sync format).
    pub kitep_sync: u32,
    pub events: Vec<Event>,
    /// The newest event's number.
    pub last: i64,
    /// More events follow this page.
    pub more: bool,
}

/// An answer a retry cannot mend (a file longer than announced, one the source does not have):
/// the sync stops trying it at once.
#[derive(Debug)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// Caps the bytes per second read, over the whole sync.
pub struct RateLimit {
    per_second: Option<u64>,
    started: Instant,
    read: u64,
}

impl RateLimit {
    pub fn new(per_second: Option<u64>) -> RateLimit {
        RateLimit {
            per_second,
            started: Instant::now(),
            read: 0,
        }
    }

    /// Bytes received so far.
    pub fn total(&self) -> u64 {
        self.read
    }

    fn took(&mut self, n: usize) {
        self.read += n as u64;
        if let Some(rate) = self.per_second.filter(|r| *r > 0) {
            let due = Duration::from_secs_f64(self.read as f64 / rate as f64);
            let spent = self.started.elapsed();
            if due > spent {
                std::thread::sleep(due - spent);
            }
        }
    }
}

pub trait Source: Send + Sync {
    /// How the source is named in messages and in the school's records.
    fn name(&self) -> String;
    /// The portal's public key file.
    fn key(&self) -> Result<String>;
    /// The log after `since`.
    fn changes(&self, since: i64) -> Result<Changes>;
    /// Appends the rest of `file` to `partial` (which holds its first bytes from an earlier,
    /// cut attempt); never writes past the size the document announced. Returns the bytes
    /// received.
    fn fetch(&self, file: &FileRef, partial: &Path, rate: &mut RateLimit) -> Result<u64>;
}

/// Copies at most `limit - have` bytes of `from` to the end of `partial`; an answer longer than
/// the file announced is refused.
fn append_bounded(
    mut from: impl Read,
    partial: &Path,
    have: u64,
    size: u64,
    what: &str,
    rate: &mut RateLimit,
) -> Result<u64> {
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(partial)
        .with_context(|| format!("opening {}", partial.display()))?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut got = 0u64;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                out.flush()?;
                return Err(anyhow!(e).context(format!("receiving {what}")));
            }
        };
        if have + got + n as u64 > size {
            return Err(Refused(format!(
                "{what} is longer than the {size} bytes its document announces: refused"
            ))
            .into());
        }
        out.write_all(&buf[..n])?;
        got += n as u64;
        rate.took(n);
    }
    out.flush()?;
    Ok(got)
}

fn read_bounded(mut r: impl Read, limit: u64, what: &str) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    (&mut r)
        .take(limit + 1)
        .read_to_end(&mut out)
        .with_context(|| format!("reading {what}"))?;
    if out.len() as u64 > limit {
        bail!("{what} is larger than {limit} bytes: is this a Kitepkana portal?");
    }
    Ok(out)
}

fn parse_changes(bytes: &[u8], what: &str) -> Result<Changes> {
    let c: Changes = serde_json::from_slice(bytes)
        .map_err(|e| anyhow!("{what} is not a Kitepkana sync log ({e})"))?;
    if c.kitep_sync != super::FORMAT {
        bail!(
            "{what} is in sync format {}; this kitep reads {}",
            c.kitep_sync,
            super::FORMAT
        );
    }
    Ok(c)
}

/// A portal over HTTP(S).
pub struct Http {
    base: String,
    agent: ureq::Agent,
}

impl Http {
    pub fn new(url: &str) -> Result<Http> {
        let base = url.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            bail!("{url}: give a portal's address (http://… or https://…) or a folder");
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(20)))
            .timeout_recv_response(Some(Duration::from_secs(60)))
            .timeout_recv_body(Some(Duration::from_secs(3600)))
            .user_agent(format!("kitep-sync/{}", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(Http { base, agent })
    }

    fn get(&self, path: &str, limit: u64, what: &str) -> Result<Vec<u8>> {
        let url = format!("{}{path}", self.base);
        let mut res = self
            .agent
            .get(&url)
            .call()
            .with_context(|| format!("reaching {url}"))?;
        let status = res.status().as_u16();
        if status == 404 {
            bail!(
                "{} has no {what} ({url}: 404): is it a Kitepkana portal?",
                self.base
            );
        }
        if status != 200 {
            bail!("{url} answered {status}");
        }
        read_bounded(res.body_mut().as_reader(), limit, what)
    }
}

impl Source for Http {
    fn name(&self) -> String {
        self.base.clone()
    }

    fn key(&self) -> Result<String> {
        let b = self.get("/sync/v1/key.pub", MAX_KEY_BYTES, "sync key")?;
        String::from_utf8(b).map_err(|_| anyhow!("{}: the sync key is not text", self.base))
    }

    fn changes(&self, since: i64) -> Result<Changes> {
        let b = self.get(
            &format!("/sync/v1/changes?since={since}&limit={PAGE}"),
            MAX_CHANGES_BYTES,
            "sync log",
        )?;
        parse_changes(&b, &format!("the log of {}", self.base))
    }

    fn fetch(&self, file: &FileRef, partial: &Path, rate: &mut RateLimit) -> Result<u64> {
        let have = std::fs::metadata(partial).map(|m| m.len()).unwrap_or(0);
        if have >= file.size {
            return Ok(0);
        }
        let url = format!("{}/sync/v1/files/{}", self.base, file.sha256);
        let mut res = self
            .agent
            .get(&url)
            .header("Range", &format!("bytes={have}-"))
            .call()
            .with_context(|| format!("reaching {url}"))?;
        let status = res.status().as_u16();
        match status {
            206 => {}
            // The whole file again: start over.
            200 => {
                std::fs::write(partial, b"")?;
                return append_bounded(
                    res.body_mut().as_reader(),
                    partial,
                    0,
                    file.size,
                    &file.path,
                    rate,
                );
            }
            404 => {
                return Err(Refused(format!(
                    "{}: the portal no longer has this file ({url})",
                    file.path
                ))
                .into());
            }
            _ => bail!("{url} answered {status}"),
        }
        append_bounded(
            res.body_mut().as_reader(),
            partial,
            have,
            file.size,
            &file.path,
            rate,
        )
    }
}

/// A folder written by `kitep sync --export`.
pub struct Dir {
    root: PathBuf,
}

impl Dir {
    pub fn new(dir: &Path) -> Result<Dir> {
        let root = dir.join(DIR_PREFIX);
        if !root.join("changes.json").is_file() {
            bail!(
                "{} holds no Kitepkana sync export ({} is missing): write one with `kitep sync --export`",
                dir.display(),
                root.join("changes.json").display()
            );
        }
        Ok(Dir { root })
    }

    fn read(&self, rel: &str, limit: u64, what: &str) -> Result<Vec<u8>> {
        let p = self.root.join(rel);
        let f = std::fs::File::open(&p).with_context(|| format!("opening {}", p.display()))?;
        read_bounded(f, limit, what)
    }
}

impl Source for Dir {
    fn name(&self) -> String {
        // Folders move (a USB stick mounts anywhere): all exports are one source.
        "usb".into()
    }

    fn key(&self) -> Result<String> {
        let b = self.read("key.pub", MAX_KEY_BYTES, "sync key")?;
        String::from_utf8(b).map_err(|_| anyhow!("the sync key is not text"))
    }

    fn changes(&self, since: i64) -> Result<Changes> {
        let b = self.read("changes.json", MAX_CHANGES_BYTES * 8, "sync log")?;
        let mut c = parse_changes(&b, &self.root.join("changes.json").display().to_string())?;
        c.events.retain(|e| e.seq > since);
        c.more = false;
        Ok(c)
    }

    fn fetch(&self, file: &FileRef, partial: &Path, rate: &mut RateLimit) -> Result<u64> {
        if !super::is_hash(&file.sha256) {
            bail!("{}: not a SHA-256", file.path);
        }
        let p = self.root.join("files").join(&file.sha256);
        let f = std::fs::File::open(&p).map_err(|e| {
            Refused(format!(
                "{}: {} is missing from the export ({e})",
                file.path,
                p.display()
            ))
        })?;
        std::fs::write(partial, b"")?;
        append_bounded(f, partial, 0, file.size, &file.path, rate)
    }
}
