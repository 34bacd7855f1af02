//! The analyzers, one per indexed field: normalise the whole text first (stress marks and soft
//! hyphens would split words), split on non-alphanumerics, then the field's own step.

use crate::analysis::{fold, kazakh, kyrgyz, normalize, tajik, uzbek};
use std::collections::HashMap;
use tantivy::tokenizer::{TextAnalyzer, Token, TokenStream, Tokenizer};

/// Longer tokens are dropped. It counts bytes, like tantivy's filter, so it is set high enough for
/// 60-letter Cyrillic words (tantivy's default of 40 bytes drops 21-letter Kyrgyz words).
pub const MAX_TOKEN_BYTES: usize = 128;

/// What an indexed field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldKind {
    /// Kyrgyz word as written (normalised).
    KyText,
    /// Kyrgyz stem (our stemmer).
    KyStem,
    /// Kyrgyz stem typed without ө ү ң (folded, loose spelling); may stack two tokens.
    KyFold,
    /// Kyrgyz word folded, for prefixes.
    KyLoose,
    RuText,
    /// Russian Snowball stem (ё→е first).
    RuStem,
    /// English Snowball stem.
    EnStem,
    KkStem,
    /// Kazakh stem typed without ә ғ қ ң ө ұ ү һ і (folded, loose spelling).
    KkFold,
    UzStem,
    /// Uzbek stem typed without ў қ ғ ҳ or the apostrophes of oʻ gʻ (folded, loose spelling).
    UzFold,
    TgStem,
    /// Tajik stem typed without ҳ ҷ ӣ ӯ қ ғ (folded, loose spelling).
    TgFold,
    /// Any other language: the normalised word.
    Other,
}

impl FieldKind {
    pub const ALL: [FieldKind; 14] = [
        FieldKind::KyText,
        FieldKind::KyStem,
        FieldKind::KyFold,
        FieldKind::KyLoose,
        FieldKind::RuText,
        FieldKind::RuStem,
        FieldKind::EnStem,
        FieldKind::KkStem,
        FieldKind::KkFold,
        FieldKind::UzStem,
        FieldKind::UzFold,
        FieldKind::TgStem,
        FieldKind::TgFold,
        FieldKind::Other,
    ];

    /// Field name and tokenizer name (the same).
    pub fn name(self) -> &'static str {
        match self {
            FieldKind::KyText => "ky_text",
            FieldKind::KyStem => "ky_stem",
            FieldKind::KyFold => "ky_fold",
            FieldKind::KyLoose => "ky_loose",
            FieldKind::RuText => "ru_text",
            FieldKind::RuStem => "ru_stem",
            FieldKind::EnStem => "en_stem",
            FieldKind::KkStem => "kk_stem",
            FieldKind::KkFold => "kk_fold",
            FieldKind::UzStem => "uz_stem",
            FieldKind::UzFold => "uz_fold",
            FieldKind::TgStem => "tg_stem",
            FieldKind::TgFold => "tg_fold",
            FieldKind::Other => "other_text",
        }
    }

    /// The fields a passage in `lang` is indexed into.
    pub fn for_language(lang: &str) -> &'static [FieldKind] {
        match primary(lang) {
            "ky" => &[
                FieldKind::KyText,
                FieldKind::KyStem,
                FieldKind::KyFold,
                FieldKind::KyLoose,
            ],
            "ru" => &[FieldKind::RuText, FieldKind::RuStem],
            "en" => &[FieldKind::EnStem, FieldKind::Other],
            "kk" => &[FieldKind::KkStem, FieldKind::KkFold, FieldKind::Other],
            "uz" => &[FieldKind::UzStem, FieldKind::UzFold, FieldKind::Other],
            "tg" => &[FieldKind::TgStem, FieldKind::TgFold, FieldKind::Other],
            _ => &[FieldKind::Other],
        }
    }

    /// The stemmed field of a language (what `kitep analyze --lang` prints).
    pub fn stemmed(lang: &str) -> FieldKind {
        match primary(lang) {
            "ky" => FieldKind::KyStem,
            "ru" => FieldKind::RuStem,
            "en" => FieldKind::EnStem,
            "kk" => FieldKind::KkStem,
            "uz" => FieldKind::UzStem,
            "tg" => FieldKind::TgStem,
            _ => FieldKind::Other,
        }
    }
}

