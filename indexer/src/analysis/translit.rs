//! Latin-typed queries to Cyrillic (Kyrgyz first, usable for Russian and Kazakh): `kitep` → китеп, `okuuchu` → окуучу, `önör`/`onor` → өнөр/онор.
//!
//! ASCII typists lose ө ү ң, and `y` stands for both ы and й, `e` for е and э,
//! `ts` for ц or тс. So match the output against a folded field, through
//! [`crate::analysis::fold::loose`] on both sides: the leftover ambiguity
//! (э/е, ц/тс, ь) disappears there.

/// True for letters this module transliterates (ASCII and the Turkic Latin extras).
#[inline]
fn is_latin_letter(c: char) -> bool {
    c.is_ascii_alphabetic()
        || matches!(
            c,
            'ö' | 'ü'
                | 'ñ'
                | 'ı'
                | 'ş'
                | 'ç'
                | 'ğ'
                | 'ä'
                | 'é'
                | 'ë'
                | 'Ö'
                | 'Ü'
                | 'Ñ'
                | 'Ş'
                | 'Ç'
                | 'Ğ'
                | 'Ä'
                | 'É'
                | 'Ë'
                | 'İ'
        )
}

use super::normalize::is_apostrophe;

/// Latin vowels (for deciding y → ы / й and e → е / э).
#[inline]
fn is_latin_vowel(c: char) -> bool {
    matches!(
        c,
        'a' | 'e' | 'i' | 'o' | 'u' | 'y' | 'ö' | 'ü' | 'ı' | 'ä' | 'é' | 'ë'
    )
}

#[inline]
fn is_cyr_vowel(c: char) -> bool {
    matches!(
        c,
        'а' | 'е' | 'ё' | 'и' | 'о' | 'у' | 'ы' | 'э' | 'ю' | 'я' | 'ө' | 'ү' | 'ә' | 'ў'
    )
}

/// True when `word` has a Latin letter and no Cyrillic one, i.e. it should be transliterated.
pub fn is_latin_word(word: &str) -> bool {
    let mut latin = false;
    for c in word.chars() {
        if matches!(c, '\u{0400}'..='\u{052F}') {
            return false;
        }
        latin |= is_latin_letter(c);
    }
    latin
}

/// Transliterates the Latin letters of `s` to Cyrillic; other characters are kept.
/// `ng` is read as н+г, except at the end of a word, where it is ң.
pub fn to_cyrillic(s: &str) -> String {
    convert(s, false, false)
}

