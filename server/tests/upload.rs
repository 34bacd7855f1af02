//! Uploaded book projects: every unsafe archive is refused with a message that names the problem,
//! and leaves nothing on disk; a sound one unpacks to the folder with book.toml.

use server::workflow::upload::{Limits, Refused, unpack};
use std::io::Write;
use std::path::Path;

/// One entry of a hand-made archive: raw name bytes, content, Unix mode (None: not set).
struct Entry<'a> {
    name: &'a [u8],
    data: &'a [u8],
    mode: Option<u32>,
}

/// A .zip written byte by byte (stored entries), so that names and modes no well-behaved tool
/// would write can be tested.
fn raw_zip(entries: &[Entry<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for e in entries {
        let offset = out.len() as u32;
        let crc = crc32fast::hash(e.data);
        let flags: u16 = if std::str::from_utf8(e.name).is_ok() {
            1 << 11
        } else {
            0
        };
        out.extend(0x04034b50u32.to_le_bytes());
        out.extend(20u16.to_le_bytes());
        out.extend(flags.to_le_bytes());
        out.extend(0u16.to_le_bytes()); // stored
        out.extend([0u8; 4]); // time, date
        out.extend(crc.to_le_bytes());
        out.extend((e.data.len() as u32).to_le_bytes());
        out.extend((e.data.len() as u32).to_le_bytes());
        out.extend((e.name.len() as u16).to_le_bytes());
        out.extend(0u16.to_le_bytes());
        out.extend(e.name);
        out.extend(e.data);
        central.extend(0x02014b50u32.to_le_bytes());
        let made_by: u16 = if e.mode.is_some() { (3 << 8) | 20 } else { 20 };
        central.extend(made_by.to_le_bytes());
        central.extend(20u16.to_le_bytes());
        central.extend(flags.to_le_bytes());
        central.extend(0u16.to_le_bytes());
        central.extend([0u8; 4]);
        central.extend(crc.to_le_bytes());
        central.extend((e.data.len() as u32).to_le_bytes());
        central.extend((e.data.len() as u32).to_le_bytes());
        central.extend((e.name.len() as u16).to_le_bytes());
        central.extend([0u8; 8]); // extra, comment, disk, internal attributes
        central.extend((e.mode.unwrap_or(0) << 16).to_le_bytes());
        central.extend(offset.to_le_bytes());
        central.extend(e.name);
    }
    let cd_offset = out.len() as u32;
    out.extend(&central);
    out.extend(0x06054b50u32.to_le_bytes());
    out.extend([0u8; 4]);
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

const BOOK_TOML: &[u8] = b"[book]\ntitle = \"Test\"\nlanguage = \"ky\"\nchapters = [\"a.md\"]\n";

fn book_with(extra: Entry<'_>) -> Vec<u8> {
    raw_zip(&[
        Entry {
            name: b"book/book.toml",
            data: BOOK_TOML,
            mode: None,
        },
        Entry {
            name: b"book/src/a.md",
            data: b"# A\n",
            mode: None,
        },
        extra,
    ])
}

/// Unpacks and expects a refusal; nothing may be left in the parent folder.
fn refused(zip: &[u8], limits: &Limits) -> Refused {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("revision");
    let r = unpack(zip, &dest, limits).expect_err("must be refused");
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    r
}

#[test]
fn zip_slip_paths_are_refused() {
    for name in [
        &b"../evil.md"[..],
        b"book/../../evil.md",
        b"/etc/cron.d/evil",
        b"C:/Windows/evil.md",
        b"book\\..\\..\\evil.md",
    ] {
        let r = refused(
            &book_with(Entry {
                name,
                data: b"x",
                mode: None,
            }),
            &Limits::default(),
        );
        assert!(
            matches!(r, Refused::UnsafePath { .. }),
            "{}: {r:?}",
            String::from_utf8_lossy(name)
        );
        assert!(r.to_string().contains("leads out of the book's folder"));
    }
}

#[test]
fn symlink_entries_are_refused() {
    let r = refused(
        &book_with(Entry {
            name: b"book/src/passwd.md",
            data: b"/etc/passwd",
            mode: Some(0o120777),
        }),
        &Limits::default(),
    );
    assert_eq!(
        r,
        Refused::Symlink {
            name: "book/src/passwd.md".into()
        }
    );
    assert!(r.to_string().contains("symbolic link"));
}

#[test]
fn nested_archives_are_refused_by_name_and_by_content() {
    let r = refused(
        &book_with(Entry {
            name: b"book/more.zip",
            data: b"PK\x05\x06",
            mode: None,
        }),
        &Limits::default(),
    );
    assert!(matches!(r, Refused::NestedArchive { .. }), "{r:?}");
    // Named like an image, but a gzip stream.
    let r = refused(
        &book_with(Entry {
            name: b"book/src/img.png",
            data: &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0],
            mode: None,
        }),
        &Limits::default(),
    );
    assert_eq!(
        r,
        Refused::NestedArchive {
            name: "book/src/img.png".into()
        }
    );
}

#[test]
fn non_utf8_file_names_are_refused() {
    let r = refused(
        &book_with(Entry {
            name: b"book/src/\xcf\xf0\xe8\xec\xe5\xf0.md",
            data: b"x",
            mode: None,
        }),
        &Limits::default(),
    );
    assert!(matches!(r, Refused::NotUtf8 { .. }), "{r:?}");
    assert!(r.to_string().contains("not in UTF-8"));
}

#[test]
fn zip_bombs_are_stopped_while_unpacking() {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    w.start_file("book/book.toml", opts).unwrap();
    w.write_all(BOOK_TOML).unwrap();
    w.start_file("book/src/a.md", opts).unwrap();
    w.write_all(&vec![b'a'; 20 * 1024 * 1024]).unwrap();
    let zip = w.finish().unwrap().into_inner();
    assert!(zip.len() < 100_000, "{}", zip.len());
    let r = refused(&zip, &Limits::default());
    assert_eq!(
        r,
        Refused::Bomb {
            name: "book/src/a.md".into()
        }
    );
    // The total, too: many files each within the ratio, together too large.
    let limits = Limits {
        max_unpacked: 1024 * 1024,
        ..Limits::default()
    };
    let r = refused(&zip, &limits);
    assert!(matches!(r, Refused::TooMuchUnpacked { .. }), "{r:?}");
}

#[test]
fn a_hundred_thousand_tiny_files_are_refused_before_unpacking() {
    let names: Vec<String> = (0..100_000).map(|i| format!("book/src/{i}.md")).collect();
    let entries: Vec<Entry<'_>> = names
        .iter()
        .map(|n| Entry {
            name: n.as_bytes(),
            data: b"",
            mode: None,
        })
        .collect();
    let r = refused(&raw_zip(&entries), &Limits::default());
    assert_eq!(r, Refused::TooManyFiles { limit: 10_000 });
}

#[test]
fn not_a_zip_and_too_large_are_said() {
    assert_eq!(
        refused(b"%PDF-1.7 not a zip", &Limits::default()),
        Refused::NotZip
    );
    assert_eq!(refused(b"", &Limits::default()), Refused::NotZip);
    let zip = book_with(Entry {
        name: b"book/src/b.md",
        data: &[b'x'; 4096],
        mode: None,
    });
    let small = Limits {
        max_upload: 1024,
        ..Limits::default()
    };
    let r = refused(&zip, &small);
    assert_eq!(r, Refused::TooLarge { limit: 1024 });
    // A truncated archive.
    let r = refused(&zip[..zip.len() / 2], &Limits::default());
    assert!(matches!(r, Refused::Damaged(_)), "{r:?}");
    // No book.toml.
    let r = refused(
        &raw_zip(&[Entry {
            name: b"notes.md",
            data: b"x",
            mode: None,
        }]),
        &Limits::default(),
    );
    assert_eq!(r, Refused::NoBook);
}

#[test]
fn a_sound_project_unpacks_under_its_top_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("rev");
    let zip = book_with(Entry {
        name: b"book/src/\xd0\xb1\xd3\xa9\xd0\xbb\xd2\xaf\xd0\xbc.md",
        data: "# Бөлүм\n".as_bytes(),
        mode: Some(0o100644),
    });
    let u = unpack(&zip, &dest, &Limits::default()).unwrap();
    assert_eq!(u.root, dest.join("book"));
    assert_eq!(u.files, 3);
    assert!(Path::new(&u.root).join("src/бөлүм.md").is_file());
    assert_eq!(u.source_hash.len(), 64);
    // The same files give the same hash.
    let again = unpack(&zip, &tmp.path().join("rev2"), &Limits::default()).unwrap();
    assert_eq!(again.source_hash, u.source_hash);
}