pub fn primary(lang: &str) -> &str {
    lang.split('-').next().unwrap_or(lang)
}

thread_local! {
    static RU: frostem::Stemmer = frostem::Stemmer::new(frostem::Algorithm::Russian);
    static EN: frostem::Stemmer = frostem::Stemmer::new(frostem::Algorithm::English);
}

/// Russian Snowball stem of one normalised word.
pub fn russian_stem(word: &str) -> String {
    RU.with(|s| s.stem(word).into_owned())
}

pub fn english_stem(word: &str) -> String {
    EN.with(|s| s.stem(word).into_owned())
}

/// Normalises `text` as the field expects and returns its words with their byte ranges in the
/// normalised text.
pub fn words(kind: FieldKind, text: &str) -> (String, Vec<(usize, usize)>) {
    let mut norm = normalize::normalize(text);
    match kind {
        FieldKind::RuText | FieldKind::RuStem => norm = normalize::russian_yo(&norm),
        FieldKind::UzStem | FieldKind::UzFold => norm = uzbek::normalize_latin(&norm),
        _ => {}
    }
    let mut spans = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in norm.char_indices() {
        if normalize::is_word_char(c) {
            start.get_or_insert(i);
        } else if let Some(s) = start.take() {
            spans.push((s, i));
        }
    }
    if let Some(s) = start {
        spans.push((s, norm.len()));
    }
    spans.retain(|(s, e)| e - s <= MAX_TOKEN_BYTES);
    (norm, spans)
}

/// The terms one word becomes in a field (two for a stacked Kyrgyz fold, else one).
pub fn word_terms(kind: FieldKind, word: &str, out: &mut Vec<String>) {
    match kind {
        FieldKind::KyText | FieldKind::RuText | FieldKind::Other => out.push(word.to_string()),
        FieldKind::KyStem => out.push(kyrgyz::stem(word)),
        FieldKind::KyFold => {
            let a = fold::loose(&fold::fold(&kyrgyz::stem(word)));
            let b = fold::loose(&kyrgyz::stem(&fold::fold(word)));
            let stacked = a != b;
            out.push(a);
            if stacked {
                out.push(b);
            }
        }
        FieldKind::KyLoose => out.push(fold::loose(&fold::fold(word))),
        FieldKind::RuStem => out.push(russian_stem(word)),
        FieldKind::EnStem => out.push(english_stem(word)),
        FieldKind::KkStem => out.push(kazakh::stem(word)),
        FieldKind::KkFold => out.push(kazakh::folded_key(word)),
        FieldKind::UzStem => out.push(uzbek::stem(word)),
        FieldKind::UzFold => out.push(uzbek::folded_key(word)),
        FieldKind::TgStem => out.push(tajik::stem(word)),
        FieldKind::TgFold => out.push(tajik::folded_key(word)),
    }
}

/// Words repeat (Zipf): each thread remembers what the words it has analysed became.
const CACHE_LIMIT: usize = 200_000;

/// In a pre-analysed value: the next word begins (its position is one more).
const NEXT_WORD: char = '\u{1}';
/// In a pre-analysed value: another term at the same position (a stacked Kyrgyz fold, a derived
/// word's own stem).
const SAME_WORD: char = '\u{2}';

type WordCache = HashMap<String, String, rustc_hash::FxBuildHasher>;

thread_local! {
    static CACHE: std::cell::RefCell<Vec<WordCache>> =
        std::cell::RefCell::new(vec![WordCache::default(); FieldKind::ALL.len() + 4]);
}

