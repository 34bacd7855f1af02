//! Images for weak connections: decoded with limits, EXIF orientation applied, resized, stripped of
//! metadata, re-encoded only where that makes them smaller; SVG sanitised. File types are told by
//! their bytes, not their names. Nothing here makes an image larger than its source.

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use std::borrow::Cow;
use std::io::Cursor;

/// Changes whenever [`process`] or [`thumbnail`] would give other bytes for the same input, so
/// results cached under an older version are never used.
pub const PROCESSING_VERSION: u32 = 2;

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
    pub treatment: Treatment,
}

/// What was done to an image: for the build report and the tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Treatment {
    /// Checked (decoded in full, no metadata, within limits) and copied byte for byte.
    Copied,
    /// Metadata chunks or segments removed; the pixel data is the source's own bytes.
    Stripped,
    /// Decoded and encoded again (scaled, rotated, or smaller that way).
    Reencoded,
    /// An SVG re-serialised by the sanitiser.
    Sanitized,
}

impl Treatment {
    pub fn code(self) -> u8 {
        match self {
            Treatment::Copied => 1,
            Treatment::Stripped => 2,
            Treatment::Reencoded => 3,
            Treatment::Sanitized => 4,
        }
    }

    pub fn from_code(code: u8) -> Option<Treatment> {
        Some(match code {
            1 => Treatment::Copied,
            2 => Treatment::Stripped,
            3 => Treatment::Reencoded,
            4 => Treatment::Sanitized,
            _ => return None,
        })
    }
}

/// The media type and file extension an output of this kind gets (raster outputs are PNG or JPEG).
pub fn media_type_of(kind: Kind) -> (&'static str, &'static str) {
    match kind {
        Kind::Png => ("image/png", "png"),
        Kind::Jpeg => ("image/jpeg", "jpg"),
        Kind::Gif => ("image/gif", "gif"),
        Kind::Webp => ("image/webp", "webp"),
        Kind::Svg => ("image/svg+xml", "svg"),
    }
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
                treatment: Treatment::Sanitized,
            })
        }
        Some(Kind::Png) => process_png(bytes, max_width),
        Some(Kind::Jpeg) => process_jpeg(bytes, max_width),
        Some(kind) => {
            let img = decode(bytes, kind)?;
            encode(scale_to(img, max_width), false)
        }
    }
}

fn scale_to(img: DynamicImage, max_width: u32) -> DynamicImage {
    if img.width() <= max_width {
        return img;
    }
    let (w, h) = (img.width(), img.height());
    let nh = ((h as u64 * max_width as u64) / w.max(1) as u64).max(1) as u32;
    let shrunk = |raw: &[u8], channels: usize| shrink(raw, w, h, channels, max_width, nh);
    match img {
        DynamicImage::ImageLuma8(b) => DynamicImage::ImageLuma8(
            image::ImageBuffer::from_raw(max_width, nh, shrunk(b.as_raw(), 1))
                .expect("shrink gives width × height pixels"),
        ),
        DynamicImage::ImageLumaA8(b) => DynamicImage::ImageLumaA8(
            image::ImageBuffer::from_raw(max_width, nh, shrunk(b.as_raw(), 2))
                .expect("shrink gives width × height pixels"),
        ),
        DynamicImage::ImageRgb8(b) => DynamicImage::ImageRgb8(
            image::ImageBuffer::from_raw(max_width, nh, shrunk(b.as_raw(), 3))
                .expect("shrink gives width × height pixels"),
        ),
        other if !other.color().has_alpha() => DynamicImage::ImageRgb8(
            image::ImageBuffer::from_raw(max_width, nh, shrunk(other.to_rgb8().as_raw(), 3))
                .expect("shrink gives width × height pixels"),
        ),
        other => DynamicImage::ImageRgba8(
            image::ImageBuffer::from_raw(max_width, nh, shrunk(other.to_rgba8().as_raw(), 4))
                .expect("shrink gives width × height pixels"),
        ),
    }
}

