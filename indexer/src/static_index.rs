//! The search index of a static site (`kitep export pack`, `kitep export zim`): script files a
//! browser loads from `file://` (where `fetch()` does not work), split so that a search loads
//! only the parts its words need.
//!
//! The analysis is the portal's, done here, at export: every word of the passages, its folded
//! spelling (typed without ө ү ң) and its stem become *typed forms*, and each typed form carries
//! the weighted terms the portal's query builder searches it as ([`query::word_terms_for`]). The
//! browser only normalises what was typed (a character table written here), turns Latin letters
//! into Cyrillic (`search.js` follows [`crate::analysis::translit`]), looks the form up, and scores
//! the terms' passages with BM25 as tantivy does.
//!
//! Files, under the site's search folder:
//! - `meta.js`: passage count, mean length, books, the character table;
//! - `f/<shard>.js`: typed forms by the first two letters of their loose spelling:
//!   `{loose: [[form, flags, [key, boost, …]], …]}`;
//! - `k/<shard>.js`: posting lists by the first two letters of the term: `{key: [passage, tf,
//!   length, …]}`;
//! - `d/<n>.js`: the passages, [`DOC_CHUNK`] a file: `[book, href, heading, text]`.

use crate::Result;
use crate::analysis::{fold, normalize};
use crate::analyzers::{self, FieldKind};
use crate::library::Library;
use crate::query;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Passages per `d/` file.
pub const DOC_CHUNK: usize = 64;

/// A typed form that is a word of some passage.
const FORM_WORD: u8 = 1;
/// A typed form that is a stem (a dictionary form a reader may type: `жаз`, `китеп`).
const FORM_STEM: u8 = 2;

pub struct StaticBook {
    pub slug: String,
    pub title: String,
    /// The book's page, relative to the site's root.
    pub href: String,
}

pub struct StaticPassage {
    /// Index into the books.
    pub book: usize,
    /// The passage's place, relative to the site's root (`books/x/html/01.html#anchor`).
    pub href: String,
    pub heading: String,
    pub lang: String,
    pub text: String,
}

/// One letter per field kind: the first character of every key.
fn code(kind: FieldKind) -> char {
    match kind {
        FieldKind::KyText => 't',
        FieldKind::KyStem => 's',
        FieldKind::KyFold => 'f',
        FieldKind::KyLoose => 'l',
        FieldKind::RuText => 'R',
        FieldKind::RuStem => 'r',
        FieldKind::EnStem => 'e',
        FieldKind::KkStem => 'k',
        FieldKind::KkFold => 'K',
        FieldKind::UzStem => 'u',
        FieldKind::UzFold => 'U',
        FieldKind::TgStem => 'g',
        FieldKind::TgFold => 'G',
        FieldKind::Other => 'o',
    }
}

/// The spelling shards are chosen by: folded, then loosened (э→е, ц→тс, ь dropped …).
pub fn loose_key(s: &str) -> String {
    fold::loose(&fold::fold(s))
}

/// The shard of a loose spelling: its first two characters as hexadecimal code points.
pub fn shard(loose: &str) -> String {
    let parts: Vec<String> = loose
        .chars()
        .take(2)
        .map(|c| format!("{:x}", c as u32))
        .collect();
    if parts.is_empty() {
        "_".into()
    } else {
        parts.join("-")
    }
}

/// The language whose query clauses a passage's words get (as `query::languages_for` names them).
fn query_language(lang: &str) -> &'static str {
    match analyzers::primary(lang) {
        "ky" => "ky",
        "ru" => "ru",
        "en" => "en",
        "kk" => "kk",
        "uz" => "uz",
        "tg" => "tg",
        _ => "other",
    }
}

fn script(kind: &str, id: &str, data: &Value) -> String {
    // `</` cannot end a script that is a file, but a page may inline it one day.
    let body = data.to_string().replace("</", "<\\/");
    format!(
        "kitepSearch.add({},{body});\n",
        json!(format!("{kind}/{id}"))
    )
}

