//! `kitep new DIR`: a book skeleton that shows every feature of the format.

use std::path::Path;

const FILES: &[(&str, &str)] = &[
    ("book.toml", include_str!("../skeleton/book.toml")),
    (
        "src/01-introduction.md",
        include_str!("../skeleton/src/01-introduction.md"),
    ),
    (
        "src/02-features.md",
        include_str!("../skeleton/src/02-features.md"),
    ),
    (
        "src/images/number-line.svg",
        include_str!("../skeleton/src/images/number-line.svg"),
    ),
];

/// Creates the skeleton in `dir`, which must not exist or be empty (nothing is overwritten).
pub fn new_book(dir: &Path) -> Result<Vec<String>, String> {
    if dir.exists() {
        let empty = std::fs::read_dir(dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .next()
            .is_none();
        if !empty {
            return Err(format!(
                "{} already exists and is not empty; choose a new folder",
                dir.display()
            ));
        }
    }
    let mut written = Vec::new();
    for (rel, text) in FILES {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        written.push(rel.to_string());
    }
    Ok(written)
}
