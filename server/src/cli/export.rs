//! `kitep export pack`: the library written as a static site.

use anyhow::{Context, Result};
use server::offline::{self, pack, site, zim};
use std::path::Path;
use std::process::ExitCode;

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")
}

/// Sizes as people read them: 1.2 MB, 850 KB.
pub fn human(bytes: u64) -> String {
    match bytes {
        b if b >= 1_000_000 => format!("{:.1} MB", b as f64 / 1e6),
        b if b >= 1_000 => format!("{:.0} KB", b as f64 / 1e3),
        b => format!("{b} bytes"),
    }
}

type Published = (
    std::sync::Arc<server::library::state::Snapshot>,
    Vec<std::sync::Arc<server::library::state::Book>>,
);

/// The published library and the books of the chosen collections.
fn published(config: server::Config, collections: &[String]) -> Result<Published> {
    let rt = runtime()?;
    let state = rt.block_on(offline::open_published(config))?;
    let snapshot = state.snapshot();
    let books = site::select(&snapshot, collections)?;
    Ok((snapshot, books))
}

/// The site of the chosen books.
fn site_of(config: server::Config, collections: &[String], lang: &str) -> Result<site::Site> {
    let rt = runtime()?;
    let state = rt.block_on(offline::open_published(config))?;
    let snapshot = state.snapshot();
    let books = site::select(&snapshot, collections)?;
    if books.is_empty() {
        anyhow::bail!(
            "there are no published books to export (publish some with `kitep serve --books DIR`)"
        );
    }
    site::build(&state, books, lang)
}

pub fn pack(
    config: server::Config,
    collections: &[String],
    lang: &str,
    out: &Path,
) -> Result<ExitCode> {
    let site = site_of(config, collections, lang)?;
    let report = pack::write(&site, out)?;
    println!(
        "Wrote {} with {} books: {} in {} files; the search index is {} ({:.1} % of the pack).",
        out.display(),
        report.books,
        human(report.bytes),
        report.files,
        human(report.index_bytes),
        100.0 * report.index_bytes as f64 / report.bytes.max(1) as f64
    );
    println!("Open {} in a browser.", out.join("index.html").display());
    Ok(ExitCode::SUCCESS)
}

/// Kiwix's metadata for the site: languages by number of books, the books' publishers as its
/// creator, titles in the long description.
fn zim_meta(site: &site::Site, collections: &[String], publisher: &str) -> Result<zim::ZimMeta> {
    let mut langs: Vec<(&str, usize)> = Vec::new();
    let mut creators: Vec<String> = Vec::new();
    for b in &site.books {
        if let Some(code) = zim::iso639_3(&b.record.language) {
            match langs.iter_mut().find(|(c, _)| *c == code) {
                Some((_, n)) => *n += 1,
                None => langs.push((code, 1)),
            }
        }
        if let Some(p) = &b.record.publisher
            && !creators.contains(p)
        {
            creators.push(p.clone());
        }
    }
    langs.sort_by_key(|l| std::cmp::Reverse(l.1));
    let language = if langs.is_empty() {
        "mul".to_string()
    } else {
        langs.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(",")
    };
    let selection = if collections.is_empty() {
        "all".to_string()
    } else {
        collections.join("-")
    };
    let name_lang = if langs.len() == 1 { langs[0].0 } else { "mul" };
    let books = site.books.len();
    let description = match site.lang.as_str() {
        "ru" => format!("{books} книг Китепканы: читать и искать без интернета"),
        "en" => format!("{books} books from Kitepkana to read and search offline"),
        _ => format!("Китепкананын {books} китеби: интернетсиз окуу жана издөө"),
    };
    let mut long = String::new();
    for b in &site.books {
        let line = format!("{} ({}); ", b.record.title, b.record.language);
        if long.chars().count() + line.chars().count() > 3990 {
            break;
        }
        long.push_str(&line);
    }
    let long = long.trim_end_matches("; ").to_string();
    let title: String = site.title.chars().take(30).collect();
    let date = authoring::pipeline::format_utc(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
    );
    Ok(zim::ZimMeta {
        name: format!("kitepkana_{name_lang}_{selection}"),
        title,
        language,
        creator: if creators.is_empty() {
            "Kitepkana".into()
        } else {
            creators.join(", ")
        },
        publisher: publisher.to_string(),
        date: date[..10].to_string(),
        // Kiwix wants at most 80 characters; the long description must be at least as long.
        long_description: if long.chars().count() >= description.chars().count() {
            long
        } else {
            String::new()
        },
        description,
        tags:
            "kitepkana;education;_category:other;_ftindex:no;_pictures:yes;_videos:no;_details:yes"
                .into(),
        illustration: zim::illustration()?,
    })
}

pub fn zim(
    config: server::Config,
    collections: &[String],
    lang: &str,
    publisher: &str,
    out: &Path,
) -> Result<ExitCode> {
    if out.is_dir() {
        anyhow::bail!(
            "{} is a folder: give the ZIM file's name (library.zim)",
            out.display()
        );
    }
    let site = site_of(config, collections, lang)?;
    let meta = zim_meta(&site, collections, publisher)?;
    let report = zim::write(&site, &meta, out)?;
    println!(
        "Wrote {} ({}) with {} books: {} entries, {} of them redirects to identical files; the search index is {}.",
        out.display(),
        human(report.bytes),
        site.books.len(),
        report.entries,
        report.redirects,
        human(site.index_bytes()),
    );
    println!(
        "Serve it with `kiwix-serve {}` or open it in a Kiwix reader.",
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub fn marc(
    config: server::Config,
    collections: &[String],
    format: &str,
    public_url: &str,
    out: &Path,
) -> Result<ExitCode> {
    use server::feeds::marc;
    if out.is_dir() {
        anyhow::bail!(
            "{} is a folder: give the file's name (library.{format})",
            out.display()
        );
    }
    let (snapshot, books) = published(config, collections)?;
    let records: Vec<marc::Record> = books
        .iter()
        .map(|b| marc::record(b, &snapshot.editions_of(b), public_url))
        .collect();
    let bytes = match format {
        "xml" => marc::to_marcxml(&records).into_bytes(),
        _ => records.iter().flat_map(marc::to_iso2709).collect(),
    };
    offline::write_whole(out, &bytes)?;
    println!(
        "Wrote {} MARC 21 records ({}) to {} ({}).",
        records.len(),
        if format == "xml" {
            "MARCXML"
        } else {
            "ISO 2709"
        },
        out.display(),
        human(bytes.len() as u64)
    );
    Ok(ExitCode::SUCCESS)
}

pub fn catalogue(
    config: server::Config,
    collections: &[String],
    public_url: &str,
    out: &Path,
) -> Result<ExitCode> {
    if out.is_dir() {
        anyhow::bail!(
            "{} is a folder: give the file's name (catalogue.json)",
            out.display()
        );
    }
    let (snapshot, books) = published(config, collections)?;
    let doc = server::feeds::catalogue::document(&snapshot, &books, public_url);
    let text = serde_json::to_string_pretty(&doc)?;
    offline::write_whole(out, text.as_bytes())?;
    println!(
        "Wrote the catalogue of {} editions ({} works) to {} ({}).",
        books.len(),
        doc["works"].as_array().map(Vec::len).unwrap_or(0),
        out.display(),
        human(text.len() as u64)
    );
    Ok(ExitCode::SUCCESS)
}
