//! `kitep import docx`, on small Word packages these tests write themselves, one construct at a
//! time, as Word writes them (runs split mid-word, styles by id, numbering in numbering.xml,
//! fields, bookmarks, tracked changes). Every imported book must also pass `kitep check`.

use std::io::Write;
use std::path::{Path, PathBuf};

use authoring::import::{ImportOptions, ImportReport, import_docx};

const W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
const R: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const M: &str = "http://schemas.openxmlformats.org/officeDocument/2006/math";
const WP: &str = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing";
const A: &str = "http://schemas.openxmlformats.org/drawingml/2006/main";
const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// The parts of a test document besides its body.
#[derive(Default)]
struct Doc {
    body: String,
    styles: Option<String>,
    numbering: Option<String>,
    footnotes: Option<String>,
    core: Option<String>,
    /// (id, type suffix, target, external)
    rels: Vec<(String, String, String, bool)>,
    media: Vec<(String, Vec<u8>)>,
}

const STYLES: &str = r#"<w:styles xmlns:w="W">
<w:docDefaults><w:rPrDefault><w:rPr><w:lang w:val="ky-KG"/></w:rPr></w:rPrDefault></w:docDefaults>
<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style>
<w:style w:type="paragraph" w:styleId="1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/><w:pPr><w:outlineLvl w:val="0"/></w:pPr><w:rPr><w:b/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="2"><w:name w:val="heading 2"/><w:basedOn w:val="Normal"/><w:pPr><w:outlineLvl w:val="1"/></w:pPr></w:style>
<w:style w:type="paragraph" w:styleId="a5"><w:name w:val="caption"/></w:style>
<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/></w:style>
</w:styles>"#;

fn p(runs: &str) -> String {
    format!("<w:p>{runs}</w:p>")
}

