//! Numbered figures, tables and equations, and references to them.
//!
//! - A figure: `![alt](pie.svg "Caption"){#fig:pie}`; a table: a paragraph `Table: Caption
//!   {#tbl:prices}` right before or after it; an equation: `$$ … $$ {#eq:area}`.
//! - Labelled items are numbered per chapter (`2.3`), and the number goes into the caption with
//!   the word of the book's language (`2.3-сүрөт`, `Рисунок 2.3`, `Figure 2.3`).
//! - `@fig:pie` in the text becomes a link reading `2.3-сүрөт`; `[-@fig:pie]` gives only the
//!   number, for languages that add endings (`[-@fig:pie]-сүрөттө`).

use std::collections::HashMap;

use crate::doc::{Element, Node, xml_id};
use crate::labels::{Label, label};
use crate::markdown::CompiledChapter;
use corpus::Diagnostic;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Figure,
    Table,
    Equation,
}

impl Kind {
    fn class(self) -> &'static str {
        match self {
            Kind::Figure => "numbered-figure",
            Kind::Table => "numbered-table",
            Kind::Equation => "numbered-equation",
        }
    }

    fn word(self) -> Label {
        match self {
            Kind::Figure => Label::FigureNumbered,
            Kind::Table => Label::TableNumbered,
            Kind::Equation => Label::EquationNumbered,
        }
    }

    fn from_prefix(p: &str) -> Option<Kind> {
        match p {
            "fig" => Some(Kind::Figure),
            "tbl" => Some(Kind::Table),
            "eq" => Some(Kind::Equation),
            _ => None,
        }
    }
}

/// The element id of a label (`fig:pie` → `fig-pie`): ids with a colon are not XML names.
pub fn id_of(label: &str) -> String {
    xml_id(&label.replace(':', "-"))
}

