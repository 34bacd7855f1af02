//! One chapter's Markdown to the document model: parsing, raw-HTML sanitising, math, images,
//! textbook blocks, headings with ids, footnotes; links are left pending for the book to resolve.

use crate::blocks::{self, MAX_NESTING};
use crate::crossref;
use crate::doc::{Element, Node, collect_text, xml_id};
use crate::labels::{Label, label};
use crate::rawhtml::{self, AttrDecision, TagPolicy, Token};
use crate::url::{self, UrlKind};
use crate::{math, slug_id};
use corpus::Diagnostic;
use corpus::include::LineMap;
use pulldown_cmark::{
    Alignment, BlockQuoteKind, CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd,
};
use std::collections::{HashMap, HashSet};

/// The parser options every chapter is read with (one place, as in mdBook).
pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_MATH
        | Options::ENABLE_GFM
        | Options::ENABLE_DEFINITION_LIST
}

/// Rendered text may grow at most this much beyond the source (reference-definition blow-ups).
const OUTPUT_FACTOR: usize = 10;
const OUTPUT_SLACK: usize = 1 << 20;
/// Tables wider than this are refused: no reader can show them.
const MAX_TABLE_COLUMNS: usize = 100;

/// Marks a remote image; renderers substitute a local placeholder that says it is not fetched.
pub const PLACEHOLDER_ASSET: &str = "kitep:placeholder.svg";
/// Marks an image that is missing or cannot be used; its placeholder says the image is missing.
pub const MISSING_ASSET: &str = "kitep:missing.svg";

/// Headings past this many in a chapter stay in its text but get no entry in the contents, in
/// `book.json` or a search passage of their own: each such entry costs output and memory.
pub const MAX_LISTED_HEADINGS: usize = 1000;
/// What a heading costs beyond its text: its tag and id in each page, and for a listed heading
/// its entries in the contents, `book.json` and its passage record.
const HEADING_COST: usize = 16;
const LISTED_HEADING_COST: usize = 256;
/// Past this many problems in one chapter, the rest are counted, not listed.
const MAX_DIAGNOSTICS: usize = 200;

