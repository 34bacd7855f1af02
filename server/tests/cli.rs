//! The `kitep` command as users and outside checks call it: exact command forms, exit codes, output.

mod common;

use common::copy_dir;
use std::path::Path;
use std::process::{Command, Output};

fn kitep() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kitep"))
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Runs a command that must succeed (its stderr is shown if it does not).
fn succeeds(cmd: &mut Command) -> Output {
    let run = cmd.output().unwrap();
    assert!(
        run.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    run
}

/// `kitep search --index INDEX --json QUERY`, which must succeed, as JSON.
fn search_json(index: &Path, query: &str) -> serde_json::Value {
    let run = succeeds(
        kitep()
            .args(["search", "--index"])
            .arg(index)
            .args(["--json", query]),
    );
    serde_json::from_slice(&run.stdout).unwrap()
}

fn sample(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../corpus/books")
        .join(name)
}

#[test]
fn new_skeleton_builds_clean_through_the_cli() {
    let tmp = tempfile::tempdir().unwrap();
    let book = tmp.path().join("my-book");
    let kitep = env!("CARGO_BIN_EXE_kitep");
    let status = std::process::Command::new(kitep)
        .arg("new")
        .arg(&book)
        .status()
        .unwrap();
    assert!(status.success());
    let out = tmp.path().join("out");
    let run = std::process::Command::new(kitep)
        .arg("build")
        .arg(&book)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(stdout.contains("0 error(s), 0 warning(s)"), "{stdout}");
    assert!(out.join("my-book.epub").is_file());
    assert!(out.join("html/index.html").is_file());
    assert!(out.join("passages.jsonl").is_file());
    // A second `new` into the same folder refuses to overwrite.
    let again = std::process::Command::new(kitep)
        .arg("new")
        .arg(&book)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
    // --format chooses a subset.
    let out2 = tmp.path().join("out2");
    let run = std::process::Command::new(kitep)
        .args(["build", "--format", "passages"])
        .arg(&book)
        .arg("-o")
        .arg(&out2)
        .output()
        .unwrap();
    assert!(run.status.success());
    assert!(
        out2.join("passages.jsonl").is_file()
            && !out2.join("my-book.epub").exists()
            && !out2.join("html").exists()
    );
}

#[test]
fn check_exits_with_1_on_errors_and_0_on_a_clean_book() {
    let tmp = tempfile::tempdir().unwrap();
    let book = tmp.path().join("b");
    assert!(kitep().arg("new").arg(&book).status().unwrap().success());
    let clean = kitep().arg("check").arg(&book).output().unwrap();
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));
    std::fs::write(
        book.join("src/02-features.md"),
        "# Broken\n\n![x](images/none.png)\n",
    )
    .unwrap();
    let broken = kitep().arg("check").arg(&book).output().unwrap();
    assert_eq!(broken.status.code(), Some(1));
    assert!(
        stdout(&broken)
            .contains("src/02-features.md:3:1: error: image 'images/none.png' not found"),
        "{}",
        stdout(&broken)
    );
}

