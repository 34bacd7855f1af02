//! Language identification for passages and search queries: Kyrgyz versus its neighbours.
//!
//! Tells Kyrgyz (`ky`) from Kazakh (`kk`), Russian (`ru`), Tajik (`tg`), Uzbek (`uz` in Cyrillic,
//! `uz-Latn` in Latin script), Mongolian (`mn`) and English (`en`); anything else is `und`.
//! The model is a softmax regression over hashed character n-grams, trained by SGD at first use
//! on the words of text our team wrote (`src/langid/*.txt`, see `indexer/LANGID.md`), combined
//! with a character n-gram naive Bayes built from the same text and hand-written rules about
//! alphabets, vowel harmony and function words. Short inputs lean towards Kyrgyz, because
//! this is a Kyrgyz library: a query with no evidence either way is most likely Kyrgyz.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

/// The outcome of language identification.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    /// A code from [`SUPPORTED_LANGUAGES`], or [`UNDETERMINED`].
    pub lang: &'static str,
    /// How sure the detector is, from 0 to 1 (a softmax over the language scores).
    pub confidence: f32,
}

/// The code returned when no supported language fits (no letters, or another script).
pub const UNDETERMINED: &str = "und";

/// Every code [`detect`] can return besides [`UNDETERMINED`].
pub const SUPPORTED_LANGUAGES: &[&str] = &["ky", "kk", "ru", "tg", "uz", "uz-Latn", "mn", "en"];

/// Identifies the language of `text` (a passage, a sentence or a search query).
pub fn detect(text: &str) -> Detection {
    detect_with_hint(text, None)
}

/// Builds the model now rather than on the first [`detect`] call (about 0.3 s in a release
/// build), e.g. while a server starts.
pub fn warm_up() {
    model();
}

/// Like [`detect`], but a declared language (book or passage metadata, a UI setting) wins
/// when it names a supported language whose script the text is written in.
///
/// The script check is there because a declaration is usually made for a whole book: an
/// English quotation inside a Kyrgyz book should still come out `en`. Declared `uz` on Latin
/// text becomes `uz-Latn`, and `uz-Latn` on Cyrillic text becomes `uz`.
pub fn detect_with_hint(text: &str, declared: Option<&str>) -> Detection {
    let found = detect_inner(text);
    let Some(code) = declared.and_then(canonical_code) else {
        return found.detection;
    };
    let lang = match (code, found.script) {
        ("uz" | "uz-Latn", Some(Script::Latin)) => "uz-Latn",
        ("uz" | "uz-Latn", Some(Script::Cyrillic)) => "uz",
        (c, Some(Script::Latin)) if c == "en" => c,
        (c, Some(Script::Cyrillic)) if c != "en" => c,
        // No letters at all: nothing contradicts the declaration.
        (c, None) if found.detection.lang == UNDETERMINED => c,
        _ => return found.detection,
    };
    let confidence = if lang == found.detection.lang {
        found.detection.confidence.max(0.99)
    } else {
        0.9
    };
    Detection { lang, confidence }
}

/// Maps a declared language tag (`ky`, `kir`, `ky-KG`, `uz-Cyrl`, `Russian`…) to a supported
/// code, or `None` when it names nothing we support.
pub fn canonical_code(tag: &str) -> Option<&'static str> {
    let t = tag.trim().to_ascii_lowercase().replace('_', "-");
    let mut parts = t.split('-');
    let primary = parts.next().unwrap_or("");
    let latin = parts.any(|p| p == "latn");
    Some(match primary {
        "ky" | "kir" | "kyrgyz" | "kirghiz" => "ky",
        "kk" | "kaz" | "kazakh" => "kk",
        "ru" | "rus" | "russian" => "ru",
        "tg" | "tgk" | "tajik" => "tg",
        "uz" | "uzb" | "uzbek" if latin => "uz-Latn",
        "uz" | "uzb" | "uzbek" => "uz",
        "mn" | "mon" | "khk" | "mongolian" => "mn",
        "en" | "eng" | "english" => "en",
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------------
// Languages of the model. Kyrgyz typed in ASCII Latin ("kitep", "okuuchular") has its own model,
// trained on a transliteration of our Kyrgyz text, and is reported as plain `ky`.

const NL: usize = 9;
const MODEL_LANGS: [&str; NL] = [
    "ky", "kk", "ru", "tg", "uz", "mn", "en", "uz-Latn", "ky-Latn",
];
const KY: usize = 0;
const KK: usize = 1;
const RU: usize = 2;
const TG: usize = 3;
const UZ: usize = 4;
const MN: usize = 5;
const EN: usize = 6;
const UZL: usize = 7;
const KYL: usize = 8;
const CYRILLIC_LANGS: [usize; 6] = [KY, KK, RU, TG, UZ, MN];
const LATIN_LANGS: [usize; 3] = [EN, UZL, KYL];

fn reported(l: usize) -> &'static str {
    if l == KYL { "ky" } else { MODEL_LANGS[l] }
}

/// Longest n-gram the model uses; the trainer writes grams up to this length.
const MAX_N: usize = 5;
/// Marks the start and end of a word inside n-grams.
const BOUNDARY: char = '_';

// Only the start of a long text is read: a few hundred words settle the language, and this keeps
// the cost bounded on huge inputs.
const MAX_WORDS: usize = 400;
const MAX_SCAN_CHARS: usize = 20_000;
const MAX_WORD_CHARS: usize = 40;

// Hyper-parameters, tuned on the UD-based dev file (see LANGID.md).
/// Pseudo-count of the all-language background in each language's n-gram estimate.
const DIRICHLET: f32 = 10000.0;
/// Weight of each n-gram order 1..=MAX_N in a word's score.
const ORDER_WEIGHT: [f32; MAX_N] = [0.15, 0.3, 0.5, 0.5, 0.5];
/// A letter outside a language's alphabet.
const W_FOREIGN_LETTER: f32 = 12.0;
/// A letter a language has only in loanwords.
const W_LOAN_LETTER: f32 = 2.0;
/// Kazakh writes о, ө only in a word's first syllable; Kyrgyz carries them into suffixes.
const W_NONINITIAL_O: f32 = 3.0;
/// Same for ү, weaker because Kazakh compounds such as оңтүстік break it.
const W_NONINITIAL_U: f32 = 1.5;
/// Kyrgyz labial harmony: after о comes о/у, after ө/ү comes ө/ү, never а/ы or е/и.
const W_KY_HARMONY: f32 = 2.5;
/// Long vowels (аа, оо, уу, ээ, өө, үү) are Kyrgyz (and Mongolian), not Kazakh or Russian.
const W_LONG_VOWEL: f32 = 3.0;
/// Kazakh ау/еу where Kyrgyz has оо/өө (тау/тоо, жасау/жасоо).
const W_DIPHTHONG: f32 = 2.5;
/// Kyrgyz writes word-initial э where Kazakh writes е (эмес/емес, эки/екі).
const W_INITIAL_E: f32 = 2.5;
/// Kazakh spells к/г next to back vowels as қ/ғ, so back-vowel к/г argues against Kazakh.
const W_BACK_K: f32 = 3.0;
/// Kyrgyz ч corresponds to Kazakh ш; Kazakh has ч only in loanwords.
const W_CHE: f32 = 3.0;
/// A Russian inflectional ending (-ого, -ться, -ии) on a word.
const W_RUSSIAN_ENDING: f32 = 2.0;
/// A word that occurs in a language's training text (or among its generated forms).
const W_KNOWN: f32 = 1.5;
/// A word from a language's hand-written list of frequent words.
const W_LEXICON: f32 = 3.0;
/// A shared word listed as much more frequent in one language (Kazakh мен "and", Russian он).
const W_PREFERRED: f32 = 1.5;
/// A Turkic case or derivational ending (-дын, -дагы, -лык) on a word argues against Russian.
const W_TURKIC_ENDING: f32 = 2.5;
/// Per-word log-prior of each model language. Kyrgyz is favoured so that words without
/// evidence come out Kyrgyz; Tajik, Uzbek and Mongolian are rare in a Kyrgyz school library and
/// share many words with Kyrgyz (бир, берилди), so they must earn their place.
const PRIOR: [f32; NL] = [0.5, 0.0, 0.0, -4.0, -4.0, -4.0, 0.0, 0.0, 0.5];
/// Softmax temperature for the confidence: n-gram orders overlap, so raw scores overcount.
const TEMPERATURE: f32 = 4.0;

// ---------------------------------------------------------------------------------------------
// Scripts, words and normalisation.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    Cyrillic,
    Latin,
    Other,
}

