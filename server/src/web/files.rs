//! Serving bytes the way browsers and e-readers expect: content types, strong ETags with
//! `If-None-Match` → 304, single byte ranges (`Range: bytes=…` → 206, or 416), and cache headers.

use crate::library::Fnv;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

pub fn etag_of(bytes: &[u8]) -> String {
    let mut h = Fnv::default();
    h.write(bytes);
    format!("\"{:016x}\"", h.finish())
}

pub fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "epub" => "application/epub+zip",
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "json" => "application/json",
        "jsonl" => "application/jsonl",
        "xml" => "application/xml",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Whether the request's `If-None-Match` already names this ETag.
pub fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim() == "*" || t.trim().trim_start_matches("W/") == etag)
        })
}

/// How long a response may be cached.
#[derive(Debug, Clone, Copy)]
pub enum Caching {
    /// Versioned URLs: never change.
    Immutable,
    /// Revalidate every time (cheap with the ETag).
    Revalidate,
}

impl Caching {
    fn header(self) -> &'static str {
        match self {
            Caching::Immutable => "public, max-age=31536000, immutable",
            Caching::Revalidate => "public, no-cache",
        }
    }
}

/// What a response sends: bytes in memory (pages, the stylesheet), or a stored file, streamed in
/// small chunks so that a client that reads slowly holds a chunk, not the whole file.
pub enum Content {
    Bytes(Vec<u8>),
    File(std::fs::File, u64),
}

impl Content {
    fn len(&self) -> u64 {
        match self {
            Content::Bytes(b) => b.len() as u64,
            Content::File(_, len) => *len,
        }
    }

    /// The body for bytes `start..=end`.
    fn body(self, start: u64, end: u64) -> Body {
        match self {
            Content::Bytes(b) => {
                if start == 0 && end + 1 == b.len() as u64 {
                    Body::from(b)
                } else {
                    Body::from(b[start as usize..=end as usize].to_vec())
                }
            }
            Content::File(mut f, _) => {
                use std::io::Seek;
                if f.seek(std::io::SeekFrom::Start(start)).is_err() {
                    return Body::empty();
                }
                let file =
                    tokio::io::AsyncReadExt::take(tokio::fs::File::from_std(f), end + 1 - start);
                Body::from_stream(tokio_util::io::ReaderStream::with_capacity(
                    file,
                    STREAM_CHUNK,
                ))
            }
        }
    }
}

/// Bytes read from disk at a time for a streamed file.
const STREAM_CHUNK: usize = 64 * 1024;

/// A file's bytes as a response, honouring `If-None-Match` and `Range`.
pub fn serve_bytes(
    headers: &HeaderMap,
    bytes: Vec<u8>,
    content_type: &str,
    etag: String,
    caching: Caching,
    download_name: Option<&str>,
) -> Response {
    serve(
        headers,
        Content::Bytes(bytes),
        content_type,
        etag,
        caching,
        download_name,
    )
}

/// A response for `content`, honouring `If-None-Match` and `Range`.
pub fn serve(
    headers: &HeaderMap,
    content: Content,
    content_type: &str,
    etag: String,
    caching: Caching,
    download_name: Option<&str>,
) -> Response {
    let mut b = Response::builder()
        .header(header::ETAG, &etag)
        .header(header::CACHE_CONTROL, caching.header())
        .header(header::ACCEPT_RANGES, "bytes");
    if let Some(name) = download_name {
        b = b.header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", name.replace(['"', '\\'], "")),
        );
    }
    if not_modified(headers, &etag) {
        return b
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .unwrap_or_default();
    }
    let b = b.header(header::CONTENT_TYPE, content_type);
    let len = content.len();
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    // A range applies only if If-Range (when sent) still names this version.
    let if_range_ok = headers
        .get(header::IF_RANGE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.trim() == etag);
    match range.filter(|_| if_range_ok).map(|r| parse_range(r, len)) {
        None | Some(RangeSpec::Ignore) => b
            .status(StatusCode::OK)
            .header(header::CONTENT_LENGTH, len)
            .body(if len == 0 {
                Body::empty()
            } else {
                content.body(0, len - 1)
            })
            .unwrap_or_default(),
        Some(RangeSpec::Unsatisfiable) => b
            .status(StatusCode::RANGE_NOT_SATISFIABLE)
            .header(header::CONTENT_RANGE, format!("bytes */{len}"))
            .body(Body::empty())
            .unwrap_or_default(),
        Some(RangeSpec::Bytes(start, end)) => b
            .status(StatusCode::PARTIAL_CONTENT)
            .header(header::CONTENT_RANGE, format!("bytes {start}-{end}/{len}"))
            .header(header::CONTENT_LENGTH, end + 1 - start)
            .body(content.body(start, end))
            .unwrap_or_default(),
    }
}

#[derive(Debug, PartialEq)]
enum RangeSpec {
    /// Malformed or several ranges: send the whole file (allowed by RFC 9110).
    Ignore,
    Unsatisfiable,
    Bytes(u64, u64),
}

/// A byte position as RFC 9110 writes it: digits only (Rust's `parse` would also take `+10`).
fn position(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn parse_range(value: &str, len: u64) -> RangeSpec {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return RangeSpec::Ignore;
    };
    if spec.contains(',') {
        return RangeSpec::Ignore;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return RangeSpec::Ignore;
    };
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() {
        // Suffix: the last N bytes.
        let Some(n) = position(b) else {
            return RangeSpec::Ignore;
        };
        if n == 0 || len == 0 {
            return RangeSpec::Unsatisfiable;
        }
        return RangeSpec::Bytes(len.saturating_sub(n), len - 1);
    }
    let Some(start) = position(a) else {
        return RangeSpec::Ignore;
    };
    let end = if b.is_empty() {
        len.saturating_sub(1)
    } else {
        match position(b) {
            Some(e) if e >= start => e.min(len.saturating_sub(1)),
            _ => return RangeSpec::Ignore,
        }
    };
    if start >= len {
        return RangeSpec::Unsatisfiable;
    }
    RangeSpec::Bytes(start, end)
}

pub fn header_value(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), RangeSpec::Bytes(0, 9));
        assert_eq!(parse_range("bytes=90-", 100), RangeSpec::Bytes(90, 99));
        assert_eq!(parse_range("bytes=-10", 100), RangeSpec::Bytes(90, 99));
        assert_eq!(parse_range("bytes=50-1000", 100), RangeSpec::Bytes(50, 99));
        assert_eq!(parse_range("bytes=100-", 100), RangeSpec::Unsatisfiable);
        assert_eq!(parse_range("bytes=9-3", 100), RangeSpec::Ignore);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), RangeSpec::Ignore);
        assert_eq!(parse_range("items=0-1", 100), RangeSpec::Ignore);
        // Signs are not digits: the header is malformed and the whole file is sent.
        assert_eq!(parse_range("bytes=+0-+10", 100), RangeSpec::Ignore);
        assert_eq!(parse_range("bytes=-+10", 100), RangeSpec::Ignore);
        assert_eq!(
            parse_range("bytes=-99999999999999999999", 100),
            RangeSpec::Ignore
        );
    }
}
