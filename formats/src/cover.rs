//! Generated artwork: a cover for books without one, and the placeholder for images that could not be used.

use crate::doc::escaped;

/// A cover drawn from the title: a calm colour chosen from the book's slug, the title wrapped in large type.
pub fn generated_cover(
    title: &str,
    subtitle: Option<&str>,
    authors: &[String],
    lang: &str,
    slug: &str,
) -> String {
    let palette = [
        ("#1d4e89", "#f2c14e"),
        ("#2b6a4f", "#f4e9cd"),
        ("#7a2e3a", "#f6d8ae"),
        ("#3d3b8e", "#b8e1ff"),
        ("#5c3d2e", "#e8d5b7"),
        ("#0f5e63", "#ffd166"),
    ];
    let hash = slug
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32));
    let (bg, accent) = palette[(hash as usize) % palette.len()];
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"600\" height=\"900\" viewBox=\"0 0 600 900\" lang=\"{}\" role=\"img\" aria-labelledby=\"cover-title\">\
<title id=\"cover-title\">{}</title><rect width=\"600\" height=\"900\" fill=\"{bg}\"/>\
<path d=\"M0 700 L120 560 L220 640 L330 500 L450 620 L600 470 L600 900 L0 900 Z\" fill=\"{accent}\" opacity=\"0.35\"/>\
<path d=\"M0 780 L150 660 L260 720 L380 610 L600 740 L600 900 L0 900 Z\" fill=\"{accent}\" opacity=\"0.6\"/>\
<rect x=\"48\" y=\"60\" width=\"504\" height=\"6\" fill=\"{accent}\"/>",
        escaped(lang),
        escaped(title)
    );
    let mut y = 170;
    for line in wrap(title, 16).iter().take(6) {
        svg.push_str(&format!(
            "<text x=\"48\" y=\"{y}\" font-family=\"sans-serif\" font-size=\"52\" font-weight=\"bold\" fill=\"#ffffff\">{}</text>",
            escaped(line)
        ));
        y += 64;
    }
    if let Some(sub) = subtitle {
        y += 16;
        for line in wrap(sub, 30).iter().take(3) {
            svg.push_str(&format!("<text x=\"48\" y=\"{y}\" font-family=\"sans-serif\" font-size=\"28\" fill=\"{accent}\">{}</text>", escaped(line)));
            y += 38;
        }
    }
    let by = authors.join(", ");
    if !by.is_empty() {
        for (i, line) in wrap(&by, 34).iter().take(2).enumerate() {
            svg.push_str(&format!(
                "<text x=\"48\" y=\"{}\" font-family=\"sans-serif\" font-size=\"26\" fill=\"#ffffff\">{}</text>",
                840 + i * 34 - 34,
                escaped(line)
            ));
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Shown in place of a remote or missing image; says why in the book's language.
pub fn placeholder(message: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"480\" height=\"120\" viewBox=\"0 0 480 120\" role=\"img\" aria-label=\"{0}\">\
<title>{0}</title><rect x=\"1\" y=\"1\" width=\"478\" height=\"118\" rx=\"8\" fill=\"#f3f3f3\" stroke=\"#767676\" stroke-dasharray=\"6 4\"/>\
<text x=\"240\" y=\"66\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"18\" fill=\"#333333\">{0}</text></svg>",
        escaped(message)
    )
}

/// Greedy word wrap by characters (glyph widths are unknown here; the limits are generous).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_are_clean_svg_with_the_title() {
        let svg = generated_cover(
            "Бөлчөктөр & <пайыздар>",
            Some("5-класс"),
            &["Айгүл".into()],
            "ky",
            "fractions-5-ky",
        );
        assert!(svg.contains("Бөлчөктөр &amp; &lt;пайыздар&gt;"));
        let clean = crate::svg::sanitize(svg.as_bytes()).unwrap();
        assert!(clean.removed.is_empty(), "{:?}", clean.removed);
        assert!(crate::svg::sanitize(placeholder("Сүрөт жок").as_bytes()).is_ok());
    }

    #[test]
    fn wraps_long_titles() {
        assert_eq!(wrap("a bb ccc dddd", 6), vec!["a bb", "ccc", "dddd"]);
    }
}
