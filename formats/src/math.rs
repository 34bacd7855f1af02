//! LaTeX math to MathML, with a text alternative; bad math is reported and shown as source.
//!
//! Three steps: a small rewrite of the LaTeX for commands books use that math-core lacks, math-core
//! itself, then a pass over its output that keeps only MathML an EPUB checker accepts.

use crate::doc::{escape_attr, escape_text};
use math_core::{LatexToMathML, MathCoreConfig, MathDisplay};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use std::sync::OnceLock;

/// Longer formulas are refused: they are almost certainly a mistake (an unclosed `$`).
const MAX_LATEX_CHARS: usize = 5_000;

/// A formula rendered by [`to_mathml`]: the only markup the document model writes without
/// escaping, so its fields are private to this module and nothing else can make one.
///
/// ```compile_fail
/// let raw = formats::math::TrustedMath { markup: "<script/>".into(), text: String::new(), latex: String::new(), display: false };
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TrustedMath {
    markup: String,
    text: String,
    /// The LaTeX it was made from, and whether it is a display formula (for the print edition).
    latex: String,
    display: bool,
}

impl TrustedMath {
    /// The `<math>` element.
    pub fn markup(&self) -> &str {
        &self.markup
    }

    /// The LaTeX the author wrote.
    pub fn latex(&self) -> &str {
        &self.latex
    }

    pub fn is_display(&self) -> bool {
        self.display
    }

    /// The formula as plain, readable text (`1/2`, `x^2`), for search and titles.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// Marks a group `\boxed` wrapped; a private-use character no formula may contain.
const BOX_MARK: char = '\u{E000}';

/// Commands math-core does not know, as math-core macros (name, definition).
const MACROS: &[(&str, &str)] = &[
    ("substack", r"\begin{subarray}{c}#1\end{subarray}"),
    ("cr", r"\\"),
    ("widetilde", r"\tilde{#1}"),
    ("widecheck", r"\check{#1}"),
    ("dotsb", r"\cdots"),
    ("dotsm", r"\cdots"),
    ("dotsi", r"\cdots"),
    ("dotsc", r"\ldots"),
    ("dotso", r"\ldots"),
    ("LaTeX", r"\text{LaTeX}"),
    ("TeX", r"\text{TeX}"),
    ("pod", r"\quad(#1)"),
];

fn converter() -> &'static LatexToMathML {
    static CONVERTER: OnceLock<LatexToMathML> = OnceLock::new();
    CONVERTER.get_or_init(|| {
        let config = MathCoreConfig {
            xml_namespace: true,
            annotation: false,
            macros: MACROS
                .iter()
                .map(|(n, d)| (n.to_string(), d.to_string()))
                .collect(),
            ..Default::default()
        };
        LatexToMathML::new(config).unwrap_or_else(|_| {
            LatexToMathML::new(MathCoreConfig::default()).expect("default config has no macros")
        })
    })
}

/// Converts `latex` to a `<math>` element carrying `alttext` (read by screen readers).
pub fn to_mathml(latex: &str, display: bool) -> Result<TrustedMath, String> {
    let latex = latex.trim();
    if latex.chars().count() > MAX_LATEX_CHARS {
        return Err(format!(
            "formula is longer than {MAX_LATEX_CHARS} characters (is a '$' left unclosed?)"
        ));
    }
    let invalid = |why: &str| format!("invalid math '{}': {why}", shorten(latex));
    check_braces(latex).map_err(|why| invalid(&why))?;
    if latex.contains(BOX_MARK) {
        return Err(invalid(
            "the formula contains a private-use character (U+E000)",
        ));
    }
    let source = rewrite(latex, display).map_err(|why| invalid(&why))?;
    let mode = if display {
        MathDisplay::Block
    } else {
        MathDisplay::Inline
    };
    let result = std::panic::catch_unwind(|| {
        converter()
            .convert_with_local_state(&source, mode)
            .map(|r| r.mathml)
            .map_err(|e| e.to_string())
    });
    let mathml = match result {
        Ok(Ok(m)) => m,
        Ok(Err(e)) => return Err(invalid(&e)),
        Err(_) => return Err(invalid("the converter failed")),
    };
    let Some(mut root) = parse(&mathml) else {
        return Err(invalid("the converter's output could not be read"));
    };
    root.attrs.retain(|(n, _)| *n != "alttext");
    root.attrs.insert(0, ("alttext", latex.to_string()));
    let mut markup = String::with_capacity(mathml.len() + latex.len());
    write(&mut markup, &root);
    let mut text = String::new();
    readable(&root.children, &mut text);
    Ok(TrustedMath {
        markup,
        text: text.split_whitespace().collect::<Vec<_>>().join(" "),
        latex: latex.to_string(),
        display,
    })
}