#[test]
fn index_then_search_the_sample_library() {
    let tmp = tempfile::tempdir().unwrap();
    let mut built = Vec::new();
    for name in ["fractions-5-ky", "fractions-5-ru", "water-cycle-en"] {
        let out = tmp.path().join("build").join(name);
        succeeds(
            kitep()
                .arg("build")
                .arg(sample(name))
                .arg("-o")
                .arg(&out)
                .arg("-q"),
        );
        built.push(out);
    }
    let index = tmp.path().join("index");
    succeeds(kitep().arg("index").args(&built).arg("--index").arg(&index));
    // Typed on a phone keyboard without ө ү: "болчоктор" finds the Kyrgyz fractions book.
    let json = search_json(&index, "болчоктор");
    assert_eq!(
        json["books"][0]["book"]["slug"], "fractions-5-ky",
        "{json:#}"
    );
    let snippet = json["books"][0]["passages"][0]["snippet"].as_str().unwrap();
    assert!(snippet.contains("<mark>"), "{snippet}");
    // The Russian word for fraction finds the Russian edition, and through the glossary the Kyrgyz one too.
    let json = search_json(&index, "дробь");
    let slugs: Vec<&str> = json["books"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["book"]["slug"].as_str())
        .collect();
    assert!(
        slugs.contains(&"fractions-5-ru") && slugs.contains(&"fractions-5-ky"),
        "{slugs:?}"
    );
    // A Kyrgyz word that only the Kyrgyz edition has ("тамакка", supper) also brings the
    // Russian edition of the same work, marked as found through the Kyrgyz one.
    let json = search_json(&index, "тамак");
    assert_eq!(
        json["books"][0]["book"]["slug"], "fractions-5-ky",
        "{json:#}"
    );
    assert_eq!(
        json["books"][1]["book"]["slug"], "fractions-5-ru",
        "{json:#}"
    );
    assert_eq!(json["books"][1]["edition_of"]["slug"], "fractions-5-ky");
    assert!(json["books"][0].get("edition_of").is_none());
    // A typo (one letter wrong) still finds the book, and says what it searched for.
    let json = search_json(&index, "glaciar");
    assert_eq!(json["did_you_mean"], "glacier", "{json:#}");
    assert_eq!(json["books"][0]["book"]["slug"], "water-cycle-en");
    // Completions for a search box.
    let run = kitep()
        .args(["search", "--suggest", "--index"])
        .arg(&index)
        .arg("бөлч")
        .output()
        .unwrap();
    assert!(
        stdout(&run).lines().any(|l| l.starts_with("бөлчөк")),
        "{}",
        stdout(&run)
    );
    // Text output for people.
    let run = kitep()
        .args(["search", "--index"])
        .arg(&index)
        .arg("glacier")
        .output()
        .unwrap();
    assert!(stdout(&run).contains("water-cycle-en"), "{}", stdout(&run));
    // One book out of the index, without a rebuild; an unknown slug changes nothing.
    let run = kitep()
        .args(["index", "--delete", "nope", "--index"])
        .arg(&index)
        .output()
        .unwrap();
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("no book 'nope'"));
    succeeds(
        kitep()
            .args(["index", "--delete", "water-cycle-en", "--index"])
            .arg(&index),
    );
    let json = search_json(&index, "glacier");
    assert_eq!(json["total_books"], 0, "{json:#}");
    let json = search_json(&index, "дробь");
    assert_eq!(json["total_books"], 2, "the other books stay: {json:#}");
}

#[test]
fn hostile_queries_get_answers_not_panics() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("b");
    assert!(
        kitep()
            .arg("build")
            .arg(sample("ky-reader-3"))
            .arg("-o")
            .arg(&out)
            .arg("-q")
            .status()
            .unwrap()
            .success()
    );
    let index = tmp.path().join("index");
    assert!(
        kitep()
            .arg("index")
            .arg(&out)
            .arg("--index")
            .arg(&index)
            .status()
            .unwrap()
            .success()
    );
    let long = "китеп ".repeat(2_000);
    let many_or = (0..3_000)
        .map(|i| format!("w{i}"))
        .collect::<Vec<_>>()
        .join(" OR ");
    for q in [
        "\"unbalanced",
        "((([[",
        "status:draft",
        "email:*",
        "- *",
        "a:(^",
        "!!!",
        "mixed kitep китеп",
        long.as_str(),
        many_or.as_str(),
        "*\u{b}",
        "x IN [\u{1}",
    ] {
        search_json(&index, q);
    }
}