pub struct ChapterInput<'a> {
    pub index: usize,
    /// Relative to the source folder: what other chapters link to.
    pub path: &'a str,
    /// Relative to the book folder, for messages.
    pub file: &'a str,
    pub text: &'a str,
    pub lines: &'a LineMap,
    pub lang: &'a str,
    /// The folder of `path`, relative to the book root (where relative images are looked up).
    pub dir: &'a str,
    /// Whether a book-relative path names an existing file.
    pub exists: &'a (dyn Fn(&str) -> bool + Sync),
    pub title_hint: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HeadingInfo {
    pub level: u8,
    pub id: String,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct Answer {
    pub exercise: usize,
    pub exercise_id: String,
    pub body: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GlossaryEntry {
    pub term: String,
    pub lang: String,
    pub id: String,
    pub definition: String,
    pub equivalents: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct CompiledChapter {
    pub index: usize,
    pub path: String,
    pub file: String,
    pub title: String,
    /// Section number from an mdBook summary (`1.2.`).
    pub number: Option<String>,
    pub lang: String,
    pub body: Vec<Node>,
    pub ids: HashSet<String>,
    pub headings: Vec<HeadingInfo>,
    pub answers: Vec<Answer>,
    pub glossary: Vec<GlossaryEntry>,
    pub has_math: bool,
    pub images: Vec<String>,
    pub uses_placeholder: bool,
    /// Some image is missing (or unusable) and shown as the "missing" placeholder.
    pub uses_missing: bool,
    pub words: usize,
    pub diagnostics: Vec<Diagnostic>,
}

/// A chapter that cannot be compiled at all (refused by a limit).
#[derive(Debug, Clone)]
pub struct Refused(pub Diagnostic);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Origin {
    Root,
    Markdown,
    Raw,
    /// A `:::` block (or its raw `<kitep-block>` marker).
    Block,
    Footnote,
    Answer,
    Image,
    CodeBlock,
}

struct Open {
    el: Element,
    origin: Origin,
    /// Past the depth limit: on close, the children join the parent instead.
    flattened: bool,
    /// For `Origin::Answer`: which exercise; for footnotes: the label.
    tag: String,
}

struct Builder<'a> {
    input: &'a ChapterInput<'a>,
    stack: Vec<Open>,
    /// Elements on the stack that are real (not flattened); kept so that opening is O(1).
    depth: usize,
    diags: Vec<Diagnostic>,
    line_starts: Vec<usize>,
    origin_lines: &'a [usize],
    offset: usize,
    html_block: Option<String>,
    skip_until: Option<String>,
    /// Unknown raw-HTML tag names already reported in this chapter.
    unknown_tags_reported: HashSet<String>,
    footnotes: Vec<(String, Vec<Node>)>,
    footnote_numbers: HashMap<String, usize>,
    /// How many times each note has been referenced so far (each reference needs its own id).
    footnote_refs: HashMap<String, usize>,
    exercises: usize,
    answers: Vec<Answer>,
    glossary: Vec<GlossaryEntry>,
    pending_term: Option<usize>,
    has_math: bool,
    images: Vec<String>,
    uses_placeholder: bool,
    uses_missing: bool,
    budget: usize,
    over_budget: bool,
    code_text: String,
    table_head: bool,
    table_aligns: Vec<Alignment>,
    table_cell: usize,
    ids: HashSet<String>,
    id_counters: HashMap<String, usize>,
    headings: Vec<HeadingInfo>,
    /// All headings, listed or not, and where the first one past the listing limit is.
    heading_count: usize,
    first_unlisted: Option<(String, usize, usize)>,
    last_level: u8,
    /// Where each `{lang=…}` written in the text is, by its text: a span that is not applied is
    /// reported only after the whole chapter is built, when its position is known no longer.
    lang_marks: HashMap<String, std::collections::VecDeque<(String, usize, usize)>>,
    pre_text: &'a str,
}

/// Compiles one chapter. Problems that can be mended become diagnostics; limits refuse the chapter.
pub fn compile_chapter(input: &ChapterInput<'_>) -> Result<CompiledChapter, Refused> {
    let locate = |line: usize| {
        let (f, l) = input.lines.origin(line);
        (
            if f.is_empty() {
                input.file.to_string()
            } else {
                f.to_string()
            },
            l,
        )
    };
    let pre = blocks::preprocess(input.text).map_err(|(line, msg)| {
        let (f, l) = locate(line);
        Refused(Diagnostic::error(f, l, msg))
    })?;
    let mut unclosed = Vec::new();
    for (line, column, kind) in &pre.unclosed {
        let (f, l) = locate(*line);
        unclosed.push(
            Diagnostic::error(
                f,
                l,
                format!("'::: {kind}' block is never closed; add a line with ':::' where it ends"),
            )
            .at_column(*column),
        );
    }
    let mut line_starts = vec![0];
    line_starts.extend(pre.text.match_indices('\n').map(|(i, _)| i + 1));
    let mut b = Builder {
        input,
        stack: vec![Open {
            el: Element::new("body"),
            origin: Origin::Root,
            flattened: false,
            tag: String::new(),
        }],
        depth: 0,
        diags: unclosed,
        line_starts,
        origin_lines: &pre.origin,
        offset: 0,
        html_block: None,
        skip_until: None,
        unknown_tags_reported: HashSet::new(),
        footnotes: Vec::new(),
        footnote_numbers: HashMap::new(),
        footnote_refs: HashMap::new(),
        exercises: 0,
        answers: Vec::new(),
        glossary: Vec::new(),
        pending_term: None,
        has_math: false,
        images: Vec::new(),
        uses_placeholder: false,
        uses_missing: false,
        budget: input.text.len() * OUTPUT_FACTOR + OUTPUT_SLACK,
        over_budget: false,
        code_text: String::new(),
        table_head: false,
        table_aligns: Vec::new(),
        table_cell: 0,
        ids: HashSet::new(),
        id_counters: HashMap::new(),
        headings: Vec::new(),
        heading_count: 0,
        first_unlisted: None,
        last_level: 0,
        lang_marks: HashMap::new(),
        pre_text: &pre.text,
    };
    for (event, range) in Parser::new_ext(&pre.text, options()).into_offset_iter() {
        b.offset = range.start;
        b.event(event);
        if b.over_budget {
            let (f, l, c) = b.here_col();
            let why = if b.heading_count > MAX_LISTED_HEADINGS {
                format!("{}+ headings?", b.heading_count)
            } else {
                "a reference link repeated many times?".to_string()
            };
            return Err(Refused(
                Diagnostic::error(
                    f,
                    l,
                    format!(
                        "the chapter would render to more than {OUTPUT_FACTOR} times its own size ({why}); nothing is written: shorten it or split it into chapters"
                    ),
                )
                .at_column(c),
            ));
        }
    }
    b.finish()
}

impl<'a> Builder<'a> {
    /// File and line of the current event, in the author's files.
    fn here(&self) -> (String, usize) {
        let pre_line = self
            .line_starts
            .partition_point(|s| *s <= self.offset)
            .max(1);
        let line = self
            .origin_lines
            .get(pre_line - 1)
            .copied()
            .unwrap_or(pre_line);
        let (f, l) = self.input.lines.origin(line);
        (
            if f.is_empty() {
                self.input.file.to_string()
            } else {
                f.to_string()
            },
            l,
        )
    }

    /// File, line and column (1-based, in characters) of the current event.
    fn here_col(&self) -> (String, usize, usize) {
        let (f, l) = self.here();
        let pre_line = self
            .line_starts
            .partition_point(|s| *s <= self.offset)
            .max(1);
        let start = self.line_starts[pre_line - 1];
        let column = self
            .pre_text
            .get(start..self.offset)
            .map(|s| s.chars().count() + 1)
            .unwrap_or(0);
        (f, l, column)
    }

    fn warn(&mut self, msg: impl Into<String>) {
        let (f, l, c) = self.here_col();
        self.diags.push(Diagnostic::warning(f, l, msg).at_column(c));
    }

    fn error(&mut self, msg: impl Into<String>) {
        let (f, l, c) = self.here_col();
        self.diags.push(Diagnostic::error(f, l, msg).at_column(c));
    }

    fn spend(&mut self, n: usize) {
        self.budget = self.budget.saturating_sub(n);
        if self.budget == 0 {
            self.over_budget = true;
        }
    }

    fn top(&mut self) -> &mut Element {
        &mut self.stack.last_mut().expect("root is never popped").el
    }

    fn push_node(&mut self, node: Node) {
        if let Node::Text(t) = &node {
            self.spend(t.len());
            if let Some(Node::Text(prev)) = self.top().children.last_mut() {
                prev.push_str(t);
                return;
            }
        }
        self.top().children.push(node);
    }

    fn text(&mut self, t: &str) {
        if !t.is_empty() {
            if t.contains("{lang=") {
                self.mark_language_spans(t);
            }
            self.push_node(Node::Text(t.to_string()));
        }
    }

    /// Remembers where each `{lang=…}` of `t` (text of the current event) was written.
    fn mark_language_spans(&mut self, t: &str) {
        let (f, l, c) = self.here_col();
        for (i, _) in t.match_indices("{lang=") {
            let column = if c > 0 { c + t[..i].chars().count() } else { 0 };
            self.lang_marks
                .entry(lang_fragment(&t[i..]).to_string())
                .or_default()
                .push_back((f.clone(), l, column));
        }
    }

    fn open(&mut self, el: Element, origin: Origin) {
        self.open_tagged(el, origin, String::new());
    }

    fn open_tagged(&mut self, el: Element, origin: Origin, tag: String) {
        if !rawhtml::is_phrasing(el.name) {
            self.close_raw_phrasing();
        }
        let flattened = self.depth >= MAX_NESTING;
        if !flattened {
            self.depth += 1;
        }
        self.stack.push(Open {
            el,
            origin,
            flattened,
            tag,
        });
    }

    /// Closes the innermost element opened from Markdown (closing raw HTML left open inside it).
    fn close_markdown(&mut self) -> Option<Open> {
        while let Some(top) = self.stack.last() {
            match top.origin {
                Origin::Root => return None,
                Origin::Raw => self.close_top(),
                _ => {
                    let open = self.pop()?;
                    self.check_unread_math(&open.el.children);
                    return Some(open);
                }
            }
        }
        None
    }

    /// `$\frac{1}{2$` is not math to the parser (its braces do not pair up) and would be shown
    /// as LaTeX source without a word: find such spans in the block's text and say why.
    fn check_unread_math(&mut self, children: &[Node]) {
        let mut run = String::new();
        let mut search_from = 0;
        for c in children.iter().chain([&Node::Text(String::new())]) {
            if let Node::Text(t) = c
                && !t.is_empty()
            {
                run.push_str(t);
                continue;
            }
            let mut rest = run.as_str();
            while let Some(i) = rest.find('$') {
                let body = rest[i + 1..].trim_start_matches('$');
                let end = body.find('$').unwrap_or(body.len());
                let span = &body[..end];
                let looks_like_latex = span
                    .split('\\')
                    .skip(1)
                    .any(|s| s.starts_with(|c: char| c.is_ascii_alphabetic()));
                if looks_like_latex && let Err(why) = math::check_braces(span) {
                    // Point at the formula itself when it can be found in the block's source.
                    let block = self.offset;
                    let needle = format!("${span}");
                    if let Some(at) = self
                        .pre_text
                        .get(search_from.max(block)..)
                        .and_then(|t| t.find(&needle))
                    {
                        self.offset = search_from.max(block) + at;
                        search_from = self.offset + needle.len();
                    }
                    self.error(format!(
                        "formula '${}$' is not read as math: {why}",
                        math::shorten(span)
                    ));
                    self.offset = block;
                }
                rest = body.get(end + 1..).unwrap_or("");
            }
            run.clear();
        }
    }

    fn pop(&mut self) -> Option<Open> {
        let open = self.stack.pop()?;
        if !open.flattened {
            self.depth -= 1;
        }
        Some(open)
    }

    /// A block opening inside a raw `<p>` (or `<span>` …) ends it first, as browsers do.
    fn close_raw_phrasing(&mut self) {
        while self
            .stack
            .last()
            .is_some_and(|o| o.origin == Origin::Raw && is_phrasing_only(o.el.name))
        {
            self.close_top();
        }
    }

    /// Pops the top element and attaches it to its parent.
    fn close_top(&mut self) {
        if self.stack.len() <= 1 {
            return;
        }
        let open = self.pop().expect("checked length");
        self.attach(open);
    }

    fn attach(&mut self, open: Open) {
        if open.flattened {
            for c in open.el.children {
                self.push_node(c);
            }
        } else {
            self.top().children.push(Node::Element(open.el));
        }
    }

    fn event(&mut self, event: Event<'_>) {
        if let Some(buf) = &mut self.html_block {
            match event {
                Event::Html(h) | Event::Text(h) => {
                    buf.push_str(&h);
                    return;
                }
                Event::End(TagEnd::HtmlBlock) => {
                    let html = self.html_block.take().unwrap_or_default();
                    self.raw_html(&html);
                    return;
                }
                _ => {
                    let html = self.html_block.take().unwrap_or_default();
                    self.raw_html(&html);
                }
            }
        }
        if let Some(top) = self.stack.last()
            && top.origin == Origin::CodeBlock
        {
            match event {
                Event::Text(t) => {
                    self.spend(t.len());
                    self.code_text.push_str(&t);
                    return;
                }
                Event::End(TagEnd::CodeBlock) => {}
                _ => return,
            }
        }
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(end) => self.end(end),
            Event::Text(t) => {
                if self.skip_until.is_none() {
                    self.text(&t)
                }
            }
            Event::Code(c) => {
                let el = Element::new("code").with_text(c.to_string());
                self.spend(c.len());
                self.push_node(el.into());
            }
            Event::InlineMath(m) => self.math(&m, false),
            Event::DisplayMath(m) => self.math(&m, true),
            Event::Html(h) | Event::InlineHtml(h) => self.raw_html(&h),
            Event::FootnoteReference(name) => self.footnote_ref(&name),
            Event::SoftBreak => self.text("\n"),
            Event::HardBreak => self.push_node(Element::new("br").into()),
            Event::Rule => {
                self.close_raw_phrasing();
                self.push_node(Element::new("hr").into())
            }
            Event::TaskListMarker(done) => {
                let lang = self.input.lang;
                let (mark, word) = if done {
                    ("☑", label(lang, Label::Done))
                } else {
                    ("☐", label(lang, Label::NotDone))
                };
                let el = Element::new("span")
                    .with_attr("class", "task")
                    .with_attr("role", "img")
                    .with_attr("aria-label", word)
                    .with_text(mark);
                self.push_node(el.into());
                self.text(" ");
            }
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph => self.open(Element::new("p"), Origin::Markdown),
            Tag::Heading {
                level, id, classes, ..
            } => {
                let mut el = Element::new(heading_name(level));
                if let Some(id) = id {
                    el.set_attr("id", id.to_string());
                }
                if !classes.is_empty() {
                    el.set_attr(
                        "class",
                        classes
                            .iter()
                            .map(|c| c.to_string())
                            .collect::<Vec<_>>()
                            .join(" "),
                    );
                }
                self.open(el, Origin::Markdown);
            }
            Tag::BlockQuote(None) => self.open(Element::new("blockquote"), Origin::Markdown),
            Tag::BlockQuote(Some(kind)) => {
                let (class, l) = match kind {
                    BlockQuoteKind::Note => ("note", Label::Note),
                    BlockQuoteKind::Tip => ("tip", Label::Tip),
                    BlockQuoteKind::Important => ("important", Label::Important),
                    BlockQuoteKind::Warning => ("warning", Label::Warning),
                    BlockQuoteKind::Caution => ("caution", Label::Caution),
                };
                let el = self.admonition(class, label(self.input.lang, l));
                self.open(el, Origin::Markdown);
            }
            Tag::CodeBlock(kind) => {
                let mut code = Element::new("code");
                if let CodeBlockKind::Fenced(info) = &kind {
                    let lang = info.split([',', ' ']).next().unwrap_or("").trim();
                    if !lang.is_empty()
                        && lang
                            .chars()
                            .all(|c| c.is_alphanumeric() || "+-_#.".contains(c))
                    {
                        code.set_attr("class", format!("language-{lang}"));
                    }
                }
                self.code_text.clear();
                self.open(
                    Element::new("pre").with_child(code.into()),
                    Origin::CodeBlock,
                );
            }
            Tag::HtmlBlock => self.html_block = Some(String::new()),
            Tag::List(Some(start)) => {
                let mut el = Element::new("ol");
                if start != 1 {
                    el.set_attr("start", start.to_string());
                }
                self.open(el, Origin::Markdown);
            }
            Tag::List(None) => self.open(Element::new("ul"), Origin::Markdown),
            Tag::Item => self.open(Element::new("li"), Origin::Markdown),
            Tag::FootnoteDefinition(name) => {
                self.open_tagged(Element::new("li"), Origin::Footnote, name.to_string());
            }
            Tag::DefinitionList => self.open(Element::new("dl"), Origin::Markdown),
            Tag::DefinitionListTitle => self.open(Element::new("dt"), Origin::Markdown),
            Tag::DefinitionListDefinition => self.open(Element::new("dd"), Origin::Markdown),
            Tag::Table(aligns) => {
                if aligns.len() > MAX_TABLE_COLUMNS {
                    self.error(format!(
                        "table has {} columns (at most {MAX_TABLE_COLUMNS}); it is shown as text",
                        aligns.len()
                    ));
                }
                self.table_aligns = aligns;
                let wrap = Element::new("div").with_attr("class", "table-wrap");
                self.open(wrap, Origin::Markdown);
                self.open(Element::new("table"), Origin::Markdown);
            }
            Tag::TableHead => {
                self.table_head = true;
                self.table_cell = 0;
                self.open(Element::new("thead"), Origin::Markdown);
                self.open(Element::new("tr"), Origin::Markdown);
            }
            Tag::TableRow => {
                let in_body = self.stack.last().is_some_and(|o| o.el.name == "tbody");
                if !in_body {
                    self.open(Element::new("tbody"), Origin::Markdown);
                }
                self.table_cell = 0;
                self.open(Element::new("tr"), Origin::Markdown);
            }
            Tag::TableCell => {
                let mut el = Element::new(if self.table_head { "th" } else { "td" });
                if self.table_head {
                    el.set_attr("scope", "col");
                }
                match self.table_aligns.get(self.table_cell) {
                    Some(Alignment::Left) => el.set_attr("class", "align-left"),
                    Some(Alignment::Center) => el.set_attr("class", "align-center"),
                    Some(Alignment::Right) => el.set_attr("class", "align-right"),
                    _ => {}
                }
                self.table_cell += 1;
                self.open(el, Origin::Markdown);
            }
            Tag::Emphasis => self.open(Element::new("em"), Origin::Markdown),
            Tag::Strong => self.open(Element::new("strong"), Origin::Markdown),
            Tag::Strikethrough => self.open(Element::new("del"), Origin::Markdown),
            Tag::Superscript => self.open(Element::new("sup"), Origin::Markdown),
            Tag::Subscript => self.open(Element::new("sub"), Origin::Markdown),
            Tag::Link {
                dest_url, title, ..
            } => {
                let mut el = Element::new("a");
                if let Some(href) = self.link_href(&dest_url) {
                    el.set_attr("href", href);
                }
                if !title.is_empty() {
                    el.set_attr("title", title.to_string());
                }
                self.open(el, Origin::Markdown);
            }
            Tag::Image {
                dest_url, title, ..
            } => {
                let mut el = Element::new("img");
                let src = self.image_src(&dest_url);
                el.set_attr("src", src);
                if !title.is_empty() {
                    el.set_attr("title", title.to_string());
                }
                self.open_tagged(el, Origin::Image, dest_url.to_string());
            }
            Tag::MetadataBlock(_) => self.open(Element::new("div"), Origin::Markdown),
        }
    }

    fn end(&mut self, end: TagEnd) {
        match end {
            TagEnd::HtmlBlock => {}
            TagEnd::CodeBlock => {
                let Some(mut open) = self.close_markdown() else {
                    return;
                };
                let text = std::mem::take(&mut self.code_text);
                let is_rust = open
                    .el
                    .children
                    .first()
                    .and_then(|c| {
                        if let Node::Element(e) = c {
                            e.attr("class")
                        } else {
                            None
                        }
                    })
                    .is_some_and(|c| c == "language-rust");
                // rustdoc's hidden lines (`# use …`) are for the compiler, not the reader.
                let text = if is_rust {
                    text.lines()
                        .filter(|l| {
                            let t = l.trim_start();
                            t != "#" && !t.starts_with("# ")
                        })
                        .map(|l| format!("{l}\n"))
                        .collect()
                } else {
                    text
                };
                if let Some(Node::Element(code)) = open.el.children.first_mut() {
                    let lang = code
                        .attr("class")
                        .and_then(|c| c.strip_prefix("language-"))
                        .unwrap_or("");
                    match crate::highlight::highlight(lang, &text) {
                        Some(nodes) => code.children.extend(nodes),
                        None => code.children.push(Node::Text(text)),
                    }
                }
                self.attach(open);
            }
            TagEnd::Image => {
                let Some(mut open) = self.close_markdown() else {
                    return;
                };
                let mut alt = open.el.text();
                open.el.children.clear();
                if alt.trim().is_empty() {
                    self.warn(format!(
                        "image '{}' has no alt text; describe it for readers who cannot see it",
                        shorten(&open.tag)
                    ));
                }
                if alt.contains("{lang=") {
                    alt = self.unapplied_spans(&alt, "in an image's description");
                }
                let alt = alt.trim().to_string();
                let missing = open.el.attr("src") == Some(&format!("asset:{MISSING_ASSET}"));
                open.el.set_attr("alt", alt.clone());
                self.attach(open);
                // The placeholder says the image is missing; what it was meant to show stays
                // visible beside it (screen readers have it from the alt text already).
                if missing && !alt.is_empty() {
                    let shown = Element::new("span")
                        .with_attr("class", "image-missing")
                        .with_attr("aria-hidden", "true")
                        .with_text(alt);
                    self.push_node(shown.into());
                }
            }
            TagEnd::Paragraph => {
                let Some(mut open) = self.close_markdown() else {
                    return;
                };
                let label = crossref::take_label(&mut open.el);
                if let Some(figure) = as_figure(&mut open.el) {
                    open.el = figure;
                }
                if let Some((kind, label)) = label
                    && let Err(msg) = crossref::apply_label(&mut open.el, kind, &label)
                {
                    self.error(msg);
                    open.el.children.push(Node::Text(format!(" {{#{label}}}")));
                }
                self.attach(open);
            }
            TagEnd::Heading(_) => {
                let Some(mut open) = self.close_markdown() else {
                    return;
                };
                self.finish_heading(&mut open.el);
                self.attach(open);
            }
            TagEnd::FootnoteDefinition => {
                let Some(open) = self.close_markdown() else {
                    return;
                };
                if open.origin == Origin::Footnote {
                    self.footnotes.push((open.tag, open.el.children));
                } else {
                    self.attach(open);
                }
            }
            TagEnd::TableHead => {
                self.table_head = false;
                for _ in 0..2 {
                    if let Some(o) = self.close_markdown() {
                        self.attach(o);
                    }
                }
            }
            TagEnd::Table => {
                // Close tbody (if any), table and the wrapper.
                loop {
                    let Some(o) = self.close_markdown() else {
                        return;
                    };
                    let name = o.el.name;
                    let is_wrap = name == "div";
                    self.attach(o);
                    if is_wrap {
                        break;
                    }
                }
            }
            TagEnd::DefinitionListTitle => {
                let Some(mut open) = self.close_markdown() else {
                    return;
                };
                if self.in_block("glossary") {
                    self.glossary_term(&mut open.el);
                }
                self.attach(open);
            }
            TagEnd::DefinitionListDefinition => {
                let Some(open) = self.close_markdown() else {
                    return;
                };
                if let Some(i) = self.pending_term.take()
                    && let Some(entry) = self.glossary.get_mut(i)
                {
                    entry.definition = open.el.text().trim().to_string();
                }
                self.attach(open);
            }
            _ => {
                if let Some(o) = self.close_markdown() {
                    self.attach(o);
                }
            }
        }
    }

    fn in_block(&self, kind: &str) -> bool {
        self.stack
            .iter()
            .any(|o| o.origin == Origin::Block && o.tag == kind)
    }

    fn admonition(&self, class: &str, title: &str) -> Element {
        Element::new("div")
            .with_attr("class", format!("admonition {class}"))
            .with_attr("role", "note")
            .with_child(
                Element::new("p")
                    .with_attr("class", "admonition-title")
                    .with_text(title)
                    .into(),
            )
    }

    fn math(&mut self, latex: &str, display: bool) {
        self.spend(latex.len() * 4);
        match math::to_mathml(latex, display) {
            Ok(m) => {
                self.has_math = true;
                self.spend(m.markup().len());
                self.push_node(Node::Math(m));
            }
            Err(msg) => {
                self.error(msg);
                let el = Element::new("code")
                    .with_attr("class", "math-error")
                    .with_text(latex.to_string());
                self.push_node(el.into());
            }
        }
    }

    fn footnote_ref(&mut self, name: &str) {
        let next = self.footnote_numbers.len() + 1;
        let n = *self
            .footnote_numbers
            .entry(name.to_string())
            .or_insert(next);
        let id = xml_id(&format!("fn-{name}"));
        let seen = self.footnote_refs.entry(name.to_string()).or_insert(0);
        *seen += 1;
        // The first reference is the one the note links back to; later ones get ids of their own.
        let ref_id = if *seen == 1 {
            format!("fnref-{name}-{n}")
        } else {
            format!("fnref-{name}-{n}-{seen}")
        };
        let a = Element::new("a")
            .with_attr("href", format!("#{id}"))
            .with_attr("id", xml_id(&ref_id))
            .with_attr("class", "noteref")
            .with_attr("epub:type", "noteref")
            .with_attr("role", "doc-noteref")
            .with_text(n.to_string());
        self.push_node(Element::new("sup").with_child(a.into()).into());
    }

    /// A written link destination: web links are kept, book paths are left for the book to
    /// resolve (`pending:LINE:url`), anything script-capable is dropped.
    fn link_href(&mut self, dest: &str) -> Option<String> {
        self.spend(dest.len());
        match url::classify(dest) {
            UrlKind::External(u) => Some(u),
            UrlKind::Relative { .. } => {
                let (_, line, column) = self.here_col();
                Some(format!("pending:{line}:{column}:{dest}"))
            }
            UrlKind::Blocked(scheme) => {
                self.warn(format!(
                    "removed unsafe link '{}' (scheme '{scheme}:' is not allowed)",
                    shorten(dest)
                ));
                None
            }
        }
    }

    /// An image source: a file inside the book, or the placeholder.
    fn image_src(&mut self, dest: &str) -> String {
        self.spend(dest.len());
        match url::classify(dest) {
            UrlKind::External(u) => {
                self.warn(format!("remote image '{}' is not fetched (builds run offline); a placeholder is shown. Download it into the book", shorten(&u)));
                self.uses_placeholder = true;
                format!("asset:{PLACEHOLDER_ASSET}")
            }
            UrlKind::Blocked(scheme) => {
                self.error(format!("image '{}' cannot be used (scheme '{scheme}:'); put the image file in the book", shorten(dest)));
                self.uses_missing = true;
                format!("asset:{MISSING_ASSET}")
            }
            UrlKind::Relative { path, .. } => {
                match corpus::source::resolve_in_book(self.input.dir, &path) {
                    Ok(rel) if (self.input.exists)(&rel) => {
                        if !self.images.contains(&rel) {
                            self.images.push(rel.clone());
                        }
                        format!("asset:{rel}")
                    }
                    Ok(rel) => {
                        let folder = rel.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
                        self.error(format!(
                            "image '{path}' not found (looked in {}/)",
                            if folder.is_empty() { "." } else { folder }
                        ));
                        self.uses_missing = true;
                        format!("asset:{MISSING_ASSET}")
                    }
                    Err(msg) => {
                        self.error(format!("image: {msg}"));
                        self.uses_missing = true;
                        format!("asset:{MISSING_ASSET}")
                    }
                }
            }
        }
    }

    fn finish_heading(&mut self, el: &mut Element) {
        let level = el.name.as_bytes()[1] - b'0';
        let mut text = el.text().trim().to_string();
        if text.contains("]{lang=") {
            // The spans are applied to the heading itself later; its entry in the contents
            // shows the words.
            text = without_span_marks(&text);
        }
        let wanted = match el.attr("id") {
            Some(id) => xml_id(id),
            None => slug_id(&text),
        };
        let id = if el.attr("id").is_some() {
            if self.ids.contains(&wanted) {
                self.error(format!("duplicate id '{wanted}'"));
            }
            wanted
        } else {
            self.unique_id(&wanted)
        };
        self.ids.insert(id.clone());
        el.set_attr("id", id.clone());
        if self.last_level > 0 && level > self.last_level + 1 {
            self.warn(format!(
                "heading level jumps from h{} to h{level}; use h{} here",
                self.last_level,
                self.last_level + 1
            ));
        } else if self.last_level == 0 && level > 1 && self.input.title_hint.is_none() {
            self.warn(format!(
                "the chapter's first heading is h{level}; start chapters with '# Title'"
            ));
        }
        self.last_level = level;
        self.heading_count += 1;
        self.spend(HEADING_COST + id.len());
        if self.headings.len() < MAX_LISTED_HEADINGS {
            self.spend(LISTED_HEADING_COST + 3 * (id.len() + text.len()));
            self.headings.push(HeadingInfo { level, id, text });
        } else if self.first_unlisted.is_none() {
            self.first_unlisted = Some(self.here_col());
        }
    }

    /// `text` (an attribute's value) with its `[words]{lang=xx}` marks reduced to the words, and
    /// a warning for each: a language cannot be marked inside an attribute.
    fn unapplied_spans(&mut self, text: &str, place: &str) -> String {
        for (i, _) in text.match_indices("{lang=") {
            let fragment = lang_fragment(&text[i..]).to_string();
            let (f, l, c) = self.take_mark(&fragment);
            self.diags.push(
                Diagnostic::warning(
                    f,
                    l,
                    format!(
                        "'{fragment}' is not read as a language span {place}: the words are kept, their language is not marked"
                    ),
                )
                .at_column(c),
            );
        }
        without_span_marks(text)
    }

    /// Where the next `{lang=…}` with this text was written.
    fn take_mark(&mut self, fragment: &str) -> (String, usize, usize) {
        self.lang_marks
            .get_mut(fragment)
            .and_then(|q| q.pop_front())
            .unwrap_or_else(|| (self.input.file.to_string(), 0, 0))
    }

    /// `wanted`, or `wanted-N` with the first free N; counters per base keep 100,000 equal headings linear.
    fn unique_id(&mut self, wanted: &str) -> String {
        if !self.ids.contains(wanted) {
            return wanted.to_string();
        }
        let counter = self.id_counters.entry(wanted.to_string()).or_insert(0);
        let mut n = *counter + 1;
        loop {
            let candidate = format!("{wanted}-{n}");
            if !self.ids.contains(&candidate) {
                *self.id_counters.get_mut(wanted).expect("inserted above") = n;
                return candidate;
            }
            n += 1;
        }
    }

    /// Raw HTML: tags are judged by the allow-list and applied to the tree so it stays well-formed.
    fn raw_html(&mut self, html: &str) {
        for tok in rawhtml::tokenize(html) {
            match tok {
                Token::Text(t) => {
                    if self.skip_until.is_none() {
                        self.text(&t);
                    }
                }
                Token::End { name } => {
                    if self.skip_until.as_deref() == Some(name.as_str()) {
                        self.skip_until = None;
                    } else if self.skip_until.is_none() {
                        self.raw_end(&name);
                    }
                }
                Token::Start {
                    name,
                    attrs,
                    self_closing,
                } => {
                    if self.skip_until.is_some() {
                        continue;
                    }
                    self.raw_start(&name, attrs, self_closing);
                }
            }
        }
    }

    fn raw_start(&mut self, name: &str, attrs: Vec<(String, String)>, self_closing: bool) {
        let keep = match rawhtml::policy(name) {
            TagPolicy::DropWithContent => {
                self.warn(format!("removed unsafe HTML <{name}> and its content"));
                if !self_closing {
                    self.skip_until = Some(name.to_string());
                }
                return;
            }
            TagPolicy::DropVoid | TagPolicy::Unwrap => {
                if rawhtml::is_unsafe(name) {
                    self.warn(format!("removed unsafe HTML <{name}>"));
                } else if rawhtml::policy(name) == TagPolicy::Unwrap
                    && self.unknown_tags_reported.insert(name.to_string())
                {
                    // Once per tag name and chapter: mdBook's <Listing> can occur fifty times.
                    self.warn(format!(
                        "unknown HTML tag <{name}> removed (its content is kept); use Markdown \
                         or a ::: block instead"
                    ));
                }
                return;
            }
            TagPolicy::Keep(k) => k,
        };
        if keep == "kitep-block" {
            let kind = attrs
                .iter()
                .find(|(k, _)| k == "kind")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            let title = attrs
                .iter()
                .find(|(k, _)| k == "title")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            self.open_block(&kind, &title);
            return;
        }
        if !rawhtml::is_phrasing(keep) {
            self.close_raw_phrasing();
        }
        let parent = self.stack.last().map(|o| o.el.name).unwrap_or("body");
        if is_phrasing_only(parent) && !rawhtml::is_phrasing(keep) {
            return;
        }
        if let Some(parents) = rawhtml::allowed_parents(keep)
            && !parents.contains(&parent)
        {
            return;
        }
        if keep == "a" && self.stack.iter().any(|o| o.el.name == "a") {
            return;
        }
        let mut el = Element::new(keep);
        // Which attributes stay and how their values are normalised is rawhtml's policy; the
        // builder only resolves URLs against the book and reports.
        for (attr, value) in attrs {
            match rawhtml::judge_attr(keep, &attr, value) {
                AttrDecision::Keep(a, v) => el.set_attr(a, v),
                AttrDecision::Href(v) => {
                    if let Some(h) = self.link_href(&v) {
                        el.set_attr("href", h);
                    }
                }
                AttrDecision::Src(v) => {
                    let src = self.image_src(&v);
                    el.set_attr("src", src);
                }
                AttrDecision::BadLanguage(v) => {
                    self.error(format!("unknown language code '{v}' in lang attribute"));
                }
                AttrDecision::Unsafe => {
                    self.warn(format!("removed unsafe HTML attribute {attr} on <{name}>"));
                }
                AttrDecision::Drop => {}
            }
        }
        if let Some(id) = el.attr("id").map(str::to_string) {
            if self.ids.contains(&id) {
                self.error(format!("duplicate id '{id}'"));
                el.remove_attr("id");
            } else {
                self.ids.insert(id);
            }
        }
        if keep == "img" {
            if el.attr("src").is_none() {
                return;
            }
            if el.attr("alt").is_none() {
                self.warn("image in HTML has no alt attribute; describe it (alt=\"...\")");
                el.set_attr("alt", "");
            }
        }
        if crate::doc::is_void(keep) {
            self.push_node(el.into());
        } else if self_closing {
            self.top().children.push(el.into());
        } else {
            self.open(el, Origin::Raw);
        }
    }

    fn raw_end(&mut self, name: &str) {
        if name == "kitep-block" {
            self.close_block();
            return;
        }
        let Some(pos) = self
            .stack
            .iter()
            .rposition(|o| o.origin != Origin::Raw || o.el.name == name)
        else {
            return;
        };
        if self.stack[pos].origin != Origin::Raw {
            return;
        }
        while self.stack.len() > pos {
            self.close_top();
        }
    }

    /// Opens a `:::` block.
    fn open_block(&mut self, kind: &str, title: &str) {
        let lang = self.input.lang;
        let titled = |default: &str| {
            if title.is_empty() {
                default.to_string()
            } else {
                title.to_string()
            }
        };
        let el = match kind {
            "note" | "tip" | "important" | "warning" | "caution" => {
                let l = match kind {
                    "note" => Label::Note,
                    "tip" => Label::Tip,
                    "important" => Label::Important,
                    "warning" => Label::Warning,
                    _ => Label::Caution,
                };
                self.admonition(kind, &titled(label(lang, l)))
            }
            "objectives" => Element::new("div")
                .with_attr("class", "objectives")
                .with_attr("role", "note")
                .with_child(
                    Element::new("p")
                        .with_attr("class", "block-title")
                        .with_text(titled(label(lang, Label::Objectives)))
                        .into(),
                ),
            "exercise" => {
                self.exercises += 1;
                let n = self.exercises;
                let id = self.unique_id(&format!("exercise-{n}"));
                self.ids.insert(id.clone());
                let mut heading = Element::new("p")
                    .with_attr("class", "block-title")
                    .with_child(
                        Element::new("span")
                            .with_attr("class", "exercise-number")
                            .with_text(format!("{} {n}", label(lang, Label::Exercise)))
                            .into(),
                    );
                if !title.is_empty() {
                    heading.children.push(Node::Text(format!(". {title}")));
                }
                Element::new("div")
                    .with_attr("class", "exercise")
                    .with_attr("id", id)
                    .with_child(heading.into())
            }
            "answer" => {
                if !self.in_block("exercise") {
                    self.warn("'::: answer' outside an exercise is shown in place");
                    Element::new("div").with_attr("class", "answer")
                } else {
                    let n = self.exercises;
                    self.open_tagged(Element::new("div"), Origin::Answer, n.to_string());
                    return;
                }
            }
            "glossary" => Element::new("div")
                .with_attr("class", "glossary")
                .with_child(
                    Element::new("p")
                        .with_attr("class", "block-title")
                        .with_text(titled(label(lang, Label::Glossary)))
                        .into(),
                ),
            other => {
                let mut el = Element::new("div").with_attr("class", other.to_string());
                if !title.is_empty() {
                    el.children.push(
                        Element::new("p")
                            .with_attr("class", "block-title")
                            .with_text(title.to_string())
                            .into(),
                    );
                }
                el
            }
        };
        self.open_tagged(el, Origin::Block, kind.to_string());
    }

    fn close_block(&mut self) {
        let Some(pos) = self
            .stack
            .iter()
            .rposition(|o| matches!(o.origin, Origin::Block | Origin::Answer))
        else {
            return;
        };
        while self.stack.len() > pos + 1 {
            self.close_top();
        }
        let open = self.pop().expect("position checked");
        if open.origin == Origin::Answer {
            let exercise: usize = open.tag.parse().unwrap_or(0);
            let exercise_id = format!("exercise-{exercise}");
            let answer_id = format!("answer-{exercise}");
            let lang = self.input.lang;
            let link = Element::new("p")
                .with_attr("class", "answer-link")
                .with_child(
                    Element::new("a")
                        .with_attr("href", format!("#{answer_id}"))
                        .with_attr("id", format!("answer-ref-{exercise}"))
                        .with_text(label(lang, Label::AnswerToExercise))
                        .into(),
                );
            self.push_node(link.into());
            self.answers.push(Answer {
                exercise,
                exercise_id,
                body: open.el.children,
            });
        } else {
            self.attach(open);
        }
    }

    /// `Term {ru="перевод" en="translation"}` inside a glossary: the term gets an id and a `dfn`,
    /// the equivalents are shown in their own languages and recorded for cross-language search.
    fn glossary_term(&mut self, dt: &mut Element) {
        let mut equivalents = Vec::new();
        if let Some(Node::Text(last)) = dt.children.last_mut()
            && let Some(open) = last.rfind('{')
            && last.trim_end().ends_with('}')
        {
            let inside = last[open + 1..]
                .trim_end()
                .trim_end_matches('}')
                .to_string();
            equivalents = parse_equivalents(&inside);
            if !equivalents.is_empty() {
                last.truncate(open);
                let trimmed = last.trim_end().len();
                last.truncate(trimmed);
            }
        }
        let term = dt.text().trim().to_string();
        let id = self.unique_id(&xml_id(&format!("term-{}", slug_id(&term))));
        self.ids.insert(id.clone());
        let children = std::mem::take(&mut dt.children);
        dt.children
            .push(Element::new("dfn").with_children(children).into());
        if !equivalents.is_empty() {
            let mut span = Element::new("span").with_attr("class", "equivalents");
            for (i, (lang, word)) in equivalents.iter().enumerate() {
                if i > 0 {
                    span.children.push(Node::Text(" · ".into()));
                }
                span.children.push(
                    Element::new("span")
                        .with_attr("lang", lang.clone())
                        .with_text(word.clone())
                        .into(),
                );
            }
            dt.children.push(Node::Text(" ".into()));
            dt.children.push(span.into());
        }
        dt.set_attr("id", id.clone());
        self.pending_term = Some(self.glossary.len());
        self.glossary.push(GlossaryEntry {
            term,
            lang: self.input.lang.to_string(),
            id,
            definition: String::new(),
            equivalents,
        });
    }

    fn finish(mut self) -> Result<CompiledChapter, Refused> {
        if let Some(html) = self.html_block.take() {
            self.raw_html(&html);
        }
        while self.stack.len() > 1 {
            self.close_top();
        }
        let root = self.stack.pop().expect("root");
        let mut body = root.el.children;
        let lang = self.input.lang.to_string();
        if !self.footnotes.is_empty() {
            body.push(
                footnotes_section(
                    &lang,
                    std::mem::take(&mut self.footnotes),
                    &self.footnote_numbers,
                )
                .into(),
            );
        }
        crossref::chapter_pass(&mut body, self.input.file, self.input.text, &mut self.diags);
        for a in &mut self.answers {
            crossref::chapter_pass(
                &mut a.body,
                self.input.file,
                self.input.text,
                &mut self.diags,
            );
        }
        // After the notes are in the body, so `[words]{lang=xx}` inside a note is a span too;
        // answers are rendered elsewhere (end of chapter or book) and need the same.
        let mut spans = SpanContext {
            marks: std::mem::take(&mut self.lang_marks),
            file: self.input.file,
            diags: Vec::new(),
        };
        apply_language_spans(&mut body, &mut spans);
        for a in &mut self.answers {
            apply_language_spans(&mut a.body, &mut spans);
        }
        self.diags.append(&mut spans.diags);
        if let Some((f, l, c)) = self.first_unlisted.take() {
            self.diags.push(
                Diagnostic::warning(
                    f,
                    l,
                    format!(
                        "the chapter has {} headings; only the first {MAX_LISTED_HEADINGS} appear in the contents, book.json and search (from here on they are shown in the text only); split the chapter, or use bold lines instead of headings",
                        self.heading_count
                    ),
                )
                .at_column(c),
            );
        }
        if self.diags.len() > MAX_DIAGNOSTICS {
            let rest = self.diags.split_off(MAX_DIAGNOSTICS);
            let errors = rest.iter().filter(|d| d.is_error()).count();
            let more = format!(
                "{} more problems in this chapter ({errors} of them errors) are not listed; fix the ones above and check again",
                rest.len()
            );
            self.diags.push(if errors > 0 {
                Diagnostic::error(self.input.file, 0, more)
            } else {
                Diagnostic::warning(self.input.file, 0, more)
            });
        }
        let title = match self.input.title_hint {
            Some(t) if !t.trim().is_empty() => t.trim().to_string(),
            _ => self
                .headings
                .first()
                .map(|h| h.text.clone())
                .unwrap_or_else(|| {
                    self.input
                        .path
                        .rsplit('/')
                        .next()
                        .unwrap_or(self.input.path)
                        .trim_end_matches(".md")
                        .to_string()
                }),
        };
        let mut text = String::new();
        collect_text(&body, &mut text);
        let words = text
            .split_whitespace()
            .filter(|w| w.chars().any(char::is_alphanumeric))
            .count();
        Ok(CompiledChapter {
            index: self.input.index,
            path: self.input.path.to_string(),
            file: self.input.file.to_string(),
            title,
            number: None,
            lang,
            body,
            ids: self.ids,
            headings: self.headings,
            answers: self.answers,
            glossary: self.glossary,
            has_math: self.has_math,
            images: self.images,
            uses_placeholder: self.uses_placeholder,
            uses_missing: self.uses_missing,
            words,
            diagnostics: self.diags,
        })
    }
}

impl Element {
    fn with_children(mut self, children: Vec<Node>) -> Self {
        self.children = children;
        self
    }
}

fn heading_name(level: HeadingLevel) -> &'static str {
    match level {
        HeadingLevel::H1 => "h1",
        HeadingLevel::H2 => "h2",
        HeadingLevel::H3 => "h3",
        HeadingLevel::H4 => "h4",
        HeadingLevel::H5 => "h5",
        HeadingLevel::H6 => "h6",
    }
}

