//! The imported document as a book project: `book.toml`, one Markdown file per chapter, and the
//! pictures under `src/img/`.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;

use super::docx::{Document, Package, plain_text};
use super::{
    Block, Book, Fmt, ImportOptions, ImportReport, Inline, LinkTarget, Para, ParaKind, Table,
    Warnings,
};

struct Chapter {
    title: String,
    file: String,
    blocks: Vec<Block>,
}

pub(super) fn render(
    doc: Document,
    pkg: &mut Package,
    opts: &ImportOptions,
    warnings: &mut Warnings,
    source: &Path,
) -> Result<Book, String> {
    let Document {
        blocks,
        notes,
        images,
        props,
        default_lang,
    } = doc;
    let langs = decide_language(
        &blocks,
        &props.language,
        default_lang.as_deref(),
        opts,
        warnings,
    );

    // The title and subtitle paragraphs go to book.toml; headings split the chapters.
    let mut title = props.title.clone();
    let mut subtitle = String::new();
    let mut chapters: Vec<Chapter> = Vec::new();
    let mut front: Vec<Block> = Vec::new();
    for b in blocks {
        if let Block::Para(p) = &b {
            match p.kind {
                ParaKind::Title if title.is_empty() || front.is_empty() && chapters.is_empty() => {
                    let t = plain_text(&p.inlines);
                    if title.is_empty() {
                        title = t;
                        continue;
                    } else if t == title {
                        continue;
                    }
                }
                ParaKind::Subtitle if subtitle.is_empty() => {
                    subtitle = plain_text(&p.inlines);
                    continue;
                }
                ParaKind::Heading(level) if level <= opts.split_level => {
                    let t = plain_text(&p.inlines);
                    if !t.is_empty() {
                        chapters.push(Chapter {
                            title: t,
                            file: String::new(),
                            blocks: vec![b],
                        });
                        continue;
                    }
                }
                _ => {}
            }
        }
        match chapters.last_mut() {
            Some(c) => c.blocks.push(b),
            None => front.push(b),
        }
    }
    if title.is_empty() {
        title = chapters
            .first()
            .map(|c| c.title.clone())
            .unwrap_or_else(|| {
                source
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "Book".into())
            });
    }
    if front.iter().any(has_content) {
        chapters.insert(
            0,
            Chapter {
                title: title.clone(),
                file: String::new(),
                blocks: front,
            },
        );
    }
    let mut used = HashSet::new();
    for (i, c) in chapters.iter_mut().enumerate() {
        let mut slug = corpus::slug::slugify(&c.title);
        if slug == "book" {
            slug = "chapter".into();
        }
        slug.truncate(40);
        let slug = slug.trim_end_matches('-').to_string();
        let mut file = format!("{:02}-{slug}.md", i + 1);
        let mut n = 2;
        while !used.insert(file.clone()) {
            file = format!("{:02}-{slug}-{n}.md", i + 1);
            n += 1;
        }
        c.file = file;
    }

    // Bookmarks that links point to, and the chapter each lives in.
    let mut referenced = HashSet::new();
    let mut note_refs = |i: &Inline| match i {
        Inline::Link {
            target: LinkTarget::Anchor(a),
            ..
        } => {
            referenced.insert(a.clone());
        }
        Inline::Link {
            target: LinkTarget::Url(u),
            ..
        } => {
            if let Some((_, fragment)) = relative(u) {
                referenced.insert(fragment.to_string());
            }
        }
        _ => {}
    };
    for c in &chapters {
        visit_inlines(&c.blocks, &mut note_refs);
    }
    for n in notes.values() {
        visit_inlines(n, &mut note_refs);
    }
    let mut anchors = HashMap::new();
    for (ci, c) in chapters.iter().enumerate() {
        visit_inlines(&c.blocks, &mut |i| {
            if let Inline::Anchor(a) = i
                && referenced.contains(a)
            {
                anchors.entry(a.clone()).or_insert((ci, anchor_id(a)));
            }
        });
    }

    let mut r = Renderer {
        langs,
        anchors,
        chapter_files: chapters.iter().map(|c| c.file.clone()).collect(),
        chapter: 0,
        notes,
        note_order: Vec::new(),
        images: images.into_iter().map(|i| (i, None)).collect(),
        pkg,
        warnings,
        report: ImportReport::default(),
        counters: HashMap::new(),
        files: Vec::new(),
        used_image_names: HashSet::new(),
        split_level: opts.split_level,
    };
    let mut chapter_texts = Vec::new();
    for (ci, c) in chapters.iter().enumerate() {
        r.chapter = ci;
        r.note_order.clear();
        let mut out = String::new();
        if ci == 0
            && !matches!(c.blocks.first(), Some(Block::Para(p)) if matches!(p.kind, ParaKind::Heading(_)))
        {
            let _ = writeln!(out, "# {}\n", escape(&c.title));
        }
        r.blocks(&c.blocks, &mut out, true);
        r.footnotes(&mut out);
        chapter_texts.push((format!("src/{}", c.file), out));
    }
    r.report.chapters = chapters.len();
    r.report.title = title.clone();
    r.report.language = r.langs.book.clone();

    let mut toml = String::from("[book]\n");
    let _ = writeln!(toml, "title = {}", toml_str(&title));
    if !subtitle.is_empty() {
        let _ = writeln!(toml, "subtitle = {}", toml_str(&subtitle));
    }
    if !props.creators.is_empty() {
        let _ = writeln!(toml, "authors = {}", toml_list(&props.creators));
    }
    let _ = writeln!(toml, "language = {}", toml_str(&r.langs.book));
    if !props.description.is_empty() {
        let _ = writeln!(toml, "description = {}", toml_str(&props.description));
    }
    if !props.keywords.is_empty() {
        let _ = writeln!(toml, "keywords = {}", toml_list(&props.keywords));
    }
    if !props.subject.is_empty() {
        let _ = writeln!(toml, "subject = {}", toml_str(&props.subject));
    }
    if let Some(y) = props.year {
        let _ = writeln!(toml, "year = {y}");
    }
    let files: Vec<String> = chapters.iter().map(|c| c.file.clone()).collect();
    let _ = writeln!(toml, "chapters = {}", toml_list(&files));

    let mut files = vec![("book.toml".to_string(), toml.into_bytes())];
    files.extend(chapter_texts.into_iter().map(|(f, t)| (f, t.into_bytes())));
    files.append(&mut r.files);
    Ok(Book {
        files,
        report: r.report,
    })
}