/// Braces must pair up: math-core's own message for a missing `}` names no brace.
pub(crate) fn check_braces(latex: &str) -> Result<(), String> {
    let mut depth = 0usize;
    let mut chars = latex.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '{' => depth += 1,
            '}' if depth == 0 => {
                return Err("unbalanced braces: a '}' has no matching '{'".into());
            }
            '}' => depth -= 1,
            _ => {}
        }
    }
    match depth {
        0 => Ok(()),
        1 => Err("unbalanced braces: a '{' is never closed (add the missing '}')".into()),
        n => Err(format!(
            "unbalanced braces: {n} '{{' are never closed (add the missing '}}')"
        )),
    }
}

/// Operators `\mathop{\cmd}\limits` may keep their limits through (`\cmd\limits` is valid).
const LIMIT_OPERATORS: &[&str] = &[
    "sum",
    "prod",
    "coprod",
    "int",
    "oint",
    "bigcup",
    "bigcap",
    "bigvee",
    "bigwedge",
    "bigoplus",
    "bigotimes",
    "bigodot",
    "biguplus",
    "bigsqcup",
    "inf",
    "sup",
    "max",
    "min",
    "lim",
    "liminf",
    "limsup",
    "det",
    "gcd",
    "Pr",
    "argmax",
    "argmin",
];

/// Rewrites commands math-core lacks or refuses into ones it accepts.
fn rewrite(latex: &str, display: bool) -> Result<String, String> {
    let mut out = String::with_capacity(latex.len() + 16);
    let mut tagged = false;
    let mut rest = latex;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let (name, after) = control_sequence(rest);
        rest = after;
        match name {
            "\\left" | "\\right" => {
                out.push_str(name);
                let trimmed = rest.trim_start();
                if let Some(r) = trimmed.strip_prefix('<') {
                    out.push_str("\\langle ");
                    rest = r;
                } else if let Some(r) = trimmed.strip_prefix('>') {
                    out.push_str("\\rangle ");
                    rest = r;
                }
            }
            "\\boxed" => {
                let (arg, after) = argument(rest);
                rest = after;
                out.push_str(&format!("{{\\text{{{BOX_MARK}}}"));
                out.push_str(&rewrite(arg, display)?);
                out.push('}');
            }
            "\\textcircled" => {
                let (arg, after) = argument(rest);
                rest = after;
                match circled(arg.trim()) {
                    Some(c) => out.push_str(&format!("\\text{{{c}}}")),
                    None => out.push_str(&format!("\\text{{({})}}", arg.trim())),
                }
            }
            "\\operatorname" | "\\operatorname*" | "\\mathop" => {
                let (arg, after) = argument(rest);
                let (next, after_next) = control_sequence(after.trim_start());
                let limits = match next {
                    "\\limits" => Some(true),
                    "\\nolimits" => Some(false),
                    _ => None,
                };
                rest = if limits.is_some() { after_next } else { after };
                let plain = !arg.contains('\\');
                let op = arg.trim().strip_prefix('\\').unwrap_or("");
                if name != "\\mathop" && plain {
                    let star =
                        name == "\\operatorname*" && limits.is_none() || limits == Some(true);
                    out.push_str(if star {
                        "\\operatorname*{"
                    } else {
                        "\\operatorname{"
                    });
                    out.push_str(arg);
                    out.push('}');
                } else if name == "\\mathop" && plain && limits == Some(true) {
                    out.push_str(&format!("\\operatorname*{{{arg}}}"));
                } else if limits == Some(true) && LIMIT_OPERATORS.contains(&op) {
                    out.push_str(&format!("\\{op}\\limits"));
                } else {
                    // A styled name (`\operatorname{\mathbf{W}}`) is an operator math-core
                    // accepts only as `\mathop`, whose limits it cannot place: they go beside.
                    out.push_str("\\mathop{");
                    out.push_str(&rewrite(arg, display)?);
                    out.push('}');
                }
            }
            "\\tag" | "\\tag*" => {
                tagged = true;
                out.push_str("\\tag");
            }
            // A backslash ending a line is a control space, as in TeX.
            "\\\n" | "\\\r" => out.push_str("\\ "),
            _ => out.push_str(name),
        }
    }
    out.push_str(rest);
    if tagged {
        if !display {
            return Err("\\tag is allowed only in display math ($$…$$)".into());
        }
        let numbered = [
            "equation",
            "equation*",
            "align",
            "align*",
            "gather",
            "gather*",
            "multline",
        ]
        .iter()
        .any(|env| latex.contains(&format!("\\begin{{{env}}}")));
        if !numbered {
            out = format!("\\begin{{equation}}{out}\\end{{equation}}");
        }
    }
    Ok(out)
}

