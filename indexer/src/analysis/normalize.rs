//! Text normaliser run before tokenising: NFC, stress marks and invisible characters removed, Latin look-alikes inside Cyrillic words mapped to Cyrillic, lowercase.
//!
//! Integrator note: tantivy's `RemoveLongFilter` counts bytes, and a Cyrillic letter is two
//! bytes, so a 40-byte limit drops 21-letter words such as `кызматташтыгынын`-type forms;
//! use a limit of at least 128 bytes.

use unicode_normalization::UnicodeNormalization;

/// Characters deleted outright: stress accents, soft hyphen and zero-width characters.
#[inline]
fn is_dropped(c: char) -> bool {
    matches!(
        c,
        '\u{0301}' // combining acute (stress mark)
            | '\u{0300}' // combining grave (stress mark)
            | '\u{00AD}' // soft hyphen
            | '\u{200B}' // zero-width space
            | '\u{200C}' // zero-width non-joiner
            | '\u{200D}' // zero-width joiner
            | '\u{2060}' // word joiner
            | '\u{FEFF}' // byte-order mark / zero-width no-break space
    )
}

#[inline]
fn is_cyrillic(c: char) -> bool {
    matches!(c, '\u{0400}'..='\u{052F}')
}

/// Cyrillic twin of a Latin letter that looks the same, for the given case: the one table of
/// look-alikes, used by the normaliser and by language identification alike.
/// Lowercase h, k, m, t only roughly resemble һ к м т, but inside a Cyrillic
/// word they are almost always such mistypes.
#[inline]
pub fn cyrillic_twin(c: char) -> Option<char> {
    Some(match c {
        'A' => 'А',
        'B' => 'В',
        'C' => 'С',
        'E' => 'Е',
        'H' => 'Н',
        'I' => 'І',
        'K' => 'К',
        'M' => 'М',
        'O' => 'О',
        'P' => 'Р',
        'T' => 'Т',
        'X' => 'Х',
        'Y' => 'У',
        'a' => 'а',
        'c' => 'с',
        'e' => 'е',
        'h' => 'һ',
        'i' => 'і',
        'k' => 'к',
        'm' => 'м',
        'o' => 'о',
        'p' => 'р',
        't' => 'т',
        'x' => 'х',
        'y' => 'у',
        // Kazakh ә typed with the Latin schwa.
        'Ə' => 'Ә',
        'ə' => 'ә',
        _ => return None,
    })
}

/// Normalises `text` for indexing or querying (see the module doc).
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    normalize_into(text, &mut out);
    out
}

/// Appends the normalised form of `text` to `out`.
pub fn normalize_into(text: &str, out: &mut String) {
    // Decompose first so that a stress mark on г or к cannot compose into a
    // Macedonian letter, drop the marks, then recompose (й and ё come back).
    // Most text is already NFC with nothing to drop: skip the two normalisation passes then.
    let cleaned: std::borrow::Cow<str> = if !text.chars().any(is_dropped)
        && unicode_normalization::is_nfc_quick(text.chars())
            == unicode_normalization::IsNormalized::Yes
    {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(text.nfd().filter(|&c| !is_dropped(c)).nfc().collect())
    };
    let mut word = String::new();
    for c in cleaned.chars() {
        if is_word_char(c) {
            word.push(c);
        } else {
            flush_word(&word, out);
            word.clear();
            push_lower(c, out);
        }
    }
    flush_word(&word, out);
}

/// `char::is_alphanumeric`, with fast answers for ASCII and the Cyrillic block (most of our text).
/// The apostrophes people type in Uzbek Latin oʻ gʻ and in Latin-typed words: ' ’ ‘ ` and the
/// modifier letters ʻ ʼ.
#[inline]
pub fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | 'ʻ' | 'ʼ' | '`' | '‘')
}

pub fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else if ('\u{400}'..='\u{4FF}').contains(&c) {
        !('\u{482}'..='\u{489}').contains(&c)
    } else {
        c.is_alphanumeric()
    }
}

/// Lowercase, with fast paths for ASCII and the basic Cyrillic capitals.
fn push_lower(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
    } else if ('А'..='Я').contains(&c) {
        out.push(char::from_u32(c as u32 + 0x20).unwrap_or(c));
    } else if ('а'..='я').contains(&c) {
        out.push(c);
    } else {
        out.extend(c.to_lowercase());
    }
}

/// Lowercases one word, first mapping Latin look-alikes to Cyrillic when the
/// word is otherwise Cyrillic (it has a Cyrillic letter and every Latin letter
/// in it has a look-alike), so `Кыргызстaн` with a Latin `a` still matches.
fn flush_word(word: &str, out: &mut String) {
    let has_cyrillic = word.chars().any(is_cyrillic);
    let map_latin = has_cyrillic
        && word
            .chars()
            .all(|c| !c.is_ascii_alphabetic() || cyrillic_twin(c).is_some());
    for c in word.chars() {
        let c = if map_latin {
            cyrillic_twin(c).unwrap_or(c)
        } else {
            c
        };
        push_lower(c, out);
    }
}

/// Russian-only step after [`normalize`]: ё is written as е in most Russian text.
pub fn russian_yo(s: &str) -> String {
    s.replace(['ё', 'Ё'], "е")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowercases_and_composes() {
        assert_eq!(normalize("Кыргызстан"), "кыргызстан");
        // и + combining breve composes to й.
        assert_eq!(normalize("Аи\u{0306}ыл"), "айыл");
    }

    #[test]
    fn removes_stress_and_invisible_marks() {
        assert_eq!(normalize("моло\u{0301}ко"), "молоко");
        assert_eq!(normalize("ки\u{0300}теп"), "китеп");
        assert_eq!(normalize("мек\u{00AD}теп"), "мектеп");
        assert_eq!(normalize("мек\u{200B}теп\u{FEFF}"), "мектеп");
        // A stressed г must stay г, not become Macedonian ѓ.
        assert_eq!(normalize("г\u{0301}"), "г");
        // ё keeps its diaeresis.
        assert_eq!(normalize("ёлка"), "ёлка");
    }

    #[test]
    fn maps_latin_lookalikes_in_cyrillic_words() {
        // Latin a, c, o, p, e, K, H inside otherwise Cyrillic words.
        assert_eq!(normalize("Кыргызстaн"), "кыргызстан");
        assert_eq!(normalize("Kоом"), "коом");
        assert_eq!(normalize("HАРЫН"), "нарын");
        assert_eq!(normalize("cаясат"), "саясат");
        assert_eq!(normalize("poccия"), "россия");
    }

    #[test]
    fn leaves_latin_words_alone() {
        assert_eq!(normalize("Kitep and Coca-Cola"), "kitep and coca-cola");
        // A Latin letter without a look-alike keeps the whole word as typed.
        assert_eq!(normalize("Бишкекg"), "бишкекg");
    }

    #[test]
    fn keeps_long_words_and_odd_input() {
        let long = "кызматташтыктарыбыздагылардан";
        assert_eq!(normalize(long), long);
        assert_eq!(normalize(""), "");
        assert_eq!(normalize("\u{0301}\u{00AD}"), "");
        let s: String = std::iter::repeat_n("Ӂ\u{0301}x\u{10FFFF}", 1000).collect();
        assert!(!normalize(&s).is_empty());
    }

    #[test]
    fn russian_yo_step() {
        assert_eq!(russian_yo(&normalize("Ёлка зелёная")), "елка зеленая");
    }
}