fn parse_label(s: &str) -> Option<(Kind, &str)> {
    let (prefix, name) = s.split_once(':')?;
    let kind = Kind::from_prefix(prefix)?;
    (!name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_'))
    .then_some((kind, name))
}

/// A `{#fig:…}`, `{#tbl:…}` or `{#eq:…}` at the end of a paragraph: taken out of its text.
pub fn take_label(p: &mut Element) -> Option<(Kind, String)> {
    let Some(Node::Text(t)) = p.children.last_mut() else {
        return None;
    };
    let trimmed = t.trim_end();
    let inner = trimmed.strip_suffix('}')?;
    let start = inner.rfind("{#")?;
    let label = &inner[start + 2..];
    let (kind, _) = parse_label(label)?;
    let label = label.to_string();
    t.truncate(start);
    let keep = t.trim_end().len();
    t.truncate(keep);
    if t.is_empty() {
        p.children.pop();
    }
    Some((kind, label))
}

/// Marks a labelled figure, equation or table caption (called on a finished paragraph).
pub fn apply_label(el: &mut Element, kind: Kind, label: &str) -> Result<(), String> {
    match kind {
        Kind::Figure if el.name == "figure" => {
            el.set_attr("id", id_of(label));
            el.add_class(kind.class());
            Ok(())
        }
        Kind::Equation if el.name == "p" && is_lone_math(el) => {
            let math = std::mem::take(&mut el.children);
            *el = Element::new("div")
                .with_attr("class", format!("equation {}", kind.class()))
                .with_attr("id", id_of(label));
            el.children = math;
            Ok(())
        }
        Kind::Table if el.name == "p" && is_table_caption(el) => {
            el.set_attr("id", id_of(label));
            Ok(())
        }
        Kind::Figure => Err(format!(
            "{{#{label}}} labels a figure: put it right after an image that stands alone in its paragraph and has a caption, ![…](… \"Caption\"){{#{label}}}"
        )),
        Kind::Equation => Err(format!(
            "{{#{label}}} labels an equation: put it right after a display formula, $$ … $$ {{#{label}}}"
        )),
        Kind::Table => Err(format!(
            "{{#{label}}} labels a table: put it at the end of a caption line \"Table: …\" right before or after the table"
        )),
    }
}

fn is_lone_math(p: &Element) -> bool {
    let mut maths = 0;
    for c in &p.children {
        match c {
            Node::Math(_) => maths += 1,
            Node::Text(t) if t.trim().is_empty() => {}
            _ => return false,
        }
    }
    maths == 1
}

fn caption_text_start(p: &Element) -> Option<usize> {
    let Some(Node::Text(t)) = p.children.first() else {
        return None;
    };
    if t.starts_with("Table:") {
        Some("Table:".len())
    } else {
        None
    }
}

fn is_table_caption(p: &Element) -> bool {
    caption_text_start(p).is_some()
}

/// At a chapter's end: `Table:` captions join the table beside them, and `@fig:…` references
/// become links for [`number_book`] to fill in. Problems name the chapter's line.
pub fn chapter_pass(body: &mut Vec<Node>, file: &str, source: &str, diags: &mut Vec<Diagnostic>) {
    attach_captions(body, file, source, diags);
    link_references(body);
}

fn line_of(source: &str, needle: &str) -> usize {
    source
        .find(needle)
        .map(|at| source[..at].matches('\n').count() + 1)
        .unwrap_or(0)
}

fn attach_captions(nodes: &mut Vec<Node>, file: &str, source: &str, diags: &mut Vec<Diagnostic>) {
    let mut i = 0;
    while i < nodes.len() {
        let is_caption =
            matches!(&nodes[i], Node::Element(p) if p.name == "p" && is_table_caption(p));
        if !is_caption {
            if let Node::Element(e) = &mut nodes[i] {
                attach_captions(&mut e.children, file, source, diags);
            }
            i += 1;
            continue;
        }
        let is_table = |n: Option<&Node>| matches!(n, Some(Node::Element(e)) if e.name == "div" && e.attr("class") == Some("table-wrap"));
        let target = if is_table(nodes.get(i + 1)) {
            Some(i + 1)
        } else if i > 0 && is_table(nodes.get(i - 1)) {
            Some(i - 1)
        } else {
            None
        };
        let Some(target) = target else {
            let Node::Element(p) = &nodes[i] else {
                unreachable!()
            };
            let text = p.text();
            diags.push(Diagnostic::warning(
                file,
                line_of(source, text.trim()),
                "a \"Table:\" caption must stand right before or after its table (with a blank line between); it is shown as a paragraph".to_string(),
            ));
            i += 1;
            continue;
        };
        let Node::Element(mut p) = nodes.remove(i) else {
            unreachable!()
        };
        let target = if target > i { target - 1 } else { target };
        let skip = caption_text_start(&p).unwrap_or(0);
        if let Some(Node::Text(t)) = p.children.first_mut() {
            let rest = t[skip..].trim_start().to_string();
            *t = rest;
        }
        let id = p.remove_attr("id");
        let caption = Element {
            name: "caption",
            attrs: Vec::new(),
            children: p.children,
        };
        if let Node::Element(wrap) = &mut nodes[target] {
            if let Some(id) = id {
                wrap.set_attr("id", id);
                wrap.add_class(Kind::Table.class());
            }
            if let Some(Node::Element(table)) = wrap
                .children
                .iter_mut()
                .find(|n| matches!(n, Node::Element(t) if t.name == "table"))
            {
                table.children.insert(0, caption.into());
            }
        }
        i = target + 1;
    }
}

/// `@fig:name` and `[-@fig:name]` in text (not in code, links or formulas) become links with
/// the class `xref`; their text stays as written until [`number_book`] replaces it.
fn link_references(nodes: &mut Vec<Node>) {
    let mut out = Vec::with_capacity(nodes.len());
    for n in std::mem::take(nodes) {
        match n {
            Node::Text(t) if t.contains('@') => split_references(&t, &mut out),
            Node::Element(mut e) => {
                if !matches!(e.name, "code" | "pre" | "a" | "kbd" | "samp") {
                    link_references(&mut e.children);
                }
                out.push(Node::Element(e));
            }
            other => out.push(other),
        }
    }
    // Text split across nodes ("[" "-@fig:x" "]") is joined first by the parser in most cases;
    // a bracket left on each side of a number-only reference is taken in here.
    *nodes = out;
}

fn split_references(t: &str, out: &mut Vec<Node>) {
    let mut rest = t;
    let mut text = String::new();
    while let Some(at) = rest.find('@') {
        let before = &rest[..at];
        let prev = before.chars().last();
        let after = &rest[at + 1..];
        let len = after
            .find(|c: char| !(c.is_alphanumeric() || c == ':' || c == '-' || c == '_'))
            .unwrap_or(after.len());
        // A label does not end with a hyphen: `@fig:pie-да` is the label `fig:pie`… unless the
        // whole thing is a label; the longest label that parses wins, trailing `-` trimmed.
        let mut candidate = after[..len].trim_end_matches('-');
        // Kyrgyz endings after a hyphen belong to the text, not the label: `@fig:pie-тө`.
        if let Some((head, tail)) = candidate.rsplit_once('-')
            && !tail.is_empty()
            && !tail.is_ascii()
        {
            candidate = head;
        }
        let number_only = before.ends_with("[-") && after[candidate.len()..].starts_with(']');
        let ok = parse_label(candidate).is_some()
            && (number_only || !prev.is_some_and(|c| c.is_alphanumeric()));
        if !ok {
            text.push_str(&rest[..at + 1]);
            rest = after;
            continue;
        }
        let (before, written) = if number_only {
            (&before[..before.len() - 2], format!("[-@{candidate}]"))
        } else {
            (before, format!("@{candidate}"))
        };
        text.push_str(before);
        if !text.is_empty() {
            out.push(Node::Text(std::mem::take(&mut text)));
        }
        out.push(
            Element::new("a")
                .with_attr("class", "xref")
                .with_attr("href", format!("#{}", id_of(candidate)))
                .with_text(written)
                .into(),
        );
        rest = &after[candidate.len() + usize::from(number_only)..];
    }
    text.push_str(rest);
    if !text.is_empty() {
        out.push(Node::Text(text));
    }
}

struct Target {
    chapter: usize,
    kind: Kind,
    number: String,
}

/// A numbered figure or table as a list of them shows it.
struct Listed {
    chapter: usize,
    id: String,
    kind: Kind,
    /// `2.3-сүрөт. Caption`
    text: String,
}

/// Numbers every labelled item per chapter, writes the numbers into the captions, and fills in
/// every reference; a reference to an unknown label, or a label used twice, is an error.
pub fn number_book(
    chapters: &mut [CompiledChapter],
    sources: &[&str],
    lang: &str,
    diags: &mut Vec<Diagnostic>,
) {
    let mut targets: HashMap<String, Target> = HashMap::new();
    let mut listed: Vec<Listed> = Vec::new();
    let any_numbered = chapters.iter().any(|c| c.number.is_some());
    for (ci, ch) in chapters.iter_mut().enumerate() {
        let chapter_number = match &ch.number {
            Some(n) => n.trim_end_matches('.').to_string(),
            None if any_numbered => String::new(),
            None => (ci + 1).to_string(),
        };
        let mut counts = [0usize; 3];
        let file = ch.file.clone();
        let source = sources.get(ci).copied().unwrap_or("");
        let mut numbering = Numbering {
            chapter: ci,
            chapter_number: &chapter_number,
            counts: &mut counts,
            lang,
            targets: &mut targets,
            file: &file,
            source,
            diags,
            ids: Vec::new(),
            listed: &mut listed,
        };
        number_nodes(&mut ch.body, &mut numbering);
        let ids = numbering.ids;
        ch.ids.extend(ids);
    }
    let paths: Vec<String> = chapters.iter().map(|c| c.path.clone()).collect();
    for (ci, ch) in chapters.iter_mut().enumerate() {
        fill_lists(&mut ch.body, ci, &paths, &listed, lang);
        let source = sources.get(ci).copied().unwrap_or("");
        let file = ch.file.clone();
        let mut fill = |nodes: &mut [Node]| {
            fill_references(nodes, ci, &paths, &targets, lang, &file, source, diags)
        };
        fill(&mut ch.body);
        for a in &mut ch.answers {
            fill(&mut a.body);
        }
    }
}

struct Numbering<'a> {
    chapter: usize,
    chapter_number: &'a str,
    counts: &'a mut [usize; 3],
    lang: &'a str,
    targets: &'a mut HashMap<String, Target>,
    file: &'a str,
    source: &'a str,
    diags: &'a mut Vec<Diagnostic>,
    /// Ids of the numbered items, for the chapter's set of link targets.
    ids: Vec<String>,
    listed: &'a mut Vec<Listed>,
}

