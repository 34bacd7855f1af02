//! Running a search: passages scored, grouped by book with their best passages, highlighted
//! snippets, facet counts over the matching books, filters, sorting and paging.

use crate::analyzers::{self, FieldKind};
use crate::library::{BookRecord, Catalog, Library, SegmentNames};
use crate::query::{self, ParsedQuery};
use crate::{Result, langid};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use serde::Serialize;
use std::collections::BTreeMap;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{Facet, IndexRecordOption, Value};
use tantivy::{DocAddress, TantivyDocument, Term};

/// On a large index, the page's books are found by [`TopBooks`], which lets tantivy skip every
/// passage that cannot change them (block-max WAND against the last wanted book's score); their
/// best passages are then read exactly, from those books only ([`best_passages`]).
/// Up to this many documents, a search groups every matching passage by book, so the number of
/// books, the facet counts and the pages are exact. A larger index groups the best candidate
/// passages, and its totals are a lower bound once that many passages match.
const EXACT_GROUPING_DOCS: u64 = 100_000;
pub const MAX_PER_PAGE: usize = 50;
/// The deepest page of results anyone is offered (the portal, the API and the index agree).
pub const MAX_PAGE: usize = 50;
const PASSAGES_PER_BOOK: usize = 3;
const SNIPPET_CHARS: usize = 220;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    #[default]
    Relevance,
    /// By title in alphabet order (ң after н, ө after о, ү after у; Kazakh letters likewise).
    Title,
    /// Newest first; books without a year last.
    Date,
}

impl Sort {
    /// The orders' names, as the API's contract lists them.
    pub const NAMES: [&'static str; 3] = ["relevance", "title", "date"];

    /// `relevance`, `title` or `date` (leniently: any case, `year`, or nothing for relevance).
    pub fn parse(s: &str) -> Option<Sort> {
        match s.trim().to_ascii_lowercase().as_str() {
            "relevance" | "" => Some(Sort::Relevance),
            "title" => Some(Sort::Title),
            "date" | "year" => Some(Sort::Date),
            _ => None,
        }
    }
}

/// A sort key that puts titles in the order of the Kyrgyz (and Kazakh, Russian) alphabet:
/// each letter of the region that Unicode places after я sorts right after its base letter.
pub fn title_key(title: &str) -> Vec<u32> {
    title
        .chars()
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric() || c.is_whitespace())
        .map(|c| {
            let after = |base: char| base as u32 * 4 + 1;
            match c {
                'ё' => after('е'),
                'ә' => after('а'),
                'ғ' => after('г'),
                'қ' => after('к'),
                'ң' => after('н'),
                'ө' => after('о'),
                'ұ' => after('у'),
                'ү' => after('у') + 1,
                'һ' => after('х'),
                'і' => after('ы'),
                c => c as u32 * 4,
            }
        })
        .collect()
}

#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub query: String,
    /// The query's language; detected when None (and all languages are searched if unsure).
    pub lang: Option<String>,
    /// Facet filters such as ("grade", "5"), ("lang", "ky").
    pub filters: Vec<(String, String)>,
    pub sort: Sort,
    /// 1-based.
    pub page: usize,
    pub per_page: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct PassageHit {
    pub chapter: String,
    pub chapter_index: u64,
    pub chapter_title: String,
    pub anchor: String,
    pub heading: String,
    /// HTML: escaped text with `<mark>` around matching words.
    pub snippet: String,
    pub score: f32,
}

#[derive(Debug, Clone, Serialize)]
pub struct BookHit {
    pub book: std::sync::Arc<BookRecord>,
    pub score: f32,
    pub passages: Vec<PassageHit>,
    /// Set when this book did not match itself but is another language edition of the same
    /// work as the book named here, which did (cross-language search). `passages` are then
    /// that book's matching passages, whose chapters have counterparts at the same positions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edition_of: Option<std::sync::Arc<BookRecord>>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct SearchResults {
    pub query: String,
    pub query_lang: Option<String>,
    pub total_books: usize,
    pub page: usize,
    pub per_page: usize,
    pub books: Vec<BookHit>,
    /// facet name → (value, number of matching books).
    pub facets: BTreeMap<String, Vec<(String, usize)>>,
    pub notices: Vec<String>,
    /// When nothing matched as typed: the closest words the library has (results are for it).
    pub did_you_mean: Option<String>,
    /// When the results are for the query as typed but some of its words match nothing: the
    /// query with those words corrected, to offer ("did you mean …?").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
    /// No passage had a quoted phrase as typed, so these results are for its words on their
    /// own (in any order, and folded: phrases are matched as written).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub phrases_loosened: bool,
    /// Whether `total_books` and the facet counts cover every match; if not, they are a lower
    /// bound (a very large library, grouped from its best passages only).
    pub totals_exact: bool,
}

/// Matching passages (score, address), best first.
type Passages = Vec<(f32, DocAddress)>;

/// A book with its score, its matching passages, and the matching edition it was found through
/// (other language editions of a matching work).
type Group = (
    std::sync::Arc<BookRecord>,
    f32,
    Passages,
    Option<std::sync::Arc<BookRecord>>,
);

/// Another language edition of a matching work ranks at this share of the matching edition's
/// score: below the books that match themselves as strongly, above much weaker matches.
const OTHER_EDITION_WEIGHT: f32 = 0.5;

/// Searches the library. Any input gives results or an empty answer with notices; never a panic.
/// When nothing matches as typed, the words are corrected (one edit for 4–8 letters, two from 9)
/// and the results for the corrected query are returned with `did_you_mean` set. When some
/// results come but a word of a longer query matches nothing by itself, the corrected query is
/// offered as `suggestion`. Phrases and -exclusions are kept in both. A quoted phrase that
/// nothing matches, even corrected, is searched as its words (`phrases_loosened`).
pub fn search(library: &Library, req: &SearchRequest) -> Result<SearchResults> {
    let mut results = run(library, req)?;
    let parsed = query::parse(&req.query);
    if results.total_books > 0 {
        let words = parsed.words.len() + parsed.phrases.iter().map(Vec::len).sum::<usize>();
        if words > 1 {
            let searcher = library.reader.searcher();
            results.suggestion = corrected_query(library, &parsed, |w| {
                !query::word_is_known(&searcher, &library.fields, w)
            })?;
        }
        return Ok(results);
    }
    // Misspelt words corrected first; then a phrase no passage has as typed (in another order,
    // or typed without ө ү ң, which phrases do not fold) is searched as its words on their own.
    let corrected = corrected_query(library, &parsed, |_| true)?;
    let mut retry = None;
    if let Some(c) = &corrected {
        let r = run(
            library,
            &SearchRequest {
                query: c.clone(),
                ..req.clone()
            },
        )?;
        if r.total_books > 0 || parsed.phrases.is_empty() {
            retry = Some(r);
        }
    }
    if retry.is_none() && !parsed.phrases.is_empty() {
        let base = corrected
            .as_deref()
            .map_or_else(|| parsed.clone(), query::parse);
        let loose: Vec<String> = base
            .words
            .iter()
            .chain(base.phrases.iter().flatten())
            .cloned()
            .chain(base.excluded.iter().map(|w| format!("-{w}")))
            .collect();
        let mut r = run(
            library,
            &SearchRequest {
                query: loose.join(" "),
                ..req.clone()
            },
        )?;
        r.phrases_loosened = r.total_books > 0;
        retry = Some(r);
    }
    let Some(mut retry) = retry else {
        return Ok(results);
    };
    retry.query = req.query.clone();
    retry.did_you_mean = corrected;
    Ok(retry)
}

/// The query with each word that `doubtful` names replaced by its correction (words, the words
/// of phrases, excluded words), written back as a query; `None` when no word changed.
fn corrected_query(
    library: &Library,
    parsed: &ParsedQuery,
    doubtful: impl Fn(&str) -> bool,
) -> Result<Option<String>> {
    let mut changed = false;
    let mut fix = |w: &String| -> Result<String> {
        if doubtful(w)
            && let Some(c) = crate::vocabulary::correction(library, w)?
        {
            changed = true;
            return Ok(c);
        }
        Ok(w.clone())
    };
    let mut parts = Vec::new();
    for w in &parsed.words {
        parts.push(fix(w)?);
    }
    for phrase in &parsed.phrases {
        let words = phrase.iter().map(&mut fix).collect::<Result<Vec<_>>>()?;
        parts.push(format!("\"{}\"", words.join(" ")));
    }
    for w in &parsed.excluded {
        parts.push(format!("-{w}"));
    }
    Ok(changed.then(|| parts.join(" ")))
}

fn run(library: &Library, req: &SearchRequest) -> Result<SearchResults> {
    run_grouping(library, req, EXACT_GROUPING_DOCS)
}