fn script_of(c: char) -> Script {
    match c as u32 {
        0x0400..=0x052F | 0x1C80..=0x1C8F | 0x2DE0..=0x2DFF | 0xA640..=0xA69F => Script::Cyrillic,
        0x41..=0x5A | 0x61..=0x7A | 0xC0..=0x24F | 0x1E00..=0x1EFF | 0x2BC => Script::Latin,
        _ => Script::Other,
    }
}

fn is_combining(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F)
}

fn is_apostrophe(c: char) -> bool {
    matches!(
        c,
        '\'' | '`' | '\u{2018}' | '\u{2019}' | '\u{02BB}' | '\u{02BC}'
    )
}

/// Calls `f` with every word of `text`, lowercased and normalised, and the word's script.
///
/// Words are runs of letters; digits, punctuation and spaces separate them. Uzbek `oʻ`/`g'`
/// keep their apostrophe (as `ʼ`) so that the Latin models can see it.
fn for_each_word(text: &str, mut f: impl FnMut(&[char], Script)) {
    let mut raw: Vec<char> = Vec::with_capacity(MAX_WORD_CHARS);
    let mut norm: Vec<char> = Vec::with_capacity(MAX_WORD_CHARS);
    let mut words = 0;
    let mut chars = text.chars().take(MAX_SCAN_CHARS).peekable();
    loop {
        let next = chars.next();
        let in_word = match next {
            Some(c) if c.is_alphabetic() || (is_combining(c) && !raw.is_empty()) => {
                if raw.len() < MAX_WORD_CHARS {
                    raw.push(c);
                }
                true
            }
            Some(c)
                if is_apostrophe(c)
                    && raw.last().is_some_and(|&p| script_of(p) == Script::Latin)
                    && chars.peek().is_some_and(|n| n.is_alphabetic()) =>
            {
                if raw.len() < MAX_WORD_CHARS {
                    raw.push('\u{02BC}');
                }
                true
            }
            _ => false,
        };
        if in_word {
            continue;
        }
        if !raw.is_empty() {
            let script = normalize_word(&raw, &mut norm);
            if !norm.is_empty() {
                f(&norm, script);
                words += 1;
            }
            raw.clear();
            if words >= MAX_WORDS {
                return;
            }
        }
        if next.is_none() {
            return;
        }
    }
}

/// Lowercases and normalises one word into `out`, returning its script.
///
/// Mixed words are common in scraped text (a Latin `c` or `i` typed inside a Cyrillic word), so
/// a word with more Cyrillic than Latin letters gets its Latin look-alikes mapped to Cyrillic.
fn normalize_word(raw: &[char], out: &mut Vec<char>) -> Script {
    out.clear();
    let (mut cyr, mut lat) = (0usize, 0usize);
    for &c in raw {
        match script_of(c) {
            Script::Cyrillic => cyr += 1,
            Script::Latin if c != '\u{02BC}' => lat += 1,
            _ => {}
        }
    }
    let script = if cyr == 0 && lat == 0 {
        Script::Other
    } else if cyr >= lat {
        Script::Cyrillic
    } else {
        Script::Latin
    };
    for &c in raw {
        if is_combining(c) {
            // Decomposed й, ё, ў; other marks (stress accents in dictionaries) are dropped.
            if let Some(last) = out.last_mut() {
                *last = match (*last, c) {
                    ('и', '\u{0306}') => 'й',
                    ('е', '\u{0308}') => 'ё',
                    ('у', '\u{0306}') => 'ў',
                    (l, _) => l,
                };
            }
            continue;
        }
        let c = if script == Script::Cyrillic && script_of(c) == Script::Latin {
            latin_lookalike(c)
        } else {
            c
        };
        let lower = c.to_lowercase().next().unwrap_or(c);
        out.push(fold(lower));
    }
    script
}

/// Maps a Latin letter that looks like a Cyrillic one to that Cyrillic letter (the normaliser's
/// table, so search and language identification read a mixed word the same way).
fn latin_lookalike(c: char) -> char {
    crate::analysis::normalize::cyrillic_twin(c).unwrap_or(c)
}

/// Folds variant code points onto the letters the model knows.
fn fold(c: char) -> char {
    match c {
        'ѐ' => 'е',
        'ѝ' => 'и',
        // Kyrgyz ң is sometimes typed with look-alikes from other Cyrillic alphabets.
        'ӊ' | 'ҥ' | 'ӈ' => 'ң',
        'ӫ' => 'ө',
        'ӱ' => 'ү',
        '\u{02BB}' => '\u{02BC}',
        other => other,
    }
}

/// Dense symbol id of a normalised letter (0 is the word boundary); 7 bits each.
fn sym(c: char) -> u64 {
    match c {
        BOUNDARY => 0,
        'а'..='я' => 1 + (c as u64 - 'а' as u64),
        'ё' => 33,
        'ә' => 34,
        'ғ' => 35,
        'қ' => 36,
        'ң' => 37,
        'ө' => 38,
        'ұ' => 39,
        'ү' => 40,
        'һ' => 41,
        'і' => 42,
        'ӣ' => 43,
        'ӯ' => 44,
        'ҳ' => 45,
        'ҷ' => 46,
        'ў' => 47,
        'a'..='z' => 49 + (c as u64 - 'a' as u64),
        '\u{02BC}' => 75,
        _ => match script_of(c) {
            Script::Cyrillic => FOREIGN_CYRILLIC,
            Script::Latin => 76,
            Script::Other => 77,
        },
    }
}

/// Symbol of Cyrillic letters that belong to none of our alphabets (Ukrainian ї, Serbian ђ…).
const FOREIGN_CYRILLIC: u64 = 48;

fn gram_key(gram: &[char]) -> u64 {
    gram.iter().fold(1, |k, &c| (k << 7) | sym(c))
}

