//! Images for weak connections: decoded with limits, EXIF orientation applied, resized, re-encoded
//! without metadata; SVG sanitised. File types are told by their bytes, not their names.

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// Larger images are refused before any pixel is decoded (decompression bombs).
pub const MAX_DIMENSION: u32 = 8192;
pub const MAX_ALLOC: u64 = 256 * 1024 * 1024;
/// Widest image a page shows; larger ones are scaled down.
pub const DEFAULT_MAX_WIDTH: u32 = 1200;
pub const THUMBNAIL_WIDTH: u32 = 320;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Png,
    Jpeg,
    Gif,
    Webp,
    Svg,
}

/// Identifies an image by its first bytes.
pub fn sniff(bytes: &[u8]) -> Option<Kind> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Kind::Png)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Kind::Jpeg)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(Kind::Gif)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(Kind::Webp)
    } else {
        let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).to_ascii_lowercase();
        let head = head.trim_start_matches('\u{feff}').trim_start();
        if head.starts_with("<svg")
            || (head.starts_with("<?xml") || head.starts_with("<!--")) && head.contains("<svg")
        {
            Some(Kind::Svg)
        } else {
            None
        }
    }
}

#[derive(Debug, Clone)]
pub struct ProcessedImage {
    pub bytes: Vec<u8>,
    pub media_type: &'static str,
    pub extension: &'static str,
    pub width: u32,
    pub height: u32,
    /// Things removed from an SVG, for warnings.
    pub removed: Vec<String>,
}

/// Prepares one image for the outputs. `name` is used in messages only.
pub fn process(bytes: &[u8], max_width: u32) -> Result<ProcessedImage, String> {
    match sniff(bytes) {
        None => Err(
            "is not a PNG, JPEG, GIF, WebP or SVG image (checked by its content, not its name)"
                .to_string(),
        ),
        Some(Kind::Svg) => {
            let clean = crate::svg::sanitize(bytes)?;
            Ok(ProcessedImage {
                width: clean.width.map(|w| w as u32).unwrap_or(0),
                height: clean.height.map(|h| h as u32).unwrap_or(0),
                bytes: clean.svg.into_bytes(),
                media_type: "image/svg+xml",
                extension: "svg",
                removed: clean.removed,
            })
        }
        Some(kind) => {
            let img = decode(bytes, kind)?;
            let img = if img.width() > max_width {
                let h = ((img.height() as u64 * max_width as u64) / img.width().max(1) as u64)
                    .max(1) as u32;
                img.resize_exact(max_width, h, image::imageops::FilterType::Triangle)
            } else {
                img
            };
            encode(img, kind == Kind::Jpeg)
        }
    }
}

/// A small version for lists and catalog pages (raster only; SVG scales by itself).
pub fn thumbnail(bytes: &[u8], width: u32) -> Result<ProcessedImage, String> {
    match sniff(bytes) {
        Some(Kind::Svg) | None => process(bytes, width),
        Some(kind) => {
            let img = decode(bytes, kind)?;
            let img = if img.width() > width {
                img.thumbnail(width, u32::MAX)
            } else {
                img
            };
            encode(img, kind == Kind::Jpeg)
        }
    }
}

fn decode(bytes: &[u8], kind: Kind) -> Result<DynamicImage, String> {
    let format = match kind {
        Kind::Png => ImageFormat::Png,
        Kind::Jpeg => ImageFormat::Jpeg,
        Kind::Gif => ImageFormat::Gif,
        Kind::Webp => ImageFormat::WebP,
        Kind::Svg => unreachable!("SVG is not decoded"),
    };
    // Dimensions first, from the header alone, so a bomb is named for what it is.
    if let Some((w, h)) = header_dimensions(bytes, kind)
        && (w > MAX_DIMENSION || h > MAX_DIMENSION)
    {
        return Err(format!(
            "is {w} × {h} pixels; at most {MAX_DIMENSION} × {MAX_DIMENSION} are accepted"
        ));
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_ALLOC);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(describe)?;
    let (w, h) = decoder.dimensions();
    if w == 0 || h == 0 {
        return Err("has no pixels (0 × 0)".to_string());
    }
    if w > MAX_DIMENSION || h > MAX_DIMENSION {
        return Err(format!(
            "is {w} × {h} pixels; at most {MAX_DIMENSION} × {MAX_DIMENSION} are accepted"
        ));
    }
    let orientation = decoder.orientation().ok();
    let mut img = DynamicImage::from_decoder(decoder).map_err(describe)?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    Ok(img)
}

/// Width and height as the file's header declares them (PNG and GIF; others are left to the decoder's limits).
fn header_dimensions(bytes: &[u8], kind: Kind) -> Option<(u32, u32)> {
    let be = |i: usize| {
        bytes
            .get(i..i + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    let le16 = |i: usize| {
        bytes
            .get(i..i + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]) as u32)
    };
    match kind {
        Kind::Png => Some((be(16)?, be(20)?)),
        Kind::Gif => Some((le16(6)?, le16(8)?)),
        _ => None,
    }
}

fn encode(img: DynamicImage, photo: bool) -> Result<ProcessedImage, String> {
    let (width, height) = (img.width(), img.height());
    let mut out = Vec::new();
    let (media_type, extension) = if photo && !img.color().has_alpha() {
        let rgb = img.to_rgb8();
        let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80);
        rgb.write_with_encoder(enc).map_err(describe)?;
        ("image/jpeg", "jpg")
    } else {
        let img = match img {
            DynamicImage::ImageRgba16(_) | DynamicImage::ImageRgba32F(_) => {
                DynamicImage::ImageRgba8(img.to_rgba8())
            }
            DynamicImage::ImageRgb16(_) | DynamicImage::ImageRgb32F(_) => {
                DynamicImage::ImageRgb8(img.to_rgb8())
            }
            DynamicImage::ImageLuma16(_) => DynamicImage::ImageLuma8(img.to_luma8()),
            DynamicImage::ImageLumaA16(_) => DynamicImage::ImageLumaA8(img.to_luma_alpha8()),
            other => other,
        };
        let enc = image::codecs::png::PngEncoder::new_with_quality(
            &mut out,
            image::codecs::png::CompressionType::Default,
            image::codecs::png::FilterType::Adaptive,
        );
        img.write_with_encoder(enc).map_err(describe)?;
        ("image/png", "png")
    };
    Ok(ProcessedImage {
        bytes: out,
        media_type,
        extension,
        width,
        height,
        removed: Vec::new(),
    })
}

fn describe(e: image::ImageError) -> String {
    match e {
        image::ImageError::Limits(l) => format!("is too large to decode safely ({l})"),
        image::ImageError::Decoding(d) => format!("cannot be decoded (truncated or damaged?): {d}"),
        image::ImageError::Unsupported(u) => format!("uses an unsupported feature: {u}"),
        other => format!("cannot be processed: {other}"),
    }
}
