//! The compiler as authors meet it: fixture books in, EPUB / web reader / passages out, and every
//! kind of bad input answered with a clear message and nothing half-written.

use authoring::pipeline::{BuildError, BuildOptions, compile_book};
use corpus::Diagnostic;
use formats::assets::AssetSet;
use formats::{CompiledBook, epub, passages, reader};
use std::io::Read;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn compile(dir: &Path) -> (CompiledBook, AssetSet) {
    match compile_book(dir, None) {
        Ok(x) => x,
        Err(e) => panic!("{} did not compile:\n{e}", dir.display()),
    }
}

fn messages(diags: &[Diagnostic]) -> Vec<String> {
    diags.iter().map(|d| d.to_string()).collect()
}

/// Writes a one-chapter book (plus extra files) into a fresh folder.
fn book_with(chapters: &[(&str, &[u8])], extra_toml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let list: Vec<String> = chapters.iter().map(|(n, _)| format!("\"{n}\"")).collect();
    std::fs::write(
        dir.path().join("book.toml"),
        format!(
            "[book]\ntitle = \"Test\"\nlanguage = \"ky\"\nchapters = [{}]\n{extra_toml}",
            list.join(", ")
        ),
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("src/images")).unwrap();
    for (name, body) in chapters {
        std::fs::write(dir.path().join("src").join(name), body).unwrap();
    }
    dir
}

fn build_to(book: &Path, out: &Path) -> Result<authoring::BuildReport, BuildError> {
    authoring::build(book, out, &BuildOptions::default(), &|_, _, _| {})
}

/// Every text file in an EPUB, by name.
fn epub_texts(path: &Path) -> Vec<(String, String)> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut out = Vec::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        if let Ok(s) = String::from_utf8(bytes) {
            out.push((f.name().unwrap().to_string(), s));
        }
    }
    out
}

// ---- Outputs, pinned by snapshots ----

#[test]
fn features_chapter_xhtml_snapshot() {
    let (book, assets) = compile(&fixture("features"));
    assert!(
        book.diagnostics.is_empty(),
        "{:?}",
        messages(&book.diagnostics)
    );
    insta::assert_snapshot!("features_ch1_xhtml", epub::chapter_xhtml(&book, &assets, 0));
    insta::assert_snapshot!("features_ch2_xhtml", epub::chapter_xhtml(&book, &assets, 1));
}

#[test]
fn features_package_and_nav_snapshot() {
    let (book, assets) = compile(&fixture("features"));
    let mut buf = std::io::Cursor::new(Vec::new());
    epub::write_epub(
        &book,
        &assets,
        &epub::EpubOptions {
            modified: "2026-01-01T00:00:00Z",
        },
        &mut buf,
    )
    .unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(buf.into_inner())).unwrap();
    // The mimetype entry is first and stored, as readers require.
    {
        let first = zip.by_index(0).unwrap();
        assert_eq!(first.name().unwrap(), "mimetype");
        assert_eq!(first.compression(), zip::CompressionMethod::Stored);
    }
    let mut read = |name: &str| {
        let mut s = String::new();
        zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    };
    let opf = read("EPUB/package.opf");
    insta::assert_snapshot!("features_opf", opf);
    insta::assert_snapshot!("features_nav", read("EPUB/nav.xhtml"));
    assert!(opf.contains("properties=\"mathml\""));
    assert!(opf.contains("urn:isbn:9783161484100"));
}

#[test]
fn features_reader_and_passages_snapshot() {
    let (book, assets) = compile(&fixture("features"));
    let pages = reader::render(&book, &assets, Some("../features.epub"));
    assert_eq!(pages.len(), 3);
    insta::assert_snapshot!("features_reader_ch1", pages[1].html);
    insta::assert_snapshot!(
        "features_passages",
        passages::to_jsonl(&passages::passages(&book))
    );
}

#[test]
fn textbook_blocks_render_as_a_reader_expects() {
    let (book, assets) = compile(&fixture("features"));
    let ch1 = epub::chapter_xhtml(&book, &assets, 0);
    // The exercise is numbered, its answer moved to the end of the chapter and linked both ways.
    assert!(ch1.contains("<span class=\"exercise-number\">Тапшырма 1</span>. Эсептегиле"));
    assert!(ch1.contains("href=\"#answer-1\""));
    assert!(ch1.contains("<li id=\"answer-1\"><p><a href=\"#exercise-1\""));
    // The figure has its caption; the Russian word is marked for screen readers.
    assert!(ch1.contains("<figcaption>1-сүрөт. Төрттөн бир</figcaption>"));
    assert!(ch1.contains("<span lang=\"ru\" xml:lang=\"ru\">дробь</span>"));
    // Links between chapters point at the right file and heading.
    assert!(ch1.contains("href=\"02-more.xhtml#koshuu\""));
    let ch2 = epub::chapter_xhtml(&book, &assets, 1);
    assert!(ch2.contains("<dfn>Бөлчөк</dfn>"));
    assert!(ch2.contains("<span lang=\"en\" xml:lang=\"en\">fraction</span>"));
    assert!(
        !ch2.contains("hidden()"),
        "rustdoc hidden lines are not shown"
    );
    assert_eq!(
        book.glossary[0].equivalents,
        vec![
            ("ru".to_string(), "дробь".to_string()),
            ("en".to_string(), "fraction".to_string())
        ]
    );
}