/// Calls `f` with every n-gram (orders 1..=MAX_N) of a word padded with boundaries.
fn for_each_gram(word: &[char], mut f: impl FnMut(&[char])) {
    let mut padded = Vec::with_capacity(word.len() + 2);
    padded.push(BOUNDARY);
    padded.extend_from_slice(word);
    padded.push(BOUNDARY);
    for n in 1..=MAX_N.min(padded.len()) {
        for gram in padded.windows(n) {
            if n == 1 && gram[0] == BOUNDARY {
                continue;
            }
            f(gram);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The model: n-gram log-probabilities per language and the hand-written word lists.

/// A fast, deterministic hasher for u64 keys (std's SipHash is needlessly slow here).
#[derive(Default)]
struct MixHasher(u64);

impl Hasher for MixHasher {
    fn finish(&self) -> u64 {
        // A multiply leaves the low bits (which pick the bucket) depending only on the low
        // bits of the key, so fold the high bits down.
        let h = self.0;
        (h ^ (h >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9) ^ (h >> 32)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

type FastMap<V> = HashMap<u64, V, BuildHasherDefault<MixHasher>>;

struct Model {
    /// n-gram key -> per-language log-probability.
    grams: FastMap<[f32; NL]>,
    /// Hash of a normalised word -> bit set of languages whose word list has it (low 16 bits)
    /// and of the languages it is preferred for (high 16 bits).
    lexicon: FastMap<u32>,
    /// Hash of a normalised word -> bit set of languages whose training text (running text,
    /// generated forms or word lists) contains it.
    known: FastMap<u16>,
    /// The discriminative word model (see [`Linear`]).
    linear: Linear,
}

/// Bit in `Model::known` for a Kyrgyz or Kazakh case form of a Russian loanword.
const LOAN_FORM: u16 = 1 << 15;

/// Team-written training text per model language (`ky-Latn` is derived from `ky`).
const TRAINING_TEXT: &[(&str, &str)] = &[
    ("ky", include_str!("langid/ky.txt")),
    ("ky", include_str!("langid/ky-news.txt")),
    ("ky", include_str!("langid/ky-stories.txt")),
    ("ky", include_str!("langid/ky-press.txt")),
    ("kk", include_str!("langid/kk.txt")),
    ("kk", include_str!("langid/kk-stories.txt")),
    ("kk", include_str!("langid/kk-news.txt")),
    ("kk", include_str!("langid/kk-encyclopaedia.txt")),
    ("kk", include_str!("langid/kk-press.txt")),
    ("ru", include_str!("langid/ru.txt")),
    ("ru", include_str!("langid/ru-encyclopaedia.txt")),
    ("ru", include_str!("langid/ru-news.txt")),
    ("ru", include_str!("langid/ru-press.txt")),
    ("tg", include_str!("langid/tg.txt")),
    ("uz", include_str!("langid/uz.txt")),
    ("mn", include_str!("langid/mn.txt")),
    ("en", include_str!("langid/en.txt")),
    ("uz-Latn", include_str!("langid/uz-Latn.txt")),
];
const LEXICON: &str = include_str!("langid/lexicon.txt");
const KY_STEMS: &str = include_str!("langid/ky-stems.txt");
const KK_STEMS: &str = include_str!("langid/kk-stems.txt");
const RU_STEMS: &str = include_str!("langid/ru-stems.txt");

fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(train)
}

fn lang_index(code: &str) -> Option<usize> {
    MODEL_LANGS.iter().position(|&l| l == code)
}

/// n-gram counts per language, and all n-grams of each order per language.
struct Counts {
    grams: FastMap<[f32; NL]>,
    totals: [[f32; MAX_N]; NL],
    known: FastMap<u16>,
    /// Distinct training words with their weight per language, for the linear model.
    samples: Samples,
}

impl Counts {
    fn add_word(&mut self, lang: usize, word: &[char], weight: f32) {
        *self.known.entry(word_hash(word)).or_insert(0) |= 1 << lang;
        self.samples.add(lang, word, weight);
        for_each_gram(word, |gram| {
            self.grams.entry(gram_key(gram)).or_insert([0.0; NL])[lang] += weight;
            self.totals[lang][gram.len() - 1] += weight;
        });
    }

    /// Counts the words of `text` written in `script`; `#` lines are comments.
    fn add_text(&mut self, lang: usize, text: &str, script: Script, weight: f32) {
        for line in text.lines() {
            if line.trim_start().starts_with('#') {
                continue;
            }
            for_each_word(line, |w, s| {
                if s == script {
                    self.add_word(lang, w, weight);
                }
            });
        }
    }
}

/// Builds the model from the training text compiled into the binary (a few milliseconds).
///
/// Training at start-up instead of shipping a table keeps the repository honest: the model is
/// exactly what the text in `src/langid/` says, with nothing derived to fall out of date.
fn train() -> Model {
    let mut counts = Counts {
        grams: FastMap::default(),
        totals: [[0.0; MAX_N]; NL],
        known: FastMap::default(),
        samples: Samples::default(),
    };
    for (code, text) in TRAINING_TEXT {
        let Some(lang) = lang_index(code) else {
            continue;
        };
        let script = if matches!(lang, EN | UZL) {
            Script::Latin
        } else {
            Script::Cyrillic
        };
        counts.add_text(lang, text, script, 1.0);
        if lang == KY {
            counts.add_text(KYL, &kyrgyz_to_ascii(text), Script::Latin, 1.0);
            // Queries are often typed without ө ү ң (a Russian keyboard): өкмөт as окмот.
            let folded: String = text
                .chars()
                .map(|c| match c {
                    'ө' => 'о',
                    'ү' => 'у',
                    'ң' => 'н',
                    'Ө' => 'О',
                    'Ү' => 'У',
                    'Ң' => 'Н',
                    c => c,
                })
                .collect();
            counts.add_text(KY, &folded, script, FOLDED_WEIGHT);
        }
    }
    for (lang, stems, inflect) in [
        (
            KY,
            KY_STEMS,
            inflect_ky as fn(&[char], bool, &mut dyn FnMut(&[char])),
        ),
        (KK, KK_STEMS, inflect_kk),
    ] {
        for_each_stem(stems, |stem, verb| {
            inflect(stem, verb, &mut |form| {
                counts.add_word(lang, form, GENERATED_WEIGHT);
                if lang == KY {
                    let ascii = kyrgyz_to_ascii(&form.iter().collect::<String>());
                    for_each_word(&ascii, |w, _| counts.add_word(KYL, w, GENERATED_WEIGHT));
                }
            });
        });
    }
    // Only the inflected forms: a bare loanword (компания, завод) is as Kyrgyz as it is Russian.
    for_each_ru_stem(RU_STEMS, |word, class| {
        inflect_ru(word, class, &mut |form| {
            if form != word {
                counts.add_word(RU, form, GENERATED_WEIGHT);
            }
        });
    });
    // Kyrgyz and Kazakh text inflects Russian loanwords with its own suffixes and harmony
    // (валюталар, рыногуна, республикасы, компанияның): those forms are Turkic words.
    for_each_ru_stem(RU_STEMS, |word, class| {
        if !matches!(class, 'm' | 'f' | 'i' | 'o') {
            return;
        }
        for (lang, inflect) in [
            (KY, inflect_ky as fn(&[char], bool, &mut dyn FnMut(&[char]))),
            (KK, inflect_kk),
        ] {
            inflect(word, false, &mut |form| {
                if form.len() > word.len() + 1 {
                    *counts.known.entry(word_hash(form)).or_insert(0) |= (1 << lang) | LOAN_FORM;
                }
            });
        }
    });
    let lexicon = parse_lexicon(LEXICON);
    // The word lists are training text too: the n-grams then know the function words.
    for_each_lexicon_word(LEXICON, |lang, _, w| {
        counts.add_word(lang, w, 1.0);
        if lang == KY {
            let ascii = kyrgyz_to_ascii(&w.iter().collect::<String>());
            for_each_word(&ascii, |a, _| counts.add_word(KYL, a, 1.0));
        }
    });
    let known = std::mem::take(&mut counts.known);
    let linear = Linear::train(&std::mem::take(&mut counts.samples));
    Model {
        grams: smooth(counts),
        lexicon,
        known,
        linear,
    }
}

/// Weight of Kyrgyz text typed without ө ү ң relative to the same text spelled properly.
const FOLDED_WEIGHT: f32 = 0.2;

/// Weight of one generated inflected form relative to one word of running text.
const GENERATED_WEIGHT: f32 = 0.2;

/// Turns counts into per-language log-probabilities.
fn smooth(counts: Counts) -> FastMap<[f32; NL]> {
    let mut grams = counts.grams;
    for (&key, row) in grams.iter_mut() {
        let order = order_of_key(key);
        // Dirichlet smoothing towards a language-balanced background: a language with little
        // training text is pulled harder towards the background, so that its few (noisy)
        // counts do not outvote the large Kyrgyz, Kazakh and Russian samples.
        let mut background = 0f32;
        for (l, &c) in row.iter().enumerate() {
            background += c / counts.totals[l][order - 1].max(1.0);
        }
        background /= NL as f32;
        for (l, c) in row.iter_mut().enumerate() {
            let p = (*c + DIRICHLET * background) / (counts.totals[l][order - 1] + DIRICHLET);
            *c = p.max(f32::MIN_POSITIVE).ln() * ORDER_WEIGHT[order - 1];
        }
    }
    grams
}

fn order_of_key(key: u64) -> usize {
    // The sentinel bit sits 7 bits above each symbol.
    ((63 - key.leading_zeros()) / 7).clamp(1, MAX_N as u32) as usize
}

/// Kyrgyz Cyrillic to the plain ASCII Latin of search boxes (ж→j, ы→y, ө→o, ү→u, ң→n).
fn kyrgyz_to_ascii(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let lower = c.to_lowercase().next().unwrap_or(c);
        let t = match lower {
            'а' => "a",
            'б' => "b",
            'в' => "v",
            'г' => "g",
            'д' => "d",
            'е' | 'э' => "e",
            'ё' => "yo",
            'ж' => "j",
            'з' => "z",
            'и' => "i",
            'й' | 'ы' => "y",
            'к' => "k",
            'л' => "l",
            'м' => "m",
            'н' | 'ң' => "n",
            'о' | 'ө' => "o",
            'п' => "p",
            'р' => "r",
            'с' => "s",
            'т' => "t",
            'у' | 'ү' => "u",
            'ф' => "f",
            'х' => "h",
            'ц' => "ts",
            'ч' => "ch",
            'ш' | 'щ' => "sh",
            'ъ' | 'ь' => "",
            'ю' => "yu",
            'я' => "ya",
            _ => {
                out.push(c);
                continue;
            }
        };
        out.push_str(t);
    }
    out
}

fn word_hash(word: &[char]) -> u64 {
    let mut h = MixHasher(0x9e37_79b9_7f4a_7c15);
    for &c in word {
        h.write_u64(u64::from(c));
    }
    h.write_u64(word.len() as u64);
    h.finish()
}

/// Calls `f(lang, preferred, word)` with each word of the hand-written lexicon (`lang: word…`
/// lines; `lang+: word…` lists shared words that are much more frequent in `lang`).
fn for_each_lexicon_word(text: &str, mut f: impl FnMut(usize, bool, &[char])) {
    let mut current: Option<(usize, bool)> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let words = match line.split_once(':') {
            Some((head, words)) => {
                let head = head.trim();
                let (code, preferred) = match head.strip_suffix('+') {
                    Some(code) => (code, true),
                    None => (head, false),
                };
                match lang_index(code) {
                    Some(lang) => {
                        current = Some((lang, preferred));
                        words
                    }
                    None => line,
                }
            }
            None => line,
        };
        let Some((lang, preferred)) = current else {
            continue;
        };
        for_each_word(words, |w, _| f(lang, preferred, w));
    }
}

fn parse_lexicon(text: &str) -> FastMap<u32> {
    let mut map = FastMap::default();
    for_each_lexicon_word(text, |lang, preferred, w| {
        let bits = if preferred {
            (1u32 << lang) | (1 << (lang + 16))
        } else {
            1 << lang
        };
        *map.entry(word_hash(w)).or_insert(0) |= bits;
    });
    map
}

// ---------------------------------------------------------------------------------------------
// Morphology: inflected forms generated from hand-written stems, so that the n-grams see every
// case ending and tense suffix with the right vowel harmony, not only those our sentences use.
// This matters most for single words, where a suffix is often the only evidence.

/// Calls `f` with each stem of `n: stem…` (nouns) and `v: stem…` (verbs) lines.
fn for_each_stem(text: &str, mut f: impl FnMut(&[char], bool)) {
    let mut verb = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let words = match line.split_once(':') {
            Some(("n", w)) => {
                verb = false;
                w
            }
            Some(("v", w)) => {
                verb = true;
                w
            }
            _ => line,
        };
        for_each_word(words, |w, _| f(w, verb));
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sound {
    Vowel,
    /// й, р, and Kazakh у after a vowel (тау).
    Glide,
    Lateral,
    Nasal,
    Voiced,
    Voiceless,
}

fn is_vowel_letter(c: char) -> bool {
    vowel(c).is_some() || c == 'э' || c == 'е'
}

fn last_sound(w: &[char], kazakh: bool) -> Sound {
    let mut it = w.iter().rev().copied().filter(|&c| !matches!(c, 'ь' | 'ъ'));
    let Some(c) = it.next() else {
        return Sound::Vowel;
    };
    if kazakh && c == 'у' && it.next().is_some_and(is_vowel_letter) {
        return Sound::Glide;
    }
    match c {
        _ if is_vowel_letter(c) => Sound::Vowel,
        'й' | 'р' => Sound::Glide,
        'л' => Sound::Lateral,
        'м' | 'н' | 'ң' => Sound::Nasal,
        'б' | 'в' | 'г' | 'д' | 'ж' | 'з' | 'ғ' => Sound::Voiced,
        _ => Sound::Voiceless,
    }
}

/// The vowel that decides the harmony of the next suffix (Kazakh у/и are skipped: ambiguous).
fn harmony_vowel(w: &[char], kazakh: bool) -> char {
    let mut fallback = None;
    for &c in w.iter().rev() {
        match vowel(c) {
            Some('у' | 'и') if kazakh => fallback = fallback.or(vowel(c)),
            Some(v) => return v,
            None => {}
        }
    }
    fallback.unwrap_or('а')
}

fn is_back(v: char) -> bool {
    matches!(v, 'а' | 'ы' | 'о' | 'у' | 'ұ')
}

/// Appends a suffix template to `w` (see `inflect_ky` for the letters), applying harmony.
fn apply_template(w: &mut Vec<char>, stem_len: usize, template: &str, kazakh: bool) {
    for t in template.chars() {
        let sound = last_sound(w, kazakh);
        let v = harmony_vowel(w, kazakh);
        let back = is_back(v);
        let high = match (kazakh, v) {
            (true, _) if back => 'ы',
            (true, _) => 'і',
            (false, 'а' | 'ы') => 'ы',
            (false, 'о' | 'у') => 'у',
            (false, 'ө' | 'ү') => 'ү',
            _ => 'и',
        };
        let low = match (kazakh, v) {
            (true, _) if back => 'а',
            (true, _) => 'е',
            (false, 'о') => 'о',
            (false, 'ө' | 'ү') => 'ө',
            (false, 'е' | 'и' | 'ә') => 'е',
            _ => 'а',
        };
        let voiceless = sound == Sound::Voiceless;
        let vowel_end = sound == Sound::Vowel;
        let owned: String;
        let push: &str = match t {
            'A' => {
                owned = low.to_string();
                &owned
            }
            'H' => {
                owned = high.to_string();
                &owned
            }
            'R' if back => "у",
            'R' => "ү",
            'W' if back => "уу",
            'W' => "үү",
            'L' => match sound {
                Sound::Vowel | Sound::Glide => "л",
                Sound::Voiceless => "т",
                _ => "д",
            },
            'N' => match sound {
                Sound::Vowel => "н",
                Sound::Nasal if kazakh => "н",
                Sound::Voiceless => "т",
                _ => "д",
            },
            'Y' | 'D' => match sound {
                Sound::Vowel if t == 'Y' => "н",
                Sound::Voiceless => "т",
                _ => "д",
            },
            'M' => match sound {
                Sound::Nasal => "н",
                Sound::Voiceless => "т",
                _ => "д",
            },
            'G' => match (kazakh && back, voiceless) {
                (true, true) => "қ",
                (true, false) => "ғ",
                (false, true) => "к",
                (false, false) => "г",
            },
            'K' if kazakh && back => "қ",
            'K' => "к",
            'B' => match sound {
                Sound::Voiceless => "п",
                Sound::Vowel | Sound::Glide | Sound::Lateral if kazakh => "м",
                _ => "б",
            },
            'S' if vowel_end => "с",
            'S' => "",
            'V' if vowel_end => "",
            'V' => {
                owned = high.to_string();
                &owned
            }
            'P' if vowel_end && kazakh && matches!(w.last(), Some('ы' | 'і')) => {
                // Kazakh оқы + йды = оқиды.
                w.pop();
                "и"
            }
            'P' if vowel_end => "й",
            'P' => {
                owned = low.to_string();
                &owned
            }
            'Q' => match sound {
                Sound::Lateral => {
                    owned = format!("{high}н");
                    &owned
                }
                Sound::Vowel => "л",
                _ => {
                    owned = format!("{high}л");
                    &owned
                }
            },
            'U' if kazakh => {
                if matches!(w.last(), Some('ы' | 'і')) {
                    w.pop();
                }
                "у"
            }
            'U' => match w.last() {
                Some('а') => {
                    w.pop();
                    "оо"
                }
                Some('е') => {
                    w.pop();
                    "өө"
                }
                Some('ы') => {
                    w.pop();
                    "уу"
                }
                Some('и') => {
                    w.pop();
                    "үү"
                }
                Some(&c @ ('о' | 'ө' | 'у' | 'ү')) => {
                    owned = c.to_string();
                    &owned
                }
                _ if back => "уу",
                _ => "үү",
            },
            other => {
                owned = other.to_string();
                &owned
            }
        };
        // Stem-final п, к, қ voice before a vowel: китеп -> китеби, сабақ -> сабағы.
        if w.len() == stem_len
            && push.chars().next().is_some_and(is_vowel_letter)
            && w.len() >= 2
            && is_vowel_letter(w[w.len() - 2])
            && let Some(last) = w.last_mut()
        {
            *last = match *last {
                'п' => 'б',
                'к' => 'г',
                'қ' => 'ғ',
                c => c,
            };
        }
        w.extend(push.chars());
    }
}

// Template letters: A low vowel, H high vowel, R short and W long rounded vowel, L plural
// consonant (л/д/т), N genitive (н/д/т), Y accusative, D д/т, M ablative, G dative (г/к, ғ/қ),
// K к/қ, B negative (б/п, Kazakh м/б/п), S с after a vowel, V high vowel after a consonant,
// P present-tense vowel or й, Q passive, U verbal noun. Other letters are literal.
const KY_NOUN_SUFFIXES: &[&str] = &[
    "",
    "LAр",
    "NHн",
    "GA",
    "NH",
    "DA",
    "DAн",
    "SH",
    "SHнHн",
    "SHнA",
    "SHн",
    "SHндA",
    "SHнAн",
    "LAрNHн",
    "LAрGA",
    "LAрNH",
    "LAрDA",
    "LAрDAн",
    "LAрH",
    "LAрHнHн",
    "LAрHнA",
    "LAрHн",
    "LAрHндA",
    "VHм",
    "VHмдHн",
    "VHбHз",
    "VHңHз",
    "DAGH",
    "LHк",
    "LHгH",
    "чH",
    "сHз",
    "LW",
    "DAй",
    "GAчA",
    "чA",
    "DAGHлAр",
    "SHнDAGH",
    "LAрNHн",
    "DHр",
];
const KY_VERB_SUFFIXES: &[&str] = &[
    "", "DH", "DHм", "DHк", "DHң", "VHштH", "GAн", "GAнDA", "GAнDAн", "GAнDHGH", "U", "UDA", "UчR",
    "UNR", "Pт", "Pм", "PбHз", "PсHң", "VHшAт", "BADH", "BAйт", "BAGAн", "BAсA", "QDH", "QGAн",
    "QAт", "QUDA", "сA", "GHлA", "чR", "Vп", "VптHр", "Aр", "GHсH", "VшDH",
];
const KK_NOUN_SUFFIXES: &[&str] = &[
    "",
    "LAр",
    "NHң",
    "GA",
    "YH",
    "DA",
    "MAн",
    "SH",
    "SHнHң",
    "SHнA",
    "SHн",
    "SHндA",
    "SHнAн",
    "LAрNHң",
    "LAрGA",
    "LAрYH",
    "LAрDA",
    "LAрDAн",
    "LAрH",
    "LAрHнHң",
    "LAрHнA",
    "LAрHн",
    "LAрHндA",
    "VHм",
    "VHмNHң",
    "VHмHз",
    "VHңHз",
    "DAGH",
    "LHK",
    "LHGH",
    "шH",
    "сHз",
    "LH",
    "DAй",
    "шA",
    "DAGHлAр",
    "SHнDAGH",
];
const KK_VERB_SUFFIXES: &[&str] = &[
    "", "DH", "DHм", "DHK", "DHң", "Vп", "GAн", "GAнDA", "GAнDAн", "GAнDHGH", "U", "UDA", "UшH",
    "UYH", "PдH", "PмHн", "PмHз", "PсHң", "BADH", "BAйдH", "BAGAн", "BAсA", "QDH", "QGAн", "QAдH",
    "QUDA", "сA", "PтHн", "VптHр", "GHсH", "VсDH",
];

fn inflect(stem: &[char], suffixes: &[&str], kazakh: bool, f: &mut dyn FnMut(&[char])) {
    let mut w = Vec::with_capacity(stem.len() + 12);
    for suffix in suffixes {
        w.clear();
        w.extend_from_slice(stem);
        apply_template(&mut w, stem.len(), suffix, kazakh);
        f(&w);
    }
}

fn inflect_ky(stem: &[char], verb: bool, f: &mut dyn FnMut(&[char])) {
    let suffixes = if verb {
        KY_VERB_SUFFIXES
    } else {
        KY_NOUN_SUFFIXES
    };
    inflect(stem, suffixes, false, f);
}

fn inflect_kk(stem: &[char], verb: bool, f: &mut dyn FnMut(&[char])) {
    let suffixes = if verb {
        KK_VERB_SUFFIXES
    } else {
        KK_NOUN_SUFFIXES
    };
    inflect(stem, suffixes, true, f);
}

/// Calls `f(word, class)` with each word of `class: word…` lines (Russian declension classes).
fn for_each_ru_stem(text: &str, mut f: impl FnMut(&[char], char)) {
    let mut class = 'm';
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let words = match line.split_once(':') {
            Some((c, w)) if c.chars().count() == 1 => {
                class = c.chars().next().unwrap_or('m');
                w
            }
            _ => line,
        };
        for_each_word(words, |w, _| f(w, class));
    }
}

/// Russian endings per class; the dictionary form minus `strip` letters is the stem.
/// m: masculine noun (завод), f: feminine in -а (школа), i: noun in -ия (история), o: neuter in
/// -о (место), e: neuter in -ие (здание), s: feminine in -ь (площадь), a: adjective in -ый/-ий/-ой
/// (новый), v: verb in -ать/-ять (делать), w: verb in -ить (строить). `-` is the empty ending.
fn ru_paradigm(class: char) -> (usize, &'static str) {
    match class {
        'f' => (1, "а ы е у ой - ам ами ах"),
        'i' => (1, "я и ю ей й ям ями ях"),
        'o' => (1, "о а у ом е - ам ами ах"),
        'e' => (1, "е я ю ем и й ям ями ях"),
        's' => (1, "ь и ью ей ям ями ях"),
        'a' => (2, "ый ого ому ым ом ая ой ую ое ые ых ыми"),
        'v' => (
            2,
            "ть ю ешь ет ем ете ют л ла ло ли ться ется ются лся лась лись ние",
        ),
        'w' => (
            3,
            "ить ю ишь ит им ите ят ил ила ило или иться ится ятся ился илась ились ение",
        ),
        _ => (0, "- а у ом е ы ов ам ами ах"),
    }
}

/// Generates the case or person forms of one Russian word, with the spelling rule that writes
/// и, а, у for ы, я, ю after г к х ж ш ч щ (книги, учат).
fn inflect_ru(word: &[char], class: char, f: &mut dyn FnMut(&[char])) {
    let (strip, endings) = ru_paradigm(class);
    let Some(stem) = word.get(..word.len().saturating_sub(strip)) else {
        return;
    };
    if stem.is_empty() {
        return;
    }
    let last = stem[stem.len() - 1];
    let velar_or_hush = matches!(last, 'г' | 'к' | 'х' | 'ж' | 'ш' | 'ч' | 'щ');
    let hush = matches!(last, 'ж' | 'ш' | 'ч' | 'щ' | 'ц');
    let mut w = Vec::with_capacity(word.len() + 6);
    for ending in endings.split_whitespace() {
        w.clear();
        w.extend_from_slice(stem);
        for (i, c) in ending.chars().filter(|&c| c != '-').enumerate() {
            let c = match c {
                'ы' if i == 0 && velar_or_hush => 'и',
                'я' if i == 0 && hush => 'а',
                'ю' if i == 0 && hush => 'у',
                c => c,
            };
            w.push(c);
        }
        f(&w);
    }
}

// ---------------------------------------------------------------------------------------------
// The discriminative word model: multinomial logistic regression over hashed features of one
// word (its character n-grams 1..=5 with boundaries, the whole word, and its last 5-7 letters),
// trained by SGD at first use on the distinct words of our training text, each labelled with
// how often each language uses it. Naive Bayes counts every n-gram as independent evidence;
// this model instead learns which few features actually separate the languages, which is what
// decides single words and short queries.

/// log2 of the number of hashed feature slots per script.
const LINEAR_BITS: u32 = 16;
const LINEAR_SLOTS: usize = 1 << LINEAR_BITS;
/// Passes of SGD over the training words.
const LINEAR_EPOCHS: usize = 6;
/// Learning rate of the first pass; pass `e` uses `LINEAR_RATE / (1 + e)`.
const LINEAR_RATE: f32 = 0.2;
/// A training word's weight is its (weighted) count to this power, so that very frequent words
/// (жана, и) do not swamp the rest while still counting more than rare ones.
const LINEAR_COUNT_POWER: f32 = 0.5;
/// Learning rate of the per-language bias relative to the feature weights.
const LINEAR_BIAS_RATE: f32 = 0.1;
/// Weight of the naive Bayes n-gram score in a word's score.
const W_NAIVE_BAYES: f32 = 0.3;
/// Weight of the linear model's logits in a word's score.
const W_LINEAR: f32 = 1.0;

/// Distinct training words and their weighted count per language.
#[derive(Default)]
struct Samples {
    index: FastMap<usize>,
    words: Vec<(Vec<char>, [f32; NL])>,
}

impl Samples {
    fn add(&mut self, lang: usize, word: &[char], weight: f32) {
        let next = self.words.len();
        let i = *self.index.entry(word_hash(word)).or_insert(next);
        if i == next {
            self.words.push((word.to_vec(), [0.0; NL]));
        }
        self.words[i].1[lang] += weight;
    }
}

fn mix64(mut x: u64) -> u64 {
    x ^= x >> 31;
    x = x.wrapping_mul(0x7fb5_d329_728e_a185);
    x ^= x >> 27;
    x = x.wrapping_mul(0x81da_def4_bc2d_d44d);
    x ^ (x >> 33)
}

/// Calls `f` with the feature slot of every feature of a word: its n-grams of orders
/// 1..=MAX_N with boundary marks, so prefixes and suffixes of up to four letters are features
/// of their own. (A whole-word feature and 5-7 letter suffixes were tried and did not help: the
/// `W_KNOWN` bonus already remembers training words.)
fn for_each_feature(w: &[char], mut f: impl FnMut(usize)) {
    for_each_gram(w, |gram| {
        f((mix64(gram_key(gram)) as usize) & (LINEAR_SLOTS - 1));
    });
}

/// Softmax regression over the `K` model languages of one script, which start at `FIRST`.
struct Table<const K: usize, const FIRST: usize> {
    weights: Vec<[f32; K]>,
    bias: [f32; K],
}

impl<const K: usize, const FIRST: usize> Table<K, FIRST> {
    fn logits(&self, w: &[char], out: &mut [f32; NL]) {
        let mut z = self.bias;
        for_each_feature(w, |i| {
            let row = &self.weights[i];
            for k in 0..K {
                z[k] += row[k];
            }
        });
        out[FIRST..FIRST + K].copy_from_slice(&z);
    }

    fn train(samples: &Samples, script: Script) -> Self {
        let mut table = Table {
            weights: vec![[0.0; K]; LINEAR_SLOTS],
            bias: [0.0; K],
        };
        // Features, target distribution and weight of every word, computed once.
        let mut features: Vec<u32> = Vec::new();
        let mut words: Vec<(usize, usize, [f32; K], f32)> = Vec::new();
        for (w, counts) in &samples.words {
            if w.first().map(|&c| script_of(c)) != Some(script) {
                continue;
            }
            let mut target = [0f32; K];
            target.copy_from_slice(&counts[FIRST..FIRST + K]);
            let total: f32 = target.iter().sum();
            if total <= 0.0 {
                continue;
            }
            for t in &mut target {
                *t /= total;
            }
            let start = features.len();
            for_each_feature(w, |i| features.push(i as u32));
            words.push((
                start,
                features.len(),
                target,
                total.powf(LINEAR_COUNT_POWER),
            ));
        }
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        for epoch in 0..LINEAR_EPOCHS {
            // Fisher-Yates shuffle with a fixed seed: training is deterministic.
            for i in (1..words.len()).rev() {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                words.swap(i, (rng % (i as u64 + 1)) as usize);
            }
            let rate = LINEAR_RATE / (1 + epoch) as f32;
            for (start, end, target, weight) in &words {
                let feats = &features[*start..*end];
                let mut z = table.bias;
                for &i in feats {
                    let row = &table.weights[i as usize];
                    for k in 0..K {
                        z[k] += row[k];
                    }
                }
                let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let mut sum = 0.0;
                for v in &mut z {
                    *v = (*v - max).exp();
                    sum += *v;
                }
                let mut grad = [0f32; K];
                for k in 0..K {
                    grad[k] = rate * weight * (z[k] / sum - target[k]);
                }
                for &i in feats {
                    let row = &mut table.weights[i as usize];
                    for k in 0..K {
                        row[k] -= grad[k];
                    }
                }
                for (b, g) in table.bias.iter_mut().zip(grad) {
                    *b -= g * LINEAR_BIAS_RATE;
                }
            }
        }
        table
    }
}

/// The linear word model: one table for the Cyrillic and one for the Latin-script languages.
struct Linear {
    cyrillic: Table<6, KY>,
    latin: Table<3, EN>,
}

impl Linear {
    fn train(samples: &Samples) -> Linear {
        Linear {
            cyrillic: Table::train(samples, Script::Cyrillic),
            latin: Table::train(samples, Script::Latin),
        }
    }

    /// The logits of a word for the languages of its script (the others stay 0).
    fn logits(&self, w: &[char], script: Script) -> [f32; NL] {
        let mut out = [0f32; NL];
        match script {
            Script::Cyrillic => self.cyrillic.logits(w, &mut out),
            Script::Latin => self.latin.logits(w, &mut out),
            Script::Other => {}
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Scoring.

struct Scores {
    cyrillic: [f32; NL],
    latin: [f32; NL],
    cyrillic_letters: usize,
    latin_letters: usize,
    other_letters: usize,
    foreign_cyrillic: usize,
}

struct Found {
    detection: Detection,
    script: Option<Script>,
}

fn detect_inner(text: &str) -> Found {
    let m = model();
    let mut s = Scores {
        cyrillic: [0.0; NL],
        latin: [0.0; NL],
        cyrillic_letters: 0,
        latin_letters: 0,
        other_letters: 0,
        foreign_cyrillic: 0,
    };
    for_each_word(text, |w, script| match script {
        Script::Cyrillic => {
            s.cyrillic_letters += w.len();
            s.foreign_cyrillic += w.iter().filter(|&&c| sym(c) == FOREIGN_CYRILLIC).count();
            score_word(m, w, Script::Cyrillic, &mut s.cyrillic);
            cyrillic_rules(w, &mut s.cyrillic);
        }
        Script::Latin => {
            s.latin_letters += w.len();
            score_word(m, w, Script::Latin, &mut s.latin);
            latin_rules(w, &mut s.latin);
        }
        Script::Other => s.other_letters += w.len(),
    });
    let und = |confidence| Found {
        detection: Detection {
            lang: UNDETERMINED,
            confidence,
        },
        script: None,
    };
    let known = s.cyrillic_letters + s.latin_letters;
    if known == 0 {
        return und(1.0);
    }
    if s.other_letters > known {
        return und(s.other_letters as f32 / (s.other_letters + known) as f32);
    }
    let (script, scores, langs): (Script, &[f32; NL], &[usize]) =
        if s.cyrillic_letters >= s.latin_letters {
            // Mostly letters from alphabets we do not support (Ukrainian, Serbian…).
            if s.foreign_cyrillic * 5 > s.cyrillic_letters {
                return und(0.8);
            }
            (Script::Cyrillic, &s.cyrillic, &CYRILLIC_LANGS)
        } else {
            (Script::Latin, &s.latin, &LATIN_LANGS)
        };
    let (best, confidence) = pick(scores, langs);
    Found {
        detection: Detection {
            lang: reported(best),
            confidence,
        },
        script: Some(script),
    }
}

/// The best-scoring language among `langs` and its softmax probability.
fn pick(scores: &[f32; NL], langs: &[usize]) -> (usize, f32) {
    let mut best = langs[0];
    for &l in langs {
        if scores[l] > scores[best] {
            best = l;
        }
    }
    let mut sum = 0f32;
    for &l in langs {
        sum += ((scores[l] - scores[best]) / TEMPERATURE).exp();
    }
    let confidence = if sum.is_finite() && sum > 0.0 {
        1.0 / sum
    } else {
        0.0
    };
    (best, confidence)
}

/// Adds the linear model's, the n-gram and the word-list evidence of one word to `acc`.
fn score_word(m: &Model, w: &[char], script: Script, acc: &mut [f32; NL]) {
    let langs: &[usize] = if script == Script::Latin {
        &LATIN_LANGS
    } else {
        &CYRILLIC_LANGS
    };
    let mut word = [0f32; NL];
    for_each_gram(w, |gram| {
        if let Some(row) = m.grams.get(&gram_key(gram)) {
            for &l in langs {
                word[l] += row[l];
            }
        }
    });
    let linear = m.linear.logits(w, script);
    for &l in langs {
        word[l] = word[l] * W_NAIVE_BAYES + linear[l] * W_LINEAR;
    }
    let hash = word_hash(w);
    if let Some(&mask) = m.known.get(&hash) {
        for &l in langs {
            if mask & (1 << l) != 0 {
                word[l] += W_KNOWN;
            }
        }
        if mask & LOAN_FORM != 0 {
            // A Russian stem with a Kyrgyz or Kazakh suffix (рыногуна) that no Russian text has.
            if mask & (1 << RU) == 0 {
                word[RU] -= W_TURKIC_ENDING;
            }
            // The same loanword form in Kyrgyz and Kazakh (университетте) tells them apart no
            // more than a shared lexicon word does.
            let both = (1 << KY) | (1 << KK);
            if mask & both == both {
                level(&mut word, langs, |l| l == KY || l == KK);
            }
        }
    }
    if let Some(&mask) = m.lexicon.get(&hash) {
        let listed = |l: usize| mask & (1 << l) != 0;
        // A word listed for several languages (бала, деп, млн) is evidence for none of them
        // against the others.
        level(&mut word, langs, listed);
        for &l in langs {
            if listed(l) {
                word[l] += W_LEXICON;
                if mask & (1 << (l + 16)) != 0 {
                    word[l] += W_PREFERRED;
                }
            }
        }
    }
    for &l in langs {
        acc[l] += word[l] + PRIOR[l];
    }
}

/// Gives the languages a word is shared by (`shared`, among `langs`) the best of their scores:
/// the word is no evidence between them, and the prior decides.
fn level(word: &mut [f32; NL], langs: &[usize], shared: impl Fn(usize) -> bool) {
    let best = langs
        .iter()
        .filter(|&&l| shared(l))
        .map(|&l| word[l])
        .fold(f32::NEG_INFINITY, f32::max);
    for &l in langs {
        if shared(l) {
            word[l] = best;
        }
    }
}

const RUSSIAN_ENDINGS: &[&str] = &[
    "ии", "ие", "ия", "ый", "ий", "ого", "его", "ому", "ему", "ых", "ться", "тся", "ся", "ть",
    "ью", "ей", "ою", "ешь", "ишь", "ами", "ями", "ют", "гут", "тесь", "лись", "лась",
];

/// Kyrgyz and Kazakh endings that Russian words (almost) never have: genitive -нын/-дун/-түн,
/// -дагы/-теги, -лык/-дук, plural -лар/-лөр, possessive + case -сына/-синде. A Russian stem
/// carrying one of them is a loanword in a Turkic sentence (`долларлар`, `компаниясынын`).
/// Surnames built on Turkic names in -бай, -бек, -бет, -алы (Назарбаев, Жээнбеков) are written
/// with Russian -ов/-ев but belong to Kyrgyz and Kazakh text.
const TURKIC_ENDINGS: &str = "\
    нын дын тын нун дун тун нүн дүн түн дагы деги тагы теги догу дөгү тогу төгү лык \
    дык тык лук дук лүк дүк түк лар лор лөр дөр төр сына сине суна сүнө сында синде \
    сунда сүндө сынан синен сунан сүнөн ларды лерди ларга лерге ларда лерде лардан \
    лерден гандан генден генде баев баева беков бекова бетов бетова алиев алиева";

/// Russian words that happen to end like a Turkic suffix (доллар, сектор, Гитлер…): the rule
/// only fires when the ending is preceded by at least this many letters.
const TURKIC_ENDING_MIN_STEM: usize = 3;

fn has_turkic_ending(w: &[char]) -> bool {
    TURKIC_ENDINGS.split_whitespace().any(|e| {
        let n = e.chars().count();
        w.len() >= n + TURKIC_ENDING_MIN_STEM
            && w[w.len() - n..].iter().copied().eq(e.chars())
            // -ллар, -ллер: Russian доллар, Миллер.
            && !(e.starts_with('л') && w[w.len() - n - 1] == 'л')
    })
}

fn ends_with(w: &[char], suffix: &str) -> bool {
    let n = suffix.chars().count();
    w.len() > n && w[w.len() - n..].iter().copied().eq(suffix.chars())
}

/// Vowel classes used by the harmony rules; iotated vowels count as their vowel.
fn vowel(c: char) -> Option<char> {
    match c {
        'а' | 'я' => Some('а'),
        'ы' => Some('ы'),
        'о' | 'ё' => Some('о'),
        'у' | 'ю' => Some('у'),
        'е' | 'э' => Some('е'),
        'и' | 'і' => Some('и'),
        'ө' => Some('ө'),
        'ү' => Some('ү'),
        'ә' => Some('ә'),
        'ұ' => Some('ұ'),
        _ => None,
    }
}

fn is_back_unrounded(v: char) -> bool {
    matches!(v, 'а' | 'ы')
}

/// Hand-written evidence from alphabets and morphology for a Cyrillic word.
fn cyrillic_rules(w: &[char], acc: &mut [f32; NL]) {
    let mut against = |langs: &[usize], weight: f32| {
        for &l in langs {
            acc[l] -= weight;
        }
    };
    let mut seen_che = false;
    for &c in w {
        match c {
            'ә' | 'ұ' | 'һ' | 'і' => against(&[KY, RU, TG, UZ, MN], W_FOREIGN_LETTER),
            'ғ' | 'қ' => against(&[KY, RU, MN], W_FOREIGN_LETTER),
            'ң' => against(&[RU, TG, UZ, MN], W_FOREIGN_LETTER),
            'ө' | 'ү' => against(&[RU, TG, UZ], W_FOREIGN_LETTER),
            'ӣ' | 'ӯ' | 'ҷ' => against(&[KY, KK, RU, UZ, MN], W_FOREIGN_LETTER),
            'ҳ' => against(&[KY, KK, RU, MN], W_FOREIGN_LETTER),
            'ў' => against(&[KY, KK, RU, TG, MN], W_FOREIGN_LETTER),
            'ъ' | 'щ' | 'ё' => against(&[KY, KK, TG, UZ], W_LOAN_LETTER),
            'ы' => against(&[TG, UZ], W_LOAN_LETTER),
            'ч' if !seen_che => {
                seen_che = true;
                against(&[KK], W_CHE);
            }
            _ => {}
        }
    }

    // Russian inflections that Turkic words never end in (Франции, который, учиться, нового).
    if RUSSIAN_ENDINGS.iter().any(|e| ends_with(w, e)) {
        against(&[KY, KK], W_RUSSIAN_ENDING);
    }
    if has_turkic_ending(w) {
        against(&[RU], W_TURKIC_ENDING);
    }

    // Initial э/е: Kyrgyz эмес, эки, эл; Kazakh емес, екі, ел.
    match w.first() {
        Some('е') => against(&[KY], W_INITIAL_E),
        Some('э') => against(&[KK], W_INITIAL_E * 0.5),
        _ => {}
    }

    let mut prev_vowel: Option<char> = None;
    let (mut noninitial_o, mut noninitial_u, mut ky_harmony, mut long, mut long_ru) =
        (false, false, false, false, false);
    let mut back_k = false;
    let mut diphthong = false;
    for (i, &c) in w.iter().enumerate() {
        let prev = if i > 0 { Some(w[i - 1]) } else { None };
        let next = w.get(i + 1).copied();
        if matches!(c, 'к' | 'г') {
            let back = |x: Option<char>| matches!(x, Some('а' | 'о' | 'ы' | 'я'));
            if back(prev) || back(next) || next == Some('у') {
                back_k = true;
            }
        }
        if c == 'у' && matches!(prev, Some('а' | 'е')) {
            diphthong = true;
        }
        let Some(v) = vowel(c) else { continue };
        if prev == Some(c) && prev_vowel.is_some() {
            // The second half of a long vowel is not a new syllable.
            long = true;
            if matches!(c, 'а' | 'у' | 'э' | 'ө' | 'ү' | 'ы') {
                long_ru = true;
            }
            continue;
        }
        if let Some(p) = prev_vowel {
            let long_now = next == Some(c);
            match v {
                'о' | 'ө' => noninitial_o = true,
                'ү' => noninitial_u = true,
                _ => {}
            }
            let breaks_ky = match p {
                'о' => is_back_unrounded(v),
                'ө' | 'ү' => matches!(v, 'е' | 'и'),
                _ => false,
            };
            if breaks_ky && !long_now {
                ky_harmony = true;
            }
        }
        prev_vowel = Some(v);
    }
    if noninitial_o {
        against(&[KK], W_NONINITIAL_O);
    }
    if noninitial_u {
        against(&[KK], W_NONINITIAL_U);
    }
    if ky_harmony {
        against(&[KY], W_KY_HARMONY);
    }
    if long {
        against(&[KK], W_LONG_VOWEL);
    }
    if long_ru {
        against(&[RU], W_LONG_VOWEL);
    }
    if back_k {
        against(&[KK], W_BACK_K);
    }
    if diphthong {
        against(&[KY], W_DIPHTHONG);
    }
}

/// Hand-written evidence for a Latin-script word (English, Uzbek, ASCII-typed Kyrgyz).
fn latin_rules(w: &[char], acc: &mut [f32; NL]) {
    for (i, &c) in w.iter().enumerate() {
        let next = w.get(i + 1).copied();
        match c {
            // Neither Uzbek nor our Kyrgyz transliteration uses w, or c outside "ch".
            'w' => {
                acc[UZL] -= W_LOAN_LETTER;
                acc[KYL] -= W_LOAN_LETTER;
            }
            'c' if next != Some('h') => {
                acc[UZL] -= W_LOAN_LETTER;
                acc[KYL] -= W_LOAN_LETTER;
            }
            // Uzbek oʻ and gʻ: rare in English (o'clock), and Kyrgyz typed in Latin letters never
            // has them (it has no ғ, and types ө as o or ö).
            '\u{02BC}' if i > 0 && matches!(w[i - 1], 'o' | 'g') => {
                acc[EN] -= W_LOAN_LETTER;
                acc[KYL] -= W_FOREIGN_LETTER;
            }
            'a'..='z' | '\u{02BC}' => {}
            // Accented Latin letters belong to none of the Latin models.
            _ => {
                acc[UZL] -= W_LOAN_LETTER;
                acc[KYL] -= W_LOAN_LETTER;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lang(text: &str) -> &'static str {
        detect(text).lang
    }

    #[test]
    fn loanwords_with_turkic_suffixes_and_russian_verb_forms() {
        // A Russian stem with a Kyrgyz case or possessive suffix, and a surname on a Turkic name,
        // belong to a Turkic sentence; Russian third-person plural verbs do not.
        for w in ["рыногуна", "республикасы", "Жээнбеков"] {
            assert_ne!(lang(w), "ru", "{w}");
        }
        for w in ["могут", "смогут", "читают"] {
            assert_eq!(lang(w), "ru", "{w}");
        }
    }

    #[test]
    fn kyrgyz_sentences() {
        for s in [
            "Биздин мектепте жаңы китепкана ачылды.",
            "Окуучулар сабактан кийин үйлөрүнө кетишти.",
            "Бишкекте эртең жаан жаайт деп күтүлүүдө.",
            "Мугалим балдарга кыргыз тилинин грамматикасын түшүндүрүп берди.",
        ] {
            assert_eq!(lang(s), "ky", "{s}");
        }
    }

    #[test]
    fn kyrgyz_single_words_and_queries() {
        for s in [
            "китеп",
            "окуучулар",
            "мектеп",
            "китептер",
            "мугалим",
            "тоолор",
            "жазуучу",
            "үйлөр",
            "эмес",
            "кыргыз тили",
            "окуучулар учун китеп",
        ] {
            assert_eq!(lang(s), "ky", "{s}");
        }
    }

    #[test]
    fn loanwords_with_turkic_endings() {
        for s in ["компьютерлер", "университетте", "Бишкекке", "компаниясынын"]
        {
            assert_eq!(lang(s), "ky", "{s}");
        }
        assert_eq!(lang("Алматыдағы"), "kk");
        // Shared words listed as preferred ("kk+:", "ru+:" in lexicon.txt).
        assert_eq!(lang("мен"), "kk");
        assert_eq!(lang("он"), "ru");
    }

    #[test]
    fn kazakh() {
        for s in [
            "Біздің мектепте жаңа кітапхана ашылды.",
            "Оқушылар сабақтан кейін үйлеріне кетті.",
            "кітап",
            "оқушылар",
            "және",
            "болды",
            "олар",
            "емес",
        ] {
            assert_eq!(lang(s), "kk", "{s}");
        }
    }

    #[test]
    fn russian() {
        for s in [
            "В нашей школе открылась новая библиотека.",
            "Ученики разошлись по домам после уроков.",
            "библиотека",
            "который",
            "учеников",
            "заниматься",
        ] {
            assert_eq!(lang(s), "ru", "{s}");
        }
    }

    #[test]
    fn other_cyrillic_languages() {
        assert_eq!(lang("Дар мактаби мо китобхонаи нав кушода шуд."), "tg");
        assert_eq!(lang("китобҳо"), "tg");
        assert_eq!(lang("Бизнинг мактабда янги кутубхона очилди."), "uz");
        assert_eq!(lang("ўқувчилар"), "uz");
        assert_eq!(lang("Манай сургуульд шинэ номын сан нээгдлээ."), "mn");
        assert_eq!(lang("сургууль"), "mn");
    }

    #[test]
    fn latin_languages() {
        assert_eq!(lang("A new library opened at our school."), "en");
        assert_eq!(lang("the library"), "en");
        assert_eq!(lang("Maktabimizda yangi kutubxona ochildi."), "uz-Latn");
        assert_eq!(lang("oʻquvchilar"), "uz-Latn");
        for w in ["sog'lom", "sogʻlom", "bog'cha"] {
            assert_eq!(lang(w), "uz-Latn", "{w}");
        }
        assert_eq!(lang("kitep"), "ky");
        assert_eq!(lang("okuuchular"), "ky");
    }

    #[test]
    fn undetermined() {
        for s in [
            "",
            "   ",
            "12345",
            "!!! ... ---",
            "2024-05-01 12:30",
            "北京大学",
            "مرحبا بالعالم",
        ] {
            assert_eq!(lang(s), UNDETERMINED, "{s:?}");
        }
    }

    #[test]
    fn hint_wins_within_its_script() {
        let d = detect_with_hint("бала", Some("kk"));
        assert_eq!(d.lang, "kk");
        assert_eq!(detect_with_hint("мектеп", Some("ky-KG")).lang, "ky");
        assert_eq!(detect_with_hint("maktab", Some("uz")).lang, "uz-Latn");
        assert_eq!(detect_with_hint("мактаб", Some("uz-Latn")).lang, "uz");
        // A declaration cannot turn English into Kyrgyz.
        assert_eq!(
            detect_with_hint("the school library", Some("ky")).lang,
            "en"
        );
        // Unknown declarations are ignored.
        assert_eq!(detect_with_hint("китеп", Some("xx")).lang, "ky");
        assert_eq!(detect_with_hint("", Some("ru")).lang, "ru");
    }

    #[test]
    fn normalisation() {
        // Latin look-alikes inside Cyrillic words, and a decomposed й.
        assert_eq!(lang("мектeптe"), "ky");
        assert_eq!(lang("кыргыз тили\u{0306}"), "ky");
        assert_eq!(canonical_code("Kir"), Some("ky"));
        assert_eq!(canonical_code("uz_Latn_UZ"), Some("uz-Latn"));
        assert_eq!(canonical_code("de"), None);
    }

    #[test]
    fn never_panics_and_confidence_is_a_probability() {
        let huge = "кыргыз ".repeat(100_000);
        let long_word = "а".repeat(10_000);
        let inputs = [
            huge.as_str(),
            long_word.as_str(),
            "\u{0306}\u{0308}",
            "a\u{0301}b'c'",
            "ʼʼʼ o'",
            "\u{FEFF}\u{200B}",
            "İstanbul ǅ ﬁ",
            "ѓ ї є ђ",
        ];
        for s in inputs {
            let d = detect(s);
            assert!((0.0..=1.0).contains(&d.confidence), "{s:?} {d:?}");
        }
        assert_eq!(lang("ї є ђ ћ џ"), UNDETERMINED);
    }

    fn forms(stem: &str, verb: bool, kazakh: bool) -> Vec<String> {
        let stem: Vec<char> = stem.chars().collect();
        let mut out = Vec::new();
        let f = if kazakh { inflect_kk } else { inflect_ky };
        f(&stem, verb, &mut |w| out.push(w.iter().collect()));
        out
    }

    #[test]
    fn kyrgyz_inflection_follows_harmony() {
        let has = |stem, verb, form: &str| {
            let all = forms(stem, verb, false);
            assert!(all.iter().any(|f| f == form), "{form} not in {all:?}");
        };
        has("китеп", false, "китептер");
        has("китеп", false, "китеби");
        has("китеп", false, "китепке");
        has("тоо", false, "тоолор");
        has("жол", false, "жолдордун");
        has("үй", false, "үйлөрү");
        has("үй", false, "үйдө");
        has("бала", false, "баланын");
        has("бала", false, "баласына");
        has("мектеп", false, "мектептеги");
        has("оку", true, "окуучу");
        has("оку", true, "окуйт");
        has("жаса", true, "жасоо");
        has("кел", true, "келди");
        has("кет", true, "кеткен");
        has("сал", true, "салынды");
        has("бер", true, "берилди");
        has("улан", true, "уланууда");
    }

    #[test]
    fn kazakh_inflection_follows_harmony() {
        let has = |stem, verb, form: &str| {
            let all = forms(stem, verb, true);
            assert!(all.iter().any(|f| f == form), "{form} not in {all:?}");
        };
        has("кітап", false, "кітаптар");
        has("кітап", false, "кітабы");
        has("кітап", false, "кітапқа");
        has("тау", false, "таулар");
        has("адам", false, "адамның");
        has("адам", false, "адамнан");
        has("үй", false, "үйлері");
        has("үй", false, "үйдің");
        has("бала", false, "баласына");
        has("оқы", true, "оқиды");
        has("оқы", true, "оқушы");
        has("кел", true, "келді");
        has("кет", true, "кеткен");
        has("сал", true, "салынды");
        has("жалғас", true, "жалғасуда");
    }

    #[test]
    fn linear_model_alone_separates_clear_words() {
        let m = model();
        for (word, want) in [
            ("китептерибиз", KY),
            ("кітаптарымыз", KK),
            ("учениками", RU),
            ("сургуулиуд", MN),
        ] {
            let w: Vec<char> = word.chars().collect();
            let z = m.linear.logits(&w, Script::Cyrillic);
            let best = CYRILLIC_LANGS
                .iter()
                .copied()
                .fold(KY, |b, l| if z[l] > z[b] { l } else { b });
            assert_eq!(MODEL_LANGS[best], MODEL_LANGS[want], "{word} {z:?}");
        }
        let w: Vec<char> = "libraries".chars().collect();
        let z = m.linear.logits(&w, Script::Latin);
        assert!(z[EN] > z[UZL] && z[EN] > z[KYL], "{z:?}");
    }

    #[test]
    fn supported_list_matches_models() {
        for l in 0..NL {
            assert!(SUPPORTED_LANGUAGES.contains(&reported(l)));
        }
    }
}