/// What a word puts into the index's field. The folded field leaves out a term equal to the
/// word's stem, which the stemmed field already holds (most words have no letter to fold): the
/// query searches a folded term in both fields, and the index keeps one posting list, not two
/// identical ones.
///
/// The stemmed Kyrgyz field also holds a derived word's own stem ([`kyrgyz::derived_stem`]) at
/// the same position: `окуучулар` is there as ок (with окуу, окуган) and as окуучу, so a query
/// for pupils can rank their passages above those about reading. The folded field holds its
/// folded form where that differs (`төлөөчү` as толоочу). Both also hold the root of a lexical
/// passive ([`kyrgyz::voice_root`]): `алынган` is there as алын and as ал. The Kazakh fields
/// likewise hold a noun in -ынды/-інді ([`kazakh::derived_stem`]): `қосындыны` as қосынд and as
/// қосынды (sum).
fn indexed_terms(kind: FieldKind, word: &str, out: &mut Vec<String>) {
    word_terms(kind, word, out);
    match kind {
        FieldKind::KyFold => {
            // What the stemmed field holds for the word, which the query finds there.
            let mut held = vec![kyrgyz::stem(word)];
            held.extend(kyrgyz::derived_stem(word));
            held.extend(kyrgyz::voice_root(word));
            // Its extra terms folded, and the root of the folded word's lexical passive.
            let mut extra: Vec<String> = held[1..]
                .iter()
                .map(|t| fold::loose(&fold::fold(t)))
                .collect();
            let folded = fold::fold(word);
            if folded != word {
                extra.extend(kyrgyz::voice_root(&folded).map(|r| fold::loose(&r)));
            }
            out.retain(|t| *t != held[0]);
            for key in extra {
                if !held.contains(&key) && !out.contains(&key) {
                    out.push(key);
                }
            }
        }
        FieldKind::KyStem => {
            let extra = [kyrgyz::derived_stem(word), kyrgyz::voice_root(word)];
            for term in extra.into_iter().flatten() {
                if !out.contains(&term) {
                    out.push(term);
                }
            }
        }
        FieldKind::KkStem => {
            if let Some(derived) = kazakh::derived_stem(word)
                && !out.contains(&derived)
            {
                out.push(derived);
            }
        }
        FieldKind::KkFold => {
            if let Some(derived) = kazakh::derived_folded_key(word)
                && !out.contains(&derived)
            {
                out.push(derived);
            }
        }
        _ => {}
    }
}

/// Appends the terms of one word, encoded (joined by [`SAME_WORD`]): the field's terms, or with
/// `indexed` what the index receives ([`indexed_terms`]). Remembered per thread.
fn push_encoded_word(kind: FieldKind, word: &str, indexed: bool, out: &mut String) {
    let slot = match kind {
        FieldKind::KyFold if indexed => FieldKind::ALL.len(),
        FieldKind::KyStem if indexed => FieldKind::ALL.len() + 1,
        FieldKind::KkStem if indexed => FieldKind::ALL.len() + 2,
        FieldKind::KkFold if indexed => FieldKind::ALL.len() + 3,
        _ => kind as usize,
    };
    let indexed = slot >= FieldKind::ALL.len();
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        let map = &mut cache[slot];
        if let Some(encoded) = map.get(word) {
            out.push_str(encoded);
            return;
        }
        let mut terms = Vec::with_capacity(2);
        if indexed {
            indexed_terms(kind, word, &mut terms);
        } else {
            word_terms(kind, word, &mut terms);
        }
        let encoded = terms.join(&SAME_WORD.to_string()[..]);
        out.push_str(&encoded);
        if map.len() >= CACHE_LIMIT {
            map.clear();
        }
        map.insert(word.to_string(), encoded);
    });
}

/// `word_terms`, remembered per thread.
pub fn word_terms_cached(kind: FieldKind, word: &str, out: &mut Vec<String>) {
    let mut encoded = String::new();
    push_encoded_word(kind, word, false, &mut encoded);
    out.extend(
        encoded
            .split(SAME_WORD)
            .filter(|t| !t.is_empty())
            .map(str::to_string),
    );
}

