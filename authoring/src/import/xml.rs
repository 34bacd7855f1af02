//! A small element tree for the XML parts of an Office package, with namespace prefixes made
//! canonical (`w:`, `m:`, `a:`, `r:` …) whatever prefixes the writing program chose, so the
//! importer can match names such as `w:p` directly. Strict OOXML namespaces map to the same
//! prefixes as transitional ones.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

#[derive(Debug, Clone, Default)]
pub struct El {
    /// Canonical qualified name, e.g. `w:p`; an element in an unknown namespace keeps its prefix.
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
}

#[derive(Debug, Clone)]
pub enum Node {
    El(El),
    Text(String),
}

impl El {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn elements(&self) -> impl Iterator<Item = &El> {
        self.children.iter().filter_map(|n| match n {
            Node::El(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    pub fn child(&self, name: &str) -> Option<&El> {
        self.elements().find(|e| e.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a El> {
        self.elements().filter(move |e| e.name == name)
    }

    /// The first descendant (depth first) with this name.
    pub fn find(&self, name: &str) -> Option<&El> {
        for e in self.elements() {
            if e.name == name {
                return Some(e);
            }
            if let Some(found) = e.find(name) {
                return Some(found);
            }
        }
        None
    }

    /// Every descendant with this name, depth first.
    pub fn find_all<'a>(&'a self, name: &str, out: &mut Vec<&'a El>) {
        for e in self.elements() {
            if e.name == name {
                out.push(e);
            } else {
                e.find_all(name, out);
            }
        }
    }

    /// The `w:val` (or other) attribute of a child element, as Word stores most properties.
    pub fn child_val(&self, child: &str) -> Option<&str> {
        self.child(child).and_then(|c| c.attr("w:val"))
    }

    /// An on/off property (`<w:b/>`, `<w:b w:val="0"/>`).
    pub fn flag(&self, child: &str) -> Option<bool> {
        self.child(child)
            .map(|c| !matches!(c.attr("w:val"), Some("0" | "false" | "off" | "none")))
    }

    /// All text below this element, in document order.
    pub fn text(&self) -> String {
        let mut out = String::new();
        self.collect_text(&mut out);
        out
    }

    fn collect_text(&self, out: &mut String) {
        for n in &self.children {
            match n {
                Node::Text(t) => out.push_str(t),
                Node::El(e) => e.collect_text(out),
            }
        }
    }
}

const NAMESPACES: &[(&str, &str)] = &[
    (
        "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
        "w",
    ),
    ("http://purl.oclc.org/ooxml/wordprocessingml/main", "w"),
    (
        "http://schemas.openxmlformats.org/officeDocument/2006/math",
        "m",
    ),
    ("http://purl.oclc.org/ooxml/officeDocument/math", "m"),
    (
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
        "r",
    ),
    (
        "http://purl.oclc.org/ooxml/officeDocument/relationships",
        "r",
    ),
    ("http://schemas.openxmlformats.org/drawingml/2006/main", "a"),
    ("http://purl.oclc.org/ooxml/drawingml/main", "a"),
    (
        "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
        "wp",
    ),
    (
        "http://purl.oclc.org/ooxml/drawingml/wordprocessingDrawing",
        "wp",
    ),
    (
        "http://schemas.openxmlformats.org/drawingml/2006/picture",
        "pic",
    ),
    ("http://purl.oclc.org/ooxml/drawingml/picture", "pic"),
    ("urn:schemas-microsoft-com:vml", "v"),
    (
        "http://schemas.openxmlformats.org/markup-compatibility/2006",
        "mc",
    ),
    (
        "http://schemas.openxmlformats.org/package/2006/relationships",
        "rel",
    ),
    (
        "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
        "cp",
    ),
    ("http://purl.org/dc/elements/1.1/", "dc"),
    ("http://purl.org/dc/terms/", "dcterms"),
    (
        "http://schemas.microsoft.com/office/word/2010/wordprocessingShape",
        "wps",
    ),
    (
        "http://schemas.microsoft.com/office/word/2010/wordprocessingGroup",
        "wpg",
    ),
    ("http://www.w3.org/XML/1998/namespace", "xml"),
];

fn canonical_prefix(uri: &str) -> Option<&'static str> {
    NAMESPACES.iter().find(|(u, _)| *u == uri).map(|(_, p)| *p)
}

/// Parses one part. Errors name the part and the line.
pub fn parse(xml: &str, part: &str) -> Result<El, String> {
    let mut reader = Reader::from_str(xml);
    // Scopes of prefix → canonical prefix, one per open element.
    let mut scopes: Vec<Vec<(String, String)>> = Vec::new();
    let mut stack: Vec<El> = vec![El::default()];
    let fail = |pos: u64, what: String| {
        let line = xml.as_bytes()[..(pos as usize).min(xml.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        format!("{part}, line {line}: the XML is damaged ({what})")
    };
    loop {
        let event = reader
            .read_event()
            .map_err(|e| fail(reader.buffer_position(), e.to_string()))?;
        match event {
            Event::Start(e) => {
                let (el, scope) = start(&e, &scopes);
                scopes.push(scope);
                stack.push(el);
            }
            Event::Empty(e) => {
                let (el, _) = start(&e, &scopes);
                if let Some(top) = stack.last_mut() {
                    top.children.push(Node::El(el));
                }
            }
            Event::End(_) => {
                scopes.pop();
                let el = stack.pop();
                match (el, stack.last_mut()) {
                    (Some(el), Some(top)) => top.children.push(Node::El(el)),
                    _ => {
                        return Err(fail(
                            reader.buffer_position(),
                            "an end tag without its start".into(),
                        ));
                    }
                }
            }
            Event::Text(t) => {
                let text = t.xml10_content();
                push_text(&mut stack, &text);
            }
            Event::CData(t) => {
                let text = t.xml10_content();
                push_text(&mut stack, &text);
            }
            Event::GeneralRef(r) => {
                let text = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => quick_xml::escape::resolve_predefined_entity(&r)
                        .map(str::to_string)
                        .ok_or_else(|| {
                            fail(reader.buffer_position(), "an unknown entity".into())
                        })?,
                };
                push_text(&mut stack, &text);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() != 1 {
        return Err(fail(xml.len() as u64, "it ends inside an element".into()));
    }
    let root = stack.pop().unwrap_or_default();
    root.children
        .into_iter()
        .find_map(|n| match n {
            Node::El(e) => Some(e),
            Node::Text(_) => None,
        })
        .ok_or_else(|| format!("{part}: the part holds no XML element"))
}

fn push_text(stack: &mut [El], text: &str) {
    let Some(top) = stack.last_mut() else { return };
    if let Some(Node::Text(t)) = top.children.last_mut() {
        t.push_str(text);
    } else {
        top.children.push(Node::Text(text.to_string()));
    }
}

fn start(e: &BytesStart, scopes: &[Vec<(String, String)>]) -> (El, Vec<(String, String)>) {
    let mut scope = Vec::new();
    let mut raw_attrs = Vec::new();
    for a in e.attributes().flatten() {
        let key = a.key.as_ref().to_string();
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map(|v| v.into_owned())
            .unwrap_or_else(|_| a.value.to_string());
        if key == "xmlns" {
            scope.push((String::new(), canonical_or(&value, "")));
        } else if let Some(prefix) = key.strip_prefix("xmlns:") {
            scope.push((prefix.to_string(), canonical_or(&value, prefix)));
        } else {
            raw_attrs.push((key, value));
        }
    }
    let lookup = |prefix: &str| -> String {
        scope
            .iter()
            .rev()
            .chain(scopes.iter().rev().flat_map(|s| s.iter().rev()))
            .find(|(p, _)| p == prefix)
            .map(|(_, c)| c.clone())
            .unwrap_or_else(|| prefix.to_string())
    };
    let qualify = |name: &str, default_ns: bool| -> String {
        match name.split_once(':') {
            Some(("xml", local)) => format!("xml:{local}"),
            Some((prefix, local)) => {
                let p = lookup(prefix);
                if p.is_empty() {
                    local.to_string()
                } else {
                    format!("{p}:{local}")
                }
            }
            None if default_ns => {
                let p = lookup("");
                if p.is_empty() {
                    name.to_string()
                } else {
                    format!("{p}:{name}")
                }
            }
            None => name.to_string(),
        }
    };
    let name = qualify(e.name().as_ref(), true);
    let attrs = raw_attrs
        .into_iter()
        .map(|(k, v)| (qualify(&k, false), v))
        .collect();
    (
        El {
            name,
            attrs,
            children: Vec::new(),
        },
        scope,
    )
}

fn canonical_or(uri: &str, prefix: &str) -> String {
    canonical_prefix(uri)
        .map(str::to_string)
        .unwrap_or_else(|| prefix.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_made_canonical_whatever_the_writer_chose() {
        let xml = r#"<x:document xmlns:x="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><x:body><x:p><x:r><x:t xml:space="preserve">a &amp; b</x:t></x:r></x:p></x:body></x:document>"#;
        let doc = parse(xml, "word/document.xml").unwrap();
        assert_eq!(doc.name, "w:document");
        let t = doc.find("w:t").unwrap();
        assert_eq!(t.text(), "a & b");
        assert_eq!(t.attr("xml:space"), Some("preserve"));
    }

    #[test]
    fn damaged_xml_names_the_part_and_line() {
        let err = parse("<a>\n<b>\n</a>", "word/document.xml").unwrap_err();
        assert!(err.starts_with("word/document.xml, line"), "{err}");
    }
}