/// Shrinks interleaved 8-bit pixels from `w` × `h` to `nw` × `nh` (not larger) by area averaging:
/// each new pixel is the mean of the source area it covers, edges weighted by their overlap. Two
/// passes in integers, several times faster than the general resampling filters.
fn shrink(src: &[u8], w: u32, h: u32, channels: usize, nw: u32, nh: u32) -> Vec<u8> {
    let dims = (w as usize, h as usize, nw as usize, nh as usize);
    match channels {
        1 => shrink_n::<1>(src, dims),
        2 => shrink_n::<2>(src, dims),
        3 => shrink_n::<3>(src, dims),
        _ => shrink_n::<4>(src, dims),
    }
}

fn shrink_n<const C: usize>(src: &[u8], (w, h, nw, nh): (usize, usize, usize, usize)) -> Vec<u8> {
    let xs = area_weights(w, nw);
    let ys = area_weights(h, nh);
    // Vertical pass first, whole rows at a time (the compiler vectorises it), into 16-bit fixed
    // point with 8 fractional bits; weights sum to 1 << 14, so there is no division anywhere.
    let row_in = w * C;
    let mut tmp = vec![0u16; nh * row_in];
    let mut acc = vec![0u32; row_in];
    for (y, (first, weights)) in ys.iter().enumerate() {
        acc.iter_mut().for_each(|a| *a = 0);
        for (k, wt) in weights.iter().enumerate() {
            let row = &src[(first + k) * row_in..(first + k + 1) * row_in];
            for (a, v) in acc.iter_mut().zip(row) {
                *a += *v as u32 * wt;
            }
        }
        for (t, a) in tmp[y * row_in..(y + 1) * row_in].iter_mut().zip(&acc) {
            *t = ((*a + 32) >> 6) as u16;
        }
    }
    // Horizontal pass, pixel by pixel.
    let mut out = vec![0u8; nh * nw * C];
    for (row, out_row) in tmp.chunks_exact(row_in).zip(out.chunks_exact_mut(nw * C)) {
        for ((first, weights), px) in xs.iter().zip(out_row.chunks_exact_mut(C)) {
            let mut sum = [0u32; C];
            let span = &row[first * C..(first + weights.len()) * C];
            for (p, wt) in span.chunks_exact(C).zip(weights) {
                for c in 0..C {
                    sum[c] += p[c] as u32 * wt;
                }
            }
            for c in 0..C {
                px[c] = ((sum[c] + (1 << 21)) >> 22).min(255) as u8;
            }
        }
    }
    out
}

/// For each of `m` new pixels over `n` old ones (m ≤ n): the first old pixel it covers and its
/// overlap with each, as fractions of 1 << 14 that sum to exactly 1 << 14.
fn area_weights(n: usize, m: usize) -> Vec<(usize, Vec<u32>)> {
    const ONE: usize = 1 << 14;
    (0..m)
        .map(|i| {
            // In units of 1/m old pixel, new pixel i covers [i·n, (i+1)·n).
            let (a, b) = (i * n, (i + 1) * n);
            let (first, last) = (a / m, (b - 1) / m);
            let mut weights: Vec<u32> = (first..=last)
                .map(|s| ((b.min((s + 1) * m) - a.max(s * m)) * ONE / n) as u32)
                .collect();
            let short = ONE as u32 - weights.iter().sum::<u32>();
            if let Some(max) = weights.iter_mut().max() {
                *max += short;
            }
            (first, weights)
        })
        .collect()
}

/// The smaller of a re-encoded image and the source without its metadata (the source wins ties:
/// its pixels are the author's own).
fn smaller(encoded: ProcessedImage, source: Cow<'_, [u8]>, kind: Kind) -> ProcessedImage {
    if encoded.bytes.len() < source.len() {
        return encoded;
    }
    let (media_type, extension) = media_type_of(kind);
    let treatment = match source {
        Cow::Borrowed(_) => Treatment::Copied,
        Cow::Owned(_) => Treatment::Stripped,
    };
    ProcessedImage {
        bytes: source.into_owned(),
        media_type,
        extension,
        treatment,
        ..encoded
    }
}

