//! `kitep export zim -o FILE.zim`: the static site in one ZIM file (format 6.1, the "new
//! namespace scheme"), which Kiwix readers and `kiwix-serve` open. The site's own search page
//! runs inside the reader (Kiwix's Xapian search knows no Kyrgyz stems).
//!
//! Layout, in file order: the 80-byte header, the MIME type list, one uncompressed cluster with
//! every blob (text is small beside the images and EPUBs, which are compressed already, and an
//! uncompressed cluster lets a reader take one file without decompressing its neighbours), the
//! directory entries, the path pointers, the cluster pointers, and the MD5 of all that. Entries
//! are `C/…` (the site), `M/…` (metadata), `W/mainPage` and the title listings `X/listing/
//! titleOrdered/v0` (every entry) and `v1` (the pages). Identical files (the readers' shared
//! stylesheet, an image two editions share) are stored once; the others are redirects to it.

use super::site::{Content, Site};
use anyhow::{Context, Result, bail};
use md5::Digest as _;
use sha2::Sha256;
use std::collections::{BTreeMap, HashMap};
use std::io::{BufWriter, Read, Write};
use std::path::Path;

const MAGIC: u32 = 0x044D_495A;
const REDIRECT: u16 = 0xFFFF;
const NO_PAGE: u32 = 0xFFFF_FFFF;

/// What Kiwix shows of a ZIM file and finds it by.
pub struct ZimMeta {
    /// `kitepkana_ky_all`: project, language, selection (Kiwix's naming convention).
    pub name: String,
    /// At most 30 characters.
    pub title: String,
    /// ISO 639-3 codes, most used first, comma-separated (`kir,rus`).
    pub language: String,
    pub creator: String,
    pub publisher: String,
    /// YYYY-MM-DD.
    pub date: String,
    /// At most 80 characters.
    pub description: String,
    /// At most 4,000 characters.
    pub long_description: String,
    pub tags: String,
    /// A 48×48 PNG.
    pub illustration: Vec<u8>,
}

pub struct ZimReport {
    pub bytes: u64,
    pub entries: usize,
    pub redirects: usize,
}

/// ISO 639-3 for the languages the portal knows (BCP 47 primary subtags otherwise unknown here
/// are left out; `mul` when none is known).
pub fn iso639_3(lang: &str) -> Option<&'static str> {
    Some(match indexer::analyzers::primary(lang) {
        "ky" => "kir",
        "ru" => "rus",
        "uz" => "uzb",
        "kk" => "kaz",
        "tg" => "tgk",
        "en" => "eng",
        "tr" => "tur",
        "de" => "deu",
        "fr" => "fra",
        _ => return None,
    })
}

fn mime_of(path: &str) -> &'static str {
    let ext = path.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "html" => "text/html",
        "css" => "text/css",
        "js" => "application/javascript",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "epub" => "application/epub+zip",
        "json" => "application/json",
        "txt" => "text/plain",
        _ => "application/octet-stream",
    }
}

/// A page's `<title>`, with the entities a title may hold decoded.
fn html_title(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(8192)]);
    let Some(start) = text.find("<title>") else {
        return String::new();
    };
    let rest = &text[start + 7..];
    let end = rest.find("</title>").unwrap_or(0);
    rest[..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
        .trim()
        .to_string()
}

enum Body {
    Blob(usize),
    Redirect(String),
}

struct Item {
    ns: u8,
    path: String,
    title: String,
    mime: &'static str,
    body: Body,
}

enum Blob<'a> {
    Bytes(std::borrow::Cow<'a, [u8]>),
    File(&'a Path, u64),
}

impl Blob<'_> {
    fn len(&self) -> u64 {
        match self {
            Blob::Bytes(b) => b.len() as u64,
            Blob::File(_, n) => *n,
        }
    }
}

/// Writes `out` with an MD5 of everything written.
struct Hashed<W: Write> {
    inner: W,
    md5: md5::Md5,
    written: u64,
}

impl<W: Write> Write for Hashed<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.md5.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