fn has_content(b: &Block) -> bool {
    match b {
        Block::Para(p) => p.inlines.iter().any(|i| match i {
            Inline::Text { text, .. } => !text.trim().is_empty(),
            Inline::Anchor(_) => false,
            _ => true,
        }),
        Block::Table(_) => true,
        Block::Boxed(bs) => bs.iter().any(has_content),
    }
}

fn visit_inlines(blocks: &[Block], f: &mut dyn FnMut(&Inline)) {
    fn walk(items: &[Inline], f: &mut dyn FnMut(&Inline)) {
        for i in items {
            f(i);
            if let Inline::Link { content, .. } = i {
                walk(content, f);
            }
        }
    }
    for b in blocks {
        match b {
            Block::Para(p) => walk(&p.inlines, f),
            Block::Table(t) => {
                for row in &t.rows {
                    for c in row {
                        visit_inlines(&c.blocks, f);
                    }
                }
            }
            Block::Boxed(bs) => visit_inlines(bs, f),
        }
    }
}

fn anchor_id(name: &str) -> String {
    let id: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let id = id.trim_start_matches(['_', '-']).to_string();
    if id.is_empty() || !id.starts_with(|c: char| c.is_ascii_alphabetic()) {
        format!("a-{id}")
    } else {
        id
    }
}

/// The book's language and how Word's language marks map onto spans.
struct Langs {
    book: String,
    /// Word's mark that in fact stands for the book's language (a Kyrgyz text proofed as Russian).
    alias: Option<String>,
}

fn primary(tag: &str) -> Option<String> {
    let p = tag.split(['-', '_']).next()?.to_ascii_lowercase();
    if p.len() < 2 || p.len() > 3 || matches!(p.as_str(), "x" | "und" | "zxx" | "mul") {
        return None;
    }
    Some(p)
}

/// Whether the text has the letters that tell Kyrgyz from Russian (and from Kazakh, Tatar …).
fn reads_as_kyrgyz(text: &str) -> bool {
    text.chars().any(|c| "ңөүҢӨҮ".contains(c))
        && !text.chars().any(|c| "әғқұһіҗӘҒҚҰҺІҖ".contains(c))
}

fn decide_language(
    blocks: &[Block],
    declared: &str,
    default: Option<&str>,
    opts: &ImportOptions,
    warnings: &mut Warnings,
) -> Langs {
    // Letters per language mark, and per mark the letters in words that read as Kyrgyz.
    let mut letters: HashMap<String, (usize, usize)> = HashMap::new();
    let mut cyrillic = 0usize;
    let mut latin = 0usize;
    let mut kyrgyz_words = 0usize;
    visit_inlines(blocks, &mut |i| {
        if let Inline::Text { text, lang, .. } = i {
            let n = text.chars().filter(|c| c.is_alphabetic()).count();
            let key = lang
                .as_deref()
                .and_then(primary)
                .or_else(|| default.and_then(primary))
                .unwrap_or_default();
            let ky = text
                .split_whitespace()
                .filter(|w| reads_as_kyrgyz(w))
                .map(|w| w.chars().count())
                .sum::<usize>();
            let e = letters.entry(key).or_default();
            e.0 += n;
            e.1 += ky;
            kyrgyz_words += ky;
            cyrillic += text
                .chars()
                .filter(|c| ('\u{400}'..='\u{4FF}').contains(c))
                .count();
            latin += text.chars().filter(|c| c.is_ascii_alphabetic()).count();
        }
    });
    if let Some(l) = &opts.language {
        let alias = letters
            .iter()
            .filter(|(k, _)| !k.is_empty() && primary(l).as_deref() != Some(k.as_str()))
            .max_by_key(|(_, v)| v.0)
            .filter(|(_, v)| v.0 * 2 > letters.values().map(|v| v.0).sum::<usize>())
            .map(|(k, _)| k.clone());
        return Langs {
            book: l.clone(),
            alias,
        };
    }
    let (top, (top_letters, top_ky)) = letters
        .iter()
        .max_by_key(|(_, v)| v.0)
        .map(|(k, v)| (k.clone(), *v))
        .unwrap_or_default();
    // Word has no Kyrgyz proofing on most machines here: Kyrgyz text is often marked Russian.
    // Words with ң, ө or ү in a good share of the text marked Russian say the marks are wrong.
    if top == "ru" && top_ky * 50 > top_letters {
        warnings.push(format!(
            "Word marks most of the text as Russian, but {:.0} % of its letters are in words with ң, ө or ү: the book's language is set to ky, and text marked Russian is taken as Kyrgyz (no language spans made from those marks). Give --language to choose otherwise",
            100.0 * top_ky as f64 / top_letters.max(1) as f64
        ));
        return Langs {
            book: "ky".into(),
            alias: Some("ru".into()),
        };
    }
    if let Some(p) = primary(declared) {
        return Langs {
            book: declared_tag(declared, &p),
            alias: None,
        };
    }
    if !top.is_empty() {
        return Langs {
            book: top,
            alias: None,
        };
    }
    let book = if kyrgyz_words > 0 {
        "ky"
    } else if cyrillic > latin {
        "ru"
    } else {
        "en"
    };
    warnings.push(format!(
        "the document does not say its language; the book's language is set to {book} from its letters. Give --language to choose otherwise"
    ));
    Langs {
        book: book.into(),
        alias: None,
    }
}

