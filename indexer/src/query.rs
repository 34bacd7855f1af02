//! From what a reader typed to a tantivy query, without tantivy's query parser: words, "phrases"
//! and -exclusions only, every clause built by us, so no syntax can reach a field that is not
//! public and no input can make the parser panic or loop. The clauses follow SEARCH-DESIGN.md.

use crate::analysis::normalize::is_apostrophe;
use crate::analysis::{fold, kyrgyz, normalize, translit};
use crate::analyzers::{self, FieldKind, russian_stem};
use crate::library::GlossaryRecord;
use crate::schema::Fields;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use tantivy::Term;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::IndexRecordOption;

/// At most this many words are searched; the rest of a very long query is ignored (and said so).
pub const MAX_TERMS: usize = 32;
/// Characters read from a query; the rest is ignored.
pub const MAX_QUERY_CHARS: usize = 1_000;

/// The reader's query, understood.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedQuery {
    pub words: Vec<String>,
    pub phrases: Vec<Vec<String>>,
    pub excluded: Vec<String>,
    /// Something was cut (too long, too many words).
    pub truncated: bool,
}

impl ParsedQuery {
    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.phrases.is_empty()
    }
}

/// Splits a query into words, quoted phrases and `-excluded` words. Never fails.
pub fn parse(input: &str) -> ParsedQuery {
    let mut q = ParsedQuery::default();
    let mut text: String = input.chars().take(MAX_QUERY_CHARS).collect();
    if text.len() < input.len() {
        q.truncated = true;
    }
    text = normalize::normalize(&text);
    // Typographic quotes (Russian and Kyrgyz «ёлочки», „…“, “…”) mark phrases too.
    if text.contains(['«', '»', '“', '”', '„']) {
        text = text.replace(['«', '»', '“', '”', '„'], "\"");
    }
    let mut count = 0;
    let mut rest = text.as_str();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('"') {
            let (inside, next) = after.split_once('"').unwrap_or((after, ""));
            let words = split_words(inside);
            if words.len() > 1 && count + words.len() <= MAX_TERMS {
                count += words.len();
                q.phrases.push(words);
            } else {
                push_words(inside, &mut q, false, &mut count);
            }
            rest = next;
            continue;
        }
        let end = rest.find([' ', '"', '\t', '\n']).unwrap_or(rest.len());
        let (chunk, next) = rest.split_at(end);
        match chunk.strip_prefix('-') {
            Some(ex) if !ex.is_empty() => push_words(ex, &mut q, true, &mut count),
            _ => push_words(chunk, &mut q, false, &mut count),
        }
        rest = next.trim_start_matches([' ', '\t', '\n']);
    }
    q
}

fn push_words(chunk: &str, q: &mut ParsedQuery, excluded: bool, count: &mut usize) {
    for w in split_words(chunk) {
        if *count >= MAX_TERMS {
            q.truncated = true;
            return;
        }
        *count += 1;
        if excluded {
            q.excluded.push(w);
        } else {
            q.words.push(w);
        }
    }
}

/// Words of a query: runs of letters and digits. An apostrophe between two letters stays in the
/// word (Uzbek `o'qituvchi`, `san'at`; Latin-typed Kyrgyz); [`parts_for`] splits it again for
/// the languages whose index does.
fn split_words(s: &str) -> Vec<String> {
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (k, &(i, c)) in chars.iter().enumerate() {
        let joins = is_apostrophe(c)
            && start.is_some()
            && chars
                .get(k + 1)
                .is_some_and(|&(_, n)| n.is_alphanumeric() && !is_apostrophe(n));
        // ʻ and ʼ are letters to Unicode (modifier letters); here they are apostrophes.
        if (c.is_alphanumeric() && !is_apostrophe(c)) || joins {
            start.get_or_insert(i);
        } else if let Some(st) = start.take() {
            out.push(&s[st..i]);
        }
    }
    if let Some(st) = start {
        out.push(&s[st..]);
    }
    out.into_iter()
        .filter(|w| w.len() <= analyzers::MAX_TOKEN_BYTES)
        .map(str::to_string)
        .collect()
}

/// The words a query word is searched as in `lang`: itself where apostrophes belong to words
/// (Uzbek, whose analyzer writes oʻ as one letter, and Latin-typed Kyrgyz), else its parts
/// between apostrophes, as the other languages' analyzers index them.
fn parts_for(lang: &str, word: &str) -> Vec<String> {
    if !word.contains(is_apostrophe)
        || lang == "uz"
        || (lang == "ky" && translit::is_latin_word(word))
    {
        return vec![word.to_string()];
    }
    word.split(is_apostrophe)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

/// A prefix clause becomes at most this many stems: those of the completions found in most
/// passages.
pub const PREFIX_EXPANSIONS: usize = 8;
/// Terms read at most per segment when expanding a prefix.
const PREFIX_SCAN: usize = 4_096;

/// Clauses collected for one query, deduplicated by (field, term): the first one wins.
struct Clauses<'a> {
    fields: &'a Fields,
    searcher: &'a tantivy::Searcher,
    seen: HashSet<(FieldKind, String, bool)>,
    /// Term clauses, kept apart until the query is built ([`Clauses::finish`]).
    terms: Vec<TermClause>,
    /// Other clauses (phrases).
    out: Vec<(Occur, Box<dyn Query>)>,
}