pub fn write(site: &Site, meta: &ZimMeta, out: &Path) -> Result<ZimReport> {
    if meta.title.chars().count() > 30 || meta.description.chars().count() > 80 {
        bail!("a ZIM title has at most 30 characters and its description at most 80");
    }
    let mut blobs: Vec<Blob> = Vec::new();
    let mut items: Vec<Item> = Vec::new();
    let mut by_content: HashMap<[u8; 32], String> = HashMap::new();
    let mut redirects = 0;
    for e in &site.entries {
        let len = e.len();
        if len == 0 {
            continue; // an empty entry is an error to Kiwix's checker; nothing links to one
        }
        let mime = mime_of(&e.path);
        let digest: [u8; 32] = match &e.content {
            Content::Bytes(b) => Sha256::digest(b).into(),
            Content::File(p) => {
                let mut h = Sha256::new();
                let mut f =
                    std::fs::File::open(p).with_context(|| format!("reading {}", p.display()))?;
                std::io::copy(&mut f, &mut h)?;
                h.finalize().into()
            }
        };
        let mut title = e.title.clone();
        if title.is_empty() && mime == "text/html" {
            title = html_title(&e.bytes()?);
        }
        if let Some(first) = by_content.get(&digest) {
            redirects += 1;
            items.push(Item {
                ns: b'C',
                path: e.path.clone(),
                title,
                mime,
                body: Body::Redirect(first.clone()),
            });
            continue;
        }
        by_content.insert(digest, e.path.clone());
        blobs.push(match &e.content {
            Content::Bytes(b) => Blob::Bytes(std::borrow::Cow::Borrowed(b)),
            Content::File(p) => Blob::File(p, len),
        });
        items.push(Item {
            ns: b'C',
            path: e.path.clone(),
            title,
            mime,
            body: Body::Blob(blobs.len() - 1),
        });
    }
    if !items.iter().any(|i| i.path == "index.html") {
        bail!("the site has no home page (index.html)");
    }
    let mut counter: BTreeMap<&str, usize> = BTreeMap::new();
    for i in &items {
        if matches!(i.body, Body::Blob(_)) {
            *counter.entry(i.mime).or_default() += 1;
        }
    }
    let counter = counter
        .iter()
        .map(|(m, n)| format!("{m}={n}"))
        .collect::<Vec<_>>()
        .join(";");
    let metadata: Vec<(&str, Vec<u8>, &'static str)> = vec![
        ("Counter", counter.into_bytes(), "text/plain"),
        ("Creator", meta.creator.clone().into_bytes(), "text/plain"),
        ("Date", meta.date.clone().into_bytes(), "text/plain"),
        (
            "Description",
            meta.description.clone().into_bytes(),
            "text/plain",
        ),
        (
            "Illustration_48x48@1",
            meta.illustration.clone(),
            "image/png",
        ),
        ("Language", meta.language.clone().into_bytes(), "text/plain"),
        (
            "LongDescription",
            meta.long_description.clone().into_bytes(),
            "text/plain",
        ),
        ("Name", meta.name.clone().into_bytes(), "text/plain"),
        (
            "Publisher",
            meta.publisher.clone().into_bytes(),
            "text/plain",
        ),
        (
            "Scraper",
            format!("kitep {}", env!("CARGO_PKG_VERSION")).into_bytes(),
            "text/plain",
        ),
        ("Tags", meta.tags.clone().into_bytes(), "text/plain"),
        ("Title", meta.title.clone().into_bytes(), "text/plain"),
    ];
    for (name, bytes, mime) in metadata {
        if bytes.is_empty() {
            continue;
        }
        blobs.push(Blob::Bytes(std::borrow::Cow::Owned(bytes)));
        items.push(Item {
            ns: b'M',
            path: name.to_string(),
            title: String::new(),
            mime,
            body: Body::Blob(blobs.len() - 1),
        });
    }
    items.push(Item {
        ns: b'W',
        path: "mainPage".into(),
        title: String::new(),
        mime: "text/html",
        body: Body::Redirect("index.html".into()),
    });
    // The listings are blobs like the others; their contents (entry indexes in title order)
    // are known once every entry, themselves included, has its place.
    let listing_mime = "application/octet-stream+zimlisting";
    for v in ["v0", "v1"] {
        blobs.push(Blob::Bytes(std::borrow::Cow::Owned(Vec::new())));
        items.push(Item {
            ns: b'X',
            path: format!("listing/titleOrdered/{v}"),
            title: String::new(),
            mime: listing_mime,
            body: Body::Blob(blobs.len() - 1),
        });
    }
    items.sort_by(|a, b| (a.ns, a.path.as_bytes()).cmp(&(b.ns, b.path.as_bytes())));
    for w in items.windows(2) {
        if (w[0].ns, &w[0].path) == (w[1].ns, &w[1].path) {
            bail!("two entries have the path {}", w[0].path);
        }
    }
    let index: HashMap<(u8, &str), u32> = items
        .iter()
        .enumerate()
        .map(|(i, it)| ((it.ns, it.path.as_str()), i as u32))
        .collect();
    let title_key = |it: &Item| -> (u8, Vec<u8>) {
        let t = if it.title.is_empty() {
            &it.path
        } else {
            &it.title
        };
        (it.ns, t.as_bytes().to_vec())
    };
    let mut order: Vec<u32> = (0..items.len() as u32).collect();
    order.sort_by(|&a, &b| title_key(&items[a as usize]).cmp(&title_key(&items[b as usize])));
    let v0: Vec<u8> = order.iter().flat_map(|i| i.to_le_bytes()).collect();
    let v1: Vec<u8> = order
        .iter()
        .filter(|&&i| {
            let it = &items[i as usize];
            it.ns == b'C' && it.mime == "text/html" && matches!(it.body, Body::Blob(_))
        })
        .flat_map(|i| i.to_le_bytes())
        .collect();
    for it in &items {
        if it.ns == b'X'
            && let Body::Blob(b) = it.body
        {
            let list = if it.path.ends_with("v0") { &v0 } else { &v1 };
            blobs[b] = Blob::Bytes(std::borrow::Cow::Owned(list.clone()));
        }
    }

    // MIME types, in order of first use.
    let mut mimes: Vec<&str> = Vec::new();
    for it in &items {
        if !matches!(it.body, Body::Redirect(_)) && !mimes.contains(&it.mime) {
            mimes.push(it.mime);
        }
    }
    let mime_list: Vec<u8> = mimes
        .iter()
        .flat_map(|m| m.bytes().chain([0]))
        .chain([0])
        .collect();

    // Offsets: header, MIME list, the cluster, then the entries and the pointer lists.
    let blob_total: u64 = blobs.iter().map(Blob::len).sum();
    let extended = blob_total + 8 * (blobs.len() as u64 + 1) > u64::from(u32::MAX);
    let width: u64 = if extended { 8 } else { 4 };
    let cluster_pos = 80 + mime_list.len() as u64;
    let table = width * (blobs.len() as u64 + 1);
    let mut offsets = Vec::with_capacity(blobs.len() + 1);
    let mut at = table;
    for b in &blobs {
        offsets.push(at);
        at += b.len();
    }
    offsets.push(at);
    let cluster_len = 1 + at;
    let v0_blob = items
        .iter()
        .find_map(|it| match (it.ns, it.path.as_str(), &it.body) {
            (b'X', "listing/titleOrdered/v0", Body::Blob(b)) => Some(*b),
            _ => None,
        })
        .unwrap_or(0);
    let title_pos = cluster_pos + 1 + offsets[v0_blob];
    let mut dirents: Vec<Vec<u8>> = Vec::with_capacity(items.len());
    for it in &items {
        let mut d = Vec::with_capacity(32 + it.path.len() + it.title.len());
        match &it.body {
            Body::Blob(b) => {
                let m = mimes.iter().position(|x| *x == it.mime).unwrap_or(0) as u16;
                d.extend(m.to_le_bytes());
                d.extend([0, it.ns]);
                d.extend(0u32.to_le_bytes());
                d.extend(0u32.to_le_bytes());
                d.extend((*b as u32).to_le_bytes());
            }
            Body::Redirect(target) => {
                let t = index.get(&(b'C', target.as_str())).copied().unwrap_or(0);
                d.extend(REDIRECT.to_le_bytes());
                d.extend([0, it.ns]);
                d.extend(0u32.to_le_bytes());
                d.extend(t.to_le_bytes());
            }
        }
        d.extend(it.path.as_bytes());
        d.push(0);
        if it.title != it.path {
            d.extend(it.title.as_bytes());
        }
        d.push(0);
        dirents.push(d);
    }
    let dirent_pos = cluster_pos + cluster_len;
    let mut dirent_offsets = Vec::with_capacity(dirents.len());
    let mut at = dirent_pos;
    for d in &dirents {
        dirent_offsets.push(at);
        at += d.len() as u64;
    }
    let path_ptr_pos = at;
    let cluster_ptr_pos = path_ptr_pos + 8 * items.len() as u64;
    let checksum_pos = cluster_ptr_pos + 8;
    let main_page = index.get(&(b'W', "mainPage")).copied().unwrap_or(NO_PAGE);

    let mut header = Vec::with_capacity(80);
    header.extend(MAGIC.to_le_bytes());
    header.extend(6u16.to_le_bytes());
    header.extend(1u16.to_le_bytes());
    let mut uuid = [0u8; 16];
    getrandom::fill(&mut uuid).map_err(|e| anyhow::anyhow!("random bytes: {e}"))?;
    header.extend(uuid);
    header.extend((items.len() as u32).to_le_bytes());
    header.extend(1u32.to_le_bytes());
    header.extend(path_ptr_pos.to_le_bytes());
    header.extend(title_pos.to_le_bytes());
    header.extend(cluster_ptr_pos.to_le_bytes());
    header.extend(80u64.to_le_bytes());
    header.extend(main_page.to_le_bytes());
    header.extend(NO_PAGE.to_le_bytes());
    header.extend(checksum_pos.to_le_bytes());

    let tmp = super::beside(out);
    let result = (|| -> Result<()> {
        let file =
            std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        let mut w = Hashed {
            inner: BufWriter::with_capacity(1 << 20, file),
            md5: md5::Md5::new(),
            written: 0,
        };
        w.write_all(&header)?;
        w.write_all(&mime_list)?;
        w.write_all(&[if extended { 0x11 } else { 0x01 }])?;
        for o in &offsets {
            if extended {
                w.write_all(&o.to_le_bytes())?;
            } else {
                w.write_all(&(*o as u32).to_le_bytes())?;
            }
        }
        for b in &blobs {
            match b {
                Blob::Bytes(bytes) => w.write_all(bytes)?,
                Blob::File(p, n) => {
                    let f = std::fs::File::open(p)
                        .with_context(|| format!("reading {}", p.display()))?;
                    let copied = std::io::copy(&mut f.take(*n), &mut w)?;
                    if copied != *n {
                        bail!("{} changed while it was written", p.display());
                    }
                }
            }
        }
        for d in &dirents {
            w.write_all(d)?;
        }
        for o in &dirent_offsets {
            w.write_all(&o.to_le_bytes())?;
        }
        w.write_all(&cluster_pos.to_le_bytes())?;
        if w.written != checksum_pos {
            bail!(
                "internal error: the ZIM layout is off by {} bytes",
                w.written as i64 - checksum_pos as i64
            );
        }
        let digest = w.md5.clone().finalize();
        w.inner.write_all(&digest)?;
        let file = w.inner.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        Ok(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, out)
        .with_context(|| format!("moving the ZIM file to {}", out.display()))?;
    Ok(ZimReport {
        bytes: checksum_pos + 16,
        entries: items.len(),
        redirects,
    })
}

/// A 48×48 picture for Kiwix's library: an open book on a blue ground (drawn here).
pub fn illustration() -> Result<Vec<u8>> {
    let svg = br##"<svg xmlns="http://www.w3.org/2000/svg" width="48" height="48" viewBox="0 0 48 48"><rect width="48" height="48" rx="8" fill="#0b57a4"/><path d="M24 14c-4-3-10-3-15-2v22c5-1 11-1 15 2z" fill="#fff"/><path d="M24 14c4-3 10-3 15-2v22c-5-1-11-1-15 2z" fill="#e8f0fe"/><path d="M24 14v22" stroke="#0b57a4" stroke-width="1.5"/></svg>"##;
    crate::library::covers::render_png(svg, 48).map_err(anyhow::Error::msg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offline::site::{Entry, Site};

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
    }
    fn u64_at(b: &[u8], at: usize) -> u64 {
        u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
    }

    fn page(path: &str, body: &str) -> Entry {
        Entry {
            path: path.into(),
            content: Content::Bytes(body.as_bytes().to_vec()),
            title: String::new(),
        }
    }

    /// Reads back the path of every entry and whether it is a redirect.
    fn entries(b: &[u8]) -> Vec<(char, String, bool)> {
        let count = u32_at(b, 24) as usize;
        let ptrs = u64_at(b, 32) as usize;
        (0..count)
            .map(|i| {
                let at = u64_at(b, ptrs + 8 * i) as usize;
                let redirect = u16::from_le_bytes([b[at], b[at + 1]]) == REDIRECT;
                let path_at = at + if redirect { 12 } else { 16 };
                let end = b[path_at..].iter().position(|&c| c == 0).unwrap();
                let path = String::from_utf8(b[path_at..path_at + end].to_vec()).unwrap();
                (b[at + 3] as char, path, redirect)
            })
            .collect()
    }

    #[test]
    fn writes_a_checksummed_file_with_sorted_entries_and_shared_copies_as_redirects() {
        let site = Site {
            entries: vec![
                page(
                    "index.html",
                    "<html><head><title>Home &amp; away</title></head><body>hi</body></html>",
                ),
                page("b/style.css", "p{}"),
                page("a/style.css", "p{}"),
                page("empty.txt", ""),
            ],
            books: Vec::new(),
            lang: "en".into(),
            title: "Test".into(),
        };
        let meta = ZimMeta {
            name: "kitepkana_eng_test".into(),
            title: "Test".into(),
            language: "eng".into(),
            creator: "Us".into(),
            publisher: "Us".into(),
            date: "2026-12-07".into(),
            description: "A test".into(),
            long_description: String::new(),
            tags: "test".into(),
            illustration: vec![0x89, b'P', b'N', b'G'],
        };
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("t.zim");
        let report = write(&site, &meta, &out).unwrap();
        let b = std::fs::read(&out).unwrap();
        assert_eq!(report.bytes, b.len() as u64);
        assert_eq!(u32_at(&b, 0), MAGIC);
        let checksum_pos = u64_at(&b, 72) as usize;
        assert_eq!(checksum_pos + 16, b.len());
        let digest = md5::Md5::digest(&b[..checksum_pos]);
        assert_eq!(&b[checksum_pos..], digest.as_slice());
        let list = entries(&b);
        let keys: Vec<(char, &str)> = list.iter().map(|(n, p, _)| (*n, p.as_str())).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted, "entries are in path order");
        // The stylesheet's second copy (in the site's order) points at the first; the empty file
        // is left out.
        assert!(list.contains(&('C', "b/style.css".into(), false)));
        assert!(list.contains(&('C', "a/style.css".into(), true)));
        assert!(!list.iter().any(|(_, p, _)| p == "empty.txt"));
        for m in ["Title", "Language", "Illustration_48x48@1", "Counter"] {
            assert!(list.contains(&('M', m.into(), false)), "{m}");
        }
        assert!(list.contains(&('W', "mainPage".into(), true)));
        // The header's main page is W/mainPage.
        let main = u32_at(&b, 64) as usize;
        assert_eq!(list[main].1, "mainPage");
        assert_eq!(html_title(b"<title>Home &amp; away</title>"), "Home & away");
    }
}
