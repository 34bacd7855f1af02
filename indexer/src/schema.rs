//! The index schema: one document per passage (plus one per book and per glossary term), with one
//! analyzed field per language family and stored fields for results.

use crate::analyzers::FieldKind;
use std::collections::HashMap;
use tantivy::schema::{
    FAST, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema,
    TextFieldIndexing, TextOptions,
};

/// Bumped whenever fields or analyzers change; an index with another version is rebuilt.
pub const SCHEMA_VERSION: u32 = 14;

#[derive(Clone, Debug)]
pub struct Fields {
    /// `passage`, `book` or `glossary`.
    pub kind: Field,
    pub book: Field,
    pub work: Field,
    pub lang: Field,
    pub chapter: Field,
    pub chapter_index: Field,
    pub chapter_title: Field,
    pub anchor: Field,
    pub heading: Field,
    /// The original text, for snippets.
    pub text: Field,
    /// JSON: book metadata on book documents, the entry on glossary documents.
    pub meta: Field,
    pub facets: Field,
    pub year: Field,
    pub title_key: Field,
    pub analyzed: HashMap<FieldKind, Field>,
}

impl Fields {
    pub fn analyzed(&self, kind: FieldKind) -> Field {
        self.analyzed[&kind]
    }
}

pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    // Fast fields: results are grouped by book without loading stored documents.
    let kind = b.add_text_field("kind", STRING | STORED | FAST);
    let book = b.add_text_field("book", STRING | STORED | FAST);
    let work = b.add_text_field("work", STRING | STORED);
    let lang = b.add_text_field("lang", STRING | STORED);
    let chapter = b.add_text_field("chapter", STORED);
    let chapter_index = b.add_u64_field("chapter_index", STORED);
    let chapter_title = b.add_text_field("chapter_title", STORED);
    let anchor = b.add_text_field("anchor", STORED);
    let heading = b.add_text_field("heading", STORED);
    let text = b.add_text_field("text", STORED);
    let meta = b.add_text_field("meta", STORED);
    let facets = b.add_facet_field("facets", FacetOptions::default());
    let year = b.add_u64_field("year", INDEXED | FAST | STORED);
    let title_key = b.add_text_field("title_key", STRING | FAST);
    let mut analyzed = HashMap::new();
    for k in FieldKind::ALL {
        // Positions only where phrases are matched (the stemmed fields, and the loose Kyrgyz
        // and folded fields for phrases typed without the languages' letters): less to write
        // and read.
        let record = if matches!(
            k,
            FieldKind::KyStem
                | FieldKind::KyLoose
                | FieldKind::KkFold
                | FieldKind::UzFold
                | FieldKind::TgFold
                | FieldKind::RuStem
                | FieldKind::EnStem
                | FieldKind::KkStem
                | FieldKind::UzStem
                | FieldKind::TgStem
                | FieldKind::Other
        ) {
            IndexRecordOption::WithFreqsAndPositions
        } else {
            IndexRecordOption::WithFreqs
        };
        let options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(k.name())
                .set_index_option(record),
        );
        analyzed.insert(k, b.add_text_field(k.name(), options));
    }
    let fields = Fields {
        kind,
        book,
        work,
        lang,
        chapter,
        chapter_index,
        chapter_title,
        anchor,
        heading,
        text,
        meta,
        facets,
        year,
        title_key,
        analyzed,
    };
    (b.build(), fields)
}