#[test]
fn analyze_and_detect_lang_read_lines_from_stdin() {
    use std::io::Write;
    let mut child = kitep()
        .args(["analyze", "--lang", "ky"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all("окуучулар окуп\n\nкитептерибизден\n".as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let lines: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 3, "one output line per input line: {lines:?}");
    assert_eq!(lines[1], "");
    // Inflected forms share one stem: окуучулар and окуп with окуу; китептерибизден with китеп.
    let words: Vec<&str> = lines[0].split(' ').collect();
    assert_eq!(words[0], words[1]);
    assert!(
        !lines[2].is_empty() && "китеп".starts_with(lines[2].as_str()),
        "{lines:?}"
    );

    let detect = |args: &[&str], input: &[u8]| -> Vec<String> {
        let mut child = kitep()
            .arg("detect-lang")
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        stdout(&out).lines().map(str::to_string).collect()
    };
    let mut input = "Балдар мектепке барышты.\nДети пошли в школу.\nБалалар мектепке барды және \
                     кітап оқыды.\nOʻquvchilar maktabga bordilar.\n"
        .as_bytes()
        .to_vec();
    input.extend_from_slice(b"\xff\xfe\n");
    let langs = detect(&[], &input);
    // Language codes; Latin Uzbek is `uz` like Cyrillic Uzbek, and `uz-Latn` when asked.
    assert_eq!(&langs[..4], ["ky", "ru", "kk", "uz"]);
    assert_eq!(langs.len(), 5, "invalid UTF-8 still gets a line");
    assert_eq!(detect(&["--script"], &input)[3], "uz-Latn");
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `kitep build [FLAGS] BOOK -o OUT`, whatever its exit code.
fn build(book: &Path, out: &Path, flags: &[&str]) -> Output {
    kitep()
        .arg("build")
        .args(flags)
        .arg(book)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap()
}

/// A new book in `tmp/b` with a third chapter, `03-more.md`, holding `text`.
fn new_book_with(tmp: &Path, text: &str) -> std::path::PathBuf {
    let book = tmp.join("b");
    assert!(kitep().arg("new").arg(&book).status().unwrap().success());
    let toml = std::fs::read_to_string(book.join("book.toml")).unwrap();
    let toml = toml.replace("\"02-features.md\"]", "\"02-features.md\", \"03-more.md\"]");
    std::fs::write(book.join("book.toml"), toml).unwrap();
    std::fs::write(book.join("src/03-more.md"), text).unwrap();
    book
}

#[test]
fn build_writes_what_it_can_and_exits_1_on_content_errors_as_check_does() {
    let tmp = tempfile::tempdir().unwrap();
    new_book_with(
        tmp.path(),
        "# Broken\n\nSee ![map](images/none.png)\n\nAnd [there](nowhere.md).\n",
    );
    // Run from the book's parent folder: paths in messages are relative to where the command runs.
    let build = kitep()
        .current_dir(tmp.path())
        .args(["build", "b", "-o", "out"])
        .output()
        .unwrap();
    assert_eq!(build.status.code(), Some(1), "{}", stderr(&build));
    let err = stderr(&build);
    let image =
        "b/src/03-more.md:3:5: error: image 'images/none.png' not found (looked in src/images/)";
    let link = "b/src/03-more.md:5:5: error: broken link 'nowhere.md': no chapter 'nowhere.md' in this book";
    assert!(err.contains(image), "{err}");
    assert!(err.contains(link), "{err}");
    // The output is there to look at, and the summary says it has errors.
    for f in [
        "out/b.epub",
        "out/html/index.html",
        "out/passages.jsonl",
        "out/book.json",
    ] {
        assert!(tmp.path().join(f).is_file(), "{f} missing");
    }
    assert!(
        stdout(&build).contains("2 error(s), 0 warning(s)"),
        "{}",
        stdout(&build)
    );
    assert!(
        err.contains("the output in out was written, but the book has 2 error(s)"),
        "{err}"
    );
    // `kitep check` calls the same problems errors, in the same words.
    let check = kitep()
        .current_dir(tmp.path())
        .args(["check", "b"])
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(1));
    assert!(stdout(&check).contains(image), "{}", stdout(&check));
    assert!(stdout(&check).contains(link), "{}", stdout(&check));
}

#[test]
fn a_book_that_cannot_be_read_writes_nothing_and_says_so_truthfully() {
    let tmp = tempfile::tempdir().unwrap();
    let book = tmp.path().join("b");
    assert!(kitep().arg("new").arg(&book).status().unwrap().success());
    let toml = std::fs::read_to_string(book.join("book.toml")).unwrap();
    std::fs::write(
        book.join("book.toml"),
        toml.replacen("[book]\n", "[book]\ncolour = \"red\"\n", 1),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let first = build(&book, &out, &[]);
    assert_eq!(first.status.code(), Some(1));
    let err = stderr(&first);
    assert!(err.contains("error: unknown key 'colour'"), "{err}");
    assert!(
        err.contains(&format!(
            "build failed; nothing was written to {}",
            out.display()
        )),
        "{err}"
    );
    assert!(!out.join("book.json").exists());
    // With an earlier output in place, that output is kept and the message says so.
    std::fs::write(book.join("book.toml"), &toml).unwrap();
    succeeds(kitep().arg("build").arg(&book).arg("-o").arg(&out));
    let before = std::fs::read(out.join("b.epub")).unwrap();
    std::fs::write(
        book.join("book.toml"),
        toml.replacen("[book]\n", "[book]\ncolour = \"red\"\n", 1),
    )
    .unwrap();
    let again = build(&book, &out, &[]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains(&format!(
            "build failed; the previous output in {} is unchanged",
            out.display()
        )),
        "{}",
        stderr(&again)
    );
    assert_eq!(std::fs::read(out.join("b.epub")).unwrap(), before);
}

#[test]
fn strict_makes_warnings_errors_and_keeps_the_previous_output() {
    let tmp = tempfile::tempdir().unwrap();
    let book = new_book_with(tmp.path(), "# Title\n\n#### Jump\n");
    let out = tmp.path().join("out");
    // Without --strict a warning is only a warning.
    succeeds(kitep().arg("build").arg(&book).arg("-o").arg(&out));
    let before = std::fs::read(out.join("book.json")).unwrap();
    std::fs::write(book.join("src/03-more.md"), "# Title\n\n#### Jump again\n").unwrap();
    let strict = build(&book, &out, &["--strict"]);
    assert_eq!(strict.status.code(), Some(1));
    let err = stderr(&strict);
    assert!(
        err.contains("03-more.md:3:1: error: heading level jumps from h1 to h4"),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "build failed (--strict counts warnings as errors); the previous output in {} is unchanged",
            out.display()
        )),
        "{err}"
    );
    assert_eq!(std::fs::read(out.join("book.json")).unwrap(), before);
    let fresh = tmp.path().join("fresh");
    let strict = build(&book, &fresh, &["--strict"]);
    assert_eq!(strict.status.code(), Some(1));
    assert!(
        stderr(&strict).contains(&format!(
            "build failed (--strict counts warnings as errors); nothing was written to {}",
            fresh.display()
        )),
        "{}",
        stderr(&strict)
    );
}

fn catalog_of(data: &Path) -> catalog::Db {
    let url = format!("sqlite://{}", data.join("catalog.db").display());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(catalog::Db::connect(&url)).unwrap()
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

fn add_user(data: &Path, roles: &[&str], email: &str) -> Output {
    let mut cmd = kitep();
    cmd.args(["admin", "add-user", "--data"]).arg(data);
    for r in roles {
        cmd.args(["--role", r]);
    }
    cmd.arg(email).output().unwrap()
}

/// The one-time password: the last line of the command's output.
fn one_time_password(o: &Output) -> String {
    stdout(o).lines().last().unwrap_or("").trim().to_string()
}

#[test]
fn admin_add_user_prints_a_one_time_password_and_stores_only_its_hash() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let run = add_user(&data, &["admin"], "Aigul.Admin@School.kg");
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(
        stdout(&run).contains("aigul.admin@school.kg (admin)"),
        "{}",
        stdout(&run)
    );
    let password = one_time_password(&run);
    assert_eq!(password.len(), 23, "{password}");
    let db_bytes: Vec<u8> = std::fs::read_dir(&data)
        .unwrap()
        .flat_map(|e| std::fs::read(e.unwrap().path()).unwrap_or_default())
        .collect();
    assert!(
        !db_bytes
            .windows(password.len())
            .any(|w| w == password.as_bytes()),
        "the password itself is stored"
    );
    let db = catalog_of(&data);
    let staff = block_on(db.staff_by_email("aigul.admin@school.kg"))
        .unwrap()
        .unwrap();
    let hash = staff.password_hash.clone().unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(server::accounts::passwords::verify(&password, &hash));
    assert!(staff.password_temporary);
    assert_eq!(staff.roles, vec![catalog::Role::Admin]);
    // Again for the same person: one more role, a new password; the old one no longer works.
    let again = add_user(&data, &["librarian"], "aigul.admin@school.kg");
    assert!(again.status.success(), "{}", stderr(&again));
    let second = one_time_password(&again);
    let staff = block_on(db.staff_by_email("aigul.admin@school.kg"))
        .unwrap()
        .unwrap();
    let hash = staff.password_hash.unwrap();
    assert!(server::accounts::passwords::verify(&second, &hash));
    assert!(!server::accounts::passwords::verify(&password, &hash));
    assert_eq!(
        staff.roles,
        vec![catalog::Role::Librarian, catalog::Role::Admin]
    );
    // Both are in the audit log, with the command line as the actor.
    let log = block_on(db.audit_log(10)).unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert!(
        actions.contains(&"staff.create") && actions.contains(&"staff.reset_password"),
        "{actions:?}"
    );
    assert!(log.iter().all(|e| e.actor.starts_with("command line")));
}

#[test]
fn admin_commands_refuse_bad_input_with_a_clear_message() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let bad_role = add_user(&data, &["superuser"], "a@school.kg");
    assert!(!bad_role.status.success());
    assert!(
        stderr(&bad_role).contains("use author, reviewer, librarian or admin"),
        "{}",
        stderr(&bad_role)
    );
    let bad_email = add_user(&data, &["admin"], "<script>@x");
    assert!(!bad_email.status.success());
    assert!(
        stderr(&bad_email).contains("is not an e-mail address"),
        "{}",
        stderr(&bad_email)
    );
    let missing = add_user(&tmp.path().join("nowhere"), &["admin"], "a@school.kg");
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).contains("no such data folder"),
        "{}",
        stderr(&missing)
    );
    let unknown = kitep()
        .args(["admin", "token", "--data"])
        .arg(&data)
        .arg("nobody@school.kg")
        .output()
        .unwrap();
    assert!(!unknown.status.success());
    assert!(
        stderr(&unknown).contains("no staff account for nobody@school.kg"),
        "{}",
        stderr(&unknown)
    );
}

