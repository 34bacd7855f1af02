//! The one URL policy for every link and image: decoded first, then judged.

/// What a written URL turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlKind {
    /// http, https or mailto: kept as written.
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
            "http" | "https" | "mailto" => UrlKind::External(url.trim().to_string()),
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
}
