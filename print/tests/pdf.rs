//! The print edition of a small book: a PDF Typst accepts, A4 by default and A5 on request, and a
//! formula print cannot take shown as LaTeX with a warning.

use std::path::Path;

fn compile(dir: &Path) -> (formats::CompiledBook, formats::assets::AssetSet) {
    let project = corpus::BookProject::load(dir).unwrap();
    let root = project.root.clone();
    let exists = |rel: &str| root.join(rel).is_file();
    let book = formats::compile(&project, &exists).unwrap();
    let read = |rel: &str| std::fs::read(root.join(rel)).map_err(|e| e.to_string());
    let (assets, _) = formats::assets::prepare(&book, &read, None);
    (book, assets)
}

fn book(second: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("book.toml"),
        "[book]\ntitle = \"Бөлчөктөр\"\nlanguage = \"ky\"\nauthors = [\"Айгүл Асанова\"]\nchapters = [\"01.md\", \"02.md\"]\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(
        dir.path().join("src/01.md"),
        "# Бөлчөк деген эмне\n\nБүтүндүн **бирдей** бөлүгү[^1]: $\\frac{1}{4}$, *жарым*.\n\n\
         | Жазылышы | Окулушу |\n|---|---|\n| $\\frac{1}{2}$ | экиден бир |\n\n\
         ```python\nprint(\"салам\")\n```\n\n$$S = a \\cdot b$$ {#eq:s}\n\n\
         ::: exercise\nЭсепте: $2 + 3$.\n\n::: answer\n5\n:::\n:::\n\n[^1]: Шилтеме: @eq:s.\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("src/02.md"), second).unwrap();
    dir
}

#[test]
fn a_book_becomes_a_pdf_a4_by_default_a5_on_request() {
    let dir = book(
        "# Экинчи бап\n\n- биринчи\n- экинчи\n\n[Биринчи бапка](01.md#бөлчөк-деген-эмне) кайтуу.\n",
    );
    let (book, assets) = compile(dir.path());
    let (a4, warnings) = print::pdf(&book, &assets, &print::PrintOptions::default()).unwrap();
    assert!(a4.starts_with(b"%PDF-"), "not a PDF");
    assert!(warnings.is_empty(), "{warnings:?}");
    let text = String::from_utf8_lossy(&a4);
    // A4 is 595.28 × 841.89 points; A5 419.53 × 595.28.
    assert!(text.contains("841.8"), "not A4");
    let (a5, _) = print::pdf(
        &book,
        &assets,
        &print::PrintOptions {
            paper: print::Paper::A5,
        },
    )
    .unwrap();
    let text5 = String::from_utf8_lossy(&a5);
    assert!(text5.contains("419.5"), "not A5");
    assert!(!text5.contains("841.8"), "still A4");
}

#[test]
fn a_formula_print_cannot_take_is_shown_as_latex_with_a_warning() {
    let dir = book("# Экинчи\n\nТекст $\\mathfrak{g}$ бар.\n");
    let (book, assets) = compile(dir.path());
    let (pdf, warnings) = print::pdf(&book, &assets, &print::PrintOptions::default()).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(
        warnings.iter().any(|w| w.contains("mathfrak")),
        "{warnings:?}"
    );
}
