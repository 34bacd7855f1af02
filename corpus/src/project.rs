//! A book project on disk: `book.toml`, the chapters in reading order (from `SUMMARY.md`, the
//! `chapters` list, or the folder), each read, checked and with its includes expanded.

use crate::config::BookConfig;
use crate::diagnostic::Diagnostic;
use crate::include::{self, LineMap};
use crate::summary::{self, SummaryItem};
use crate::{Error, Result, slug, source};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChapterKind {
    Prefix,
    Numbered,
    Suffix,
}

#[derive(Debug, Clone)]
pub struct ChapterSource {
    /// Path relative to the source folder, `/`-separated: what other chapters link to.
    pub path: String,
    /// Path relative to the book folder, for messages.
    pub file: String,
    /// The title given in `SUMMARY.md`, if any; otherwise the first heading is used.
    pub title: Option<String>,
    /// Section number such as `1.2.` for numbered chapters of an mdBook summary.
    pub number: Option<String>,
    pub depth: usize,
    pub kind: ChapterKind,
    /// The Markdown with includes expanded.
    pub text: String,
    pub lines: LineMap,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TocKind {
    Part,
    /// Index into `BookProject::chapters`.
    Chapter(usize),
    Draft,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TocEntry {
    pub title: String,
    pub depth: usize,
    pub kind: TocKind,
}

/// One line of the contents while it is being read: (path, title, depth, kind, is a part heading).
type PlanItem = (Option<String>, Option<String>, usize, ChapterKind, bool);

#[derive(Debug, Clone)]
pub struct BookProject {
    pub root: PathBuf,
    /// The chapters' folder relative to the root (`src`, or empty for the root itself).
    pub src_dir: String,
    pub config: BookConfig,
    pub slug: String,
    pub toc: Vec<TocEntry>,
    pub chapters: Vec<ChapterSource>,
    /// Problems found while loading (errors included: a chapter that cannot be read is skipped).
    pub diagnostics: Vec<Diagnostic>,
}

impl BookProject {
    /// Loads the book in `root`. Fails only when there is no usable `book.toml`; other problems
    /// become diagnostics so that `kitep check` can list them all at once.
    pub fn load(root: &Path) -> Result<BookProject> {
        let toml_path = root.join("book.toml");
        let text = match std::fs::read(&toml_path) {
            Ok(b) => source::decode_text(&b)
                .map_err(|m| Error::Invalid(Diagnostic::error("book.toml", 0, m)))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::Invalid(Diagnostic::error(
                    "book.toml",
                    0,
                    format!(
                        "no book.toml in {} (is this a book folder? `kitep new DIR` makes one)",
                        root.display()
                    ),
                )));
            }
            Err(e) => return Err(Error::io(&toml_path, e)),
        };
        let (config, mut diagnostics) =
            BookConfig::parse(&text, "book.toml").map_err(Error::Invalid)?;

        let src_dir = match &config.src {
            Some(s) => source::resolve_in_book("", s).map_err(|m| {
                Error::Invalid(Diagnostic::error("book.toml", 0, format!("src: {m}")))
            })?,
            None if root.join("src").is_dir() => "src".to_string(),
            None => String::new(),
        };
        let src_path = source::checked_join(root, &src_dir)
            .map_err(|m| Error::Invalid(Diagnostic::error("book.toml", 0, m)))?;
        if !src_path.is_dir() {
            return Err(Error::Invalid(Diagnostic::error(
                "book.toml",
                0,
                format!("source folder '{src_dir}' does not exist"),
            )));
        }

        let label = |rel: &str| {
            if src_dir.is_empty() {
                rel.to_string()
            } else {
                format!("{src_dir}/{rel}")
            }
        };
        let mut plan: Vec<PlanItem> = Vec::new();
        let summary_path = src_path.join("SUMMARY.md");
        if summary_path.is_file() {
            if config.chapters.is_some() {
                diagnostics.push(Diagnostic::warning(
                    "book.toml",
                    0,
                    "both `chapters` and SUMMARY.md give the order; SUMMARY.md wins",
                ));
            }
            let summary_label = label("SUMMARY.md");
            let text = source::read_text(&summary_path, &summary_label)
                .map_err(|m| Error::Invalid(Diagnostic::error(&summary_label, 0, m)))?;
            let (items, d) = summary::parse(&text, &summary_label);
            diagnostics.extend(d);
            let mut seen_numbered = false;
            for item in items {
                match item {
                    SummaryItem::Part(title) => {
                        plan.push((None, Some(title), 0, ChapterKind::Numbered, true))
                    }
                    SummaryItem::Link {
                        title,
                        path,
                        depth,
                        numbered,
                        ..
                    } => {
                        let kind = if numbered {
                            seen_numbered = true;
                            ChapterKind::Numbered
                        } else if seen_numbered {
                            ChapterKind::Suffix
                        } else {
                            ChapterKind::Prefix
                        };
                        plan.push((path, Some(title), depth, kind, false));
                    }
                }
            }
        } else if let Some(list) = &config.chapters {
            for p in list {
                plan.push((Some(p.clone()), None, 0, ChapterKind::Numbered, false));
            }
        } else {
            let mut files: Vec<String> = std::fs::read_dir(&src_path)
                .map_err(|e| Error::io(&src_path, e))?
                .filter_map(|e| e.ok())
                .filter(|e| e.path().is_file())
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .filter(|n| {
                    n.ends_with(".md") && !n.eq_ignore_ascii_case("README.md") || n == "README.md"
                })
                .collect();
            files.sort();
            // README.md, when present, opens the book.
            if let Some(i) = files.iter().position(|f| f == "README.md") {
                let r = files.remove(i);
                files.insert(0, r);
            }
            for f in files {
                plan.push((Some(f), None, 0, ChapterKind::Numbered, false));
            }
        }

        let listed: Vec<String> = plan.iter().filter_map(|p| p.0.clone()).collect();
        let mut chapters = Vec::new();
        let mut toc = Vec::new();
        let mut counters: Vec<usize> = Vec::new();
        let use_numbers = summary_path.is_file();
        for (path, title, depth, kind, is_part) in plan {
            if is_part {
                toc.push(TocEntry {
                    title: title.unwrap_or_default(),
                    depth: 0,
                    kind: TocKind::Part,
                });
                continue;
            }
            let number = if use_numbers && kind == ChapterKind::Numbered {
                counters.truncate(depth + 1);
                while counters.len() < depth + 1 {
                    counters.push(0);
                }
                counters[depth] += 1;
                Some(counters.iter().map(|n| format!("{n}.")).collect::<String>())
            } else {
                None
            };
            let Some(path) = path else {
                toc.push(TocEntry {
                    title: title.unwrap_or_default(),
                    depth,
                    kind: TocKind::Draft,
                });
                continue;
            };
            let rel = match source::resolve_in_book("", &path) {
                Ok(r) => r,
                Err(m) => {
                    diagnostics.push(Diagnostic::error(label("SUMMARY.md"), 0, m));
                    continue;
                }
            };
            if chapters.iter().any(|c: &ChapterSource| c.path == rel) {
                diagnostics.push(Diagnostic::error(
                    label(&rel),
                    0,
                    "chapter is listed twice in the contents",
                ));
                continue;
            }
            let file = label(&rel);
            let full = match source::checked_join(&src_path, &rel) {
                Ok(p) => p,
                Err(m) => {
                    diagnostics.push(Diagnostic::error(&file, 0, m));
                    continue;
                }
            };
            let text = match source::read_text(&full, &file) {
                Ok(t) => t,
                Err(m) => {
                    let m = m
                        .strip_prefix(&format!("{file}: "))
                        .unwrap_or(&m)
                        .to_string();
                    diagnostics.push(Diagnostic::error(&file, 0, m));
                    continue;
                }
            };
            let (text, lines) = include::expand(&text, &file, root, &mut diagnostics);
            toc.push(TocEntry {
                title: title.clone().unwrap_or_default(),
                depth,
                kind: TocKind::Chapter(chapters.len()),
            });
            chapters.push(ChapterSource {
                path: rel,
                file,
                title,
                number,
                depth,
                kind,
                text,
                lines,
            });
        }
        // A file the contents never name is silently left out: say so, and how to include it.
        let ordered_by = if summary_path.is_file() {
            Some(label("SUMMARY.md"))
        } else if config.chapters.is_some() {
            None
        } else {
            Some(String::new())
        };
        let mut used: std::collections::HashSet<String> = chapters
            .iter()
            .flat_map(|c: &ChapterSource| c.lines.files().map(str::to_string))
            .collect();
        used.extend(
            listed
                .iter()
                .filter_map(|p| source::resolve_in_book("", p).ok().map(|r| label(&r))),
        );
        used.insert(label("SUMMARY.md"));
        for rel in markdown_files(&src_path, !src_dir.is_empty()) {
            let file = label(&rel);
            if used.contains(&file) {
                continue;
            }
            let advice = match &ordered_by {
                Some(summary) if !summary.is_empty() => format!(
                    "{summary} does not list it; add a line such as `- [Title]({rel})` to include it"
                ),
                None => format!(
                    "the `chapters` list in book.toml does not name it; add \"{rel}\" to `chapters` to include it"
                ),
                Some(_) => {
                    "only files directly in the source folder are chapters; move it there, or list \
                     the chapters in book.toml (`chapters = [...]`) to include it"
                        .to_string()
                }
            };
            diagnostics.push(Diagnostic::warning(
                file,
                0,
                format!("this file is not part of the book: {advice}"),
            ));
        }
        if chapters.is_empty() {
            diagnostics.push(Diagnostic::error(
                "book.toml",
                0,
                "the book has no chapters (add .md files or a `chapters` list)",
            ));
        }

        let slug = match &config.slug {
            Some(s) if slug::is_slug(s) => s.clone(),
            Some(s) => {
                diagnostics.push(Diagnostic::error(
                    "book.toml",
                    0,
                    format!("slug '{s}' must be lowercase a-z, 0-9 and '-'"),
                ));
                slug::slugify(s)
            }
            None => {
                let folder = root
                    .canonicalize()
                    .ok()
                    .and_then(|p| p.file_name().and_then(|n| n.to_str()).map(str::to_string));
                match folder {
                    Some(f) if slug::is_slug(&f) => f,
                    _ => slug::slugify(config.title.as_deref().unwrap_or("book")),
                }
            }
        };

        Ok(BookProject {
            root: root.to_path_buf(),
            src_dir,
            config,
            slug,
            toc,
            chapters,
            diagnostics,
        })
    }

