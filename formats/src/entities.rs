//! Decoding HTML character references in raw HTML written by authors.

/// Named references authors actually use, plus those used to smuggle URL schemes past filters.
/// Unknown names stay as literal text, which is safe: output is always re-escaped.
const NAMED: &[(&str, &str)] = &[
    ("amp", "&"),
    ("lt", "<"),
    ("gt", ">"),
    ("quot", "\""),
    ("apos", "'"),
    ("nbsp", "\u{A0}"),
    ("shy", "\u{AD}"),
    ("zwj", "\u{200D}"),
    ("zwnj", "\u{200C}"),
    ("lrm", "\u{200E}"),
    ("rlm", "\u{200F}"),
    ("ensp", "\u{2002}"),
    ("emsp", "\u{2003}"),
    ("thinsp", "\u{2009}"),
    ("mdash", "—"),
    ("ndash", "–"),
    ("minus", "−"),
    ("hellip", "…"),
    ("laquo", "«"),
    ("raquo", "»"),
    ("lsaquo", "‹"),
    ("rsaquo", "›"),
    ("ldquo", "“"),
    ("rdquo", "”"),
    ("bdquo", "„"),
    ("lsquo", "‘"),
    ("rsquo", "’"),
    ("sbquo", "‚"),
    ("prime", "′"),
    ("Prime", "″"),
    ("copy", "©"),
    ("reg", "®"),
    ("trade", "™"),
    ("sect", "§"),
    ("para", "¶"),
    ("middot", "·"),
    ("bull", "•"),
    ("deg", "°"),
    ("plusmn", "±"),
    ("times", "×"),
    ("divide", "÷"),
    ("frac12", "½"),
    ("frac14", "¼"),
    ("frac34", "¾"),
    ("sup1", "¹"),
    ("sup2", "²"),
    ("sup3", "³"),
    ("le", "≤"),
    ("ge", "≥"),
    ("ne", "≠"),
    ("asymp", "≈"),
    ("infin", "∞"),
    ("sum", "∑"),
    ("radic", "√"),
    ("pi", "π"),
    ("alpha", "α"),
    ("beta", "β"),
    ("gamma", "γ"),
    ("delta", "δ"),
    ("Delta", "Δ"),
    ("larr", "←"),
    ("rarr", "→"),
    ("uarr", "↑"),
    ("darr", "↓"),
    ("harr", "↔"),
    ("euro", "€"),
    ("pound", "£"),
    ("yen", "¥"),
    ("cent", "¢"),
    ("numero", "№"),
    ("check", "✓"),
    // Punctuation names seen in filter bypasses (`javascript&colon;`).
    ("colon", ":"),
    ("semi", ";"),
    ("comma", ","),
    ("period", "."),
    ("sol", "/"),
    ("bsol", "\\"),
    ("lpar", "("),
    ("rpar", ")"),
    ("excl", "!"),
    ("quest", "?"),
    ("num", "#"),
    ("percnt", "%"),
    ("equals", "="),
    ("Tab", "\t"),
    ("NewLine", "\n"),
];

/// Decodes `&name;`, `&#123;` and `&#x1F;` references.
pub fn decode(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        match decode_one(rest) {
            Some((text, used)) => {
                out.push_str(&text);
                rest = &rest[used..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn decode_one(s: &str) -> Option<(String, usize)> {
    let body = &s[1..];
    if let Some(num) = body.strip_prefix('#') {
        let (digits, radix, skip) = match num.strip_prefix(['x', 'X']) {
            Some(h) => (h, 16, 2),
            None => (num, 10, 1),
        };
        let len = digits.chars().take_while(|c| c.is_digit(radix)).count();
        if len == 0 || len > 8 {
            return None;
        }
        let value = u32::from_str_radix(&digits[..len], radix).ok()?;
        let c = match value {
            0 => '\u{FFFD}',
            v => char::from_u32(v).unwrap_or('\u{FFFD}'),
        };
        let mut used = 1 + skip + len;
        if s[used..].starts_with(';') {
            used += 1;
        }
        return Some((c.to_string(), used));
    }
    let len = body
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    let name = &body[..len];
    let has_semi = body[len..].starts_with(';');
    let (_, text) = NAMED.iter().find(|(n, _)| *n == name)?;
    if !has_semi && !matches!(name, "amp" | "lt" | "gt" | "quot" | "nbsp" | "copy") {
        return None;
    }
    Some((text.to_string(), 1 + len + usize::from(has_semi)))
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn decodes_references() {
        assert_eq!(
            decode("a &amp; b &lt;c&gt; &#1199; &#x4E9; &nbsp;"),
            "a & b <c> ү ө \u{A0}"
        );
        assert_eq!(
            decode("javas&#99;ript&colon;alert(1)"),
            "javascript:alert(1)"
        );
        assert_eq!(decode("java&Tab;script"), "java\tscript");
        assert_eq!(
            decode("&unknown; & &#0; &#xD800;"),
            "&unknown; & \u{FFFD} \u{FFFD}"
        );
        assert_eq!(decode("&amp"), "&");
    }
}