/// Chunks a PNG needs to show its pixels; every other chunk is metadata (text, EXIF, time,
/// colour profiles, physical size) or animation, and is left out of the outputs.
const PNG_KEPT_CHUNKS: [&[u8; 4]; 5] = [b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"];

/// The PNG's header and its bytes without metadata chunks (borrowed when there were none).
struct PngLayout<'a> {
    width: u32,
    height: u32,
    bit_depth: u8,
    channels: u8,
    interlaced: bool,
    /// The compression level the encoder wrote into the zlib header of the pixel data (0 fastest,
    /// 1 fast, 2 default, 3 best).
    zlib_level: u8,
    stripped: Cow<'a, [u8]>,
}

impl PngLayout<'_> {
    /// The size of the pixels uncompressed, at the file's own colour type and bit depth.
    fn raw_bytes(&self) -> usize {
        let bits = self.bit_depth as usize * self.channels as usize;
        (self.width as usize * bits).div_ceil(8).saturating_add(1) * self.height as usize
    }
}

fn png_layout(bytes: &[u8]) -> Result<PngLayout<'_>, String> {
    let cut =
        || "cannot be decoded (truncated or damaged?): a PNG chunk runs past the end".to_string();
    let mut pos = 8;
    let mut kept: Vec<(usize, usize)> = Vec::new();
    let mut header = None;
    let mut zlib_level = None;
    let mut ended = false;
    while !ended {
        let len = bytes
            .get(pos..pos + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .ok_or_else(cut)?;
        let end = pos
            .checked_add(12)
            .and_then(|e| e.checked_add(len))
            .filter(|e| *e <= bytes.len())
            .ok_or_else(cut)?;
        let kind = &bytes[pos + 4..pos + 8];
        let kept_chunk = PNG_KEPT_CHUNKS.iter().any(|k| k.as_slice() == kind);
        // Every chunk that reaches the outputs is checked against its CRC: a flipped byte anywhere
        // in the pixels is found without decoding them.
        if kept_chunk {
            let crc = u32::from_be_bytes([
                bytes[end - 4],
                bytes[end - 3],
                bytes[end - 2],
                bytes[end - 1],
            ]);
            if crc32fast::hash(&bytes[pos + 4..end - 4]) != crc {
                return Err(format!(
                    "cannot be decoded (damaged?): its {} chunk fails its checksum",
                    String::from_utf8_lossy(kind)
                ));
            }
        }
        if kind == b"IDAT" && zlib_level.is_none() {
            zlib_level = bytes.get(pos + 9).map(|flg| flg >> 6);
        }
        if kind == b"IHDR" {
            let d = &bytes[pos + 8..end - 4];
            if d.len() != 13 {
                return Err("cannot be decoded: its PNG header is damaged".into());
            }
            let be = |i: usize| u32::from_be_bytes([d[i], d[i + 1], d[i + 2], d[i + 3]]);
            let channels = match d[9] {
                2 => 3,
                4 => 2,
                6 => 4,
                _ => 1, // greyscale, palette
            };
            header = Some((be(0), be(4), d[8], channels, d[12] != 0));
        }
        ended = kind == b"IEND";
        if kept_chunk {
            match kept.last_mut() {
                Some(last) if last.1 == pos => last.1 = end,
                _ => kept.push((pos, end)),
            }
        }
        pos = end;
    }
    let (width, height, bit_depth, channels, interlaced) =
        header.ok_or("cannot be decoded: it has no PNG header")?;
    // No pixel data: unknown, so the decoder (after the size checks) says what is wrong.
    let zlib_level = zlib_level.unwrap_or(0);
    // Clean when the kept chunks are the whole file after the signature (no trailing bytes either).
    let stripped = if kept.len() == 1 && kept[0] == (8, bytes.len()) {
        Cow::Borrowed(bytes)
    } else {
        let mut v = bytes[..8].to_vec();
        for (a, b) in kept {
            v.extend_from_slice(&bytes[a..b]);
        }
        Cow::Owned(v)
    };
    Ok(PngLayout {
        width,
        height,
        bit_depth,
        channels,
        interlaced,
        zlib_level,
        stripped,
    })
}