    /// The title, or the folder name when `book.toml` has none.
    pub fn title(&self) -> String {
        match &self.config.title {
            Some(t) if !t.trim().is_empty() => t.trim().to_string(),
            _ => self.slug.clone(),
        }
    }

    pub fn language(&self) -> String {
        self.config.language()
    }

    /// A path relative to the source folder, as a book-relative path.
    pub fn in_src(&self, rel: &str) -> String {
        if self.src_dir.is_empty() {
            rel.to_string()
        } else {
            format!("{}/{rel}", self.src_dir)
        }
    }
}

/// Markdown files under the source folder, relative to it and sorted; subfolders only when
/// `recurse` (a book whose sources are its root folder may hold anything else beside them).
/// Hidden folders and symbolic links are skipped, and the walk stops after a few thousand entries.
fn markdown_files(src: &Path, recurse: bool) -> Vec<String> {
    const MAX_ENTRIES: usize = 10_000;
    const MAX_DEPTH: usize = 8;
    let mut found = Vec::new();
    let mut seen = 0;
    let mut todo = vec![(src.to_path_buf(), String::new(), 0usize)];
    while let Some((dir, prefix, depth)) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            seen += 1;
            if seen > MAX_ENTRIES {
                break;
            }
            let Some(name) = e.file_name().to_str().map(str::to_string) else {
                continue;
            };
            let Ok(kind) = e.file_type() else { continue };
            let rel = format!("{prefix}{name}");
            if kind.is_dir() && recurse && depth < MAX_DEPTH && !name.starts_with('.') {
                todo.push((e.path(), format!("{rel}/"), depth + 1));
            } else if kind.is_file() && name.ends_with(".md") {
                found.push(rel);
            }
        }
    }
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn loads_chapters_in_listed_order() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "book.toml",
            "[book]\ntitle = \"Китеп\"\nlanguage = \"ky\"\nchapters = [\"b.md\", \"a.md\"]\n",
        );
        write(d.path(), "src/a.md", "# A\n");
        write(d.path(), "src/b.md", "# B\n");
        let b = BookProject::load(d.path()).unwrap();
        let paths: Vec<&str> = b.chapters.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, ["b.md", "a.md"]);
        assert_eq!(b.chapters[0].file, "src/b.md");
        assert!(b.diagnostics.is_empty(), "{:?}", b.diagnostics);
    }

    #[test]
    fn mdbook_summary_numbers_chapters() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "book.toml",
            "[book]\ntitle = \"T\"\nlanguage = \"en\"\n[output.html]\n",
        );
        write(
            d.path(),
            "src/SUMMARY.md",
            "# Summary\n[Intro](intro.md)\n# Part\n- [One](one.md)\n  - [Sub](sub.md)\n- [Soon]()\n",
        );
        for f in ["intro", "one", "sub"] {
            write(d.path(), &format!("src/{f}.md"), "text\n");
        }
        let b = BookProject::load(d.path()).unwrap();
        let nums: Vec<Option<&str>> = b.chapters.iter().map(|c| c.number.as_deref()).collect();
        assert_eq!(nums, [None, Some("1."), Some("1.1.")]);
        assert_eq!(b.toc.len(), 5);
        assert_eq!(b.toc[1].kind, TocKind::Part);
        assert_eq!(b.toc[4].kind, TocKind::Draft);
    }

    #[test]
    fn unreadable_chapters_are_reported_with_their_file() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "book.toml",
            "[book]\ntitle = \"T\"\nlanguage = \"ru\"\nchapters = [\"ok.md\", \"bad.md\", \"gone.md\", \"../../x.md\"]\n",
        );
        write(d.path(), "src/ok.md", "# ok\n");
        std::fs::write(d.path().join("src/bad.md"), b"# bad \xff\n").unwrap();
        let b = BookProject::load(d.path()).unwrap();
        let msgs: Vec<String> = b.diagnostics.iter().map(|d| d.to_string()).collect();
        assert!(
            msgs.iter().any(|m| m
                == "src/bad.md: error: invalid UTF-8 at byte 6 (line 1); save the file as UTF-8"),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|m| m == "src/gone.md: error: file not found"),
            "{msgs:?}"
        );
        assert!(
            msgs.iter().any(|m| m.contains("escapes the book folder")),
            "{msgs:?}"
        );
        assert_eq!(b.chapters.len(), 1);
    }

    #[test]
    fn missing_book_toml_says_what_to_do() {
        let d = tempfile::tempdir().unwrap();
        let e = BookProject::load(d.path()).unwrap_err().to_string();
        assert!(e.contains("no book.toml") && e.contains("kitep new"), "{e}");
    }
}