/// A clause other than a term's (a phrase), ready for the boolean query.
type OtherClause = (Occur, Box<dyn Query>);

/// A term clause: a term of a field's kind, its boost, and how many passages have it (`None`
/// if the index could not tell).
struct TermClause {
    kind: FieldKind,
    text: String,
    boost: f32,
    df: Option<u64>,
}

impl<'a> Clauses<'a> {
    fn new(fields: &'a Fields, searcher: &'a tantivy::Searcher) -> Self {
        Clauses {
            fields,
            searcher,
            seen: HashSet::default(),
            terms: Vec::new(),
            out: Vec::new(),
        }
    }

    fn term(&mut self, kind: FieldKind, term: &str, boost: f32) {
        if term.is_empty() || !self.seen.insert((kind, term.to_string(), false)) {
            return;
        }
        // The folded field leaves out terms equal to their word's stem: those are searched in
        // the stemmed field.
        if kind == FieldKind::KyFold {
            self.term(FieldKind::KyStem, term, boost);
        }
        let t = Term::from_field_text(self.fields.analyzed(kind), term);
        // A term no passage has adds nothing but its cost: a weight, a scorer and two lookups
        // in the term dictionary (most of a query's clauses are such terms: the other
        // languages' forms of its words, folded forms that equal their stems).
        let df = self.searcher.doc_freq(&t).ok();
        if df == Some(0) {
            return;
        }
        self.terms.push(TermClause {
            kind,
            text: term.to_string(),
            boost,
            df,
        });
    }

    /// The query's clauses. A word form, or a folded stem, that is found in exactly as many
    /// passages as its stem is found in exactly the same passages (every passage with the word
    /// has its stem; every passage with the stem has its folded form): its clause is merged
    /// into the stem's, their boosts added, so the passages score about as before but are
    /// read once. In a library many words occur in one form only, and most words with я, ю,
    /// э, ц, ь are their folded forms' only source.
    fn finish(self) -> Vec<(Occur, Box<dyn Query>)> {
        let fields = self.fields;
        let (terms, mut out) = self.merged();
        for t in terms {
            let term = Term::from_field_text(fields.analyzed(t.kind), &t.text);
            let q: Box<dyn Query> = Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs));
            out.push((Occur::Should, Box::new(BoostQuery::new(q, t.boost))));
        }
        out
    }

    /// The term clauses after merging (see [`Clauses::finish`]), and the other clauses.
    fn merged(self) -> (Vec<TermClause>, Vec<OtherClause>) {
        let Clauses { mut terms, out, .. } = self;
        let mut stems: HashMap<(FieldKind, String), usize> = HashMap::default();
        let mut folded: HashMap<String, usize> = HashMap::default();
        for (i, t) in terms.iter().enumerate() {
            match t.kind {
                FieldKind::KyStem => {
                    // A stem that is its own folded form is not in the folded field at all.
                    let key = fold::loose(&fold::fold(&t.text));
                    if key != t.text {
                        folded.entry(key).or_insert(i);
                    }
                    stems.entry((t.kind, t.text.clone())).or_insert(i);
                }
                FieldKind::RuStem => {
                    stems.entry((t.kind, t.text.clone())).or_insert(i);
                }
                _ => {}
            }
        }
        let mut merged = vec![false; terms.len()];
        for i in 0..terms.len() {
            let t = &terms[i];
            let target = match t.kind {
                FieldKind::KyText => stems.get(&(FieldKind::KyStem, kyrgyz::stem(&t.text))),
                FieldKind::RuText => stems.get(&(FieldKind::RuStem, russian_stem(&t.text))),
                FieldKind::KyFold => folded.get(&t.text),
                _ => None,
            };
            if let Some(&j) = target
                && j != i
                && t.df.is_some()
                && terms[j].df == t.df
            {
                let boost = t.boost;
                terms[j].boost += boost;
                merged[i] = true;
            }
        }
        let kept = terms
            .into_iter()
            .zip(merged)
            .filter(|(_, m)| !m)
            .map(|(t, _)| t)
            .collect();
        (kept, out)
    }

    /// Whether some passage has `term` in the field of `kind`.
    fn has(&self, kind: FieldKind, term: &str) -> bool {
        let t = Term::from_field_text(self.fields.analyzed(kind), term);
        self.searcher.doc_freq(&t).is_ok_and(|n| n > 0)
    }

    /// Words that start with `prefix` (search as you type, and words the stemmer does not
    /// conflate: compounds, derivations). The completions in `kind` are read from the index and
    /// searched through their stems (`stem_of`, in `stem_kind`): the most frequent stems first,
    /// at most [`PREFIX_EXPANSIONS`], leaving out those the query has already. A completion
    /// adds a term clause, so tantivy can skip passages that cannot reach the top (block-max
    /// WAND), and its forms share one posting list instead of one each. Stems longer than
    /// `longest` characters are left out.
    fn prefix(
        &mut self,
        kind: FieldKind,
        prefix: &str,
        boost: f32,
        stem_kind: FieldKind,
        stem_of: impl Fn(&str) -> String,
        longest: usize,
    ) {
        if !self.seen.insert((kind, prefix.to_string(), true)) {
            return;
        }
        let mut by_stem: HashMap<String, u64> = HashMap::default();
        // The completions with their document frequencies (an index error reads as none).
        let mut counts = HashMap::default();
        let field = self.fields.analyzed(kind);
        let _ = crate::vocabulary::count_prefixed(
            self.searcher,
            field,
            prefix,
            PREFIX_SCAN,
            |_| true,
            &mut counts,
        );
        let mut found: Vec<(String, u64)> = counts.into_iter().collect();
        // Only the most frequent completions are stemmed (a short prefix has thousands).
        let keep = 8 * PREFIX_EXPANSIONS;
        if found.len() > keep {
            found.select_nth_unstable_by(keep, |a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            found.truncate(keep);
        }
        for (term, freq) in found {
            let stem = stem_of(&term);
            if stem.chars().count() <= longest
                && !self.seen.contains(&(stem_kind, stem.clone(), false))
            {
                *by_stem.entry(stem).or_default() += freq;
            }
        }
        let mut stems: Vec<(String, u64)> = by_stem.into_iter().collect();
        stems.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        for (stem, _) in stems.into_iter().take(PREFIX_EXPANSIONS) {
            self.term(stem_kind, &stem, boost);
        }
    }
}

