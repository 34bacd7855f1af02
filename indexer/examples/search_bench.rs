//! Search benchmark: indexing throughput with all our analyzers against bare tantivy with its
//! default analyzer on the same text, side by side; then query latency (p50, p99) of full searches
//! (grouping, snippets) over a large index of Kyrgyz and Russian passages, beside bare tantivy
//! answering the same queries over the same passages.
//!
//! The corpus is assembled at run time from the shared treebank sentences (../shared/data, read,
//! never copied) and the sample library. Run:
//! `cargo run --release -p indexer --example search_bench -- [--passages 1000000] [--throughput 100000] [--queries 2000]`
//! Options: `--repeat N` passes over the queries (default 3, the median pass sums up),
//! `--index-dir DIR` keeps the large index between runs, `--slowest N` lists the slowest
//! queries, `--side ours|bare` times one side of the indexing comparison only (for a profiler).

use indexer::library::{BookRecord, PassageRecord};
use indexer::{BuiltBook, Library, SearchRequest};
use std::path::{Path, PathBuf};
use std::time::Instant;
use tantivy::schema::{STORED, Schema, TEXT};
use tantivy::{Index, TantivyDocument};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[(self.next() % v.len() as u64) as usize]
    }
}

/// The value after `name` on the command line.
fn arg_str(name: &str) -> Option<String> {
    std::env::args().skip_while(|a| a != name).nth(1)
}

fn arg(name: &str, default: usize) -> usize {
    arg_str(name)
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn sentences(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (the benchmark reads ../shared/data)",
                path.display()
            )
        })
        .lines()
        .filter_map(|l| l.split_once('\t').map(|(_, s)| s.to_string()))
        .collect()
}