#[test]
fn footnotes_have_their_role_unique_ids_and_language_spans() {
    let dir = book_with(
        &[(
            "01.md",
            "# Бөлчөк\n\nБир[^n] жана дагы бир[^n].\n\n[^n]: Орусча [дробь]{lang=ru} деп аталат.\n"
                .as_bytes(),
        )],
        "",
    );
    let (book, assets) = compile(dir.path());
    let ch = epub::chapter_xhtml(&book, &assets, 0);
    // The note has the footnote role its EPUB type asks for (Ace's epub-type-has-matching-role).
    assert!(
        ch.contains(
            "<aside id=\"fn-n\" class=\"footnote\" epub:type=\"footnote\" role=\"doc-footnote\">"
        ),
        "{ch}"
    );
    // Two references to one note: two ids, the note links back to the first.
    assert!(ch.contains("id=\"fnref-n-1\""), "{ch}");
    assert!(ch.contains("id=\"fnref-n-1-2\""), "{ch}");
    assert_eq!(ch.matches("id=\"fnref-n-1\"").count(), 1, "{ch}");
    assert!(ch.contains("href=\"#fnref-n-1\""), "{ch}");
    // A language span inside the note is a span, not literal brackets.
    assert!(
        ch.contains("<span lang=\"ru\" xml:lang=\"ru\">дробь</span>"),
        "{ch}"
    );
    assert!(!ch.contains("{lang=ru}"), "{ch}");
}

