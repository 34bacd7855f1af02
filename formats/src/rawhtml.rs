//! Raw HTML in Markdown: a small tokenizer and the policy that decides what survives: the tag
//! allow-list and every attribute rule ([`judge_attr`]). The tree builder in `markdown` applies
//! the decisions, so the result is always well-formed.

use crate::entities;

#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    Start {
        name: String,
        attrs: Vec<(String, String)>,
        self_closing: bool,
    },
    End {
        name: String,
    },
    Text(String),
}

/// Splits raw HTML into tags and decoded text; comments, doctypes and processing instructions vanish.
pub fn tokenize(s: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    let mut text_start = 0;
    let flush = |out: &mut Vec<Token>, from: usize, to: usize| {
        if to > from {
            out.push(Token::Text(entities::decode(&s[from..to])));
        }
    };
    while i < b.len() {
        if b[i] != b'<' {
            i += 1;
            continue;
        }
        let rest = &s[i..];
        let consumed = if let Some(comment) = rest.strip_prefix("<!--") {
            Some(comment.find("-->").map(|e| e + 7).unwrap_or(rest.len()))
        } else if rest.starts_with("<!") || rest.starts_with("<?") {
            Some(rest.find('>').map(|e| e + 1).unwrap_or(rest.len()))
        } else if let Some((tok, used)) = parse_tag(rest) {
            flush(&mut out, text_start, i);
            out.push(tok);
            i += used;
            text_start = i;
            continue;
        } else {
            None
        };
        match consumed {
            Some(n) => {
                flush(&mut out, text_start, i);
                i += n;
                text_start = i;
            }
            None => i += 1,
        }
    }
    flush(&mut out, text_start, b.len());
    out
}

fn parse_tag(s: &str) -> Option<(Token, usize)> {
    let b = s.as_bytes();
    let mut i = 1;
    let end_tag = b.get(1) == Some(&b'/');
    if end_tag {
        i = 2;
    }
    if !b.get(i)?.is_ascii_alphabetic() {
        return None;
    }
    let name_start = i;
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'-' || b[i] == b':') {
        i += 1;
    }
    let name = s[name_start..i].to_ascii_lowercase();
    let mut attrs = Vec::new();
    let mut self_closing = false;
    loop {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            self_closing = b[i] == b'/';
            i += 1;
        }
        if i >= b.len() {
            return None;
        }
        if b[i] == b'>' {
            i += 1;
            break;
        }
        self_closing = false;
        let an_start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        let attr_name = s[an_start..i].to_ascii_lowercase();
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < b.len() && b[i] == b'=' {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                let q = b[i];
                let v_start = i + 1;
                let v_end = s[v_start..].find(q as char).map(|e| v_start + e)?;
                value = entities::decode(&s[v_start..v_end]);
                i = v_end + 1;
            } else {
                let v_start = i;
                while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                    i += 1;
                }
                value = entities::decode(&s[v_start..i]);
            }
        }
        if !attr_name.is_empty() {
            attrs.push((attr_name, value));
        }
    }
    let tok = if end_tag {
        Token::End { name }
    } else {
        Token::Start {
            name,
            attrs,
            self_closing,
        }
    };
    Some((tok, i))
}

/// What to do with a start tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagPolicy {
    /// Keep the element (with its allowed attributes).
    Keep(&'static str),
    /// Drop the tag but keep what it contains (unknown or presentational tags such as `<font>`).
    Unwrap,
    /// Drop the element and everything inside it, up to its end tag (`<script>`, `<style>` …).
    DropWithContent,
    /// Drop the tag alone: it can hold nothing (`<meta>`, `<base>`, `<input>` …).
    DropVoid,
}

/// Elements whose content is never shown: removed together with what they hold.
const DROP_WITH_CONTENT: &[&str] = &[
    "script",
    "style",
    "template",
    "noscript",
    "textarea",
    "title",
    "iframe",
    "xmp",
    "noembed",
    "noframes",
    "object",
    "applet",
    "svg",
    "math",
    "select",
    "head",
    "frameset",
    "plaintext",
];
const DROP_VOID: &[&str] = &[
    "meta", "base", "link", "input", "embed", "param", "source", "track", "frame", "keygen", "area",
];
/// Dangerous enough to mention in a warning; other unknown tags are unwrapped quietly.
const UNSAFE: &[&str] = &[
    "script", "style", "iframe", "object", "embed", "applet", "form", "input", "button", "select",
    "textarea", "base", "meta", "link", "svg", "math", "frame", "frameset", "template", "noscript",
];

