//! The library's holdings: the domain model, the book-project format on disk and the sample books.

pub mod config;
pub mod diagnostic;
pub mod include;
pub mod language;
pub mod model;
pub mod project;
pub mod slug;
pub mod source;
pub mod summary;

pub use config::BookConfig;
pub use diagnostic::{Diagnostic, Severity};
pub use model::{ContributorRole, Material};
pub use project::{BookProject, ChapterSource, TocEntry, TocKind};

/// Errors that stop a book from loading at all.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("{0}")]
    Invalid(Diagnostic),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn io(path: &std::path::Path, err: std::io::Error) -> Self {
        let message = match err.kind() {
            std::io::ErrorKind::NotFound => "not found".to_string(),
            _ => err.to_string(),
        };
        Error::Io {
            path: path.display().to_string(),
            message,
        }
    }
}

/// The folder holding the sample library shipped with Kitepkana.
pub fn sample_books_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("books")
}
