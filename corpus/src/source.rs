//! Reading authors' files safely: UTF-8 checked with byte offsets, size limits, paths kept inside the book.

use std::path::{Component, Path, PathBuf};

/// A chapter's Markdown may be at most this large (a whole novel is about 1 MiB).
pub const MAX_CHAPTER_BYTES: usize = 2 * 1024 * 1024;

/// Decodes a text file's bytes: UTF-8 only (a BOM is dropped), CRLF → LF, NUL → U+FFFD.
/// The error names the byte offset of the first bad sequence and says what to do.
pub fn decode_text(bytes: &[u8]) -> Result<String, String> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err("is UTF-16; save it as UTF-8".to_string());
    }
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        let line = bytes[..at].iter().filter(|b| **b == b'\n').count() + 1;
        format!("invalid UTF-8 at byte {at} (line {line}); save the file as UTF-8")
    })?;
    if !text.contains(['\r', '\0']) {
        return Ok(text.to_string());
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push('\n');
                }
            }
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Reads a text file inside the book, with the chapter size limit.
pub fn read_text(path: &Path, label: &str) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| io_message(label, &e))?;
    if meta.len() as usize > MAX_CHAPTER_BYTES {
        return Err(format!(
            "{label}: file is {} bytes, more than the {} byte limit for one chapter; split it into several chapters",
            meta.len(),
            MAX_CHAPTER_BYTES
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| io_message(label, &e))?;
    decode_text(&bytes).map_err(|m| format!("{label}: {m}"))
}

fn io_message(label: &str, e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => format!("{label}: file not found"),
        _ => format!("{label}: {e}"),
    }
}

/// Percent-decodes a URL path (invalid escapes are kept as they are).
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Resolves `reference` (a relative path as written in a link, image or include, `/`-separated and
/// possibly percent-encoded) against `base` (a folder relative to the book root) and checks that it
/// stays inside the book. Returns the path relative to the book root, `/`-separated.
pub fn resolve_in_book(base: &str, reference: &str) -> Result<String, String> {
    let decoded = percent_decode(reference);
    // Decoding twice catches `%252e%252e` style double encoding, which some servers decode again.
    let twice = percent_decode(&decoded);
    for candidate in [&decoded, &twice] {
        if candidate.contains('\\') || candidate.contains('\0') {
            return Err(format!(
                "path '{reference}' uses backslashes or NUL; write paths with '/'"
            ));
        }
        if candidate.starts_with('/') || has_drive_prefix(candidate) {
            return Err(format!(
                "path '{reference}' is absolute; write it relative to the chapter"
            ));
        }
    }
    let mut parts: Vec<&str> = base
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    for part in decoded.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(format!("path '{reference}' escapes the book folder"));
                }
            }
            p => parts.push(p),
        }
    }
    if twice != decoded && twice.split('/').any(|p| p == "..") {
        return Err(format!(
            "path '{reference}' escapes the book folder (double-encoded '..')"
        ));
    }
    Ok(parts.join("/"))
}

fn has_drive_prefix(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':'
}

/// Joins a book-relative `/` path to the root and makes sure symlinks do not lead outside it.
pub fn checked_join(root: &Path, rel: &str) -> Result<PathBuf, String> {
    let mut p = root.to_path_buf();
    for part in rel.split('/').filter(|s| !s.is_empty() && *s != ".") {
        if part == ".."
            || part.contains('\\')
            || Path::new(part)
                .components()
                .any(|c| !matches!(c, Component::Normal(_)))
        {
            return Err(format!("path '{rel}' escapes the book folder"));
        }
        p.push(part);
    }
    if let (Ok(real), Ok(real_root)) = (p.canonicalize(), root.canonicalize())
        && !real.starts_with(&real_root)
    {
        return Err(format!(
            "path '{rel}' leads outside the book folder through a symbolic link"
        ));
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_errors_name_the_byte() {
        let e = decode_text(b"ok\nab\xffcd").unwrap_err();
        assert!(e.contains("byte 5") && e.contains("line 2"), "{e}");
        assert!(decode_text(b"\xc0\xaf").unwrap_err().contains("byte 0"));
        assert!(decode_text(b"\xed\xa0\x80").is_err());
        assert!(
            decode_text(b"\xff\xfea\x00")
                .unwrap_err()
                .contains("UTF-16")
        );
    }

    #[test]
    fn normalises_text() {
        assert_eq!(
            decode_text(b"\xEF\xBB\xBFa\r\nb\rc\0").unwrap(),
            "a\nb\nc\u{FFFD}"
        );
    }

    #[test]
    fn paths_stay_inside_the_book() {
        assert_eq!(
            resolve_in_book("src", "images/a.png").unwrap(),
            "src/images/a.png"
        );
        assert_eq!(
            resolve_in_book("src/part", "../images/a.png").unwrap(),
            "src/images/a.png"
        );
        for bad in [
            "../../etc/passwd",
            "/etc/passwd",
            "..%2f..%2f..%2fetc%2fpasswd",
            "%252e%252e/%252e%252e/%252e%252e/etc",
            "C:\\Windows\\win.ini",
            "\\\\host\\share",
            "C:/Windows",
        ] {
            assert!(resolve_in_book("src", bad).is_err(), "{bad}");
        }
        assert!(checked_join(Path::new("/tmp/../tmp"), "a/../../x").is_err());
        assert!(checked_join(Path::new("/tmp/../tmp"), "a/b").is_ok());
        // `....//` is a file name, not a parent reference: it stays inside.
        assert!(
            resolve_in_book("src", "....//....//etc")
                .unwrap()
                .starts_with("src/")
        );
    }
}