fn number_nodes(nodes: &mut [Node], n: &mut Numbering<'_>) {
    for node in nodes {
        let Node::Element(e) = node else { continue };
        let kind = [Kind::Figure, Kind::Table, Kind::Equation]
            .into_iter()
            .find(|k| {
                e.attr("class")
                    .is_some_and(|c| c.split(' ').any(|x| x == k.class()))
            });
        if let (Some(kind), Some(id)) = (kind, e.attr("id").map(str::to_string)) {
            let slot = kind as usize;
            n.counts[slot] += 1;
            let number = if n.chapter_number.is_empty() {
                n.counts[slot].to_string()
            } else {
                format!("{}.{}", n.chapter_number, n.counts[slot])
            };
            n.ids.push(id.clone());
            if n.targets.contains_key(&id) {
                let label = id.replacen('-', ":", 1);
                n.diags.push(Diagnostic::error(
                    n.file,
                    line_of(n.source, &format!("{{#{label}}}")),
                    format!("the label {label} is used twice in the book; give each item its own"),
                ));
            } else {
                n.targets.insert(
                    id.clone(),
                    Target {
                        chapter: n.chapter,
                        kind,
                        number: number.clone(),
                    },
                );
            }
            let words = label(n.lang, kind.word()).replace("{n}", &number);
            // A figure's caption, or a table's (the first child of its table).
            let caption = match kind {
                Kind::Figure => e.children.iter_mut().find_map(|c| match c {
                    Node::Element(x) if x.name == "figcaption" => Some(x),
                    _ => None,
                }),
                Kind::Table => e
                    .children
                    .iter_mut()
                    .find_map(|c| match c {
                        Node::Element(x) if x.name == "table" => Some(x),
                        _ => None,
                    })
                    .and_then(|t| match t.children.first_mut() {
                        Some(Node::Element(cap)) if cap.name == "caption" => Some(cap),
                        _ => None,
                    }),
                Kind::Equation => None,
            };
            if let Some(cap) = caption {
                n.listed.push(Listed {
                    chapter: n.chapter,
                    id: id.clone(),
                    kind,
                    text: format!("{words}. {}", cap.text().trim()),
                });
                prepend_caption_label(cap, &words);
            }
            if kind == Kind::Equation {
                e.children.push(
                    Element::new("span")
                        .with_attr("class", "eq-number")
                        .with_text(format!("({number})"))
                        .into(),
                );
            }
        }
        number_nodes(&mut e.children, n);
    }
}