#[test]
fn a_formula_with_a_missing_brace_is_reported_not_shown_silently() {
    let dir = book_with(
        &[(
            "01.md",
            "# Бөлчөк\n\nБөлчөк $\\frac{1}{2$ деп аталат.\n\nАл эми $\\frac{1}{2}}$ да ката.\n"
                .as_bytes(),
        )],
        "",
    );
    let (book, _) = compile(dir.path());
    let msgs = messages(&book.diagnostics);
    assert!(
        msgs.iter().any(|m| m.starts_with("src/01.md:3:8: error: formula '$\\frac{1}{2$' is not read as math: unbalanced braces: a '{' is never closed")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter().any(|m| m.starts_with("src/01.md:5:8: error: formula '$\\frac{1}{2}}$' is not read as math: unbalanced braces: a '}' has no matching '{'")),
        "{msgs:?}"
    );
}

#[test]
fn passages_read_formulas_as_text_and_leave_note_markers_out() {
    let dir = book_with(
        &[(
            "01.md",
            "# Бөлчөк\n\nБөлчөк $\\frac{1}{2}$ жарым деп аталат[^n]. Аянты $$S = a^2$$\n\n[^n]: Орусча дробь.\n"
                .as_bytes(),
        )],
        "",
    );
    let (book, _) = compile(dir.path());
    let text: Vec<String> = passages::passages(&book)
        .into_iter()
        .map(|p| p.text)
        .collect();
    let text = text.join("\n");
    assert!(text.contains("Бөлчөк 1/2 жарым деп аталат."), "{text}");
    assert!(text.contains("S = a^2"), "{text}");
    assert!(text.contains("Орусча дробь."), "{text}");
    for marker in ["аталат1", "1.", "↩"] {
        assert!(!text.contains(marker), "{marker} in {text}");
    }
}

#[test]
fn mdbook_projects_build_unchanged() {
    let (book, assets) = compile(&fixture("mdbook"));
    assert!(
        book.diagnostics.is_empty(),
        "{:?}",
        messages(&book.diagnostics)
    );
    let titles: Vec<&str> = book.chapters.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(
        titles,
        ["Preface", "Installation", "On Linux", "Hello", "Appendix"]
    );
    let numbers: Vec<Option<&str>> = book.chapters.iter().map(|c| c.number.as_deref()).collect();
    assert_eq!(numbers, [None, Some("1."), Some("1.1."), Some("2."), None]);
    let install = epub::chapter_xhtml(&book, &assets, 1);
    // The listing is highlighted: its text, without the spans, is the included line.
    let install_text = strip_tags(&install);
    assert!(
        install_text.contains("println!(&quot;included line&quot;);")
            || install_text.contains("println!(\"included line\");"),
        "{install_text}"
    );
    assert!(!install.contains("ANCHOR"));
    assert!(epub::chapter_xhtml(&book, &assets, 3).contains("playground"));
    assert!(epub::chapter_xhtml(&book, &assets, 4).contains("{{#include code/main.rs}}"));
    assert!(epub::chapter_xhtml(&book, &assets, 2).contains("href=\"install.xhtml#installation\""));
    let mut buf = std::io::Cursor::new(Vec::new());
    epub::write_epub(
        &book,
        &assets,
        &epub::EpubOptions {
            modified: "2026-01-01T00:00:00Z",
        },
        &mut buf,
    )
    .unwrap();
    let nav = epub_texts_from(buf.into_inner(), "EPUB/nav.xhtml");
    // The part holds its chapters; the draft has no page and is left out.
    assert!(nav.contains("<span>Getting started</span>"));
    assert!(nav.contains("1.1. On Linux"));
    assert!(!nav.contains("Not written yet"));
}

fn epub_texts_from(bytes: Vec<u8>, name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut s = String::new();
    zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

#[test]
fn every_sample_book_builds_without_problems() {
    let dir = corpus::sample_books_dir();
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.join("book.toml").is_file() {
            continue;
        }
        let (book, _) = compile(&path);
        assert!(
            book.diagnostics.is_empty(),
            "{}: {:?}",
            path.display(),
            messages(&book.diagnostics)
        );
        assert!(book.words() > 500, "{} is too short", path.display());
        count += 1;
    }
    assert!(count >= 5, "the sample library has {count} books");
}

// ---- `kitep check` ----

#[test]
fn check_names_file_and_line_for_each_problem() {
    let body = "# Title\n\n#### Jump\n\n![](images/missing.png)\n\n![ok](images/also-missing.png)\n\n<span lang=\"zz-!!\">x</span>\n\n$\\frac{1}$\n\n<script>alert(1)</script>\n\n[gone](nowhere.md) [frag](#no-such-heading)\n\n## Same {#dup}\n\n## Other {#dup}\n";
    let dir = book_with(&[("ch.md", body.as_bytes())], "");
    let diags = messages(&authoring::check::check(dir.path()));
    let expect = [
        "src/ch.md:3:1: warning: heading level jumps from h1 to h4",
        "src/ch.md:5:1: warning: image 'images/missing.png' has no alt text",
        "src/ch.md:5:1: error: image 'images/missing.png' not found (looked in src/images/)",
        "src/ch.md:7:1: error: image 'images/also-missing.png' not found",
        "src/ch.md:9:1: error: unknown language code 'zz-!!'",
        "src/ch.md:11:1: error: invalid math",
        "src/ch.md:13:1: warning: removed unsafe HTML <script>",
        "src/ch.md:15:1: error: broken link 'nowhere.md'",
        "src/ch.md:15:20: error: broken link '#no-such-heading'",
        "src/ch.md:19:1: error: duplicate id 'dup'",
    ];
    for e in expect {
        assert!(
            diags.iter().any(|d| d.starts_with(e)),
            "missing {e:?} in {diags:#?}"
        );
    }
}

#[test]
fn unknown_book_toml_key_is_named() {
    let dir = book_with(&[("ch.md", b"# A\n")], "colour = \"red\"\n");
    let diags = messages(&authoring::check::check(dir.path()));
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert!(
        diags[0].starts_with("book.toml:5:1: error: unknown key 'colour'"),
        "{diags:?}"
    );
}

// ---- Bad input: clear errors, nothing half-written ----

#[test]
fn invalid_utf8_fails_with_byte_offset_and_keeps_previous_output() {
    let dir = book_with(&[("ch.md", "# Китеп\n\nтекст\n".as_bytes())], "");
    let out = tempfile::tempdir().unwrap();
    let first = build_to(dir.path(), out.path()).unwrap();
    let epub = first.epub_path.unwrap();
    let before = std::fs::read(&epub).unwrap();
    let index_before = std::fs::read_to_string(out.path().join("html/index.html")).unwrap();
    for bad in [
        &b"# x\n\xff\xfe"[..],
        b"ok \xc0\xaf",
        b"\xed\xa0\x80",
        b"\xff\xfe#\x00 \x00x\x00",
    ] {
        std::fs::write(dir.path().join("src/ch.md"), bad).unwrap();
        let err = build_to(dir.path(), out.path()).unwrap_err().to_string();
        assert!(err.starts_with("src/ch.md: error: "), "{err}");
        assert!(err.contains("UTF-8"), "{err}");
        assert_eq!(
            std::fs::read(&epub).unwrap(),
            before,
            "the previous EPUB is untouched"
        );
        assert_eq!(
            std::fs::read_to_string(out.path().join("html/index.html")).unwrap(),
            index_before
        );
        let leftovers: Vec<_> = std::fs::read_dir(out.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(".kitep"))
            .collect();
        assert!(leftovers.is_empty(), "no staging left behind");
    }
    std::fs::write(dir.path().join("src/ch.md"), b"ab\n\xffcd").unwrap();
    let err = build_to(dir.path(), out.path()).unwrap_err().to_string();
    assert!(err.contains("invalid UTF-8 at byte 3 (line 2)"), "{err}");
}

#[test]
fn nul_bytes_become_replacement_characters() {
    let dir = book_with(&[("ch.md", b"# A\n\nx\x00y\n")], "");
    let (book, assets) = compile(dir.path());
    assert!(epub::chapter_xhtml(&book, &assets, 0).contains("x\u{FFFD}y"));
}

#[test]
fn paths_cannot_leave_the_book() {
    let escapes = [
        "../../etc/passwd",
        "/etc/passwd",
        "..%2f..%2f..%2fetc%2fpasswd",
        "%252e%252e/%252e%252e/etc/passwd",
        "C:\\Windows\\win.ini",
        "\\\\host\\share\\x.png",
    ];
    for p in escapes {
        let body = format!("# A\n\n![x]({p})\n\n[l]({p})\n\n{{{{#include {p}}}}}\n");
        let dir = book_with(&[("ch.md", body.as_bytes())], "");
        let diags = messages(&authoring::check::check(dir.path()));
        assert!(
            diags
                .iter()
                .any(|d| d.contains("include") && d.contains("error")),
            "{p}: {diags:?}"
        );
        assert!(
            diags
                .iter()
                .any(|d| d.contains("image") && d.contains("error")),
            "{p}: {diags:?}"
        );
    }
    // A symbolic link inside the book that points outside is refused too.
    #[cfg(unix)]
    {
        let dir = book_with(&[("ch.md", b"# A\n\n![x](images/link/passwd)\n")], "");
        std::os::unix::fs::symlink("/etc", dir.path().join("src/images/link")).unwrap();
        let (book, assets) = compile(dir.path());
        assert!(
            messages(&book.diagnostics)
                .iter()
                .any(|d| d.contains("not found")),
            "{:?}",
            messages(&book.diagnostics)
        );
        assert!(assets.items.iter().all(|a| !a.source.contains("passwd")));
    }
}

#[test]
fn remote_images_are_never_fetched_and_epub_has_no_remote_resources() {
    let (book, _) = compile(&fixture("hostile"));
    let out = tempfile::tempdir().unwrap();
    let report = build_to(&fixture("hostile"), out.path()).unwrap();
    assert!(
        messages(&book.diagnostics)
            .iter()
            .any(|d| d.contains("remote image 'http://169.254.169.254"))
    );
    for (name, text) in epub_texts(report.epub_path.as_ref().unwrap()) {
        let lower = text.to_lowercase();
        assert!(!lower.contains("src=\"http"), "{name} loads a remote image");
        assert!(
            !lower.contains("url(http") && !lower.contains("url(//"),
            "{name} has a remote CSS url"
        );
        assert!(
            !lower.contains("<link") || !lower.contains("href=\"http"),
            "{name} links a remote stylesheet"
        );
        assert!(!lower.contains("scripted"), "{name} declares scripts");
    }
}

/// What a re-parse of our output must never find (THREATS.md, "safe output").
fn assert_safe(name: &str, text: &str) {
    let lower = text.to_lowercase();
    for bad in [
        "<script",
        "<iframe",
        "<object",
        "<embed",
        "<form",
        "<base",
        "<meta http-equiv",
        "<style",
        "<svg",
        "<input",
        "<button",
    ] {
        assert!(!lower.contains(bad), "{name} contains {bad}");
    }
    // No event handler and no script-capable URL in any attribute (text may mention them).
    let mut rest = lower.as_str();
    while let Some(i) = rest.find('<') {
        let tag_end = rest[i..].find('>').map(|e| i + e).unwrap_or(rest.len());
        let tag = &rest[i..tag_end];
        if !tag.starts_with("<math") {
            for attr in tag.split_whitespace().skip(1) {
                assert!(!attr.starts_with("on"), "{name}: event handler in {tag}");
            }
            for scheme in ["javascript:", "vbscript:", "data:", "file:"] {
                assert!(
                    !tag.contains(&format!("=\"{scheme}")),
                    "{name}: {scheme} in {tag}"
                );
            }
        }
        rest = &rest[tag_end..];
    }
}

#[test]
fn unsafe_html_and_links_are_removed_everywhere() {
    let out = tempfile::tempdir().unwrap();
    let report = build_to(&fixture("hostile"), out.path()).unwrap();
    for (name, text) in epub_texts(report.epub_path.as_ref().unwrap()) {
        if name.ends_with(".xhtml") || name.ends_with(".opf") {
            assert_safe(&name, &text);
        }
    }
    for entry in std::fs::read_dir(out.path().join("html")).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "html") {
            assert_safe(
                &p.display().to_string(),
                &std::fs::read_to_string(&p).unwrap(),
            );
        }
    }
    let passages = std::fs::read_to_string(out.path().join("passages.jsonl")).unwrap();
    assert!(
        !passages.contains("steal_the_cookies"),
        "script and style content never reaches the search text"
    );
    for (name, text) in epub_texts(report.epub_path.as_ref().unwrap()) {
        assert!(
            !text.contains("steal_the_cookies"),
            "{name} kept script or style content"
        );
    }
    let msgs = messages(&report.diagnostics);
    for expected in [
        "removed unsafe HTML <script>",
        "removed unsafe HTML attribute onerror",
        "removed unsafe link 'javascript:alert(1)'",
        "scheme 'data:'",
        "scheme 'vbscript:'",
        "scheme 'file:'",
        "removed unsafe HTML <iframe>",
        "invalid math '\\href",
    ] {
        assert!(
            msgs.iter().any(|m| m.contains(expected)),
            "no warning {expected:?}"
        );
    }
    // Metadata with markup is text in the package.
    let opf = epub_texts(report.epub_path.as_ref().unwrap())
        .into_iter()
        .find(|(n, _)| n.ends_with(".opf"))
        .unwrap()
        .1;
    assert!(opf.contains("Queen &amp; Country &lt;b&gt;bold&lt;/b&gt; &lt;script&gt;"));
    assert!(!opf.contains('\u{1}'));
}