/// Elements whose content model is phrasing only (no `<div>` inside a `<p>`).
fn is_phrasing_only(name: &str) -> bool {
    matches!(
        name,
        "p" | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "dt"
            | "pre"
            | "summary"
            | "caption"
            | "figcaption"
    ) || rawhtml::is_phrasing(name)
}

/// An image alone in its paragraph, with a title, becomes a figure whose caption is the title.
fn as_figure(p: &mut Element) -> Option<Element> {
    let mut imgs = p
        .children
        .iter()
        .filter(|c| !matches!(c, Node::Text(t) if t.trim().is_empty()));
    let only = imgs.next()?;
    if imgs.next().is_some() {
        return None;
    }
    let Node::Element(img) = only else {
        return None;
    };
    if img.name != "img" {
        return None;
    }
    let caption = img.attr("title")?.to_string();
    let mut img = img.clone();
    img.remove_attr("title");
    Some(
        Element::new("figure")
            .with_child(img.into())
            .with_child(Element::new("figcaption").with_text(caption).into()),
    )
}

fn parse_equivalents(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        let Some((key, after)) = rest.split_once('=') else {
            return Vec::new();
        };
        let key = key.trim();
        if !corpus::language::is_well_formed(key) {
            return Vec::new();
        }
        let after = after.trim_start();
        let (value, remaining) = if let Some(q) = after.strip_prefix('"') {
            match q.split_once('"') {
                Some((v, r)) => (v, r),
                None => return Vec::new(),
            }
        } else {
            after.split_once(char::is_whitespace).unwrap_or((after, ""))
        };
        out.push((corpus::language::canonical(key), value.trim().to_string()));
        rest = remaining.trim_start().trim_start_matches(',').trim_start();
    }
    out
}