#[test]
fn admin_token_prints_a_token_that_identifies_its_owner_until_revoked() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    assert!(
        add_user(&data, &["author"], "bolot@publisher.kg")
            .status
            .success()
    );
    let run = succeeds(kitep().args(["admin", "token", "--data"]).arg(&data).args([
        "--name",
        "CI",
        "bolot@publisher.kg",
    ]));
    let token = stdout(&run).trim().to_string();
    assert!(token.starts_with("kitep_"), "{token}");
    let db = catalog_of(&data);
    let owner = block_on(server::accounts::token_owner(&db, &token))
        .unwrap()
        .expect("the token identifies its owner");
    assert_eq!(owner.staff.email, "bolot@publisher.kg");
    // An author's token may upload drafts but never publish.
    assert!(owner.scopes.iter().any(|s| s == "drafts:upload"));
    assert!(!owner.scopes.iter().any(|s| s == "books:publish"));
    // A token one character off, or revoked, identifies nobody.
    let mut forged = token.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'a' { 'b' } else { 'a' });
    assert!(
        block_on(server::accounts::token_owner(&db, &forged))
            .unwrap()
            .is_none()
    );
    assert!(block_on(db.revoke_token(&owner.token_id, "test")).unwrap());
    assert!(
        block_on(server::accounts::token_owner(&db, &token))
            .unwrap()
            .is_none()
    );
}