fn declared_tag(tag: &str, primary: &str) -> String {
    // Keep a script subtag (uz-Latn), drop the region (ky-KG → ky).
    let mut parts = tag.split(['-', '_']);
    parts.next();
    match parts.next() {
        Some(s) if s.len() == 4 => format!(
            "{primary}-{}{}",
            &s[..1].to_uppercase(),
            &s[1..].to_lowercase()
        ),
        _ => primary.to_string(),
    }
}

struct Renderer<'a> {
    langs: Langs,
    anchors: HashMap<String, (usize, String)>,
    chapter_files: Vec<String>,
    chapter: usize,
    notes: HashMap<String, Vec<Block>>,
    note_order: Vec<String>,
    images: Vec<(super::Image, Option<String>)>,
    pkg: &'a mut Package,
    warnings: &'a mut Warnings,
    report: ImportReport,
    counters: HashMap<(String, u8), u32>,
    files: Vec<(String, Vec<u8>)>,
    used_image_names: HashSet<String>,
    split_level: u8,
}

/// Where inline content goes: a paragraph, a heading (one line, no emphasis) or a pipe-table
/// cell (one line, `|` escaped).
#[derive(Clone, Copy, PartialEq)]
enum Flow {
    Paragraph,
    Heading,
    Cell,
}

