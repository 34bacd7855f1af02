//! MARC 21 bibliographic records of the library's editions, for school library systems (Koha and
//! its kin): ISO 2709 (`.mrc`) or MARCXML, UTF-8. One record per edition, whose control number
//! (001) is the edition's slug, so that a library system re-importing the file updates its
//! records instead of adding copies.

use crate::library::licence_url;
use crate::library::state::Book;
use std::fmt::Write as _;
use std::sync::Arc;

/// The control number's source (003).
pub const ORG_CODE: &str = "KITEPKANA";

const FIELD_END: u8 = 0x1E;
const RECORD_END: u8 = 0x1D;
const SUBFIELD: u8 = 0x1F;

/// A variable data field: tag, two indicators, subfields in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub tag: &'static str,
    pub ind: [char; 2],
    pub subfields: Vec<(char, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Control fields (001–008) in tag order.
    pub control: Vec<(&'static str, String)>,
    pub fields: Vec<Field>,
}

/// MARC language codes (MARC Code List for Languages): ISO 639-3 but for the few bibliographic
/// codes MARC kept (German `ger`, French `fre`).
pub fn marc_language(lang: &str) -> &'static str {
    match crate::offline::zim::iso639_3(lang) {
        Some("deu") => "ger",
        Some("fra") => "fre",
        Some(code) => code,
        None => "und",
    }
}

/// Relator term and code for a contributor's role.
fn relator(role: &str) -> (&'static str, &'static str) {
    match role {
        "author" => ("author", "aut"),
        "translator" => ("translator", "trl"),
        "editor" => ("editor", "edt"),
        "illustrator" => ("illustrator", "ill"),
        "reviewer" => ("reviewer", "rev"),
        "compiler" => ("compiler", "com"),
        _ => ("contributor", "ctb"),
    }
}

fn field(tag: &'static str, ind: &str, subfields: Vec<(char, String)>) -> Field {
    let mut i = ind.chars();
    Field {
        tag,
        ind: [i.next().unwrap_or(' '), i.next().unwrap_or(' ')],
        subfields: subfields
            .into_iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .collect(),
    }
}

/// `YYYYMMDDhhmmss.0` and `yymmdd` of Unix seconds.
fn dates(secs: i64) -> (String, String) {
    let t = authoring::pipeline::format_utc(secs.max(0) as u64); // 2026-12-07T21:15:04Z
    let digits: String = t.chars().filter(|c| c.is_ascii_digit()).collect();
    (format!("{}.0", &digits[..14]), digits[2..8].to_string())
}

