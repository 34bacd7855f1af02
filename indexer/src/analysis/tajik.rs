//! Tajik light stemmer: strips the object marker -ро, plural -ҳо/-он, possessive and comparative endings, with a minimum stem length.

/// (suffix, slot). Longest match wins; slots decrease inward
/// (object marker > possessive > plural > comparative).
static SUFFIXES: &[(&str, u8)] = &[
    ("ро", 90),
    // Possessive enclitics (китобам, китобашон) and the izofa/indefinite -и/-е.
    ("амон", 70),
    ("атон", 70),
    ("ашон", 70),
    ("ам", 70),
    ("ат", 70),
    ("аш", 70),
    ("и", 65),
    ("е", 65),
    ("ӣ", 65),
    // Plural.
    ("ҳои", 60),
    ("ҳо", 60),
    ("ён", 60),
    ("гон", 60),
    ("он", 60),
    // Comparative and superlative.
    ("тарин", 50),
    ("тар", 50),
];

#[inline]
fn is_vowel(c: char) -> bool {
    matches!(
        c,
        'а' | 'е' | 'ё' | 'и' | 'ӣ' | 'о' | 'у' | 'ӯ' | 'э' | 'ю' | 'я'
    )
}

/// Three letters with a vowel, so short roots (ман, шаб, дар) stay whole.
fn stem_ok(s: &str) -> bool {
    s.chars().count() >= 3 && s.chars().any(is_vowel)
}

/// Stems one lowercased Tajik word. Never panics.
pub fn stem(word: &str) -> String {
    stem_with(word, false)
}

/// The key of the folded field: the word's stem as typed without ҳ ҷ ӣ ӯ қ ғ, in the loose
/// spelling, so `китобхо` meets `китобҳо`.
pub fn folded_key(word: &str) -> String {
    use crate::analysis::fold;
    fold::loose(&stem_with(&fold::fold(word), true))
}

/// [`SUFFIXES`] as typed without the Tajik letters (built once).
fn folded_suffixes() -> &'static [String] {
    static FOLDED: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    FOLDED.get_or_init(|| crate::analysis::fold::fold_all(SUFFIXES.iter().map(|(s, _)| *s)))
}

fn stem_with(word: &str, folded: bool) -> String {
    if word.chars().count() > 40 {
        return word.to_string();
    }
    let mut end = word.len();
    let mut slot = u8::MAX;
    loop {
        let cur = &word[..end];
        let best = SUFFIXES
            .iter()
            .zip(folded_suffixes())
            .map(|((suf, s), f)| (if folded { f.as_str() } else { *suf }, *s))
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
    word[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_typed_without_tajik_letters_meet_in_the_folded_key() {
        let key = folded_key("китобҳо");
        for w in ["китобхо", "китоб", "китобхоро"] {
            assert_eq!(folded_key(w), key, "{w}");
        }
    }

    #[test]
    fn nouns_meet() {
        for w in [
            "китоб",
            "китобҳо",
            "китобро",
            "китобҳоро",
            "китобам",
            "китобашон",
        ] {
            assert_eq!(stem(w), "китоб", "{w}");
        }
        assert_eq!(stem("мактабҳо"), "мактаб");
        assert_eq!(stem("мактаби"), "мактаб");
    }

    #[test]
    fn comparative() {
        assert_eq!(stem("калонтар"), "калон");
        assert_eq!(stem("калонтарин"), "калон");
    }

    #[test]
    fn short_and_odd_words() {
        assert_eq!(stem("дар"), "дар");
        assert_eq!(stem("ман"), "ман");
        assert_eq!(stem(""), "");
        let _ = stem(&"ҳо".repeat(1000));
    }
}