impl Renderer<'_> {
    fn place(&self, p: &Para) -> String {
        let file = &self.chapter_files[self.chapter];
        if p.heading_context.is_empty() {
            format!("paragraph {} (src/{file})", p.place)
        } else {
            format!(
                "paragraph {} under «{}» (src/{file})",
                p.place, p.heading_context
            )
        }
    }

    fn blocks(&mut self, blocks: &[Block], out: &mut String, top: bool) {
        let mut i = 0;
        while i < blocks.len() {
            match &blocks[i] {
                Block::Para(p) => match &p.kind {
                    ParaKind::ListItem(_) => {
                        let start = i;
                        while i < blocks.len()
                            && matches!(&blocks[i], Block::Para(q) if matches!(q.kind, ParaKind::ListItem(_)))
                        {
                            i += 1;
                        }
                        self.list(&blocks[start..i], out);
                        continue;
                    }
                    ParaKind::Code => {
                        let start = i;
                        while i < blocks.len()
                            && matches!(&blocks[i], Block::Para(q) if q.kind == ParaKind::Code)
                        {
                            i += 1;
                        }
                        self.code(&blocks[start..i], out);
                        continue;
                    }
                    _ => {
                        // A picture alone in its paragraph, followed by a caption: a figure.
                        let caption = match blocks.get(i + 1) {
                            Some(Block::Para(c))
                                if c.kind == ParaKind::Caption && lone_image(p) =>
                            {
                                Some(plain_text(&c.inlines))
                            }
                            _ => None,
                        };
                        if let Some(caption) = caption {
                            self.figure(p, &caption, out);
                            i += 2;
                            continue;
                        }
                        self.paragraph(p, out, top);
                    }
                },
                Block::Table(t) => self.table(t, out),
                Block::Boxed(bs) => {
                    let mut inner = String::new();
                    self.blocks(bs, &mut inner, false);
                    if !inner.trim().is_empty() {
                        out.push_str(&quote(inner.trim_end()));
                        out.push_str("\n\n");
                    }
                }
            }
            i += 1;
        }
    }

    fn paragraph(&mut self, p: &Para, out: &mut String, top: bool) {
        match &p.kind {
            ParaKind::Heading(level) if !plain_text(&p.inlines).is_empty() => {
                let depth = if top && *level <= self.split_level {
                    1
                } else {
                    (*level as i32 - self.split_level as i32 + 1).clamp(2, 6) as usize
                };
                let text = self.inlines(&p.inlines, Flow::Heading);
                let id = p.inlines.iter().find_map(|i| match i {
                    Inline::Anchor(a) => self.anchors.get(a).map(|(_, id)| id.clone()),
                    _ => None,
                });
                out.push_str(&"#".repeat(depth));
                out.push(' ');
                out.push_str(text.trim());
                if let Some(id) = id {
                    let _ = write!(out, " {{#{id}}}");
                }
                out.push_str("\n\n");
            }
            ParaKind::Quote => {
                let mut inner = String::new();
                self.paragraph_text(p, &mut inner);
                if !inner.trim().is_empty() {
                    out.push_str(&quote(inner.trim_end()));
                    out.push_str("\n\n");
                }
            }
            _ => self.paragraph_text(p, out),
        }
    }

    /// A paragraph's inlines, split where display equations stand on their own lines.
    fn paragraph_text(&mut self, p: &Para, out: &mut String) {
        let mut run: Vec<Inline> = Vec::new();
        let flush = |r: &mut Self, run: &mut Vec<Inline>, out: &mut String| {
            let text = r.inlines(run, Flow::Paragraph);
            let text = text.trim();
            if !text.is_empty() {
                out.push_str(&escape_line_starts(text));
                out.push_str("\n\n");
            }
            run.clear();
        };
        for i in &p.inlines {
            if let Inline::Math {
                latex,
                display: true,
            } = i
            {
                flush(self, &mut run, out);
                self.report.equations += 1;
                let _ = write!(out, "$$\n{latex}\n$$\n\n");
            } else {
                if let Inline::Image { .. } = i {
                    // Resolved here so a warning names the paragraph.
                    self.note_image_place(i, p);
                }
                run.push(i.clone());
            }
        }
        flush(self, &mut run, out);
    }

    fn note_image_place(&mut self, i: &Inline, p: &Para) {
        if let Inline::Image { index, alt, .. } = i {
            let place = self.place(p);
            self.image_file(*index, &place);
            if alt.trim().is_empty() {
                self.warnings.push(format!(
                    "{place}: a picture has no alternative text (Word: Edit Alt Text); describe it in the Markdown, ![…](…), so pupils who cannot see it know what it shows"
                ));
            }
        }
    }

    fn figure(&mut self, p: &Para, caption: &str, out: &mut String) {
        let Some(image @ Inline::Image { index, alt, title }) =
            p.inlines.iter().find(|i| matches!(i, Inline::Image { .. }))
        else {
            return;
        };
        self.note_image_place(image, p);
        // A caption that only repeats the description (as pandoc writes them) gives way to the
        // picture's own title.
        let caption = if caption == alt.trim() && !title.is_empty() {
            title.as_str()
        } else {
            caption
        };
        let place = self.place(p);
        let file = self.image_file(*index, &place);
        self.report.images += 1;
        let _ = write!(
            out,
            "![{}]({} \"{}\")\n\n",
            escape(alt),
            file,
            caption.replace('\\', "\\\\").replace('"', "\\\"")
        );
    }

    fn list(&mut self, items: &[Block], out: &mut String) {
        // Each open level: its indentation and its marker's width.
        let mut open: Vec<(u8, usize)> = Vec::new();
        for b in items {
            let Block::Para(p) = b else { continue };
            let ParaKind::ListItem(info) = &p.kind else {
                continue;
            };
            while open.last().is_some_and(|(l, _)| *l > info.level) {
                open.pop();
            }
            if open.last().is_some_and(|(l, _)| *l == info.level) {
                open.pop();
            }
            let indent: usize = open.last().map(|(_, w)| *w).unwrap_or(0);
            // Deeper levels restart their count when a shallower item comes.
            self.counters
                .retain(|(list, level), _| list != &info.list || *level <= info.level);
            let marker = if info.ordered {
                let n = self
                    .counters
                    .entry((info.list.clone(), info.level))
                    .or_insert(info.start.saturating_sub(1));
                *n += 1;
                format!("{n}. ")
            } else {
                "- ".to_string()
            };
            let mut text = String::new();
            self.paragraph_text(p, &mut text);
            let text = text.trim_end();
            out.push_str(&" ".repeat(indent));
            out.push_str(&marker);
            let pad = " ".repeat(indent + marker.len());
            let mut first = true;
            for line in text.lines() {
                if !first {
                    out.push('\n');
                    if !line.is_empty() {
                        out.push_str(&pad);
                    }
                }
                out.push_str(line);
                first = false;
            }
            out.push('\n');
            open.push((info.level, indent + marker.len()));
        }
        out.push('\n');
    }

    fn code(&mut self, items: &[Block], out: &mut String) {
        let mut lines = Vec::new();
        for b in items {
            if let Block::Para(p) = b {
                lines.push(raw_text(&p.inlines));
            }
        }
        let body = lines.join("\n");
        let fence = "`".repeat(longest_run(&body, '`').max(2) + 1);
        let _ = write!(out, "{fence}\n{body}\n{fence}\n\n");
    }

    fn table(&mut self, t: &Table, out: &mut String) {
        self.report.tables += 1;
        let width = t.rows.first().map(Vec::len).unwrap_or(0);
        let simple_cells = t.rows.iter().all(|r| {
            r.len() == width
                && r.iter().all(|c| {
                    c.colspan == 1
                        && c.rowspan == 1
                        && !c.merged_into_above
                        && c.blocks.len() <= 1
                        && c.blocks.iter().all(|b| match b {
                            Block::Para(p) => {
                                p.kind == ParaKind::Normal
                                    && !p
                                        .inlines
                                        .iter()
                                        .any(|i| matches!(i, Inline::Math { display: true, .. }))
                            }
                            _ => false,
                        })
                })
        });
        let bold_first_row = t.rows.first().is_some_and(|r| {
            r.iter().all(|c| {
                c.blocks.iter().all(|b| match b {
                    Block::Para(p) => p.inlines.iter().all(|i| match i {
                        Inline::Text { text, fmt, .. } => fmt.bold || text.trim().is_empty(),
                        _ => true,
                    }),
                    _ => false,
                }) && !c.blocks.is_empty()
            })
        });
        let header_rows = if t.header_rows > 0 {
            t.header_rows
        } else {
            usize::from(bold_first_row)
        };
        if simple_cells && width > 0 && header_rows == 1 && t.rows.len() > 1 {
            for (ri, row) in t.rows.iter().enumerate() {
                out.push('|');
                for c in row {
                    let text = match c.blocks.first() {
                        Some(Block::Para(p)) => {
                            let mut p = p.clone();
                            if ri == 0 && t.header_rows == 0 {
                                unbold(&mut p.inlines);
                            }
                            self.cell_images(&p);
                            self.inlines(&p.inlines, Flow::Cell)
                        }
                        _ => String::new(),
                    };
                    let _ = write!(out, " {} |", text.trim());
                }
                out.push('\n');
                if ri == 0 {
                    out.push('|');
                    for _ in 0..width {
                        out.push_str(" --- |");
                    }
                    out.push('\n');
                }
            }
            out.push('\n');
            return;
        }
        // Merged cells, several paragraphs or lists in a cell: an HTML table whose cells hold
        // Markdown (blank lines around it, so it is read as Markdown).
        out.push_str("<table>\n");
        for (ri, row) in t.rows.iter().enumerate() {
            let head = ri < header_rows;
            if ri == 0 && head {
                out.push_str("<thead>\n");
            }
            if ri == header_rows && (ri > 0 || header_rows == 0) {
                out.push_str("<tbody>\n");
            }
            out.push_str("<tr>\n");
            let tag = if head { "th" } else { "td" };
            for c in row {
                if c.merged_into_above {
                    continue;
                }
                let mut attrs = String::new();
                if c.colspan > 1 {
                    let _ = write!(attrs, " colspan=\"{}\"", c.colspan);
                }
                if c.rowspan > 1 {
                    let _ = write!(attrs, " rowspan=\"{}\"", c.rowspan);
                }
                let mut inner = String::new();
                let blocks = if head && t.header_rows == 0 {
                    let mut bs = c.blocks.clone();
                    for b in &mut bs {
                        if let Block::Para(p) = b {
                            unbold(&mut p.inlines);
                        }
                    }
                    bs
                } else {
                    c.blocks.clone()
                };
                self.blocks(&blocks, &mut inner, false);
                let inner = inner.trim();
                if inner.is_empty() {
                    let _ = writeln!(out, "<{tag}{attrs}></{tag}>");
                } else {
                    let _ = write!(out, "<{tag}{attrs}>\n\n{inner}\n\n</{tag}>\n");
                }
            }
            out.push_str("</tr>\n");
            if head && ri + 1 == header_rows {
                out.push_str("</thead>\n");
            }
        }
        if t.rows.len() > header_rows {
            out.push_str("</tbody>\n");
        }
        out.push_str("</table>\n\n");
    }

    fn cell_images(&mut self, p: &Para) {
        for i in &p.inlines {
            if let Inline::Image { .. } = i {
                self.note_image_place(i, p);
            }
        }
    }

    fn footnotes(&mut self, out: &mut String) {
        let mut done = 0;
        while done < self.note_order.len() {
            let id = self.note_order[done].clone();
            done += 1;
            let blocks = self.notes.get(&id).cloned().unwrap_or_default();
            let mut inner = String::new();
            self.blocks(&blocks, &mut inner, false);
            let inner = inner.trim();
            let _ = write!(out, "[^{done}]: ");
            for (k, line) in inner.lines().enumerate() {
                if k > 0 {
                    out.push('\n');
                    if !line.is_empty() {
                        out.push_str("    ");
                    }
                }
                out.push_str(line);
            }
            out.push_str("\n\n");
        }
    }

    /// The file an image goes to (written on first use): pictures browsers show are copied;
    /// Windows metafiles and other formats get a placeholder picture beside the original.
    fn image_file(&mut self, index: usize, place: &str) -> String {
        if let Some(Some(f)) = self.images.get(index).map(|(_, f)| f.clone()) {
            return f;
        }
        let part = self.images[index].0.part.clone();
        let name = part.rsplit('/').next().unwrap_or("image").to_string();
        let (stem, ext) = name.rsplit_once('.').unwrap_or((&name, ""));
        let stem = corpus::slug::slugify(stem);
        let bytes = match self.pkg.read_media(&part) {
            Ok(b) => b,
            Err(e) => {
                self.warnings.push(format!("{place}: {e}"));
                None
            }
        };
        let kind = bytes.as_deref().and_then(formats::images::sniff);
        let file = match (kind, bytes) {
            (Some(kind), Some(bytes)) => {
                let (_, ext) = formats::images::media_type_of(kind);
                let file = self.unique_image_name(&stem, ext);
                self.files.push((format!("src/{file}"), bytes));
                file
            }
            (None, bytes) => {
                let what = match ext.to_ascii_lowercase().as_str() {
                    "emf" | "wmf" => format!("a Windows metafile (.{ext})"),
                    "" => "a picture in an unknown format".to_string(),
                    e => format!("a .{e} picture"),
                };
                let message = match &bytes {
                    Some(_) => format!(
                        "{place}: {what} ({name}) cannot be shown in a book; it is kept as {} beside a placeholder: export it as PNG or SVG and change the link",
                        format_args!("src/img/{stem}.{}", ext.to_ascii_lowercase())
                    ),
                    None => format!(
                        "{place}: the picture {part} is missing from the document; a placeholder stands in its place"
                    ),
                };
                self.warnings.push(message);
                if let Some(bytes) = bytes {
                    let original = self.unique_image_name(&stem, &ext.to_ascii_lowercase());
                    self.files.push((format!("src/{original}"), bytes));
                }
                let file = self.unique_image_name(&format!("{stem}-placeholder"), "svg");
                self.files
                    .push((format!("src/{file}"), placeholder_svg(&name).into_bytes()));
                file
            }
            (Some(_), None) => unreachable!("a kind is sniffed only from bytes"),
        };
        self.images[index].1 = Some(file.clone());
        self.images[index].0.file = file.clone();
        file
    }

    fn unique_image_name(&mut self, stem: &str, ext: &str) -> String {
        let mut name = format!("img/{stem}.{ext}");
        let mut n = 2;
        while !self.used_image_names.insert(name.clone()) {
            name = format!("img/{stem}-{n}.{ext}");
            n += 1;
        }
        name
    }

    /// The span language of a piece of text marked `tag` by Word (`None`: the book's own).
    fn span_lang(&self, text: &str, tag: Option<&str>) -> Option<String> {
        let mut lang = tag.and_then(primary)?;
        if lang == "ru" && reads_as_kyrgyz(text) {
            lang = "ky".into();
        }
        if self.langs.alias.as_deref() == Some(lang.as_str()) {
            return None;
        }
        if primary(&self.langs.book).as_deref() == Some(lang.as_str()) {
            return None;
        }
        Some(lang)
    }

    fn inlines(&mut self, items: &[Inline], flow: Flow) -> String {
        // Language spans first: runs of text in another language (spaces and punctuation
        // between them join the run), then formatting inside.
        let mut out = String::new();
        let mut i = 0;
        while i < items.len() {
            let lang = match &items[i] {
                Inline::Text { text, lang, .. } if has_letters(text) => {
                    self.span_lang(text, lang.as_deref())
                }
                _ => None,
            };
            let Some(lang) = lang else {
                let mut j = i + 1;
                while j < items.len() && !self.starts_span(&items[j]) {
                    j += 1;
                }
                let piece = self.formatted(&items[i..j], flow, out.chars().last());
                out.push_str(&piece);
                i = j;
                continue;
            };
            let mut j = i + 1;
            let mut end = j;
            while j < items.len() {
                match &items[j] {
                    Inline::Text { text, lang: l, .. } => {
                        if has_letters(text) {
                            if self.span_lang(text, l.as_deref()).as_deref() != Some(lang.as_str())
                            {
                                break;
                            }
                            end = j + 1;
                        }
                    }
                    _ => break,
                }
                j += 1;
            }
            let group = &items[i..end];
            let inner = self.formatted(group, flow, None);
            let (lead, core, trail) = split_ws(&inner);
            out.push_str(lead);
            self.report.language_spans += 1;
            let plain = core
                .chars()
                .all(|c| c.is_alphanumeric() || c == ' ' || ".,;:!?-'«»—–()\"".contains(c));
            if plain && flow != Flow::Cell {
                let _ = write!(out, "[{core}]{{lang={lang}}}");
            } else {
                let _ = write!(out, "<span lang=\"{lang}\">{core}</span>");
            }
            out.push_str(trail);
            i = end;
        }
        out
    }

    fn starts_span(&self, item: &Inline) -> bool {
        match item {
            Inline::Text { text, lang, .. } => {
                has_letters(text) && self.span_lang(text, lang.as_deref()).is_some()
            }
            _ => false,
        }
    }

    /// Formatting, outermost first: bold, italic, strikethrough, superscript, subscript, code.
    fn formatted(&mut self, items: &[Inline], flow: Flow, before: Option<char>) -> String {
        self.level(items, 0, flow, before)
    }

    fn level(
        &mut self,
        items: &[Inline],
        level: usize,
        flow: Flow,
        before: Option<char>,
    ) -> String {
        let flag = |i: &Inline| -> bool {
            match i {
                Inline::Text { fmt, .. } => pick(fmt, level),
                _ => false,
            }
        };
        if level == 6 {
            return self.leaves(items, flow);
        }
        let mut out = String::new();
        let mut i = 0;
        while i < items.len() {
            let on = flag(&items[i]);
            let mut j = i + 1;
            while j < items.len() && flag(&items[j]) == on {
                j += 1;
            }
            let prev = out.chars().last().or(before);
            if on && !(flow == Flow::Heading && level < 2) {
                if level == 5 {
                    let span = code_span(&raw_text(&items[i..j]));
                    out.push_str(&if flow == Flow::Cell {
                        span.replace('|', "\\|")
                    } else {
                        span
                    });
                } else {
                    let inner = self.level(&items[i..j], level + 1, flow, None);
                    let (lead, core, trail) = split_ws(&inner);
                    out.push_str(lead);
                    if !core.is_empty() {
                        out.push_str(&wrap(core, level, prev.or(lead.chars().last())));
                    }
                    out.push_str(trail);
                }
            } else {
                let inner = self.level(&items[i..j], level + 1, flow, prev);
                out.push_str(&inner);
            }
            i = j;
        }
        out
    }

    fn leaves(&mut self, items: &[Inline], flow: Flow) -> String {
        let mut out = String::new();
        for i in items {
            match i {
                Inline::Text { text, .. } => {
                    let t = collapse_ws(text);
                    let t = escape(&t);
                    out.push_str(&if flow == Flow::Cell {
                        t.replace('|', "\\|")
                    } else {
                        t
                    });
                }
                Inline::Break => out.push_str(match flow {
                    Flow::Paragraph => "\\\n",
                    Flow::Heading => " ",
                    Flow::Cell => "<br>",
                }),
                Inline::Note(id) => {
                    if self.notes.contains_key(id) {
                        self.note_order.push(id.clone());
                        self.report.footnotes += 1;
                        let _ = write!(out, "[^{}]", self.note_order.len());
                    }
                }
                Inline::Link { target, content } => {
                    let inner = self.inlines(content, flow);
                    // A link to another file beside the document (as a document made from
                    // several files has) lands on the bookmark its fragment names, if any.
                    let anchor = match target {
                        LinkTarget::Anchor(a) => Some(a.as_str()),
                        LinkTarget::Url(u) => relative(u).map(|(_, f)| f),
                    };
                    let url = match (target, anchor.and_then(|a| self.anchors.get(a))) {
                        (_, Some((ch, id))) if *ch == self.chapter => format!("#{id}"),
                        (_, Some((ch, id))) => format!("{}#{id}", self.chapter_files[*ch]),
                        (LinkTarget::Url(u), None) if relative(u).is_none() && !is_local(u) => {
                            u.clone()
                        }
                        (target, None) => {
                            let what = match target {
                                LinkTarget::Url(u) => u.as_str(),
                                LinkTarget::Anchor(a) => a.as_str(),
                            };
                            let file = &self.chapter_files[self.chapter];
                            self.warnings.push(format!(
                                "src/{file}: the link «{}» points to {what}, which is not in this document; its text was kept without the link",
                                plain_text(content)
                            ));
                            String::new()
                        }
                    };
                    if url.is_empty() || inner.trim().is_empty() {
                        out.push_str(&inner);
                    } else {
                        let url = if url.contains([' ', '(', ')', '<', '>']) {
                            format!("<{}>", url.replace('<', "%3C").replace('>', "%3E"))
                        } else {
                            url
                        };
                        let _ = write!(out, "[{}]({url})", inner.trim());
                    }
                }
                Inline::Image { index, alt, .. } => {
                    let file = self.image_file(*index, "a table cell");
                    self.report.images += 1;
                    let _ = write!(out, "![{}]({file})", escape(alt));
                }
                Inline::Math { latex, display } => {
                    self.report.equations += 1;
                    if *display {
                        let _ = write!(out, "$${latex}$$");
                    } else {
                        let _ = write!(out, "${}$", latex.trim());
                    }
                }
                Inline::Anchor(a) => {
                    if let Some((_, id)) = self.anchors.get(a)
                        && flow != Flow::Heading
                    {
                        let _ = write!(out, "<span id=\"{id}\"></span>");
                    }
                }
            }
        }
        out
    }
}