/// [`run`], grouping every match when the index has at most `exact_limit` documents.
fn run_grouping(library: &Library, req: &SearchRequest, exact_limit: u64) -> Result<SearchResults> {
    let searcher = library.reader.searcher();
    let parsed = query::parse(&req.query);
    let per_page = req.per_page.clamp(1, MAX_PER_PAGE);
    let page = req.page.clamp(1, MAX_PAGE);
    let mut results = SearchResults {
        query: req.query.clone(),
        page,
        per_page,
        totals_exact: true,
        ..Default::default()
    };
    if parsed.truncated {
        results.notices.push(format!(
            "the query is too long: only its first {} words (and {} characters) are searched",
            query::MAX_TERMS,
            query::MAX_QUERY_CHARS
        ));
    }
    if parsed.is_empty() {
        return Ok(results);
    }
    let detected = req.lang.clone().or_else(|| {
        let all: Vec<&str> = parsed
            .words
            .iter()
            .chain(parsed.phrases.iter().flatten())
            .map(String::as_str)
            .collect();
        let d = langid::detect(&all.join(" "));
        (d.confidence >= 0.8 && d.lang != langid::UNDETERMINED).then(|| d.lang.to_string())
    });
    results.query_lang = detected.clone();
    // A detected (not declared) language is a hint: the library's other Turkic and Cyrillic
    // languages are searched too, for their words and stems, because short queries are often
    // ambiguous between them (a Kazakh, Uzbek or Tajik word typed without its letters reads as
    // Kyrgyz or Russian). So is English when the library has English books: a short English
    // word (`rain`, `evaporate`) may read as Kyrgyz typed in Latin letters.
    let catalog = library.catalog(&searcher)?;
    let (langs, hinted): (Vec<&str>, Vec<&str>) = match (&req.lang, &detected) {
        (Some(l), _) => (query::languages_for(Some(l)), Vec::new()),
        (None, Some(d)) => {
            let v = query::languages_for(Some(d));
            let extra = ["ky", "ru", "kk", "uz", "tg", "en"]
                .into_iter()
                .filter(|l| !v.contains(l))
                .filter(|l| matches!(*l, "ky" | "ru") || catalog.languages.contains(*l))
                .collect();
            (v, extra)
        }
        (None, None) => (query::languages_for(None), Vec::new()),
    };
    let Some(text_query) = query::build(
        &searcher,
        &library.fields,
        &parsed,
        &langs,
        &hinted,
        &catalog.glossary_index,
    ) else {
        return Ok(results);
    };
    let langs: Vec<&str> = langs.into_iter().chain(hinted).collect();
    let mut must: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text_query)];
    // The language filter is applied to the books found, after their other language editions
    // are added: a Kyrgyz query with `lang=ru` finds the Russian editions of matching works.
    let mut lang_filter: Vec<&str> = Vec::new();
    let mut within_book = false;
    // Several values of one filter are alternatives (grade 5 or 6); different filters all apply.
    let mut facet_filters: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut books: Vec<&str> = Vec::new();
    for (name, value) in &req.filters {
        match name.as_str() {
            _ if value.is_empty() => {}
            "lang" => lang_filter.push(value),
            "book" => books.push(value),
            "grade" | "subject" | "material" | "license" | "collection" => {
                facet_filters.entry(name).or_default().push(value);
            }
            _ => results
                .notices
                .push(format!("unknown filter '{name}' ignored")),
        }
    }
    let any_of = |terms: Vec<Term>| -> Box<dyn Query> {
        Box::new(BooleanQuery::new(
            terms
                .into_iter()
                .map(|t| {
                    (
                        Occur::Should,
                        Box::new(TermQuery::new(t, IndexRecordOption::Basic)) as Box<dyn Query>,
                    )
                })
                .collect(),
        ))
    };
    if !books.is_empty() {
        // Search within a book: its passages only.
        within_book = true;
        let terms = books
            .iter()
            .map(|b| Term::from_field_text(library.fields.book, b))
            .collect();
        must.push((Occur::Must, any_of(terms)));
    }
    for (name, values) in &facet_filters {
        let terms = values
            .iter()
            .map(|v| Term::from_facet(library.fields.facets, &Facet::from_path([*name, *v])))
            .collect();
        must.push((Occur::Must, any_of(terms)));
    }
    // Without filters the words' union is searched as it is, so that tantivy can prune it.
    let full: Box<dyn Query> = if must.len() == 1 {
        must.pop().expect("one clause").1
    } else {
        Box::new(BooleanQuery::new(must))
    };
    let book_language_ok = |slug: &str| {
        lang_filter.is_empty()
            || catalog.books.get(slug).is_some_and(|b| {
                lang_filter
                    .iter()
                    .any(|l| analyzers::primary(&b.language) == analyzers::primary(l))
            })
    };
    // Where the search skipped documents: every document scoring above this was seen.
    let mut skipped_below: Option<f32> = None;
    let groups: Vec<(String, f32, Passages)> = if searcher.num_docs() <= exact_limit {
        searcher.search(
            &*full,
            &GroupAll {
                catalog: catalog.clone(),
            },
        )?
    } else {
        // The page's books, found without scoring every match, then their best passages.
        let eligible = (!lang_filter.is_empty()).then(|| {
            catalog
                .books
                .values()
                .filter(|b| {
                    book_language_ok(&b.slug)
                        || b.work
                            .as_ref()
                            .and_then(|w| catalog.editions.get(w))
                            .is_some_and(|editions| {
                                editions.iter().any(|e| book_language_ok(&e.slug))
                            })
                })
                .map(|b| b.slug.clone())
                .collect::<HashSet<String>>()
        });
        let (groups, threshold) = searcher.search(
            &*full,
            &TopBooks {
                catalog: catalog.clone(),
                wanted: page * per_page,
                eligible,
            },
        )?;
        results.totals_exact = threshold.is_none();
        skipped_below = threshold;
        groups
    };
    let mut grouped: Vec<Group> = groups
        .into_iter()
        .filter_map(|(slug, score, passages)| {
            Some((catalog.books.get(&slug)?.clone(), score, passages, None))
        })
        .collect();
    if !within_book {
        add_other_editions(&catalog, &mut grouped, |b| {
            facet_filters.iter().all(|(name, values)| {
                catalog.facets.get(&b.slug).is_some_and(|pairs| {
                    pairs
                        .iter()
                        .any(|(n, v)| n == name && values.contains(&v.as_str()))
                })
            })
        });
    }
    grouped.retain(|g| book_language_ok(&g.0.slug));
    match req.sort {
        Sort::Relevance => {}
        Sort::Title => grouped.sort_by_cached_key(|g| title_key(&g.0.title)),
        Sort::Date => grouped.sort_by_key(|b| std::cmp::Reverse(b.0.year)),
    }
    results.facets = facet_counts(
        grouped
            .iter()
            .filter_map(|g| catalog.facets.get(&g.0.slug).map(Vec::as_slice)),
    );
    results.total_books = grouped.len();
    let start = ((page - 1) * per_page).min(grouped.len());
    let end = (start + per_page).min(grouped.len());
    if let Some(threshold) = skipped_below {
        // Skipping let some passages of the page's books go unscored: read them exactly.
        best_passages(
            &searcher,
            &library.fields,
            &catalog,
            &*full,
            &mut grouped[start..end],
            threshold,
        )?;
    }
    let highlight = HighlightTerms::new(&parsed, &langs);
    let f = &library.fields;
    for (record, score, passages, edition_of) in grouped
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
    {
        let mut hits = Vec::new();
        for (score, addr) in passages.into_iter().take(PASSAGES_PER_BOOK) {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let lang = text_ref(&doc, f.lang);
            hits.push(PassageHit {
                chapter: text(&doc, f.chapter),
                chapter_index: doc
                    .get_first(f.chapter_index)
                    .and_then(|v| v.as_u64())
                    .unwrap_or(0),
                chapter_title: text(&doc, f.chapter_title),
                anchor: text(&doc, f.anchor),
                heading: text(&doc, f.heading),
                snippet: snippet(text_ref(&doc, f.text), &highlight, lang),
                score,
            });
        }
        results.books.push(BookHit {
            book: record,
            score,
            passages: hits,
            edition_of,
        });
    }
    Ok(results)
}

/// Adds the other language editions of the matching works that did not match themselves (and
/// pass `keep`, the facet filters), each right after its work's best matching edition, scored
/// at [`OTHER_EDITION_WEIGHT`] of it, with that edition's passages to show where the match is.
fn add_other_editions(
    catalog: &Catalog,
    grouped: &mut Vec<Group>,
    keep: impl Fn(&BookRecord) -> bool,
) {
    if catalog.editions.is_empty() {
        return;
    }
    let present: HashSet<String> = grouped.iter().map(|g| g.0.slug.clone()).collect();
    let mut added: HashSet<String> = HashSet::default();
    let mut out: Vec<Group> = Vec::with_capacity(grouped.len());
    for g in grouped.drain(..) {
        let mut editions = Vec::new();
        if let Some(siblings) = g.0.work.as_deref().and_then(|w| catalog.editions.get(w)) {
            for s in siblings {
                if !present.contains(&s.slug) && keep(s) && added.insert(s.slug.clone()) {
                    editions.push((
                        s.clone(),
                        g.1 * OTHER_EDITION_WEIGHT,
                        g.2.clone(),
                        Some(g.0.clone()),
                    ));
                }
            }
        }
        out.push(g);
        out.extend(editions);
    }
    // Best first again; an edition stays after the book it was found through.
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    *grouped = out;
}

/// Collects the best `wanted` books (each by its best passage or book document) and lets tantivy
/// skip every passage that cannot change them: the threshold it prunes against is the score of
/// the `wanted`-th best book so far, not of the `wanted`-th best passage. Books of `eligible`
/// only, when set. The fruit is every book met above the threshold, best first, with the
/// passages met, and whether nothing was skipped (then books, passages and totals are exact).
struct TopBooks {
    catalog: std::sync::Arc<Catalog>,
    wanted: usize,
    eligible: Option<HashSet<String>>,
}

struct TopBooksSegment {
    segment_ord: u32,
    names: Option<std::sync::Arc<SegmentNames>>,
    wanted: usize,
    /// Per book ordinal of the segment: whether it may be collected.
    eligible: Option<Vec<bool>>,
    books: HashMap<u64, (f32, Passages)>,
    /// The best `wanted` books: (score key, book ordinal).
    top: std::collections::BTreeSet<(u32, u64)>,
    /// Whether documents may have been skipped (a threshold was given to the scorer).
    skipped: bool,
}

/// Books with their scores and best passages found so far, and, if documents were skipped,
/// the score above which none was: a passage scoring higher than that was seen.
type BookFruit = (Vec<(String, f32, Passages)>, Option<f32>);

/// An order-preserving integer key of a score (BM25 scores are finite).
fn score_key(s: f32) -> u32 {
    let b = s.to_bits();
    if b >> 31 == 0 { b | 0x8000_0000 } else { !b }
}

fn key_score(k: u32) -> f32 {
    f32::from_bits(if k >> 31 == 1 { k & 0x7FFF_FFFF } else { !k })
}

impl TopBooksSegment {
    /// Takes one scored document; returns the score a document must now beat.
    fn take(&mut self, doc: tantivy::DocId, score: tantivy::Score) -> tantivy::Score {
        if let Some(names) = &self.names {
            let kind = names.kind(doc);
            let passage = kind == "passage";
            if (passage || kind == "book")
                && let Some(book) = names.book_ord(doc)
                && self
                    .eligible
                    .as_ref()
                    .is_none_or(|e| e.get(book as usize).copied().unwrap_or(false))
            {
                let entry = self.books.entry(book).or_insert((f32::MIN, Vec::new()));
                let old = entry.0;
                if passage {
                    keep_best(
                        &mut entry.1,
                        (score, DocAddress::new(self.segment_ord, doc)),
                    );
                }
                if score > old {
                    entry.0 = score;
                    if old != f32::MIN {
                        self.top.remove(&(score_key(old), book));
                    }
                    self.top.insert((score_key(score), book));
                    if self.top.len() > self.wanted {
                        self.top.pop_first();
                    }
                }
            }
        }
        self.threshold()
    }

    fn threshold(&mut self) -> tantivy::Score {
        match self.top.first() {
            Some(&(k, _)) if self.top.len() >= self.wanted => {
                self.skipped = true;
                key_score(k)
            }
            _ => tantivy::Score::MIN,
        }
    }
}

impl tantivy::collector::Collector for TopBooks {
    type Fruit = BookFruit;
    type Child = TopBooksSegment;