/// The weighted terms a query of the one word `word` is searched as in `langs`, exactly as
/// [`build`] makes them (after merging), without completions or glossary equivalents: what a
/// static site's search (`kitep export pack`) looks up for a word typed in its search box.
pub fn word_terms_for(
    searcher: &tantivy::Searcher,
    fields: &Fields,
    word: &str,
    langs: &[&str],
) -> Vec<(FieldKind, String, f32)> {
    let mut c = Clauses::new(fields, searcher);
    for lang in langs {
        word_clauses(&mut c, lang, word, false, 1.0);
    }
    c.merged()
        .0
        .into_iter()
        .map(|t| (t.kind, t.text, t.boost))
        .collect()
}

/// Whether `word` matches any passage by itself, in any language (its words, stems and folded
/// forms; no completions and no glossary): a word that does not may be a typo.
pub fn word_is_known(searcher: &tantivy::Searcher, fields: &Fields, word: &str) -> bool {
    let mut c = Clauses::new(fields, searcher);
    // Most words are in the index as typed (or folded): four lookups, no analysis.
    let lower = word.to_lowercase();
    if c.has(FieldKind::KyText, &lower)
        || c.has(FieldKind::RuText, &normalize::russian_yo(&lower))
        || c.has(FieldKind::Other, &lower)
        || c.has(FieldKind::KyLoose, &fold::loose(&fold::fold(&lower)))
    {
        return true;
    }
    for lang in languages_for(None) {
        word_clauses(&mut c, lang, word, false, 1.0);
    }
    c.terms.iter().any(|t| t.df.is_some_and(|n| n > 0))
}

/// Which language clause sets a query gets.
pub fn languages_for(lang: Option<&str>) -> Vec<&'static str> {
    match lang.map(analyzers::primary) {
        Some("ky") => vec!["ky"],
        Some("ru") => vec!["ru"],
        Some("en") => vec!["en"],
        Some("kk") => vec!["kk"],
        Some("uz") => vec!["uz"],
        Some("tg") => vec!["tg"],
        Some(_) => vec!["other"],
        None => vec!["ky", "ru", "en", "kk", "uz", "tg", "other"],
    }
}