/// A PNG keeps its colour type (palette, greyscale, RGB, with or without alpha) and bit depth; it is
/// re-encoded only when a sample says that gains 10 % or more, and it never grows.
fn process_png(bytes: &[u8], max_width: u32) -> Result<ProcessedImage, String> {
    let layout = png_layout(bytes)?;
    check_dimensions(layout.width, layout.height)?;
    let compact = !layout.interlaced
        && layout.bit_depth <= 8
        && already_compact(layout.stripped.len(), layout.raw_bytes());
    // A compact image up to twice the page's width is not scaled: readers fit it to the screen,
    // and its scaled copy, with the new colours scaling makes, is larger (measured on screenshots).
    if layout.width > max_width && !(compact && layout.width <= 2 * max_width) {
        let img = decode(bytes, Kind::Png)?;
        return Ok(smaller(
            encode(scale_to(img, max_width), false)?,
            layout.stripped,
            Kind::Png,
        ));
    }
    let as_it_is = |layout: PngLayout<'_>| {
        let (media_type, extension) = media_type_of(Kind::Png);
        let treatment = match layout.stripped {
            Cow::Borrowed(_) => Treatment::Copied,
            Cow::Owned(_) => Treatment::Stripped,
        };
        ProcessedImage {
            bytes: layout.stripped.into_owned(),
            media_type,
            extension,
            width: layout.width,
            height: layout.height,
            removed: Vec::new(),
            treatment,
        }
    };
    // Compressed at zlib's default level or better, an 8-bit image is not worth re-encoding: on
    // real screenshots a re-encode gains about 5 %, at the cost of decoding and encoding every
    // pixel. Its chunks' checksums (checked above) are its check.
    if layout.zlib_level >= 2 && !layout.interlaced && layout.bit_depth <= 8 {
        return Ok(as_it_is(layout));
    }
    // Too small for a re-encode to save `MIN_SAVING` even if it halved the file: not worth
    // decoding at all.
    if layout.stripped.len() < 2 * MIN_SAVING && !layout.interlaced && layout.bit_depth <= 8 {
        return Ok(as_it_is(layout));
    }
    let mut decoder = png::Decoder::new_with_limits(
        Cursor::new(layout.stripped.as_ref()),
        png::Limits {
            bytes: MAX_ALLOC as usize,
        },
    );
    // 16-bit samples become 8-bit, as browsers show them.
    decoder.set_transformations(png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(describe_png)?;
    let size = reader
        .output_buffer_size()
        .ok_or("is too large to decode safely")?;
    let (color, depth) = reader.output_color_type();
    let info = reader.info().clone();
    let (width, height) = (layout.width, layout.height);
    let stride = size / height as usize;
    let encode_rows = |rows: &[u8], h: u32, filter: png::Filter| -> Result<Vec<u8>, String> {
        let fail = |e: png::EncodingError| format!("cannot be processed: {e}");
        let mut out = Vec::with_capacity(rows.len() / 4);
        let mut enc = png::Encoder::new(&mut out, width, h);
        enc.set_color(color);
        enc.set_depth(depth);
        if let Some(p) = &info.palette {
            enc.set_palette(p.clone());
        }
        if let Some(t) = &info.trns {
            enc.set_trns(t.clone());
        }
        enc.set_filter(filter);
        enc.set_deflate_compression(png::DeflateCompression::Level(6));
        let mut w = enc.write_header().map_err(fail)?;
        w.write_image_data(rows).map_err(fail)?;
        w.finish().map_err(fail)?;
        Ok(out)
    };
    // Palette indices and packed samples compress best unfiltered (the PNG specification's
    // advice); other images are tried both ways, as flat screenshots often do better unfiltered.
    let filters: &[png::Filter] =
        if color != png::ColorType::Indexed && depth == png::BitDepth::Eight {
            &[png::Filter::Adaptive, png::Filter::NoFilter]
        } else {
            &[png::Filter::NoFilter]
        };
    // 16-bit transparency keys cannot follow the samples to 8 bits: such a file is kept as it is.
    if layout.bit_depth == 16 && info.trns.is_some() {
        return Ok(as_it_is(layout));
    }
    let mut pixels = vec![0; size];
    let mut filter = filters[0];
    let sample = !layout.interlaced && layout.bit_depth != 16 && height > 2 * SAMPLE_ROWS;
    let mut decoded_rows = 0;
    if sample {
        // A band of rows from the middle, encoded as the whole would be, estimates what a
        // re-encode would gain, at a fraction of its cost; only the rows up to it are decoded.
        let band = (height / 8).max(SAMPLE_ROWS);
        let first = (height - band) / 2;
        read_rows(&mut reader, &mut pixels, stride, 0..first + band)?;
        decoded_rows = first + band;
        let rows = &pixels[first as usize * stride..(first + band) as usize * stride];
        let mut best = u64::MAX;
        for f in filters {
            let size = encode_rows(rows, band, *f)?.len() as u64;
            if size < best {
                (best, filter) = (size, *f);
            }
        }
        let estimate = best * height as u64 / band as u64;
        let len = layout.stripped.len() as u64;
        if estimate * 10 >= len * 9 || len.saturating_sub(estimate) < MIN_SAVING as u64 {
            // Not worth it: kept as it is, its checksums its check.
            return Ok(as_it_is(layout));
        }
    }
    if decoded_rows == 0 {
        reader.next_frame(&mut pixels).map_err(describe_png)?;
    } else {
        read_rows(&mut reader, &mut pixels, stride, decoded_rows..height)?;
        reader.finish().map_err(describe_png)?;
    }
    let (media_type, extension) = media_type_of(Kind::Png);
    let encoded = ProcessedImage {
        bytes: encode_rows(&pixels, height, filter)?,
        media_type,
        extension,
        width,
        height,
        removed: Vec::new(),
        treatment: Treatment::Reencoded,
    };
    Ok(smaller(encoded, layout.stripped, Kind::Png))
}

