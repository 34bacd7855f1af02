//! Plain-text passages for search: one per heading-delimited section, with where it lives and its language.

use crate::book::CompiledBook;
use crate::doc::Node;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Passage {
    pub book: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub work: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edition: Option<String>,
    /// The chapter's output name (`01-intro`: `01-intro.html`, `01-intro.xhtml`).
    pub chapter: String,
    pub chapter_index: usize,
    pub chapter_title: String,
    /// The section's heading id, empty for text before the first heading.
    pub anchor: String,
    pub heading_path: Vec<String>,
    /// The language most of the passage is written in (marked spans count for their language).
    pub lang: String,
    pub text: String,
}

pub fn passages(book: &CompiledBook) -> Vec<Passage> {
    let mut out = Vec::new();
    for (i, ch) in book.chapters.iter().enumerate() {
        let mut path: Vec<(u8, String)> = Vec::new();
        let mut current = Section::new(String::new());
        let flush = |current: &mut Section, path: &[(u8, String)], out: &mut Vec<Passage>| {
            let text = current.text.trim().to_string();
            if text.is_empty() {
                return;
            }
            let lang = current
                .lang_counts
                .iter()
                .max_by_key(|(_, n)| **n)
                .map(|(l, _)| l.clone())
                .unwrap_or_else(|| ch.lang.clone());
            out.push(Passage {
                book: book.slug.clone(),
                work: book.config.work.clone(),
                edition: book.config.edition.clone(),
                chapter: book.names[i].clone(),
                chapter_index: i,
                chapter_title: ch.title.clone(),
                anchor: current.anchor.clone(),
                heading_path: path.iter().map(|(_, t)| t.clone()).collect(),
                lang,
                text,
            });
        };
        // Only listed headings start a passage: past the chapter's listing limit, a heading's
        // text joins the passage it is in (a passage per heading would be unbounded output).
        let listed: std::collections::HashSet<&str> =
            ch.headings.iter().map(|h| h.id.as_str()).collect();
        for node in &ch.body {
            if let Node::Element(e) = node
                && let Some(level) = heading_level(e.name)
                && e.attr("id").is_some_and(|id| listed.contains(id))
            {
                flush(&mut current, &path, &mut out);
                while path.last().is_some_and(|(l, _)| *l >= level) {
                    path.pop();
                }
                let title = e.text().trim().to_string();
                path.push((level, title.clone()));
                current = Section::new(e.attr("id").unwrap_or("").to_string());
                current.add(std::slice::from_ref(node), &ch.lang);
                continue;
            }
            current.add(std::slice::from_ref(node), &ch.lang);
        }
        flush(&mut current, &path, &mut out);
    }
    out
}

fn heading_level(name: &str) -> Option<u8> {
    match name {
        "h1" => Some(1),
        "h2" => Some(2),
        "h3" => Some(3),
        "h4" => Some(4),
        "h5" => Some(5),
        "h6" => Some(6),
        _ => None,
    }
}

struct Section {
    anchor: String,
    text: String,
    lang_counts: HashMap<String, usize>,
}

impl Section {
    fn new(anchor: String) -> Self {
        Section {
            anchor,
            text: String::new(),
            lang_counts: HashMap::new(),
        }
    }

    /// Appends `t` with runs of white space collapsed; returns how many other characters it had.
    fn push_text(&mut self, t: &str) -> usize {
        let mut last_space = self.text.ends_with([' ', '\n']) || self.text.is_empty();
        let mut count = 0;
        for c in t.chars() {
            if c.is_whitespace() {
                if !last_space {
                    self.text.push(' ');
                    last_space = true;
                }
            } else {
                self.text.push(c);
                last_space = false;
                count += 1;
            }
        }
        count
    }

    fn add(&mut self, nodes: &[Node], lang: &str) {
        for n in nodes {
            match n {
                Node::Text(t) => {
                    let count = self.push_text(t);
                    *self.lang_counts.entry(lang.to_string()).or_default() += count;
                }
                // A formula reads as its text (`1/2`, `x^2`); it counts for no language.
                Node::Math(m) => {
                    self.push_text(m.text());
                }
                Node::Token { text, .. } => {
                    self.push_text(text);
                }
                Node::Element(e) => {
                    if e.attr("aria-hidden") == Some("true")
                        || matches!(e.attr("class"), Some("task" | "noteref" | "note-number"))
                        || e.attr("role") == Some("doc-backlink")
                    {
                        // Note markers and numbers would glue digits to words ("аталат1").
                        continue;
                    }
                    let inner_lang = e.attr("lang").unwrap_or(lang).to_string();
                    let block = matches!(
                        e.name,
                        "p" | "li"
                            | "h1"
                            | "h2"
                            | "h3"
                            | "h4"
                            | "h5"
                            | "h6"
                            | "dt"
                            | "dd"
                            | "tr"
                            | "div"
                            | "figcaption"
                            | "pre"
                            | "blockquote"
                            | "section"
                            | "td"
                            | "th"
                    );
                    if block && !self.text.is_empty() && !self.text.ends_with([' ', '\n']) {
                        self.text.push(' ');
                    }
                    self.add(&e.children, &inner_lang);
                    if block && !self.text.ends_with([' ', '\n']) {
                        self.text.push(' ');
                    }
                }
            }
        }
    }
}

/// One JSON object per line.
pub fn to_jsonl(passages: &[Passage]) -> String {
    let mut s = String::new();
    for p in passages {
        s.push_str(&serde_json::to_string(p).expect("passages serialise"));
        s.push('\n');
    }
    s
}