const KEEP: &[&str] = &[
    "a",
    "abbr",
    "aside",
    "b",
    "bdi",
    "bdo",
    "blockquote",
    "br",
    "caption",
    "cite",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "details",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "rp",
    "rt",
    "ruby",
    "s",
    "samp",
    "section",
    "small",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "time",
    "tr",
    "u",
    "ul",
    "var",
    "wbr",
    "kitep-block",
];

/// Elements allowed where only phrasing content may go (inside a paragraph, heading, span …).
const PHRASING: &[&str] = &[
    "a", "abbr", "b", "bdi", "bdo", "br", "cite", "code", "del", "dfn", "em", "i", "img", "ins",
    "kbd", "mark", "q", "ruby", "rp", "rt", "s", "samp", "small", "span", "strong", "sub", "sup",
    "time", "u", "var", "wbr",
];

pub fn policy(name: &str) -> TagPolicy {
    if let Some(k) = KEEP.iter().find(|k| **k == name) {
        TagPolicy::Keep(k)
    } else if DROP_WITH_CONTENT.contains(&name) {
        TagPolicy::DropWithContent
    } else if DROP_VOID.contains(&name) {
        TagPolicy::DropVoid
    } else {
        TagPolicy::Unwrap
    }
}

pub fn is_unsafe(name: &str) -> bool {
    UNSAFE.contains(&name)
}

pub fn is_phrasing(name: &str) -> bool {
    PHRASING.contains(&name)
}

/// Elements that may only stand inside particular parents (a `<tr>` outside a table is dropped).
pub fn allowed_parents(name: &str) -> Option<&'static [&'static str]> {
    Some(match name {
        "tr" => &["table", "thead", "tbody", "tfoot"],
        "td" | "th" => &["tr"],
        "thead" | "tbody" | "tfoot" | "caption" | "colgroup" => &["table"],
        "col" => &["colgroup", "table"],
        "li" => &["ul", "ol"],
        "dt" | "dd" => &["dl"],
        "figcaption" => &["figure"],
        "summary" => &["details"],
        "rt" | "rp" => &["ruby"],
        _ => return None,
    })
}

/// What becomes of one attribute of a kept element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttrDecision {
    /// Written with this (normalised) value.
    Keep(&'static str, String),
    /// A link: the builder judges it with `url.rs` and resolves book paths.
    Href(String),
    /// An image source: the builder finds the file in the book.
    Src(String),
    /// A `lang` that is not a BCP 47 tag: dropped, reported as an error.
    BadLanguage(String),
    /// Script-capable (`on*` handlers): dropped with a warning.
    Unsafe,
    /// Not on the allow-list, or a value that cannot be kept: dropped quietly.
    Drop,
}

/// The raw-HTML attribute policy in one place: which attributes each element may carry, and the
/// values they may have.
pub fn judge_attr(element: &str, attr: &str, value: String) -> AttrDecision {
    if attr.starts_with("on") {
        return AttrDecision::Unsafe;
    }
    let Some(a) = allowed_attr(element, attr) else {
        return AttrDecision::Drop;
    };
    match a {
        "href" => AttrDecision::Href(value),
        "src" => AttrDecision::Src(value),
        "id" => AttrDecision::Keep("id", crate::doc::xml_id(&value)),
        "lang" => {
            if corpus::language::is_well_formed(&value) {
                AttrDecision::Keep("lang", corpus::language::canonical(&value))
            } else {
                AttrDecision::BadLanguage(value)
            }
        }
        "width" | "height" | "colspan" | "rowspan" | "start" | "span" => {
            match value.trim().parse::<u32>() {
                Ok(n) => AttrDecision::Keep(a, n.min(10_000).to_string()),
                Err(_) => AttrDecision::Drop,
            }
        }
        "dir" if !matches!(value.as_str(), "ltr" | "rtl" | "auto") => AttrDecision::Drop,
        "role"
            if !value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ' ') =>
        {
            AttrDecision::Drop
        }
        other => AttrDecision::Keep(other, value),
    }
}