/// A link to a file beside the document (no scheme, not absolute): its path and fragment.
fn relative(url: &str) -> Option<(&str, &str)> {
    if !is_local(url) {
        return None;
    }
    let (path, fragment) = url.split_once('#')?;
    (!fragment.is_empty()).then_some((path, fragment))
}

/// Whether a link target is a file path rather than a web address.
fn is_local(url: &str) -> bool {
    let scheme = url
        .split_once(':')
        .map(|(s, _)| {
            !s.is_empty()
                && s.len() > 1
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
        })
        .unwrap_or(false);
    !url.is_empty() && !scheme && !url.starts_with("//")
}

fn pick(fmt: &Fmt, level: usize) -> bool {
    match level {
        0 => fmt.bold,
        1 => fmt.italic,
        2 => fmt.strike,
        3 => fmt.sup,
        4 => fmt.sub,
        _ => fmt.code,
    }
}

/// Markdown's delimiters where they will be read as such; HTML where Markdown's rules for
/// delimiters next to punctuation would fail.
fn wrap(core: &str, level: usize, prev: Option<char>) -> String {
    // Delimiters of formatting nested inside do not count as the text's first or last character.
    let text = core.trim_matches(['*', '~']);
    let first = text.chars().next().unwrap_or(' ');
    let last = text.chars().last().unwrap_or(' ');
    let punct = |c: char| !c.is_alphanumeric() && !c.is_whitespace();
    let after_delim = prev.is_some_and(|c| matches!(c, '*' | '~' | '_'));
    let html = punct(first) || punct(last) || after_delim;
    let (md, tag) = match level {
        0 => ("**", "strong"),
        1 => ("*", "em"),
        2 => ("~~", "del"),
        3 => ("", "sup"),
        _ => ("", "sub"),
    };
    if md.is_empty() || html {
        format!("<{tag}>{core}</{tag}>")
    } else {
        format!("{md}{core}{md}")
    }
}