/// `::: list-of-figures` and `::: list-of-tables` blocks: a linked list of every numbered figure
/// or table of the book, under a title in the book's language (or the block's own title).
fn fill_lists(nodes: &mut [Node], chapter: usize, paths: &[String], listed: &[Listed], lang: &str) {
    for node in nodes.iter_mut() {
        let Node::Element(e) = node else { continue };
        let kind = match e.attr("class") {
            Some("list-of-figures") => Some((Kind::Figure, Label::ListOfFigures)),
            Some("list-of-tables") => Some((Kind::Table, Label::ListOfTables)),
            _ => None,
        };
        let Some((kind, title)) = kind else {
            fill_lists(&mut e.children, chapter, paths, listed, lang);
            continue;
        };
        let has_title = e
            .children
            .iter()
            .any(|c| matches!(c, Node::Element(p) if p.attr("class") == Some("block-title")));
        if !has_title {
            e.children.insert(
                0,
                Element::new("p")
                    .with_attr("class", "block-title")
                    .with_text(label(lang, title))
                    .into(),
            );
        }
        let mut list = Element::new("ul").with_attr("class", "list-of");
        for item in listed.iter().filter(|l| l.kind == kind) {
            let href = format!(
                "pending:0:0:{}#{}",
                relative_to(&paths[chapter], &paths[item.chapter]),
                item.id
            );
            list.children.push(
                Element::new("li")
                    .with_child(
                        Element::new("a")
                            .with_attr("href", href)
                            .with_text(item.text.clone())
                            .into(),
                    )
                    .into(),
            );
        }
        e.children.push(list.into());
    }
}

