//! `kitep`: Kitepkana's one command. Parses arguments and calls library code, nothing more.

use anyhow::{Context, Result, bail};
use authoring::{BuildError, BuildOptions, BuildReport, Formats};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

mod cli;

#[derive(Parser)]
#[command(
    name = "kitep",
    version,
    about = "Kitepkana: textbooks from Markdown to EPUB 3, a web reader and a school library portal"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new book skeleton that shows every feature.
    New {
        /// Folder to create (must not exist, or be empty).
        dir: PathBuf,
    },
    /// Serve a book's web reader on localhost, rebuilt on every save; the open page reloads.
    Preview {
        /// The book folder (with book.toml).
        book: PathBuf,
        /// Address to listen on (port 0: any free port, printed at start).
        #[arg(long, default_value = "127.0.0.1:3030")]
        addr: String,
        /// Where the preview is built (a temporary folder, removed at exit, when absent).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Turn a document into a book project: `kitep import docx FILE.docx -o BOOK_DIR`.
    Import {
        /// The document's format: docx (Word 2007 and later, LibreOffice's .docx).
        #[arg(value_parser = ["docx"])]
        format: String,
        /// The document.
        file: PathBuf,
        /// The new book folder (must not exist, or be empty).
        #[arg(short, long)]
        out: PathBuf,
        /// Headings of this level and above start a chapter (1: one chapter per top-level heading).
        #[arg(long, default_value_t = 1)]
        split_level: u8,
        /// The book's language (ky, ru, uz-Latn …), when the document's own marks are wrong.
        #[arg(long)]
        language: Option<String>,
    },
    /// Report every problem in a book (`file:line:col: error|warning: message`); exit 1 on errors.
    Check {
        /// The book folder (with book.toml).
        book: PathBuf,
    },
    /// Index built books (folders written by `kitep build`) into a search index.
    Index {
        /// `kitep build` output folders (each book replaces its earlier version in the index).
        #[arg(required_unless_present = "delete")]
        builds: Vec<PathBuf>,
        /// The index folder (created if needed).
        #[arg(long)]
        index: PathBuf,
        /// Remove a book (by its slug) from the index; repeatable.
        #[arg(long, value_name = "SLUG")]
        delete: Vec<String>,
    },
    /// Search an index: results grouped by book, with highlighted passages.
    Search {
        #[arg(long)]
        index: PathBuf,
        /// The query's language (ky, ru, en …); detected when absent.
        #[arg(long)]
        lang: Option<String>,
        /// Print the results as JSON.
        #[arg(long)]
        json: bool,
        /// Filters such as grade=5, lang=ky, subject=mathematics (repeatable).
        #[arg(long = "filter")]
        filters: Vec<String>,
        #[arg(long, default_value_t = 1)]
        page: usize,
        /// Order of the books: relevance, title or date (newest first).
        #[arg(long, default_value = "relevance", value_parser = parse_sort)]
        sort: indexer::Sort,
        /// Print completions of the query (as typed in a search box) instead of results.
        #[arg(long)]
        suggest: bool,
        /// The query (several words may follow).
        #[arg(required = true, num_args = 1.., allow_hyphen_values = true)]
        query: Vec<String>,
    },
    /// Print the stemmed terms of each line of stdin, one output line per input line.
    Analyze {
        #[arg(long)]
        lang: String,
    },
    /// Print the language of each line of stdin (ky, ru, kk, uz, …; `und` when none fits).
    DetectLang {
        /// Add the script where a language is written in two (`uz-Latn` for Latin Uzbek).
        #[arg(long)]
        script: bool,
    },
    /// Run the school library portal (publishes the sample library on first start).
    Serve {
        /// Where the catalog, index and built books live (created if missing).
        #[arg(long, env = "KITEP_DATA", default_value = "kitep-data")]
        data: PathBuf,
        /// Address to listen on.
        #[arg(long, env = "KITEP_ADDR", default_value = "127.0.0.1:8080")]
        addr: String,
        /// The catalog database: sqlite://PATH (default: DATA/catalog.db) or postgres://…
        #[arg(long, env = "KITEP_DATABASE_URL")]
        database_url: Option<String>,
        /// Book folders, or library folders of books (with an optional library.toml), to publish;
        /// unchanged books are skipped. Default: the sample library, on first start only.
        #[arg(long, env = "KITEP_BOOKS", num_args = 1.., value_delimiter = ',')]
        books: Vec<PathBuf>,
        /// The portal's public address, for the sitemap and OPDS search (default: http://ADDR).
        #[arg(long, env = "KITEP_PUBLIC_URL")]
        public_url: Option<String>,
        /// A school server: keep the library current from this national portal (as `kitep sync
        /// --from`), now and every `--sync-every`.
        #[arg(long, env = "KITEP_SYNC_FROM")]
        sync_from: Option<String>,
        /// How often to sync (30m, 1h, 1d).
        #[arg(long, env = "KITEP_SYNC_EVERY", default_value = "1h", value_parser = parse_interval)]
        sync_every: std::time::Duration,
        /// The national portal's public key (as `kitep sync --key`).
        #[arg(long, env = "KITEP_SYNC_KEY")]
        sync_key: Option<String>,
    },
    /// Evaluate search quality on test collections.
    #[command(subcommand)]
    Eval(EvalCommand),
    /// Send a book to a portal as a new draft revision (for review and publishing there).
    Publish {
        /// The book folder (with book.toml).
        book: PathBuf,
        /// The portal's address: http://HOST[:PORT].
        #[arg(long)]
        to: String,
        /// A staff member's API token (or KITEP_TOKEN).
        #[arg(long, env = "KITEP_TOKEN", hide_env_values = true)]
        token: String,
        /// The organisation the draft belongs to, when the token's owner has several.
        #[arg(long)]
        organisation: Option<String>,
        /// Wait for the portal's build and print its diagnostics; exit 1 if the book has errors.
        #[arg(long)]
        wait: bool,
    },
    /// Staff accounts, from the command line (works on a stopped or a running portal's data).
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Keep a school server's library current from the national portal (`--from URL`), or from a
    /// folder carried on a USB stick (`--from DIR`, written with `--export DIR`).
    Sync {
        #[command(flatten)]
        data: DataArgs,
        /// The national portal's address (http://…, https://…) or an export folder.
        #[arg(long, required_unless_present = "export", conflicts_with = "export")]
        from: Option<String>,
        /// Write this portal's sync log, key and book files to a folder (a USB stick).
        #[arg(long, value_name = "DIR")]
        export: Option<PathBuf>,
        /// Only books of these collections (repeatable).
        #[arg(long = "collection", value_name = "SLUG")]
        collections: Vec<String>,
        /// Only books in these languages (ky,ru …).
        #[arg(long, value_delimiter = ',')]
        language: Vec<String>,
        /// Only books for these grades: 5 or 5-9.
        #[arg(long, value_parser = parse_grades)]
        grade: Option<(u8, u8)>,
        /// The portal's public key (a minisign .pub file or its key line); without it, the key
        /// the first sync from this source saw is trusted.
        #[arg(long)]
        key: Option<String>,
        /// Bytes per second at most: 200k, 1M, or a number of bytes.
        #[arg(long, value_parser = parse_rate)]
        max_rate: Option<u64>,
        /// Sync again at this interval (30m, 1h, 1d) until stopped.
        #[arg(long, value_parser = parse_interval)]
        every: Option<std::time::Duration>,
    },
    /// The library for places without internet: a folder that opens in any browser (`pack`), a
    /// ZIM file for Kiwix (`zim`).
    #[command(subcommand)]
    Export(ExportCommand),
    /// Build a book: OUT/<slug>.epub, OUT/html/ and OUT/passages.jsonl.
    Build {
        /// The book folder (with book.toml).
        book: PathBuf,
        /// Output folder. Errors in the content (missing image, broken link, bad math) still
        /// write the outputs (exit 1); a book that cannot be read writes nothing.
        #[arg(short = 'o', long = "out")]
        out: PathBuf,
        /// Which outputs to write: a comma-separated subset of epub,html,passages,pdf (pdf: the
        /// print edition, OUT/<slug>.pdf).
        #[arg(long, default_value = "epub,html,passages")]
        format: String,
        /// Paper of the print edition: a4 or a5.
        #[arg(long, default_value = "a4", value_parser = parse_paper)]
        paper: print::Paper,
        /// Widest image in pixels; larger ones are scaled down.
        #[arg(long)]
        max_image_width: Option<u32>,
        /// Count warnings as errors, and write nothing when there is any problem.
        #[arg(long)]
        strict: bool,
        /// Print only problems, no summary.
        #[arg(short, long)]
        quiet: bool,
    },
}

