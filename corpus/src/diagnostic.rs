//! Messages about a book that name the file, line and column, in the `file:line:col: level: message` form.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Warning,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Path relative to the book folder, with `/` separators.
    pub file: String,
    /// 1-based; 0 when the message concerns the whole file.
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl Diagnostic {
    pub fn error(file: impl Into<String>, line: usize, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            file: file.into(),
            line,
            column: 0,
            message: message.into(),
        }
    }

    pub fn warning(file: impl Into<String>, line: usize, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            file: file.into(),
            line,
            column: 0,
            message: message.into(),
        }
    }

    pub fn at_column(mut self, column: usize) -> Self {
        self.column = column;
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The same message with its file named from where the command runs: `books/x` joined with
    /// the book-relative path, so an editor can open `books/x/src/01.md:14:3` as printed.
    pub fn from_folder(&self, book_dir: &std::path::Path) -> Diagnostic {
        let mut d = self.clone();
        if !d.file.is_empty() && book_dir != std::path::Path::new(".") {
            d.file = book_dir.join(&d.file).display().to_string();
        }
        d
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
            if self.column > 0 {
                write!(f, ":{}", self.column)?;
            }
        }
        write!(f, ": {level}: {}", self.message)
    }
}

/// Line and column (1-based, in characters) of a byte offset in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_a_compiler() {
        let d = Diagnostic::error("src/ch1.md", 14, "image 'img/map.png' not found").at_column(3);
        assert_eq!(
            d.to_string(),
            "src/ch1.md:14:3: error: image 'img/map.png' not found"
        );
        assert_eq!(
            Diagnostic::warning("book.toml", 0, "x").to_string(),
            "book.toml: warning: x"
        );
    }

    #[test]
    fn paths_are_named_from_where_the_command_runs() {
        let d = Diagnostic::error("src/01.md", 14, "x").at_column(3);
        assert_eq!(
            d.from_folder(std::path::Path::new("books/x")).to_string(),
            "books/x/src/01.md:14:3: error: x"
        );
        assert_eq!(
            d.from_folder(std::path::Path::new(".")).to_string(),
            "src/01.md:14:3: error: x"
        );
    }

    #[test]
    fn line_col_counts_characters() {
        let t = "аб\nвгд\nе";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, "аб\nвг".len()), (2, 3));
    }
}
