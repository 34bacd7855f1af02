//! SVG images from authors, cleaned to a safe subset: no scripts, no event handlers, no external
//! references, no DTD entities; re-serialised from allow-lists so the result is always well-formed
//! and valid EPUB 3 SVG.
//!
//! One streaming pass over the input writes the output; the few things that depend on the whole
//! file (ids, references to them, the `xmlns:xlink` declaration) are written as placeholders and
//! filled in at the end, so forward references (`fill="url(#g)"` before `<linearGradient id="g">`)
//! resolve without a tree.

use crate::doc::{escape_attr, escape_text, xml_id};
use crate::images::{Kind, sniff};
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;
use std::collections::{BTreeMap, HashMap, HashSet};

const SVG_NS: &str = "http://www.w3.org/2000/svg";
const XLINK_NS: &str = "http://www.w3.org/1999/xlink";
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
/// A drawing larger than this is refused. Plots and diagram exports reach a few megabytes (one
/// `<path>` per curve); the pass is streaming and the output bounded, so memory stays a small
/// multiple of this.
pub const MAX_SVG_BYTES: usize = 16 * 1024 * 1024;
const MAX_DEPTH: usize = 64;

const ELEMENTS: &[&str] = &[
    "svg",
    "g",
    "defs",
    "symbol",
    "use",
    "switch",
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
    "feBlend",
    "feColorMatrix",
    "feComponentTransfer",
    "feComposite",
    "feConvolveMatrix",
    "feDiffuseLighting",
    "feDisplacementMap",
    "feDistantLight",
    "feDropShadow",
    "feFlood",
    "feFuncA",
    "feFuncB",
    "feFuncG",
    "feFuncR",
    "feGaussianBlur",
    "feMerge",
    "feMergeNode",
    "feMorphology",
    "feOffset",
    "fePointLight",
    "feSpecularLighting",
    "feSpotLight",
    "feTile",
    "feTurbulence",
    // Handled specially: `image` (data: rasters only), `style` (CSS sanitised), `a` (becomes `g`).
    "image",
    "style",
];
/// Elements dropped with their content and named in the file's one warning: script-capable,
/// animating (`set` can rewrite an href), loading other documents, or not shown by EPUB readers.
const REMOVED_LOUDLY: &[&str] = &[
    "script",
    "foreignObject",
    "iframe",
    "embed",
    "object",
    "set",
    "animate",
    "animateColor",
    "animateTransform",
    "animateMotion",
    "handler",
    "listener",
    "feImage",
    "font",
    "font-face",
    "cursor",
    "view",
];

/// Attributes any kept element may carry (SVG 1.1 core, geometry, text, gradients, filters and
/// every presentation attribute). Anything else is dropped; `on*` handlers with a warning.
const ATTRS: &[&str] = &[
    // core and structure
    "id",
    "class",
    "style",
    "lang",
    "version",
    "baseProfile",
    "viewBox",
    "preserveAspectRatio",
    "transform",
    "role",
    "aria-label",
    "aria-hidden",
    "focusable",
    // geometry
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "cx",
    "cy",
    "r",
    "rx",
    "ry",
    "fx",
    "fy",
    "width",
    "height",
    "d",
    "points",
    "pathLength",
    // text
    "dx",
    "dy",
    "rotate",
    "textLength",
    "lengthAdjust",
    "startOffset",
    "method",
    "spacing",
    // gradients, patterns, clips, masks, markers
    "gradientUnits",
    "gradientTransform",
    "spreadMethod",
    "offset",
    "patternUnits",
    "patternContentUnits",
    "patternTransform",
    "clipPathUnits",
    "maskUnits",
    "maskContentUnits",
    "markerUnits",
    "markerWidth",
    "markerHeight",
    "refX",
    "refY",
    "orient",
    // filters
    "filterUnits",
    "primitiveUnits",
    "filterRes",
    "in",
    "in2",
    "result",
    "stdDeviation",
    "mode",
    "type",
    "values",
    "operator",
    "k1",
    "k2",
    "k3",
    "k4",
    "tableValues",
    "slope",
    "intercept",
    "amplitude",
    "exponent",
    "baseFrequency",
    "numOctaves",
    "seed",
    "stitchTiles",
    "scale",
    "xChannelSelector",
    "yChannelSelector",
    "radius",
    "order",
    "kernelMatrix",
    "divisor",
    "bias",
    "targetX",
    "targetY",
    "edgeMode",
    "preserveAlpha",
    "kernelUnitLength",
    "surfaceScale",
    "diffuseConstant",
    "specularConstant",
    "specularExponent",
    "azimuth",
    "elevation",
    "z",
    "pointsAtX",
    "pointsAtY",
    "pointsAtZ",
    "limitingConeAngle",
];

