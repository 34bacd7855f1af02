//! The document model every output is rendered from: a small, already-sanitised element tree.

use crate::math::TrustedMath;

/// A node of a chapter's body.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Element(Element),
    Text(String),
    /// A formula: MathML the math renderer generated and cleaned, written out verbatim. Only
    /// `math::to_mathml` can make one, so no other markup reaches a book unescaped.
    Math(TrustedMath),
    /// A token of highlighted code: `<span class="CLASS">text</span>`, the class one of
    /// `highlight`'s fixed names. One allocation per token instead of an element's four.
    Token {
        class: &'static str,
        text: String,
    },
}

/// An element. Names and attribute names are static: they come from our allow-lists.
/// Link targets inside the book use internal forms that renderers resolve:
/// `href="chapter:INDEX#fragment"` and `src="asset:path/in/book.png"`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Element {
    pub name: &'static str,
    pub attrs: Vec<(&'static str, String)>,
    pub children: Vec<Node>,
}

impl Element {
    pub fn new(name: &'static str) -> Self {
        Element {
            name,
            attrs: Vec::new(),
            children: Vec::new(),
        }
    }

    pub fn with_attr(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.set_attr(name, value);
        self
    }

    pub fn with_child(mut self, child: Node) -> Self {
        self.children.push(child);
        self
    }

    pub fn with_text(self, text: impl Into<String>) -> Self {
        self.with_child(Node::Text(text.into()))
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn set_attr(&mut self, name: &'static str, value: impl Into<String>) {
        let value = value.into();
        match self.attrs.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.attrs.push((name, value)),
        }
    }

    pub fn remove_attr(&mut self, name: &str) -> Option<String> {
        let i = self.attrs.iter().position(|(n, _)| *n == name)?;
        Some(self.attrs.remove(i).1)
    }

    pub fn add_class(&mut self, class: &str) {
        match self.attrs.iter_mut().find(|(n, _)| *n == "class") {
            Some(slot) => {
                if !slot.1.split_whitespace().any(|c| c == class) {
                    slot.1.push(' ');
                    slot.1.push_str(class);
                }
            }
            None => self.attrs.push(("class", class.to_string())),
        }
    }

    /// The text content, for titles, passages and alt text.
    pub fn text(&self) -> String {
        let mut s = String::new();
        collect_text(&self.children, &mut s);
        s
    }
}

impl From<Element> for Node {
    fn from(e: Element) -> Self {
        Node::Element(e)
    }
}

pub fn collect_text(nodes: &[Node], out: &mut String) {
    for n in nodes {
        match n {
            Node::Text(t) => out.push_str(t),
            Node::Element(e) => collect_text(&e.children, out),
            Node::Math(m) => out.push_str(m.text()),
            Node::Token { text, .. } => out.push_str(text),
        }
    }
}

/// Elements with no content and no end tag.
pub fn is_void(name: &str) -> bool {
    matches!(
        name,
        "br" | "hr" | "img" | "wbr" | "col" | "input" | "link" | "meta"
    )
}

/// How a tree is written: as EPUB XHTML, or as HTML for the web reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Xhtml,
    Html,
}

/// Resolves internal link forms to real URLs for one output.
pub trait LinkResolver {
    /// `chapter:INDEX#fragment` → URL.
    fn chapter(&self, index: usize, fragment: &str) -> String;
    /// `asset:path` → URL.
    fn asset(&self, path: &str) -> String;
}

/// Writes nodes as markup that is well-formed XML and valid HTML at once.
pub fn write_nodes(out: &mut String, nodes: &[Node], flavor: Flavor, links: &dyn LinkResolver) {
    for n in nodes {
        write_node(out, n, flavor, links);
    }
}

fn write_node(out: &mut String, node: &Node, flavor: Flavor, links: &dyn LinkResolver) {
    match node {
        Node::Text(t) => escape_text(out, t),
        Node::Math(m) => out.push_str(m.markup()),
        Node::Token { class, text } => {
            out.push_str("<span class=\"");
            out.push_str(class);
            out.push_str("\">");
            escape_text(out, text);
            out.push_str("</span>");
        }
        Node::Element(e) => {
            out.push('<');
            out.push_str(e.name);
            for (name, value) in &e.attrs {
                if flavor == Flavor::Html && (name.starts_with("epub:") || name.starts_with("xml:"))
                {
                    continue;
                }
                let resolved;
                let value = match (*name, value.as_str()) {
                    ("href", v) if v.starts_with("chapter:") => {
                        let rest = &v["chapter:".len()..];
                        let (idx, frag) = rest.split_once('#').unwrap_or((rest, ""));
                        resolved = links.chapter(idx.parse().unwrap_or(0), frag);
                        resolved.as_str()
                    }
                    ("src" | "href", v) if v.starts_with("asset:") => {
                        resolved = links.asset(&v["asset:".len()..]);
                        resolved.as_str()
                    }
                    (_, v) => v,
                };
                out.push(' ');
                out.push_str(name);
                out.push_str("=\"");
                escape_attr(out, value);
                out.push('"');
                if flavor == Flavor::Xhtml
                    && *name == "lang"
                    && !e.attrs.iter().any(|(n, _)| *n == "xml:lang")
                {
                    out.push_str(" xml:lang=\"");
                    escape_attr(out, value);
                    out.push('"');
                }
            }
            if is_void(e.name) {
                out.push_str("/>");
            } else {
                out.push('>');
                write_nodes(out, &e.children, flavor, links);
                out.push_str("</");
                out.push_str(e.name);
                out.push('>');
            }
        }
    }
}