/// All terms of a text for a field, in order (what `kitep analyze` prints).
pub fn terms(kind: FieldKind, text: &str) -> Vec<String> {
    let (norm, spans) = words(kind, text);
    let mut out = Vec::with_capacity(spans.len());
    for (s, e) in spans {
        word_terms_cached(kind, &norm[s..e], &mut out);
    }
    out
}

/// A normalised text and the byte ranges of its words.
type Normalized = (String, Vec<(usize, usize)>);

/// Fields whose words are normalised the same way share one pass over the text.
fn normalization_mode(kind: FieldKind) -> u8 {
    match kind {
        FieldKind::RuText | FieldKind::RuStem => 1,
        FieldKind::UzStem | FieldKind::UzFold => 2,
        _ => 0,
    }
}

/// A text analysed for several fields (normalised once per normalisation mode), the terms each
/// field receives ([`indexed_terms`]) encoded for [`PreAnalyzed`]: words separated by U+0001,
/// terms at the same position by U+0002. The analysis runs in the caller's thread; tantivy's
/// indexing thread only decodes, without the JSON round trip and copies that tantivy's
/// `PreTokenizedString` costs.
pub fn encoded_for(kinds: &[FieldKind], text: &str) -> Vec<String> {
    let mut done: Vec<(u8, Normalized)> = Vec::new();
    kinds
        .iter()
        .map(|&kind| {
            let mode = normalization_mode(kind);
            if !done.iter().any(|(m, _)| *m == mode) {
                done.push((mode, words(kind, text)));
            }
            let (_, (norm, spans)) = done.iter().find(|(m, _)| *m == mode).expect("just added");
            let mut out = String::with_capacity(norm.len() + spans.len());
            for (i, &(s, e)) in spans.iter().enumerate() {
                if i > 0 {
                    out.push(NEXT_WORD);
                }
                push_encoded_word(kind, &norm[s..e], true, &mut out);
            }
            out
        })
        .collect()
}

/// The tokens of a text for a field, as tantivy receives them (stacked terms share a position).
pub fn tokens(kind: FieldKind, text: &str) -> Vec<Token> {
    let encoded = encoded_for(&[kind], text).pop().unwrap_or_default();
    let mut stream = PreAnalyzedStream::new(&encoded);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().clone());
    }
    out
}

/// The tokenizer of every analyzed field: it decodes what [`encoded_for`] wrote. Offsets are
/// those of the encoded value (the fields keep no offsets).
#[derive(Clone, Default)]
pub struct PreAnalyzed;

pub struct PreAnalyzedStream<'a> {
    text: &'a str,
    cursor: usize,
    position: usize,
    started: bool,
    token: Token,
}

impl<'a> PreAnalyzedStream<'a> {
    fn new(text: &'a str) -> Self {
        PreAnalyzedStream {
            text,
            cursor: 0,
            position: 0,
            started: false,
            token: Token::default(),
        }
    }
}

impl Tokenizer for PreAnalyzed {
    type TokenStream<'a> = PreAnalyzedStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> PreAnalyzedStream<'a> {
        PreAnalyzedStream::new(text)
    }
}