/// The scoring query for the words of a parsed query, in the given languages, with glossary
/// equivalents of matching terms added at half weight (cross-language search).
///
/// `hinted` languages are searched as well, for their words and stems only: a query detected as
/// Kyrgyz may still be Russian, but completing its last word as Russian would mostly add noise.
pub fn build(
    searcher: &tantivy::Searcher,
    fields: &Fields,
    q: &ParsedQuery,
    langs: &[&str],
    hinted: &[&str],
    glossary: &GlossaryIndex,
) -> Option<Box<dyn Query>> {
    let mut c = Clauses::new(fields, searcher);
    let n = q.words.len();
    for (i, w) in q.words.iter().enumerate() {
        let last = i + 1 == n;
        for lang in langs {
            word_clauses(&mut c, lang, w, last, 1.0);
        }
        for lang in hinted {
            word_clauses(&mut c, lang, w, false, 1.0);
        }
        for (lang, equivalent) in glossary.equivalents(w) {
            add_equivalent(&mut c, &lang, &equivalent);
        }
    }
    // Glossary terms of several words («формирующее оценивание»), found among the words or in
    // a phrase.
    for words in std::iter::once(&q.words).chain(&q.phrases) {
        for (lang, equivalent) in glossary.phrase_equivalents(words) {
            add_equivalent(&mut c, &lang, &equivalent);
        }
    }
    for phrase in &q.phrases {
        for lang in langs.iter().chain(hinted) {
            phrase_clause(&mut c, lang, phrase, 2.0);
        }
    }
    let mut clauses = c.finish();
    if clauses.is_empty() {
        return None;
    }
    let positive: Box<dyn Query> = Box::new(BooleanQuery::new(std::mem::take(&mut clauses)));
    if q.excluded.is_empty() {
        return Some(positive);
    }
    let mut all = vec![(Occur::Must, positive)];
    for ex in &q.excluded {
        let mut seen = HashSet::default();
        for lang in langs.iter().chain(hinted) {
            for kind in FieldKind::for_language(lang) {
                for term in analyzers::terms(*kind, ex) {
                    if seen.insert((*kind, term.clone())) {
                        let t = Term::from_field_text(fields.analyzed(*kind), &term);
                        all.push((
                            Occur::MustNot,
                            Box::new(TermQuery::new(t, IndexRecordOption::Basic)) as Box<dyn Query>,
                        ));
                    }
                }
            }
        }
    }
    Some(Box::new(BooleanQuery::new(all)))
}

/// The clauses of one query word in `lang`, split at apostrophes where that language's index
/// splits words ([`parts_for`]); `last` applies to the last part.
fn word_clauses(c: &mut Clauses<'_>, lang: &str, word: &str, last: bool, weight: f32) {
    let parts = parts_for(lang, word);
    for (k, part) in parts.iter().enumerate() {
        part_clauses(c, lang, part, last && k + 1 == parts.len(), weight);
    }
}

fn part_clauses(c: &mut Clauses<'_>, lang: &str, t: &str, last: bool, weight: f32) {
    match lang {
        "ky" => kyrgyz_clauses(c, t, last, weight),
        "ru" => russian_clauses(c, t, last, weight),
        "en" => {
            c.term(FieldKind::EnStem, &analyzers::english_stem(t), weight);
            c.term(FieldKind::Other, t, weight);
        }
        "kk" => kazakh_clauses(c, t, last, weight),
        // Typed without the language's letters (or with no apostrophe in oʻ gʻ), a word is
        // searched in its folded field too.
        "uz" => {
            for kind in [FieldKind::UzStem, FieldKind::UzFold] {
                for term in analyzers::terms(kind, t) {
                    c.term(kind, &term, weight);
                }
            }
            if last {
                for key in analyzers::terms(FieldKind::UzFold, t) {
                    folded_completions(c, FieldKind::UzFold, &key, &key, weight);
                }
            }
        }
        "tg" => {
            c.term(FieldKind::TgStem, &crate::analysis::tajik::stem(t), weight);
            let key = crate::analysis::tajik::folded_key(t);
            if !fold::needs_fold(t) {
                c.term(FieldKind::TgFold, &key, weight);
            }
            if last {
                folded_completions(c, FieldKind::TgFold, &key, &key, weight);
            }
        }
        _ => c.term(FieldKind::Other, t, weight),
    }
}

/// A Kazakh word: its stem; typed without the Kazakh letters (or in Latin letters), also its
/// folded key, which passages written with ә ғ қ ң ө ұ ү һ і share.
fn kazakh_clauses(c: &mut Clauses<'_>, t: &str, last: bool, w: f32) {
    use crate::analysis::kazakh;
    let latin = translit::is_latin_word(t);
    let cands = if latin {
        translit::to_cyrillic_variants(t)
    } else {
        // A noun in -ынды/-інді (қосынды, sum): its own stem first, as in Kyrgyz, since the
        // stemmer splits its forms (қосын, қосынд).
        if let Some(derived) = kazakh::derived_stem(t) {
            c.term(FieldKind::KkStem, &derived, 2.0 * w);
        }
        c.term(FieldKind::KkStem, &kazakh::stem(t), w);
        // A verb's root and its verbal noun and converb, which the stemmer keeps apart.
        for form in kazakh::verb_forms(t) {
            c.term(FieldKind::KkStem, &kazakh::stem(&form), 0.5 * w);
        }
        vec![t.to_string()]
    };
    for cand in &cands {
        let key = kazakh::folded_key(cand);
        if latin || !fold::needs_fold(cand) {
            if let Some(derived) = kazakh::derived_folded_key(cand) {
                c.term(FieldKind::KkFold, &derived, 2.0 * w);
            }
            c.term(FieldKind::KkFold, &key, w);
            for form in kazakh::verb_forms(cand) {
                c.term(FieldKind::KkFold, &kazakh::folded_key(&form), 0.5 * w);
            }
        }
        // The last word is completed, as in Kyrgyz: in the folded field, which every spelling
        // reaches (a verb's root `құр` finds `құрылды`).
        if last {
            let loose = fold::loose(&fold::fold(cand));
            folded_completions(c, FieldKind::KkFold, &loose, &key, w);
        }
    }
}

