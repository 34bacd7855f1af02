//! Builds a one-chapter book of N one-word headings (`# a` repeated), the worst case for output
//! per input byte, and prints the input size, output size and time. Run it under
//! `/usr/bin/time -v` for peak memory:
//!
//! ```sh
//! cargo build --release -p authoring --example many_headings
//! /usr/bin/time -v target/release/examples/many_headings 419000
//! ```

use std::path::Path;
use std::time::Instant;

fn folder_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => folder_bytes(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(419_000);
    let dir = std::env::temp_dir().join(format!("kitep-many-headings-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("book/src")).expect("temp folder");
    std::fs::write(
        dir.join("book/book.toml"),
        "[book]\ntitle = \"Headings\"\nlanguage = \"en\"\n",
    )
    .expect("book.toml");
    let text = "# a\n\n".repeat(n);
    std::fs::write(dir.join("book/src/ch.md"), &text).expect("chapter");
    let started = Instant::now();
    let result = authoring::build(
        &dir.join("book"),
        &dir.join("out"),
        &authoring::BuildOptions::default(),
        &|_, _, _| {},
    );
    let elapsed = started.elapsed();
    let out = folder_bytes(&dir.join("out"));
    match result {
        Ok(r) => {
            for d in r.diagnostics.iter().take(3) {
                println!("{d}");
            }
            println!("{} passages", r.passages);
        }
        Err(e) => print!("refused: {e}"),
    }
    println!(
        "{n} headings: {} bytes in, {out} bytes out ({:.1}x), {:.2} s",
        text.len(),
        out as f64 / text.len() as f64,
        elapsed.as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