/// SVG 1.1 presentation attributes; also the CSS properties `style` may set.
const PRESENTATION: &[&str] = &[
    "alignment-baseline",
    "baseline-shift",
    "clip",
    "clip-path",
    "clip-rule",
    "color",
    "color-interpolation",
    "color-interpolation-filters",
    "color-rendering",
    "direction",
    "display",
    "dominant-baseline",
    "enable-background",
    "fill",
    "fill-opacity",
    "fill-rule",
    "filter",
    "flood-color",
    "flood-opacity",
    "font-family",
    "font-size",
    "font-size-adjust",
    "font-stretch",
    "font-style",
    "font-variant",
    "font-weight",
    "glyph-orientation-horizontal",
    "glyph-orientation-vertical",
    "image-rendering",
    "kerning",
    "letter-spacing",
    "lighting-color",
    "marker-end",
    "marker-mid",
    "marker-start",
    "mask",
    "opacity",
    "overflow",
    "pointer-events",
    "shape-rendering",
    "stop-color",
    "stop-opacity",
    "stroke",
    "stroke-dasharray",
    "stroke-dashoffset",
    "stroke-linecap",
    "stroke-linejoin",
    "stroke-miterlimit",
    "stroke-opacity",
    "stroke-width",
    "text-anchor",
    "text-decoration",
    "text-rendering",
    "unicode-bidi",
    "visibility",
    "word-spacing",
    "writing-mode",
];
/// CSS-only properties that are common in exports and load nothing.
const CSS_ONLY: &[&str] = &[
    "font",
    "line-height",
    "white-space",
    "paint-order",
    "vector-effect",
    "mix-blend-mode",
    "isolation",
    "transform",
    "transform-origin",
    "transform-box",
    "text-transform",
    "font-feature-settings",
    "font-variant-ligatures",
    "font-kerning",
];
/// Functions a kept value may call; `url()` only towards `#id` in the same drawing.
const CSS_FUNCTIONS: &[&str] = &[
    "url",
    "rgb",
    "rgba",
    "hsl",
    "hsla",
    "calc",
    "var",
    "min",
    "max",
    "clamp",
    "rect",
    "matrix",
    "matrix3d",
    "translate",
    "translatex",
    "translatey",
    "translate3d",
    "scale",
    "scalex",
    "scaley",
    "rotate",
    "skewx",
    "skewy",
    "skew",
];
/// Elements whose `href` may stand (as `xlink:href`): the ones SVG 1.1 gives one.
const HREF_ELEMENTS: &[&str] = &[
    "use",
    "image",
    "linearGradient",
    "radialGradient",
    "pattern",
    "textPath",
    "filter",
];

#[derive(Debug)]
pub struct CleanSvg {
    pub svg: String,
    /// What was removed or mended, one sentence per kind (a warning each, naming the file).
    pub removed: Vec<String>,
    pub width: Option<f32>,
    pub height: Option<f32>,
}

/// Cleans one drawing; ids are kept as written when they are valid and unique.
pub fn sanitize(bytes: &[u8]) -> Result<CleanSvg, String> {
    sanitize_with_prefix(bytes, "")
}

/// Like [`sanitize`], with every id prefixed by `id_prefix` (references follow), so drawings
/// placed in one document cannot collide. Kitepkana writes each SVG as its own file today, where
/// no prefix is needed.
pub fn sanitize_with_prefix(bytes: &[u8], id_prefix: &str) -> Result<CleanSvg, String> {
    if bytes.len() > MAX_SVG_BYTES {
        return Err(format!(
            "SVG is {} bytes (at most {MAX_SVG_BYTES})",
            bytes.len()
        ));
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|e| format!("SVG is not UTF-8 (byte {})", e.valid_up_to()))?;
    let mut pass = Pass::new(text.len());
    pass.run(text)?;
    let Pass {
        mut out,
        deferred,
        mut notes,
        width,
        height,
        uses_xlink,
        ..
    } = pass;
    let ids = assign_ids(&deferred, id_prefix);
    // Fill in the placeholders, in order; only the deferred pieces are rewritten.
    let mut svg = String::with_capacity(out.len() + deferred.len() * 8);
    let mut from = 0;
    let mut next_id = ids.in_order.iter();
    for (at, piece) in &deferred {
        svg.push_str(&out[from..*at]);
        from = *at;
        if let Deferred::Id(_) = piece {
            if let Some(id) = next_id.next() {
                push_attr(&mut svg, "id", id);
            }
            continue;
        }
        piece.render(&mut svg, &ids.by_written, uses_xlink, &mut notes);
    }
    svg.push_str(&out[from..]);
    out.clear();
    Ok(CleanSvg {
        svg,
        removed: notes.into_messages(),
        width,
        height,
    })
}

/// Things removed, counted by kind so a file gets one warning per kind, not one per element.
#[derive(Default)]
struct Notes {
    elements: BTreeMap<String, usize>,
    other: BTreeMap<String, usize>,
}

impl Notes {
    fn element(&mut self, name: &str) {
        *self.elements.entry(name.to_string()).or_default() += 1;
    }
    fn note(&mut self, msg: String) {
        *self.other.entry(msg).or_default() += 1;
    }
    fn into_messages(self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.elements.is_empty() {
            let list: Vec<String> = self
                .elements
                .iter()
                .map(|(n, c)| {
                    if *c > 1 {
                        format!("<{n}> ×{c}")
                    } else {
                        format!("<{n}>")
                    }
                })
                .collect();
            out.push(format!(
                "removed SVG elements that EPUB readers must not run or cannot show (a \
                 <switch>'s fallback stays): {}",
                list.join(", ")
            ));
        }
        for (msg, c) in self.other {
            out.push(if c > 1 { format!("{msg} (×{c})") } else { msg });
        }
        out
    }
}

/// A CSS declaration that survived: property and value.
type Declaration = (String, String);

struct Rule {
    selectors: String,
    declarations: Vec<Declaration>,
}

/// Output that depends on the whole file, filled in after the pass.
enum Deferred {
    /// ` xmlns:xlink="…"` on the root, when some href was written.
    XlinkDeclaration,
    /// ` id="…"`: the id as written; made a valid XML name, unique, prefixed.
    Id(String),
    /// An attribute whose value refers to ids (`xlink:href="#a"`, `fill="url(#g)"`); dropped with
    /// a warning when a target does not exist (EPUBCheck RSC-012).
    Reference { name: String, value: String },
    /// A `style` attribute with references: declarations pointing nowhere are dropped.
    Style(Vec<Declaration>),
    /// The content of a `<style>` element: `#id` selectors and `url(#id)` rewritten.
    Css(Vec<Rule>),
}