/// Splits `s` (starting with `\`) into its first control sequence (`\name`, `\name*` or `\c`)
/// and the rest.
fn control_sequence(s: &str) -> (&str, &str) {
    let Some(body) = s.strip_prefix('\\') else {
        return ("", s);
    };
    let letters = body
        .char_indices()
        .find(|(_, c)| !c.is_ascii_alphabetic())
        .map_or(body.len(), |(i, _)| i);
    let mut end = 1 + letters;
    if letters == 0 {
        end += body.chars().next().map_or(0, char::len_utf8);
    } else if s[end..].starts_with('*') && s[1..end].starts_with("operatorname")
        || s[end..].starts_with('*') && &s[1..end] == "tag"
    {
        end += 1;
    }
    (&s[..end], &s[end..])
}

/// A command's argument: a braced group (without its braces) or one token, and what follows.
fn argument(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    if let Some(body) = s.strip_prefix('{') {
        let mut depth = 1;
        let mut chars = body.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    chars.next();
                }
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return (&body[..i], &body[i + 1..]);
                    }
                }
                _ => {}
            }
        }
        (body, "")
    } else if s.starts_with('\\') {
        control_sequence(s)
    } else {
        let n = s.chars().next().map_or(0, char::len_utf8);
        (&s[..n], &s[n..])
    }
}

/// `\textcircled{3}` → ③ (numbers up to 20 and Latin letters have a circled character).
fn circled(arg: &str) -> Option<char> {
    if let Ok(n) = arg.parse::<u32>() {
        return match n {
            0 => Some('⓪'),
            1..=20 => char::from_u32(0x2460 + n - 1),
            _ => None,
        };
    }
    let mut chars = arg.chars();
    let (c, None) = (chars.next()?, chars.next()) else {
        return None;
    };
    match c {
        'A'..='Z' => char::from_u32(0x24B6 + (c as u32 - 'A' as u32)),
        'a'..='z' => char::from_u32(0x24D0 + (c as u32 - 'a' as u32)),
        _ => None,
    }
}

/// MathML presentation elements (MathML Core and MathML 3) that may reach a book. `mglyph`
/// (an image URL), `maction` and `annotation-xml` (any markup) are left out.
const ELEMENTS: &[&str] = &[
    "math",
    "semantics",
    "annotation",
    "mi",
    "mn",
    "mo",
    "ms",
    "mspace",
    "mtext",
    "mrow",
    "mfrac",
    "msqrt",
    "mroot",
    "mstyle",
    "merror",
    "mpadded",
    "mphantom",
    "mfenced",
    "menclose",
    "msub",
    "msup",
    "msubsup",
    "munder",
    "mover",
    "munderover",
    "mmultiscripts",
    "mprescripts",
    "none",
    "mtable",
    "mlabeledtr",
    "mtr",
    "mtd",
    "maligngroup",
    "malignmark",
    "mstack",
    "mlongdiv",
    "msgroup",
    "msrow",
    "mscarries",
    "mscarry",
    "msline",
];