/// The index files (path under the search folder, contents).
pub fn build(books: &[StaticBook], passages: &[StaticPassage]) -> Result<Vec<(String, String)>> {
    // The portal's analysis needs an index of these passages: its query builder leaves out
    // terms no passage has and merges clauses by their passage counts.
    let library = Library::in_memory()?;
    {
        let mut w = library.writer()?;
        for (i, p) in passages.iter().enumerate() {
            let book = books.get(p.book).map(|b| b.slug.as_str()).unwrap_or("");
            w.add_plain(book, &i.to_string(), &p.lang, &p.text)?;
        }
        w.commit()?;
    }
    library.reader.reload()?;
    let searcher = library.reader.searcher();

    let mut postings: HashMap<String, Vec<(u32, u32)>> = HashMap::new();
    let mut lengths = Vec::with_capacity(passages.len());
    let mut typed: BTreeMap<String, (u8, BTreeSet<&'static str>)> = BTreeMap::new();
    let mut stems = Vec::new();
    for (i, p) in passages.iter().enumerate() {
        let (norm, spans) = analyzers::words(FieldKind::Other, &p.text);
        lengths.push(spans.len().max(1) as u32);
        let lang = query_language(&p.lang);
        for kind in FieldKind::for_language(&p.lang) {
            if *kind == FieldKind::KyLoose {
                continue;
            }
            let mut counts: HashMap<String, u32> = HashMap::new();
            for term in analyzers::terms(*kind, &p.text) {
                *counts.entry(format!("{}{term}", code(*kind))).or_default() += 1;
            }
            for (key, tf) in counts {
                postings.entry(key).or_default().push((i as u32, tf));
            }
        }
        let mut add = |form: String, flag: u8| {
            let e = typed.entry(form).or_default();
            e.0 |= flag;
            e.1.insert(lang);
        };
        for &(s, e) in &spans {
            let w = norm[s..e].to_lowercase();
            if w.chars().count() > 64 {
                continue;
            }
            // Stems, as a reader types a dictionary form the text may not have (a verb's root,
            // a Russian noun's nominative): the longest one a typed word starts with stands for it.
            let stemmed = FieldKind::stemmed(&p.lang);
            if stemmed != FieldKind::Other {
                stems.clear();
                analyzers::word_terms(stemmed, &w, &mut stems);
                for stem in stems.drain(..) {
                    if lang != "ru" && fold::needs_fold(&stem) {
                        add(fold::fold(&stem), FORM_STEM);
                    }
                    add(stem, FORM_STEM);
                }
            }
            if lang != "ru" && fold::needs_fold(&w) {
                add(fold::fold(&w), FORM_WORD);
            }
            add(w, FORM_WORD);
        }
    }

    // Each typed form with the portal's weighted terms for it, grouped by shard.
    let mut forms: BTreeMap<String, BTreeMap<String, Vec<Value>>> = BTreeMap::new();
    for (form, (flags, langs)) in &typed {
        let langs: Vec<&str> = langs.iter().copied().collect();
        let mut terms = Vec::new();
        for (kind, term, boost) in query::word_terms_for(&searcher, &library.fields, form, &langs) {
            let key = format!("{}{term}", code(kind));
            if postings.contains_key(&key) {
                terms.push(json!(key));
                terms.push(json!((boost * 1000.0).round() / 1000.0));
            }
        }
        if terms.is_empty() {
            continue;
        }
        let loose = loose_key(form);
        forms
            .entry(shard(&loose))
            .or_default()
            .entry(loose)
            .or_default()
            .push(json!([form, flags, terms]));
    }

    let mut files = Vec::new();
    for (id, entries) in &forms {
        files.push((
            format!("f/{id}.js"),
            script("f", id, &serde_json::to_value(entries).unwrap_or_default()),
        ));
    }
    let mut keys: BTreeMap<String, BTreeMap<&str, Vec<u32>>> = BTreeMap::new();
    for (key, list) in &postings {
        let term: String = key.chars().skip(1).collect();
        let flat = list
            .iter()
            .flat_map(|&(d, tf)| [d, tf, lengths[d as usize]])
            .collect();
        keys.entry(shard(&loose_key(&term)))
            .or_default()
            .insert(key.as_str(), flat);
    }
    for (id, entries) in &keys {
        files.push((
            format!("k/{id}.js"),
            script("k", id, &serde_json::to_value(entries).unwrap_or_default()),
        ));
    }
    for (n, chunk) in passages.chunks(DOC_CHUNK).enumerate() {
        let docs: Vec<Value> = chunk
            .iter()
            .map(|p| json!([p.book, p.href, p.heading, p.text]))
            .collect();
        files.push((
            format!("d/{n}.js"),
            script("d", &n.to_string(), &json!(docs)),
        ));
    }
    let total: u64 = lengths.iter().map(|&l| u64::from(l)).sum();
    let meta = json!({
        "version": 1,
        "docs": passages.len(),
        "avgdl": total as f64 / passages.len().max(1) as f64,
        "chunk": DOC_CHUNK,
        "books": books.iter().map(|b| json!([b.slug, b.title, b.href])).collect::<Vec<_>>(),
        "map": char_table(),
        // The shards there are: a word no shard holds is known to be absent without a request.
        "f": forms.keys().collect::<Vec<_>>(),
        "k": keys.keys().collect::<Vec<_>>(),
        "twins": twin_table(),
    });
    files.push(("meta/0.js".into(), script("meta", "0", &meta)));
    Ok(files)
}

/// What the browser replaces each character by to get a loose spelling (only those that change).
fn char_table() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let ranges = [('\u{0400}', '\u{052F}'), ('\u{00C0}', '\u{024F}')];
    for (a, b) in ranges {
        for c in a..=b {
            let lower: String = c.to_lowercase().collect();
            let l = loose_key(&lower);
            if l != c.to_string() {
                out.insert(c.to_string(), l);
            }
        }
    }
    out
}