#[test]
fn admin_add_user_works_while_the_portal_runs_on_the_same_data() {
    use std::io::{BufRead, BufReader};
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let book = tmp.path().join("book");
    succeeds(kitep().arg("new").arg(&book));
    let mut portal = kitep()
        .args(["serve", "--addr", "127.0.0.1:0", "--data"])
        .arg(&data)
        .arg("--books")
        .arg(&book)
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(portal.stderr.take().unwrap()).lines();
    let ready = lines
        .by_ref()
        .take(200)
        .any(|l| l.is_ok_and(|l| l.contains("Kitepkana serves")));
    // Keep draining the portal's log so it never blocks on a full pipe.
    let drain = std::thread::spawn(move || for _ in lines {});
    let run = add_user(&data, &["admin"], "admin@school.kg");
    let _ = portal.kill();
    let _ = portal.wait();
    let _ = drain.join();
    assert!(ready, "the portal did not start");
    assert!(run.status.success(), "{}", stderr(&run));
    assert_eq!(one_time_password(&run).len(), 23);
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A portal serving `data` on a free port, until dropped.
struct Running(std::process::Child, u16);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn run_portal(data: &Path, books: &Path) -> Running {
    use std::io::{BufRead, BufReader};
    let port = free_port();
    let mut child = kitep()
        .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--data"])
        .arg(data)
        .arg("--books")
        .arg(books)
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let ready = lines
        .by_ref()
        .take(500)
        .any(|l| l.is_ok_and(|l| l.contains("Kitepkana serves")));
    std::thread::spawn(move || for _ in lines {});
    let running = Running(child, port);
    assert!(ready, "the portal did not start");
    running
}

#[test]
fn publish_sends_a_draft_with_a_token_and_gates_on_its_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let library = tmp.path().join("library");
    std::fs::create_dir_all(&library).unwrap();
    let portal = run_portal(&data, &library);
    let url = format!("http://127.0.0.1:{}", portal.1);
    let token_for = |email: &str, roles: &[&str], org: Option<&str>| {
        let mut cmd = kitep();
        cmd.args(["admin", "add-user", "--data"]).arg(&data);
        for r in roles {
            cmd.args(["--role", r]);
        }
        if let Some(o) = org {
            cmd.args(["--organisation", o]);
        }
        succeeds(cmd.arg(email));
        let run = succeeds(
            kitep()
                .args(["admin", "token", "--data"])
                .arg(&data)
                .arg(email),
        );
        stdout(&run).trim().to_string()
    };
    let author = token_for("author@publisher.kg", &["author"], Some("Publisher A"));
    let librarian = token_for("librarian@school.kg", &["librarian"], None);
    // A clean book: sent, built, exit 0.
    let clean = tmp.path().join("clean");
    succeeds(kitep().arg("new").arg(&clean));
    let run = kitep()
        .args(["publish"])
        .arg(&clean)
        .args(["--to", &url, "--wait"])
        .env("KITEP_TOKEN", &author)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}\n{}", stdout(&run), stderr(&run));
    assert!(
        stdout(&run).contains("Built: 0 error(s)"),
        "{}",
        stdout(&run)
    );
    // A book with a missing image: sent, built, its error printed as file:line:col, exit 1.
    let broken = tmp.path().join("broken");
    succeeds(kitep().arg("new").arg(&broken));
    let chapter = std::fs::read_dir(broken.join("src"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "md") && !p.ends_with("SUMMARY.md"))
        .unwrap();
    let mut text = std::fs::read_to_string(&chapter).unwrap();
    text.push_str("\n![gone](img/no-such-image.png)\n");
    std::fs::write(&chapter, text).unwrap();
    let run = kitep()
        .args(["publish"])
        .arg(&broken)
        .args(["--to", &url, "--wait", "--token", &author])
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(1),
        "{}\n{}",
        stdout(&run),
        stderr(&run)
    );
    assert!(
        stdout(&run).contains("no-such-image.png"),
        "{}",
        stdout(&run)
    );
    assert!(stdout(&run).contains(": error: "), "{}", stdout(&run));
    // A librarian's token cannot upload (their role cannot): 403, said.
    let run = kitep()
        .args(["publish"])
        .arg(&clean)
        .args(["--to", &url, "--token", &librarian])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    assert!(stderr(&run).contains("(403)"), "{}", stderr(&run));
    // A revoked token: 401.
    let db = catalog_of(&data);
    let owner = block_on(server::accounts::token_owner(&db, &author))
        .unwrap()
        .unwrap();
    assert!(block_on(db.revoke_token(&owner.token_id, "test")).unwrap());
    let run = kitep()
        .args(["publish"])
        .arg(&clean)
        .args(["--to", &url, "--token", &author])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    assert!(stderr(&run).contains("(401)"), "{}", stderr(&run));
    assert!(stderr(&run).contains("revoked"), "{}", stderr(&run));
}