#[test]
fn pathological_markdown_finishes_quickly_or_is_refused() {
    let cases: Vec<(&str, String)> = vec![
        ("B23 link brackets", "[a](<b".repeat(50_000)),
        ("B23 paren", "[ (](".repeat(40_000)),
        ("B23 emphasis", "a***".repeat(80_000)),
        ("B23 list", format!("{}a", "* ".repeat(80_000))),
        ("B23 mixed", "[*_a".repeat(200_000)),
        ("B23 backticks", "``\\".repeat(40_000)),
        ("B23 cdata", "a <![CDATA[".repeat(40_000)),
        ("B23 comments", "a<!--".repeat(50_000)),
        ("B23 link newline", "]([\n".repeat(50_000)),
        ("B23 angle", "<>".repeat(40_000)),
        ("B23 tildes", "~".repeat(100_000)),
        ("B25 quotes", format!("{}a", ">".repeat(100_000))),
        ("B25 divs", "<div>".repeat(100_000)),
        ("B25 stars", "*".repeat(100_000)),
        ("B25 brackets", "[".repeat(100_000)),
        (
            "B25 nested list",
            (0..1_000)
                .map(|i| format!("{}- x\n", "  ".repeat(i)))
                .collect(),
        ),
        ("B26 shift", "/********************************".to_string()),
        (
            "B26 deflist in quote",
            "> term\n> : definition\n\n".to_string(),
        ),
        ("B26 rustdoc", "/// <b".to_string()),
        (
            "B27 wide table",
            format!("|{}\n|{}\n", "a|".repeat(70_000), "-|".repeat(70_000)),
        ),
        ("B28 equal headings", "# Same\n\n".repeat(100_000)),
        ("B28 zero width", "\u{200B}".repeat(300_000)),
    ];
    for (name, text) in cases {
        let dir = book_with(&[("ch.md", text.as_bytes())], "");
        // What the author sees: the chapter, no larger than the output budget allows (ten times
        // the input, plus the page's frame), or a refusal that names the file and line. Speed is
        // measured in release by `bench/pathological.py`, not here.
        match compile_book(dir.path(), None) {
            Ok((book, assets)) => {
                let xhtml = epub::chapter_xhtml(&book, &assets, 0);
                assert!(
                    xhtml.len() <= 10 * text.len() + 16 * 1024,
                    "{name}: {} bytes of XHTML for {} bytes of Markdown",
                    xhtml.len(),
                    text.len()
                );
                assert!(xhtml.starts_with("<?xml"), "{name}: not a chapter page");
            }
            Err(e) => {
                let msg = e.to_string();
                assert!(msg.starts_with("src/ch.md:"), "{name}: {msg}");
            }
        }
    }
}

#[test]
fn output_blowup_is_bounded() {
    // B24: one long reference definition used many times. Either the parser's own expansion limit
    // or ours applies; in no case does the output grow past ten times the input.
    for len in [1_000, 100_000] {
        let text = format!(
            "[x]: https://example.org/{}\n{}",
            "x".repeat(len),
            "\n[x]".repeat(20_000)
        );
        let dir = book_with(&[("ch.md", text.as_bytes())], "");
        let out = tempfile::tempdir().unwrap();
        match build_to(dir.path(), out.path()) {
            Ok(report) => assert!(
                report.html_bytes < text.len() * 10 + (1 << 20),
                "{len}: {} bytes of HTML",
                report.html_bytes
            ),
            Err(e) => assert!(e.to_string().contains("times its own size"), "{e}"),
        }
    }
}