/// Latin look-alikes read as Cyrillic inside Cyrillic words (the normaliser's table).
fn twin_table() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for c in ('A'..='Z').chain('a'..='z').chain(['Ə', 'ə']) {
        if let Some(t) = normalize::cyrillic_twin(c) {
            out.insert(c.to_string(), t.to_lowercase().collect());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passage(book: usize, lang: &str, text: &str) -> StaticPassage {
        StaticPassage {
            book,
            href: format!("p{book}.html"),
            heading: String::new(),
            lang: lang.into(),
            text: text.into(),
        }
    }

    fn files(p: &[StaticPassage]) -> BTreeMap<String, String> {
        let books = vec![StaticBook {
            slug: "b".into(),
            title: "B".into(),
            href: "b.html".into(),
        }];
        build(&books, p).unwrap().into_iter().collect()
    }

    #[test]
    fn a_folded_spelling_reaches_the_words_terms() {
        let f = files(&[passage(0, "ky", "Өлкөнүн тарыхы жөнүндө китептер.")]);
        let loose = loose_key("өлкөнүн");
        let shard_file = &f[&format!("f/{}.js", shard(&loose))];
        // The form typed without ө ү ң is there, with the stem's key among its terms.
        assert!(shard_file.contains("\"олконун\""), "{shard_file}");
        let stem = crate::analysis::kyrgyz::stem("өлкөнүн");
        assert!(shard_file.contains(&format!("\"s{stem}\"")));
        assert!(f.keys().any(|k| k.starts_with("k/")));
        assert!(f["meta/0.js"].contains("\"docs\":1"));
    }

    #[test]
    fn shards_are_hex_code_points() {
        assert_eq!(shard("китеп"), "43a-438");
        assert_eq!(shard("a"), "61");
        assert_eq!(shard(""), "_");
    }

    #[test]
    fn passages_are_split_into_chunks() {
        let many: Vec<StaticPassage> = (0..DOC_CHUNK + 1)
            .map(|i| passage(0, "en", &format!("word{i} river")))
            .collect();
        let f = files(&many);
        assert!(f.contains_key("d/0.js") && f.contains_key("d/1.js"));
        assert!(!f.contains_key("d/2.js"));
    }
}
