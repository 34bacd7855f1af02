//! Raster covers for e-reader apps: a cover drawn as SVG (the generated one, or an author's) is
//! rendered to PNG at publish, with a thumbnail. OPDS 2.0 and most reading apps need a raster
//! image; the web pages keep the small SVG.

use std::path::Path;
use std::sync::{Arc, OnceLock};

/// The rendered cover's width; the height follows the SVG's proportions.
pub const COVER_WIDTH: u32 = 600;
/// The thumbnail's width (lists, OPDS thumbnails).
pub const THUMBNAIL_WIDTH: u32 = 200;
/// An SVG cover larger than this is not rendered (covers are small; this bounds the work).
const MAX_SVG_BYTES: usize = 4 * 1024 * 1024;

/// The system's fonts, loaded once: the generated cover asks for `sans-serif`.
fn fonts() -> Arc<resvg::usvg::fontdb::Database> {
    static FONTS: OnceLock<Arc<resvg::usvg::fontdb::Database>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = resvg::usvg::fontdb::Database::new();
            db.load_system_fonts();
            // Families with Cyrillic and the Kyrgyz letters, in order of preference.
            for family in ["DejaVu Sans", "Noto Sans", "Liberation Sans", "FreeSans"] {
                let known = db
                    .faces()
                    .any(|f| f.families.iter().any(|(name, _)| name == family));
                if known {
                    db.set_sans_serif_family(family);
                    break;
                }
            }
            Arc::new(db)
        })
        .clone()
}

/// Renders an SVG to a PNG `width` pixels wide.
pub fn render_png(svg: &[u8], width: u32) -> Result<Vec<u8>, String> {
    render(&parse(svg)?, width)
}

/// Reads an SVG cover (nothing is loaded by name: no files, no network; embedded data only).
fn parse(svg: &[u8]) -> Result<resvg::usvg::Tree, String> {
    if svg.len() > MAX_SVG_BYTES {
        return Err(format!("SVG cover is larger than {MAX_SVG_BYTES} bytes"));
    }
    let opt = resvg::usvg::Options {
        fontdb: fonts(),
        resources_dir: None,
        image_href_resolver: resvg::usvg::ImageHrefResolver {
            resolve_string: Box::new(|_, _| None),
            ..Default::default()
        },
        ..Default::default()
    };
    let tree = resvg::usvg::Tree::from_data(svg, &opt).map_err(|e| format!("SVG cover: {e}"))?;
    let size = tree.size();
    if size.width() <= 0.0 || size.height() <= 0.0 {
        return Err("SVG cover has no size".into());
    }
    Ok(tree)
}

/// Draws a parsed cover `width` pixels wide, as PNG.
fn render(tree: &resvg::usvg::Tree, width: u32) -> Result<Vec<u8>, String> {
    let size = tree.size();
    let scale = width as f32 / size.width();
    let height = (size.height() * scale)
        .round()
        .clamp(1.0, 4.0 * width as f32) as u32;
    let mut pixmap = resvg::tiny_skia::Pixmap::new(width, height)
        .ok_or_else(|| "SVG cover: no room for the image".to_string())?;
    // A white page under covers with transparent parts (e-readers show them on grey or black).
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    resvg::render(
        tree,
        resvg::tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().map_err(|e| format!("PNG: {e}"))
}

/// For a built book in `dir` whose cover is an SVG, writes `html/images/cover.png` and
/// `html/images/cover-thumbnail.png` and names them in `book.json` (`cover_raster`,
/// `cover_thumbnail_raster`). A raster cover needs nothing. Failures are logged, never fatal: the
/// book is still published with its SVG cover.
pub fn add_raster_cover(dir: &Path) {
    if let Err(e) = try_add(dir) {
        tracing::warn!("{}: no PNG cover: {e}", dir.display());
    }
}

fn try_add(dir: &Path) -> Result<(), String> {
    let manifest_path = dir.join("book.json");
    let text = std::fs::read_to_string(&manifest_path).map_err(|e| format!("book.json: {e}"))?;
    let mut manifest: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("book.json: {e}"))?;
    let Some(cover) = manifest.get("cover").and_then(|c| c.as_str()) else {
        return Ok(());
    };
    if !cover.to_ascii_lowercase().ends_with(".svg") {
        return Ok(());
    }
    let html = dir.join("html");
    let svg = std::fs::read(html.join(cover)).map_err(|e| format!("{cover}: {e}"))?;
    let tree = parse(&svg)?;
    for (key, name, width) in [
        ("cover_raster", "images/cover.png", COVER_WIDTH),
        (
            "cover_thumbnail_raster",
            "images/cover-thumbnail.png",
            THUMBNAIL_WIDTH,
        ),
    ] {
        let png = render(&tree, width)?;
        let path = html.join(name);
        std::fs::write(&path, png).map_err(|e| format!("{}: {e}", path.display()))?;
        manifest[key] = serde_json::Value::String(name.into());
    }
    let text = serde_json::to_string(&manifest).map_err(|e| e.to_string())?;
    std::fs::write(&manifest_path, text).map_err(|e| format!("book.json: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_cover_becomes_a_png_of_the_asked_width() {
        let svg = formats::cover::generated_cover("Бөлчөктөр", None, &[], "ky", "fractions");
        let png = render_png(svg.as_bytes(), THUMBNAIL_WIDTH).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        // IHDR: width and height, big-endian, after the 8-byte signature and 8 bytes of header.
        let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
        assert_eq!((w, h), (200, 300));
    }

    #[test]
    fn broken_svg_is_an_error_not_a_panic() {
        assert!(render_png(b"<svg", 100).is_err());
        assert!(render_png(b"not svg at all", 100).is_err());
    }
}
