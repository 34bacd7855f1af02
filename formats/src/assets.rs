//! The images a book's outputs carry: processed once, named safely, shared by the EPUB and the reader.

use crate::book::CompiledBook;
use crate::cover;
use crate::images::{self, DEFAULT_MAX_WIDTH, Kind, ProcessedImage, Treatment};
use crate::labels::{Label, label};
use crate::markdown::{MISSING_ASSET, PLACEHOLDER_ASSET};
use corpus::{Diagnostic, slug};
use sha2::{Digest, Sha256};
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
    /// What was done to the book's images, this build.
    pub stats: ImageStats,
}

/// How the book's images were prepared: each source image is counted once, by what happened to it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImageStats {
    /// Checked and copied byte for byte (already clean and compact).
    pub copied: usize,
    /// Metadata removed, pixel data kept as it was.
    pub stripped: usize,
    /// Decoded and encoded again (scaled, rotated, or smaller that way).
    pub reencoded: usize,
    /// SVG re-serialised by the sanitiser.
    pub sanitized: usize,
    /// Taken from the cache of an earlier build: none of the above work was redone.
    pub from_cache: usize,
}

/// Processed raster images kept between builds, by content hash. The caller does the I/O (this
/// crate stays pure); entries are checked here, so a damaged or planted entry is never used.
pub trait ImageCache: Sync {
    /// The entry stored under `key`, if any.
    fn load(&self, key: &str) -> Option<Vec<u8>>;
    /// Keeps `entry` under `key`; failures are the cache's own business (the build goes on).
    fn store(&self, key: &str, entry: &[u8]);
}

/// No cache: every image is processed.
pub struct NoCache;

impl ImageCache for NoCache {
    fn load(&self, _: &str) -> Option<Vec<u8>> {
        None
    }
    fn store(&self, _: &str, _: &[u8]) {}
}

const CACHE_MAGIC: &[u8] = b"kitep processed image\n";

/// The cache key of one processing step: SHA-256 of the processing version, the step and its
/// parameter, and the source bytes, as 64 hex digits (also a safe file name).
pub fn cache_key(step: &str, param: u32, source: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(CACHE_MAGIC);
    h.update(images::PROCESSING_VERSION.to_be_bytes());
    h.update(step.as_bytes());
    h.update([0]);
    h.update(param.to_be_bytes());
    h.update(source);
    hex(&h.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn kind_code(media_type: &str) -> Option<(u8, Kind)> {
    match media_type {
        "image/png" => Some((1, Kind::Png)),
        "image/jpeg" => Some((2, Kind::Jpeg)),
        _ => None,
    }
}

/// A cache entry: magic, key, kind, treatment, width, height, SHA-256 of the image, the image.
pub fn cache_entry(key: &str, p: &ProcessedImage) -> Option<Vec<u8>> {
    let (code, _) = kind_code(p.media_type)?;
    let mut v = Vec::with_capacity(p.bytes.len() + 140);
    v.extend_from_slice(CACHE_MAGIC);
    v.extend_from_slice(key.as_bytes());
    v.push(code);
    v.push(p.treatment.code());
    v.extend_from_slice(&p.width.to_be_bytes());
    v.extend_from_slice(&p.height.to_be_bytes());
    v.extend_from_slice(&Sha256::digest(&p.bytes));
    v.extend_from_slice(&p.bytes);
    Some(v)
}

/// The image of a cache entry, only when every check holds: the entry is for this key, its image
/// hashes to the recorded hash, and its bytes are the kind of image the entry says.
pub fn from_cache_entry(key: &str, entry: &[u8]) -> Option<ProcessedImage> {
    let rest = entry.strip_prefix(CACHE_MAGIC)?;
    let rest = rest.strip_prefix(key.as_bytes())?;
    let (&[code, treatment], rest) = rest.split_first_chunk::<2>()?;
    let (w, rest) = rest.split_first_chunk::<4>()?;
    let (h, rest) = rest.split_first_chunk::<4>()?;
    let (hash, bytes) = rest.split_first_chunk::<32>()?;
    if Sha256::digest(bytes).as_slice() != hash {
        return None;
    }
    let kind = match code {
        1 => Kind::Png,
        2 => Kind::Jpeg,
        _ => return None,
    };
    if images::sniff(bytes) != Some(kind) {
        return None;
    }
    let (media_type, extension) = images::media_type_of(kind);
    let (width, height) = (u32::from_be_bytes(*w), u32::from_be_bytes(*h));
    if width == 0 || height == 0 || width > images::MAX_DIMENSION || height > images::MAX_DIMENSION
    {
        return None;
    }
    Some(ProcessedImage {
        bytes: bytes.to_vec(),
        media_type,
        extension,
        width,
        height,
        removed: Vec::new(),
        treatment: Treatment::from_code(treatment)?,
    })
}

/// One processing step through the cache. SVG is never cached: sanitising is cheap, and an SVG
/// taken from a cache could carry script that the sanitiser would have removed.
/// Returns the image and whether it came from the cache.
fn cached(
    cache: &dyn ImageCache,
    step: &str,
    param: u32,
    source: &[u8],
    run: impl FnOnce() -> Result<ProcessedImage, String>,
) -> Result<(ProcessedImage, bool), String> {
    if images::sniff(source) == Some(Kind::Svg) {
        return run().map(|p| (p, false));
    }
    let key = cache_key(step, param, source);
    if let Some(p) = cache.load(&key).and_then(|e| from_cache_entry(&key, &e)) {
        return Ok((p, true));
    }
    let p = run()?;
    if let Some(entry) = cache_entry(&key, &p) {
        cache.store(&key, &entry);
    }
    Ok((p, false))
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
    prepare_cached(book, read, max_width, &NoCache)
}

/// [`prepare`], taking processed images from `cache` when it has them and adding those it has not.
pub fn prepare_cached(
    book: &CompiledBook,
    read: &(dyn Fn(&str) -> Result<Vec<u8>, String> + Sync),
    max_width: Option<u32>,
    cache: &dyn ImageCache,
) -> (AssetSet, Vec<Diagnostic>) {
    let max_width = max_width.unwrap_or(DEFAULT_MAX_WIDTH);
    let mut set = AssetSet::default();
    let mut used = HashSet::new();
    let mut diags = Vec::new();
    let need_placeholder = book.uses_placeholder;
    let mut need_missing = book.uses_missing;
    let is_cover = |source: &String| book.cover.as_deref() == Some(source.as_str());
    // Images are independent: each core takes the next one, holding one source and its pixels at
    // a time; results are added in order.
    let processed = crate::par::map(&book.assets, |source| {
        read(source).and_then(|bytes| {
            let (p, from_cache) = cached(cache, "process", max_width, &bytes, || {
                images::process(&bytes, max_width)
            })?;
            let thumb = if is_cover(source) {
                let w = images::THUMBNAIL_WIDTH;
                cached(cache, "thumbnail", w, &bytes, || {
                    images::thumbnail(&bytes, w)
                })
                .ok()
                .map(|(t, _)| t)
            } else {
                None
            };
            Ok((p, thumb, from_cache))
        })
    });
    for (source, processed) in book.assets.iter().zip(processed) {
        match processed {
            Ok((p, thumb, from_cache)) => {
                let stats = &mut set.stats;
                match p.treatment {
                    _ if from_cache => stats.from_cache += 1,
                    Treatment::Copied => stats.copied += 1,
                    Treatment::Stripped => stats.stripped += 1,
                    Treatment::Reencoded => stats.reencoded += 1,
                    Treatment::Sanitized => stats.sanitized += 1,
                }
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