    fn for_segment(
        &self,
        segment_ord: u32,
        reader: &tantivy::SegmentReader,
    ) -> tantivy::Result<TopBooksSegment> {
        let names = self.catalog.segments.get(&reader.segment_id()).cloned();
        let eligible = match (&self.eligible, &names) {
            (Some(e), Some(n)) => Some(
                (0..n.book_count() as u64)
                    .map(|ord| e.contains(n.book_name(ord)))
                    .collect(),
            ),
            _ => None,
        };
        Ok(TopBooksSegment {
            segment_ord,
            names,
            wanted: self.wanted.max(1),
            eligible,
            books: HashMap::default(),
            top: std::collections::BTreeSet::new(),
            skipped: false,
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn collect_segment(
        &self,
        weight: &dyn tantivy::query::Weight,
        segment_ord: u32,
        reader: &tantivy::SegmentReader,
    ) -> tantivy::Result<<TopBooksSegment as tantivy::collector::SegmentCollector>::Fruit> {
        let mut seg = self.for_segment(segment_ord, reader)?;
        let alive = reader.alive_bitset();
        weight.for_each_pruning(tantivy::Score::MIN, reader, &mut |doc, score| {
            if alive.is_some_and(|a| a.is_deleted(doc)) {
                return seg.threshold();
            }
            seg.take(doc, score)
        })?;
        Ok(tantivy::collector::SegmentCollector::harvest(seg))
    }

    fn merge_fruits(&self, fruits: Vec<Self::Fruit>) -> tantivy::Result<Self::Fruit> {
        let threshold = fruits.iter().filter_map(|f| f.1).reduce(f32::max);
        let groups = GroupAll {
            catalog: self.catalog.clone(),
        }
        .merge_fruits(fruits.into_iter().map(|f| f.0).collect())?;
        Ok((groups, threshold))
    }
}

impl tantivy::collector::SegmentCollector for TopBooksSegment {
    type Fruit = BookFruit;

    fn collect(&mut self, doc: tantivy::DocId, score: tantivy::Score) {
        self.take(doc, score);
    }

    fn harvest(mut self) -> Self::Fruit {
        // The last threshold is the highest one given to the scorer.
        let threshold = self.skipped.then(|| self.threshold());
        let Some(names) = self.names else {
            return (Vec::new(), threshold);
        };
        let books = self
            .books
            .into_iter()
            .map(|(ord, (score, passages))| (names.book_name(ord).to_string(), score, passages))
            .collect();
        (books, threshold)
    }
}

/// Replaces the passages of `page` (books found by [`TopBooks`], which may have skipped some of
/// their passages) with their best passages, read exactly. A book found through another edition
/// takes that edition's passages. Only the books' own documents are scored: a book's passages
/// are runs of consecutive documents (one indexing thread), so the query's scorer seeks to each
/// run and reads it through, instead of testing every passage of the page's books one by one.
///
/// Every passage scoring above `threshold` was seen by the search, so a book whose kept passages
/// all score above it (and fill its [`PASSAGES_PER_BOOK`]) has them already.
fn best_passages(
    searcher: &tantivy::Searcher,
    fields: &crate::schema::Fields,
    catalog: &Catalog,
    full: &dyn Query,
    page: &mut [Group],
    threshold: f32,
) -> Result<()> {
    use tantivy::DocSet;
    let source = |g: &Group| g.3.as_ref().unwrap_or(&g.0).slug.clone();
    let complete =
        |g: &Group| g.2.len() >= PASSAGES_PER_BOOK && g.2.iter().all(|p| p.0 > threshold);
    let slugs: HashSet<String> = page.iter().filter(|g| !complete(g)).map(source).collect();
    if slugs.is_empty() {
        return Ok(());
    }
    let scoring = tantivy::query::EnableScoring::enabled_from_searcher(searcher);
    // A union of clauses (no filter, no exclusion), as most queries are, is scored clause by
    // clause over each run: a union scorer that seeks works through a window of 4,096
    // documents for every run, most of them outside it.
    let clause_weights = match full.downcast_ref::<BooleanQuery>() {
        Some(b) if b.clauses().iter().all(|(o, _)| *o == Occur::Should) => Some(
            b.clauses()
                .iter()
                .map(|(_, q)| q.weight(scoring))
                .collect::<tantivy::Result<Vec<_>>>()?,
        ),
        _ => None,
    };
    // The whole query's weight, for other queries (built at first use).
    let mut weight: Option<Box<dyn tantivy::query::Weight>> = None;
    let mut found: HashMap<&str, Passages> = HashMap::default();
    for (ord, reader) in searcher.segment_readers().iter().enumerate() {
        let inverted = reader.inverted_index(fields.book)?;
        // (first doc, last doc, book) for every run of the books' documents, in doc order.
        let mut runs: Vec<(u32, u32, &str)> = Vec::new();
        for slug in &slugs {
            let term = Term::from_field_text(fields.book, slug);
            let Some(mut postings) = inverted.read_postings(&term, IndexRecordOption::Basic)?
            else {
                continue;
            };
            let mut doc = postings.doc();
            while doc != tantivy::TERMINATED {
                let start = doc;
                let mut end = doc;
                doc = postings.advance();
                while doc == end + 1 {
                    end = doc;
                    doc = postings.advance();
                }
                runs.push((start, end, slug.as_str()));
            }
        }
        if runs.is_empty() {
            continue;
        }
        runs.sort_unstable();
        let alive = reader.alive_bitset();
        let Some(names) = catalog.segments.get(&reader.segment_id()) else {
            continue;
        };
        let mut keep = |slug, doc: u32, score: f32| {
            if alive.is_none_or(|a| !a.is_deleted(doc)) && names.kind(doc) == "passage" {
                let list = found.entry(slug).or_default();
                keep_best(list, (score, DocAddress::new(ord as u32, doc)));
            }
        };
        if let Some(weights) = &clause_weights {
            let mut scorers = weights
                .iter()
                .map(|w| w.scorer(reader, 1.0))
                .collect::<tantivy::Result<Vec<_>>>()?;
            let mut sums: Vec<f32> = Vec::new();
            let mut hit: Vec<bool> = Vec::new();
            for (start, end, slug) in runs {
                let len = (end - start + 1) as usize;
                sums.clear();
                sums.resize(len, 0.0);
                hit.clear();
                hit.resize(len, false);
                for scorer in scorers.iter_mut() {
                    let mut doc = scorer.doc();
                    if doc < start {
                        doc = scorer.seek(start);
                    }
                    while doc <= end {
                        let i = (doc - start) as usize;
                        sums[i] += scorer.score();
                        hit[i] = true;
                        doc = scorer.advance();
                    }
                }
                for (i, _) in hit.iter().enumerate().filter(|(_, h)| **h) {
                    keep(slug, start + i as u32, sums[i]);
                }
            }
            continue;
        }
        let weight = match &weight {
            Some(w) => w,
            None => weight.insert(full.weight(scoring)?),
        };
        let mut scorer = weight.scorer(reader, 1.0)?;
        for (start, end, slug) in runs {
            let mut doc = if scorer.doc() >= start {
                scorer.doc()
            } else {
                scorer.seek(start)
            };
            while doc <= end {
                keep(slug, doc, scorer.score());
                doc = scorer.advance();
            }
            if doc == tantivy::TERMINATED {
                break;
            }
        }
    }
    for g in page.iter_mut().filter(|g| !complete(g)) {
        if let Some(p) = found.get(source(g).as_str()) {
            g.2 = p.clone();
        }
    }
    Ok(())
}

/// A collector that groups every matching passage by book: each book's best score (its book
/// document counts too) and its best [`PASSAGES_PER_BOOK`] passages; books best first.
struct GroupAll {
    catalog: std::sync::Arc<Catalog>,
}

struct GroupAllSegment {
    segment_ord: u32,
    names: Option<std::sync::Arc<SegmentNames>>,
    groups: HashMap<u64, (f32, Passages)>,
}

/// Keeps `list` the best passages, best first (ties in document order).
fn keep_best(list: &mut Passages, hit: (f32, DocAddress)) {
    let at = list
        .iter()
        .position(|p| p.0 < hit.0 || (p.0 == hit.0 && p.1 > hit.1))
        .unwrap_or(list.len());
    if at < PASSAGES_PER_BOOK {
        list.insert(at, hit);
        list.truncate(PASSAGES_PER_BOOK);
    }
}

impl tantivy::collector::Collector for GroupAll {
    type Fruit = Vec<(String, f32, Passages)>;
    type Child = GroupAllSegment;

    fn for_segment(
        &self,
        segment_ord: u32,
        reader: &tantivy::SegmentReader,
    ) -> tantivy::Result<GroupAllSegment> {
        Ok(GroupAllSegment {
            segment_ord,
            names: self.catalog.segments.get(&reader.segment_id()).cloned(),
            groups: HashMap::default(),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Self::Fruit>) -> tantivy::Result<Self::Fruit> {
        let mut by_book: HashMap<String, (f32, Passages)> = HashMap::default();
        for (slug, score, passages) in fruits.into_iter().flatten() {
            let entry = by_book.entry(slug).or_insert((f32::MIN, Vec::new()));
            entry.0 = entry.0.max(score);
            for p in passages {
                keep_best(&mut entry.1, p);
            }
        }
        let mut out: Vec<(String, f32, Passages)> =
            by_book.into_iter().map(|(b, (s, p))| (b, s, p)).collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Ok(out)
    }
}

impl tantivy::collector::SegmentCollector for GroupAllSegment {
    type Fruit = Vec<(String, f32, Passages)>;

    fn collect(&mut self, doc: tantivy::DocId, score: tantivy::Score) {
        let Some(names) = &self.names else {
            return;
        };
        let kind = names.kind(doc);
        let passage = kind == "passage";
        if !passage && kind != "book" {
            return;
        }
        let Some(book) = names.book_ord(doc) else {
            return;
        };
        let entry = self.groups.entry(book).or_insert((f32::MIN, Vec::new()));
        entry.0 = entry.0.max(score);
        if passage {
            keep_best(
                &mut entry.1,
                (score, DocAddress::new(self.segment_ord, doc)),
            );
        }
    }

    fn harvest(self) -> Self::Fruit {
        let Some(names) = self.names else {
            return Vec::new();
        };
        self.groups
            .into_iter()
            .map(|(ord, (score, passages))| (names.book_name(ord).to_string(), score, passages))
            .collect()
    }
}

fn text(doc: &TantivyDocument, field: tantivy::schema::Field) -> String {
    text_ref(doc, field).to_string()
}

fn text_ref(doc: &TantivyDocument, field: tantivy::schema::Field) -> &str {
    doc.get_first(field).and_then(|v| v.as_str()).unwrap_or("")
}

/// Facet name → (value, number of books), most frequent first, from each book's facet pairs.
fn facet_counts<'a>(
    books: impl Iterator<Item = &'a [(&'static str, String)]>,
) -> BTreeMap<String, Vec<(String, usize)>> {
    let mut counts: HashMap<(&'static str, &'a str), usize> = HashMap::default();
    for pairs in books {
        for (name, value) in pairs {
            *counts.entry((name, value.as_str())).or_default() += 1;
        }
    }
    let mut out: BTreeMap<String, Vec<(String, usize)>> = BTreeMap::new();
    for ((name, value), n) in counts {
        out.entry(name.to_string())
            .or_default()
            .push((value.to_string(), n));
    }
    for v in out.values_mut() {
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    }
    out
}

/// The query's terms per field kind, to recognise matching words in a passage.
pub struct HighlightTerms {
    terms: HashMap<FieldKind, HashSet<String>>,
    prefixes: Vec<String>,
    /// First letters of the terms and prefixes, as typed and folded.
    initials: HashSet<char>,
    /// The first two letters of each term and prefix in their loose form.
    pairs: HashSet<(char, char)>,
    /// Some term has a single letter (then the pair test cannot be used).
    short_terms: bool,
    /// Words already judged (passages repeat their words; analysing each once is most of the cost).
    /// Keyed by language, then word, so that a lookup allocates nothing.
    memo: std::cell::RefCell<HashMap<String, HashMap<String, bool>>>,
}

impl HighlightTerms {
    pub fn new(q: &ParsedQuery, langs: &[&str]) -> Self {
        let mut terms: HashMap<FieldKind, HashSet<String>> = HashMap::default();
        let mut words: Vec<&String> = q.words.iter().collect();
        words.extend(q.phrases.iter().flatten());
        let mut prefixes = Vec::new();
        let mut short_terms = false;
        for w in words {
            let mut variants = vec![w.clone()];
            if crate::analysis::translit::is_latin_word(w) {
                variants.extend(crate::analysis::translit::to_cyrillic_variants(w));
            }
            for v in &variants {
                // Each language's stemmed field, and the folded fields once (they do not depend
                // on the query's languages).
                let mut kinds = vec![
                    FieldKind::KyFold,
                    FieldKind::KkFold,
                    FieldKind::UzFold,
                    FieldKind::TgFold,
                ];
                for lang in langs {
                    let kind = FieldKind::stemmed(lang);
                    if !kinds.contains(&kind) {
                        kinds.push(kind);
                    }
                }
                for kind in kinds {
                    terms
                        .entry(kind)
                        .or_default()
                        .extend(analyzers::terms(kind, v));
                }
                let folded =
                    crate::analysis::fold::loose(&crate::analysis::fold::fold(&v.to_lowercase()));
                if folded.chars().count() >= 4 {
                    prefixes.push(folded);
                }
            }
        }
        let mut initials = HashSet::default();
        let mut pairs = HashSet::default();
        for t in terms.values().flatten().chain(prefixes.iter()) {
            if let Some(c) = t.chars().next() {
                initials.insert(c);
                initials.extend(initial_key(c));
            }
            match loose_head(t) {
                (Some(a), Some(b)) => {
                    pairs.insert((a, b));
                }
                // A one-letter term: only the first letter can tell.
                _ => short_terms = true,
            }
        }
        HighlightTerms {
            terms,
            prefixes,
            initials,
            pairs,
            short_terms,
            memo: Default::default(),
        }
    }

    /// Whether a word can match at all: its first letter (lowercased, folded) must begin some
    /// query term. Most words of a passage fail this, and skip the full analysis.
    fn may_match(&self, word: &str) -> bool {
        let Some(c) = word.chars().next() else {
            return false;
        };
        // A Latin look-alike at the start of a Cyrillic word is normalised later: analyse fully.
        if c.is_ascii_alphabetic() && !word.is_ascii() {
            return true;
        }
        let lower = fast_lower(c);
        let first = match initial_key(lower) {
            Some(k) => self.initials.contains(&lower) || self.initials.contains(&k),
            // A letter that folds to nothing (ь, ъ): no shortcut.
            None => return true,
        };
        if !first {
            return false;
        }
        if self.short_terms {
            return true;
        }
        // The second letter too, unless normalisation may still change it (combining marks,
        // apostrophes of Uzbek oʻ gʻ, a Latin look-alike): then the full analysis decides.
        let mut it = word.chars().skip(1).take(2);
        if it.any(|c| !is_plain_cyrillic_letter(c)) && !word.is_ascii() {
            return true;
        }
        match loose_head(word) {
            (Some(a), Some(b)) => self.pairs.contains(&(a, b)),
            _ => true,
        }
    }

    fn matches(&self, word: &str, lang: &str) -> bool {
        if !self.may_match(word) {
            return false;
        }
        if let Some(m) = self.memo.borrow().get(lang).and_then(|m| m.get(word)) {
            return *m;
        }
        let m = self.judge(word, lang);
        self.memo
            .borrow_mut()
            .entry(lang.to_string())
            .or_default()
            .insert(word.to_string(), m);
        m
    }

    fn judge(&self, word: &str, lang: &str) -> bool {
        let mut kinds = vec![FieldKind::stemmed(lang)];
        match analyzers::primary(lang) {
            "ky" => kinds.push(FieldKind::KyFold),
            "kk" => kinds.push(FieldKind::KkFold),
            "uz" => kinds.push(FieldKind::UzFold),
            "tg" => kinds.push(FieldKind::TgFold),
            _ => {}
        }
        for kind in kinds {
            if let Some(set) = self.terms.get(&kind)
                && analyzers::terms(kind, word).iter().any(|t| set.contains(t))
            {
                return true;
            }
        }
        let loose =
            crate::analysis::fold::loose(&crate::analysis::fold::fold(&word.to_lowercase()));
        self.prefixes.iter().any(|p| loose.starts_with(p.as_str()))
    }
}

/// The folded, loose key of a word's first letter (`ө` → `о`, `я` → `й`); `None` if it folds away.
fn initial_key(c: char) -> Option<char> {
    crate::analysis::fold::loose_initial(fast_lower(c))
}

/// The lowercase of a letter (its first char), without the table lookup for ASCII and Cyrillic.
fn fast_lower(c: char) -> char {
    let u = c as u32;
    let shifted = match u {
        0x41..=0x5A => u + 0x20,
        0x00..=0x7F => u,
        0x410..=0x42F => u + 0x20,
        0x400..=0x40F => u + 0x50,
        0x430..=0x45F => u,
        // Pairs in Cyrillic Extended: capital even, small odd…
        0x460..=0x481 | 0x48A..=0x4BF | 0x4D0..=0x52F => u | 1,
        // …except here, where the capital is odd.
        0x4C1..=0x4CE => u + (u & 1),
        _ => return c.to_lowercase().next().unwrap_or(c),
    };
    char::from_u32(shifted).unwrap_or(c)
}

/// The first two chars of the lowercased [`loose`](crate::analysis::fold::loose) form of a word,
/// without building it.
fn loose_head(word: &str) -> (Option<char>, Option<char>) {
    let mut out: [Option<char>; 2] = [None, None];
    let mut n = 0;
    for c in word.chars() {
        let (a, b) = crate::analysis::fold::loose_char(fast_lower(c));
        for k in a.into_iter().chain(b) {
            if n < 2 {
                out[n] = Some(k);
                n += 1;
            }
        }
        if n == 2 {
            break;
        }
    }
    (out[0], out[1])
}

/// A window of about `SNIPPET_CHARS` characters (not bytes) with the most matching words,
/// HTML-escaped, matches wrapped in `<mark>`. Linear in the passage's length.
pub fn snippet(text: &str, terms: &HighlightTerms, lang: &str) -> String {
    let (words, total_chars) = word_spans(text, analyzers::primary(lang) == "uz");
    let matched: Vec<bool> = words
        .iter()
        .map(|w| terms.matches(&text[w.start..w.end], lang))
        .collect();
    // Best window start: the matching word whose window (the words that begin within
    // `SNIPPET_CHARS` of it) holds the most matches; the first such word on a tie.
    let mut best = (0usize, 0usize);
    let mut matches_before = Vec::with_capacity(words.len() + 1);
    matches_before.push(0usize);
    for m in &matched {
        matches_before.push(matches_before.last().copied().unwrap_or(0) + usize::from(*m));
    }
    let mut window_end = 0;
    for (i, w) in words.iter().enumerate() {
        if !matched[i] {
            continue;
        }
        window_end = window_end.max(i);
        while window_end < words.len()
            && words[window_end].char_start < w.char_start + SNIPPET_CHARS
        {
            window_end += 1;
        }
        let count = matches_before[window_end] - matches_before[i];
        if count > best.1 {
            best = (i, count);
        }
    }
    // Start a little before the first match, at a word boundary.
    let first_match_char = words.get(best.0).map_or(0, |w| w.char_start);
    let from_char = first_match_char.saturating_sub(40);
    let (from, from_at) = if from_char == 0 {
        (0, 0)
    } else {
        // The last word that starts at or before `from_char`.
        match words.partition_point(|w| w.char_start <= from_char) {
            0 => (0, 0),
            n => (words[n - 1].start, words[n - 1].char_start),
        }
    };
    let to_char = (from_at + SNIPPET_CHARS).min(total_chars);
    let to = if to_char >= total_chars {
        text.len()
    } else {
        // The end of the last word that ends at or before `to_char`.
        match words.partition_point(|w| w.char_end <= to_char) {
            0 => text.len(),
            n => words[n - 1].end,
        }
    };
    let mut out = String::with_capacity(to - from + 64);
    if from > 0 {
        out.push('…');
    }
    let mut pos = from;
    for (w, m) in words.iter().zip(&matched) {
        if *m && w.start >= from && w.end <= to {
            formats::doc::escape_text(&mut out, &text[pos..w.start]);
            out.push_str("<mark>");
            formats::doc::escape_text(&mut out, &text[w.start..w.end]);
            out.push_str("</mark>");
            pos = w.end;
        }
    }
    formats::doc::escape_text(&mut out, &text[pos.min(to)..to]);
    if to < text.len() {
        out.push('…');
    }
    out
}

/// A word of a passage: its byte span and its span in characters.
#[derive(Debug, Clone, Copy)]
struct WordSpan {
    start: usize,
    end: usize,
    char_start: usize,
    char_end: usize,
}

/// A Cyrillic letter that normalisation leaves as it is (no combining mark, no Latin
/// look-alike, no apostrophe).
fn is_plain_cyrillic_letter(c: char) -> bool {
    ('\u{400}'..='\u{481}').contains(&c) || ('\u{48A}'..='\u{52F}').contains(&c)
}

/// `char::is_alphanumeric` with fast answers for ASCII and Cyrillic (the slow table lookup
/// was a tenth of a search's time).
fn is_letter_or_digit(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    // Cyrillic and Cyrillic Supplement are letters, but for ҂ and the combining marks.
    is_plain_cyrillic_letter(c) || c.is_alphanumeric()
}

/// The words of a passage as its index has them, with the passage's length in characters:
/// stress marks, soft hyphens and zero-width characters inside a word do not split it, nor (in
/// Uzbek, `apostrophes`) an apostrophe between letters (`O'qituvchilar`).
///
/// Read byte by byte where it can be (most of a search's snippet time was decoding chars): an
/// ASCII byte other than an apostrophe is a letter, digit or separator by itself, and a lead
/// byte `D0`/`D1` starts a two-byte letter of U+0400–U+047F.
fn word_spans(text: &str, apostrophes: bool) -> (Vec<WordSpan>, usize) {
    let bytes = text.as_bytes();
    let mut spans = Vec::with_capacity(bytes.len() / 8 + 1);
    let mut start: Option<(usize, usize)> = None;
    let (mut i, mut n) = (0, 0);
    while i < bytes.len() {
        let b = bytes[i];
        let (in_word, len) = match b {
            b'\'' | b'`' => {
                let c = char::from(b);
                (
                    apostrophe_inside(text, i, c, apostrophes && start.is_some()),
                    1,
                )
            }
            0..0x80 => (b.is_ascii_alphanumeric(), 1),
            0xD0 | 0xD1 => (true, 2),
            _ => {
                let c = text[i..].chars().next().unwrap_or(' ');
                let inside = matches!(
                    c,
                    '\u{301}' | '\u{AD}' | '\u{200B}'..='\u{200D}' | '\u{2060}'
                ) || (crate::analysis::normalize::is_apostrophe(c)
                    && apostrophe_inside(text, i, c, apostrophes && start.is_some()));
                (is_letter_or_digit(c) || inside, c.len_utf8())
            }
        };
        if in_word {
            start.get_or_insert((i, n));
        } else if let Some((s, cs)) = start.take() {
            spans.push(WordSpan {
                start: s,
                end: i,
                char_start: cs,
                char_end: n,
            });
        }
        i += len;
        n += 1;
    }
    if let Some((s, cs)) = start {
        spans.push(WordSpan {
            start: s,
            end: text.len(),
            char_start: cs,
            char_end: n,
        });
    }
    (spans, n)
}

/// Whether the apostrophe `c` at byte `i` joins two parts of a word: only where apostrophes
/// may (`joins`: an Uzbek passage, inside a word) and when a letter or digit follows.
fn apostrophe_inside(text: &str, i: usize, c: char, joins: bool) -> bool {
    joins
        && text[i + c.len_utf8()..]
            .chars()
            .next()
            .is_some_and(is_letter_or_digit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::{BuiltBook, PassageRecord};

    /// A library of one-chapter books: (slug, language, grade, passages).
    fn library(books: &[(&str, &str, u8, &[&str])]) -> Library {
        let lib = Library::in_memory().unwrap();
        let mut w = lib.writer().unwrap();
        for (slug, lang, grade, texts) in books {
            w.replace_book(&built(slug, lang, *grade, None, texts))
                .unwrap();
        }
        w.commit().unwrap();
        lib
    }

    fn built(slug: &str, lang: &str, grade: u8, work: Option<&str>, texts: &[&str]) -> BuiltBook {
        let record = BookRecord {
            slug: slug.to_string(),
            title: format!("Book {slug}"),
            language: lang.to_string(),
            work: work.map(str::to_string),
            grades: vec![grade],
            ..Default::default()
        };
        let passages = texts
            .iter()
            .enumerate()
            .map(|(i, text)| PassageRecord {
                book: slug.to_string(),
                work: None,
                edition: None,
                chapter: "ch1".into(),
                chapter_index: 0,
                chapter_title: String::new(),
                anchor: format!("p{i}"),
                heading_path: Vec::new(),
                lang: lang.to_string(),
                text: text.to_string(),
            })
            .collect();
        BuiltBook { record, passages }
    }

    #[test]
    fn uzbek_latin_words_with_apostrophes_are_found_and_highlighted() {
        let lib = library(&[
            (
                "uz-book",
                "uz-Latn",
                3,
                &["Oʻqituvchilar bolalarga gʻamxoʻrlik qiladi."],
            ),
            ("ky-book", "ky", 3, &["Мугалим балдарга жардам берет."]),
        ]);
        for q in ["o'qituvchi", "oʻqituvchi", "o‘qituvchilarga", "g'amxo'rlik"] {
            let r = search_in(&lib, q, &[]);
            let hit = r
                .books
                .first()
                .unwrap_or_else(|| panic!("{q}: nothing found"));
            assert_eq!(hit.book.slug, "uz-book", "{q}");
            let snippet = &hit.passages[0].snippet;
            assert!(
                snippet.contains("<mark>Oʻqituvchilar</mark>")
                    || snippet.contains("<mark>gʻamxoʻrlik</mark>"),
                "{q}: {snippet}"
            );
        }
    }

    #[test]
    fn a_kazakh_verb_meets_its_root_verbal_noun_and_converb() {
        let lib = library(&[
            ("reads", "kk", 5, &["Ол кітапты күнде оқиды."]),
            ("reading", "kk", 5, &["Балалар кітап оқып отыр."]),
            ("readingnoun", "kk", 5, &["Кітап оқу пайдалы."]),
            ("other", "kk", 5, &["Бүгін ауа райы жылы."]),
        ]);
        // The verbal noun as users type it, the root as exercises and treebanks cite it, and
        // the root typed in Latin letters.
        for q in ["оқу", "оқы", "oqu"] {
            let req = SearchRequest {
                query: q.into(),
                lang: Some("kk".into()),
                per_page: 10,
                ..Default::default()
            };
            let mut books: Vec<String> = search(&lib, &req)
                .unwrap()
                .books
                .iter()
                .map(|b| b.book.slug.clone())
                .collect();
            books.sort();
            assert_eq!(books, ["reading", "readingnoun", "reads"], "{q}");
        }
    }

    #[test]
    fn kazakh_words_typed_without_kazakh_letters_are_found() {
        let lib = library(&[
            (
                "kk-book",
                "kk",
                5,
                &["Қазақстандағы мектептерде кітаптар көп."],
            ),
            ("ky-book", "ky", 5, &["Мектепте окуучулар китеп окушат."]),
        ]);
        for q in [
            "Қазақстан",
            "казакстан",
            "kazakstan",
            "qazaqstan",
            "китаптар",
            "кітап",
        ] {
            let hits = found(&lib, q);
            assert!(hits.contains(&"kk-book#p0".to_string()), "{q}: {hits:?}");
            assert!(!hits.contains(&"ky-book#p0".to_string()), "{q}: {hits:?}");
        }
        // A verb's root, as dictionaries of roots and treebanks cite it, completes to the word
        // forms the stemmer keeps longer (құр → құрылды, the passive).
        let lib2 = library(&[("kk-b", "kk", 5, &["Мектеп 1990 жылы құрылды."])]);
        for q in ["құр", "кур"] {
            assert_eq!(found(&lib2, q), ["kk-b#p0"], "{q}");
        }
        // A phrase typed without the Kazakh letters is found as a phrase, in order only.
        let phrase = search_in(&lib, "\"казакстандагы мектептерде\"", &[]);
        assert_eq!(phrase.total_books, 1);
        assert!(!phrase.phrases_loosened);
        assert!(search_in(&lib, "\"мектептерде казакстандагы\"", &[]).phrases_loosened);
        let latin = search_in(&lib, "\"qazaqstandagy mektepterde\"", &[]);
        assert_eq!(latin.total_books, 1);
        assert!(!latin.phrases_loosened);
        assert!(search_in(&lib, "\"mektepterde qazaqstandagy\"", &[]).phrases_loosened);
        let r = search_in(&lib, "казакстан", &[]);
        let s = first_snippet(&r);
        assert!(s.contains("<mark>Қазақстандағы</mark>"), "{s}");
    }

    #[test]
    fn typos_are_corrected_keeping_phrases_and_exclusions() {
        let lib = library(&[
            ("a", "ru", 5, &["Числитель и знаменатель дроби."]),
            ("b", "ru", 5, &["Дроби и проценты в задачах."]),
        ]);
        let ask = |q: &str| search_in(&lib, q, &[]);
        // One word of two is misspelt: results for the query as typed, and an offer.
        let r = ask("дроби знаменатль");
        assert_eq!(r.total_books, 2);
        assert_eq!(r.did_you_mean, None);
        assert_eq!(r.suggestion.as_deref(), Some("дроби знаменатель"));
        // All words known: no offer.
        assert_eq!(ask("дроби знаменатель").suggestion, None);
        // Nothing matches as typed: results for the correction, which keeps the exclusion.
        let r = ask("знаменатль -проценты");
        assert_eq!(r.did_you_mean.as_deref(), Some("знаменатель -проценты"));
        let slugs: Vec<&str> = r.books.iter().map(|b| b.book.slug.as_str()).collect();
        assert_eq!(slugs, ["a"]);
        let r = ask("\"знаменатль дроби\"");
        assert_eq!(r.did_you_mean.as_deref(), Some("\"знаменатель дроби\""));
    }

    #[test]
    fn glossary_terms_of_several_words_and_of_uzbek_latin_expand_queries() {
        use crate::library::GlossaryRecord;
        let lib = Library::in_memory().unwrap();
        let mut w = lib.writer().unwrap();
        let mut ky = built(
            "ky-guide",
            "ky",
            5,
            None,
            &["Калыптандыруучу баалоо сабакта колдонулат."],
        );
        ky.record.glossary = vec![
            GlossaryRecord {
                term: "калыптандыруучу баалоо".into(),
                lang: "ky".into(),
                equivalents: vec![("ru".into(), "формирующее оценивание".into())],
            },
            GlossaryRecord {
                term: "odat".into(),
                lang: "uz-Latn".into(),
                equivalents: vec![("en".into(), "habit".into())],
            },
        ];
        w.replace_book(&ky).unwrap();
        let ru = [
            "Формирующее оценивание помогает ученику.",
            "Оценивание итоговой работы.",
        ];
        w.replace_book(&built("ru-guide", "ru", 5, None, &ru))
            .unwrap();
        w.replace_book(&built(
            "uz-book",
            "uz-Latn",
            5,
            None,
            &["Yaxshi odatlar sogʻliqni saqlaydi."],
        ))
        .unwrap();
        w.commit().unwrap();
        // The Kyrgyz term of two words finds the Russian passage with its equivalent as a
        // phrase, not every passage with «оценивание».
        let hits = found(&lib, "калыптандыруучу баалоо");
        assert!(hits.contains(&"ru-guide#p0".to_string()), "{hits:?}");
        assert!(!hits.contains(&"ru-guide#p1".to_string()), "{hits:?}");
        // And back, from the Russian phrase.
        let hits = found(&lib, "\"формирующее оценивание\"");
        assert!(hits.contains(&"ky-guide#p0".to_string()), "{hits:?}");
        // An English word finds the Uzbek (Latin) word through the glossary, inflected too.
        let hits = found(&lib, "habit");
        assert!(hits.contains(&"uz-book#p0".to_string()), "{hits:?}");
    }

    #[test]
    fn uzbek_and_tajik_words_typed_without_their_letters_are_found() {
        let lib = library(&[
            ("uz-cyrl", "uz", 5, &["Ўқитувчилар дарсга тайёрланди."]),
            (
                "uz-latn",
                "uz-Latn",
                5,
                &["Oʻqituvchilar darsga tayyorlandi."],
            ),
            ("tg-book", "tg", 5, &["Китобҳо дар мактаб."]),
            ("tg-readers", "tg", 5, &["Китобхонҳо омаданд."]),
            ("ky-book", "ky", 5, &["Мугалимдер сабакка даярданды."]),
        ]);
        // The last word completes to longer words of its root (тайёр → тайёрланди, китоб →
        // китобхонҳо, typed without ҳ too), as in Kyrgyz and Kazakh.
        for (q, book) in [
            ("тайёр", "uz-cyrl#p0"),
            ("tayyor", "uz-latn#p0"),
            ("китоб", "tg-readers#p0"),
        ] {
            let hits = found(&lib, q);
            assert!(hits.contains(&book.to_string()), "{q}: {hits:?}");
        }
        // Phrases typed without the languages' letters are found as phrases.
        for (q, book) in [
            ("\"укитувчилар дарсга\"", "uz-cyrl"),
            ("\"oqituvchilar darsga\"", "uz-latn"),
            ("\"китобхо дар\"", "tg-book"),
        ] {
            let r = search_in(&lib, q, &[]);
            assert!(!r.phrases_loosened, "{q}");
            let books: Vec<&str> = r.books.iter().map(|b| b.book.slug.as_str()).collect();
            assert!(books.contains(&book), "{q}: {books:?}");
        }
        for (q, book) in [
            ("укитувчи", "uz-cyrl#p0"),
            ("ўқитувчи", "uz-cyrl#p0"),
            ("oqituvchi", "uz-latn#p0"),
            ("китобхо", "tg-book#p0"),
        ] {
            let hits = found(&lib, q);
            assert!(hits.contains(&book.to_string()), "{q}: {hits:?}");
            assert!(!hits.contains(&"ky-book#p0".to_string()), "{q}: {hits:?}");
        }
    }

    #[test]
    fn a_phrase_no_passage_has_falls_back_to_its_words() {
        let lib = library(&[("a", "ky", 5, &["Бөлчөктөрдү кошуу жана кемитүү."])]);
        let ask = |q: &str| search_in(&lib, q, &[]);
        let exact = ask("\"бөлчөктөрдү кошуу\"");
        assert_eq!(exact.total_books, 1);
        assert!(!exact.phrases_loosened);
        // Typed on a phone without ө: found as a phrase, in the loose field.
        let typed = ask("\"болчокторду кошуу\"");
        assert_eq!(typed.total_books, 1);
        assert!(!typed.phrases_loosened);
        let s = first_snippet(&typed);
        assert!(
            s.contains("<mark>Бөлчөктөрдү</mark> <mark>кошуу</mark>"),
            "{s}"
        );
        // …but not in another word order, nor a word form the passage does not have: then the
        // phrase falls back to its words.
        assert!(ask("\"кошуу болчокторду\"").phrases_loosened);
        assert!(ask("\"болчокторун кошуу\"").phrases_loosened);
        // Typed in Latin letters, with or without ö ü: a phrase too, in order only.
        for q in ["\"bolchoktordu koshuu\"", "\"bölchöktördü koshuu\""] {
            let latin = ask(q);
            assert_eq!(latin.total_books, 1, "{q}");
            assert!(!latin.phrases_loosened, "{q}");
        }
        assert!(ask("\"koshuu bolchoktordu\"").phrases_loosened);
        // Words in another order.
        assert!(ask("\"кошуу бөлчөктөрдү\"").phrases_loosened);
        // An exclusion still holds.
        assert_eq!(ask("\"кошуу бөлчөктөрдү\" -кемитүү").total_books, 0);
    }

    #[test]
    fn titles_sort_in_the_order_of_the_alphabet() {
        let mut titles = vec![
            "Үй",
            "Өнөр",
            "Уя",
            "Ой",
            "Нан",
            "Ңа",
            "Яблоко",
            "Ёлка",
            "Ел",
            "Жер",
            "Қала",
            "Кол",
        ];
        titles.sort_by_cached_key(|t| title_key(t));
        assert_eq!(
            titles,
            [
                "Ел",
                "Ёлка",
                "Жер",
                "Кол",
                "Қала",
                "Нан",
                "Ңа",
                "Ой",
                "Өнөр",
                "Уя",
                "Үй",
                "Яблоко"
            ]
        );
        assert_eq!(Sort::parse("Title"), Some(Sort::Title));
        assert_eq!(Sort::parse("date"), Some(Sort::Date));
        assert_eq!(Sort::parse("rank"), None);
    }

    #[test]
    fn a_query_in_one_language_finds_the_other_editions_of_the_work() {
        let lib = Library::in_memory().unwrap();
        let mut w = lib.writer().unwrap();
        let ky = ["Бөлчөктөрдү кошуу үчүн алымдарын кошобуз."];
        let ru = ["Чтобы сложить дроби, складываем числители."];
        w.replace_book(&built("fr-ky", "ky", 5, Some("fractions"), &ky))
            .unwrap();
        w.replace_book(&built("fr-ru", "ru", 5, Some("fractions"), &ru))
            .unwrap();
        w.replace_book(&built("other-ru", "ru", 5, None, &["Дроби и числители."]))
            .unwrap();
        w.replace_book(&built(
            "birds-ru",
            "ru",
            3,
            Some("birds"),
            &["Птицы летят на юг."],
        ))
        .unwrap();
        w.commit().unwrap();
        let ask = |query: &str, filters: &[(&str, &str)]| search_in(&lib, query, filters);
        // A Kyrgyz word finds the Kyrgyz edition, then the Russian one, found through it.
        let r = ask("бөлчөк", &[]);
        let slugs: Vec<&str> = r.books.iter().map(|b| b.book.slug.as_str()).collect();
        assert_eq!(slugs, ["fr-ky", "fr-ru"]);
        assert_eq!(r.books[1].edition_of.as_ref().unwrap().slug, "fr-ky");
        assert!(r.books[1].score < r.books[0].score);
        assert!(r.books[1].passages[0].snippet.contains("<mark>"));
        assert_eq!(r.total_books, 2);
        // Asking for Russian books only still finds the Russian edition of the Kyrgyz match.
        let r = ask("бөлчөк", &[("lang", "ru")]);
        let slugs: Vec<&str> = r.books.iter().map(|b| b.book.slug.as_str()).collect();
        assert_eq!(slugs, ["fr-ru"]);
        // And the other way round. An edition that matches itself is listed once, as a match
        // of its own; a book of no work brings no other book.
        let r = ask("дроби", &[]);
        let hits: Vec<(&str, Option<&str>)> = r
            .books
            .iter()
            .map(|b| {
                (
                    b.book.slug.as_str(),
                    b.edition_of.as_ref().map(|e| e.slug.as_str()),
                )
            })
            .collect();
        assert_eq!(
            hits,
            [
                ("other-ru", None),
                ("fr-ru", None),
                ("fr-ky", Some("fr-ru"))
            ]
        );
        // Facet filters hold for the editions added; searching within a book adds none.
        assert!(ask("бөлчөк", &[("grade", "3")]).books.is_empty());
        let r = ask("бөлчөк", &[("book", "fr-ky")]);
        assert_eq!(r.books.len(), 1);
    }

    fn found(lib: &Library, query: &str) -> Vec<String> {
        search_in(lib, query, &[])
            .books
            .iter()
            .flat_map(|b| {
                b.passages
                    .iter()
                    .map(move |p| format!("{}#{}", b.book.slug, p.anchor))
            })
            .collect()
    }

    /// The first page (10 books) for `query` with `filters`.
    /// The snippet of the first passage of the first book found.
    fn first_snippet(r: &SearchResults) -> &str {
        &r.books[0].passages[0].snippet
    }

    fn search_in(lib: &Library, query: &str, filters: &[(&str, &str)]) -> SearchResults {
        search(
            lib,
            &SearchRequest {
                query: query.into(),
                filters: filters
                    .iter()
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .collect(),
                per_page: 10,
                ..Default::default()
            },
        )
        .unwrap()
    }

    /// `book#anchor` of every passage shown, in order.
    fn passages_of(r: &SearchResults) -> Vec<String> {
        r.books
            .iter()
            .flat_map(|b| {
                b.passages
                    .iter()
                    .map(|p| format!("{}#{}", b.book.slug, p.anchor))
            })
            .collect()
    }

    #[test]
    fn deep_result_pages_of_a_large_index_are_filled() {
        // 30 books of 20 matching passages; the best passages all belong to the first books,
        // so the candidates that fill the first page cannot fill the third.
        let texts: Vec<Vec<String>> = (0..30)
            .map(|b| {
                (0..20)
                    .map(|i| format!("китеп {}", "жана ".repeat(b * 20 + i)))
                    .collect()
            })
            .collect();
        let refs: Vec<Vec<&str>> = texts
            .iter()
            .map(|t| t.iter().map(String::as_str).collect())
            .collect();
        let slugs: Vec<String> = (0..30).map(|b| format!("b{b:02}")).collect();
        let books: Vec<(&str, &str, u8, &[&str])> = slugs
            .iter()
            .zip(&refs)
            .map(|(s, t)| (s.as_str(), "ky", 5, t.as_slice()))
            .collect();
        let lib = library(&books);
        let mut listed = Vec::new();
        for page in 1..=3 {
            let req = SearchRequest {
                query: "китеп".into(),
                per_page: 10,
                page,
                ..Default::default()
            };
            // As a large index (candidates only) and as a small one (every match grouped).
            let best = run_grouping(&lib, &req, 0).unwrap();
            let all = run_grouping(&lib, &req, u64::MAX).unwrap();
            let books_of = |r: &SearchResults| -> Vec<String> {
                r.books.iter().map(|b| b.book.slug.clone()).collect()
            };
            assert_eq!(books_of(&best), books_of(&all), "page {page}");
            // Each book's best passages too, though most of them were skipped while the books
            // were found.
            assert_eq!(passages_of(&best), passages_of(&all), "page {page}");
            assert_eq!(best.books[0].passages.len(), PASSAGES_PER_BOOK);
            assert!(!best.totals_exact && all.totals_exact);
            listed.extend(books_of(&best));
        }
        assert_eq!(listed, slugs);
        // The same with an exclusion and with a filter, whose queries are not a plain union
        // (their passages are read through the whole query's scorer).
        for (query, filters) in [("китеп -дептер", vec![]), ("китеп", vec![("grade", "5")])]
        {
            let req = SearchRequest {
                query: query.into(),
                per_page: 10,
                page: 2,
                filters: filters
                    .iter()
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .collect(),
                ..Default::default()
            };
            let best = run_grouping(&lib, &req, 0).unwrap();
            let all = run_grouping(&lib, &req, u64::MAX).unwrap();
            assert_eq!(passages_of(&best), passages_of(&all), "{query}");
            assert_eq!(passages_of(&best).len(), 10 * PASSAGES_PER_BOOK, "{query}");
        }
    }

    #[test]
    fn a_word_in_one_form_is_read_once_and_an_exact_form_still_ranks_first() {
        let lib = library(&[(
            "a",
            "ky",
            5,
            &["Биз жээкте отурдук.", "Жээги узун.", "Суусу тунук."],
        )]);
        let searcher = lib.reader.searcher();
        let terms = |q: &str| {
            let built = query::build(
                &searcher,
                &lib.fields,
                &query::parse(q),
                &["ky"],
                &[],
                &Default::default(),
            )
            .unwrap();
            let mut n = 0;
            built.query_terms(&mut |_, _| n += 1);
            n
        };
        // `суусу` is the only form of its stem: one posting list, not the word's and the
        // stem's.
        assert_eq!(terms("суусу"), 1);
        // `жээк` has two forms: the typed one keeps its own clause beside the stem (whose
        // folded form `жеек` is the same passages and merges into it)…
        assert_eq!(terms("жээкте"), 2);
        // …so the passage with the form as typed ranks first.
        let r = search(
            &lib,
            &SearchRequest {
                query: "жээкте".into(),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(passages_of(&r), ["a#p0", "a#p1"]);
    }

    #[test]
    fn a_folded_word_keeps_the_passages_of_its_other_reading_when_counts_tie() {
        // One passage each: `кол` (hand) and `көл` (lake), which typed without ө is `кол` too.
        // Their posting lists are as long but not the same passages, so neither is merged.
        let lib = library(&[
            ("hand", "ky", 5, &["Колу ооруйт."]),
            ("lake", "ky", 5, &["Көлү тунук."]),
        ]);
        let mut books = found(&lib, "колу");
        books.sort();
        assert_eq!(books, ["hand#p0", "lake#p0"]);
    }

    #[test]
    fn a_finished_russian_word_is_completed_only_where_snowball_cut_it_short() {
        let lib = library(&[(
            "r",
            "ru",
            5,
            &[
                "Новые альбомы вышли.",
                "Последний урок был трудным.",
                "После урока мы ушли домой.",
            ],
        )]);
        let found = |q: &str| {
            let req = SearchRequest {
                query: q.into(),
                lang: Some("ru".into()),
                ..Default::default()
            };
            passages_of(&search(&lib, &req).unwrap())
        };
        // Snowball stems `альбому` to альб and `альбомы` to альбом: the completion joins them.
        assert_eq!(found("альбому"), ["r#p0"]);
        // `после` is a word of its own, not the start of `последний`.
        assert_eq!(found("после"), ["r#p2"]);
        // Still being typed, a word is completed as before.
        assert_eq!(found("послед"), ["r#p1"]);
    }

    #[test]
    fn passages_skipped_while_books_were_found_are_read_back() {
        // With one book wanted, the strong third passage raises the bar above the fourth, which
        // the search then skips: the book's first passages (seen while there was no bar yet)
        // must not stand in for it.
        let lib = library(&[(
            "a",
            "ky",
            5,
            &[
                "китеп жана жана жана жана жана жана жана жана",
                "китеп жана жана жана жана жана жана",
                "китеп китеп китеп",
                "китеп жана",
            ],
        )]);
        let req = SearchRequest {
            query: "китеп".into(),
            per_page: 1,
            ..Default::default()
        };
        let best = run_grouping(&lib, &req, 0).unwrap();
        let all = run_grouping(&lib, &req, u64::MAX).unwrap();
        assert!(!best.totals_exact);
        assert_eq!(passages_of(&all), ["a#p2", "a#p3", "a#p1"]);
        assert_eq!(passages_of(&best), passages_of(&all));
    }

    #[test]
    fn grouping_every_match_agrees_with_grouping_the_best_passages() {
        let lib = library(&[
            (
                "a",
                "ky",
                5,
                &["Китеп окуу пайдалуу.", "Китептер текчеде.", "Окуу жакшы."],
            ),
            ("b", "ky", 6, &["Бул китепти окудум.", "Китеп жана дептер."]),
            ("c", "ky", 7, &["Мектепте китепкана бар."]),
            ("d", "ru", 6, &["Книга на столе."]),
        ]);
        // Plain words (a union of clauses), an exclusion and filters (other query shapes).
        for (q, filters) in [
            ("китеп", vec![]),
            ("окуу китеп", vec![]),
            ("книга", vec![]),
            ("китепкана", vec![]),
            ("жок", vec![]),
            ("китеп -дептер", vec![]),
            ("китеп", vec![("grade", "5"), ("grade", "6")]),
            ("окуу", vec![("book", "a")]),
        ] {
            let req = SearchRequest {
                query: q.into(),
                per_page: 10,
                filters: filters
                    .iter()
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .collect(),
                ..Default::default()
            };
            let all = run_grouping(&lib, &req, u64::MAX).unwrap();
            let best = run_grouping(&lib, &req, 0).unwrap();
            let shape = |r: &SearchResults| {
                r.books
                    .iter()
                    .map(|b| {
                        let anchors: Vec<&str> =
                            b.passages.iter().map(|p| p.anchor.as_str()).collect();
                        format!("{}:{}", b.book.slug, anchors.join(","))
                    })
                    .collect::<Vec<_>>()
            };
            assert_eq!(shape(&all), shape(&best), "{q}");
            assert_eq!(all.total_books, best.total_books, "{q}");
            assert_eq!(all.facets, best.facets, "{q}");
            // A handful of matches: both know the totals are complete.
            assert!(all.totals_exact && best.totals_exact, "{q}");
        }
    }

    #[test]
    fn keyboard_spellings_and_unfinished_words_find_passages() {
        let lib = library(&[
            ("lake", "ky", 5, &["Ысык-Көл көлүнүн суусу тунук."]),
            ("hand", "ky", 5, &["Колуңду жуу керек."]),
            ("fractions", "ky", 5, &["Бөлчөктөрдү кошууну үйрөнөбүз."]),
        ]);
        // Typed with ө: the lake only, not the hand (кол) its folded spelling would also find.
        assert_eq!(found(&lib, "көлдүн"), vec!["lake#p0"]);
        // Typed without ө (a phone keyboard): the lake is found too.
        assert!(found(&lib, "колдун").contains(&"lake#p0".to_string()));
        // An unfinished last word, with and without its letters.
        assert_eq!(found(&lib, "бөлчө"), vec!["fractions#p0"]);
        assert_eq!(found(&lib, "болчо"), vec!["fractions#p0"]);
        assert_eq!(found(&lib, "bolcho"), vec!["fractions#p0"]);
    }

    /// A verb as dictionaries cite it (`иште`, "to work") also reads as a noun with a case
    /// ending (иш-те, "at work"): its own forms come first, before the noun's.
    #[test]
    fn a_verb_stem_typed_as_cited_finds_its_forms_first() {
        let lib = library(&[
            ("noun1", "ky", 5, &["Бул иш оңой эмес, иш көп."]),
            ("noun2", "ky", 5, &["Иштер жана иштин планы даяр."]),
            ("verb", "ky", 5, &["Патент менен иштегендер салык төлөйт."]),
        ]);
        for q in ["иште", "ishte"] {
            assert_eq!(
                found(&lib, q).first().map(String::as_str),
                Some("verb#p0"),
                "{q}"
            );
        }
    }

    #[test]
    fn a_derived_word_ranks_its_own_forms_above_those_of_its_base() {
        let lib = library(&[
            (
                "reading",
                "ky",
                5,
                &["Ал окуган китебин кайра окуп, окуусун улантты."],
            ),
            ("pupils", "ky", 5, &["Класста жыйырма окуучулар отурат."]),
            (
                "keeping",
                "ky",
                5,
                &["Ден соолукту сактоо үчүн тартипти сактап, тамакты сакта."],
            ),
            (
                "reservoir",
                "ky",
                5,
                &["Токтогул суу сактагычында суу көбөйдү."],
            ),
            (
                "multiplying",
                "ky",
                5,
                &["Көбөйтүүнү үйрөнөбүз: 3тү 4кө көбөйт, анан көбөйтүп текшер."],
            ),
            (
                "product",
                "ky",
                5,
                &["3 жана 4 сандарынын көбөйтүндүсүн тап."],
            ),
        ]);
        for (q, first) in [
            ("окуучу", "pupils#p0"),
            ("окуучуларга", "pupils#p0"),
            ("okuuchu", "pupils#p0"),
            ("сактагыч", "reservoir#p0"),
            ("сактагычтын", "reservoir#p0"),
            ("көбөйтүндү", "product#p0"),
            ("көбөйтүндүнү", "product#p0"),
        ] {
            assert_eq!(
                found(&lib, q).first().map(String::as_str),
                Some(first),
                "{q}"
            );
        }
        // The derived word still meets its base.
        assert!(found(&lib, "окуу").contains(&"pupils#p0".to_string()));
        assert!(found(&lib, "сактоо").contains(&"reservoir#p0".to_string()));
    }

    #[test]
    fn a_passive_verb_finds_its_own_forms_first_and_its_root_finds_it() {
        let lib = library(&[
            ("took", "ky", 5, &["Айбек дүкөндөн нан алды."]),
            (
                "received",
                "ky",
                5,
                &["Китептер китепканага быйыл алынган."],
            ),
        ]);
        for q in ["алынган", "alyngan", "алынды"] {
            assert_eq!(
                found(&lib, q).first().map(String::as_str),
                Some("received#p0"),
                "{q}"
            );
        }
        // The root and its dictionary form find the passive as well.
        for q in ["алуу", "алды"] {
            assert!(found(&lib, q).contains(&"received#p0".to_string()), "{q}");
        }
    }

    #[test]
    fn an_english_word_read_as_kyrgyz_still_meets_its_english_forms() {
        // `evaporate` and `rain` look like Kyrgyz typed in Latin letters to language ID; the
        // English books are searched too, with the English stemmer.
        let lib = library(&[
            (
                "water",
                "en",
                5,
                &["The sun warms the lake and the water evaporates. Later it rains."],
            ),
            ("lake", "ky", 5, &["Көлдүн суусу таза."]),
        ]);
        for q in ["evaporate", "evaporating", "raining"] {
            let r = search_in(&lib, q, &[]);
            assert_eq!(r.did_you_mean, None, "{q}");
            assert_eq!(
                found(&lib, q).first().map(String::as_str),
                Some("water#p0"),
                "{q}"
            );
        }
    }

    #[test]
    fn a_bare_word_is_also_read_as_a_possessive() {
        // алды: "took", or "its front", whose forms (алдында) stem apart.
        let lib = library(&[
            ("front", "ky", 5, &["Үйдүн алдында чоң бак бар."]),
            ("took", "ky", 5, &["Айбек дүкөндөн нан алды."]),
            ("orchard", "ky", 5, &["Бакта алма бышты."]),
        ]);
        for q in ["алды бак", "aldy bak"] {
            assert_eq!(
                found(&lib, q).first().map(String::as_str),
                Some("front#p0"),
                "{q}"
            );
        }
    }

    #[test]
    fn a_kazakh_noun_in_yndy_finds_its_forms_first() {
        let lib = library(&[
            (
                "multiplying",
                "kk",
                5,
                &["Көбейтуді үйренеміз: үшті төртке көбейт, сосын көбейтіп тексер."],
            ),
            (
                "product",
                "kk",
                5,
                &["Үш пен төрт сандарының көбейтіндісін тап."],
            ),
            (
                "gathering",
                "kk",
                5,
                &["Ауылда қосын жиналды, бәрі қосылды."],
            ),
            ("sum", "kk", 5, &["Екі санның қосындысы он болады."]),
        ]);
        for (q, first) in [
            ("көбейтінді", "product#p0"),
            ("көбейтіндіні", "product#p0"),
            ("кобейтинди", "product#p0"),
            ("kobeytindi", "product#p0"),
            ("қосынды", "sum#p0"),
            ("косындыны", "sum#p0"),
        ] {
            assert_eq!(
                found(&lib, q).first().map(String::as_str),
                Some(first),
                "{q}"
            );
        }
    }

    #[test]
    fn a_verb_meets_its_present_future_forms() {
        let lib = library(&[
            ("writes", "ky", 5, &["Окуучулар дептерге кат жазышат."]),
            ("wrote", "ky", 5, &["Апам мага кат жазган."]),
            ("goes", "ky", 5, &["Ал мектепке эртең менен барат."]),
            ("summer", "ky", 5, &["Бул жылы жай ысык болду."]),
        ]);
        // The dictionary form finds the present-future, which the stemmer leaves whole…
        let writing = found(&lib, "жазуу");
        assert!(writing.contains(&"writes#p0".to_string()), "{writing:?}");
        assert!(writing.contains(&"wrote#p0".to_string()), "{writing:?}");
        // …and a present-future form finds the verb's other forms.
        let wrote = found(&lib, "жазат");
        assert!(
            wrote.contains(&"wrote#p0".to_string()) && wrote.contains(&"writes#p0".to_string()),
            "{wrote:?}"
        );
        assert_eq!(found(&lib, "баруу"), ["goes#p0"]);
        // Typed in Latin letters, or without ө ү (түшүү, typed тушуу), alike.
        for q in ["jazuu", "jazat"] {
            let r = found(&lib, q);
            assert!(
                r.contains(&"writes#p0".to_string()) && r.contains(&"wrote#p0".to_string()),
                "{q}: {r:?}"
            );
        }
        let fall = library(&[("falls", "ky", 5, &["Кар жерге акырын түшөт."])]);
        assert_eq!(found(&fall, "тушуу"), ["falls#p0"]);
    }

    #[test]
    fn results_are_grouped_by_book_with_facets_of_the_books() {
        let lib = library(&[
            ("a", "ky", 5, &["Китеп окуу пайдалуу.", "Китептер текчеде."]),
            ("b", "ky", 6, &["Бул китепти окудум."]),
            ("c", "ru", 6, &["Книга на столе."]),
        ]);
        let r = search(
            &lib,
            &SearchRequest {
                query: "китеп".into(),
                per_page: 10,
                ..Default::default()
            },
        )
        .unwrap();
        let books: Vec<&str> = r.books.iter().map(|b| b.book.slug.as_str()).collect();
        assert_eq!(books.len(), 2, "{books:?}");
        assert!(books.contains(&"a") && books.contains(&"b"));
        let a = r.books.iter().find(|b| b.book.slug == "a").unwrap();
        assert_eq!(a.passages.len(), 2);
        assert_eq!(r.total_books, 2);
        let grades = &r.facets["grade"];
        assert!(grades.contains(&("5".to_string(), 1)) && grades.contains(&("6".to_string(), 1)));
        assert_eq!(r.facets["lang"], vec![("ky".to_string(), 2)]);
        // Two values of one filter are alternatives; two filters both apply.
        let filtered = |filters: &[(&str, &str)]| -> Vec<String> {
            let mut slugs: Vec<String> = search_in(&lib, "китеп книга", filters)
                .books
                .iter()
                .map(|b| b.book.slug.clone())
                .collect();
            slugs.sort();
            slugs
        };
        assert_eq!(filtered(&[("grade", "5"), ("grade", "6")]), ["a", "b", "c"]);
        assert_eq!(filtered(&[("grade", "6"), ("lang", "ru")]), ["c"]);
        assert_eq!(filtered(&[("lang", "ky"), ("lang", "ru")]), ["a", "b", "c"]);
    }

    #[test]
    fn fast_lowercase_agrees_with_std() {
        for c in '\u{0}'..='\u{5FF}' {
            assert_eq!(
                fast_lower(c),
                c.to_lowercase().next().unwrap(),
                "{c:?} U+{:04X}",
                c as u32
            );
        }
    }

    #[test]
    fn fast_letter_test_agrees_with_std() {
        for c in ('\u{0}'..='\u{5FF}').chain(['ʻ', '’', '‿', '\u{301}']) {
            assert_eq!(is_letter_or_digit(c), c.is_alphanumeric(), "{c:?}");
        }
    }

    #[test]
    fn the_first_letter_shortcut_never_loses_a_match() {
        // Every word of the sample books, judged fully and through the shortcut, for queries typed
        // with and without ө ү ң, in Latin letters, in Russian and English.
        let mut text = String::new();
        for dir in std::fs::read_dir(corpus::sample_books_dir())
            .unwrap()
            .flatten()
        {
            let src = dir.path().join("src");
            for f in std::fs::read_dir(&src).into_iter().flatten().flatten() {
                if f.path().extension().is_some_and(|e| e == "md") {
                    text.push_str(&std::fs::read_to_string(f.path()).unwrap());
                }
            }
        }
        text.push_str(" Kитеп (Latin K) ёлка Ёж яблоко Яблоки эмне өнөр Өнөр");
        let words: Vec<&str> = word_spans(&text, false)
            .0
            .iter()
            .map(|w| &text[w.start..w.end])
            .collect();
        assert!(words.len() > 5000);
        for (q, langs) in [
            ("бөлчөк китеп", vec!["ky"]),
            ("болчок онор", vec!["ky"]),
            ("kitep okuuchu", vec!["ky"]),
            ("дроби ёлка яблоко", vec!["ru"]),
            ("water mountains", vec!["en"]),
            ("суу эмне", vec!["ky", "ru"]),
            ("сабак ойлор", vec!["ky", "kk"]),
            ("oʻquvchi sogʻlom", vec!["uz", "uz-Latn"]),
            ("съезд объект я а", vec!["ru"]),
        ] {
            let h = HighlightTerms::new(&query::parse(q), &langs);
            let mut hits = 0;
            for w in &words {
                for lang in &langs {
                    let full = h.judge(w, lang);
                    hits += usize::from(full);
                    assert_eq!(h.matches(w, lang), full, "{q}: {w}");
                }
            }
            assert!(hits > 0, "{q} matches nothing");
        }
    }

    /// The byte-level reading of `word_spans` agrees with reading the text char by char.
    #[test]
    fn word_spans_agree_with_reading_chars() {
        fn by_chars(text: &str, apostrophes: bool) -> Vec<(usize, usize, usize, usize)> {
            let chars: Vec<(usize, char)> = text.char_indices().collect();
            let mut out = Vec::new();
            let mut start = None;
            for (k, &(i, c)) in chars.iter().enumerate() {
                let next_is_letter = chars.get(k + 1).is_some_and(|&(_, d)| d.is_alphanumeric());
                let inside = matches!(
                    c,
                    '\u{301}' | '\u{AD}' | '\u{200B}'..='\u{200D}' | '\u{2060}'
                ) || (apostrophes
                    && start.is_some()
                    && crate::analysis::normalize::is_apostrophe(c)
                    && next_is_letter);
                if c.is_alphanumeric() && c != '\u{482}' || inside {
                    start.get_or_insert((i, k));
                } else if let Some((s, cs)) = start.take() {
                    out.push((s, i, cs, k));
                }
            }
            if let Some((s, cs)) = start {
                out.push((s, text.len(), cs, chars.len()));
            }
            out
        }
        for text in [
            "Бул китеп — мектептин китепканасынан. 2024-жылы, 5-класс!",
            "O'qituvchilar `ish' o`g oʻquvchi o’g’il ' a'1 'b x'",
            "сө\u{301}з ки\u{AD}теп а\u{200B}б ҳамаи ҷаҳон ӯ ӣ ә ғ қ ң ө ұ ү һ і",
            "Ѣ ѳ ҂5 ✓ 東京 café naïve Ünal «кавычки» „so“ <b>&amp;",
            "",
            "'",
            "а'",
        ] {
            for apostrophes in [false, true] {
                let got: Vec<_> = word_spans(text, apostrophes)
                    .0
                    .iter()
                    .map(|w| (w.start, w.end, w.char_start, w.char_end))
                    .collect();
                assert_eq!(got, by_chars(text, apostrophes), "{text:?} {apostrophes}");
                assert_eq!(word_spans(text, apostrophes).1, text.chars().count());
            }
        }
    }

    #[test]
    fn snippets_count_characters_and_escape() {
        let q = query::parse("китеп");
        let h = HighlightTerms::new(&q, &["ky"]);
        let text = format!(
            "{} Бул китептерибизден бири <b>. {}",
            "сөз ".repeat(100),
            "сөз ".repeat(100)
        );
        let s = snippet(&text, &h, "ky");
        assert!(s.contains("<mark>китептерибизден</mark>"), "{s}");
        assert!(s.contains("&lt;b&gt;"));
        assert!(
            s.chars().count() < SNIPPET_CHARS + 80,
            "{}",
            s.chars().count()
        );
        assert!(s.starts_with('…') && s.ends_with('…'));
    }
}