fn kyrgyz_clauses(c: &mut Clauses<'_>, t: &str, last: bool, w: f32) {
    let (cands, latin) = if translit::is_latin_word(t) {
        c.term(FieldKind::KyText, t, w);
        (translit::to_cyrillic_variants(t), true)
    } else {
        (vec![t.to_string()], false)
    };
    for cand in &cands {
        let stem = kyrgyz::stem(cand);
        if !latin {
            // A derived word's own stem (окуучу in `окуучуларга`, held beside ок): the forms of
            // the derived word rank above those of its base (окуу, окуган).
            if let Some(derived) = kyrgyz::derived_stem(cand) {
                c.term(FieldKind::KyStem, &derived, 2.0 * w);
            }
            // A word that is its own stem is found by the stem clause, weighted as the word and
            // its stem together would be (one posting list instead of two much alike); a word of
            // three letters keeps its own clause, as such short stems are the most ambiguous.
            if *cand == stem && cand.chars().count() > 3 {
                c.term(FieldKind::KyStem, &stem, 2.0 * w);
            } else {
                c.term(FieldKind::KyText, cand, w);
                // The word may itself be a stem the passages' words have: a verb as
                // dictionaries cite it (`иште`, `сакта`), which reads as a noun with a case
                // ending (иш-те, сак-та). An inflected word is rarely any passage word's stem:
                // then the clause has no postings and is left out.
                c.term(FieldKind::KyStem, cand, w);
                c.term(FieldKind::KyStem, &stem, w);
            }
            // A lexical passive's root (ал for `алынган`, whose stem is алын): the root's other
            // forms, as the index holds it beside the stem.
            if let Some(root) = kyrgyz::voice_root(cand) {
                c.term(FieldKind::KyStem, &root, w);
            }
            // A bare word's possessive reading (`алды`: its front, алд-ы, beside the past tense
            // of ал), which its inflected forms (`алдында`) share.
            if let Some(reading) = kyrgyz::possessive_reading(cand) {
                c.term(FieldKind::KyStem, &reading, w);
            }
            c.term(
                FieldKind::KyStem,
                &kyrgyz::stem(&kyrgyz::verbal_noun(cand)),
                0.5 * w,
            );
            if let Some(b) = kyrgyz::derivation_base(&stem) {
                c.term(FieldKind::KyStem, b, 0.5 * w);
            }
            aorist_clauses(
                c,
                FieldKind::KyStem,
                cand,
                &stem,
                kyrgyz::aorist_forms,
                0.5 * w,
            );
        }
        // Typed with ө ү ң: the reader's keyboard has them, so the word is searched as typed;
        // otherwise it may stand for a word with those letters, and the folded field is searched.
        if !latin && fold::needs_fold(cand) {
            if last {
                let (field, target) = (FieldKind::KyText, FieldKind::KyStem);
                for p in prefixes(cand, &stem) {
                    c.prefix(field, p, 0.3 * w, target, kyrgyz::stem, usize::MAX);
                }
            }
            continue;
        }
        let ff = fold::fold(cand);
        let folded_stem = kyrgyz::stem(&ff);
        if let Some(derived) = kyrgyz::derived_stem(&ff) {
            c.term(FieldKind::KyFold, &fold::loose(&derived), 2.0 * w);
        }
        // The word itself as a stem, as above (`ishte`, typed in Latin letters, too).
        if ff != folded_stem {
            c.term(FieldKind::KyFold, &fold::loose(&ff), w);
        }
        c.term(FieldKind::KyFold, &fold::loose(&folded_stem), w);
        c.term(FieldKind::KyFold, &fold::loose(&fold::fold(&stem)), w);
        if let Some(root) = kyrgyz::voice_root(&ff) {
            c.term(FieldKind::KyFold, &fold::loose(&root), w);
        }
        if let Some(reading) = kyrgyz::possessive_reading(&ff) {
            c.term(FieldKind::KyFold, &fold::loose(&reading), w);
        }
        c.term(
            FieldKind::KyFold,
            &fold::loose(&kyrgyz::stem(&kyrgyz::verbal_noun(&ff))),
            0.5 * w,
        );
        if let Some(b) = kyrgyz::derivation_base(&folded_stem) {
            c.term(FieldKind::KyFold, &fold::loose(b), 0.5 * w);
        }
        aorist_clauses(
            c,
            FieldKind::KyFold,
            &ff,
            &folded_stem,
            kyrgyz::folded_aorist_forms,
            0.5 * w,
        );
        if last {
            let (lf, ls) = (fold::loose(&ff), fold::loose(&folded_stem));
            for p in prefixes(&lf, &ls) {
                c.prefix(
                    FieldKind::KyLoose,
                    p,
                    0.3 * w,
                    FieldKind::KyFold,
                    loose_stem,
                    usize::MAX,
                );
            }
        }
    }
}

