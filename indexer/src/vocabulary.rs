//! The index's own words: prefix suggestions for a search box, and "did you mean" corrections
//! for words the library does not contain (edit distance by word length, as readers make typos).

use crate::Result;
use crate::analysis::normalize;
use crate::analyzers::FieldKind;
use crate::library::Library;
use std::collections::HashMap;

/// Fields whose terms are whole words as written (normalised), so they can be shown to readers.
const WORD_FIELDS: [FieldKind; 3] = [FieldKind::KyText, FieldKind::RuText, FieldKind::Other];
/// Terms read at most per field and segment when looking for corrections.
const MAX_SCAN: usize = 50_000;

/// Longer prefixes complete to nothing (every caller, CLI, page and API, gets the same cap).
pub const MAX_PREFIX_CHARS: usize = 100;

/// Words of the library that start with `prefix`, most frequent first. A prefix typed without
/// ө ү ң (or the Kazakh letters), as phone keyboards make people do, or in Latin letters also
/// completes to the words written with them: `бол` offers `бөлчөк`, `kit` offers `китеп`.
pub fn suggest(library: &Library, prefix: &str, limit: usize) -> Result<Vec<String>> {
    // No word is this long; and the typed variants of a long prefix cost its length squared.
    if prefix.trim().chars().count() > MAX_PREFIX_CHARS {
        return Ok(Vec::new());
    }
    let prefix = normalize::normalize(prefix.trim());
    if prefix.chars().count() < 2 || prefix.contains(char::is_whitespace) {
        return Ok(Vec::new());
    }
    let mut counts = scan(library, &prefix, |_| true)?;
    for variant in typed_variants(&prefix) {
        for (word, n) in scan(library, &variant, |_| true)? {
            *counts.entry(word).or_default() += n;
        }
    }
    let mut words: Vec<(String, u64)> = counts.into_iter().collect();
    words.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(words.into_iter().take(limit).map(|(w, _)| w).collect())
}

/// The most frequent library word within the allowed edit distance of `word`, if `word` itself is
/// not in the library: one edit for words of 4–8 letters, two from 9 letters.
pub fn correction(library: &Library, word: &str) -> Result<Option<String>> {
    let word = normalize::normalize(word);
    let len = word.chars().count();
    let max = max_edits(len);
    if max == 0 {
        return Ok(None);
    }
    let first: String = word.chars().take(1).collect();
    let counts = scan(library, &first, |candidate| {
        let clen = candidate.chars().count();
        clen + max >= len && clen <= len + max
    })?;
    if counts.contains_key(&word) {
        return Ok(None);
    }
    let best = counts
        .into_iter()
        .filter_map(|(c, df)| {
            let d = levenshtein(&word, &c);
            (d > 0 && d <= max).then_some((d, std::cmp::Reverse(df), c))
        })
        .min();
    Ok(best.map(|(_, _, c)| c))
}

/// The spellings a prefix typed on a keyboard without the region's letters may stand for (the
/// prefix itself left out): о у н а г к и х read also as ө ү/ұ ң ә ғ қ і һ in its first
/// letters, after a Latin prefix is transliterated. At most [`MAX_VARIANTS`].
fn typed_variants(prefix: &str) -> Vec<String> {
    const MAX_VARIANTS: usize = 32;
    let bases: Vec<String> = if crate::analysis::translit::is_latin_word(prefix) {
        crate::analysis::translit::to_cyrillic_variants(prefix)
    } else {
        vec![prefix.to_string()]
    };
    let mut out: Vec<String> = Vec::new();
    for base in bases {
        let mut variants = vec![String::new()];
        for (i, c) in base.chars().enumerate() {
            let alternates: &[char] = if i < 6 {
                match c {
                    'о' => &['ө'],
                    'у' => &['ү', 'ұ'],
                    'н' => &['ң'],
                    'а' => &['ә'],
                    'г' => &['ғ'],
                    'к' => &['қ'],
                    'и' => &['і'],
                    'х' => &['һ'],
                    _ => &[],
                }
            } else {
                &[]
            };
            let mut next = Vec::with_capacity(variants.len() * (1 + alternates.len()));
            for v in &variants {
                for a in std::iter::once(c).chain(alternates.iter().copied()) {
                    if next.len() < MAX_VARIANTS {
                        next.push(format!("{v}{a}"));
                    }
                }
            }
            variants = next;
        }
        out.extend(variants);
    }
    out.retain(|v| v != prefix);
    out.sort();
    out.dedup();
    out.truncate(MAX_VARIANTS);
    out
}

