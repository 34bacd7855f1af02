//! `kitep check BOOK`: every problem of a book at once, as `file:line:col: error|warning: message`.

use crate::pipeline::{BuildError, compile_book, sort_diagnostics};
use corpus::Diagnostic;
use std::path::Path;

/// All diagnostics, sorted by file and line. The book is compiled but nothing is written.
pub fn check(book_dir: &Path) -> Vec<Diagnostic> {
    let mut diags = match compile_book(book_dir, None) {
        Ok((book, _)) => book.diagnostics,
        Err(BuildError::Book(d) | BuildError::Strict(d)) => d,
        Err(BuildError::Output(m)) => vec![Diagnostic::error(book_dir.display().to_string(), 0, m)],
    };
    sort_diagnostics(&mut diags);
    diags
}
