//! Uzbek light stemmer for both Latin and Cyrillic script, plus the apostrophe normalisation Uzbek Latin needs before tokenising.
//!
//! Uzbek has no vowel harmony, so each suffix has one shape per script.

/// (Latin suffix, Cyrillic suffix, slot). Longest match wins; slots decrease inward.
static SUFFIXES: &[(&str, &str, u8)] = &[
    // Predicative person endings.
    ("man", "ман", 90),
    ("san", "сан", 90),
    ("miz", "миз", 90),
    ("siz", "сиз", 90),
    // Case.
    ("ning", "нинг", 80),
    ("ni", "ни", 80),
    ("ga", "га", 80),
    ("ka", "ка", 80),
    ("qa", "қа", 80),
    ("da", "да", 80),
    ("dan", "дан", 80),
    ("dagi", "даги", 80),
    ("gacha", "гача", 80),
    ("dek", "дек", 80),
    ("day", "дай", 80),
    // Possessive.
    ("imiz", "имиз", 70),
    ("ingiz", "ингиз", 70),
    ("im", "им", 70),
    ("ing", "инг", 70),
    ("si", "си", 70),
    ("i", "и", 70),
    // Plural.
    ("lar", "лар", 60),
    // Verbal: participles, infinitive, converb, tenses.
    ("yapti", "япти", 45),
    ("yotgan", "ётган", 45),
    ("gan", "ган", 45),
    ("kan", "кан", 45),
    ("qan", "қан", 45),
    ("moqda", "моқда", 45),
    ("moq", "моқ", 45),
    ("ish", "иш", 44),
    ("di", "ди", 44),
    ("ib", "иб", 42),
];

#[inline]
fn is_vowel(c: char) -> bool {
    matches!(
        c,
        'a' | 'e'
            | 'i'
            | 'o'
            | 'u'
            | 'ŏ'
            | 'а'
            | 'е'
            | 'ё'
            | 'и'
            | 'о'
            | 'у'
            | 'ў'
            | 'э'
            | 'ю'
            | 'я'
    )
}

/// Three letters with a vowel, or vowel + consonant (Cyrillic ёз is Latin yoz).
fn stem_ok(s: &str) -> bool {
    let n = s.chars().count();
    s.chars().any(is_vowel)
        && (n >= 3 || (n == 2 && s.chars().last().is_some_and(|c| !is_vowel(c))))
}