/// The present-future forms the stemmer leaves whole (`жазат`, `жазышат`), in `kind` (the
/// stemmed field, or the folded one with folded `word`, `stem` and `forms`): a query for the
/// verb finds them, and a query in that form finds the verb's root and its other forms.
fn aorist_clauses(
    c: &mut Clauses<'_>,
    kind: FieldKind,
    word: &str,
    stem: &str,
    forms: fn(&str) -> Vec<String>,
    w: f32,
) {
    let key = |s: &str| {
        let stem = kyrgyz::stem(s);
        if kind == FieldKind::KyFold {
            fold::loose(&stem)
        } else {
            stem
        }
    };
    let root = kyrgyz::aorist_root(word);
    if let Some(root) = &root {
        c.term(kind, &key(root), w);
    }
    for base in std::iter::once(stem).chain(root.as_deref()) {
        for form in forms(base) {
            c.term(kind, &key(&form), w);
        }
    }
}

/// The last word's completions in a folded field whose terms are folded stems (Kazakh, Uzbek,
/// Tajik): every spelling of the word reaches them, so one prefix serves all. `word` is the
/// word folded, `key` its folded stem (see [`prefixes`]).
fn folded_completions(c: &mut Clauses<'_>, kind: FieldKind, word: &str, key: &str, w: f32) {
    for p in prefixes(word, key) {
        c.prefix(kind, p, 0.3 * w, kind, str::to_string, usize::MAX);
    }
}

/// The prefixes whose completions are searched for a last word: its stem (4 letters or more),
/// which begins most of the word's completions too, and the word itself (3 letters or more)
/// when the stem does not begin it.
fn prefixes<'a>(word: &'a str, stem: &'a str) -> Vec<&'a str> {
    let stem_ok = stem.chars().count() >= 4;
    let mut out = Vec::with_capacity(2);
    if stem_ok {
        out.push(stem);
    }
    if word.chars().count() >= 3 && !(stem_ok && word.starts_with(stem)) {
        out.push(word);
    }
    out
}

/// The folded-field stem of a loose word (a `ky_loose` term).
fn loose_stem(word: &str) -> String {
    fold::loose(&kyrgyz::stem(word))
}

fn russian_clauses(c: &mut Clauses<'_>, word: &str, last: bool, w: f32) {
    let t = normalize::russian_yo(word);
    let stem = russian_stem(&t);
    if t != stem {
        c.term(FieldKind::RuText, &t, w);
    }
    c.term(FieldKind::RuStem, &stem, w);
    for f in russian_forms(&t) {
        c.term(FieldKind::RuStem, &russian_stem(&f), 0.5 * w);
    }
    if last && stem.chars().count() >= 3 {
        // A word the passages have is finished: its completions are the stems Snowball cut
        // too short (`альбому` → альб, whose `альбом` holds the other cases), not longer words
        // (`после` → последний, `среди` → средневековый).
        let longest = if c.has(FieldKind::RuStem, &stem) {
            t.chars().count()
        } else {
            usize::MAX
        };
        c.prefix(
            FieldKind::RuStem,
            &stem,
            0.3 * w,
            FieldKind::RuStem,
            str::to_string,
            longest,
        );
    }
}

