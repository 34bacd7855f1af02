//! The compiled book as one Typst document: page setup, title pages, contents, then every
//! chapter's body written from the same document model the EPUB and the reader use.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use formats::CompiledBook;
use formats::assets::AssetSet;
use formats::doc::{Element, Node};

use crate::PrintOptions;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Paper {
    #[default]
    A4,
    A5,
}

impl Paper {
    pub fn parse(s: &str) -> Option<Paper> {
        match s.to_ascii_lowercase().as_str() {
            "a4" => Some(Paper::A4),
            "a5" => Some(Paper::A5),
            _ => None,
        }
    }
}

pub struct Typeset {
    pub source: String,
    pub files: HashMap<String, Vec<u8>>,
    pub warnings: Vec<String>,
}

/// Typst's hyphenation patterns exist for these; other languages are set without hyphens (and
/// ragged right, so no line is stretched to fill it).
const HYPHENATED: &[&str] = &[
    "en", "ru", "uk", "be", "bg", "tr", "tk", "mn", "de", "fr", "es", "it", "pl", "cs",
];

pub fn typeset(book: &CompiledBook, assets: &AssetSet, opts: &PrintOptions) -> Typeset {
    let mut w = Writer {
        out: String::with_capacity(64 * 1024),
        files: HashMap::new(),
        warnings: Vec::new(),
        assets,
        notes: HashMap::new(),
        labels: HashSet::new(),
        names: book
            .names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect(),
        chapter: 0,
    };
    for (i, ch) in book.chapters.iter().enumerate() {
        w.labels.insert(format!("c{i}"));
        collect_ids(&ch.body, i, &mut w.labels);
        collect_notes(&ch.body, i, &mut w.notes);
    }
    let lang = primary(&book.lang);
    let hyphenate = HYPHENATED.contains(&lang.as_str());
    let cfg = &book.config;
    let paper = match opts.paper {
        Paper::A4 => "a4",
        Paper::A5 => "a5",
    };
    let (size, margin) = match opts.paper {
        Paper::A4 => ("11pt", "(inside: 2.2cm, outside: 2cm, y: 2.2cm)"),
        Paper::A5 => ("10pt", "(inside: 1.6cm, outside: 1.4cm, y: 1.6cm)"),
    };
    let authors: Vec<String> = cfg.authors.iter().map(|a| string(a)).collect();
    let _ = writeln!(
        w.out,
        "#set document(title: {}, author: ({}))",
        string(&book.title),
        authors.iter().map(|a| format!("{a},")).collect::<String>()
    );
    let _ = writeln!(
        w.out,
        "#set text(lang: {}, font: (\"Libertinus Serif\", \"DejaVu Sans Mono\"), size: {size}, hyphenate: {hyphenate})",
        string(&lang)
    );
    let _ = writeln!(
        w.out,
        "#set par(justify: {hyphenate}, leading: 0.65em)\n#show raw: set text(font: \"DejaVu Sans Mono\", size: 0.9em)\n#show math.equation: set text(font: \"New Computer Modern Math\")\n#set heading(numbering: none)\n#show heading.where(level: 1): it => {{ pagebreak(weak: true); v(1.5em); it; v(0.8em) }}\n#show link: set text(fill: rgb(\"#0b4f8a\"))\n#set table(stroke: 0.5pt + gray, inset: 5pt)\n#show table: set text(hyphenate: false)\n#show table: set par(justify: false)\n#set figure(gap: 0.6em)"
    );
    // Running heads: the book's title on left pages, the chapter's on right pages; page numbers
    // at the foot. The cover and title pages have neither.
    let _ = writeln!(
        w.out,
        "#set page(paper: \"{paper}\", margin: {margin}, header: context {{\n  let n = here().page()\n  let before = query(heading.where(level: 1).before(here()))\n  let opens = query(heading.where(level: 1)).any(h => h.location().page() == n)\n  if n > 2 and before.len() > 0 and not opens {{\n    let title = before.last().body\n    set text(size: 0.8em, fill: luma(90))\n    if calc.even(n) {{ [{} #h(1fr)] }} else {{ [#h(1fr) #title] }}\n    v(-0.4em); line(length: 100%, stroke: 0.3pt + luma(150))\n  }}\n}}, footer: context {{\n  let n = here().page()\n  if n > 2 {{ align(center, text(size: 0.85em)[#counter(page).display()]) }}\n}})",
        markup_text(&book.title)
    );
    // The cover, full page.
    let cover = assets.cover();
    let cover_path = w.file(&cover.path, &cover.bytes);
    let _ = writeln!(
        w.out,
        "#page(margin: 0pt, header: none, footer: none)[#image({}, width: 100%, height: 100%, fit: \"contain\", alt: {})]",
        string(&cover_path),
        string(&book.title)
    );
    // The title page.
    let _ = writeln!(
        w.out,
        "#page(header: none, footer: none)[#v(25%)\n#align(center)["
    );
    if !cfg.authors.is_empty() {
        let _ = writeln!(
            w.out,
            "#text(size: 1.2em)[{}]\n#v(2em)",
            markup_text(&cfg.authors.join(", "))
        );
    }
    let _ = writeln!(
        w.out,
        "#text(size: 2.2em, weight: \"bold\")[{}]",
        markup_text(&book.title)
    );
    if let Some(s) = &cfg.subtitle {
        let _ = writeln!(w.out, "#v(1em)\n#text(size: 1.2em)[{}]", markup_text(s));
    }
    let mut imprint = Vec::new();
    if let Some(p) = &cfg.publisher {
        imprint.push(p.clone());
    }
    if let Some(y) = cfg.year {
        imprint.push(y.to_string());
    }
    if let Some(l) = &cfg.license {
        imprint.push(l.clone());
    }
    if let Some(i) = &cfg.isbn {
        imprint.push(format!("ISBN {i}"));
    }
    if !imprint.is_empty() {
        let _ = writeln!(
            w.out,
            "#v(1fr)\n#text(size: 0.9em)[{}]",
            markup_text(&imprint.join(" · "))
        );
    }
    let _ = writeln!(w.out, "]]");
    // Contents with page numbers.
    let contents = formats::labels::label(&book.lang, formats::labels::Label::Contents);
    let _ = writeln!(
        w.out,
        "#outline(title: [{}], depth: 2)\n#pagebreak(weak: true)",
        markup_text(contents)
    );
    for (i, ch) in book.chapters.iter().enumerate() {
        w.chapter = i;
        let _ = writeln!(w.out, "\n// {}", ch.file.replace('\n', " "));
        w.out.push_str(&format!("#metadata(none) <c{i}>\n"));
        if ch.lang != book.lang {
            let _ = writeln!(w.out, "#[#set text(lang: {})", string(&primary(&ch.lang)));
            w.blocks(&ch.body);
            w.out.push_str("]\n");
        } else {
            w.blocks(&ch.body);
        }
    }
    Typeset {
        source: w.out,
        files: w.files,
        warnings: w.warnings,
    }
}