#[test]
fn deep_quote_nesting_is_refused_by_a_pre_limit() {
    let text = format!("{}a", ">".repeat(100_000));
    let dir = book_with(&[("ch.md", text.as_bytes())], "");
    let err = compile_book(dir.path(), None)
        .expect_err("refused")
        .to_string();
    assert!(
        err.contains("src/ch.md:1: error: block quotes nest"),
        "{err}"
    );
}

// ---- Images ----

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend((data.len() as u32).to_be_bytes());
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    out.extend(kind);
    out.extend(data);
    out.extend(crc.sum().to_be_bytes());
}

/// A tiny PNG that claims to be `w` × `h` (its pixel data is absent: a decompression-bomb header).
fn png_header_only(w: u32, h: u32) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 6, 0, 0, 0]);
    png_chunk(&mut v, b"IHDR", &ihdr);
    png_chunk(&mut v, b"IEND", &[]);
    v
}

fn jpeg_with_orientation(w: u32, h: u32, orientation: u16) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, _| {
        if x < w / 2 {
            image::Rgb([200, 0, 0])
        } else {
            image::Rgb([0, 0, 200])
        }
    });
    let mut jpeg = Vec::new();
    img.write_with_encoder(image::codecs::jpeg::JpegEncoder::new(&mut jpeg))
        .unwrap();
    // An APP1 Exif segment with one IFD entry: Orientation (0x0112), SHORT, count 1.
    let mut tiff = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
    tiff.extend([0x00, 0x01, 0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01]);
    tiff.extend(orientation.to_be_bytes());
    tiff.extend([0, 0, 0, 0, 0, 0]);
    let mut app1 = b"Exif\x00\x00".to_vec();
    app1.extend(tiff);
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend(((app1.len() + 2) as u16).to_be_bytes());
    out.extend(app1);
    out.extend(&jpeg[2..]);
    out
}

#[test]
fn images_are_checked_decoded_with_limits_and_reencoded() {
    let dir = book_with(&[("ch.md", b"# A\n\n![bomb](images/bomb.png) ![big](images/big.png) ![html](images/page.png) ![cut](images/cut.jpg) ![empty](images/zero.png) ![photo](images/photo.jpg)\n")], "");
    let images = dir.path().join("src/images");
    std::fs::write(images.join("bomb.png"), png_header_only(100_000, 100_000)).unwrap();
    std::fs::write(images.join("big.png"), png_header_only(16_384, 16_384)).unwrap();
    std::fs::write(
        images.join("page.png"),
        b"<html><script>alert(1)</script></html>",
    )
    .unwrap();
    let photo = jpeg_with_orientation(40, 20, 6);
    std::fs::write(images.join("cut.jpg"), &photo[..photo.len() / 2]).unwrap();
    std::fs::write(images.join("zero.png"), png_header_only(0, 0)).unwrap();
    std::fs::write(images.join("photo.jpg"), &photo).unwrap();
    let (book, assets) = compile(dir.path());
    let msgs = messages(&book.diagnostics);
    let has = |file: &str, text: &str| msgs.iter().any(|m| m.starts_with(file) && m.contains(text));
    assert!(
        has("src/images/bomb.png", "100000 × 100000 pixels"),
        "{msgs:?}"
    );
    assert!(
        has("src/images/big.png", "16384 × 16384 pixels"),
        "{msgs:?}"
    );
    assert!(
        has(
            "src/images/page.png",
            "is not a PNG, JPEG, GIF, WebP or SVG image"
        ),
        "{msgs:?}"
    );
    assert!(has("src/images/cut.jpg", "cannot be decoded"), "{msgs:?}");
    assert!(has("src/images/zero.png", "error"), "{msgs:?}");
    // EXIF orientation 6 (rotate 90°) is applied: the 40 × 20 photo comes out 20 × 40.
    let photo = assets
        .items
        .iter()
        .find(|a| a.source.ends_with("photo.jpg"))
        .unwrap();
    assert_eq!((photo.width, photo.height), (20, 40));
    assert_eq!(photo.media_type, "image/jpeg");
    // Broken images are replaced by the placeholder that says so, never dropped silently.
    assert!(
        assets
            .items
            .iter()
            .any(|a| a.path == "images/kitep-missing.svg")
    );
}

#[test]
fn wide_images_are_scaled_down() {
    let dir = book_with(&[("ch.md", b"# A\n\n![wide](images/wide.png)\n")], "");
    let img = image::RgbImage::from_pixel(3000, 300, image::Rgb([10, 120, 200]));
    img.save(dir.path().join("src/images/wide.png")).unwrap();
    let (_, assets) = compile(dir.path());
    let wide = assets
        .items
        .iter()
        .find(|a| a.source.ends_with("wide.png"))
        .unwrap();
    assert_eq!((wide.width, wide.height), (1200, 120));
}

#[test]
fn svg_images_are_sanitised_in_the_output() {
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" onload="alert(1)"><script>alert(1)</script><rect width="10" height="10"/></svg>"#;
    let dir = book_with(&[("ch.md", b"# A\n\n![d](images/d.svg)\n")], "");
    std::fs::write(dir.path().join("src/images/d.svg"), svg).unwrap();
    let (book, assets) = compile(dir.path());
    let d = assets
        .items
        .iter()
        .find(|a| a.source.ends_with("d.svg"))
        .unwrap();
    let text = String::from_utf8(d.bytes.clone()).unwrap();
    assert!(!text.contains("script") && !text.contains("onload") && text.contains("<rect"));
    assert!(
        messages(&book.diagnostics)
            .iter()
            .any(|m| m.contains("removed SVG elements") && m.contains("<script>"))
    );
}

#[test]
fn a_cover_is_generated_when_the_book_has_none() {
    let (book, assets) = compile(&fixture("features"));
    assert!(book.cover.is_none());
    let cover = String::from_utf8(assets.cover().bytes.clone()).unwrap();
    assert!(
        cover.contains("Бөлчөктөр: сынак"),
        "the generated cover shows the title"
    );
}

