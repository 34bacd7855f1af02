//! Search for the region's languages on tantivy: analyzers (our own Kyrgyz stemmer, folding,
//! transliteration), language identification, the library index, queries, snippets, evaluations.

pub mod analysis;
pub mod analyzers;
pub mod eval;
pub mod langid;
pub mod library;
pub mod query;
pub mod schema;
pub mod search;
pub mod static_index;
pub mod vocabulary;

pub use library::{BuiltBook, Library};
pub use search::{SearchRequest, SearchResults, Sort, search};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Input(String),
    #[error(
        "the index is being written by another process (one writer at a time); try again when it is done"
    )]
    Locked,
    #[error("index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("index read error: {0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T> = std::result::Result<T, Error>;

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Input(e.to_string())
    }
}