fn split_ws(s: &str) -> (&str, &str, &str) {
    let trimmed_start = s.trim_start_matches([' ', '\n']);
    let lead = &s[..s.len() - trimmed_start.len()];
    let core = trimmed_start.trim_end_matches([' ', '\n']);
    let trail = &trimmed_start[core.len()..];
    (lead, core, trail)
}

fn has_letters(t: &str) -> bool {
    t.chars().any(char::is_alphabetic)
}

fn collapse_ws(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    let mut space = false;
    for c in t.chars() {
        if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
            if !space {
                out.push(' ');
            }
            space = true;
        } else {
            out.push(c);
            space = false;
        }
    }
    out
}

/// Text as Markdown reads it back: its special characters escaped.
fn escape(t: &str) -> String {
    let mut out = String::with_capacity(t.len() + 8);
    let chars: Vec<char> = t.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '$' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '&' if chars
                .get(i + 1)
                .is_some_and(|n| n.is_ascii_alphanumeric() || *n == '#') =>
            {
                out.push_str("\\&");
            }
            _ => out.push(c),
        }
    }
    out
}

/// Escapes what would start a heading, list, quote, block or rule at the start of a line.
fn escape_line_starts(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (k, line) in text.split('\n').enumerate() {
        if k > 0 {
            out.push('\n');
        }
        let line = line.trim_start();
        let digits = line.chars().take_while(char::is_ascii_digit).count();
        let after = &line[digits..];
        if line.starts_with(['#', '>', '+', '-', '=', ':']) {
            out.push('\\');
            out.push_str(line);
        } else if (1..10).contains(&digits)
            && after.starts_with(['.', ')'])
            && (after.len() == 1 || after[1..].starts_with([' ', '\t']))
        {
            out.push_str(&line[..digits]);
            out.push('\\');
            out.push_str(after);
        } else {
            out.push_str(line);
        }
    }
    out
}