/// The record of one edition; `editions` are the other language editions of its work.
pub fn record(book: &Book, editions: &[Arc<Book>], public_url: &str) -> Record {
    let r = &book.record;
    let base = public_url.trim_end_matches('/');
    let lang = marc_language(&r.language);
    let (stamp, entered) = dates(book.published_at);
    let year = r.year.map(|y| format!("{y:04}"));
    // 008: entered, single date, place (Kyrgyzstan), no illustrations coded, juvenile audience
    // when graded, online (o), not fiction (0), language, not modified, cataloguing source other
    // (d).
    let audience = if r.grades.is_empty() { ' ' } else { 'j' };
    let f008 = format!(
        "{entered}s{:4}    kg {:>4}{audience}o{:9}0 {lang} d",
        year.as_deref().unwrap_or("uuuu"),
        "",
        "",
    );
    debug_assert_eq!(f008.chars().count(), 40);
    let mut fields = Vec::new();
    if let Some(isbn) = &book.manifest.isbn {
        fields.push(field("020", "  ", vec![('a', isbn.replace('-', ""))]));
    }
    fields.push(field(
        "040",
        "  ",
        vec![
            ('a', ORG_CODE.into()),
            ('b', lang.into()),
            ('e', "rda".into()),
            ('c', ORG_CODE.into()),
        ],
    ));
    fields.push(field("041", "0 ", vec![('a', lang.into())]));
    let mut people = r
        .contributors
        .iter()
        .filter_map(|c| {
            let name = c.get("name")?.as_str()?.to_string();
            let role = c.get("role").and_then(|v| v.as_str()).unwrap_or("author");
            Some((name, role.to_string()))
        })
        .collect::<Vec<_>>();
    // The first author is the main entry; everyone else an added entry.
    let main = people.iter().position(|(_, role)| role == "author");
    if let Some(i) = main {
        let (name, role) = people.remove(i);
        let (term, code) = relator(&role);
        fields.push(field(
            "100",
            "1 ",
            vec![('a', name), ('e', term.into()), ('4', code.into())],
        ));
    }
    let title_ind = if main.is_some() { "10" } else { "00" };
    let mut title = vec![('a', r.title.clone())];
    if let Some(s) = &r.subtitle {
        title.push(('b', s.clone()));
    }
    fields.push(field("245", title_ind, title));
    fields.push(field(
        "250",
        "  ",
        vec![(
            'a',
            match &r.edition {
                Some(e) => format!("Edition {e}, version {}", book.version),
                None => format!("Version {}", book.version),
            },
        )],
    ));
    let mut imprint = vec![];
    if let Some(p) = &r.publisher {
        imprint.push(('b', p.clone()));
    }
    if let Some(y) = &year {
        imprint.push(('c', y.clone()));
    }
    if !imprint.is_empty() {
        fields.push(field("264", " 1", imprint));
    }
    let chapters = book.manifest.chapters.len();
    fields.push(field(
        "300",
        "  ",
        vec![(
            'a',
            format!(
                "1 online resource ({chapters} chapters, {} words)",
                book.manifest.words
            ),
        )],
    ));
    for (tag, term, code, source) in [
        ("336", "text", "txt", "rdacontent"),
        ("337", "computer", "c", "rdamedia"),
        ("338", "online resource", "cr", "rdacarrier"),
    ] {
        fields.push(field(
            tag,
            "  ",
            vec![('a', term.into()), ('b', code.into()), ('2', source.into())],
        ));
    }
    fields.push(field(
        "500",
        "  ",
        vec![(
            'a',
            "Published in the Kitepkana school library as EPUB 3 and a web reader.".into(),
        )],
    ));
    if let Some(d) = &r.description {
        fields.push(field("520", "  ", vec![('a', d.clone())]));
    }
    if !r.grades.is_empty() {
        let g = match (r.grades.iter().min(), r.grades.iter().max()) {
            (Some(lo), Some(hi)) if lo != hi => format!("Grades {lo}-{hi}."),
            (Some(g), _) => format!("Grade {g}."),
            _ => String::new(),
        };
        fields.push(field("521", "2 ", vec![('a', g)]));
    }
    if let Some(l) = &r.license {
        let mut s = vec![('a', l.clone())];
        if let Some(u) = licence_url(l) {
            s.push(('u', u));
        }
        fields.push(field("540", "  ", s));
    }
    if let Some(s) = &r.subject {
        fields.push(field("650", " 4", vec![('a', s.clone())]));
    }
    for k in &r.keywords {
        fields.push(field("653", "  ", vec![('a', k.clone())]));
    }
    for (name, role) in people {
        let (term, code) = relator(&role);
        fields.push(field(
            "700",
            "1 ",
            vec![('a', name), ('e', term.into()), ('4', code.into())],
        ));
    }
    for e in editions.iter().filter(|e| e.slug != book.slug) {
        fields.push(field(
            "775",
            "08",
            vec![
                ('i', "Other language edition:".into()),
                ('t', e.record.title.clone()),
                ('e', marc_language(&e.record.language).into()),
                ('w', format!("({ORG_CODE}){}", e.slug)),
            ],
        ));
    }
    fields.push(field(
        "856",
        "40",
        vec![
            ('u', format!("{base}/books/{}", book.slug)),
            ('y', "Book page and web reader".into()),
        ],
    ));
    if book.epub_file.is_some() {
        fields.push(field(
            "856",
            "40",
            vec![
                ('u', format!("{base}/books/{}/download", book.slug)),
                ('q', "application/epub+zip".into()),
                ('y', "EPUB".into()),
            ],
        ));
    }
    fields.retain(|f| !f.subfields.is_empty());
    Record {
        control: vec![
            ("001", book.slug.clone()),
            ("003", ORG_CODE.into()),
            ("005", stamp),
            ("008", f008),
        ],
        fields,
    }
}

/// Characters a MARC field may not hold (its own delimiters, other control characters).
fn clean(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect()
}

