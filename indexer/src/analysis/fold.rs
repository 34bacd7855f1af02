//! Keyboard folding: maps letters that people often type without (ө ү ң, Kazakh, Uzbek and Tajik letters, ё) to their plain Cyrillic base.

/// Folds one lowercase letter; any other char is returned unchanged.
#[inline]
pub fn fold_char(c: char) -> char {
    match c {
        // Kyrgyz (ө ү ң are shared with Kazakh).
        'ө' | 'Ө' => 'о',
        'ү' | 'Ү' => 'у',
        'ң' | 'Ң' => 'н',
        // Kazakh.
        'ә' | 'Ә' => 'а',
        'ғ' | 'Ғ' => 'г',
        'қ' | 'Қ' => 'к',
        'ұ' | 'Ұ' => 'у',
        'һ' | 'Һ' => 'х',
        'і' | 'І' => 'и',
        // Uzbek Cyrillic (қ ғ as above).
        'ў' | 'Ў' => 'у',
        'ҳ' | 'Ҳ' => 'х',
        // Tajik (қ ғ ҳ as above).
        'ӣ' | 'Ӣ' => 'и',
        'ӯ' | 'Ӯ' => 'у',
        'ҷ' | 'Ҷ' => 'ч',
        // Tatar and Bashkir letters that turn up in the region's texts.
        'җ' | 'Җ' => 'ж',
        'ҡ' | 'Ҡ' => 'к',
        'ҙ' | 'Ҙ' => 'з',
        'ҫ' | 'Ҫ' => 'с',
        // Uzbek Latin oʻ gʻ as written after `uzbek::normalize_latin`.
        'ŏ' | 'Ŏ' => 'o',
        'ğ' | 'Ğ' => 'g',
        // Russian.
        'ё' | 'Ё' => 'е',
        _ => c,
    }
}

/// Folds every letter of `s` (see [`fold_char`]).
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    fold_into(s, &mut out);
    out
}

/// Appends the folded form of `s` to `out` (lets a token filter reuse its buffer).
pub fn fold_into(s: &str, out: &mut String) {
    out.extend(s.chars().map(fold_char));
}

/// [`fold`] of each item: the suffix lists of the stemmers as typed without their letters.
pub fn fold_all<'a>(items: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    items.into_iter().map(fold).collect()
}

/// True when folding would change `s` (lets a filter skip the copy).
pub fn needs_fold(s: &str) -> bool {
    s.chars().any(|c| fold_char(c) != c)
}

/// Looser key for matching Latin-typed queries: folds, drops ь ъ, and writes
/// э as е, ц as тс, щ as шч, я ю ё as йа йу йо, since Latin typists spell these
/// several ways (`deklaratsiya`, `obekt`, `aeroport`, `nyu-york`).
pub fn loose(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    loose_into(s, &mut out);
    out
}

/// Appends the [`loose`] key of `s` to `out`.
pub fn loose_into(s: &str, out: &mut String) {
    for c in s.chars() {
        let (a, b) = loose_char(c);
        out.extend(a);
        out.extend(b);
    }
}

/// The [`loose`] form of one char: none, one or two chars.
#[inline]
pub fn loose_char(c: char) -> (Option<char>, Option<char>) {
    match fold_char(c) {
        'ь' | 'ъ' | 'Ь' | 'Ъ' => (None, None),
        'э' | 'Э' => (Some('е'), None),
        'ц' | 'Ц' => (Some('т'), Some('с')),
        'щ' | 'Щ' => (Some('ш'), Some('ч')),
        'я' | 'Я' => (Some('й'), Some('а')),
        'ю' | 'Ю' => (Some('й'), Some('у')),
        f => (Some(f), None),
    }
}

/// The first char [`loose`] makes of `c` (`я` → `й`, `ц` → `т`), `None` for letters it drops.
pub fn loose_initial(c: char) -> Option<char> {
    loose_char(c).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_initial_is_the_first_char_of_loose() {
        for c in "абвгдеёжзийклмнопрстуфхцчшщъыьэюяөүңәғқұһіўҳӣӯҷ".chars()
        {
            assert_eq!(
                loose_initial(c),
                loose(&c.to_string()).chars().next(),
                "{c}"
            );
        }
    }

    #[test]
    fn folds_kyrgyz_letters() {
        assert_eq!(fold("өнүгүү"), "онугуу");
        assert_eq!(fold("деңгээл"), "денгээл");
        assert_eq!(fold("күнү"), "куну");
    }

    #[test]
    fn folds_neighbour_alphabets() {
        assert_eq!(fold("қазақ тілі"), "казак тили");
        assert_eq!(fold("әкім"), "аким");
        assert_eq!(fold("ҳукумат"), "хукумат");
        assert_eq!(fold("ўзбек"), "узбек");
        assert_eq!(fold("ҷумҳурӣ"), "чумхури");
        assert_eq!(fold("ёлка"), "елка");
    }

    #[test]
    fn leaves_other_text_alone() {
        assert_eq!(fold("kitep 2024 мектеп"), "kitep 2024 мектеп");
        assert!(!needs_fold("мектеп"));
        assert!(needs_fold("мөөнөт"));
        assert_eq!(fold(""), "");
    }

    #[test]
    fn loose_key_merges_spelling_variants() {
        assert_eq!(loose("декларация"), loose("дэкларатсийа"));
        assert_eq!(loose("объект"), loose("обект"));
        assert_eq!(loose("аэропорт"), "аеропорт");
        assert_eq!(loose("нью"), loose("ню"));
        assert_eq!(loose("өкмө"), "окмо");
    }
}