/// A few inflected forms of a Russian word read as a lemma, so that nouns whose nominative Snowball
/// stems differently from their other cases still meet them (киев/киеве, конец/конца, имя/имени).
fn russian_forms(t: &str) -> Vec<String> {
    let chars: Vec<char> = t.chars().collect();
    let n = chars.len();
    if n < 3 || !chars.iter().all(|c| ('а'..='я').contains(c)) {
        return Vec::new();
    }
    let head = |k: usize| chars[..n - k].iter().collect::<String>();
    let last = chars[n - 1];
    let is_vowel = |c: char| "аеёиоуыэюя".contains(c);
    let mut out = Vec::new();
    if t.ends_with("мя") {
        out.push(format!("{}ени", head(1)));
    }
    match last {
        'а' | 'я' => {
            let h = head(1);
            for e in ["ы", "и", "е", "у"] {
                out.push(format!("{h}{e}"));
            }
        }
        'о' | 'е' => {
            let h = head(1);
            out.push(format!("{h}а"));
            out.push(format!("{h}ом"));
        }
        'й' if n > 3 && (t.ends_with("ый") || t.ends_with("ий") || t.ends_with("ой")) => {
            let h = head(2);
            for e in ["ого", "ая", "ые"] {
                out.push(format!("{h}{e}"));
            }
            out.push(format!("{}я", head(1)));
        }
        'ь' => {
            let h = head(1);
            out.push(format!("{h}и"));
            out.push(format!("{h}я"));
        }
        c if !is_vowel(c) && c != 'й' && c != 'ъ' => {
            for e in ["а", "е", "ом", "ы"] {
                out.push(format!("{t}{e}"));
            }
            // A fleeting vowel: конец → конца, кубок → кубка.
            if n >= 4
                && matches!(chars[n - 2], 'о' | 'е')
                && !is_vowel(chars[n - 3])
                && "кцлнр".contains(c)
            {
                let without: String = chars[..n - 2].iter().chain(std::iter::once(&c)).collect();
                out.push(format!("{without}а"));
                out.push(format!("{without}ом"));
            }
        }
        _ => {}
    }
    out
}

/// A glossary equivalent in `lang`: one word is searched as a word of that language at half
/// weight; several are searched as a phrase, so that «простая дробь» does not find every
/// «простая».
fn add_equivalent(c: &mut Clauses<'_>, lang: &str, equivalent: &str) {
    let lang = analyzers::primary(lang);
    let words = split_words(&normalize::normalize(equivalent));
    match words.as_slice() {
        [] => {}
        [word] => word_clauses(c, lang, word, false, 0.5),
        _ => phrase_clause(c, lang, &words, 1.0),
    }
}

/// A phrase: its words' stems in order. A phrase typed without the language's own letters is
/// also searched in order, a little below the stems' phrase, where those letters are folded:
/// Kyrgyz in the loose field, as word forms (`"болчокторду кошуу"` finds «бөлчөктөрдү
/// кошуу»); Kazakh, Uzbek (Cyrillic or Latin) and Tajik in their folded fields, as stems.
/// Typed in Latin letters, a Kyrgyz, Kazakh or Tajik phrase is read in Cyrillic first, as its
/// words are (`"bolchoktordu koshuu"`), each reading of `ng` (нг, ң) a phrase of its own.
fn phrase_clause(c: &mut Clauses<'_>, lang: &str, words: &[String], boost: f32) {
    push_phrase(c, FieldKind::stemmed(lang), words, boost);
    let typed_folded = !words.iter().any(|w| fold::needs_fold(w));
    let latin = words.iter().any(|w| translit::is_latin_word(w));
    let folded = match lang {
        "ky" => FieldKind::KyLoose,
        // The folded fields of these languages hold one folded stem per word, in order.
        "kk" => FieldKind::KkFold,
        "tg" => FieldKind::TgFold,
        "uz" => FieldKind::UzFold,
        _ => return,
    };
    if !latin || lang == "uz" {
        if typed_folded {
            push_phrase(c, folded, words, 0.75 * boost);
        }
        return;
    }
    // Each word's Cyrillic readings (see `to_cyrillic_variants`); reading k takes each word's
    // k-th, or its first if it has fewer.
    let variants: Vec<Vec<String>> = words
        .iter()
        .map(|w| {
            if translit::is_latin_word(w) {
                translit::to_cyrillic_variants(w)
            } else {
                vec![w.clone()]
            }
        })
        .collect();
    let count = variants.iter().map(Vec::len).max().unwrap_or(0);
    let mut readings: Vec<Vec<String>> = Vec::with_capacity(count);
    for k in 0..count {
        let reading: Vec<String> = variants
            .iter()
            .filter_map(|v| v.get(k).or(v.first()).cloned())
            .collect();
        if !readings.contains(&reading) {
            readings.push(reading);
        }
    }
    for reading in &readings {
        push_phrase(c, folded, reading, 0.75 * boost);
    }
}

/// A phrase query on the terms `kind` gives the words, in order (none for fewer than two).
fn push_phrase(c: &mut Clauses<'_>, kind: FieldKind, words: &[String], boost: f32) {
    let terms: Vec<Term> = words
        .iter()
        .flat_map(|w| analyzers::terms(kind, w))
        .map(|t| Term::from_field_text(c.fields.analyzed(kind), &t))
        .collect();
    if terms.len() < 2 {
        return;
    }
    let q: Box<dyn Query> = Box::new(PhraseQuery::new(terms));
    c.out
        .push((Occur::Should, Box::new(BoostQuery::new(q, boost))));
}

/// A glossary entry's words in other languages: (language, words).
type Equivalents = Vec<(String, String)>;

