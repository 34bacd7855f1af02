//! The one URL policy for every link and image: decoded first, then judged.

/// What a written URL turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlKind {
    /// http, https or mailto: kept as written, with what URL syntax forbids percent-encoded.
    External(String),
    /// A path inside the book, possibly with a fragment (`#x` alone has an empty path).
    Relative { path: String, fragment: String },
    /// Anything else (`javascript:`, `data:`, `file:`, `vbscript:` …): dropped with a warning.
    Blocked(String),
}

/// Classifies a URL as the browser would see it: entities are expected to be decoded already
/// (the Markdown parser and our HTML tokenizer do that); ASCII whitespace and control characters,
/// which browsers strip, are removed before the scheme is read.
pub fn classify(url: &str) -> UrlKind {
    let cleaned: String = url
        .chars()
        .filter(|c| !c.is_ascii_control() && !c.is_ascii_whitespace())
        .collect();
    if let Some(scheme) = scheme_of(&cleaned) {
        let lower = scheme.to_ascii_lowercase();
        return match lower.as_str() {
            "http" | "https" | "mailto" => UrlKind::External(encode_external(url.trim())),
            _ => UrlKind::Blocked(lower),
        };
    }
    if cleaned.starts_with("//") {
        // Protocol-relative: would fetch from another host.
        return UrlKind::Blocked("protocol-relative".to_string());
    }
    let trimmed = url.trim();
    let (path, fragment) = match trimmed.split_once('#') {
        Some((p, f)) => (p, f),
        None => (trimmed, ""),
    };
    let path = path.split('?').next().unwrap_or("");
    UrlKind::Relative {
        path: path.to_string(),
        fragment: percent_decode_fragment(fragment),
    }
}

/// The scheme, if the URL has one (letters, digits, `+ - .` before the first `:`, starting with a letter).
fn scheme_of(s: &str) -> Option<&str> {
    let colon = s.find(':')?;
    let scheme = &s[..colon];
    let mut chars = scheme.chars();
    let first = chars.next()?;
    // A single letter followed by ':' is a Windows drive, which is a path, not a scheme; block it too.
    if first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        Some(scheme)
    } else {
        None
    }
}

pub fn percent_decode_fragment(f: &str) -> String {
    corpus::source::percent_decode(f)
}

/// Percent-encodes what must not appear raw in an href (spaces, quotes, controls); keeps Unicode.
pub fn encode_href(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            ' ' => out.push_str("%20"),
            '"' => out.push_str("%22"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            '`' => out.push_str("%60"),
            '{' => out.push_str("%7B"),
            '}' => out.push_str("%7D"),
            '|' => out.push_str("%7C"),
            '\\' => out.push_str("%5C"),
            '^' => out.push_str("%5E"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A web URL as EPUBCheck and the URL standard accept it (RSC-020), meaning unchanged: after the
/// host, every character that is not a URL code point is percent-encoded, including a second `#`
/// (`https://example.org/#/room/#x:y`: the fragment is `/room/#x:y`) and a `%` that starts no
/// escape. Tabs and newlines, which browsers strip, are removed; Unicode stays.
fn encode_external(url: &str) -> String {
    let url: String = url
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    // The authority (`//user@host:port`) is left alone: `[` `]` belong to IPv6 hosts there.
    let colon = url.find(':').map(|i| i + 1).unwrap_or(0);
    let after_scheme = &url[colon..];
    let authority_len = match after_scheme.strip_prefix("//") {
        Some(rest) => 2 + rest.find(['/', '?', '#']).unwrap_or(rest.len()),
        None => 0,
    };
    let (head, tail) = url.split_at(colon + authority_len);
    let mut out = String::with_capacity(url.len() + 8);
    out.push_str(head);
    let mut in_fragment = false;
    let bytes = tail.as_bytes();
    for (i, c) in tail.char_indices() {
        let keep = c.is_ascii_alphanumeric()
            || "!$&'()*+,-./:;=?@_~".contains(c)
            || (!c.is_ascii() && !c.is_control())
            || (c == '#' && !in_fragment)
            || (c == '%'
                && bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit));
        if c == '#' {
            in_fragment = true;
        }
        if keep {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_script_capable_schemes_however_written() {
        for u in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " javascript:alert(1)",
            "\u{1}javascript:alert(1)",
            "java\tscript:alert(1)",
            "java\nscript:alert(1)",
            "data:text/html;base64,PHNjcmlwdD4=",
            "Data:text/html,x",
            "vbscript:msgbox(1)",
            "file:///etc/passwd",
            "//evil.example/x.png",
            "C:/Windows/win.ini",
        ] {
            assert!(
                matches!(classify(u), UrlKind::Blocked(_)),
                "{u:?} -> {:?}",
                classify(u)
            );
        }
    }

    #[test]
    fn keeps_web_links_and_book_paths() {
        assert!(matches!(
            classify("https://example.org/a?b#c"),
            UrlKind::External(_)
        ));
        assert!(matches!(classify("mailto:a@b.kg"), UrlKind::External(_)));
        assert_eq!(
            classify("02-fractions.md#%D0%B1%D3%A9%D0%BB%D2%AF%D0%BC"),
            UrlKind::Relative {
                path: "02-fractions.md".into(),
                fragment: "бөлүм".into()
            }
        );
        assert_eq!(
            classify("#x"),
            UrlKind::Relative {
                path: "".into(),
                fragment: "x".into()
            }
        );
        // Percent-encoding hides nothing: `%6Aavascript:` is not a scheme, so it is a (missing) book path.
        assert!(matches!(
            classify("%6Aavascript:alert(1)"),
            UrlKind::Relative { .. }
        ));
    }

    #[test]
    fn web_links_are_made_valid_urls_without_changing_their_meaning() {
        let ext = |u: &str| match classify(u) {
            UrlKind::External(e) => e,
            other => panic!("{u:?} -> {other:?}"),
        };
        assert_eq!(
            ext("https://example.org/#/room/#x:y"),
            "https://example.org/#/room/%23x:y"
        );
        assert_eq!(
            ext("https://example.org/a b|c^d?q={1}#f`g"),
            "https://example.org/a%20b%7Cc%5Ed?q=%7B1%7D#f%60g"
        );
        assert_eq!(
            ext("https://example.org/50%/x%41"),
            "https://example.org/50%25/x%41"
        );
        assert_eq!(
            ext("https://[::1]:8080/кыргыз"),
            "https://[::1]:8080/кыргыз"
        );
        assert_eq!(ext("https://e.org/a[1]"), "https://e.org/a%5B1%5D");
        assert_eq!(
            ext("mailto:a@b.kg?subject=Hi there"),
            "mailto:a@b.kg?subject=Hi%20there"
        );
        assert_eq!(ext("https://e.org/x#a%20b"), "https://e.org/x#a%20b");
    }
}