fn primary(tag: &str) -> String {
    tag.split('-').next().unwrap_or("en").to_ascii_lowercase()
}

/// Ids of the elements the writer puts a label on (headings, paragraphs, figures, tables,
/// blocks, glossary terms); links to anything else keep their text and lose the link.
fn collect_ids(nodes: &[Node], chapter: usize, out: &mut HashSet<String>) {
    for n in nodes {
        if let Node::Element(e) = n {
            if e.name == "section" && e.attr("class") == Some("footnotes") {
                continue;
            }
            let labelled = matches!(
                e.name,
                "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "p" | "figure" | "div" | "section" | "dt"
            ) || (e.name == "aside" && e.attr("class") != Some("footnote"));
            if labelled && let Some(id) = e.attr("id") {
                out.insert(label_name(chapter, id));
            }
            collect_ids(&e.children, chapter, out);
        }
    }
}

/// Footnotes by the id their references point to (`fn-…`), without their number and back link.
fn collect_notes(nodes: &[Node], chapter: usize, out: &mut HashMap<(usize, String), Vec<Node>>) {
    for n in nodes {
        let Node::Element(e) = n else { continue };
        if e.name == "aside" && e.attr("class") == Some("footnote") {
            if let Some(id) = e.attr("id") {
                let mut body = e.children.clone();
                strip_note_chrome(&mut body);
                out.insert((chapter, id.to_string()), body);
            }
            continue;
        }
        collect_notes(&e.children, chapter, out);
    }
}

fn strip_note_chrome(nodes: &mut Vec<Node>) {
    nodes.retain(|n| {
        !matches!(n, Node::Element(e) if e.attr("class") == Some("note-number")
            || e.attr("role") == Some("doc-backlink"))
    });
    for n in nodes.iter_mut() {
        if let Node::Element(e) = n {
            strip_note_chrome(&mut e.children);
        }
    }
}

