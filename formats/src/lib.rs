//! Pure, synchronous conversions: Markdown → one document model → EPUB 3, the HTML web reader and
//! plain passages for search; with math, sanitising and images. No async runtime, no database.

pub mod assets;
pub mod blocks;
pub mod book;
pub mod cover;
pub mod crossref;
pub mod doc;
pub mod entities;
pub mod epub;
pub mod highlight;
pub mod images;
pub mod labels;
pub mod markdown;
pub mod math;
pub mod par;
pub mod passages;
pub mod rawhtml;
pub mod reader;
pub mod svg;
pub mod toc;
pub mod url;

pub use book::{BuildFailed, ChapterMemo, CompiledBook, compile, compile_memo};

/// A heading's id from its text: lowercase letters and digits of any script, words joined by `-`.
pub fn slug_id(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if (c.is_whitespace() || c == '-' || c == '_')
            && !out.is_empty()
            && !out.ends_with('-')
        {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    if out.is_empty() {
        "section".to_string()
    } else {
        doc::xml_id(out)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn heading_ids_keep_cyrillic() {
        assert_eq!(super::slug_id("Бөлчөктөрдү кошуу!"), "бөлчөктөрдү-кошуу");
        assert_eq!(super::slug_id("1. Введение"), "x-1-введение");
        assert_eq!(super::slug_id("???"), "section");
    }
}