/// Decodes the rows `rows` (the next ones in the file) into their place in `pixels`.
fn read_rows(
    reader: &mut png::Reader<Cursor<&[u8]>>,
    pixels: &mut [u8],
    stride: usize,
    rows: std::ops::Range<u32>,
) -> Result<(), String> {
    for r in rows {
        let row = reader
            .next_row()
            .map_err(describe_png)?
            .ok_or("cannot be decoded (truncated or damaged?): rows are missing")?;
        let at = r as usize * stride;
        pixels[at..at + stride].copy_from_slice(row.data());
    }
    Ok(())
}

/// A re-encode is worth its time when it saves at least a tenth of the file and at least this
/// many bytes: a few kilobytes less per picture is lost in the noise of a download, while the
/// work of decoding and encoding every pixel is not.
const MIN_SAVING: usize = 16 * 1024;

/// Rows encoded to estimate a re-encode's gain (at least; an eighth of a tall image).
const SAMPLE_ROWS: u32 = 64;

/// A source compressed this well (1/8 of its raw size or less) is not worth scaling down by less
/// than half: the scaled copy, with the new colours scaling makes, comes out larger (measured on
/// screenshots, palette and RGB).
fn already_compact(file_bytes: usize, raw_bytes: usize) -> bool {
    file_bytes.saturating_mul(COMPACT_RATIO) <= raw_bytes
}

const COMPACT_RATIO: usize = 8;

/// A JPEG that needs no turning or scaling keeps its own compressed data (re-encoding a JPEG
/// loses detail) unless a re-encode at quality 80 is smaller.
fn process_jpeg(bytes: &[u8], max_width: u32) -> Result<ProcessedImage, String> {
    let (img, turned) = decode_oriented(bytes, Kind::Jpeg)?;
    let scaled = img.width() > max_width;
    let encoded = encode(scale_to(img, max_width), true)?;
    if turned || scaled && encoded.bytes.len() < bytes.len() {
        return Ok(encoded);
    }
    match jpeg_without_metadata(bytes) {
        Some(source) => Ok(smaller(encoded, source, Kind::Jpeg)),
        None => Ok(encoded),
    }
}