/// Maps an attribute to its static name if the element may carry it.
pub fn allowed_attr(element: &str, attr: &str) -> Option<&'static str> {
    const GLOBAL: &[&str] = &[
        "id",
        "class",
        "lang",
        "dir",
        "title",
        "role",
        "aria-label",
        "aria-hidden",
        "aria-describedby",
    ];
    if let Some(a) = GLOBAL.iter().find(|a| **a == attr) {
        return Some(a);
    }
    let specific: &[&'static str] = match element {
        "a" => &["href"],
        "img" => &["src", "alt", "width", "height"],
        "td" | "th" => &["colspan", "rowspan", "scope"],
        "ol" => &["start", "reversed"],
        "time" => &["datetime"],
        "col" | "colgroup" => &["span"],
        "details" => &["open"],
        "kitep-block" => &["kind", "title"],
        _ => &[],
    };
    specific.iter().find(|a| **a == attr).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizes_tags_attributes_and_entities() {
        let t = tokenize(
            "<a HREF='x&amp;y' title=t>hi &lt;3</a><br/><!-- c --><img src=x onerror=alert(1)>",
        );
        assert_eq!(
            t,
            vec![
                Token::Start {
                    name: "a".into(),
                    attrs: vec![("href".into(), "x&y".into()), ("title".into(), "t".into())],
                    self_closing: false
                },
                Token::Text("hi <3".into()),
                Token::End { name: "a".into() },
                Token::Start {
                    name: "br".into(),
                    attrs: vec![],
                    self_closing: true
                },
                Token::Start {
                    name: "img".into(),
                    attrs: vec![
                        ("src".into(), "x".into()),
                        ("onerror".into(), "alert(1)".into())
                    ],
                    self_closing: false
                },
            ]
        );
    }

    #[test]
    fn stray_angle_brackets_are_text() {
        assert_eq!(tokenize("a < b"), vec![Token::Text("a < b".into())]);
        assert_eq!(
            tokenize("<img src=\"x"),
            vec![Token::Text("<img src=\"x".into())]
        );
        assert_eq!(tokenize("<![CDATA[x]]>y"), vec![Token::Text("y".into())]);
    }

    #[test]
    fn policies() {
        assert_eq!(policy("script"), TagPolicy::DropWithContent);
        assert_eq!(policy("meta"), TagPolicy::DropVoid);
        assert_eq!(policy("font"), TagPolicy::Unwrap);
        assert_eq!(policy("o:p"), TagPolicy::Unwrap);
        assert_eq!(policy("span"), TagPolicy::Keep("span"));
        assert_eq!(allowed_attr("img", "onerror"), None);
        assert_eq!(allowed_attr("a", "style"), None);
    }

    #[test]
    fn attribute_values_are_judged_here() {
        use AttrDecision::*;
        assert_eq!(judge_attr("img", "onerror", "x".into()), Unsafe);
        assert_eq!(judge_attr("a", "style", "color:red".into()), Drop);
        assert_eq!(
            judge_attr("td", "colspan", "999999".into()),
            Keep("colspan", "10000".into())
        );
        assert_eq!(judge_attr("td", "colspan", "two".into()), Drop);
        assert_eq!(judge_attr("p", "dir", "sideways".into()), Drop);
        assert_eq!(
            judge_attr("p", "id", "1 a".into()),
            Keep("id", "x-1-a".into())
        );
        assert_eq!(
            judge_attr("p", "lang", "KY".into()),
            Keep("lang", "ky".into())
        );
        assert_eq!(
            judge_attr("p", "lang", "not a tag".into()),
            BadLanguage("not a tag".into())
        );
        assert_eq!(judge_attr("a", "href", "x.md".into()), Href("x.md".into()));
        assert_eq!(
            judge_attr("img", "src", "a.png".into()),
            Src("a.png".into())
        );
    }
}