/// ISO 2709: leader, directory, fields; lengths in bytes of UTF-8.
pub fn to_iso2709(r: &Record) -> Vec<u8> {
    let mut data: Vec<u8> = Vec::new();
    let mut directory: Vec<u8> = Vec::new();
    let mut add = |tag: &str, bytes: Vec<u8>, data: &mut Vec<u8>| {
        let _ = write!(
            DirWriter(&mut directory),
            "{tag}{:04}{:05}",
            bytes.len(),
            data.len()
        );
        data.extend(bytes);
    };
    for (tag, value) in &r.control {
        let mut b = clean(value).into_bytes();
        b.push(FIELD_END);
        add(tag, b, &mut data);
    }
    for f in &r.fields {
        let mut b = Vec::new();
        b.push(f.ind[0] as u8);
        b.push(f.ind[1] as u8);
        for (code, value) in &f.subfields {
            b.push(SUBFIELD);
            b.push(*code as u8);
            b.extend(clean(value).into_bytes());
        }
        b.push(FIELD_END);
        add(f.tag, b, &mut data);
    }
    directory.push(FIELD_END);
    let base = 24 + directory.len();
    let total = base + data.len() + 1;
    let leader = format!("{total:05}nam a22{base:05}7i 4500");
    let mut out = leader.into_bytes();
    out.extend(directory);
    out.extend(data);
    out.push(RECORD_END);
    out
}

struct DirWriter<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for DirWriter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend(s.as_bytes());
        Ok(())
    }
}

fn xml_escape(s: &str) -> String {
    clean(s)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// MARCXML (the MARC 21 slim schema), one `<collection>` of records.
pub fn to_marcxml(records: &[Record]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<collection xmlns=\"http://www.loc.gov/MARC21/slim\">\n",
    );
    for r in records {
        let iso = to_iso2709(r);
        let leader = String::from_utf8_lossy(&iso[..24]).to_string();
        let _ = writeln!(out, "<record>\n  <leader>{}</leader>", xml_escape(&leader));
        for (tag, value) in &r.control {
            let _ = writeln!(
                out,
                "  <controlfield tag=\"{tag}\">{}</controlfield>",
                xml_escape(value)
            );
        }
        for f in &r.fields {
            let _ = writeln!(
                out,
                "  <datafield tag=\"{}\" ind1=\"{}\" ind2=\"{}\">",
                f.tag, f.ind[0], f.ind[1]
            );
            for (code, value) in &f.subfields {
                let _ = writeln!(
                    out,
                    "    <subfield code=\"{code}\">{}</subfield>",
                    xml_escape(value)
                );
            }
            out.push_str("  </datafield>\n");
        }
        out.push_str("</record>\n");
    }
    out.push_str("</collection>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Record {
        Record {
            control: vec![("001", "fractions-5-ky".into()), ("008", "x".repeat(40))],
            fields: vec![field(
                "245",
                "10",
                vec![('a', "Бөлчөктөр".into()), ('b', "5-класс".into())],
            )],
        }
    }

    #[test]
    fn iso2709_lengths_and_directory_are_in_bytes() {
        let b = to_iso2709(&sample());
        let total: usize = std::str::from_utf8(&b[..5]).unwrap().parse().unwrap();
        assert_eq!(total, b.len());
        assert_eq!(b[9], b'a', "the leader says Unicode");
        let base: usize = std::str::from_utf8(&b[12..17]).unwrap().parse().unwrap();
        assert_eq!(b[base - 1], FIELD_END);
        // The 245 entry points at its field: indicators, then subfield a.
        let dir = &b[24..base - 1];
        let entry = dir.chunks(12).find(|e| &e[..3] == b"245").unwrap();
        let len: usize = std::str::from_utf8(&entry[3..7]).unwrap().parse().unwrap();
        let start: usize = std::str::from_utf8(&entry[7..12]).unwrap().parse().unwrap();
        let f = &b[base + start..base + start + len];
        assert_eq!(&f[..3], b"10\x1f");
        assert_eq!(*f.last().unwrap(), FIELD_END);
        assert!(String::from_utf8_lossy(f).contains("Бөлчөктөр"));
        assert_eq!(*b.last().unwrap(), RECORD_END);
    }

    #[test]
    fn marcxml_escapes_and_drops_control_characters() {
        let mut r = sample();
        r.fields
            .push(field("500", "  ", vec![('a', "a < b & \u{1e}c".into())]));
        let x = to_marcxml(&[r]);
        assert!(x.contains("a &lt; b &amp; c"), "{x}");
        assert!(x.contains("<controlfield tag=\"001\">fractions-5-ky</controlfield>"));
    }
}
