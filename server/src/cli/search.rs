//! The search commands of `kitep`: index, search, analyze, detect-lang, eval. Printing only; the
//! work is in the `indexer` crate.

use anyhow::{Context, Result};
use indexer::analyzers::{self, FieldKind};
use indexer::{BuiltBook, Library, SearchRequest, langid};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn index(builds: &[PathBuf], index: &Path, delete: &[String]) -> Result<ExitCode> {
    let library = Library::open(index)
        .with_context(|| format!("opening the index in {}", index.display()))?;
    if library.rebuilt {
        eprintln!(
            "the index had an older schema: it was rebuilt in this kitep's schema, its {} book(s) \
             indexed again from their stored passages",
            library.carried_over
        );
    }
    let bar = indicatif::ProgressBar::new(builds.len() as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}") {
        bar.set_style(style);
    }
    let mut writer = library.writer()?;
    if !delete.is_empty() {
        let searcher = library.reader.searcher();
        let catalog = library.catalog(&searcher)?;
        for slug in delete {
            if !catalog.books.contains_key(slug) {
                anyhow::bail!(
                    "no book '{slug}' in {} (nothing was changed); `kitep search --index {} --json …` lists books with their slugs",
                    index.display(),
                    index.display()
                );
            }
            writer.delete_book(slug);
        }
    }
    let mut passages = 0;
    for dir in builds {
        let book = BuiltBook::load(dir)?;
        bar.set_message(book.record.slug.clone());
        passages += writer.replace_book(&book)?;
        bar.inc(1);
    }
    writer.commit()?;
    bar.finish_and_clear();
    if !delete.is_empty() {
        println!(
            "Removed {} book(s) from {}: {}",
            delete.len(),
            index.display(),
            delete.join(", ")
        );
    }
    if !builds.is_empty() {
        println!(
            "Indexed {} books, {passages} passages into {}",
            builds.len(),
            index.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn search(
    index: &Path,
    lang: Option<String>,
    json: bool,
    filters: &[String],
    (page, sort): (usize, indexer::Sort),
    query: &str,
) -> Result<ExitCode> {
    let library = Library::open_existing(index)?;
    let mut parsed_filters = Vec::new();
    for f in filters {
        let (k, v) = f
            .split_once('=')
            .with_context(|| format!("filter '{f}' must look like name=value (e.g. grade=5)"))?;
        parsed_filters.push((k.trim().to_string(), v.trim().to_string()));
    }
    let req = SearchRequest {
        query: query.to_string(),
        lang,
        filters: parsed_filters,
        page,
        per_page: 10,
        sort,
    };
    let results = indexer::search(&library, &req)?;
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &results)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    for n in &results.notices {
        writeln!(out, "note: {n}")?;
    }
    if results.phrases_loosened {
        writeln!(
            out,
            "No passage has the quoted words in this order; showing passages that have the words."
        )?;
    }
    if let Some(s) = &results.suggestion {
        writeln!(out, "Did you mean «{s}»?")?;
    }
    if let Some(d) = &results.did_you_mean {
        writeln!(
            out,
            "Nothing matched «{query}» as typed; showing results for «{d}»."
        )?;
    }
    if results.books.is_empty() {
        writeln!(
            out,
            "Nothing found for «{query}». Try fewer words, or the word's dictionary form."
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let plus = if results.totals_exact { "" } else { "+" };
    writeln!(out, "{}{plus} books for «{query}»", results.total_books)?;
    for b in &results.books {
        writeln!(
            out,
            "\n{} ({}, {}) score {:.2}",
            b.book.title, b.book.slug, b.book.language, b.score
        )?;
        if let Some(e) = &b.edition_of {
            writeln!(
                out,
                "  another language edition of the same work; the match is in {} ({}, {}):",
                e.title, e.slug, e.language
            )?;
        }
        for p in &b.passages {
            let snippet = p.snippet.replace("<mark>", "[").replace("</mark>", "]");
            writeln!(
                out,
                "  {}#{}  {}\n    {}",
                p.chapter,
                p.anchor,
                p.heading,
                unescape(&snippet)
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn suggest(index: &Path, prefix: &str) -> Result<ExitCode> {
    let library = Library::open_existing(index)?;
    for word in indexer::vocabulary::suggest(&library, prefix, 10)? {
        println!("{word}");
    }
    Ok(ExitCode::SUCCESS)
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Lines of stdin as text; invalid UTF-8 is replaced rather than refused, so every line gets an answer.
fn stdin_lines() -> impl Iterator<Item = String> {
    std::io::stdin()
        .lock()
        .split(b'\n')
        .map_while(|l| l.ok())
        .map(|bytes| {
            let s = String::from_utf8_lossy(&bytes).into_owned();
            s.strip_suffix('\r').map(str::to_string).unwrap_or(s)
        })
}

pub fn analyze(lang: &str) -> Result<ExitCode> {
    let kind = FieldKind::stemmed(lang);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in stdin_lines() {
        writeln!(out, "{}", analyzers::terms(kind, &line).join(" "))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// One language code per line of stdin: the language (`uz`), or with `script` the full tag
/// (`uz-Latn` for Uzbek in Latin letters).
pub fn detect_lang(script: bool) -> Result<ExitCode> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in stdin_lines() {
        let lang = langid::detect(&line).lang;
        let code = if script {
            lang
        } else {
            analyzers::primary(lang)
        };
        writeln!(out, "{code}")?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn eval_retrieval(
    lang: &str,
    docs: &Path,
    queries: &Path,
    qrels: &Path,
    run: Option<&Path>,
    pack: bool,
) -> Result<ExitCode> {
    let metrics = indexer::eval::retrieval(lang, docs, queries, qrels, run)?;
    let packed = if pack {
        Some(pack_metrics(lang, docs, queries, qrels)?)
    } else {
        None
    };
    print!(
        "{:<14} {:>7} {:>10} {:>8} {:>8}",
        "variant", "queries", "Recall@10", "MRR@10", "nDCG@10"
    );
    if packed.is_some() {
        print!(" {:>12} {:>9}", "pack R@10", "of portal");
    }
    println!();
    for (variant, m) in &metrics {
        print!(
            "{variant:<14} {:>7} {:>10.3} {:>8.3} {:>8.3}",
            m.queries, m.recall_at_10, m.mrr_at_10, m.ndcg_at_10
        );
        if let Some(p) = packed.as_ref().and_then(|p| p.get(variant)) {
            print!(
                " {:>12.3} {:>8.1} %",
                p.recall_at_10,
                100.0 * p.recall_at_10 / m.recall_at_10.max(1e-9)
            );
        }
        println!();
    }
    Ok(ExitCode::SUCCESS)
}

/// The static site's search (`search.js`, run by Node) on the collection: its index built as
/// `kitep export pack` builds it, one passage per document.
fn pack_metrics(
    lang: &str,
    docs: &Path,
    queries: &Path,
    qrels: &Path,
) -> Result<std::collections::BTreeMap<String, indexer::eval::Metrics>> {
    use indexer::static_index::{StaticBook, StaticPassage};
    let c = indexer::eval::load(docs, queries, qrels)?;
    let books = [StaticBook {
        slug: "eval".into(),
        title: "eval".into(),
        href: String::new(),
    }];
    let passages: Vec<StaticPassage> = c
        .docs
        .iter()
        .map(|(id, text)| StaticPassage {
            book: 0,
            href: id.clone(),
            heading: String::new(),
            lang: lang.to_string(),
            text: text.clone(),
        })
        .collect();
    let dir = TempDir(std::env::temp_dir().join(format!("kitep-eval-pack-{}", std::process::id())));
    for (path, text) in indexer::static_index::build(&books, &passages)? {
        let p = dir.0.join(path);
        std::fs::create_dir_all(p.parent().unwrap_or(&dir.0))?;
        std::fs::write(p, text)?;
    }
    std::fs::write(dir.0.join("search.js"), server::offline::site::SEARCH_JS)?;
    std::fs::write(
        dir.0.join("run-node.js"),
        server::offline::site::RUN_NODE_JS,
    )?;
    let mut child = std::process::Command::new("node")
        .arg(dir.0.join("run-node.js"))
        .arg(&dir.0)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .context("running node (needed for --pack)")?;
    let mut input = String::new();
    for (i, (_, _, text)) in c.queries.iter().enumerate() {
        input.push_str(&format!("{i}\t{}\n", text.replace(['\t', '\n'], " ")));
    }
    let mut stdin = child.stdin.take().context("node's input")?;
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output()?;
    let _ = writer.join();
    if !out.status.success() {
        anyhow::bail!("node failed: {}", out.status);
    }
    let mut rankings = vec![Vec::new(); c.queries.len()];
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let mut parts = line.split('\t');
        let Some(i) = parts.next().and_then(|q| q.parse::<usize>().ok()) else {
            continue;
        };
        if let Some(slot) = rankings.get_mut(i) {
            *slot = parts
                .filter_map(|d| d.parse::<usize>().ok())
                .filter_map(|d| c.docs.get(d).map(|(id, _)| id.clone()))
                .collect();
        }
    }
    Ok(indexer::eval::score(&c, &rankings))
}

/// A folder removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn eval_stemmer(files: &[PathBuf], lang: Option<&str>) -> Result<ExitCode> {
    let paths: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let result = indexer::eval::stemmer(&paths, lang)?;
    println!(
        "{:<10} {:>6} {:>10} {:>8} {:>6}",
        "class", "forms", "precision", "recall", "F1"
    );
    for (class, c) in result {
        println!(
            "{class:<10} {:>6} {:>10.3} {:>8.3} {:>6.3}",
            c.forms, c.precision, c.recall, c.f1
        );
    }
    Ok(ExitCode::SUCCESS)
}