impl TokenStream for PreAnalyzedStream<'_> {
    fn advance(&mut self) -> bool {
        let bytes = self.text.as_bytes();
        loop {
            if self.started {
                // At a separator (or the end).
                match bytes.get(self.cursor) {
                    None => return false,
                    Some(1) => self.position += 1,
                    Some(_) => {}
                }
                self.cursor += 1;
            }
            self.started = true;
            let start = self.cursor;
            let end = bytes[start..]
                .iter()
                .position(|&b| b == 1 || b == 2)
                .map_or(bytes.len(), |i| start + i);
            self.cursor = end;
            if end > start {
                self.token.text.clear();
                self.token.text.push_str(&self.text[start..end]);
                self.token.offset_from = start;
                self.token.offset_to = end;
                self.token.position = self.position;
                self.token.position_length = 1;
                return true;
            }
            if end == bytes.len() {
                return false;
            }
        }
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

/// Registers the decoder of pre-analysed values under every analyzed field's name.
pub fn register(index: &tantivy::Index) {
    for kind in FieldKind::ALL {
        index
            .tokenizers()
            .register(kind.name(), TextAnalyzer::from(PreAnalyzed));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stems(kind: FieldKind, text: &str) -> Vec<String> {
        terms(kind, text)
    }

    #[test]
    fn kyrgyz_forms_meet() {
        let a = stems(FieldKind::KyStem, "окуу окуучулар окуп окуган оку");
        assert!(a.iter().all(|s| s == &a[0]), "{a:?}");
        let b = stems(FieldKind::KyStem, "китеп китеби китептер китептерибизден");
        assert!(b.iter().all(|s| s == &b[0]), "{b:?}");
    }

    #[test]
    fn stress_marks_and_soft_hyphens_do_not_split_words() {
        assert_eq!(
            stems(FieldKind::RuText, "моло\u{301}ко ки\u{AD}тап"),
            vec!["молоко", "китап"]
        );
        assert_eq!(stems(FieldKind::RuText, "ёлка"), vec!["елка"]);
    }

    #[test]
    fn long_cyrillic_words_survive() {
        let long = "кызматташтыктарыбыздан";
        assert_eq!(stems(FieldKind::KyText, long), vec![long]);
    }

    #[test]
    fn folded_field_matches_keyboard_spellings() {
        let right = stems(FieldKind::KyFold, "өнөрүбүз");
        let typed = stems(FieldKind::KyFold, "онорубуз");
        assert!(
            right.iter().any(|t| typed.contains(t)),
            "{right:?} vs {typed:?}"
        );
    }

    #[test]
    fn pre_analysed_values_keep_positions() {
        let decode = |encoded: &str| {
            let mut stream = PreAnalyzedStream::new(encoded);
            let mut out = Vec::new();
            while stream.advance() {
                out.push((stream.token().text.clone(), stream.token().position));
            }
            out
        };
        // Two terms stacked on the first word, a word without terms, then a third word.
        assert_eq!(
            decode("a\u{2}b\u{1}\u{1}c"),
            vec![("a".into(), 0), ("b".into(), 0), ("c".into(), 2)]
        );
        assert!(decode("").is_empty());
        assert!(decode("\u{1}\u{2}").is_empty());
        // What the index receives is the field's terms, word by word (the folded field without
        // the terms the stemmed field holds; the stemmed field with a derived word's own stem).
        let text = "Өнөрүбүз менен китептерибизден окуучулар окушту.";
        for kind in FieldKind::ALL {
            let received: Vec<String> = tokens(kind, text).into_iter().map(|t| t.text).collect();
            let mut expected = terms(kind, text);
            if kind == FieldKind::KyFold {
                let stems = terms(FieldKind::KyStem, text);
                expected.retain(|t| !stems.contains(t));
                assert_eq!(expected.len(), 1, "only өнөрүбүз folds: {expected:?}");
            }
            if kind == FieldKind::KyStem {
                expected.insert(4, "окуучу".into());
            }
            assert_eq!(received, expected, "{kind:?}");
        }
        let stems = tokens(FieldKind::KyStem, text);
        assert_eq!(
            (stems[3].position, stems[4].position, stems[5].position),
            (3, 3, 4),
            "окуучулар is both ок and окуучу: {stems:?}"
        );
        // A word whose fold is its stem still takes its position.
        let folded = tokens(FieldKind::KyFold, "менен өнөрүбүз");
        assert!(!folded.is_empty());
        assert!(folded.iter().all(|t| t.position == 1), "{folded:?}");
    }

    #[test]
    fn russian_stems() {
        let s = stems(FieldKind::RuStem, "учебники учебника учебник");
        assert!(s.iter().all(|x| x == &s[0]), "{s:?}");
    }
}