fn quote(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                ">".to_string()
            } else {
                format!("> {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn lone_image(p: &Para) -> bool {
    let mut images = 0;
    for i in &p.inlines {
        match i {
            Inline::Image { .. } => images += 1,
            Inline::Text { text, .. } if text.trim().is_empty() => {}
            Inline::Anchor(_) => {}
            _ => return false,
        }
    }
    images == 1
}

fn unbold(items: &mut [Inline]) {
    for i in items {
        match i {
            Inline::Text { fmt, .. } => fmt.bold = false,
            Inline::Link { content, .. } => unbold(content),
            _ => {}
        }
    }
}

fn raw_text(items: &[Inline]) -> String {
    let mut s = String::new();
    for i in items {
        match i {
            Inline::Text { text, .. } => s.push_str(text),
            Inline::Break => s.push('\n'),
            Inline::Link { content, .. } => s.push_str(&raw_text(content)),
            _ => {}
        }
    }
    s
}

fn longest_run(s: &str, ch: char) -> usize {
    let mut best = 0;
    let mut n = 0;
    for c in s.chars() {
        if c == ch {
            n += 1;
            best = best.max(n);
        } else {
            n = 0;
        }
    }
    best
}

fn code_span(text: &str) -> String {
    let text = collapse_ws(text);
    if text.trim().is_empty() {
        return text;
    }
    let fence = "`".repeat(longest_run(&text, '`') + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

fn placeholder_svg(name: &str) -> String {
    let name: String = name
        .chars()
        .filter(|c| c.is_alphanumeric() || ".-_ ".contains(*c))
        .collect();
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"480\" height=\"120\" viewBox=\"0 0 480 120\">\
<rect x=\"1\" y=\"1\" width=\"478\" height=\"118\" fill=\"#f4f4f4\" stroke=\"#555555\" stroke-dasharray=\"6 4\"/>\
<text x=\"240\" y=\"55\" font-family=\"sans-serif\" font-size=\"18\" text-anchor=\"middle\" fill=\"#222222\">Picture not converted: {name}</text>\
<text x=\"240\" y=\"85\" font-family=\"sans-serif\" font-size=\"14\" text-anchor=\"middle\" fill=\"#333333\">Export it as PNG or SVG</text></svg>\n"
    )
}

fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn toml_list(items: &[String]) -> String {
    format!(
        "[{}]",
        items
            .iter()
            .map(|s| toml_str(s))
            .collect::<Vec<_>>()
            .join(", ")
    )
}