/// A Typst label for an id of a chapter (ids repeat across chapters: "exercises").
fn label_name(chapter: usize, id: &str) -> String {
    // ASCII only, so the label is valid whatever the language of the heading it came from.
    let mut clean = String::with_capacity(id.len());
    for c in id.chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            clean.push(c);
        } else {
            let _ = write!(clean, "u{:x}", c as u32);
        }
    }
    format!("c{chapter}-{clean}")
}

/// A Typst string literal.
fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text as Typst markup: every character with a meaning escaped, line breaks as spaces.
fn markup_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut prev = ' ';
    for c in s.chars() {
        match c {
            '\\' | '/' | '[' | ']' | '#' | '*' | '_' | '`' | '$' | '<' | '>' | '@' | '=' | '-'
            | '+' | '~' | '\'' | '"' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '.' if prev.is_ascii_digit() => out.push_str("\\."),
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
        prev = c;
    }
    out
}

struct Writer<'a> {
    out: String,
    files: HashMap<String, Vec<u8>>,
    warnings: Vec<String>,
    assets: &'a AssetSet,
    notes: HashMap<(usize, String), Vec<Node>>,
    labels: HashSet<String>,
    names: HashMap<String, usize>,
    chapter: usize,
}

impl Writer<'_> {
    fn file(&mut self, path: &str, bytes: &[u8]) -> String {
        let path = path.trim_start_matches('/').to_string();
        self.files
            .entry(path.clone())
            .or_insert_with(|| bytes.to_vec());
        format!("/{path}")
    }

    fn blocks(&mut self, nodes: &[Node]) {
        for n in nodes {
            match n {
                Node::Element(e) => self.block(e),
                Node::Text(t) if t.trim().is_empty() => {}
                other => {
                    self.inline(other);
                    self.out.push_str("\n\n");
                }
            }
        }
    }

    fn children_markup(&mut self, e: &Element) -> String {
        let saved = std::mem::take(&mut self.out);
        let has_blocks = e
            .children
            .iter()
            .any(|c| matches!(c, Node::Element(x) if is_block(x.name)));
        if has_blocks {
            self.blocks(&e.children);
        } else {
            for c in &e.children {
                self.inline(c);
            }
        }
        std::mem::replace(&mut self.out, saved)
    }

    fn label_after(&mut self, e: &Element) {
        if let Some(id) = e.attr("id") {
            let l = label_name(self.chapter, id);
            let _ = write!(self.out, " <{l}>");
        }
    }

    fn block(&mut self, e: &Element) {
        match e.name {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                let level = e.name[1..].parse::<usize>().unwrap_or(1);
                let inner = self.children_markup(e);
                let _ = write!(self.out, "#heading(level: {level})[{}]", inner.trim());
                self.label_after(e);
                self.out.push_str("\n\n");
            }
            "p" => {
                let inner = self.children_markup(e);
                if !inner.trim().is_empty() {
                    if e.attr("id").is_some() {
                        let _ = write!(self.out, "#par[{}]", inner.trim());
                        self.label_after(e);
                    } else {
                        self.out.push_str(inner.trim());
                    }
                    self.out.push_str("\n\n");
                }
            }
            "ul" | "ol" => {
                let func = if e.name == "ol" { "enum" } else { "list" };
                let start = e
                    .attr("start")
                    .and_then(|s| s.parse::<u64>().ok())
                    .map(|s| format!("start: {s}, "))
                    .unwrap_or_default();
                let _ = write!(self.out, "#{func}({start}");
                for item in e.children.iter() {
                    if let Node::Element(li) = item
                        && li.name == "li"
                    {
                        let inner = self.children_markup(li);
                        let _ = write!(self.out, "[{}], ", inner.trim());
                    }
                }
                self.out.push_str(")\n\n");
            }
            "blockquote" => {
                let inner = self.children_markup(e);
                let _ = write!(
                    self.out,
                    "#block(inset: (left: 1em), stroke: (left: 1.5pt + luma(160)))[{}]\n\n",
                    inner.trim()
                );
            }
            "pre" => {
                let code = e.text();
                let lang = e
                    .children
                    .iter()
                    .find_map(|c| match c {
                        Node::Element(x) if x.name == "code" => x.attr("class"),
                        _ => None,
                    })
                    .and_then(|c| c.strip_prefix("language-"))
                    .map(|l| format!("lang: {}, ", string(l)))
                    .unwrap_or_default();
                let _ = write!(
                    self.out,
                    "#block(fill: luma(245), inset: 6pt, radius: 2pt, width: 100%)[#raw(block: true, {lang}{})]\n\n",
                    string(code.trim_end_matches('\n'))
                );
            }
            "figure" => {
                let mut image = String::new();
                let mut caption = String::new();
                for c in &e.children {
                    match c {
                        Node::Element(x) if x.name == "figcaption" => {
                            caption = self.children_markup(x);
                        }
                        Node::Element(x) if x.name == "img" => image = self.image(x, true),
                        Node::Element(x) => {
                            let saved = std::mem::take(&mut self.out);
                            self.block(x);
                            image.push_str(&std::mem::replace(&mut self.out, saved));
                        }
                        _ => {}
                    }
                }
                let _ = write!(
                    self.out,
                    "#figure({}, numbering: none, caption: [{}])",
                    match image.strip_prefix('#') {
                        Some(call) => call.to_string(),
                        None => format!("[{image}]"),
                    },
                    caption.trim()
                );
                self.label_after(e);
                self.out.push_str("\n\n");
            }
            "table" => self.table(e, None),
            "div" if e.attr("class").is_some_and(|c| c.contains("table-wrap")) => {
                let id = e.attr("id");
                for c in &e.children {
                    if let Node::Element(t) = c
                        && t.name == "table"
                    {
                        self.table(t, id);
                    }
                }
            }
            "div" if e.attr("class").is_some_and(|c| c.contains("equation")) => {
                let mut number = String::new();
                let saved = std::mem::take(&mut self.out);
                for c in &e.children {
                    match c {
                        Node::Math(m) => self.math(m.latex(), true),
                        Node::Element(x) if x.attr("class") == Some("eq-number") => {
                            number = x.text()
                        }
                        _ => {}
                    }
                }
                let formula = std::mem::replace(&mut self.out, saved);
                // The number at the right of the formula's line, as printed books have it.
                let _ = write!(
                    self.out,
                    "#grid(columns: (1fr, auto), align: horizon, [{formula}], [{}])",
                    markup_text(&number)
                );
                self.label_after(e);
                self.out.push_str("\n\n");
            }
            "section" if e.attr("class") == Some("footnotes") => {
                // Footnotes are at the foot of their pages.
            }
            "div" | "section" | "aside" | "nav" | "header" | "footer" | "details" => {
                let class = e.attr("class").unwrap_or("");
                let boxed = ["exercise", "admonition", "objectives", "glossary", "answer"]
                    .iter()
                    .any(|k| class.split(' ').any(|c| c == *k || c.starts_with(k)));
                let inner = self.children_markup(e);
                if boxed {
                    let _ = write!(
                        self.out,
                        "#block(width: 100%, inset: (left: 0.8em, y: 0.4em), stroke: (left: 2pt + luma(120)), breakable: true)[{}]",
                        inner.trim()
                    );
                    self.label_after(e);
                    self.out.push_str("\n\n");
                } else {
                    if e.attr("id").is_some() {
                        self.out.push_str("#metadata(none)");
                        self.label_after(e);
                        self.out.push('\n');
                    }
                    self.out.push_str(&inner);
                    self.out.push_str("\n\n");
                }
            }
            "dl" => {
                for c in &e.children {
                    let Node::Element(x) = c else { continue };
                    let inner = self.children_markup(x);
                    match x.name {
                        "dt" => {
                            let _ = write!(self.out, "#strong[{}]", inner.trim());
                            self.label_after(x);
                            self.out.push_str("\n\n");
                        }
                        _ => {
                            let _ = write!(self.out, "#pad(left: 1.2em)[{}]\n\n", inner.trim());
                        }
                    }
                }
            }
            "hr" => self
                .out
                .push_str("#line(length: 100%, stroke: 0.4pt + luma(150))\n\n"),
            _ => {
                self.inline(&Node::Element(e.clone()));
                self.out.push_str("\n\n");
            }
        }
    }

    fn table(&mut self, t: &Element, id: Option<&str>) {
        let mut caption = None;
        let mut rows: Vec<(bool, &Element)> = Vec::new();
        for c in &t.children {
            let Node::Element(x) = c else { continue };
            match x.name {
                "caption" => caption = Some(self.children_markup(x)),
                "thead" | "tbody" | "tfoot" => {
                    for r in &x.children {
                        if let Node::Element(tr) = r
                            && tr.name == "tr"
                        {
                            rows.push((x.name == "thead", tr));
                        }
                    }
                }
                "tr" => rows.push((false, x)),
                _ => {}
            }
        }
        let columns = rows
            .first()
            .map(|(_, tr)| {
                tr.children
                    .iter()
                    .filter_map(|c| match c {
                        Node::Element(td) if td.name == "td" || td.name == "th" => Some(
                            td.attr("colspan")
                                .and_then(|s| s.parse::<usize>().ok())
                                .unwrap_or(1),
                        ),
                        _ => None,
                    })
                    .sum::<usize>()
            })
            .unwrap_or(1)
            .max(1);
        let mut body = String::new();
        let mut header = String::new();
        for (head, tr) in &rows {
            for c in &tr.children {
                let Node::Element(td) = c else { continue };
                if td.name != "td" && td.name != "th" {
                    continue;
                }
                let inner = self.children_markup(td);
                let colspan = td.attr("colspan").and_then(|s| s.parse::<usize>().ok());
                let rowspan = td.attr("rowspan").and_then(|s| s.parse::<usize>().ok());
                let content = if td.name == "th" {
                    format!("[#strong[{}]]", inner.trim())
                } else {
                    format!("[{}]", inner.trim())
                };
                let cell = if colspan.is_some() || rowspan.is_some() {
                    format!(
                        "table.cell(colspan: {}, rowspan: {}){content}, ",
                        colspan.unwrap_or(1).min(columns),
                        rowspan.unwrap_or(1).max(1)
                    )
                } else {
                    format!("{content}, ")
                };
                if *head {
                    header.push_str(&cell);
                } else {
                    body.push_str(&cell);
                }
            }
        }
        let header = if header.is_empty() {
            String::new()
        } else {
            format!("table.header({header}), ")
        };
        let table = format!("table(columns: {columns}, {header}{body})");
        match caption {
            Some(c) => {
                let _ = write!(
                    self.out,
                    "#figure(kind: table, numbering: none, caption: figure.caption(position: top)[{}], {table})",
                    c.trim()
                );
            }
            None => {
                let _ = write!(self.out, "#{table}");
            }
        }
        if let Some(id) = id {
            let l = label_name(self.chapter, id);
            let _ = write!(self.out, " <{l}>");
        }
        self.out.push_str("\n\n");
    }

    fn image(&mut self, img: &Element, in_figure: bool) -> String {
        let src = img.attr("src").unwrap_or("");
        let source = src.strip_prefix("asset:").unwrap_or(src);
        // The asset set outlives the writer: its bytes are borrowed, copied once into the files.
        let assets = self.assets;
        let path = assets.path_of(source);
        let Some(asset) = assets.items.iter().find(|a| a.path == path) else {
            return String::new();
        };
        let w = asset.width;
        let file = self.file(path, &asset.bytes);
        let alt = img.attr("alt").unwrap_or("");
        // Pictures no wider than they were drawn for a screen of about 800 pixels.
        let width = if w > 0 {
            let share = (w as f64 / 800.0).min(1.0) * 100.0;
            format!("width: {share:.0}%, ")
        } else {
            String::new()
        };
        let call = format!("#image({}, {width}alt: {})", string(&file), string(alt));
        if in_figure {
            call
        } else {
            format!("#box({})", &call[1..])
        }
    }

    fn math(&mut self, latex: &str, display: bool) {
        match crate::texmath::to_typst(latex) {
            Ok(m) if m.is_empty() => {}
            Ok(m) => {
                if display {
                    let _ = write!(self.out, "$ {m} $");
                } else {
                    let _ = write!(self.out, "${m}$");
                }
            }
            Err(why) => {
                self.warnings.push(format!(
                    "the formula «{latex}» is printed as LaTeX: {why} is not supported in print"
                ));
                let _ = write!(self.out, "#raw({})", string(latex));
            }
        }
    }

    fn inline(&mut self, n: &Node) {
        match n {
            Node::Text(t) => {
                let t = markup_text(t);
                self.out.push_str(&t);
            }
            Node::Token { text, .. } => self.out.push_str(&markup_text(text)),
            Node::Math(m) => self.math(m.latex(), m.is_display()),
            Node::Element(e) => self.inline_element(e),
        }
    }

    fn wrap(&mut self, func: &str, e: &Element) {
        let inner = self.children_markup(e);
        let _ = write!(self.out, "#{func}[{inner}]");
    }

    fn inline_element(&mut self, e: &Element) {
        match e.name {
            "strong" | "b" => self.wrap("strong", e),
            "em" | "i" | "dfn" | "cite" => self.wrap("emph", e),
            "del" | "s" => self.wrap("strike", e),
            "u" | "ins" => self.wrap("underline", e),
            "sub" => self.wrap("sub", e),
            "sup" => {
                // A footnote reference: the note itself, at the foot of the page.
                let noteref = e.children.iter().find_map(|c| match c {
                    Node::Element(a) if a.attr("class") == Some("noteref") => a.attr("href"),
                    _ => None,
                });
                match noteref {
                    Some(href) => {
                        let key = (self.chapter, href.trim_start_matches('#').to_string());
                        match self.notes.get(&key).cloned() {
                            Some(body) => {
                                let saved = std::mem::take(&mut self.out);
                                self.blocks(&body);
                                let inner = std::mem::replace(&mut self.out, saved);
                                let _ = write!(self.out, "#footnote[{}]", inner.trim());
                            }
                            None => self.wrap("super", e),
                        }
                    }
                    None => self.wrap("super", e),
                }
            }
            "code" | "kbd" | "samp" => {
                let _ = write!(self.out, "#raw({})", string(&e.text()));
            }
            "br" => self.out.push_str("#linebreak()"),
            "img" => {
                let call = self.image(e, false);
                self.out.push_str(&call);
            }
            "a" => self.link(e),
            "span" => {
                if let Some(lang) = e.attr("lang") {
                    let inner = self.children_markup(e);
                    let _ = write!(self.out, "#text(lang: {})[{inner}]", string(&primary(lang)));
                } else if e.attr("class") == Some("caption-label") {
                    self.wrap("strong", e);
                } else if e.attr("aria-hidden") == Some("true") {
                    // Shown on screen beside something readers of paper have anyway.
                } else {
                    for c in &e.children {
                        self.inline(c);
                    }
                }
            }
            "input" => {
                let checked = e.attr("checked").is_some();
                self.out.push_str(if checked { "☑ " } else { "☐ " });
            }
            "math" => {}
            _ => {
                for c in &e.children {
                    self.inline(c);
                }
            }
        }
    }

    fn link(&mut self, a: &Element) {
        let href = a.attr("href").unwrap_or("");
        let inner = self.children_markup(a);
        if a.attr("role") == Some("doc-backlink") {
            return;
        }
        if href.starts_with("http://")
            || href.starts_with("https://")
            || href.starts_with("mailto:")
        {
            let _ = write!(self.out, "#link({})[{inner}]", string(href));
            return;
        }
        // A place in the book: `02-b.html#id`, `#id`, `02-b.html`.
        let (file, fragment) = href.split_once('#').unwrap_or((href, ""));
        let chapter = if file.is_empty() {
            Some(self.chapter)
        } else {
            let name = file.rsplit('/').next().unwrap_or(file);
            let stem = name
                .strip_suffix(".html")
                .or_else(|| name.strip_suffix(".xhtml"))
                .unwrap_or(name);
            self.names.get(stem).copied()
        };
        let target = chapter.map(|c| {
            if fragment.is_empty() {
                format!("c{c}")
            } else {
                label_name(c, fragment)
            }
        });
        match target {
            Some(t) if self.labels.contains(&t) => {
                let _ = write!(self.out, "#link(label({}))[{inner}]", string(&t));
            }
            _ => self.out.push_str(&inner),
        }
    }
}

fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "ul"
            | "ol"
            | "div"
            | "table"
            | "figure"
            | "pre"
            | "blockquote"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "section"
            | "aside"
            | "dl"
            | "hr"
            | "details"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_so_nothing_in_it_is_read_as_typst() {
        assert_eq!(
            markup_text("= 1. *a* _b_ #x $y$ // c <d> @e [f]"),
            "\\= 1\\. \\*a\\* \\_b\\_ \\#x \\$y\\$ \\/\\/ c \\<d\\> \\@e \\[f\\]"
        );
        assert_eq!(string("a \"q\" \\ b"), "\"a \\\"q\\\" \\\\ b\"");
    }

    #[test]
    fn labels_are_ascii_and_per_chapter() {
        assert_eq!(label_name(2, "fig-pie"), "c2-fig-pie");
        assert_eq!(label_name(0, "бап"), "c0-u431u430u43f");
    }
}