impl Deferred {
    fn render(
        &self,
        out: &mut String,
        ids: &HashMap<String, String>,
        uses_xlink: bool,
        notes: &mut Notes,
    ) {
        match self {
            Deferred::XlinkDeclaration => {
                if uses_xlink {
                    out.push_str(" xmlns:xlink=\"http://www.w3.org/1999/xlink\"");
                }
            }
            // Written by the caller, which knows each occurrence's final id.
            Deferred::Id(_) => {}
            Deferred::Reference { name, value } => match rewrite_references(
                value,
                ids,
                name == "xlink:href",
            ) {
                Ok(v) => push_attr(out, name, &v),
                Err(missing) => notes.note(format!(
                    "removed {name}=\"{}\": it points at '#{missing}', which the drawing does not \
                     define",
                    shorten(value)
                )),
            },
            Deferred::Style(decls) => {
                let kept = resolve_declarations(decls, ids, notes);
                if !kept.is_empty() {
                    push_attr(out, "style", &kept);
                }
            }
            Deferred::Css(rules) => {
                for rule in rules {
                    let kept = resolve_declarations(&rule.declarations, ids, notes);
                    if kept.is_empty() {
                        continue;
                    }
                    escape_text(out, &rewrite_selector_ids(&rule.selectors, ids));
                    out.push('{');
                    escape_text(out, &kept);
                    out.push_str("}\n");
                }
            }
        }
    }
}

fn push_attr(out: &mut String, name: &str, value: &str) {
    out.push(' ');
    out.push_str(name);
    out.push_str("=\"");
    escape_attr(out, value);
    out.push('"');
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 60 {
        let mut t: String = s.chars().take(57).collect();
        t.push('…');
        t
    } else {
        s.to_string()
    }
}

/// Final ids: valid XML names (`.__E5` is not one), unique within the file (exports repeat ids),
/// with the prefix. References go to the first element that had the id, as browsers resolve them.
struct Ids {
    /// Written id → final id of its first element.
    by_written: HashMap<String, String>,
    /// Final id of each id attribute, in document order.
    in_order: Vec<String>,
}

fn assign_ids(deferred: &[(usize, Deferred)], prefix: &str) -> Ids {
    let written: Vec<&str> = deferred
        .iter()
        .filter_map(|(_, d)| match d {
            Deferred::Id(w) => Some(w.as_str()),
            _ => None,
        })
        .collect();
    let wanted = |w: &str| format!("{prefix}{}", xml_id(w.trim()));
    // Names the first occurrences ask for are reserved, so a renamed duplicate cannot take one.
    let reserved: HashSet<String> = written.iter().map(|w| wanted(w)).collect();
    let mut used = HashSet::new();
    let mut ids = Ids {
        by_written: HashMap::new(),
        in_order: Vec::with_capacity(written.len()),
    };
    for w in written {
        let first = !ids.by_written.contains_key(w);
        let base = wanted(w);
        let id = if first && used.insert(base.clone()) {
            base
        } else {
            let mut k = 2;
            loop {
                let candidate = format!("{base}-{k}");
                if !reserved.contains(&candidate) && used.insert(candidate.clone()) {
                    break candidate;
                }
                k += 1;
            }
        };
        if first {
            ids.by_written.insert(w.to_string(), id.clone());
        }
        ids.in_order.push(id);
    }
    ids
}