fn prepend_caption_label(cap: &mut Element, words: &str) {
    cap.children.insert(0, Node::Text(" ".into()));
    cap.children.insert(
        0,
        Element::new("span")
            .with_attr("class", "caption-label")
            .with_text(format!("{words}."))
            .into(),
    );
}

#[allow(clippy::too_many_arguments)]
fn fill_references(
    nodes: &mut [Node],
    chapter: usize,
    paths: &[String],
    targets: &HashMap<String, Target>,
    lang: &str,
    file: &str,
    source: &str,
    diags: &mut Vec<Diagnostic>,
) {
    for node in nodes.iter_mut() {
        let Node::Element(e) = node else { continue };
        if e.name == "a" && e.attr("class") == Some("xref") {
            let written = e.text();
            let id = e
                .attr("href")
                .unwrap_or("")
                .trim_start_matches('#')
                .to_string();
            match targets.get(&id) {
                Some(t) => {
                    // Resolved with the book's other links (to the output file names, and
                    // wherever answers end up).
                    let href = format!(
                        "pending:{}:0:{}#{id}",
                        line_of(source, &written),
                        relative_to(&paths[chapter], &paths[t.chapter])
                    );
                    let text = if written.starts_with("[-@") {
                        t.number.clone()
                    } else {
                        match t.kind {
                            Kind::Equation => {
                                label(lang, Label::EquationRef).replace("{n}", &t.number)
                            }
                            k => label(lang, k.word()).replace("{n}", &t.number),
                        }
                    };
                    e.set_attr("href", href);
                    e.children = vec![Node::Text(text)];
                }
                None => {
                    diags.push(Diagnostic::error(
                        file,
                        line_of(source, &written),
                        format!(
                            "{written}: no figure, table or equation in the book has this label; label one with {{#{}}}",
                            written.trim_start_matches("[-@").trim_start_matches('@').trim_end_matches(']')
                        ),
                    ));
                    // Shown as written, not as a link.
                    *node = Node::Text(written);
                }
            }
            continue;
        }
        fill_references(
            &mut e.children,
            chapter,
            paths,
            targets,
            lang,
            file,
            source,
            diags,
        );
    }
}

/// `to` as a link from the chapter `from` (both relative to the source folder).
fn relative_to(from: &str, to: &str) -> String {
    let depth = from.matches('/').count();
    format!("{}{to}", "../".repeat(depth))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(text: &str) -> Vec<Node> {
        let mut out = Vec::new();
        split_references(text, &mut out);
        out
    }

    fn hrefs(nodes: &[Node]) -> Vec<(String, String)> {
        nodes
            .iter()
            .filter_map(|n| match n {
                Node::Element(e) => Some((e.attr("href").unwrap().to_string(), e.text())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn references_are_found_in_text_with_endings_and_brackets() {
        assert_eq!(
            hrefs(&links(
                "see @fig:pie, and @tbl:prices-та; [-@eq:area]-формула."
            )),
            [
                ("#fig-pie".to_string(), "@fig:pie".to_string()),
                ("#tbl-prices".to_string(), "@tbl:prices".to_string()),
                ("#eq-area".to_string(), "[-@eq:area]".to_string()),
            ]
        );
        // An address or an unknown prefix is left alone.
        assert!(hrefs(&links("mail me at a@fig:pie or @foo:bar")).is_empty());
    }

    #[test]
    fn a_trailing_label_is_taken_out_of_the_paragraph() {
        let mut p = Element::new("p").with_text("caption text {#fig:pie}");
        assert_eq!(
            take_label(&mut p),
            Some((Kind::Figure, "fig:pie".to_string()))
        );
        assert_eq!(p.text(), "caption text");
        let mut p = Element::new("p").with_text("no label {#x:y}");
        assert_eq!(take_label(&mut p), None);
    }
}
