//! A whole book compiled: every chapter, links between them resolved and checked, answers
//! gathered, output file names chosen. Renderers (EPUB, HTML reader, passages) start from here.

use crate::doc::{Element, Node, xml_id};
use crate::labels::{Label, label};
use crate::markdown::{self, Answer, ChapterInput, CompiledChapter, GlossaryEntry, HeadingInfo};
use crate::url::{self, UrlKind};
use corpus::config::AnswersPlacement;
use corpus::{BookProject, Diagnostic, TocEntry, TocKind, slug};
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone)]
pub struct CompiledBook {
    pub slug: String,
    pub title: String,
    pub lang: String,
    pub config: corpus::BookConfig,
    pub chapters: Vec<CompiledChapter>,
    /// Output base name of each chapter (`01-intro` → `01-intro.xhtml`, `01-intro.html`).
    pub names: Vec<String>,
    /// The contents: entries point into `chapters`.
    pub toc: Vec<TocEntry>,
    /// Book-relative paths of every image used, cover included, in first-use order.
    pub assets: Vec<String>,
    /// Book-relative path of the author's cover image, if any.
    pub cover: Option<String>,
    pub uses_placeholder: bool,
    /// Some image is missing: the "missing" placeholder is needed.
    pub uses_missing: bool,
    pub glossary: Vec<GlossaryEntry>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Why a book could not be compiled at all.
#[derive(Debug, Clone)]
pub struct BuildFailed(pub Vec<Diagnostic>);

impl std::fmt::Display for BuildFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for d in &self.0 {
            writeln!(f, "{d}")?;
        }
        Ok(())
    }
}

impl CompiledBook {
    pub fn words(&self) -> usize {
        self.chapters.iter().map(|c| c.words).sum()
    }

    pub fn has_math(&self) -> bool {
        self.chapters.iter().any(|c| c.has_math)
    }

    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub fn warnings(&self) -> usize {
        self.diagnostics.len() - self.errors()
    }
}

/// Chapters compiled earlier, kept by a long-running author's tool (`kitep preview`) so that a
/// rebuild compiles only the chapters whose text (or whose images' presence) changed. An entry is
/// used only when its chapter's text, place and language are the same and every file it looked
/// for is still there (or still missing).
#[derive(Default)]
pub struct ChapterMemo {
    entries: std::sync::Mutex<HashMap<u64, MemoEntry>>,
    hits: std::sync::atomic::AtomicUsize,
}

struct MemoEntry {
    looked_up: Vec<(String, bool)>,
    result: Result<CompiledChapter, markdown::Refused>,
    used: bool,
}

impl std::fmt::Debug for ChapterMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChapterMemo")
    }
}

impl ChapterMemo {
    /// Chapters taken from the memo in the last compile.
    pub fn hits(&self) -> usize {
        self.hits.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn key(input: &ChapterInput<'_>) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (
            input.index,
            input.path,
            input.file,
            input.text,
            input.lang,
            input.dir,
            input.title_hint,
        )
            .hash(&mut h);
        h.finish()
    }

    fn compile(&self, input: &ChapterInput<'_>) -> Result<CompiledChapter, markdown::Refused> {
        let key = Self::key(input);
        if let Ok(mut entries) = self.entries.lock()
            && let Some(e) = entries.get_mut(&key)
            && e.looked_up.iter().all(|(p, was)| (input.exists)(p) == *was)
        {
            e.used = true;
            self.hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return e.result.clone();
        }
        let looked_up = std::sync::Mutex::new(Vec::new());
        let recording = |p: &str| {
            let found = (input.exists)(p);
            if let Ok(mut l) = looked_up.lock() {
                l.push((p.to_string(), found));
            }
            found
        };
        let result = markdown::compile_chapter(&ChapterInput {
            exists: &recording,
            ..*input
        });
        if let Ok(mut entries) = self.entries.lock() {
            entries.insert(
                key,
                MemoEntry {
                    looked_up: looked_up.into_inner().unwrap_or_default(),
                    result: result.clone(),
                    used: true,
                },
            );
        }
        result
    }

    /// Starts a compile: entries not used by it are dropped at its end.
    fn begin(&self) {
        self.hits.store(0, std::sync::atomic::Ordering::Relaxed);
        if let Ok(mut entries) = self.entries.lock() {
            entries.values_mut().for_each(|e| e.used = false);
        }
    }

    fn end(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, e| e.used);
        }
    }
}

/// Compiles a loaded book. `exists` tells whether a book-relative path is a file.
/// Fails when the book cannot be read (its load errors) or a chapter is refused by a limit;
/// anything else is mended and reported.
pub fn compile(
    project: &BookProject,
    exists: &(dyn Fn(&str) -> bool + Sync),
) -> Result<CompiledBook, BuildFailed> {
    compile_memo(project, exists, None)
}

