//! The analyzers, one per indexed field: normalise the whole text first (stress marks and soft
//! hyphens would split words), split on non-alphanumerics, then the field's own step.

use crate::analysis::{fold, kazakh, kyrgyz, normalize, tajik, uzbek};
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
    UzStem,
    TgStem,
    /// Any other language: the normalised word.
    Other,
}

impl FieldKind {
    pub const ALL: [FieldKind; 11] = [
        FieldKind::KyText,
        FieldKind::KyStem,
        FieldKind::KyFold,
        FieldKind::KyLoose,
        FieldKind::RuText,
        FieldKind::RuStem,
        FieldKind::EnStem,
        FieldKind::KkStem,
        FieldKind::UzStem,
        FieldKind::TgStem,
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
            FieldKind::UzStem => "uz_stem",
            FieldKind::TgStem => "tg_stem",
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
            "kk" => &[FieldKind::KkStem, FieldKind::Other],
            "uz" => &[FieldKind::UzStem, FieldKind::Other],
            "tg" => &[FieldKind::TgStem, FieldKind::Other],
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
        FieldKind::UzStem => norm = uzbek::normalize_latin(&norm),
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
        FieldKind::UzStem => out.push(uzbek::stem(word)),
        FieldKind::TgStem => out.push(tajik::stem(word)),
    }
}

/// Words repeat (Zipf): each thread remembers the terms of the words it has analysed.
const CACHE_LIMIT: usize = 200_000;

thread_local! {
    static CACHE: std::cell::RefCell<Vec<std::collections::HashMap<String, Vec<String>>>> =
        std::cell::RefCell::new(vec![std::collections::HashMap::new(); FieldKind::ALL.len()]);
}

/// `word_terms`, remembered per thread.
pub fn word_terms_cached(kind: FieldKind, word: &str, out: &mut Vec<String>) {
    let slot = FieldKind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        let map = &mut cache[slot];
        if let Some(terms) = map.get(word) {
            out.extend(terms.iter().cloned());
            return;
        }
        let mut terms = Vec::with_capacity(1);
        word_terms(kind, word, &mut terms);
        out.extend(terms.iter().cloned());
        if map.len() >= CACHE_LIMIT {
            map.clear();
        }
        map.insert(word.to_string(), terms);
    });
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
        FieldKind::UzStem => 2,
        _ => 0,
    }
}

/// The tokens of a text for several fields, normalising it once per normalisation mode.
pub fn tokens_for(kinds: &[FieldKind], text: &str) -> Vec<Vec<Token>> {
    let mut done: Vec<(u8, Normalized)> = Vec::new();
    kinds
        .iter()
        .map(|&kind| {
            let mode = normalization_mode(kind);
            if !done.iter().any(|(m, _)| *m == mode) {
                done.push((mode, words(kind, text)));
            }
            let (_, (norm, spans)) = done.iter().find(|(m, _)| *m == mode).expect("just added");
            tokens_from(kind, norm, spans)
        })
        .collect()
}

/// The tokens of a text for a field, ready for tantivy (stacked terms share a position).
pub fn tokens(kind: FieldKind, text: &str) -> Vec<Token> {
    let (norm, spans) = words(kind, text);
    tokens_from(kind, &norm, &spans)
}

fn tokens_from(kind: FieldKind, norm: &str, spans: &[(usize, usize)]) -> Vec<Token> {
    let mut out = Vec::with_capacity(spans.len());
    let mut buf = Vec::with_capacity(2);
    for (position, &(s, e)) in spans.iter().enumerate() {
        buf.clear();
        word_terms_cached(kind, &norm[s..e], &mut buf);
        for term in buf.drain(..) {
            if !term.is_empty() {
                out.push(Token {
                    offset_from: s,
                    offset_to: e,
                    position,
                    text: term,
                    position_length: 1,
                });
            }
        }
    }
    out
}

/// A tantivy tokenizer running one of our analyzers.
#[derive(Clone)]
pub struct KitepTokenizer {
    kind: FieldKind,
    tokens: Vec<Token>,
}

impl KitepTokenizer {
    pub fn new(kind: FieldKind) -> Self {
        KitepTokenizer {
            kind,
            tokens: Vec::new(),
        }
    }
}

pub struct KitepTokenStream<'a> {
    tokens: &'a mut Vec<Token>,
    index: usize,
}

impl Tokenizer for KitepTokenizer {
    type TokenStream<'a> = KitepTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> KitepTokenStream<'a> {
        self.tokens = tokens(self.kind, text);
        KitepTokenStream {
            tokens: &mut self.tokens,
            index: 0,
        }
    }
}

impl TokenStream for KitepTokenStream<'_> {
    fn advance(&mut self) -> bool {
        if self.index < self.tokens.len() {
            self.index += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.index - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.index - 1]
    }
}

/// Registers every analyzer with an index under its field's name.
pub fn register(index: &tantivy::Index) {
    for kind in FieldKind::ALL {
        index
            .tokenizers()
            .register(kind.name(), TextAnalyzer::from(KitepTokenizer::new(kind)));
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
    fn russian_stems() {
        let s = stems(FieldKind::RuStem, "учебники учебника учебник");
        assert!(s.iter().all(|x| x == &s[0]), "{s:?}");
    }
}
