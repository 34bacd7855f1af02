//! Language tags (BCP 47) as authors write them in `book.toml` and in `lang` spans.

/// Languages Kitepkana knows by name; other well-formed tags are accepted with a warning.
const KNOWN: &[(&str, &str)] = &[
    ("ky", "Кыргызча"),
    ("ru", "Русский"),
    ("en", "English"),
    ("uz", "Oʻzbekcha"),
    ("kk", "Қазақша"),
    ("tg", "Тоҷикӣ"),
    ("tk", "Türkmençe"),
    ("mn", "Монгол"),
    ("tt", "Татарча"),
    ("ba", "Башҡортса"),
    ("ug", "ئۇيغۇرچە"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("tr", "Türkçe"),
    ("zh", "中文"),
    ("ar", "العربية"),
    ("fa", "فارسی"),
    ("uk", "Українська"),
    ("es", "Español"),
    ("la", "Latina"),
];

/// Whether `tag` is well-formed BCP 47 in the simple shape we accept:
/// a 2–3 letter language, then optional script (4 letters), region (2 letters or 3 digits) and
/// variants (5–8 alphanumerics).
pub fn is_well_formed(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let Some(lang) = parts.next() else {
        return false;
    };
    if !(2..=3).contains(&lang.len()) || !lang.bytes().all(|b| b.is_ascii_alphabetic()) {
        return false;
    }
    parts.all(|p| {
        let alpha = p.bytes().all(|b| b.is_ascii_alphabetic());
        let digits = p.bytes().all(|b| b.is_ascii_digit());
        let alnum = p.bytes().all(|b| b.is_ascii_alphanumeric());
        ((p.len() == 4 || p.len() == 2) && alpha)
            || (p.len() == 3 && digits)
            || ((5..=8).contains(&p.len()) && alnum)
    })
}

/// The primary language subtag, lowercased: `uz-Latn` gives `uz`.
pub fn primary(tag: &str) -> String {
    tag.split('-').next().unwrap_or(tag).to_ascii_lowercase()
}

/// Whether Kitepkana knows the language of `tag` (its primary subtag).
pub fn is_known(tag: &str) -> bool {
    let p = primary(tag);
    KNOWN.iter().any(|(code, _)| *code == p)
}

/// The language's own name for itself, if known.
pub fn native_name(tag: &str) -> Option<&'static str> {
    if tag.eq_ignore_ascii_case("uz-Cyrl") {
        return Some("Ўзбекча");
    }
    let p = primary(tag);
    KNOWN
        .iter()
        .find(|(code, _)| *code == p)
        .map(|(_, name)| *name)
}

/// Canonical casing: `uz-latn` → `uz-Latn`, `EN-gb` → `en-GB`.
pub fn canonical(tag: &str) -> String {
    tag.split('-')
        .enumerate()
        .map(|(i, p)| match (i, p.len()) {
            (0, _) => p.to_ascii_lowercase(),
            (_, 4) if p.bytes().all(|b| b.is_ascii_alphabetic()) => {
                let mut s = p[..1].to_ascii_uppercase();
                s.push_str(&p[1..].to_ascii_lowercase());
                s
            }
            (_, 2) => p.to_ascii_uppercase(),
            _ => p.to_ascii_lowercase(),
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// Whether the language is written right to left.
pub fn is_rtl(tag: &str) -> bool {
    matches!(primary(tag).as_str(), "ar" | "fa" | "he" | "ug" | "ur")
        && !tag.contains("-Latn")
        && !tag.contains("-Cyrl")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_region_languages() {
        for t in [
            "ky", "ru", "en", "uz", "uz-Latn", "uz-Cyrl", "kk", "tg", "en-GB", "ky-KG",
        ] {
            assert!(is_well_formed(t), "{t}");
            assert!(is_known(t), "{t}");
        }
    }

    #[test]
    fn rejects_malformed_tags() {
        for t in ["", "k", "kyrgyz", "ky_KG", "ru-", "русский", "en-G"] {
            assert!(!is_well_formed(t), "{t}");
        }
        assert!(is_well_formed("xx") && !is_known("xx"));
    }

    #[test]
    fn canonical_casing() {
        assert_eq!(canonical("UZ-latn"), "uz-Latn");
        assert_eq!(canonical("en-gb"), "en-GB");
        assert_eq!(native_name("ky"), Some("Кыргызча"));
    }
}
