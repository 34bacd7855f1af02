//! SVG images from authors, cleaned to a safe subset: no scripts, no event handlers, no external
//! references, no DTD entities; re-serialised so the result is always well-formed.

use crate::doc::{escape_attr, escape_text};
use quick_xml::Reader;
use quick_xml::events::Event;

const SVG_NS: &str = "http://www.w3.org/2000/svg";
const XLINK_NS: &str = "http://www.w3.org/1999/xlink";
/// A drawing larger than this is refused: diagrams for textbooks are a few kilobytes.
pub const MAX_SVG_BYTES: usize = 2 * 1024 * 1024;
const MAX_DEPTH: usize = 64;

const ELEMENTS: &[&str] = &[
    "svg",
    "g",
    "defs",
    "symbol",
    "use",
    "title",
    "desc",
    "path",
    "rect",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "text",
    "tspan",
    "textPath",
    "linearGradient",
    "radialGradient",
    "stop",
    "clipPath",
    "mask",
    "pattern",
    "marker",
    "filter",
    "feGaussianBlur",
    "feOffset",
    "feBlend",
    "feColorMatrix",
    "feFlood",
    "feComposite",
    "feMerge",
    "feMergeNode",
    "feDropShadow",
];
/// Elements dropped with a warning, content and all.
const UNSAFE: &[&str] = &[
    "script",
    "foreignObject",
    "iframe",
    "embed",
    "object",
    "set",
    "animate",
    "animateTransform",
    "animateMotion",
    "handler",
    "listener",
    "image",
    "feImage",
    "style",
];

#[derive(Debug)]
pub struct CleanSvg {
    pub svg: String,
    pub removed: Vec<String>,
    pub width: Option<f32>,
    pub height: Option<f32>,
}

pub fn sanitize(bytes: &[u8]) -> Result<CleanSvg, String> {
    if bytes.len() > MAX_SVG_BYTES {
        return Err(format!(
            "SVG is {} bytes (at most {MAX_SVG_BYTES})",
            bytes.len()
        ));
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|e| format!("SVG is not UTF-8 (byte {})", e.valid_up_to()))?;
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut out = String::with_capacity(text.len());
    let mut removed = Vec::new();
    // Depth inside a dropped element (0 = not dropping).
    let mut dropping = 0usize;
    let mut depth = 0usize;
    let mut saw_root = false;
    let (mut width, mut height) = (None, None);
    loop {
        let event = reader.read_event().map_err(|e| {
            format!(
                "SVG is not well-formed XML at byte {}: {e}",
                reader.buffer_position()
            )
        })?;
        match event {
            Event::Eof => break,
            Event::Start(_) if dropping > 0 => dropping += 1,
            Event::Empty(_) if dropping > 0 => {}
            Event::End(_) if dropping > 0 => dropping -= 1,
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_empty = matches!(event, Event::Empty(_));
                let name = e.name().as_ref().to_string();
                let local = name.rsplit(':').next().unwrap_or(&name).to_string();
                if !saw_root {
                    if local != "svg" {
                        return Err(format!("root element is <{name}>, not <svg>"));
                    }
                    saw_root = true;
                }
                if depth >= MAX_DEPTH {
                    return Err(format!("SVG nests deeper than {MAX_DEPTH} elements"));
                }
                let keep = ELEMENTS.iter().find(|k| **k == local);
                let Some(keep) = keep else {
                    if UNSAFE.contains(&local.as_str()) {
                        removed.push(format!("<{local}>"));
                    }
                    if local == "a" {
                        // Links are unwrapped: their drawing stays, the link goes.
                        if !is_empty {
                            depth += 1;
                            out.push_str("<g>");
                        }
                        continue;
                    }
                    if !is_empty {
                        dropping = 1;
                    }
                    continue;
                };
                out.push('<');
                out.push_str(keep);
                if *keep == "svg" && depth == 0 {
                    out.push_str(&format!(" xmlns=\"{SVG_NS}\" xmlns:xlink=\"{XLINK_NS}\""));
                }
                for attr in e.attributes().with_checks(true) {
                    let attr =
                        attr.map_err(|err| format!("SVG has a malformed attribute: {err}"))?;
                    let key = attr.key.as_ref().to_string();
                    let value = attr
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|err| {
                            format!("SVG attribute {key}: {err} (DTD entities are not allowed)")
                        })?
                        .to_string();
                    if key == "xmlns" || key.starts_with("xmlns:") {
                        continue;
                    }
                    match attr_ok(&key, &value) {
                        Ok(()) => {
                            if depth == 0 && *keep == "svg" {
                                if key == "width" {
                                    width = parse_length(&value);
                                } else if key == "height" {
                                    height = parse_length(&value);
                                }
                            }
                            out.push(' ');
                            out.push_str(&key);
                            out.push_str("=\"");
                            escape_attr(&mut out, &value);
                            out.push('"');
                        }
                        Err(why) => removed.push(why),
                    }
                }
                if is_empty {
                    out.push_str("/>");
                } else {
                    out.push('>');
                    depth += 1;
                }
            }
            Event::End(e) => {
                let name = e.name().as_ref().to_string();
                let local = name.rsplit(':').next().unwrap_or(&name);
                depth = depth.saturating_sub(1);
                match ELEMENTS.iter().find(|k| **k == local) {
                    Some(k) => {
                        out.push_str("</");
                        out.push_str(k);
                        out.push('>');
                    }
                    None => out.push_str("</g>"),
                }
            }
            Event::Text(t) if dropping == 0 => escape_text(&mut out, &t),
            Event::CData(c) if dropping == 0 => escape_text(&mut out, &c),
            Event::GeneralRef(r) if dropping == 0 => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => match &*r {
                        "lt" => "<".into(),
                        "gt" => ">".into(),
                        "amp" => "&".into(),
                        "quot" => "\"".into(),
                        "apos" => "'".into(),
                        other => {
                            return Err(format!(
                                "SVG uses the entity &{other}; (DTD entities are not allowed)"
                            ));
                        }
                    },
                };
                escape_text(&mut out, &resolved);
            }
            Event::DocType(_) => removed.push("DOCTYPE".to_string()),
            _ => {}
        }
    }
    if !saw_root {
        return Err("no <svg> element found".to_string());
    }
    Ok(CleanSvg {
        svg: out,
        removed,
        width,
        height,
    })
}