/// One HTTP/1.1 exchange on loopback: (status, headers in lower case, body).
fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String, Vec<u8>) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(120)))
        .unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAccept-Language: en\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..split]).to_lowercase();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (
        status,
        head,
        raw.get(split + 4..).unwrap_or_default().to_vec(),
    )
}

fn form_value(html: &[u8], name: &str) -> String {
    let html = String::from_utf8_lossy(html);
    let key = format!("name=\"{name}\" value=\"");
    let at = html
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + key.len();
    html[at..at + html[at..].find('"').unwrap()].to_string()
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A zip of the sample book water-cycle-en with `word` added to its first chapter.
fn water_cycle_zip(word: &str) -> Vec<u8> {
    let book = sample("water-cycle-en");
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    let mut added = false;
    let mut stack = vec![book.clone()];
    while let Some(dir) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let mut bytes = std::fs::read(&p).unwrap();
            let rel = p
                .strip_prefix(&book)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if !added && rel.ends_with(".md") && !rel.ends_with("SUMMARY.md") {
                bytes.extend(format!("\n\nThe {word} cloud rains.\n").as_bytes());
                added = true;
            }
            w.start_file(format!("water-cycle-en/{rel}"), opts).unwrap();
            std::io::Write::write_all(&mut w, &bytes).unwrap();
        }
    }
    w.finish().unwrap().into_inner()
}