/// Where the portal keeps its catalog, as `kitep serve` takes it.
#[derive(clap::Args)]
struct DataArgs {
    /// The portal's data folder (as given to `kitep serve`).
    #[arg(long, env = "KITEP_DATA", default_value = "kitep-data")]
    data: PathBuf,
    /// The catalog database, when it is not DATA/catalog.db: sqlite://PATH or postgres://…
    #[arg(long, env = "KITEP_DATABASE_URL")]
    database_url: Option<String>,
}

impl DataArgs {
    fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}",
                self.data.join("catalog.db").to_string_lossy()
            )
        })
    }
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Withdraw a published book (it leaves search, feeds, the API; its pages answer 410 with the
    /// reason; files kept), as a librarian does in the portal; a running portal follows at once.
    Withdraw {
        #[command(flatten)]
        data: DataArgs,
        /// Why, shown to readers.
        #[arg(long)]
        reason: String,
        slug: String,
    },
    /// Restore a withdrawn book.
    Restore {
        #[command(flatten)]
        data: DataArgs,
        slug: String,
    },
    /// Create a staff account (or give a known one more roles and a new password) and print its
    /// one-time password, which must be replaced at the first sign-in.
    AddUser {
        #[command(flatten)]
        data: DataArgs,
        /// author, reviewer, librarian or admin; repeatable.
        #[arg(long, required = true, value_parser = parse_role)]
        role: Vec<catalog::Role>,
        /// An organisation the person works for (a publisher, a project team, a school);
        /// repeatable. Authors upload drafts for their organisations.
        #[arg(long)]
        organisation: Vec<String>,
        /// The person's e-mail address (their sign-in name).
        email: String,
    },
    /// Print a new API token for a staff member (for a publisher's CI: `kitep publish --token`).
    /// It can do what the person's roles allow, and is stored only as a hash.
    Token {
        #[command(flatten)]
        data: DataArgs,
        /// A name to recognise the token by in the portal (e.g. "CI of the grade 5 maths book").
        #[arg(long, default_value = "command line")]
        name: String,
        /// The person's e-mail address.
        email: String,
    },
}

