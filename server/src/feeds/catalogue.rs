//! The whole catalogue as one JSON document, for national education information systems
//! (`kitep export catalogue`; fields in docs/catalogue-json.md): works with their language
//! editions, each with its curriculum metadata (grades, subject, keywords), contributors,
//! licence, size, collections and links.

use crate::library::licence_url;
use crate::library::state::{Book, Snapshot};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The format's version: a reader refuses versions it does not know.
pub const FORMAT: u32 = 1;

fn edition(b: &Book, snapshot: &Snapshot, base: &str) -> Value {
    let r = &b.record;
    let contributors: Vec<Value> = r
        .contributors
        .iter()
        .filter_map(|c| {
            Some(json!({
                "name": c.get("name")?.as_str()?,
                "role": c.get("role").and_then(|v| v.as_str()).unwrap_or("author"),
            }))
        })
        .collect();
    let collections: Vec<&str> = snapshot
        .collections_of(&b.slug)
        .into_iter()
        .map(|c| c.slug.as_str())
        .collect();
    json!({
        "slug": b.slug,
        "language": r.language,
        "title": r.title,
        "subtitle": r.subtitle,
        "edition": r.edition,
        "version": b.version,
        "published": authoring::pipeline::format_utc(b.published_at.max(0) as u64),
        "isbn": b.manifest.isbn,
        "contributors": contributors,
        "publisher": r.publisher,
        "year": r.year,
        "licence": r.license,
        "licence_url": r.license.as_deref().and_then(licence_url),
        "material": r.material,
        "curriculum": {
            "grades": r.grades,
            "subject": r.subject,
            "keywords": r.keywords,
        },
        "description": r.description,
        "chapters": b.manifest.chapters.iter().map(|c| json!({"name": c.name, "title": c.title})).collect::<Vec<_>>(),
        "words": b.manifest.words,
        "collections": collections,
        "links": {
            "page": format!("{base}/books/{}", b.slug),
            "epub": b.epub_file.as_ref().map(|_| format!("{base}/books/{}/download", b.slug)),
            "opds": format!("{base}/opds/v2/publications/{}", b.slug),
        },
    })
}

/// The document for `books` (works in the order of their first edition).
pub fn document(snapshot: &Snapshot, books: &[Arc<Book>], public_url: &str) -> Value {
    let base = public_url.trim_end_matches('/');
    let mut order: Vec<String> = Vec::new();
    let mut works: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for b in books {
        let w = b.work().to_string();
        if !works.contains_key(&w) {
            order.push(w.clone());
        }
        works.entry(w).or_default().push(edition(b, snapshot, base));
    }
    let wanted: std::collections::HashSet<&str> = books.iter().map(|b| b.slug.as_str()).collect();
    let collections: Vec<Value> = snapshot
        .collections
        .iter()
        .map(|c| {
            json!({
                "slug": c.slug,
                "titles": c.titles,
                "descriptions": c.descriptions,
                "books": c.books.iter().filter(|s| wanted.contains(s.as_str())).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "kitepkana_catalogue": FORMAT,
        "generated": authoring::pipeline::format_utc(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
        ),
        "portal": base,
        "works": order
            .iter()
            .map(|w| json!({"id": w, "editions": works.remove(w).unwrap_or_default()}))
            .collect::<Vec<_>>(),
        "collections": collections,
    })
}