/// An href `#a` (`is_href`) or a value with `url(#a)`: every target mapped, or the first missing
/// one.
fn rewrite_references(
    value: &str,
    ids: &HashMap<String, String>,
    is_href: bool,
) -> Result<String, String> {
    let trimmed = value.trim();
    if is_href {
        let frag = trimmed.trim_start_matches('#');
        let key = crate::url::percent_decode_fragment(frag);
        return ids
            .get(&key)
            .map(|id| format!("#{id}"))
            .ok_or_else(|| key.clone());
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some((before, target, after)) = next_url(rest) {
        out.push_str(before);
        let key = crate::url::percent_decode_fragment(target.trim_start_matches('#'));
        let Some(id) = ids.get(&key) else {
            return Err(key);
        };
        out.push_str("url(#");
        out.push_str(id);
        out.push(')');
        rest = after;
    }
    out.push_str(rest);
    Ok(out)
}

/// The next `url(…)` in a value: text before it, its target (quotes removed), text after it.
fn next_url(s: &str) -> Option<(&str, &str, &str)> {
    let lower = s.to_ascii_lowercase();
    let i = lower.find("url(")?;
    let inner = &s[i + 4..];
    let close = inner.find(')')?;
    let target = inner[..close].trim().trim_matches(['"', '\'']).trim();
    Some((&s[..i], target, &inner[close + 1..]))
}

fn resolve_declarations(
    decls: &[Declaration],
    ids: &HashMap<String, String>,
    notes: &mut Notes,
) -> String {
    let mut kept = String::new();
    for (prop, value) in decls {
        match rewrite_references(value, ids, false) {
            Ok(v) => {
                if !kept.is_empty() {
                    kept.push(';');
                }
                kept.push_str(prop);
                kept.push(':');
                kept.push_str(&v);
            }
            Err(missing) => notes.note(format!(
                "removed CSS '{prop}:{}': it points at '#{missing}', which the drawing does not \
                 define",
                shorten(value)
            )),
        }
    }
    kept
}

fn rewrite_selector_ids(selectors: &str, ids: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(selectors.len());
    let mut chars = selectors.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        out.push(c);
        if c == '#' {
            let start = i + 1;
            let mut end = start;
            while let Some(&(j, d)) = chars.peek() {
                if d.is_alphanumeric() || d == '-' || d == '_' {
                    end = j + d.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            let name = &selectors[start..end];
            out.push_str(ids.get(name).map(String::as_str).unwrap_or(name));
        }
    }
    out
}

/// What an open element was written as, to close it the same way.
enum Open {
    Tag(&'static str),
    /// `<style>`: its text is gathered and sanitised at the end tag.
    Style(String),
}

struct Pass {
    out: String,
    deferred: Vec<(usize, Deferred)>,
    notes: Notes,
    open: Vec<Open>,
    /// Depth inside a dropped element (0 = not dropping).
    dropping: usize,
    saw_root: bool,
    uses_xlink: bool,
    width: Option<f32>,
    height: Option<f32>,
    max_out: usize,
}

/// An attribute of a kept element, decided but not yet written.
enum OutAttr {
    Plain(&'static str, String),
    Name(String, String),
    Deferred(Deferred),
}

impl Pass {
    fn new(input: usize) -> Pass {
        Pass {
            out: String::with_capacity(input),
            deferred: Vec::new(),
            notes: Notes::default(),
            open: Vec::new(),
            dropping: 0,
            saw_root: false,
            uses_xlink: false,
            width: None,
            height: None,
            // Escaping can grow text; more than this means something is wrong.
            max_out: input.saturating_mul(4) + 64 * 1024,
        }
    }

    fn run(&mut self, text: &str) -> Result<(), String> {
        let mut reader = NsReader::from_str(text);
        reader.config_mut().check_end_names = true;
        loop {
            let event = reader.read_event().map_err(|e| {
                format!(
                    "SVG is not well-formed XML at byte {}: {e}",
                    reader.buffer_position()
                )
            })?;
            if self.out.len() > self.max_out {
                return Err(format!(
                    "SVG grows past {} bytes when cleaned",
                    self.max_out
                ));
            }
            match event {
                Event::Eof => break,
                Event::Start(_) if self.dropping > 0 => self.dropping += 1,
                Event::Empty(_) if self.dropping > 0 => {}
                Event::End(_) if self.dropping > 0 => self.dropping -= 1,
                Event::Start(ref e) | Event::Empty(ref e) => {
                    let is_empty = matches!(event, Event::Empty(_));
                    if matches!(self.open.last(), Some(Open::Style(_))) {
                        // Markup inside <style> is not CSS.
                        if !is_empty {
                            self.dropping = 1;
                        }
                        continue;
                    }
                    self.start(&reader, e, is_empty)?;
                }
                Event::End(_) => match self.open.pop() {
                    Some(Open::Tag(name)) => {
                        self.out.push_str("</");
                        self.out.push_str(name);
                        self.out.push('>');
                    }
                    Some(Open::Style(css)) => {
                        let rules = sanitize_stylesheet(&css, &mut self.notes);
                        self.defer(Deferred::Css(rules));
                        self.out.push_str("</style>");
                    }
                    None => {}
                },
                Event::Text(t) if self.dropping == 0 => {
                    self.text(&t);
                }
                Event::CData(c) if self.dropping == 0 => {
                    self.text(&c);
                }
                Event::GeneralRef(r) if self.dropping == 0 => {
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
                    self.text(&resolved);
                }
                // The DOCTYPE is not copied (its entities are refused above); nothing is lost.
                _ => {}
            }
        }
        if !self.saw_root {
            return Err("no <svg> element found".to_string());
        }
        Ok(())
    }

    fn text(&mut self, t: &str) {
        match self.open.last_mut() {
            Some(Open::Style(css)) => css.push_str(t),
            Some(Open::Tag(_)) => escape_text(&mut self.out, t),
            None => {}
        }
    }

    fn defer(&mut self, d: Deferred) {
        self.deferred.push((self.out.len(), d));
    }

    fn start(
        &mut self,
        reader: &NsReader<&[u8]>,
        e: &BytesStart<'_>,
        is_empty: bool,
    ) -> Result<(), String> {
        let (ns, local) = reader.resolver().resolve_element(e.name());
        // Elements of other vocabularies (Inkscape's namedview, RDF metadata) are dropped;
        // a file with no namespace at all is read as SVG, as it was meant.
        let in_svg = match ns {
            ResolveResult::Bound(n) => n.as_ref() == SVG_NS,
            ResolveResult::Unbound => true,
            ResolveResult::Unknown(_) => false,
        };
        let local = local.as_ref().to_string();
        if !self.saw_root {
            if local != "svg" || !in_svg {
                let name = e.name().as_ref().to_string();
                return Err(format!("root element is <{name}>, not <svg>"));
            }
            self.saw_root = true;
        }
        if self.open.len() >= MAX_DEPTH {
            return Err(format!("SVG nests deeper than {MAX_DEPTH} elements"));
        }
        let kept = if !in_svg {
            None
        } else if local == "a" {
            // Links are unwrapped: their drawing stays, the link goes.
            Some("g")
        } else {
            ELEMENTS.iter().find(|k| **k == local).copied()
        };
        let Some(name) = kept else {
            if in_svg && REMOVED_LOUDLY.contains(&local.as_str()) {
                self.notes.element(&local);
            }
            if !is_empty {
                self.dropping = 1;
            }
            return Ok(());
        };
        let attrs = self.attributes(reader, e, name)?;
        if name == "image" {
            let href = attrs
                .iter()
                .any(|a| matches!(a, OutAttr::Name(n, _) if n == "xlink:href"));
            if !href {
                if !is_empty {
                    self.dropping = 1;
                }
                return Ok(());
            }
        }
        let root = self.open.is_empty();
        self.out.push('<');
        self.out.push_str(name);
        if root {
            self.out.push_str(" xmlns=\"http://www.w3.org/2000/svg\"");
            self.defer(Deferred::XlinkDeclaration);
        }
        for attr in attrs {
            match attr {
                OutAttr::Plain(key, value) => {
                    if root && key == "width" {
                        self.width = parse_length(&value);
                    } else if root && key == "height" {
                        self.height = parse_length(&value);
                    }
                    push_attr(&mut self.out, key, &value);
                }
                OutAttr::Name(key, value) => push_attr(&mut self.out, &key, &value),
                OutAttr::Deferred(d) => self.defer(d),
            }
        }
        if is_empty {
            self.out.push_str("/>");
        } else {
            self.out.push('>');
            self.open.push(if name == "style" {
                Open::Style(String::new())
            } else {
                Open::Tag(name)
            });
        }
        Ok(())
    }

    /// The attributes `element` keeps, by their resolved namespace (never by prefix text).
    fn attributes(
        &mut self,
        reader: &NsReader<&[u8]>,
        e: &BytesStart<'_>,
        element: &str,
    ) -> Result<Vec<OutAttr>, String> {
        let mut kept = Vec::new();
        for attr in e.attributes().with_checks(true) {
            let attr = attr.map_err(|err| format!("SVG has a malformed attribute: {err}"))?;
            let qname = attr.key.as_ref().to_string();
            if qname == "xmlns" || qname.starts_with("xmlns:") {
                continue;
            }
            let value = attr
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|err| {
                    format!("SVG attribute {qname}: {err} (DTD entities are not allowed)")
                })?
                .into_owned();
            let (ns, local) = reader.resolver().resolve_attribute(attr.key);
            let local = local.as_ref().to_string();
            match ns {
                ResolveResult::Unbound => {}
                ResolveResult::Bound(n) if n.as_ref() == XLINK_NS => {
                    if local == "href" {
                        self.href(element, &value, &mut kept);
                    }
                    continue;
                }
                ResolveResult::Bound(n) if n.as_ref() == XML_NS => {
                    if local == "space" || local == "lang" {
                        kept.push(OutAttr::Name(format!("xml:{local}"), value));
                    }
                    continue;
                }
                // Editors' own data (inkscape:label, sodipodi:docname …): nothing to show.
                _ => continue,
            }
            if local.to_ascii_lowercase().starts_with("on") {
                self.notes
                    .note(format!("removed SVG event handler {local}"));
                continue;
            }
            match local.as_str() {
                "href" => self.href(element, &value, &mut kept),
                "id" => kept.push(OutAttr::Deferred(Deferred::Id(value))),
                "class" => kept.push(OutAttr::Plain("class", value)),
                "style" => {
                    let decls = sanitize_declarations(&value, &mut self.notes);
                    if decls.iter().any(|(_, v)| next_url(v).is_some()) {
                        kept.push(OutAttr::Deferred(Deferred::Style(decls)));
                    } else if !decls.is_empty() {
                        kept.push(OutAttr::Plain("style", join_declarations(&decls)));
                    }
                }
                "type" if element == "style" => {
                    if value.trim().eq_ignore_ascii_case("text/css") {
                        kept.push(OutAttr::Plain("type", "text/css".into()));
                    }
                }
                _ => {
                    let Some(key) = ATTRS
                        .iter()
                        .chain(PRESENTATION)
                        .find(|k| **k == local)
                        .copied()
                    else {
                        continue;
                    };
                    if element == "style" {
                        continue;
                    }
                    match check_value(&value) {
                        Ok(false) => kept.push(OutAttr::Plain(key, value)),
                        Ok(true) => kept.push(OutAttr::Deferred(Deferred::Reference {
                            name: key.to_string(),
                            value,
                        })),
                        Err(why) => self
                            .notes
                            .note(format!("removed SVG attribute {key}: {why}")),
                    }
                }
            }
        }
        Ok(kept)
    }

    /// An href (any prefix bound to XLink, or SVG 2's plain `href`): written as `xlink:href`,
    /// which SVG 1.1 readers understand. Only `#id`, or a raster `data:` URI on `<image>`.
    fn href(&mut self, element: &str, value: &str, kept: &mut Vec<OutAttr>) {
        if !HREF_ELEMENTS.contains(&element) {
            return;
        }
        if kept
            .iter()
            .any(|a| matches!(a, OutAttr::Name(n, _) if n == "xlink:href"))
            || kept.iter().any(|a| {
                matches!(a, OutAttr::Deferred(Deferred::Reference { name, .. }) if name == "xlink:href")
            })
        {
            return;
        }
        let trimmed = value.trim();
        if element == "image" {
            match raster_data_uri(trimmed) {
                Ok(uri) => {
                    self.uses_xlink = true;
                    kept.push(OutAttr::Name("xlink:href".into(), uri));
                }
                Err(why) => self.notes.note(format!(
                    "removed SVG <image href=\"{}\">: {why}; embed the picture as a PNG, JPEG, \
                     GIF or WebP data: URI",
                    shorten(trimmed)
                )),
            }
        } else if trimmed.starts_with('#') {
            self.uses_xlink = true;
            kept.push(OutAttr::Deferred(Deferred::Reference {
                name: "xlink:href".into(),
                value: trimmed.to_string(),
            }));
        } else {
            self.notes.note(format!(
                "removed external reference href=\"{}\" on <{element}> (EPUB readers load \
                 nothing from outside the book)",
                shorten(trimmed)
            ));
        }
    }
}

/// A `data:image/…;base64,` URI whose bytes are the raster type it says; returned compacted.
fn raster_data_uri(v: &str) -> Result<String, String> {
    let compact: String = v.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let Some((head, data)) = compact.split_once(',') else {
        return Err("not a data: URI".into());
    };
    let head_lower = head.to_ascii_lowercase();
    let Some(media) = head_lower.strip_prefix("data:") else {
        return Err("only pictures embedded as data: URIs can be kept".into());
    };
    let Some(media) = media.strip_suffix(";base64") else {
        return Err("the data: URI is not base64".into());
    };
    let declared = match media {
        "image/png" => Kind::Png,
        "image/jpeg" | "image/jpg" => Kind::Jpeg,
        "image/gif" => Kind::Gif,
        "image/webp" => Kind::Webp,
        other => return Err(format!("type {other} is not a raster picture EPUB allows")),
    };
    let bytes = base64_decode(data).ok_or("the base64 data is damaged")?;
    match sniff(&bytes) {
        Some(k) if k == declared => Ok(format!("data:{media};base64,{data}")),
        _ => Err(format!("the bytes are not a {media} picture")),
    }
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in s.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Whether a value may stay: `Ok(true)` when it refers to ids (`url(#g)`), an error naming what
/// would load or run otherwise. Only allow-listed CSS functions; `url()` only to `#id`; no
/// backslash (escapes could spell a forbidden word), no `@`, no `<`.
fn check_value(value: &str) -> Result<bool, String> {
    if value.contains('\\') {
        return Err("CSS escapes are not allowed".into());
    }
    if value.contains('@') || value.contains('<') {
        return Err(format!("'{}' is not a value", shorten(value)));
    }
    let b = value.as_bytes();
    let mut refers = false;
    let mut i = 0;
    while let Some(k) = value[i..].find('(') {
        let open = i + k;
        let mut s = open;
        while s > 0 && (b[s - 1].is_ascii_alphanumeric() || b[s - 1] == b'-' || b[s - 1] == b'_') {
            s -= 1;
        }
        let function = value[s..open].to_ascii_lowercase();
        if function == "url" {
            let rest = value[open + 1..]
                .trim_start()
                .trim_start_matches(['"', '\'']);
            if !rest.starts_with('#') {
                return Err(format!(
                    "url() may only point inside the drawing, not '{}'",
                    shorten(value)
                ));
            }
            refers = true;
        } else if !function.is_empty() && !CSS_FUNCTIONS.contains(&function.as_str()) {
            return Err(format!("function {function}() is not allowed"));
        }
        i = open + 1;
    }
    Ok(refers)
}

/// The declarations of a `style` attribute or a CSS block that may stay.
fn sanitize_declarations(css: &str, notes: &mut Notes) -> Vec<Declaration> {
    let css = strip_comments(css);
    let mut kept = Vec::new();
    for decl in css.split(';') {
        let Some((prop, value)) = decl.split_once(':') else {
            continue;
        };
        let prop = prop.trim().to_ascii_lowercase();
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        // Vendor and editor properties (-inkscape-font-specification) are dropped quietly.
        let Some(prop) = PRESENTATION
            .iter()
            .chain(CSS_ONLY)
            .find(|p| **p == prop)
            .copied()
        else {
            continue;
        };
        match check_value(value) {
            Ok(_) => kept.push((prop.to_string(), value.to_string())),
            Err(why) => notes.note(format!("removed CSS '{prop}': {why}")),
        }
    }
    kept
}

fn join_declarations(decls: &[Declaration]) -> String {
    decls
        .iter()
        .map(|(p, v)| format!("{p}:{v}"))
        .collect::<Vec<_>>()
        .join(";")
}

fn strip_comments(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(i) = rest.find("/*") {
        out.push_str(&rest[..i]);
        out.push(' ');
        rest = match rest[i + 2..].find("*/") {
            Some(j) => &rest[i + 2 + j + 2..],
            None => "",
        };
    }
    out.push_str(rest);
    out
}

/// A `<style>` element's CSS, kept as rules rather than inlined onto elements: inlining would need
/// selector matching and the cascade (specificity, order, inheritance) re-implemented, and any
/// mistake changes an author's colours; keeping the sheet lets the reader cascade it. What could
/// load or run lives in at-rules and values, and those are filtered: no at-rules (`@import`,
/// `@font-face`), only simple selectors (names, `.class`, `#id`, combinators, pseudo-classes),
/// only allow-listed properties whose values pass [`check_value`].
fn sanitize_stylesheet(css: &str, notes: &mut Notes) -> Vec<Rule> {
    let css = strip_comments(css);
    let mut rules = Vec::new();
    let mut rest = css.as_str();
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        if rest.starts_with('@') {
            let name: String = rest[1..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            notes.note(format!("removed CSS rule @{name} from an SVG <style>"));
            rest = skip_block_or_statement(rest);
            continue;
        }
        let Some(open) = rest.find('{') else { break };
        let selectors = rest[..open].trim();
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let body = &rest[open + 1..open + close];
        rest = &rest[open + close + 1..];
        let simple = !selectors.is_empty()
            && selectors
                .chars()
                .all(|c| c.is_alphanumeric() || c.is_whitespace() || "-_.#,>+~*:()".contains(c));
        if !simple {
            notes.note(format!(
                "removed CSS rule '{}' from an SVG <style> (only simple selectors are kept)",
                shorten(selectors)
            ));
            continue;
        }
        let declarations = sanitize_declarations(body, notes);
        if !declarations.is_empty() {
            rules.push(Rule {
                selectors: selectors.split_whitespace().collect::<Vec<_>>().join(" "),
                declarations,
            });
        }
    }
    rules
}

/// Skips an at-rule: up to its `;`, or past its `{…}` block with nested blocks.
fn skip_block_or_statement(s: &str) -> &str {
    let semi = s.find(';');
    let brace = s.find('{');
    match (semi, brace) {
        (Some(a), Some(b)) if a < b => &s[a + 1..],
        (Some(a), None) => &s[a + 1..],
        (_, Some(b)) => {
            let mut depth = 0usize;
            for (i, c) in s[b..].char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            return &s[b + i + 1..];
                        }
                    }
                    _ => {}
                }
            }
            ""
        }
        (None, None) => "",
    }
}