/// Authors' glossaries, analysed once per index generation: a one-word term's stem (in its
/// language's stemmed field) → the entry's words in the other languages; a term of several
/// words → its stems in order and its equivalents.
#[derive(Debug, Default)]
pub struct GlossaryIndex {
    by_stem: HashMap<(FieldKind, String), Vec<(String, String)>>,
    multi: Vec<(FieldKind, Vec<String>, Equivalents)>,
    kinds: Vec<FieldKind>,
}

impl GlossaryIndex {
    pub fn new(glossary: &[GlossaryRecord]) -> GlossaryIndex {
        let mut ix = GlossaryIndex::default();
        let mut add = |kind: FieldKind, word: &str, to: Vec<(String, String)>| {
            let stems = analyzers::terms(kind, word);
            match stems.len() {
                0 => return,
                1 => ix
                    .by_stem
                    .entry((kind, stems[0].clone()))
                    .or_default()
                    .extend(to),
                _ => ix.multi.push((kind, stems, to)),
            }
            if !ix.kinds.contains(&kind) {
                ix.kinds.push(kind);
            }
        };
        for g in glossary {
            // The term finds its equivalents; each equivalent finds the term.
            add(FieldKind::stemmed(&g.lang), &g.term, g.equivalents.clone());
            for (lang, eq) in &g.equivalents {
                add(
                    FieldKind::stemmed(lang),
                    eq,
                    vec![(g.lang.clone(), g.term.clone())],
                );
            }
        }
        for list in ix.by_stem.values_mut() {
            list.sort();
            list.dedup();
        }
        ix
    }

    /// Equivalents (language, word) of the glossary terms the word matches, by stem in the
    /// term's language.
    pub fn equivalents(&self, word: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for kind in &self.kinds {
            if let Some(stem) = analyzers::terms(*kind, word).first()
                && let Some(list) = self.by_stem.get(&(*kind, stem.clone()))
            {
                out.extend(list.iter().cloned());
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// Equivalents of the glossary terms of several words that `words` hold in a row (by stem).
    pub fn phrase_equivalents(&self, words: &[String]) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if words.len() < 2 || self.multi.is_empty() {
            return out;
        }
        for kind in &self.kinds {
            let stems: Vec<String> = words
                .iter()
                .map(|w| {
                    analyzers::terms(*kind, w)
                        .into_iter()
                        .next()
                        .unwrap_or_default()
                })
                .collect();
            for (k, term, to) in &self.multi {
                if k == kind && stems.windows(term.len()).any(|w| w == term.as_slice()) {
                    out.extend(to.iter().cloned());
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typographic_quotes_mark_phrases() {
        for q in [
            "«формирующее оценивание»",
            "„формирующее оценивание“",
            "“формирующее оценивание”",
        ] {
            assert_eq!(
                parse(q).phrases,
                vec![vec!["формирующее".to_string(), "оценивание".to_string()]],
                "{q}"
            );
        }
    }

    #[test]
    fn parses_words_phrases_and_exclusions() {
        let q = parse("китеп \"окуу китеби\" -сөздүк field:value");
        assert_eq!(q.words, vec!["китеп", "field", "value"]);
        assert_eq!(
            q.phrases,
            vec![vec!["окуу".to_string(), "китеби".to_string()]]
        );
        assert_eq!(q.excluded, vec!["сөздүк"]);
    }

    #[test]
    fn hostile_queries_parse_to_something_or_nothing() {
        for q in [
            "- *",
            "a:(^",
            "\"unclosed",
            "((((",
            "!!!",
            ":::",
            "x IN [\u{1}",
            "*\u{b}",
            "title:((A OR B) NOT (C OR D))",
            "''''",
            "o'",
            "'a'b'c'",
            "«»«",
            "„“",
            "-'",
            "ʻʻʻoʻʻ",
        ] {
            let p = parse(q);
            // Every word is non-empty and none starts or ends with an apostrophe.
            for w in p.words.iter().chain(p.phrases.iter().flatten()) {
                assert!(!w.is_empty(), "{q}");
                assert!(
                    !w.starts_with(is_apostrophe) && !w.ends_with(is_apostrophe),
                    "{q}: {w}"
                );
            }
            for lang in languages_for(None) {
                for w in &p.words {
                    assert!(
                        parts_for(lang, w).iter().all(|part| !part.is_empty()),
                        "{q}"
                    );
                }
            }
        }
        assert_eq!(parse("'a'b'c'").words, ["a'b'c"]);
        assert!(parse("- *").is_empty());
        assert!(parse("!!!").is_empty());
        let long = parse(&"сөз ".repeat(5_000));
        assert_eq!(long.words.len(), MAX_TERMS);
        assert!(long.truncated);
    }

    #[test]
    fn russian_forms_cover_fleeting_vowels() {
        assert!(russian_forms("конец").contains(&"конца".to_string()));
        assert!(russian_forms("имя").contains(&"имени".to_string()));
        assert!(russian_forms("abc").is_empty());
    }
}