/// Characters XML 1.0 forbids (and HTML treats as errors) are dropped.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r')
        || (c >= ' ' && !matches!(c, '\u{7F}'..='\u{9F}' | '\u{FFFE}' | '\u{FFFF}'))
}

/// The bytes `escape_text` must look at: markup, C0 controls other than tab, newline and CR,
/// DEL, and the lead bytes of NBSP and the C1 controls (`C2`) and of U+FFFE/U+FFFF (`EF`).
const ESCAPE_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = matches!(b as u8, b'&' | b'<' | b'>' | 0xC2 | 0xEF | 0x7F)
            || (b < 0x20 && !matches!(b as u8, b'\t' | b'\n' | b'\r'));
        b += 1;
    }
    t
};

pub fn escape_text(out: &mut String, s: &str) {
    // Fast path: copy runs of bytes that need nothing (most text) in one go, found by a table
    // lookup per byte (snippets of search results escape every passage they show).
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while let Some(k) = bytes[i..].iter().position(|&b| ESCAPE_BYTE[usize::from(b)]) {
        i += k;
        out.push_str(&s[start..i]);
        match bytes[i] {
            b'&' => out.push_str("&amp;"),
            b'<' => out.push_str("&lt;"),
            b'>' => out.push_str("&gt;"),
            0xC2 | 0xEF => {
                // A multi-byte character that may be NBSP, a C1 control or U+FFFE/U+FFFF.
                let c = s[i..].chars().next().unwrap_or(' ');
                match c {
                    '\u{A0}' => out.push_str("&#160;"),
                    c if is_xml_char(c) => out.push(c),
                    _ => {}
                }
                i += c.len_utf8();
                start = i;
                continue;
            }
            _ => {}
        }
        i += 1;
        start = i;
    }
    out.push_str(&s[start..]);
}

pub fn escape_attr(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push_str("&#9;"),
            c if is_xml_char(c) => out.push(c),
            _ => {}
        }
    }
}

pub fn escaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_attr(&mut out, s);
    out
}

/// An id that is a valid XML name (EPUB checkers insist), derived from any string.
pub fn xml_id(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let starts_ok = out
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_');
    if starts_ok { out } else { format!("x-{out}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Plain;
    impl LinkResolver for Plain {
        fn chapter(&self, index: usize, fragment: &str) -> String {
            format!("ch{index}.xhtml#{fragment}")
        }
        fn asset(&self, path: &str) -> String {
            format!("../{path}")
        }
    }

    #[test]
    fn writes_well_formed_markup() {
        let tree = Element::new("p")
            .with_attr("lang", "ru")
            .with_text("a < b & \"c\"\u{1}")
            .with_child(Element::new("br").into())
            .with_child(
                Element::new("a")
                    .with_attr("href", "chapter:2#бөлүм")
                    .with_text("x")
                    .into(),
            )
            .with_child(
                Element::new("img")
                    .with_attr("src", "asset:images/a.png")
                    .with_attr("alt", "")
                    .into(),
            );
        let mut s = String::new();
        write_nodes(&mut s, &[tree.clone().into()], Flavor::Xhtml, &Plain);
        assert_eq!(
            s,
            "<p lang=\"ru\" xml:lang=\"ru\">a &lt; b &amp; \"c\"<br/><a href=\"ch2.xhtml#бөлүм\">x</a><img src=\"../images/a.png\" alt=\"\"/></p>"
        );
        let mut h = String::new();
        write_nodes(&mut h, &[tree.into()], Flavor::Html, &Plain);
        assert!(h.starts_with("<p lang=\"ru\">"));
    }

    #[test]
    fn text_is_escaped_and_characters_xml_forbids_are_dropped() {
        let mut out = String::new();
        escape_text(
            &mut out,
            "Бөлчөк <b> & a\u{A0}b\u{1}\u{7F}\u{85}\u{FFFE}\u{FFFF}\t\n© ＡＢ ﬁ ｡ end",
        );
        assert_eq!(out, "Бөлчөк &lt;b&gt; &amp; a&#160;b\t\n© ＡＢ ﬁ ｡ end");
    }

    #[test]
    fn ids_are_xml_names() {
        assert_eq!(xml_id("бөлчөк"), "бөлчөк");
        assert_eq!(xml_id("1-intro"), "x-1-intro");
        assert_eq!(xml_id("a b:c"), "a-b-c");
    }
}