fn parse_length(v: &str) -> Option<f32> {
    let v = v.trim().trim_end_matches("px");
    v.parse::<f32>().ok().filter(|n| n.is_finite() && *n > 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(svg: &str) -> CleanSvg {
        sanitize(svg.as_bytes()).unwrap()
    }

    /// One pixel, a real PNG.
    const PNG_1PX: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

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
  <linearGradient id="g"/>
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
        assert!(c.svg.contains("fill=\"url(#g)\""));
        assert!(c.svg.contains("1 &lt; 2 ү"));
        assert_eq!(c.width, Some(100.0));
        assert!(c.removed.len() >= 4, "{:?}", c.removed);
    }

    #[test]
    fn refuses_entities_and_non_svg() {
        let xxe = br#"<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg"><text>&xxe;</text></svg>"#;
        assert!(sanitize(xxe).unwrap_err().contains("entity"));
        assert!(sanitize(b"<html><script/></html>").is_err());
        assert!(sanitize(b"\xff\xfe").is_err());
        // An <svg> of another namespace is not SVG.
        assert!(sanitize(br#"<svg xmlns="urn:x"/>"#).is_err());
    }

    #[test]
    fn attributes_pass_by_allow_list_and_css_loads_nothing_remote() {
        let c = clean(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20">
<rect width="5" height="5" data-name="Layer" requiredFeatures="x" onclick="alert(1)"
  style="fill:url(https://track.example/p.png);stroke:red;-inkscape-font-specification:Sans"/>
<rect width="5" height="5" fill="url(https://track.example/q.png)" cursor="url(https://t.example/c)"/>
<rect width="5" height="5" style="fill:u\72l(https://t.example/e);stroke:blue"/>
<rect width="5" height="5" style="filter:expression(alert(1));opacity:0.5"/>
</svg>"##,
        );
        for bad in [
            "track.example",
            "t.example",
            "data-name",
            "requiredFeatures",
            "onclick",
            "inkscape",
            "expression",
            "\\",
        ] {
            assert!(!c.svg.contains(bad), "{bad} survived: {}", c.svg);
        }
        assert!(c.svg.contains("style=\"stroke:red\""), "{}", c.svg);
        assert!(c.svg.contains("style=\"stroke:blue\""), "{}", c.svg);
        assert!(c.svg.contains("style=\"opacity:0.5\""), "{}", c.svg);
        let notes = c.removed.join("\n");
        assert!(notes.contains("url() may only point inside"), "{notes}");
        assert!(notes.contains("event handler onclick"), "{notes}");
    }

    #[test]
    fn class_styled_drawings_keep_their_colours() {
        let c = clean(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20"><style type="text/css"><![CDATA[
@import url(https://t.example/x.css);
@font-face { font-family: X; src: url(https://t.example/f.woff) }
.a{fill:red} /* comment */
#b > .c, rect.d { stroke : #00f ; background-image: url(https://t.example/bg) }
.e{fill:url(https://t.example/p)}
svg|rect { fill: green }
]]></style><rect class="a" width="20" height="20"/><g id="b"><rect class="c"/></g></svg>"##,
        );
        assert!(
            c.svg.contains(
                "<style type=\"text/css\">.a{fill:red}\n#b &gt; .c, rect.d{stroke:#00f}\n</style>"
            ),
            "{}",
            c.svg
        );
        assert!(!c.svg.contains("t.example"), "{}", c.svg);
        assert!(!c.svg.contains("svg|rect"), "{}", c.svg);
        let notes = c.removed.join("\n");
        assert!(
            notes.contains("@import") && notes.contains("@font-face"),
            "{notes}"
        );
    }

    #[test]
    fn foreign_namespaces_are_dropped_and_xlink_is_found_by_its_uri() {
        let c = clean(
            r##"<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd" xmlns:ns4="http://www.w3.org/1999/xlink" xmlns:xlink="urn:not-xlink" width="40" height="20" sodipodi:docname="a.svg">
  <sodipodi:namedview inkscape:zoom="1"><inkscape:grid/></sodipodi:namedview>
  <g inkscape:label="Layer 1" inkscape:groupmode="layer"><rect id="r" width="10" height="10"/><use ns4:href="#r" x="20"/><use xlink:href="#r" x="30"/></g>
</svg>"##,
        );
        for bad in ["sodipodi", "inkscape", "ns4", "namedview", "not-xlink"] {
            assert!(!c.svg.contains(bad), "{bad} survived: {}", c.svg);
        }
        assert!(c.svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\""), "{}", c.svg);
        // The `xlink:` prefix bound to another namespace is not XLink: that use loses its href.
        assert!(
            c.svg
                .contains("<use xlink:href=\"#r\" x=\"20\"/><use x=\"30\"/>"),
            "{}",
            c.svg
        );
        // SVG 2's plain href is written the SVG 1.1 way; no xlink, no declaration.
        let plain = clean(
            r##"<svg xmlns="http://www.w3.org/2000/svg"><rect id="r"/><use href="#r"/></svg>"##,
        );
        assert!(
            plain.svg.contains("<use xlink:href=\"#r\"/>"),
            "{}",
            plain.svg
        );
        let none = clean(r##"<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>"##);
        assert!(!none.svg.contains("xmlns:xlink"), "{}", none.svg);
    }

    #[test]
    fn embedded_raster_pictures_are_kept_others_dropped_with_a_warning() {
        let gif_as_png = "R0lGODlhAQABAAAAACw=";
        let c = clean(&format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="20" height="20">
  <defs><image id="px" width="1" height="1" xlink:href="data:image/png;base64,{PNG_1PX}"/></defs>
  <use xlink:href="#px" transform="scale(20)"/>
  <image id="fake" xlink:href="data:image/png;base64,{gif_as_png}"/>
  <image id="svg" href="data:image/svg+xml;base64,PHN2Zy8+"/>
  <image id="far" href="https://t.example/a.png"/>
</svg>"##
        ));
        assert!(c.svg.contains(&format!("<image id=\"px\" width=\"1\" height=\"1\" xlink:href=\"data:image/png;base64,{PNG_1PX}\"/>")), "{}", c.svg);
        assert!(c.svg.contains("<use xlink:href=\"#px\""), "{}", c.svg);
        for bad in ["fake", "svg+xml", "t.example"] {
            assert!(!c.svg.contains(bad), "{bad} survived: {}", c.svg);
        }
        let notes = c.removed.join("\n");
        assert!(notes.contains("not a image/png picture"), "{notes}");
        assert!(notes.contains("image/svg+xml is not a raster"), "{notes}");
        assert!(notes.contains("t.example/a.png"), "{notes}");
    }

    #[test]
    fn ids_become_valid_unique_names_and_references_follow() {
        let c = clean(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20">
<style>#\.x{fill:red} #a{fill:blue}</style>
<rect id=".__E5.__85" fill="url(#.__E5.__85)" width="5" height="5"/>
<rect id="a" width="5" height="5" fill="url(#nograd)" stroke="red"/><rect id="a" x="10" width="5" height="5"/>
<rect id="a-2"/>
<use href="#a"/><use href="#missing"/>
<rect style="fill:url('#a');stroke:url(#gone)"/>
</svg>"##,
        );
        assert!(
            c.svg
                .contains("<rect id=\"x-.__E5.__85\" fill=\"url(#x-.__E5.__85)\""),
            "{}",
            c.svg
        );
        assert!(
            c.svg
                .contains("<rect id=\"a\" width=\"5\" height=\"5\" stroke=\"red\"/>"),
            "{}",
            c.svg
        );
        // The second `a` is renamed, and not to `a-2`, which a later element has.
        assert!(c.svg.contains("<rect id=\"a-3\" x=\"10\""), "{}", c.svg);
        assert!(c.svg.contains("<rect id=\"a-2\"/>"), "{}", c.svg);
        assert!(
            c.svg.contains("<use xlink:href=\"#a\"/><use/>"),
            "{}",
            c.svg
        );
        assert!(
            c.svg.contains("<rect style=\"fill:url(#a)\"/>"),
            "{}",
            c.svg
        );
        assert!(c.svg.contains("#a{fill:blue}"), "{}", c.svg);
        assert!(
            !c.svg.contains("nograd") && !c.svg.contains("gone"),
            "{}",
            c.svg
        );
        let notes = c.removed.join("\n");
        assert!(
            notes.contains("'#nograd', which the drawing does not define"),
            "{notes}"
        );
        assert!(notes.contains("'#missing'"), "{notes}");

        let one = sanitize_with_prefix(br##"<svg xmlns="http://www.w3.org/2000/svg"><linearGradient id="g"/><rect fill="url(#g)"/></svg>"##, "f1-").unwrap();
        let two = sanitize_with_prefix(br##"<svg xmlns="http://www.w3.org/2000/svg"><linearGradient id="g"/><rect fill="url(#g)"/></svg>"##, "f2-").unwrap();
        assert!(
            one.svg.contains("id=\"f1-g\"") && one.svg.contains("url(#f1-g)"),
            "{}",
            one.svg
        );
        assert!(
            two.svg.contains("id=\"f2-g\"") && two.svg.contains("url(#f2-g)"),
            "{}",
            two.svg
        );
    }

    #[test]
    fn switch_keeps_its_fallback_and_warns_once() {
        let c = clean(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="80" height="40">
  <switch><foreignObject requiredFeatures="http://www.w3.org/TR/SVG11/feature#Extensibility" width="80" height="20"><div xmlns="http://www.w3.org/1999/xhtml">Root</div></foreignObject><text x="2" y="15">Root</text></switch>
  <switch><foreignObject width="80" height="20"><div xmlns="http://www.w3.org/1999/xhtml">Leaf</div></foreignObject><text x="2" y="35">Leaf</text></switch>
  <circle r="3"><animate attributeName="r" values="3;5"/></circle>
</svg>"##,
        );
        assert!(
            c.svg
                .contains("<switch><text x=\"2\" y=\"15\">Root</text></switch>"),
            "{}",
            c.svg
        );
        assert!(
            c.svg.contains("<text x=\"2\" y=\"35\">Leaf</text>"),
            "{}",
            c.svg
        );
        assert_eq!(c.removed.len(), 1, "{:?}", c.removed);
        assert!(
            c.removed[0].contains("<animate>, <foreignObject> ×2"),
            "{:?}",
            c.removed
        );
    }

    #[test]
    fn a_three_megabyte_plot_is_accepted() {
        let mut svg = String::from(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="500" height="300"><path d="M0 0"#,
        );
        let mut i = 0u64;
        while svg.len() < 3 * 1024 * 1024 {
            svg.push_str(&format!(" L{} {}", i % 500, (i * 7) % 300));
            i += 1;
        }
        svg.push_str(r#"" stroke="black" fill="none"/></svg>"#);
        let c = sanitize(svg.as_bytes()).unwrap();
        assert!(c.svg.len() >= svg.len() - 100 && c.svg.len() <= svg.len() + 100);
        assert!(c.svg.ends_with("stroke=\"black\" fill=\"none\"/></svg>"));
        let too_big = vec![b' '; MAX_SVG_BYTES + 1];
        assert!(sanitize(&too_big).unwrap_err().contains("at most"));
    }
}