/// [`compile`], taking unchanged chapters from `memo` and adding the others to it.
pub fn compile_memo(
    project: &BookProject,
    exists: &(dyn Fn(&str) -> bool + Sync),
    memo: Option<&ChapterMemo>,
) -> Result<CompiledBook, BuildFailed> {
    if let Some(m) = memo {
        m.begin();
    }
    let load_failed = project.diagnostics.iter().any(|d| d.is_error());
    let lang = project.language();
    let mut diagnostics: Vec<Diagnostic> = project.diagnostics.clone();
    let mut chapters = Vec::with_capacity(project.chapters.len());
    let mut refused = Vec::new();
    let indexed: Vec<(usize, &corpus::ChapterSource)> =
        project.chapters.iter().enumerate().collect();
    // Chapters are parsed on their own, so they compile in parallel.
    let results = crate::par::map(&indexed, |(index, ch)| {
        let dir = project.in_src(ch.path.rsplit_once('/').map(|(d, _)| d).unwrap_or(""));
        let dir = dir.trim_end_matches('/').to_string();
        let input = ChapterInput {
            index: *index,
            path: &ch.path,
            file: &ch.file,
            text: &ch.text,
            lines: &ch.lines,
            lang: &lang,
            dir: &dir,
            exists,
            title_hint: ch.title.as_deref(),
        };
        match memo {
            Some(m) => m.compile(&input),
            None => markdown::compile_chapter(&input),
        }
    });
    if let Some(m) = memo {
        m.end();
    }
    for (result, ch) in results.into_iter().zip(&project.chapters) {
        match result {
            Ok(mut c) => {
                c.number = ch.number.clone();
                diagnostics.append(&mut c.diagnostics);
                chapters.push(c);
            }
            Err(markdown::Refused(d)) => refused.push(d),
        }
    }
    // A book that could not be read whole is not built; every problem found is reported at once.
    if load_failed || !refused.is_empty() {
        diagnostics.extend(refused);
        resolve_links(&mut chapters, &mut diagnostics);
        return Err(BuildFailed(diagnostics));
    }

    let sources: Vec<&str> = project.chapters.iter().map(|c| c.text.as_str()).collect();
    crate::crossref::number_book(&mut chapters, &sources, &lang, &mut diagnostics);
    resolve_links(&mut chapters, &mut diagnostics);
    let placement = project.config.answers.unwrap_or_default();
    let mut toc = project.toc.clone();
    for entry in toc.iter_mut() {
        if let TocKind::Chapter(i) = entry.kind
            && entry.title.is_empty()
        {
            entry.title = chapters[i].title.clone();
        }
    }
    gather_answers(&mut chapters, &mut toc, placement, &lang);

    let names = output_names(&chapters);
    let mut assets: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    let cover = match &project.config.cover {
        Some(c) => match corpus::source::resolve_in_book(&project.src_dir, c) {
            Ok(rel) if exists(&rel) => Some(rel),
            Ok(rel) => {
                diagnostics.push(Diagnostic::error(
                    "book.toml",
                    0,
                    format!(
                        "cover '{c}' not found (looked for {rel}); a cover is generated instead"
                    ),
                ));
                None
            }
            Err(m) => {
                diagnostics.push(Diagnostic::error("book.toml", 0, format!("cover: {m}")));
                None
            }
        },
        None => None,
    };
    for a in cover
        .iter()
        .chain(chapters.iter().flat_map(|c| c.images.iter()))
    {
        if seen.insert(a.clone()) {
            assets.push(a.clone());
        }
    }
    let glossary = chapters
        .iter()
        .flat_map(|c| c.glossary.iter().cloned())
        .collect();
    let uses_placeholder = chapters.iter().any(|c| c.uses_placeholder);
    let uses_missing = chapters.iter().any(|c| c.uses_missing);
    Ok(CompiledBook {
        slug: project.slug.clone(),
        title: project.title(),
        lang,
        config: project.config.clone(),
        chapters,
        names,
        toc,
        assets,
        cover,
        uses_placeholder,
        uses_missing,
        glossary,
        diagnostics,
    })
}

/// Turns `pending:LINE:url` hrefs into `chapter:INDEX#fragment`, checking chapter and fragment.
fn resolve_links(chapters: &mut [CompiledChapter], diags: &mut Vec<Diagnostic>) {
    let by_path: HashMap<String, usize> = chapters
        .iter()
        .enumerate()
        .map(|(i, c)| (c.path.clone(), i))
        .collect();
    let ids: Vec<HashSet<String>> = chapters.iter().map(|c| c.ids.clone()).collect();
    for ch in chapters.iter_mut() {
        let ctx = LinkContext {
            by_path: &by_path,
            ids: &ids,
            chapter: ch.index,
            path: ch.path.clone(),
            file: ch.file.clone(),
        };
        rewrite_links(&mut ch.body, &ctx, diags);
    }
}

