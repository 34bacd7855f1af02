//! The images a book's outputs carry: processed once, named safely, shared by the EPUB and the reader.

use crate::book::CompiledBook;
use crate::cover;
use crate::images::{self, DEFAULT_MAX_WIDTH};
use crate::labels::{Label, label};
use crate::markdown::{MISSING_ASSET, PLACEHOLDER_ASSET};
use corpus::{Diagnostic, slug};
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone)]
pub struct OutAsset {
    /// Book-relative source path, or `kitep:…` for generated images.
    pub source: String,
    /// Path inside the output (`images/number-line.svg`).
    pub path: String,
    pub media_type: &'static str,
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Clone, Default)]
pub struct AssetSet {
    pub items: Vec<OutAsset>,
    by_source: HashMap<String, usize>,
    /// Index of the cover image in `items`.
    pub cover: usize,
    /// A small cover for lists (PNG/JPEG thumbnail, or the SVG itself).
    pub cover_thumbnail: Option<OutAsset>,
}

pub const GENERATED_COVER: &str = "kitep:cover.svg";

impl AssetSet {
    /// Output path of a source path; unknown sources get the "missing" placeholder.
    pub fn path_of(&self, source: &str) -> &str {
        self.by_source
            .get(source)
            .or_else(|| self.by_source.get(MISSING_ASSET))
            .or_else(|| self.by_source.get(PLACEHOLDER_ASSET))
            .map(|i| self.items[*i].path.as_str())
            .unwrap_or("images/kitep-missing.svg")
    }

    pub fn cover(&self) -> &OutAsset {
        &self.items[self.cover]
    }

    pub fn total_bytes(&self) -> usize {
        self.items.iter().map(|a| a.bytes.len()).sum()
    }

    fn add(&mut self, mut asset: OutAsset, used: &mut HashSet<String>) -> usize {
        let (stem, ext) = asset
            .path
            .rsplit_once('.')
            .map(|(s, e)| (s.to_string(), e.to_string()))
            .unwrap_or((asset.path.clone(), String::new()));
        let mut n = 1;
        while !used.insert(asset.path.clone()) {
            n += 1;
            asset.path = format!("{stem}-{n}.{ext}");
        }
        let i = self.items.len();
        self.by_source.insert(asset.source.clone(), i);
        self.items.push(asset);
        i
    }
}

/// Reads and processes every image of the book. A bad image is reported and replaced by the
/// placeholder, so one broken file never stops a build.
pub fn prepare(
    book: &CompiledBook,
    read: &(dyn Fn(&str) -> Result<Vec<u8>, String> + Sync),
    max_width: Option<u32>,
) -> (AssetSet, Vec<Diagnostic>) {
    let max_width = max_width.unwrap_or(DEFAULT_MAX_WIDTH);
    let mut set = AssetSet::default();
    let mut used = HashSet::new();
    let mut diags = Vec::new();
    let need_placeholder = book.uses_placeholder;
    let mut need_missing = book.uses_missing;
    let is_cover = |source: &String| book.cover.as_deref() == Some(source.as_str());
    // Images are independent: decode and re-encode them in parallel, then add them in order.
    let processed = crate::par::map(&book.assets, |source| {
        read(source).and_then(|bytes| {
            let p = images::process(&bytes, max_width)?;
            let thumb = if is_cover(source) {
                images::thumbnail(&bytes, images::THUMBNAIL_WIDTH).ok()
            } else {
                None
            };
            Ok((p, thumb))
        })
    });
    for (source, processed) in book.assets.iter().zip(processed) {
        match processed {
            Ok((p, thumb)) => {
                // The sanitiser words each note and counts repeats: one warning per kind.
                for r in &p.removed {
                    diags.push(Diagnostic::warning(source, 0, r.clone()));
                }
                let stem = source.rsplit('/').next().unwrap_or(source);
                let stem = stem.rsplit_once('.').map(|(s, _)| s).unwrap_or(stem);
                let path = format!("images/{}.{}", slug::slugify(stem), p.extension);
                let i = set.add(
                    OutAsset {
                        source: source.clone(),
                        path,
                        media_type: p.media_type,
                        bytes: p.bytes,
                        width: p.width,
                        height: p.height,
                    },
                    &mut used,
                );
                if is_cover(source) {
                    set.cover = i;
                    if let Some(t) = thumb {
                        set.cover_thumbnail = Some(OutAsset {
                            source: source.clone(),
                            path: format!("images/cover-thumbnail.{}", t.extension),
                            media_type: t.media_type,
                            bytes: t.bytes,
                            width: t.width,
                            height: t.height,
                        });
                    }
                }
            }
            Err(msg) => {
                diags.push(Diagnostic::error(
                    source,
                    0,
                    format!("image {msg}; a placeholder is shown instead"),
                ));
                need_missing = true;
                set.by_source.insert(source.clone(), usize::MAX);
            }
        }
    }
    if need_missing {
        let svg = cover::placeholder(label(&book.lang, Label::ImageMissing));
        set.add(
            OutAsset {
                source: MISSING_ASSET.into(),
                path: "images/kitep-missing.svg".into(),
                media_type: "image/svg+xml",
                bytes: svg.into_bytes(),
                width: 480,
                height: 120,
            },
            &mut used,
        );
    }
    if need_placeholder {
        let svg = cover::placeholder(label(&book.lang, Label::ImageUnavailable));
        set.add(
            OutAsset {
                source: PLACEHOLDER_ASSET.into(),
                path: "images/kitep-placeholder.svg".into(),
                media_type: "image/svg+xml",
                bytes: svg.into_bytes(),
                width: 480,
                height: 120,
            },
            &mut used,
        );
    }
    // Images that failed point at the "missing" placeholder.
    let missing = set.by_source.get(MISSING_ASSET).copied();
    for v in set.by_source.values_mut() {
        if *v == usize::MAX {
            *v = missing.unwrap_or(0);
        }
    }
    let has_cover = book
        .cover
        .as_ref()
        .is_some_and(|c| set.items.iter().any(|a| &a.source == c));
    if !has_cover {
        let subtitle = book.config.subtitle.as_deref();
        let svg = cover::generated_cover(
            &book.title,
            subtitle,
            &book.config.authors,
            &book.lang,
            &book.slug,
        );
        let i = set.add(
            OutAsset {
                source: GENERATED_COVER.into(),
                path: "images/kitep-cover.svg".into(),
                media_type: "image/svg+xml",
                bytes: svg.into_bytes(),
                width: 600,
                height: 900,
            },
            &mut used,
        );
        set.cover = i;
    }
    if set.cover_thumbnail.is_none() {
        let c = set.cover().clone();
        set.cover_thumbnail = Some(c);
    }
    (set, diags)
}