fn footnotes_section(
    lang: &str,
    notes: Vec<(String, Vec<Node>)>,
    numbers: &HashMap<String, usize>,
) -> Element {
    let mut notes: Vec<(usize, String, Vec<Node>)> = notes
        .into_iter()
        .map(|(name, body)| {
            (
                numbers.get(&name).copied().unwrap_or(usize::MAX),
                name,
                body,
            )
        })
        .collect();
    notes.sort_by_key(|(n, _, _)| *n);
    // Each note is an `aside` with the footnote role: the EPUB type and the ARIA role agree (a list
    // item may not take `doc-footnote`), and reading systems that pop notes up find them.
    let mut section = Element::new("section")
        .with_attr("class", "footnotes")
        .with_attr("epub:type", "footnotes")
        .with_attr("role", "doc-endnotes")
        .with_attr("aria-label", label(lang, Label::Footnotes))
        .with_child(Element::new("hr").into());
    for (n, name, mut body) in notes {
        let back = Element::new("a")
            .with_attr("href", format!("#{}", xml_id(&format!("fnref-{name}-{n}"))))
            .with_attr("role", "doc-backlink")
            .with_attr("aria-label", label(lang, Label::BackToText))
            .with_text("↩");
        let back_node: Node = back.into();
        // The back link goes at the end of the note's last paragraph when there is one.
        match body.last_mut() {
            Some(Node::Element(p)) if p.name == "p" && n != usize::MAX => {
                p.children.push(Node::Text(" ".into()));
                p.children.push(back_node);
            }
            _ if n != usize::MAX => body.push(back_node),
            _ => {}
        }
        // The note's number leads its first paragraph (an unreferenced note has none).
        if n != usize::MAX {
            let number: Node = Element::new("span")
                .with_attr("class", "note-number")
                .with_text(format!("{n}."))
                .into();
            match body.first_mut() {
                Some(Node::Element(p)) if p.name == "p" => {
                    p.children.insert(0, Node::Text(" ".into()));
                    p.children.insert(0, number);
                }
                _ => body.insert(0, Element::new("p").with_child(number).into()),
            }
        }
        let mut note = Element::new("aside")
            .with_attr("id", xml_id(&format!("fn-{name}")))
            .with_attr("class", "footnote")
            .with_attr("epub:type", "footnote")
            .with_attr("role", "doc-footnote");
        note.children = body;
        section.children.push(note.into());
    }
    section
}

