//! Slugs: short ASCII names (`[a-z0-9-]{1,80}`) for files and URLs, from titles in any of the region's scripts.

/// ASCII spelling of one Cyrillic letter, for slugs only (not a linguistic transliteration).
fn cyrillic_to_ascii(c: char) -> Option<&'static str> {
    Some(match c {
        'а' => "a",
        'б' => "b",
        'в' => "v",
        'г' | 'ғ' => "g",
        'д' => "d",
        'е' | 'э' => "e",
        'ё' => "yo",
        'ж' => "zh",
        'з' => "z",
        'и' | 'і' | 'ӣ' => "i",
        'й' => "y",
        'к' | 'қ' => "k",
        'л' => "l",
        'м' => "m",
        'н' => "n",
        'ң' => "ng",
        'о' => "o",
        'ө' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'у' | 'ұ' | 'ў' | 'ӯ' => "u",
        'ү' => "u",
        'ф' => "f",
        'х' | 'һ' | 'ҳ' => "h",
        'ц' => "ts",
        'ч' | 'ҷ' => "ch",
        'ш' => "sh",
        'щ' => "shch",
        'ъ' | 'ь' => "",
        'ы' => "y",
        'ә' => "a",
        'ю' => "yu",
        'я' => "ya",
        _ => return None,
    })
}

fn latin_to_ascii(c: char) -> Option<&'static str> {
    Some(match c {
        'ä' | 'á' | 'à' | 'â' => "a",
        'ö' | 'ó' | 'ò' | 'ô' => "o",
        'ü' | 'ú' | 'ù' | 'û' => "u",
        'é' | 'è' | 'ê' | 'ë' => "e",
        'í' | 'ì' | 'ï' | 'ı' => "i",
        'ñ' | 'ń' => "n",
        'ç' => "c",
        'ş' => "s",
        'ğ' => "g",
        'ß' => "ss",
        _ => return None,
    })
}

/// Makes a slug; never empty (falls back to `book`), never longer than 80 bytes.
pub fn slugify(text: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in text.chars().flat_map(char::to_lowercase) {
        let piece: Option<std::borrow::Cow<'static, str>> = if c.is_ascii_alphanumeric() {
            Some(c.to_string().into())
        } else {
            cyrillic_to_ascii(c)
                .or_else(|| latin_to_ascii(c))
                .map(Into::into)
        };
        match piece {
            Some(s) if !s.is_empty() => {
                if dash && !out.is_empty() {
                    out.push('-');
                }
                dash = false;
                out.push_str(&s);
            }
            Some(_) => {}
            None => dash = true,
        }
        if out.len() >= 80 {
            break;
        }
    }
    out.truncate(80);
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "book".to_string()
    } else {
        out
    }
}

/// Whether `s` is already a valid slug.
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 80
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_from_titles() {
        assert_eq!(slugify("Бөлчөктөр: 5-класс"), "bolchoktor-5-klass");
        assert_eq!(
            slugify("Организация дистанционного обучения"),
            "organizatsiya-distantsionnogo-obucheniya"
        );
        assert_eq!(slugify("Water in the Mountains!"), "water-in-the-mountains");
        assert_eq!(slugify("Sogʻlom odatlar"), "sog-lom-odatlar");
        assert_eq!(slugify("../../CON"), "con");
        assert_eq!(slugify("\u{202E}🙂"), "book");
        assert!(slugify(&"а".repeat(500)).len() <= 80);
    }

    #[test]
    fn every_slug_is_valid() {
        for t in [
            "Бөлчөктөр",
            "a--b",
            "  ",
            "Ёлка и ёж",
            "x".repeat(100).as_str(),
            "-a-",
        ] {
            assert!(is_slug(&slugify(t)), "{t} -> {}", slugify(t));
        }
    }
}