/// Rewrites Uzbek Latin apostrophe letters as single letters so a tokenizer that
/// splits on punctuation keeps words whole: oʻ o' o’ → ŏ, gʻ g' g’ → ğ, and the
/// tutuq belgisi (maʼno, san'at) between letters is dropped.
pub fn normalize_latin(text: &str) -> String {
    let is_apos = super::normalize::is_apostrophe;
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next_apos = chars.get(i + 1).is_some_and(|&n| is_apos(n));
        match c {
            'o' | 'O' if next_apos => {
                out.push(if c == 'o' { 'ŏ' } else { 'Ŏ' });
                i += 2;
            }
            'g' | 'G' if next_apos => {
                out.push(if c == 'g' { 'ğ' } else { 'Ğ' });
                i += 2;
            }
            c if is_apos(c)
                && i > 0
                && chars[i - 1].is_alphabetic()
                && chars.get(i + 1).is_some_and(|n| n.is_alphabetic()) =>
            {
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Stems one lowercased Uzbek word in either script (Latin after [`normalize_latin`]). Never panics.
pub fn stem(word: &str) -> String {
    stem_with(word, false)
}

/// The key of the folded field: the word's stem as typed without ў қ ғ ҳ (Cyrillic) or the
/// apostrophes of oʻ gʻ (Latin, after [`normalize_latin`]), in the loose spelling, so `ukituvchi`,
/// `ўкитувчи` and `oqituvchilar` meet `ўқитувчи` and `oʻqituvchi`.
pub fn folded_key(word: &str) -> String {
    use crate::analysis::fold;
    fold::loose(&stem_with(&fold::fold(word), true))
}

/// [`SUFFIXES`]' Cyrillic forms as typed without the Uzbek letters (built once).
fn folded_cyrillic() -> &'static [String] {
    static FOLDED: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    FOLDED.get_or_init(|| crate::analysis::fold::fold_all(SUFFIXES.iter().map(|(_, cyr, _)| *cyr)))
}

fn stem_with(word: &str, folded: bool) -> String {
    if word.chars().count() > 40 {
        return word.to_string();
    }
    let cyrillic = word.chars().any(|c| matches!(c, '\u{0400}'..='\u{04FF}'));
    let mut end = word.len();
    let mut slot = u8::MAX;
    loop {
        let cur = &word[..end];
        let best = SUFFIXES
            .iter()
            .zip(folded_cyrillic())
            .map(|(&(lat, cyr, s), fcyr)| match (cyrillic, folded) {
                (true, true) => (fcyr.as_str(), s),
                (true, false) => (cyr, s),
                _ => (lat, s),
            })
            .filter(|&(suf, s)| {
                s < slot && cur.ends_with(suf) && stem_ok(&cur[..cur.len() - suf.len()])
            })
            .max_by_key(|&(suf, _)| suf.len());
        match best {
            Some((suf, s)) => {
                end -= suf.len();
                slot = s;
            }
            None => break,
        }
    }
    // Nouns of the doer in -chi/-чи (oʻqituvchi, ишчи) end like the possessive -i: the bare
    // noun would lose its i and the plural keep it (oʻqituvch / oʻqituvchilar → oʻqituvchi), so
    // the final i of -chi goes in every form.
    let cur = &word[..end];
    let i_len = if cyrillic { 'и'.len_utf8() } else { 1 };
    if (cur.ends_with("chi") || cur.ends_with("чи")) && stem_ok(&cur[..cur.len() - i_len]) {
        end -= i_len;
    }
    word[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_nouns_meet() {
        for w in [
            "kitob",
            "kitoblar",
            "kitobning",
            "kitoblarimizdan",
            "kitobga",
        ] {
            assert_eq!(stem(w), "kitob", "{w}");
        }
    }

    #[test]
    fn nouns_of_the_doer_meet_their_plural_and_cases() {
        for w in [
            "o'qituvchi",
            "o'qituvchilar",
            "o'qituvchiga",
            "oʻqituvchilarimiz",
        ] {
            assert_eq!(stem(&normalize_latin(w)), "ŏqituvch", "{w}");
        }
        for w in ["ўқитувчи", "ўқитувчилар", "ўқитувчининг"] {
            assert_eq!(stem(w), "ўқитувч", "{w}");
        }
        // The possessive -i itself still goes: kuch, kuchi, kuchlari.
        for w in ["kuch", "kuchi", "kuchlari"] {
            assert_eq!(stem(w), "kuch", "{w}");
        }
    }

    #[test]
    fn words_typed_without_uzbek_letters_meet_in_the_folded_key() {
        let key = folded_key("ўқитувчи");
        for w in ["ўкитувчи", "укитувчилар", "ўқитувчилар"] {
            assert_eq!(folded_key(w), key, "{w}");
        }
        let key = folded_key(&normalize_latin("oʻqituvchi"));
        for w in ["oqituvchi", "oqituvchilar", "o'qituvchiga"] {
            assert_eq!(folded_key(&normalize_latin(w)), key, "{w}");
        }
        assert_ne!(folded_key("китоб"), folded_key("мактаб"));
    }

    #[test]
    fn cyrillic_nouns_meet() {
        for w in ["китоб", "китоблар", "китобнинг", "китоблардан"]
        {
            assert_eq!(stem(w), "китоб", "{w}");
        }
    }

    #[test]
    fn verbs_meet() {
        for w in ["yozgan", "yozmoq", "yozib", "yozdi"] {
            assert_eq!(stem(w), "yoz", "{w}");
        }
        assert_eq!(stem("ёзган"), "ёз");
    }

    #[test]
    fn apostrophes_become_letters() {
        assert_eq!(normalize_latin("o'zbek tili"), "ŏzbek tili");
        assert_eq!(normalize_latin("Oʻzbekiston"), "Ŏzbekiston");
        assert_eq!(normalize_latin("g‘alaba"), "ğalaba");
        assert_eq!(normalize_latin("ma'no"), "mano");
        assert_eq!(normalize_latin("'quoted'"), "'quoted'");
        assert_eq!(stem(&normalize_latin("o'qituvchilar")), "ŏqituvch");
    }

    #[test]
    fn short_and_odd_words() {
        assert_eq!(stem("suv"), "suv");
        assert_eq!(stem(""), "");
        let _ = stem(&"lar".repeat(1000));
    }
}