/// Spellings to try for a Latin query: [`to_cyrillic`] first, then (if different)
/// the reading with every `ng` as ң (`dengiz` → деңиз beside денгиз), and the reading with a
/// `y` between `u` and a consonant as ы (Kazakh `auyl` → ауыл, `tuyndy` → туынды, beside
/// Kyrgyz `uyku` → уйку).
pub fn to_cyrillic_variants(s: &str) -> Vec<String> {
    let mut out = vec![convert(s, false, false)];
    for (ng_is_eng, uy) in [(true, false), (false, true)] {
        let v = convert(s, ng_is_eng, uy);
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

fn convert(s: &str, ng_is_eng: bool, uy: bool) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    let chars: Vec<char> = s.chars().flat_map(char::to_lowercase).collect();
    let mut i = 0;
    while i < chars.len() {
        if is_latin_letter(chars[i]) {
            let start = i;
            while i < chars.len()
                && (is_latin_letter(chars[i])
                    || (is_apostrophe(chars[i]) && i > start && matches!(chars[i - 1], 'o' | 'g')))
            {
                i += 1;
            }
            convert_word(&chars[start..i], ng_is_eng, uy, &mut out);
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

fn convert_word(w: &[char], ng_is_eng: bool, uy: bool, out: &mut String) {
    let at = |k: usize| w.get(k).copied().unwrap_or('\0');
    let word_start = out.len();
    let mut i = 0;
    while i < w.len() {
        let c = w[i];
        let n = at(i + 1);
        let prev_vowel = out[word_start..]
            .chars()
            .next_back()
            .is_some_and(is_cyr_vowel);
        let (cyr, used): (&str, usize) = match (c, n) {
            ('s', 'h') => ("ш", 2),
            ('c', 'h') => ("ч", 2),
            ('z', 'h') => ("ж", 2),
            ('k', 'h') => ("х", 2),
            // `tsh` is т + ш (патша, күзетші), never ц + х.
            ('t', 's') if at(i + 2) != 'h' => ("ц", 2),
            ('n', 'g') => {
                let next = at(i + 2);
                if ng_is_eng || next == '\0' || !is_latin_vowel(next) {
                    ("ң", 2)
                } else {
                    ("н", 1)
                }
            }
            ('o', a) | ('g', a) if is_apostrophe(a) => (if c == 'o' { "ў" } else { "ғ" }, 2),
            ('y', 'a') => ("я", 2),
            ('y', 'u') => ("ю", 2),
            ('y', 'o') => ("ё", 2),
            ('y', 'e') => ("е", 2),
            ('y', n) if uy && i > 0 && w[i - 1] == 'u' && n != '\0' && !is_latin_vowel(n) => {
                ("ы", 1)
            }
            ('y', _) => (if prev_vowel { "й" } else { "ы" }, 1),
            ('e', _) => (if i == 0 || prev_vowel { "э" } else { "е" }, 1),
            _ => (single(c), 1),
        };
        out.push_str(cyr);
        i += used;
    }
}

fn single(c: char) -> &'static str {
    match c {
        'a' => "а",
        'b' => "б",
        'c' => "с",
        'd' => "д",
        'f' => "ф",
        'g' => "г",
        'h' => "х",
        'i' | 'İ' => "и",
        'j' => "ж",
        'k' => "к",
        'l' => "л",
        'm' => "м",
        'n' => "н",
        'o' => "о",
        'p' => "п",
        'q' => "к",
        'r' => "р",
        's' => "с",
        't' => "т",
        'u' => "у",
        'v' => "в",
        'w' => "у",
        'x' => "х",
        'z' => "з",
        'ö' => "ө",
        'ü' => "ү",
        'ñ' => "ң",
        'ı' => "ы",
        'ş' => "ш",
        'ç' => "ч",
        'ğ' => "г",
        'ä' => "ә",
        'é' => "е",
        'ë' => "ё",
        // A stray apostrophe is a Russian-style soft sign or a typo; the loose key drops ь.
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::super::fold::{fold, loose};
    use super::*;

    #[test]
    fn kyrgyz_ascii_words() {
        assert_eq!(to_cyrillic("kitep"), "китеп");
        assert_eq!(to_cyrillic("okuuchu"), "окуучу");
        assert_eq!(to_cyrillic("jashtar"), "жаштар");
        assert_eq!(to_cyrillic("zhashtar"), "жаштар");
        assert_eq!(to_cyrillic("kyrgyzstan"), "кыргызстан");
        assert_eq!(to_cyrillic("aylyk"), "айлык");
        assert_eq!(to_cyrillic("myyzam"), "мыйзам");
        assert_eq!(to_cyrillic("ayyl"), "айыл");
        assert_eq!(to_cyrillic("ayal"), "аял");
        assert_eq!(to_cyrillic("oyun"), "оюн");
        assert_eq!(to_cyrillic("tarykh"), "тарых");
        assert_eq!(to_cyrillic("ekonomika"), "экономика");
    }

    #[test]
    fn diacritic_latin_and_eng() {
        assert_eq!(to_cyrillic("önör"), "өнөр");
        assert_eq!(to_cyrillic("onor"), "онор");
        assert_eq!(to_cyrillic("miñ"), "миң");
        assert_eq!(to_cyrillic("ming"), "миң");
        assert_eq!(loose(&to_cyrillic("dengeel")), loose(&fold("деңгээл")));
        assert_eq!(to_cyrillic_variants("dengiz"), vec!["денгиз", "деңиз"]);
        assert_eq!(to_cyrillic_variants("kitep"), vec!["китеп"]);
        // `tsh` is т + ш; `ts` alone is ц.
        assert_eq!(to_cyrillic("patsha"), "патша");
        assert_eq!(to_cyrillic("kuzetshi"), "кузетши");
        assert_eq!(to_cyrillic("ditsiplina"), "дициплина");
        // A `y` after `u` before a consonant is read both ways.
        assert_eq!(to_cyrillic_variants("auyl"), vec!["ауйл", "ауыл"]);
        assert_eq!(to_cyrillic_variants("uyku"), vec!["уйку", "уыку"]);
        assert_eq!(to_cyrillic_variants("tuya"), vec!["туя"]);
    }

    #[test]
    fn matches_through_the_loose_key() {
        assert_eq!(loose(&to_cyrillic("deklaratsiya")), loose("декларация"));
        assert_eq!(loose(&to_cyrillic("obekt")), loose("объект"));
        assert_eq!(loose(&to_cyrillic("reestr")), loose("реестр"));
        assert_eq!(loose(&to_cyrillic("bolmo")), loose("бөлмө"));
        assert_eq!(loose(&to_cyrillic("shchetka")), loose("щетка"));
    }

    #[test]
    fn uzbek_apostrophes_and_mixed_text() {
        assert_eq!(to_cyrillic("o'zbek"), "ўзбек");
        assert_eq!(to_cyrillic("g'alaba"), "ғалаба");
        assert_eq!(to_cyrillic("kitep 2024, мектеп"), "китеп 2024, мектеп");
        assert_eq!(to_cyrillic("'"), "'");
        assert_eq!(to_cyrillic(""), "");
    }

    #[test]
    fn detects_latin_words() {
        assert!(is_latin_word("kitep"));
        assert!(is_latin_word("önör"));
        assert!(!is_latin_word("китеп"));
        assert!(!is_latin_word("2024"));
        assert!(!is_latin_word("kitеп"));
    }
}