/// The JPEG without metadata segments (EXIF, XMP, ICC, Photoshop: APP1–APP13, APP15; comments).
/// APP0 (JFIF) and APP14 (Adobe, which says how colours are stored) stay. `None` when the segments
/// before the image data are not laid out as expected.
fn jpeg_without_metadata(bytes: &[u8]) -> Option<Cow<'_, [u8]>> {
    let mut pos = 2;
    let mut kept: Vec<(usize, usize)> = vec![(0, 2)];
    loop {
        if *bytes.get(pos)? != 0xFF {
            return None;
        }
        let marker = *bytes.get(pos + 1)?;
        if marker == 0xFF {
            pos += 1; // fill byte
            continue;
        }
        if marker == 0xDA {
            kept.push((pos, bytes.len()));
            break;
        }
        let len = u16::from_be_bytes([*bytes.get(pos + 2)?, *bytes.get(pos + 3)?]) as usize;
        let end = pos + 2 + len;
        if len < 2 || end > bytes.len() {
            return None;
        }
        let metadata = matches!(marker, 0xE1..=0xED | 0xEF | 0xFE);
        if !metadata {
            match kept.last_mut() {
                Some(last) if last.1 == pos => last.1 = end,
                _ => kept.push((pos, end)),
            }
        }
        pos = end;
    }
    if kept.len() == 1 || kept.len() == 2 && kept[1].0 == 2 {
        return Some(Cow::Borrowed(bytes));
    }
    let mut v = Vec::with_capacity(bytes.len());
    for (a, b) in kept {
        v.extend_from_slice(&bytes[a..b]);
    }
    Some(Cow::Owned(v))
}

fn check_dimensions(w: u32, h: u32) -> Result<(), String> {
    if w > MAX_DIMENSION || h > MAX_DIMENSION {
        return Err(format!(
            "is {w} × {h} pixels; at most {MAX_DIMENSION} × {MAX_DIMENSION} are accepted"
        ));
    }
    if w == 0 || h == 0 {
        return Err("has no pixels (0 × 0)".to_string());
    }
    Ok(())
}