#[test]
fn unknown_html_tags_are_reported_once_per_tag_and_chapter() {
    let ch = b"# A\n\n<Listing number=\"2-1\" file-name=\"src/main.rs\" caption=\"Hello\">\n\n```rust\nfn main() {}\n```\n\n</Listing>\n\nText.\n\n<Listing number=\"2-2\">\n\nMore.\n\n</Listing>\n";
    let dir = book_with(&[("ch.md", ch)], "");
    let (book, _) = compile(dir.path());
    let found: Vec<String> = messages(&book.diagnostics)
        .into_iter()
        .filter(|m| m.contains("unknown HTML tag"))
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("src/ch.md:3:"), "{found:?}");
    assert!(found[0].contains("<listing>"), "{found:?}");
    // The content stays.
    let mut text = String::new();
    formats::doc::collect_text(&book.chapters[0].body, &mut text);
    assert!(
        text.contains("fn main()") && text.contains("More."),
        "{text}"
    );
}

// ---- What a new author meets ----

/// Every file under `dir`, with its size.
fn output_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let m = e.metadata().unwrap();
        total += if m.is_dir() {
            output_bytes(&e.path())
        } else {
            m.len()
        };
    }
    total
}

#[test]
fn an_unclosed_block_is_an_error_naming_the_line_it_opened() {
    let body = "# Title\n\nText.\n\n::: exercise Дроби\nHow much is 1/2 + 1/4?\n";
    let dir = book_with(&[("ch.md", body.as_bytes())], "");
    let diags = messages(&authoring::check::check(dir.path()));
    assert!(
        diags.iter().any(|d| d
            == "src/ch.md:5:1: error: '::: exercise' block is never closed; add a line with ':::' where it ends"),
        "{diags:#?}"
    );
    // Closed, it is fine.
    let dir = book_with(&[("ch.md", format!("{body}:::\n").as_bytes())], "");
    assert!(authoring::check::check(dir.path()).is_empty());
}