fn wait_for_build(port: u16, token: &str, draft: &str) -> serde_json::Value {
    for _ in 0..600 {
        let auth = format!("Bearer {token}");
        let (status, _, body) = http(
            port,
            "GET",
            &format!("/api/drafts/{draft}"),
            &[("Authorization", &auth)],
            b"",
        );
        if status == 200 {
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
            if matches!(v["build"]["state"].as_str(), Some("done") | Some("failed")) {
                return v["build"].clone();
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("the build of {draft} did not end");
}

#[test]
fn sigkill_while_publishing_from_the_web_leaves_the_old_or_the_new_version_and_builds_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let library = tmp.path().join("library");
    copy_dir(&sample("water-cycle-en"), &library.join("water-cycle-en"));
    let mut portal = run_portal(&data, &library);
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let db = catalog_of(&data);
    let password = "тоо көлү жашыл, суусу таза";
    let hash = server::accounts::passwords::hash(password).unwrap();
    for (email, role, org) in [
        ("author@x.kg", "author", Some("Publisher")),
        ("lib@x.kg", "librarian", None),
    ] {
        let mut cmd = kitep();
        cmd.args(["admin", "add-user", "--data"])
            .arg(&data)
            .args(["--role", role]);
        if let Some(o) = org {
            cmd.args(["--organisation", o]);
        }
        succeeds(cmd.arg(email));
        let s = block_on(db.staff_by_email(email)).unwrap().unwrap();
        block_on(db.set_password(&s.id, &hash, false)).unwrap();
    }
    let token = stdout(&succeeds(
        kitep()
            .args(["admin", "token", "--data"])
            .arg(&data)
            .arg("author@x.kg"),
    ))
    .trim()
    .to_string();
    let auth = format!("Bearer {token}");
    let lib = block_on(db.staff_by_email("lib@x.kg")).unwrap().unwrap();
    for round in 0..3 {
        let port = portal.1;
        let word = format!("zephyrquartz{round}");
        let (status, _, body) = http(
            port,
            "POST",
            "/api/drafts",
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/zip"),
            ],
            &water_cycle_zip(&word),
        );
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
        let draft = serde_json::from_slice::<serde_json::Value>(&body).unwrap()["draft"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(wait_for_build(port, &token, &draft)["errors"], 0);
        // Submitted and approved (as a reviewer would) straight in the catalog.
        let rev = block_on(db.revisions(&draft)).unwrap()[0].id.clone();
        assert!(
            block_on(db.draft_event(
                &draft,
                Some(&rev),
                &lib.id,
                "test",
                "submit",
                None,
                None,
                "",
                &[catalog::Stage::Draft],
                Some(catalog::Stage::InReview)
            ))
            .unwrap()
        );
        assert!(
            block_on(db.draft_event(
                &draft,
                Some(&rev),
                &lib.id,
                "test",
                "approve",
                None,
                None,
                "",
                &[catalog::Stage::InReview],
                Some(catalog::Stage::Approved)
            ))
            .unwrap()
        );
        // The librarian signs in and publishes from the web; the portal is killed part-way.
        let (_, _, page) = http(port, "GET", "/staff/sign-in", &[], b"");
        let form = format!(
            "form={}&email=lib%40x.kg&password={}&next=%2Fstaff",
            urlencode(&form_value(&page, "form")),
            urlencode(password)
        );
        let (status, head, _) = http(
            port,
            "POST",
            "/staff/sign-in",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            form.as_bytes(),
        );
        assert_eq!(status, 303, "{head}");
        let cookie = head
            .lines()
            .find_map(|l| l.strip_prefix("set-cookie: "))
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let (_, _, page) = http(
            port,
            "GET",
            &format!("/staff/drafts/{draft}"),
            &[("Cookie", &cookie)],
            b"",
        );
        let body = format!(
            "csrf={}&changelog=round+{round}",
            urlencode(&form_value(&page, "csrf"))
        );
        let sender = std::thread::spawn(move || {
            http(
                port,
                "POST",
                &format!("/staff/drafts/{draft}/publish"),
                &[
                    ("Cookie", &cookie),
                    ("Content-Type", "application/x-www-form-urlencoded"),
                ],
                body.as_bytes(),
            )
        });
        std::thread::sleep(std::time::Duration::from_millis([30, 150, 400][round]));
        let _ = portal.0.kill();
        let _ = portal.0.wait();
        let _ = sender.join();
        drop(portal);
        // Restarted without --books (the folder would be published again over the web's version).
        portal = run_portal(&data, &empty);
        // Old or new, never a mix: the book page, the API's version and search agree.
        let port = portal.1;
        let (status, _, _) = http(port, "GET", "/books/water-cycle-en", &[], b"");
        assert_eq!(status, 200);
        let (_, _, api) = http(port, "GET", "/api/books/water-cycle-en", &[], b"");
        let version = serde_json::from_slice::<serde_json::Value>(&api).unwrap()["version"]
            .as_str()
            .unwrap()
            .to_string();
        let current = block_on(db.current_versions())
            .unwrap()
            .into_iter()
            .find(|v| v.slug == "water-cycle-en")
            .unwrap();
        assert_eq!(
            version, current.id,
            "the API serves the catalog's current version"
        );
        let new = current.record.contains(&word) || current.manifest.contains(&word);
        let (_, _, found) = http(port, "GET", &format!("/api/search?q={word}"), &[], b"");
        let found = String::from_utf8_lossy(&found).contains("water-cycle-en");
        let passages = block_on(db.passages_of(&current.id)).unwrap();
        let new_text = passages.iter().any(|(_, _, body)| body.contains(&word));
        assert_eq!(
            found, new_text,
            "round {round}: search and the catalog disagree (new in catalog: {new_text}, {new})"
        );
    }
    // A build that was running when the portal died is resumed after the restart.
    let port = portal.1;
    let (status, _, body) = http(
        port,
        "POST",
        "/api/drafts",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/zip"),
        ],
        &water_cycle_zip("resumedbuild"),
    );
    assert_eq!(status, 201);
    let draft = serde_json::from_slice::<serde_json::Value>(&body).unwrap()["draft"]
        .as_str()
        .unwrap()
        .to_string();
    std::thread::sleep(std::time::Duration::from_millis(100));
    let _ = portal.0.kill();
    let _ = portal.0.wait();
    drop(portal);
    let portal = run_portal(&data, &empty);
    let build = wait_for_build(portal.1, &token, &draft);
    assert_eq!(build["state"], "done", "{build}");
}

/// `kitep preview BOOK`: a page served, a chapter edited while it runs, the new text served, the
/// waiting page told to reload, and a problem shown in the page and in the terminal.
#[test]
fn preview_serves_the_book_and_picks_up_a_saved_chapter() {
    use std::io::{BufRead, BufReader};
    let tmp = tempfile::tempdir().unwrap();
    let book = tmp.path().join("book");
    copy_dir(&sample("water-cycle-en"), &book);
    let mut child = kitep()
        .args(["preview", "--addr", "127.0.0.1:0"])
        .arg(&book)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut terminal = Vec::new();
    let url = loop {
        let line = rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("kitep preview printed no address");
        terminal.push(line.clone());
        if let Some(at) = line.find("http://") {
            let rest = &line[at..];
            break rest[..rest.find(' ').unwrap_or(rest.len())].to_string();
        }
    };
    let get = |path: &str| -> String {
        ureq::get(&format!("{url}{}", path.trim_start_matches('/')))
            .call()
            .unwrap()
            .into_body()
            .read_to_string()
            .unwrap()
    };
    let page = get("02-glaciers.html");
    assert!(page.contains("How glaciers form"));
    assert!(
        page.contains("/__kitep/wait"),
        "the page has no reload script"
    );
    assert!(!page.contains("kitep-preview-problems"));
    let version: u64 = get("__kitep/wait?v=999999").trim().parse().unwrap();

    // A page waiting for the next build, as the open page does.
    let waiting = {
        let url = format!("{url}__kitep/wait?v={version}");
        std::thread::spawn(move || {
            ureq::get(&url)
                .call()
                .unwrap()
                .into_body()
                .read_to_string()
                .unwrap()
        })
    };
    let chapter = book.join("src/02-glaciers.md");
    let mut text = std::fs::read_to_string(&chapter).unwrap();
    text.push_str("\nThe snow leopard crossed the moraine at dawn.\n");
    std::fs::write(&chapter, &text).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !get("02-glaciers.html").contains("snow leopard crossed") {
        assert!(
            std::time::Instant::now() < deadline,
            "the edit never showed"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let new_version: u64 = waiting.join().unwrap().trim().parse().unwrap();
    assert_ne!(
        new_version, version,
        "the waiting page was not told to reload"
    );

    // A problem: in the page and in the terminal.
    text.push_str("\n![A missing picture](images/not-there.png)\n");
    std::fs::write(&chapter, &text).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let page = get("01-water-cycle.html");
        if page.contains("kitep-preview-problems") {
            assert!(page.contains("not-there.png"), "{page}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the problem never showed"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !terminal.iter().any(|l| l.contains("not-there.png")) {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(l) => terminal.push(l),
            Err(_) => panic!("the terminal never showed the problem: {terminal:?}"),
        }
    }
    // Only the edited chapter was compiled again.
    assert!(
        terminal
            .iter()
            .any(|l| l.contains("3 chapters, 1 compiled again")),
        "{terminal:?}"
    );
    // Outside the served folder: nothing.
    let outside = ureq::get(&format!("{url}../book.toml")).call();
    assert!(!matches!(outside, Ok(r) if r.status() == 200));
    child.kill().unwrap();
    child.wait().unwrap();
}