/// A portal's data folder and which of its books an export takes.
#[derive(clap::Args)]
struct Selection {
    #[command(flatten)]
    data: DataArgs,
    /// Only the books of these collections (repeatable; default: every published book).
    #[arg(long = "collection", value_name = "SLUG")]
    collections: Vec<String>,
}

#[derive(Subcommand)]
enum ExportCommand {
    /// A static copy of the library for a USB stick: home page, book pages, web readers, EPUBs
    /// and a search that runs in the browser. Opens from file:// with no server and no network.
    Pack {
        #[command(flatten)]
        books: Selection,
        /// The language of the pages' interface: ky, ru or en.
        #[arg(long, default_value = "ky", value_parser = ["ky", "ru", "en"])]
        lang: String,
        /// The folder to write (new, empty, or an earlier pack, which is replaced whole).
        #[arg(short = 'o', long = "out")]
        out: PathBuf,
    },
    /// MARC 21 records of the published editions for library systems (Koha …): ISO 2709 or
    /// MARCXML, UTF-8, one record per edition with its slug as the control number (001).
    Marc {
        #[command(flatten)]
        books: Selection,
        /// mrc (ISO 2709) or xml (MARCXML).
        #[arg(long, default_value = "mrc", value_parser = ["mrc", "xml"])]
        format: String,
        /// The portal's public address, for the links to each book (856).
        #[arg(
            long,
            env = "KITEP_PUBLIC_URL",
            default_value = "http://127.0.0.1:8080"
        )]
        public_url: String,
        /// The file to write.
        #[arg(short = 'o', long = "out")]
        out: PathBuf,
    },
    /// The whole catalogue as one JSON document (works, their language editions, curriculum
    /// metadata, collections, links), for education information systems; see
    /// docs/catalogue-json.md.
    Catalogue {
        #[command(flatten)]
        books: Selection,
        /// The portal's public address, for the links to each book.
        #[arg(
            long,
            env = "KITEP_PUBLIC_URL",
            default_value = "http://127.0.0.1:8080"
        )]
        public_url: String,
        /// The file to write.
        #[arg(short = 'o', long = "out")]
        out: PathBuf,
    },
    /// The same library in one ZIM file, for Kiwix readers and kiwix-serve (its search page
    /// finds Kyrgyz words in their forms).
    Zim {
        #[command(flatten)]
        books: Selection,
        /// The language of the pages' interface: ky, ru or en.
        #[arg(long, default_value = "ky", value_parser = ["ky", "ru", "en"])]
        lang: String,
        /// Who made the file (ZIM Publisher; the books' publishers are its Creator).
        #[arg(long, default_value = "Kitepkana")]
        publisher: String,
        /// The ZIM file to write (replaced whole when it exists).
        #[arg(short = 'o', long = "out")]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum EvalCommand {
    /// Recall@10, MRR@10 and nDCG@10 per query variant on a docs/queries/qrels collection.
    Retrieval {
        #[arg(long)]
        lang: String,
        #[arg(long)]
        docs: PathBuf,
        #[arg(long)]
        queries: PathBuf,
        #[arg(long)]
        qrels: PathBuf,
        /// Write the rankings as a TREC run file.
        #[arg(long)]
        run: Option<PathBuf>,
        /// Also run the search of a static copy (`kitep export pack`) on the same collection,
        /// in Node, and print its figures beside the portal's.
        #[arg(long)]
        pack: bool,
    },
    /// Pairwise conflation of the stemmer against treebank lemmas (nominals and verbs).
    Stemmer {
        #[arg(long, required = true, num_args = 1..)]
        conllu: Vec<PathBuf>,
        /// The language; taken from the file name (ky_…, ru_…) when absent.
        #[arg(long)]
        lang: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        // The reader of our output went away (`kitep search … | head`): nothing to report.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Serve {
            data,
            addr,
            database_url,
            books,
            public_url,
            sync_from,
            sync_every,
            sync_key,
        } => {
            let schedule = sync_from.map(|from| {
                let opts = server::offline::sync::client::SyncOptions {
                    from,
                    key: sync_key,
                    ..Default::default()
                };
                (opts, sync_every)
            });
            let database_url = database_url.unwrap_or_else(|| {
                format!("sqlite://{}", data.join("catalog.db").to_string_lossy())
            });
            let public_url = public_url
                .unwrap_or_else(|| format!("http://{addr}"))
                .trim_end_matches('/')
                .to_string();
            serve(
                server::Config {
                    data_dir: data,
                    addr,
                    database_url,
                    books,
                    public_url,
                    header_timeout: server::serve::HEADER_TIMEOUT,
                },
                schedule,
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::New { dir } => {
            let files = authoring::new::new_book(&dir).map_err(anyhow::Error::msg)?;
            println!(
                "Created {} with {} files. Next: kitep build {} -o out",
                dir.display(),
                files.len(),
                dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Index {
            builds,
            index,
            delete,
        } => cli::search::index(&builds, &index, &delete),
        Command::Search {
            index,
            suggest: true,
            query,
            ..
        } => cli::search::suggest(&index, &query.join(" ")),
        Command::Search {
            index,
            lang,
            json,
            filters,
            page,
            sort,
            query,
            ..
        } => cli::search::search(&index, lang, json, &filters, (page, sort), &query.join(" ")),
        Command::Analyze { lang } => cli::search::analyze(&lang),
        Command::DetectLang { script } => cli::search::detect_lang(script),
        Command::Admin(cmd) => admin(cmd),
        Command::Sync {
            data,
            from,
            export,
            collections,
            language,
            grade,
            key,
            max_rate,
            every,
        } => match export {
            Some(dir) => cli::sync::export(export_config(&data), &dir),
            None => cli::sync::sync(
                export_config(&data),
                server::offline::sync::client::SyncOptions {
                    from: from.unwrap_or_default(),
                    collections,
                    languages: language,
                    grades: grade,
                    key,
                    max_rate,
                },
                every,
            ),
        },
        Command::Export(ExportCommand::Pack { books, lang, out }) => {
            cli::export::pack(export_config(&books.data), &books.collections, &lang, &out)
        }
        Command::Export(ExportCommand::Marc {
            books,
            format,
            public_url,
            out,
        }) => cli::export::marc(
            export_config(&books.data),
            &books.collections,
            &format,
            &public_url,
            &out,
        ),
        Command::Export(ExportCommand::Catalogue {
            books,
            public_url,
            out,
        }) => cli::export::catalogue(
            export_config(&books.data),
            &books.collections,
            &public_url,
            &out,
        ),
        Command::Export(ExportCommand::Zim {
            books,
            lang,
            publisher,
            out,
        }) => cli::export::zim(
            export_config(&books.data),
            &books.collections,
            &lang,
            &publisher,
            &out,
        ),
        Command::Publish {
            book,
            to,
            token,
            organisation,
            wait,
        } => cli::publish::publish(&book, &to, &token, organisation.as_deref(), wait),
        Command::Eval(EvalCommand::Retrieval {
            lang,
            docs,
            queries,
            qrels,
            run,
            pack,
        }) => cli::search::eval_retrieval(&lang, &docs, &queries, &qrels, run.as_deref(), pack),
        Command::Eval(EvalCommand::Stemmer { conllu, lang }) => {
            cli::search::eval_stemmer(&conllu, lang.as_deref())
        }
        Command::Preview { book, addr, out } => {
            cli::preview::run(cli::preview::PreviewOptions { book, addr, out })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Import {
            format: _,
            file,
            out,
            split_level,
            language,
        } => {
            let opts = authoring::import::ImportOptions {
                split_level,
                language,
            };
            let report =
                authoring::import::import_docx(&file, &out, &opts).map_err(anyhow::Error::msg)?;
            for w in &report.warnings {
                eprintln!("{}: warning: {w}", file.display());
            }
            println!(
                "Imported «{}» ({}) into {}: {} chapters, {} pictures, {} tables, {} footnotes, {} equations, {} language spans; {} warning(s). Next: kitep check {}",
                report.title,
                report.language,
                out.display(),
                report.chapters,
                report.images,
                report.tables,
                report.footnotes,
                report.equations,
                report.language_spans,
                report.warnings.len(),
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { book } => {
            let diags = authoring::check::check(&book);
            for d in &diags {
                println!("{}", d.from_folder(&book));
            }
            let errors = diags.iter().filter(|d| d.is_error()).count();
            eprintln!("{errors} error(s), {} warning(s)", diags.len() - errors);
            Ok(if errors > 0 {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Build {
            book,
            out,
            format,
            paper,
            max_image_width,
            strict,
            quiet,
        } => {
            let formats = Formats::parse(&format)
                .map_err(anyhow::Error::msg)
                .context("--format")?;
            if !book.join("book.toml").is_file() && !book.is_dir() {
                bail!("{}: no such book folder", book.display());
            }
            let opts = BuildOptions {
                formats,
                max_image_width,
                strict,
                // Processed images are kept beside the output, so a rebuild redoes none of them.
                image_cache: Some(out.join(".kitep-cache").join("images")),
                chapter_memo: None,
            };
            let bar = progress_bar(quiet);
            let progress = |done: usize, total: usize, msg: &str| {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
                bar.set_message(msg.to_string());
                if bar.elapsed().as_millis() > 400 && bar.is_hidden() && !quiet {
                    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                }
            };
            // An earlier build leaves its book.json: what a failed build says it kept.
            let had_output = out.join("book.json").is_file();
            // The print edition is typeset into the same staging folder, so it appears with the
            // other outputs or not at all.
            let print_warnings = std::sync::Mutex::new(Vec::new());
            let print = |b: &formats::CompiledBook,
                         a: &formats::assets::AssetSet,
                         staging: &std::path::Path|
             -> Result<(), String> {
                if !formats.pdf {
                    return Ok(());
                }
                let (bytes, warnings) = print::pdf(b, a, &print::PrintOptions { paper })?;
                let path = staging.join(format!("{}.pdf", b.slug));
                std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
                if let Ok(mut w) = print_warnings.lock() {
                    *w = warnings;
                }
                Ok(())
            };
            let result = authoring::pipeline::build_with(&book, &out, &opts, &progress, &print);
            for w in print_warnings.lock().map(|w| w.clone()).unwrap_or_default() {
                eprintln!("{}: warning: {w}", book.display());
            }
            bar.finish_and_clear();
            let kept = if had_output {
                format!("the previous output in {} is unchanged", out.display())
            } else {
                format!("nothing was written to {}", out.display())
            };
            match result {
                Ok(report) => {
                    for d in &report.diagnostics {
                        eprintln!("{}", d.from_folder(&book));
                    }
                    if !quiet {
                        print_summary(&report, &out);
                    }
                    if report.errors > 0 {
                        eprintln!(
                            "the output in {} was written, but the book has {} error(s); fix them and build again",
                            out.display(),
                            report.errors
                        );
                        return Ok(ExitCode::FAILURE);
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(BuildError::Book(diags)) => {
                    for d in &diags {
                        eprintln!("{}", d.from_folder(&book));
                    }
                    eprintln!("build failed; {kept}");
                    Ok(ExitCode::FAILURE)
                }
                Err(BuildError::Strict(diags)) => {
                    for d in &diags {
                        eprintln!("{}", d.from_folder(&book));
                    }
                    eprintln!("build failed (--strict counts warnings as errors); {kept}");
                    Ok(ExitCode::FAILURE)
                }
                Err(BuildError::Output(m)) => {
                    eprintln!("error: {m}");
                    eprintln!(
                        "build failed while writing the output; look at {} before using it",
                        out.display()
                    );
                    Ok(ExitCode::FAILURE)
                }
            }
        }
    }
}

fn progress_bar(quiet: bool) -> indicatif::ProgressBar {
    let bar =
        indicatif::ProgressBar::with_draw_target(Some(3), indicatif::ProgressDrawTarget::hidden());
    if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}") {
        bar.set_style(style);
    }
    let _ = quiet;
    bar
}

fn kb(bytes: usize) -> String {
    format!("{:.1} KB", bytes as f64 / 1024.0)
}

fn parse_paper(s: &str) -> Result<print::Paper, String> {
    print::Paper::parse(s).ok_or_else(|| format!("unknown paper '{s}' (choose a4 or a5)"))
}

fn print_summary(r: &BuildReport, out: &std::path::Path) {
    println!(
        "Built «{}» ({}): {} chapters, {} words, {} images ({})",
        r.title,
        r.slug,
        r.chapters,
        r.words,
        r.images,
        kb(r.image_bytes)
    );
    if let Some(p) = &r.epub_path {
        println!("  EPUB      {}  {}", p.display(), kb(r.epub_bytes));
    }
    let pdf = out.join(format!("{}.pdf", r.slug));
    if let Ok(meta) = std::fs::metadata(&pdf) {
        println!("  PDF       {}  {}", pdf.display(), kb(meta.len() as usize));
    }
    if r.html_pages > 0 {
        let largest = r
            .largest_page
            .as_ref()
            .map(|(n, b, g)| format!("; largest page {n} {} ({} gzip)", kb(*b), kb(*g)))
            .unwrap_or_default();
        println!(
            "  HTML      {}  {} pages, {}{largest}",
            out.join("html").display(),
            r.html_pages,
            kb(r.html_bytes)
        );
    }
    if r.passages > 0 {
        println!(
            "  Passages  {}  {} passages",
            out.join("passages.jsonl").display(),
            r.passages
        );
    }
    println!(
        "  {} error(s), {} warning(s) in {:.2} s",
        r.errors,
        r.warnings,
        r.elapsed_ms as f64 / 1000.0
    );
}

/// `kitep serve`: logs to stderr (no IP addresses, no query text), runs until Ctrl-C or SIGTERM.
fn serve(
    config: server::Config,
    sync: Option<(
        server::offline::sync::client::SyncOptions,
        std::time::Duration,
    )>,
) -> Result<()> {
    let level = std::env::var("KITEP_LOG")
        .ok()
        .and_then(|l| l.parse::<tracing_subscriber::filter::LevelFilter>().ok())
        .unwrap_or(tracing_subscriber::filter::LevelFilter::INFO);
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async move {
        let addr = config.addr.clone();
        let started = std::time::Instant::now();
        let state = server::open(config).await?;
        let listener = tokio::net::TcpListener::bind(&addr)
            .await
            .with_context(|| {
                format!("listening on {addr} (is another portal running? use --addr)")
            })?;
        tracing::info!(
            books = state.snapshot().books.len(),
            database = state.db.backend(),
            ready_ms = started.elapsed().as_millis() as u64,
            "Kitepkana serves http://{}",
            listener.local_addr().map(|a| a.to_string()).unwrap_or(addr)
        );
        if let Some((opts, every)) = sync {
            server::offline::sync::client::schedule(&state, opts, every);
        }
        server::run(state.clone(), listener, shutdown_signal()).await?;
        state.db.close().await;
        Ok(())
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

fn parse_role(s: &str) -> Result<catalog::Role, String> {
    catalog::Role::parse(s)
        .ok_or_else(|| format!("'{s}': use author, reviewer, librarian or admin"))
}

/// Opens (and brings up to date) the catalog of a portal's data folder.
async fn open_catalog(data: &DataArgs) -> Result<catalog::Db> {
    let url = data.database_url();
    if data.database_url.is_none() && !data.data.is_dir() {
        bail!(
            "{}: no such data folder; give the one `kitep serve --data` uses (or create it)",
            data.data.display()
        );
    }
    let db = catalog::Db::connect(&url).await?;
    db.migrate().await?;
    Ok(db)
}

fn parse_grades(s: &str) -> Result<(u8, u8), String> {
    let bad = || format!("'{s}': give a grade (5) or a range (5-9), 1 to 12");
    let (lo, hi) = s.split_once('-').unwrap_or((s, s));
    let lo: u8 = lo.trim().parse().map_err(|_| bad())?;
    let hi: u8 = hi.trim().parse().map_err(|_| bad())?;
    if lo == 0 || hi > 12 || lo > hi {
        return Err(bad());
    }
    Ok((lo, hi))
}

fn parse_rate(s: &str) -> Result<u64, String> {
    let t = s.trim().to_ascii_lowercase();
    let t = t.trim_end_matches("b/s").trim_end_matches('b');
    let (num, mult) = match t.chars().last() {
        Some('k') => (&t[..t.len() - 1], 1_000.0),
        Some('m') => (&t[..t.len() - 1], 1_000_000.0),
        _ => (t, 1.0),
    };
    let n: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("'{s}': give bytes per second, such as 200k or 1M"))?;
    if n <= 0.0 {
        return Err(format!("'{s}': the rate must be more than 0"));
    }
    Ok((n * mult) as u64)
}

fn parse_interval(s: &str) -> Result<std::time::Duration, String> {
    let t = s.trim();
    let bad = || format!("'{s}': give an interval such as 30m, 1h or 1d");
    let unit = t.chars().last().ok_or_else(bad)?;
    let n: u64 = t[..t.len() - unit.len_utf8()].parse().map_err(|_| bad())?;
    let secs = match unit {
        's' => n,
        'm' => n * 60,
        'h' => n * 3600,
        'd' => n * 86_400,
        _ => return Err(bad()),
    };
    if secs < 10 {
        return Err(format!("'{s}': at least 10s between syncs"));
    }
    Ok(std::time::Duration::from_secs(secs))
}

/// The portal configuration an export reads the library with.
fn export_config(data: &DataArgs) -> server::Config {
    server::Config {
        data_dir: data.data.clone(),
        addr: String::new(),
        database_url: data.database_url(),
        books: Vec::new(),
        public_url: String::new(),
        header_timeout: server::serve::HEADER_TIMEOUT,
    }
}

fn admin(cmd: AdminCommand) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    // The audit log names the command and the machine's user as the actor.
    let actor = format!(
        "command line ({})",
        std::env::var("USER").unwrap_or_else(|_| "unknown user".into())
    );
    runtime.block_on(async move {
        match cmd {
            AdminCommand::AddUser {
                data,
                role,
                organisation,
                email,
            } => {
                let db = open_catalog(&data).await?;
                let added =
                    server::accounts::add_user_in(&db, &email, &role, &organisation, &actor).await;
                db.close().await;
                let added = added?;
                let roles: Vec<&str> = added.staff.roles.iter().map(|r| r.as_str()).collect();
                if added.created {
                    println!("Created the staff account {} ({}).", added.staff.email, roles.join(", "));
                    if !added.staff.organisations.is_empty() {
                        println!("Organisations: {}.", added.staff.organisations.join(", "));
                    }
                } else {
                    println!(
                        "{} already had an account: its roles are now {}, and its password and sessions were replaced.",
                        added.staff.email,
                        roles.join(", ")
                    );
                }
                println!("One-time password (shown only now; it must be changed at the first sign-in):");
                println!("{}", added.one_time_password);
                Ok(ExitCode::SUCCESS)
            }
            AdminCommand::Withdraw { data, reason, slug } => admin_withdraw(&data, &slug, Some(&reason), &actor).await,
            AdminCommand::Restore { data, slug } => admin_withdraw(&data, &slug, None, &actor).await,
            AdminCommand::Token { data, name, email } => {
                let db = open_catalog(&data).await?;
                let token = server::accounts::issue_token(&db, &email, &name, &actor).await;
                db.close().await;
                println!("{}", token?);
                Ok(ExitCode::SUCCESS)
            }
        }
    })
}

async fn admin_withdraw(
    data: &DataArgs,
    slug: &str,
    reason: Option<&str>,
    actor: &str,
) -> Result<ExitCode> {
    if data.database_url.is_none() && !data.data.is_dir() {
        bail!("{}: no such data folder", data.data.display());
    }
    let state = server::offline::open_for_writing(export_config(data)).await?;
    let known =
        state.snapshot().book(slug).is_some() || state.snapshot().withdrawn.contains_key(slug);
    if !known {
        bail!(
            "there is no published book '{slug}' in {}",
            data.data.display()
        );
    }
    let changed = server::workflow::review::withdraw_as(&state, slug, reason, actor).await?;
    println!(
        "{slug}: {}",
        match (reason.is_some(), changed) {
            (true, true) => "withdrawn",
            (true, false) => "was withdrawn already",
            (false, true) => "restored",
            (false, false) => "was not withdrawn",
        }
    );
    Ok(ExitCode::SUCCESS)
}

fn parse_sort(s: &str) -> Result<indexer::Sort, String> {
    indexer::Sort::parse(s).ok_or_else(|| format!("'{s}': use relevance, title or date"))
}
