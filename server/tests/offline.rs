//! The library without a network, as users and outside checks call it: `kitep export pack`.
//! (The pack's search itself runs in Chromium in `tests/browser/offline.mjs`, and in Node in
//! `kitep eval retrieval --pack`.)

use std::path::Path;
use std::process::{Command, Output};

fn kitep() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kitep"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn export_pack(data: &Path, out: &Path, extra: &[&str]) -> Output {
    kitep()
        .args(["export", "pack", "--data"])
        .arg(data)
        .arg("-o")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn export_pack_writes_a_static_library_and_never_overwrites_other_folders() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let pack = tmp.path().join("pack");

    // A fresh data folder: the sample library is published first, as `kitep serve` would.
    let run = export_pack(&data, &pack, &[]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let said = text(&run.stdout);
    assert!(
        said.contains("6 books") && said.contains("search index is"),
        "{said}"
    );
    let home = std::fs::read_to_string(pack.join("index.html")).unwrap();
    for slug in ["fractions-5-ky", "water-cycle-en", "uz-latn-healthy-habits"] {
        assert!(
            home.contains(&format!("books/{slug}/index.html")),
            "{slug} not on the home page"
        );
        let book = pack.join("books").join(slug);
        assert!(
            book.join(format!("{slug}.epub")).is_file(),
            "{slug}: no EPUB"
        );
        let reader = std::fs::read_to_string(book.join("html/index.html")).unwrap();
        assert!(
            reader.contains("../../../search/highlight.js"),
            "{slug}: reader without highlighting"
        );
    }
    let search = std::fs::read_to_string(pack.join("search.html")).unwrap();
    assert!(search.contains("search/search.js") && search.contains("<noscript>"));
    let meta = std::fs::read_to_string(pack.join("search/meta/0.js")).unwrap();
    assert!(
        meta.starts_with("kitepSearch.add(\"meta/0\""),
        "{}",
        &meta[..60.min(meta.len())]
    );

    // Only the books of a collection.
    let pack2 = tmp.path().join("pack-maths");
    let collections = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus/books/library.toml"),
    )
    .unwrap();
    let first = collections
        .lines()
        .find_map(|l| l.trim().strip_prefix("slug = \""))
        .map(|s| s.trim_end_matches('"').to_string())
        .expect("a collection in library.toml");
    let run = export_pack(&data, &pack2, &["--collection", &first]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(
        !text(&run.stdout).contains("6 books"),
        "{}",
        text(&run.stdout)
    );

    // An unknown collection is named, with the ones there are.
    let run = export_pack(&data, &tmp.path().join("p3"), &["--collection", "no-such"]);
    assert!(!run.status.success());
    let err = text(&run.stderr);
    assert!(err.contains("no-such") && err.contains(&first), "{err}");
    assert!(!tmp.path().join("p3").exists());

    // A folder that is not a pack is left alone.
    let other = tmp.path().join("documents");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("thesis.txt"), "mine").unwrap();
    let run = export_pack(&data, &other, &[]);
    assert!(!run.status.success());
    assert!(
        text(&run.stderr).contains("not a pack written by kitep"),
        "{}",
        text(&run.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(other.join("thesis.txt")).unwrap(),
        "mine"
    );

    // An earlier pack is replaced whole: what it had and the new one has not is gone.
    std::fs::write(pack.join("books/stale.html"), "old").unwrap();
    let run = export_pack(&data, &pack, &["--lang", "ru"]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(!pack.join("books/stale.html").exists());
    assert!(
        std::fs::read_to_string(pack.join("index.html"))
            .unwrap()
            .contains("lang=\"ru\"")
    );
}

#[test]
fn export_zim_writes_one_file_and_refuses_a_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let zim = tmp.path().join("library.zim");
    let run = kitep()
        .args(["export", "zim", "--data"])
        .arg(&data)
        .arg("-o")
        .arg(&zim)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(
        text(&run.stdout).contains("6 books"),
        "{}",
        text(&run.stdout)
    );
    let bytes = std::fs::read(&zim).unwrap();
    assert_eq!(&bytes[..4], &[0x5A, 0x49, 0x4D, 0x04], "not a ZIM file");
    // Every book's reader and EPUB are inside, as paths in the file.
    for needle in [
        "books/fractions-5-ky/fractions-5-ky.epub",
        "books/water-cycle-en/html/index.html",
    ] {
        assert!(
            bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "{needle} is not in the ZIM file"
        );
    }
    // No temporary file is left beside it.
    let names: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains(".kitep-")), "{names:?}");

    let run = kitep()
        .args(["export", "zim", "--data"])
        .arg(&data)
        .arg("-o")
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(!run.status.success());
    assert!(
        text(&run.stderr).contains("is a folder"),
        "{}",
        text(&run.stderr)
    );
}

#[test]
fn export_catalogue_lists_works_with_their_editions_and_curriculum() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("catalogue.json");
    let run = kitep()
        .args(["export", "catalogue", "--data"])
        .arg(tmp.path().join("data"))
        .args(["--public-url", "https://kitep.example/"])
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", text(&run.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(doc["kitepkana_catalogue"], 1);
    let works = doc["works"].as_array().unwrap();
    let editions: usize = works
        .iter()
        .map(|w| w["editions"].as_array().unwrap().len())
        .sum();
    assert_eq!(editions, 6);
    // The two fractions editions are one work.
    let fractions = works
        .iter()
        .find(|w| {
            w["editions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["slug"] == "fractions-5-ky")
        })
        .unwrap();
    let slugs: Vec<&str> = fractions["editions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["slug"].as_str().unwrap())
        .collect();
    assert!(slugs.contains(&"fractions-5-ru"), "{slugs:?}");
    let ky = fractions["editions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["slug"] == "fractions-5-ky")
        .unwrap();
    assert_eq!(ky["curriculum"]["grades"], serde_json::json!([5]));
    assert_eq!(ky["curriculum"]["subject"], "mathematics");
    assert_eq!(
        ky["links"]["page"],
        "https://kitep.example/books/fractions-5-ky"
    );
    assert!(
        ky["contributors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["role"] == "author")
    );
}