/// Edit distance allowed for a word of `len` letters.
pub fn max_edits(len: usize) -> usize {
    match len {
        0..=3 => 0,
        4..=8 => 1,
        _ => 2,
    }
}

/// Terms starting with `prefix` in the word fields, with their document frequencies summed.
fn scan(
    library: &Library,
    prefix: &str,
    keep: impl Fn(&str) -> bool,
) -> Result<HashMap<String, u64>> {
    let searcher = library.reader.searcher();
    let mut counts: HashMap<String, u64> = HashMap::new();
    for kind in WORD_FIELDS {
        let field = library.fields.analyzed(kind);
        count_prefixed(&searcher, field, prefix, MAX_SCAN, &keep, &mut counts)?;
    }
    Ok(counts)
}

/// Adds to `counts` the terms of `field` that start with `prefix` and that `keep` accepts, with
/// their document frequencies summed over segments; at most `max_scan` terms are read per segment.
pub(crate) fn count_prefixed(
    searcher: &tantivy::Searcher,
    field: tantivy::schema::Field,
    prefix: &str,
    max_scan: usize,
    keep: impl Fn(&str) -> bool,
    counts: &mut HashMap<String, u64, impl std::hash::BuildHasher>,
) -> Result<()> {
    let mut upper = prefix.to_string();
    upper.push(char::MAX);
    for segment in searcher.segment_readers() {
        let inverted = segment.inverted_index(field)?;
        let mut stream = inverted
            .terms()
            .range()
            .ge(prefix.as_bytes())
            .lt(upper.as_bytes())
            .into_stream()?;
        let mut scanned = 0;
        while scanned < max_scan && stream.advance() {
            scanned += 1;
            let Ok(term) = std::str::from_utf8(stream.key()) else {
                continue;
            };
            if keep(term) {
                *counts.entry(term.to_string()).or_default() += u64::from(stream.value().doc_freq);
            }
        }
    }
    Ok(())
}

/// Levenshtein distance over characters.
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completions_for_prefixes_typed_without_the_regions_letters() {
        let lib = Library::in_memory().unwrap();
        let mut w = lib.writer().unwrap();
        w.add_plain("b", "1", "ky", "Бөлчөктөр жана бөлүмдөр. Китеп окуйбуз.")
            .unwrap();
        w.add_plain("b", "2", "kk", "Қазақстан мектептері.")
            .unwrap();
        w.commit().unwrap();
        let s = |p: &str| suggest(&lib, p, 10).unwrap();
        assert!(
            s("бөл").contains(&"бөлчөктөр".to_string()),
            "{:?}",
            s("бөл")
        );
        assert!(
            s("бол").contains(&"бөлчөктөр".to_string()),
            "{:?}",
            s("бол")
        );
        assert!(s("kit").contains(&"китеп".to_string()), "{:?}", s("kit"));
        assert!(
            s("казак").contains(&"қазақстан".to_string()),
            "{:?}",
            s("казак")
        );
        assert!(typed_variants("бол").contains(&"бөл".to_string()));
        assert!(typed_variants(&"о".repeat(20)).len() <= 32);
    }

    #[test]
    fn distances() {
        assert_eq!(levenshtein("китеп", "китеп"), 0);
        assert_eq!(levenshtein("китеп", "кетеп"), 1);
        assert_eq!(levenshtein("окуучу", "окучу"), 1);
        assert_eq!(max_edits(3), 0);
        assert_eq!(max_edits(5), 1);
        assert_eq!(max_edits(10), 2);
    }
}