/// What the language-span pass needs: where each mark was written, and where to report.
struct SpanContext<'a> {
    marks: HashMap<String, std::collections::VecDeque<(String, usize, usize)>>,
    file: &'a str,
    diags: Vec<Diagnostic>,
}

impl SpanContext<'_> {
    fn at(&mut self, fragment: &str) -> (String, usize, usize) {
        self.marks
            .get_mut(fragment)
            .and_then(|q| q.pop_front())
            .unwrap_or_else(|| (self.file.to_string(), 0, 0))
    }
}

/// `{lang=xx}` (up to its closing brace, or a few characters when there is none).
fn lang_fragment(s: &str) -> &str {
    match s.find('}') {
        Some(c) if c < 40 => &s[..=c],
        _ => {
            let end = s.char_indices().nth(12).map(|(i, _)| i).unwrap_or(s.len());
            &s[..end]
        }
    }
}

/// `[words]{lang=ru}` → `words`, for places that cannot hold a span.
fn without_span_marks(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("]{lang=") {
        let Some(close) = rest[at..].find('}').map(|c| at + c) else {
            break;
        };
        let Some(open) = rest[..at].rfind('[') else {
            out.push_str(&rest[..=close]);
            rest = &rest[close + 1..];
            continue;
        };
        out.push_str(&rest[..open]);
        out.push_str(&rest[open + 1..at]);
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// `[words]{lang=ru}` in plain text becomes `<span lang="ru">words</span>`; a `{lang=…}` that
/// cannot become one (formatting inside the brackets, a space before the brace …) is reported.
fn apply_language_spans(nodes: &mut Vec<Node>, ctx: &mut SpanContext<'_>) {
    let mut i = 0;
    while i < nodes.len() {
        match &mut nodes[i] {
            Node::Element(e) => {
                if !matches!(e.name, "code" | "pre") {
                    apply_language_spans(&mut e.children, ctx);
                }
                i += 1;
            }
            Node::Text(t) if t.contains("{lang=") => {
                let replacement = split_language_spans(t, ctx);
                let n = replacement.len();
                nodes.splice(i..i + 1, replacement);
                i += n.max(1);
            }
            _ => i += 1,
        }
    }
}

fn split_language_spans(text: &str, ctx: &mut SpanContext<'_>) -> Vec<Node> {
    let mut out = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("{lang=") {
        let fragment = lang_fragment(&rest[at..]).to_string();
        let (f, l, c) = ctx.at(&fragment);
        let close = rest[at..].find('}').map(|c| at + c);
        let open = rest[..at]
            .strip_suffix(']')
            .and_then(|before| before.rfind('['));
        let (Some(open), Some(close)) = (open, close) else {
            ctx.diags.push(
                Diagnostic::warning(
                    f,
                    l,
                    format!(
                        "'{fragment}' is not read as a language span and is shown as written; write [words]{{lang=xx}}: the words in brackets right before the brace, with no space, link or formatting inside"
                    ),
                )
                .at_column(c),
            );
            let end = close.map(|c| c + 1).unwrap_or(rest.len());
            literal.push_str(&rest[..end]);
            rest = &rest[end..];
            continue;
        };
        let lang = rest[at + "{lang=".len()..close].trim().trim_matches('"');
        if !corpus::language::is_well_formed(lang) {
            ctx.diags.push(
                Diagnostic::error(
                    f,
                    l,
                    format!("unknown language code '{lang}' in a language span"),
                )
                .at_column(c),
            );
            literal.push_str(&rest[..=close]);
            rest = &rest[close + 1..];
            continue;
        }
        literal.push_str(&rest[..open]);
        if !literal.is_empty() {
            out.push(Node::Text(std::mem::take(&mut literal)));
        }
        let words = &rest[open + 1..at - 1];
        out.push(
            Element::new("span")
                .with_attr("lang", corpus::language::canonical(lang))
                .with_text(words.to_string())
                .into(),
        );
        rest = &rest[close + 1..];
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        out.push(Node::Text(literal));
    }
    out
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(80).collect::<String>())
    } else {
        s.to_string()
    }
}