/// Attributes kept on MathML elements. Ids and links are dropped: `\label` ids would clash
/// between formulas of one chapter, and `\eqref` links point nowhere.
const ATTRIBUTES: &[&str] = &[
    "xmlns",
    "display",
    "alttext",
    "class",
    "style",
    "dir",
    "mathvariant",
    "mathsize",
    "mathcolor",
    "mathbackground",
    "displaystyle",
    "scriptlevel",
    "form",
    "fence",
    "separator",
    "stretchy",
    "symmetric",
    "largeop",
    "movablelimits",
    "accent",
    "accentunder",
    "lspace",
    "rspace",
    "minsize",
    "maxsize",
    "linethickness",
    "numalign",
    "denomalign",
    "bevelled",
    "width",
    "height",
    "depth",
    "voffset",
    "notation",
    "open",
    "close",
    "separators",
    "align",
    "rowalign",
    "columnalign",
    "rowspacing",
    "columnspacing",
    "rowlines",
    "columnlines",
    "frame",
    "framespacing",
    "equalrows",
    "equalcolumns",
    "rowspan",
    "columnspan",
    "subscriptshift",
    "superscriptshift",
    "encoding",
];

const TOKENS: &[&str] = &["mi", "mn", "mo", "ms", "mtext"];

/// An element of math-core's output, as read: any name, any attributes.
struct Raw {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<RawNode>,
}

enum RawNode {
    Element(Raw),
    Text(String),
}

/// A MathML element after cleaning: names and attribute names from the allow-lists.
#[derive(Debug)]
struct MathElement {
    name: &'static str,
    attrs: Vec<(&'static str, String)>,
    children: Vec<MathNode>,
}

#[derive(Debug)]
enum MathNode {
    Element(MathElement),
    Text(String),
}

/// Reads math-core's output and cleans it into EPUB-valid MathML.
fn parse(mathml: &str) -> Option<MathElement> {
    let mut reader = Reader::from_str(mathml);
    let mut stack: Vec<Raw> = vec![Raw {
        name: String::new(),
        attrs: Vec::new(),
        children: Vec::new(),
    }];
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) => stack.push(raw_start(&e)?),
            Event::Empty(e) => {
                let el = raw_start(&e)?;
                stack.last_mut()?.children.push(RawNode::Element(el));
            }
            Event::End(_) => {
                let el = stack.pop()?;
                stack.last_mut()?.children.push(RawNode::Element(el));
            }
            Event::Text(t) => {
                let text = t.xml10_content().into_owned();
                stack.last_mut()?.children.push(RawNode::Text(text));
            }
            Event::GeneralRef(r) => {
                let text = match r.resolve_char_ref().ok()? {
                    Some(c) => c.to_string(),
                    None => quick_xml::escape::resolve_predefined_entity(&r)?.to_string(),
                };
                stack.last_mut()?.children.push(RawNode::Text(text));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let mut top = stack.pop()?;
    let RawNode::Element(math) = top.children.pop()? else {
        return None;
    };
    if math.name != "math" {
        return None;
    }
    clean(math).pop().and_then(|n| match n {
        MathNode::Element(e) => Some(e),
        MathNode::Text(_) => None,
    })
}

fn raw_start(e: &BytesStart) -> Option<Raw> {
    let name = e.name().as_ref().to_string();
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.ok()?;
        let key = a.key.as_ref().to_string();
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .ok()?
            .into_owned();
        attrs.push((key, value));
    }
    Some(Raw {
        name,
        attrs,
        children: Vec::new(),
    })
}