/// Sentences of the sample books in one language (plain lines of their Markdown).
fn book_sentences(root: &Path, lang: &str) -> Vec<String> {
    let mut out = Vec::new();
    for book in std::fs::read_dir(root.join("corpus/books"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let toml = std::fs::read_to_string(book.path().join("book.toml")).unwrap_or_default();
        if !toml.contains(&format!("language = \"{lang}\"")) {
            continue;
        }
        for f in std::fs::read_dir(book.path().join("src"))
            .into_iter()
            .flatten()
            .flatten()
        {
            let text = std::fs::read_to_string(f.path()).unwrap_or_default();
            out.extend(
                text.lines()
                    .filter(|l| l.split_whitespace().count() > 5 && !l.contains(['$', '|', '<']))
                    .map(str::to_string),
            );
        }
    }
    out
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let data = std::env::var("KITEP_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("../shared/data"));
    let n_passages = arg("--passages", 1_000_000);
    let n_throughput = arg("--throughput", 100_000);
    let n_queries = arg("--queries", 2_000);
    let mut ky = sentences(&data.join("retrieval/ky_ktmu_train.docs.tsv"));
    ky.extend(book_sentences(&root, "ky"));
    let mut ru = sentences(&data.join("retrieval/ru_gsd_dev.docs.tsv"));
    ru.extend(book_sentences(&root, "ru"));
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut passage = |i: usize| -> (String, &'static str) {
        let (pool, lang) = if i.is_multiple_of(2) {
            (&ky, "ky")
        } else {
            (&ru, "ru")
        };
        let text = (0..3)
            .map(|_| rng.pick(pool).as_str())
            .collect::<Vec<_>>()
            .join(" ");
        (text, lang)
    };

    // 1. Throughput, side by side on the same passages (`--throughput 0` skips it).
    if n_throughput > 0 {
        // One indexing thread each.
        let sample: Vec<(String, &str)> = (0..n_throughput).map(&mut passage).collect();
        let bytes: usize = sample.iter().map(|(t, _)| t.len()).sum();
        // `--side ours|bare` runs one side only (for a profiler).
        let side = arg_str("--side").unwrap_or_default();
        let bare = || {
            let mut b = Schema::builder();
            let body = b.add_text_field("body", TEXT | STORED);
            let index = Index::create_in_ram(b.build());
            let mut w = index.writer_with_num_threads(1, 64 << 20).unwrap();
            let t = Instant::now();
            for (text, _) in &sample {
                let mut d = TantivyDocument::default();
                d.add_text(body, text);
                w.add_document(d).unwrap();
            }
            w.commit().unwrap();
            t.elapsed().as_secs_f64()
        };
        let ours = || {
            let lib = Library::in_memory().unwrap();
            let mut w = lib.writer().unwrap();
            let t = Instant::now();
            for (i, (text, lang)) in sample.iter().enumerate() {
                w.add_plain("bench", &i.to_string(), lang, text).unwrap();
            }
            w.commit().unwrap();
            t.elapsed().as_secs_f64()
        };
        // Each side twice, in the order bare, ours, ours, bare, so that a machine whose speed
        // drifts during the run slows both sides alike.
        let (bare_secs, ours_secs) = match side.as_str() {
            "ours" => (f64::NAN, ours()),
            "bare" => (bare(), f64::NAN),
            _ => {
                let (b1, o1, o2, b2) = (bare(), ours(), ours(), bare());
                ((b1 + b2) / 2.0, (o1 + o2) / 2.0)
            }
        };
        let mb = bytes as f64 / 1e6;
        println!(
            "indexing {} passages ({mb:.1} MB, half Kyrgyz, half Russian), one indexing thread each, each side twice (bare, kitep, kitep, bare):",
            sample.len()
        );
        println!(
            "  bare tantivy, default analyzer, 1 field:   {:8.0} passages/s  {:6.2} MB/s",
            sample.len() as f64 / bare_secs,
            mb / bare_secs
        );
        println!(
            "  kitep, all analyzers (4 ky / 2 ru fields): {:8.0} passages/s  {:6.2} MB/s",
            sample.len() as f64 / ours_secs,
            mb / ours_secs
        );
        println!(
            "  ratio: {:.0} % of bare tantivy (goal >= 50 %)",
            100.0 * bare_secs / ours_secs
        );
        drop(sample);
    }

    // 2. Query latency over a large on-disk index, books of 200 passages.
    // `--index-dir DIR` keeps the large index for the next run (built again only if its size differs).
    let temp = tempfile::tempdir().unwrap();
    let dir = arg_str("--index-dir").map_or_else(|| temp.path().to_path_buf(), PathBuf::from);
    // The peer: bare tantivy with its default analyzer over the same passages, one text field.
    let (peer_dir, ours_dir) = (dir.join("bare"), dir.join("kitep"));
    let mut peer_schema = Schema::builder();
    let peer_body = peer_schema.add_text_field("body", TEXT | STORED);
    let peer_schema = peer_schema.build();
    let mut lib = Library::open(&ours_dir).unwrap();
    let existing = lib.reader.searcher().num_docs() as usize;
    let peer_existing = Index::open_in_dir(&peer_dir)
        .ok()
        .and_then(|i| i.reader().ok())
        .map_or(0, |r| r.searcher().num_docs() as usize);
    // Both sides are built again unless both hold this corpus: ours one document per passage
    // and one per book of 200, the peer one per passage. (A kept peer beside a rebuilt index of
    // ours would be searched with the passages of both builds.)
    if existing != n_passages + n_passages.div_ceil(200) || peer_existing != n_passages {
        drop(lib);
        // Only the two index folders: `--index-dir` may name a folder with other files.
        let _ = std::fs::remove_dir_all(&peer_dir);
        let _ = std::fs::remove_dir_all(&ours_dir);
        std::fs::create_dir_all(&peer_dir).unwrap();
        Index::create_in_dir(&peer_dir, peer_schema).unwrap();
        lib = Library::open(&ours_dir).unwrap();
    }
    let peer = Index::open_in_dir(&peer_dir).unwrap();
    let t = Instant::now();
    if lib.reader.searcher().num_docs() == 0 {
        let mut peer_w: tantivy::IndexWriter = peer.writer_with_num_threads(1, 64 << 20).unwrap();
        let mut w = lib.writer().unwrap();
        let per_book = 200;
        for b in 0..n_passages.div_ceil(per_book) {
            let lang = if b.is_multiple_of(2) { "ky" } else { "ru" };
            let record = BookRecord {
                slug: format!("book-{b}"),
                title: format!("Book {b}"),
                language: lang.to_string(),
                grades: vec![(b % 11 + 1) as u8],
                subject: Some(["mathematics", "reading", "science"][b % 3].to_string()),
                ..Default::default()
            };
            let passages = (0..per_book.min(n_passages - b * per_book))
                .map(|i| {
                    let (text, _) = passage(b * 2 + (b % 2));
                    let mut d = TantivyDocument::default();
                    d.add_text(peer_body, &text);
                    peer_w.add_document(d).unwrap();
                    PassageRecord {
                        book: record.slug.clone(),
                        work: None,
                        edition: None,
                        chapter: format!("ch{}", i / 20),
                        chapter_index: i / 20,
                        chapter_title: String::new(),
                        anchor: format!("s{i}"),
                        heading_path: Vec::new(),
                        lang: lang.to_string(),
                        text,
                    }
                })
                .collect();
            w.replace_book(&BuiltBook { record, passages }).unwrap();
        }
        w.commit().unwrap();
        peer_w.commit().unwrap();
        peer_w.wait_merging_threads().unwrap();
    }
    // Merged into one segment, as the portal does after publishing a batch of books (the peer
    // too).
    if lib.reader.searcher().segment_readers().len() > 1 {
        lib.writer().unwrap().merge_all().unwrap();
        lib.reload().unwrap();
    }
    let peer_segments = peer.searchable_segment_ids().unwrap();
    if peer_segments.len() > 1 {
        let mut pw: tantivy::IndexWriter = peer.writer_with_num_threads(1, 64 << 20).unwrap();
        pw.merge(&peer_segments).wait().unwrap();
        pw.wait_merging_threads().unwrap();
    }
    let peer_reader = peer.reader().unwrap();
    let peer_searcher = peer_reader.searcher();
    let peer_parser = tantivy::query::QueryParser::for_index(&peer, vec![peer_body]);
    println!(
        "index of {n_passages} passages ready in {:.0} s",
        t.elapsed().as_secs_f64()
    );
    // Queries: one to three words taken from the pools, half Kyrgyz, half Russian.
    let mut qrng = Rng(0x2545_F491_4F6C_DD1D);
    let queries: Vec<String> = (0..n_queries)
        .map(|i| {
            let pool = if i.is_multiple_of(2) { &ky } else { &ru };
            let words: Vec<&str> = qrng
                .pick(pool)
                .split_whitespace()
                .filter(|w| w.chars().count() > 3)
                .collect();
            let n = 1 + (qrng.next() % 3) as usize;
            words.iter().take(n).copied().collect::<Vec<_>>().join(" ")
        })
        .filter(|q| !q.is_empty())
        .collect();
    // One full search, as the portal runs it for a results page.
    let full_search = |q: &str| {
        indexer::search(
            &lib,
            &SearchRequest {
                query: q.to_string(),
                per_page: 10,
                ..Default::default()
            },
        )
        .unwrap()
    };
    for q in queries.iter().take(50) {
        std::hint::black_box(full_search(q));
    }
    // `--repeat N` passes over the queries (default 3). Within a pass each query is run by
    // kitep and then by the peer, so both sides see the same moment of a shared machine and
    // their ratio holds even when the machine's speed drifts. Each pass's percentiles are
    // printed; the pass with the median kitep p99 sums them up, so one burst of noise neither
    // hides nor fakes a slow tail.
    let repeat = arg("--repeat", 3).max(1);
    let slowest = arg("--slowest", 0);
    println!(
        "query latency over {n_passages} passages, {} queries, {repeat} passes:",
        queries.len()
    );
    println!("  kitep: full search (all analyzers, grouping by book, snippets, facets)");
    println!(
        "  peer: bare tantivy, default analyzer, one field, lenient query parser, top 10 documents read"
    );
    println!("  (each query is run by kitep, then by the peer, in turn)");
    let peer_search = |q: &str| {
        let (query, _) = peer_parser.parse_query_lenient(q);
        let top = peer_searcher
            .search(
                &query,
                &tantivy::collector::TopDocs::with_limit(10).order_by_score(),
            )
            .unwrap();
        for (_, addr) in top {
            let d: TantivyDocument = peer_searcher.doc(addr).unwrap();
            std::hint::black_box(d);
        }
    };
    let mut passes: Vec<([f64; 3], [f64; 3])> = Vec::new();
    for pass in 1..=repeat {
        let mut lat = Vec::with_capacity(queries.len());
        let mut peer_lat = Vec::with_capacity(queries.len());
        for q in &queries {
            lat.push(time_ms(|| {
                std::hint::black_box(full_search(q));
            }));
            peer_lat.push(time_ms(|| peer_search(q)));
        }
        // `--slowest N` lists the slowest queries of the first pass (what the tail is made of).
        if pass == 1 && slowest > 0 {
            let mut by_time: Vec<(f64, &String)> = lat.iter().copied().zip(&queries).collect();
            by_time.sort_by(|a, b| b.0.total_cmp(&a.0));
            for (ms, q) in by_time.into_iter().take(slowest) {
                println!("  {ms:7.2} ms  {q}");
            }
        }
        let ([k50, k90, k99], [p50, p90, p99]) = (percentiles(lat), percentiles(peer_lat));
        println!(
            "  pass {pass}: kitep p50 {k50:.2} ms  p90 {k90:.2} ms  p99 {k99:.2} ms | peer p50 {p50:.2} ms  p90 {p90:.2} ms  p99 {p99:.2} ms | kitep/peer p50 {:.1}x  p99 {:.1}x",
            k50 / p50,
            k99 / p99
        );
        passes.push(([k50, k90, k99], [p50, p90, p99]));
    }
    passes.sort_by(|x, y| x.0[2].total_cmp(&y.0[2]));
    let ([k50, _, k99], [p50, _, p99]) = passes[passes.len() / 2];
    println!(
        "  median pass: kitep p50 {k50:.2} ms  p99 {k99:.2} ms (goal p50 <= 2 ms, p99 <= 10 ms) | peer p50 {p50:.2} ms  p99 {p99:.2} ms | kitep/peer: p50 {:.1}x  p99 {:.1}x",
        k50 / p50,
        k99 / p99
    );
}

/// How long `run` takes, in milliseconds.
fn time_ms(run: impl FnOnce()) -> f64 {
    let t = Instant::now();
    run();
    t.elapsed().as_secs_f64() * 1000.0
}

/// p50, p90 and p99 of some latencies.
fn percentiles(mut lat: Vec<f64>) -> [f64; 3] {
    lat.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| lat[((lat.len() as f64 - 1.0) * p).round() as usize];
    [pct(0.5), pct(0.9), pct(0.99)]
}