struct LinkContext<'a> {
    by_path: &'a HashMap<String, usize>,
    ids: &'a [HashSet<String>],
    chapter: usize,
    path: String,
    file: String,
}

impl LinkContext<'_> {
    /// The resolved href, or None when the link must be removed (its text stays).
    fn resolve(
        &self,
        (line, column): (usize, usize),
        written: &str,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<String> {
        let at = |d: Diagnostic| d.at_column(column);
        let UrlKind::Relative { path, fragment } = url::classify(written) else {
            return None;
        };
        let target = if path.is_empty() {
            Some(self.chapter)
        } else {
            let dir = self.path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
            match corpus::source::resolve_in_book(dir, &path) {
                Ok(rel) => self.find_chapter(&rel),
                Err(m) => {
                    diags.push(at(Diagnostic::error(
                        &self.file,
                        line,
                        format!("link: {m}"),
                    )));
                    return None;
                }
            }
        };
        let Some(target) = target else {
            diags.push(at(Diagnostic::error(
                &self.file,
                line,
                format!("broken link '{written}': no chapter '{path}' in this book"),
            )));
            return None;
        };
        let mut frag = String::new();
        if !fragment.is_empty() {
            let id = xml_id(&fragment);
            if self.ids[target].contains(&id) {
                frag = id;
            } else if self.ids[target].contains(&fragment) {
                frag = fragment.clone();
            } else {
                diags.push(at(Diagnostic::error(
                    &self.file,
                    line,
                    format!("broken link '{written}': no heading or anchor '#{fragment}' there"),
                )));
            }
        }
        Some(format!("chapter:{target}#{frag}"))
    }

    fn find_chapter(&self, rel: &str) -> Option<usize> {
        if let Some(i) = self.by_path.get(rel) {
            return Some(*i);
        }
        let stem = rel
            .strip_suffix(".html")
            .or_else(|| rel.strip_suffix(".xhtml"))
            .unwrap_or(rel);
        let candidates = [
            format!("{stem}.md"),
            stem.replace("index", "README") + ".md",
        ];
        candidates.iter().find_map(|c| self.by_path.get(c).copied())
    }
}

fn rewrite_links(nodes: &mut Vec<Node>, ctx: &LinkContext<'_>, diags: &mut Vec<Diagnostic>) {
    let mut i = 0;
    while i < nodes.len() {
        let mut unwrap = false;
        if let Node::Element(e) = &mut nodes[i] {
            rewrite_links(&mut e.children, ctx, diags);
            if e.name == "a"
                && let Some(href) = e.attr("href").map(str::to_string)
                && let Some(rest) = href.strip_prefix("pending:")
            {
                // `pending:LINE:COLUMN:written`, as the chapter's builder left it.
                let mut parts = rest.splitn(3, ':');
                let (line, column, written) = (parts.next(), parts.next(), parts.next());
                let number = |p: Option<&str>| p.and_then(|n| n.parse().ok()).unwrap_or(0);
                let written = written.unwrap_or(rest);
                match ctx.resolve((number(line), number(column)), written, diags) {
                    Some(h) => e.set_attr("href", h),
                    None => unwrap = true,
                }
            }
        }
        if unwrap {
            let Node::Element(e) = nodes.remove(i) else {
                unreachable!("checked above")
            };
            let n = e.children.len();
            for (k, c) in e.children.into_iter().enumerate() {
                nodes.insert(i + k, c);
            }
            i += n;
        } else {
            i += 1;
        }
    }
}