/// Cleans one element into zero or more MathML nodes: elements outside the allow-list are
/// dropped with their content, HTML inside a token becomes the token's `mathvariant`, and the
/// `displaystyle`/`scriptlevel` EPUB's schema refuses on an element move to an `mstyle` around it.
fn clean(raw: Raw) -> Vec<MathNode> {
    let Some(&name) = ELEMENTS.iter().find(|n| **n == raw.name) else {
        return Vec::new();
    };
    let mut attrs: Vec<(&'static str, String)> = raw
        .attrs
        .into_iter()
        .filter_map(|(k, v)| {
            let key = *ATTRIBUTES.iter().find(|a| **a == k)?;
            let unsafe_style = key == "style" && (v.contains("url(") || v.contains('\\'));
            let stray_ns = key == "xmlns" && name != "math";
            (!unsafe_style && !stray_ns).then_some((key, v))
        })
        .collect();
    let mut children = Vec::new();
    if TOKENS.contains(&name) {
        let mut text = String::new();
        let mut variant = None;
        token_text(&raw.children, &mut text, &mut variant);
        if let Some(v) = variant
            && !attrs.iter().any(|(k, _)| *k == "mathvariant")
        {
            attrs.push(("mathvariant", v.to_string()));
        }
        if !text.is_empty() {
            children.push(MathNode::Text(text));
        }
    } else {
        for child in raw.children {
            match child {
                RawNode::Element(e) => children.extend(clean(e)),
                RawNode::Text(t) if !t.trim().is_empty() => children.push(MathNode::Text(t)),
                RawNode::Text(_) => {}
            }
        }
    }
    let mut el = MathElement {
        name,
        attrs,
        children,
    };
    let is_mark = |n: &MathNode| {
        matches!(n, MathNode::Element(m) if m.name == "mtext"
            && matches!(m.children.as_slice(), [MathNode::Text(t)] if t.chars().eq([BOX_MARK])))
    };
    if el.children.first().is_some_and(is_mark) {
        el.attrs.retain(|(k, _)| *k != "style");
        el.attrs
            .push(("style", "border: 1px solid; padding: 0.1em 0.2em;".into()));
    }
    el.children.retain(|n| !is_mark(n));
    let moved: &[&str] = match name {
        "math" | "mstyle" => &[],
        "mtable" => &["scriptlevel"],
        _ => &["displaystyle", "scriptlevel"],
    };
    let mut style = Vec::new();
    el.attrs.retain(|(k, v)| {
        let moves = moved.contains(k);
        if moves {
            style.push((*k, v.clone()));
        }
        !moves
    });
    if style.is_empty() {
        return vec![MathNode::Element(el)];
    }
    if el.name == "mrow" {
        // An mstyle is an mrow with styles: no need for both.
        el.name = "mstyle";
        el.attrs.extend(style);
        return vec![MathNode::Element(el)];
    }
    vec![MathNode::Element(MathElement {
        name: "mstyle",
        attrs: style,
        children: vec![MathNode::Element(el)],
    })]
}

/// The text of a token's content; HTML formatting math-core puts inside `mtext` (`\textbf`,
/// `\texttt`) becomes the MathML variant it stands for.
fn token_text(nodes: &[RawNode], out: &mut String, variant: &mut Option<&'static str>) {
    for n in nodes {
        match n {
            RawNode::Text(t) => out.push_str(t),
            RawNode::Element(e) => {
                let class = |c: &str| e.attrs.iter().any(|(k, v)| k == "class" && v == c);
                let here = match e.name.as_str() {
                    "b" | "strong" => Some("bold"),
                    "i" | "em" => Some("italic"),
                    "code" | "tt" => Some("monospace"),
                    "span" if class("math-core-sans-serif-font") => Some("sans-serif"),
                    _ => None,
                };
                *variant = match (*variant, here) {
                    (Some("bold"), Some("italic")) | (Some("italic"), Some("bold")) => {
                        Some("bold-italic")
                    }
                    (None, h) => h,
                    (v, _) => v,
                };
                token_text(&e.children, out, variant);
            }
        }
    }
}

fn write(out: &mut String, el: &MathElement) {
    out.push('<');
    out.push_str(el.name);
    for (k, v) in &el.attrs {
        out.push(' ');
        out.push_str(k);
        out.push_str("=\"");
        escape_attr(out, v);
        out.push('"');
    }
    out.push('>');
    for c in &el.children {
        match c {
            MathNode::Element(e) => write(out, e),
            MathNode::Text(t) => escape_text(out, t),
        }
    }
    out.push_str("</");
    out.push_str(el.name);
    out.push('>');
}

/// The formula as one line of text: fractions as `a/b`, scripts as `x^2` and `x_i`, roots as
/// `√(x)`, table rows separated by `;`.
fn readable(nodes: &[MathNode], out: &mut String) {
    for n in nodes {
        match n {
            MathNode::Text(t) => out.push_str(t),
            MathNode::Element(e) => readable_element(e, out),
        }
    }
}

fn readable_element(e: &MathElement, out: &mut String) {
    let kids: Vec<&MathElement> = e
        .children
        .iter()
        .filter_map(|c| match c {
            MathNode::Element(e) => Some(e),
            MathNode::Text(_) => None,
        })
        .collect();
    let part = |i: usize, out: &mut String| {
        if let Some(k) = kids.get(i) {
            group(k, out);
        }
    };
    match e.name {
        "mo" => {
            let mut t = String::new();
            readable(&e.children, &mut t);
            let t = t.trim();
            match t {
                "\u{2061}" | "\u{2062}" | "\u{2063}" | "\u{2064}" | "" => {}
                "(" | "[" | "{" | "|" | "‖" | "⟨" | "⌊" | "⌈" => out.push_str(t),
                ")" | "]" | "}" | "⟩" | "⌋" | "⌉" | "!" | "′" | "″" | "'" | "." => {
                    out.push_str(t);
                }
                "," | ";" => {
                    out.push_str(t);
                    out.push(' ');
                }
                // A prefix sign (`-b`, `= -1`) stays with its operand.
                _ if out
                    .trim_end()
                    .chars()
                    .last()
                    .is_none_or(|c| !(c.is_alphanumeric() || ")]}⟩⌋⌉|‖!′″'.".contains(c))) =>
                {
                    out.push_str(t);
                }
                _ => {
                    out.push(' ');
                    out.push_str(t);
                    out.push(' ');
                }
            }
        }
        "mtext" | "ms" => {
            out.push(' ');
            readable(&e.children, out);
            out.push(' ');
        }
        "mspace" => out.push(' '),
        "mphantom" | "annotation" | "mprescripts" | "none" => {}
        "mfrac" => {
            part(0, out);
            out.push('/');
            part(1, out);
            out.push(' ');
        }
        "msqrt" => {
            out.push_str("√(");
            readable(&e.children, out);
            out.push(')');
        }
        "mroot" => {
            out.push_str("√(");
            part(0, out);
            out.push(')');
        }
        "msub" | "munder" => {
            part(0, out);
            out.push('_');
            part(1, out);
            out.push(' ');
        }
        "msup" => {
            part(0, out);
            out.push('^');
            part(1, out);
            out.push(' ');
        }
        "mover" if e.attrs.iter().any(|(k, v)| *k == "accent" && v == "true") => part(0, out),
        "mover" => {
            part(0, out);
            out.push('^');
            part(1, out);
            out.push(' ');
        }
        "msubsup" | "munderover" => {
            part(0, out);
            out.push('_');
            part(1, out);
            out.push('^');
            part(2, out);
            out.push(' ');
        }
        "mtr" | "mlabeledtr" => {
            readable(&e.children, out);
            out.truncate(out.trim_end().len());
            out.push_str("; ");
        }
        "mtd" => {
            readable(&e.children, out);
            out.push(' ');
        }
        "mtable" => {
            readable(&e.children, out);
            let kept = out.trim_end().trim_end_matches(';').len();
            out.truncate(kept);
            out.push(' ');
        }
        _ => readable(&e.children, out),
    }
}

/// A script or fraction part: in parentheses unless it is one token.
fn group(e: &MathElement, out: &mut String) {
    let mut t = String::new();
    readable_element(e, &mut t);
    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    let simple = TOKENS.contains(&e.name) || t.chars().all(char::is_alphanumeric);
    if simple {
        out.push_str(&t);
    } else {
        out.push('(');
        out.push_str(&t);
        out.push(')');
    }
}

pub(crate) fn shorten(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mathml(latex: &str, display: bool) -> String {
        match to_mathml(latex, display) {
            Ok(m) => m.markup,
            Err(e) => panic!("{latex}: {e}"),
        }
    }

    #[test]
    fn fractions_become_mathml_with_alttext() {
        let m = mathml(r"\frac{1}{2} + \frac{1}{4}", false);
        assert!(m.starts_with("<math alttext=\"\\frac{1}{2} + \\frac{1}{4}\" xmlns=\"http://www.w3.org/1998/Math/MathML\""), "{m}");
        assert!(m.contains("<mfrac>"));
        assert!(mathml("x^2", true).contains("display=\"block\""));
    }

    #[test]
    fn dangerous_or_broken_math_is_an_error() {
        for bad in [
            r"\href{javascript:alert(1)}{x}",
            r"\includegraphics{http://evil}",
            r"\frac{1}{",
            r"\htmlClass{x}{y}",
        ] {
            assert!(to_mathml(bad, false).is_err(), "{bad}");
        }
        assert!(to_mathml(&"x+".repeat(4000), false).is_err());
    }
    /// What EPUBCheck's MathML schema refuses: `scriptlevel` on `mtable`, `displaystyle` and
    /// `scriptlevel` on anything but `mstyle` (and `displaystyle` on `mtable`).
    fn schema_problems(m: &str) -> Vec<String> {
        let mut found = Vec::new();
        for tag in m.split('<').skip(1) {
            let name: String = tag
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            let head = tag.split('>').next().unwrap_or("");
            for attr in ["displaystyle", "scriptlevel"] {
                let allowed = name == "mstyle"
                    || name == "math"
                    || (name == "mtable" && attr == "displaystyle");
                if head.contains(&format!(" {attr}=")) && !allowed {
                    found.push(format!("{attr} on {name}"));
                }
            }
            if !name.is_empty() && !ELEMENTS.contains(&name.as_str()) {
                found.push(format!("element {name}"));
            }
        }
        found
    }

    #[test]
    fn tables_and_styles_carry_their_style_on_an_mstyle() {
        for (latex, display) in [
            (r"\begin{aligned} a &= b \\ c &= d \end{aligned}", true),
            (
                r"f(x) = \begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}",
                false,
            ),
            (r"\begin{array}{cc} a & b \end{array}", true),
            (r"\dfrac{1}{2}", false),
            (r"\tfrac{1}{2}", true),
            (r"\displaystyle\sum_{i=1}^n i", false),
        ] {
            let m = mathml(latex, display);
            assert_eq!(schema_problems(&m), Vec::<String>::new(), "{latex}: {m}");
        }
        let m = mathml(r"\begin{aligned} a &= b \end{aligned}", true);
        assert!(
            m.contains(r#"<mstyle scriptlevel="0"><mtable displaystyle="true">"#),
            "{m}"
        );
        let m = mathml(r"\dfrac{1}{2}", false);
        assert!(m.contains(r#"<mstyle displaystyle="true"><mfrac>"#), "{m}");
        let m = mathml(r"\displaystyle x", false);
        assert!(
            m.contains(r#"<mstyle displaystyle="true" scriptlevel="0"><mi>x</mi></mstyle>"#),
            "{m}"
        );
    }

    #[test]
    fn text_styles_become_mathvariants_and_html_never_gets_in() {
        let m = mathml(
            r"\textbf{bold} + \textit{it} + \texttt{tt} + \textrm{rm} + \textsf{sf}",
            false,
        );
        for want in [
            r#"<mtext mathvariant="bold">bold</mtext>"#,
            r#"<mtext mathvariant="italic">it</mtext>"#,
            r#"<mtext mathvariant="monospace">tt</mtext>"#,
            "<mtext>rm</mtext>",
            r#"<mtext mathvariant="sans-serif">sf</mtext>"#,
        ] {
            assert!(m.contains(want), "{want} in {m}");
        }
        assert_eq!(schema_problems(&m), Vec::<String>::new(), "{m}");
        // `\eqref` makes an HTML link inside mtext; `\label` an id that could clash.
        let m = mathml(
            r"\begin{equation} x \label{eq:1} \end{equation} \eqref{eq:1}",
            true,
        );
        assert!(
            !m.contains("<a") && !m.contains("href") && !m.contains("id="),
            "{m}"
        );
    }

    #[test]
    fn commands_real_books_use_are_rendered() {
        for (latex, display, want) in [
            (r"E=mc^2 \tag{1}", true, "<mtext>(1)</mtext>"),
            (r"\sum_{\substack{i<n\\j}} x", false, "<mtable"),
            (
                r"\begin{array}{c} a \cr b \end{array}",
                true,
                "<mtr><mtd><mi>b</mi>",
            ),
            (
                r"\boxed{x}",
                false,
                r#"<mrow style="border: 1px solid; padding: 0.1em 0.2em;"><mi>x</mi></mrow>"#,
            ),
            (r"\widetilde{x}", false, "<mover accent=\"true\"><mi>x</mi>"),
            (r"\left< x \right>", false, "<mo>⟨</mo><mi>x</mi><mo>⟩</mo>"),
            (r"\left<f\right>", false, "<mo>⟨</mo><mi>f</mi><mo>⟩</mo>"),
            (r"A \pod{i \in S}", false, "<mo>∈</mo>"),
            (r"a + \dotsb + b", false, "⋯"),
            (r"\LaTeX", false, "<mtext>LaTeX</mtext>"),
            (
                r"\textcircled{1} \to \textcircled{12}",
                false,
                "<mtext>⑫</mtext>",
            ),
            (r"\operatorname{argmax}\limits_{x} f", true, "<munder><mo"),
            (r"\Gamma = \mathop{\inf}\limits_{x} L", true, "<munder><mo"),
            (
                r"\begin{array}{c} \sum\limits_{i} x \end{array}",
                true,
                "<munder>",
            ),
            (r"\operatorname{\mathbf{W}}_x", false, "𝐖"),
            ("a\\\nb", false, "<mi>a</mi><mtext>&#160;</mtext><mi>b</mi>"),
        ] {
            let m = mathml(latex, display);
            assert!(m.contains(want), "{latex}: want {want} in {m}");
            assert_eq!(schema_problems(&m), Vec::<String>::new(), "{latex}: {m}");
        }
        let err = to_mathml(r"x \tag{1}", false).unwrap_err();
        assert!(
            err.contains("\\tag is allowed only in display math"),
            "{err}"
        );
        let err = to_mathml(r"\foo{x}", false).unwrap_err();
        assert!(err.contains("\\foo"), "{err}");
    }

    #[test]
    fn a_missing_brace_is_named() {
        let err = to_mathml(r"\frac{1}{2", false).unwrap_err();
        assert!(
            err.contains("unbalanced braces: a '{' is never closed"),
            "{err}"
        );
        let err = to_mathml(r"\frac{1}{2}}", false).unwrap_err();
        assert!(err.contains("a '}' has no matching '{'"), "{err}");
        assert!(to_mathml(r"\{ x \}", false).is_ok());
    }

    #[test]
    fn formulas_read_as_text() {
        for (latex, want) in [
            (r"\frac{1}{2}", "1/2"),
            (r"E = mc^2", "E = mc^2"),
            (
                r"\frac{-b \pm \sqrt{b^2 - 4ac}}{2a}",
                "(−b ± √(b^2 − 4ac))/2a",
            ),
            (r"\sum_{i=1}^n i", "∑_(i = 1)^n i"),
            (r"x_i + \alpha", "x_i + α"),
            (
                r"\begin{cases} 1 & x > 0 \\ 0 & \text{otherwise} \end{cases}",
                "{1 x > 0; 0 otherwise",
            ),
        ] {
            assert_eq!(to_mathml(latex, false).unwrap().text(), want, "{latex}");
        }
    }
}