fn attr_ok(key: &str, value: &str) -> Result<(), String> {
    let lower_key = key.to_ascii_lowercase();
    if lower_key.starts_with("on") {
        return Err(format!("event handler {key}"));
    }
    if !key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':' || c == '_')
    {
        return Err(format!("attribute {key}"));
    }
    let compact: String = value
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    if lower_key == "href" || lower_key.ends_with(":href") {
        return if value.trim_start().starts_with('#') {
            Ok(())
        } else {
            Err(format!("external reference {key}=\"{value}\""))
        };
    }
    if lower_key == "xml:base" || lower_key == "attributename" {
        return Err(format!("attribute {key}"));
    }
    if compact.contains("javascript:")
        || compact.contains("@import")
        || compact.contains("expression(")
    {
        return Err(format!("unsafe value in {key}"));
    }
    // url(...) may only point inside the drawing (gradients, clip paths).
    let mut rest = compact.as_str();
    while let Some(i) = rest.find("url(") {
        let target = rest[i + 4..].trim_start_matches(['\'', '"']);
        if !target.starts_with('#') {
            return Err(format!("external url() in {key}"));
        }
        rest = &rest[i + 4..];
    }
    Ok(())
}

fn parse_length(v: &str) -> Option<f32> {
    let v = v.trim().trim_end_matches("px");
    v.parse::<f32>().ok().filter(|n| n.is_finite() && *n > 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_drawings_and_removes_scripts() {
        let svg = br##"<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" width="100" height="50" viewBox="0 0 100 50" onload="alert(1)">
  <title>Number line</title>
  <script>alert(1)</script>
  <foreignObject><div>x</div></foreignObject>
  <a href="javascript:alert(1)"><rect x="1" y="1" width="10" height="10" fill="url(#g)"/></a>
  <set attributeName="href" to="javascript:alert(1)"/>
  <use href="http://evil.example/x.svg#a"/>
  <image href="http://evil.example/track.png"/>
  <text x="5" y="40" style="fill:red">1 &lt; 2 &#1199;</text>
</svg>"##;
        let c = sanitize(svg).unwrap();
        for bad in [
            "script",
            "alert",
            "foreignObject",
            "evil",
            "onload",
            "<set",
            "<image",
        ] {
            assert!(!c.svg.contains(bad), "{bad} survived: {}", c.svg);
        }
        assert!(c.svg.contains("<rect x=\"1\""));
        assert!(c.svg.contains("1 &lt; 2 ү"));
        assert_eq!(c.width, Some(100.0));
        assert!(c.removed.len() >= 5, "{:?}", c.removed);
    }

    #[test]
    fn refuses_entities_and_non_svg() {
        let xxe = br#"<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg"><text>&xxe;</text></svg>"#;
        assert!(sanitize(xxe).unwrap_err().contains("entity"));
        assert!(sanitize(b"<html><script/></html>").is_err());
        assert!(sanitize(b"<svg><g>").is_err() || sanitize(b"<svg><g>").is_ok());
        assert!(sanitize(b"\xff\xfe").is_err());
    }
}