fn styled(style: &str, runs: &str) -> String {
    format!(r#"<w:p><w:pPr><w:pStyle w:val="{style}"/></w:pPr>{runs}</w:p>"#)
}

fn r(text: &str) -> String {
    format!(r#"<w:r><w:t xml:space="preserve">{text}</w:t></w:r>"#)
}

fn r_with(props: &str, text: &str) -> String {
    format!(r#"<w:r><w:rPr>{props}</w:rPr><w:t xml:space="preserve">{text}</w:t></w:r>"#)
}

fn write_docx(path: &Path, doc: &Doc) {
    let file = std::fs::File::create(path).unwrap();
    let mut z = zip::ZipWriter::new(file);
    let opts = zip::write::SimpleFileOptions::default();
    let mut put = |name: &str, data: &[u8]| {
        z.start_file(name, opts).unwrap();
        z.write_all(data).unwrap();
    };
    put(
        "[Content_Types].xml",
        br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>"#,
    );
    put(
        "_rels/.rels",
        format!(
            r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{REL}/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>"#
        )
        .as_bytes(),
    );
    let mut rels = String::from(
        r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
    );
    let mut add_rel = |id: &str, kind: &str, target: &str, external: bool| {
        let mode = if external {
            r#" TargetMode="External""#
        } else {
            ""
        };
        rels.push_str(&format!(
            r#"<Relationship Id="{id}" Type="{REL}/{kind}" Target="{target}"{mode}/>"#
        ));
    };
    add_rel("rStyles", "styles", "styles.xml", false);
    if doc.numbering.is_some() {
        add_rel("rNum", "numbering", "numbering.xml", false);
    }
    if doc.footnotes.is_some() {
        add_rel("rNotes", "footnotes", "footnotes.xml", false);
    }
    for (id, kind, target, external) in &doc.rels {
        add_rel(id, kind, target, *external);
    }
    rels.push_str("</Relationships>");
    put("word/_rels/document.xml.rels", rels.as_bytes());
    let ns = |s: &str| s.replace(r#"xmlns:w="W""#, &format!(r#"xmlns:w="{W}""#));
    put(
        "word/styles.xml",
        ns(doc.styles.as_deref().unwrap_or(STYLES)).as_bytes(),
    );
    if let Some(n) = &doc.numbering {
        put("word/numbering.xml", ns(n).as_bytes());
    }
    if let Some(f) = &doc.footnotes {
        put("word/footnotes.xml", ns(f).as_bytes());
    }
    put(
        "docProps/core.xml",
        doc.core
            .as_deref()
            .unwrap_or(r#"<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Сынак китеби</dc:title><dc:creator>Айгүл Асанова; Нурлан Токтогулов</dc:creator></cp:coreProperties>"#)
            .as_bytes(),
    );
    for (name, bytes) in &doc.media {
        put(&format!("word/media/{name}"), bytes);
    }
    put(
        "word/document.xml",
        format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{W}" xmlns:r="{R}" xmlns:m="{M}" xmlns:wp="{WP}" xmlns:a="{A}"><w:body>{}<w:sectPr/></w:body></w:document>"#,
            doc.body
        )
        .as_bytes(),
    );
    z.finish().unwrap();
}

struct Imported {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    report: ImportReport,
}

impl Imported {
    fn chapter(&self, n: usize) -> String {
        let toml = std::fs::read_to_string(self.dir.join("book.toml")).unwrap();
        let list = toml.lines().find(|l| l.starts_with("chapters = ")).unwrap();
        let name = list.split('"').nth(1 + 2 * n).unwrap();
        std::fs::read_to_string(self.dir.join("src").join(name)).unwrap()
    }

    fn all_text(&self) -> String {
        let mut names: Vec<_> = std::fs::read_dir(self.dir.join("src"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "md"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn toml(&self) -> String {
        std::fs::read_to_string(self.dir.join("book.toml")).unwrap()
    }
}

fn import_with(doc: &Doc, opts: ImportOptions) -> Imported {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("lesson.docx");
    write_docx(&file, doc);
    let dir = tmp.path().join("book");
    let report = import_docx(&file, &dir, &opts).unwrap();
    let diags = authoring::check::check(&dir);
    let errors: Vec<_> = diags.iter().filter(|d| d.is_error()).collect();
    assert!(
        errors.is_empty(),
        "the imported book has errors: {errors:?}\n{}",
        std::fs::read_dir(dir.join("src"))
            .unwrap()
            .filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok())
            .collect::<Vec<_>>()
            .join("\n-----\n")
    );
    Imported {
        _tmp: tmp,
        dir,
        report,
    }
}

fn import(body: String) -> Imported {
    import_with(
        &Doc {
            body,
            ..Doc::default()
        },
        ImportOptions::default(),
    )
}

#[test]
fn each_top_level_heading_starts_a_chapter_and_properties_fill_book_toml() {
    let body = [
        styled("1", &r("Бөлчөктөр")),
        p(&r("Биринчи бап.")),
        styled("2", &r("Алым жана бөлүм")),
        p(&r("Бөлүм.")),
        styled("1", &r("Салыштыруу")),
        p(&r("Экинчи бап.")),
    ]
    .concat();
    let book = import(body.clone());
    assert_eq!(book.report.chapters, 2);
    assert!(book.chapter(0).starts_with("# Бөлчөктөр\n"));
    assert!(book.chapter(0).contains("## Алым жана бөлүм"));
    assert!(book.chapter(1).starts_with("# Салыштыруу\n"));
    let toml = book.toml();
    assert!(toml.contains(r#"title = "Сынак китеби""#), "{toml}");
    assert!(
        toml.contains(r#"authors = ["Айгүл Асанова", "Нурлан Токтогулов"]"#),
        "{toml}"
    );
    assert!(toml.contains(r#"language = "ky""#), "{toml}");

    let split = import_with(
        &Doc {
            body,
            ..Doc::default()
        },
        ImportOptions {
            split_level: 2,
            language: None,
        },
    );
    assert_eq!(split.report.chapters, 3);
    assert!(split.chapter(1).starts_with("# Алым жана бөлүм\n"));
}

#[test]
fn formatting_survives_runs_split_mid_word() {
    // Word splits runs wherever editing happened; a bold word may come in three runs.
    let body = p(&[
        r("Бул "),
        r_with("<w:b/>", "бөл"),
        r_with("<w:b/><w:proofErr/>", "чөк "),
        r("жана "),
        r_with("<w:i/>", "алым"),
        r(", "),
        r_with("<w:b/><w:i/>", "маанилүү"),
        r(" "),
        r_with("<w:strike/>", "эски"),
        r(" H"),
        r_with(r#"<w:vertAlign w:val="subscript"/>"#, "2"),
        r("O."),
    ]
    .concat());
    let text = import(body).chapter(0);
    assert!(
        text.contains("Бул **бөлчөк** жана *алым*, ***маанилүү*** ~~эски~~ H<sub>2</sub>O."),
        "{text}"
    );
}

#[test]
fn nested_and_numbered_lists_come_from_numbering_xml() {
    let numbering = r#"<w:numbering xmlns:w="W">
<w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/></w:lvl><w:lvl w:ilvl="1"><w:numFmt w:val="bullet"/></w:lvl></w:abstractNum>
<w:num w:numId="5"><w:abstractNumId w:val="0"/></w:num></w:numbering>"#;
    let item = |lvl: u8, text: &str| {
        format!(
            r#"<w:p><w:pPr><w:numPr><w:ilvl w:val="{lvl}"/><w:numId w:val="5"/></w:numPr></w:pPr>{}</w:p>"#,
            r(text)
        )
    };
    let body = [
        item(0, "Биринчи"),
        item(1, "ичинде"),
        item(1, "дагы"),
        item(0, "Экинчи"),
        p(&r("Аралык.")),
        item(0, "Үчүнчү"),
    ]
    .concat();
    let book = import_with(
        &Doc {
            body,
            numbering: Some(numbering.into()),
            ..Doc::default()
        },
        ImportOptions::default(),
    );
    let text = book.chapter(0);
    assert!(
        text.contains("1. Биринчи\n   - ичинде\n   - дагы\n2. Экинчи\n"),
        "{text}"
    );
    // Word keeps counting after an interruption; so does the book.
    assert!(text.contains("3. Үчүнчү"), "{text}");
}

#[test]
fn tables_keep_header_rows_and_merged_cells() {
    let cell =
        |props: &str, text: &str| format!("<w:tc><w:tcPr>{props}</w:tcPr>{}</w:tc>", p(&r(text)));
    let header = r#"<w:trPr><w:tblHeader/></w:trPr>"#;
    let simple = format!(
        "<w:tbl><w:tr>{header}{}{}</w:tr><w:tr>{}{}</w:tr></w:tbl>",
        cell("", "Бөлчөк"),
        cell("", "Окулушу"),
        cell("", "1/2"),
        cell("", "жарым | жарты"),
    );
    let merged = format!(
        "<w:tbl><w:tr>{header}{}</w:tr><w:tr>{}{}</w:tr><w:tr>{}{}</w:tr></w:tbl>",
        cell(r#"<w:gridSpan w:val="2"/>"#, "Эки мамыча"),
        cell(r#"<w:vMerge w:val="restart"/>"#, "Эки катар"),
        cell("", "а"),
        cell("<w:vMerge/>", ""),
        cell("", "б"),
    );
    let book = import([simple, p(&r("Ортосу.")), merged].concat());
    let text = book.chapter(0);
    assert!(
        text.contains("| Бөлчөк | Окулушу |\n| --- | --- |\n| 1/2 | жарым \\| жарты |"),
        "{text}"
    );
    assert!(text.contains(r#"<th colspan="2">"#), "{text}");
    assert!(text.contains(r#"<td rowspan="2">"#), "{text}");
    assert_eq!(text.matches("<td").count(), 3, "{text}");
    assert_eq!(book.report.tables, 2);
}

fn png() -> Vec<u8> {
    let mut out = Vec::new();
    let img = image::RgbImage::from_pixel(4, 3, image::Rgb([200, 30, 30]));
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

fn drawing(rel: &str, descr: &str) -> String {
    format!(
        r#"<w:r><w:drawing><wp:inline><wp:docPr id="1" name="Picture 1" descr="{descr}"/><a:graphic><a:graphicData><a:blip r:embed="{rel}"/></a:graphicData></a:graphic></wp:inline></w:drawing></w:r>"#
    )
}

#[test]
fn pictures_are_extracted_with_their_alt_text_and_caption() {
    let body = [
        p(&drawing("rImg1", "Кызыл тик бурчтук")),
        styled("a5", &r("1-сүрөт. Тик бурчтук")),
        p(&drawing("rImg2", "Эски схема")),
    ]
    .concat();
    let book = import_with(
        &Doc {
            body,
            rels: vec![
                (
                    "rImg1".into(),
                    "image".into(),
                    "media/image1.png".into(),
                    false,
                ),
                (
                    "rImg2".into(),
                    "image".into(),
                    "media/image2.emf".into(),
                    false,
                ),
            ],
            media: vec![
                ("image1.png".into(), png()),
                (
                    "image2.emf".into(),
                    b"\x01\x00\x00\x00 not a real metafile".to_vec(),
                ),
            ],
            ..Doc::default()
        },
        ImportOptions::default(),
    );
    let text = book.chapter(0);
    assert!(
        text.contains(r#"![Кызыл тик бурчтук](img/image1.png "1-сүрөт. Тик бурчтук")"#),
        "{text}"
    );
    assert_eq!(
        std::fs::read(book.dir.join("src/img/image1.png")).unwrap(),
        png()
    );
    // A Windows metafile cannot be shown: a placeholder stands in, the original is kept, and
    // the warning says where and what to do.
    assert!(
        text.contains("![Эски схема](img/image2-placeholder.svg)"),
        "{text}"
    );
    assert!(book.dir.join("src/img/image2.emf").is_file());
    let w = book.report.warnings.join("\n");
    assert!(
        w.contains("paragraph 3") && w.contains("Windows metafile") && w.contains("PNG"),
        "{w}"
    );
}

#[test]
fn footnotes_links_and_bookmarks() {
    let footnotes = r#"<w:footnotes xmlns:w="W"><w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote><w:footnote w:id="2"><w:p><w:r><w:footnoteRef/></w:r><w:r><w:t xml:space="preserve"> Ысык-Көл — эң чоң көл.</w:t></w:r></w:p></w:footnote></w:footnotes>"#;
    let body = [
        styled("1", &r("Биринчи")),
        p(&[
            r("Көлгө"),
            r#"<w:r><w:footnoteReference w:id="2"/></w:r>"#.to_string(),
            r(" бардык. "),
            format!(r#"<w:hyperlink r:id="rLink">{}</w:hyperlink>"#, r("Сайт")),
            r(" жана "),
            format!(r#"<w:hyperlink w:anchor="_Ref1">{}</w:hyperlink>"#, r("экинчи бап")),
            r("."),
        ]
        .concat()),
        format!(
            r#"<w:p><w:pPr><w:pStyle w:val="1"/></w:pPr><w:bookmarkStart w:id="0" w:name="_Ref1"/>{}<w:bookmarkEnd w:id="0"/></w:p>"#,
            r("Экинчи")
        ),
        p(&r("Аягы.")),
    ]
    .concat();
    let book = import_with(
        &Doc {
            body,
            footnotes: Some(footnotes.into()),
            rels: vec![(
                "rLink".into(),
                "hyperlink".into(),
                "https://example.org/kol".into(),
                true,
            )],
            ..Doc::default()
        },
        ImportOptions::default(),
    );
    let first = book.chapter(0);
    assert!(first.contains("Көлгө[^1] бардык."), "{first}");
    assert!(first.contains("[^1]: Ысык-Көл — эң чоң көл."), "{first}");
    assert!(first.contains("[Сайт](https://example.org/kol)"), "{first}");
    assert!(
        first.contains("[экинчи бап](02-ekinchi.md#Ref1)"),
        "{first}"
    );
    assert!(
        book.chapter(1).starts_with("# Экинчи {#Ref1}"),
        "{}",
        book.chapter(1)
    );
}

#[test]
fn language_marks_become_spans_and_kyrgyz_proofed_as_russian_is_kyrgyz() {
    let ru = r#"<w:lang w:val="ru-RU"/>"#;
    let body = p(&[
        r("Орусча "),
        r_with(ru, "дробь"),
        r(" деп аталат; «"),
        r_with(ru, "Учение — свет"),
        r("» дейт."),
    ]
    .concat());
    let book = import(body);
    let text = book.chapter(0);
    assert!(
        text.contains("Орусча [дробь]{lang=ru} деп аталат"),
        "{text}"
    );
    assert!(text.contains("«[Учение — свет]{lang=ru}»"), "{text}");
    assert_eq!(book.report.language_spans, 2);

    // The whole text marked Russian, but written in Kyrgyz: the marks are Word's proofing
    // setting, not the language.
    let styles = STYLES.replace("ky-KG", "ru-RU");
    let body = [
        p(&r("Бүгүн биз бөлчөктөрдү үйрөнөбүз. Бөлүгүн табуу оңой.")),
        p(&r("Мугалим окуучуларга көнүгүү берди.")),
    ]
    .concat();
    let book = import_with(
        &Doc {
            body,
            styles: Some(styles),
            ..Doc::default()
        },
        ImportOptions::default(),
    );
    assert!(
        book.toml().contains(r#"language = "ky""#),
        "{}",
        book.toml()
    );
    assert!(!book.all_text().contains("lang="), "{}", book.all_text());
    assert!(
        book.report
            .warnings
            .iter()
            .any(|w| w.contains("--language"))
    );
}

#[test]
fn equations_become_latex_the_book_compiles() {
    let frac = r#"<m:f><m:num><m:r><m:t>1</m:t></m:r></m:num><m:den><m:r><m:t>2</m:t></m:r></m:den></m:f>"#;
    let sup = r#"<m:sSup><m:e><m:r><m:t>x</m:t></m:r></m:e><m:sup><m:r><m:t>2</m:t></m:r></m:sup></m:sSup>"#;
    let body = [
        p(&format!("{}<m:oMath>{frac}</m:oMath>{}", r("Жарым: "), r("."))),
        format!(r#"<w:p><m:oMathPara><m:oMath>{sup}<m:r><m:t>=4</m:t></m:r></m:oMath></m:oMathPara></w:p>"#),
    ]
    .concat();
    let book = import(body);
    let text = book.chapter(0);
    assert!(text.contains(r"Жарым: $\frac{1}{2}$."), "{text}");
    assert!(text.contains("$$\n{x}^{2}=4\n$$"), "{text}");
    assert_eq!(book.report.equations, 2);
}

#[test]
fn fields_tracked_changes_and_the_word_table_of_contents() {
    let field = |instr: &str, shown: &str| {
        format!(
            r#"<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve">{instr}</w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>{}<w:r><w:fldChar w:fldCharType="end"/></w:r>"#,
            r(shown)
        )
    };
    let toc_start = r#"<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> TOC \o "1-3" \h </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>"#;
    let body = [
        p(&format!("{toc_start}{}", r("Мазмуну 1"))),
        p(&r("Мазмундун сабы 2")),
        p(r#"<w:r><w:fldChar w:fldCharType="end"/></w:r>"#),
        p(&[
            r("Бул "),
            field(r#" HYPERLINK "https://kitep.kg" "#, "сайт"),
            r(" жана "),
            r#"<w:del w:id="1"><w:r><w:delText>өчүрүлгөн</w:delText></w:r></w:del>"#.to_string(),
            format!(r#"<w:ins w:id="2">{}</w:ins>"#, r("кошулган")),
            r(" сөз; 1-сүрөт "),
            field(" SEQ Figure ", "1"),
            r("."),
        ]
        .concat()),
    ]
    .concat();
    let book = import(body);
    let text = book.all_text();
    assert!(
        text.contains("Бул [сайт](https://kitep.kg) жана кошулган сөз; 1-сүрөт 1."),
        "{text}"
    );
    assert!(!text.contains("Мазмун"), "{text}");
    assert!(!text.contains("өчүрүлгөн"), "{text}");
    let w = book.report.warnings.join("\n");
    assert!(
        w.contains("table of contents") && w.contains("tracked changes"),
        "{w}"
    );
}

#[test]
fn markdown_characters_in_text_stay_text() {
    let body = [
        p(&r("# not a heading")),
        p(&r("1. not a list, 5 * 3 = 15, a_b, [x] and $5")),
        p(&r("- not an item &amp;amp; &lt;b&gt;not html&lt;/b&gt;")),
    ]
    .concat();
    let book = import(body);
    let html = book.dir.join("out");
    authoring::build(
        &book.dir,
        &html,
        &authoring::BuildOptions::default(),
        &|_, _, _| {},
    )
    .unwrap();
    let page = std::fs::read_dir(html.join("html"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("01"))
        .unwrap();
    let page = std::fs::read_to_string(page).unwrap();
    assert!(page.contains("# not a heading"), "{page}");
    assert!(
        page.contains("1. not a list, 5 * 3 = 15, a_b, [x] and $5"),
        "{page}"
    );
    assert!(
        page.contains("- not an item &amp;amp; &lt;b&gt;not html&lt;/b&gt;"),
        "{page}"
    );
}

#[test]
fn damaged_and_wrong_files_get_clear_errors_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("book");
    let try_file = |name: &str, bytes: &[u8]| {
        let f = tmp.path().join(name);
        std::fs::write(&f, bytes).unwrap();
        let err = import_docx(&f, &out, &ImportOptions::default()).unwrap_err();
        assert!(!out.exists(), "a failed import left {}", out.display());
        err
    };
    let err = try_file("notes.docx", b"plain text, not a package");
    assert!(
        err.contains("notes.docx") && err.contains("not a Word document"),
        "{err}"
    );
    let err = try_file("old.doc", b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 old word");
    assert!(
        err.contains(".doc") && err.contains("save it as .docx"),
        "{err}"
    );
    let err = try_file("cut.docx", b"PK\x03\x04 cut short");
    assert!(err.contains("damaged"), "{err}");

    // A package without the document part.
    let f = tmp.path().join("sheet.docx");
    {
        let mut z = zip::ZipWriter::new(std::fs::File::create(&f).unwrap());
        z.start_file("xl/workbook.xml", zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(b"<workbook/>").unwrap();
        z.finish().unwrap();
    }
    let err = import_docx(&f, &out, &ImportOptions::default()).unwrap_err();
    assert!(err.contains("word/document.xml"), "{err}");

    // Broken XML: the part and the line are named.
    let f = tmp.path().join("broken.docx");
    write_docx(
        &f,
        &Doc {
            body: "<w:p>\n<w:r>\n<w:t>text</w:r></w:p>".into(),
            ..Doc::default()
        },
    );
    let err = import_docx(&f, &out, &ImportOptions::default()).unwrap_err();
    assert!(err.contains("word/document.xml, line 3"), "{err}");
    assert!(!out.exists());

    // An existing, non-empty folder is never overwritten.
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("keep.md"), "mine").unwrap();
    let good = tmp.path().join("good.docx");
    write_docx(
        &good,
        &Doc {
            body: p(&r("Текст.")),
            ..Doc::default()
        },
    );
    let err = import_docx(&good, &out, &ImportOptions::default()).unwrap_err();
    assert!(err.contains("not empty"), "{err}");
    assert_eq!(
        std::fs::read_to_string(out.join("keep.md")).unwrap(),
        "mine"
    );
}

#[test]
fn links_to_sibling_files_land_on_the_bookmark_they_name_or_lose_only_the_link() {
    // A document assembled from several files links to them by name and bookmark; the bookmark
    // stands between paragraphs, before the heading it marks.
    let body = [
        styled("1", &r("Биринчи")),
        p(&[
            format!(
                r#"<w:hyperlink r:id="rSib">{}</w:hyperlink>"#,
                r("кийинки бап")
            ),
            r(", "),
            format!(
                r#"<w:hyperlink r:id="rGone">{}</w:hyperlink>"#,
                r("жок файл")
            ),
            r("."),
        ]
        .concat()),
        r#"<w:bookmarkStart w:id="7" w:name="muzdaktar"/>"#.to_string(),
        styled("1", &r("Мөңгүлөр")),
        p(&r("Текст.")),
    ]
    .concat();
    let book = import_with(
        &Doc {
            body,
            rels: vec![
                (
                    "rSib".into(),
                    "hyperlink".into(),
                    "02-glaciers.md#muzdaktar".into(),
                    true,
                ),
                (
                    "rGone".into(),
                    "hyperlink".into(),
                    "notes.docx".into(),
                    true,
                ),
            ],
            ..Doc::default()
        },
        ImportOptions::default(),
    );
    let first = book.chapter(0);
    assert!(
        first.contains("[кийинки бап](02-monggulor.md#muzdaktar), жок файл."),
        "{first}"
    );
    assert!(
        book.chapter(1).starts_with("# Мөңгүлөр {#muzdaktar}"),
        "{}",
        book.chapter(1)
    );
    let w = book.report.warnings.join("\n");
    assert!(w.contains("«жок файл»") && w.contains("notes.docx"), "{w}");
}