#[test]
fn a_chapter_file_that_no_list_names_is_reported() {
    let dir = book_with(&[("01.md", b"# One\n")], "");
    std::fs::write(dir.path().join("src/02.md"), "# Two\n").unwrap();
    let diags = messages(&authoring::check::check(dir.path()));
    assert_eq!(
        diags,
        [
            "src/02.md: warning: this file is not part of the book: the `chapters` list in book.toml does not name it; add \"02.md\" to `chapters` to include it"
        ],
    );
    // With SUMMARY.md the advice is a line there; files pulled in by {{#include}} are parts of chapters.
    std::fs::write(
        dir.path().join("src/SUMMARY.md"),
        "# Summary\n\n- [One](01.md)\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("src/01.md"),
        "# One\n\n{{#include part.md}}\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("src/part.md"), "Included.\n").unwrap();
    let diags = messages(&authoring::check::check(dir.path()));
    assert!(
        diags.iter().any(|d| d
            == "src/02.md: warning: this file is not part of the book: src/SUMMARY.md does not list it; add a line such as `- [Title](02.md)` to include it"),
        "{diags:#?}"
    );
    assert!(!diags.iter().any(|d| d.contains("part.md")), "{diags:#?}");
}

#[test]
fn markdown_problems_name_their_column_in_characters() {
    let body = "# Карта\n\nКарта: ![map](images/none.png)\n\nСм. [дальше](02.md) и $\\frac{1}$.\n";
    let dir = book_with(&[("ch.md", body.as_bytes())], "");
    let diags = messages(&authoring::check::check(dir.path()));
    for e in [
        "src/ch.md:3:8: error: image 'images/none.png' not found (looked in src/images/)",
        "src/ch.md:5:5: error: broken link '02.md': no chapter '02.md' in this book",
        "src/ch.md:5:23: error: invalid math",
    ] {
        assert!(
            diags.iter().any(|d| d.starts_with(e)),
            "missing {e:?} in {diags:#?}"
        );
    }
}

#[test]
fn a_missing_image_says_it_is_missing_and_keeps_its_alt_text_visible() {
    let body = "# Сүрөт\n\n![Кыргызстандын картасы](images/map.png)\n\n![Алыскы сүрөт](https://example.org/x.png)\n";
    let dir = book_with(&[("ch.md", body.as_bytes())], "");
    let out = tempfile::tempdir().unwrap();
    let report = build_to(dir.path(), out.path()).unwrap();
    assert_eq!(report.errors, 1, "{:?}", messages(&report.diagnostics));
    let page = std::fs::read_to_string(out.path().join("html/ch.html")).unwrap();
    // The alt text is shown beside the placeholder, not only in an attribute.
    assert!(page.contains(">Кыргызстандын картасы</span>"), "{page}");
    let images: Vec<String> = std::fs::read_dir(out.path().join("html/images"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap_or_default())
        .collect();
    // One placeholder says the file is missing, the other that remote images are not fetched.
    assert!(
        images.iter().any(|s| s.contains("Сүрөт табылган жок")),
        "{images:?}"
    );
    assert!(
        images
            .iter()
            .any(|s| s.contains("Сүрөт оффлайн жеткиликсиз"))
    );
    let missing_img = page
        .split("<img")
        .find(|s| s.contains("Кыргызстандын картасы"))
        .unwrap();
    assert!(!missing_img.contains("placeholder.svg\""), "{missing_img}");
}

#[test]
fn language_spans_that_are_not_applied_are_reported() {
    let body = "# Тил\n\nСөз [*жана*]{lang=ru} менен.\n\nСөз [and] {lang=en} менен.\n\n`[code]{lang=ru}` is fine.\n\n[so]{lang=ru} works.\n";
    let dir = book_with(&[("ch.md", body.as_bytes())], "");
    let diags = messages(&authoring::check::check(dir.path()));
    assert_eq!(diags.len(), 2, "{diags:#?}");
    assert!(
        diags[0].starts_with("src/ch.md:3:")
            && diags[0].contains("warning: '{lang=ru}' is not read as a language span"),
        "{diags:#?}"
    );
    assert!(
        diags[1].starts_with("src/ch.md:5:") && diags[1].contains("'{lang=en}'"),
        "{diags:#?}"
    );
}

#[test]
fn a_chapter_of_many_headings_has_bounded_output_and_a_warning() {
    // 2 MB of one-word headings once rendered to 77 times its size (toc, passages, book.json per heading).
    let text = "# a\n\n".repeat(100_000);
    let dir = book_with(&[("ch.md", text.as_bytes())], "");
    let out = tempfile::tempdir().unwrap();
    let report = build_to(dir.path(), out.path()).unwrap();
    let bytes = output_bytes(out.path());
    assert!(
        bytes <= 10 * text.len() as u64,
        "{bytes} bytes of output for {} bytes of input",
        text.len()
    );
    let diags = messages(&report.diagnostics);
    assert!(
        diags.iter().any(|d| d.starts_with("src/ch.md:")
            && d.contains("warning: the chapter has 100000 headings; only the first 1000")),
        "{:?}",
        &diags[..diags.len().min(5)]
    );
    assert!(report.passages <= 1001, "{} passages", report.passages);
}

/// A screenshot-like RGB PNG written with no compression, so the build re-encodes it.
fn loose_png(seed: u8) -> Vec<u8> {
    use std::io::Write as _;
    let img = image::RgbImage::from_fn(200, 120, |x, y| {
        if (x / 9 + y / 7 + seed as u32).is_multiple_of(6) {
            image::Rgb([30, 30, seed])
        } else {
            image::Rgb([250, 250, 250])
        }
    });
    let mut out = Vec::new();
    img.write_with_encoder(image::codecs::png::PngEncoder::new_with_quality(
        &mut out,
        image::codecs::png::CompressionType::Fast,
        image::codecs::png::FilterType::NoFilter,
    ))
    .unwrap();
    // Stored deflate blocks: rewrite IDAT uncompressed so the source is clearly not compact.
    let raw = image::load_from_memory(&out).unwrap().to_rgb8();
    let mut rows = Vec::new();
    for row in raw.rows() {
        rows.push(0u8);
        for p in row {
            rows.extend(p.0);
        }
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::none());
    z.write_all(&rows).unwrap();
    let idat = z.finish().unwrap();
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(200u32.to_be_bytes());
    ihdr.extend(120u32.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    png_chunk(&mut v, b"IHDR", &ihdr);
    png_chunk(&mut v, b"IDAT", &idat);
    png_chunk(&mut v, b"IEND", &[]);
    v
}

fn cached_build(book: &Path, out: &Path) -> authoring::BuildReport {
    let opts = BuildOptions {
        image_cache: Some(out.join(".kitep-cache/images")),
        ..Default::default()
    };
    authoring::build(book, out, &opts, &|_, _, _| {}).unwrap()
}

#[test]
fn a_rebuild_takes_processed_images_from_the_cache() {
    let dir = book_with(
        &[(
            "ch.md",
            b"# A\n\n![a](images/a.png) ![b](images/b.png) ![d](images/d.svg)\n",
        )],
        "",
    );
    let images = dir.path().join("src/images");
    std::fs::write(images.join("a.png"), loose_png(1)).unwrap();
    std::fs::write(images.join("b.png"), loose_png(2)).unwrap();
    std::fs::write(images.join("d.svg"), br#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>"#).unwrap();
    let out = tempfile::tempdir().unwrap();
    let first = cached_build(dir.path(), out.path());
    assert_eq!(
        (
            first.image_work.reencoded,
            first.image_work.from_cache,
            first.image_work.sanitized
        ),
        (2, 0, 1)
    );
    let epub = std::fs::read(first.epub_path.as_ref().unwrap()).unwrap();
    // A text change: the images come from the cache, none is processed again (SVG is always
    // sanitised afresh: it is cheap, and a cached SVG could smuggle script).
    std::fs::write(
        dir.path().join("src/ch.md"),
        b"# A\n\nNew text. ![a](images/a.png) ![b](images/b.png) ![d](images/d.svg)\n",
    )
    .unwrap();
    let second = cached_build(dir.path(), out.path());
    assert_eq!(
        (second.image_work.reencoded, second.image_work.from_cache),
        (0, 2)
    );
    assert_eq!(second.image_bytes, first.image_bytes);
    let reader_b = std::fs::read(out.path().join("html/images/b.png")).unwrap();
    // A changed image is processed again; the entry of its old version is removed.
    std::fs::write(images.join("b.png"), loose_png(3)).unwrap();
    let third = cached_build(dir.path(), out.path());
    assert_eq!(
        (third.image_work.reencoded, third.image_work.from_cache),
        (1, 1)
    );
    // The reader shows the new image (files that did not change are carried over from the
    // previous output; this one changed and is written afresh).
    let epub3 = std::fs::read(third.epub_path.as_ref().unwrap()).unwrap();
    let new_b = std::fs::read(out.path().join("html/images/b.png")).unwrap();
    assert_ne!(new_b, reader_b);
    assert!(epub3.windows(new_b.len()).any(|w| w == new_b.as_slice()));
    let entries = std::fs::read_dir(out.path().join(".kitep-cache/images"))
        .unwrap()
        .count();
    assert_eq!(entries, 2);
    assert!(!epub.is_empty());
}

#[cfg(unix)]
#[test]
fn a_rebuild_never_follows_a_link_planted_in_the_previous_output() {
    let dir = book_with(&[("ch.md", b"# A\n\nText.\n")], "");
    let out = tempfile::tempdir().unwrap();
    cached_build(dir.path(), out.path());
    let css = out.path().join("html/style.css");
    let real = std::fs::read(&css).unwrap();
    // A file elsewhere with the stylesheet's very bytes, linked in its place: carried over as it
    // is, the reader's stylesheet would become a link out of the output.
    let elsewhere = out.path().join("elsewhere.txt");
    std::fs::write(&elsewhere, &real).unwrap();
    std::fs::remove_file(&css).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &css).unwrap();
    cached_build(dir.path(), out.path());
    let meta = std::fs::symlink_metadata(&css).unwrap();
    assert!(meta.is_file(), "the stylesheet is a regular file again");
    assert_eq!(std::fs::read(&css).unwrap(), real);
}

#[test]
fn a_damaged_or_planted_cache_entry_is_ignored_and_redone() {
    let dir = book_with(
        &[("ch.md", b"# A\n\n![a](images/a.png) ![b](images/b.png)\n")],
        "",
    );
    let images = dir.path().join("src/images");
    std::fs::write(images.join("a.png"), loose_png(1)).unwrap();
    std::fs::write(images.join("b.png"), loose_png(2)).unwrap();
    let out = tempfile::tempdir().unwrap();
    let first = cached_build(dir.path(), out.path());
    let html_a = std::fs::read(out.path().join("html/images/a.png")).unwrap();
    let cache = out.path().join(".kitep-cache/images");
    let mut entries: Vec<_> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    assert_eq!(entries.len(), 2);
    // One entry damaged (a flipped byte in the image), the other replaced by a different image's
    // entry (valid in itself, but for another key).
    let mut bytes = std::fs::read(&entries[0]).unwrap();
    let n = bytes.len();
    bytes[n - 20] ^= 0xFF;
    std::fs::write(&entries[0], bytes).unwrap();
    std::fs::write(&entries[1], std::fs::read(&entries[0]).unwrap()).unwrap();
    let second = cached_build(dir.path(), out.path());
    assert_eq!(
        (second.image_work.reencoded, second.image_work.from_cache),
        (2, 0)
    );
    assert_eq!(
        std::fs::read(out.path().join("html/images/a.png")).unwrap(),
        html_a
    );
    assert_eq!(second.image_bytes, first.image_bytes);
    // Redone entries are good again.
    let third = cached_build(dir.path(), out.path());
    assert_eq!(third.image_work.from_cache, 2);
}

/// Markup without its tags (entities left as they are).
fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[test]
fn labelled_figures_tables_and_equations_are_numbered_per_chapter_and_referenced() {
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><rect width=\"10\" height=\"10\"/></svg>";
    let one = "# Биринчи\n\nТекст.\n\n![Тегерек](images/a.svg \"Тегерек нан\"){#fig:nan}\n\n\
               [-@fig:nan]-сүрөттө жана @tbl:baa караңыз; аянт @eq:area менен табылат.\n\n\
               Table: Баалар {#tbl:baa}\n\n| А | Б |\n|---|---|\n| 1 | 2 |\n\n\
               $$S = a b$$ {#eq:area}\n";
    let two = "# Экинчи\n\n![Шоола](images/a.svg \"Сан шооласы\"){#fig:shoola}\n\n\
               Биринчи бапта @fig:nan бар, бул жерде @fig:shoola; @fig:jok жок.\n\n\
               ::: list-of-figures\n:::\n";
    let dir = book_with(
        &[("01-a.md", one.as_bytes()), ("02-b.md", two.as_bytes())],
        "",
    );
    std::fs::write(dir.path().join("src/images/a.svg"), svg).unwrap();
    let out = dir.path().join("out");
    let report = build_to(dir.path(), &out).unwrap();
    let first = std::fs::read_to_string(out.join("html/01-a.html")).unwrap();
    let second = std::fs::read_to_string(out.join("html/02-b.html")).unwrap();
    // Captions carry the number with the book's word for it.
    assert!(
        first.contains(r#"<figure id="fig-nan" class="numbered-figure">"#),
        "{first}"
    );
    assert!(
        first.contains(r#"<span class="caption-label">1.1-сүрөт.</span> Тегерек нан"#),
        "{first}"
    );
    assert!(
        first.contains(
            r#"<caption><span class="caption-label">1.1-таблица.</span> Баалар</caption>"#
        ),
        "{first}"
    );
    assert!(
        first.contains(r#"<span class="eq-number">(1.1)</span>"#),
        "{first}"
    );
    assert!(
        second.contains(r#"<span class="caption-label">2.1-сүрөт.</span> Сан шооласы"#),
        "{second}"
    );
    // References read as the item's name and link to it, in this chapter and across chapters.
    assert!(
        first.contains(r##"<a class="xref" href="01-a.html#fig-nan">1.1</a>-сүрөттө"##),
        "{first}"
    );
    assert!(
        first.contains(r##"<a class="xref" href="01-a.html#tbl-baa">1.1-таблица</a>"##),
        "{first}"
    );
    assert!(
        first.contains(r##"<a class="xref" href="01-a.html#eq-area">(1.1) формула</a>"##),
        "{first}"
    );
    assert!(
        second.contains(r##"<a class="xref" href="01-a.html#fig-nan">1.1-сүрөт</a>"##),
        "{second}"
    );
    // A list of figures, on request: every numbered figure of the book, linked.
    assert!(second.contains("Сүрөттөрдүн тизмеси"), "{second}");
    assert!(
        second.contains(r#"<li><a href="01-a.html#fig-nan">1.1-сүрөт. Тегерек нан</a></li><li><a href="02-b.html#fig-shoola">2.1-сүрөт. Сан шооласы</a></li>"#),
        "{second}"
    );
    // An unknown label is an error naming the chapter's line; it stays visible as written.
    let msgs = messages(&report.diagnostics).join("\n");
    assert!(
        msgs.contains("src/02-b.md:5") && msgs.contains("@fig:jok"),
        "{msgs}"
    );
    assert!(second.contains("@fig:jok жок"), "{second}");
    // The EPUB has the same numbers.
    let texts = epub_texts(&out.join("test.epub"));
    let chapter = &texts
        .iter()
        .find(|(n, _)| n.ends_with("01-a.xhtml"))
        .unwrap()
        .1;
    assert!(chapter.contains("1.1-сүрөт."), "{chapter}");
}