/// Places exercise answers at the end of each chapter, or in a generated chapter at the end.
fn gather_answers(
    chapters: &mut Vec<CompiledChapter>,
    toc: &mut Vec<TocEntry>,
    placement: AnswersPlacement,
    lang: &str,
) {
    let answers_title = label(lang, Label::Answers).to_string();
    match placement {
        AnswersPlacement::Chapter => {
            for ch in chapters.iter_mut() {
                if ch.answers.is_empty() {
                    continue;
                }
                let answers = std::mem::take(&mut ch.answers);
                let id = unique(&ch.ids, "answers");
                ch.ids.insert(id.clone());
                let mut section = Element::new("section")
                    .with_attr("class", "answers")
                    .with_attr("id", id.clone());
                section
                    .children
                    .push(Element::new("h2").with_text(answers_title.clone()).into());
                section.children.push(
                    answer_list(
                        &answers,
                        lang,
                        |a| format!("#{}", a.exercise_id),
                        |a| format!("answer-{}", a.exercise),
                    )
                    .into(),
                );
                ch.headings.push(HeadingInfo {
                    level: 2,
                    id,
                    text: answers_title.clone(),
                });
                ch.body.push(section.into());
            }
        }
        AnswersPlacement::Book => {
            if chapters.iter().all(|c| c.answers.is_empty()) {
                return;
            }
            let index = chapters.len();
            let mut body = vec![Node::Element(
                Element::new("h1")
                    .with_attr("id", "answers")
                    .with_text(answers_title.clone()),
            )];
            let mut headings = vec![HeadingInfo {
                level: 1,
                id: "answers".into(),
                text: answers_title.clone(),
            }];
            let mut ids: HashSet<String> = HashSet::from(["answers".to_string()]);
            for ch in chapters.iter_mut() {
                if ch.answers.is_empty() {
                    continue;
                }
                let answers = std::mem::take(&mut ch.answers);
                let c = ch.index;
                let hid = format!("answers-{c}");
                ids.insert(hid.clone());
                headings.push(HeadingInfo {
                    level: 2,
                    id: hid.clone(),
                    text: ch.title.clone(),
                });
                body.push(
                    Element::new("h2")
                        .with_attr("id", hid)
                        .with_text(ch.title.clone())
                        .into(),
                );
                body.push(
                    answer_list(
                        &answers,
                        lang,
                        |a| format!("chapter:{c}#{}", a.exercise_id),
                        |a| format!("answer-{c}-{}", a.exercise),
                    )
                    .into(),
                );
                for a in &answers {
                    ids.insert(format!("answer-{c}-{}", a.exercise));
                }
                retarget_answer_links(&mut ch.body, index, c);
            }
            chapters.push(CompiledChapter {
                index,
                path: String::new(),
                file: String::new(),
                title: answers_title.clone(),
                number: None,
                lang: lang.to_string(),
                has_math: body_has_math(&body),
                body,
                ids,
                headings,
                answers: Vec::new(),
                glossary: Vec::new(),
                images: Vec::new(),
                uses_placeholder: false,
                uses_missing: false,
                words: 0,
                diagnostics: Vec::new(),
            });
            toc.push(TocEntry {
                title: answers_title,
                depth: 0,
                kind: TocKind::Chapter(index),
            });
        }
    }
}

fn answer_list(
    answers: &[Answer],
    lang: &str,
    back: impl Fn(&Answer) -> String,
    id: impl Fn(&Answer) -> String,
) -> Element {
    let mut ol = Element::new("ol").with_attr("class", "answer-list");
    for a in answers {
        let mut li = Element::new("li").with_attr("id", id(a));
        li.children.push(
            Element::new("p")
                .with_child(
                    Element::new("a")
                        .with_attr("href", back(a))
                        .with_attr("aria-label", label(lang, Label::BackToExercise))
                        .with_text(format!("{} {}", label(lang, Label::Exercise), a.exercise))
                        .into(),
                )
                .into(),
        );
        li.children.extend(a.body.iter().cloned());
        ol.children.push(li.into());
    }
    ol
}

fn retarget_answer_links(nodes: &mut [Node], answers_chapter: usize, chapter: usize) {
    for n in nodes {
        if let Node::Element(e) = n {
            if e.name == "a"
                && let Some(h) = e
                    .attr("href")
                    .and_then(|h| h.strip_prefix("#answer-"))
                    .map(str::to_string)
            {
                e.set_attr(
                    "href",
                    format!("chapter:{answers_chapter}#answer-{chapter}-{h}"),
                );
            }
            retarget_answer_links(&mut e.children, answers_chapter, chapter);
        }
    }
}

fn body_has_math(nodes: &[Node]) -> bool {
    nodes.iter().any(|n| match n {
        Node::Math(_) => true,
        Node::Element(e) => body_has_math(&e.children),
        Node::Text(_) | Node::Token { .. } => false,
    })
}

fn unique(ids: &HashSet<String>, wanted: &str) -> String {
    if !ids.contains(wanted) {
        return wanted.to_string();
    }
    (1..)
        .map(|n| format!("{wanted}-{n}"))
        .find(|c| !ids.contains(c))
        .expect("some suffix is free")
}

/// File names for chapters: ASCII slugs of their paths, unique, never a name we generate ourselves.
fn output_names(chapters: &[CompiledChapter]) -> Vec<String> {
    let mut used: HashSet<String> = ["index", "nav", "cover", "style", "print", "search"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    chapters
        .iter()
        .map(|c| {
            let base = if c.path.is_empty() {
                "answers".to_string()
            } else {
                slug::slugify(c.path.trim_end_matches(".md"))
            };
            let mut name = base.clone();
            let mut n = 1;
            while used.contains(&name) {
                n += 1;
                name = format!("{base}-{n}");
            }
            used.insert(name.clone());
            name
        })
        .collect()
}