fn describe_png(e: png::DecodingError) -> String {
    match e {
        png::DecodingError::LimitsExceeded => "is too large to decode safely".to_string(),
        png::DecodingError::IoError(e) => format!("cannot be decoded (truncated or damaged?): {e}"),
        png::DecodingError::Format(f) => format!("cannot be decoded (truncated or damaged?): {f}"),
        png::DecodingError::Parameter(p) => format!("cannot be processed: {p}"),
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
    decode_oriented(bytes, kind).map(|(img, _)| img)
}

/// The decoded image, turned as its EXIF orientation says, and whether it had to be turned.
fn decode_oriented(bytes: &[u8], kind: Kind) -> Result<(DynamicImage, bool), String> {
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
    let orientation = decoder
        .orientation()
        .ok()
        .filter(|o| *o != image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(describe)?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    Ok((img, orientation.is_some()))
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
        treatment: Treatment::Reencoded,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A screenshot-like picture: flat background, a bar, a few marks, in `color` at 8 bits.
    fn picture(w: u32, h: u32, color: png::ColorType) -> (Vec<u8>, Option<Vec<u8>>) {
        let channels = match color {
            png::ColorType::Indexed | png::ColorType::Grayscale => 1,
            png::ColorType::GrayscaleAlpha => 2,
            png::ColorType::Rgb => 3,
            png::ColorType::Rgba => 4,
        };
        let mut px = Vec::with_capacity((w * h) as usize * channels);
        for y in 0..h {
            for x in 0..w {
                let v: u8 = if y < 10 {
                    3
                } else if (x / 7 + y / 9) % 5 == 0 && x % 7 < 5 {
                    1 + ((x * 31 + y * 17) % 2) as u8
                } else {
                    0
                };
                for c in 0..channels {
                    px.push(if color == png::ColorType::Indexed {
                        v
                    } else {
                        250 - v * 60 + c as u8
                    });
                }
            }
        }
        let palette = (color == png::ColorType::Indexed)
            .then(|| vec![250, 250, 250, 30, 30, 30, 90, 90, 90, 66, 133, 244]);
        (px, palette)
    }

    fn png_file(
        w: u32,
        h: u32,
        color: png::ColorType,
        compression: png::DeflateCompression,
        text: Option<&str>,
    ) -> Vec<u8> {
        let (px, palette) = picture(w, h, color);
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(color);
        enc.set_depth(png::BitDepth::Eight);
        if let Some(p) = palette {
            enc.set_palette(p);
        }
        enc.set_deflate_compression(compression);
        enc.set_filter(png::Filter::NoFilter);
        if let Some(t) = text {
            enc.add_text_chunk("Comment".into(), t.into()).unwrap();
        }
        let mut wr = enc.write_header().unwrap();
        wr.write_image_data(&px).unwrap();
        wr.finish().unwrap();
        out
    }

    fn chunk_types(png: &[u8]) -> Vec<String> {
        let mut pos = 8;
        let mut out = Vec::new();
        while pos + 8 <= png.len() {
            let len = u32::from_be_bytes(png[pos..pos + 4].try_into().unwrap()) as usize;
            out.push(String::from_utf8_lossy(&png[pos + 4..pos + 8]).to_string());
            pos += 12 + len;
        }
        out
    }

    #[test]
    fn a_clean_compact_png_is_copied_byte_for_byte() {
        let src = png_file(
            300,
            200,
            png::ColorType::Rgb,
            png::DeflateCompression::Level(9),
            None,
        );
        let p = process(&src, DEFAULT_MAX_WIDTH).unwrap();
        assert_eq!(p.treatment, Treatment::Copied);
        assert_eq!(p.bytes, src);
        assert_eq!((p.width, p.height, p.media_type), (300, 200, "image/png"));
    }

    #[test]
    fn a_png_with_metadata_comes_out_without_it_and_no_larger() {
        let secret = "camera serial 12345, taken at home";
        for compression in [
            png::DeflateCompression::Level(9),
            png::DeflateCompression::NoCompression,
        ] {
            let src = png_file(300, 200, png::ColorType::Rgb, compression, Some(secret));
            let p = process(&src, DEFAULT_MAX_WIDTH).unwrap();
            assert!(
                !chunk_types(&p.bytes).contains(&"tEXt".to_string()),
                "{:?}",
                chunk_types(&p.bytes)
            );
            assert!(
                !p.bytes
                    .windows(secret.len())
                    .any(|w| w == secret.as_bytes())
            );
            assert!(p.bytes.len() < src.len());
            assert_ne!(p.treatment, Treatment::Copied);
            // The pixels are the same.
            let a = image::load_from_memory(&src).unwrap().to_rgb8();
            let b = image::load_from_memory(&p.bytes).unwrap().to_rgb8();
            assert_eq!(a, b);
        }
    }

    #[test]
    fn a_small_png_is_copied_when_a_re_encode_would_save_only_a_few_kilobytes() {
        // 64 × 64 RGB stored uncompressed: 12 KB that a re-encode would shrink to a few hundred
        // bytes, a saving below MIN_SAVING: checked and copied as it is, nothing decoded.
        let src = png_file(
            64,
            64,
            png::ColorType::Rgb,
            png::DeflateCompression::NoCompression,
            None,
        );
        assert!(src.len() < MIN_SAVING);
        let p = process(&src, DEFAULT_MAX_WIDTH).unwrap();
        assert_eq!(p.treatment, Treatment::Copied);
        assert_eq!(p.bytes, src);
    }

    #[test]
    fn a_poorly_compressed_png_is_reencoded_smaller() {
        let src = png_file(
            300,
            200,
            png::ColorType::Rgb,
            png::DeflateCompression::NoCompression,
            None,
        );
        let p = process(&src, DEFAULT_MAX_WIDTH).unwrap();
        assert_eq!(p.treatment, Treatment::Reencoded);
        assert!(
            p.bytes.len() * 4 < src.len(),
            "{} vs {}",
            p.bytes.len(),
            src.len()
        );
    }

    #[test]
    fn a_palette_png_never_grows_and_stays_a_palette_png() {
        for (w, compression) in [
            (600, png::DeflateCompression::Level(9)),
            (600, png::DeflateCompression::Level(1)),
            (600, png::DeflateCompression::NoCompression),
            // Wider than a page: scaled only if that makes it smaller.
            (2000, png::DeflateCompression::Level(9)),
        ] {
            let src = png_file(
                w,
                300,
                png::ColorType::Indexed,
                compression,
                Some("made by a tool"),
            );
            let p = process(&src, DEFAULT_MAX_WIDTH).unwrap();
            assert!(
                p.bytes.len() <= src.len(),
                "{w} {compression:?}: {} > {}",
                p.bytes.len(),
                src.len()
            );
            if p.width == w {
                // Colour type 3: palette.
                assert_eq!(p.bytes[25], 3, "{compression:?}");
            }
        }
    }

    #[test]
    fn greyscale_stays_greyscale() {
        let src = png_file(
            300,
            200,
            png::ColorType::Grayscale,
            png::DeflateCompression::NoCompression,
            None,
        );
        let p = process(&src, DEFAULT_MAX_WIDTH).unwrap();
        assert_eq!(p.treatment, Treatment::Reencoded);
        assert_eq!(p.bytes[25], 0);
    }

    #[test]
    fn a_damaged_png_is_refused_even_when_clean() {
        let mut src = png_file(
            300,
            200,
            png::ColorType::Rgb,
            png::DeflateCompression::Level(9),
            None,
        );
        let idat = src.windows(4).position(|w| w == b"IDAT").unwrap();
        src[idat + 40] ^= 0x55;
        assert!(process(&src, DEFAULT_MAX_WIDTH).is_err());
        let cut = &src[..src.len() / 2];
        assert!(process(cut, DEFAULT_MAX_WIDTH).is_err());
    }

    #[test]
    fn shrinking_averages_areas() {
        // 4 × 2 grey → 2 × 1: each new pixel is the mean of a 2 × 2 block.
        let src = [0, 100, 200, 200, 0, 100, 200, 0];
        assert_eq!(shrink(&src, 4, 2, 1, 2, 1), vec![50, 150]);
        // Flat colour stays flat at any ratio; sizes are as asked.
        let flat = vec![77u8; 1443 * 901 * 3];
        let out = shrink(&flat, 1443, 901, 3, 1200, 749);
        assert_eq!(out.len(), 1200 * 749 * 3);
        assert!(out.iter().all(|v| *v == 77));
    }

    #[test]
    fn jpeg_metadata_segments_are_removed() {
        let img = image::RgbImage::from_fn(64, 48, |x, y| {
            image::Rgb([(x * 4) as u8, (y * 5) as u8, 90])
        });
        let mut jpeg = Vec::new();
        img.write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
            &mut jpeg, 60,
        ))
        .unwrap();
        // A comment segment and an XMP-like APP1 after SOI.
        let mut with = jpeg[..2].to_vec();
        for (marker, body) in [
            (0xFEu8, &b"secret comment"[..]),
            (0xE1, &b"http://ns.adobe.com/xap/1.0/\0<x/>"[..]),
        ] {
            with.extend([0xFF, marker]);
            with.extend(((body.len() + 2) as u16).to_be_bytes());
            with.extend(body);
        }
        with.extend(&jpeg[2..]);
        let p = process(&with, DEFAULT_MAX_WIDTH).unwrap();
        assert!(p.bytes.len() <= jpeg.len());
        assert!(!p.bytes.windows(6).any(|w| w == b"secret"));
    }
}
